// Go's net.JoinHostPort, which every "dial tcp <host:port>" message and URL authority here is built with.

/** `host:port`; a host with a colon (IPv6) goes in brackets. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A URL's host without IPv6 brackets, as Go's url.URL.Hostname() gives it (what a dial or SNI wants). */
export function unbracketHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}
