// CSR create: server-owned fields and every validation rule, each asserting the exact field error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CertificateSigningRequest, CertificateSigningRequestCondition, KeyUsage } from '@mkube/shared/api';
import { formatFieldError } from '@mkube/shared/apierrors';
import { csrStrategy } from '../../../src/registry/certificates/index.js';
import { b64, csrObject, ctx, type Material, makeMaterial, shape } from './fixtures.js';

let m: Material;
before(() => {
  m = makeMaterial();
});
after(() => m.cleanup());

const validate = async (csr: CertificateSigningRequest) => shape(await csrStrategy.validate(csr, ctx()));
const withConditions = (csr: CertificateSigningRequest, conditions: CertificateSigningRequestCondition[]) => {
  csr.status = { conditions };
  return csr;
};
const RFC1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const RFC1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('csrStrategy.prepareForCreate', () => {
  it('replaces client-claimed identity with the requester and empties status', () => {
    const csr = csrObject(m.ecCsr, { username: 'admin', uid: 'x', groups: ['system:masters'], extra: { a: ['b'] } });
    csr.status = {
      conditions: [{ type: 'Approved', status: 'True', reason: 'Self' }],
      certificate: b64(m.cert),
    };
    csrStrategy.prepareForCreate(csr, ctx());
    assert.equal(csr.spec.username, 'system:node:n1');
    assert.equal(csr.spec.uid, 'u-1');
    assert.deepEqual(csr.spec.groups, ['system:nodes', 'system:authenticated']);
    assert.deepEqual(csr.spec.extra, { 'authentication.kubernetes.io/credential-id': ['X509SHA256=ab'] });
    assert.deepEqual(csr.status, {});
  });

  it('leaves uid and extra unset when the requester has none', () => {
    const csr = csrObject(m.ecCsr, { uid: 'forged', extra: { a: ['b'] } });
    csrStrategy.prepareForCreate(csr, { now: new Date(), user: { username: 'alice', groups: [] } });
    assert.equal(csr.spec.username, 'alice');
    assert.equal('uid' in csr.spec, false);
    assert.equal('extra' in csr.spec, false);
    assert.deepEqual(csr.spec.groups, []);
  });
});

describe('csrStrategy.validate: spec.request', () => {
  const cases: { name: string; request: () => string; detail: string | null }[] = [
    { name: 'a valid EC CSR', request: () => b64(m.ecCsr), detail: null },
    { name: 'empty', request: () => '', detail: 'PEM block type must be CERTIFICATE REQUEST' },
    { name: 'a certificate instead', request: () => b64(m.cert), detail: 'PEM block type must be CERTIFICATE REQUEST' },
    { name: 'a tampered EC CSR', request: () => b64(m.ecCsrTampered), detail: 'x509: ECDSA verification failure' },
    { name: 'a tampered RSA CSR', request: () => b64(m.rsaCsrTampered), detail: 'crypto/rsa: verification error' },
    {
      name: 'garbage DER',
      request: () => b64('-----BEGIN CERTIFICATE REQUEST-----\nAAECAwQF\n-----END CERTIFICATE REQUEST-----\n'),
      detail: 'x509: malformed certificate request',
    },
    { name: 'not base64', request: () => 'LS0t*', detail: 'illegal base64 data at input byte 4' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const csr = csrObject('');
      csr.spec.request = c.request();
      const expected = c.detail ? [{ type: 'Invalid', field: 'spec.request', detail: c.detail }] : [];
      assert.deepEqual(await validate(csr), expected);
    });
  }

  it('reports the request as sent', async () => {
    const csr = csrObject(m.ecCsrTampered);
    assert.equal((await csrStrategy.validate(csr, ctx()))[0]?.badValue, csr.spec.request);
  });
});

describe('csrStrategy.validate: spec.signerName', () => {
  const long63 = 'a'.repeat(63);
  const cases: { signer: string; errs: ReturnType<typeof shape> }[] = [
    { signer: 'kubernetes.io/kube-apiserver-client', errs: [] },
    { signer: 'example.com/team.signer-1', errs: [] },
    { signer: '', errs: [{ type: 'Required', field: 'spec.signerName' }] },
    {
      signer: 'kubernetes.io/legacy-unknown',
      errs: [
        {
          type: 'Invalid',
          field: 'spec.signerName',
          detail: 'the legacy signerName is not allowed via this API version',
        },
      ],
    },
    {
      signer: 'example.com',
      errs: [
        {
          type: 'Invalid',
          field: 'spec.signerName',
          detail: "must be a fully qualified domain and path of the form 'example.com/signer-name'",
        },
      ],
    },
    {
      signer: 'example.com/a/b',
      errs: [
        {
          type: 'Invalid',
          field: 'spec.signerName',
          detail: "must be a fully qualified domain and path of the form 'example.com/signer-name'",
        },
      ],
    },
    {
      signer: 'example/signer',
      errs: [
        {
          type: 'Invalid',
          field: 'spec.signerName',
          detail: 'should be a domain with at least two segments separated by dots',
        },
      ],
    },
    {
      signer: 'Example.com/signer',
      errs: [{ type: 'Invalid', field: 'spec.signerName', detail: `validating label "Example": ${RFC1123_LABEL}` }],
    },
    {
      signer: 'example.com/Bad_Path',
      errs: [
        { type: 'Invalid', field: 'spec.signerName', detail: `validating label "Bad_Path": ${RFC1123_SUBDOMAIN}` },
      ],
    },
    {
      signer: `${[long63, long63, long63, long63].join('.')}/s`,
      errs: [{ type: 'TooLong', field: 'spec.signerName', detail: 'may not be more than 253 bytes' }],
    },
    {
      signer: `example.com/${Array(10).fill(long63).join('.')}`,
      errs: [{ type: 'TooLong', field: 'spec.signerName', detail: 'may not be more than 571 bytes' }],
    },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.signer.length > 40 ? `${c.signer.slice(0, 40)}…` : c.signer), async () => {
      assert.deepEqual(await validate(csrObject(m.ecCsr, { signerName: c.signer })), c.errs);
    });
  }

  it('names the offending segment as the bad value', async () => {
    const [e] = await csrStrategy.validate(csrObject(m.ecCsr, { signerName: 'example/signer' }), ctx());
    assert.equal(e?.badValue, 'example');
  });
});

describe('csrStrategy.validate: expirationSeconds and usages', () => {
  it('refuses less than 600 seconds with Kubernetes wording', async () => {
    const errs = await csrStrategy.validate(csrObject(m.ecCsr, { expirationSeconds: 599 }), ctx());
    assert.deepEqual(errs.map(formatFieldError), [
      'spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)',
    ]);
    assert.deepEqual(await validate(csrObject(m.ecCsr, { expirationSeconds: 600 })), []);
  });

  const sorted = [
    'any',
    'cert sign',
    'client auth',
    'code signing',
    'content commitment',
    'crl sign',
    'data encipherment',
    'decipher only',
    'digital signature',
    'email protection',
    'encipher only',
    'ipsec end system',
    'ipsec tunnel',
    'ipsec user',
    'key agreement',
    'key encipherment',
    'microsoft sgc',
    'netscape sgc',
    'ocsp signing',
    's/mime',
    'server auth',
    'signing',
    'timestamping',
  ];
  const cases: { name: string; usages: string[] | undefined; errs: ReturnType<typeof shape> }[] = [
    { name: 'missing', usages: undefined, errs: [{ type: 'Required', field: 'spec.usages' }] },
    { name: 'empty', usages: [], errs: [{ type: 'Required', field: 'spec.usages' }] },
    {
      name: 'unknown',
      usages: ['client auth', 'mind control'],
      errs: [
        {
          type: 'NotSupported',
          field: 'spec.usages[1]',
          detail: `supported values: ${sorted.map((s) => `"${s}"`).join(', ')}`,
        },
      ],
    },
    {
      name: 'duplicate',
      usages: ['client auth', 'digital signature', 'client auth'],
      errs: [{ type: 'Duplicate', field: 'spec.usages[2]' }],
    },
  ];
  for (const c of cases) {
    it(`usages ${c.name}`, async () => {
      const csr = csrObject(m.ecCsr);
      if (c.usages === undefined) delete csr.spec.usages;
      else csr.spec.usages = c.usages as KeyUsage[];
      assert.deepEqual(await validate(csr), c.errs);
    });
  }
});

describe('csrStrategy.validate: status.conditions', () => {
  const cases: { name: string; conditions: CertificateSigningRequestCondition[]; errs: ReturnType<typeof shape> }[] = [
    {
      name: 'Approved True and a custom False are fine',
      conditions: [
        { type: 'Approved', status: 'True' },
        { type: 'Custom', status: 'False' },
      ],
      errs: [],
    },
    {
      name: 'empty type',
      conditions: [{ type: '', status: 'True' }],
      errs: [{ type: 'Required', field: 'status.conditions[0].type' }],
    },
    {
      name: 'empty status',
      conditions: [{ type: 'Failed', status: '' as 'True' }],
      errs: [{ type: 'Required', field: 'status.conditions[0].status' }],
    },
    {
      name: 'Approved False',
      conditions: [{ type: 'Approved', status: 'False' }],
      errs: [{ type: 'NotSupported', field: 'status.conditions[0].status', detail: 'supported values: "True"' }],
    },
    {
      name: 'Failed Unknown',
      conditions: [{ type: 'Failed', status: 'Unknown' }],
      errs: [{ type: 'NotSupported', field: 'status.conditions[0].status', detail: 'supported values: "True"' }],
    },
    {
      name: 'custom type with a bad status',
      conditions: [{ type: 'Custom', status: 'Maybe' as 'True' }],
      errs: [
        {
          type: 'NotSupported',
          field: 'status.conditions[0].status',
          detail: 'supported values: "False", "True", "Unknown"',
        },
      ],
    },
    {
      name: 'Approved and Denied',
      conditions: [
        { type: 'Approved', status: 'True' },
        { type: 'Denied', status: 'True' },
      ],
      errs: [
        {
          type: 'Invalid',
          field: 'status.conditions[1].type',
          detail: 'Approved and Denied conditions are mutually exclusive',
        },
      ],
    },
    {
      name: 'duplicate types',
      conditions: [
        { type: 'Failed', status: 'True' },
        { type: 'Failed', status: 'True' },
      ],
      errs: [{ type: 'Duplicate', field: 'status.conditions[1].type' }],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.deepEqual(await validate(withConditions(csrObject(m.ecCsr), c.conditions)), c.errs);
    });
  }
});

describe('csrStrategy.validate: status.certificate', () => {
  const header = (pem: string) => pem.replace(/(-----BEGIN CERTIFICATE-----\n)/, '$1Proc-Type: 4,ENCRYPTED\n\n');
  const cases: { name: string; cert: () => string; detail: string | null }[] = [
    { name: 'empty', cert: () => '', detail: null },
    { name: 'one certificate', cert: () => b64(m.cert), detail: null },
    { name: 'a chain of two', cert: () => b64(m.cert + m.cert), detail: null },
    { name: 'no PEM at all', cert: () => b64('hello'), detail: 'must contain at least one CERTIFICATE PEM block' },
    {
      name: 'a CSR block',
      cert: () => b64(m.ecCsr),
      detail: 'only CERTIFICATE PEM blocks are allowed, found "CERTIFICATE REQUEST"',
    },
    { name: 'PEM headers', cert: () => b64(header(m.cert)), detail: 'no PEM block headers are permitted' },
    {
      name: 'not X.509',
      cert: () => b64('-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n'),
      detail: 'x509: malformed certificate',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const csr = csrObject(m.ecCsr);
      csr.status = { conditions: [], certificate: c.cert() };
      const expected = c.detail ? [{ type: 'Invalid', field: 'status.certificate', detail: c.detail }] : [];
      assert.deepEqual(await validate(csr), expected);
      if (c.detail) assert.equal((await csrStrategy.validate(csr, ctx()))[0]?.badValue, '<certificate data>');
    });
  }
});

describe('csrStrategy.selectableFields', () => {
  it('offers spec.signerName', () => {
    assert.deepEqual(csrStrategy.selectableFields?.(csrObject(m.ecCsr)), {
      'spec.signerName': 'kubernetes.io/kube-apiserver-client-kubelet',
    });
  });
});
