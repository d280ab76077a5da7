// Failures that never reached an HTTP status: network, TLS, timeouts, aborts, bad arguments.
// A response with a status becomes a StatusError instead (see response.ts), as client-go does.
import { H2Error } from '../h2/index.js';

/** Stable codes; network ones keep Node's errno name so logs read the same as Go's dial errors. */
export type ClientErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'ENOTFOUND'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'EPIPE'
  /** TLS handshake or certificate verification failed; `message` keeps Node's text. */
  | 'ETLS'
  /** The caller's AbortSignal fired. */
  | 'EABORTED'
  /** The client (or the dispatcher generation) was closed. */
  | 'ECLOSED'
  /** The server answered something the client cannot decode (e.g. a 2xx body that is not JSON). */
  | 'EPROTO'
  /** The credentials could not be had: a kubeconfig's exec plugin failed or printed no usable credential. */
  | 'ECREDENTIALS'
  /** A bad argument (empty or '.'/'..' resource name, malformed server URL, cert without key). */
  | 'EINVAL'
  | 'EUNKNOWN';

export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** The lower-level code (Node errno, OpenSSL verify code, undici UND_ERR_*), when there is one. */
    readonly causeCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const ERRNO: ReadonlySet<string> = new Set<ClientErrorCode>([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

const UNDICI: Readonly<Record<string, ClientErrorCode>> = {
  UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_HEADERS_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_BODY_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_ABORTED: 'EABORTED',
  UND_ERR_CLOSED: 'ECLOSED',
  UND_ERR_DESTROYED: 'ECLOSED',
  UND_ERR_SOCKET: 'ECONNRESET',
  UND_ERR_INFO: 'ECONNRESET',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'EPROTO',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'EPROTO',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'EPROTO',
  HPE_INVALID_CONSTANT: 'EPROTO',
  // ./h2exchange.ts
  H2_HEADERS_TIMEOUT: 'ETIMEDOUT',
  H2_BODY_TIMEOUT: 'ETIMEDOUT',
};

/** OpenSSL verify codes and Node's TLS codes: anything about certificates or the handshake. */
const TLS_CODE = /CERT|SSL|TLS|SIGNATURE|ISSUER|HOSTNAME|ALTNAME|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED/;

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** Walks `cause` (bounded) to the innermost error that says something useful. */
function rootCause(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5; i++) {
    const next = (e as { cause?: unknown } | null)?.cause;
    if (!next || typeof next !== 'object') break;
    e = next;
  }
  return e;
}

/**
 * Maps anything thrown while talking to the server to a ClientError, keeping the message
 * ("self-signed certificate", "unable to verify the first certificate", hostname mismatch)
 * after Go's `<Method> "<url>": <cause>` prefix. `aborted` says who aborted, if anyone did.
 */
export function toClientError(err: unknown, method: string, url: string, aborted?: 'caller' | 'timeout'): ClientError {
  if (err instanceof ClientError) return err;
  const prefix = `${method.charAt(0)}${method.slice(1).toLowerCase()} "${url}"`;
  if (aborted === 'timeout') {
    return new ClientError('ETIMEDOUT', `${prefix}: context deadline exceeded (Client.Timeout exceeded)`, undefined, {
      cause: err,
    });
  }
  if (aborted === 'caller')
    return new ClientError('EABORTED', `${prefix}: context canceled`, undefined, { cause: err });
  const candidates = [rootCause(err), err];
  for (const c of candidates) {
    const code = codeOf(c);
    if (!code) continue;
    const message = c instanceof Error ? c.message : String(c);
    if (ERRNO.has(code)) return new ClientError(code as ClientErrorCode, `${prefix}: ${message}`, code, { cause: err });
    if (TLS_CODE.test(code)) return new ClientError('ETLS', `${prefix}: ${message}`, code, { cause: err });
  }
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const mapped = code ? UNDICI[code] : undefined;
  if (mapped) {
    // undici's socket errors wrap the real reason; show it when there is one.
    const inner = rootCause(err);
    const text = inner !== err && inner instanceof Error ? inner.message : message;
    return new ClientError(mapped, `${prefix}: ${text}`, code, { cause: err });
  }
  if (err instanceof H2Error) {
    // A reset stream, a GOAWAY or a dropped connection with no socket error behind it.
    return new ClientError('ECONNRESET', `${prefix}: ${message}`, undefined, { cause: err });
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return new ClientError('EABORTED', `${prefix}: context canceled`, undefined, { cause: err });
  }
  return new ClientError('EUNKNOWN', `${prefix}: ${message}`, code, { cause: err });
}
