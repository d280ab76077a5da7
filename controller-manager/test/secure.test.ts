// The controller-manager's secure port against a real apiserver: health for anyone, everything
// else authenticated (client certificate, bearer token through a TokenReview, else anonymous) and
// authorized (always-allowed paths, system:masters, else a SubjectAccessReview), with the Status
// bodies kube-controller-manager writes; a self-signed serving certificate kept in --cert-dir.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { gunzipSync } from 'node:zlib';
import type { ConfigMap } from '@mkube/shared/api';
import { parseFlags } from '@mkube/shared/flags';
import { CertificateAuthority } from '@mkube/shared/pki';
import { Profile } from 'pprof-format';
import { issueClient } from '../../apiserver/test/server/fixture.ts';
import { freePort } from '../../e2e/src/harness.ts';
import { CONTROLLER_MANAGER_FLAGS, loadControllerManagerConfig } from '../src/main.ts';
import { healthResponse } from '../src/server/app.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

interface Answer {
  readonly code: number;
  readonly body: string;
}

function get(
  port: number,
  path: string,
  o: { cert?: string; key?: string; token?: string; method?: string; body?: string } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: o.method ?? 'GET',
        rejectUnauthorized: false,
        ...(o.cert ? { cert: readFileSync(o.cert), key: readFileSync(o.key!) } : {}),
        headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

const certOf = (c: { crt: string; key: string }) => ({ cert: readFileSync(c.crt), key: readFileSync(c.key) });
const statusMessage = (a: Answer): string => (JSON.parse(a.body) as { message: string }).message;

describe('controller-manager secure port', () => {
  let cl: Cluster;
  let port: number;
  let certDir: string;
  let reader: { crt: string; key: string };
  let nobody: { crt: string; key: string };
  let master: { crt: string; key: string };

  before(async () => {
    cl = await startCluster();
    reader = await issueClient(cl.fx, 'metrics-reader');
    nobody = await issueClient(cl.fx, 'nobody');
    master = await issueClient(cl.fx, 'breakglass', ['system:masters']);
    await cl.admin.resource({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' }).create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'metrics-reader' },
      rules: [{ nonResourceURLs: ['/metrics', '/configz'], verbs: ['get'] }],
    } as never);
    await cl.admin
      .resource({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings' })
      .create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'metrics-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'metrics-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'metrics-reader' }],
      } as never);
    port = await freePort();
    certDir = join(cl.fx.dir, 'kcm-certs');
    await cl.startKcm([
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      `--cert-dir=${certDir}`,
      `--client-ca-file=${cl.fx.pki.caCrt}`,
      `--authentication-kubeconfig=${cl.kcmKubeconfig}`,
      `--authorization-kubeconfig=${cl.kcmKubeconfig}`,
      '--leader-elect-lease-duration=3s',
      '--leader-elect-renew-deadline=2s',
      '--leader-elect-retry-period=500ms',
    ]);
  });
  after(async () => cl?.close());

  it('answers health to anyone, with its checks when asked', async () => {
    for (const p of ['/healthz', '/livez', '/readyz']) assert.deepEqual(await get(port, p), { code: 200, body: 'ok' });
    // Only the exact paths are always allowed (upstream's defaults); a single check needs authorization.
    assert.equal((await get(port, '/healthz/ping')).code, 403);
    const asMaster = { cert: master.crt, key: master.key };
    assert.deepEqual(await get(port, '/healthz/ping', asMaster), { code: 200, body: 'ok' });
    let verbose: Answer = { code: 0, body: '' };
    for (let i = 0; i < 50 && !/leaderElection ok/.test(verbose.body); i++) {
      verbose = await get(port, '/healthz?verbose');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(verbose.body, '[+]ping ok\n[+]leaderElection ok\nhealthz check passed\n');
    assert.equal((await get(port, '/healthz/nothing', asMaster)).code, 404);
    // The handlers look at no method, and the always-allowed paths are allowed whatever the verb.
    assert.deepEqual(await get(port, '/healthz', { method: 'POST', body: 'x' }), { code: 200, body: 'ok' });
  });

  it('forbids anonymous and unbound users anything else, naming them as upstream', async () => {
    const anon = await get(port, '/metrics');
    assert.equal(anon.code, 403);
    assert.deepEqual(JSON.parse(anon.body), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'forbidden: User "system:anonymous" cannot get path "/metrics"',
      reason: 'Forbidden',
      details: {},
      code: 403,
    });
    const unbound = await get(port, '/metrics', { cert: nobody.crt, key: nobody.key });
    assert.equal(unbound.code, 403);
    assert.match(statusMessage(unbound), /^forbidden: User "nobody" cannot get path "\/metrics"/);
    // Unknown paths are authorized first: 403 for who may not look, 404 for who may.
    assert.equal((await get(port, '/nope')).code, 403);
    assert.equal((await get(port, '/nope', { cert: master.crt, key: master.key })).code, 404);
  });

  it('serves /metrics and /configz to a user RBAC allows (SubjectAccessReview) and to system:masters', async () => {
    // The controllers' queues exist once each controller has its client (its ServiceAccount made).
    const m = await waitFor('the controllers running', async () => {
      const r = await get(port, '/metrics', { cert: reader.crt, key: reader.key });
      return r.code !== 200 || /^workqueue_retries_total\{name="root_ca_cert_publisher"\}/m.test(r.body)
        ? r
        : undefined;
    });
    assert.equal(m.code, 200, m.body);
    assert.match(m.body, /^leader_election_master_status\{name="kube-controller-manager"\} 1$/m);
    assert.match(m.body, /^process_resident_memory_bytes \d+$/m);
    // client-go's exec plugin families, present on every component (no plugin here: no TTL).
    assert.match(m.body, /^rest_client_exec_plugin_ttl_seconds \+Inf$/m);
    assert.match(m.body, /^rest_client_exec_plugin_certificate_rotation_age_count 0$/m);
    // The CSR controllers' queues, with what they handled so far.
    const adds = /^workqueue_adds_total\{name="certificatesigningrequest-signing-controller"\} (\d+)$/m.exec(m.body);
    assert.ok(adds, m.body);
    assert.match(m.body, /^workqueue_depth\{name="certificatesigningrequest-signing-controller"\} \d+$/m);
    assert.match(m.body, /^workqueue_retries_total\{name="root_ca_cert_publisher"\} \d+$/m);
    const c = await get(port, '/configz', { cert: reader.crt, key: reader.key });
    assert.equal(c.code, 200, c.body);
    const cfg = JSON.parse(c.body) as { componentconfig: Record<string, Record<string, unknown>> };
    assert.equal(cfg.componentconfig.CSRSigningController!.ClusterSigningDuration, '8760h0m0s');
    assert.equal((await get(port, '/metrics', { cert: master.crt, key: master.key })).code, 200);
    // Another verb is authorized as itself: the reader may only get; system:masters may post.
    const post = await get(port, '/metrics', { cert: reader.crt, key: reader.key, method: 'POST' });
    assert.match(statusMessage(post), /^forbidden: User "metrics-reader" cannot post path "\/metrics"/);
    const masterPost = await get(port, '/metrics', { cert: master.crt, key: master.key, method: 'POST' });
    assert.equal(masterPost.code, 200);
    assert.match(masterPost.body, /^process_resident_memory_bytes \d+$/m);
  });

  it('checks bearer tokens with a TokenReview: a bad one is 401, a good one is its user', async () => {
    const bad = await get(port, '/metrics', { token: 'abcdef.0123456789abcdef' });
    assert.equal(bad.code, 401);
    assert.equal(statusMessage(bad), 'Unauthorized');
    const token = 'sectok.0123456789abcdef';
    await cl.admin.resource({ group: '', version: 'v1', resource: 'secrets', namespace: 'kube-system' }).create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bootstrap-token-sectok', namespace: 'kube-system' },
      type: 'bootstrap.kubernetes.io/token',
      stringData: {
        'token-id': 'sectok',
        'token-secret': '0123456789abcdef',
        'usage-bootstrap-authentication': 'true',
      },
    } as never);
    const good = await get(port, '/metrics', { token });
    assert.equal(good.code, 403, good.body);
    assert.match(statusMessage(good), /User "system:bootstrap:sectok" cannot get path/);
  });

  it('serves a self-signed localhost certificate kept in --cert-dir (key 0600)', async () => {
    const peer = await new Promise<DetailedPeerCertificate>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate(true));
        s.end();
      });
      s.on('error', reject);
    });
    assert.match(String(peer.subject.CN), /^localhost@\d+$/);
    assert.match(peer.subjectaltname ?? '', /DNS:localhost/);
    assert.match(peer.subjectaltname ?? '', /IP Address:127\.0\.0\.1/);
    assert.match(String(peer.issuer.CN), /^localhost-ca@\d+$/);
    assert.equal(statSync(join(certDir, 'kube-controller-manager.key')).mode & 0o777, 0o600);
    const onDisk = readFileSync(join(certDir, 'kube-controller-manager.crt'), 'utf8');
    assert.ok(onDisk.includes(peer.raw.toString('base64').slice(0, 64)), 'the served certificate is the one on disk');
  });

  it('without --client-ca-file, takes the client CA the apiserver publishes (unless told to skip the lookup)', async () => {
    const cm = await cl.admin
      .resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-system' })
      .get('extension-apiserver-authentication');
    assert.equal(cm.data?.['client-ca-file']?.trim(), readFileSync(cl.fx.pki.caCrt, 'utf8').trim());
    const asMaster = { cert: master.crt, key: master.key };
    const looked = await freePort();
    await cl.startKcm([
      `--secure-port=${looked}`,
      '--bind-address=127.0.0.1',
      `--authentication-kubeconfig=${cl.kcmKubeconfig}`,
      '--leader-elect=false',
    ]);
    assert.deepEqual(await get(looked, '/healthz/ping', asMaster), { code: 200, body: 'ok' });

    // A CA added to the published bundle is trusted once the ConfigMap changes, without a restart.
    const { ca: other, certPem: otherPem } = await CertificateAuthority.createSelfSigned({ commonName: 'other-ca' });
    const issued = await issueClient(cl.fx, 'other-admin', ['system:masters'], other);
    const otherAdmin = { cert: issued.crt, key: issued.key };
    assert.equal((await get(looked, '/metrics', otherAdmin)).code, 401, 'not trusted before the change');
    const cms = cl.admin.resource<ConfigMap>({
      group: '',
      version: 'v1',
      resource: 'configmaps',
      namespace: 'kube-system',
    });
    const published = await cms.get('extension-apiserver-authentication');
    await cms.update({
      ...published,
      data: { ...published.data, 'client-ca-file': `${published.data!['client-ca-file']!.trimEnd()}\n${otherPem}` },
    });
    let seen = 0;
    for (let i = 0; i < 100 && seen !== 200; i++) {
      seen = (await get(looked, '/metrics', otherAdmin)).code;
      if (seen !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(seen, 200, 'trusted after the change');
    assert.equal((await get(looked, '/metrics', asMaster)).code, 200, 'the cluster CA still is');
    await cms.update({ ...(await cms.get('extension-apiserver-authentication')), data: published.data });

    const skipped = await freePort();
    await cl.startKcm([
      `--secure-port=${skipped}`,
      '--bind-address=127.0.0.1',
      `--authentication-kubeconfig=${cl.kcmKubeconfig}`,
      '--authentication-skip-lookup',
      '--leader-elect=false',
    ]);
    const anonymous = await get(skipped, '/healthz/ping', asMaster);
    assert.equal(anonymous.code, 403);
    assert.match(statusMessage(anonymous), /User "system:anonymous"/);
  });

  it('--profiling (on by default): /debug/pprof in pprof’s format, for whom the authorizer allows', async () => {
    const asMaster = { cert: master.crt, key: master.key };
    const heap = await new Promise<Buffer>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/debug/pprof/heap', rejectUnauthorized: false, ...certOf(master) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () =>
            res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
    const p = Profile.decode(gunzipSync(heap));
    assert.deepEqual(
      p.sampleType.map((t) => p.stringTable.strings[Number(t.type)]),
      ['inuse_objects', 'inuse_space'],
    );
    assert.ok(p.sample.length > 0);
    assert.deepEqual(await get(port, '/debug/pprof/goroutine', asMaster), { code: 404, body: 'Unknown profile\n' });
    const reading = await get(port, '/debug/pprof/cmdline', { cert: reader.crt, key: reader.key });
    assert.equal(reading.code, 403);
    assert.match(statusMessage(reading), /User "metrics-reader" cannot get path "\/debug\/pprof\/cmdline"/);
    const load = async (args: string[]) => {
      const f = parseFlags(CONTROLLER_MANAGER_FLAGS, cl.kcmArgs(args));
      return (await loadControllerManagerConfig(f.flags, f.given)).profiling;
    };
    assert.equal(await load([]), true);
    assert.equal(await load(['--profiling=false']), false);
  });

  it('--profiling: /debug/flags/v sets the verbosity (verb put), with upstream’s answers', async () => {
    const asMaster = { cert: master.crt, key: master.key };
    assert.deepEqual(await get(port, '/debug/flags/v', { ...asMaster, method: 'PUT', body: '4' }), {
      code: 200,
      body: 'successfully set klog.logging.verbosity to 4\n',
    });
    assert.deepEqual(await get(port, '/debug/flags/v', { ...asMaster, method: 'PUT', body: '4 ' }), {
      code: 400,
      body: 'failed set klog.logging.verbosity 4 : strconv.ParseInt: parsing "4 ": invalid syntax\n',
    });
    assert.deepEqual(await get(port, '/debug/flags/v', asMaster), { code: 406, body: 'unsupported http method\n' });
    assert.equal((await get(port, '/debug/flags', asMaster)).code, 200);
    const reader403 = await get(port, '/debug/flags/v', {
      cert: reader.crt,
      key: reader.key,
      method: 'PUT',
      body: '9',
    });
    assert.equal(reader403.code, 403);
    assert.match(statusMessage(reader403), /User "metrics-reader" cannot put path "\/debug\/flags\/v"/);
    assert.deepEqual(await get(port, '/debug/flags/v', { ...asMaster, method: 'PUT', body: '0' }), {
      code: 200,
      body: 'successfully set klog.logging.verbosity to 0\n',
    });
  });

  it('a port in use fails the start', async () => {
    await assert.rejects(cl.startKcm([`--secure-port=${port}`, '--bind-address=127.0.0.1']), /EADDRINUSE/);
  });

  it('refuses bad serving flags at start, naming them', async () => {
    const load = (args: string[]) => {
      const p = parseFlags(CONTROLLER_MANAGER_FLAGS, cl.kcmArgs(args));
      return loadControllerManagerConfig(p.flags, p.given);
    };
    await assert.rejects(load(['--secure-port=70000']), /secure-port.*between 0 and 65535/s);
    await assert.rejects(load(['--secure-port=1', '--bind-address=localhost']), /bind-address.*not an IP address/s);
    await assert.rejects(load(['--secure-port=1', `--tls-cert-file=${cl.fx.pki.caCrt}`]), /tls-private-key-file/);
    await assert.rejects(
      load([
        '--secure-port=1',
        `--tls-cert-file=${cl.fx.pki.serverCrt}`,
        `--tls-private-key-file=${cl.fx.pki.adminKey}`,
      ]),
      /does not match/,
    );
    await assert.rejects(
      load(['--secure-port=1', '--authorization-kubeconfig=/nonexistent.conf']),
      /authorization-kubeconfig/,
    );
  });
});

describe('health responses', () => {
  it('a failing check fails the whole endpoint, reason withheld; exclude skips one', () => {
    const checks = [{ name: 'leaderElection', check: () => false }];
    assert.deepEqual(healthResponse('/healthz', new URLSearchParams(), checks), {
      code: 500,
      body: '[+]ping ok\n[-]leaderElection failed: reason withheld\nhealthz check failed\n',
    });
    assert.deepEqual(healthResponse('/readyz', new URLSearchParams('exclude=leaderElection'), checks), {
      code: 200,
      body: 'ok',
    });
    assert.equal(healthResponse('/livez/leaderElection', new URLSearchParams(), checks).code, 500);
    const throwing = [
      {
        name: 'x',
        check: (): boolean => {
          throw new Error('boom');
        },
      },
    ];
    assert.equal(healthResponse('/healthz', new URLSearchParams(), throwing).code, 500);
  });
});
