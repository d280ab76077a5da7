// CSR updates on the main resource, /status and /approval: what each path may change, the
// server-filled condition timestamps, and the exact errors for forbidden changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from '@mkube/shared/api';
import type { FieldError } from '@mkube/shared/apierrors';
import { csrApprovalStrategy, csrStatusStrategy, csrStrategy } from '../../../src/registry/certificates/index.js';
import type { SubresourceStrategy } from '../../../src/registry/strategy.js';
import { b64, csrObject, ctx, type Material, makeMaterial, NOW_TIME, shape } from './fixtures.js';

let m: Material;
before(() => {
  m = makeMaterial();
});
after(() => m.cleanup());

const T0 = '2024-06-01T00:00:00Z';
const approved: CertificateSigningRequestCondition = {
  type: 'Approved',
  status: 'True',
  reason: 'AutoApproved',
  lastUpdateTime: T0,
  lastTransitionTime: T0,
};

function stored(
  conditions: CertificateSigningRequestCondition[] = [],
  certificate?: string,
): CertificateSigningRequest {
  const csr = csrObject(m.ecCsr);
  csrStrategy.prepareForCreate(csr, ctx());
  csr.metadata = { name: 'csr-1', uid: 'uid-1', resourceVersion: '7' };
  csr.status = certificate === undefined ? { conditions } : { conditions, certificate };
  return csr;
}

/** Runs one subresource update the way the generic registry does. */
function viaSub(
  sub: SubresourceStrategy<CertificateSigningRequest>,
  old: CertificateSigningRequest,
  edit: (c: CertificateSigningRequest) => void,
) {
  const obj = structuredClone(old);
  edit(obj);
  sub.prepareForUpdate(obj, old, ctx());
  // The CSR strategies answer synchronously (only a PodCertificateRequest's /status awaits).
  return { obj, errs: shape(sub.validateUpdate(obj, old, ctx()) as FieldError[]) };
}

describe('main resource update', () => {
  it('keeps spec and status as stored and lets metadata through', () => {
    const old = stored([approved], b64(m.cert));
    const obj = structuredClone(old);
    obj.metadata.labels = { team: 'a' };
    obj.spec.signerName = 'example.com/other';
    obj.spec.username = 'admin';
    obj.status = { conditions: [] };
    csrStrategy.prepareForUpdate(obj, old, ctx());
    assert.deepEqual(obj.spec, old.spec);
    assert.deepEqual(obj.status, old.status);
    assert.deepEqual(obj.metadata.labels, { team: 'a' });
    assert.deepEqual(csrStrategy.validateUpdate(obj, old, ctx()), []);
  });

  const direct: { name: string; edit: (c: CertificateSigningRequest) => void; errs: ReturnType<typeof shape> }[] = [
    {
      name: 'adding Approved',
      edit: (c) => c.status!.conditions!.push({ type: 'Approved', status: 'True' }),
      errs: [
        { type: 'Forbidden', field: 'status.conditions', detail: 'updates may not add a condition of type "Approved"' },
      ],
    },
    {
      name: 'setting a certificate',
      edit: (c) => {
        c.status!.certificate = b64(m.cert);
      },
      errs: [{ type: 'Forbidden', field: 'status.certificate', detail: 'updates may not set certificate content' }],
    },
  ];
  for (const c of direct) {
    it(`validation alone refuses ${c.name} outside the subresources`, () => {
      const old = stored();
      const obj = structuredClone(old);
      c.edit(obj);
      assert.deepEqual(shape(csrStrategy.validateUpdate(obj, old, ctx())), c.errs);
    });
  }

  it('tolerates the legacy signer on objects that already have it', () => {
    const old = stored();
    old.spec.signerName = 'kubernetes.io/legacy-unknown';
    assert.deepEqual(csrStrategy.validateUpdate(structuredClone(old), old, ctx()), []);
  });
});

describe('/status', () => {
  it('sets the certificate once, restoring spec', () => {
    const old = stored([approved]);
    const { obj, errs } = viaSub(csrStatusStrategy, old, (c) => {
      c.status!.certificate = b64(m.cert);
      c.spec.usages = ['server auth'];
    });
    assert.deepEqual(errs, []);
    assert.equal(obj.status?.certificate, b64(m.cert));
    assert.deepEqual(obj.spec, old.spec);
  });

  it('refuses a different certificate once one is set, accepts the same one', () => {
    const old = stored([approved], b64(m.cert));
    const changed = viaSub(csrStatusStrategy, old, (c) => {
      c.status!.certificate = b64(m.cert + m.cert);
    });
    assert.deepEqual(changed.errs, [
      { type: 'Forbidden', field: 'status.certificate', detail: 'updates may not modify existing certificate content' },
    ]);
    assert.deepEqual(viaSub(csrStatusStrategy, old, () => {}).errs, []);
  });

  it('refuses an unparseable certificate', () => {
    const { errs } = viaSub(csrStatusStrategy, stored([approved]), (c) => {
      c.status!.certificate = b64('not pem');
    });
    assert.deepEqual(errs, [
      { type: 'Invalid', field: 'status.certificate', detail: 'must contain at least one CERTIFICATE PEM block' },
    ]);
  });

  it('adds a Failed condition with server-filled timestamps', () => {
    const { obj, errs } = viaSub(csrStatusStrategy, stored([approved]), (c) => {
      c.status!.conditions!.push({ type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: 'x' });
    });
    assert.deepEqual(errs, []);
    assert.deepEqual(obj.status?.conditions?.[1], {
      type: 'Failed',
      status: 'True',
      reason: 'SignerValidationFailure',
      message: 'x',
      lastUpdateTime: NOW_TIME,
      lastTransitionTime: NOW_TIME,
    });
    assert.deepEqual(obj.status?.conditions?.[0], approved);
  });

  const refused: {
    name: string;
    old: () => CertificateSigningRequest;
    edit: (c: CertificateSigningRequest) => void;
    detail: string;
  }[] = [
    {
      name: 'adding Approved',
      old: () => stored(),
      edit: (c) => c.status!.conditions!.push({ type: 'Approved', status: 'True' }),
      detail: 'updates may not add a condition of type "Approved"',
    },
    {
      name: 'adding Denied',
      old: () => stored(),
      edit: (c) => c.status!.conditions!.push({ type: 'Denied', status: 'True' }),
      detail: 'updates may not add a condition of type "Denied"',
    },
    {
      name: 'removing Approved',
      old: () => stored([approved]),
      edit: (c) => {
        c.status!.conditions = [];
      },
      detail: 'updates may not remove a condition of type "Approved"',
    },
    {
      name: 'removing Failed',
      old: () => stored([approved, { type: 'Failed', status: 'True', lastUpdateTime: T0, lastTransitionTime: T0 }]),
      edit: (c) => {
        c.status!.conditions = [approved];
      },
      detail: 'updates may not remove a condition of type "Failed"',
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}`, () => {
      assert.deepEqual(viaSub(csrStatusStrategy, c.old(), c.edit).errs, [
        { type: 'Forbidden', field: 'status.conditions', detail: c.detail },
      ]);
    });
  }

  it('puts back an edited Approved condition instead of accepting it', () => {
    const { obj, errs } = viaSub(csrStatusStrategy, stored([approved]), (c) => {
      c.status!.conditions![0]!.reason = 'Forged';
    });
    assert.deepEqual(errs, []);
    assert.deepEqual(obj.status?.conditions, [approved]);
  });
});

describe('/approval', () => {
  it('adds Approved with timestamps, restoring spec and certificate', () => {
    const old = stored();
    const { obj, errs } = viaSub(csrApprovalStrategy, old, (c) => {
      c.status!.conditions!.push({
        type: 'Approved',
        status: 'True',
        reason: 'KubectlApprove',
        message: 'This CSR was approved by kubectl certificate approve.',
      });
      c.status!.certificate = b64(m.cert);
      c.spec.signerName = 'example.com/x';
    });
    assert.deepEqual(errs, []);
    assert.deepEqual(obj.spec, old.spec);
    assert.equal(obj.status?.certificate, undefined);
    assert.equal(obj.status?.conditions?.[0]?.lastUpdateTime, NOW_TIME);
    assert.equal(obj.status?.conditions?.[0]?.lastTransitionTime, NOW_TIME);
  });

  it('keeps lastTransitionTime of an unchanged condition and a client lastUpdateTime', () => {
    const old = stored([approved]);
    const { obj, errs } = viaSub(csrApprovalStrategy, old, (c) => {
      c.status!.conditions = [
        { type: 'Approved', status: 'True', reason: 'Again', lastUpdateTime: '2024-07-01T00:00:00Z' },
      ];
    });
    assert.deepEqual(errs, []);
    assert.equal(obj.status?.conditions?.[0]?.lastTransitionTime, T0);
    assert.equal(obj.status?.conditions?.[0]?.lastUpdateTime, '2024-07-01T00:00:00Z');
  });

  it('refuses Denied next to Approved', () => {
    const { errs } = viaSub(csrApprovalStrategy, stored([approved]), (c) => {
      c.status!.conditions!.push({ type: 'Denied', status: 'True' });
    });
    assert.deepEqual(errs, [
      {
        type: 'Invalid',
        field: 'status.conditions[1].type',
        detail: 'Approved and Denied conditions are mutually exclusive',
      },
    ]);
  });

  it('refuses removing Approved', () => {
    const { errs } = viaSub(csrApprovalStrategy, stored([approved]), (c) => {
      c.status!.conditions = [];
    });
    assert.deepEqual(errs, [
      {
        type: 'Forbidden',
        field: 'status.conditions',
        detail: 'updates may not remove a condition of type "Approved"',
      },
    ]);
  });

  it('keeps an issued certificate the client tried to drop', () => {
    const old = stored([approved], b64(m.cert));
    const { obj, errs } = viaSub(csrApprovalStrategy, old, (c) => {
      delete c.status!.certificate;
    });
    assert.deepEqual(errs, []);
    assert.equal(obj.status?.certificate, b64(m.cert));
  });
});
