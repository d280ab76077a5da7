import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '@mkube/shared/apierrors';
import { applyPatch, type JsonMap } from '../../src/patch/index.js';

const SMP = 'application/strategic-merge-patch+json';
const POD = { group: '', version: 'v1', kind: 'Pod' };
const NODE = { group: '', version: 'v1', kind: 'Node' };
const CSR = { group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest' };
const SERVICE = { group: '', version: 'v1', kind: 'Service' };
const ENDPOINTS = { group: '', version: 'v1', kind: 'Endpoints' };
const ENDPOINT_SLICE = { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' };
const FLOW_SCHEMA = { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kind: 'FlowSchema' };

interface Case {
  name: string;
  kind?: typeof POD;
  original: JsonMap;
  patch: JsonMap;
  want: JsonMap;
}

const pod = (spec: JsonMap, metadata: JsonMap = { name: 'p' }): JsonMap => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec,
});

const cases: Case[] = [
  {
    name: 'maps merge, null deletes, scalars replace',
    original: pod({ nodeName: 'n1' }, { name: 'p', labels: { a: '1', b: '2' } }),
    patch: { metadata: { labels: { a: null, c: '3' } }, spec: { nodeName: 'n2' } },
    want: pod({ nodeName: 'n2' }, { name: 'p', labels: { b: '2', c: '3' } }),
  },
  {
    name: 'containers merge by name, new ones are appended',
    original: pod({
      containers: [
        { name: 'a', image: 'a:1' },
        { name: 'b', image: 'b:1' },
      ],
    }),
    patch: {
      spec: {
        containers: [
          { name: 'b', image: 'b:2' },
          { name: 'c', image: 'c:1' },
        ],
      },
    },
    want: pod({
      containers: [
        { name: 'a', image: 'a:1' },
        { name: 'b', image: 'b:2' },
        { name: 'c', image: 'c:1' },
      ],
    }),
  },
  {
    name: 'env merges by name, command (atomic) is replaced',
    original: pod({
      containers: [
        {
          name: 'a',
          command: ['x', 'y'],
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
      ],
    }),
    patch: { spec: { containers: [{ name: 'a', command: ['z'], env: [{ name: 'B', value: '3' }] }] } },
    want: pod({
      containers: [
        {
          name: 'a',
          command: ['z'],
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '3' },
          ],
        },
      ],
    }),
  },
  {
    name: '$patch: delete removes a list item by merge key',
    original: pod({ containers: [{ name: 'a' }, { name: 'b' }] }),
    patch: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } },
    want: pod({ containers: [{ name: 'b' }] }),
  },
  {
    name: '$patch: replace in a list replaces the whole list',
    original: pod({ containers: [{ name: 'a', image: 'x' }, { name: 'b' }] }),
    patch: { spec: { containers: [{ name: 'c' }, { $patch: 'replace' }] } },
    want: pod({ containers: [{ name: 'c' }] }),
  },
  {
    name: '$patch: replace in a map replaces the map',
    original: pod({ nodeSelector: { a: '1', b: '2' } }),
    patch: { spec: { nodeSelector: { c: '3', $patch: 'replace' } } },
    want: pod({ nodeSelector: { c: '3' } }),
  },
  {
    name: '$patch: delete in a map empties it',
    original: pod({ nodeSelector: { a: '1' } }),
    patch: { spec: { nodeSelector: { $patch: 'delete' } } },
    want: pod({ nodeSelector: {} }),
  },
  {
    name: 'lists without a merge strategy are replaced (tolerations)',
    original: pod({ tolerations: [{ key: 'a', operator: 'Exists' }] }),
    patch: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
    want: pod({ tolerations: [{ key: 'b', operator: 'Exists' }] }),
  },
  {
    name: 'finalizers merge as a set; $deleteFromPrimitiveList removes',
    original: pod({}, { name: 'p', finalizers: ['a', 'b'] }),
    patch: { metadata: { finalizers: ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
    // Items named in the patch come first, in patch order.
    want: pod({}, { name: 'p', finalizers: ['c', 'a'] }),
  },
  {
    name: 'ownerReferences merge by uid',
    original: pod({}, { name: 'p', ownerReferences: [{ uid: '1', name: 'x', kind: 'Node', apiVersion: 'v1' }] }),
    patch: { metadata: { ownerReferences: [{ uid: '1', controller: true }] } },
    want: pod(
      {},
      { name: 'p', ownerReferences: [{ uid: '1', name: 'x', kind: 'Node', apiVersion: 'v1', controller: true }] },
    ),
  },
  {
    name: 'a patch value of another type replaces; nulls inside new values are dropped',
    original: pod({ nodeName: 'n' }),
    patch: { spec: { nodeName: null, volumes: [{ name: 'v', emptyDir: { medium: null } }] } },
    want: pod({ volumes: [{ name: 'v', emptyDir: {} }] }),
  },
  {
    name: '$retainKeys clears the other members of a union (volume source change)',
    original: pod({ volumes: [{ name: 'v', secret: { secretName: 's' } }] }),
    patch: {
      spec: {
        volumes: [{ $retainKeys: ['configMap', 'name'], name: 'v', configMap: { name: 'cm' }, secret: null }],
      },
    },
    want: pod({ volumes: [{ name: 'v', configMap: { name: 'cm' } }] }),
  },
  {
    // The shape `kubectl apply` sends (CreateThreeWayMergePatch): last-applied had containers
    // [a, b, old] and label `old`; the new manifest has [a, b, c], a's env X=1 and b's image bumped.
    name: 'kubectl apply three-way patch with $setElementOrder and a deleted container',
    original: pod(
      {
        containers: [
          { name: 'sidecar-from-server', image: 's' },
          { name: 'a', image: 'a:1', env: [{ name: 'KEEP', value: 'k' }] },
          { name: 'old', image: 'o' },
          { name: 'b', image: 'b:1' },
        ],
      },
      {
        name: 'p',
        labels: { app: 'x', old: 'y' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      },
    ),
    patch: {
      metadata: {
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}\n' },
        labels: { old: null },
      },
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
        containers: [
          { '$setElementOrder/env': [{ name: 'KEEP' }, { name: 'X' }], env: [{ name: 'X', value: '1' }], name: 'a' },
          { image: 'b:2', name: 'b' },
          { image: 'c:1', name: 'c' },
          { $patch: 'delete', name: 'old' },
        ],
      },
    },
    want: pod(
      {
        containers: [
          { name: 'sidecar-from-server', image: 's' },
          {
            name: 'a',
            image: 'a:1',
            env: [
              { name: 'KEEP', value: 'k' },
              { name: 'X', value: '1' },
            ],
          },
          { name: 'b', image: 'b:2' },
          { name: 'c', image: 'c:1' },
        ],
      },
      {
        name: 'p',
        labels: { app: 'x' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}\n' },
      },
    ),
  },
  {
    name: '$setElementOrder reorders a merged list (apply after reordering the manifest)',
    original: pod({ containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }] } },
    want: pod({ containers: [{ name: 'c' }, { name: 'b' }, { name: 'a' }] }),
  },
  {
    name: 'kubectl apply removing a finalizer: $setElementOrder + $deleteFromPrimitiveList',
    original: pod({}, { name: 'p', finalizers: ['example.com/a', 'example.com/b', 'example.com/c'] }),
    patch: {
      metadata: {
        '$setElementOrder/finalizers': ['example.com/c', 'example.com/a'],
        '$deleteFromPrimitiveList/finalizers': ['example.com/b'],
      },
    },
    want: pod({}, { name: 'p', finalizers: ['example.com/c', 'example.com/a'] }),
  },
  {
    // What the kubelet sends every status update (nodestatus via PatchNodeStatus).
    name: 'node status: conditions and addresses merge by type',
    kind: NODE,
    original: {
      kind: 'Node',
      metadata: { name: 'n' },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: 't0' },
          { type: 'Ready', status: 'False', lastHeartbeatTime: 't0' },
        ],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      },
    },
    patch: {
      status: {
        '$setElementOrder/conditions': [{ type: 'MemoryPressure' }, { type: 'Ready' }],
        conditions: [
          { type: 'MemoryPressure', lastHeartbeatTime: 't1' },
          { type: 'Ready', status: 'True', lastHeartbeatTime: 't1', reason: 'KubeletReady' },
        ],
        addresses: [{ type: 'Hostname', address: 'n' }],
      },
    },
    want: {
      kind: 'Node',
      metadata: { name: 'n' },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: 't1' },
          { type: 'Ready', status: 'True', lastHeartbeatTime: 't1', reason: 'KubeletReady' },
        ],
        // A new patch item cannot be compared with live items, so it goes first (mergeSortedSlice).
        addresses: [
          { type: 'Hostname', address: 'n' },
          { type: 'InternalIP', address: '127.0.0.1' },
        ],
      },
    },
  },
  {
    name: 'node taints are atomic',
    kind: NODE,
    original: { metadata: { name: 'n' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } },
    patch: { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } },
    want: { metadata: { name: 'n' }, spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } },
  },
  {
    name: 'FlowSchema status conditions merge by type; its rules are replaced whole',
    kind: FLOW_SCHEMA,
    original: {
      metadata: { name: 'f' },
      spec: { rules: [{ subjects: [{ kind: 'User', user: { name: 'a' } }] }] },
      status: { conditions: [{ type: 'Dangling', status: 'False' }] },
    },
    patch: {
      spec: { rules: [{ subjects: [{ kind: 'User', user: { name: 'b' } }] }] },
      status: { conditions: [{ type: 'Other', status: 'True' }] },
    },
    want: {
      metadata: { name: 'f' },
      spec: { rules: [{ subjects: [{ kind: 'User', user: { name: 'b' } }] }] },
      status: {
        conditions: [
          { type: 'Other', status: 'True' },
          { type: 'Dangling', status: 'False' },
        ],
      },
    },
  },
  {
    name: 'CSR conditions have no patch strategy: replaced',
    kind: CSR,
    original: { metadata: { name: 'c' }, status: { conditions: [{ type: 'Approved', status: 'True' }] } },
    patch: { status: { conditions: [{ type: 'Failed', status: 'True' }] } },
    want: { metadata: { name: 'c' }, status: { conditions: [{ type: 'Failed', status: 'True' }] } },
  },
  {
    name: 'service ports merge by port: one port patched, the other kept',
    kind: SERVICE,
    original: {
      metadata: { name: 's' },
      spec: {
        type: 'NodePort',
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 },
          { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443, nodePort: 30443 },
        ],
        selector: { app: 'a' },
        externalIPs: ['1.2.3.4'],
      },
    },
    // kubectl patch svc s -p '{"spec":{"ports":[{"port":443,"nodePort":31443}],"selector":{"tier":"web"},...}}'
    patch: { spec: { ports: [{ port: 443, nodePort: 31443 }], selector: { tier: 'web' }, externalIPs: ['5.6.7.8'] } },
    want: {
      metadata: { name: 's' },
      spec: {
        type: 'NodePort',
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 },
          { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443, nodePort: 31443 },
        ],
        // selector has no patch strategy: a map, merged key by key; externalIPs is atomic.
        selector: { app: 'a', tier: 'web' },
        externalIPs: ['5.6.7.8'],
      },
    },
  },
  {
    name: 'service ports: $patch delete by port, new port appended; status conditions merge by type',
    kind: SERVICE,
    original: {
      metadata: { name: 's' },
      spec: {
        ports: [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'https', port: 443, protocol: 'TCP' },
        ],
      },
      status: {
        loadBalancer: { ingress: [{ ip: '203.0.113.1' }] },
        conditions: [{ type: 'LoadBalancerPortsError', status: 'True', reason: 'R' }],
      },
    },
    patch: {
      spec: {
        ports: [
          { port: 80, $patch: 'delete' },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      },
      status: {
        loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] },
        conditions: [{ type: 'LoadBalancerPortsError', status: 'False' }],
      },
    },
    want: {
      metadata: { name: 's' },
      spec: {
        // Without $setElementOrder a new patch item cannot be compared with live items: it goes first.
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'https', port: 443, protocol: 'TCP' },
        ],
      },
      status: {
        // loadBalancer.ingress is atomic.
        loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] },
        conditions: [{ type: 'LoadBalancerPortsError', status: 'False', reason: 'R' }],
      },
    },
  },
  {
    name: 'endpoints subsets are atomic',
    kind: ENDPOINTS,
    original: {
      metadata: { name: 'e' },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }],
    },
    patch: { subsets: [{ addresses: [{ ip: '10.0.0.2' }] }] },
    want: { metadata: { name: 'e' }, subsets: [{ addresses: [{ ip: '10.0.0.2' }] }] },
  },
  {
    // k8s.io/api/discovery/v1: ports and endpoints are listType=atomic with no patchStrategy tag.
    name: 'endpointslice ports are atomic: the patch replaces the list',
    kind: ENDPOINT_SLICE,
    original: {
      metadata: { name: 'es', labels: { 'kubernetes.io/service-name': 's' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }],
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'https', port: 443, protocol: 'TCP' },
      ],
    },
    patch: { metadata: { labels: { tier: 'web' } }, ports: [{ name: 'https', port: 8443 }] },
    want: {
      metadata: { name: 'es', labels: { 'kubernetes.io/service-name': 's', tier: 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 8443 }],
    },
  },
  {
    name: 'endpointslice endpoints are atomic, and so are the addresses inside them',
    kind: ENDPOINT_SLICE,
    original: {
      metadata: { name: 'es' },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.0.0.1'], conditions: { ready: true }, nodeName: 'n1' },
        { addresses: ['10.0.0.2'], conditions: { ready: true } },
      ],
      ports: [{ port: 80 }],
    },
    patch: { endpoints: [{ addresses: ['10.0.0.3'] }] },
    want: {
      metadata: { name: 'es' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.3'] }],
      ports: [{ port: 80 }],
    },
  },
];

describe('strategic merge patch', () => {
  for (const c of cases) {
    it(c.name, () => {
      const original = structuredClone(c.original);
      const got = applyPatch(c.kind ?? POD, original, SMP, JSON.stringify(c.patch));
      assert.deepEqual(got, c.want);
      assert.deepEqual(original, c.original, 'the original must not be modified');
    });
  }
});

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e));
    return e;
  }
  assert.fail('expected a StatusError');
}

describe('strategic merge patch errors', () => {
  const base = pod({ containers: [{ name: 'a' }] }, { name: 'p', finalizers: ['a'], ownerReferences: [] });
  const errCases: [string, unknown, number, string][] = [
    ['not JSON', '{', 400, 'error decoding patch'],
    ['not an object', '[1]', 400, 'json: cannot unmarshal array into Go value of type map[string]interface {}'],
    [
      'bad $setElementOrder',
      { spec: { '$setElementOrder/containers': 'x' } },
      400,
      'invalid patch format of setElementOrder list',
    ],
    ['bad $retainKeys', { spec: { $retainKeys: 'x' } }, 400, 'invalid patch format of retainKeys'],
    [
      'field not in $retainKeys',
      { spec: { $retainKeys: ['a'], nodeName: 'x' } },
      400,
      'invalid patch format of retainKeys',
    ],
    [
      'bad $deleteFromPrimitiveList key',
      { metadata: { '$deleteFromPrimitiveList/a/b': ['x'] } },
      400,
      'invalid patch format of primitive list',
    ],
    [
      'list of lists',
      { metadata: { ownerReferences: [['x']] } },
      422,
      'the server rejected our request due to an error in our request',
    ],
    ['mixed element types', { metadata: { finalizers: [1] } }, 500, 'list element types are not identical'],
    [
      'missing merge key',
      { spec: { containers: [{ image: 'x' }] } },
      500,
      'map: map[image:x] does not contain declared merge key: name',
    ],
    ['unknown $patch', { spec: { $patch: 'foo' } }, 500, 'unknown patch type: foo in map: map[$patch:foo]'],
    [
      '$patch: merge in a list',
      { spec: { containers: [{ $patch: 'merge' }] } },
      500,
      'merging lists cannot yet be specified in the patch',
    ],
  ];
  for (const [name, patch, code, msg] of errCases) {
    it(name, () => {
      const e = statusOf(() => applyPatch(POD, base, SMP, typeof patch === 'string' ? patch : JSON.stringify(patch)));
      assert.equal(e.code, code);
      assert.ok(e.message.startsWith(msg), `${e.message} should start with ${msg}`);
    });
  }

  it('refuses strategic merge patch for kinds without a schema (415)', () => {
    const e = statusOf(() => applyPatch({ group: 'example.com', version: 'v1', kind: 'Widget' }, {}, SMP, '{}'));
    assert.equal(e.code, 415);
    assert.equal(e.reason, 'UnsupportedMediaType');
  });

  it('refuses unknown patch media types (415)', () => {
    const e = statusOf(() => applyPatch(POD, {}, 'application/apply-patch+yaml', 'a: b'));
    assert.equal(e.code, 415);
    assert.match(e.message, /\(got "application\/apply-patch\+yaml"\)$/);
  });
});
