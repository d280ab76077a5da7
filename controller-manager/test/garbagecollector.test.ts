// The garbage collector and DELETE's propagation policies against a real apiserver and
// controller-manager, with the real kubectl and curl: `kubectl delete` (background), `--cascade=orphan`
// and `--cascade=foreground` do to dependents what they do upstream, and a dependent with another
// owner only loses its reference.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap, KubeObject, Lease, Node, OwnerReference } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { curl, kubectl } from '../../apiserver/test/server/fixture.ts';
import {
  type DeletableResources,
  discoverDeletableResources,
  GarbageCollector,
} from '../src/garbagecollector/index.ts';
import { InformerFactory } from '../src/informers/index.ts';
import { type Cluster, quietLog, startCluster, waitFor } from './fixture.ts';

const CMS = { group: '', version: 'v1', resource: 'configmaps', namespace: 'default' } as const;

describe('garbage-collector-controller', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.startKcm(['--leader-elect=false']);
  });
  after(async () => c?.close());

  const k = async (args: string[]) => {
    const r = await kubectl(c.fx, args);
    assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  const cms = () => c.admin.resource<ConfigMap>(CMS);
  const owner = async (name: string) => {
    const o = await cms().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
    return o;
  };
  const ref = (o: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: o.metadata!.name!,
    uid: o.metadata!.uid!,
    ...extra,
  });
  const dependent = (name: string, owners: OwnerReference[], finalizers?: string[]) =>
    cms().create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, ownerReferences: owners, ...(finalizers ? { finalizers } : {}) },
    });
  const gone = (name: string, ms = 10_000) =>
    waitFor(
      `${name} deleted`,
      () =>
        cms()
          .get(name)
          .then(
            () => undefined,
            (e) => (isNotFound(e) ? true : Promise.reject(e)),
          ),
      ms,
    );
  const get = (name: string) => cms().get(name);

  it('kubectl delete (background): the dependents go after their owner', async () => {
    const o = await owner('bg-owner');
    await dependent('bg-dep-1', [ref(o, { controller: true })]);
    await dependent('bg-dep-2', [ref(o)]);
    await k(['delete', 'configmap', 'bg-owner']);
    await gone('bg-dep-1');
    await gone('bg-dep-2');
  });

  it('--cascade=orphan: the owner goes at once and the dependents stay, without the reference', async () => {
    const o = await owner('or-owner');
    const other = await owner('or-other');
    await dependent('or-dep', [ref(o), ref(other)]);
    await dependent('or-only', [ref(o)]);
    await k(['delete', 'configmap', 'or-owner', '--cascade=orphan']);
    await gone('or-owner');
    for (const name of ['or-dep', 'or-only']) {
      const d = await waitFor(`${name} orphaned`, async () => {
        const cur = await get(name);
        return cur.metadata.ownerReferences?.some((r) => r.uid === o.metadata.uid) ? undefined : cur;
      });
      assert.deepEqual(
        (d.metadata.ownerReferences ?? []).map((r) => r.name),
        name === 'or-dep' ? ['or-other'] : [],
      );
    }
    // Still there a moment later: nothing collects an orphan.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(await get('or-only'));
  });

  it('--cascade=foreground: the owner waits, with foregroundDeletion, until its blocking dependents are gone', async () => {
    const o = await owner('fg-owner');
    await dependent('fg-blocking', [ref(o, { blockOwnerDeletion: true })], ['example.com/hold']);
    await dependent('fg-plain', [ref(o)]);
    await k(['delete', 'configmap', 'fg-owner', '--cascade=foreground', '--wait=false']);
    const held = await get('fg-owner');
    assert.ok(held.metadata.deletionTimestamp, 'marked for deletion');
    assert.deepEqual(held.metadata.finalizers, ['foregroundDeletion']);
    await gone('fg-plain');
    const blocking = await waitFor('fg-blocking being deleted', async () => {
      const d = await get('fg-blocking');
      return d.metadata.deletionTimestamp ? d : undefined;
    });
    // It has no dependents of its own, so it is deleted in the background, as upstream.
    assert.deepEqual(blocking.metadata.finalizers, ['example.com/hold']);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok((await get('fg-owner')).metadata.deletionTimestamp, 'the owner waits for its blocking dependent');
    await k([
      'patch',
      'configmap',
      'fg-blocking',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/metadata/finalizers/0"}]',
    ]);
    await gone('fg-blocking');
    await gone('fg-owner');
  });

  it('a chain deleted in the foreground goes from the leaves up', async () => {
    const top = await owner('chain-top');
    const mid = await dependent('chain-mid', [ref(top, { blockOwnerDeletion: true })]);
    await dependent('chain-leaf', [ref(mid, { blockOwnerDeletion: true })], ['example.com/hold']);
    await new Promise((r) => setTimeout(r, 300));
    await k(['delete', 'configmap', 'chain-top', '--cascade=foreground', '--wait=false']);
    // The middle one has a dependent, so it too is deleted in the foreground and waits for it.
    const m = await waitFor('chain-mid waiting', async () => {
      const cur = await get('chain-mid');
      return cur.metadata.deletionTimestamp ? cur : undefined;
    });
    assert.deepEqual(m.metadata.finalizers, ['foregroundDeletion']);
    await waitFor('chain-leaf being deleted', async () =>
      (await get('chain-leaf')).metadata.deletionTimestamp ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(await get('chain-top'));
    assert.ok(await get('chain-mid'));
    await k(['patch', 'configmap', 'chain-leaf', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await gone('chain-leaf');
    await gone('chain-mid');
    await gone('chain-top');
  });

  it('a dependent with another owner only loses the reference to the one deleted', async () => {
    const a = await owner('two-a');
    const b = await owner('two-b');
    await dependent('two-dep', [ref(a), ref(b)]);
    await k(['delete', 'configmap', 'two-a']);
    const d = await waitFor('the reference to two-a removed', async () => {
      const cur = await get('two-dep');
      return cur.metadata.ownerReferences?.length === 1 ? cur : undefined;
    });
    assert.equal(d.metadata.ownerReferences?.[0]?.uid, b.metadata.uid);
    await k(['delete', 'configmap', 'two-b']);
    await gone('two-dep');
  });

  it('an object whose owner never existed (or was recreated with another uid) is collected', async () => {
    await dependent('dangling', [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'never', uid: 'f3b1d6a0-0000-4000-8000-000000000000' },
    ]);
    await gone('dangling');
    const o = await owner('phoenix');
    await dependent('phoenix-dep', [ref(o)]);
    await new Promise((r) => setTimeout(r, 300));
    // Recreated under the same name: a new uid, so the dependent's owner is gone.
    await cms().delete('phoenix', { propagationPolicy: 'Orphan' });
    await gone('phoenix');
    await owner('phoenix');
    const d = await waitFor('phoenix-dep orphaned', async () => {
      const cur = await get('phoenix-dep');
      return cur.metadata.ownerReferences?.length ? undefined : cur;
    });
    assert.ok(d, 'orphaned, not deleted');
  });

  it('OwnerRefInvalidNamespace: an owner in another namespace is absent; a namespaced owner of a cluster-scoped object never resolves', async () => {
    const events = async (involved: string) => {
      const out = await k([
        'get',
        'events',
        '-A',
        '--field-selector',
        `reason=OwnerRefInvalidNamespace,involvedObject.name=${involved}`,
        '-o',
        'json',
      ]);
      return (JSON.parse(out).items as { type: string; message: string; source: { component: string } }[]) ?? [];
    };
    await k(['create', 'namespace', 'gc-other']);
    const o = await owner('ns-owner');
    // The owner exists, but in "default": from "gc-other" it is absent, so the dependent goes.
    await c.admin
      .resource<ConfigMap>({ ...CMS, namespace: 'gc-other' })
      .create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cross-ns', ownerReferences: [ref(o)] } });
    await waitFor('cross-ns deleted', () =>
      c.admin
        .resource<ConfigMap>({ ...CMS, namespace: 'gc-other' })
        .get('cross-ns')
        .then(
          () => undefined,
          (e) => (isNotFound(e) ? true : Promise.reject(e)),
        ),
    );
    const cross = await waitFor('its Event', async () =>
      (await events('cross-ns')).length ? events('cross-ns') : undefined,
    );
    assert.equal(cross[0]!.type, 'Warning');
    assert.equal(cross[0]!.source.component, 'garbage-collector-controller');
    assert.equal(
      cross[0]!.message,
      `ownerRef [v1/ConfigMap, namespace: gc-other, name: ns-owner, uid: ${o.metadata.uid}] does not exist in namespace "gc-other"`,
    );
    assert.ok(await get('ns-owner'), 'the owner itself is untouched');

    // A cluster-scoped object naming a namespaced owner (that does not even exist) is never collected.
    const roles = c.admin.resource<KubeObject>({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      resource: 'clusterroles',
    });
    await roles.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        name: 'gc-invalid-owner',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'nowhere', uid: 'a1b2c3d4-0000-4000-8000-000000000000' },
        ],
      },
      rules: [],
    } as KubeObject);
    const ev = await waitFor('its Event', async () =>
      (await events('gc-invalid-owner')).length ? events('gc-invalid-owner') : undefined,
    );
    assert.equal(
      ev[0]!.message,
      'ownerRef [v1/ConfigMap, namespace: , name: nowhere, uid: a1b2c3d4-0000-4000-8000-000000000000] does not exist in namespace ""',
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(await roles.get('gc-invalid-owner'), 'still there');
  });

  it("a node's Lease goes with its Node (cluster-scoped owner, namespaced dependent)", async () => {
    const node = await c.admin
      .resource<Node>({ group: '', version: 'v1', resource: 'nodes' })
      .create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'gc-node' } });
    const leases = c.admin.resource<Lease>({
      group: 'coordination.k8s.io',
      version: 'v1',
      resource: 'leases',
      namespace: 'kube-node-lease',
    });
    await leases.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'gc-node',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Node', name: 'gc-node', uid: node.metadata.uid!, controller: true },
        ],
      },
      spec: { holderIdentity: 'gc-node', leaseDurationSeconds: 40 },
    });
    await k(['delete', 'node', 'gc-node']);
    await waitFor('the lease deleted', () =>
      leases.get('gc-node').then(
        () => undefined,
        (e) => (isNotFound(e) ? true : Promise.reject(e)),
      ),
    );
  });

  it('DELETE checks its propagation policy as ValidateDeleteOptions, from the body or the query', async () => {
    await owner('opts');
    const bad = await curl(c.fx, '/api/v1/namespaces/default/configmaps/opts?propagationPolicy=Sideways', [
      '-X',
      'DELETE',
    ]);
    assert.equal(bad.code, 422, bad.body);
    assert.equal(
      JSON.parse(bad.body).message,
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"',
    );
    const file = join(c.fx.dir, 'both.json');
    writeFileSync(
      file,
      JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: true, propagationPolicy: 'Orphan' }),
    );
    const both = await curl(c.fx, '/api/v1/namespaces/default/configmaps/opts', [
      '-X',
      'DELETE',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      `@${file}`,
    ]);
    assert.equal(both.code, 422, both.body);
    assert.match(
      JSON.parse(both.body).message,
      /propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set/,
    );
    assert.ok(await get('opts'), 'nothing was deleted');
    // The query form works as the body's: Foreground marks the object and adds the finalizer.
    const fg = await curl(c.fx, '/api/v1/namespaces/default/configmaps/opts?propagationPolicy=Foreground', [
      '-X',
      'DELETE',
    ]);
    assert.equal(fg.code, 200, fg.body);
    assert.deepEqual(JSON.parse(fg.body).metadata.finalizers, ['foregroundDeletion']);
    await gone('opts');
  });

  it("runs with upstream's role, system:controller:generic-garbage-collector", async () => {
    const out = await k([
      'get',
      'clusterrole',
      'system:controller:generic-garbage-collector',
      '-o',
      'jsonpath={.rules[0].verbs}',
    ]);
    assert.match(out, /delete/);
  });
});

describe('garbage collector: rediscovery (GarbageCollector.Sync)', () => {
  let c: Cluster;
  const stop = new AbortController();
  before(async () => {
    c = await startCluster();
  });
  after(async () => {
    stop.abort();
    await c?.close();
  });

  it('watches a resource discovery serves later, stops watching one it no longer serves, keeps a group that failed', async () => {
    const log = quietLog();
    const all = (await discoverDeletableResources(c.admin, log)).resources;
    const LEASES = 'coordination.k8s.io/v1/leases';
    const withoutLeases = all.filter((m) => m.ref.resource !== 'leases');
    // What "discovery" answers next: first without Leases (as if their API were not served yet).
    let answer: DeletableResources = { resources: withoutLeases, failedGroupVersions: new Set() };
    const factory = new InformerFactory(c.admin, log);
    const gc = new GarbageCollector(c.admin, factory, withoutLeases, log, 4, undefined, {
      discover: async () => answer,
      periodMs: 200,
    });
    factory.start(stop.signal);
    void gc.run(stop.signal);
    assert.ok(!gc.monitored.includes(LEASES));

    const leases = c.admin.resource<Lease>({
      group: 'coordination.k8s.io',
      version: 'v1',
      resource: 'leases',
      namespace: 'default',
    });
    const cms = c.admin.resource<ConfigMap>(CMS);
    const lease = (name: string, owner: KubeObject) =>
      leases.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name,
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata!.name!, uid: owner.metadata!.uid! },
          ],
        },
        spec: {},
      });
    const leaseGone = (name: string) =>
      leases.get(name).then(
        () => false,
        (e) => (isNotFound(e) ? true : Promise.reject(e)),
      );

    const o1 = await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rediscover-1' } });
    await lease('dep-1', o1);
    await cms.delete('rediscover-1');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await leaseGone('dep-1'), false, 'Leases are not watched yet: nothing collects dep-1');

    answer = { resources: all, failedGroupVersions: new Set() };
    await waitFor('Leases watched', async () => gc.monitored.includes(LEASES) || undefined);
    await waitFor('dep-1 collected once its resource is watched', async () => (await leaseGone('dep-1')) || undefined);

    // Its group fails discovery: the monitor stays.
    answer = { resources: withoutLeases, failedGroupVersions: new Set(['coordination.k8s.io/v1']) };
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(gc.monitored.includes(LEASES), 'a group that did not answer keeps its monitor');

    // Discovery no longer lists it: no longer watched, so a new dangling Lease stays.
    answer = { resources: withoutLeases, failedGroupVersions: new Set() };
    await waitFor('Leases no longer watched', async () => !gc.monitored.includes(LEASES) || undefined);
    const o2 = await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rediscover-2' } });
    await lease('dep-2', o2);
    await cms.delete('rediscover-2');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await leaseGone('dep-2'), false);

    // And back: watched again, its informer relists, dep-2 goes.
    answer = { resources: all, failedGroupVersions: new Set() };
    await waitFor('dep-2 collected after the resource came back', async () => (await leaseGone('dep-2')) || undefined);
  });
});
