import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Pod,
  podClaims,
  podReferences,
  volumeIsForPod,
} from '../src/api/index.ts';
import { findMatchingVolume } from '../src/volume/index.ts';

const pv = (name: string, storage: string, extra: Partial<PersistentVolume['spec']> = {}): PersistentVolume => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name },
  spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], storageClassName: 'fast', ...extra },
  status: { phase: 'Available' },
});

const claim: PersistentVolumeClaim = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data', namespace: 'ns', uid: 'c1' },
  spec: { accessModes: ['ReadWriteMany'], storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } },
};

describe('findMatchingVolume', () => {
  it('takes the smallest fitting volume; only the scheduler path checks access modes', () => {
    const vols = [pv('big', '5Gi'), pv('small', '2Gi'), pv('tiny', '512Mi')];
    assert.equal(findMatchingVolume(claim, vols)?.metadata.name, 'small');
    assert.equal(findMatchingVolume(claim, vols, { fitsNode: () => true }), undefined);
  });

  it('returns a pre-bound volume whatever its phase, or none when it is off the node', () => {
    const bound = pv('bound', '9Gi', { claimRef: { namespace: 'ns', name: 'data' } });
    bound.status = { phase: 'Bound' };
    const vols = [pv('small', '2Gi'), bound];
    assert.equal(findMatchingVolume(claim, vols, { delayBinding: true })?.metadata.name, 'bound');
    assert.equal(findMatchingVolume(claim, vols, { fitsNode: (v) => v.metadata.name !== 'bound' }), undefined);
  });

  it('leaves unbound volumes to the scheduler under delayed binding, and skips excluded ones', () => {
    assert.equal(findMatchingVolume(claim, [pv('small', '2Gi')], { delayBinding: true }), undefined);
    const rwx = [
      pv('a', '2Gi', { accessModes: ['ReadWriteMany'] }),
      pv('b', '3Gi', { accessModes: ['ReadWriteMany'] }),
    ];
    const opts = { delayBinding: true, fitsNode: () => true, excluded: new Set(['a']) };
    assert.equal(findMatchingVolume(claim, rwx, opts)?.metadata.name, 'b');
  });

  it('fails on a selector that does not parse, as upstream', () => {
    const bad = structuredClone(claim);
    bad.spec!.selector = { matchExpressions: [{ key: 'k', operator: 'Bogus' as 'In', values: [] }] };
    assert.throws(
      () => findMatchingVolume(bad, [pv('small', '2Gi')]),
      /error creating internal label selector for claim: ns\/data/,
    );
  });
});

describe('pod claims', () => {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'ns', uid: 'p1' },
    spec: {
      containers: [],
      volumes: [
        { name: 'a', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
        { name: 'c', emptyDir: {} },
      ],
    },
  };

  it('names a generic ephemeral volume’s claim <pod>-<volume>, for the Node authorizer too', () => {
    assert.deepEqual(podClaims(pod), [
      { name: 'data', ephemeral: false },
      { name: 'web-scratch', ephemeral: true },
    ]);
    const refs = podReferences(pod).filter(([k]) => k === 'persistentvolumeclaims');
    assert.deepEqual(refs, [
      ['persistentvolumeclaims', 'data'],
      ['persistentvolumeclaims', 'web-scratch'],
    ]);
  });

  it('counts an ephemeral claim as the pod’s only when the pod controls it', () => {
    const pvc: PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'web-scratch', namespace: 'ns', ownerReferences: [] },
    };
    assert.equal(volumeIsForPod(pod, pvc), 'PVC ns/web-scratch was not created for pod ns/web (pod is not owner)');
    pvc.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'p1', controller: true }];
    assert.equal(volumeIsForPod(pod, pvc), undefined);
  });
});
