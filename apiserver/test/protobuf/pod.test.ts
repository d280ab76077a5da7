// The core/v1 Pod table: structs JSON inlines (Volume.volumeSource, Probe.handler, key selectors'
// localObjectReference, EphemeralContainer's common part), Quantities, packed and unpacked repeated
// numbers, pointers to zero and to empty structs; and strict field validation over the same table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeKubernetesProtobuf, unknownFields } from '../../src/protobuf/index.ts';

const varint = (n: number): Buffer => {
  const out: number[] = [];
  let v = n;
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
};
const pbInt = (field: number, n: number) => Buffer.concat([varint(field << 3), varint(n)]);
const pbLen = (field: number, ...parts: (Buffer | string)[]) => {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  return Buffer.concat([varint((field << 3) | 2), varint(body.length), body]);
};
const envelope = (pod: Buffer) =>
  Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), pbLen(1, pbLen(1, 'v1'), pbLen(2, 'Pod')), pbLen(2, pod)]);

describe('protobuf Pod', () => {
  it('decodes inlined structs, quantities, repeated numbers and pointers into the JSON form', () => {
    const quantity = (key: string, value: string) => pbLen(1, pbLen(1, key), pbLen(2, pbLen(1, value)));
    const container = pbLen(
      2,
      pbLen(1, 'app'),
      pbLen(2, 'busybox'),
      pbLen(7, pbLen(1, 'PASSWORD'), pbLen(3, pbLen(4, pbLen(1, pbLen(1, 'db')), pbLen(2, 'password')))),
      pbLen(8, quantity('cpu', '250m'), quantity('memory', '64Mi')),
      pbLen(10, pbLen(1, pbLen(2, pbLen(1, '/healthz'), pbLen(2, pbInt(1, 1), pbLen(3, 'http')))), pbInt(4, 5)),
      pbLen(15, pbInt(2, 0), pbInt(6, 1)),
    );
    const spec = Buffer.concat([
      pbLen(1, pbLen(1, 'cfg'), pbLen(2, pbLen(19, pbLen(1, pbLen(1, 'settings'))))),
      container,
      pbLen(34, pbLen(1, pbLen(1, 'debug'), pbLen(2, 'busybox')), pbLen(2, 'app')),
      pbLen(14, pbLen(4, Buffer.concat([varint(1), varint(300)])), pbInt(2, 0)),
      pbInt(4, 0),
    ]);
    const pod = decodeKubernetesProtobuf(envelope(Buffer.concat([pbLen(1, pbLen(1, 'p')), pbLen(2, spec)])), {
      apiVersion: 'v1',
      kind: 'Pod',
    });
    assert.deepEqual(pod, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
            resources: { limits: { cpu: '250m', memory: '64Mi' } },
            livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
            securityContext: { privileged: false, readOnlyRootFilesystem: true },
          },
        ],
        ephemeralContainers: [{ name: 'debug', image: 'busybox', targetContainerName: 'app' }],
        securityContext: { supplementalGroups: [1, 300], runAsUser: 0 },
        terminationGracePeriodSeconds: 0,
      },
    });
    assert.deepEqual(unknownFields(pod, 'v1', 'Pod'), []);
  });

  it('strict field validation knows every Pod field, inlined ones included, and nothing else', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', creationTimestamp: null },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'i',
            readinessProbe: { exec: { command: ['true'] }, failureThreshold: 3 },
            lifecycle: { preStop: { sleep: { seconds: 1 } } },
            envFrom: [{ prefix: 'X_', secretRef: { name: 's', optional: true } }],
            securityContext: { capabilities: { add: ['NET_ADMIN'] }, seccompProfile: { type: 'RuntimeDefault' } },
            runAsUser: 0,
          },
        ],
        volumes: [{ name: 'v', nfs: { server: 'nfs', path: '/' }, hostPath: { path: '/', kind: 'x' } }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
        securityContext: { sysctls: [{ name: 'a', value: 'b' }], fsGroup: 1 },
      },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null }] },
    };
    assert.deepEqual(unknownFields(pod, 'v1', 'Pod'), [
      'spec.containers[0].runAsUser',
      'spec.volumes[0].hostPath.kind',
    ]);
  });
});
