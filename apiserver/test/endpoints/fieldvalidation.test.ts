// fieldValidation with the real kubectl: Strict (kubectl's default) refuses unknown fields with
// kube-apiserver's message and stores nothing; Warn answers with Warning headers; Ignore is silent.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fixture, kubectl, startFixture } from '../server/fixture.ts';

describe('fieldValidation', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx?.close());

  it('Strict refuses unknown and misspelt fields, nested ones too, and creates nothing', async () => {
    const file = join(fx.dir, 'typo.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\n  lables: {a: b}\ndata: {x: "1"}\nfoo: bar\n',
    );
    const r = await kubectl(fx, ['create', '-f', file]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.lables", unknown field "foo"|unknown field "foo".*unknown field "metadata.lables"/,
    );
    assert.notEqual((await kubectl(fx, ['get', 'cm', 'typo'])).status, 0);
  });

  it('Warn creates the object and passes the warnings on; Ignore is silent', async () => {
    const file = join(fx.dir, 'warn.yaml');
    writeFileSync(
      file,
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: w\nrules:\n- verbs: [get]\n  apiGroups: [""]\n  resources: [pods]\n  verb: [list]\n',
    );
    const r = await kubectl(fx, ['create', '--validate=warn', '-f', file]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.err, /Warning: unknown field "rules\[0\]\.verb"/);
    // --validate=false sends fieldValidation=Ignore: the answer (already exists) carries no warning.
    const i = await kubectl(fx, ['create', '--validate=false', '-f', file]);
    assert.notEqual(i.status, 0, 'already exists');
    assert.doesNotMatch(i.err, /Warning/);
  });
});
