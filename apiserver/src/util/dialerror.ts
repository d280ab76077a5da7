// A Node connection or TLS error in the words Go's net and crypto/tls print (net.OpError, x509
// errors), for messages that clients compare with kube-apiserver's.
import { isIP } from 'node:net';

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** A Node connection error in Go's words (net.OpError, x509 errors). */
export function goDialError(
  e: NodeJS.ErrnoException & { cert?: { subjectaltname?: string } },
  addr: string,
  host: string,
) {
  const code = e.code ?? '';
  if (code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `dial tcp: lookup ${host}: no such host`;
  if (code === 'ECONNRESET') return `read tcp ${addr}: read: connection reset by peer`;
  if (code === 'EHOSTUNREACH') return `dial tcp ${addr}: connect: no route to host`;
  if (UNKNOWN_AUTHORITY.has(code))
    return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = (e.cert?.subjectaltname ?? '')
      .split(', ')
      .map((n) => n.replace(/^(DNS|IP Address):/, ''))
      .filter((n) => n);
    const what = isIP(host) ? 'IP SANs' : 'names';
    return names.length
      ? `tls: failed to verify certificate: x509: certificate is valid for ${names.join(', ')}, not ${host}`
      : `tls: failed to verify certificate: x509: certificate is not valid for any ${what}, but wanted to match ${host}`;
  }
  return code ? `${code}: ${e.message}` : e.message;
}
