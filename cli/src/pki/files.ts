// Reading and writing the PKI folder: certificates and keys as DIR/pki/<name>.crt|.key, with
// every problem reported as one message naming the file.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '@mkube/shared/atomicfile';
import {
  CertificateAuthority,
  certificateMatchesKey,
  type KeyPair,
  type ParsedCertificate,
  PkiError,
  parseCertificatePem,
  parsePrivateKeyPem,
  verifyCertificate,
} from '@mkube/shared/pki';
import { CliError } from '../command.js';

export class PkiDir {
  constructor(readonly dir: string) {}

  get pkiDir(): string {
    return join(this.dir, 'pki');
  }
  crtPath(baseName: string): string {
    return join(this.pkiDir, `${baseName}.crt`);
  }
  keyPath(baseName: string): string {
    return join(this.pkiDir, `${baseName}.key`);
  }
  /** A path as the user should read it in a message. */
  show(path: string): string {
    const rel = relative(process.cwd(), path);
    return rel && !rel.startsWith('..') ? rel : path;
  }
}

async function readOrFail(path: string, what: string, show: (p: string) => string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(
      `${show(path)}: cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

export async function readCertificate(path: string, show: (p: string) => string): Promise<ParsedCertificate> {
  const text = await readOrFail(path, 'certificate', show);
  try {
    return parseCertificatePem(text);
  } catch (e) {
    throw new CliError(`${show(path)}: not a valid PEM certificate: ${(e as Error).message}`);
  }
}

export async function readKey(path: string, show: (p: string) => string): Promise<KeyPair> {
  const text = await readOrFail(path, 'private key', show);
  try {
    return parsePrivateKeyPem(text);
  } catch (e) {
    throw new CliError(`${show(path)}: not a valid PEM private key: ${(e as Error).message}`);
  }
}

export type PairState = 'both' | 'none' | 'key-only' | 'cert-only';

export function pairState(pki: PkiDir, baseName: string): PairState {
  const c = existsSync(pki.crtPath(baseName));
  const k = existsSync(pki.keyPath(baseName));
  return c && k ? 'both' : c ? 'cert-only' : k ? 'key-only' : 'none';
}

/** Loads a certificate and key from two files and checks the key belongs to the certificate. */
export async function loadPairFiles(
  certPath: string,
  keyPath: string,
  show: (p: string) => string,
): Promise<{ cert: ParsedCertificate; key: KeyPair }> {
  const cert = await readCertificate(certPath, show);
  const key = await readKey(keyPath, show);
  if (!certificateMatchesKey(cert, key)) {
    throw new CliError(`${show(keyPath)}: private key does not match certificate ${show(certPath)}`);
  }
  return { cert, key };
}

export function loadPair(pki: PkiDir, baseName: string): Promise<{ cert: ParsedCertificate; key: KeyPair }> {
  return loadPairFiles(pki.crtPath(baseName), pki.keyPath(baseName), (p) => pki.show(p));
}

/** A CA from a certificate file and its key file: the pair must match and the certificate be a CA. */
export async function loadCaFiles(
  certPath: string,
  keyPath: string,
  show: (p: string) => string,
): Promise<CertificateAuthority> {
  const { cert } = await loadPairFiles(certPath, keyPath, show);
  if (!cert.isCA) throw new CliError(`${show(certPath)}: certificate is not a CA (BasicConstraints CA=false)`);
  const certPem = await readFile(certPath, 'utf8');
  const keyPem = await readFile(keyPath, 'utf8');
  try {
    return CertificateAuthority.fromPem(certPem, keyPem);
  } catch (e) {
    const why = e instanceof PkiError ? e.message : String(e);
    throw new CliError(`${show(certPath)}: cannot use as a certificate authority: ${why}`);
  }
}

export function loadCa(pki: PkiDir, baseName: string): Promise<CertificateAuthority> {
  return loadCaFiles(pki.crtPath(baseName), pki.keyPath(baseName), (p) => pki.show(p));
}

export function assertIssuedBy(
  cert: ParsedCertificate,
  certPath: string,
  ca: CertificateAuthority,
  caPath: string,
  show: (p: string) => string,
): void {
  // Checked at a moment both were valid: an expired leaf is `certs renew`'s business, not a mismatch.
  const at = new Date(Math.max(cert.notBefore.getTime(), ca.certificate.notBefore.getTime()) + 1000);
  const r = verifyCertificate(cert, { roots: [ca.certificate], now: at });
  if (!r.ok) throw new CliError(`${show(certPath)}: not issued by ${show(caPath)}: ${r.reason}`);
}

/** Runs a write of `path`, turning an OS error into one message that names the file. */
export async function reportWrite<T>(path: string, show: (p: string) => string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (!err.code) throw e;
    const other = err.path && err.path !== path ? ` (${show(err.path)})` : '';
    throw new CliError(`${show(path)}: cannot write: ${err.code}${other}`);
  }
}

export async function writeFileReported(
  path: string,
  data: string,
  mode: number,
  show: (p: string) => string,
): Promise<void> {
  await reportWrite(path, show, () => writeFileAtomic(path, data, { mode }));
}

export async function writePair(
  pki: PkiDir,
  baseName: string,
  certPem: string,
  keyPem: string | undefined,
): Promise<void> {
  // The key first: a crash between the two writes leaves a key whose certificate is reissued
  // on the next run, never a certificate without its key.
  const show = (p: string) => pki.show(p);
  if (keyPem !== undefined) await writeFileReported(pki.keyPath(baseName), keyPem, 0o600, show);
  await writeFileReported(pki.crtPath(baseName), certPem, 0o644, show);
}
