// core/v1 PodTemplate through a real apiserver: the Pod defaults on its template, the pod rules under
// `template.spec`, generation moving with the template only, and kubectl's columns.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminRequest, type Fixture, kubectl, startFixture } from '../server/fixture.ts';

const PATH = '/api/v1/namespaces/default/podtemplates';
const template = (name: string, containers: unknown[]) => ({
  apiVersion: 'v1',
  kind: 'PodTemplate',
  metadata: { name },
  template: { metadata: { labels: { app: name, tier: 'web' } }, spec: { containers } },
});

describe('PodTemplates', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => {
    await fx?.close();
  });

  it('stores a template with the Pod defaults, generation 1, and prints upstream columns', async () => {
    const file = join(fx.dir, 'pt.json');
    writeFileSync(file, JSON.stringify(template('web', [{ name: 'app', image: 'busybox', command: ['sleep', '1'] }])));
    const r = await kubectl(fx, ['apply', '-f', file]);
    assert.equal(r.status, 0, r.err);
    const got = (await adminRequest(fx, 'GET', `${PATH}/web`)).json;
    assert.equal(got.metadata.generation, 1);
    assert.equal(got.template.spec.restartPolicy, 'Always');
    assert.equal(got.template.spec.dnsPolicy, 'ClusterFirst');
    assert.equal(got.template.spec.containers[0].terminationMessagePath, '/dev/termination-log');
    assert.equal(got.template.spec.containers[0].imagePullPolicy, 'Always');
    const t = await kubectl(fx, ['get', 'podtemplates']);
    assert.equal(t.status, 0, t.err);
    assert.match(t.out, /^NAME\s+CONTAINERS\s+IMAGES\s+POD LABELS\n/);
    assert.match(t.out, /\nweb\s+app\s+busybox\s+app=web,tier=web\n/);
  });

  it('refuses a template the pod rules refuse, under template.spec', async () => {
    const r = await adminRequest(fx, 'POST', PATH, template('bad', [{ name: 'app' }]));
    assert.equal(r.code, 422, JSON.stringify(r.json));
    assert.equal(r.json.message, 'PodTemplate "bad" is invalid: template.spec.containers[0].image: Required value');
    const none = await adminRequest(fx, 'POST', PATH, template('empty', []));
    assert.equal(none.code, 422);
    assert.match(none.json.message, /template\.spec\.containers: Required value/);
  });

  it('moves generation with the template, not with its own labels (strategic merge patch)', async () => {
    const image = await kubectl(fx, [
      'patch',
      'podtemplate',
      'web',
      '-p',
      '{"template":{"spec":{"containers":[{"name":"app","image":"busybox:1.36"}]}}}',
    ]);
    assert.equal(image.status, 0, image.err);
    let got = (await adminRequest(fx, 'GET', `${PATH}/web`)).json;
    assert.equal(got.metadata.generation, 2);
    // Merged by name: the command stays.
    assert.deepEqual(got.template.spec.containers[0].command, ['sleep', '1']);
    assert.equal((await kubectl(fx, ['label', 'podtemplate', 'web', 'team=a'])).status, 0);
    got = (await adminRequest(fx, 'GET', `${PATH}/web`)).json;
    assert.equal(got.metadata.generation, 2);
    assert.equal((await kubectl(fx, ['delete', 'podtemplate', 'web'])).status, 0);
  });
});
