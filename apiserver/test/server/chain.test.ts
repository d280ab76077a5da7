// The handler chain's stages with tiny hand-written authenticators/authorizers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthenticationError,
  type Authenticator,
  type Authorizer,
  anonymousAuthenticator,
  unionAuthenticator,
  withAuthenticatedGroup,
} from '@mkube/shared/auth';
import { createLogger } from '@mkube/shared/log';
import { type RequestView, runChain } from '../../src/server/chain.ts';

const log = createLogger({ name: 'test', destination: { write: () => undefined } as never });
const view = (method: string, url: string): RequestView => ({
  method,
  url,
  path: url.split('?')[0]!,
  headers: {},
  peerCertificates: [],
});
const alice: Authenticator = { authenticate: async () => ({ username: 'alice', groups: ['devs'] }) };
const none: Authenticator = { authenticate: async () => null };
const broken: Authenticator = {
  authenticate: async () => {
    throw new AuthenticationError(
      'X509_UNVERIFIED',
      'verifying certificate failed: x509: certificate signed by unknown authority',
    );
  },
};
const decide = (decision: 'Allow' | 'Deny' | 'NoOpinion', reason = ''): Authorizer => ({
  authorize: async () => ({ decision, reason }),
});

describe('handler chain', () => {
  it('parses request info once and passes the user with system:authenticated', async () => {
    const o = await runChain(view('GET', '/api/v1/namespaces/kube-system/pods/p1/log?follow=true'), {
      authenticator: withAuthenticatedGroup(alice),
      authorizer: decide('Allow'),
      log,
    });
    assert.ok(o.ok);
    assert.deepEqual(
      [o.info.verb, o.info.namespace, o.info.resource, o.info.name, o.info.subresource],
      ['get', 'kube-system', 'pods', 'p1', 'log'],
    );
    assert.deepEqual(o.user.groups, ['devs', 'system:authenticated']);
  });

  it('a failed credential is 401 even with anonymous enabled; no credential is anonymous', async () => {
    const authn = (inner: Authenticator) =>
      unionAuthenticator([withAuthenticatedGroup(inner), anonymousAuthenticator], { failOnError: true });
    const bad = await runChain(view('GET', '/version'), {
      authenticator: authn(broken),
      authorizer: decide('Allow'),
      log,
    });
    assert.ok(!bad.ok);
    assert.equal(bad.error.code, 401);
    assert.equal(bad.error.message, 'Unauthorized');
    const anon = await runChain(view('GET', '/version'), {
      authenticator: authn(none),
      authorizer: decide('Allow'),
      log,
    });
    assert.ok(anon.ok);
    assert.deepEqual(anon.user, { username: 'system:anonymous', groups: ['system:unauthenticated'] });
    const noAnon = await runChain(view('GET', '/version'), {
      authenticator: withAuthenticatedGroup(none),
      authorizer: decide('Allow'),
      log,
    });
    assert.ok(!noAnon.ok);
    assert.equal(noAnon.error.code, 401);
  });

  it('Deny and NoOpinion are 403 with kube-apiserver messages', async () => {
    const deps = (a: Authorizer) => ({ authenticator: alice, authorizer: a, log });
    const ns = await runChain(
      view('POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests'),
      deps(decide('NoOpinion')),
    );
    assert.ok(!ns.ok);
    assert.equal(ns.error.code, 403);
    assert.equal(
      ns.error.message,
      'certificatesigningrequests.certificates.k8s.io is forbidden: User "alice" cannot create resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope',
    );
    const sub = await runChain(
      view('GET', '/api/v1/namespaces/default/pods/p1/log'),
      deps(decide('Deny', 'no RBAC policy matched')),
    );
    assert.ok(!sub.ok);
    assert.equal(
      sub.error.message,
      'pods "p1" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "default": no RBAC policy matched',
    );
    const path = await runChain(view('GET', '/healthz'), deps(decide('NoOpinion')));
    assert.ok(!path.ok);
    assert.equal(path.error.message, 'forbidden: User "alice" cannot get path "/healthz"');
  });

  it('an authorizer error without Allow is a 500', async () => {
    const throwing: Authorizer = {
      authorize: async () => {
        throw new Error('boom');
      },
    };
    const o = await runChain(view('GET', '/api/v1/nodes'), { authenticator: alice, authorizer: throwing, log });
    assert.ok(!o.ok);
    assert.equal(o.error.code, 500);
  });
});
