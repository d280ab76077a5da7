// client-go's csr.RequestCertificate + WaitForCertificate: create a CSR (server-generated `csr-…`
// name), then list+watch it by name until it carries a certificate. Denied, Failed or deleted ends
// the wait with an error that says so; a watch that breaks is resumed from the last resourceVersion.
import type { CertificateSigningRequest } from '@mkube/shared/api';
import { isGone } from '@mkube/shared/apierrors';
import { findCondition } from '@mkube/shared/certificates';
import { type KubeClient, sleep } from '@mkube/shared/client';
import { createCsrPem, type KeyPair, type KeyUsageName, type Subject, type SubjectAltNames } from '@mkube/shared/pki';

export interface CertificateRequest {
  readonly subject: Subject;
  readonly sans?: SubjectAltNames;
  readonly signerName: string;
  readonly usages: readonly KeyUsageName[];
  readonly expirationSeconds?: number;
}

export class CertificateRequestError extends Error {
  override readonly name = 'CertificateRequestError';
  constructor(
    readonly csrName: string,
    readonly reason: 'Denied' | 'Failed' | 'Deleted' | 'ChangedUID' | 'Timeout',
    message: string,
  ) {
    super(message);
  }
}

const CSRS = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;

/** Posts a CSR for `key` and returns the created object (its name is server-generated). */
export async function createCertificateRequest(
  client: KubeClient,
  key: KeyPair,
  req: CertificateRequest,
): Promise<CertificateSigningRequest> {
  const pem = await createCsrPem(key, req.subject, req.sans ?? {});
  return client.resource<CertificateSigningRequest>(CSRS).create({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'csr-' },
    spec: {
      request: Buffer.from(pem).toString('base64'),
      signerName: req.signerName,
      usages: [...req.usages],
      ...(req.expirationSeconds ? { expirationSeconds: req.expirationSeconds } : {}),
    },
  } as CertificateSigningRequest);
}

/** The certificate PEM, or undefined while pending; throws once the CSR can never be issued. */
function verdict(csr: CertificateSigningRequest, uid: string | undefined): string | undefined {
  const name = csr.metadata?.name ?? '';
  if (uid && csr.metadata?.uid !== uid)
    throw new CertificateRequestError(name, 'ChangedUID', `certificate signing request ${name} changed UIDs`);
  const denied = findCondition(csr, 'Denied');
  if (denied)
    throw new CertificateRequestError(
      name,
      'Denied',
      `certificate signing request ${name} is denied, reason: ${denied.reason ?? ''}, message: ${denied.message ?? ''}`,
    );
  const failed = findCondition(csr, 'Failed');
  if (failed)
    throw new CertificateRequestError(
      name,
      'Failed',
      `certificate signing request ${name} failed, reason: ${failed.reason ?? ''}, message: ${failed.message ?? ''}`,
    );
  const cert = csr.status?.certificate;
  if (cert && findCondition(csr, 'Approved')) return Buffer.from(cert, 'base64').toString('utf8');
  return undefined;
}

/** Waits for `created` to be issued; resolves the PEM chain. Aborting the signal ends the wait. */
export async function waitForCertificate(
  client: KubeClient,
  created: CertificateSigningRequest,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string> {
  const name = created.metadata!.name!;
  const uid = created.metadata?.uid;
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  const csrs = client.resource<CertificateSigningRequest>(CSRS);
  const fieldSelector = `metadata.name=${name}`;
  let rv: string | undefined;
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    if (Date.now() > deadline)
      throw new CertificateRequestError(name, 'Timeout', `timed out waiting for certificate signing request ${name}`);
    try {
      if (rv === undefined) {
        const list = await csrs.list({ fieldSelector, signal: opts.signal });
        const item = list.items[0];
        if (!item)
          throw new CertificateRequestError(name, 'Deleted', `certificate signing request ${name} was deleted`);
        const pem = verdict(item, uid);
        if (pem) return pem;
        rv = list.metadata?.resourceVersion;
      }
      const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      const w = await csrs.watch({ fieldSelector, resourceVersion: rv, timeoutSeconds: left, signal: opts.signal });
      try {
        for await (const ev of w) {
          if (ev.type === 'BOOKMARK') {
            rv = ev.object.metadata?.resourceVersion ?? rv;
            continue;
          }
          if (ev.type === 'DELETED')
            throw new CertificateRequestError(name, 'Deleted', `certificate signing request ${name} was deleted`);
          rv = ev.object.metadata?.resourceVersion ?? rv;
          const pem = verdict(ev.object, uid);
          if (pem) return pem;
        }
      } finally {
        w.close();
      }
    } catch (e) {
      if (e instanceof CertificateRequestError) throw e;
      if (opts.signal?.aborted) throw opts.signal.reason ?? e;
      // 410: our resourceVersion is compacted; list again. Anything else: the apiserver is away.
      if (isGone(e)) rv = undefined;
      else await sleep(1000, opts.signal ?? new AbortController().signal);
    }
  }
}
