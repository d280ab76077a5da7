// Turns an HTTP response into a value or a StatusError, as client-go's rest.Result does:
// a Status body keeps its reason, message and details; any other error body gets the reason
// for its HTTP code and the text as message.
import { reasonForCode, type Status, StatusError, type StatusReason } from '../apierrors/index.js';
import { ClientError } from './errors.js';

/** client-go's reason for an error response without a Status body (one table, in apierrors). */
export function reasonForHttpCode(code: number): StatusReason {
  return reasonForCode(code);
}

/** Error bodies are cut here before they become messages. */
const MAX_ERROR_TEXT = 16 * 1024;

function isStatus(v: unknown): v is Partial<Status> {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Status';
}

/** A StatusError from a Status object (also used for watch ERROR events). */
export function statusErrorFrom(status: Partial<Status>, httpCode: number): StatusError {
  const code = status.code || httpCode;
  return StatusError.fromStatus({ ...status, reason: status.reason || reasonForHttpCode(code) }, code);
}

export function errorFromBody(httpCode: number, text: string): StatusError {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isStatus(parsed)) return statusErrorFrom(parsed, httpCode);
  const trimmed = text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text.trim();
  const reason = reasonForHttpCode(httpCode);
  return new StatusError(reason, trimmed || reason, undefined, httpCode);
}

/** Parses a 2xx body; an empty body is `undefined`. */
export function parseSuccess<T>(text: string, method: string, url: string): T {
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ClientError('EPROTO', `${method} "${url}": response body is not JSON: ${(e as Error).message}`);
  }
}
