// --enable-admission-plugins=ServiceAccount: pods run as an account that must exist.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fixture, kubectl, startFixture } from '../server/fixture.ts';

describe('ServiceAccount admission', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--enable-admission-plugins=ServiceAccount']);
  });
  after(async () => fx?.close());

  it('refuses a pod whose account is missing, then defaults it to "default" once that exists', async () => {
    const file = join(fx.dir, 'pod.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      }),
    );
    let r = await kubectl(fx, ['create', '-f', file]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /pods "p" is forbidden: error looking up service account default\/default: serviceaccount "default" not found/,
    );
    assert.equal((await kubectl(fx, ['create', 'serviceaccount', 'default'])).status, 0);
    r = await kubectl(fx, ['create', '-f', file]);
    assert.equal(r.status, 0, r.err);
    assert.equal((await kubectl(fx, ['get', 'pod', 'p', '-o', 'jsonpath={.spec.serviceAccountName}'])).out, 'default');
  });
});
