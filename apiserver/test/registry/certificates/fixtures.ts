// Real CSRs and certificates made by the openssl binary in a temp dir, plus object builders.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertificateSigningRequest, KeyUsage } from '@mkube/shared/api';
import type { FieldError } from '@mkube/shared/apierrors';
import type { StrategyContext } from '../../../src/registry/strategy.js';

export interface Material {
  /** PEM text of a valid EC P-256 CSR for system:node:n1. */
  readonly ecCsr: string;
  /** The same CSR with one byte of the subject changed: parses, signature does not verify. */
  readonly ecCsrTampered: string;
  readonly rsaCsrTampered: string;
  /** A self-signed certificate, PEM. */
  readonly cert: string;
  cleanup(): void;
}

const SUBJECT = '/O=system:nodes/CN=system:node:n1';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 10_000 });
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
}

function pemOf(type: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/** Changes the CN's last character inside the signed CertificationRequestInfo. */
export function tamper(csrPem: string): string {
  const der = derOf(csrPem);
  const at = der.indexOf(Buffer.from('system:node:n1'));
  if (at < 0) throw new Error('CN not found in CSR');
  der[at + 'system:node:n'.length] = '2'.charCodeAt(0);
  return pemOf('CERTIFICATE REQUEST', der);
}

export function makeMaterial(): Material {
  const dir = mkdtempSync(join(tmpdir(), 'mkube-csr-test-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  openssl(dir, ['req', '-new', ...ec, '-nodes', '-subj', SUBJECT, '-keyout', 'ec.key', '-out', 'ec.csr']);
  openssl(dir, [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    SUBJECT,
    '-keyout',
    'rsa.key',
    '-out',
    'rsa.csr',
  ]);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    ...ec,
    '-nodes',
    '-subj',
    '/CN=ca',
    '-days',
    '1',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  ]);
  const ecCsr = readFileSync(join(dir, 'ec.csr'), 'utf8');
  return {
    ecCsr,
    ecCsrTampered: tamper(ecCsr),
    rsaCsrTampered: tamper(readFileSync(join(dir, 'rsa.csr'), 'utf8')),
    cert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

export const NOW = new Date('2025-01-02T03:04:05.678Z');
export const NOW_TIME = '2025-01-02T03:04:05Z';

export function ctx(now: Date = NOW): StrategyContext {
  return {
    now,
    user: {
      username: 'system:node:n1',
      uid: 'u-1',
      groups: ['system:nodes', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': ['X509SHA256=ab'] },
    },
  };
}

export function csrObject(
  request: string,
  over: Partial<CertificateSigningRequest['spec']> = {},
): CertificateSigningRequest {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'csr-1' },
    spec: {
      request: b64(request),
      signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: ['digital signature', 'client auth'] as KeyUsage[],
      ...over,
    },
    status: { conditions: [] },
  };
}

/** The parts of a field error a client sees, for exact comparison. */
export function shape(errs: readonly FieldError[]): { type: string; field: string; detail?: string }[] {
  return errs.map((e) =>
    e.detail === undefined ? { type: e.type, field: e.field } : { type: e.type, field: e.field, detail: e.detail },
  );
}
