// countCSRDurationMetric (pkg/registry/certificates/certificates/storage/metrics.go): when /status
// first sets a certificate on a CSR that asked for spec.expirationSeconds, count it for its signer
// and, when the issued certificate's lifetime is within the allowance, count it as honoured too. Only
// writes that were persisted count: not dry runs, not failed ones.
import type { CertificateSigningRequest } from '@mkube/shared/api';
import type { FinishFunc, RegistryHooks } from '../strategy.js';
import { decodeStdBase64 } from './bytes.js';
import { firstCertificate } from './certificate.js';

type CSR = CertificateSigningRequest;

export interface CsrDurationMetrics {
  recordCsrDuration(signerName: string, requestedSeconds: number, issuedSeconds: number | undefined): void;
}

const nothing: FinishFunc = async () => {};

/** The first certificate's lifetime in seconds, or undefined when it does not parse (only the count of requests is kept). */
function issuedLifetime(certificate: string): number | undefined {
  const decoded = decodeStdBase64(certificate);
  const cert = decoded.ok ? firstCertificate(decoded.bytes) : undefined;
  return cert && (cert.notAfter.getTime() - cert.notBefore.getTime()) / 1000;
}

export function csrDurationHooks(metrics: CsrDurationMetrics): RegistryHooks<CSR> {
  return {
    async beginSubresourceUpdate(subresource, obj, old, dryRun) {
      if (subresource !== 'status' || dryRun) return nothing;
      // Counted once: when this write is the one that issues the certificate.
      if (old.status?.certificate) return nothing;
      const requested = old.spec?.expirationSeconds;
      if (requested === undefined || requested === null) return nothing;
      const issued = obj.status?.certificate;
      if (!issued) return nothing;
      return async (ok) => {
        if (ok) metrics.recordCsrDuration(old.spec.signerName, requested, issuedLifetime(issued));
      };
    },
  };
}
