import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigMap, Lease, Namespace, Node, Pod, Secret } from '@mkube/shared/api';
import { type FieldError, formatFieldError } from '@mkube/shared/apierrors';
import { defaultPod } from '../../src/registry/core/poddefaults.js';
import {
  MAX_SECRET_SIZE,
  validateConfigMap,
  validateConfigMapUpdate,
  validateLease,
  validateNamespace,
  validateNode,
  validateNodeUpdate,
  validatePod,
  validatePodUpdate,
  validateSecret,
  validateSecretUpdate,
} from '../../src/validation/index.js';

const msgs = (errs: FieldError[]): string[] => errs.map(formatFieldError);
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const meta = { name: 'x', namespace: 'default', resourceVersion: '1' };
const KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

describe('Secret', () => {
  const cases: [string, Secret, string[]][] = [
    ['valid opaque', { metadata: meta, type: 'Opaque', data: { 'ca.crt': b64('x'), token: b64('y') } }, []],
    [
      'bad keys',
      { metadata: meta, data: { 'a/b': b64('x'), '..': b64('y') } },
      [`data[..]: Invalid value: "..": must not be '..'`, `data[a/b]: Invalid value: "a/b": ${KEY_MSG}`],
    ],
    [
      'not base64',
      { metadata: meta, data: { k: 'abc' } },
      ['data[k]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 0'],
    ],
    [
      'too large',
      { metadata: meta, data: { k: Buffer.alloc(MAX_SECRET_SIZE + 1).toString('base64') } },
      ['data: Too long: may not be more than 1048576 bytes'],
    ],
    [
      'tls needs both keys',
      { metadata: meta, type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c') } },
      ['data[tls.key]: Required value'],
    ],
    [
      'service-account token needs the SA name',
      { metadata: meta, type: 'kubernetes.io/service-account-token' },
      ['metadata.annotations[kubernetes.io/service-account.name]: Required value'],
    ],
  ];
  for (const [name, s, want] of cases) it(name, () => assert.deepEqual(msgs(validateSecret(s)), want));

  it('type is immutable; immutable secrets keep their data', () => {
    const old: Secret = { metadata: meta, type: 'Opaque', immutable: true, data: { a: b64('1') } };
    assert.deepEqual(
      msgs(
        validateSecretUpdate(
          { ...old, type: 'kubernetes.io/basic-auth', immutable: false, data: { a: b64('2'), username: b64('u') } },
          old,
        ),
      ),
      [
        'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
        'immutable: Forbidden: field is immutable when `immutable` is set',
        'data: Forbidden: field is immutable when `immutable` is set',
      ],
    );
    assert.deepEqual(msgs(validateSecretUpdate({ ...old, metadata: { ...meta, labels: { a: 'b' } } }, old)), []);
  });
});

describe('ConfigMap', () => {
  it('keys, binaryData duplicates and size', () => {
    const cm: ConfigMap = { metadata: meta, data: { ok: 'v', dup: 'x' }, binaryData: { dup: b64('y') } };
    assert.deepEqual(msgs(validateConfigMap(cm)), [
      'data[dup]: Invalid value: "dup": duplicate of key present in binaryData',
    ]);
    const big: ConfigMap = { metadata: meta, data: { a: 'x'.repeat(MAX_SECRET_SIZE), b: 'y' } };
    assert.deepEqual(msgs(validateConfigMap(big)), [': Too long: may not be more than 1048576 bytes']);
  });
  it('immutable', () => {
    const old: ConfigMap = { metadata: meta, immutable: true, data: { a: '1' } };
    assert.deepEqual(msgs(validateConfigMapUpdate({ ...old, data: { a: '2' } }, old)), [
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('Namespace', () => {
  it('name is a DNS label and namespace-less', () => {
    const good: Namespace = { metadata: { name: 'kube-system' }, spec: { finalizers: ['kubernetes'] } };
    assert.deepEqual(msgs(validateNamespace(good)), []);
    const bad: Namespace = { metadata: { name: 'a.b' }, spec: { finalizers: ['nope'] } };
    assert.deepEqual(msgs(validateNamespace(bad)), [
      "metadata.name: Invalid value: \"a.b\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      'spec.finalizers: Invalid value: "nope": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });
});

describe('Lease', () => {
  it('spec fields', () => {
    const lease: Lease = {
      metadata: { name: 'node-1', namespace: 'kube-node-lease' },
      spec: { holderIdentity: 'node-1', leaseDurationSeconds: 0, leaseTransitions: -1, preferredHolder: 'x' },
    };
    assert.deepEqual(msgs(validateLease(lease)), [
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
      'spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined',
    ]);
    assert.deepEqual(msgs(validateLease({ ...lease, spec: { holderIdentity: 'n', leaseDurationSeconds: 40 } })), []);
  });
});

describe('Node', () => {
  it('taints', () => {
    const node: Node = {
      metadata: { name: 'node-1' },
      spec: {
        taints: [
          { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
          { key: 'k', effect: 'Sometimes' as 'NoSchedule' },
        ],
      },
    };
    assert.deepEqual(msgs(validateNode(node)), [
      'spec.taints[1]: Duplicate value: {"key":"node.kubernetes.io/not-ready","effect":"NoSchedule"}: taints must be unique by key and effect pair',
      'spec.taints[2].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
  });
  it('podCIDRs are set once', () => {
    const old: Node = {
      metadata: { name: 'n', resourceVersion: '1' },
      spec: { podCIDR: '10.0.0.0/24', podCIDRs: ['10.0.0.0/24'] },
    };
    assert.deepEqual(
      msgs(validateNodeUpdate({ ...old, spec: { podCIDR: '10.1.0.0/24', podCIDRs: ['10.1.0.0/24'] } }, old)),
      ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'],
    );
  });
});

describe('Pod', () => {
  // As the registry validates them: after the v1 defaults (volumes kept as sent, to test their rules).
  const pod = (spec: Pod['spec']): Pod => {
    const p: Pod = { metadata: meta, spec: { ...spec!, volumes: undefined } };
    defaultPod(p);
    p.spec!.volumes = spec!.volumes;
    return p;
  };
  it('a minimal pod is valid', () => {
    assert.deepEqual(msgs(validatePod(pod({ containers: [{ name: 'c', image: 'busybox' }] }))), []);
  });
  it('containers, env, volumes', () => {
    const p = pod({
      containers: [
        { name: 'c', image: '', env: [{ name: '1X' }], volumeMounts: [{ name: 'missing', mountPath: '/m' }] },
        { name: 'c', image: 'x' },
      ],
      volumes: [{ name: 'v' }, { name: 'w', secret: { secretName: 's' }, configMap: { name: 'c' } }],
      restartPolicy: 'Sometimes' as 'Always',
    });
    assert.deepEqual(msgs(validatePod(p)), [
      'spec.volumes[0]: Required value: must specify a volume type',
      'spec.volumes[1].configMap: Forbidden: may not specify more than 1 volume type',
      'spec.containers[0].image: Required value',
      "spec.containers[0].env[0].name: Invalid value: \"1X\": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
      'spec.containers[0].volumeMounts[0].name: Not found: "missing"',
      'spec.containers[1].name: Duplicate value: "c"',
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
    assert.deepEqual(msgs(validatePod(pod({ containers: [] }))), ['spec.containers: Required value']);
  });
  it('probes: one handler, valid ports and headers, thresholds; none on init containers', () => {
    const p = pod({
      containers: [
        {
          name: 'c',
          image: 'x',
          livenessProbe: { successThreshold: 2, exec: { command: [] }, httpGet: { port: 80 } },
          readinessProbe: {
            httpGet: {
              path: '/',
              port: 'not_a_name',
              scheme: 'FTP' as 'HTTP',
              httpHeaders: [{ name: 'X Y', value: '' }],
            },
            periodSeconds: -1,
            terminationGracePeriodSeconds: 5,
          },
          startupProbe: { tcpSocket: { port: 70000 }, terminationGracePeriodSeconds: 0 },
        },
        { name: 'd', image: 'x', readinessProbe: {}, livenessProbe: { grpc: { port: 0 } } },
      ],
      initContainers: [{ name: 'i', image: 'x', livenessProbe: { tcpSocket: { port: 1 } } }],
    });
    assert.deepEqual(msgs(validatePod(p)), [
      'spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type',
      'spec.containers[0].livenessProbe.exec.command: Required value',
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "not_a_name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"',
      "spec.containers[0].readinessProbe.httpGet.httpHeaders[0].name: Invalid value: \"X Y\": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
      'spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes',
      'spec.containers[0].startupProbe.tcpSocket.port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].startupProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0',
      'spec.containers[1].livenessProbe.grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.containers[1].readinessProbe: Required value: must specify a handler type',
      'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    ]);
  });
  it('a container restartPolicy: Always on init containers (sidecars, which may be probed), nowhere else', () => {
    const p = pod({
      containers: [{ name: 'c', image: 'x', restartPolicy: 'Always' }],
      initContainers: [
        { name: 'side', image: 'x', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 1 } } },
        { name: 'i', image: 'x', restartPolicy: 'Never' as 'Always' },
      ],
    });
    assert.deepEqual(msgs(validatePod(p)), [
      'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
      'spec.initContainers[1].restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });
  it('lifecycle hooks: one handler, sleep within the grace period, none on plain init containers', () => {
    const p = pod({
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'c',
          image: 'x',
          lifecycle: {
            postStart: { exec: { command: ['true'] }, sleep: { seconds: 1 } },
            preStop: { sleep: { seconds: 9 } },
          },
        },
        { name: 'd', image: 'x', lifecycle: { preStop: {} } },
      ],
      initContainers: [{ name: 'i', image: 'x', lifecycle: { preStop: { sleep: { seconds: 1 } } } }],
    });
    assert.deepEqual(msgs(validatePod(p)), [
      'spec.containers[0].lifecycle.postStart.sleep: Forbidden: may not specify more than 1 handler type',
      'spec.containers[0].lifecycle.preStop.sleep: Invalid value: 9: must be non-negative and less than terminationGracePeriodSeconds (5)',
      'spec.containers[1].lifecycle.preStop: Required value: must specify a handler type',
      'spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always',
    ]);
  });
  it('updates may change images only', () => {
    const old = pod({ containers: [{ name: 'c', image: 'a' }], nodeName: 'n1' });
    assert.deepEqual(
      msgs(validatePodUpdate(pod({ containers: [{ name: 'c', image: 'b' }], nodeName: 'n1' }), old)),
      [],
    );
    const errs = msgs(validatePodUpdate(pod({ containers: [{ name: 'c', image: 'a' }], nodeName: 'n2' }), old));
    assert.equal(errs.length, 1);
    assert.match(
      errs[0]!,
      /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/,
    );
  });
});
