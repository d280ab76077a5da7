// A real apiserver on 127.0.0.1:0 with a PKI generated at run time by the openssl binary.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { APISERVER_FLAGS, type ApiServerConfig, ConfigError, loadApiServerConfig } from '../../src/config/index.ts';
import { type RunningApiServer, type StartOptions, startApiServer } from '../../src/server/server.ts';

export interface Pki {
  readonly dir: string;
  readonly caCrt: string;
  readonly serverCrt: string;
  readonly serverKey: string;
  readonly adminCrt: string;
  readonly adminKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A P-256 key `<name>.key` and a certificate `<name>.crt` for `subj` with the extensions `ext`, signed
 * by the CA (`<ca>.crt`/`<ca>.key`, by default `ca`) in `dir`.
 */
export function issueFromCa(
  dir: string,
  name: string,
  subj: string,
  ext: string,
  /** The CA's base name in `dir`. */
  ca = 'ca',
): { crt: string; key: string } {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subj, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
  return { crt: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** A CA, a serving cert for 127.0.0.1/localhost and a client cert; keys stay in the temp dir. */
/** kubeadm's front-proxy PKI in `dir`: its own CA (ca.crt) and front-proxy-client.{crt,key}, for the aggregator. */
export function makeFrontProxyPki(dir: string): string {
  mkdirSync(dir, { recursive: true });
  makePki(dir, { cn: 'unused', orgs: [] }, '/CN=front-proxy-ca');
  issueFromCa(
    dir,
    'front-proxy-client',
    '/CN=front-proxy-client',
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n',
  );
  return dir;
}

export function makePki(
  dir: string,
  client: { cn: string; orgs: string[]; eku?: string } = { cn: 'kubernetes-admin', orgs: ['kubeadm:cluster-admins'] },
  caSubject = '/CN=kubernetes',
): Pki {
  const p = (f: string) => join(dir, f);
  const key = (f: string) =>
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f], dir);
  key('ca.key');
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      caSubject,
      '-days',
      '2',
      '-out',
      'ca.crt',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const issue = (name: string, subj: string, ext: string) => issueFromCa(dir, name, subj, ext);
  issue(
    'apiserver',
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n',
  );
  const subj = `/${client.cn ? `CN=${client.cn}` : 'C=ZZ'}${client.orgs.map((o) => `/O=${o}`).join('')}`;
  issue('admin', subj, `extendedKeyUsage=${client.eku ?? 'clientAuth'}\nkeyUsage=critical,digitalSignature\n`);
  return {
    dir,
    caCrt: p('ca.crt'),
    serverCrt: p('apiserver.crt'),
    serverKey: p('apiserver.key'),
    adminCrt: p('admin.crt'),
    adminKey: p('admin.key'),
  };
}

export interface Fixture {
  readonly dir: string;
  readonly pki: Pki;
  readonly server: RunningApiServer;
  readonly url: string;
  readonly kubeconfig: string;
  /** Every log line the apiserver wrote, as text. */
  readonly logs: string[];
  close(): Promise<void>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mkube-${prefix}-`));
}

export function serverArgs(pki: Pki, dataDir: string, extra: string[] = []): string[] {
  return [
    '--secure-port=0',
    '--bind-address=127.0.0.1',
    `--tls-cert-file=${pki.serverCrt}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCrt}`,
    `--data-dir=${dataDir}`,
    // As Kubernetes' integration test servers (and kubeadm) run: privileged pods allowed unless a test says not.
    '--allow-privileged=true',
    ...withoutServiceAccountAdmission(extra),
  ];
}

/**
 * `extra`, with ServiceAccount admission off unless it names the plugin or gives an empty
 * `--disable-admission-plugins=` (the default set): as upstream's integration tests run their apiservers
 * (`--disable-admission-plugins=ServiceAccount`), since no controller-manager makes the namespaces'
 * `default` accounts that the plugin requires of every pod.
 */
export function withoutServiceAccountAdmission(extra: readonly string[]): string[] {
  const decides = extra.some(
    (a) =>
      a === '--disable-admission-plugins=' ||
      (/^--(enable|disable)-admission-plugins=/.test(a) &&
        a
          .slice(a.indexOf('=') + 1)
          .split(',')
          .includes('ServiceAccount')),
  );
  return decides ? [...extra] : [...extra, '--disable-admission-plugins=ServiceAccount'];
}

export function writeKubeconfig(file: string, url: string, pki: Pki): void {
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: mkube',
      '  cluster:',
      `    server: ${url}`,
      `    certificate-authority: ${pki.caCrt}`,
      'users:',
      '- name: admin',
      '  user:',
      `    client-certificate: ${pki.adminCrt}`,
      `    client-key: ${pki.adminKey}`,
      'contexts:',
      '- name: mkube',
      '  context: {cluster: mkube, user: admin}',
      'current-context: mkube',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}

/** The configuration the apiserver would start with, given the fixture's flags and `extra` (throws ConfigError). */
export function loadConfig(pki: Pki, dataDir: string, extra: string[]): ApiServerConfig {
  const p = parseFlags(APISERVER_FLAGS, serverArgs(pki, dataDir, extra));
  return loadApiServerConfig(p.flags, p.given);
}

/** The start-up error `load` gives (its message names the flags); fails the test when it loads. */
export function configError(load: () => unknown): string {
  try {
    load();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

/** Extra apiserver flags, or a function making them once the PKI exists (flags naming files it issues). */
export type ExtraArgs = string[] | ((pki: Pki) => string[]);

export async function startFixture(
  extraArgs: ExtraArgs = [],
  startOptions: Omit<StartOptions, 'log'> = {},
): Promise<Fixture> {
  const dir = tempDir('apiserver');
  const pki = makePki(dir);
  const extra = typeof extraArgs === 'function' ? extraArgs(pki) : extraArgs;
  const parsed = parseFlags(APISERVER_FLAGS, serverArgs(pki, join(dir, 'data'), extra));
  const config = loadApiServerConfig(parsed.flags, parsed.given);
  const logs: string[] = [];
  const log = createLogger({ name: 'kube-apiserver', destination: { write: (s: string) => logs.push(s) } as never });
  const server = await startApiServer(config, { log, drainTimeoutMs: 3000, ...startOptions });
  const url = `https://127.0.0.1:${server.port}`;
  const kubeconfig = join(dir, 'admin.conf');
  writeKubeconfig(kubeconfig, url, pki);
  return {
    dir,
    pki,
    server,
    url,
    kubeconfig,
    logs,
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CurlResult {
  readonly status: number;
  readonly code: number;
  readonly body: string;
  readonly httpVersion: string;
  readonly stderr: string;
}

interface Proc {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a binary without blocking the event loop (the server under test shares this process). */
export function run(
  bin: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Proc> {
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 20_000,
        env: opts.env ?? process.env,
      },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ status, stdout: stdout ?? '', stderr: stderr ?? '' });
      },
    );
  });
}

/** Real curl with the admin client cert; `-w` appends the status code and HTTP version. */
export async function curl(
  f: Pick<Fixture, 'url' | 'pki'>,
  path: string,
  args: string[] = [],
  cert = true,
): Promise<CurlResult> {
  const r = await run('curl', [
    '-sS',
    '--max-time',
    '10',
    '--cacert',
    f.pki.caCrt,
    ...(cert ? ['--cert', f.pki.adminCrt, '--key', f.pki.adminKey] : []),
    '-w',
    '\n%{http_code} %{http_version}',
    ...args,
    `${f.url}${path}`,
  ]);
  const out = r.stdout ?? '';
  const nl = out.lastIndexOf('\n');
  const [code = '0', httpVersion = ''] = out.slice(nl + 1).split(' ');
  return { status: r.status, code: Number(code), body: out.slice(0, nl), httpVersion, stderr: r.stderr ?? '' };
}

/** curl POSTing `body` as JSON (the admin's client certificate, unless `f` carries another). */
export function curlPost(f: Pick<Fixture, 'url' | 'pki'>, path: string, body: unknown): Promise<CurlResult> {
  return curl(f, path, ['-X', 'POST', '-H', 'Content-Type: application/json', '-d', JSON.stringify(body)]);
}

/** The versioned kubectl binaries (`kubectl.1.27` …) sit beside the one `kubectl` on PATH resolves to. */
export function kubectlBinary(minor: number): string {
  const onPath = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
  return join(dirname(realpathSync(onPath)), `kubectl.1.${minor}`);
}

/** kubectl (a versioned binary if given) against the fixture, with an empty discovery cache. */
export async function kubectl(f: Pick<Fixture, 'kubeconfig' | 'dir'>, args: string[], bin = 'kubectl') {
  const r = await run(
    bin,
    [`--kubeconfig=${f.kubeconfig}`, `--cache-dir=${join(f.dir, `cache-${bin.replace(/\W/g, '_')}`)}`, ...args],
    {
      env: { ...process.env, KUBECONFIG: '', HOME: f.dir },
    },
  );
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** A client certificate for `commonName`/`organizations` from the fixture's CA, and a kubeconfig using it. */
export async function issueClient(
  f: Pick<Fixture, 'dir' | 'pki' | 'url'>,
  commonName: string,
  organizations: string[] = [],
  /** The issuer; the fixture's cluster CA by default. */
  issuer?: import('@mkube/shared/pki').CertificateAuthority,
): Promise<{ kubeconfig: string; dir: string; crt: string; key: string }> {
  const { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } = await import('@mkube/shared/pki');
  const ca = issuer ?? CertificateAuthority.fromPem(readFileSync(f.pki.caCrt), readFileSync(join(f.dir, 'ca.key')));
  const key = await generateKeyPair();
  const cert = ca.issue({
    subject: { commonName, organizations },
    publicKey: key.publicKey,
    usages: ['digital signature', 'client auth'],
    ttlMs: 3600_000,
  });
  const base = join(f.dir, commonName.replace(/[^a-z0-9-]/gi, '_'));
  writeFileSync(`${base}.crt`, cert.pem);
  writeFileSync(`${base}.key`, encodePrivateKeyPem(key), { mode: 0o600 });
  writeKubeconfig(`${base}.conf`, f.url, { ...f.pki, adminCrt: `${base}.crt`, adminKey: `${base}.key` });
  return { kubeconfig: `${base}.conf`, dir: f.dir, crt: `${base}.crt`, key: `${base}.key` };
}

/**
 * A kubeconfig for `fx` with the cluster CA and a bearer token, or no credentials at all (kubectl's
 * --token is then the only one sent): no client certificate, which would win over a token.
 */
export function tokenKubeconfig(fx: Pick<Fixture, 'dir' | 'url' | 'pki'>, name: string, token?: string): string {
  const file = join(fx.dir, `${name}.conf`);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: mkube',
      '  cluster:',
      `    server: ${fx.url}`,
      `    certificate-authority: ${fx.pki.caCrt}`,
      'users:',
      `- name: ${name}`,
      token === undefined ? '  user: {}' : `  user:\n    token: ${token}`,
      'contexts:',
      '- name: mkube',
      `  context: {cluster: mkube, user: ${name}}`,
      'current-context: mkube',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

/** The HTTP status of an anonymous-TLS GET carrying a bearer token (curl, the cluster CA). */
export async function curlToken(fx: Pick<Fixture, 'url' | 'pki'>, token: string, path = '/api'): Promise<string> {
  const r = await run('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--cacert',
    fx.pki.caCrt,
    '-H',
    `Authorization: Bearer ${token}`,
    `${fx.url}${path}`,
  ]);
  return r.stdout;
}

/** Replaces a file as tools that rotate certificates do: a new file renamed over the old one. */
export function replaceFile(file: string, content: string | Buffer): void {
  writeFileSync(`${file}.tmp`, content);
  renameSync(`${file}.tmp`, file);
}

/** Polls `fn` until it returns a value (not undefined) or `ms` pass; bounded in time. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** Polls `check` every 200 ms until it holds; fails the test after `ms`. */
export async function eventually(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

/** curl's exit code and HTTP status for a GET of `url`, trusting `caFile` for the server, with an optional client pair. */
export async function curlStatus(
  url: string,
  caFile: string,
  cert?: { crt: string; key: string },
): Promise<{ exit: number; status: number }> {
  const r = await run('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '--max-time',
    '10',
    '--cacert',
    caFile,
    ...(cert ? ['--cert', cert.crt, '--key', cert.key] : []),
    '-w',
    '%{http_code}',
    url,
  ]);
  return { exit: r.status, status: Number(r.stdout) };
}

/** POSTs a SelfSubjectReview with `token` alone: who the apiserver takes it for. */
export const selfSubjectReview = (fx: Pick<Fixture, 'url' | 'pki'>, token: string) =>
  curl(
    fx,
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-H',
      `Authorization: Bearer ${token}`,
      '-d',
      '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
    ],
    false,
  );

/** An answer of the apiserver as a test reads it: the code, the body (JSON when it is), a Warning. */
export interface AdminReply {
  readonly code: number;
  // biome-ignore lint/suspicious/noExplicitAny: Status bodies and objects are read field by field
  readonly json: any;
  readonly warning?: string;
}

/**
 * An aggregated API server in miniature: HTTPS with its own CA (ca.crt in `dir`, for an APIService's
 * caBundle) and a serving certificate for `service` (`<name>.<namespace>.svc`), trusting only client
 * certificates from the front-proxy CA, as metrics-server or sample-apiserver under kubeadm.
 */
export async function startExtensionServer(
  dir: string,
  frontProxyCA: string,
  service: string,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
): Promise<{ server: HttpsServer; port: number }> {
  mkdirSync(dir, { recursive: true });
  makePki(dir, { cn: 'unused', orgs: [] }, `/CN=${service.split('.')[0]}-ca`);
  issueFromCa(
    dir,
    'serving',
    `/CN=${service}`,
    `subjectAltName=DNS:${service},DNS:${service}.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
  );
  const server = createHttpsServer(
    {
      cert: readFileSync(join(dir, 'serving.crt')),
      key: readFileSync(join(dir, 'serving.key')),
      ca: readFileSync(frontProxyCA),
      requestCert: true,
      rejectUnauthorized: true,
    },
    handler,
  );
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** POSTs as the admin and returns the created object; anything but a 201 fails the test with the body. */
export async function adminCreate(fx: Pick<Fixture, 'url' | 'pki'>, path: string, body: unknown) {
  const r = await adminRequest(fx, 'POST', path, body);
  assert.equal(r.code, 201, JSON.stringify(r.json));
  return r.json;
}

/** A 422 Invalid Status with exactly upstream's message. */
export async function expectInvalid(reply: Promise<AdminReply> | AdminReply, message: string): Promise<void> {
  const { code, json } = await reply;
  assert.equal(code, 422, JSON.stringify(json));
  assert.equal(json.kind, 'Status');
  assert.equal(json.reason, 'Invalid');
  assert.equal(json.message, message);
}

/** One HTTPS request as the fixture's admin (client certificate), a fresh connection each. */
export function adminRequest(
  fx: Pick<Fixture, 'url' | 'pki'>,
  method: string,
  path: string,
  body?: unknown,
  opts: { contentType?: string; accept?: string } = {},
): Promise<AdminReply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const r = httpsRequest(
      new URL(path, fx.url),
      {
        method,
        ca: readFileSync(fx.pki.caCrt),
        cert: readFileSync(fx.pki.adminCrt),
        key: readFileSync(fx.pki.adminKey),
        agent: false,
        headers: {
          ...(data
            ? { 'content-type': opts.contentType ?? 'application/json', 'content-length': Buffer.byteLength(data) }
            : {}),
          ...(opts.accept ? { accept: opts.accept } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const warning = res.headers.warning;
          resolve({
            code: res.statusCode ?? 0,
            json: text.startsWith('{') ? JSON.parse(text) : text,
            ...(typeof warning === 'string' ? { warning } : {}),
          });
        });
      },
    );
    r.on('error', reject);
    r.end(data);
  });
}
