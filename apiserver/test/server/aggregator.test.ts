// The aggregation layer against a real extension API server (HTTPS, its own CA, trusting only the
// front-proxy CA for its clients, as a kubeadm cluster's metrics-server or sample-apiserver does):
// availability, proxying with X-Remote-* identity, discovery for kubectl, and what must be refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import {
  curl,
  eventually,
  type Fixture,
  issueClient,
  kubectl,
  makeFrontProxyPki,
  run,
  startExtensionServer,
  startFixture,
  tempDir,
} from './fixture.ts';

const GV = '/apis/wardle.example.com/v1alpha1';

/**
 * An address the extension server can listen on that an Endpoints object may name (Kubernetes
 * refuses loopback there): the root end of a veth pair whose other end is in a network namespace
 * this test makes, on a private /30. Undefined, with the reason, where namespaces are not available.
 */
function ownAddress(): { ip: string; cleanup(): void } | string {
  if (process.getuid?.() !== 0) return 'not root: a veth pair needs root';
  const tag = randomBytes(3).toString('hex');
  const ns = `mkagg-${tag}`;
  const net = `10.254.${randomInt(0, 256)}`;
  const sh = (args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
  const cleanup = () => {
    sh(['netns', 'del', ns]);
    sh(['link', 'del', `mka${tag}`]);
  };
  for (const args of [
    ['netns', 'add', ns],
    ['link', 'add', `mka${tag}`, 'type', 'veth', 'peer', 'name', `mkb${tag}`],
    ['link', 'set', `mkb${tag}`, 'netns', ns],
    ['addr', 'add', `${net}.1/30`, 'dev', `mka${tag}`],
    ['link', 'set', `mka${tag}`, 'up'],
    ['-n', ns, 'addr', 'add', `${net}.2/30`, 'dev', `mkb${tag}`],
    ['-n', ns, 'link', 'set', `mkb${tag}`, 'up'],
  ]) {
    const r = sh(args);
    if (r.status !== 0) {
      cleanup();
      return `ip ${args.join(' ')}: ${r.stderr.trim() || r.error?.message}`;
    }
  }
  return { ip: `${net}.1`, cleanup };
}
const address = ownAddress();

interface Seen {
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly clientCN: string;
}

/** `kubectl apply` of an object written as JSON into `dir`; any failure fails the test. */
async function applyJson(fx: Fixture, dir: string, obj: unknown): Promise<void> {
  const file = join(dir, `apply-${Date.now()}-${Math.random()}.json`);
  writeFileSync(file, JSON.stringify(obj));
  const r = await kubectl(fx, ['apply', '-f', file]);
  assert.equal(r.status, 0, r.err);
}

/** The wardle APIService's Available condition, as stored. */
async function availableCondition(fx: Fixture) {
  const r = await curl(fx, '/apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.wardle.example.com');
  return JSON.parse(r.body).status?.conditions?.find((c: { type: string }) => c.type === 'Available');
}

/** sample-apiserver in miniature: flunders, whoever X-Remote-User says (it trusts only the front proxy). */
async function startWardle(
  dir: string,
  frontProxyCA: string,
  ip: string,
): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const { server, port } = await startExtensionServer(
    dir,
    frontProxyCA,
    'api.wardle-system.svc',
    (req, res) => {
      const cn = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
      seen.push({ path: req.url ?? '', method: req.method ?? '', headers: { ...req.headers }, clientCN: cn });
      const json = (code: number, v: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (cn !== 'front-proxy-client') return json(401, { kind: 'Status', status: 'Failure', code: 401 });
      const path = (req.url ?? '').split('?')[0];
      const flunder = {
        apiVersion: 'wardle.example.com/v1alpha1',
        kind: 'Flunder',
        metadata: { name: 'f1', namespace: 'default', creationTimestamp: '2026-12-05T00:00:00Z' },
        spec: { reference: String(req.headers['x-remote-user'] ?? '') },
      };
      if (path === GV) {
        return json(200, {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: 'wardle.example.com/v1alpha1',
          resources: [
            {
              name: 'flunders',
              singularName: 'flunder',
              namespaced: true,
              kind: 'Flunder',
              verbs: ['get', 'list', 'watch', 'create'],
              shortNames: ['fl'],
            },
            { name: 'flunders/status', singularName: '', namespaced: true, kind: 'Flunder', verbs: ['get'] },
          ],
        });
      }
      if (path === `${GV}/namespaces/default/flunders` && (req.url ?? '').includes('watch=true')) {
        // A watch: one event now, the stream held open until the client goes.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`${JSON.stringify({ type: 'ADDED', object: flunder })}\n`);
        return;
      }
      if (path === `${GV}/namespaces/default/flunders`) {
        return json(200, {
          apiVersion: 'wardle.example.com/v1alpha1',
          kind: 'FlunderList',
          metadata: { resourceVersion: '7' },
          items: [flunder],
        });
      }
      return json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    },
    ip,
  );
  return { server, port, seen };
}

describe('the aggregation layer (APIService → Service → extension apiserver)', {
  skip: typeof address === 'string' ? address : false,
}, () => {
  const ip = typeof address === 'string' ? '' : address.ip;
  let fx: Fixture;
  let dir = '';
  let wardle: Awaited<ReturnType<typeof startWardle>>;
  let caBundle = '';

  const apiService = (extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: 'v1alpha1.wardle.example.com' },
    spec: {
      group: 'wardle.example.com',
      version: 'v1alpha1',
      service: { namespace: 'wardle-system', name: 'api', port: 443 },
      caBundle,
      groupPriorityMinimum: 1000,
      versionPriority: 15,
      ...extra,
    },
  });
  const apply = (obj: unknown) => applyJson(fx, dir, obj);
  const condition = () => availableCondition(fx);
  const untilCondition = async (reason: string) => {
    await eventually(`Available reason ${reason}`, async () => (await condition())?.reason === reason).catch(
      async (e) => {
        throw new Error(`${(e as Error).message}; the condition is ${JSON.stringify(await condition())}`);
      },
    );
    return condition();
  };

  before(async () => {
    dir = tempDir('aggregator');
    // kubeadm's front-proxy PKI: its own CA, and front-proxy-client for the apiserver to present.
    const fp = makeFrontProxyPki(join(dir, 'fp'));
    wardle = await startWardle(join(dir, 'wardle'), join(fp, 'ca.crt'), ip);
    caBundle = readFileSync(join(dir, 'wardle', 'ca.crt')).toString('base64');
    // A bearer token for a cluster admin: the proxy must not pass it on.
    writeFileSync(join(dir, 'tokens.csv'), 'secret-token-of-tina,tina,u-tina,system:masters\n');
    fx = await startFixture([
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=Node,RBAC',
      `--requestheader-client-ca-file=${join(fp, 'ca.crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${join(fp, 'front-proxy-client.crt')}`,
      `--proxy-client-key-file=${join(fp, 'front-proxy-client.key')}`,
      '--enable-aggregator-routing=true',
    ]);
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wardle-system' } });
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'wardle-system' },
      spec: { ports: [{ port: 443, protocol: 'TCP' }] },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'api', namespace: 'wardle-system' },
      subsets: [{ addresses: [{ ip }], ports: [{ port: wardle.port, protocol: 'TCP' }] }],
    });
    await apply(apiService());
  });
  after(async () => {
    await fx?.close();
    await new Promise((r) => wardle?.server.close(r));
    wardle?.server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
    if (typeof address !== 'string') address.cleanup();
  });

  it('marks the APIService Available once its server answers discovery, as system:kube-aggregator', async () => {
    const c = await untilCondition('Passed');
    assert.equal(c.status, 'True');
    assert.equal(c.message, 'all checks passed');
    const check = wardle.seen.find((s) => s.path === GV && s.headers['x-remote-user'] === 'system:kube-aggregator');
    assert.ok(check, 'the discovery check reached the server');
    assert.equal(check.clientCN, 'front-proxy-client', 'with --proxy-client-cert-file');
    assert.equal(check.headers['x-remote-group'], 'system:masters');
    const r = await kubectl(fx, ['get', 'apiservice', 'v1alpha1.wardle.example.com']);
    assert.match(r.out, /v1alpha1\.wardle\.example\.com\s+wardle-system\/api\s+True/);
  });

  it('proxies kubectl to the server as the authenticated user, without the client credentials', async () => {
    await untilCondition('Passed');
    const before = wardle.seen.length;
    // kubectl finds flunders by aggregated discovery, then lists them through the apiserver.
    await eventually('flunders in discovery', async () =>
      (await kubectl(fx, ['api-resources'])).out.includes('flunders'),
    );
    const r = await kubectl(fx, ['get', 'flunders', '-n', 'default', '-o', 'json']);
    assert.equal(r.status, 0, r.err);
    const list = JSON.parse(r.out);
    assert.equal(list.items[0].metadata.name, 'f1');
    assert.equal(list.items[0].spec.reference, 'kubernetes-admin', 'the server saw the user from X-Remote-User');
    const got = wardle.seen.slice(before).find((s) => s.path.startsWith(`${GV}/namespaces/default/flunders`));
    assert.ok(got);
    assert.equal(got.clientCN, 'front-proxy-client');
    assert.equal(got.headers['x-remote-user'], 'kubernetes-admin');
    assert.deepEqual(String(got.headers['x-remote-group']).split(', '), [
      'kubeadm:cluster-admins',
      'system:authenticated',
    ]);
    assert.equal(got.headers.authorization, undefined);
    const short = await kubectl(fx, ['get', 'fl', '-n', 'default']);
    assert.equal(short.status, 0, short.err);
    assert.match(short.out, /^f1\s/m, 'the short name from discovery');
  });

  it('lists the group in legacy discovery and answers /apis/<group> from the APIServices', async () => {
    const apis = JSON.parse((await curl(fx, '/apis')).body);
    const g = apis.groups.find((x: { name: string }) => x.name === 'wardle.example.com');
    assert.deepEqual(g.preferredVersion, { groupVersion: 'wardle.example.com/v1alpha1', version: 'v1alpha1' });
    assert.equal(apis.groups.at(-1).name, 'wardle.example.com', 'after the built-in groups (lower priority)');
    const group = JSON.parse((await curl(fx, '/apis/wardle.example.com')).body);
    assert.equal(group.kind, 'APIGroup');
    assert.equal(group.versions[0].version, 'v1alpha1');
    const res = JSON.parse((await curl(fx, GV)).body);
    assert.equal(res.kind, 'APIResourceList', '/apis/<g>/<v> comes from the server');
  });

  it('streams a watch from the server', async () => {
    const r = await curl(fx, `${GV}/namespaces/default/flunders?watch=true`, ['-N', '--max-time', '2']);
    assert.match(r.body, /"type":"ADDED"/);
  });

  it("never passes on the client's bearer token", async () => {
    const before = wardle.seen.length;
    const r = await run('curl', [
      '-sS',
      '--cacert',
      fx.pki.caCrt,
      '-H',
      'Authorization: Bearer secret-token-of-tina',
      `${fx.url}${GV}/namespaces/default/flunders`,
    ]);
    assert.equal(JSON.parse(r.stdout).items[0].spec.reference, 'tina');
    const got = wardle.seen.slice(before).find((s) => s.path.includes('/flunders'));
    assert.ok(got);
    assert.equal(got.headers['x-remote-user'], 'tina');
    assert.equal(got.headers['x-remote-uid'], 'u-tina');
    assert.equal(got.headers.authorization, undefined);
  });

  it('replaces X-Remote-* and drops Impersonate-* headers a client sends', async () => {
    const before = wardle.seen.length;
    const r = await curl(fx, `${GV}/namespaces/default/flunders`, [
      '-H',
      'X-Remote-User: mallory',
      '-H',
      'X-Remote-Group: system:masters',
      '-H',
      'X-Remote-Extra-Scopes: all',
    ]);
    assert.equal(r.code, 200, r.body);
    const got = wardle.seen.slice(before).find((s) => s.path.includes('/flunders'));
    assert.ok(got);
    assert.equal(got.headers['x-remote-user'], 'kubernetes-admin');
    assert.ok(!String(got.headers['x-remote-group']).includes('system:masters'));
    assert.equal(got.headers['x-remote-extra-scopes'], undefined);
  });

  it('authorizes before proxying: a user RBAC does not allow is refused and the server never hears of it', async () => {
    const nobody = await issueClient(fx, 'nobody');
    const before = wardle.seen.length;
    const r = await curl(
      { url: fx.url, pki: { ...fx.pki, adminCrt: nobody.crt, adminKey: nobody.key } },
      `${GV}/namespaces/default/flunders`,
    );
    assert.equal(r.code, 403);
    const s = JSON.parse(r.body);
    assert.equal(s.reason, 'Forbidden');
    assert.equal(
      s.message,
      'flunders.wardle.example.com is forbidden: User "nobody" cannot list resource "flunders" in API group "wardle.example.com" in the namespace "default"',
    );
    assert.equal(wardle.seen.length, before, 'nothing reached the extension server');
  });

  it('refuses a server whose certificate the caBundle does not sign (503 naming the x509 error)', async () => {
    await apply(apiService({ caBundle: readFileSync(fx.pki.caCrt).toString('base64') }));
    await eventually('the new caBundle in use', async () => {
      const r = await curl(fx, `${GV}/namespaces/default/flunders`);
      return r.code === 503;
    });
    const r = await curl(fx, `${GV}/namespaces/default/flunders`);
    assert.equal(r.body, 'tls: failed to verify certificate: x509: certificate signed by unknown authority\n');
    const k = await kubectl(fx, ['get', '--raw', `${GV}/namespaces/default/flunders`]);
    assert.notEqual(k.status, 0);
    assert.match(k.err, /ServiceUnavailable|unable to handle the request/);
    await apply(apiService());
    await eventually('trusted again', async () => (await curl(fx, `${GV}/namespaces/default/flunders`)).code === 200);
  });

  it('says why an APIService is unavailable, and answers 503 "service unavailable" meanwhile', async () => {
    const del = await kubectl(fx, ['delete', 'service', 'api', '-n', 'wardle-system']);
    assert.equal(del.status, 0, del.err);
    const c = await untilCondition('ServiceNotFound');
    assert.equal(c.status, 'False');
    assert.equal(c.message, 'service/api in "wardle-system" is not present');
    const r = await curl(fx, `${GV}/namespaces/default/flunders`);
    assert.equal(r.code, 503);
    assert.equal(r.body, 'service unavailable\n', "a plain-text line, as Go's http.Error");
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'wardle-system' },
      spec: { ports: [{ port: 8443, protocol: 'TCP' }] },
    });
    const p = await untilCondition('ServicePortError');
    assert.equal(p.message, 'service/api in "wardle-system" is not listening on port 443');
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'wardle-system' },
      spec: { ports: [{ port: 443, protocol: 'TCP' }] },
    });
    await untilCondition('Passed');
  });

  it('fails the discovery check of a server that does not answer', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'api', namespace: 'wardle-system' },
      subsets: [{ addresses: [{ ip }], ports: [{ port: 1, protocol: 'TCP' }] }],
    });
    const c = await untilCondition('FailedDiscoveryCheck');
    assert.equal(
      c.message,
      `failing or missing response from https://${ip}:1${GV}: Get "https://${ip}:1${GV}": dial tcp ${ip}:1: connect: connection refused`,
    );
    const r = await curl(fx, `${GV}/namespaces/default/flunders`);
    assert.equal(r.code, 503);
  });
});

// Without --enable-aggregator-routing (kube-apiserver's default), an ExternalName Service is dialled at
// its name, as upstream's ResolveCluster: how a server on loopback, which no Endpoints object may name,
// serves an APIService (mkube up's metrics-server). With routing on, upstream refuses the type.
describe('the aggregation layer through an ExternalName Service', () => {
  let fx: Fixture;
  let dir = '';
  let wardle: Awaited<ReturnType<typeof startWardle>>;
  const apply = (obj: unknown) => applyJson(fx, dir, obj);
  const condition = () => availableCondition(fx);

  before(async () => {
    dir = tempDir('aggregator-externalname');
    const fp = makeFrontProxyPki(join(dir, 'fp'));
    wardle = await startWardle(join(dir, 'wardle'), join(fp, 'ca.crt'), '127.0.0.1');
    fx = await startFixture([
      '--authorization-mode=Node,RBAC',
      `--requestheader-client-ca-file=${join(fp, 'ca.crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      `--proxy-client-cert-file=${join(fp, 'front-proxy-client.crt')}`,
      `--proxy-client-key-file=${join(fp, 'front-proxy-client.key')}`,
    ]);
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wardle-system' } });
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'wardle-system' },
      spec: { type: 'ExternalName', externalName: 'localhost' },
    });
    await apply({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1alpha1.wardle.example.com' },
      spec: {
        group: 'wardle.example.com',
        version: 'v1alpha1',
        service: { namespace: 'wardle-system', name: 'api', port: wardle.port },
        caBundle: readFileSync(join(dir, 'wardle', 'ca.crt')).toString('base64'),
        groupPriorityMinimum: 1000,
        versionPriority: 15,
      },
    });
  });
  after(async () => {
    await fx?.close();
    await new Promise((r) => wardle?.server.close(r));
    wardle?.server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  });

  it('dials the external name at the APIService port, verifying the server as <service>.<namespace>.svc', async () => {
    await eventually('Available', async () => (await condition())?.reason === 'Passed');
    const r = await kubectl(fx, ['get', 'flunders', '-n', 'default', '-o', 'json']);
    assert.equal(r.status, 0, r.err);
    assert.equal(JSON.parse(r.out).items[0].spec.reference, 'kubernetes-admin');
    const seen = wardle.seen.at(-1)!;
    assert.equal(seen.clientCN, 'front-proxy-client');
  });

  it('reports a missing ExternalName target as a failed discovery check, and 503 on requests', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'wardle-system' },
      spec: { type: 'ExternalName', externalName: 'no-such-host.invalid' },
    });
    await eventually('FailedDiscoveryCheck', async () => (await condition())?.reason === 'FailedDiscoveryCheck');
    assert.match((await condition()).message, /no-such-host\.invalid/);
    assert.equal((await curl(fx, `${GV}/namespaces/default/flunders`)).code, 503);
  });
});
