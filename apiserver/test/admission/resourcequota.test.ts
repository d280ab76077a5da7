// ResourceQuota admission through a real apiserver (default-on, no controller-manager: the tests
// write each quota's status themselves, as the resourcequota controller would): refusals carry
// upstream's messages, an admitted create raises status.used, scopes narrow what a quota counts,
// and limitedResources (from --admission-control-config-file) keep critical pods to namespaces
// with a covering quota.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Container, Pod, PriorityClass, ResourceList, ResourceQuota, ResourceQuotaSpec } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { type Fixture, startFixture } from '../server/fixture.ts';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' } as const;
const QUOTAS = { group: '', version: 'v1', resource: 'resourcequotas' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const PRIORITY_CLASSES = { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses' } as const;

function adminClient(fx: Fixture): KubeClient {
  return createClient({
    server: fx.url,
    caPem: readFileSync(fx.pki.caCrt, 'utf8'),
    clientCertPem: readFileSync(fx.pki.adminCrt, 'utf8'),
    clientKeyPem: readFileSync(fx.pki.adminKey, 'utf8'),
  });
}

const pod = (name: string, opts: { resources?: Container['resources']; priorityClassName?: string } = {}): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      containers: [{ name: 'c', image: 'busybox', ...(opts.resources ? { resources: opts.resources } : {}) }],
      ...(opts.priorityClassName ? { priorityClassName: opts.priorityClassName } : {}),
    },
  }) as Pod;

/** The refusal's message (and HTTP code) of a create that must fail. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return { code: (e as { code: number }).code, message: (e as Error).message };
  }
  assert.fail('the request was admitted');
}

describe('ResourceQuota admission', () => {
  let fx: Fixture;
  let limited: Fixture;
  let admin: KubeClient;
  let limitedAdmin: KubeClient;

  before(async () => {
    fx = await startFixture();
    limited = await startFixture((pki) => {
      const file = join(pki.dir, 'admission.yaml');
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'apiserver.config.k8s.io/v1',
          kind: 'AdmissionConfiguration',
          plugins: [
            {
              name: 'ResourceQuota',
              configuration: {
                apiVersion: 'apiserver.config.k8s.io/v1',
                kind: 'ResourceQuotaConfiguration',
                limitedResources: [
                  {
                    resource: 'pods',
                    matchScopes: [
                      {
                        scopeName: 'PriorityClass',
                        operator: 'In',
                        values: ['system-node-critical', 'system-cluster-critical'],
                      },
                    ],
                  },
                ],
              },
            },
          ],
        }),
      );
      return [`--admission-control-config-file=${file}`];
    });
    admin = adminClient(fx);
    limitedAdmin = adminClient(limited);
  });
  after(async () => {
    await admin?.close();
    await limitedAdmin?.close();
    await Promise.all([fx?.close(), limited?.close()]);
  });

  const namespace = async (c: KubeClient, name: string) => {
    await c.resource(NAMESPACES).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  };
  /** A quota, and the status the controller would give it (used as stated, hard = spec.hard). */
  const quota = async (
    c: KubeClient,
    ns: string,
    name: string,
    spec: ResourceQuotaSpec,
    used: ResourceList | undefined,
  ): Promise<void> => {
    const api = c.resource<ResourceQuota>({ ...QUOTAS, namespace: ns });
    const q = await api.create({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec } as ResourceQuota);
    await api.updateSubresource(name, 'status', {
      ...q,
      status: { hard: spec.hard ?? {}, ...(used ? { used } : {}) },
    });
  };
  const usedOf = async (c: KubeClient, ns: string, name: string) =>
    (await c.resource<ResourceQuota>({ ...QUOTAS, namespace: ns }).get(name)).status?.used;
  const pods = (c: KubeClient, ns: string) => c.resource<Pod>({ ...PODS, namespace: ns });

  it('charges each admitted pod to status.used and refuses the one past the limit', async () => {
    await namespace(admin, 'count');
    await quota(admin, 'count', 'q', { hard: { pods: '2' } }, { pods: '0' });
    await pods(admin, 'count').create(pod('p1'));
    assert.deepEqual(await usedOf(admin, 'count', 'q'), { pods: '1' });
    await pods(admin, 'count').create(pod('p2'));
    assert.deepEqual(await usedOf(admin, 'count', 'q'), { pods: '2' });
    const r = await refusal(pods(admin, 'count').create(pod('p3')));
    assert.equal(r.code, 403);
    assert.equal(
      r.message,
      'pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    );
    // Nothing was charged for the refused pod, nor for a dry run.
    await assert.rejects(pods(admin, 'count').get('p3'));
    assert.deepEqual(await usedOf(admin, 'count', 'q'), { pods: '2' });
  });

  it('does not charge a dry run', async () => {
    await namespace(admin, 'dry');
    await quota(admin, 'dry', 'q', { hard: { pods: '5' } }, { pods: '1' });
    await pods(admin, 'dry').create(pod('p'), { dryRun: true });
    assert.deepEqual(await usedOf(admin, 'dry', 'q'), { pods: '1' });
  });

  it('a quota on cpu needs every container to state it, and sums the requests', async () => {
    await namespace(admin, 'compute');
    await quota(
      admin,
      'compute',
      'cpu',
      { hard: { 'requests.cpu': '1', 'limits.cpu': '2', 'requests.memory': '1Gi' } },
      { 'requests.cpu': '0', 'limits.cpu': '0', 'requests.memory': '0' },
    );
    const r = await refusal(pods(admin, 'compute').create(pod('bare')));
    assert.equal(r.code, 403);
    assert.equal(
      r.message,
      'pods "bare" is forbidden: failed quota: cpu: must specify limits.cpu for: c; requests.cpu for: c; requests.memory for: c',
    );
    const resources = { requests: { cpu: '600m', memory: '512Mi' }, limits: { cpu: '1' } };
    await pods(admin, 'compute').create(pod('sized', { resources }));
    assert.deepEqual(await usedOf(admin, 'compute', 'cpu'), {
      'limits.cpu': '1',
      'requests.cpu': '600m',
      'requests.memory': '512Mi',
    });
    const over = await refusal(pods(admin, 'compute').create(pod('more', { resources })));
    assert.equal(
      over.message,
      'pods "more" is forbidden: exceeded quota: cpu, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1',
    );
  });

  it('refuses while a quota constraining the pod has no observed usage, and ignores one with no status', async () => {
    await namespace(admin, 'unknown');
    await quota(admin, 'unknown', 'fresh', { hard: { pods: '3', 'count/pods': '3' } }, undefined);
    const r = await refusal(pods(admin, 'unknown').create(pod('p')));
    assert.equal(r.message, 'pods "p" is forbidden: status unknown for quota: fresh, resources: count/pods,pods');

    await namespace(admin, 'unsynced');
    await admin
      .resource<ResourceQuota>({ ...QUOTAS, namespace: 'unsynced' })
      .create({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: '0' } } });
    // status.hard is what admission enforces: until the controller has written it, nothing is.
    await pods(admin, 'unsynced').create(pod('p'));
  });

  it('a BestEffort quota counts only pods without cpu and memory requests or limits', async () => {
    await namespace(admin, 'besteffort');
    await quota(admin, 'besteffort', 'be', { hard: { pods: '1' }, scopes: ['BestEffort'] }, { pods: '0' });
    await pods(admin, 'besteffort').create(pod('be1'));
    const r = await refusal(pods(admin, 'besteffort').create(pod('be2')));
    assert.equal(
      r.message,
      'pods "be2" is forbidden: exceeded quota: be, requested: pods=1, used: pods=1, limited: pods=1',
    );
    await pods(admin, 'besteffort').create(pod('burstable', { resources: { requests: { cpu: '100m' } } }));
    assert.deepEqual(await usedOf(admin, 'besteffort', 'be'), { pods: '1' });
  });

  it('a PriorityClass scopeSelector counts only the pods of the classes it names', async () => {
    await admin.resource<PriorityClass>(PRIORITY_CLASSES).create({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'high' },
      value: 1000,
    } as PriorityClass);
    await namespace(admin, 'prio');
    await quota(
      admin,
      'prio',
      'high',
      {
        hard: { pods: '1' },
        scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] },
      },
      { pods: '0' },
    );
    await pods(admin, 'prio').create(pod('h1', { priorityClassName: 'high' }));
    const r = await refusal(pods(admin, 'prio').create(pod('h2', { priorityClassName: 'high' })));
    assert.equal(
      r.message,
      'pods "h2" is forbidden: exceeded quota: high, requested: pods=1, used: pods=1, limited: pods=1',
    );
    await pods(admin, 'prio').create(pod('plain'));
    assert.deepEqual(await usedOf(admin, 'prio', 'high'), { pods: '1' });
  });

  it('by default (as upstream since 1.17) critical pods may be created in any namespace', async () => {
    await pods(admin, 'default').create(pod('critical', { priorityClassName: 'system-cluster-critical' }));
  });

  it('limitedResources keep critical pods to namespaces whose quota covers their class', async () => {
    const r = await refusal(
      pods(limitedAdmin, 'default').create(pod('critical', { priorityClassName: 'system-node-critical' })),
    );
    // Upstream returns this one as a plain error, which the apiserver answers with a 500.
    assert.equal(r.code, 500);
    assert.equal(
      r.message,
      'insufficient quota to match these scopes: [{PriorityClass In [system-node-critical system-cluster-critical]}]',
    );
    // Other pods are not limited.
    await pods(limitedAdmin, 'default').create(pod('ordinary'));
    // kube-system with a quota covering the classes (as GKE's and the docs' critical-pods quota).
    await quota(
      limitedAdmin,
      'kube-system',
      'critical-pods',
      {
        hard: { pods: '1G' },
        scopeSelector: {
          matchExpressions: [
            { scopeName: 'PriorityClass', operator: 'In', values: ['system-node-critical', 'system-cluster-critical'] },
          ],
        },
      },
      { pods: '0' },
    );
    await pods(limitedAdmin, 'kube-system').create(pod('critical', { priorityClassName: 'system-node-critical' }));
    assert.deepEqual(await usedOf(limitedAdmin, 'kube-system', 'critical-pods'), { pods: '1' });
  });

  it('concurrent creates cannot both take the last unit', async () => {
    await namespace(admin, 'race');
    await quota(admin, 'race', 'q', { hard: { pods: '3' } }, { pods: '0' });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => pods(admin, 'race').create(pod(`r${i}`))),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    assert.deepEqual(await usedOf(admin, 'race', 'q'), { pods: '3' });
  });
});
