// PodSecurity admission through a real apiserver and real kubectl, the current one (1.32+) and
// 1.27: namespace labels choose the level, enforce refuses with upstream's message, warn answers
// with a Warning kubectl prints, bad labels are refused, tightening a namespace warns about its
// pods; the security fields round-trip (JSON and protobuf bodies) and `kubectl explain` finds them.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { APISERVER_FLAGS } from '../../src/config/index.ts';
import { curl, type Fixture, kubectl, kubectlBinary, startFixture } from './fixture.ts';

const KUBECTLS = [
  ['kubectl', 'kubectl'],
  ['kubectl 1.27', kubectlBinary(27)],
] as const;

const PRIVILEGED = (ns: string, name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  containers:
  - name: c
    image: busybox
    securityContext: {privileged: true}
`;

/** Every restricted violation kubectl can carry in one pod, with a hostPath volume. */
const VIOLATING = (ns: string) => `apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: ${ns}}
spec:
  hostNetwork: true
  volumes:
  - {name: host, hostPath: {path: /etc}}
  containers:
  - name: c
    image: busybox
    securityContext:
      privileged: true
      runAsUser: 0
      capabilities: {add: [NET_ADMIN, SYS_ADMIN]}
`;

const COMPLIANT = (ns: string, name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile: {type: RuntimeDefault}
  volumes:
  - {name: scratch, emptyDir: {}}
  containers:
  - name: c
    image: busybox
    volumeMounts: [{name: scratch, mountPath: /scratch}]
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
`;

const RESTRICTED_VIOLATIONS =
  'violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true), ' +
  'privileged (container "c" must not set securityContext.privileged=true), ' +
  'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add), ' +
  'restricted volume types (volume "host" uses restricted volume type "hostPath"), ' +
  'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
  'runAsUser=0 (container "c" must not set runAsUser=0), ' +
  'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

// A protobuf writer, enough for a Pod body as client-go's typed clients send it.
const varint = (n: number | bigint): Buffer => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
};
const pbInt = (field: number, n: number | bigint) => Buffer.concat([varint(field << 3), varint(n)]);
const pbLen = (field: number, ...parts: (Buffer | string)[]) => {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  return Buffer.concat([varint((field << 3) | 2), varint(body.length), body]);
};
const protobufPod = (ns: string, name: string): Buffer => {
  const container = pbLen(
    2,
    pbLen(1, 'c'),
    pbLen(2, 'busybox'),
    pbLen(
      15,
      pbLen(1, pbLen(2, 'ALL')), // capabilities.drop
      pbInt(4, 0), // runAsUser: 0, a pointer that must survive
      pbInt(5, 1), // runAsNonRoot
      pbInt(7, 0), // allowPrivilegeEscalation: false
      pbLen(11, pbLen(1, 'RuntimeDefault')), // seccompProfile
      pbLen(12, pbLen(1, 'Localhost'), pbLen(2, 'k8s-apparmor-example')), // appArmorProfile
    ),
  );
  const spec = Buffer.concat([
    pbLen(1, pbLen(1, 'scratch'), pbLen(2, pbLen(2))), // volumes: [{name: scratch, emptyDir: {}}]
    container,
    pbLen(
      14,
      pbInt(4, 1000),
      pbInt(4, 2000), // supplementalGroups
      pbInt(5, 3000), // fsGroup
      pbLen(7, pbLen(1, 'net.ipv4.ping_group_range'), pbLen(2, '0 2147483647')),
      pbLen(1, pbLen(3, 'container_t')), // seLinuxOptions.type
    ),
    pbInt(13, 1), // hostIPC
  ]);
  const pod = Buffer.concat([pbLen(1, pbLen(1, name), pbLen(3, ns)), pbLen(2, spec)]);
  return Buffer.concat([
    Buffer.from([0x6b, 0x38, 0x73, 0x00]),
    pbLen(1, pbLen(1, 'v1'), pbLen(2, 'Pod')),
    pbLen(2, pod),
  ]);
};

describe('PodSecurity admission', () => {
  let fx: Fixture;
  const k = (args: string[], bin = 'kubectl') => kubectl(fx, args, bin);
  const file = (name: string, text: string) => {
    const f = join(fx.dir, name);
    writeFileSync(f, text);
    return f;
  };
  const ok = async (args: string[], bin?: string) => {
    const r = await k(args, bin);
    assert.equal(r.status, 0, r.err);
    return r;
  };

  /** Runs the same kubectl command with both binaries at once. */
  const both = (args: (bin: string) => string[]) =>
    Promise.all(KUBECTLS.map(async ([what, bin]) => ({ what, bin, ...(await k(args(bin), bin)) })));

  before(async () => {
    fx = await startFixture();
    const ns = (name: string, labels = '{}') =>
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}, labels: ${labels}}\n`;
    const all = [
      ns('base'),
      ns('strict', '{pod-security.kubernetes.io/enforce: restricted}'),
      ns('warned', '{pod-security.kubernetes.io/warn: restricted}'),
      ns('tight'),
      ns('labels'),
    ];
    await ok(['create', '-f', file('namespaces.yaml', all.join('---\n'))]);
  });
  after(async () => fx?.close());

  it('enforce=baseline refuses a privileged pod with upstream message and admits a plain one', async () => {
    const r = await ok(['label', 'namespace', 'base', 'pod-security.kubernetes.io/enforce=baseline']);
    assert.match(r.out, /namespace\/base labeled/);
    const priv = file('priv.yaml', PRIVILEGED('base', 'priv'));
    for (const refused of await both(() => ['create', '-f', priv])) {
      const what = refused.what;
      assert.notEqual(refused.status, 0, what);
      assert.match(
        refused.err,
        /Error from server \(Forbidden\): error when creating ".*priv\.yaml": pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged \(container "c" must not set securityContext\.privileged=true\)\n$/,
        what,
      );
    }
    // The refusal is a 403 Status naming the pod.
    const [plain, raw] = await Promise.all([
      ok(['run', 'plain', '-n', 'base', '--image=busybox']),
      curl(fx, '/api/v1/namespaces/base/pods', [
        '-X',
        'POST',
        '-H',
        'Content-Type: application/json',
        '--data-binary',
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'priv2' },
          spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] },
        }),
      ]),
    ]);
    assert.equal(plain.err, '', 'a baseline pod draws no warning');
    assert.equal(raw.code, 403);
    const status = JSON.parse(raw.body);
    assert.equal(status.reason, 'Forbidden');
    assert.deepEqual(status.details, { name: 'priv2', kind: 'pods' });
  });

  it('enforce=restricted lists every violation in upstream order and admits a compliant pod', async () => {
    const bad = file('bad.yaml', VIOLATING('strict'));
    for (const r of await both(() => ['create', '-f', bad])) {
      assert.notEqual(r.status, 0, r.what);
      assert.ok(r.err.includes(`pods "bad" is forbidden: ${RESTRICTED_VIOLATIONS}\n`), `${r.what}: ${r.err}`);
    }
    const name = (bin: string) => `good-${bin === 'kubectl' ? 'current' : '127'}`;
    for (const r of await both((bin) => ['create', '-f', file(`${name(bin)}.yaml`, COMPLIANT('strict', name(bin)))])) {
      assert.equal(r.status, 0, `${r.what}: ${r.err}`);
      assert.equal(r.err, '');
    }
    // A metadata-only update of a pod is not judged (upstream skips it), an image change is.
    await ok(['label', 'pod', '-n', 'strict', 'good-current', 'touched=yes']);
  });

  it('warn=restricted: kubectl prints the warning and the pod is created', async () => {
    const podName = (bin: string) => (bin === 'kubectl' ? 'w1' : 'w2');
    for (const r of await both((bin) => ['run', podName(bin), '-n', 'warned', '--image=busybox'])) {
      const { what } = r;
      const name = podName(r.bin);
      assert.equal(r.status, 0, `${what}: ${r.err}`);
      assert.equal(
        r.err,
        `Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "${name}" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "${name}" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "${name}" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "${name}" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")\n`,
        what,
      );
      assert.match(r.out, new RegExp(`pod/${name} created`));
    }
    // Upstream judges a pod update only when it can change the verdict: a label is let through
    // silently, an image change is judged again.
    const [relabelled, reimaged] = await Promise.all([
      ok(['label', 'pod', 'w1', '-n', 'warned', 'touched=yes']),
      ok(['set', 'image', 'pod/w2', '-n', 'warned', 'w2=busybox:1.36']),
    ]);
    assert.equal(relabelled.err, '');
    assert.match(
      reimaged.err,
      /^Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "w2"/,
    );
  });

  it('refuses a bad level or version in the labels of a created or updated namespace', async () => {
    const r = await k([
      'create',
      '-f',
      file(
        'ns.yaml',
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: badns\n  labels: {pod-security.kubernetes.io/enforce: strict}\n',
      ),
    ]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /The Namespace "badns" is invalid: metadata\.labels\[pod-security\.kubernetes\.io\/enforce\]: Invalid value: "strict": must be one of privileged, baseline, restricted/,
    );
    for (const u of await both(() => [
      'label',
      'namespace',
      'labels',
      'pod-security.kubernetes.io/warn-version=1.30',
    ])) {
      const { what } = u;
      assert.notEqual(u.status, 0, what);
      assert.match(
        u.err,
        /The Namespace "labels" is invalid: metadata\.labels\[pod-security\.kubernetes\.io\/warn-version\]: Invalid value: "1\.30": must be "latest" or "v1\.x"/,
        what,
      );
    }
    // A future version is accepted and evaluated with the newest checks.
    await ok([
      'label',
      'namespace',
      'labels',
      'pod-security.kubernetes.io/enforce=baseline',
      'pod-security.kubernetes.io/enforce-version=v1.99',
    ]);
    const refused = await k(['create', '-f', file('p.yaml', PRIVILEGED('labels', 'p'))]);
    assert.match(refused.err, /violates PodSecurity "baseline:v1\.99": privileged/);
  });

  it('a stricter enforce label warns about the existing pods it would refuse', async () => {
    await Promise.all([
      ok(['create', '-f', file('tp.yaml', `${PRIVILEGED('tight', 'priv-a')}---\n${PRIVILEGED('tight', 'priv-b')}`)]),
      ok(['run', 'plain', '-n', 'tight', '--image=busybox']),
    ]);
    const r = await ok(['label', 'namespace', 'tight', 'pod-security.kubernetes.io/enforce=baseline']);
    assert.equal(
      r.err,
      'Warning: existing pods in namespace "tight" violate the new PodSecurity enforce level "baseline:latest"\n' +
        'Warning: priv-a (and 1 other pod): privileged\n',
    );
    const stricter = await ok([
      'label',
      'namespace',
      'tight',
      'pod-security.kubernetes.io/enforce=restricted',
      '--overwrite',
    ]);
    assert.equal(
      stricter.err,
      'Warning: existing pods in namespace "tight" violate the new PodSecurity enforce level "restricted:latest"\n' +
        'Warning: plain: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile\n' +
        'Warning: priv-a (and 1 other pod): privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile\n',
    );
    // Relaxing it warns about nothing.
    const relaxed = await ok([
      'label',
      'namespace',
      'tight',
      'pod-security.kubernetes.io/enforce=privileged',
      '--overwrite',
    ]);
    assert.equal(relaxed.err, '');
  });

  it('kubectl explain finds the security fields', async () => {
    for (const r of await both(() => ['explain', 'pod.spec.securityContext.runAsNonRoot'])) {
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /FIELD: *runAsNonRoot <boolean>/, r.what);
      assert.match(r.out, /must run as a non-root user/, r.what);
    }
    for (const r of await both(() => ['explain', 'pod.spec.containers.securityContext.capabilities.drop'])) {
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /FIELD: *drop <\[\]string>/, r.what);
    }
  });

  it('security fields round-trip through kubectl -o yaml, from JSON and from protobuf bodies', async () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: rt
  namespace: default
  annotations: {container.apparmor.security.beta.kubernetes.io/c: runtime/default}
spec:
  hostPID: true
  hostIPC: true
  securityContext:
    runAsNonRoot: false
    runAsUser: 0
    runAsGroup: 0
    fsGroup: 2000
    supplementalGroups: [3000, 4000]
    seLinuxOptions: {level: "s0:c123,c456"}
    seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}
    appArmorProfile: {type: Unconfined}
    sysctls: [{name: kernel.shm_rmid_forced, value: "0"}]
    windowsOptions: {runAsUserName: alice}
  containers:
  - name: c
    image: busybox
    securityContext:
      privileged: true
      allowPrivilegeEscalation: true
      readOnlyRootFilesystem: true
      procMount: Unmasked
      runAsUser: 0
      capabilities: {add: [NET_ADMIN], drop: [ALL]}
`;
    await ok(['create', '-f', file('rt.yaml', yaml)]);
    const sent = parseYaml(yaml);
    for (const r of await both(() => ['get', 'pod', 'rt', '-o', 'yaml'])) {
      const { what } = r;
      assert.equal(r.status, 0, r.err);
      const got = parseYaml(r.out);
      assert.deepEqual(got.spec.securityContext, sent.spec.securityContext, what);
      assert.deepEqual(got.spec.containers[0].securityContext, sent.spec.containers[0].securityContext, what);
      assert.equal(got.spec.hostPID, true, what);
      assert.equal(got.spec.hostIPC, true, what);
      assert.equal(got.metadata.annotations['container.apparmor.security.beta.kubernetes.io/c'], 'runtime/default');
    }
    // A protobuf Pod (as client-go typed clients send it): pointers to zero survive, empty structs too.
    writeFileSync(join(fx.dir, 'pod.pb'), protobufPod('default', 'pb'));
    const posted = await curl(fx, '/api/v1/namespaces/default/pods', [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/vnd.kubernetes.protobuf',
      '--data-binary',
      `@${join(fx.dir, 'pod.pb')}`,
    ]);
    assert.equal(posted.code, 201, posted.body);
    for (const r of await both(() => ['get', 'pod', 'pb', '-o', 'yaml'])) {
      const { what } = r;
      assert.equal(r.status, 0, r.err);
      const got = parseYaml(r.out);
      assert.deepEqual(
        got.spec.containers[0].securityContext,
        {
          capabilities: { drop: ['ALL'] },
          runAsUser: 0,
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
          appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-apparmor-example' },
        },
        what,
      );
      assert.deepEqual(
        got.spec.securityContext,
        {
          supplementalGroups: [1000, 2000],
          fsGroup: 3000,
          sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 2147483647' }],
          seLinuxOptions: { type: 'container_t' },
        },
        what,
      );
      assert.deepEqual(got.spec.volumes, [{ name: 'scratch', emptyDir: {} }], what);
      assert.equal(got.spec.hostIPC, true, what);
    }
    // The same body into the restricted namespace: PodSecurity sees the decoded fields.
    writeFileSync(join(fx.dir, 'pod2.pb'), protobufPod('strict', 'pb'));
    const refused = await curl(fx, '/api/v1/namespaces/strict/pods', [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/vnd.kubernetes.protobuf',
      '--data-binary',
      `@${join(fx.dir, 'pod2.pb')}`,
    ]);
    assert.equal(refused.code, 403, refused.body);
    assert.equal(
      JSON.parse(refused.body).message,
      'pods "pb" is forbidden: violates PodSecurity "restricted:latest": host namespaces (hostIPC=true), runAsUser=0 (container "c" must not set runAsUser=0)',
    );
  });

  it('validates the security fields as upstream does', async () => {
    const r = await k([
      'create',
      '-f',
      file(
        'invalid.yaml',
        `apiVersion: v1
kind: Pod
metadata: {name: invalid, namespace: default}
spec:
  securityContext:
    runAsUser: -1
    seccompProfile: {type: Localhost}
  containers:
  - name: c
    image: busybox
    securityContext: {procMount: Weird, privileged: true, allowPrivilegeEscalation: false}
`,
      ),
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /The Pod "invalid" is invalid: \n\* /);
    assert.match(
      r.err,
      /spec\.containers\[0\]\.securityContext\.procMount: Unsupported value: "Weird": supported values: "Default", "Unmasked"/,
    );
    assert.match(
      r.err,
      /spec\.containers\[0\]\.securityContext: Invalid value: .*cannot set `allowPrivilegeEscalation` to false and `privileged` to true/,
    );
    assert.match(
      r.err,
      /spec\.securityContext\.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive/,
    );
    assert.match(
      r.err,
      /spec\.securityContext\.seccompProfile\.localhostProfile: Required value: must be set when seccomp type is Localhost/,
    );
  });
});

describe('--allow-privileged', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--allow-privileged=false']);
  });
  after(async () => fx?.close());

  it("is kube-apiserver's default, false: a privileged container is invalid before any admission", async () => {
    assert.equal(APISERVER_FLAGS.find((f) => f.name === 'allow-privileged')?.default, false);
    const priv = join(fx.dir, 'priv.yaml');
    writeFileSync(priv, PRIVILEGED('default', 'priv'));
    const r = await kubectl(fx, ['create', '-f', priv]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /The Pod "priv" is invalid: spec\.containers\[0\]\.securityContext\.privileged: Forbidden: disallowed by cluster policy/,
    );
    // Init containers too; privileged: false and no securityContext are fine.
    const body = (name: string, privileged: boolean) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: {
          initContainers: [{ name: 'init', image: 'busybox', securityContext: { privileged } }],
          containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: false } }],
        },
      });
    const post = (name: string, privileged: boolean) =>
      curl(fx, '/api/v1/namespaces/default/pods', [
        '-X',
        'POST',
        '-H',
        'Content-Type: application/json',
        '-d',
        body(name, privileged),
      ]);
    const refused = await post('init-priv', true);
    assert.equal(refused.code, 422, refused.body);
    const st = JSON.parse(refused.body);
    assert.equal(st.reason, 'Invalid');
    assert.deepEqual(st.details.causes, [
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: disallowed by cluster policy',
        field: 'spec.initContainers[0].securityContext.privileged',
      },
    ]);
    assert.equal((await post('unprivileged', false)).code, 201);
    // An ephemeral container too: kubectl debug --profile=sysadmin asks for privileged.
    const debug = await curl(fx, '/api/v1/namespaces/default/pods/unprivileged/ephemeralcontainers', [
      '-X',
      'PATCH',
      '-H',
      'Content-Type: application/strategic-merge-patch+json',
      '-d',
      JSON.stringify({
        spec: {
          ephemeralContainers: [{ name: 'dbg', image: 'busybox', securityContext: { privileged: true } }],
        },
      }),
    ]);
    assert.equal(debug.code, 422, debug.body);
    assert.match(
      JSON.parse(debug.body).message,
      /spec\.ephemeralContainers\[0\]\.securityContext\.privileged: Forbidden: disallowed by cluster policy/,
    );
  });

  it('refuses a privileged container in every kind of pod template: Jobs, CronJobs, PodTemplates, ReplicationControllers', async () => {
    const podSpec = (privileged: boolean) => ({
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: 'busybox', securityContext: { privileged } }],
    });
    const template = (privileged: boolean) => ({ metadata: { labels: { app: 't' } }, spec: podSpec(privileged) });
    const kinds: [string, string, (name: string, privileged: boolean) => object, string][] = [
      [
        '/apis/batch/v1/namespaces/default/jobs',
        'Job',
        (name, p) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: template(p) } }),
        'spec.template.spec.containers[0].securityContext.privileged',
      ],
      [
        '/apis/batch/v1/namespaces/default/cronjobs',
        'CronJob',
        (name, p) => ({
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: { name },
          spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: template(p) } } },
        }),
        'spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged',
      ],
      [
        '/api/v1/namespaces/default/podtemplates',
        'PodTemplate',
        (name, p) => ({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name }, template: template(p) }),
        'template.spec.containers[0].securityContext.privileged',
      ],
      [
        '/api/v1/namespaces/default/replicationcontrollers',
        'ReplicationController',
        (name, p) => ({
          apiVersion: 'v1',
          kind: 'ReplicationController',
          metadata: { name },
          spec: { template: { ...template(p), spec: { ...podSpec(p), restartPolicy: 'Always' } } },
        }),
        'spec.template.spec.containers[0].securityContext.privileged',
      ],
    ];
    for (const [path, kind, body, field] of kinds) {
      const post = (name: string, privileged: boolean) =>
        curl(fx, path, [
          '-X',
          'POST',
          '-H',
          'Content-Type: application/json',
          '-d',
          JSON.stringify(body(name, privileged)),
        ]);
      const refused = await post('priv', true);
      assert.equal(refused.code, 422, `${kind}: ${refused.body}`);
      const st = JSON.parse(refused.body);
      assert.equal(st.details.kind, kind);
      assert.deepEqual(
        st.details.causes.filter((c: { reason: string }) => c.reason === 'FieldValueForbidden'),
        [{ reason: 'FieldValueForbidden', message: 'Forbidden: disallowed by cluster policy', field }],
        kind,
      );
      const ok = await post('plain', false);
      assert.equal(ok.code, 201, `${kind}: ${ok.body}`);
    }
  });
});
