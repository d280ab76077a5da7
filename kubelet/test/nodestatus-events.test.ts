// The node status events of upstream's setters (pkg/kubelet/nodestatus): what a status write records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeCondition } from '@mkube/shared/api';
import { nodeStatusEvents } from '../src/nodestatus/node.ts';

const cond = (type: string, status: string, reason: string): NodeCondition =>
  ({ type, status, reason }) as NodeCondition;
const healthy = (ready: string) => [
  cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
  cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
  cond('PIDPressure', 'False', 'KubeletHasSufficientPID'),
  cond('Ready', ready, ready === 'True' ? 'KubeletReady' : 'KubeletNotReady'),
];

describe('nodeStatusEvents', () => {
  it('a new Node: each pressure condition, and no Ready event (nothing changed)', () => {
    assert.deepEqual(nodeStatusEvents(undefined, healthy('False')), [
      'NodeHasSufficientMemory',
      'NodeHasNoDiskPressure',
      'NodeHasSufficientPID',
    ]);
  });

  it('Ready changing, either way (the node controller’s Unknown included)', () => {
    assert.deepEqual(nodeStatusEvents(healthy('False'), healthy('True')), ['NodeReady']);
    assert.deepEqual(nodeStatusEvents(healthy('True'), healthy('False')), ['NodeNotReady']);
    const unknown = healthy('True').map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' as const } : c));
    assert.deepEqual(nodeStatusEvents(unknown, healthy('True')), ['NodeReady']);
  });

  it('nothing when nothing changed', () => {
    assert.deepEqual(nodeStatusEvents(healthy('True'), healthy('True')), []);
  });
});
