import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '@mkube/shared/apierrors';
import { escapeFieldValue, parseFieldSelector, supportedFieldLabels } from '@mkube/shared/selectors';

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 400);
    return e.message;
  }
  assert.fail('expected a BadRequest');
}

describe('field selectors', () => {
  const obj: Record<string, string> = {
    'metadata.name': 'a,b',
    'metadata.namespace': 'ns',
    'spec.nodeName': 'node-1',
    'status.phase': 'Running',
  };
  const get = (f: string): string | undefined => obj[f];
  const cases: [string, boolean, string][] = [
    ['', true, ''],
    ['spec.nodeName=node-1', true, 'spec.nodeName=node-1'],
    ['spec.nodeName==node-1', true, 'spec.nodeName=node-1'],
    ['spec.nodeName!=node-1', false, 'spec.nodeName!=node-1'],
    ['status.phase!=Succeeded,spec.nodeName=node-1', true, 'spec.nodeName=node-1,status.phase!=Succeeded'],
    ['metadata.name=a\\,b', true, 'metadata.name=a\\,b'],
    ['spec.nodeName=', false, 'spec.nodeName='],
    ['spec.missing=', true, 'spec.missing='],
  ];
  for (const [sel, want, str] of cases) {
    it(`${JSON.stringify(sel)} → ${want}`, () => {
      const s = parseFieldSelector(sel);
      assert.equal(s.matches(get), want);
      assert.equal(s.toString(), str);
    });
  }

  it('reports apimachinery errors', () => {
    assert.equal(
      badRequest(() => parseFieldSelector('a')),
      "invalid selector: 'a'; can't understand 'a'",
    );
    assert.equal(
      badRequest(() => parseFieldSelector('a=b=c')),
      'invalid field selector: unescaped character in value: =',
    );
    assert.equal(
      badRequest(() => parseFieldSelector('a=b\\x')),
      'invalid field selector: invalid escape sequence: \\x',
    );
    assert.equal(
      badRequest(() => parseFieldSelector('a=b\\')),
      'invalid field selector: invalid escape sequence: \\',
    );
  });

  it('refuses unsupported field labels', () => {
    const pods = supportedFieldLabels('pods');
    assert.equal(parseFieldSelector('spec.nodeName=n,metadata.name=x').validate(pods).empty(), false);
    assert.equal(
      badRequest(() => parseFieldSelector('spec.foo=bar').validate(pods)),
      'field label not supported: spec.foo',
    );
    assert.equal(
      badRequest(() => parseFieldSelector('spec.nodeName=n').validate(supportedFieldLabels('secrets'))),
      'field label not supported: spec.nodeName',
    );
  });

  it('pins metadata.name', () => {
    assert.equal(parseFieldSelector('metadata.name=foo').requiresExactMatch('metadata.name'), 'foo');
    assert.equal(parseFieldSelector('metadata.name!=foo').requiresExactMatch('metadata.name'), undefined);
  });

  it('escapes round-trip', () => {
    const v = 'a=b,c\\d';
    assert.equal(parseFieldSelector(`metadata.name=${escapeFieldValue(v)}`).requiresExactMatch('metadata.name'), v);
  });
});
