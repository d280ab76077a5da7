// Kubernetes' certificates/v1 usage strings and what each becomes in a certificate: a KeyUsage bit
// or an ExtKeyUsage OID (k8s pkg/controller/certificates/authority/policies.go keyUsagesFromStrings).
import type { KeyUsage } from '../api/certificates.js';
import { PkiError } from './errors.js';

/** The API's usage strings (certificates/v1 KeyUsage): one list, owned by the API types. */
export type KeyUsageName = KeyUsage;

/** KeyUsage bits as RFC 5280 numbers them (bit 0 = digitalSignature, the MSB of the first octet). */
export const KEY_USAGE_BITS = [
  'digitalSignature',
  'contentCommitment',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageBit = (typeof KEY_USAGE_BITS)[number];

/** ExtKeyUsage in Go's x509.ExtKeyUsage order, which is the order Kubernetes sorts them into. */
export const EXT_KEY_USAGES = [
  { name: 'any', oid: '2.5.29.37.0' },
  { name: 'serverAuth', oid: '1.3.6.1.5.5.7.3.1' },
  { name: 'clientAuth', oid: '1.3.6.1.5.5.7.3.2' },
  { name: 'codeSigning', oid: '1.3.6.1.5.5.7.3.3' },
  { name: 'emailProtection', oid: '1.3.6.1.5.5.7.3.4' },
  { name: 'ipsecEndSystem', oid: '1.3.6.1.5.5.7.3.5' },
  { name: 'ipsecTunnel', oid: '1.3.6.1.5.5.7.3.6' },
  { name: 'ipsecUser', oid: '1.3.6.1.5.5.7.3.7' },
  { name: 'timeStamping', oid: '1.3.6.1.5.5.7.3.8' },
  { name: 'OCSPSigning', oid: '1.3.6.1.5.5.7.3.9' },
  { name: 'msSGC', oid: '1.3.6.1.4.1.311.10.3.3' },
  { name: 'nsSGC', oid: '2.16.840.1.113730.4.1' },
] as const;
export type ExtKeyUsageName = (typeof EXT_KEY_USAGES)[number]['name'];

const ku = (bit: KeyUsageBit) => ({ kind: 'ku', bit }) as const;
const eku = (name: ExtKeyUsageName) => ({ kind: 'eku', name }) as const;

/** Every usage string and its meaning; a Record so a new usage cannot compile without one. */
const USAGE_MEANING: Readonly<
  Record<KeyUsageName, { kind: 'ku'; bit: KeyUsageBit } | { kind: 'eku'; name: ExtKeyUsageName }>
> = {
  signing: ku('digitalSignature'),
  'digital signature': ku('digitalSignature'),
  'content commitment': ku('contentCommitment'),
  'key encipherment': ku('keyEncipherment'),
  'key agreement': ku('keyAgreement'),
  'data encipherment': ku('dataEncipherment'),
  'cert sign': ku('keyCertSign'),
  'crl sign': ku('cRLSign'),
  'encipher only': ku('encipherOnly'),
  'decipher only': ku('decipherOnly'),
  any: eku('any'),
  'server auth': eku('serverAuth'),
  'client auth': eku('clientAuth'),
  'code signing': eku('codeSigning'),
  'email protection': eku('emailProtection'),
  's/mime': eku('emailProtection'),
  'ipsec end system': eku('ipsecEndSystem'),
  'ipsec tunnel': eku('ipsecTunnel'),
  'ipsec user': eku('ipsecUser'),
  timestamping: eku('timeStamping'),
  'ocsp signing': eku('OCSPSigning'),
  'microsoft sgc': eku('msSGC'),
  'netscape sgc': eku('nsSGC'),
};

export const KEY_USAGE_NAMES: readonly KeyUsageName[] = Object.freeze(Object.keys(USAGE_MEANING) as KeyUsageName[]);

export interface ResolvedUsages {
  /** KeyUsage bit mask: bit i set for KEY_USAGE_BITS[i]. */
  readonly keyUsageMask: number;
  /** ExtKeyUsage OIDs, de-duplicated, in Go's ExtKeyUsage order. */
  readonly extKeyUsageOids: readonly string[];
}

export function resolveUsages(usages: readonly string[]): ResolvedUsages {
  let mask = 0;
  const ekus = new Set<ExtKeyUsageName>();
  for (const u of usages) {
    const m = Object.hasOwn(USAGE_MEANING, u) ? USAGE_MEANING[u as KeyUsageName] : undefined;
    if (!m) throw new PkiError('InvalidRequest', `unrecognized usage "${u}"`);
    if (m.kind === 'ku') mask |= 1 << KEY_USAGE_BITS.indexOf(m.bit);
    else ekus.add(m.name);
  }
  return { keyUsageMask: mask, extKeyUsageOids: EXT_KEY_USAGES.filter((e) => ekus.has(e.name)).map((e) => e.oid) };
}

export const keyUsageMaskOf = (bits: readonly KeyUsageBit[]): number =>
  bits.reduce((m, b) => m | (1 << KEY_USAGE_BITS.indexOf(b)), 0);

export function extKeyUsageNameOf(oid: string): string {
  return EXT_KEY_USAGES.find((e) => e.oid === oid)?.name ?? oid;
}
