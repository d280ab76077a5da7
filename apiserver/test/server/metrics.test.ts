// GET /metrics: Prometheus text behind authorization (system:monitoring may read it, anonymous
// may not), counting each request with kube-apiserver's labels, and the security path's metrics:
// authentication attempts, client certificates' remaining lifetime, authorizers' decisions, CSR
// durations honoured.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CertificateSigningRequest } from '@mkube/shared/api';
import { CertificateAuthority, createCsrPem, generateKeyPair } from '@mkube/shared/pki';
import { curl, type Fixture, issueClient, kubectl, startFixture } from './fixture.ts';

const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const line of text.split('\n')) {
    const bare = line.startsWith(`${name} `);
    if (!bare && !line.startsWith(`${name}{`)) continue;
    const body = bare ? '' : line.slice(name.length + 1, line.lastIndexOf('}'));
    const got = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
};

describe('apiserver /metrics', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture((pki) => {
      // A static token, for the token cache's series.
      const tokens = join(pki.dir, 'tokens.csv');
      writeFileSync(tokens, 'cache-me-0123456789,tokenuser,tokenuser-uid\n', { mode: 0o600 });
      return ['--authorization-mode=Node,RBAC', `--token-auth-file=${tokens}`];
    });
  });
  after(async () => {
    await f?.close();
  });

  const metrics = async () => {
    const r = await curl(f, '/metrics');
    assert.equal(r.code, 200, r.body);
    return r.body;
  };

  it('counts requests by verb, resource, scope and code, with latencies and process metrics', async () => {
    assert.equal((await kubectl(f, ['create', 'cm', 'm1', '--from-literal=a=1'])).status, 0);
    assert.equal((await kubectl(f, ['get', 'cm', '-n', 'default'])).status, 0);
    assert.notEqual((await kubectl(f, ['get', 'cm', 'missing'])).status, 0);
    const p = join(f.dir, 'm2.json');
    writeFileSync(p, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm2' } }));
    assert.equal((await kubectl(f, ['apply', '--server-side', '-f', p])).status, 0);
    const r = await kubectl(f, ['get', '--raw', '/metrics']);
    assert.equal(r.status, 0, r.err);
    const cm = { group: '', version: 'v1', resource: 'configmaps', component: 'apiserver' };
    assert.ok(
      (sample(r.out, 'apiserver_request_total', { ...cm, verb: 'POST', scope: 'resource', code: '201' }) ?? 0) >= 1,
    );
    assert.ok(
      (sample(r.out, 'apiserver_request_total', { ...cm, verb: 'LIST', scope: 'namespace', code: '200' }) ?? 0) >= 1,
    );
    assert.ok(
      (sample(r.out, 'apiserver_request_total', { ...cm, verb: 'GET', scope: 'resource', code: '404' }) ?? 0) >= 1,
    );
    assert.ok(
      (sample(r.out, 'apiserver_request_total', { ...cm, verb: 'APPLY', scope: 'resource', code: '201' }) ?? 0) >= 1,
    );
    assert.ok((sample(r.out, 'apiserver_request_duration_seconds_count', { ...cm, verb: 'LIST' }) ?? 0) >= 1);
    assert.match(r.out, /^# TYPE apiserver_request_duration_seconds histogram$/m);
    assert.match(r.out, /^process_cpu_seconds_total \d/m);
    assert.match(r.out, /^process_resident_memory_bytes \d/m);
  });

  it('anonymous is refused; system:monitoring may read it', async () => {
    const anon = await curl(f, '/metrics', [], false);
    assert.equal(anon.code, 403, anon.body);
    assert.match(JSON.parse(anon.body).message, /User "system:anonymous" cannot get path "\/metrics"/);
    const mon = await issueClient(f, 'prometheus', ['system:monitoring']);
    const asMon = await curl(f, '/metrics', ['--cert', mon.crt, '--key', mon.key], false);
    assert.equal(asMon.code, 200, asMon.body);
    assert.match(asMon.body, /^apiserver_request_total\{/m);
    const nobody = await issueClient(f, 'nobody');
    const asNobody = await curl(f, '/metrics', ['--cert', nobody.crt, '--key', nobody.key], false);
    assert.equal(asNobody.code, 403);
  });

  it('counts authentication attempts by result and authenticated users by compressed name', async () => {
    const before = await metrics();
    const bad = await curl(f, '/api', ['-H', 'Authorization: Bearer abcdef.0123456789abcdef'], false);
    assert.equal(bad.code, 401);
    const mail = await issueClient(f, 'jane@example.com');
    assert.equal((await curl(f, '/api', ['--cert', mail.crt, '--key', mail.key], false)).code, 200);
    const anon = await curl(f, '/version', [], false);
    assert.equal(anon.code, 200);
    const now = await metrics();
    const delta = (name: string, labels: Record<string, string>) =>
      (sample(now, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    // A rejected token is an "error" (never anonymous); anonymous and the certificates are successes.
    assert.equal(delta('authentication_attempts', { result: 'error' }), 1);
    assert.ok(delta('authentication_attempts', { result: 'success' }) >= 3);
    assert.equal(delta('authentication_duration_seconds_count', { result: 'error' }), 1);
    assert.equal(delta('authenticated_user_requests', { username: 'email_id' }), 1);
    assert.ok(delta('authenticated_user_requests', { username: 'other' }) >= 2);
    assert.match(now, /^# HELP authentication_attempts \[ALPHA\] Counter of authenticated attempts\.$/m);
  });

  it('counts the token cache: one lookup and a miss, then hits, for a token used three times', async () => {
    const before = await metrics();
    for (let i = 0; i < 3; i++) {
      const r = await curl(f, '/version', ['-H', 'Authorization: Bearer cache-me-0123456789'], false);
      assert.equal(r.code, 200, r.body);
    }
    const now = await metrics();
    const delta = (name: string, labels: Record<string, string>) =>
      (sample(now, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    assert.equal(delta('authentication_token_cache_request_total', { status: 'miss' }), 1);
    assert.equal(delta('authentication_token_cache_request_total', { status: 'hit' }), 2);
    assert.equal(delta('authentication_token_cache_fetch_total', { status: 'ok' }), 1);
    assert.equal(delta('authentication_token_cache_request_duration_seconds_count', { status: 'hit' }), 2);
    assert.equal(sample(now, 'authentication_token_cache_active_fetch_count', { status: 'in_flight' }), 0);
  });

  it("observes the remaining lifetime of each request's client certificate", async () => {
    const before = await metrics();
    const c = await issueClient(f, 'short-lived'); // one hour
    for (let i = 0; i < 3; i++)
      assert.equal((await curl(f, '/version', ['--cert', c.crt, '--key', c.key], false)).code, 200);
    const now = await metrics();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      (sample(now, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    const name = 'apiserver_client_certificate_expiration_seconds';
    assert.ok(delta(`${name}_count`) >= 4, 'the three requests and the scrape'); // the admin's scrape counts too
    // Within an hour: not in the 30-minute bucket, in the 1-hour one.
    assert.equal(delta(`${name}_bucket`, { le: '1800' }), 0);
    assert.equal(delta(`${name}_bucket`, { le: '3600' }), 3);
    assert.match(now, new RegExp(`^${name}_bucket\\{le="31104000"\\} \\d+$`, 'm'));
  });

  it('counts terminal decisions per authorizer, by type and name', async () => {
    const before = await metrics();
    const node = await issueClient(f, 'system:node:metrics-node', ['system:nodes']);
    // The Node authorizer allows a node its own Node; RBAC (system:monitoring) allows /metrics.
    const r = await curl(f, '/api/v1/nodes/metrics-node', ['--cert', node.crt, '--key', node.key], false);
    assert.equal(r.code, 404, r.body);
    const mon = await issueClient(f, 'prometheus2', ['system:monitoring']);
    assert.equal((await curl(f, '/metrics', ['--cert', mon.crt, '--key', mon.key], false)).code, 200);
    const now = await metrics();
    const delta = (labels: Record<string, string>) =>
      (sample(now, 'apiserver_authorization_decisions_total', labels) ?? 0) -
      (sample(before, 'apiserver_authorization_decisions_total', labels) ?? 0);
    assert.equal(delta({ type: 'Node', name: 'node', decision: 'allowed' }), 1);
    assert.ok(delta({ type: 'RBAC', name: 'rbac', decision: 'allowed' }) >= 1);
    // The admin (system:masters) is allowed before any configured authorizer: not counted.
    assert.equal(delta({ type: 'RBAC', name: 'rbac', decision: 'denied' }), 0);
  });

  it('counts the stored objects of each resource', async () => {
    const configmaps = () => sample(text, 'apiserver_storage_objects', { resource: 'configmaps' });
    let text = await metrics();
    const before = configmaps();
    assert.equal(typeof before, 'number', 'every stored resource has a series, zero included');
    for (const n of ['so-1', 'so-2']) assert.equal((await kubectl(f, ['create', 'cm', n])).status, 0);
    text = await metrics();
    assert.equal(configmaps(), before! + 2);
    assert.equal(sample(text, 'apiserver_storage_objects', { resource: 'namespaces' }), 4); // default, kube-*
    assert.ok(
      (sample(text, 'apiserver_storage_objects', { resource: 'clusterroles.rbac.authorization.k8s.io' }) ?? 0) > 10,
    );
    assert.match(text, /^# TYPE apiserver_storage_objects gauge$/m);
  });

  it('counts issued CSRs that asked for a duration, and those whose duration the signer honoured', async () => {
    const ca = CertificateAuthority.fromPem(readFileSync(f.pki.caCrt), readFileSync(join(f.dir, 'ca.key')));
    const put = async (path: string, obj: unknown) => {
      const file = join(f.dir, `put-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(obj));
      const r = await curl(f, path, ['-X', 'PUT', '-H', 'Content-Type: application/json', '--data-binary', `@${file}`]);
      assert.equal(r.code, 200, r.body);
      return JSON.parse(r.body) as CertificateSigningRequest;
    };
    const issue = async (name: string, expirationSeconds: number | undefined, ttlSeconds: number, signer: string) => {
      const key = await generateKeyPair();
      const body = {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name },
        spec: {
          request: Buffer.from(await createCsrPem(key, { commonName: name })).toString('base64'),
          signerName: signer,
          usages: ['digital signature', 'client auth'],
          ...(expirationSeconds !== undefined ? { expirationSeconds } : {}),
        },
      };
      const file = join(f.dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(body));
      const created = await curl(f, '/apis/certificates.k8s.io/v1/certificatesigningrequests', [
        '-H',
        'Content-Type: application/json',
        '--data-binary',
        `@${file}`,
      ]);
      assert.equal(created.code, 201, created.body);
      let csr = JSON.parse(created.body) as CertificateSigningRequest;
      const base = `/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`;
      csr = await put(`${base}/approval`, {
        ...csr,
        status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'test' }] },
      });
      const cert = ca.signCsr(await createCsrPem(key, { commonName: name }), {
        usages: ['digital signature', 'client auth'],
        ttlMs: ttlSeconds * 1000,
      });
      csr = await put(`${base}/status`, {
        ...csr,
        status: { ...csr.status, certificate: Buffer.from(cert.pem).toString('base64') },
      });
      // Writing the same certificate again is not a second issuance.
      await put(`${base}/status`, csr);
    };
    const before = await metrics();
    await issue('dur-honoured', 3600, 3600, 'kubernetes.io/kube-apiserver-client');
    await issue('dur-ignored', 3600, 86400, 'kubernetes.io/kube-apiserver-client');
    await issue('dur-none', undefined, 86400, 'kubernetes.io/kube-apiserver-client');
    await issue('dur-custom', 7200, 7200, 'example.com/custom');
    const now = await metrics();
    const delta = (name: string, signerName: string) =>
      (sample(now, `apiserver_certificates_registry_csr_${name}_duration_total`, { signerName }) ?? 0) -
      (sample(before, `apiserver_certificates_registry_csr_${name}_duration_total`, { signerName }) ?? 0);
    assert.equal(delta('requested', 'kubernetes.io/kube-apiserver-client'), 2);
    assert.equal(delta('honored', 'kubernetes.io/kube-apiserver-client'), 1);
    assert.equal(delta('requested', 'other'), 1);
    assert.equal(delta('honored', 'other'), 1);
  });
});

describe('apiserver /metrics without anonymous access', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture(['--anonymous-auth=false']);
  });
  after(async () => {
    await f?.close();
  });

  it('a request with no credential is a "failure"', async () => {
    assert.equal((await curl(f, '/version', [], false)).code, 401);
    const r = await curl(f, '/metrics');
    assert.equal(r.code, 200, r.body);
    assert.equal(sample(r.body, 'authentication_attempts', { result: 'failure' }), 1);
  });
});
