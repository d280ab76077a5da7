// The core/v1 Pod defaults, on their own: which tag an image reference has (the pull policy's rule)
// and that defaults only fill what was left empty.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '@mkube/shared/api';
import { defaultPod, imageTag } from '../../src/registry/core/poddefaults.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('imageTag (parsers.ParseImageName)', () => {
  const cases: [string, string][] = [
    ['busybox', 'latest'],
    ['busybox:latest', 'latest'],
    ['busybox:1.36', '1.36'],
    ['library/busybox', 'latest'],
    ['registry.k8s.io/pause:3.10', '3.10'],
    ['localhost:5000/app', 'latest'],
    ['localhost:5000/app:v2', 'v2'],
    ['[::1]:5000/app:v3', 'v3'],
    [`app@${DIGEST}`, ''],
    [`app:v1@${DIGEST}`, 'v1'],
    ['Busybox', ''],
    ['busybox:', ''],
    ['', ''],
  ];
  for (const [image, tag] of cases) {
    it(`${image || '(empty)'} → ${tag || '(none)'}`, () => assert.equal(imageTag(image), tag));
  }
});

describe('defaultPod', () => {
  it('fills only what is empty', () => {
    const pod: Pod = {
      metadata: { name: 'p' },
      spec: {
        dnsPolicy: 'Default',
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        schedulerName: 'mine',
        enableServiceLinks: false,
        containers: [
          {
            name: 'c',
            image: 'busybox',
            imagePullPolicy: 'Never',
            terminationMessagePath: '/tmp/why',
            terminationMessagePolicy: 'FallbackToLogsOnError',
            ports: [{ containerPort: 53, protocol: 'UDP' }],
            resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } },
          },
        ],
        volumes: [{ name: 's', secret: { secretName: 's', defaultMode: 0o400 } }],
      },
    };
    defaultPod(pod);
    const s = pod.spec!;
    assert.deepEqual(
      [s.dnsPolicy, s.restartPolicy, s.terminationGracePeriodSeconds, s.schedulerName, s.enableServiceLinks],
      ['Default', 'Never', 0, 'mine', false],
    );
    const c = s.containers[0]!;
    assert.deepEqual(
      [c.imagePullPolicy, c.terminationMessagePath, c.terminationMessagePolicy, c.ports?.[0]?.protocol],
      ['Never', '/tmp/why', 'FallbackToLogsOnError', 'UDP'],
    );
    // Requests default to the limits per resource, and a request that was set stays.
    assert.deepEqual(c.resources?.requests, { cpu: '100m', memory: '1Gi' });
    assert.equal(s.volumes?.[0]?.secret?.defaultMode, 0o400);
  });

  it('gives host ports under hostNetwork, and an empty volume an emptyDir', () => {
    const pod: Pod = {
      metadata: { name: 'p' },
      spec: {
        hostNetwork: true,
        containers: [
          { name: 'c', image: 'x:1', ports: [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 1 }] },
        ],
        volumes: [{ name: 'scratch' }],
      },
    };
    defaultPod(pod);
    assert.deepEqual(
      pod.spec?.containers[0]?.ports?.map((p) => p.hostPort),
      [8080, 1],
    );
    assert.deepEqual(pod.spec?.volumes?.[0], { name: 'scratch', emptyDir: {} });
  });
});
