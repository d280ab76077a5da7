// The CA bundles in kube-system/extension-apiserver-authentication are merged across apiservers:
// certificates already published stay, new ones are appended once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CertificateAuthority } from '@mkube/shared/pki';
import { mergeBundles } from '../../src/registry/authenticationinfo.ts';

describe('extension-apiserver-authentication bundles', () => {
  it('keeps what is there, appends what is new, and never repeats a certificate', async () => {
    const a = (await CertificateAuthority.createSelfSigned({ commonName: 'a' })).certPem;
    const b = (await CertificateAuthority.createSelfSigned({ commonName: 'b' })).certPem;
    const first = mergeBundles(undefined, a);
    assert.equal(first, a);
    assert.equal(mergeBundles(first, a), first, 'the same CA again changes nothing');
    const both = mergeBundles(first, b);
    assert.equal(both, `${a}${b}`);
    assert.equal(mergeBundles(both, a), both);
    assert.equal(mergeBundles(both.replaceAll('\n', '\r\n'), b), both, 'CRLF bundles compare equal');
  });
});
