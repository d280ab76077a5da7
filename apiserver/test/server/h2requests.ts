// HTTP/2 requests at a test apiserver whose timing the test controls: a POST without a body is left
// open (it holds whatever seat it took until the test ends it), and every answer keeps its status,
// headers and text.
import { readFileSync } from 'node:fs';
import { type ClientHttp2Session, type ClientHttp2Stream, connect } from 'node:http2';

export interface H2Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface H2Request {
  readonly stream: ClientHttp2Stream;
  readonly answer: Promise<H2Answer>;
}

/** A session with a client certificate (`crt`/`key` files) trusting `caFile`. */
export function openH2(url: string, caFile: string, creds: { crt: string; key: string }): ClientHttp2Session {
  const s = connect(url, { ca: readFileSync(caFile), cert: readFileSync(creds.crt), key: readFileSync(creds.key) });
  s.on('error', () => {});
  return s;
}

/** Sends `body` and ends the request when given; otherwise a non-GET stays open for the caller to end. */
export function h2Request(session: ClientHttp2Session, method: string, path: string, body?: string): H2Request {
  const stream = session.request({
    ':method': method,
    ':path': path,
    ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}),
  });
  if (body !== undefined) stream.end(body);
  const answer = new Promise<H2Answer>((resolve, reject) => {
    let status = 0;
    const headers: Record<string, string> = {};
    let text = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
      for (const [k, v] of Object.entries(h)) if (typeof v === 'string') headers[k] = v;
    });
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => resolve({ status, headers, body: text }));
    stream.on('error', reject);
  });
  return { stream, answer };
}
