// Impersonation against a real apiserver with RBAC, driven by kubectl --as/--as-group/--as-uid and
// curl's Impersonate-* headers: who may impersonate whom, what the impersonated user gets, and what
// a requester without the right is told.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../src/audit/index.ts';
import { curl, type Fixture, issueClient, kubectl, startFixture, tempDir } from '../server/fixture.ts';

describe('impersonation', () => {
  let f: Fixture;
  let log: string;
  before(async () => {
    const dir = tempDir('impersonation-audit');
    writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n');
    log = join(dir, 'audit.log');
    f = await startFixture([
      '--authorization-mode=RBAC',
      `--audit-policy-file=${join(dir, 'policy.yaml')}`,
      `--audit-log-path=${log}`,
    ]);
    // jane may read pods in "dev"; eve may impersonate users named jane and group "qa" only.
    for (const args of [
      ['create', 'namespace', 'dev'],
      ['create', 'role', 'pod-reader', '-n', 'dev', '--verb=get,list', '--resource=pods'],
      ['create', 'rolebinding', 'jane-reads', '-n', 'dev', '--role=pod-reader', '--user=jane'],
      ['create', 'rolebinding', 'qa-reads', '-n', 'dev', '--role=pod-reader', '--group=qa'],
      ['create', 'clusterrole', 'impersonate-jane', '--verb=impersonate', '--resource=users', '--resource-name=jane'],
      ['create', 'clusterrole', 'impersonate-qa', '--verb=impersonate', '--resource=groups', '--resource-name=qa'],
      ['create', 'clusterrolebinding', 'eve-as-jane', '--clusterrole=impersonate-jane', '--user=eve'],
      ['create', 'clusterrolebinding', 'eve-as-qa', '--clusterrole=impersonate-qa', '--user=eve'],
    ]) {
      const r = await kubectl(f, args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.err}`);
    }
    rmTemp = () => import('node:fs').then((fs) => fs.rmSync(dir, { recursive: true, force: true }));
  });
  let rmTemp: () => Promise<void> = async () => {};
  after(async () => {
    await f?.close();
    await rmTemp();
  });

  it("the admin acts as jane: whoami, can-i and the request itself are jane's", async () => {
    const who = await kubectl(f, ['auth', 'whoami', '--as=jane', '-o', 'json']);
    assert.equal(who.status, 0, who.err);
    assert.deepEqual(JSON.parse(who.out).status.userInfo, { username: 'jane', groups: ['system:authenticated'] });
    const yes = await kubectl(f, ['auth', 'can-i', 'list', 'pods', '-n', 'dev', '--as=jane']);
    assert.equal(yes.out.trim(), 'yes');
    const no = await kubectl(f, ['auth', 'can-i', 'list', 'secrets', '-n', 'dev', '--as=jane']);
    assert.equal(no.status, 1);
    assert.equal(no.out.trim(), 'no');
    const denied = await kubectl(f, ['get', 'secrets', '-n', 'dev', '--as=jane']);
    assert.match(
      denied.err,
      /secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" in the namespace "dev"/,
    );
    const sa = await kubectl(f, ['auth', 'whoami', '--as=system:serviceaccount:dev:builder', '-o', 'json']);
    assert.deepEqual(JSON.parse(sa.out).status.userInfo, {
      username: 'system:serviceaccount:dev:builder',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated'],
    });
    const full = await kubectl(f, ['auth', 'whoami', '--as=jane', '--as-group=qa', '--as-uid=42', '-o', 'json']);
    assert.deepEqual(JSON.parse(full.out).status.userInfo, {
      username: 'jane',
      uid: '42',
      groups: ['qa', 'system:authenticated'],
    });
  });

  it('eve may be jane and in qa, nobody else; a refusal names the impersonated kind', async () => {
    const eve = await issueClient(f, 'eve');
    const as = (args: string[]) => kubectl({ kubeconfig: eve.kubeconfig, dir: f.dir }, args);
    const ok = await as(['get', 'pods', '-n', 'dev', '--as=jane']);
    assert.equal(ok.status, 0, ok.err);
    const self = await as(['get', 'pods', '-n', 'dev']);
    assert.match(self.err, /User "eve" cannot list resource "pods"/);
    const bob = await as(['get', 'pods', '-n', 'dev', '--as=bob']);
    assert.match(
      bob.err,
      /Error from server \(Forbidden\): users "bob" is forbidden: User "eve" cannot impersonate resource "users" in API group "" at the cluster scope/,
    );
    const admins = await as(['get', 'pods', '-n', 'dev', '--as=jane', '--as-group=system:masters']);
    assert.match(
      admins.err,
      /groups "system:masters" is forbidden: User "eve" cannot impersonate resource "groups" in API group "" at the cluster scope/,
    );
    const sa = await as(['get', 'pods', '-n', 'dev', '--as=system:serviceaccount:dev:builder']);
    assert.match(
      sa.err,
      /serviceaccounts "builder" is forbidden: User "eve" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "dev"/,
    );
    const uid = await as(['get', 'pods', '-n', 'dev', '--as=jane', '--as-uid=1']);
    assert.match(
      uid.err,
      /uids.authentication.k8s.io "1" is forbidden: User "eve" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope/,
    );
  });

  it('headers without a user are refused; an extra needs userextras/<key>', async () => {
    const r = await curl(f, '/api/v1/namespaces/dev/pods', ['-H', 'Impersonate-Group: qa']);
    assert.equal(r.code, 500);
    assert.match(JSON.parse(r.body).message, /without impersonating a user/);
    const eve = await issueClient(f, 'eve');
    const e = await curl(
      { url: f.url, pki: { ...f.pki, adminCrt: eve.crt, adminKey: eve.key } },
      '/api/v1/namespaces/dev/pods',
      ['-H', 'Impersonate-User: jane', '-H', 'Impersonate-Extra-Scopes: view'],
    );
    assert.equal(e.code, 403);
    assert.match(
      JSON.parse(e.body).message,
      /cannot impersonate resource "userextras\/scopes" in API group "authentication.k8s.io"/,
    );
  });

  it('the audit record names who authenticated and whom they impersonated', async () => {
    const events = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);
    const e = events.find(
      (x) => x.user.username === 'eve' && x.impersonatedUser?.username === 'jane' && x.stage === 'ResponseComplete',
    );
    assert.ok(e, 'an event for eve as jane');
    assert.equal(e.responseStatus?.code, 200);
    assert.equal(e.annotations?.['authorization.k8s.io/decision'], 'allow');
    assert.match(
      e.annotations?.['authorization.k8s.io/reason'] ?? '',
      /RoleBinding "jane-reads\/dev" of Role "pod-reader" to User "jane"/,
    );
    const refused = events.find(
      (x) =>
        x.user.username === 'eve' &&
        x.objectRef?.resource === 'pods' &&
        x.responseStatus?.code === 403 &&
        /impersonate/.test(x.responseStatus.message ?? ''),
    );
    assert.ok(refused, 'the refused impersonation is recorded');
    assert.equal(refused.impersonatedUser, undefined);
    assert.equal(refused.annotations?.['authorization.k8s.io/decision'], undefined, 'refused before authorization');
  });
});
