// The review APIs with the real kubectl: auth whoami, auth can-i (yes/no, exit code), can-i --list;
// SubjectAccessReview, LocalSubjectAccessReview and TokenReview through kubectl create -f.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curlPost, type Fixture, kubectl, kubectlBinary, startFixture } from '../server/fixture.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('review APIs', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--authorization-mode=RBAC', '--enable-bootstrap-token-auth']);
  });
  after(async () => fx?.close());

  for (const minor of [27, 33]) {
    it(`kubectl 1.${minor} auth whoami / can-i / can-i --list`, async (t) => {
      const bin = kubectlBinary(minor);
      if (!bin) return t.skip(`kubectl.1.${minor} not installed`);
      const k = (args: string[]) => kubectl(fx, args, bin);
      const who = await k(['auth', 'whoami']);
      if (minor === 27) {
        // kubectl 1.27 asks for the v1alpha1/v1beta1 API only, which mkube does not serve: upstream's message.
        assert.notEqual(who.status, 0);
        assert.match(who.err, /enable APISelfSubjectReview feature gate/);
      } else {
        assert.equal(who.status, 0, who.err);
        assert.match(who.out, /Username\s+kubernetes-admin/);
        assert.match(who.out, /Groups\s+\[kubeadm:cluster-admins system:authenticated\]/);
      }
      let r = await k(['auth', 'can-i', 'delete', 'secrets', '-n', 'kube-system']);
      assert.equal(r.status, 0, r.err);
      assert.equal(r.out.trim(), 'yes');
      r = await k(['auth', 'can-i', '--list', '-n', 'default']);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
      assert.match(r.out, /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
    });
  }

  it('SubjectAccessReview and LocalSubjectAccessReview answer for another user; bad specs are Invalid', async () => {
    const sar = (body: object) => {
      const f = join(fx.dir, `sar-${Math.random()}.json`);
      writeFileSync(f, JSON.stringify(body));
      return kubectl(fx, ['create', '-f', f, '-o', 'json']);
    };
    let r = await sar({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: 'system:bootstrap:abcdef',
        groups: ['system:bootstrappers', 'system:authenticated'],
        resourceAttributes: { verb: 'create', group: 'certificates.k8s.io', resource: 'certificatesigningrequests' },
      },
    });
    assert.equal(r.status, 0, r.err);
    assert.equal(JSON.parse(r.out).status.allowed, true);
    assert.match(
      JSON.parse(r.out).status.reason,
      /RBAC: allowed by ClusterRoleBinding "kubeadm:kubelet-bootstrap" of ClusterRole "system:node-bootstrapper" to Group "system:bootstrappers"/,
    );
    r = await sar({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: 'system:bootstrap:abcdef',
        groups: ['system:bootstrappers'],
        resourceAttributes: { verb: 'get', resource: 'secrets', namespace: 'kube-system' },
      },
    });
    assert.equal(JSON.parse(r.out).status.allowed, false);
    r = await sar({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { resourceAttributes: { verb: 'get', resource: 'pods' } },
    });
    assert.match(r.err, /spec.user: Invalid value: "": at least one of user or group must be specified/);
    r = await sar({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'LocalSubjectAccessReview',
      metadata: { namespace: 'default' },
      spec: { user: 'x', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'other' } },
    });
    assert.match(r.err, /must match metadata.namespace/);
  });

  it('TokenReview authenticates a bootstrap token and refuses a bad one without saying why', async () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
      type: 'bootstrap.kubernetes.io/token',
      data: {
        'token-id': b64('abcdef'),
        'token-secret': b64('0123456789abcdef'),
        'usage-bootstrap-authentication': b64('true'),
      },
    };
    writeFileSync(join(fx.dir, 'tok.json'), JSON.stringify(secret));
    assert.equal((await kubectl(fx, ['create', '-f', join(fx.dir, 'tok.json')])).status, 0);
    await new Promise((r) => setTimeout(r, 200));
    const review = async (token: string) => {
      const f = join(fx.dir, `tr-${token.length}-${Math.random()}.json`);
      writeFileSync(
        f,
        JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }),
      );
      const r = await kubectl(fx, ['create', '-f', f, '-o', 'json']);
      assert.equal(r.status, 0, r.err);
      return JSON.parse(r.out).status;
    };
    const ok = await review('abcdef.0123456789abcdef');
    assert.equal(ok.authenticated, true);
    assert.equal(ok.user.username, 'system:bootstrap:abcdef');
    assert.deepEqual(ok.user.groups, ['system:bootstrappers', 'system:authenticated']);
    const bad = await review('abcdef.0123456789abcdeX');
    assert.equal(bad.authenticated, false);
    assert.equal(bad.error, 'invalid bearer token');
  });
});

// SelfSubjectRulesReview asks every configured authorizer in order (union.NewRuleResolvers): the Node
// authorizer and webhooks cannot list what they grant, RBAC names the roles its bindings point at
// that do not exist, AlwaysAllow grants everything.
describe('rules reviews from each authorizer', () => {
  const rulesReview = async (fx: Fixture, as: string[], namespace = 'default') => {
    const f = join(fx.dir, `ssrr-${Math.random()}.json`);
    writeFileSync(
      f,
      JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } }),
    );
    const r = await kubectl(fx, ['create', '-f', f, '-o', 'json', ...as]);
    assert.equal(r.status, 0, r.err);
    return JSON.parse(r.out).status;
  };
  const NODE = ['--as=system:node:n1', '--as-group=system:nodes'];

  describe('Node,RBAC', () => {
    let fx: Fixture;
    before(async () => {
      fx = await startFixture(['--authorization-mode=Node,RBAC']);
    });
    after(async () => fx?.close());

    it("a node's list is incomplete, and kubectl says why", async () => {
      const s = await rulesReview(fx, NODE);
      assert.equal(s.incomplete, true);
      assert.equal(s.evaluationError, 'node authorizer does not support user rule resolution');
      const r = await kubectl(fx, ['auth', 'can-i', '--list', ...NODE]);
      assert.equal(r.status, 0, r.err);
      assert.match(r.err, /the list may be incomplete: node authorizer does not support user rule resolution/i);
      assert.match(r.out, /selfsubjectaccessreviews\.authorization\.k8s\.io/);
      // Not a node without the group, as upstream's NodeIdentity.
      const notNode = await rulesReview(fx, ['--as=system:node:n1']);
      assert.equal(notNode.incomplete, false);
      assert.equal(notNode.evaluationError, undefined);
    });

    it('RBAC names the missing roles its bindings point at', async () => {
      let r = await kubectl(fx, ['create', 'rolebinding', 'ghost', '--role=ghost', '--user=alice', '-n', 'default']);
      assert.equal(r.status, 0, r.err);
      r = await kubectl(fx, ['create', 'clusterrolebinding', 'phantom', '--clusterrole=phantom', '--user=alice']);
      assert.equal(r.status, 0, r.err);
      r = await kubectl(fx, ['create', 'clusterrole', 'pod-reader', '--verb=get', '--resource=pods']);
      assert.equal(r.status, 0, r.err);
      r = await kubectl(fx, [
        'create',
        'rolebinding',
        'pods',
        '--clusterrole=pod-reader',
        '--user=alice',
        '-n',
        'default',
      ]);
      assert.equal(r.status, 0, r.err);
      let s: { incomplete: boolean; evaluationError?: string; resourceRules: { resources?: string[] }[] } = {
        incomplete: true,
        resourceRules: [],
      };
      for (let i = 0; i < 50; i++) {
        s = await rulesReview(fx, ['--as=alice']);
        if (s.resourceRules.some((x) => x.resources?.includes('pods'))) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(s.incomplete, false);
      assert.equal(
        s.evaluationError,
        '[clusterrole.rbac.authorization.k8s.io "phantom" not found, role.rbac.authorization.k8s.io "ghost" not found]',
      );
      assert.ok(s.resourceRules.some((x) => x.resources?.includes('pods')));
    });
  });

  describe('AlwaysAllow', () => {
    let fx: Fixture;
    before(async () => {
      fx = await startFixture(['--authorization-mode=AlwaysAllow']);
    });
    after(async () => fx?.close());

    it('grants everything, resources and non-resource URLs', async () => {
      const s = await rulesReview(fx, ['--as=anyone']);
      assert.equal(s.incomplete, false);
      assert.deepEqual(s.resourceRules, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
      assert.deepEqual(s.nonResourceRules, [{ verbs: ['*'], nonResourceURLs: ['*'] }]);
    });
  });
});

// AuthorizeWithSelectors (on by default since 1.32): a review's field and label selectors narrow
// what it asks, as a list's do; the Node authorizer answers a node's pod list by its selector.
describe('access reviews with selectors', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC']);
  });
  after(async () => fx?.close());

  const review = async (resourceAttributes: object) => {
    const f = join(fx.dir, `sar-${Math.random()}.json`);
    const spec = { user: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'], resourceAttributes };
    writeFileSync(f, JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec }));
    return kubectl(fx, ['create', '-f', f, '-o', 'json']);
  };
  const status = async (resourceAttributes: object) => {
    const r = await review(resourceAttributes);
    assert.equal(r.status, 0, r.err);
    return JSON.parse(r.out).status;
  };
  const pods = { verb: 'list', resource: 'pods' };

  it("a node may list its own pods: by rawSelector or by requirements, as the Node authorizer's own requests", async () => {
    assert.deepEqual(await status({ ...pods, fieldSelector: { rawSelector: 'spec.nodeName=n1' } }), { allowed: true });
    assert.deepEqual(
      await status({ ...pods, fieldSelector: { rawSelector: 'status.phase!=Failed,spec.nodeName==n1' } }),
      {
        allowed: true,
      },
    );
    assert.deepEqual(
      await status({
        ...pods,
        fieldSelector: { requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['n1'] }] },
      }),
      { allowed: true },
    );
    const other = await status({ ...pods, fieldSelector: { rawSelector: 'spec.nodeName=n2' } });
    assert.equal(other.allowed, false);
    assert.equal(other.reason, 'can only list/watch pods with spec.nodeName field selector');
    assert.equal((await status(pods)).allowed, false, 'no selector: every pod');
  });

  it('what does not parse is dropped and named in evaluationError: the check is broader, never narrower', async () => {
    const bad = await status({ ...pods, fieldSelector: { rawSelector: 'spec.nodeName=n1,junk' } });
    assert.equal(bad.allowed, false);
    assert.equal(bad.evaluationError, 'spec.resourceAttributes.fieldSelector ignored due to parse error');
    const partial = await status({
      ...pods,
      fieldSelector: {
        requirements: [
          { key: 'spec.nodeName', operator: 'In', values: ['n1'] },
          { key: 'spec.nodeName', operator: 'Exists' },
        ],
      },
      labelSelector: { requirements: [{ key: 'app', operator: 'Matches', values: ['x'] }] },
    });
    assert.equal(partial.allowed, true);
    assert.equal(
      partial.evaluationError,
      'spec.resourceAttributes.fieldSelector partially ignored due to parse error; spec.resourceAttributes.labelSelector ignored due to parse error',
    );
  });

  it('a malformed selector is Invalid, with field paths as upstream', async () => {
    const cases: [object, RegExp][] = [
      [
        { fieldSelector: { rawSelector: 'a=b', requirements: [{ key: 'a', operator: 'In', values: ['b'] }] } },
        /spec\.resourceAttributes\.fieldSelector\.rawSelector: Invalid value: "a=b": may not specified at the same time as requirements/,
      ],
      [
        { labelSelector: {} },
        /spec\.resourceAttributes\.labelSelector\.requirements: Required value: when spec\.resourceAttributes\.labelSelector is specified, requirements or rawSelector is required/,
      ],
      [
        { fieldSelector: { requirements: [{ key: '', operator: 'In', values: ['x'] }] } },
        /spec\.resourceAttributes\.fieldSelector\.requirements\[0\]\.key: Required value: must be specified/,
      ],
      [
        { labelSelector: { requirements: [{ key: 'k', operator: 'NotIn', values: [] }] } },
        /spec\.resourceAttributes\.labelSelector\.requirements\[0\]\.values: Required value: must be specified when `operator` is 'In' or 'NotIn'/,
      ],
      [
        { labelSelector: { requirements: [{ key: '()foo', operator: 'Exists' }] } },
        /spec\.resourceAttributes\.labelSelector\.requirements\[0\]\.key: Invalid value: "\(\)foo": name part must consist of alphanumeric characters/,
      ],
      [
        { fieldSelector: { requirements: [{ key: 'k', operator: 'DoesNotExist', values: ['v'] }] } },
        /spec\.resourceAttributes\.fieldSelector\.requirements\[0\]\.values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'/,
      ],
    ];
    for (const [selectors, want] of cases) {
      const r = await review({ ...pods, ...selectors });
      assert.notEqual(r.status, 0, JSON.stringify(selectors));
      assert.match(r.err, /The SubjectAccessReview "" is invalid: /);
      assert.match(r.err, want);
    }
  });

  it("a field of the wrong JSON type is the typed decoder's 400, and the apiserver goes on answering", async () => {
    const post = (resourceAttributes: object) =>
      curlPost(fx, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes },
      });
    const cases: [object, string][] = [
      // A number where the selector text goes (it once sent the label lexer into an endless loop).
      [
        { labelSelector: { rawSelector: 12 } },
        'number into Go struct field LabelSelectorAttributes.spec.resourceAttributes.labelSelector.rawSelector of type string',
      ],
      [
        { fieldSelector: 'spec.nodeName=n1' },
        'string into Go struct field ResourceAttributes.spec.resourceAttributes.fieldSelector of type v1.FieldSelectorAttributes',
      ],
      [
        { fieldSelector: { requirements: 'x' } },
        'string into Go struct field FieldSelectorAttributes.spec.resourceAttributes.fieldSelector.requirements of type []v1.FieldSelectorRequirement',
      ],
      [
        { labelSelector: { requirements: [{ key: 'a', operator: 'In', values: [1] }] } },
        'number into Go struct field LabelSelectorRequirement.spec.resourceAttributes.labelSelector.requirements.values of type string',
      ],
      [{ verb: ['get'] }, 'array into Go struct field ResourceAttributes.spec.resourceAttributes.verb of type string'],
    ];
    for (const [ra, want] of cases) {
      const r = await post(ra);
      assert.equal(r.code, 400, r.body);
      const status = JSON.parse(r.body);
      assert.equal(status.reason, 'BadRequest');
      assert.equal(
        status.message,
        `SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: json: cannot unmarshal ${want}`,
      );
    }
    // A null requirement is Go's zero value: invalid, not a crash.
    const zero = await post({ fieldSelector: { requirements: [null] } });
    assert.equal(zero.code, 422, zero.body);
    assert.match(
      JSON.parse(zero.body).message,
      /spec\.resourceAttributes\.fieldSelector\.requirements\[0\]\.key: Required value/,
    );
    assert.equal((await post({ verb: 'get', resource: 'pods' })).code, 201);
  });

  it("kubectl --as a node: its own pods by field selector, nobody else's", async () => {
    const as = ['--as=system:node:n1', '--as-group=system:nodes'];
    let r = await kubectl(fx, ['get', 'pods', '-A', '--field-selector', 'spec.nodeName=n1', ...as]);
    assert.equal(r.status, 0, r.err);
    r = await kubectl(fx, ['get', 'pods', '-A', '--field-selector', 'spec.nodeName=n2', ...as]);
    assert.match(r.err, /can only list\/watch pods with spec\.nodeName field selector/);
    // A label selector does not stand in for the field selector.
    r = await kubectl(fx, ['get', 'pods', '-A', '-l', 'node=n1', ...as]);
    assert.match(r.err, /can only list\/watch pods with spec\.nodeName field selector/);
  });
});
