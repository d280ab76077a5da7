// Discovery documents, negotiation and health, built from the catalog.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aggregatedDiscovery,
  apiGroupList,
  apiResourceList,
  evaluateHealth,
  negotiateDiscovery,
} from '../../src/discovery/index.ts';
import { groupVersionDocument, openAPIV3Root } from '../../src/openapi/index.ts';
import { APICatalog, findByKind, findResource, RESOURCES } from '../../src/registry/catalog.ts';

describe('catalog', () => {
  it('has one entry per resource version, with kube-apiserver short names', () => {
    const keys = RESOURCES.map((d) => `${d.group}/${d.version}/${d.resource}`);
    assert.equal(new Set(keys).size, keys.length);
    const short = Object.fromEntries(
      RESOURCES.filter((d) => d.shortNames.length).map((d) => [d.resource, d.shortNames]),
    );
    assert.deepEqual(short, {
      namespaces: ['ns'],
      configmaps: ['cm'],
      serviceaccounts: ['sa'],
      nodes: ['no'],
      pods: ['po'],
      persistentvolumes: ['pv'],
      persistentvolumeclaims: ['pvc'],
      events: ['ev'],
      services: ['svc'],
      endpoints: ['ep'],
      limitranges: ['limits'],
      replicationcontrollers: ['rc'],
      resourcequotas: ['quota'],
      componentstatuses: ['cs'],
      certificatesigningrequests: ['csr'],
      networkpolicies: ['netpol'],
      ingresses: ['ing'],
      poddisruptionbudgets: ['pdb'],
      storageclasses: ['sc'],
      priorityclasses: ['pc'],
      cronjobs: ['cj'],
      daemonsets: ['ds'],
      deployments: ['deploy'],
      replicasets: ['rs'],
      statefulsets: ['sts'],
      horizontalpodautoscalers: ['hpa'],
    });
    assert.equal(
      findResource('certificates.k8s.io', 'v1', 'certificatesigningrequests')?.kind,
      'CertificateSigningRequest',
    );
    assert.equal(findByKind('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding')?.resource, 'clusterrolebindings');
    assert.equal(findByKind('v1', 'Pod')?.listKind, 'PodList');
    assert.equal(findResource('', 'v1', 'services')?.categories[0], 'all');
    assert.equal(findByKind('v1', 'Endpoints')?.listKind, 'EndpointsList');
    assert.deepEqual(
      findResource('', 'v1', 'replicationcontrollers')?.subresources.map((s) => `${s.name} ${s.group ?? ''}`),
      ['scale autoscaling', 'status '],
    );
    for (const d of RESOURCES) assert.deepEqual(d.verbs, [...d.verbs].sort(), `${d.resource} verbs sorted`);
  });
});

describe('legacy discovery', () => {
  it('lists groups and subresources as pods/log', () => {
    const groups = apiGroupList().groups.map((g) => g.name);
    assert.deepEqual(groups, [
      'apiregistration.k8s.io',
      'apps',
      'autoscaling',
      'batch',
      'coordination.k8s.io',
      'discovery.k8s.io',
      'certificates.k8s.io',
      'networking.k8s.io',
      'policy',
      'flowcontrol.apiserver.k8s.io',
      'rbac.authorization.k8s.io',
      'admissionregistration.k8s.io',
      'storage.k8s.io',
      'scheduling.k8s.io',
      'node.k8s.io',
      'authentication.k8s.io',
      'authorization.k8s.io',
    ]);
    const core = apiResourceList('', 'v1');
    assert.ok(core);
    assert.equal(core.groupVersion, 'v1');
    const names = core.resources.map((r) => r.name);
    for (const n of [
      'pods',
      'pods/log',
      'pods/exec',
      'pods/status',
      'nodes/status',
      'namespaces/finalize',
      'serviceaccounts/token',
    ]) {
      assert.ok(names.includes(n), n);
    }
    // The scheduler's: create only, the legacy collection and the subresource both (kind Binding).
    assert.deepEqual(
      core.resources.filter((r) => r.kind === 'Binding'),
      [
        { name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] },
        { name: 'bindings', singularName: 'binding', namespaced: true, kind: 'Binding', verbs: ['create'] },
      ],
    );
    const token = core.resources.find((r) => r.name === 'serviceaccounts/token');
    assert.deepEqual(token, {
      name: 'serviceaccounts/token',
      singularName: '',
      namespaced: true,
      kind: 'TokenRequest',
      verbs: ['create'],
      group: 'authentication.k8s.io',
      version: 'v1',
    });
    // /scale answers an autoscaling/v1 Scale, whatever the parent's group (kubectl scale finds it here).
    assert.deepEqual(
      apiResourceList('apps', 'v1')?.resources.find((r) => r.name === 'deployments/scale'),
      {
        name: 'deployments/scale',
        singularName: '',
        namespaced: true,
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
        group: 'autoscaling',
        version: 'v1',
      },
    );
    assert.equal(apiResourceList('apps', 'v1beta1'), undefined);
  });
});

describe('aggregated discovery', () => {
  it('v2 /api holds only the core group; /apis every named group', () => {
    const core = aggregatedDiscovery('core', 'v2');
    assert.equal(core.apiVersion, 'apidiscovery.k8s.io/v2');
    assert.deepEqual(
      core.items.map((i) => i.metadata.name),
      [''],
    );
    const pods = core.items[0]?.versions[0]?.resources?.find((r) => r.resource === 'pods');
    assert.deepEqual(pods?.responseKind, { group: '', version: 'v1', kind: 'Pod' });
    assert.equal(pods?.scope, 'Namespaced');
    assert.deepEqual(pods?.categories, ['all']);
    assert.deepEqual(pods?.subresources?.find((s) => s.subresource === 'exec')?.verbs, ['create', 'get']);
    assert.deepEqual(
      pods?.subresources?.find((s) => s.subresource === 'binding'),
      { subresource: 'binding', responseKind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] },
    );
    const bindings = core.items[0]?.versions[0]?.resources?.find((r) => r.resource === 'bindings');
    assert.deepEqual(bindings, {
      resource: 'bindings',
      responseKind: { group: '', version: 'v1', kind: 'Binding' },
      scope: 'Namespaced',
      singularResource: 'binding',
      verbs: ['create'],
    });
    const groups = aggregatedDiscovery('groups', 'v2beta1');
    assert.equal(groups.apiVersion, 'apidiscovery.k8s.io/v2beta1');
    const csr = groups.items.find((i) => i.metadata.name === 'certificates.k8s.io')?.versions[0]?.resources?.[0];
    assert.equal(csr?.scope, 'Cluster');
    assert.deepEqual(
      csr?.subresources?.map((s) => s.subresource),
      ['approval', 'status'],
    );
  });

  it('negotiates by Accept, client order first', () => {
    const kubectl =
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    assert.deepEqual(negotiateDiscovery(kubectl), { kind: 'aggregated', version: 'v2' });
    assert.deepEqual(
      negotiateDiscovery('application/json;as=APIGroupDiscoveryList;v=v2beta1;g=apidiscovery.k8s.io, application/json'),
      { kind: 'aggregated', version: 'v2beta1' },
    );
    assert.deepEqual(negotiateDiscovery('application/json'), { kind: 'legacy' });
    assert.deepEqual(negotiateDiscovery(undefined), { kind: 'legacy' });
    assert.deepEqual(negotiateDiscovery('*/*'), { kind: 'legacy' });
    assert.deepEqual(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList'), {
      kind: 'none',
    });
    assert.deepEqual(negotiateDiscovery('text/html'), { kind: 'none' });
  });
});

describe('openapi v3', () => {
  it('every served group/version has a PATCH with the GVK and fieldValidation for each patchable kind', () => {
    const root = openAPIV3Root();
    assert.ok(root.paths['api/v1']?.serverRelativeURL.startsWith('/openapi/v3/api/v1?hash='));
    // Every resource mkube has, those off by default included.
    const all = new APICatalog(RESOURCES);
    for (const d of RESOURCES.filter((r) => r.verbs.includes('patch'))) {
      const doc = groupVersionDocument(d.group, d.version, all) as {
        paths: Record<string, { patch?: Record<string, unknown> }>;
      };
      const patch = Object.values(doc.paths)
        .map((p) => p.patch)
        .find((op) => {
          const gvk = op?.['x-kubernetes-group-version-kind'] as Record<string, string> | undefined;
          return gvk?.kind === d.kind && gvk.group === d.group && gvk.version === d.version;
        });
      assert.ok(patch, `PATCH for ${d.kind}`);
      const params = patch.parameters as { name: string; in: string }[];
      assert.ok(
        params.some((p) => p.name === 'fieldValidation' && p.in === 'query'),
        d.kind,
      );
    }
  });
});

describe('health', () => {
  const ok = { name: 'ping', check: () => undefined };
  const bad = { name: 'shutdown', check: () => 'shutting down' };
  it('ok, verbose, failing, excluded and single checks', async () => {
    assert.deepEqual(await evaluateHealth('healthz', [ok], undefined, new URLSearchParams()), {
      code: 200,
      body: 'ok',
    });
    assert.equal(
      (await evaluateHealth('livez', [ok], undefined, new URLSearchParams('verbose'))).body,
      '[+]ping ok\nlivez check passed\n',
    );
    const failed = await evaluateHealth('readyz', [ok, bad], undefined, new URLSearchParams());
    assert.equal(failed.code, 500);
    assert.equal(failed.body, '[+]ping ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n');
    assert.equal(
      (await evaluateHealth('readyz', [ok, bad], undefined, new URLSearchParams('exclude=shutdown'))).code,
      200,
    );
    assert.equal((await evaluateHealth('readyz', [ok, bad], 'ping', new URLSearchParams())).body, 'ok');
    assert.equal((await evaluateHealth('readyz', [ok], 'nope', new URLSearchParams())).code, 404);
  });
  it('an excluded check keeps its place; an unknown one is warned about', async () => {
    const last = { name: 'poststarthook/rbac/bootstrap-roles', check: () => undefined };
    const r = await evaluateHealth(
      'readyz',
      [ok, bad, last],
      undefined,
      new URLSearchParams('verbose&exclude=shutdown&exclude=nope&exclude=also-nope'),
    );
    assert.equal(r.code, 200);
    assert.equal(
      r.body,
      '[+]ping ok\n[+]shutdown excluded: ok\n[+]poststarthook/rbac/bootstrap-roles ok\n' +
        'warn: some health checks cannot be excluded: no matches for "also-nope","nope"\nreadyz check passed\n',
    );
  });
  it("a single check's path tells why it fails", async () => {
    assert.deepEqual(await evaluateHealth('readyz', [ok, bad], 'shutdown', new URLSearchParams()), {
      code: 500,
      body: 'internal server error: shutting down\n',
    });
  });
});
