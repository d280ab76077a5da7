// Table printers: exact cells per resource, as kube-apiserver prints them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanDuration, printerFor, toTable, wantsTable } from '../../src/printers/index.ts';
import { findResource, type ResourceDef } from '../../src/registry/catalog.ts';

const NOW = new Date('2026-01-10T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function def(group: string, resource: string): ResourceDef {
  const d = findResource(group, 'v1', resource);
  assert.ok(d, `${group}/${resource} in catalog`);
  return d;
}

function rows(group: string, resource: string, objects: object[]) {
  const t = toTable(def(group, resource), objects, { includeObject: 'Metadata', now: NOW });
  return { t, names: t.columnDefinitions.map((c) => c.name.toUpperCase()), cells: t.rows.map((r) => r.cells) };
}

const meta = (name: string, created = ago(5 * MIN), extra: object = {}) => ({
  name,
  creationTimestamp: created,
  resourceVersion: '7',
  ...extra,
});

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  const cases: [number, string][] = [
    [-5000, '<invalid>'],
    [-1000, '0s'],
    [0, '0s'],
    [119_000, '119s'],
    [5 * MIN, '5m'],
    [5 * MIN + 30_000, '5m30s'],
    [179 * MIN, '179m'],
    [3 * HOUR + 12 * MIN, '3h12m'],
    [7 * HOUR, '7h'],
    [47 * HOUR, '47h'],
    [2 * DAY, '2d'],
    [2 * DAY + 5 * HOUR, '2d5h'],
    [30 * DAY, '30d'],
    [800 * DAY, '2y70d'],
    [3000 * DAY, '8y'],
  ];
  for (const [ms, want] of cases) it(`${ms}ms → ${want}`, () => assert.equal(humanDuration(ms), want));
});

describe('wantsTable', () => {
  it('recognises kubectl get Accept headers, params in any order', () => {
    assert.ok(
      wantsTable(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    );
    assert.ok(wantsTable('application/json; g=meta.k8s.io; v=v1beta1; as=Table'));
    assert.ok(!wantsTable('application/json'));
    assert.ok(!wantsTable('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io'));
    assert.ok(!wantsTable(''));
  });
});

describe('toTable', () => {
  it('CSRs: NAME AGE SIGNERNAME REQUESTOR REQUESTEDDURATION CONDITION', () => {
    const { names, cells } = rows('certificates.k8s.io', 'certificatesigningrequests', [
      {
        metadata: meta('csr-a', ago(3 * HOUR + 12 * MIN)),
        spec: {
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          username: 'system:node:n1',
          expirationSeconds: 86400,
          request: '',
        },
        status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' },
      },
      { metadata: meta('csr-b'), spec: { signerName: 'kubernetes.io/kubelet-serving', username: 'u', request: '' } },
      {
        metadata: meta('csr-c'),
        spec: { signerName: 's', username: 'u', request: '' },
        status: {
          conditions: [
            { type: 'Approved', status: 'True' },
            { type: 'Denied', status: 'True' },
            { type: 'Failed', status: 'True' },
          ],
        },
      },
    ]);
    assert.deepEqual(names, ['NAME', 'AGE', 'SIGNERNAME', 'REQUESTOR', 'REQUESTEDDURATION', 'CONDITION']);
    assert.deepEqual(cells, [
      ['csr-a', '3h12m', 'kubernetes.io/kube-apiserver-client-kubelet', 'system:node:n1', '24h', 'Approved,Issued'],
      ['csr-b', '5m', 'kubernetes.io/kubelet-serving', 'u', '<none>', 'Pending'],
      ['csr-c', '5m', 's', 'u', '<none>', 'Denied,Failed'],
    ]);
  });

  it('nodes: status, roles, version and wide columns with priority 1', () => {
    const { t, names, cells } = rows('', 'nodes', [
      {
        metadata: meta('n1', ago(2 * DAY), {
          labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' },
        }),
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [
            { type: 'InternalIP', address: '10.0.0.5' },
            { type: 'Hostname', address: 'n1' },
          ],
          nodeInfo: {
            kubeletVersion: 'v1.33.0',
            osImage: 'Debian',
            kernelVersion: '6.1.0',
            containerRuntimeVersion: 'mkube://0.1',
          },
        },
      },
      { metadata: meta('n2'), status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } },
      { metadata: meta('n3') },
    ]);
    assert.deepEqual(names, [
      'NAME',
      'STATUS',
      'ROLES',
      'AGE',
      'VERSION',
      'INTERNAL-IP',
      'EXTERNAL-IP',
      'OS-IMAGE',
      'KERNEL-VERSION',
      'CONTAINER-RUNTIME',
    ]);
    assert.deepEqual(
      t.columnDefinitions.map((c) => c.priority),
      [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
    );
    assert.deepEqual(cells, [
      [
        'n1',
        'Ready,SchedulingDisabled',
        'control-plane,worker',
        '2d',
        'v1.33.0',
        '10.0.0.5',
        '<none>',
        'Debian',
        '6.1.0',
        'mkube://0.1',
      ],
      ['n2', 'NotReady', '<none>', '5m', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
      ['n3', 'Unknown', '<none>', '5m', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ]);
  });

  it('pods: READY, STATUS, RESTARTS and wide columns', () => {
    const { names, cells, t } = rows('', 'pods', [
      {
        metadata: meta('web', ago(10 * MIN)),
        spec: { nodeName: 'n1', containers: [{ name: 'a' }, { name: 'b' }] },
        status: {
          phase: 'Running',
          podIP: '10.1.0.4',
          conditions: [{ type: 'Ready', status: 'False' }],
          containerStatuses: [
            { name: 'a', ready: true, restartCount: 0, state: { running: {} }, image: '', imageID: '' },
            {
              name: 'b',
              ready: false,
              restartCount: 2,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode: 1, finishedAt: ago(3 * MIN) } },
              image: '',
              imageID: '',
            },
          ],
        },
      },
      { metadata: meta('pending'), spec: { containers: [{ name: 'a' }] }, status: { phase: 'Pending' } },
      {
        metadata: meta('done'),
        spec: { containers: [{ name: 'a' }] },
        status: {
          phase: 'Succeeded',
          containerStatuses: [
            {
              name: 'a',
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode: 0, reason: 'Completed' } },
              image: '',
              imageID: '',
            },
          ],
        },
      },
      {
        metadata: meta('bye', undefined, { deletionTimestamp: ago(0) }),
        spec: { containers: [{ name: 'a' }] },
        status: { phase: 'Running' },
      },
    ]);
    assert.deepEqual(names, [
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    assert.deepEqual(cells, [
      ['web', '1/2', 'CrashLoopBackOff', '2 (3m ago)', '10m', '10.1.0.4', 'n1', '<none>', '<none>'],
      ['pending', '0/1', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
      ['done', '0/1', 'Completed', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
      ['bye', '0/1', 'Terminating', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ]);
    assert.deepEqual(t.rows[2]?.conditions, [
      { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
    ]);
  });

  it('pods with a sidecar: counted in READY once started, its restarts kept; before that, Init:i/n', () => {
    const st = (name: string, over: object) => ({
      name,
      ready: false,
      restartCount: 0,
      image: '',
      imageID: '',
      ...over,
    });
    const spec = {
      initContainers: [{ name: 'proxy', restartPolicy: 'Always' as const }, { name: 'setup' }],
      containers: [{ name: 'main' }],
    };
    const { cells } = rows('', 'pods', [
      {
        metadata: meta('up'),
        spec,
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Initialized', status: 'True' },
            { type: 'Ready', status: 'True' },
          ],
          initContainerStatuses: [
            st('proxy', {
              ready: true,
              started: true,
              restartCount: 1,
              state: { running: {} },
              lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * MIN) } },
            }),
            st('setup', { state: { terminated: { exitCode: 0, reason: 'Completed' } } }),
          ],
          containerStatuses: [st('main', { ready: true, state: { running: {} } })],
        },
      },
      {
        metadata: meta('starting'),
        spec,
        status: {
          phase: 'Pending',
          conditions: [{ type: 'Initialized', status: 'False' }],
          initContainerStatuses: [
            st('proxy', { started: false, state: { running: {} } }),
            st('setup', { state: { waiting: { reason: 'PodInitializing' } } }),
          ],
          containerStatuses: [st('main', { state: { waiting: { reason: 'PodInitializing' } } })],
        },
      },
    ]);
    assert.deepEqual(
      cells.map((c) => c.slice(0, 4)),
      [
        ['up', '2/2', 'Running', '1 (2m ago)'],
        ['starting', '0/2', 'Init:0/2', '0'],
      ],
    );
  });

  it('namespaces, secrets, configmaps, serviceaccounts, leases', () => {
    assert.deepEqual(rows('', 'namespaces', [{ metadata: meta('default'), status: { phase: 'Active' } }]).cells, [
      ['default', 'Active', '5m'],
    ]);
    const s = rows('', 'secrets', [
      { metadata: meta('tok'), type: 'bootstrap.kubernetes.io/token', data: { a: 'eA==', b: 'eQ==' } },
    ]);
    assert.deepEqual(s.names, ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.deepEqual(s.cells, [['tok', 'bootstrap.kubernetes.io/token', 2, '5m']]);
    const cm = rows('', 'configmaps', [
      { metadata: meta('cluster-info'), data: { kubeconfig: 'x' }, binaryData: { b: 'eA==' } },
    ]);
    assert.deepEqual(cm.names, ['NAME', 'DATA', 'AGE']);
    assert.deepEqual(cm.cells, [['cluster-info', 2, '5m']]);
    const sa = rows('', 'serviceaccounts', [{ metadata: meta('default') }]);
    assert.deepEqual(sa.names, ['NAME', 'SECRETS', 'AGE']);
    assert.deepEqual(sa.cells, [['default', 0, '5m']]);
    const l = rows('coordination.k8s.io', 'leases', [
      { metadata: meta('n1'), spec: { holderIdentity: 'n1' } },
      { metadata: meta('free'), spec: {} },
    ]);
    assert.deepEqual(l.names, ['NAME', 'HOLDER', 'AGE']);
    assert.deepEqual(l.cells, [
      ['n1', 'n1', '5m'],
      ['free', '', '5m'],
    ]);
  });

  it('events: LAST SEEN TYPE REASON OBJECT MESSAGE (+ wide)', () => {
    const { t, cells } = rows('', 'events', [
      {
        metadata: meta('n1.1'),
        involvedObject: { kind: 'Node', name: 'n1' },
        reason: 'Starting',
        message: ' Starting kubelet. ',
        type: 'Normal',
        source: { component: 'kubelet', host: 'n1' },
        firstTimestamp: ago(10 * MIN),
        lastTimestamp: ago(2 * MIN),
        count: 3,
      },
    ]);
    const shown = t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name.toUpperCase());
    assert.deepEqual(shown, ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    assert.deepEqual(cells, [
      ['2m', 'Normal', 'Starting', 'node/n1', '', 'kubelet, n1', 'Starting kubelet.', '10m', 3, 'n1.1'],
    ]);
  });

  it('roles: NAME CREATED AT; bindings: NAME ROLE AGE (+ USERS GROUPS SERVICEACCOUNTS)', () => {
    const r = rows('rbac.authorization.k8s.io', 'clusterroles', [
      { metadata: meta('admin', '2026-01-01T08:00:00Z'), rules: [] },
    ]);
    assert.deepEqual(r.names, ['NAME', 'CREATED AT']);
    assert.deepEqual(r.cells, [['admin', '2026-01-01T08:00:00Z']]);
    const b = rows('rbac.authorization.k8s.io', 'rolebindings', [
      {
        metadata: meta('rb'),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [
          { kind: 'User', name: 'alice' },
          { kind: 'User', name: 'bob' },
          { kind: 'Group', name: 'system:nodes' },
          { kind: 'ServiceAccount', name: 'default', namespace: 'kube-system' },
        ],
      },
    ]);
    assert.deepEqual(b.names, ['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
    assert.deepEqual(b.cells, [['rb', 'ClusterRole/view', '5m', 'alice, bob', 'system:nodes', 'kube-system/default']]);
    assert.deepEqual(rows('rbac.authorization.k8s.io', 'clusterrolebindings', []).names, b.names);
  });

  it('row objects: PartialObjectMetadata by default, whole object or none on request', () => {
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('x'), data: {} };
    const d = def('', 'configmaps');
    const m = toTable(d, [obj], { includeObject: 'Metadata', now: NOW });
    assert.deepEqual(m.rows[0]?.object, {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: obj.metadata,
    });
    assert.equal(m.metadata.resourceVersion, '7');
    assert.equal(m.kind, 'Table');
    assert.equal(m.apiVersion, 'meta.k8s.io/v1');
    assert.equal(m.columnDefinitions[0]?.format, 'name');
    assert.deepEqual(toTable(d, [obj], { includeObject: 'Object', now: NOW }).rows[0]?.object, obj);
    assert.ok(!('object' in (toTable(d, [obj], { includeObject: 'None', now: NOW }).rows[0] ?? {})));
    const l = toTable(d, [], { includeObject: 'Metadata', now: NOW, resourceVersion: '42', continue: 'abc' });
    assert.deepEqual(l.metadata, { resourceVersion: '42', continue: 'abc' });
  });
});

// printers.go printService / printEndpoints. The printers are looked up by group/resource as toTable does,
// so these hold whether or not the catalog serves the resource yet.
describe('services and endpoints', () => {
  const print = (resource: string, objects: object[]) => {
    const p = printerFor({ group: '', resource });
    return {
      columns: p.columns,
      names: p.columns.map((c) => c.name.toUpperCase()),
      cells: objects.map((o) => p.cells(o as Record<string, unknown>, NOW)),
    };
  };
  const svc = (name: string, spec: object, status: object = {}) => ({ metadata: meta(name), spec, status });

  it('columns: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, SELECTOR only with -o wide', () => {
    const { columns, names } = print('services', []);
    assert.deepEqual(names, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
    assert.deepEqual(
      columns.map((c) => c.priority),
      [0, 0, 0, 0, 0, 0, 1],
    );
    assert.ok(columns.every((c) => c.type === 'string' && c.description));
    assert.equal(columns[0]?.format, 'name');
    assert.match(columns[2]?.description ?? '', /^clusterIP is the IP address of the service/);
    assert.equal(
      print('endpoints', []).columns[1]?.description,
      'The set of all endpoints is the union of all subsets.',
    );
  });

  it('ClusterIP without external IPs; selector keys sorted', () => {
    const { cells } = print('services', [
      svc('web', {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
        selector: { tier: 'web', app: 'shop' },
      }),
      svc('ext-ips', { type: 'ClusterIP', clusterIPs: ['10.96.0.11'], externalIPs: ['1.2.3.4', '5.6.7.8'] }),
    ]);
    assert.deepEqual(cells, [
      ['web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP,53/UDP', '5m', 'app=shop,tier=web'],
      ['ext-ips', 'ClusterIP', '10.96.0.11', '1.2.3.4,5.6.7.8', '<none>', '5m', '<none>'],
    ]);
  });

  it('NodePort: port:nodePort/protocol', () => {
    const { cells } = print('services', [
      svc('np', {
        type: 'NodePort',
        clusterIPs: ['10.96.0.12'],
        ports: [
          { port: 80, nodePort: 30080, protocol: 'TCP' },
          { port: 443, nodePort: 30443, protocol: 'TCP' },
        ],
        selector: { app: 'np' },
      }),
    ]);
    assert.deepEqual(cells, [['np', 'NodePort', '10.96.0.12', '<none>', '80:30080/TCP,443:30443/TCP', '5m', 'app=np']]);
  });

  it('LoadBalancer: <pending>, then ingress IPs/hostnames (distinct, sorted) before externalIPs', () => {
    const spec = {
      type: 'LoadBalancer',
      clusterIPs: ['10.96.0.13'],
      ports: [{ port: 80, nodePort: 31000, protocol: 'TCP' }],
    };
    const { cells } = print('services', [
      svc('lb-pending', spec),
      svc('lb', spec, {
        loadBalancer: {
          ingress: [
            { ip: '203.0.113.9' },
            { hostname: 'lb.example.com' },
            { ip: '203.0.113.1' },
            { ip: '203.0.113.9' },
          ],
        },
      }),
      svc('lb-ext', { ...spec, externalIPs: ['198.51.100.7'] }, { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } }),
      svc('lb-pending-ext', { ...spec, externalIPs: ['198.51.100.7'] }),
    ]);
    assert.deepEqual(
      cells.map((c) => c[3]),
      ['<pending>', '203.0.113.1,203.0.113.9,lb.example.com', '203.0.113.1,198.51.100.7', '198.51.100.7'],
    );
    assert.deepEqual(cells[0], [
      'lb-pending',
      'LoadBalancer',
      '10.96.0.13',
      '<pending>',
      '80:31000/TCP',
      '5m',
      '<none>',
    ]);
  });

  it('ExternalName: external name as EXTERNAL-IP, <none> cluster IP and ports', () => {
    const { cells } = print('services', [svc('db', { type: 'ExternalName', externalName: 'db.example.com' })]);
    assert.deepEqual(cells, [['db', 'ExternalName', '<none>', 'db.example.com', '<none>', '5m', '<none>']]);
  });

  it('headless: CLUSTER-IP None', () => {
    const { cells } = print('services', [
      svc('sts', {
        type: 'ClusterIP',
        clusterIP: 'None',
        clusterIPs: ['None'],
        ports: [{ port: 5432, protocol: 'TCP' }],
        selector: { 'app.kubernetes.io/name': 'pg', app: 'pg' },
      }),
    ]);
    // labels.Set.String sorts the k=v strings: "app.kubernetes.io/…" sorts before "app=…" ('.' < '=').
    assert.deepEqual(cells, [
      ['sts', 'ClusterIP', 'None', '<none>', '5432/TCP', '5m', 'app.kubernetes.io/name=pg,app=pg'],
    ]);
  });

  it('endpoints: NAME ENDPOINTS AGE; at most 3 then "+ N more..."', () => {
    const { names, cells } = print('endpoints', [
      {
        metadata: meta('web'),
        subsets: [
          {
            addresses: [{ ip: '10.244.0.5' }, { ip: '10.244.1.6' }],
            ports: [
              { name: 'http', port: 8080, protocol: 'TCP' },
              { name: 'metrics', port: 9090, protocol: 'TCP' },
            ],
          },
          { addresses: [{ ip: '10.244.2.7' }], notReadyAddresses: [{ ip: '10.244.3.8' }], ports: [{ port: 8080 }] },
        ],
      },
      {
        metadata: meta('three'),
        subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: 'fd00::3' }], ports: [{ port: 80 }] }],
      },
      { metadata: meta('headless'), subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] }] },
      { metadata: meta('none') },
      { metadata: meta('empty'), subsets: [] },
      { metadata: meta('not-ready'), subsets: [{ notReadyAddresses: [{ ip: '10.0.0.9' }], ports: [{ port: 80 }] }] },
    ]);
    assert.deepEqual(names, ['NAME', 'ENDPOINTS', 'AGE']);
    assert.deepEqual(cells, [
      ['web', '10.244.0.5:8080,10.244.1.6:8080,10.244.0.5:9090 + 2 more...', '5m'],
      ['three', '10.0.0.1:80,10.0.0.2:80,[fd00::3]:80', '5m'],
      ['headless', '10.0.0.1,10.0.0.2', '5m'],
      ['none', '<none>', '5m'],
      ['empty', '<none>', '5m'],
      // Subsets with only not-ready addresses: formatEndpoints returns "" (no <none> fallback there).
      ['not-ready', '', '5m'],
    ]);
  });
});

// printers.go printEndpointSlice / formatDiscoveryPorts / formatDiscoveryEndpoints / listWithMoreString.
describe('endpointslices', () => {
  const p = printerFor({ group: 'discovery.k8s.io', resource: 'endpointslices' });
  const slice = (name: string, fields: object) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta(name, ago(5 * HOUR), { labels: { 'kubernetes.io/service-name': 'web' } }),
    addressType: 'IPv4',
    endpoints: [],
    ...fields,
  });
  const cells = (...objects: object[]) => objects.map((o) => p.cells(o as Record<string, unknown>, NOW));

  it('columns: NAME ADDRESSTYPE PORTS ENDPOINTS AGE, none wide', () => {
    assert.deepEqual(
      p.columns.map((c) => c.name.toUpperCase()),
      ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
    );
    assert.deepEqual(
      p.columns.map((c) => c.priority),
      [0, 0, 0, 0, 0],
    );
    assert.ok(p.columns.every((c) => c.type === 'string' && c.description));
    assert.equal(p.columns[0]?.format, 'name');
    assert.match(p.columns[1]?.description ?? '', /^addressType specifies the type of address/);
    assert.match(p.columns[2]?.description ?? '', /^ports specifies the list of network ports/);
    assert.match(p.columns[3]?.description ?? '', /^endpoints is a list of unique endpoints/);
  });

  it('IPv4 slice with 2 endpoints and 2 ports: port numbers, every address (ready or not)', () => {
    const got = cells(
      slice('web-abc12', {
        endpoints: [
          { addresses: ['10.244.0.5'], conditions: { ready: true }, nodeName: 'n1' },
          { addresses: ['10.244.1.6'], conditions: { ready: false, serving: false, terminating: true } },
        ],
        ports: [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'https', port: 443, protocol: 'TCP', appProtocol: 'https' },
        ],
      }),
    );
    assert.deepEqual(got, [['web-abc12', 'IPv4', '80,443', '10.244.0.5,10.244.1.6', '5h']]);
  });

  it('more than 3 addresses across endpoints (or ports): the first 3, then " + N more..."', () => {
    const got = cells(
      slice('many', {
        endpoints: [
          { addresses: ['10.0.0.1', '10.0.0.2'] },
          { addresses: ['10.0.0.3'] },
          { addresses: ['10.0.0.4'] },
          { addresses: ['10.0.0.5'] },
        ],
        ports: [{ port: 80 }, { port: 81 }, { port: 82 }, { port: 83 }],
      }),
      slice('three', {
        addressType: 'IPv6',
        endpoints: [{ addresses: ['fd00::1'] }, { addresses: ['fd00::2', 'fd00::3'] }],
        ports: [{ port: 80 }, { port: 81 }, { port: 82 }],
      }),
    );
    assert.deepEqual(got, [
      ['many', 'IPv4', '80,81,82 + 1 more...', '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...', '5h'],
      // Exactly 3: no " + 0 more...", and addresses are printed bare (no brackets, no ports).
      ['three', 'IPv6', '80,81,82', 'fd00::1,fd00::2,fd00::3', '5h'],
    ]);
  });

  it('a port with no number: its name, else "*" (all ports)', () => {
    const got = cells(
      slice('named', { endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ name: 'http', protocol: 'TCP' }] }),
      slice('mixed', { endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 53 }, { name: 'dns' }, {}] }),
      slice('all', { endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ protocol: 'TCP' }] }),
      // A present but empty name is printed as it is: the joined list is "", hence <unset>.
      slice('empty-name', { endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ name: '' }] }),
    );
    assert.deepEqual(
      got.map((c) => c[2]),
      ['http', '53,dns,*', '*', '<unset>'],
    );
  });

  it('no ports: <unset>', () => {
    const got = cells(
      slice('absent', { endpoints: [{ addresses: ['10.0.0.1'] }] }),
      slice('empty', { endpoints: [{ addresses: ['10.0.0.1'] }], ports: [] }),
    );
    assert.deepEqual(got, [
      ['absent', 'IPv4', '<unset>', '10.0.0.1', '5h'],
      ['empty', 'IPv4', '<unset>', '10.0.0.1', '5h'],
    ]);
  });

  it('no endpoints: <unset>', () => {
    const got = cells(
      slice('empty', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
      slice('fqdn', { addressType: 'FQDN', endpoints: null, ports: null }),
    );
    assert.deepEqual(got, [
      ['empty', 'IPv4', '80', '<unset>', '5h'],
      ['fqdn', 'FQDN', '<unset>', '<unset>', '5h'],
    ]);
  });
});

// printers.go printFlowSchema(List) and printPriorityLevelConfiguration.
describe('flowschemas and prioritylevelconfigurations', () => {
  const G = 'flowcontrol.apiserver.k8s.io';
  const schema = (name: string, spec: object, status: object = {}) => ({
    metadata: meta(name, ago(2 * HOUR)),
    spec,
    status,
  });
  const dangling = (status: string) => ({
    conditions: [
      { type: 'Other', status: 'Unknown' },
      { type: 'Dangling', status },
    ],
  });

  it('FlowSchema: NAME PRIORITYLEVEL MATCHINGPRECEDENCE DISTINGUISHERMETHOD AGE MISSINGPL, a list in matching order', () => {
    const { t, names, cells } = rows(G, 'flowschemas', [
      schema('zz', {
        priorityLevelConfiguration: { name: 'global-default' },
        matchingPrecedence: 800,
        distinguisherMethod: { type: 'ByNamespace' },
      }),
      schema(
        'catch-all',
        {
          priorityLevelConfiguration: { name: 'catch-all' },
          matchingPrecedence: 10000,
          distinguisherMethod: { type: 'ByUser' },
        },
        dangling('True'),
      ),
      schema('exempt', { priorityLevelConfiguration: { name: 'exempt' }, matchingPrecedence: 1 }, dangling('False')),
      schema('aa', { priorityLevelConfiguration: { name: 'workload-high' }, matchingPrecedence: 800 }),
    ]);
    assert.deepEqual(names, ['NAME', 'PRIORITYLEVEL', 'MATCHINGPRECEDENCE', 'DISTINGUISHERMETHOD', 'AGE', 'MISSINGPL']);
    assert.ok(t.columnDefinitions.every((c) => c.type === 'string' && c.priority === 0 && c.description));
    assert.equal(t.columnDefinitions[5]?.description, 'references a broken or non-existent PriorityLevelConfiguration');
    assert.deepEqual(cells, [
      ['exempt', 'exempt', 1, '<none>', '120m', 'False'],
      ['aa', 'workload-high', 800, '<none>', '120m', '?'],
      ['zz', 'global-default', 800, 'ByNamespace', '120m', '?'],
      ['catch-all', 'catch-all', 10000, 'ByUser', '120m', 'True'],
    ]);
    // Rows carry their own objects, in the same order.
    assert.deepEqual(
      t.rows.map((r) => (r.object as { metadata: { name: string } }).metadata.name),
      ['exempt', 'aa', 'zz', 'catch-all'],
    );
  });

  it('PriorityLevelConfiguration: NAME TYPE NOMINALCONCURRENCYSHARES QUEUES HANDSIZE QUEUELENGTHLIMIT AGE', () => {
    const level = (name: string, spec: object) => ({ metadata: meta(name, ago(3 * DAY)), spec });
    const { names, cells } = rows(G, 'prioritylevelconfigurations', [
      level('workload-low', {
        type: 'Limited',
        limited: {
          nominalConcurrencyShares: 100,
          limitResponse: { type: 'Queue', queuing: { queues: 128, handSize: 6, queueLengthLimit: 50 } },
        },
      }),
      level('catch-all', {
        type: 'Limited',
        limited: { nominalConcurrencyShares: 5, limitResponse: { type: 'Reject' } },
      }),
      level('exempt', { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } }),
      level('jail', { type: 'Limited', limited: { nominalConcurrencyShares: 0, limitResponse: { type: 'Reject' } } }),
    ]);
    assert.deepEqual(names, [
      'NAME',
      'TYPE',
      'NOMINALCONCURRENCYSHARES',
      'QUEUES',
      'HANDSIZE',
      'QUEUELENGTHLIMIT',
      'AGE',
    ]);
    // A list of levels keeps the store's order.
    assert.deepEqual(cells, [
      ['workload-low', 'Limited', 100, 128, 6, 50, '3d'],
      ['catch-all', 'Limited', 5, '<none>', '<none>', '<none>', '3d'],
      ['exempt', 'Exempt', '<none>', '<none>', '<none>', '<none>', '3d'],
      ['jail', 'Limited', 0, '<none>', '<none>', '<none>', '3d'],
    ]);
  });
});
