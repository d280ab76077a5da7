// The apiserver compacts its store every --etcd-compaction-interval, keeping one interval of
// history: a watch from before that gets 410 Expired, a recent one does not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { type Fixture, startFixture } from '../server/fixture.ts';

describe('periodic compaction', () => {
  let fx: Fixture;
  let client: KubeClient;
  before(async () => {
    fx = await startFixture(['--etcd-compaction-interval=1s']);
    client = createClient({
      server: fx.url,
      caPem: readFileSync(fx.pki.caCrt, 'utf8'),
      clientCertPem: readFileSync(fx.pki.adminCrt, 'utf8'),
      clientKeyPem: readFileSync(fx.pki.adminKey, 'utf8'),
    });
  });
  after(async () => {
    await client?.close();
    await fx?.close();
  });

  it('expires old resourceVersions after two intervals and keeps recent ones', async () => {
    const cms = client.resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'default' });
    const old = (await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old' } })).metadata
      .resourceVersion!;
    await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'newer' } });
    await new Promise((r) => setTimeout(r, 2600));
    const fresh = (await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fresh' } })).metadata
      .resourceVersion!;
    await assert.rejects(
      (async () => {
        const w = await cms.watch({ resourceVersion: String(Number(old) - 1) });
        for await (const _ of w) break;
      })(),
      (e: { code?: number }) => e.code === 410,
    );
    const ac = new AbortController();
    const w = await cms.watch({
      resourceVersion: String(Number(fresh) - 1),
      signal: ac.signal,
      allowWatchBookmarks: false,
    });
    for await (const e of w) {
      assert.equal(e.object.metadata.name, 'fresh');
      break;
    }
    ac.abort();
  });
});
