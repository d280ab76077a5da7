// The Store conformance suite on a real etcd member (mutual TLS), each case under its own key
// prefix; plus what only etcd has: revisions are etcd's own, the apiserver's --etcd-prefix layout,
// and clear errors for a wrong CA or client certificate.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { type EtcdStore, openEtcdStore } from '../../src/storage/etcd/store.js';
import { TTLExpirer } from '../../src/storage/index.js';
import { describeStoreConformance } from './conformance.js';
import { type EtcdFixture, startEtcdFixture } from './etcd-fixture.js';
import { b, waitFor } from './helpers.js';

let etcd: EtcdFixture;
const ready = startEtcdFixture(1).then((f) => {
  etcd = f;
  return f;
});

function open(prefix: string): Promise<EtcdStore> {
  return openEtcdStore({ servers: etcd.cluster.clientUrls, ...etcd.tls, keyPrefix: prefix });
}

describeStoreConformance('etcd', async () => {
  await ready;
  const prefix = `/conformance-${randomBytes(4).toString('hex')}`;
  return {
    store: await open(prefix),
    reopen: () => open(prefix),
    cleanup: async () => {},
  };
});

describe('EtcdStore', () => {
  before(() => ready);
  after(() => etcd?.stop());

  it('uses etcd revisions and the --etcd-prefix layout', async () => {
    const s = await openEtcdStore({
      servers: etcd.cluster.clientUrls,
      ...etcd.tls,
      keyPrefix: '/mkube-test',
      registryRoot: '/registry',
    });
    const raw = new Etcd3({
      hosts: [...etcd.cluster.clientUrls],
      credentials: {
        rootCertificate: Buffer.from(etcd.tls.caPem),
        certChain: Buffer.from(etcd.tls.certPem),
        privateKey: Buffer.from(etcd.tls.keyPem),
      },
    });
    try {
      const kv = await s.create('/registry/configmaps/default/x', b('{"a":1}'));
      const r = await raw.get('/mkube-test/configmaps/default/x').exec();
      assert.equal(r.kvs[0]?.value.toString(), '{"a":1}');
      assert.equal(Number(r.kvs[0]?.mod_revision), kv.modRevision, 'modRevision is etcd’s own');
      assert.equal(Number(r.header.revision), await s.currentRevision());
      const l = await s.list('/registry/configmaps/');
      assert.deepEqual(
        l.kvs.map((k) => k.key),
        ['/registry/configmaps/default/x'],
      );
      assert.throws(() => s.keys.toEtcd('/elsewhere/x'), /outside \/registry/);
    } finally {
      raw.close();
      await s.close();
    }
  });

  it('expires keys by --event-ttl on etcd as on SQLite (a rewritten key lives on)', async () => {
    const s = await open(`/ttl-${randomBytes(4).toString('hex')}`);
    let now = 0;
    const x = new TTLExpirer(s, { prefix: '/registry/events/', ttlMs: 10_000, now: () => now, sweepMs: 3_600_000 });
    try {
      const a = await s.create('/registry/events/ns/a', b('1'));
      await s.create('/registry/events/ns/b', b('1'));
      x.start();
      await waitFor('both tracked', () => x.tracked === 2);
      now = 5_000;
      await s.update('/registry/events/ns/a', b('2'), { expectedModRevision: a.modRevision });
      await waitFor('the rewrite seen', () => x.deadline('/registry/events/ns/a') === 15_000);
      now = 10_000;
      assert.equal(await x.sweep(), 1);
      assert.deepEqual(
        (await s.list('/registry/events/')).kvs.map((kv) => kv.key),
        ['/registry/events/ns/a'],
      );
      now = 15_000;
      assert.equal(await x.sweep(), 1);
      assert.equal((await s.list('/registry/events/')).kvs.length, 0);
    } finally {
      x.stop();
      await s.close();
    }
  });

  it('refuses a wrong CA and a client certificate from another CA, saying why', async () => {
    // The cluster CA (not the etcd CA) signed neither the server's certificate nor may it vouch for a client.
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const clusterCa = readFileSync(join(etcd.pkiDir, 'ca.crt'), 'utf8');
    await assert.rejects(
      openEtcdStore({
        servers: etcd.cluster.clientUrls,
        ...etcd.tls,
        caPem: clusterCa,
        keyPrefix: '',
        dialTimeoutMs: 3000,
      }),
      (e: Error) => {
        assert.match(
          e.message,
          /^cannot reach etcd at https:\/\/127\.0\.0\.1:\d+: x509: certificate signed by unknown authority/,
        );
        return true;
      },
    );
    const wrongClient = {
      certPem: readFileSync(join(etcd.pkiDir, 'apiserver-kubelet-client.crt'), 'utf8'),
      keyPem: readFileSync(join(etcd.pkiDir, 'apiserver-kubelet-client.key'), 'utf8'),
    };
    await assert.rejects(
      openEtcdStore({
        servers: etcd.cluster.clientUrls,
        ...etcd.tls,
        ...wrongClient,
        keyPrefix: '',
        dialTimeoutMs: 3000,
      }),
      /cannot reach etcd at .*: remote error: tls: bad certificate: etcd refused the client certificate/,
    );
  });
});
