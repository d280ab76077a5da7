// kubectl's CONDITION column for CSRs, as k8s printers.go computes it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from '@mkube/shared/api';
import { csrConditionSummary } from '../../../src/registry/certificates/index.js';

function csr(types: string[], certificate?: string): CertificateSigningRequest {
  const conditions: CertificateSigningRequestCondition[] = types.map((type) => ({ type, status: 'True' }));
  return {
    metadata: { name: 'c' },
    spec: { request: '', signerName: 'example.com/s' },
    status: certificate ? { conditions, certificate } : { conditions },
  };
}

describe('csrConditionSummary', () => {
  const cases: { types: string[]; cert?: string; want: string }[] = [
    { types: [], want: 'Pending' },
    { types: ['Approved'], want: 'Approved' },
    { types: ['Approved'], cert: 'Y2VydA==', want: 'Approved,Issued' },
    { types: ['Denied'], want: 'Denied' },
    { types: ['Failed'], want: 'Pending,Failed' },
    { types: ['Approved', 'Failed'], want: 'Approved,Failed' },
    { types: ['Approved', 'Failed'], cert: 'Y2VydA==', want: 'Approved,Failed,Issued' },
    { types: ['Approved', 'Denied'], want: 'Denied' },
    { types: ['Custom'], want: 'Pending' },
  ];
  for (const c of cases) {
    it(`${c.types.join('+') || 'none'}${c.cert ? ' + certificate' : ''} → ${c.want}`, () => {
      assert.equal(csrConditionSummary(csr(c.types, c.cert)), c.want);
    });
  }

  it('reads a CSR without status as Pending', () => {
    assert.equal(csrConditionSummary({ metadata: {}, spec: { request: '', signerName: '' } }), 'Pending');
  });
});
