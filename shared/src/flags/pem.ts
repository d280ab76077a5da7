// PEM files named by flags, for every daemon's configuration: read, parsed and checked once, each
// problem naming the flag and file (and never quoting key material).
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { certificateMatchesKey, type ParsedCertificate, parseCertificatesPem } from '../pki/index.js';
import { type ConfigProblem, readFlagFile } from './configerror.js';

export function certificates(flag: string, file: string, pem: string, problems: ConfigProblem[]): ParsedCertificate[] {
  try {
    const certs = parseCertificatesPem(pem);
    if (certs.length === 0)
      problems.push({ code: 'BAD_CERTIFICATE', flag, file, message: 'no PEM-encoded CERTIFICATE block found' });
    return certs;
  } catch (e) {
    problems.push({
      code: 'BAD_CERTIFICATE',
      flag,
      file,
      message: `not a valid PEM certificate: ${(e as Error).message}`,
    });
    return [];
  }
}

export function privateKey(flag: string, file: string, pem: string, problems: ConfigProblem[]): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch {
    // The parser's message may quote key material: keep it out.
    problems.push({ code: 'BAD_PRIVATE_KEY', flag, file, message: 'not a valid PEM private key' });
    return undefined;
  }
}

/** A certificate file (a CA bundle): its text and certificates; nothing when `file` is empty. */
export function readCertificates(
  flag: string,
  file: string,
  problems: ConfigProblem[],
): { pem?: string; certs: ParsedCertificate[] } {
  const pem = file ? readFlagFile(flag, file, problems) : undefined;
  return { pem, certs: pem !== undefined ? certificates(flag, file, pem, problems) : [] };
}

export interface PairFiles {
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly certs: ParsedCertificate[];
}

/** A certificate and its key, each read when its file is set; a key not of the certificate is a problem. */
export function readKeyPair(
  cert: { flag: string; file: string },
  key: { flag: string; file: string },
  problems: ConfigProblem[],
): PairFiles {
  const { pem: certPem, certs } = readCertificates(cert.flag, cert.file, problems);
  const keyPem = key.file ? readFlagFile(key.flag, key.file, problems) : undefined;
  const k = keyPem !== undefined ? privateKey(key.flag, key.file, keyPem, problems) : undefined;
  if (certs[0] && k && !certificateMatchesKey(certs[0], k)) {
    problems.push({
      code: 'KEY_MISMATCH',
      flag: key.flag,
      file: key.file,
      message: `private key does not match public key in --${cert.flag} ${JSON.stringify(cert.file)}`,
    });
  }
  return { certPem, keyPem, certs };
}
