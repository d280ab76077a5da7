// kube-apiserver-serving-clustertrustbundle-publisher-controller against a real apiserver serving
// certificates.k8s.io/v1beta1 ClusterTrustBundles under Node,RBAC: the kcm's CA is published as the
// one bundle of its signer, named after the CA's sha256; strays of that signer are deleted and edits
// put back; other signers' bundles are left alone. Off without the kcm's gate, and not started
// (with upstream's message) where the apiserver does not serve the API; a discovery failure stops
// the controller-manager, as it ends kube-controller-manager.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { newNotFound, newServiceUnavailable } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { kubectl, makePki, run, tempDir } from '../../apiserver/test/server/fixture.ts';
import { discoverClusterTrustBundles } from '../src/clustertrustbundlepublisher/index.ts';
import {
  CONTROLLER_MANAGER_FLAGS,
  loadControllerManagerConfig,
  type RunningControllerManager,
  runControllerManager,
  startControllerManager,
} from '../src/main.ts';
import { type Cluster, quietLog, startCluster, waitFor } from './fixture.ts';

const NAME = 'kube-apiserver-serving-clustertrustbundle-publisher-controller';
const SIGNER = 'kubernetes.io/kube-apiserver-serving';
const SERVED = [
  '--feature-gates=ClusterTrustBundle=true',
  '--runtime-config=certificates.k8s.io/v1beta1/clustertrustbundles=true',
];
const GATE = '--feature-gates=ClusterTrustBundle=true';

interface LogLine {
  readonly msg: string;
  readonly controller?: string;
  readonly controllers?: string[];
  readonly requiredFeatureGates?: string[];
  readonly err?: { message: string };
}

interface Kcm {
  readonly cm: RunningControllerManager;
  logs(): LogLine[];
}

/** A controller-manager (no leader election) whose log lines the test reads. */
async function startKcm(c: Cluster, extra: string[], started: RunningControllerManager[]): Promise<Kcm> {
  const lines: string[] = [];
  const parsed = parseFlags(CONTROLLER_MANAGER_FLAGS, c.kcmArgs(['--leader-elect=false', ...extra]));
  const config = await loadControllerManagerConfig(parsed.flags, parsed.given);
  const log = createLogger({ name: 'kcm', destination: { write: (s: string) => lines.push(s) } as never });
  const cm = await startControllerManager(config, { log });
  started.push(cm);
  return {
    cm,
    logs: () =>
      lines.flatMap((l) =>
        l
          .split('\n')
          .filter(Boolean)
          .map((x) => JSON.parse(x) as LogLine),
      ),
  };
}

const stopAll = async (kcms: RunningControllerManager[]) => {
  await Promise.all(kcms.splice(0).map((k) => k.stop()));
};

const startedControllers = (k: Kcm) =>
  waitFor('controllers started', async () => k.logs().find((l) => l.msg === 'caches synced; starting controllers'));

/** The name upstream gives the bundle, computed apart from the controller: openssl's sha256 of the PEM. */
async function expectedName(pemFile: string): Promise<string> {
  const r = await run('openssl', ['dgst', '-sha256', '-r', pemFile]);
  assert.equal(r.status, 0, r.stderr);
  return `kubernetes.io:kube-apiserver-serving:${r.stdout.slice(0, 24)}`;
}

function bundleFile(dir: string, name: string, trustBundle: string, signerName?: string): string {
  const file = join(dir, `${name.replaceAll(':', '_')}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'certificates.k8s.io/v1beta1',
      kind: 'ClusterTrustBundle',
      metadata: { name },
      spec: { ...(signerName ? { signerName } : {}), trustBundle },
    }),
  );
  return file;
}

describe(`${NAME}: the apiserver serves ClusterTrustBundles`, () => {
  let c: Cluster;
  let ca: string;
  let ca2Dir: string;
  let ca2File: string;
  let ca2: string;
  let name: string;
  const kcms: RunningControllerManager[] = [];
  before(async () => {
    c = await startCluster(SERVED);
    ca = readFileSync(c.fx.pki.caCrt, 'utf8');
    ca2Dir = tempDir('ctb-publisher-ca2');
    const other = makePki(ca2Dir, undefined, '/CN=kubernetes-next');
    ca2File = other.caCrt;
    ca2 = readFileSync(ca2File, 'utf8');
    name = await expectedName(c.fx.pki.caCrt);
  });
  after(async () => {
    await stopAll(kcms);
    await c?.close();
    if (ca2Dir) rmSync(ca2Dir, { recursive: true, force: true });
  });
  const k = (args: string[]) => kubectl(c.fx, args);
  const trustBundleOf = async (n: string) => {
    const r = await k(['get', 'clustertrustbundle', n, '-o', 'jsonpath={.spec.trustBundle}']);
    return r.status === 0 ? r.out : undefined;
  };
  const ofSigner = async () =>
    (await k(['get', 'clustertrustbundles', `--field-selector=spec.signerName=${SIGNER}`, '-o', 'name'])).out
      .trim()
      .split('\n')
      .filter(Boolean);

  it('refuses a bad --feature-gates at start-up, naming the flag', async () => {
    const parsed = parseFlags(CONTROLLER_MANAGER_FLAGS, c.kcmArgs(['--feature-gates=ClusterTrustBundel=true']));
    await assert.rejects(
      loadControllerManagerConfig(parsed.flags, parsed.given),
      /--feature-gates: unrecognized feature gate: ClusterTrustBundel/,
    );
  });

  it("is not started without the controller-manager's ClusterTrustBundle gate, which says so", async () => {
    const kcm = await startKcm(c, [], kcms);
    const started = await startedControllers(kcm);
    const gated = kcm.logs().find((l) => l.msg === 'Controller is disabled by a feature gate' && l.controller === NAME);
    assert.deepEqual(
      { controller: gated?.controller, requiredFeatureGates: gated?.requiredFeatureGates },
      { controller: NAME, requiredFeatureGates: ['ClusterTrustBundle'] },
    );
    assert.ok(started.controllers?.includes('root-ca-certificate-publisher-controller'));
    assert.ok(!started.controllers?.includes(NAME));
    // The root CA publisher, started with it, has done its work by now; this one would have too.
    await waitFor('kube-root-ca.crt published', async () =>
      (await k(['get', 'configmap', 'kube-root-ca.crt', '-n', 'default'])).status === 0 ? true : undefined,
    );
    assert.deepEqual(await ofSigner(), []);
    await stopAll(kcms);
  });

  it("publishes the kubeconfig's CA as the bundle named after its sha256, under the kcm's RBAC", async () => {
    const kcm = await startKcm(c, [GATE], kcms);
    assert.equal(await waitFor('the published bundle', () => trustBundleOf(name)), ca);
    const r = await k(['get', 'clustertrustbundle', name, '-o', 'jsonpath={.spec.signerName}']);
    assert.equal(r.out, SIGNER);
    assert.deepEqual(await ofSigner(), [`clustertrustbundle.certificates.k8s.io/${name}`]);
    assert.ok((await startedControllers(kcm)).controllers?.includes(NAME));
  });

  it("deletes another bundle of its signer, and leaves other signers' bundles alone", async () => {
    // The others first: the pass that removes the stray would remove them too if it saw them.
    for (const f of [
      bundleFile(c.fx.dir, 'example.com:other:one', ca2, 'example.com/other'),
      bundleFile(c.fx.dir, 'plain-roots', ca2),
      bundleFile(c.fx.dir, 'kubernetes.io:kube-apiserver-serving:stray', ca2, SIGNER),
    ]) {
      const r = await k(['create', '-f', f]);
      assert.equal(r.status, 0, r.err);
    }
    await waitFor('the stray deleted', async () =>
      (await k(['get', 'clustertrustbundle', 'kubernetes.io:kube-apiserver-serving:stray'])).err.includes('NotFound')
        ? true
        : undefined,
    );
    assert.equal(await trustBundleOf('example.com:other:one'), ca2);
    assert.equal(await trustBundleOf('plain-roots'), ca2);
    assert.deepEqual(await ofSigner(), [`clustertrustbundle.certificates.k8s.io/${name}`]);
  });

  it('puts back the CA when the published bundle is edited', async () => {
    const r = await k([
      'patch',
      'clustertrustbundle',
      name,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { trustBundle: ca2 } }),
    ]);
    assert.equal(r.status, 0, r.err);
    assert.equal(await waitFor('the CA back', async () => ((await trustBundleOf(name)) === ca ? ca : undefined)), ca);
  });

  it('publishes a new --root-ca-file under its own name and deletes the old bundle', async () => {
    await stopAll(kcms);
    await startKcm(c, [GATE, `--root-ca-file=${ca2File}`], kcms);
    const next = await expectedName(ca2File);
    assert.notEqual(next, name);
    assert.equal(await waitFor('the new bundle', () => trustBundleOf(next)), ca2);
    await waitFor('only the new bundle', async () => {
      const names = await ofSigner();
      return names.length === 1 && names[0] === `clustertrustbundle.certificates.k8s.io/${next}` ? true : undefined;
    });
  });
});

describe(`${NAME}: the apiserver does not serve ClusterTrustBundles`, () => {
  let c: Cluster;
  const kcms: RunningControllerManager[] = [];
  before(async () => {
    c = await startCluster();
  });
  after(async () => {
    await stopAll(kcms);
    await c?.close();
  });

  it("logs upstream's message and does not start it; the others run", async () => {
    const kcm = await startKcm(c, [GATE], kcms);
    const started = await startedControllers(kcm);
    const line = kcm.logs().find((l) => l.controller === NAME);
    assert.equal(line?.msg, `no known scheme version was found for clustertrustbundles, cannot start ${NAME}`);
    assert.ok(!started.controllers?.includes(NAME));
    assert.ok(started.controllers?.includes('root-ca-certificate-publisher-controller'));
    await stopAll(kcms);
  });

  it('a discovery failure ends the controller-manager (failed), as it ends kube-controller-manager', async () => {
    // Without system:discovery the kcm may not read /apis/…: its discovery request is forbidden.
    const del = await kubectl(c.fx, ['delete', 'clusterrolebinding', 'system:discovery']);
    assert.equal(del.status, 0, del.err);
    await waitFor('discovery forbidden', async () => {
      const r = await kubectl(c.fx, [
        'auth',
        'can-i',
        'get',
        '/apis/certificates.k8s.io/v1beta1',
        '--as=system:kube-controller-manager',
      ]);
      return r.out.trim() === 'no' ? true : undefined;
    });
    const leaderElection = [
      '--leader-elect=true',
      '--leader-elect-lease-duration=3s',
      '--leader-elect-renew-deadline=2s',
      '--leader-elect-retry-period=500ms',
    ];
    for (const extra of [[GATE], [GATE, ...leaderElection]]) {
      const kcm = await startKcm(c, extra, kcms);
      const stillRunning = delay(10_000, 'still running', { ref: false });
      assert.equal(await Promise.race([kcm.cm.done, stillRunning]), 'failed', extra.join(' '));
      const line = kcm.logs().find((l) => l.msg === 'error starting controllers');
      assert.match(line?.err?.message ?? '', /^discovery failed for ClusterTrustBundle: .*forbidden/i);
      assert.equal(
        kcm.logs().find((l) => l.msg === 'caches synced; starting controllers'),
        undefined,
      );
    }
    // The daemon's entry point turns it into exit status 1.
    const parsed = parseFlags(CONTROLLER_MANAGER_FLAGS, c.kcmArgs(['--leader-elect=false', GATE]));
    assert.equal(
      await runControllerManager(parsed.flags, parsed.given, { stderr: process.stderr, log: quietLog() }),
      1,
    );
  });
});

describe('discoverClusterTrustBundles', () => {
  const client = (answers: Record<string, unknown>) =>
    ({
      request: async (_method: string, path: string) => {
        const a = answers[path] ?? newNotFound({ group: '', resource: '' }, '');
        if (a instanceof Error) throw a;
        return a;
      },
    }) as unknown as KubeClient;
  const list = (...names: string[]) => ({ kind: 'APIResourceList', resources: names.map((name) => ({ name })) });

  it('prefers v1beta1, falls back to v1alpha1, and finds nothing where neither serves the resource', async () => {
    const beta = { '/apis/certificates.k8s.io/v1beta1': list('clustertrustbundles') };
    const alpha = {
      '/apis/certificates.k8s.io/v1beta1': list('something-else'),
      '/apis/certificates.k8s.io/v1alpha1': list('clustertrustbundles'),
    };
    assert.equal((await discoverClusterTrustBundles(client({ ...alpha, ...beta })))?.version, 'v1beta1');
    assert.deepEqual(await discoverClusterTrustBundles(client(alpha)), {
      group: 'certificates.k8s.io',
      version: 'v1alpha1',
      resource: 'clustertrustbundles',
    });
    assert.equal(await discoverClusterTrustBundles(client({})), undefined);
  });

  it('a failure other than 404 is an error', async () => {
    await assert.rejects(
      discoverClusterTrustBundles(client({ '/apis/certificates.k8s.io/v1beta1': newServiceUnavailable('down') })),
      /^Error: discovery failed for ClusterTrustBundle: down$/,
    );
  });
});
