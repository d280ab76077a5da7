// A CSR's request never changes (spec is immutable), yet the approver, the serving approver and the
// signer each need it parsed and its signature verified. Parse once per CSR (by UID and request),
// keep a bounded number, and let every controller share the result.
import type { CertificateSigningRequest } from '@mkube/shared/api';
import { requestPemOf } from '@mkube/shared/certificates';
import { type ParsedCsr, parseCsrPem } from '@mkube/shared/pki';

const MAX = 4096;

export class ParsedCsrCache {
  readonly #items = new Map<string, { request: string; parsed: ParsedCsr }>();

  /** The parsed, signature-checked request; throws what parseCsrPem throws. */
  parse(csr: CertificateSigningRequest): ParsedCsr {
    const uid = csr.metadata?.uid;
    const request = csr.spec?.request ?? '';
    const hit = uid ? this.#items.get(uid) : undefined;
    if (hit && hit.request === request) return hit.parsed;
    const parsed = parseCsrPem(requestPemOf(csr));
    if (uid) {
      if (this.#items.size >= MAX) this.#items.delete(this.#items.keys().next().value!);
      this.#items.set(uid, { request, parsed });
    }
    return parsed;
  }
}
