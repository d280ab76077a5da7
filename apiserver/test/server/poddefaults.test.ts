// A Pod's core/v1 defaults through a real apiserver and the real kubectl: a minimal pod reads back
// as upstream's would, `kubectl replace` of the file as written (without the defaults) is not an
// attempt to change them, and the enumerated fields are validated with upstream's messages.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curl, type Fixture, kubectl, startFixture } from './fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects read field by field
type Json = any;

const DIGEST = `sha256:${'b'.repeat(64)}`;

describe('Pod defaults', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture(['--authorization-mode=RBAC']);
  });
  after(async () => f?.close());

  const write = (name: string, obj: unknown) => {
    const file = join(f.dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(obj));
    return file;
  };
  const pod = (name: string, spec: Json) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec,
  });
  const minimal = (image: string) =>
    pod('minimal', {
      nodeName: 'node-a',
      containers: [
        {
          name: 'web',
          image,
          ports: [{ containerPort: 8080 }],
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          resources: { limits: { cpu: '500m', memory: '64Mi' } },
          livenessProbe: { httpGet: { port: 8080 } },
          lifecycle: { preStop: { httpGet: { port: 8080 } } },
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
        },
      ],
      initContainers: [{ name: 'setup', image: 'busybox:1.36' }],
      volumes: [
        { name: 'scratch' },
        { name: 'conf', configMap: { name: 'conf' } },
        { name: 'creds', secret: { secretName: 'creds' } },
        { name: 'host', hostPath: { path: '/var/log' } },
        { name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
      ],
    });

  it('a minimal pod reads back with upstream defaults', async () => {
    const r = await kubectl(f, ['create', '-f', write('minimal', minimal('busybox'))]);
    assert.equal(r.status, 0, r.err);
    const got = await kubectl(f, ['get', 'pod', 'minimal', '-o', 'json']);
    assert.equal(got.status, 0, got.err);
    const spec: Json = JSON.parse(got.out).spec;
    assert.deepEqual(
      {
        dnsPolicy: spec.dnsPolicy,
        restartPolicy: spec.restartPolicy,
        schedulerName: spec.schedulerName,
        securityContext: spec.securityContext,
        terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
        enableServiceLinks: spec.enableServiceLinks,
      },
      {
        dnsPolicy: 'ClusterFirst',
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        securityContext: {},
        terminationGracePeriodSeconds: 30,
        enableServiceLinks: true,
      },
    );
    const web = spec.containers[0];
    assert.equal(web.imagePullPolicy, 'Always', 'no tag is :latest');
    assert.equal(spec.initContainers[0].imagePullPolicy, 'IfNotPresent', 'a tag other than latest');
    for (const c of [web, spec.initContainers[0]]) {
      assert.equal(c.terminationMessagePath, '/dev/termination-log');
      assert.equal(c.terminationMessagePolicy, 'File');
    }
    assert.deepEqual(web.ports, [{ containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(web.env[0].valueFrom.fieldRef, { apiVersion: 'v1', fieldPath: 'metadata.name' });
    assert.deepEqual(web.resources, {
      limits: { cpu: '500m', memory: '64Mi' },
      requests: { cpu: '500m', memory: '64Mi' },
    });
    assert.deepEqual(web.livenessProbe.httpGet, { path: '/', port: 8080, scheme: 'HTTP' });
    assert.deepEqual(web.lifecycle.preStop.httpGet, { path: '/', port: 8080, scheme: 'HTTP' });
    const volumes = Object.fromEntries(spec.volumes.map((v: Json) => [v.name, v]));
    assert.deepEqual(volumes.scratch, { name: 'scratch', emptyDir: {} });
    assert.equal(volumes.conf.configMap.defaultMode, 420);
    assert.equal(volumes.creds.secret.defaultMode, 420);
    assert.deepEqual(volumes.host.hostPath, { path: '/var/log', type: '' });
    assert.equal(volumes.info.downwardAPI.defaultMode, 420);
    assert.equal(volumes.info.downwardAPI.items[0].fieldRef.apiVersion, 'v1');
  });

  it('a replace without the defaults (a client that drops them) changes the image, not the defaults', async () => {
    const live: Json = JSON.parse((await curl(f, '/api/v1/namespaces/default/pods/minimal')).body);
    const spec = live.spec;
    for (const k of ['dnsPolicy', 'restartPolicy', 'schedulerName', 'securityContext', 'enableServiceLinks'])
      delete spec[k];
    delete spec.terminationGracePeriodSeconds;
    delete spec.tolerations;
    for (const c of [...spec.containers, ...spec.initContainers]) {
      delete c.imagePullPolicy;
      delete c.terminationMessagePath;
      delete c.terminationMessagePolicy;
    }
    delete spec.containers[0].ports[0].protocol;
    delete spec.containers[0].resources.requests;
    // Still :latest: a pull policy defaulted differently would be a change upstream forbids too.
    spec.containers[0].image = 'docker.io/library/busybox:latest';
    const r = await kubectl(f, ['replace', '-f', write('replace', live)]);
    assert.equal(r.status, 0, r.err);
    const after: Json = JSON.parse((await curl(f, '/api/v1/namespaces/default/pods/minimal')).body);
    const web = after.spec.containers[0];
    assert.equal(web.image, 'docker.io/library/busybox:latest');
    assert.equal(web.imagePullPolicy, 'Always');
    assert.equal(after.spec.dnsPolicy, 'ClusterFirst');
    assert.equal(after.spec.tolerations.length, 2, 'DefaultTolerationSeconds on update too');
  });

  it('pull policies by reference, and host ports under hostNetwork', async () => {
    const r = await kubectl(f, [
      'create',
      '-f',
      write(
        'refs',
        pod('refs', {
          hostNetwork: true,
          containers: [
            { name: 'digest', image: `registry.local:5000/app@${DIGEST}`, ports: [{ containerPort: 9100 }] },
            { name: 'port', image: 'localhost:5000/app' },
            { name: 'never', image: 'app:v1', imagePullPolicy: 'Never' },
          ],
        }),
      ),
    ]);
    assert.equal(r.status, 0, r.err);
    const spec = JSON.parse((await curl(f, '/api/v1/namespaces/default/pods/refs')).body).spec;
    assert.deepEqual(
      spec.containers.map((c: Json) => c.imagePullPolicy),
      ['IfNotPresent', 'Always', 'Never'],
    );
    assert.deepEqual(spec.containers[0].ports, [{ containerPort: 9100, hostPort: 9100, protocol: 'TCP' }]);
  });

  it('the deprecated serviceAccount names the account when serviceAccountName does not, and mirrors it', async () => {
    const sa = await kubectl(f, ['create', 'serviceaccount', 'builder']);
    assert.equal(sa.status, 0, sa.err);
    const r = await kubectl(f, [
      'create',
      '-f',
      write('old', pod('oldsa', { serviceAccount: 'builder', containers: [{ name: 'c', image: 'busybox' }] })),
    ]);
    assert.equal(r.status, 0, r.err);
    const spec = JSON.parse((await curl(f, '/api/v1/namespaces/default/pods/oldsa')).body).spec;
    assert.deepEqual([spec.serviceAccountName, spec.serviceAccount], ['builder', 'builder']);
    const plain = JSON.parse((await curl(f, '/api/v1/namespaces/default/pods/minimal')).body).spec;
    // No account named and ServiceAccount admission off (the fixture's default): none is set, as upstream.
    assert.deepEqual([plain.serviceAccountName, plain.serviceAccount], [undefined, undefined]);
  });

  it('refuses values outside the enumerations, naming the field', async () => {
    const bad = pod('bad', {
      dnsPolicy: 'Bogus',
      containers: [
        {
          name: 'c',
          image: 'busybox',
          imagePullPolicy: 'Sometimes',
          terminationMessagePolicy: 'Stdout',
          ports: [{ containerPort: 80, protocol: 'HTTP' }],
        },
      ],
    });
    const r = await kubectl(f, ['create', '-f', write('bad', bad)]);
    assert.notEqual(r.status, 0);
    for (const m of [
      'spec.dnsPolicy: Unsupported value: "Bogus": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
      'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
      'spec.containers[0].terminationMessagePolicy: Unsupported value: "Stdout": supported values: "File", "FallbackToLogsOnError"',
      'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ]) {
      assert.ok(r.err.includes(m), `${m}\n${r.err}`);
    }
    const none = await kubectl(f, [
      'create',
      '-f',
      write('none', pod('none', { dnsPolicy: 'None', containers: [{ name: 'c', image: 'busybox' }] })),
    ]);
    assert.notEqual(none.status, 0);
    assert.match(none.err, /spec\.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None/);
    assert.equal((await curl(f, '/api/v1/namespaces/default/pods/none')).code, 404);
  });
});
