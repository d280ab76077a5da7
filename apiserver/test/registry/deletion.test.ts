// planDeletion: BeforeDelete and the finalizer rules of kube-apiserver's generic store, case by case.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, Pod } from '@mkube/shared/api';
import { podGracePeriod } from '../../src/registry/core/strategies.ts';
import { planDeletion, shouldDeleteDuringUpdate } from '../../src/registry/deletion.ts';

const NOW = new Date('2026-12-05T10:00:00Z');
const graceful = {
  checkGracefulDelete: (o: KubeObject, requested: number | undefined) => podGracePeriod(o as Pod, requested),
};

const pod = (
  extra: Partial<Pod['metadata']> = {},
  spec: Partial<NonNullable<Pod['spec']>> = {},
  phase = 'Running',
): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1', resourceVersion: '5', ...extra },
  spec: { nodeName: 'n1', terminationGracePeriodSeconds: 30, containers: [{ name: 'c' }], ...spec },
  status: { phase: phase as 'Running' },
});

describe('planDeletion', () => {
  it('marks a running pod with its terminationGracePeriodSeconds, or the grace asked for', () => {
    const p = planDeletion(pod(), undefined, graceful, NOW);
    assert.equal(p.kind, 'mark');
    assert.equal(p.kind === 'mark' && p.object.metadata.deletionTimestamp, '2026-12-05T10:00:30Z');
    assert.equal(p.kind === 'mark' && p.object.metadata.deletionGracePeriodSeconds, 30);
    const asked = planDeletion(pod(), { gracePeriodSeconds: 5 }, graceful, NOW);
    assert.equal(asked.kind === 'mark' && asked.object.metadata.deletionGracePeriodSeconds, 5);
    // Negative: one second.
    const neg = planDeletion(pod(), { gracePeriodSeconds: -3 }, graceful, NOW);
    assert.equal(neg.kind === 'mark' && neg.object.metadata.deletionGracePeriodSeconds, 1);
  });

  it('deletes at once a pod no node runs, one that has ended, or with grace 0', () => {
    assert.equal(planDeletion(pod({}, { nodeName: undefined }), undefined, graceful, NOW).kind, 'now');
    assert.equal(planDeletion(pod({}, {}, 'Succeeded'), undefined, graceful, NOW).kind, 'now');
    assert.equal(planDeletion(pod({}, {}, 'Failed'), undefined, graceful, NOW).kind, 'now');
    assert.equal(planDeletion(pod(), { gracePeriodSeconds: 0 }, graceful, NOW).kind, 'now');
  });

  it('lets a second delete only shorten the grace period, moving the deadline back', () => {
    const deleting = pod({ deletionTimestamp: '2026-12-05T10:00:30Z', deletionGracePeriodSeconds: 30 });
    assert.equal(planDeletion(deleting, undefined, graceful, NOW).kind, 'pending');
    assert.equal(planDeletion(deleting, { gracePeriodSeconds: 60 }, graceful, NOW).kind, 'pending');
    const shorter = planDeletion(deleting, { gracePeriodSeconds: 10 }, graceful, NOW);
    assert.equal(shorter.kind, 'mark');
    assert.equal(shorter.kind === 'mark' && shorter.object.metadata.deletionTimestamp, '2026-12-05T10:00:10Z');
    assert.equal(shorter.kind === 'mark' && shorter.thenNow, false);
    // The kubelet's final delete: grace 0, so it goes.
    const force = planDeletion(deleting, { gracePeriodSeconds: 0 }, graceful, NOW);
    assert.equal(force.kind === 'mark' && force.thenNow, true);
  });

  it('holds an object with finalizers, marked with no grace, and bumps its generation once', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default', finalizers: ['example.com/hold'], generation: 2 },
    };
    const p = planDeletion(cm, undefined, undefined, NOW);
    assert.equal(p.kind, 'mark');
    assert.deepEqual(p.kind === 'mark' && p.object.metadata, {
      ...cm.metadata,
      deletionTimestamp: '2026-12-05T10:00:00Z',
      deletionGracePeriodSeconds: 0,
      generation: 3,
    });
    const again = planDeletion(p.kind === 'mark' ? p.object : cm, undefined, undefined, NOW);
    assert.equal(again.kind, 'pending');
    // A pod with a finalizer deleted with grace 0 is marked, not removed.
    const held = planDeletion(pod({ finalizers: ['example.com/hold'] }), { gracePeriodSeconds: 0 }, graceful, NOW);
    assert.equal(held.kind === 'mark' && held.object.metadata.deletionGracePeriodSeconds, 0);
    assert.equal(planDeletion({ ...cm, metadata: { name: 'x' } }, undefined, undefined, NOW).kind, 'now');
  });

  it('deletes during an update that removes the last finalizer of an object marked with no grace', () => {
    const marked: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'c',
        finalizers: ['a'],
        deletionTimestamp: '2026-12-05T10:00:00Z',
        deletionGracePeriodSeconds: 0,
      },
    };
    const emptied = { ...marked, metadata: { ...marked.metadata, finalizers: [] } };
    assert.equal(shouldDeleteDuringUpdate(emptied, marked), true);
    assert.equal(shouldDeleteDuringUpdate(marked, marked), false);
    const graceLeft = { ...marked, metadata: { ...marked.metadata, deletionGracePeriodSeconds: 30 } };
    assert.equal(shouldDeleteDuringUpdate(emptied, graceLeft), false);
    const notDeleting = { ...marked, metadata: { name: 'c', finalizers: ['a'] } };
    assert.equal(shouldDeleteDuringUpdate(emptied, notDeleting), false);
  });

  it("turns the propagation policy into the garbage collector's finalizer (deletionFinalizersForGarbageCollection)", () => {
    const cm = (finalizers?: string[], deleting = false): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'c',
        namespace: 'default',
        uid: 'u2',
        ...(finalizers ? { finalizers } : {}),
        ...(deleting ? { deletionTimestamp: '2026-12-05T09:00:00Z', deletionGracePeriodSeconds: 0 } : {}),
      },
    });
    const fin = (p: ReturnType<typeof planDeletion>) => (p.kind === 'mark' ? p.object.metadata.finalizers : p.kind);
    assert.equal(planDeletion(cm(), undefined, undefined, NOW).kind, 'now');
    assert.equal(planDeletion(cm(), { propagationPolicy: 'Background' }, undefined, NOW).kind, 'now');
    assert.deepEqual(fin(planDeletion(cm(), { propagationPolicy: 'Orphan' }, undefined, NOW)), ['orphan']);
    assert.deepEqual(fin(planDeletion(cm(), { orphanDependents: true }, undefined, NOW)), ['orphan']);
    assert.deepEqual(fin(planDeletion(cm(['a']), { propagationPolicy: 'Foreground' }, undefined, NOW)), [
      'a',
      'foregroundDeletion',
    ]);
    // A finalizer already there is the default; an explicit policy replaces it.
    assert.deepEqual(fin(planDeletion(cm(['orphan']), undefined, undefined, NOW)), ['orphan']);
    assert.equal(planDeletion(cm(['orphan']), { propagationPolicy: 'Background' }, undefined, NOW).kind, 'now');
    // Being deleted already: another policy changes the finalizer, the same one changes nothing.
    assert.deepEqual(fin(planDeletion(cm(['orphan'], true), { propagationPolicy: 'Foreground' }, undefined, NOW)), [
      'foregroundDeletion',
    ]);
    assert.equal(planDeletion(cm(['orphan'], true), { propagationPolicy: 'Orphan' }, undefined, NOW).kind, 'pending');
    // A pod in its grace period keeps it, and gets the finalizer.
    const p = planDeletion(pod(), { propagationPolicy: 'Foreground' }, graceful, NOW);
    assert.equal(p.kind === 'mark' && p.object.metadata.deletionGracePeriodSeconds, 30);
    assert.deepEqual(fin(p), ['foregroundDeletion']);
  });
});
