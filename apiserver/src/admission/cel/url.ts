// Kubernetes' URL CEL library (k8s.io/apiserver pkg/cel/library/urls.go) with Go's net/url rules:
// `url(s)` accepts what url.ParseRequestURI accepts (an absolute URI or an absolute path), and the
// getters return what Go's URL fields and methods do. A policy can then refuse, say, a webhook
// whose URL names a loopback address: `ip(url(u).getHostname()).isLoopback()`.
import type { Environment } from '@marcbachmann/cel-js';
import { succeeds } from './succeeds.js';

/** The `kubernetes.URL` CEL type. */
export class URLValue {
  constructor(
    readonly scheme: string,
    /** host[:port] as written, IPv6 in brackets, without user info. */
    readonly host: string,
    readonly rawPath: string,
    readonly rawQuery: string,
  ) {}

  /** url.URL.Hostname: without the port, IPv6 without brackets. */
  hostname(): string {
    return splitHostPort(this.host)[0];
  }

  port(): string {
    return splitHostPort(this.host)[1];
  }

  /** url.URL.EscapedPath: the path as written when it is validly escaped, else Go's escaping of it. */
  escapedPath(): string {
    if (validEncodedPath(this.rawPath)) return this.rawPath;
    return escapePath(percentDecode(this.rawPath, false));
  }

  /** url.ParseQuery: pairs split on '&' (a pair with ';' or a bad escape is dropped), '+' is a space. */
  query(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const pair of this.rawQuery.split('&')) {
      if (pair === '' || pair.includes(';')) continue;
      const eq = pair.indexOf('=');
      let k: string;
      let v: string;
      try {
        k = percentDecode(eq < 0 ? pair : pair.slice(0, eq), true);
        v = eq < 0 ? '' : percentDecode(pair.slice(eq + 1), true);
      } catch {
        continue;
      }
      out.set(k, [...(out.get(k) ?? []), v]);
    }
    return out;
  }
}

function splitHostPort(hostPort: string): [string, string] {
  let host = hostPort;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && /^:[0-9]*$/.test(host.slice(colon))) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, port];
}

const HEX = /^[0-9a-fA-F]{2}$/;

function percentDecode(s: string, query: boolean): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!HEX.test(h)) throw new Error(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      bytes.push(Number.parseInt(h, 16));
      i += 2;
    } else if (c === '+' && query) bytes.push(0x20);
    else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Go's validEncoded(s, encodePath). */
function validEncodedPath(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if ("!$&'()*+,;=:@[]".includes(c)) continue;
    if (c === '%') {
      if (!HEX.test(s.slice(i + 1, i + 3))) return false;
      i += 2;
      continue;
    }
    if (!/^[A-Za-z0-9\-._~/]$/.test(c)) return false;
  }
  return true;
}

/** Go's escape(s, encodePath): unreserved characters and $&+,/:;=@ stay, everything else is %XX. */
function escapePath(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /^[A-Za-z0-9\-._~$&+,/:;=@]$/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** url.ParseRequestURI (then url.Parse for the fragment): the error text is Go's. */
export function parseURL(s: string): URLValue {
  const fail = (why: string): never => {
    throw new Error(`URL parse error during conversion from string: parse ${JSON.stringify(s)}: ${why}`);
  };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go refuses ASCII control characters
  if (/[\x00-\x1f\x7f]/.test(s)) fail('net/url: invalid control character in URL');
  const hash = s.indexOf('#');
  const rest = hash >= 0 ? s.slice(0, hash) : s;
  let scheme = '';
  let afterScheme = rest;
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (m) {
    scheme = m[1]!.toLowerCase();
    afterScheme = rest.slice(m[0].length);
  } else if (/^[^/?]*:/.test(rest) && !rest.startsWith('/')) {
    fail(rest.startsWith(':') ? 'missing protocol scheme' : 'first path segment in URL cannot contain colon');
  }
  const q = afterScheme.indexOf('?');
  let hierarchical = q >= 0 ? afterScheme.slice(0, q) : afterScheme;
  const rawQuery = q >= 0 ? afterScheme.slice(q + 1) : '';
  if (!scheme && !hierarchical.startsWith('/')) fail('invalid URI for request');
  let host = '';
  // ParseRequestURI reads no authority without a scheme, but the url.Parse whose fields upstream
  // returns does, unless the path starts with ///.
  if (hierarchical.startsWith('//') && (scheme || !hierarchical.startsWith('///'))) {
    const end = hierarchical.indexOf('/', 2);
    const authority = end >= 0 ? hierarchical.slice(2, end) : hierarchical.slice(2);
    hierarchical = end >= 0 ? hierarchical.slice(end) : '';
    host = authority.slice(authority.lastIndexOf('@') + 1);
    if (host.startsWith('[')) {
      const close = host.indexOf(']');
      if (close < 0) fail("missing ']' in host");
      const colonPort = host.slice(close + 1);
      if (colonPort !== '' && !/^:[0-9]*$/.test(colonPort))
        fail(`invalid port ${JSON.stringify(colonPort)} after host`);
    } else {
      const colon = host.lastIndexOf(':');
      if (colon >= 0 && !/^:[0-9]*$/.test(host.slice(colon))) {
        fail(`invalid port ${JSON.stringify(host.slice(colon))} after host`);
      }
      if (/[\s<>"{}|\\^`]/.test(host))
        fail(`invalid character ${JSON.stringify(host.match(/[\s<>"{}|\\^`]/)![0])} in host name`);
    }
  } else if (scheme && !hierarchical.startsWith('/')) {
    // An opaque URI (mailto:x) is absolute: Go accepts it, with an empty host and path.
    return new URLValue(scheme, '', '', rawQuery);
  }
  try {
    percentDecode(hierarchical, false);
  } catch (e) {
    fail((e as Error).message);
  }
  return new URLValue(scheme, host, hierarchical, rawQuery);
}

export function registerURLLibrary(env: Environment): void {
  const U = 'kubernetes.URL';
  env
    .registerType(U, URLValue)
    .registerFunction(`url(string): ${U}`, (s: string) => parseURL(s))
    .registerFunction('isURL(string): bool', (s: string) => succeeds(() => parseURL(s)))
    .registerFunction(`${U}.getScheme(): string`, (u: URLValue) => u.scheme)
    .registerFunction(`${U}.getHost(): string`, (u: URLValue) => u.host)
    .registerFunction(`${U}.getHostname(): string`, (u: URLValue) => u.hostname())
    .registerFunction(`${U}.getPort(): string`, (u: URLValue) => u.port())
    .registerFunction(`${U}.getEscapedPath(): string`, (u: URLValue) => u.escapedPath())
    .registerFunction(`${U}.getQuery(): map<string, list<string>>`, (u: URLValue) => u.query());
}
