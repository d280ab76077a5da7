// The signer's CA: given files, or one made once in a folder and reused by every later run. A CA
// already there is never replaced — the pods' trust would silently break — so a folder holding half
// of one (a key without its certificate, or the reverse) is an error for the user to sort out.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@mkube/shared/atomicfile';
import { CertificateAuthority } from '@mkube/shared/pki';
import { CliError } from '../command.js';
import { loadCaFiles } from '../pki/files.js';

export const CA_CERT = 'ca.crt';
export const CA_KEY = 'ca.key';
const CA_COMMON_NAME = 'mkube-podcert-signer-ca';

export interface LoadedCA {
  readonly ca: CertificateAuthority;
  readonly certFile: string;
  /** True when this run made it. */
  readonly created: boolean;
}

/** Paths as the user gave them: the CA's problems name the file. */
const show = (p: string) => p;
const load = (certFile: string, keyFile: string) => loadCaFiles(certFile, keyFile, show);

/** The CA of --ca-cert-file/--ca-key-file, both or neither; else the one in `caDir`, made if absent. */
export async function loadOrCreateCA(opts: { certFile?: string; keyFile?: string; caDir: string }): Promise<LoadedCA> {
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) throw new CliError('--ca-cert-file and --ca-key-file go together');
    return { ca: await load(opts.certFile, opts.keyFile), certFile: opts.certFile, created: false };
  }
  const certFile = join(opts.caDir, CA_CERT);
  const keyFile = join(opts.caDir, CA_KEY);
  const haveCert = existsSync(certFile);
  const haveKey = existsSync(keyFile);
  if (haveCert && haveKey) return { ca: await load(certFile, keyFile), certFile, created: false };
  if (haveCert || haveKey) {
    const [present, missing] = haveCert ? [certFile, keyFile] : [keyFile, certFile];
    throw new CliError(`${present} exists but ${missing} does not: refusing to replace a CA; move ${present} away`);
  }
  const made = await CertificateAuthority.createSelfSigned({ commonName: CA_COMMON_NAME });
  // Exclusive: two signers starting at once on one folder must not end up with different CAs.
  try {
    await writeFileAtomic(keyFile, made.keyPem, { mode: 0o600, exclusive: true });
    await writeFileAtomic(certFile, made.certPem, { mode: 0o644, exclusive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(`another process created a CA in ${opts.caDir} at the same time; start again to use it`);
    }
    throw new CliError(`writing the CA to ${opts.caDir}: ${(e as Error).message}`);
  }
  return { ca: made.ca, certFile, created: true };
}
