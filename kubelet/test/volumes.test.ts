// Pod volumes and API-sourced env on the process runtime, end to end: a real apiserver (Node,RBAC,
// NodeRestriction, ServiceAccount admission, token signing), controller-manager and kubelet. The
// kubelet reads Secrets, ConfigMaps and bound tokens with its own node identity; the pod sees them
// as files under its mount paths and as env; nothing stays on disk after the pod is gone.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap, Pod, Secret } from '@mkube/shared/api';
import { curl, issueClient } from '../../apiserver/test/server/fixture.ts';
import { tokenNeedsRefresh } from '../src/runtime/volumes.ts';
import { type NodeCluster, startNodeCluster, type TestKubelet, until } from './fixture.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

describe('pod volumes and env from the API (process runtime)', () => {
  let c: NodeCluster;
  let k: TestKubelet;
  const NODE = 'node-vol';
  before(async () => {
    c = await startNodeCluster({
      kcmArgs: ['--leader-elect=false'],
      apiserverArgs: (pki) => {
        const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
        writeFileSync(join(pki.dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
        writeFileSync(join(pki.dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
        return [
          '--enable-admission-plugins=NodeRestriction,ServiceAccount',
          `--service-account-key-file=${join(pki.dir, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(pki.dir, 'sa.key')}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        ];
      },
    });
    k = await c.startKubelet(NODE);
    await k.kubelet.ready;
    const ns = 'default';
    await c.admin.resource<Secret>({ group: '', version: 'v1', resource: 'secrets', namespace: ns }).create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app-secret' },
      data: { password: b64('s3cret') },
    });
    await c.admin
      .resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: ns })
      .create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config' }, data: { mode: 'prod' } });
    // The default account and the CA ConfigMap come from the controller-manager.
    await until('the default service account', async () =>
      c.admin
        .resource({ group: '', version: 'v1', resource: 'serviceaccounts', namespace: ns })
        .get('default')
        .then(
          () => true,
          () => undefined,
        ),
    );
  });
  after(async () => {
    await c?.close();
  });

  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const podDir = (p: Pod) => join(k.rootDir, 'pods', `default_${p.metadata.name}_${p.metadata.uid}`);
  const logOf = (p: Pod) => {
    try {
      // CRI log lines: <time> <stream> <tag> <text>.
      return readFileSync(join(podDir(p), 'app', '0.log'), 'utf8')
        .split('\n')
        .map((l) => l.split(' ').slice(3).join(' '))
        .join('\n');
    } catch {
      return '';
    }
  };

  it('mounts a Secret, a ConfigMap and a bound token; resolves env; the token is bound to the pod', async () => {
    const created = await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'vol' },
      spec: {
        nodeName: NODE,
        restartPolicy: 'Never',
        volumes: [
          { name: 'secret', secret: { secretName: 'app-secret' } },
          { name: 'config', configMap: { name: 'app-config' } },
          {
            name: 'vault',
            projected: {
              sources: [{ serviceAccountToken: { audience: 'vault', path: 'token', expirationSeconds: 600 } }],
            },
          },
        ],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: [
              'sh',
              '-c',
              'echo "env pw=$PW mode=$MODE node=$NODE_NAME"; echo "file pw=$(cat etc/secret/password) mode=$(cat etc/config/mode)"; echo "token=$(cat var/run/secrets/vault/token)"; echo "sa=$(cat var/run/secrets/kubernetes.io/serviceaccount/namespace)"; ls var/run/secrets/kubernetes.io/serviceaccount',
            ],
            env: [
              { name: 'PW', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'mode' } } },
              { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            ],
            volumeMounts: [
              { name: 'secret', mountPath: '/etc/secret', readOnly: true },
              { name: 'config', mountPath: '/etc/config' },
              { name: 'vault', mountPath: '/var/run/secrets/vault' },
            ],
          },
        ],
      },
    });
    // ServiceAccount admission added upstream's kube-api-access volume and mount.
    const api = created.spec!.volumes!.find((v) => v.name.startsWith('kube-api-access-'));
    assert.ok(api, JSON.stringify(created.spec!.volumes));
    assert.ok(
      created.spec!.containers[0]!.volumeMounts!.some(
        (m) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount',
      ),
    );
    const log = await until('the pod output', async () =>
      /\nsa=default\n[\s\S]*token\n/.test(logOf(created)) ? logOf(created) : undefined,
    );
    assert.match(log, /env pw=s3cret mode=prod node=node-vol/);
    assert.match(log, /file pw=s3cret mode=prod/);
    assert.match(log, /ca\.crt[\s\S]*namespace[\s\S]*token/);
    const token = /token=(\S+)/.exec(log)![1]!;
    const claims = claimsOf(token);
    assert.deepEqual(claims.aud, ['vault']);
    assert.equal(claims.sub, 'system:serviceaccount:default:default');
    assert.equal(claims['kubernetes.io'].pod.name, 'vol');
    assert.equal(claims['kubernetes.io'].pod.uid, created.metadata.uid);
    assert.ok(claims.exp - claims.iat <= 600 + 1);
    // The projected files are written atomically: entries are links through ..data.
    const names = readdirSync(join(podDir(created), 'volumes', 'secret'));
    assert.ok(names.includes('..data') && names.includes('password'), names.join(','));
    // Deleting the pod removes its volumes from the node.
    await pods().delete('vol', { gracePeriodSeconds: 0 });
    await until('volumes removed', async () => (existsSync(join(podDir(created), 'volumes')) ? undefined : true));
  });

  it('waits with upstream reasons for a missing Secret or key, and starts once it exists', async () => {
    const p = await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'late' },
      spec: {
        nodeName: NODE,
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        volumes: [{ name: 'later', secret: { secretName: 'later' } }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sh', '-c', 'cat etc/later/v'],
            volumeMounts: [{ name: 'later', mountPath: '/etc/later' }],
          },
        ],
      },
    });
    assert.equal(p.spec!.volumes!.length, 1, 'automountServiceAccountToken: false adds no token volume');
    const waiting = await until('ContainerCreating', async () => {
      const s = (await pods().get('late')).status?.containerStatuses?.[0]?.state?.waiting;
      return s?.reason === 'ContainerCreating' && s.message ? s.message : undefined;
    });
    assert.equal(waiting, 'MountVolume.SetUp failed for volume "later" : secret "later" not found');
    await c.admin
      .resource<Secret>({ group: '', version: 'v1', resource: 'secrets', namespace: 'default' })
      .create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'later' }, data: { v: b64('arrived') } });
    await until('the pod ran', async () => (/arrived/.test(logOf(p)) ? true : undefined));

    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nokey' },
      spec: {
        nodeName: NODE,
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['true'],
            env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'nope' } } }],
          },
        ],
      },
    });
    const bad = await until('CreateContainerConfigError', async () => {
      const s = (await pods().get('nokey')).status?.containerStatuses?.[0]?.state?.waiting;
      return s?.reason === 'CreateContainerConfigError' ? s.message : undefined;
    });
    assert.equal(bad, "couldn't find key nope in Secret default/app-secret");
  });

  it('NodeRestriction: a node gets tokens only for its own pods and their audiences', async () => {
    const pod = await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'elsewhere' },
      spec: {
        nodeName: 'other-node',
        automountServiceAccountToken: false,
        containers: [{ name: 'c', image: 'busybox', command: ['true'] }],
      },
    });
    const mine = await pods().get('late');
    const node = await issueClient(c.fx, `system:node:${NODE}`, ['system:nodes']);
    const ask = async (ref: object | undefined, audiences: string[] = []) => {
      const r = await curl(
        { url: c.fx.url, pki: { ...c.fx.pki, adminCrt: node.crt, adminKey: node.key } },
        '/api/v1/namespaces/default/serviceaccounts/default/token',
        [
          '-X',
          'POST',
          '-H',
          'Content-Type: application/json',
          '-d',
          JSON.stringify({
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: { audiences, ...(ref ? { boundObjectRef: ref } : {}) },
          }),
        ],
      );
      return { code: r.code, message: JSON.parse(r.body).message as string | undefined };
    };
    const ref = (p: Pod) => ({ kind: 'Pod', apiVersion: 'v1', name: p.metadata.name, uid: p.metadata.uid });
    assert.deepEqual(await ask(undefined), {
      code: 403,
      message: 'serviceaccounts "default" is forbidden: node requested token not bound to a pod',
    });
    assert.deepEqual(await ask(ref(pod)), {
      code: 403,
      message:
        'serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node',
    });
    assert.equal((await ask(ref(mine))).code, 201, 'its own pod, API audiences');
    assert.deepEqual(await ask(ref(mine), ['attacker.example']), {
      code: 403,
      message: `serviceaccounts "default" is forbidden: audience "attacker.example" not found in pod spec volume, system:node:${NODE} is not authorized to request tokens for this audience`,
    });
  });
});

describe('the token manager refreshes as the kubelet does', () => {
  it('at 80 % of the lifetime, or after 24 h', () => {
    const issuedMs = 0;
    assert.equal(tokenNeedsRefresh({ issuedMs, expiresMs: 1000_000 }, 799_000), false);
    assert.equal(tokenNeedsRefresh({ issuedMs, expiresMs: 1000_000 }, 800_000), true);
    const day = 24 * 3600_000;
    assert.equal(tokenNeedsRefresh({ issuedMs, expiresMs: 7 * day }, day - 1), false);
    assert.equal(tokenNeedsRefresh({ issuedMs, expiresMs: 7 * day }, day + 1), true);
  });
});
