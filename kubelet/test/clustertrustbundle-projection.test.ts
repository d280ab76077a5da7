// The `clusterTrustBundle` projected volume source (ClusterTrustBundleProjection), end to end: a real
// apiserver serving certificates.k8s.io/v1beta1 ClusterTrustBundles with Node,RBAC and NodeRestriction,
// a kubelet with the gate that reads bundles with its node identity, and one without it.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterTrustBundle, Pod, VolumeProjection } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import { CertificateAuthority } from '@mkube/shared/pki';
import { type NodeCluster, startNodeCluster, type TestKubelet, until } from './fixture.ts';

/** The certificates of a PEM file, each by its fingerprint, in file order. */
function fingerprints(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)].map(
    (m) => new X509Certificate(m[0]).fingerprint256,
  );
}

describe('clusterTrustBundle projected volumes (ClusterTrustBundleProjection)', () => {
  let c: NodeCluster;
  let on: TestKubelet;
  let off: TestKubelet;
  const cas: string[] = [];
  const fp = (i: number) => new X509Certificate(cas[i]!).fingerprint256;

  before(async () => {
    c = await startNodeCluster({
      apiserverArgs: () => [
        '--enable-admission-plugins=NodeRestriction',
        '--feature-gates=ClusterTrustBundle=true,ClusterTrustBundleProjection=true',
        '--runtime-config=certificates.k8s.io/v1beta1=true',
      ],
    });
    [on, off] = await Promise.all([
      c.startKubelet('node-ctb', {
        extra: ['--feature-gates=ClusterTrustBundleProjection=true', '--sync-frequency=1s'],
      }),
      c.startKubelet('node-plain'),
    ]);
    await Promise.all([on.kubelet.ready, off.kubelet.ready]);
    for (let i = 0; i < 4; i++)
      cas.push((await CertificateAuthority.createSelfSigned({ commonName: `ca-${i}` })).certPem);
    const bundle = (name: string, certs: number[], signerName?: string, labels?: Record<string, string>) =>
      bundles().create({
        apiVersion: 'certificates.k8s.io/v1beta1',
        kind: 'ClusterTrustBundle',
        metadata: { name, ...(labels ? { labels } : {}) },
        spec: { ...(signerName ? { signerName } : {}), trustBundle: certs.map((i) => cas[i]).join('') },
      });
    await bundle('plain', [0, 1]);
    await bundle('example.com:foo:a', [1, 2], 'example.com/foo', { app: 'x' });
    await bundle('example.com:foo:b', [3], 'example.com/foo');
    await bundle('example.com:bar:c', [0], 'example.com/bar', { app: 'x' });
  });
  after(async () => {
    await c?.close();
  });

  const bundles = () =>
    c.admin.resource<ClusterTrustBundle>({
      group: 'certificates.k8s.io',
      version: 'v1beta1',
      resource: 'clustertrustbundles',
    });
  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const podWith = (name: string, node: string, sources: VolumeProjection[]) =>
    pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        nodeName: node,
        automountServiceAccountToken: false,
        volumes: [{ name: 'trust', projected: { sources } }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sleep', '60'],
            volumeMounts: [{ name: 'trust', mountPath: '/etc/trust' }],
          },
        ],
      },
    });
  const fileOf = (k: TestKubelet, p: Pod, file: string) => {
    const path = join(k.rootDir, 'pods', `default_${p.metadata.name}_${p.metadata.uid}`, 'etc', 'trust', file);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  };
  const waitingMessage = (name: string) =>
    until(`${name} waiting`, async () => {
      const s = (await pods().get(name)).status?.containerStatuses?.[0]?.state?.waiting;
      return s?.reason === 'ContainerCreating' && s.message ? s.message : undefined;
    });

  it('projects a bundle by name, and a signer’s bundles by label selector, each certificate once', async () => {
    const p = await podWith('trusting', 'node-ctb', [
      { clusterTrustBundle: { name: 'plain', path: 'by-name.pem' } },
      {
        clusterTrustBundle: {
          signerName: 'example.com/foo',
          labelSelector: { matchLabels: { app: 'x' } },
          path: 'x.pem',
        },
      },
      { clusterTrustBundle: { signerName: 'example.com/foo', labelSelector: {}, path: 'all.pem' } },
      { clusterTrustBundle: { name: 'absent', optional: true, path: 'absent.pem' } },
    ]);
    const all = await until('the projected files', async () => fileOf(on, p, 'all.pem'));
    assert.deepEqual(fingerprints(fileOf(on, p, 'by-name.pem')!).sort(), [fp(0), fp(1)].sort());
    assert.deepEqual(fingerprints(fileOf(on, p, 'x.pem')!).sort(), [fp(1), fp(2)].sort());
    // Both bundles of the signer (not example.com/bar's), deduplicated.
    assert.deepEqual(fingerprints(all).sort(), [fp(1), fp(2), fp(3)].sort());
    assert.equal(fileOf(on, p, 'absent.pem'), '', 'an optional missing bundle is an empty file');
    await until('Running', async () => ((await pods().get('trusting')).status?.phase === 'Running' ? true : undefined));

    // A rotated bundle reaches the running pod at the next sync.
    const cur = await bundles().get('example.com:foo:b');
    await bundles().update({ ...cur, spec: { ...cur.spec, trustBundle: cas[3]! + cas[0]! } });
    const rotated = await until('the rotated bundle', async () => {
      const f = fileOf(on, p, 'all.pem');
      return f && fingerprints(f).length === 4 ? f : undefined;
    });
    assert.deepEqual(fingerprints(rotated).sort(), [fp(0), fp(1), fp(2), fp(3)].sort());
    await pods().delete('trusting', { gracePeriodSeconds: 0 });
  });

  it('a missing bundle or an unmatched signer keeps the pod in ContainerCreating with upstream’s message', async () => {
    await podWith('missing', 'node-ctb', [{ clusterTrustBundle: { name: 'nope', path: 'ca.pem' } }]);
    assert.equal(
      await waitingMessage('missing'),
      'MountVolume.SetUp failed for volume "trust" : while getting ClusterTrustBundle: clustertrustbundle.certificates.k8s.io "nope" not found',
    );
    // A null selector matches nothing.
    await podWith('unmatched', 'node-ctb', [{ clusterTrustBundle: { signerName: 'example.com/foo', path: 'ca.pem' } }]);
    assert.equal(
      await waitingMessage('unmatched'),
      'MountVolume.SetUp failed for volume "trust" : combination of signerName and labelSelector matched zero ClusterTrustBundles',
    );
    // Created later, the bundle is mounted and the pod starts.
    const late = await podWith('late', 'node-ctb', [{ clusterTrustBundle: { name: 'later', path: 'ca.pem' } }]);
    await waitingMessage('late');
    await bundles().create({
      apiVersion: 'certificates.k8s.io/v1beta1',
      kind: 'ClusterTrustBundle',
      metadata: { name: 'later' },
      spec: { trustBundle: cas[2]! },
    });
    const f = await until('the late bundle', async () => fileOf(on, late, 'ca.pem'));
    assert.deepEqual(fingerprints(f), [fp(2)]);
    for (const n of ['missing', 'unmatched', 'late']) await pods().delete(n, { gracePeriodSeconds: 0 });
  });

  it('a kubelet without the gate refuses the source, as upstream’s no-op manager', async () => {
    await podWith('gated', 'node-plain', [{ clusterTrustBundle: { name: 'plain', path: 'ca.pem' } }]);
    assert.equal(
      await waitingMessage('gated'),
      'MountVolume.SetUp failed for volume "trust" : ClusterTrustBundle projection is not supported in static kubelet mode',
    );
    await pods().delete('gated', { gracePeriodSeconds: 0 });
  });

  it('the apiserver validates the source with upstream’s rules and messages', async () => {
    const refused = async (sources: VolumeProjection[]) => {
      try {
        await podWith('bad', 'node-ctb', sources);
      } catch (e) {
        assert.ok(e instanceof StatusError && e.code === 422, String(e));
        return e.message;
      }
      assert.fail('the pod was created');
    };
    const at = 'spec.volumes[0].projected';
    assert.match(
      await refused([{ clusterTrustBundle: { name: 'plain', signerName: 'example.com/foo', path: 'a' } }]),
      new RegExp(
        `${at.replaceAll(/[[\].]/g, '\\$&')}\\.sources\\[0\\]\\.clusterTrustBundlePEM: Invalid value: .*only one of name and signerName may be used`,
      ),
    );
    assert.match(
      await refused([{ clusterTrustBundle: { path: 'a' } }]),
      /sources\[0\]\.clusterTrustBundlePEM: Required value: either name or signerName must be specified/,
    );
    assert.match(
      await refused([{ clusterTrustBundle: { name: 'plain', labelSelector: {}, path: 'a' } }]),
      /clusterTrustBundlePEM\.labelSelector: Invalid value: .*labelSelector must be unset if name is specified/,
    );
    assert.match(
      await refused([{ clusterTrustBundle: { name: 'example.com:foo:a', path: '../a' } }]),
      /clusterTrustBundlePEM\.path: Invalid value: "\.\.\/a": must not contain '\.\.'/,
    );
    assert.match(
      await refused([{ clusterTrustBundle: { signerName: 'foo', labelSelector: {}, path: 'a' } }]),
      /clusterTrustBundlePEM\.signerName: Invalid value: "foo"/,
    );
    assert.match(
      await refused([
        { clusterTrustBundle: { name: 'plain', path: 'ca.pem' } },
        { clusterTrustBundle: { name: 'later', path: 'ca.pem' } },
      ]),
      /spec\.volumes\[0\]\.projected: Invalid value: "ca\.pem": conflicting duplicate paths/,
    );
    assert.match(
      await refused([{ clusterTrustBundle: { name: 'Not_A_Name', path: 'ca.pem' } }]),
      /clusterTrustBundlePEM\.name: Invalid value: "Not_A_Name": not a valid clustertrustbundlename: a lowercase RFC 1123 subdomain/,
    );
  });
});
