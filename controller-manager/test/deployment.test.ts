// The deployment controller with the replicaset controller against a real apiserver (no kubelet:
// the test reports pods Running and Ready as one would, except those whose image is "broken"):
// the ReplicaSet named by its pod-template-hash, the status and conditions `kubectl rollout status`
// reads (with the real kubectl: set image, history, undo), a rolling update within maxSurge and
// maxUnavailable step by step, Recreate emptying the old ReplicaSet first, revisionHistoryLimit,
// a resize mid-rollout shared proportionally, a pause, and the progress deadline.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Deployment, Event, Pod, ReplicaSet } from '@mkube/shared/api';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const DEPLOYS = { group: 'apps', version: 'v1', resource: 'deployments', namespace: NS } as const;
const RSS = { group: 'apps', version: 'v1', resource: 'replicasets', namespace: NS } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: NS } as const;
const BROKEN = 'busybox:broken';
const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

describe('deployment-controller', () => {
  let cl: Cluster;
  let kubelet: NodeJS.Timeout | undefined;
  let busy = false;
  before(async () => {
    cl = await startCluster();
    await cl.startKcm(['--leader-elect=false', '--controllers=replicaset-controller,deployment-controller']);
    // Every pod not running the broken image becomes Running and Ready shortly after it appears.
    kubelet = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        for (const p of (await pods().list()).items) {
          if (p.metadata?.deletionTimestamp || p.spec?.containers[0]?.image === BROKEN) continue;
          if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
          await pods()
            .updateSubresource(p.metadata!.name!, 'status', {
              ...p,
              status: {
                ...p.status,
                phase: 'Running',
                conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: stamp() }],
              },
            })
            .catch(() => undefined);
        }
      } catch {
        // The next tick retries.
      } finally {
        busy = false;
      }
    }, 150);
  });
  after(async () => {
    clearInterval(kubelet);
    await cl?.close();
  });

  const deploys = () => cl.admin.resource<Deployment>(DEPLOYS);
  const rss = () => cl.admin.resource<ReplicaSet>(RSS);
  const pods = () => cl.admin.resource<Pod>(PODS);

  function createDeployment(
    name: string,
    replicas: number,
    spec: Partial<Deployment['spec']> = {},
    image = 'busybox:1',
  ) {
    return deploys().create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image }] },
        },
        ...spec,
      },
    });
  }

  /** A spec change, retried while the controller's status writes race it. */
  async function updateSpec(name: string, change: (s: Deployment['spec'] & {}) => Deployment['spec']): Promise<void> {
    for (;;) {
      const d = await deploys().get(name);
      try {
        await deploys().update({ ...d, spec: change(structuredClone(d.spec!)) });
        return;
      } catch (e) {
        if ((e as { reason?: string }).reason !== 'Conflict') throw e;
      }
    }
  }

  const setImage = (name: string, image: string) =>
    updateSpec(name, (spec) => {
      spec.template.spec!.containers[0]!.image = image;
      return spec;
    });

  const rsOf = async (name: string) =>
    (await rss().list({ labelSelector: `app=${name}` })).items.filter((r) =>
      r.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === name),
    );

  const condition = (d: Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type);

  /** Waits for the rollout to complete, as kubectl rollout status judges it. */
  const complete = (name: string, ms = 20_000) =>
    waitFor(
      `${name} rolled out`,
      async () => {
        const d = await deploys().get(name);
        const want = d.spec?.replicas ?? 1;
        const s = d.status;
        const ok =
          (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
          s?.updatedReplicas === want &&
          s.replicas === want &&
          s.availableReplicas === want &&
          condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable';
        return ok ? d : undefined;
      },
      ms,
    );

  it('creates its ReplicaSet named and selected by the pod-template-hash, and reports the rollout', async () => {
    const d = await createDeployment('web', 3);
    const done = await complete('web');
    const [rs, ...more] = await rsOf('web');
    assert.equal(more.length, 0);
    const hash = rs!.metadata?.labels?.['pod-template-hash'];
    assert.match(hash ?? '', /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(rs!.metadata?.name, `web-${hash}`);
    assert.deepEqual(rs!.spec?.selector.matchLabels, { app: 'web', 'pod-template-hash': hash });
    assert.deepEqual(rs!.spec?.template?.metadata?.labels, { app: 'web', 'pod-template-hash': hash });
    assert.equal(rs!.spec?.replicas, 3);
    const a = rs!.metadata?.annotations ?? {};
    assert.equal(a['deployment.kubernetes.io/revision'], '1');
    assert.equal(a['deployment.kubernetes.io/desired-replicas'], '3');
    // maxSurge 25% of 3, rounded up.
    assert.equal(a['deployment.kubernetes.io/max-replicas'], '4');
    assert.deepEqual(
      rs!.metadata?.ownerReferences?.map((o) => [
        o.apiVersion,
        o.kind,
        o.name,
        o.uid,
        o.controller,
        o.blockOwnerDeletion,
      ]),
      [['apps/v1', 'Deployment', 'web', d.metadata?.uid, true, true]],
    );
    const ps = (await pods().list({ labelSelector: `pod-template-hash=${hash}` })).items;
    assert.equal(ps.length, 3);
    assert.equal(done.status?.readyReplicas, 3);
    assert.equal(done.status?.unavailableReplicas ?? 0, 0);
    assert.equal(done.status?.observedGeneration, done.metadata?.generation);
    const avail = condition(done, 'Available');
    assert.deepEqual(
      [avail?.status, avail?.reason, avail?.message],
      ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
    );
    const prog = condition(done, 'Progressing');
    assert.deepEqual([prog?.status, prog?.message], ['True', `ReplicaSet "web-${hash}" has successfully progressed.`]);
    const evs = (await cl.admin.resource<Event>(EVENTS).list()).items.filter(
      (e) => e.involvedObject?.kind === 'Deployment' && e.involvedObject.name === 'web',
    );
    assert.ok(
      evs.some(
        (e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set web-${hash} from 0 to 3`,
      ),
      JSON.stringify(evs.map((e) => e.message)),
    );
  });

  it('works with kubectl rollout status, set image and rollout history', async () => {
    await createDeployment('kc', 2);
    const st = await kubectl(cl.fx, ['rollout', 'status', 'deployment/kc', '-n', NS, '--timeout=30s']);
    assert.equal(st.status, 0, st.err);
    assert.match(st.out, /deployment "kc" successfully rolled out/);
    const [first] = await rsOf('kc');

    const si = await kubectl(cl.fx, ['set', 'image', 'deployment/kc', 'c=busybox:2', '-n', NS]);
    assert.equal(si.status, 0, si.err);
    const st2 = await kubectl(cl.fx, ['rollout', 'status', 'deployment/kc', '-n', NS, '--timeout=30s']);
    assert.equal(st2.status, 0, st2.err);
    assert.match(st2.out, /successfully rolled out/);
    const two = await rsOf('kc');
    assert.equal(two.length, 2);
    const second = two.find((r) => r.metadata?.uid !== first!.metadata?.uid)!;
    assert.equal(second.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal(second.spec?.template?.spec?.containers[0]?.image, 'busybox:2');
    assert.equal((await rss().get(first!.metadata!.name!)).spec?.replicas, 0);

    const h = await kubectl(cl.fx, ['rollout', 'history', 'deployment/kc', '-n', NS]);
    assert.equal(h.status, 0, h.err);
    assert.match(h.out, /^1\s/m);
    assert.match(h.out, /^2\s/m);
  });

  // kubectl's undo replaces /metadata/annotations with a JSON patch: the Deployment must carry the
  // revision annotation, which the controller writes (as upstream's) through deployments/status.
  it('works with kubectl rollout undo', async () => {
    const [first, second] = (await rsOf('kc')).sort(
      (a, b) =>
        Number(a.metadata?.annotations?.['deployment.kubernetes.io/revision']) -
        Number(b.metadata?.annotations?.['deployment.kubernetes.io/revision']),
    );
    const dk = await deploys().get('kc');
    assert.equal(
      dk.metadata?.annotations?.['deployment.kubernetes.io/revision'],
      '2',
      'revision written through /status',
    );
    const u = await kubectl(cl.fx, ['rollout', 'undo', 'deployment/kc', '-n', NS]);
    assert.equal(u.status, 0, u.err);
    const st3 = await kubectl(cl.fx, ['rollout', 'status', 'deployment/kc', '-n', NS, '--timeout=30s']);
    assert.equal(st3.status, 0, st3.err);
    // The first ReplicaSet is the new one again, now revision 3, remembering it was 1.
    const back = await waitFor('first ReplicaSet at revision 3', async () => {
      const r = await rss().get(first!.metadata!.name!);
      return r.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '3' && r.spec?.replicas === 2
        ? r
        : undefined;
    });
    assert.equal(back.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal((await rsOf('kc')).length, 2);
    await waitFor('second scaled to 0', async () =>
      (await rss().get(second!.metadata!.name!)).spec?.replicas === 0 ? true : undefined,
    );
  });

  it('rolls a template change within maxSurge and maxUnavailable, one pod at a time', async () => {
    await createDeployment('roll', 4, {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
    await complete('roll');
    const [old] = await rsOf('roll');
    const stop = new AbortController();
    const w = await rss().watch({ signal: stop.signal, labelSelector: 'app=roll' });
    const sizes = new Map<string, number>();
    const oldSeen: number[] = [];
    const newSeen: number[] = [];
    let maxTotal = 0;
    const watching = (async () => {
      try {
        for await (const ev of w) {
          const r = ev.object;
          sizes.set(r.metadata!.name!, r.spec?.replicas ?? 0);
          maxTotal = Math.max(
            maxTotal,
            [...sizes.values()].reduce((a, b) => a + b, 0),
          );
          const seen = r.metadata?.uid === old!.metadata?.uid ? oldSeen : newSeen;
          if (seen.at(-1) !== r.spec?.replicas) seen.push(r.spec?.replicas ?? 0);
        }
      } catch {
        // Closed.
      }
    })();
    await setImage('roll', 'busybox:2');
    await complete('roll', 30_000);
    await waitFor('old at 0', async () => (oldSeen.at(-1) === 0 && newSeen.at(-1) === 4 ? true : undefined));
    stop.abort();
    w.close();
    await watching;
    assert.ok(maxTotal <= 5, `at most replicas+maxSurge at any time (saw ${maxTotal})`);
    assert.deepEqual(oldSeen, [4, 3, 2, 1, 0]);
    assert.deepEqual(
      newSeen.filter((n) => n > 0),
      [1, 2, 3, 4],
    );
  });

  it('Recreate scales the old ReplicaSet to zero before making the new one', async () => {
    await createDeployment('recreate', 2, { strategy: { type: 'Recreate' } });
    await complete('recreate');
    const [old] = await rsOf('recreate');
    const stop = new AbortController();
    const w = await rss().watch({ signal: stop.signal, labelSelector: 'app=recreate' });
    let oldSpec = 2;
    let oldStatus = 2;
    let atNewRS: [number, number] | undefined;
    const watching = (async () => {
      try {
        for await (const ev of w) {
          const r = ev.object;
          if (r.metadata?.uid === old!.metadata?.uid) {
            oldSpec = r.spec?.replicas ?? 0;
            oldStatus = r.status?.replicas ?? 0;
          } else if (!atNewRS) {
            atNewRS = [oldSpec, oldStatus];
          }
        }
      } catch {
        // Closed.
      }
    })();
    await setImage('recreate', 'busybox:2');
    await complete('recreate', 30_000);
    await waitFor('the new ReplicaSet seen', async () => atNewRS);
    stop.abort();
    w.close();
    await watching;
    assert.deepEqual(atNewRS, [0, 0], 'the old ReplicaSet was empty when the new one appeared');
    assert.equal((await rss().get(old!.metadata!.name!)).spec?.replicas, 0);
  });

  it('keeps only revisionHistoryLimit old ReplicaSets', async () => {
    await createDeployment('history', 1, { revisionHistoryLimit: 1 });
    await complete('history');
    for (const image of ['busybox:2', 'busybox:3', 'busybox:4']) {
      await setImage('history', image);
      await complete('history');
    }
    const left = await waitFor('two ReplicaSets left', async () => {
      const rs = await rsOf('history');
      return rs.length === 2 ? rs : undefined;
    });
    assert.deepEqual(left.map((r) => r.metadata?.annotations?.['deployment.kubernetes.io/revision']).sort(), [
      '3',
      '4',
    ]);
  });

  it('shares a resize mid-rollout among the ReplicaSets in proportion', async () => {
    await createDeployment('scale', 10, {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } },
    });
    await complete('scale', 30_000);
    const [old] = await rsOf('scale');
    // The new pods never become Ready: the rollout stops at 8 old and 5 new (13 = 10 + maxSurge).
    await setImage('scale', BROKEN);
    const sizesOf = async () => {
      const rs = await rsOf('scale');
      const o = rs.find((r) => r.metadata?.uid === old!.metadata?.uid);
      const n = rs.find((r) => r.metadata?.uid !== old!.metadata?.uid);
      return [o?.spec?.replicas, n?.spec?.replicas];
    };
    await waitFor('stuck at 8 + 5', async () => ((await sizesOf()).join() === '8,5' ? true : undefined), 20_000);
    // The status that reports the scaled ReplicaSets is written after the scaling itself.
    const prog = await waitFor('Progressing=ReplicaSetUpdated', async () => {
      const c = condition(await deploys().get('scale'), 'Progressing');
      return c?.reason === 'ReplicaSetUpdated' ? c : undefined;
    });
    assert.equal(prog?.reason, 'ReplicaSetUpdated');
    assert.match(prog?.message ?? '', /^ReplicaSet "scale-[a-z0-9]+" is progressing\.$/);
    // 23 = 20 + maxSurge: +10, of which old gets round(8*23/13)-8 = 6 and new the other 4.
    await updateSpec('scale', (spec) => ({ ...spec, replicas: 20 }));
    await waitFor('14 + 9', async () => ((await sizesOf()).join() === '14,9' ? true : undefined), 20_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await sizesOf(), [14, 9]);
  });

  it('makes no new ReplicaSet while paused', async () => {
    await createDeployment('paused', 1);
    await complete('paused');
    await updateSpec('paused', (spec) => ({ ...spec, paused: true }));
    await waitFor('paused condition', async () => {
      const x = await deploys().get('paused');
      const c = condition(x, 'Progressing');
      return c?.reason === 'DeploymentPaused' && c.status === 'Unknown' && c.message === 'Deployment is paused'
        ? x
        : undefined;
    });
    await setImage('paused', 'busybox:2');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal((await rsOf('paused')).length, 1);
    const x = await deploys().get('paused');
    assert.equal(x.status?.observedGeneration, x.metadata?.generation);
  });

  it('reports ProgressDeadlineExceeded when a rollout makes no progress', async () => {
    await createDeployment('stuck', 1, { progressDeadlineSeconds: 2 }, BROKEN);
    const d = await waitFor(
      'timed out',
      async () => {
        const x = await deploys().get('stuck');
        return condition(x, 'Progressing')?.reason === 'ProgressDeadlineExceeded' ? x : undefined;
      },
      10_000,
    );
    const c = condition(d, 'Progressing')!;
    assert.equal(c.status, 'False');
    assert.match(c.message ?? '', /^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/);
    const a = condition(d, 'Available')!;
    assert.deepEqual([a.status, a.reason], ['False', 'MinimumReplicasUnavailable']);
    assert.equal(d.status?.unavailableReplicas, 1);
  });
});
