// podcertificaterequest-cleaner-controller against a real apiserver serving certificates.k8s.io/v1beta1
// PodCertificateRequests under Node,RBAC, the controller-manager running as
// system:kube-controller-manager: requests are deleted once their age passes the threshold (shortened
// here; upstream's is 15 minutes), pending or decided alike, younger ones kept; deletes carry the UID
// read, and one already gone is no error. Off without the kcm's gate; where the apiserver does not
// serve the API, the other controllers still start.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { PodCertificateRequest } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, Store } from '@mkube/shared/client';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { generatePodCertificateKey, signProofOfPossession } from '@mkube/shared/pki';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { PCRS, PcrCleaner } from '../src/certificates/pcrcleaner.ts';
import {
  CONTROLLER_MANAGER_FLAGS,
  loadControllerManagerConfig,
  type RunningControllerManager,
  type StartOptions,
  startControllerManager,
} from '../src/main.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NAME = 'podcertificaterequest-cleaner-controller';
const GATE = '--feature-gates=PodCertificateRequest=true';
const SERVED = [GATE, '--runtime-config=certificates.k8s.io/v1beta1=true'];
const NS = 'default';

interface LogLine {
  readonly msg: string;
  readonly level?: number;
  readonly controller?: string;
  readonly controllers?: string[];
  readonly requiredFeatureGates?: string[];
  readonly pcr?: string;
  readonly err?: { message: string; code?: unknown };
}

const parseLines = (lines: string[]): LogLine[] =>
  lines.flatMap((l) =>
    l
      .split('\n')
      .filter(Boolean)
      .map((x) => JSON.parse(x) as LogLine),
  );

interface Kcm {
  readonly cm: RunningControllerManager;
  logs(): LogLine[];
}

/** A controller-manager (no leader election) whose log lines the test reads. */
async function startKcm(
  c: Cluster,
  extra: string[],
  started: RunningControllerManager[],
  opts: Omit<StartOptions, 'log'> = {},
): Promise<Kcm> {
  const lines: string[] = [];
  const parsed = parseFlags(CONTROLLER_MANAGER_FLAGS, c.kcmArgs(['--leader-elect=false', ...extra]));
  const config = await loadControllerManagerConfig(parsed.flags, parsed.given);
  const log = createLogger({ name: 'kcm', destination: { write: (s: string) => lines.push(s) } as never });
  const cm = await startControllerManager(config, { log, ...opts });
  started.push(cm);
  return { cm, logs: () => parseLines(lines) };
}

const stopAll = async (kcms: RunningControllerManager[]) => {
  await Promise.all(kcms.splice(0).map((k) => k.stop()));
};

const startedControllers = (k: Kcm) =>
  waitFor('controllers started', async () => k.logs().find((l) => l.msg === 'caches synced; starting controllers'));

const pcrs = (client: KubeClient) => client.resource<PodCertificateRequest>({ ...PCRS, namespace: NS });

/** A request as a kubelet would make it; an admin may name any pod, node and service account UIDs. */
async function createPcr(admin: KubeClient, name: string): Promise<PodCertificateRequest> {
  const key = await generatePodCertificateKey('ED25519');
  const podUID = randomUUID();
  return pcrs(admin).create({
    apiVersion: 'certificates.k8s.io/v1beta1',
    kind: 'PodCertificateRequest',
    metadata: { name, namespace: NS },
    spec: {
      signerName: 'example.com/cleaner-test',
      podName: 'pod-1',
      podUID,
      serviceAccountName: 'default',
      serviceAccountUID: randomUUID(),
      nodeName: 'node-1',
      nodeUID: randomUUID(),
      pkixPublicKey: key.pkixPublicKey.toString('base64'),
      proofOfPossession: signProofOfPossession(key.privateKey, podUID).toString('base64'),
    },
  });
}

async function exists(admin: KubeClient, name: string): Promise<boolean> {
  try {
    await pcrs(admin).get(name);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

const gone = (admin: KubeClient, name: string) =>
  waitFor(`${name} deleted`, async () => ((await exists(admin, name)) ? undefined : true), 15_000);

describe(`${NAME}: the apiserver serves PodCertificateRequests`, () => {
  let c: Cluster;
  const kcms: RunningControllerManager[] = [];
  before(async () => {
    c = await startCluster(SERVED);
  });
  after(async () => {
    await stopAll(kcms);
    await c?.close();
  });

  it("is not started without the controller-manager's PodCertificateRequest gate, which says so", async () => {
    const kcm = await startKcm(c, [], kcms, { pcrCleaner: { thresholdMs: 0, intervalMs: 100 } });
    const started = await startedControllers(kcm);
    const gated = kcm.logs().find((l) => l.msg === 'Controller is disabled by a feature gate' && l.controller === NAME);
    assert.deepEqual(gated?.requiredFeatureGates, ['PodCertificateRequest']);
    assert.ok(!started.controllers?.includes(NAME));
    assert.ok(started.controllers?.includes('certificatesigningrequest-cleaner-controller'));
    // With a zero threshold it would delete this at its first pass.
    await createPcr(c.admin, 'kept-without-gate');
    await delay(1000);
    assert.equal(await exists(c.admin, 'kept-without-gate'), true);
    await stopAll(kcms);
  });

  it('deletes requests past the threshold, pending or denied, and keeps younger ones, under its RBAC', async () => {
    const kcm = await startKcm(c, [GATE], kcms, { pcrCleaner: { thresholdMs: 4000, intervalMs: 200 } });
    assert.ok((await startedControllers(kcm)).controllers?.includes(NAME));
    await createPcr(c.admin, 'old-pending');
    const denied = await createPcr(c.admin, 'old-denied');
    await pcrs(c.admin).updateSubresource('old-denied', 'status', {
      ...denied,
      status: {
        conditions: [
          {
            type: 'Denied',
            status: 'True',
            reason: 'TestDenial',
            message: 'denied by the test',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      },
    });
    // Whole seconds apart, as creationTimestamps are: the young one is at least 2 s younger.
    await delay(2500);
    await createPcr(c.admin, 'young');
    await gone(c.admin, 'old-pending');
    await gone(c.admin, 'old-denied');
    assert.equal(await exists(c.admin, 'young'), true, 'a request younger than the threshold is kept');
    assert.equal(await exists(c.admin, 'kept-without-gate'), false, 'the one left from before goes too');
    await gone(c.admin, 'young');
    const cleaned = () =>
      kcm
        .logs()
        .filter((l) => l.msg === 'cleaned up PodCertificateRequest')
        .map((l) => l.pcr)
        .sort();
    // The cleaner logs once its DELETE has been answered, which can be after this test's GET saw it gone.
    await waitFor('the last deletion logged', async () => (cleaned().length >= 4 ? true : undefined), 5_000).catch(
      () => undefined,
    );
    assert.deepEqual(cleaned(), [`${NS}/kept-without-gate`, `${NS}/old-denied`, `${NS}/old-pending`, `${NS}/young`]);
    assert.deepEqual(
      kcm.logs().filter((l) => l.controller === NAME && (l.level ?? 0) >= 50),
      [],
    );
    await stopAll(kcms);
  });

  it('deletes with the UID it read: a recreated request of that name is kept; one already gone is no error', async () => {
    const first = await createPcr(c.admin, 'recreated');
    await pcrs(c.admin).delete('recreated');
    const second = await createPcr(c.admin, 'recreated');
    assert.notEqual(first.metadata?.uid, second.metadata?.uid);
    // A cache still holding the first one, and one long gone.
    const stale = new Store<PodCertificateRequest>();
    stale.set(first);
    stale.set({ ...first, metadata: { ...first.metadata, name: 'never-existed', uid: randomUUID() } });
    const lines: string[] = [];
    const log = createLogger({ name: 'kcm', destination: { write: (s: string) => lines.push(s) } as never });
    const cleaner = new PcrCleaner(c.admin, { store: stale, lw: undefined as never }, log, { thresholdMs: 0 });
    assert.deepEqual(await cleaner.cleanOnce(stale), []);
    assert.equal((await pcrs(c.admin).get('recreated')).metadata?.uid, second.metadata?.uid);
    const errors = parseLines(lines).filter((l) => l.msg === 'Error while attempting to clean PodCertificateRequest');
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]?.pcr, `${NS}/recreated`);
    assert.match(errors[0]?.err?.message ?? '', /Precondition failed: UID in precondition/);
    // And a pass that finds it young leaves it alone.
    const live = new Store<PodCertificateRequest>();
    live.set(second);
    const patient = new PcrCleaner(c.admin, { store: live, lw: undefined as never }, log, { thresholdMs: 60_000 });
    assert.deepEqual(await patient.cleanOnce(live), []);
    assert.deepEqual(await cleaner.cleanOnce(live), [`${NS}/recreated`]);
    assert.equal(await exists(c.admin, 'recreated'), false);
  });
});

describe(`${NAME}: the apiserver does not serve PodCertificateRequests`, () => {
  let c: Cluster;
  const kcms: RunningControllerManager[] = [];
  before(async () => {
    c = await startCluster();
  });
  after(async () => {
    await stopAll(kcms);
    await c?.close();
  });

  it('the other controllers start and work; the cleaner starts and waits for its informer', async () => {
    const kcm = await startKcm(c, [GATE], kcms, { pcrCleaner: { intervalMs: 100 } });
    const started = await startedControllers(kcm);
    assert.ok(started.controllers?.includes(NAME));
    await waitFor('kube-root-ca.crt published', async () =>
      (await kubectl(c.fx, ['get', 'configmap', 'kube-root-ca.crt', '-n', NS])).status === 0 ? true : undefined,
    );
    // Its informer's list fails (404) and is retried, as upstream's reflector does.
    await waitFor('the failing list logged', async () =>
      kcm.logs().find((l) => l.msg === 'list failed' && /podcertificaterequests/.test(JSON.stringify(l))),
    );
    await stopAll(kcms);
  });
});
