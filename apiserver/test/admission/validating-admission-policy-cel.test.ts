// The ValidatingAdmissionPolicy pieces without a server: the CEL environment (cel-go's wording of
// compile errors, the library functions policies use), lazy variables, the authorizer library
// against a recording fake, one policy's decisions, and matchConstraints matching.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ValidatingAdmissionPolicySpec } from '@mkube/shared/api';
import type { Attributes, Authorizer } from '@mkube/shared/auth';
import { labelSelectorFromObject } from '@mkube/shared/selectors';
import { authorizerValue, cachingAuthorizer } from '../../src/admission/cel/authz.ts';
import { compileExpression } from '../../src/admission/cel/environment.ts';
import { Activation, admissionRequestValue } from '../../src/admission/plugins/validatingadmissionpolicy/activation.ts';
import { compilePolicy } from '../../src/admission/plugins/validatingadmissionpolicy/compile.ts';
import {
  matchesResources,
  parseMatchResources,
} from '../../src/admission/plugins/validatingadmissionpolicy/matching.ts';
import { validatePolicy } from '../../src/admission/plugins/validatingadmissionpolicy/validator.ts';
import type { AdmissionAttributes } from '../../src/admission/types.ts';

const user = { username: 'alice', groups: ['dev', 'system:authenticated'] };

/** An authorizer allowing what `allow` says, recording every question. */
function fakeAuthorizer(allow: (a: Attributes) => boolean | Error = () => false) {
  const asked: Attributes[] = [];
  const authorizer: Authorizer = {
    async authorize(a) {
      asked.push(a);
      const r = allow(a);
      if (r instanceof Error) throw r;
      return r ? { decision: 'Allow', reason: 'granted' } : { decision: 'NoOpinion', reason: '' };
    },
  };
  return { authorizer, asked };
}

function attrs(over: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: 'CREATE',
    user,
    group: '',
    version: 'v1',
    resource: 'configmaps',
    subresource: '',
    kind: 'ConfigMap',
    namespace: 'team',
    name: 'cm',
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'team', labels: { a: 'b' } } },
    oldObject: undefined,
    dryRun: false,
    ...over,
  };
}

function activation(spec: ValidatingAdmissionPolicySpec, authorizer: Authorizer, a = attrs(), params: unknown = null) {
  const compiled = compilePolicy(spec);
  const act = new Activation(compiled, {
    object: a.object ? JSON.parse(JSON.stringify(a.object)) : null,
    oldObject: null,
    request: admissionRequestValue(a, { group: a.group, version: a.version, resource: a.resource, kind: a.kind }),
    namespaceObject: null,
    params,
    authorizer: authorizerValue(a.user, cachingAuthorizer(authorizer), a),
  });
  return { compiled, act };
}

async function evalBool(expression: string, object: unknown = {}): Promise<unknown> {
  const { act, compiled } = activation(
    { validations: [{ expression }] },
    fakeAuthorizer().authorizer,
    attrs({ object: object as never }),
  );
  const r = await act.evaluate(compiled.validations[0]!, true);
  return 'error' in r ? r.error : r.value;
}

describe('CEL compile errors, as cel-go words them', () => {
  const opts = { params: false, authorizer: true, variables: [{ name: 'known', type: 'bool' }] };
  for (const [expression, error] of [
    [
      'foo == 1',
      "compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo == 1\n | ^",
    ],
    [
      'variables.other',
      "compilation failed: ERROR: <input>:1:11: undefined field 'other'\n | variables.other\n | ..........^",
    ],
    [
      'params.x',
      "compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.x\n | ^",
    ],
    [
      'request.nope == 1',
      "compilation failed: ERROR: <input>:1:9: undefined field 'nope'\n | request.nope == 1\n | ........^",
    ],
    ['object.x', 'must evaluate to bool but got dyn'],
    [
      "'a'.startsWith(1)",
      "compilation failed: ERROR: <input>:1:1: found no matching overload for 'startsWith' applied to 'string.(int)'\n | 'a'.startsWith(1)\n | ^",
    ],
  ] as const) {
    it(expression, () => {
      const r = compileExpression(expression, opts, ['bool']);
      assert.deepEqual(r.ok ? 'compiled' : r.error, error);
    });
  }
  it('accepts the variables declared before and the request fields', () => {
    for (const e of [
      'variables.known',
      "request.userInfo.groups.exists(g, g == 'dev')",
      "request.operation == 'CREATE'",
    ]) {
      const r = compileExpression(e, opts, ['bool']);
      assert.ok(r.ok, r.ok ? '' : r.error);
    }
  });
});

describe('CEL library functions', () => {
  const cases: [string, unknown][] = [
    ["'Hello'.lowerAscii() == 'hello' && 'a,b'.split(',') == ['a', 'b'] && ['a', 'b'].join('-') == 'a-b'", true],
    ["'  x '.trim() == 'x' && 'abc'.indexOf('c') == 2 && 'abc'.matches('^a')", true],
    ["'a-b-c'.replace('-', '+') == 'a+b+c' && 'a-b-c'.replace('-', '+', 1) == 'a+b-c'", true],
    ["'hello'.charAt(1) == 'e' && 'hello'.charAt(5) == '' && 'abc'.reverse() == 'cba'", true],
    ["'a1b22'.find('[0-9]+') == '1' && 'a1b22'.findAll('[0-9]+') == ['1', '22']", true],
    ['[3, 1, 2].sum() == 6 && [3, 1, 2].min() == 1 && [3, 1, 2].max() == 3 && [1, 2].isSorted()', true],
    ["['a', 'b'].indexOf('b') == 1 && [1, 2, 1].lastIndexOf(1) == 2", true],
    ["quantity('1Gi').isGreaterThan(quantity('1000Mi')) && quantity('1000m') == quantity('1')", true],
    [
      "quantity('1.5').isInteger() == false && quantity('2k').asInteger() == 2000 && isQuantity('1Ki') && !isQuantity('x')",
      true,
    ],
    [
      "quantity('1').add(quantity('500m')).compareTo(quantity('1.5')) == 0 && quantity('3').sub(1).asInteger() == 2",
      true,
    ],
    ['[1, 2, 3].exists_one(x, x > 2) && [1, 2].all(x, x > 0) && [1, 2].map(x, x * 2) == [2, 4]', true],
    // sets (pkg/cel/library/sets.go)
    ["sets.contains(['a', 'b', 'c'], ['c', 'a']) && !sets.contains(['a'], ['a', 'b']) && sets.contains([1], [])", true],
    ["sets.equivalent(['a', 'b', 'b'], ['b', 'a']) && !sets.equivalent(['a'], ['a', 'b'])", true],
    ['sets.intersects([1, 2], [2, 3]) && !sets.intersects([1], [2]) && !sets.intersects([], [])', true],
    // ip and cidr (ip.go, cidr.go) with Go's netip rules
    ["isIP('127.0.0.1') && isIP('::1') && !isIP('127.0.0.256') && !isIP(':::1') && !isIP('01.2.3.4')", true],
    ["!isIP('fe80::1%eth0') && !isIP('::ffff:1.2.3.4') && isIP('2001:db8::1.2.3.4')", true],
    ["ip('127.0.0.1').family() == 4 && ip('::1').family() == 6 && ip('10.0.0.1') == ip('10.0.0.1')", true],
    [
      "ip('127.0.0.1').isLoopback() && ip('::1').isLoopback() && !ip('192.168.0.1').isLoopback() && ip('0.0.0.0').isUnspecified() && ip('::').isUnspecified()",
      true,
    ],
    [
      "ip('224.0.0.1').isLinkLocalMulticast() && !ip('224.0.1.1').isLinkLocalMulticast() && ip('ff02::1').isLinkLocalMulticast() && !ip('fd00::1').isLinkLocalMulticast()",
      true,
    ],
    [
      "ip('169.254.169.254').isLinkLocalUnicast() && ip('fe80::1').isLinkLocalUnicast() && !ip('fd80::1').isLinkLocalUnicast()",
      true,
    ],
    [
      "ip('192.168.0.1').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast() && ip('2001:db8::abcd').isGlobalUnicast() && !ip('ff00::1').isGlobalUnicast()",
      true,
    ],
    [
      "ip.isCanonical('127.0.0.1') && ip.isCanonical('2001:db8::abcd') && !ip.isCanonical('2001:DB8::ABCD') && !ip.isCanonical('2001:db8::0:0:0:abcd')",
      true,
    ],
    [
      "string(ip('2001:0db8:0:0:1:0:0:1')) == '2001:db8::1:0:0:1' && string(ip('1:0:1:0:1:0:1:0')) == '1:0:1:0:1:0:1:0'",
      true,
    ],
    [
      "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1')) && !cidr('192.168.0.0/24').containsIP('192.168.1.1') && !cidr('::/0').containsIP('1.2.3.4')",
      true,
    ],
    [
      "cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24')) && !cidr('192.168.1.0/24').containsCIDR('192.168.2.0/24') && !cidr('10.0.0.0/24').containsCIDR('10.0.0.0/16')",
      true,
    ],
    [
      "cidr('192.168.0.1/24').ip() == ip('192.168.0.1') && cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24') && cidr('192.168.0.1/24') != cidr('192.168.0.1/24').masked()",
      true,
    ],
    [
      "cidr('::1/128').prefixLength() == 128 && string(cidr('10.1.2.3/8').masked()) == '10.0.0.0/8' && isCIDR('::1/128') && !isCIDR('192.168.0.0/33') && !isCIDR('::1/129') && !isCIDR('10.0.0.0')",
      true,
    ],
    // url (urls.go) with Go's net/url rules
    ["isURL('https://user:pass@example.com:80/path?query=val#fragment') && isURL('/absolute-path')", true],
    ["!isURL('https://a:b:c/') && !isURL('../relative-path') && !isURL('example.com/x')", true],
    [
      "url('/path').getScheme() == '' && url('HTTPS://example.com/').getScheme() == 'https' && url('https://example.com:80/').getHost() == 'example.com:80'",
      true,
    ],
    [
      "url('https://[::1]:80/').getHost() == '[::1]:80' && url('https://[::1]:80/').getHostname() == '::1' && url('https://[::1]/').getPort() == ''",
      true,
    ],
    [
      "url('https://u:p@127.0.0.1:80/').getHostname() == '127.0.0.1' && url('https://example.com:80/').getPort() == '80' && url('/path').getHost() == ''",
      true,
    ],
    [
      "url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/' && url('https://example.com').getEscapedPath() == '' && url('https://e.com/a%2Fb').getEscapedPath() == '/a%2Fb'",
      true,
    ],
    [
      "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']} && url('https://example.com/path?').getQuery() == {} && url('https://e.com/?a+b=c%20d').getQuery() == {'a b': ['c d']}",
      true,
    ],
    ["ip(url('https://127.0.0.1:8443/validate').getHostname()).isLoopback()", true],
    // semver (semverlib.go, blang/semver rules)
    [
      "isSemver('1.0.0') && isSemver('0.1.0-alpha.1+build.5') && !isSemver('v1.0') && isSemver('v1.0', true) && !isSemver('01.1.1') && !isSemver('200K')",
      true,
    ],
    [
      "semver('1.2.3').major() == 1 && semver('1.2.3').minor() == 2 && semver('1.2.3').patch() == 3 && semver('01.01.01', true) == semver('1.1.1')",
      true,
    ],
    [
      "semver('1.2.3').compareTo(semver('2.0.0')) == -1 && semver('1.2.3').isGreaterThan(semver('0.1.2')) && semver('1.0.0-rc.1').isLessThan(semver('1.0.0'))",
      true,
    ],
    [
      "semver('1.0.0-alpha').isLessThan(semver('1.0.0-alpha.1')) && semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta')) && semver('1.0.0-beta.2').isLessThan(semver('1.0.0-beta.11')) && semver('1.0.0+a') == semver('1.0.0+b')",
      true,
    ],
    ["semver('1.2', true) == semver('1.2.0') && !isSemver('1.2-rc.1', true)", true],
    // format (format.go): optional.none() when valid, else apimachinery's messages
    [
      "!format.dns1123Label().validate('my-label').hasValue() && format.dns1123Label().validate('My_Label').hasValue()",
      true,
    ],
    [
      "format.dns1123Label().validate('My_Label').value() == [\"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')\"]",
      true,
    ],
    [
      "!format.dns1123LabelPrefix().validate('my-prefix-').hasValue() && format.dns1123Label().validate('my-prefix-').hasValue()",
      true,
    ],
    [
      "!format.dns1123Subdomain().validate('apiextensions.k8s.io').hasValue() && format.dns1035Label().validate('1abc').hasValue()",
      true,
    ],
    [
      "!format.qualifiedName().validate('example.com/name').hasValue() && !format.labelValue().validate('').hasValue() && format.labelValue().validate('a b').hasValue()",
      true,
    ],
    [
      "format.named('labelValue').hasValue() && !format.named('nope').hasValue() && !format.named('dns1123Label').value().validate('x').hasValue()",
      true,
    ],
    [
      "!format.uri().validate('http://example.com').hasValue() && format.uri().validate('../x').value() == ['parse \"../x\": invalid URI for request']",
      true,
    ],
    [
      "!format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue() && format.uuid().validate('x').value() == ['does not match the UUID format']",
      true,
    ],
    [
      "!format.byte().validate('aGVsbG8=').hasValue() && format.byte().validate('aGVsbG8').value() == ['invalid base64']",
      true,
    ],
    [
      "!format.date().validate('2021-01-01').hasValue() && format.date().validate('2021-02-30').hasValue() && !format.datetime().validate('2021-01-01T00:00:00Z').hasValue() && format.datetime().validate('2021-01-01').value() == ['invalid datetime']",
      true,
    ],
    [
      "url('../x').getScheme() == ''",
      `expression 'url('../x').getScheme() == ''' resulted in error: URL parse error during conversion from string: parse "../x": invalid URI for request`,
    ],
    [
      "ip('127.0.0.256').family() == 4",
      `expression 'ip('127.0.0.256').family() == 4' resulted in error: IP Address "127.0.0.256" parse error during conversion from string: ParseAddr("127.0.0.256"): IPv4 field has value >255`,
    ],
    [
      "ip('::ffff:1.2.3.4').family() == 6",
      `expression 'ip('::ffff:1.2.3.4').family() == 6' resulted in error: IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed`,
    ],
    ['object.?spec.?replicas.orValue(3) == 3', true],
    [
      "quantity('1.5').asInteger() == 1",
      "expression 'quantity('1.5').asInteger() == 1' resulted in error: cannot convert value to integer",
    ],
    ['object.spec.replicas > 1', "expression 'object.spec.replicas > 1' resulted in error: no such key: spec"],
  ];
  for (const [expression, want] of cases) {
    it(expression, async () => assert.deepEqual(await evalBool(expression), want));
  }

  it("the README's policy: no webhook URL may name a loopback address", async () => {
    const expression =
      'object.webhooks.all(w, !has(w.clientConfig.url) || !isIP(url(w.clientConfig.url).getHostname()) || !ip(url(w.clientConfig.url).getHostname()).isLoopback())';
    const hooks = (...urls: (string | undefined)[]) => ({
      webhooks: urls.map((url) => ({ clientConfig: url ? { url } : { service: { name: 's', namespace: 'n' } } })),
    });
    assert.equal(
      await evalBool(expression, hooks('https://hooks.example.com/v', undefined, 'https://10.0.0.5/')),
      true,
    );
    assert.equal(await evalBool(expression, hooks('https://hooks.example.com/v', 'https://127.0.0.1:9443/v')), false);
    assert.equal(await evalBool(expression, hooks('https://[::1]/v')), false);
  });
});

describe('variables', () => {
  it('are evaluated only when read, once per activation, and fail where they are read', async () => {
    const fake = fakeAuthorizer((a) => a.verb === 'approve');
    const { act, compiled } = activation(
      {
        variables: [
          {
            name: 'mayApprove',
            expression: "authorizer.group('example.com').resource('things').check('approve').allowed()",
          },
          { name: 'both', expression: 'variables.mayApprove && variables.mayApprove' },
          { name: 'broken', expression: 'object.nope' },
        ],
        validations: [
          { expression: 'variables.both' },
          { expression: 'variables.mayApprove' },
          { expression: 'variables.broken == 1' },
        ],
      },
      fake.authorizer,
    );
    assert.equal(fake.asked.length, 0);
    assert.deepEqual(await act.evaluate(compiled.validations[0]!, true), { value: true });
    assert.deepEqual(await act.evaluate(compiled.validations[1]!, true), { value: true });
    assert.equal(fake.asked.length, 1, 'one authorization for every read of the variable');
    assert.deepEqual(await act.evaluate(compiled.validations[2]!, true), {
      error: "expression 'variables.broken == 1' resulted in error: no such key: nope",
    });
  });
});

describe('authorizer', () => {
  it('asks the authorizer with upstream attributes; decisions, errors and service accounts', async () => {
    const fake = fakeAuthorizer((a) =>
      a.path === '/boom' ? new Error('webhook down') : a.user.username.startsWith('system:serviceaccount:'),
    );
    const { act, compiled } = activation(
      {
        validations: [
          {
            expression:
              "!authorizer.group('apps').resource('deployments').subresource('scale').namespace('ns').name('web').check('update').allowed()",
          },
          {
            expression:
              "authorizer.serviceAccount('ns', 'robot').group('').resource('secrets').check('get').reason() == 'granted'",
          },
          {
            expression:
              "authorizer.path('/boom').check('get').errored() && authorizer.path('/boom').check('get').error() == 'webhook down'",
          },
          { expression: "!authorizer.requestResource.check('create').allowed()" },
        ],
      },
      fake.authorizer,
    );
    for (const c of compiled.validations) assert.deepEqual(await act.evaluate(c, true), { value: true });
    const pick = (a: Attributes) => ({
      user: a.user.username,
      verb: a.verb,
      path: a.path,
      group: a.apiGroup,
      version: a.apiVersion,
      resource: a.resource,
      sub: a.subresource,
      ns: a.namespace,
      name: a.name,
    });
    assert.deepEqual(fake.asked.map(pick), [
      {
        user: 'alice',
        verb: 'update',
        path: '',
        group: 'apps',
        version: '*',
        resource: 'deployments',
        sub: 'scale',
        ns: 'ns',
        name: 'web',
      },
      {
        user: 'system:serviceaccount:ns:robot',
        verb: 'get',
        path: '',
        group: '',
        version: '*',
        resource: 'secrets',
        sub: '',
        ns: '',
        name: '',
      },
      { user: 'alice', verb: 'get', path: '/boom', group: '', version: '', resource: '', sub: '', ns: '', name: '' },
      {
        user: 'alice',
        verb: 'create',
        path: '',
        group: '',
        version: '*',
        resource: 'configmaps',
        sub: '',
        ns: 'team',
        name: 'cm',
      },
    ]);
    assert.deepEqual(fake.asked[1]!.user.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns']);
  });
});

describe('one policy', () => {
  const spec = (extra: Partial<ValidatingAdmissionPolicySpec>): ValidatingAdmissionPolicySpec => ({
    failurePolicy: 'Fail',
    validations: [
      {
        expression: "object.metadata.labels.a == 'c'",
        message: 'a must be c',
        messageExpression: "'a is ' + object.metadata.labels.a",
      },
      { expression: 'false', message: 'fixed', messageExpression: "'x' + object.nope" },
      { expression: 'false', reason: 'Forbidden' },
    ],
    ...extra,
  });
  const run = async (s: ValidatingAdmissionPolicySpec) => {
    const { act, compiled } = activation(s, fakeAuthorizer().authorizer);
    return validatePolicy(s, compiled, act);
  };

  it('makes a decision per validation, with messageExpression, message and the expression as fallbacks', async () => {
    const r = await run(
      spec({
        auditAnnotations: [
          { key: 'n', valueExpression: 'string(object.metadata.name)' },
          { key: 'bad', valueExpression: 'dyn(1)' },
        ],
      }),
    );
    assert.deepEqual(r.decisions, [
      { action: 'deny', evaluation: 'deny', reason: 'Invalid', message: 'a is b' },
      { action: 'deny', evaluation: 'deny', reason: 'Invalid', message: 'fixed' },
      { action: 'deny', evaluation: 'deny', reason: 'Forbidden', message: 'failed expression: false' },
    ]);
    assert.deepEqual(r.auditAnnotations, [
      { action: 'publish', key: 'n', value: 'cm' },
      {
        action: 'error',
        key: 'bad',
        error: 'compilation error: must evaluate to one of [string null_type] but got dyn',
      },
    ]);
  });

  it('skips on a false match condition; a match condition error follows the failure policy', async () => {
    const conditions = [
      { name: 'errs', expression: 'object.nope == 1' },
      { name: 'false', expression: "object.metadata.name == 'other'" },
    ];
    assert.deepEqual(await run(spec({ matchConditions: conditions })), { decisions: [], auditAnnotations: [] });
    const failing = await run(
      spec({ matchConditions: [conditions[0]!, { name: 'also', expression: 'object.x == 1' }] }),
    );
    assert.deepEqual(failing.decisions, [
      {
        action: 'deny',
        evaluation: 'error',
        message:
          "[expression 'object.nope == 1' resulted in error: no such key: nope, expression 'object.x == 1' resulted in error: no such key: x]",
      },
    ]);
    const ignored = await run(spec({ failurePolicy: 'Ignore', matchConditions: [conditions[0]!] }));
    assert.deepEqual(ignored, { decisions: [], auditAnnotations: [] });
  });
});

describe('matchConstraints', () => {
  const labels = async (ns: string) => ({ team: ns });
  const rule = (over: Record<string, unknown> = {}) => ({
    apiGroups: [''],
    apiVersions: ['v1'],
    operations: ['*' as const],
    resources: ['pods'],
    ...over,
  });
  const match = (spec: Record<string, unknown>, a: AdmissionAttributes) =>
    matchesResources(parseMatchResources({ namespaceSelector: {}, objectSelector: {}, ...spec }), a, labels);
  const pod = (over: Partial<AdmissionAttributes> = {}) =>
    attrs({ resource: 'pods', kind: 'Pod', name: 'web', ...over });

  it('rules: subresources, wildcards, scope, resourceNames and exclusions', async () => {
    const cases: [Record<string, unknown>, Partial<AdmissionAttributes>, boolean][] = [
      [{ resourceRules: [rule()] }, {}, true],
      [{ resourceRules: [rule()] }, { subresource: 'status' }, false],
      [{ resourceRules: [rule({ resources: ['pods/status'] })] }, { subresource: 'status' }, true],
      [{ resourceRules: [rule({ resources: ['pods/*'] })] }, { subresource: 'exec', operation: 'CONNECT' }, true],
      [{ resourceRules: [rule({ resources: ['*'] })] }, {}, true],
      [{ resourceRules: [rule({ scope: 'Cluster' })] }, {}, false],
      [{ resourceRules: [rule({ resourceNames: ['db'] })] }, {}, false],
      [{ resourceRules: [rule({ resourceNames: ['db', 'web'] })] }, {}, true],
      [{ resourceRules: [rule()], excludeResourceRules: [rule({ resourceNames: ['web'] })] }, {}, false],
      [{ resourceRules: [rule({ operations: ['UPDATE'] })] }, {}, false],
    ];
    for (const [spec, over, want] of cases) {
      assert.equal((await match(spec, pod(over))).matches, want, JSON.stringify({ spec, over }));
    }
  });

  it('selectors: the namespace labels, the object or old object labels, errors only when the rules select', async () => {
    const sel = { matchLabels: { team: 'team' } };
    assert.equal((await match({ resourceRules: [rule()], namespaceSelector: sel }, pod())).matches, true);
    assert.equal(
      (await match({ resourceRules: [rule()], namespaceSelector: sel }, pod({ namespace: 'other' }))).matches,
      false,
    );
    const deleted = pod({
      operation: 'DELETE',
      object: undefined,
      oldObject: { metadata: { name: 'web', labels: { app: 'x' } } } as never,
    });
    assert.equal(
      (await match({ resourceRules: [rule()], objectSelector: { matchLabels: { app: 'x' } } }, deleted)).matches,
      true,
    );
    const missing = async () => {
      throw new Error('namespace gone');
    };
    const broken = parseMatchResources({
      namespaceSelector: sel,
      objectSelector: {},
      resourceRules: [rule({ resources: ['secrets'] })],
    });
    assert.deepEqual(await matchesResources(broken, pod(), missing), { matches: false });
    assert.ok(labelSelectorFromObject(sel));
  });
});
