// Test fixtures for the client suites: a throw-away PKI made by the openssl binary in a temp dir
// (nothing is kept in the repo) and a real TLS server that records what each connection presented.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

export interface Pki {
  readonly dir: string;
  readonly caPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** Another CA that signed nothing here: "wrong CA" tests trust it instead. */
  readonly otherCaPem: string;
  /** Issues a client certificate from the CA. */
  issueClient(cn: string, org?: string): { certPem: string; keyPem: string };
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'mkube-client-pki-'));
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca']);
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'o.key', '-out', 'o.crt', '-days', '1', '-subj', '/CN=other-ca']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['req', ...EC, '-keyout', 's.key', '-out', 's.csr', '-subj', '/CN=kube-apiserver']);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    's.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    's.crt',
    '-extfile',
    'server.ext',
  ]);
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  let n = 0;
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caPem: read('ca.crt'),
    serverCertPem: read('s.crt'),
    serverKeyPem: read('s.key'),
    otherCaPem: read('o.crt'),
    issueClient(cn, org) {
      n++;
      const subj = org ? `/O=${org}/CN=${cn}` : `/CN=${cn}`;
      openssl(dir, ['req', ...EC, '-keyout', `c${n}.key`, '-out', `c${n}.csr`, '-subj', subj]);
      openssl(dir, [
        'x509',
        '-req',
        '-in',
        `c${n}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '1',
        '-out',
        `c${n}.crt`,
        '-extfile',
        'client.ext',
      ]);
      return { certPem: read(`c${n}.crt`), keyPem: read(`c${n}.key`) };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Req = IncomingMessage | Http2ServerRequest;
export type Res = ServerResponse | Http2ServerResponse;

export interface SeenConnection {
  readonly alpn: string | false;
  /** CN of the client certificate the connection presented, '' when none. */
  readonly cn: string;
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  /** One entry per TLS connection accepted. */
  readonly connections: SeenConnection[];
  /** Requests currently open (watches still streaming count). */
  openRequests(): number;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** 'h2' offers HTTP/2 with HTTP/1.1 fallback; 'http/1.1' offers only HTTP/1.1. */
  readonly protocol: 'h2' | 'http/1.1';
  readonly pki: Pki;
}

/** The client certificate CN behind a request, read from the TLS socket. */
export function peerCn(req: Req): string {
  const sock = req.socket as TLSSocket;
  const cert = sock.getPeerCertificate?.();
  const cn = cert?.subject?.CN;
  return typeof cn === 'string' ? cn : '';
}

export async function serve(opts: ServeOptions, handler: (req: Req, res: Res) => void): Promise<TestServer> {
  const tlsOpts = {
    key: opts.pki.serverKeyPem,
    cert: opts.pki.serverCertPem,
    ca: opts.pki.caPem,
    requestCert: true,
    // The server decides per request, as kube-apiserver does: anonymous requests still reach handlers.
    rejectUnauthorized: false,
  };
  const connections: SeenConnection[] = [];
  const sockets = new Set<TLSSocket>();
  let open = 0;
  const wrapped = (req: Req, res: Res): void => {
    open++;
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        open--;
      }
    };
    res.on('close', finish);
    handler(req, res);
    // Drain request bodies no handler reads: an h2 stream whose readable side was never consumed
    // does not close on the client's RST_STREAM(NO_ERROR), and would look like a leaked watch.
    if (req.listenerCount('data') === 0) req.resume();
  };
  const server =
    opts.protocol === 'h2'
      ? createSecureServer({ ...tlsOpts, allowHTTP1: true }, wrapped)
      : createHttpsServer(tlsOpts, wrapped);
  server.on('secureConnection', (sock: TLSSocket) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    const cert = sock.getPeerCertificate();
    const cn = typeof cert?.subject?.CN === 'string' ? cert.subject.CN : '';
    connections.push({ alpn: sock.alpnProtocol ?? false, cn });
  });
  // Handshake failures (wrong CA tests) are expected; keep them off stderr.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    connections,
    openRequests: () => open,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON body with a status code. */
export function sendJson(res: Res, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  (res as ServerResponse).writeHead(code, { 'content-type': 'application/json' });
  res.end(text);
}

/** Resolves after `ms` (tests only; bounded by the test timeout). */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms up to `ms`. */
export async function eventually(cond: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await delay(10);
  }
}

export interface FakeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  data?: Record<string, string>;
}

interface FakeEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: FakeObject;
}

/**
 * A tiny in-test apiserver for ConfigMaps in namespace `default`: a Map plus an event log.
 * Lists and watches follow the apiserver's wire format; knobs make it misbehave on purpose.
 */
export class FakeApi {
  readonly objects = new Map<string, FakeObject>();
  readonly events: FakeEvent[] = [];
  /** resourceVersion each watch asked for, in order. */
  readonly watchRvs: string[] = [];
  lists = 0;
  rv = 100;
  /** Watches from below this get an ERROR 410 Expired event (compaction). */
  compactedBelow = 0;
  /** The next N lists answer 500. */
  failLists = 0;
  /** Each watch stream ends after this many events (a server-side timeout). */
  endWatchAfter = Number.POSITIVE_INFINITY;
  readonly #streams = new Set<{ res: Res; sent: number }>();

  static readonly PATH = '/api/v1/namespaces/default/configmaps';

  put(name: string, data: Record<string, string> = {}): void {
    const key = `default/${name}`;
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.rv++;
    const object: FakeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default', resourceVersion: String(this.rv) },
      data,
    };
    this.objects.set(key, object);
    this.#emit({ rv: this.rv, type, object });
  }

  remove(name: string): void {
    const key = `default/${name}`;
    const old = this.objects.get(key);
    if (!old) return;
    this.objects.delete(key);
    this.rv++;
    this.#emit({
      rv: this.rv,
      type: 'DELETED',
      object: { ...old, metadata: { ...old.metadata, resourceVersion: String(this.rv) } },
    });
  }

  /** Sends a BOOKMARK at the current resourceVersion on every open watch. */
  bookmark(): void {
    for (const s of this.#streams)
      this.#write(
        s,
        {
          type: 'BOOKMARK',
          object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } },
        },
        false,
      );
  }

  /** Changes that bypass open watches (as if they happened while disconnected) and compacts the log. */
  changeWhileDisconnected(fn: () => void): void {
    const streams = [...this.#streams];
    this.#streams.clear();
    fn();
    for (const s of streams) this.#streams.add(s);
    this.compactedBelow = this.rv;
  }

  openWatches(): number {
    return this.#streams.size;
  }

  handle(req: Req, res: Res): boolean {
    const url = new URL(req.url ?? '/', 'https://x');
    if (url.pathname !== FakeApi.PATH) return false;
    if (url.searchParams.get('watch') === 'true') this.#watch(url, res);
    else this.#list(res);
    return true;
  }

  #list(res: Res): void {
    this.lists++;
    if (this.failLists > 0) {
      this.failLists--;
      sendJson(res, 500, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'etcd down',
        reason: 'InternalError',
        code: 500,
      });
      return;
    }
    sendJson(res, 200, {
      kind: 'ConfigMapList',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.rv) },
      items: [...this.objects.values()],
    });
  }

  #watch(url: URL, res: Res): void {
    const from = url.searchParams.get('resourceVersion') ?? '';
    this.watchRvs.push(from);
    (res as ServerResponse).writeHead(200, { 'content-type': 'application/json' });
    const rv = Number(from || '0');
    if (rv < this.compactedBelow) {
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${rv} (${this.compactedBelow})`, reason: 'Expired', code: 410 } })}\n`,
      );
      return;
    }
    const s = { res, sent: 0 };
    this.#streams.add(s);
    res.on('close', () => this.#streams.delete(s));
    for (const ev of this.events) if (ev.rv > rv) this.#write(s, ev, true);
  }

  #emit(ev: FakeEvent): void {
    this.events.push(ev);
    for (const s of [...this.#streams]) this.#write(s, ev, true);
  }

  #write(s: { res: Res; sent: number }, ev: { type: string; object: unknown }, counts: boolean): void {
    if (!this.#streams.has(s)) return;
    (s.res as ServerResponse).write(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
    if (counts && ++s.sent >= this.endWatchAfter) {
      this.#streams.delete(s);
      s.res.end();
    }
  }
}
