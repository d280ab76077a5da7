// serviceaccount-token-controller against a real apiserver (Node,RBAC; the kcm as
// system:kube-controller-manager) with real kubectl: token Secrets of an existing account get a
// legacy token (checked with jose against the public key, and accepted by the apiserver), the CA and
// the namespace; a token is never replaced; Secrets of a missing or other account are deleted, and
// an account's Secrets go with it. Without --service-account-private-key-file the controller does not
// start; a bad key file stops the start naming the flag and file. The key is made here, at run time.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Secret, ServiceAccount } from '@mkube/shared/api';
import { isNotFound, StatusError } from '@mkube/shared/apierrors';
import { type KubeClient, type KubeObject, Store } from '@mkube/shared/client';
import { ConfigError, parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { kubectl, tempDir, tokenKubeconfig } from '../../apiserver/test/server/fixture.ts';
import type { SharedInformer } from '../src/informers/index.ts';
import {
  CONTROLLER_MANAGER_FLAGS,
  enabledControllers,
  loadControllerManagerConfig,
  type RunningControllerManager,
  startControllerManager,
} from '../src/main.ts';
import { TokensController } from '../src/serviceaccount/tokens.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NAME = 'serviceaccount-token-controller';
const TOKEN_TYPE = 'kubernetes.io/service-account-token';
const NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const UID_ANNOTATION = 'kubernetes.io/service-account.uid';

interface LogLine {
  readonly msg: string;
  readonly controller?: string;
  readonly controllers?: string[];
}

describe(NAME, () => {
  let c: Cluster;
  let keyDir: string;
  let keyFile: string;
  let publicKey: KeyObject;
  let ca: string;
  const kcms: RunningControllerManager[] = [];
  let logs: () => LogLine[];

  /** A controller-manager (no leader election) whose log lines the test reads. */
  async function startKcm(extra: string[]): Promise<() => LogLine[]> {
    const lines: string[] = [];
    const parsed = parseFlags(CONTROLLER_MANAGER_FLAGS, c.kcmArgs(['--leader-elect=false', ...extra]));
    const config = await loadControllerManagerConfig(parsed.flags, parsed.given);
    const log = createLogger({ name: 'kcm', destination: { write: (s: string) => lines.push(s) } as never });
    kcms.push(await startControllerManager(config, { log }));
    return () =>
      lines.flatMap((l) =>
        l
          .split('\n')
          .filter(Boolean)
          .map((x) => JSON.parse(x) as LogLine),
      );
  }
  const started = (read: () => LogLine[]) =>
    waitFor('controllers started', async () => read().find((l) => l.msg === 'caches synced; starting controllers'));

  before(async () => {
    keyDir = tempDir('sa-tokens');
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keyFile = join(keyDir, 'sa.key');
    writeFileSync(keyFile, pair.privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(keyDir, 'sa.pub'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    publicKey = pair.publicKey;
    c = await startCluster([
      `--service-account-key-file=${join(keyDir, 'sa.pub')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    ]);
    ca = readFileSync(c.fx.pki.caCrt, 'utf8');
    logs = await startKcm([`--service-account-private-key-file=${keyFile}`]);
  });
  after(async () => {
    await Promise.all(kcms.map((k) => k.stop()));
    await c?.close();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  const k = async (args: string[]) => {
    const r = await kubectl(c.fx, args);
    assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  const secrets = () =>
    c.admin.resource<Secret>({ group: '', version: 'v1', resource: 'secrets', namespace: 'default' });
  const account = async (name: string) => JSON.parse(await k(['get', 'sa', name, '-o', 'json'])) as ServiceAccount;
  const decoded = (s: Secret, key: string) =>
    s.data?.[key] === undefined ? undefined : Buffer.from(s.data[key], 'base64').toString('utf8');

  /** kubectl create of a token Secret naming `sa` (and `uid`, if given), with `data` as plain text. */
  async function tokenSecret(name: string, sa: string, opts: { uid?: string; type?: string; data?: object } = {}) {
    const file = join(c.fx.dir, `${name}.json`);
    const annotations = { [NAME_ANNOTATION]: sa, ...(opts.uid ? { [UID_ANNOTATION]: opts.uid } : {}) };
    const data = Object.fromEntries(
      Object.entries(opts.data ?? {}).map(([key, v]) => [key, Buffer.from(String(v)).toString('base64')]),
    );
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        type: opts.type ?? TOKEN_TYPE,
        metadata: { name, annotations },
        data,
      }),
    );
    await k(['create', '-f', file]);
  }
  const populated = (name: string) =>
    waitFor(`${name} populated`, async () => {
      const s = await secrets().get(name);
      return s.data?.token && s.data['ca.crt'] && s.data.namespace ? s : undefined;
    });
  const gone = (name: string) =>
    waitFor(
      `${name} deleted`,
      () =>
        secrets()
          .get(name)
          .then(
            () => undefined,
            (e) => (isNotFound(e) ? true : Promise.reject(e)),
          ),
      15_000,
    );

  it('is on by default, under its name and upstream alias', async () => {
    assert.ok((await started(logs)).controllers?.includes(NAME));
    assert.ok(!logs().some((l) => l.msg.includes('no private key')));
    assert.ok(enabledControllers(['*']).enabled.has(NAME));
    assert.ok(enabledControllers(['serviceaccount-token']).enabled.has(NAME));
    assert.ok(!enabledControllers(['*', '-serviceaccount-token']).enabled.has(NAME));
  });

  it('fills a token Secret with a legacy token for its account, the CA and the namespace; the apiserver accepts it', async () => {
    await k(['create', 'serviceaccount', 'robot']);
    const sa = await account('robot');
    await tokenSecret('robot-token', 'robot');
    const s = await populated('robot-token');
    assert.equal(decoded(s, 'ca.crt'), ca);
    assert.equal(decoded(s, 'namespace'), 'default');
    assert.equal(s.metadata.annotations?.[UID_ANNOTATION], sa.metadata.uid);
    assert.equal(s.metadata.annotations?.[NAME_ANNOTATION], 'robot');

    const token = decoded(s, 'token')!;
    const kid = createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url');
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'RS256', kid });
    const { payload } = await jwtVerify(token, publicKey, { issuer: 'kubernetes/serviceaccount' });
    assert.deepEqual(payload, {
      iss: 'kubernetes/serviceaccount',
      sub: 'system:serviceaccount:default:robot',
      'kubernetes.io/serviceaccount/namespace': 'default',
      'kubernetes.io/serviceaccount/secret.name': 'robot-token',
      'kubernetes.io/serviceaccount/service-account.name': 'robot',
      'kubernetes.io/serviceaccount/service-account.uid': sa.metadata.uid,
    });
    const whoami = await kubectl({ kubeconfig: tokenKubeconfig(c.fx, 'robot', token), dir: c.fx.dir }, [
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    assert.equal(whoami.status, 0, whoami.err);
    assert.equal(whoami.out, 'system:serviceaccount:default:robot');
  });

  it('never replaces a token, and puts back a changed ca.crt', async () => {
    await tokenSecret('preset-token', 'robot', { data: { token: 'preset' } });
    const s = await populated('preset-token');
    assert.equal(decoded(s, 'token'), 'preset');
    assert.equal(decoded(s, 'ca.crt'), ca);

    const first = await populated('robot-token');
    await k([
      'patch',
      'secret',
      'robot-token',
      '-p',
      JSON.stringify({ data: { 'ca.crt': Buffer.from('x').toString('base64') } }),
    ]);
    const restored = await waitFor('ca.crt restored', async () => {
      const cur = await secrets().get('robot-token');
      return decoded(cur, 'ca.crt') === ca && cur.metadata.resourceVersion !== first.metadata.resourceVersion
        ? cur
        : undefined;
    });
    assert.equal(restored.data?.token, first.data?.token);
  });

  it('deletes a token Secret whose account does not exist', async () => {
    await tokenSecret('ghost-token', 'ghost');
    await gone('ghost-token');
  });

  it("deletes a token Secret whose uid annotation is not the account's", async () => {
    await tokenSecret('stale-token', 'robot', { uid: randomUUID() });
    await gone('stale-token');
  });

  it("deletes an account's token Secrets when the account is deleted, and nothing else", async () => {
    await k(['create', 'serviceaccount', 'doomed']);
    await tokenSecret('doomed-token-a', 'doomed');
    await tokenSecret('doomed-token-b', 'doomed');
    await tokenSecret('doomed-opaque', 'doomed', { type: 'Opaque', data: { token: 'kept' } });
    // Complete already, so it keeps an empty uid annotation: only the name tells it is not doomed's.
    await tokenSecret('bystander-token', 'robot', { data: { token: 'kept', 'ca.crt': ca, namespace: 'default' } });
    await populated('doomed-token-a');
    await populated('doomed-token-b');
    await k(['delete', 'serviceaccount', 'doomed']);
    await gone('doomed-token-a');
    await gone('doomed-token-b');
    assert.equal(decoded(await secrets().get('doomed-opaque'), 'token'), 'kept');
    assert.equal(decoded(await secrets().get('bystander-token'), 'token'), 'kept');
    assert.ok((await populated('robot-token')).data?.token);
  });

  it("drops a deleted token Secret from its account's secrets", async () => {
    await k(['create', 'serviceaccount', 'listed']);
    await k(['patch', 'sa', 'listed', '-p', '{"secrets":[{"name":"listed-token"},{"name":"other"}]}']);
    await tokenSecret('listed-token', 'listed');
    await populated('listed-token');
    await k(['delete', 'secret', 'listed-token']);
    await waitFor('reference removed', async () => {
      const names = (await account('listed')).secrets?.map((r) => r.name);
      return names?.length === 1 ? names : undefined;
    }).then((names) => assert.deepEqual(names, ['other']));
  });

  it('is not started without a private key, saying why as upstream', async () => {
    const read = await startKcm(['--controllers=serviceaccount-token']);
    assert.deepEqual((await started(read)).controllers, []);
    const line = read().find((l) => l.msg === 'Controller is disabled because there is no private key');
    assert.equal(line?.controller, NAME);
  });

  it('stops the start on an unreadable, invalid or unsupported key file, naming the flag and file', async () => {
    const load = (file: string) => {
      const p = parseFlags(CONTROLLER_MANAGER_FLAGS, c.kcmArgs([`--service-account-private-key-file=${file}`]));
      return loadControllerManagerConfig(p.flags, p.given);
    };
    const failure = async (file: string) => {
      const err = await load(file).then(
        () => assert.fail(`${file} was accepted`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConfigError, String(err));
      return err.message;
    };
    const missing = join(keyDir, 'missing.key');
    assert.match(
      await failure(missing),
      new RegExp(`--service-account-private-key-file "${missing}": cannot read file`),
    );

    const garbage = join(keyDir, 'garbage.key');
    // A key made here, its body replaced by base64 that is no key ("not a key").
    const pkcs8 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const lines = String(pkcs8).trim().split('\n');
    writeFileSync(garbage, `${lines[0]}\nbm90IGEga2V5\n${lines.at(-1)}\n`);
    assert.match(
      await failure(garbage),
      /--service-account-private-key-file ".*garbage\.key": not a valid PEM private key/,
    );

    const p384 = join(keyDir, 'p384.key');
    const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    writeFileSync(p384, ec384.export({ type: 'sec1', format: 'pem' }));
    const msg = await failure(p384);
    assert.match(msg, /--service-account-private-key-file ".*p384\.key": must be an RSA or ECDSA P-256 private key/);
    assert.ok(!msg.includes('PRIVATE KEY-----'), 'no key material in the message');

    const p256 = join(keyDir, 'p256.key');
    writeFileSync(
      p256,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }),
    );
    const ok = await load(p256);
    assert.equal(ok.serviceAccountPrivateKey?.asymmetricKeyType, 'ec');
    assert.equal(ok.concurrentServiceAccountTokenSyncs, 5, 'upstream default');
  });

  it('--concurrent-serviceaccount-token-syncs sets the workers; less than one is refused', async () => {
    const load = (v: string) => {
      const p = parseFlags(CONTROLLER_MANAGER_FLAGS, c.kcmArgs([`--concurrent-serviceaccount-token-syncs=${v}`]));
      return loadControllerManagerConfig(p.flags, p.given);
    };
    assert.equal((await load('2')).concurrentServiceAccountTokenSyncs, 2);
    const err = await load('0').then(
      () => assert.fail('0 was accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, /--concurrent-serviceaccount-token-syncs: must be at least 1 \(got 0\)/);
  });
});

// The write is optimistic: built from the cache, carrying its resourceVersion. A conflict means the
// cache is behind; the sync asks to be retried (rate-limited) and, retried from a cache that has
// caught up, keeps the token someone else wrote.
describe(`${NAME}: a conflicting write`, () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const sa: ServiceAccount = { metadata: { namespace: 'ns', name: 'robot', uid: 'sa-uid' } };
  const secret = (rv: string, data: Record<string, string> = {}): Secret => ({
    metadata: {
      namespace: 'ns',
      name: 'robot-token',
      uid: 's-uid',
      resourceVersion: rv,
      annotations: { [NAME_ANNOTATION]: 'robot' },
    },
    type: TOKEN_TYPE,
    data,
  });
  const informer = <T extends KubeObject>(...objs: T[]) => {
    const store = new Store<T>();
    for (const o of objs) store.set(o);
    return { store, addEventHandler: () => undefined } as unknown as SharedInformer<T> & { store: Store<T> };
  };

  it('is retried from the cache and never replaces a token written meanwhile', async () => {
    const updates: Secret[] = [];
    let conflict = true;
    const client = {
      resource: () => ({
        update: async (o: Secret) => {
          updates.push(o);
          if (conflict) throw new StatusError('Conflict', 'the object has been modified');
          return o;
        },
      }),
    } as unknown as KubeClient;
    const secrets = informer(secret('1'));
    const errors: string[] = [];
    const log = createLogger({ name: 't', destination: { write: (l: string) => errors.push(l) } as never });
    const ctl = new TokensController(client, informer(sa), secrets, { privateKey: key, rootCA: 'CA' }, log);
    const k = JSON.stringify(['ns', 'robot-token', 's-uid', 'robot', '']);

    assert.equal(await ctl.syncSecret(k), true, 'a conflict asks for a retry');
    assert.equal(updates[0]?.metadata.resourceVersion, '1');
    assert.ok(updates[0]?.data?.token);
    assert.deepEqual(errors, [], 'a conflict is not an error');

    conflict = false;
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    secrets.store.set(secret('2', { token: b64('theirs') }));
    assert.equal(await ctl.syncSecret(k), false);
    assert.equal(updates.length, 2);
    assert.equal(updates[1]?.metadata.resourceVersion, '2');
    assert.deepEqual(updates[1]?.data, { token: b64('theirs'), 'ca.crt': b64('CA'), namespace: b64('ns') });
    assert.equal(updates[1]?.metadata.annotations?.[UID_ANNOTATION], 'sa-uid');

    secrets.store.set({ ...updates[1]!, metadata: { ...updates[1]!.metadata, resourceVersion: '3' } });
    assert.equal(await ctl.syncSecret(k), false);
    assert.equal(updates.length, 2, 'nothing left to write');
  });
});
