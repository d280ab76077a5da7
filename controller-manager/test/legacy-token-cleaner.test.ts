// Legacy token tracking and clean-up against a real apiserver and controller-manager (clean-up period
// shortened to 2 s, sync to 300 ms): the apiserver records since when it tracks token use; the
// cleaner labels unused, unmounted auto-generated tokens invalid and deletes ones invalid for a whole
// period, and leaves everything else alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap, Pod, Secret, ServiceAccount } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const INVALID = 'kubernetes.io/legacy-token-invalid-since';
const LAST_USED = 'kubernetes.io/legacy-token-last-used';
const TRACKING = 'kube-apiserver-legacy-service-account-token-tracking';
const today = () => new Date().toISOString().slice(0, 10);

describe('legacy service-account token tracking and clean-up', () => {
  let c: Cluster;
  const secrets = () => c.admin.resource<Secret>({ group: '', version: 'v1', resource: 'secrets', namespace: NS });
  const tracking = () =>
    c.admin.resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-system' });
  const token = (name: string, labels: Record<string, string> = {}) =>
    secrets().create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name, labels, annotations: { 'kubernetes.io/service-account.name': 'robot' } },
    });

  before(async () => {
    c = await startCluster();
    await c.admin
      .resource<ServiceAccount>({ group: '', version: 'v1', resource: 'serviceaccounts', namespace: NS })
      .create({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'robot' },
        // Listed by the account: auto-generated, as the tokens controller made them before 1.24.
        secrets: [{ name: 'auto-unused' }, { name: 'auto-used' }, { name: 'auto-mounted' }, { name: 'auto-invalid' }],
      });
    await token('auto-unused');
    await token('auto-used', { [LAST_USED]: today() });
    await token('auto-mounted');
    await token('auto-invalid', { [INVALID]: '2020-01-05', [LAST_USED]: '2020-01-04' });
    await token('manual');
    await c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: NS }).create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'user' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [{ name: 't', secret: { secretName: 'auto-mounted' } }],
      },
    });
    // Older than the (shortened) clean-up period.
    await new Promise((r) => setTimeout(r, 2500));
    await c.startKcm(
      [
        '--leader-elect=false',
        '--controllers=legacy-serviceaccount-token-cleaner',
        '--legacy-service-account-token-clean-up-period=2s',
      ],
      {
        legacyTokenCleanerSyncMs: 300,
      },
    );
  });
  after(async () => c?.close());

  it('the apiserver records since when it tracks token use', async () => {
    const cm = await waitFor('the tracking ConfigMap', () =>
      tracking()
        .get(TRACKING)
        .catch(() => undefined),
    );
    assert.deepEqual(cm.data, { since: today() });
    const r = await kubectl(c.fx, ['-n', 'kube-system', 'get', 'configmap', TRACKING, '-o', 'jsonpath={.data.since}']);
    assert.equal(r.out, today(), r.err);
  });

  it('does nothing until tracking has run a whole period', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    const s = await secrets().get('auto-unused');
    assert.equal(s.metadata.labels?.[INVALID], undefined);
    assert.ok(await secrets().get('auto-invalid'), 'not deleted either');
  });

  it('labels unused auto-generated tokens invalid and deletes those invalid for a period; leaves the rest', async () => {
    const cm = await tracking().get(TRACKING);
    await tracking().update({ ...cm, data: { since: '2020-01-01' } });
    const labelled = await waitFor('auto-unused marked invalid', async () => {
      const s = await secrets().get('auto-unused');
      return s.metadata.labels?.[INVALID] ? s : undefined;
    });
    assert.equal(labelled.metadata.labels?.[INVALID], today());
    await waitFor('auto-invalid deleted', () =>
      secrets()
        .get('auto-invalid')
        .then(
          () => undefined,
          (e) => (isNotFound(e) ? true : Promise.reject(e)),
        ),
    );
    await new Promise((r) => setTimeout(r, 1000));
    for (const name of ['auto-used', 'auto-mounted', 'manual']) {
      const s = await secrets().get(name);
      assert.equal(s.metadata.labels?.[INVALID], undefined, `${name} is left alone`);
    }
    // Invalid since today: kept until a whole period has passed.
    assert.ok(await secrets().get('auto-unused'));
  });
});
