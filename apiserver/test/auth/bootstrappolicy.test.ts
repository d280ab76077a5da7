import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Subject } from '@mkube/shared/api';
import { createLogger } from '@mkube/shared/log';
import { reconcileBootstrapPolicy } from '../../src/auth/bootstrappolicy/index.ts';
import { missingRules } from '../../src/auth/rbac/escalation.ts';
import { ensureSystemNamespaces } from '../../src/registry/bootstrap.ts';
import { Registries } from '../../src/registry/index.ts';
import { openSqliteStore, type SqliteStore } from '../../src/storage/index.ts';
import { type Fixture, issueClient, kubectl, run, startFixture } from '../server/fixture.ts';

const log = createLogger({ name: 't', destination: { write: () => undefined } as never });
const ctx = () => ({ user: { username: 'admin', groups: ['system:masters'] }, now: new Date() });
const AGG = 'rbac.authorization.k8s.io/aggregate-to-';
/** Whether `rules` grant `verb` on `resource` of `group`. */
const grants = (rules: PolicyRule[] | undefined, verb: string, group: string, resource: string) =>
  missingRules(rules ?? [], [{ verbs: [verb], apiGroups: [group], resources: [resource] }]).length === 0;

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
        'system:kube-scheduler',
        'system:volume-scheduler',
        'system:controller:certificate-controller',
        'system:controller:persistent-volume-binder',
        'system:controller:pvc-protection-controller',
        'system:controller:pv-protection-controller',
        'system:controller:ephemeral-volume-controller',
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

    it("gives the scheduler upstream's system:kube-scheduler and system:volume-scheduler (testdata/cluster-roles.yaml)", async () => {
      const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]) => ({
        apiGroups,
        resources,
        ...(resourceNames ? { resourceNames } : {}),
        verbs,
      });
      const read = ['get', 'list', 'watch'];
      const readUpdate = ['get', 'list', 'patch', 'update', 'watch'];
      const rulesOf = async (name: string) =>
        ((await roles().get('', name)) as ClusterRole).rules?.map((r) => ({
          apiGroups: r.apiGroups,
          resources: r.resources,
          ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
          verbs: r.verbs,
        }));
      assert.deepEqual(await rulesOf('system:kube-scheduler'), [
        rule(['', 'events.k8s.io'], ['events'], ['create', 'patch', 'update']),
        rule(['coordination.k8s.io'], ['leases'], ['create']),
        rule(['coordination.k8s.io'], ['leases'], ['get', 'update'], ['kube-scheduler']),
        rule([''], ['nodes'], read),
        rule([''], ['pods'], ['delete', 'get', 'list', 'watch']),
        rule([''], ['bindings', 'pods/binding'], ['create']),
        rule([''], ['pods/status'], ['patch', 'update']),
        rule([''], ['replicationcontrollers', 'services'], read),
        rule(['apps', 'extensions'], ['replicasets'], read),
        rule(['apps'], ['statefulsets'], read),
        rule(['policy'], ['poddisruptionbudgets'], read),
        rule([''], ['persistentvolumeclaims', 'persistentvolumes'], read),
        rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
        rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
        rule(['storage.k8s.io'], ['csinodes'], read),
        rule([''], ['namespaces'], read),
        rule(['storage.k8s.io'], ['csidrivers'], read),
        rule(['storage.k8s.io'], ['csistoragecapacities'], read),
      ]);
      assert.deepEqual(await rulesOf('system:volume-scheduler'), [
        rule([''], ['persistentvolumes'], readUpdate),
        rule(['storage.k8s.io'], ['storageclasses'], read),
        rule([''], ['persistentvolumeclaims'], readUpdate),
      ]);
      const bindings = regs.get('rbac.authorization.k8s.io', 'clusterrolebindings')!;
      for (const name of ['system:kube-scheduler', 'system:volume-scheduler']) {
        const b = (await bindings.get('', name)) as ClusterRoleBinding;
        assert.deepEqual(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
        assert.deepEqual(b.subjects, [
          { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'system:kube-scheduler' },
        ]);
        assert.equal(b.metadata.labels?.['kubernetes.io/bootstrapping'], 'rbac-defaults');
      }
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

    it("names, and keeps, the controller-manager user an earlier mkube added to a controller's binding", async () => {
      const bindings = regs.get('rbac.authorization.k8s.io', 'clusterrolebindings')!;
      const name = 'system:controller:certificate-controller';
      const b = (await bindings.get('', name)) as ClusterRoleBinding;
      const old: Subject = {
        kind: 'User',
        apiGroup: 'rbac.authorization.k8s.io',
        name: 'system:kube-controller-manager',
      };
      const withOld: ClusterRoleBinding = { ...b, subjects: [...(b.subjects ?? []), old] };
      await bindings.update('', name, withOld, '', ctx(), { dryRun: false });
      const lines: string[] = [];
      const capture = createLogger({ name: 't', destination: { write: (l: string) => lines.push(l) } as never });
      await reconcileBootstrapPolicy(regs, capture);
      const warned = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
      assert.equal(warned.length, 1, lines.join(''));
      assert.deepEqual(warned[0].clusterrolebindings, [name]);
      assert.match(warned[0].msg, /^a controller role binding still names User system:kube-controller-manager/);
      assert.deepEqual(((await bindings.get('', name)) as ClusterRoleBinding).subjects?.at(-1), old, 'not removed');
      // Put back as the default has it: nothing to say.
      await bindings.update('', name, { ...b, metadata: { ...b.metadata, resourceVersion: undefined } }, '', ctx(), {
        dryRun: false,
      });
      lines.length = 0;
      await reconcileBootstrapPolicy(regs, capture);
      assert.equal(lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40).length, 0, lines.join(''));
    });

    it('creates admin, edit and view aggregated, without rules, labelled into each other as upstream', async () => {
      const get = async (n: string) => (await roles().get('', n)) as ClusterRole;
      for (const [name, selects, label] of [
        ['admin', 'admin', undefined],
        ['edit', 'edit', 'admin'],
        ['view', 'view', 'edit'],
      ] as const) {
        const r = await get(name);
        assert.deepEqual(r.aggregationRule, {
          clusterRoleSelectors: [{ matchLabels: { [`${AGG}${selects}`]: 'true' } }],
        });
        assert.deepEqual(r.rules ?? [], [], `${name} has no rules of its own`);
        const labels = {
          'kubernetes.io/bootstrapping': 'rbac-defaults',
          ...(label ? { [`${AGG}${label}`]: 'true' } : {}),
        };
        assert.deepEqual(r.metadata.labels, labels, name);
        assert.equal(r.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'], 'true');
      }
      // Each system:aggregate-to-X carries only its own label (upstream's testdata/cluster-roles.yaml).
      for (const x of ['admin', 'edit', 'view']) {
        assert.deepEqual((await get(`system:aggregate-to-${x}`)).metadata.labels, {
          'kubernetes.io/bootstrapping': 'rbac-defaults',
          [`${AGG}${x}`]: 'true',
        });
      }
      const view = (await get('system:aggregate-to-view')).rules;
      assert.equal(view?.length, 10);
      assert.ok(grants(view, 'get', '', 'pods/log') && grants(view, 'watch', 'apps', 'deployments'));
      assert.ok(grants(view, 'list', 'discovery.k8s.io', 'endpointslices'));
      assert.ok(!grants(view, 'get', '', 'secrets'), 'view does not read secrets');
      assert.ok(!grants(view, 'create', '', 'pods'));
      const edit = (await get('system:aggregate-to-edit')).rules;
      assert.equal(edit?.length, 13);
      assert.ok(grants(edit, 'create', 'apps', 'deployments') && grants(edit, 'get', '', 'secrets'));
      assert.ok(
        grants(edit, 'create', '', 'serviceaccounts/token') && grants(edit, 'impersonate', '', 'serviceaccounts'),
      );
      assert.ok(!grants(edit, 'create', '', 'endpoints'), 'endpoints writes left edit in 1.22 (CVE-2021-25740)');
      assert.ok(!grants(edit, 'create', 'rbac.authorization.k8s.io', 'rolebindings'));
      const admin = (await get('system:aggregate-to-admin')).rules;
      assert.ok(grants(admin, 'create', 'rbac.authorization.k8s.io', 'rolebindings'));
      assert.ok(grants(admin, 'create', 'authorization.k8s.io', 'localsubjectaccessreviews'));
      const controller = (await get('system:controller:clusterrole-aggregation-controller')).rules;
      assert.deepEqual(controller, [
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['clusterroles'],
          verbs: ['escalate', 'get', 'list', 'patch', 'update', 'watch'],
        },
      ]);
      const crb = await regs
        .get('rbac.authorization.k8s.io', 'clusterrolebindings')!
        .get('', 'system:controller:clusterrole-aggregation-controller');
      assert.deepEqual((crb as { subjects?: unknown }).subjects, [
        { kind: 'ServiceAccount', name: 'clusterrole-aggregation-controller', namespace: 'kube-system' },
      ]);
    });

    it("leaves an aggregated role's rules to the controller, restores its aggregationRule and labels", async () => {
      const put = async (r: ClusterRole) =>
        (await roles().update('', r.metadata.name!, r, '', ctx(), { dryRun: false })) as ClusterRole;
      const get = async (n: string) => (await roles().get('', n)) as ClusterRole;
      // What the aggregation controller would have written: reconciling neither adds to nor removes it.
      const filled = await put({
        ...(await get('view')),
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      });
      await reconcileBootstrapPolicy(regs, log);
      assert.equal((await get('view')).metadata.resourceVersion, filled.metadata.resourceVersion);
      // A lost selector and a lost label come back; the rules stay.
      const edit = await get('edit');
      const { aggregationRule: _gone, ...plain } = edit;
      await put({
        ...plain,
        metadata: { ...edit.metadata, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
      });
      await reconcileBootstrapPolicy(regs, log);
      const back = await get('edit');
      assert.deepEqual(back.aggregationRule, edit.aggregationRule);
      assert.equal(back.metadata.labels?.[`${AGG}admin`], 'true');
      assert.deepEqual((await get('view')).rules, filled.rules);
      // An aggregationRule a default role does not have is removed, its rules kept.
      const basic = await get('system:basic-user');
      await put({ ...basic, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'y' } }] } });
      await reconcileBootstrapPolicy(regs, log);
      const after = await get('system:basic-user');
      assert.equal(after.aggregationRule, undefined);
      assert.deepEqual(after.rules, basic.rules);
    });
  });

  describe('a plain role made before it was a default', () => {
    let dir: string;
    let store: SqliteStore;
    let regs: Registries;
    after(async () => {
      await store?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    it('keeps its rules in system:aggregate-to-<name> and becomes aggregated (primeAggregatedClusterRoles)', async () => {
      dir = mkdtempSync(join(tmpdir(), 'mkube-policy-'));
      store = await openSqliteStore(dir);
      regs = new Registries(store);
      await ensureSystemNamespaces(regs);
      const roles = regs.get('rbac.authorization.k8s.io', 'clusterroles')!;
      const own = { apiGroups: ['stable.example.com'], resources: ['crontabs'], verbs: ['get'] };
      await roles.create(
        '',
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'view' },
          rules: [own],
        } as ClusterRole,
        ctx(),
        { dryRun: false },
      );
      await reconcileBootstrapPolicy(regs, log);
      const carrier = (await roles.get('', 'system:aggregate-to-view')) as ClusterRole;
      assert.deepEqual(carrier.rules?.[0], own, "the hand-made role's rule, first");
      assert.equal(carrier.rules?.length, 11, "and upstream's ten");
      assert.equal(carrier.metadata.labels?.[`${AGG}view`], 'true');
      const view = (await roles.get('', 'view')) as ClusterRole;
      assert.deepEqual(view.aggregationRule?.clusterRoleSelectors, [{ matchLabels: { [`${AGG}view`]: 'true' } }]);
      assert.equal(view.metadata.labels?.[`${AGG}edit`], 'true');
    });
  });

  describe('a started apiserver', () => {
    let fx: Fixture;
    before(async () => {
      fx = await startFixture(['--authorization-mode=Node,RBAC']);
    });
    after(async () => fx?.close());
    const k = async (args: string[]) => {
      const r = await kubectl(fx, args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.err}`);
      return r.out;
    };

    it('serves view, edit and admin aggregated and the aggregate-to roles (kubectl)', async () => {
      const view = await k(['get', 'clusterrole', 'view', '-o', 'yaml']);
      assert.match(
        view,
        /aggregationRule:\n {2}clusterRoleSelectors:\n {2}- matchLabels:\n {6}rbac.authorization.k8s.io\/aggregate-to-view: "true"/,
      );
      assert.match(view, /rbac.authorization.k8s.io\/aggregate-to-edit: "true"/);
      const edit = JSON.parse(await k(['get', 'clusterrole', 'system:aggregate-to-edit', '-o', 'json'])) as ClusterRole;
      assert.equal(edit.metadata.labels?.[`${AGG}edit`], 'true');
      assert.ok(grants(edit.rules, 'create', 'apps', 'deployments'));
      const names = await k(['get', 'clusterroles', '-l', `${AGG}admin=true`, '-o', 'name']);
      assert.deepEqual(names.trim().split('\n').sort(), [
        'clusterrole.rbac.authorization.k8s.io/edit',
        'clusterrole.rbac.authorization.k8s.io/system:aggregate-to-admin',
      ]);
    });

    it('authorizes by the stored rules: binding the unfilled `view` grants nothing until aggregation fills it', async () => {
      const viewer = await issueClient(fx, 'vera', ['readers']);
      await k(['create', 'clusterrolebinding', 'readers-view', '--clusterrole=view', '--group=readers']);
      await k(['create', 'clusterrolebinding', 'vera-agg', '--clusterrole=system:aggregate-to-view', '--user=vic']);
      const canI = async (as: string[], verb: string, what: string) =>
        (await kubectl(fx, ['auth', 'can-i', verb, what, ...as])).out.trim();
      // Without a controller-manager nothing aggregates: `view` itself has no rules.
      assert.equal(await canI(['--as=vera', '--as-group=readers'], 'list', 'pods'), 'no');
      // The same rules bound directly do grant.
      let ok = '';
      for (let i = 0; i < 50 && ok !== 'yes'; i++) {
        ok = await canI(['--as=vic'], 'get', 'pods/log');
        if (ok !== 'yes') await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(ok, 'yes');
      assert.equal(await canI(['--as=vic'], 'create', 'pods'), 'no');
      const direct = await kubectl({ kubeconfig: viewer.kubeconfig, dir: viewer.dir }, [
        'get',
        'pods',
        '-n',
        'default',
      ]);
      assert.notEqual(direct.status, 0);
      assert.match(direct.err, /forbidden/);
    });

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
