// Distinguished names and subjectAltNames, encoded the way Go's crypto/x509 does (so certificates
// mkube issues look like Kubernetes'): Subject RDNs in pkix.Name.ToRDNSequence order — O, then OU,
// then CN — with all values of one attribute in one (sorted) RDN; strings are PrintableString when
// they fit, else UTF8String; SANs DNS, email, IP, URI in that order.
import { isIP } from 'node:net';
import { contentOf, DerError, DerSeq, decodeOid, encodeOid, seq, setOf, TAG, type Tlv, tlv } from './der.js';
import { OID } from './oids.js';

export interface Subject {
  readonly commonName?: string;
  readonly organizations?: readonly string[];
  readonly organizationalUnits?: readonly string[];
}

export interface SubjectAltNames {
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly emailAddresses?: readonly string[];
  readonly uris?: readonly string[];
}

export interface ParsedSans {
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
}

// ---- strings ------------------------------------------------------------------------------------

const PRINTABLE_RE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
// Go accepts '*' and '&' in parsed PrintableStrings because real certificates contain them.
const PRINTABLE_PARSE_RE = /^[A-Za-z0-9 '()+,\-./:=?*&]*$/;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function encodeDirectoryString(s: string): Buffer {
  if (PRINTABLE_RE.test(s)) return tlv(TAG.PRINTABLE_STRING, Buffer.from(s, 'latin1'));
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.toString('utf8') !== s) throw new DerError('string is not valid Unicode');
  return tlv(TAG.UTF8_STRING, bytes);
}

function isAscii(v: Uint8Array): boolean {
  for (const b of v) if (b >= 0x80) return false;
  return true;
}

/** Decodes the string types X.509 names use; undefined for non-string values (skipped, like Go). */
function decodeDirectoryString(tag: number, v: Buffer): string | undefined {
  switch (tag) {
    case TAG.UTF8_STRING:
      return utf8Strict.decode(v);
    case TAG.PRINTABLE_STRING: {
      const s = v.toString('latin1');
      if (!PRINTABLE_PARSE_RE.test(s)) throw new DerError('invalid PrintableString');
      return s;
    }
    case TAG.IA5_STRING:
      if (!isAscii(v)) throw new DerError('invalid IA5String');
      return v.toString('latin1');
    case TAG.T61_STRING:
      return v.toString('latin1');
    case TAG.BMP_STRING: {
      if (v.length % 2 !== 0) throw new DerError('invalid BMPString');
      const swapped = Buffer.from(v);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    default:
      return undefined;
  }
}

// ---- Name ---------------------------------------------------------------------------------------

const OID_CN = encodeOid(OID.commonName);
const OID_O = encodeOid(OID.organization);
const OID_OU = encodeOid(OID.organizationalUnit);

function rdn(oid: Buffer, values: readonly string[]): Buffer {
  return setOf(values.map((v) => seq(oid, encodeDirectoryString(v))));
}

/** DER Name for a Subject, as Go's pkix.Name.ToRDNSequence + asn1.Marshal produce it. */
export function encodeName(subject: Subject): Buffer {
  const rdns: Buffer[] = [];
  if (subject.organizations?.length) rdns.push(rdn(OID_O, subject.organizations));
  if (subject.organizationalUnits?.length) rdns.push(rdn(OID_OU, subject.organizationalUnits));
  if (subject.commonName) rdns.push(rdn(OID_CN, [subject.commonName]));
  return seq(...rdns);
}

/** CN, O and OU of a DER Name (other attributes are ignored); the last CN wins, as in Go. */
export function decodeName(buf: Uint8Array, name: Tlv): Required<Subject> {
  let commonName = '';
  const organizations: string[] = [];
  const organizationalUnits: string[] = [];
  const rdns = new DerSeq(buf, name);
  while (!rdns.done) {
    const set = new DerSeq(buf, rdns.next(TAG.SET));
    if (set.done) throw new DerError('empty RDN');
    while (!set.done) {
      const atv = new DerSeq(buf, set.next(TAG.SEQUENCE));
      const oid = decodeOid(contentOf(buf, atv.next(TAG.OID)));
      const val = atv.next();
      atv.end();
      const s = decodeDirectoryString(val.tag, contentOf(buf, val));
      if (s === undefined) continue;
      if (oid === OID.commonName) commonName = s;
      else if (oid === OID.organization) organizations.push(s);
      else if (oid === OID.organizationalUnit) organizationalUnits.push(s);
    }
  }
  return { commonName, organizations, organizationalUnits };
}

// ---- IP addresses -------------------------------------------------------------------------------

function parseIPv4(s: string): number[] {
  return s.split('.').map(Number);
}

/** Bytes of an IP address text: 4 for IPv4 and IPv4-mapped IPv6 (as Go's To4), else 16; undefined if invalid. */
export function ipToBytes(text: string): Buffer | undefined {
  const kind = isIP(text);
  if (kind === 4) return Buffer.from(parseIPv4(text));
  if (kind !== 6 || text.includes('%')) return undefined;
  let s = text;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = s.split('::') as [string, string | undefined];
  const parse = (p: string): number[] => (p === '' ? [] : p.split(':').map((h) => Number.parseInt(h, 16)));
  let groups: number[];
  if (rest === undefined) groups = parse(head);
  else {
    const a = parse(head);
    const b = parse(rest);
    groups = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  }
  if (tail.length) groups.splice(6, 2, ...tail);
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(g, i * 2);
  const mapped = out.subarray(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff;
  return mapped ? Buffer.from(out.subarray(12)) : out;
}

/** Text of an IP address as Go's net.IP.String prints it (IPv4-mapped IPv6 as dotted quad, RFC 5952 otherwise). */
export function ipFromBytes(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length !== 16) throw new DerError(`cannot parse IP address of length ${b.length}`);
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return Array.from(b.subarray(12)).join('.');
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

// ---- GeneralNames -------------------------------------------------------------------------------

const GN = { email: 0x81, dns: 0x82, uri: 0x86, ip: 0x87 } as const;

/** Whether any SAN is set (decides whether the extension is written at all). */
export function hasSans(s: SubjectAltNames): boolean {
  return Boolean(s.dnsNames?.length || s.ipAddresses?.length || s.emailAddresses?.length || s.uris?.length);
}

/**
 * DER GeneralNames for the SAN extension value. Throws DerError naming the bad entry when a name
 * is not IA5 (ASCII) or an IP address does not parse.
 */
export function encodeGeneralNames(s: SubjectAltNames): Buffer {
  const parts: Buffer[] = [];
  const ia5 = (tag: number, kind: string, v: string): Buffer => {
    if (!/^[\x20-\x7e]+$/.test(v)) throw new DerError(`${kind} SAN ${JSON.stringify(v)} is not printable ASCII`);
    return tlv(tag, Buffer.from(v, 'latin1'));
  };
  for (const d of s.dnsNames ?? []) parts.push(ia5(GN.dns, 'DNS', d));
  for (const e of s.emailAddresses ?? []) parts.push(ia5(GN.email, 'email', e));
  for (const ip of s.ipAddresses ?? []) {
    const b = ipToBytes(ip);
    if (!b) throw new DerError(`IP SAN ${JSON.stringify(ip)} is not an IP address`);
    parts.push(tlv(GN.ip, b));
  }
  for (const u of s.uris ?? []) parts.push(ia5(GN.uri, 'URI', u));
  return seq(...parts);
}

/** DNS, email, IP and URI entries of a GeneralNames value; other name forms are skipped, as in Go. */
export function decodeGeneralNames(buf: Uint8Array, names: Tlv): ParsedSans {
  const out: ParsedSans = { dnsNames: [], ipAddresses: [], emailAddresses: [], uris: [] };
  const it = new DerSeq(buf, names);
  while (!it.done) {
    const gn = it.next();
    const v = contentOf(buf, gn);
    const ia5 = (): string => {
      if (!isAscii(v)) throw new DerError('SAN is not a valid IA5String');
      return v.toString('latin1');
    };
    if (gn.tag === GN.dns) out.dnsNames.push(ia5());
    else if (gn.tag === GN.email) out.emailAddresses.push(ia5());
    else if (gn.tag === GN.uri) out.uris.push(ia5());
    else if (gn.tag === GN.ip) out.ipAddresses.push(ipFromBytes(v));
  }
  return out;
}
