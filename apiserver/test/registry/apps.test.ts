// apps/v1 Deployments, ReplicaSets, DaemonSets, StatefulSets and ControllerRevisions through a real
// apiserver: upstream's defaults (the pod template's too), its exact refusals, generations, the
// /status subresource, and the Table columns kubectl prints.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminCreate, type Fixture, startFixture } from '../server/fixture.ts';
import { APPS, daemonSet, deployment, type Json, refused, replicaSet, sender, statefulSet } from './apps-client.ts';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

describe('apps/v1 workloads', () => {
  let fx: Fixture;
  const send = sender(() => fx);
  const created = (path: string, body: unknown) => adminCreate(fx, path, body);
  const invalid = async (path: string, body: unknown, message: string, method = 'POST') =>
    refused(await send(method, path, body), 422, 'Invalid', message);

  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx?.close());

  it('defaults a Deployment and its pod template as upstream, with an empty status and generation 1', async () => {
    const d = await created(`${APPS}/deployments`, deployment('web'));
    assert.equal(d.metadata.generation, 1);
    assert.deepEqual(d.status, {});
    const { template, ...spec } = d.spec;
    assert.deepEqual(spec, {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    assert.deepEqual(template.spec, {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          imagePullPolicy: 'Always',
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
  });

  it('defaults a ReplicaSet, a DaemonSet (with its template generation) and a StatefulSet', async () => {
    const rs = await created(`${APPS}/replicasets`, replicaSet('rs'));
    assert.deepEqual([rs.spec.replicas, rs.status, rs.metadata.generation], [1, { replicas: 0 }, 1]);
    assert.equal(rs.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');

    const ds = await created(`${APPS}/daemonsets`, daemonSet('ds'));
    assert.deepEqual(ds.spec.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    assert.equal(ds.spec.revisionHistoryLimit, 10);
    assert.deepEqual(ds.metadata.annotations, { 'deprecated.daemonset.template.generation': '1' });
    assert.deepEqual(ds.status, {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    });

    const claim = {
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    const sts = await created(`${APPS}/statefulsets`, statefulSet('db', { volumeClaimTemplates: [claim] }));
    const { template: _t, selector: _s, volumeClaimTemplates, ...spec } = sts.spec;
    assert.deepEqual(spec, {
      replicas: 1,
      serviceName: 'db',
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    assert.deepEqual(volumeClaimTemplates[0].spec.volumeMode, 'Filesystem');
    assert.deepEqual(volumeClaimTemplates[0].status, { phase: 'Pending' });
    assert.deepEqual(sts.status, { replicas: 0, availableReplicas: 0 });
  });

  it('refuses a Deployment without a selector, or one its template does not match, in upstream words', async () => {
    const noSelector = deployment('d1');
    delete (noSelector.spec as Json).selector;
    await invalid(
      `${APPS}/deployments`,
      noSelector,
      'Deployment.apps "d1" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"d1"}: `selector` does not match template `labels`]',
    );
    await invalid(
      `${APPS}/deployments`,
      deployment('d2', {}, { app: 'other', tier: 'x' }),
      'Deployment.apps "d2" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"x"}: `selector` does not match template `labels`',
    );
    await invalid(
      `${APPS}/deployments`,
      deployment('d3', { selector: {} }),
      'Deployment.apps "d3" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    );
    await invalid(
      `${APPS}/replicasets`,
      replicaSet('r3', { selector: {} }),
      'ReplicaSet.apps "r3" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    );
    await invalid(
      `${APPS}/statefulsets`,
      statefulSet('s3', { selector: { matchLabels: {} } }),
      'StatefulSet.apps "s3" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset',
    );
  });

  it('refuses what a controller cannot run: restartPolicy, negative counts, strategies, the pod rules', async () => {
    const never = deployment('d4');
    (never.spec.template.spec as Json).restartPolicy = 'Never';
    await invalid(
      `${APPS}/deployments`,
      never,
      'Deployment.apps "d4" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    );
    await invalid(
      `${APPS}/deployments`,
      deployment('d5', { replicas: -1, minReadySeconds: -2, revisionHistoryLimit: -3 }),
      'Deployment.apps "d5" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.minReadySeconds: Invalid value: -2: must be greater than or equal to 0, spec.revisionHistoryLimit: Invalid value: -3: must be greater than or equal to 0]',
    );
    await invalid(
      `${APPS}/deployments`,
      deployment('d6', { strategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } } }),
      'Deployment.apps "d6" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
    );
    await invalid(
      `${APPS}/deployments`,
      deployment('d7', { strategy: { rollingUpdate: { maxUnavailable: '120%', maxSurge: 'x' } } }),
      `Deployment.apps "d7" is invalid: [spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"x"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%'), spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%]`,
    );
    await invalid(
      `${APPS}/deployments`,
      deployment('d8', { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }),
      'Deployment.apps "d8" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is \'Recreate\'',
    );
    await invalid(
      `${APPS}/deployments`,
      deployment('d9', { minReadySeconds: 10, progressDeadlineSeconds: 5 }),
      'Deployment.apps "d9" is invalid: spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds',
    );
    const noImage = deployment('d10');
    delete (noImage.spec.template.spec.containers[0] as Json).image;
    (noImage.spec.template.metadata as Json).annotations = { 'bad key!': 'x' };
    await invalid(
      `${APPS}/deployments`,
      noImage,
      `Deployment.apps "d10" is invalid: [spec.template.annotations: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), spec.template.spec.containers[0].image: Required value]`,
    );
    const deadline = replicaSet('r4');
    (deadline.spec.template.spec as Json).activeDeadlineSeconds = 30;
    await invalid(
      `${APPS}/replicasets`,
      deadline,
      'ReplicaSet.apps "r4" is invalid: spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
    );
    await invalid(
      `${APPS}/daemonsets`,
      daemonSet('ds2', { updateStrategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }),
      'DaemonSet.apps "ds2" is invalid: spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
    );
    await invalid(
      `${APPS}/daemonsets`,
      daemonSet('ds3', { updateStrategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } }),
      'DaemonSet.apps "ds3" is invalid: spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
    );
    await invalid(
      `${APPS}/statefulsets`,
      statefulSet('s4', {
        podManagementPolicy: 'Random',
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep' },
      }),
      `StatefulSet.apps "s4" is invalid: [spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel', spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"]`,
    );
  });

  it('has no rollbackTo in apps/v1: refused as unknown when strict, dropped otherwise', async () => {
    const body = deployment('rb', { rollbackTo: { revision: 1 } });
    refused(
      await send('POST', `${APPS}/deployments?fieldValidation=Strict`, body),
      400,
      'BadRequest',
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.rollbackTo"',
    );
    const d = await created(`${APPS}/deployments?fieldValidation=Ignore`, body);
    assert.equal(d.spec.rollbackTo, undefined);
  });

  it('keeps the selector, bumps the generation on spec and annotation changes, and keeps status on updates', async () => {
    const d = await created(`${APPS}/deployments`, deployment('gen'));
    const moved = structuredClone(d);
    moved.spec.selector = { matchLabels: { app: 'other' } };
    moved.spec.template.metadata.labels = { app: 'other' };
    await invalid(
      `${APPS}/deployments/gen`,
      moved,
      'Deployment.apps "gen" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      'PUT',
    );
    const same = await send('PUT', `${APPS}/deployments/gen`, { ...d, status: { replicas: 7 } });
    assert.equal(same.code, 200);
    assert.deepEqual([same.json.metadata.generation, same.json.status], [1, {}]);
    const scaled = (await send('PUT', `${APPS}/deployments/gen`, { ...same.json, spec: { ...d.spec, replicas: 2 } }))
      .json;
    assert.equal(scaled.metadata.generation, 2);
    const annotated = (
      await send(
        'PATCH',
        `${APPS}/deployments/gen`,
        { metadata: { annotations: { note: 'x' } } },
        'application/merge-patch+json',
      )
    ).json;
    assert.equal(annotated.metadata.generation, 3);
    const rs = await created(`${APPS}/replicasets`, replicaSet('rsgen'));
    const rsAnnotated = (
      await send(
        'PATCH',
        `${APPS}/replicasets/rsgen`,
        { metadata: { annotations: { note: 'x' } } },
        'application/merge-patch+json',
      )
    ).json;
    assert.deepEqual([rs.metadata.generation, rsAnnotated.metadata.generation], [1, 1]);
  });

  it('writes status only through /status, which keeps the spec and checks the counts', async () => {
    const d = await created(`${APPS}/deployments`, deployment('st'));
    const r = await send('PUT', `${APPS}/deployments/st/status`, {
      ...d,
      spec: { ...d.spec, replicas: 9 },
      status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 },
    });
    assert.equal(r.code, 200, JSON.stringify(r.json));
    assert.deepEqual([r.json.spec.replicas, r.json.metadata.generation, r.json.status.readyReplicas], [1, 1, 1]);
    refused(
      await send(
        'PATCH',
        `${APPS}/deployments/st/status`,
        { status: { readyReplicas: 3 } },
        'application/merge-patch+json',
      ),
      422,
      'Invalid',
      'Deployment.apps "st" is invalid: status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas',
    );
    const sts = await created(`${APPS}/statefulsets`, statefulSet('stss'));
    refused(
      await send(
        'PATCH',
        `${APPS}/statefulsets/stss/status`,
        { status: { replicas: 1, currentReplicas: 2 } },
        'application/merge-patch+json',
      ),
      422,
      'Invalid',
      'StatefulSet.apps "stss" is invalid: status.currentReplicas: Invalid value: 2: cannot be greater than status.replicas',
    );
    assert.equal(sts.status.replicas, 0);
  });

  it('takes annotations through /status (the deployment controller writes its revision there) and selects ReplicaSets by status.replicas', async () => {
    const d = await created(`${APPS}/deployments`, deployment('annot'));
    const r = await send('PUT', `${APPS}/deployments/annot/status`, {
      ...d,
      metadata: { ...d.metadata, labels: { sneaky: 'x' }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
      status: { observedGeneration: 1 },
    });
    assert.equal(r.code, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json.metadata.annotations, { 'deployment.kubernetes.io/revision': '1' });
    assert.equal(r.json.metadata.labels?.sneaky, undefined, 'labels stay as stored');
    const bad = await send('PUT', `${APPS}/deployments/annot/status`, {
      ...r.json,
      metadata: { ...r.json.metadata, annotations: { 'not a key': 'x' } },
    });
    assert.equal(bad.code, 422, JSON.stringify(bad.json));
    assert.match(bad.json.message, /metadata\.annotations: Invalid value: "not a key"/);

    await created(`${APPS}/replicasets`, replicaSet('zero'));
    const one = await created(`${APPS}/replicasets`, replicaSet('one'));
    const st = await send('PUT', `${APPS}/replicasets/one/status`, { ...one, status: { replicas: 1 } });
    assert.equal(st.code, 200, JSON.stringify(st.json));
    const names = async (sel: string) =>
      (await send('GET', `${APPS}/replicasets?fieldSelector=${encodeURIComponent(sel)}`)).json.items
        .map((i: Json) => i.metadata.name)
        .sort();
    assert.deepEqual(await names('status.replicas=1'), ['one']);
    assert.ok((await names('status.replicas=0')).includes('zero'));
    refused(
      await send('GET', `${APPS}/deployments?fieldSelector=status.replicas%3D1`),
      400,
      'BadRequest',
      'field label not supported: status.replicas',
    );
  });

  it('lets a StatefulSet change only its mutable fields, and bumps a DaemonSet template generation', async () => {
    const sts = await created(`${APPS}/statefulsets`, statefulSet('fixed'));
    await invalid(
      `${APPS}/statefulsets/fixed`,
      { ...sts, spec: { ...sts.spec, serviceName: 'elsewhere' } },
      "StatefulSet.apps \"fixed\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      'PUT',
    );
    const ok = await send('PUT', `${APPS}/statefulsets/fixed`, {
      ...sts,
      spec: { ...sts.spec, replicas: 3, minReadySeconds: 5 },
    });
    assert.deepEqual([ok.code, ok.json.metadata.generation], [200, 2]);

    await created(`${APPS}/daemonsets`, daemonSet('tg'));
    const image = await send(
      'PATCH',
      `${APPS}/daemonsets/tg`,
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } },
      'application/strategic-merge-patch+json',
    );
    assert.equal(image.code, 200, JSON.stringify(image.json));
    assert.deepEqual(
      [image.json.metadata.generation, image.json.metadata.annotations['deprecated.daemonset.template.generation']],
      [2, '2'],
    );
    const minReady = (
      await send('PATCH', `${APPS}/daemonsets/tg`, { spec: { minReadySeconds: 3 } }, 'application/merge-patch+json')
    ).json;
    assert.deepEqual(
      [minReady.metadata.generation, minReady.metadata.annotations['deprecated.daemonset.template.generation']],
      [3, '2'],
    );
  });

  it('keeps a ControllerRevision data immutable and its revision non-negative', async () => {
    const base = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'cr' },
      data: { spec: { a: 1 } },
      revision: 2,
    };
    await invalid(
      `${APPS}/controllerrevisions`,
      { ...base, revision: -1 },
      'ControllerRevision.apps "cr" is invalid: revision: Invalid value: -1: must be greater than or equal to 0',
    );
    const { data: _d, ...noData } = base;
    await invalid(
      `${APPS}/controllerrevisions`,
      noData,
      'ControllerRevision.apps "cr" is invalid: data: Required value: data is mandatory',
    );
    const cr = await created(`${APPS}/controllerrevisions`, base);
    assert.equal(cr.metadata.generation, undefined);
    const r = await send('PUT', `${APPS}/controllerrevisions/cr`, { ...cr, data: { spec: { a: 2 } } });
    assert.equal(r.code, 422);
    assert.match(
      r.json.message,
      /^ControllerRevision\.apps "cr" is invalid: data: Invalid value: runtime\.RawExtension\{.*\}: field is immutable$/,
    );
    const owned = await send(
      'PATCH',
      `${APPS}/controllerrevisions/cr`,
      {
        metadata: {
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'tg', uid: 'u-1', controller: true }],
        },
      },
      'application/merge-patch+json',
    );
    assert.equal(owned.code, 200);
  });

  it('prints upstream Table columns for each kind', async () => {
    const get = async (resource: string) =>
      (await send('GET', `${APPS}/${resource}`, undefined, undefined, TABLE)).json;
    const cols = (t: Json) => t.columnDefinitions.map((c: Json) => (c.priority ? `${c.name}*` : c.name));
    const deploy = await get('deployments/web');
    assert.deepEqual(cols(deploy), [
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers*',
      'Images*',
      'Selector*',
    ]);
    assert.deepEqual(
      deploy.rows[0].cells.filter((_: unknown, i: number) => i !== 4),
      ['web', '0/1', 0, 0, 'c', 'busybox', 'app=web'],
    );
    const rs = await get('replicasets/rs');
    assert.deepEqual(cols(rs), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
    assert.deepEqual(
      rs.rows[0].cells.filter((_: unknown, i: number) => i !== 4),
      ['rs', 1, 0, 0, 'c', 'nginx:1.27', 'app=rs'],
    );
    const ds = await get('daemonsets/ds');
    assert.deepEqual(cols(ds), [
      'Name',
      'Desired',
      'Current',
      'Ready',
      'Up-to-date',
      'Available',
      'Node Selector',
      'Age',
      'Containers*',
      'Images*',
      'Selector*',
    ]);
    assert.deepEqual(
      ds.rows[0].cells.filter((_: unknown, i: number) => i !== 7),
      ['ds', 0, 0, 0, 0, 0, '<none>', 'c', 'busybox', 'app=ds'],
    );
    const sts = await get('statefulsets/db');
    assert.deepEqual(cols(sts), ['Name', 'Ready', 'Age', 'Containers*', 'Images*']);
    assert.deepEqual(
      sts.rows[0].cells.filter((_: unknown, i: number) => i !== 2),
      ['db', '0/1', 'c', 'busybox'],
    );
    const cr = await get('controllerrevisions/cr');
    assert.deepEqual(cols(cr), ['Name', 'Controller', 'Revision', 'Age']);
    assert.deepEqual(cr.rows[0].cells.slice(0, 3), ['cr', 'daemonset.apps/tg', 2]);
  });
});
