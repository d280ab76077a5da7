// One pino root logger per daemon, children per component and request. Secrets are redacted
// by path before a line is written, so a careless `log.info({ req })` still leaks nothing.
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/** Paths pino censors wherever they appear in a logged object. */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'Authorization',
  'headers.authorization',
  'headers.Authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'token',
  '*.token',
  'bearerToken',
  '*.bearerToken',
  'password',
  '*.password',
  'privateKey',
  '*.privateKey',
  'keyPem',
  '*.keyPem',
  'clientKeyPem',
  '*.clientKeyPem',
  'data',
  '*.data',
  'stringData',
  '*.stringData',
  'status.token',
  'spec.token',
  '["token-secret"]',
  '*["token-secret"]',
  '["client-key-data"]',
  '*["client-key-data"]',
];

/** Kubernetes-like verbosity (-v): 0 info, 2+ debug, 6+ trace. */
export function levelForVerbosity(v: number): 'info' | 'debug' | 'trace' {
  return v >= 6 ? 'trace' : v >= 2 ? 'debug' : 'info';
}

export interface LogOptions {
  readonly name: string;
  readonly verbosity?: number;
  readonly destination?: DestinationStream;
}

export function createLogger(opts: LogOptions): Logger {
  const options: LoggerOptions = {
    name: opts.name,
    level: levelForVerbosity(opts.verbosity ?? 0),
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A PEM private key or bearer token that slipped into a message string is cut out here. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, '[REDACTED PRIVATE KEY]')
    .replace(/\b(Bearer\s+)\S+/gi, '$1[REDACTED]')
    .replace(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, '[REDACTED TOKEN]');
}
