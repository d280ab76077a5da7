// Go's net.JoinHostPort, which every "dial tcp <host:port>" message and URL authority here is built with.

/** `host:port`; a host with a colon (IPv6) goes in brackets. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
