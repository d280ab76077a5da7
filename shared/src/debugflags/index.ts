// /debug/flags/v: a running daemon's log verbosity changed without a restart, as k8s.io/apiserver's
// routes.DebugFlags with StringFlagPutHandler(logs.GlogSetter) — what kube-apiserver and the
// controller-manager install beside /debug/pprof (--profiling) and the kubelet with its debugging
// handlers (enableDebugFlagsHandler). `curl -X PUT -d 4 …/debug/flags/v` and back with `-d 0`.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../log/index.js';
import { levelForVerbosity } from '../log/index.js';
import { readBody } from '../net/index.js';

export const DEBUG_FLAGS_PATH = '/debug/flags';
/** Every method a ServeMux handler is reached by: the flag handlers answer each themselves. */
export const ANY_METHOD = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
export const DEBUG_FLAG_V_PATH = '/debug/flags/v';

export interface PlainTextResponse {
  readonly code: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Go's writePlainText: text/plain, nosniff, the text and a newline (fmt.Fprintln). */
export function plainText(code: number, text: string): PlainTextResponse {
  return {
    code,
    headers: { 'content-type': 'text/plain', 'x-content-type-options': 'nosniff' },
    body: `${text}\n`,
  };
}

/**
 * klog.Level.Set: strconv.ParseInt(value, 10, 32), so "4" but not " 4", "4\n" or "+x"; the texts
 * are Go's.
 */
export function parseKlogLevel(value: string): number | Error {
  const quoted = JSON.stringify(value);
  if (!/^[+-]?\d+$/.test(value)) return new Error(`strconv.ParseInt: parsing ${quoted}: invalid syntax`);
  const n = Number.parseInt(value, 10);
  if (n > 2 ** 31 - 1 || n < -(2 ** 31)) return new Error(`strconv.ParseInt: parsing ${quoted}: value out of range`);
  return n;
}

/** A daemon's verbosity, held where its handlers and its logger can both reach it. */
export class Verbosity {
  #v: number;
  readonly #log: Logger;

  /** `log` is the daemon's root logger: its children follow its level unless they set their own. */
  constructor(log: Logger, initial: number) {
    this.#log = log;
    this.#v = initial;
  }

  get value(): number {
    return this.#v;
  }

  /** logs.GlogSetter: the text answered on success, an Error with upstream's text otherwise. */
  set(value: string): string | Error {
    const v = parseKlogLevel(value);
    if (v instanceof Error) return new Error(`failed set klog.logging.verbosity ${value}: ${v.message}`);
    const before = this.#v;
    this.#v = v;
    this.#log.level = levelForVerbosity(v);
    // At info, which every verbosity shows: an operator turning logs up or down is worth a line.
    this.#log.info({ from: before, to: v }, 'log verbosity changed through /debug/flags/v');
    return `successfully set klog.logging.verbosity to ${value}`;
  }
}

/**
 * StringFlagPutHandler: PUT sets the flag from the body; anything else is 406 "unsupported http
 * method". The request has been authenticated and authorized before it gets here.
 */
export function serveDebugFlagV(method: string, body: string, verbosity: Verbosity): PlainTextResponse {
  if (method !== 'PUT') return plainText(406, 'unsupported http method');
  const r = verbosity.set(body);
  return r instanceof Error ? plainText(400, r.message) : plainText(200, r);
}

/** A flag's value is a few bytes; a body past this is refused rather than buffered. */
export const MAX_FLAG_BODY_BYTES = 64 * 1024;

/** The request body as text, or the 400 upstream answers when it cannot be read. */
export async function readFlagBody(req: IncomingMessage): Promise<string | PlainTextResponse> {
  let body: Buffer | undefined;
  try {
    body = await readBody(req as AsyncIterable<Buffer>, MAX_FLAG_BODY_BYTES);
  } catch (e) {
    return plainText(400, `error reading request body: ${(e as Error).message}`);
  }
  if (body) return body.toString('utf8');
  req.resume();
  return plainText(400, 'error reading request body: http: request body too large');
}

/** DebugFlags.Index: the HTML page that /debug/flags and anything else under it answer. */
export function debugFlagsIndex(flags: readonly string[] = ['v']): PlainTextResponse {
  const rows = flags.map((f) => `<tr>${f}<br>\n`).join('');
  const html = `<html>
<head>
<title>/debug/flags/</title>
</head>
<body>
/debug/flags/<br>
<br>
flags:<br>
<table>
${rows}
</table>
<br>
full flags configurable<br>
</body>
</html>
`;
  return { code: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html };
}
