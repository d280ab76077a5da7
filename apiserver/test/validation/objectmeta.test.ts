import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectMeta } from '@mkube/shared/api';
import { type FieldError, formatFieldError, formatFieldErrors, newInvalid } from '@mkube/shared/apierrors';
import {
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  TOTAL_ANNOTATION_SIZE_LIMIT_B,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validatePathSegmentName,
} from '../../src/validation/index.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const QN_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LV_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const msgs = (errs: FieldError[]): string[] => errs.map(formatFieldError);
const ns = { namespaced: true, nameValidator: nameIsDNSSubdomain };
const cluster = { namespaced: false, nameValidator: nameIsDNSSubdomain };

describe('validateObjectMeta', () => {
  const cases: [string, ObjectMeta, typeof ns, string[]][] = [
    ['valid namespaced', { name: 'a.b-c', namespace: 'default', labels: { 'example.com/x': 'y' } }, ns, []],
    ['valid cluster-scoped', { name: 'node-1' }, cluster, []],
    [
      'name required',
      { namespace: 'default' },
      ns,
      ['metadata.name: Required value: name or generateName is required'],
    ],
    [
      'bad name',
      { name: 'Bad_Name', namespace: 'd' },
      ns,
      [`metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`],
    ],
    [
      'name too long',
      { name: 'a'.repeat(254), namespace: 'd' },
      ns,
      [`metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`],
    ],
    ['namespace required', { name: 'a' }, ns, ['metadata.namespace: Required value']],
    [
      'namespace is a DNS label',
      { name: 'a', namespace: 'a.b' },
      ns,
      [`metadata.namespace: Invalid value: "a.b": ${LABEL_MSG}`],
    ],
    [
      'namespace forbidden on cluster-scoped',
      { name: 'a', namespace: 'd' },
      cluster,
      ['metadata.namespace: Forbidden: not allowed on this type'],
    ],
    ['generateName with trailing dash is fine', { generateName: 'csr-', name: 'csr-abcde', namespace: 'd' }, ns, []],
    [
      'bad generateName',
      { generateName: 'Csr-', name: 'a', namespace: 'd' },
      ns,
      [`metadata.generateName: Invalid value: "Csr-": ${SUBDOMAIN_MSG}`],
    ],
    [
      'negative generation',
      { name: 'a', namespace: 'd', generation: -1 },
      ns,
      ['metadata.generation: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'bad label key and value',
      { name: 'a', namespace: 'd', labels: { 'a b': 'ok', k: '-v' } },
      ns,
      [`metadata.labels: Invalid value: "a b": ${QN_MSG}`, `metadata.labels: Invalid value: "-v": ${LV_MSG}`],
    ],
    ['annotation keys ignore case', { name: 'a', namespace: 'd', annotations: { 'Example.COM/Key': 'v' } }, ns, []],
    [
      'annotations too large',
      { name: 'a', namespace: 'd', annotations: { k: 'x'.repeat(TOTAL_ANNOTATION_SIZE_LIMIT_B) } },
      ns,
      ['metadata.annotations: Too long: may not be more than 262144 bytes'],
    ],
    [
      'owner references',
      {
        name: 'a',
        namespace: 'd',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Node', name: 'n', uid: '1', controller: true },
          { apiVersion: 'v1', kind: 'Event', name: '', uid: '2', controller: true },
        ],
      },
      ns,
      [
        'metadata.ownerReferences.name: Invalid value: "": name must not be empty',
        'metadata.ownerReferences: Invalid value: {"apiVersion":"v1","kind":"Event","name":"","uid":"2","controller":true}: /v1, Kind=Event is disallowed from being an owner',
        'metadata.ownerReferences: Invalid value: [{"apiVersion":"v1","kind":"Node","name":"n","uid":"1","controller":true},{"apiVersion":"v1","kind":"Event","name":"","uid":"2","controller":true}]: Only one reference can have Controller set to true. Found "true" in references for Node/n and Event/',
      ],
    ],
    [
      'finalizers',
      {
        name: 'a',
        namespace: 'd',
        finalizers: ['kubernetes', 'example.com/f', 'custom', 'orphan', 'foregroundDeletion'],
      },
      ns,
      [
        'metadata.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
        'metadata.finalizers: Invalid value: ["kubernetes","example.com/f","custom","orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
      ],
    ],
  ];
  for (const [name, meta, opts, want] of cases) {
    it(name, () => assert.deepEqual(msgs(validateObjectMeta(meta, opts)), want));
  }

  it('renders as the Invalid status kube-apiserver returns', () => {
    const errs = validateObjectMeta({ name: 'Bad', namespace: 'd' }, ns);
    const e = newInvalid({ group: '', kind: 'ConfigMap' }, 'Bad', errs);
    assert.equal(e.code, 422);
    assert.equal(e.message, `ConfigMap "Bad" is invalid: ${formatFieldErrors(errs)}`);
    assert.equal(e.toStatus().details?.causes?.[0]?.field, 'metadata.name');
  });
});

describe('validateObjectMetaUpdate', () => {
  const old: ObjectMeta = {
    name: 'a',
    namespace: 'd',
    uid: 'u1',
    resourceVersion: '5',
    generation: 2,
    creationTimestamp: '2024-01-01T00:00:00Z',
    finalizers: ['example.com/f'],
  };
  const cases: [string, ObjectMeta, ObjectMeta, string[]][] = [
    ['unchanged is fine', { ...old }, old, []],
    [
      'identity is immutable',
      { ...old, name: 'b', namespace: 'e', uid: 'u2', creationTimestamp: '2025-01-01T00:00:00Z' },
      old,
      [
        'metadata.name: Invalid value: "b": field is immutable',
        'metadata.namespace: Invalid value: "e": field is immutable',
        'metadata.uid: Invalid value: "u2": field is immutable',
        'metadata.creationTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable',
      ],
    ],
    [
      'resourceVersion required',
      { ...old, resourceVersion: '' },
      old,
      ['metadata.resourceVersion: Invalid value: "": must be specified for an update'],
    ],
    [
      'generation may not go down',
      { ...old, generation: 1 },
      old,
      ['metadata.generation: Invalid value: 1: must not be decremented'],
    ],
    [
      'no new finalizers while deleting',
      { ...old, deletionTimestamp: 't', finalizers: ['example.com/f', 'example.com/g'] },
      { ...old, deletionTimestamp: 't' },
      [
        'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/g"}',
      ],
    ],
    [
      'deletionTimestamp is immutable',
      { ...old, deletionTimestamp: '2024-02-02T00:00:00Z' },
      old,
      ['metadata.deletionTimestamp: Invalid value: "2024-02-02T00:00:00Z": field is immutable'],
    ],
  ];
  for (const [name, n, o, want] of cases) {
    it(name, () => assert.deepEqual(msgs(validateObjectMetaUpdate(n, o)), want));
  }
});

describe('name validators', () => {
  it('DNS label and subdomain', () => {
    assert.deepEqual(nameIsDNSLabel('kube-system', false), []);
    assert.deepEqual(nameIsDNSLabel('a.b', false), [LABEL_MSG]);
    assert.deepEqual(nameIsDNSSubdomain('system:node', false), [SUBDOMAIN_MSG]);
  });
  it('path segment names (RBAC)', () => {
    assert.deepEqual(validatePathSegmentName('system:node-proxier', false), []);
    assert.deepEqual(validatePathSegmentName('..', false), ["may not be '..'"]);
    assert.deepEqual(validatePathSegmentName('.', false), ["may not be '.'"]);
    assert.deepEqual(validatePathSegmentName('a/b%c', false), ["may not contain '/'", "may not contain '%'"]);
    assert.deepEqual(validatePathSegmentName('.', true), []);
  });
});
