// `Warning: 299 - "text"` response headers (k8s.io/apiserver pkg/warning): authentication,
// admission and the handlers each add theirs, and all of them go out with the response.
import type { FastifyReply } from 'fastify';

/** The header value for `text`, quoted as strconv.Quote would but ASCII only; undefined when empty. */
export function warningHeaderValue(text: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a header value carries no control characters
  const clean = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  if (!clean) return undefined;
  // Node refuses non-ASCII characters in a header.
  const quoted = JSON.stringify(clean).replace(
    /[^\x20-\x7e]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `299 - ${quoted}`;
}

/**
 * Adds to the warnings already set (a deprecated resource and an unknown field both warn); on the raw
 * response too, so a watch, which writes its own head, sends them.
 */
export function appendWarnings(reply: FastifyReply, values: readonly string[]): void {
  if (values.length === 0) return;
  const prior = reply.getHeader('warning');
  const all = [...(prior === undefined ? [] : Array.isArray(prior) ? prior : [String(prior)]), ...values];
  reply.header('warning', all);
  if (!reply.raw.headersSent) reply.raw.setHeader('warning', all);
}
