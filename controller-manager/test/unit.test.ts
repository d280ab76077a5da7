// Pure parts of the controller-manager: the work queue, --controllers, the signer rules and the
// serving policy, signing durations, the cleaner's thresholds, the cluster-info JWS.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CertificateSigningRequest, Node } from '@mkube/shared/api';
import { computeDetachedSignature, detachedTokenIsValid } from '@mkube/shared/bootstraptoken';
import { kubeletClientProblem, kubeletServingProblem, signerProblem } from '@mkube/shared/certificates';
import type { ParsedCsr } from '@mkube/shared/pki';
import { ItemExponentialRateLimiter, RUNNING_QUEUES, runWorkers, WorkQueue } from '@mkube/shared/workqueue';
import { cleanupReason } from '../src/certificates/cleaner.ts';
import { cidrBlockList, evaluateServingCsr } from '../src/certificates/servingapprover.ts';
import { durationFor } from '../src/certificates/signer.ts';
import { enabledControllers } from '../src/options/controllers.ts';

const req = (over: Partial<ParsedCsr> = {}): ParsedCsr =>
  ({
    subject: { commonName: 'system:node:n1', organizations: ['system:nodes'], organizationalUnits: [] },
    dnsNames: [],
    ipAddresses: [],
    emailAddresses: [],
    uris: [],
    ...over,
  }) as ParsedCsr;

describe('work queue', () => {
  it('queues a key once, never hands it to two workers, and requeues one re-added while processing', async () => {
    const q = new WorkQueue('t');
    q.add('a');
    q.add('a');
    assert.equal(q.length, 1);
    const k = await q.get();
    assert.equal(k, 'a');
    q.add('a'); // while processing: not handed out again yet
    assert.equal(q.length, 0);
    q.done('a');
    assert.equal(q.length, 1);
    q.shutDown();
  });

  it('retries failures with growing delays and stops on shutdown', async () => {
    // The delays asked of the limiter are checked exactly and the time waited only as a lower
    // bound: a busy machine runs timers late, never early.
    const asked: number[] = [];
    class RecordingLimiter extends ItemExponentialRateLimiter {
      override when(key: string): number {
        const d = super.when(key);
        asked.push(d);
        return d;
      }
    }
    const limiter = new RecordingLimiter();
    const q = new WorkQueue('t', limiter);
    const calls: number[] = [];
    let n = 0;
    q.add('k');
    const done = runWorkers(q, 2, async () => {
      calls.push(performance.now());
      assert.ok(RUNNING_QUEUES.has(q), 'listed while workers drain it');
      if (++n < 4) throw new Error('transient');
      q.shutDown();
    });
    await done;
    assert.equal(n, 4);
    // The default limiter starts at 5 ms and doubles (the certificate controllers use 200 ms).
    assert.deepEqual(asked, [5, 10, 20]);
    // Timers count from the event loop's cached clock, which may be a little behind the first call.
    const waited = calls[3]! - calls[0]!;
    assert.ok(waited >= 35 - 5, `the three retries waited ${waited} ms in all, asked 35`);
    assert.equal(limiter.numRequeues('k'), 0, 'success forgets the failures');
    // What /metrics reports: one add and three retries, each retry an add again; gone once shut down.
    assert.deepEqual([q.adds, q.retries], [4, 3]);
    assert.ok(!RUNNING_QUEUES.has(q));
  });

  it('addAfter keeps the earliest time and shutdown clears pending timers', async () => {
    const q = new WorkQueue('t');
    q.addAfter('x', 50);
    q.addAfter('x', 5000);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(q.length, 1);
    q.addAfter('y', 60_000);
    q.shutDown();
    assert.equal(await q.get(), 'x');
    assert.equal(await q.get(), undefined);
  });
});

describe('--controllers', () => {
  it('follows upstream: * is the default set, names and aliases enable, -name disables', () => {
    const def = enabledControllers(['*']).enabled;
    assert.ok(def.has('certificatesigningrequest-signing-controller'));
    assert.ok(!def.has('bootstrap-signer-controller'));
    assert.ok(!def.has('token-cleaner-controller'));
    const more = enabledControllers(['*', 'bootstrapsigner', 'tokencleaner', '-csrcleaner']).enabled;
    assert.ok(more.has('bootstrap-signer-controller') && more.has('token-cleaner-controller'));
    assert.ok(!more.has('certificatesigningrequest-cleaner-controller'));
    assert.deepEqual([...enabledControllers(['csrsigning']).enabled], ['certificatesigningrequest-signing-controller']);
    assert.deepEqual(enabledControllers(['*', 'nope']).problems, ['"nope" is not in the list of known controllers']);
  });
});

describe('signer rules (upstream messages)', () => {
  const client = ['digital signature', 'client auth'];
  it('kubelet client', () => {
    assert.equal(kubeletClientProblem(req(), client), undefined);
    assert.equal(kubeletClientProblem(req(), ['key encipherment', 'digital signature', 'client auth']), undefined);
    assert.equal(
      kubeletClientProblem(
        req({ subject: { commonName: 'system:node:n1', organizations: ['system:masters'] } as never }),
        client,
      ),
      'subject organization is not system:nodes',
    );
    assert.equal(
      kubeletClientProblem(req({ subject: { commonName: 'n1', organizations: ['system:nodes'] } as never }), client),
      'subject common name does not begin with system:node:',
    );
    assert.equal(kubeletClientProblem(req({ dnsNames: ['n1'] }), client), 'DNS subjectAltNames are not allowed');
    assert.equal(
      kubeletClientProblem(req({ ipAddresses: ['10.0.0.1'] }), client),
      'IP subjectAltNames are not allowed',
    );
    assert.equal(
      kubeletClientProblem(req(), ['digital signature', 'client auth', 'server auth']),
      'usages did not match [client auth digital signature key encipherment]',
    );
  });
  it('kubelet serving and kube-apiserver-client', () => {
    assert.equal(
      kubeletServingProblem(req(), ['digital signature', 'server auth']),
      'DNS or IP subjectAltName is required',
    );
    assert.equal(
      kubeletServingProblem(req({ uris: ['spiffe://x'], dnsNames: ['n1'] }), ['digital signature', 'server auth']),
      'URI subjectAltNames are not allowed',
    );
    assert.equal(
      kubeletServingProblem(req({ dnsNames: ['n1'] }), ['server auth']),
      'usages did not match [digital signature key encipherment server auth]',
    );
    assert.equal(
      signerProblem('kubernetes.io/kube-apiserver-client', req(), ['client auth', 'code signing']),
      'invalid usage for client certificate: code signing',
    );
    assert.equal(
      signerProblem('kubernetes.io/kube-apiserver-client', req(), ['digital signature']),
      'missing required usage for client certificate: client auth',
    );
    assert.equal(signerProblem('example.com/other', req(), []), undefined);
  });
});

describe('kubelet-serving policy', () => {
  const csr = (over: Partial<CertificateSigningRequest['spec']> = {}): CertificateSigningRequest => ({
    metadata: { name: 'c' },
    spec: {
      request: '',
      signerName: 'kubernetes.io/kubelet-serving',
      username: 'system:node:n1',
      groups: ['system:nodes', 'system:authenticated'],
      usages: ['digital signature', 'key encipherment', 'server auth'],
      ...over,
    },
  });
  const node: Node = {
    metadata: { name: 'n1' },
    status: {
      addresses: [
        { type: 'InternalIP', address: '10.0.0.5' },
        { type: 'InternalIP', address: 'fd00::0005' },
      ],
    },
  };
  const opts = { maxExpirationSeconds: 86_400 };
  const verdict = (c: CertificateSigningRequest, r: ParsedCsr, n: Node | undefined = node, o: object = opts) =>
    evaluateServingCsr(c, r, n, o as never);

  it('approves the node its own names and addresses (IPv6 in any spelling)', () => {
    const v = verdict(csr(), req({ dnsNames: ['n1', 'n1.cluster.local'], ipAddresses: ['10.0.0.5', 'fd00::5'] }));
    assert.equal(v.approve, true);
  });
  it('names the failing rule', () => {
    const cases: [string, CertificateSigningRequest, ParsedCsr, Node | undefined, object?][] = [
      [
        'RequesterNotNode',
        csr({ username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers'] }),
        req({ dnsNames: ['n1'] }),
        node,
      ],
      ['CommonNameMismatch', csr({ username: 'system:node:n2' }), req({ dnsNames: ['n2'] }), node],
      [
        'OrganizationNotNodes',
        csr(),
        req({ subject: { commonName: 'system:node:n1', organizations: [] } as never, dnsNames: ['n1'] }),
        node,
      ],
      ['UsagesNotAllowed', csr({ usages: ['server auth'] }), req({ dnsNames: ['n1'] }), node],
      ['NoSubjectAltNames', csr(), req(), node],
      ['SubjectAltNameTypeNotAllowed', csr(), req({ dnsNames: ['n1'], emailAddresses: ['a@b'] }), node],
      ['DNSNameNotOwnedByNode', csr(), req({ dnsNames: ['n10'] }), node],
      ['ExpirationTooLong', csr({ expirationSeconds: 86_401 }), req({ dnsNames: ['n1'] }), node],
      ['NodeNotFound', csr(), req({ ipAddresses: ['10.0.0.5'] }), undefined],
      ['IPAddressNotOwnedByNode', csr(), req({ ipAddresses: ['10.0.0.6'] }), node],
      [
        'IPAddressOutsideAllowedCIDRs',
        csr(),
        req({ ipAddresses: ['10.0.0.5'] }),
        node,
        { ...opts, allowed: cidrBlockList(['192.168.0.0/16']) },
      ],
    ];
    for (const [reason, c, r, n, o] of cases) {
      const v = evaluateServingCsr(c, r, n, (o ?? opts) as never);
      assert.equal(v.approve, false, reason);
      assert.equal(v.reason, reason, v.message);
      assert.ok(v.message.length > 10);
    }
  });
  it('refuses a malformed CIDR', () => {
    assert.throws(() => cidrBlockList(['10.0.0.0/40']), /invalid CIDR/);
    assert.throws(() => cidrBlockList(['nope']), /invalid CIDR/);
  });
});

describe('signing duration', () => {
  const c = (exp?: number) =>
    ({ spec: { request: '', signerName: 's', expirationSeconds: exp } }) as CertificateSigningRequest;
  it('uses the configured duration, the shorter requested one, never under 10 minutes', () => {
    const year = 8760 * 3600_000;
    assert.equal(durationFor(c(), year), year);
    assert.equal(durationFor(c(3600), year), 3600_000);
    assert.equal(durationFor(c(60), year), 600_000);
    assert.equal(durationFor(c(10 * year), year), year);
  });
});

describe('csr cleaner thresholds', () => {
  const now = Date.parse('2030-01-01T12:00:00Z');
  const at = (msAgo: number) => new Date(now - msAgo).toISOString().replace(/\.\d+Z$/, 'Z');
  const csr = (conds: object[], created = at(0), cert?: string) =>
    ({
      metadata: { name: 'c', creationTimestamp: created },
      spec: { request: '', signerName: 's' },
      status: { conditions: conds, ...(cert ? { certificate: cert } : {}) },
    }) as CertificateSigningRequest;
  it('follows upstream: decided 1 h, pending 24 h, zero times never old', () => {
    const hour = 3600_000;
    assert.equal(
      cleanupReason(csr([{ type: 'Denied', status: 'True', lastUpdateTime: at(hour + 1000) }]), now),
      'denied',
    );
    assert.equal(
      cleanupReason(csr([{ type: 'Denied', status: 'True', lastUpdateTime: at(hour - 1000) }]), now),
      undefined,
    );
    assert.equal(cleanupReason(csr([{ type: 'Failed', status: 'True', lastUpdateTime: at(2 * hour) }]), now), 'failed');
    assert.equal(cleanupReason(csr([{ type: 'Denied', status: 'True' }]), now), undefined);
    assert.equal(cleanupReason(csr([], at(25 * hour)), now), 'pending');
    assert.equal(cleanupReason(csr([], at(23 * hour)), now), undefined);
    // Approved but never issued matches no rule.
    assert.equal(
      cleanupReason(csr([{ type: 'Approved', status: 'True', lastUpdateTime: at(2 * hour) }]), now),
      undefined,
    );
    assert.equal(
      cleanupReason(csr([{ type: 'Approved', status: 'True', lastUpdateTime: at(2 * hour) }], at(0), 'eA=='), now),
      'approved and issued',
    );
  });
});

describe('cluster-info JWS', () => {
  it("has upstream's protected header and verifies only with the right secret and content", async () => {
    const sig = await computeDetachedSignature('content', '07401b', 'f395accd246ae52d');
    // The docs' example header for token id 07401b.
    assert.equal(sig.split('.')[0], 'eyJhbGciOiJIUzI1NiIsImtpZCI6IjA3NDAxYiJ9');
    assert.equal(sig.split('.')[1], '');
    assert.ok(await detachedTokenIsValid(sig, 'content', '07401b', 'f395accd246ae52d'));
    assert.ok(!(await detachedTokenIsValid(sig, 'content!', '07401b', 'f395accd246ae52d')));
    assert.ok(!(await detachedTokenIsValid(sig, 'content', '07401b', 'f395accd246ae52e')));
  });
});
