// Errors of the apiserver → kubelet path, worded as kube-apiserver (Go) words them: Node's TLS and
// socket errors → Go's crypto/x509 and net texts; failures → Status 500 with an empty reason.
import { isIP } from 'node:net';
import { type Status, type StatusDetails, StatusError, type StatusReason } from '@mkube/shared/apierrors';

/** An error kube-apiserver reports as is (apierrors.ErrorToAPIStatus of a plain error): 500, reason "". */
export class BackendError extends StatusError {
  constructor(message: string, code = 500, reason = '' as StatusReason, details?: StatusDetails) {
    super(reason, message, details, code);
  }

  override toStatus(): Status {
    const s = super.toStatus();
    if (!s.reason) delete s.reason;
    return s;
  }
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);

interface NodeError extends Error {
  code?: string;
  cert?: { subjectaltname?: string; subject?: { CN?: string } };
}

/** crypto/x509 HostnameError.Error() from the peer certificate Node attached to the error. */
function hostnameError(host: string, cert: NodeError['cert']): string {
  const sans = (cert?.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s);
  const ips = sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice('IP Address:'.length));
  const dns = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice('DNS:'.length));
  if (sans.length === 0 && cert?.subject?.CN === host)
    return 'x509: certificate relies on legacy Common Name field, use SANs instead';
  let valid: string;
  if (isIP(host)) {
    if (ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
    valid = ips.join(', ');
  } else {
    valid = dns.join(', ');
  }
  if (!valid) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${valid}, not ${host}`;
}

/** Go's text for a failed connection (dial, TLS handshake, verification) to host:port. */
export function dialErrorText(err: unknown, host: string, port: number): string {
  const e = err as NodeError;
  const code = e?.code ?? '';
  const hostPort = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  const verify = (x509: string) => `tls: failed to verify certificate: ${x509}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return verify(hostnameError(host, e.cert));
  if (UNKNOWN_AUTHORITY.has(code)) return verify('x509: certificate signed by unknown authority');
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return verify('x509: certificate has expired or is not yet valid');
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code);
  if (alert) {
    const words = alert[1]!.toLowerCase().replace(/_/g, ' ').replace('unknown ca', 'unknown certificate authority');
    return `remote error: tls: ${words}`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${hostPort}: connect: network is unreachable`;
    case 'ETIMEDOUT':
    case 'KUBELET_DIAL_TIMEOUT':
      return `dial tcp ${hostPort}: i/o timeout`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host}: no such host`;
    case 'ECONNRESET':
      return `read tcp ${hostPort}: read: connection reset by peer`;
  }
  return e?.message ?? String(err);
}

/** Go's url.Error text: `Get "https://…": <err>`. */
export function urlErrorText(method: string, url: string, text: string): string {
  const op = method.slice(0, 1).toUpperCase() + method.slice(1).toLowerCase();
  return `${op} ${JSON.stringify(url)}: ${text}`;
}

/**
 * A non-2xx kubelet answer to a streaming request, as genericrest's HTTP response checker turns it
 * into an error (400 → BadRequest with the body, 500 → InternalError, others → NewGenericServerResponse).
 */
export function kubeletResponseError(code: number, body: string, resource: string, name: string): StatusError {
  const details: StatusDetails = { name, kind: resource };
  if (code === 400) return new StatusError('BadRequest', body);
  if (code === 500) {
    return new StatusError('InternalError', `Internal error occurred: ${body}`, { causes: [{ message: body }] });
  }
  let reason: StatusReason | '' = '';
  let message = `the server responded with the status code ${code} but did not return more information`;
  switch (code) {
    case 401:
      reason = 'Unauthorized';
      message = 'the server has asked for the client to provide credentials';
      break;
    case 403:
      reason = 'Forbidden';
      message = body;
      break;
    case 404:
      reason = 'NotFound';
      message = 'the server could not find the requested resource';
      break;
    case 405:
      reason = 'MethodNotAllowed';
      message = 'the server does not allow this method on the requested resource';
      break;
    case 409:
      reason = 'Conflict';
      message = 'the server reported a conflict';
      break;
    case 422:
      reason = 'Invalid';
      message = 'the server rejected our request due to an error in our request';
      break;
    case 429:
      reason = 'TooManyRequests';
      message = 'the server has received too many requests and has asked us to try again later';
      break;
    case 503:
      reason = 'ServiceUnavailable';
      message = 'the server is currently unable to handle the request';
      break;
    case 504:
      reason = 'Timeout';
      message =
        'the server was unable to return a response in the time allotted, but may still be processing the request';
      break;
    default:
      if (code > 500) {
        reason = 'InternalError';
        message = `an error on the server (${JSON.stringify(body)}) has prevented the request from succeeding`;
      }
  }
  if (body) details.causes = [{ reason: 'UnexpectedServerResponse', message: body }];
  return new BackendError(`${message} ( ${resource} ${name})`, code, reason as StatusReason, details);
}
