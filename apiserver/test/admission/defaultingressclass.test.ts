// DefaultIngressClass admission through a real apiserver, on (the default) and off: a new Ingress
// naming no class gets the default IngressClass (the newest when several are marked), one naming a
// class or carrying the deprecated annotation keeps what it says, and updates are never defaulted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IngressClass } from '@mkube/shared/api';
import { defaultIngressClass } from '../../src/admission/plugins/defaultingressclass.ts';
import { admissionPluginProblems, DEFAULT_ENABLED } from '../../src/admission/registry.ts';
import { adminCreate, adminRequest, type Fixture, startFixture } from '../server/fixture.ts';

const API = '/apis/networking.k8s.io/v1';
const CLASSES = `${API}/ingressclasses`;
const ings = (ns: string) => `${API}/namespaces/${ns}/ingresses`;
const IS_DEFAULT = 'ingressclass.kubernetes.io/is-default-class';

// biome-ignore lint/suspicious/noExplicitAny: test bodies are built field by field
type Obj = any;

const ingress = (name: string, spec: Obj = {}, metadata: Obj = {}): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, ...metadata },
  spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } }, ...spec },
});
const ingressClass = (name: string, isDefault?: string): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name, ...(isDefault === undefined ? {} : { annotations: { [IS_DEFAULT]: isDefault } }) },
  spec: { controller: 'example.com/ingress' },
});
const namespace = (fx: Fixture, name: string) =>
  adminCreate(fx, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

describe('DefaultIngressClass admission', () => {
  it('is known to --enable/--disable-admission-plugins and on by default', () => {
    assert.deepEqual(admissionPluginProblems(['DefaultIngressClass'], ['DefaultIngressClass']), []);
    assert.ok(DEFAULT_ENABLED.has('DefaultIngressClass'));
  });

  it('picks the newest default class, then the first by name, ignoring other annotation values', () => {
    const cls = (name: string, created: string, value = 'true'): IngressClass => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name, creationTimestamp: created, annotations: { [IS_DEFAULT]: value } },
      spec: { controller: 'example.com/c' },
    });
    const older = cls('older', '2024-01-01T00:00:00Z');
    const b = cls('b', '2024-01-02T00:00:00Z');
    const a = cls('a', '2024-01-02T00:00:00Z');
    const notDefault = cls('newest-but-false', '2024-01-03T00:00:00Z', 'True');
    assert.equal(defaultIngressClass([older, b, a, notDefault])?.metadata.name, 'a');
    assert.equal(defaultIngressClass([older, notDefault])?.metadata.name, 'older');
    assert.equal(defaultIngressClass([notDefault]), undefined);
  });

  describe('on', () => {
    let fx: Fixture;
    before(async () => {
      fx = await startFixture();
      await namespace(fx, 'on');
    });
    after(async () => fx?.close());

    it('leaves the class unset while no class is the default', async () => {
      await adminCreate(fx, CLASSES, ingressClass('not-default', 'false'));
      const got = await adminCreate(fx, ings('on'), ingress('before-default'));
      assert.equal(got.spec.ingressClassName, undefined);
    });

    it('fills the default class; a named class or the deprecated annotation is kept', async () => {
      await adminCreate(fx, CLASSES, ingressClass('first', 'true'));
      const defaulted = await adminCreate(fx, ings('on'), ingress('defaulted'));
      assert.equal(defaulted.spec.ingressClassName, 'first');
      const named = await adminCreate(fx, ings('on'), ingress('named', { ingressClassName: 'other' }));
      assert.equal(named.spec.ingressClassName, 'other');
      const annotated = await adminCreate(
        fx,
        ings('on'),
        ingress('annotated', {}, { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }),
      );
      assert.equal(annotated.spec.ingressClassName, undefined);
      const dry = await adminRequest(fx, 'POST', `${ings('on')}?dryRun=All`, ingress('dry'));
      assert.equal(dry.code, 201, JSON.stringify(dry.json));
      assert.equal(dry.json.spec.ingressClassName, 'first', 'a dry run is defaulted too');
    });

    it('never defaults an update', async () => {
      const path = `${ings('on')}/annotated`;
      const r = await adminRequest(
        fx,
        'PATCH',
        path,
        { metadata: { annotations: { 'kubernetes.io/ingress.class': null } } },
        { contentType: 'application/merge-patch+json' },
      );
      assert.equal(r.code, 200, JSON.stringify(r.json));
      assert.equal(r.json.spec.ingressClassName, undefined);
    });

    it('chooses the newest of several default classes', async () => {
      // creationTimestamp has second resolution: make the second class strictly newer.
      await sleep(1100);
      await adminCreate(fx, CLASSES, ingressClass('second', 'true'));
      const got = await adminCreate(fx, ings('on'), ingress('newest'));
      assert.equal(got.spec.ingressClassName, 'second');
    });
  });

  describe('off', () => {
    let fx: Fixture;
    before(async () => {
      fx = await startFixture(['--disable-admission-plugins=DefaultIngressClass']);
      await namespace(fx, 'off');
    });
    after(async () => fx?.close());

    it('leaves the class unset even with a default class', async () => {
      await adminCreate(fx, CLASSES, ingressClass('default', 'true'));
      const got = await adminCreate(fx, ings('off'), ingress('undefaulted'));
      assert.equal(got.spec.ingressClassName, undefined);
    });
  });
});
