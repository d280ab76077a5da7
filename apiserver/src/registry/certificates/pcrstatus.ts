// ValidatePodCertificateRequestStatusUpdate (pkg/apis/certificates/validation, 1.35): a signer ends a
// request once, with exactly one of Issued, Denied or Failed; an issued chain must be PEM
// certificates whose leaf holds the requested key, with timestamps that match the leaf and a
// lifetime the request allows. The spec read here is the stored one (the status strategy restores it).
import { X509Certificate } from 'node:crypto';
import type { Condition, PodCertificateRequest, PodCertificateRequestStatus } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { parsePodCertificatePublicKey } from '@mkube/shared/pki';
import { validateConditions } from '../../validation/conditions.js';
import { decodeStdBase64 } from './bytes.js';
import { DEFAULT_MAX_EXPIRATION_SECONDS, goBytes } from './pcrvalidation.js';
import { decodePemBlocks } from './pem.js';

export const MAX_CERTIFICATE_CHAIN_SIZE = 100 * 1024;
const TERMINAL = ['Issued', 'Denied', 'Failed'];
/** field.OmitValue(): the message names no value. */
const OMITTED = undefined;
const CHAIN = 'status.certificateChain';
const MINUTE_MS = 60_000;

const seconds = (t: string | undefined): number | undefined => {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
};

/** equality.Semantic.DeepEqual of two statuses: absent and empty alike, times to the second. */
export function sameStatus(a: PodCertificateRequestStatus | undefined, b: PodCertificateRequestStatus | undefined) {
  const norm = (s: PodCertificateRequestStatus | undefined) =>
    JSON.stringify([
      (s?.conditions ?? []).map((c) => [
        c.type ?? '',
        c.status ?? '',
        c.observedGeneration ?? 0,
        seconds(c.lastTransitionTime) ?? null,
        c.reason ?? '',
        c.message ?? '',
      ]),
      s?.certificateChain ?? '',
      seconds(s?.notBefore) ?? null,
      seconds(s?.beginRefreshAt) ?? null,
      seconds(s?.notAfter) ?? null,
    ]);
  return norm(a) === norm(b);
}

const hasCondition = (s: PodCertificateRequestStatus | undefined, type: string) =>
  (s?.conditions ?? []).some((c) => c.type === type);

const isTerminal = (s: PodCertificateRequestStatus | undefined) => TERMINAL.some((t) => hasCondition(s, t));

/** Go's time.Duration String for whole seconds: 1h0m0s, 30m0s, 59s (a Stringer: printed unquoted). */
export function goDuration(totalSeconds: number): GoSyntax {
  return new GoSyntax(durationText(totalSeconds));
}

function durationText(totalSeconds: number): string {
  const sign = totalSeconds < 0 ? '-' : '';
  let s = Math.abs(totalSeconds);
  if (s === 0) return '0s';
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/** The terminal-condition rules (with upstream's `conditions.[i]` path) and metav1's condition rules. */
function validateConditionList(conditions: readonly Condition[]): FieldError[] {
  const errs: FieldError[] = [];
  let terminal = 0;
  conditions.forEach((c, i) => {
    const at = `status.conditions.[${i}]`;
    if (TERMINAL.includes(c.type)) {
      terminal++;
      if (terminal > 1) {
        errs.push(
          fieldErrors.invalid(
            `${at}.type`,
            c.type,
            'There may be at most one condition with type "Issued", "Denied", or "Failed"',
          ),
        );
      }
      if (c.status !== 'True') errs.push(fieldErrors.notSupported(`${at}.status`, c.status, ['True']));
    } else {
      errs.push(fieldErrors.notSupported(`${at}.type`, c.type, TERMINAL));
    }
  });
  return [...errs, ...validateConditions(conditions, 'status.conditions')];
}

/** Subject alternative names Node reports as `DNS:a, email:b`. */
function sans(cert: X509Certificate): { dns: string[]; email: string[] } {
  const out = { dns: [] as string[], email: [] as string[] };
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    const i = part.indexOf(':');
    if (i < 0) continue;
    const [kind, value] = [part.slice(0, i), part.slice(i + 1).replace(/^"(.*)"$/, '$1')];
    if (kind === 'DNS') out.dns.push(value);
    else if (kind === 'email') out.email.push(value);
  }
  return out;
}

/** mail.ParseAddress, reduced to the addr-spec a certificate holds. */
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

function validateLeafNames(leaf: X509Certificate): FieldError[] {
  const errs: FieldError[] = [];
  const { dns, email } = sans(leaf);
  for (const name of dns) {
    if (name === '') errs.push(fieldErrors.invalid(CHAIN, name, 'leaf certificate should not contain empty DNSName'));
    if (name.includes('..'))
      errs.push(fieldErrors.invalid(CHAIN, name, "leaf certificate's DNSName should not contain '..'"));
    if (name.startsWith('.') || name.endsWith('.'))
      errs.push(fieldErrors.invalid(CHAIN, name, "leaf certificate's DNSName should not start or end with '.'"));
  }
  for (const addr of email) {
    if (!EMAIL.test(addr))
      errs.push(fieldErrors.invalid(CHAIN, addr, 'leaf certificate should not contain invalid EmailAddress'));
  }
  return errs;
}

/** time.Time's String, as field.Invalid prints it (the apiserver's zone, UTC here). */
function goTime(ms: number): GoSyntax {
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return new GoSyntax(`${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`);
}

const parseTime = (t: string | undefined): number => Date.parse(t ?? '');

/** The Issued transition: one early return per problem after the timestamps, as upstream. */
function validateIssued(req: PodCertificateRequest, old: PodCertificateRequest, now: Date): FieldError[] {
  const status = req.status ?? {};
  const chain = status.certificateChain ?? '';
  if (Buffer.byteLength(chain) > MAX_CERTIFICATE_CHAIN_SIZE) {
    return [fieldErrors.tooLong(CHAIN, MAX_CERTIFICATE_CHAIN_SIZE)];
  }
  const blocks = decodePemBlocks(chain);
  const first = blocks[0];
  if (!first) {
    return [fieldErrors.invalid(CHAIN, chain, 'issued certificate chain must contain at least one certificate')];
  }
  if (first.type !== 'CERTIFICATE') {
    return [
      fieldErrors.invalid(CHAIN, chain, 'issued certificate chain must consist entirely of CERTIFICATE PEM blocks'),
    ];
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(first.bytes);
  } catch {
    return [fieldErrors.invalid(CHAIN, chain, 'leaf certificate does not parse as valid X.509')];
  }
  const errs = validateLeafNames(leaf);
  const requested = decodeStdBase64(old.spec?.pkixPublicKey ?? '');
  let requestedKey: ReturnType<typeof parsePodCertificatePublicKey> | undefined;
  try {
    requestedKey = requested.ok ? parsePodCertificatePublicKey(requested.bytes) : undefined;
  } catch {
    requestedKey = undefined;
  }
  if (!requestedKey) {
    const value = requested.ok ? requested.bytes : Buffer.from(old.spec?.pkixPublicKey ?? '');
    errs.push(fieldErrors.invalid('spec.pkixPublicKey', goBytes(value), 'must be a valid PKIX-serialized public key'));
    return errs;
  }
  // key.Equal on the parsed keys (only the three types a request may hold are compared).
  if (requestedKey.type !== 'other' && !leaf.publicKey.equals(requestedKey.key)) {
    errs.push(fieldErrors.invalid(CHAIN, chain, 'leaf certificate was not issued to the requested public key'));
    return errs;
  }

  const consistent = 'must be present and consistent with the issued certificate';
  if (!status.notBefore) errs.push(fieldErrors.required('status.notBefore', consistent));
  if (!status.notAfter) errs.push(fieldErrors.required('status.notAfter', consistent));
  if (!status.beginRefreshAt) {
    errs.push(
      fieldErrors.required(
        'status.beginRefreshAt',
        'must be present and in the range [notbefore+10min, notafter-10min]',
      ),
    );
  }
  if (errs.length) return errs;

  // metav1.Time holds whole seconds, as X.509 times do; the clock does not (timeNear is strict).
  const leafNotBefore = Date.parse(leaf.validFrom);
  const leafNotAfter = Date.parse(leaf.validTo);
  const notBefore = parseTime(status.notBefore);
  const notAfter = parseTime(status.notAfter);
  const beginRefreshAt = parseTime(status.beginRefreshAt);
  const nowMs = now.getTime();
  const invalid = (path: string, value: unknown, detail: string) => [...errs, fieldErrors.invalid(path, value, detail)];
  if (notBefore !== leafNotBefore) {
    return invalid(
      'status.notBefore',
      goTime(notBefore),
      'must be set to the NotBefore time encoded in the leaf certificate',
    );
  }
  if (!(notBefore > nowMs - 5 * MINUTE_MS && notBefore < nowMs + 5 * MINUTE_MS)) {
    return invalid(
      'status.notBefore',
      goTime(notBefore),
      "must be set to within 5 minutes of kube-apiserver's current time",
    );
  }
  if (notAfter !== leafNotAfter) {
    return invalid(
      'status.notAfter',
      goTime(notAfter),
      'must be set to the NotAfter time encoded in the leaf certificate',
    );
  }
  const lifetime = Math.round((leafNotAfter - leafNotBefore) / 1000);
  const mes = old.spec?.maxExpirationSeconds ?? DEFAULT_MAX_EXPIRATION_SECONDS;
  if (lifetime < 3600) return invalid(CHAIN, goDuration(lifetime), 'leaf certificate lifetime must be >= 1 hour');
  if (lifetime > mes) {
    return invalid(
      CHAIN,
      goDuration(lifetime),
      `leaf certificate lifetime must be <= spec.maxExpirationSeconds (${mes})`,
    );
  }
  if (beginRefreshAt < notBefore + 10 * MINUTE_MS) {
    return invalid(
      'status.beginRefreshAt',
      goTime(beginRefreshAt),
      'must be at least 10 minutes after status.notBefore',
    );
  }
  if (beginRefreshAt > notAfter - 10 * MINUTE_MS) {
    return invalid(
      'status.beginRefreshAt',
      goTime(beginRefreshAt),
      'must be at least 10 minutes before status.notAfter',
    );
  }

  // The rest of the chain is parsed, not verified (Go's x509 verifies no partial chain).
  for (const b of blocks.slice(1)) {
    if (b.type !== 'CERTIFICATE') {
      // The typo is upstream's.
      return invalid(CHAIN, chain, 'issued certificate chain must consist entirely of CERTFICATE PEM blocks');
    }
    try {
      new X509Certificate(b.bytes);
    } catch {
      return invalid(CHAIN, chain, 'intermediate certificate does not parse as valid X.509');
    }
  }
  return errs;
}

export function validatePodCertificateRequestStatusUpdate(
  req: PodCertificateRequest,
  old: PodCertificateRequest,
  now: Date,
): FieldError[] {
  const errs = validateConditionList(req.status?.conditions ?? []);
  if (errs.length) return errs;
  if (isTerminal(old.status)) {
    if (!sameStatus(req.status, old.status)) {
      return [
        fieldErrors.invalid('status', OMITTED, 'immutable after PodCertificateRequest is issued, denied, or failed'),
      ];
    }
    return [];
  }
  if (hasCondition(req.status, 'Denied') || hasCondition(req.status, 'Failed')) {
    if (!sameStatus(req.status, { conditions: req.status?.conditions ?? [] })) {
      return [
        fieldErrors.invalid(
          'status',
          OMITTED,
          'non-condition status fields must be empty when denying or failing the PodCertificateRequest',
        ),
      ];
    }
    return [];
  }
  if (hasCondition(req.status, 'Issued')) return validateIssued(req, old, now);
  if (!sameStatus(req.status, old.status)) {
    return [
      fieldErrors.invalid(
        'status',
        OMITTED,
        'status is immutable unless transitioning to "Issued", "Denied", or "Failed"',
      ),
    ];
  }
  return [];
}
