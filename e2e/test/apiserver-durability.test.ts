// The store's promises, end to end: a watch resumed from its last resourceVersion across an
// apiserver restart sees every change exactly once, in order; kill -9 during a burst of creates
// loses no acknowledged object.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { loadKubeconfig, resolveCredentials } from '@mkube/shared/kubeconfig';
import { type Apiserver, cleanup, freePort, makePki, type Pki, startApiserver, tempDir } from '../src/harness.ts';

async function adminClient(pki: Pki): Promise<KubeClient> {
  const c = await resolveCredentials(await loadKubeconfig(pki.adminConf));
  return createClient({
    server: c.server,
    caPem: c.caPem,
    clientCertPem: c.clientCertPem,
    clientKeyPem: c.clientKeyPem,
  });
}

describe('apiserver durability', () => {
  let pki: Pki;
  let work: string;
  let port: number;
  let api: Apiserver;
  const data = () => join(work, 'data');
  before(async () => {
    port = await freePort();
    pki = makePki(port);
    work = tempDir('durable');
    api = await startApiserver(pki, port, data());
  });
  after(async () => {
    await api?.stop();
    cleanup(pki?.dir ?? '', work ?? '');
  });

  it('a watch from resourceVersion N gets every later change exactly once, in order, across a restart', async () => {
    let client = await adminClient(pki);
    const cms = () =>
      client.resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'default' });
    const start = await cms().list();
    const from = start.metadata.resourceVersion!;
    const expected: string[] = [];
    for (let i = 0; i < 5; i++) {
      const o = await cms().create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `w${i}` },
        data: { i: String(i) },
      });
      expected.push(`ADDED w${i} ${o.metadata.resourceVersion}`);
    }
    const seen: string[] = [];
    let lastRv = from;
    const drain = async (count: number) => {
      const ac = new AbortController();
      const w = await cms().watch({ resourceVersion: lastRv, signal: ac.signal, allowWatchBookmarks: false });
      for await (const e of w) {
        if (e.type === 'BOOKMARK') continue;
        seen.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);
        lastRv = e.object.metadata.resourceVersion!;
        if (seen.length >= count) break;
      }
      ac.abort();
    };
    await drain(5);
    await client.close();
    await api.stop();
    api = await startApiserver(pki, port, data());
    client = await adminClient(pki);
    const u = await cms().get('w1');
    const updated = await cms().update({ ...u, data: { i: 'changed' } });
    expected.push(`MODIFIED w1 ${updated.metadata.resourceVersion}`);
    await cms().delete('w2');
    const after = await cms().list();
    expected.push(`DELETED w2 ${after.metadata.resourceVersion}`);
    await drain(7);
    await client.close();
    assert.deepEqual(seen, expected);
  });

  it('kill -9 during a burst of creates loses no acknowledged object', async () => {
    let client = await adminClient(pki);
    const cms = () =>
      client.resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-public' });
    const acked: string[] = [];
    let stop = false;
    const workers = Array.from({ length: 20 }, async (_, w) => {
      for (let i = 0; i < 500 && !stop; i++) {
        const name = `burst-${w}-${i}`;
        try {
          await cms().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { w: String(w) } });
          acked.push(name);
        } catch {
          return;
        }
      }
    });
    while (acked.length < 200) await new Promise((r) => setTimeout(r, 10));
    await api.kill9();
    stop = true;
    await Promise.all(workers);
    await client.close();
    assert.ok(acked.length >= 200);
    api = await startApiserver(pki, port, data());
    client = await adminClient(pki);
    const present = new Set<string>();
    let token: string | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const page = await cms().list({ limit: 500, continue: token });
      for (const o of page.items) present.add(o.metadata.name!);
      token = page.metadata.continue;
      if (!token) break;
    }
    const lost = acked.filter((n) => !present.has(n));
    await client.close();
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged creates lost`);
  });
});
