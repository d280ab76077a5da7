// The apiserver's identity Lease (APIServerIdentity) and the collection of expired ones, against a
// real apiserver with kubectl: kube-system/apiserver-<hash>, labelled, renewed; expired identity
// Leases in kube-system deleted, nothing else.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Lease } from '@mkube/shared/api';
import { apiserverIdentity } from '../../src/controlplane/identitylease.ts';
import { type Fixture, kubectl, startFixture } from './fixture.ts';

const SELECTOR = 'apiserver.kubernetes.io/identity=kube-apiserver';

describe('apiserver identity lease', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture([], { identityLeaseTiming: { renewMs: 200, gcMs: 300 } });
  });
  after(async () => fx?.close());

  const k = async (args: string[]) => {
    const r = await kubectl(fx, args);
    assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  const leases = async (ns: string, selector?: string) =>
    JSON.parse(await k(['get', 'leases', '-n', ns, ...(selector ? ['-l', selector] : []), '-o', 'json']))
      .items as Lease[];

  it("names the apiserver as upstream: apiserver-<base32 of sha256(hostname, 'kube-apiserver')>", () => {
    // Computed independently (Python's hashlib and base64.b32encode over Go's cryptobyte framing).
    assert.equal(apiserverIdentity('node-a'), 'apiserver-kcaaxytsc3gyd2kyybqqvf4bl4');
    assert.equal(apiserverIdentity('ip-10-0-0-1.ec2.internal'), 'apiserver-lqs5g6nt6gmd6c6smndge274ei');
  });

  it('holds kube-system/<identity>, labelled with its hostname, and renews it', async () => {
    const [l] = await leases('kube-system', SELECTOR);
    assert.ok(l, 'no identity lease');
    assert.equal(l.metadata.name, apiserverIdentity(hostname()));
    assert.equal(l.metadata.labels?.['kubernetes.io/hostname'], hostname());
    assert.match(l.spec?.holderIdentity ?? '', new RegExp(`^${l.metadata.name}_[0-9a-f-]{36}$`));
    assert.equal(l.spec?.leaseDurationSeconds, 3600);
    await new Promise((r) => setTimeout(r, 600));
    const [again] = await leases('kube-system', SELECTOR);
    assert.ok(Date.parse(again!.spec!.renewTime!) > Date.parse(l.spec!.renewTime!), 'renewed');
    assert.equal(again!.spec?.acquireTime, l.spec?.acquireTime, 'still the same holder');
  });

  it('deletes expired identity leases in kube-system only', async () => {
    const lease = (name: string, ns: string, ageMs: number, identity: boolean) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: ns,
        ...(identity ? { labels: { 'apiserver.kubernetes.io/identity': 'kube-apiserver' } } : {}),
      },
      spec: {
        holderIdentity: name,
        leaseDurationSeconds: 3600,
        acquireTime: new Date(Date.now() - ageMs).toISOString().replace('Z', '000Z'),
        renewTime: new Date(Date.now() - ageMs).toISOString().replace('Z', '000Z'),
      },
    });
    const file = join(fx.dir, 'leases.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          lease('apiserver-gone', 'kube-system', 2 * 3600_000, true),
          lease('apiserver-fresh', 'kube-system', 120_000, true),
          lease('not-identity', 'kube-system', 2 * 3600_000, false),
          lease('apiserver-elsewhere', 'default', 2 * 3600_000, true),
        ],
      }),
    );
    await k(['create', '-f', file]);
    const end = Date.now() + 10_000;
    let names: string[] = [];
    for (;;) {
      names = (await leases('kube-system')).map((l) => l.metadata.name!);
      if (!names.includes('apiserver-gone') || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(!names.includes('apiserver-gone'), 'the expired identity lease is collected');
    await new Promise((r) => setTimeout(r, 700));
    names = (await leases('kube-system')).map((l) => l.metadata.name!);
    assert.ok(names.includes('apiserver-fresh') && names.includes('not-identity'), names.join(','));
    assert.ok(names.includes(apiserverIdentity(hostname())), 'its own stays');
    assert.deepEqual(
      (await leases('default')).map((l) => l.metadata.name),
      ['apiserver-elsewhere'],
    );
  });
});
