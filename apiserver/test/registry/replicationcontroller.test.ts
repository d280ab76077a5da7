// core/v1 ReplicationControllers through a real apiserver: upstream's defaults (selector and labels
// from the template), its exact refusals, a selector that may change, generations, /status, /scale
// (its selector made from the map), the v1 orphaning default on DELETE, and what kubectl 1.33 and
// 1.27 print for get, get -o wide, scale and describe.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminCreate, type Fixture, kubectl, kubectlBinary, startFixture } from '../server/fixture.ts';
import { type Json, refused, sender } from './apps-client.ts';

const RCS = '/api/v1/namespaces/default/replicationcontrollers';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const MERGE = 'application/merge-patch+json';
const NONNEGATIVE = 'must be greater than or equal to 0';

const rc = (name: string, spec: Json = {}, metadata: Json = {}) => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name, ...metadata },
  spec: {
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
    ...spec,
  },
});

describe('core/v1 ReplicationControllers', () => {
  let fx: Fixture;
  const send = sender(() => fx);
  const created = (body: unknown) => adminCreate(fx, RCS, body);
  const ok = (r: { code: number; json: Json }) => {
    assert.equal(r.code, 200, JSON.stringify(r.json));
    return r.json;
  };
  const invalid = async (body: Json, message: string) =>
    refused(await send('POST', RCS, body), 422, 'Invalid', message);

  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx?.close());

  it('defaults replicas, the selector and its own labels from the template, and the pod template', async () => {
    const web = await created(rc('web'));
    assert.deepEqual(
      [web.spec.replicas, web.spec.selector, web.metadata.labels, web.status, web.metadata.generation],
      [1, { app: 'web' }, { app: 'web' }, { replicas: 0 }, 1],
    );
    assert.deepEqual(web.spec.template.spec, {
      containers: [
        {
          name: 'c',
          image: 'nginx:1.27',
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
    });
    // What is given is kept: a narrower selector, labels of its own, zero replicas.
    const given = await created(
      rc(
        'given',
        {
          replicas: 0,
          selector: { app: 'given' },
          template: {
            metadata: { labels: { app: 'given', tier: 'x' } },
            spec: { containers: [{ name: 'c', image: 'a' }] },
          },
        },
        { labels: { team: 'blue' } },
      ),
    );
    assert.deepEqual(
      [given.spec.replicas, given.spec.selector, given.metadata.labels],
      [0, { app: 'given' }, { team: 'blue' }],
    );
    // A client's status is not taken on create.
    const st = await created({ ...rc('nostatus'), status: { replicas: 5 } });
    assert.deepEqual(st.status, { replicas: 0 });
  });

  it('refuses a missing selector or template and what a controller cannot run, in upstream words', async () => {
    await invalid(
      { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'bare' }, spec: {} },
      'ReplicationController "bare" is invalid: [spec.selector: Required value, spec.template: Required value]',
    );
    await invalid(
      rc('nolabels', { template: { spec: { containers: [{ name: 'c', image: 'a' }] } } }),
      'ReplicationController "nolabels" is invalid: spec.selector: Required value',
    );
    await invalid(
      rc('bad', {
        replicas: -1,
        minReadySeconds: -2,
        selector: { app: 'other' },
        template: {
          metadata: { labels: { app: 'bad' } },
          spec: { restartPolicy: 'OnFailure', activeDeadlineSeconds: 5, containers: [{ name: 'c', image: 'a' }] },
        },
      }),
      'ReplicationController "bad" is invalid: [' +
        [
          `spec.minReadySeconds: Invalid value: -2: ${NONNEGATIVE}`,
          `spec.replicas: Invalid value: -1: ${NONNEGATIVE}`,
          'spec.template.metadata.labels: Invalid value: map[string]string{"app":"bad"}: `selector` does not match template `labels`',
          'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
          'spec.template.spec.activeDeadlineSeconds: Invalid value: 5: must not be specified',
        ].join(', ') +
        ']',
    );
    // The pod template's own rules, as for a ReplicaSet's.
    await invalid(
      rc('nocontainers', { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [] } } }),
      'ReplicationController "nocontainers" is invalid: spec.template.spec.containers: Required value',
    );
    // More than one replica may share a GCE PD only read-only (ValidateReadOnlyPersistentDisks).
    const pd = (replicas: number) =>
      rc(`pd${replicas}`, {
        replicas,
        template: {
          metadata: { labels: { app: 'pd' } },
          spec: {
            containers: [{ name: 'c', image: 'a' }],
            volumes: [{ name: 'd', gcePersistentDisk: { pdName: 'disk' } }],
          },
        },
      });
    await invalid(
      pd(2),
      'ReplicationController "pd2" is invalid: spec.template.spec.volumes[0].gcePersistentDisk.readOnly: Invalid value: false: must be true for replicated pods > 1; GCE PD can only be mounted on multiple machines if it is read-only',
    );
    await created(pd(1));
  });

  it('lets the selector change, bumps the generation on spec changes only, and keeps status on updates', async () => {
    const cur = ok(await send('GET', `${RCS}/web`));
    const moved = ok(
      await send('PUT', `${RCS}/web`, {
        ...cur,
        spec: {
          ...cur.spec,
          selector: { app: 'web', v: '2' },
          template: { ...cur.spec.template, metadata: { labels: { app: 'web', v: '2' } } },
        },
        status: { replicas: 7 },
      }),
    );
    assert.deepEqual(
      [moved.spec.selector, moved.metadata.generation, moved.status],
      [{ app: 'web', v: '2' }, 2, { replicas: 0 }],
    );
    const relabelled = ok(await send('PATCH', `${RCS}/web`, { metadata: { labels: { team: 'red' } } }, MERGE));
    assert.equal(relabelled.metadata.generation, 2, 'labels are not the spec');
    refused(
      await send('PATCH', `${RCS}/web`, { spec: { selector: { app: 'nomatch' } } }, MERGE),
      422,
      'Invalid',
      'ReplicationController "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web", "v":"2"}: `selector` does not match template `labels`',
    );
  });

  it('writes status only through /status, which keeps the spec and checks the counts', async () => {
    const cur = ok(await send('GET', `${RCS}/given`));
    const put = ok(
      await send('PUT', `${RCS}/given/status`, {
        ...cur,
        spec: { ...cur.spec, replicas: 9 },
        status: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 },
      }),
    );
    assert.deepEqual(
      [put.spec.replicas, put.metadata.generation, put.status],
      [0, 1, { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 }],
    );
    refused(
      await send('PATCH', `${RCS}/given/status`, { status: { readyReplicas: 3, availableReplicas: 4 } }, MERGE),
      422,
      'Invalid',
      'ReplicationController "given" is invalid: [status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas, ' +
        'status.availableReplicas: Invalid value: 4: cannot be greater than status.replicas, ' +
        'status.availableReplicas: Invalid value: 4: cannot be greater than readyReplicas]',
    );
    // Selectable by status.replicas, as upstream's field label.
    const list = ok(await send('GET', `${RCS}?fieldSelector=status.replicas%3D2`));
    assert.deepEqual(
      list.items.map((i: Json) => i.metadata.name),
      ['given'],
    );
  });

  it('serves /scale: the selector string made from the map, writes only spec.replicas', async () => {
    const before = ok(await send('GET', `${RCS}/web`));
    const scale = ok(await send('GET', `${RCS}/web/scale`));
    assert.deepEqual(
      [scale.apiVersion, scale.kind, scale.spec, scale.status],
      ['autoscaling/v1', 'Scale', { replicas: 1 }, { replicas: 0, selector: 'app=web,v=2' }],
    );
    const put = ok(await send('PUT', `${RCS}/web/scale`, { ...scale, spec: { replicas: 4 } }));
    assert.deepEqual(put.spec, { replicas: 4 });
    const after = ok(await send('GET', `${RCS}/web`));
    assert.deepEqual([after.spec.replicas, after.metadata.generation], [4, before.metadata.generation + 1]);
    refused(
      await send('PATCH', `${RCS}/web/scale`, { spec: { replicas: -1 } }, MERGE),
      422,
      'Invalid',
      `Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: ${NONNEGATIVE}`,
    );
    refused(await send('GET', `${RCS}/nope/scale`), 404, 'NotFound', 'replicationcontrollers "nope" not found');
  });

  it('orphans its pods on a DELETE naming no policy (v1), and not when one is named', async () => {
    await created(rc('keep'));
    const kept = ok(await send('DELETE', `${RCS}/keep`));
    assert.deepEqual(kept.metadata.finalizers, ['orphan']);
    assert.ok(kept.metadata.deletionTimestamp);
    await created(rc('gone'));
    ok(
      await send('DELETE', `${RCS}/gone`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }),
    );
    refused(await send('GET', `${RCS}/gone`), 404, 'NotFound', 'replicationcontrollers "gone" not found');
  });

  it('prints upstream Table columns', async () => {
    const t = ok(await send('GET', `${RCS}/web`, undefined, undefined, TABLE));
    assert.deepEqual(
      t.columnDefinitions.map((c: Json) => (c.priority ? `${c.name}*` : c.name)),
      ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*'],
    );
    assert.deepEqual(
      t.rows[0].cells.filter((_: unknown, i: number) => i !== 4),
      ['web', 4, 0, 0, 'c', 'nginx:1.27', 'app=web,v=2'],
    );
  });

  for (const [label, minor] of [
    ['1.33', undefined],
    ['1.27', 27],
  ] as const) {
    it(`kubectl ${label}: get rc (-o wide), scale rc, describe rc`, async () => {
      const bin = minor === undefined ? 'kubectl' : kubectlBinary(minor);
      const name = `k${minor ?? 33}`;
      await created(rc(name, { replicas: 2 }));
      const rows = async (args: string[]) => {
        const r = await kubectl(fx, args, bin);
        assert.equal(r.status, 0, r.err);
        return r.out
          .trim()
          .split('\n')
          .map((l) => l.trim().split(/\s{2,}/))
          .map((row) => row.filter((_, i) => i !== 4));
      };
      assert.deepEqual(await rows(['get', 'rc', name]), [
        ['NAME', 'DESIRED', 'CURRENT', 'READY'],
        [name, '2', '0', '0'],
      ]);
      assert.deepEqual(await rows(['get', `replicationcontroller/${name}`, '-o', 'wide']), [
        ['NAME', 'DESIRED', 'CURRENT', 'READY', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
        [name, '2', '0', '0', 'c', 'nginx:1.27', `app=${name}`],
      ]);
      const scaled = await kubectl(fx, ['scale', 'rc', name, '--replicas=3'], bin);
      assert.equal(scaled.status, 0, scaled.err);
      assert.equal(scaled.out.trim(), `replicationcontroller/${name} scaled`);
      assert.equal(ok(await send('GET', `${RCS}/${name}`)).spec.replicas, 3);
      const described = await kubectl(fx, ['describe', 'rc', name], bin);
      assert.equal(described.status, 0, described.err);
      for (const line of [
        `Name:         ${name}`,
        `Selector:     app=${name}`,
        'Replicas:     0 current / 3 desired',
        'Pods Status:  0 Running / 0 Waiting / 0 Succeeded / 0 Failed',
      ])
        assert.ok(described.out.includes(line), `${line}\n${described.out}`);
      const deleted = await kubectl(fx, ['delete', 'rc', name], bin);
      assert.equal(deleted.status, 0, deleted.err);
      // kubectl names the Background policy: gone at once, its pods left to the garbage collector.
      refused(await send('GET', `${RCS}/${name}`), 404, 'NotFound', `replicationcontrollers "${name}" not found`);
    });
  }
});
