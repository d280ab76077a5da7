// Hop-by-hop headers (RFC 9110 §7.6.1, Go's net/http/httputil): a proxy never forwards them, either way.
export const HOP_BY_HOP: readonly string[] = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
