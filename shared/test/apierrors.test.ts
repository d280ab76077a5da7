import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fieldErrors,
  newAlreadyExists,
  newConflict,
  newForbidden,
  newInternalError,
  newInvalid,
  newNotFound,
  OBJECT_MODIFIED,
  StatusError,
  toStatusError,
} from '@mkube/shared/apierrors';

const csr = { group: 'certificates.k8s.io', resource: 'certificatesigningrequests' };
const secrets = { group: '', resource: 'secrets' };

describe('apierrors', () => {
  it('renders NotFound/AlreadyExists/Conflict as apimachinery does', () => {
    const nf = newNotFound(csr, 'node-csr-1').toStatus();
    assert.equal(nf.code, 404);
    assert.equal(nf.reason, 'NotFound');
    assert.equal(nf.message, 'certificatesigningrequests.certificates.k8s.io "node-csr-1" not found');
    assert.deepEqual(nf.details, {
      kind: 'certificatesigningrequests',
      name: 'node-csr-1',
      group: 'certificates.k8s.io',
    });
    assert.equal(newAlreadyExists(secrets, 's').message, 'secrets "s" already exists');
    const c = newConflict({ group: '', resource: 'configmaps' }, 'x', OBJECT_MODIFIED);
    assert.equal(c.code, 409);
    assert.match(c.message, /^Operation cannot be fulfilled on configmaps "x": the object has been modified/);
  });
  it('renders Invalid with field causes', () => {
    const one = newInvalid({ group: '', kind: 'ConfigMap' }, 'Bad', [
      fieldErrors.invalid('metadata.name', 'Bad', 'must be lowercase'),
    ]);
    assert.equal(one.code, 422);
    assert.equal(one.message, 'ConfigMap "Bad" is invalid: metadata.name: Invalid value: "Bad": must be lowercase');
    assert.deepEqual(one.details?.causes, [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "Bad": must be lowercase', field: 'metadata.name' },
    ]);
    const two = newInvalid({ group: 'certificates.k8s.io', kind: 'CertificateSigningRequest' }, 'x', [
      fieldErrors.required('spec.request'),
      fieldErrors.notSupported('spec.usages[0]', 'bogus', ['client auth']),
    ]);
    assert.equal(
      two.message,
      'CertificateSigningRequest.certificates.k8s.io "x" is invalid: [spec.request: Required value, spec.usages[0]: Unsupported value: "bogus": supported values: "client auth"]',
    );
  });
  it('renders Forbidden in the authorizer form', () => {
    const f = newForbidden(secrets, 'a', 'User "x" cannot get resource "secrets" in API group "" in the namespace "y"');
    assert.equal(f.code, 403);
    assert.equal(
      f.message,
      'secrets "a" is forbidden: User "x" cannot get resource "secrets" in API group "" in the namespace "y"',
    );
  });
  it('maps unknown errors to InternalError and round-trips from a Status', () => {
    const e = toStatusError(new TypeError('boom'));
    assert.equal(e.code, 500);
    assert.equal(e.message, 'Internal error occurred: boom');
    assert.equal(newInternalError('x').reason, 'InternalError');
    const back = StatusError.fromStatus(newNotFound(secrets, 'a').toStatus(), 404);
    assert.equal(back.reason, 'NotFound');
    assert.equal(back.code, 404);
  });
});
