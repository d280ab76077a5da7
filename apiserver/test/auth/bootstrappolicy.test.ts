import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterRole } from '@mkube/shared/api';
import { createLogger } from '@mkube/shared/log';
import { reconcileBootstrapPolicy } from '../../src/auth/bootstrappolicy/index.ts';
import { ensureSystemNamespaces } from '../../src/registry/bootstrap.ts';
import { Registries } from '../../src/registry/index.ts';
import { openSqliteStore, type SqliteStore } from '../../src/storage/index.ts';
import { type Fixture, run, startFixture } from '../server/fixture.ts';

const log = createLogger({ name: 't', destination: { write: () => undefined } as never });
const ctx = () => ({ user: { username: 'admin', groups: ['system:masters'] }, now: new Date() });

describe('default policy', () => {
  describe('reconciliation', () => {
    let dir: string;
    let store: SqliteStore;
    let regs: Registries;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'mkube-policy-'));
      store = await openSqliteStore(dir);
      regs = new Registries(store);
      await ensureSystemNamespaces(regs);
      await reconcileBootstrapPolicy(regs, log);
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const roles = () => regs.get('rbac.authorization.k8s.io', 'clusterroles')!;

    it('creates every role of §6, labelled, and is idempotent', async () => {
      for (const name of [
        'cluster-admin',
        'system:discovery',
        'system:basic-user',
        'system:public-info-viewer',
        'system:node-bootstrapper',
        'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
        'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
        'system:certificates.k8s.io:kubelet-serving-approver',
        'system:kube-controller-manager',
        'system:controller:certificate-controller',
        'system:node',
        'system:node-proxier',
        'system:kubelet-api-admin',
        'system:auth-delegator',
      ]) {
        const r = await roles().get('', name);
        assert.equal(r.metadata.labels?.['kubernetes.io/bootstrapping'], 'rbac-defaults', name);
      }
      const rv = (await roles().get('', 'cluster-admin')).metadata.resourceVersion;
      await reconcileBootstrapPolicy(regs, log);
      assert.equal(
        (await roles().get('', 'cluster-admin')).metadata.resourceVersion,
        rv,
        'no write when nothing changed',
      );
    });

    it('puts back a removed rule, but leaves a role marked autoupdate "false" as the admin made it', async () => {
      const basic = (await roles().get('', 'system:basic-user')) as ClusterRole;
      await roles().update('', 'system:basic-user', { ...basic, rules: [] } as ClusterRole, '', ctx(), {
        dryRun: false,
      });
      const disc = (await roles().get('', 'system:discovery')) as ClusterRole;
      const annotations = { ...disc.metadata.annotations, 'rbac.authorization.kubernetes.io/autoupdate': 'false' };
      await roles().update(
        '',
        'system:discovery',
        { ...disc, metadata: { ...disc.metadata, annotations }, rules: [] } as ClusterRole,
        '',
        ctx(),
        { dryRun: false },
      );
      await reconcileBootstrapPolicy(regs, log);
      assert.equal(((await roles().get('', 'system:basic-user')) as ClusterRole).rules?.length, 2);
      assert.deepEqual(((await roles().get('', 'system:discovery')) as ClusterRole).rules, []);
    });
  });

  describe('anonymous cluster-info', () => {
    let fx: Fixture;
    before(async () => {
      fx = await startFixture(['--authorization-mode=Node,RBAC']);
    });
    after(async () => fx?.close());
    const anon = async (path: string) =>
      (await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', fx.pki.caCrt, `${fx.url}${path}`]))
        .stdout;
    it('may get kube-public/cluster-info (404 until it exists) and nothing else there', async () => {
      assert.equal(await anon('/api/v1/namespaces/kube-public/configmaps/cluster-info'), '404');
      assert.equal(await anon('/api/v1/namespaces/kube-public/configmaps/other'), '403');
      assert.equal(await anon('/api/v1/namespaces/kube-public/configmaps'), '403');
    });
  });
});
