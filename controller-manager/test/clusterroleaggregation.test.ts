// clusterrole-aggregation-controller: its rule gathering as a pure function, then against a real
// apiserver (Node,RBAC) with the controller-manager running under its own client certificate.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterRole, PolicyRule, SubjectAccessReview } from '@mkube/shared/api';
import { issueClient, kubectl } from '../../apiserver/test/server/fixture.ts';
import { aggregateRules, sameRules } from '../src/clusterroleaggregation/index.ts';
import { enabledControllers } from '../src/options/controllers.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const CLUSTERROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' } as const;
const TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

const cr = (name: string, labels: Record<string, string>, rules: PolicyRule[], agg?: ClusterRole['aggregationRule']) =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels },
    rules,
    ...(agg ? { aggregationRule: agg } : {}),
  }) as ClusterRole;

describe('clusterrole aggregation: gathering rules', () => {
  const r = (res: string, verbs = ['get']): PolicyRule => ({ apiGroups: [''], resources: [res], verbs });
  it('per selector, matching roles by name, itself skipped, each rule once; matchExpressions too', () => {
    const agg = cr('agg', { team: 'a' }, [r('self')], {
      clusterRoleSelectors: [
        { matchLabels: { team: 'a' } },
        { matchExpressions: [{ key: 'tier', operator: 'In', values: ['x', 'y'] }] },
      ],
    });
    const all = [
      agg,
      cr('zeta', { team: 'a' }, [r('z'), r('shared')]),
      cr('alpha', { team: 'a' }, [r('a'), { resources: ['shared'], verbs: ['get'], apiGroups: [''] }]),
      cr('beta', { tier: 'y' }, [r('b'), r('a')]),
      cr('gamma', { tier: 'z' }, [r('g')]),
      cr('nolabels', {}, [r('n')]),
    ];
    // alpha then zeta for the first selector, then beta for the second; the duplicates are dropped
    // whatever their key order.
    assert.deepEqual(
      aggregateRules(agg, all).map((x) => x.resources?.[0]),
      ['a', 'shared', 'z', 'b'],
    );
    assert.deepEqual(aggregateRules(cr('none', {}, [], { clusterRoleSelectors: [] }), all), []);
    assert.ok(sameRules(undefined, []));
    assert.ok(!sameRules([r('a'), r('b')], [r('b'), r('a')]), 'order counts');
    assert.ok(sameRules([{ verbs: ['get'], apiGroups: [''], resources: ['a'] }], [r('a')]));
  });

  it('is on by default and answers to clusterrole-aggregation', () => {
    assert.ok(enabledControllers(['*']).enabled.has('clusterrole-aggregation-controller'));
    assert.ok(!enabledControllers(['*', '-clusterrole-aggregation']).enabled.has('clusterrole-aggregation-controller'));
  });
});

describe('clusterrole aggregation against a real apiserver', () => {
  let cl: Cluster;
  let viewer: { kubeconfig: string; dir: string };
  before(async () => {
    cl = await startCluster();
    await cl.startKcm(['--leader-elect=false', '--controllers=clusterrole-aggregation']);
    viewer = await issueClient(cl.fx, 'vera', ['readers']);
  });
  after(async () => cl?.close());

  const roles = () => cl.admin.resource<ClusterRole>(CLUSTERROLES);
  const rulesOf = async (name: string) => (await roles().get(name)).rules ?? [];
  const has = (rules: PolicyRule[], group: string, resource: string) =>
    rules.some((x) => x.apiGroups?.includes(group) && x.resources?.includes(resource));
  const asVera = (args: string[]) => kubectl(viewer, args);
  const mayListCrontabs = async () => {
    const sar = await cl.admin
      .resource<SubjectAccessReview>({ group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews' })
      .create({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        metadata: {},
        spec: {
          user: 'vera',
          groups: ['readers'],
          resourceAttributes: { namespace: 'default', verb: 'list', group: 'stable.example.com', resource: 'crontabs' },
        },
      });
    return sar.status?.allowed === true;
  };

  it("fills view, edit and admin with upstream's rules, in upstream's order", async () => {
    const source = await rulesOf('system:aggregate-to-view');
    const view = await waitFor('view filled', async () => {
      const rules = await rulesOf('view');
      return rules.length ? rules : undefined;
    });
    assert.deepEqual(view, source);
    // edit: system:aggregate-to-edit's rules, then view's (matching roles sorted by name).
    const editOwn = await rulesOf('system:aggregate-to-edit');
    const edit = await waitFor('edit filled', async () => {
      const rules = await rulesOf('edit');
      return rules.length === editOwn.length + view.length ? rules : undefined;
    });
    assert.deepEqual(edit, [...editOwn, ...view]);
    const admin = await waitFor('admin filled', async () => {
      const rules = await rulesOf('admin');
      return rules.length === edit.length + 2 ? rules : undefined;
    });
    assert.deepEqual(admin, [...edit, ...(await rulesOf('system:aggregate-to-admin'))]);
  });

  it('a group bound to view may read pods but not write', async () => {
    const k = await kubectl(cl.fx, [
      'create',
      'clusterrolebinding',
      'readers-view',
      '--clusterrole=view',
      '--group=readers',
    ]);
    assert.equal(k.status, 0, k.err);
    await waitFor('vera may list pods', async () =>
      (await asVera(['get', 'pods', '-n', 'default'])).status === 0 ? true : undefined,
    );
    const canI = async (verb: string, what: string) =>
      (await asVera(['auth', 'can-i', verb, what, '-n', 'default'])).out.trim();
    assert.equal(await canI('list', 'pods'), 'yes');
    assert.equal(await canI('get', 'pods/log'), 'yes');
    assert.equal(await canI('create', 'pods'), 'no');
    assert.equal(await canI('get', 'secrets'), 'no');
    const w = await asVera(['create', 'configmap', 'nope', '-n', 'default']);
    assert.notEqual(w.status, 0);
    assert.match(w.err, /configmaps is forbidden: User "vera" cannot create resource "configmaps"/);
  });

  it('picks up a new role labelled aggregate-to-view within seconds, up to admin, and drops it with the label', async () => {
    const crontabs: PolicyRule = {
      apiGroups: ['stable.example.com'],
      resources: ['crontabs'],
      verbs: ['get', 'list', 'watch'],
    };
    await roles().create(cr('crontab-reader', { [TO_VIEW]: 'true' }, [crontabs]));
    const started = Date.now();
    for (const name of ['view', 'edit', 'admin']) {
      await waitFor(
        `${name} gets crontabs`,
        async () => (has(await rulesOf(name), 'stable.example.com', 'crontabs') ? true : undefined),
        5000,
      );
    }
    assert.ok(Date.now() - started < 5000);
    // kubectl cannot ask about a resource the server does not serve: a SubjectAccessReview can.
    await waitFor('vera may list crontabs', async () => ((await mayListCrontabs()) ? true : undefined), 5000);
    // Removing the label takes the rule out again, down the chain.
    const un = await kubectl(cl.fx, ['label', 'clusterrole', 'crontab-reader', `${TO_VIEW}-`]);
    assert.equal(un.status, 0, un.err);
    for (const name of ['view', 'edit', 'admin']) {
      await waitFor(
        `${name} loses crontabs`,
        async () => (has(await rulesOf(name), 'stable.example.com', 'crontabs') ? undefined : true),
        5000,
      );
    }
    assert.deepEqual(await rulesOf('view'), await rulesOf('system:aggregate-to-view'));
    await waitFor('vera may not list crontabs', async () => ((await mayListCrontabs()) ? undefined : true), 5000);
  });

  it('puts back hand-edited rules of an aggregated role', async () => {
    const want = await rulesOf('view');
    const edit = await kubectl(cl.fx, [
      'patch',
      'clusterrole',
      'view',
      '--type=merge',
      '-p',
      '{"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]}',
    ]);
    assert.equal(edit.status, 0, edit.err);
    await waitFor('view restored', async () => (sameRules(await rulesOf('view'), want) ? true : undefined), 5000);
    assert.equal((await asVera(['auth', 'can-i', 'get', 'secrets', '-n', 'default'])).out.trim(), 'no');
  });
});
