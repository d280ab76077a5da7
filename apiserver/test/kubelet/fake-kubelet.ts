// Test helpers: a kubelet PKI made with openssl, a fake kubelet (HTTPS + WebSocket v5, client
// certificate required) and REST calls as the fixture's admin.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Fixture, issueFromCa } from '../server/fixture.ts';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface KubeletPki {
  readonly dir: string;
  readonly caCrt: string;
  /** The apiserver's client identity toward kubelets. */
  readonly clientCrt: string;
  readonly clientKey: string;
  /** Serving pairs: IP SAN 127.0.0.1; DNS SAN only; self-signed (other CA); IP SAN 10.9.9.9 only. */
  readonly serving: Record<'ok' | 'noip' | 'selfsigned' | 'wrongip', { crt: string; key: string }>;
}

const key = (f: string, dir: string) =>
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f], dir);

/** A new key `<name>.key` and its certificate `<name>.crt` from the kubelet CA in `dir`, for a day. */
export const issueFromKubeletCA = (dir: string, name: string, subj: string, ext: string) =>
  issueFromCa(dir, name, subj, ext, 'kca');

/** A kubelet CA (separate from the apiserver's, which exists only once the fixture runs) and its certs. */
export function makeKubeletPki(dir: string): KubeletPki {
  key('kca.key', dir);
  openssl(
    ['req', '-x509', '-new', '-key', 'kca.key', '-subj', '/CN=kubelet-ca', '-days', '2', '-out', 'kca.crt'].concat([
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    dir,
  );
  const issue = (name: string, subj: string, ext: string) => issueFromKubeletCA(dir, name, subj, ext);
  const serverExt = (san: string) =>
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`;
  issue(
    'kubelet-client',
    '/CN=kube-apiserver-kubelet-client/O=kubeadm:cluster-admins',
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n',
  );
  issue('serving-ok', '/CN=node1', serverExt('DNS:node1,IP:127.0.0.1'));
  issue('serving-noip', '/CN=node1', serverExt('DNS:node1'));
  issue('serving-wrongip', '/CN=node1', serverExt('DNS:node1,IP:10.9.9.9'));
  key('serving-selfsigned.key', dir);
  openssl(
    ['req', '-x509', '-new', '-key', 'serving-selfsigned.key', '-subj', '/CN=node1', '-days', '1'].concat([
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-out',
      'serving-selfsigned.crt',
    ]),
    dir,
  );
  const pair = (n: string) => ({ crt: join(dir, `serving-${n}.crt`), key: join(dir, `serving-${n}.key`) });
  return {
    dir,
    caCrt: join(dir, 'kca.crt'),
    clientCrt: join(dir, 'kubelet-client.crt'),
    clientKey: join(dir, 'kubelet-client.key'),
    serving: { ok: pair('ok'), noip: pair('noip'), selfsigned: pair('selfsigned'), wrongip: pair('wrongip') },
  };
}

export function kubeletFlags(pki: KubeletPki, withCA = true): string[] {
  return [
    `--kubelet-client-certificate=${pki.clientCrt}`,
    `--kubelet-client-key=${pki.clientKey}`,
    ...(withCA ? [`--kubelet-certificate-authority=${pki.caCrt}`] : []),
  ];
}

export interface Hit {
  readonly method: string;
  readonly url: string;
  readonly clientCN?: string;
}

export interface FakeKubelet {
  readonly app: FastifyInstance;
  readonly port: number;
  readonly hits: Hit[];
  /** Resolves when a following log stream is closed by the apiserver. */
  readonly followClosed: Promise<void>;
  close(): Promise<void>;
}

const EXIT3 = JSON.stringify({
  metadata: {},
  status: 'Failure',
  reason: 'NonZeroExitCode',
  message: 'command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 3], exit code 3',
  details: { causes: [{ reason: 'ExitCode', message: '3' }] },
});
const SUCCESS = JSON.stringify({ metadata: {}, status: 'Success' });

const frame = (channel: number, data: string | Buffer = '') =>
  Buffer.concat([Buffer.from([channel]), Buffer.isBuffer(data) ? data : Buffer.from(data)]);

/** A kubelet stand-in on 127.0.0.1:0 that requires a client certificate from the kubelet CA. */
export async function startFakeKubelet(
  pki: KubeletPki,
  serving: { crt: string; key: string },
  redirectTo?: string,
): Promise<FakeKubelet> {
  const app = Fastify({
    https: {
      cert: readFileSync(serving.crt),
      key: readFileSync(serving.key),
      ca: readFileSync(pki.caCrt),
      requestCert: true,
      rejectUnauthorized: true,
    },
  }) as unknown as FastifyInstance;
  const hits: Hit[] = [];
  let onFollowClosed = () => {};
  const followClosed = new Promise<void>((r) => {
    onFollowClosed = r;
  });
  app.addHook('onRequest', async (req) => {
    const peer = (req.raw.socket as import('node:tls').TLSSocket).getPeerCertificate?.();
    hits.push({ method: req.method, url: req.url, clientCN: peer?.subject?.CN?.toString() });
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
  await app.register(fastifyWebsocket);
  app.get('/healthz', async () => 'ok');
  app.get('/redirect', async (_req, reply) => reply.redirect(redirectTo ?? '/healthz', 302));
  app.route({
    method: ['POST', 'PUT'],
    url: '/echo/*',
    handler: async (req, reply) =>
      reply
        .header('x-kubelet', 'fake')
        .type('text/plain')
        .send(
          `${req.method} ${req.url} ${String(req.headers['x-test'] ?? '')} ${(req.body as Buffer | undefined)?.toString() ?? ''}`,
        ),
  });
  app.get('/containerLogs/:ns/:pod/:ctr', async (req, reply) => {
    const { pod, ctr } = req.params as { pod: string; ctr: string };
    const q = req.query as Record<string, string>;
    if (ctr === 'gone') return reply.code(404).type('text/plain').send('container not found ("gone")');
    if (ctr === 'waiting')
      return reply
        .code(400)
        .type('text/plain')
        .send(`container "waiting" in pod "${pod}" is waiting to start: ContainerCreating`);
    if (q.follow !== 'true') return reply.type('text/plain').send(`line 1 of ${pod}/${ctr}\nline 2\n`);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/plain' });
    let n = 0;
    const timer = setInterval(() => raw.write(`follow ${++n}\n`), 100);
    raw.on('close', () => {
      clearInterval(timer);
      onFollowClosed();
    });
  });
  app.route({
    method: 'GET',
    url: '/exec/:ns/:pod/:ctr',
    // A kubelet that refuses the handshake (here: its authorizer said no).
    preValidation: async (req, reply) => {
      if ((req.params as { ctr: string }).ctr === 'refuse')
        return reply
          .code(403)
          .type('text/plain')
          .send('Forbidden (user=kube-apiserver-kubelet-client, verb=create, resource=nodes, subresource=proxy)');
    },
    handler: async (_req, reply) => reply.code(400).send('Upgrade request required'),
    wsHandler: (socket: import('./types.ts').TestSocket, req) => {
      const q = new URL(req.url, 'https://x').searchParams;
      const command = q.getAll('command');
      if (command[0] === 'cat' && q.get('input') === '1') {
        socket.send(frame(1));
        socket.on('message', (data: Buffer) => {
          if (data[0] === 0) socket.send(frame(1, data.subarray(1)));
          if (data[0] === 255 && data[1] === 0) {
            socket.send(frame(3, SUCCESS));
            socket.close(1000);
          }
        });
        return;
      }
      socket.send(frame(1, 'hi\n'));
      socket.send(frame(3, EXIT3));
      socket.close(1000);
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { app, port, hits, followClosed, close: () => app.close() };
}

/** A REST call as the fixture's admin; the body is JSON. */
export function api(
  fx: Pick<Fixture, 'url' | 'pki'>,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: string; headers: import('node:http').IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, fx.url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method,
        ca: readFileSync(fx.pki.caCrt),
        cert: readFileSync(fx.pki.adminCrt),
        key: readFileSync(fx.pki.adminKey),
        headers: { 'content-type': contentType, 'x-test': 'passed' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

/** A Node whose kubelet is at 127.0.0.1:port, and a pod on it with the given containers. */
export async function createNodeAndPod(
  fx: Pick<Fixture, 'url' | 'pki'>,
  node: string,
  port: number,
  pod: string,
  containers: string[] = ['app'],
): Promise<void> {
  const status = {
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: `${node}.invalid` },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: port } },
  };
  let r = await api(fx, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node }, status });
  if (r.status !== 201) throw new Error(`create node: ${r.status} ${r.body}`);
  r = await api(fx, 'PATCH', `/api/v1/nodes/${node}/status`, { status }, 'application/merge-patch+json');
  if (r.status !== 200) throw new Error(`node status: ${r.status} ${r.body}`);
  r = await api(fx, 'POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod },
    spec: { nodeName: node, containers: containers.map((name) => ({ name, image: 'busybox' })) },
  });
  if (r.status !== 201) throw new Error(`create pod: ${r.status} ${r.body}`);
}
