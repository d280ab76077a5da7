// The /scale subresource of Deployments, ReplicaSets and StatefulSets through a real apiserver (an
// autoscaling/v1 Scale over the parent's replicas: GET, PUT, the three patches, preconditions and
// refusals as upstream's ScaleREST), and real kubectl 1.33 and 1.27: create deployment (sent as
// protobuf by 1.33), get -o wide and scale.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AdmissionAttributes } from '../../src/admission/types.ts';
import { ScaleREST } from '../../src/registry/apps/scale.ts';
import { Registries } from '../../src/registry/index.ts';
import { apiserverContext } from '../../src/registry/strategy.ts';
import { adminCreate, type Fixture, kubectl, kubectlBinary, startFixture } from '../server/fixture.ts';
import { APPS, deployment, type Json, refused, replicaSet, sender, statefulSet } from './apps-client.ts';

describe('apps/v1 /scale and kubectl', () => {
  let fx: Fixture;
  const send = sender(() => fx);
  const created = (path: string, body: unknown) => adminCreate(fx, path, body);
  const ok = (r: { code: number; json: Json }) => {
    assert.equal(r.code, 200, JSON.stringify(r.json));
    return r.json;
  };

  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx?.close());

  it('GETs a Scale made of the parent’s identity, replicas and selector string', async () => {
    const d = await created(
      `${APPS}/deployments`,
      deployment(
        'web',
        {
          replicas: 2,
          selector: {
            matchLabels: { app: 'web' },
            matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }],
          },
        },
        { app: 'web', tier: 'a' },
      ),
    );
    const scale = ok(await send('GET', `${APPS}/deployments/web/scale`));
    assert.deepEqual(scale, {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: 'web',
        namespace: 'default',
        uid: d.metadata.uid,
        resourceVersion: d.metadata.resourceVersion,
        creationTimestamp: d.metadata.creationTimestamp,
      },
      spec: { replicas: 2 },
      status: { replicas: 0, selector: 'app=web,tier in (a,b)' },
    });
    await created(`${APPS}/replicasets`, replicaSet('rs'));
    await created(`${APPS}/statefulsets`, statefulSet('db', { replicas: 0 }));
    assert.deepEqual(ok(await send('GET', `${APPS}/replicasets/rs/scale`)).spec, { replicas: 1 });
    assert.deepEqual(ok(await send('GET', `${APPS}/statefulsets/db/scale`)).status, {
      replicas: 0,
      selector: 'app=db',
    });
    refused(await send('GET', `${APPS}/deployments/nope/scale`), 404, 'NotFound', 'deployments.apps "nope" not found');
  });

  it('PUT changes only spec.replicas (a new generation), honouring resourceVersion and uid', async () => {
    const scale = ok(await send('GET', `${APPS}/deployments/web/scale`));
    const put = ok(
      await send('PUT', `${APPS}/deployments/web/scale`, { ...scale, spec: { replicas: 3 }, status: { replicas: 9 } }),
    );
    assert.deepEqual([put.spec, put.status.replicas], [{ replicas: 3 }, 0]);
    assert.notEqual(put.metadata.resourceVersion, scale.metadata.resourceVersion);
    const d = ok(await send('GET', `${APPS}/deployments/web`));
    assert.deepEqual([d.spec.replicas, d.metadata.generation, d.status], [3, 2, {}]);
    // The version read before is stale now: upstream's conflict on the parent.
    refused(
      await send('PUT', `${APPS}/deployments/web/scale`, { ...scale, spec: { replicas: 4 } }),
      409,
      'Conflict',
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    refused(
      await send('PUT', `${APPS}/deployments/web/scale`, {
        ...scale,
        metadata: { ...scale.metadata, resourceVersion: '', uid: 'not-the-uid' },
        spec: { replicas: 4 },
      }),
      409,
      'Conflict',
      `Operation cannot be fulfilled on deployments/scale.apps "web": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${d.metadata.uid}`,
    );
    // Without a resourceVersion the write is unconditional.
    const free = ok(
      await send('PUT', `${APPS}/deployments/web/scale`, {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'web' },
        spec: { replicas: 4 },
      }),
    );
    assert.equal(free.spec.replicas, 4);
    refused(
      await send('PUT', `${APPS}/deployments/web/scale`, { ...free, spec: { replicas: -1 } }),
      422,
      'Invalid',
      'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    refused(
      await send('PUT', `${APPS}/deployments/web/scale`, { ...free, kind: 'Deployment' }),
      400,
      'BadRequest',
      'the kind in the data (Deployment) does not match the expected kind (Scale)',
    );
    refused(
      await send('PUT', `${APPS}/deployments/missing/scale`, { ...free, metadata: { name: 'missing' } }),
      404,
      'NotFound',
      'deployments.apps "missing" not found',
    );
  });

  it('PATCHes with merge, JSON and strategic merge patches; a dry run changes nothing', async () => {
    const merge = ok(
      await send('PATCH', `${APPS}/deployments/web/scale`, { spec: { replicas: 5 } }, 'application/merge-patch+json'),
    );
    assert.equal(merge.spec.replicas, 5);
    const json = ok(
      await send(
        'PATCH',
        `${APPS}/replicasets/rs/scale`,
        [{ op: 'replace', path: '/spec/replicas', value: 2 }],
        'application/json-patch+json',
      ),
    );
    assert.equal(json.spec.replicas, 2);
    const strategic = ok(
      await send(
        'PATCH',
        `${APPS}/statefulsets/db/scale`,
        { spec: { replicas: 1 } },
        'application/strategic-merge-patch+json',
      ),
    );
    assert.equal(strategic.spec.replicas, 1);
    assert.deepEqual(
      [
        ok(await send('GET', `${APPS}/deployments/web`)).spec.replicas,
        ok(await send('GET', `${APPS}/replicasets/rs`)).spec.replicas,
        ok(await send('GET', `${APPS}/statefulsets/db`)).spec.replicas,
      ],
      [5, 2, 1],
    );
    const dry = ok(
      await send(
        'PATCH',
        `${APPS}/deployments/web/scale?dryRun=All`,
        { spec: { replicas: 8 } },
        'application/merge-patch+json',
      ),
    );
    assert.equal(dry.spec.replicas, 8);
    assert.equal(ok(await send('GET', `${APPS}/deployments/web`)).spec.replicas, 5);
    refused(
      await send(
        'PATCH',
        `${APPS}/deployments/web/scale`,
        { metadata: { resourceVersion: '1' }, spec: { replicas: 6 } },
        'application/merge-patch+json',
      ),
      409,
      'Conflict',
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    refused(
      await send('PATCH', `${APPS}/deployments/web/scale`, { spec: { replicas: -2 } }, 'application/merge-patch+json'),
      422,
      'Invalid',
      'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -2: must be greater than or equal to 0',
    );
    // DaemonSets have no /scale.
    refused(
      await send('GET', `${APPS}/daemonsets/x/scale`),
      404,
      'NotFound',
      'the server could not find the requested resource',
    );
  });

  it('admits the Scale as an update of <resource>/scale, and a mutating plugin may change it', async () => {
    const seen: AdmissionAttributes[] = [];
    const admission = {
      admit: async (a: AdmissionAttributes) => {
        seen.push(a);
        (a.object as Json).spec.replicas = 7;
      },
      validate: async (a: AdmissionAttributes) => {
        seen.push(a);
      },
    };
    const parents = new Registries(fx.server.store).get('apps', 'deployments')!;
    const scale = new ScaleREST(parents, admission);
    const out = await scale.update({
      namespace: 'default',
      name: 'web',
      ctx: apiserverContext(),
      opts: { dryRun: false },
      next: (cur) => ({ ...cur, spec: { replicas: 1 } }),
      clientPrecondition: false,
    });
    assert.equal(out.spec?.replicas, 7);
    assert.deepEqual(
      seen.map((a) => [
        a.operation,
        a.group,
        a.resource,
        a.subresource,
        a.kind,
        a.name,
        a.object?.kind,
        a.oldObject?.kind,
      ]),
      [
        ['UPDATE', 'apps', 'deployments', 'scale', 'Scale', 'web', 'Scale', 'Scale'],
        ['UPDATE', 'apps', 'deployments', 'scale', 'Scale', 'web', 'Scale', 'Scale'],
      ],
    );
    assert.equal(ok(await send('GET', `${APPS}/deployments/web`)).spec.replicas, 7);
  });

  for (const [label, minor] of [
    ['1.33', undefined],
    ['1.27', 27],
  ] as const) {
    it(`kubectl ${label}: create deployment, get deploy,rs -o wide, scale`, async () => {
      const bin = minor === undefined ? 'kubectl' : kubectlBinary(minor);
      const name = `k${minor ?? 33}`;
      const create = await kubectl(fx, ['create', 'deployment', name, '--image=busybox', '--replicas=2'], bin);
      assert.equal(create.status, 0, create.err);
      assert.equal(create.out.trim(), `deployment.apps/${name} created`);
      const d = ok(await send('GET', `${APPS}/deployments/${name}`));
      assert.deepEqual(
        [d.spec.replicas, d.spec.selector, d.spec.template.metadata.labels, d.spec.template.spec.containers[0].image],
        [2, { matchLabels: { app: name } }, { app: name }, 'busybox'],
      );
      await created(`${APPS}/replicasets`, replicaSet(`${name}-rs`));

      const wide = await kubectl(fx, ['get', `deploy/${name}`, `rs/${name}-rs`, '-o', 'wide'], bin);
      assert.equal(wide.status, 0, wide.err);
      const lines = wide.out
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s{2,}/));
      const ageless = (row: string[], ageAt: number) => row.filter((_, i) => i !== ageAt);
      assert.deepEqual(lines[0], [
        'NAME',
        'READY',
        'UP-TO-DATE',
        'AVAILABLE',
        'AGE',
        'CONTAINERS',
        'IMAGES',
        'SELECTOR',
      ]);
      assert.deepEqual(ageless(lines[1]!, 4), [
        `deployment.apps/${name}`,
        '0/2',
        '0',
        '0',
        'busybox',
        'busybox',
        `app=${name}`,
      ]);
      assert.equal(lines[2]!.length, 0 + 1);
      assert.deepEqual(lines[3], ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
      assert.deepEqual(ageless(lines[4]!, 4), [
        `replicaset.apps/${name}-rs`,
        '1',
        '0',
        '0',
        'c',
        'nginx:1.27',
        `app=${name}-rs`,
      ]);

      const scaled = await kubectl(fx, ['scale', `deployment/${name}`, '--replicas=3'], bin);
      assert.equal(scaled.status, 0, scaled.err);
      assert.equal(scaled.out.trim(), `deployment.apps/${name} scaled`);
      const after = ok(await send('GET', `${APPS}/deployments/${name}`));
      assert.deepEqual([after.spec.replicas, after.metadata.generation], [3, 2]);

      // --current-replicas makes kubectl GET the Scale, check it and PUT it back.
      const checked = await kubectl(fx, ['scale', `deployment/${name}`, '--current-replicas=3', '--replicas=1'], bin);
      assert.equal(checked.status, 0, checked.err);
      const wrong = await kubectl(fx, ['scale', `deployment/${name}`, '--current-replicas=7', '--replicas=2'], bin);
      assert.notEqual(wrong.status, 0);
      assert.match(wrong.err, /Expected replicas to be 7, was 1/);
      assert.equal(ok(await send('GET', `${APPS}/deployments/${name}`)).spec.replicas, 1);
    });
  }
});
