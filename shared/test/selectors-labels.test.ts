import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '@mkube/shared/apierrors';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  labelSelectorFromObject,
  labelSelectorFromSet,
  parseLabelSelector,
} from '@mkube/shared/selectors';

const QN_REGEX =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LV_REGEX =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, `not a StatusError: ${String(e)}`);
    assert.equal(e.reason, 'BadRequest');
    assert.equal(e.code, 400);
    return e.message;
  }
  assert.fail('expected a BadRequest');
}

describe('label selector parsing and matching', () => {
  const labels = { app: 'web', tier: 'front', 'example.com/x': 'y', n: '10' };
  const cases: [string, boolean, string][] = [
    ['', true, ''],
    ['app=web', true, 'app=web'],
    ['app==web', true, 'app==web'],
    ['app!=web', false, 'app!=web'],
    ['app!=db', true, 'app!=db'],
    ['missing!=x', true, 'missing!=x'],
    ['app in (web, db)', true, 'app in (db,web)'],
    ['app in (db)', false, 'app in (db)'],
    ['app notin (db)', true, 'app notin (db)'],
    ['missing notin (db)', true, 'missing notin (db)'],
    ['missing in (db)', false, 'missing in (db)'],
    ['app', true, 'app'],
    ['!app', false, '!app'],
    ['!missing', true, '!missing'],
    ['tier=front,app=web', true, 'app=web,tier=front'],
    ['tier=front, app=db', false, 'app=db,tier=front'],
    ['example.com/x=y', true, 'example.com/x=y'],
    ['app=', false, 'app='],
    ['missing=', false, 'missing='],
    ['x in (in)', false, 'x in (in)'],
    ['n>5', true, 'n>5'],
    ['n<5', false, 'n<5'],
    ['x in (a,,b),y', false, 'x in (,a,b),y'],
  ];
  for (const [sel, want, str] of cases) {
    it(`${JSON.stringify(sel)} → ${want}`, () => {
      const s = parseLabelSelector(sel);
      assert.equal(s.matches(labels), want);
      assert.equal(s.toString(), str);
    });
  }

  it('treats absent labels as an empty set', () => {
    assert.equal(parseLabelSelector('!a').matches(undefined), true);
    assert.equal(parseLabelSelector('a').matches(undefined), false);
  });

  it('pins exact matches for indexes', () => {
    assert.equal(parseLabelSelector('a=b,c').requiresExactMatch('a'), 'b');
    assert.equal(parseLabelSelector('a in (b)').requiresExactMatch('a'), 'b');
    assert.equal(parseLabelSelector('a!=b').requiresExactMatch('a'), undefined);
  });
});

describe('label selector errors (apimachinery wording)', () => {
  const cases: [string, string][] = [
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a=b,', "found '', expected: identifier after ','"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['x in a', "unable to parse requirement: found 'a' expected: '('"],
    ['x in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ['x (a)', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ['a$b=c', `unable to parse requirement: <nil>: Invalid value: "a$b": name part ${QN_REGEX}`],
    ['a=b$', `unable to parse requirement: values[0][a]: Invalid value: "b$": ${LV_REGEX}`],
    [
      'a/b/c',
      `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name ${QN_REGEX} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ],
    [
      'x>a',
      `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`,
    ],
  ];
  for (const [sel, msg] of cases) {
    it(JSON.stringify(sel), () =>
      assert.equal(
        badRequest(() => parseLabelSelector(sel)),
        msg,
      ),
    );
  }
});

describe('metav1.LabelSelector conversion', () => {
  it('null matches nothing, {} matches everything', () => {
    assert.equal(labelSelectorFromObject(null).matches({ a: 'b' }), false);
    assert.equal(labelSelectorFromObject({}).matches({ a: 'b' }), true);
    assert.equal(labelSelectorFromObject({}).empty(), true);
  });
  it('combines matchLabels and matchExpressions', () => {
    const s = labelSelectorFromObject({
      matchLabels: { 'rbac.example.com/aggregate-to-edit': 'true' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'gone', operator: 'DoesNotExist' },
      ],
    });
    assert.equal(s.toString(), '!gone,rbac.example.com/aggregate-to-edit=true,tier in (a,b)');
    assert.equal(s.matches({ 'rbac.example.com/aggregate-to-edit': 'true', tier: 'b' }), true);
    assert.equal(s.matches({ 'rbac.example.com/aggregate-to-edit': 'true', tier: 'b', gone: '' }), false);
  });
  it('rejects bad operators and empty In values', () => {
    assert.equal(
      badRequest(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Foo' as 'In' }] })),
      '"Foo" is not a valid label selector operator',
    );
    assert.equal(
      badRequest(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })),
      "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    );
  });
  it('from a set', () => {
    assert.equal(labelSelectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
  });
});

describe('util/validation string checks', () => {
  it('qualified names', () => {
    assert.deepEqual(isQualifiedName('example.com/MyName'), []);
    assert.deepEqual(isQualifiedName('/a'), ['prefix part must be non-empty']);
    assert.deepEqual(isQualifiedName('a/'), ['name part must be non-empty', `name part ${QN_REGEX}`]);
    assert.deepEqual(isQualifiedName('x'.repeat(64)), ['name part must be no more than 63 characters']);
  });
  it('label values', () => {
    assert.deepEqual(isValidLabelValue(''), []);
    assert.deepEqual(isValidLabelValue('-a'), [LV_REGEX]);
  });
  it('DNS-1123', () => {
    assert.deepEqual(isDNS1123Subdomain('a.b-c'), []);
    assert.deepEqual(isDNS1123Subdomain('A'), [
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    assert.deepEqual(isDNS1123Label('a.b'), [
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });
});

describe('the lexer and non-text input', () => {
  it('refuses at once what is not a string (a number once looped until the heap ran out)', () => {
    assert.throws(() => parseLabelSelector(12 as unknown as string), /a selector must be a string/);
  });
});
