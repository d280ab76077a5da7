// Webhook configuration validation and webhook rule matching, case by case against upstream's
// messages and predicates (the served behaviour is in test/server/admission-webhook*.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RuleWithOperations, ValidatingWebhookConfiguration } from '@mkube/shared/api';
import { formatFieldError } from '@mkube/shared/apierrors';
import type { AdmissionAttributes } from '../../src/admission/types.ts';
import { ruleMatches } from '../../src/admission/webhook/matching.ts';
import {
  validateValidatingWebhookConfiguration,
  validateValidatingWebhookConfigurationUpdate,
  validateWebhookService,
  validateWebhookUrl,
} from '../../src/validation/index.ts';

const hook = (over: Record<string, unknown> = {}) => ({
  name: 'w.example.com',
  clientConfig: { url: 'https://hook.example.com/x' },
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  ...over,
});

const config = (...hooks: Record<string, unknown>[]) =>
  ({ metadata: { name: 'c' }, webhooks: hooks }) as unknown as ValidatingWebhookConfiguration;

const errors = (c: ValidatingWebhookConfiguration) => validateValidatingWebhookConfiguration(c).map(formatFieldError);

describe('webhook configuration validation', () => {
  it('accepts a complete webhook', () => {
    assert.deepEqual(errors(config(hook())), []);
  });

  it('checks resources as validateResources does', () => {
    const rules = (resources: string[]) => [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources }];
    assert.deepEqual(errors(config(hook({ rules: rules(['*/*', 'pods']) }))), [
      `webhooks[0].rules[0].resources: Invalid value: []string{"*/*", "pods"}: if '*/*' is present, must not specify other resources`,
    ]);
    assert.deepEqual(errors(config(hook({ rules: rules(['pods/*', 'pods/status']) }))), [
      'webhooks[0].rules[0].resources[1]: Invalid value: "pods/status": if \'pods/*\' is present, must not specify pods/status',
    ]);
    assert.deepEqual(errors(config(hook({ rules: rules(['*', 'pods']) }))), [
      `webhooks[0].rules[0].resources: Invalid value: []string{"*", "pods"}: if '*' is present, must not specify other resources without subresources`,
    ]);
    assert.deepEqual(errors(config(hook({ rules: rules(['*', '*/status']) }))), []);
    assert.deepEqual(
      errors(
        config(
          hook({
            rules: [{ operations: ['*', 'CREATE'], apiGroups: [], apiVersions: [''], resources: [], scope: 'Global' }],
          }),
        ),
      ),
      [
        `webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{"*", "CREATE"}: if '*' is present, must not specify other operations`,
        'webhooks[0].rules[0].apiGroups: Required value',
        'webhooks[0].rules[0].apiVersions[0]: Required value',
        'webhooks[0].rules[0].resources: Required value',
        'webhooks[0].rules[0].scope: Unsupported value: "Global": supported values: "*", "Cluster", "Namespaced"',
      ],
    );
  });

  it('checks URLs and services as ValidateWebhookURL / ValidateWebhookService', () => {
    const url = (u: string) => validateWebhookUrl('u', u).map(formatFieldError);
    assert.deepEqual(url('https://hook.example.com:8443/path'), []);
    assert.deepEqual(url('https://user:pw@h/#frag'), [
      'u: Invalid value: "user:pw": user information is not permitted in the URL',
      'u: Invalid value: "frag": fragments are not permitted in the URL',
    ]);
    assert.deepEqual(url('hook.example.com'), [
      `u: Invalid value: "": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
      'u: Invalid value: "": host must be provided; desired format: https://host[/path]',
    ]);
    const svc = (s: Record<string, unknown>) => validateWebhookService('s', s).map(formatFieldError);
    assert.deepEqual(svc({ namespace: 'ns', name: 'n', path: '/a/b/', port: 443 }), []);
    assert.deepEqual(svc({ path: 'a//B', port: 0 }), [
      's.name: Required value: service name is required',
      's.namespace: Required value: service namespace is required',
      's.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive',
      `s.path: Invalid value: "a//B": must start with a '/'`,
      's.path: Invalid value: "a//B": segment[0] may not be empty',
      's.path: Invalid value: "a//B": segment[1] may not be empty',
      `s.path: Invalid value: "a//B": segment[2]: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });

  it('holds an update only to what the stored object met', () => {
    const old = config(hook({ sideEffects: 'Unknown', admissionReviewVersions: ['v1beta1'] }));
    const next = config(hook({ sideEffects: 'Some', timeoutSeconds: 0 }));
    assert.deepEqual(validateValidatingWebhookConfigurationUpdate(next, old).map(formatFieldError), [
      'webhooks[0].timeoutSeconds: Invalid value: 0: the timeout value must be between 1 and 30 seconds',
    ]);
    assert.deepEqual(errors(next), [
      'webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
      'webhooks[0].timeoutSeconds: Invalid value: 0: the timeout value must be between 1 and 30 seconds',
    ]);
  });
});

describe('webhook rule matching', () => {
  const attrs = (over: Partial<AdmissionAttributes>): AdmissionAttributes => ({
    operation: 'CREATE',
    user: { username: 'u', groups: [] },
    group: '',
    version: 'v1',
    resource: 'pods',
    subresource: '',
    kind: 'Pod',
    namespace: 'default',
    name: 'p',
    object: undefined,
    oldObject: undefined,
    dryRun: false,
    ...over,
  });
  const rule = (over: Partial<RuleWithOperations>): RuleWithOperations => ({
    operations: ['*'],
    apiGroups: ['*'],
    apiVersions: ['*'],
    resources: ['*'],
    ...over,
  });

  it('matches resources, subresources and wildcards as the rules matcher', () => {
    assert.ok(ruleMatches(rule({ resources: ['pods'] }), attrs({})));
    assert.ok(!ruleMatches(rule({ resources: ['pods'] }), attrs({ subresource: 'status' })));
    assert.ok(ruleMatches(rule({ resources: ['pods/*'] }), attrs({ subresource: 'status' })));
    // As upstream's matcher: a '*' subresource also matches the resource itself.
    assert.ok(ruleMatches(rule({ resources: ['pods/*'] }), attrs({})));
    assert.ok(ruleMatches(rule({ resources: ['*/status'] }), attrs({ resource: 'nodes', subresource: 'status' })));
    assert.ok(!ruleMatches(rule({ resources: ['*'] }), attrs({ subresource: 'status' })));
    assert.ok(!ruleMatches(rule({ operations: ['UPDATE', 'DELETE'] }), attrs({})));
    assert.ok(
      ruleMatches(
        rule({ operations: ['CONNECT'], resources: ['pods/exec'] }),
        attrs({ operation: 'CONNECT', subresource: 'exec' }),
      ),
    );
    assert.ok(!ruleMatches(rule({ apiGroups: ['apps'] }), attrs({})));
    assert.ok(!ruleMatches(rule({ apiVersions: ['v2'] }), attrs({})));
  });

  it('scopes: a namespace is cluster-scoped, its namespace is its name', () => {
    const ns = attrs({ resource: 'namespaces', kind: 'Namespace', namespace: '', name: 'team' });
    const node = attrs({ resource: 'nodes', kind: 'Node', namespace: '', name: 'n1' });
    assert.ok(ruleMatches(rule({ scope: 'Cluster' }), ns));
    assert.ok(!ruleMatches(rule({ scope: 'Namespaced' }), ns));
    assert.ok(ruleMatches(rule({ scope: 'Cluster' }), node));
    assert.ok(!ruleMatches(rule({ scope: 'Cluster' }), attrs({})));
    assert.ok(ruleMatches(rule({ scope: 'Namespaced' }), attrs({})));
    assert.ok(ruleMatches(rule({ scope: '*' }), node));
  });
});
