// The deployment controller's arithmetic and the shared controller helpers, table-driven: the
// rolling-update fenceposts and their rounding, the new ReplicaSet's next size, the template hash's
// alphabet and collision count, the scale-down ranking and the expectations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, Pod, ReplicaSet } from '@mkube/shared/api';
import {
  computeHash,
  fnv32a,
  safeEncodeString,
  sortForDeletion,
  UIDTrackingControllerExpectations,
} from '@mkube/shared/controller';
import { newRSNewReplicas, resolveFenceposts, setNewReplicaSetAnnotations } from '../src/deployment/util.ts';
import { calculateStatus } from '../src/replicaset/status.ts';

const deployment = (replicas: number, maxSurge: number | string, maxUnavailable: number | string): Deployment => ({
  metadata: { name: 'd' },
  spec: {
    replicas,
    selector: {},
    template: {},
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
  },
});
const rs = (name: string, replicas: number, extra: Partial<ReplicaSet['metadata']> = {}): ReplicaSet => ({
  metadata: { name, ...extra },
  spec: { replicas, selector: {} },
});

describe('deployment arithmetic', () => {
  it('rounds maxSurge up and maxUnavailable down, never both zero', () => {
    const cases: [number, number | string, number | string, number, number][] = [
      [10, '25%', '25%', 3, 2],
      [3, '25%', '25%', 1, 0],
      [1, '25%', '25%', 1, 0],
      [4, 0, '10%', 0, 1],
      [5, 2, 1, 2, 1],
      [100, '0%', '0%', 0, 1],
    ];
    for (const [replicas, s, u, surge, unavailable] of cases)
      assert.deepEqual(resolveFenceposts(deployment(replicas, s, u)), { surge, unavailable }, `${replicas} ${s} ${u}`);
  });

  it('grows the new ReplicaSet up to replicas+maxSurge in total and no further than replicas', () => {
    const d = deployment(4, 1, 0);
    const newRS = rs('new', 0);
    assert.equal(newRSNewReplicas(d, [rs('old', 4), newRS], newRS), 1);
    assert.equal(newRSNewReplicas(d, [rs('old', 3), rs('new', 1)], rs('new', 1)), 2);
    assert.equal(newRSNewReplicas(d, [rs('old', 4), rs('new', 1)], rs('new', 1)), 1);
    assert.equal(newRSNewReplicas(d, [rs('new', 3)], rs('new', 3)), 4);
  });

  it('keeps the revisions a rolled-back ReplicaSet had', () => {
    const d: Deployment = {
      metadata: { name: 'd', annotations: { 'kubernetes.io/change-cause': 'why' } },
      spec: deployment(2, 1, 0).spec,
    };
    const back = rs('old', 0, { annotations: { 'deployment.kubernetes.io/revision': '1' } });
    assert.equal(setNewReplicaSetAnnotations(d, back, '3', true), true);
    assert.deepEqual(back.metadata?.annotations, {
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
      'kubernetes.io/change-cause': 'why',
    });
    const fresh = rs('new', 0);
    setNewReplicaSetAnnotations(d, fresh, '1', false);
    assert.equal(fresh.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '2');
    assert.equal(fresh.metadata?.annotations?.['deployment.kubernetes.io/max-replicas'], '3');
  });
});

describe('computeHash', () => {
  it('is FNV-32a spelled in rand.SafeEncodeString alphabet, changed by the collision count', () => {
    assert.equal(fnv32a(Buffer.from('')), 0x811c9dc5);
    assert.equal(fnv32a(Buffer.from('a')), 0xe40c292c);
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
    const t = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const h = computeHash(t);
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(computeHash(structuredClone(t)), h);
    assert.equal(computeHash({ spec: t.spec, metadata: t.metadata }), h, 'key order does not matter');
    assert.notEqual(computeHash(t, 1), h);
    assert.notEqual(computeHash(t, 1), computeHash(t, 2));
  });
});

describe('scale-down ranking', () => {
  const pod = (
    name: string,
    p: { node?: string; phase?: string; ready?: string; created?: string; cost?: string; restarts?: number },
  ): Pod => ({
    metadata: {
      name,
      uid: name,
      creationTimestamp: p.created ?? '2024-01-01T00:00:00Z',
      ...(p.cost ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': p.cost } } : {}),
    },
    spec: { containers: [], ...(p.node ? { nodeName: p.node } : {}) },
    status: {
      phase: (p.phase ?? 'Running') as 'Running',
      conditions: p.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: p.ready }] : [],
      containerStatuses: [{ name: 'c', restartCount: p.restarts ?? 0 } as never],
    },
  });

  it('deletes unassigned, pending, not ready, cheap, doubled-up, recently ready, restarting, new pods first', () => {
    const now = Date.parse('2024-01-02T00:00:00Z');
    const ranked = [
      { pod: pod('ready-long', { node: 'n', ready: '2024-01-01T00:00:00Z' }), rank: 0 },
      { pod: pod('ready-recent', { node: 'n', ready: '2024-01-01T23:59:00Z' }), rank: 0 },
      { pod: pod('unassigned', { phase: 'Pending' }), rank: 0 },
      { pod: pod('pending', { node: 'n', phase: 'Pending' }), rank: 0 },
      { pod: pod('not-ready', { node: 'n' }), rank: 0 },
      { pod: pod('cheap', { node: 'n', ready: '2024-01-01T00:00:00Z', cost: '-5' }), rank: 0 },
      { pod: pod('doubled', { node: 'n', ready: '2024-01-01T00:00:00Z' }), rank: 3 },
      { pod: pod('unknown', { node: 'n', phase: 'Unknown' }), rank: 0 },
    ];
    assert.deepEqual(
      sortForDeletion(ranked, now).map((p) => p.metadata?.name),
      ['unassigned', 'pending', 'unknown', 'not-ready', 'cheap', 'doubled', 'ready-recent', 'ready-long'],
    );
  });
});

describe('expectations', () => {
  it('waits for the creations and the named deletions, or five minutes', () => {
    let t = 0;
    const e = new UIDTrackingControllerExpectations(() => t);
    assert.equal(e.satisfied('k'), true);
    e.expectCreations('k', 2);
    assert.equal(e.satisfied('k'), false);
    e.creationObserved('k');
    e.creationObserved('k');
    assert.equal(e.satisfied('k'), true);
    e.expectDeletions('k', ['ns/a', 'ns/b']);
    e.deletionObserved('k', 'ns/a');
    e.deletionObserved('k', 'ns/a');
    e.deletionObserved('k', 'ns/other');
    assert.equal(e.satisfied('k'), false);
    t = 5 * 60_000 + 1;
    assert.equal(e.satisfied('k'), true);
  });
});

describe('replicaset status', () => {
  it('counts fully labelled, ready and available pods and sets ReplicaFailure on an error', () => {
    const r: ReplicaSet = {
      metadata: { name: 'r' },
      spec: { replicas: 3, minReadySeconds: 10, selector: {}, template: { metadata: { labels: { a: '1', b: '2' } } } },
    };
    const now = new Date('2024-01-01T00:01:00Z');
    const p = (labels: Record<string, string>, ready?: string): Pod => ({
      metadata: { labels },
      status: ready ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ready }] } : {},
    });
    const s = calculateStatus(
      r,
      [p({ a: '1', b: '2' }, '2024-01-01T00:00:00Z'), p({ a: '1' }, '2024-01-01T00:00:55Z')],
      new Error('pods "x" is forbidden: quota'),
      now,
    );
    assert.deepEqual([s.replicas, s.fullyLabeledReplicas, s.readyReplicas, s.availableReplicas], [2, 1, 2, 1]);
    assert.deepEqual(
      s.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
      [['ReplicaFailure', 'True', 'FailedCreate', 'pods "x" is forbidden: quota']],
    );
    const cleared = calculateStatus({ ...r, status: s }, [], undefined, now);
    assert.equal(cleared.conditions, undefined);
  });
});
