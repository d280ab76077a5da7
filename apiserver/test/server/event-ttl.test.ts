// --event-ttl: Events disappear that long after their last write (kube-apiserver's etcd leases), and
// only Events; a negative value is a start-up error naming the flag.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configError, type Fixture, kubectl, loadConfig, startFixture } from './fixture.ts';

const event = (name: string, message: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'ConfigMap', apiVersion: 'v1', name: 'cm', namespace: 'default' },
    reason: 'Testing',
    message,
    type: 'Normal',
    source: { component: 'event-ttl-test' },
    count: 1,
  });

describe('apiserver --event-ttl', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture(['--event-ttl=2s']);
  });
  after(async () => f?.close());

  const names = async (resource: string) => {
    const r = await kubectl(f, ['get', resource, '-n', 'default', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.equal(r.status, 0, r.err);
    return r.out.split(/\s+/).filter(Boolean);
  };

  it('deletes an Event ttl after its last write; a rewritten one lives ttl from the rewrite; ConfigMaps stay', async () => {
    const file = (n: string, m: string) => {
      const p = join(f.dir, `${n}-${m}.json`);
      writeFileSync(p, event(n, m));
      return p;
    };
    const t0 = Date.now();
    for (const n of ['ev-a', 'ev-b']) {
      const r = await kubectl(f, ['create', '-f', file(n, 'first')]);
      assert.equal(r.status, 0, r.err);
    }
    const cm = await kubectl(f, ['create', 'configmap', 'cm', '-n', 'default', '--from-literal=k=v']);
    assert.equal(cm.status, 0, cm.err);
    assert.deepEqual(await names('events'), ['ev-a', 'ev-b']);
    // Rewrite ev-b just before its first deadline.
    await new Promise((r) => setTimeout(r, Math.max(0, 1500 - (Date.now() - t0))));
    const rewrite = await kubectl(f, ['replace', '-f', file('ev-b', 'second')]);
    assert.equal(rewrite.status, 0, rewrite.err);
    const tRewrite = Date.now();
    let left = await names('events');
    for (let i = 0; i < 60 && left.includes('ev-a'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await names('events');
    }
    assert.deepEqual(left, ['ev-b'], 'ev-a expired, ev-b (rewritten) not yet');
    assert.ok(Date.now() - t0 >= 2000, 'not before its ttl');
    for (let i = 0; i < 60 && left.includes('ev-b'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await names('events');
    }
    assert.deepEqual(left, [], 'ev-b expired too');
    assert.ok(Date.now() - tRewrite >= 2000, 'ev-b lived ttl from its rewrite');
    assert.ok((await names('configmaps')).includes('cm'), 'only Events expire');
  });

  it('a negative --event-ttl is a start-up error naming the flag', () => {
    const m = configError(() => loadConfig(f.pki, join(f.dir, 'data2'), ['--event-ttl=-1s']));
    assert.match(m, /--event-ttl: can not be negative/);
  });
});
