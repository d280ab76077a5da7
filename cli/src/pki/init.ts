// `mkube pki init`: kubeadm's `init phase certs all` + `init phase kubeconfig` for mkube's
// components. Existing files are reused, never overwritten; a pair that does not belong
// together is an error naming the file.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildKubeconfig, loadKubeconfig, resolveCredentials, writeKubeconfig } from '@mkube/shared/kubeconfig';
import {
  CertificateAuthority,
  encodePrivateKeyPem,
  encodePublicKeyPem,
  generateKeyPair,
  type KeyType,
} from '@mkube/shared/pki';
import { CliError } from '../command.js';
import {
  assertIssuedBy,
  loadCa,
  loadPair,
  PkiDir,
  pairState,
  readKey,
  reportWrite,
  writeFileReported,
  writePair,
} from './files.js';
import {
  CA_VALIDITY_MS,
  CAS,
  type CaName,
  CLUSTER_NAME,
  type ClusterIdentity,
  KUBECONFIGS,
  type KubeconfigSpec,
  LEAF_VALIDITY_MS,
  LEAVES,
  type LeafSpec,
} from './specs.js';

export interface InitOptions {
  readonly dir: string;
  readonly keyType: KeyType;
  readonly identity: ClusterIdentity;
  /** https://host:port that kubeconfigs point at. */
  readonly server: string;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

export interface InitResult {
  readonly created: string[];
  readonly reused: string[];
}

export async function initPki(opts: InitOptions): Promise<InitResult> {
  const pki = new PkiDir(opts.dir);
  const show = (p: string) => pki.show(p);
  const created: string[] = [];
  const reused: string[] = [];
  const now = opts.now ?? (() => new Date());
  opts.log(`[certs] Using certificateDir folder "${show(pki.pkiDir)}"`);

  const cas = new Map<CaName, CertificateAuthority>();
  for (const spec of CAS) {
    const state = pairState(pki, spec.baseName);
    if (state === 'both') {
      cas.set(spec.name, await loadCa(pki, spec.baseName));
      opts.log(`[certs] Using existing ${spec.name} certificate authority`);
      reused.push(`pki/${spec.baseName}.crt`);
      continue;
    }
    if (state === 'cert-only') throw missingKey(pki, spec.baseName);
    const key =
      state === 'key-only' ? await readKey(pki.keyPath(spec.baseName), show) : await generateKeyPair(opts.keyType);
    const { ca, certPem } = await CertificateAuthority.createSelfSigned({
      commonName: spec.commonName,
      key,
      validityMs: CA_VALIDITY_MS,
      now: now(),
    });
    await writePair(pki, spec.baseName, certPem, state === 'key-only' ? undefined : encodePrivateKeyPem(key));
    cas.set(spec.name, ca);
    opts.log(`[certs] Generating "${spec.name}" certificate and key`);
    created.push(`pki/${spec.baseName}.crt`);
  }

  for (const leaf of LEAVES) {
    const ca = cas.get(leaf.ca)!;
    const caSpec = CAS.find((c) => c.name === leaf.ca)!;
    const state = pairState(pki, leaf.baseName);
    if (state === 'both') {
      const { cert } = await loadPair(pki, leaf.baseName);
      assertIssuedBy(cert, pki.crtPath(leaf.baseName), ca, pki.crtPath(caSpec.baseName), show);
      opts.log(`[certs] Using existing ${leaf.name} certificate and key on disk`);
      reused.push(`pki/${leaf.baseName}.crt`);
      continue;
    }
    if (state === 'cert-only') throw missingKey(pki, leaf.baseName);
    await issueLeaf(pki, leaf, ca, opts, state === 'key-only', now());
    created.push(`pki/${leaf.baseName}.crt`);
  }

  const saPub = join(pki.pkiDir, 'sa.pub');
  if (existsSync(pki.keyPath('sa'))) {
    const key = await readKey(pki.keyPath('sa'), show);
    const pub = encodePublicKeyPem(key);
    if (!existsSync(saPub)) await writeFileReported(saPub, pub, 0o644, show);
    else if ((await readFile(saPub, 'utf8')).trim() !== pub.trim()) {
      throw new CliError(`${show(saPub)}: public key does not match ${show(pki.keyPath('sa'))}`);
    }
    opts.log('[certs] Using the existing "sa" key');
    reused.push('pki/sa.key');
  } else {
    const key = await generateKeyPair(opts.keyType);
    await writeFileReported(pki.keyPath('sa'), encodePrivateKeyPem(key), 0o600, show);
    await writeFileReported(saPub, encodePublicKeyPem(key), 0o644, show);
    opts.log('[certs] Generating "sa" key and public key');
    created.push('pki/sa.key', 'pki/sa.pub');
  }

  const ca = cas.get('ca')!;
  for (const kc of KUBECONFIGS) {
    const path = join(opts.dir, kc.fileName);
    if (existsSync(path)) {
      await checkKubeconfig(path, ca, opts.server, show);
      opts.log(`[kubeconfig] Using existing kubeconfig file: "${show(path)}"`);
      reused.push(kc.fileName);
      continue;
    }
    await reportWrite(path, show, () =>
      writeClientKubeconfig(path, kc, ca, opts.server, opts.keyType, LEAF_VALIDITY_MS, now()),
    );
    opts.log(`[kubeconfig] Writing "${kc.fileName}" kubeconfig file`);
    created.push(kc.fileName);
  }
  return { created, reused };
}

function missingKey(pki: PkiDir, baseName: string): CliError {
  return new CliError(
    `${pki.show(pki.crtPath(baseName))} exists but its private key ${pki.show(pki.keyPath(baseName))} is missing: restore the key or remove the certificate`,
  );
}

export async function issueLeaf(
  pki: PkiDir,
  leaf: LeafSpec,
  ca: CertificateAuthority,
  opts: Pick<InitOptions, 'keyType' | 'identity' | 'log'>,
  reuseKey: boolean,
  now: Date,
  fromExisting?: { subject: LeafSpecSubject; dnsNames: string[]; ipAddresses: string[] },
): Promise<void> {
  const key = reuseKey
    ? await readKey(pki.keyPath(leaf.baseName), (p) => pki.show(p))
    : await generateKeyPair(opts.keyType);
  const subject = fromExisting?.subject ?? leaf.subject(opts.identity);
  const sans = fromExisting ?? leaf.sans(opts.identity);
  const issued = ca.issue({
    subject,
    dnsNames: sans.dnsNames,
    ipAddresses: sans.ipAddresses,
    publicKey: key.publicKey,
    usages: leaf.usages,
    ttlMs: LEAF_VALIDITY_MS,
    now,
  });
  await writePair(pki, leaf.baseName, issued.pem, reuseKey ? undefined : encodePrivateKeyPem(key));
  opts.log(`[certs] Generating "${leaf.name}" certificate and key`);
  if (sans.dnsNames?.length || sans.ipAddresses?.length) {
    opts.log(
      `[certs] ${leaf.name} serving cert is signed for DNS names [${(sans.dnsNames ?? []).join(' ')}] and IPs [${(sans.ipAddresses ?? []).join(' ')}]`,
    );
  }
}

type LeafSpecSubject = ReturnType<LeafSpec['subject']>;

/** Writes a kubeconfig with a fresh client certificate for `kc` from the cluster CA. */
export async function writeClientKubeconfig(
  path: string,
  kc: KubeconfigSpec,
  ca: CertificateAuthority,
  server: string,
  keyType: KeyType,
  ttlMs: number,
  now: Date,
): Promise<void> {
  const key = await generateKeyPair(keyType);
  const issued = ca.issue({
    subject: kc.subject,
    publicKey: key.publicKey,
    usages: ['digital signature', 'key encipherment', 'client auth'],
    ttlMs,
    now,
  });
  const cfg = buildKubeconfig({
    clusterName: CLUSTER_NAME,
    server,
    caPem: ca.certPem,
    userName: kc.userName,
    clientCertPem: issued.pem,
    clientKeyPem: encodePrivateKeyPem(key),
  });
  await writeKubeconfig(path, cfg);
}

/** kubeadm refuses an existing kubeconfig whose CA or server differs from the cluster's. */
async function checkKubeconfig(
  path: string,
  ca: CertificateAuthority,
  server: string,
  show: (p: string) => string,
): Promise<void> {
  let creds: Awaited<ReturnType<typeof resolveCredentials>>;
  try {
    creds = await resolveCredentials(await loadKubeconfig(path));
  } catch (e) {
    throw new CliError(`${show(path)}: existing kubeconfig cannot be read: ${(e as Error).message}`);
  }
  if (!creds.caPem || normalisePem(creds.caPem) !== normalisePem(ca.certPem)) {
    throw new CliError(`${show(path)}: a kubeconfig file exists already but has got the wrong CA cert`);
  }
  if (creds.server !== server) {
    throw new CliError(
      `${show(path)}: a kubeconfig file exists already but has got the wrong API server URL (${creds.server}, expected ${server})`,
    );
  }
}

function normalisePem(pem: string): string {
  return pem.replace(/\r/g, '').trim();
}

export async function readCaPem(pki: PkiDir): Promise<string> {
  return readFile(pki.crtPath('ca'), 'utf8');
}
