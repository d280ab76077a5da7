// `mkube certs renew NAME|all`: a new key and certificate from the same CA with the subject and
// SANs of the existing certificate (kubeadm treats the certificate on disk as the source of truth).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildKubeconfig, loadKubeconfig, resolveCredentials, writeKubeconfig } from '@mkube/shared/kubeconfig';
import {
  encodePrivateKeyPem,
  generateKeyPair,
  type KeyType,
  type ParsedCertificate,
  parseCertificatePem,
} from '@mkube/shared/pki';
import { CliError } from '../command.js';
import { loadCa, loadPair, PkiDir, writePair } from './files.js';
import { CAS, KUBECONFIGS, LEAF_VALIDITY_MS, LEAVES, renewableNames } from './specs.js';

/** Renewal keeps the algorithm and size of the key being replaced. */
function keyTypeOfCertificate(cert: ParsedCertificate): KeyType | undefined {
  const k = cert.publicKey;
  if (k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  if (k.asymmetricKeyType === 'rsa') {
    const bits = k.asymmetricKeyDetails?.modulusLength;
    if (bits === 2048 || bits === 3072 || bits === 4096) return `rsa-${bits}`;
  }
  return undefined;
}

export async function renewCertificates(
  dir: string,
  which: string,
  log: (line: string) => void,
  now: Date,
): Promise<string[]> {
  const names = which === 'all' ? renewableNames() : [which];
  const known = renewableNames();
  for (const n of names) {
    if (!known.includes(n)) throw new CliError(`unknown certificate "${n}": expected one of all, ${known.join(', ')}`);
  }
  const pki = new PkiDir(dir);
  const renewed: string[] = [];
  for (const name of names) {
    const leaf = LEAVES.find((l) => l.name === name);
    if (leaf) {
      const caSpec = CAS.find((c) => c.name === leaf.ca)!;
      if (!existsSync(pki.crtPath(leaf.baseName))) {
        if (which === 'all') continue;
        throw new CliError(`${pki.show(pki.crtPath(leaf.baseName))}: certificate not found, nothing to renew`);
      }
      const ca = await loadCa(pki, caSpec.baseName);
      const { cert } = await loadPair(pki, leaf.baseName);
      const key = await generateKeyPair(keyTypeOfCertificate(cert) ?? ca.keyType);
      const issued = ca.issue({
        subject: cert.subject,
        dnsNames: cert.dnsNames,
        ipAddresses: cert.ipAddresses,
        publicKey: key.publicKey,
        usages: leaf.usages,
        ttlMs: LEAF_VALIDITY_MS,
        now,
      });
      // Key first (see writePair): on a crash the next renew still finds a consistent CA-signed pair.
      await writePair(pki, leaf.baseName, issued.pem, encodePrivateKeyPem(key));
      log(`[renew] certificate "${name}" renewed`);
      renewed.push(name);
      continue;
    }
    const kc = KUBECONFIGS.find((k) => k.fileName === name)!;
    const path = join(dir, kc.fileName);
    if (!existsSync(path)) {
      if (which === 'all') continue;
      throw new CliError(`${pki.show(path)}: kubeconfig not found, nothing to renew`);
    }
    const ca = await loadCa(pki, 'ca');
    const creds = await resolveCredentials(await loadKubeconfig(path)).catch((e: Error) => {
      throw new CliError(`${pki.show(path)}: ${e.message}`);
    });
    if (!creds.clientCertPem) throw new CliError(`${pki.show(path)}: no embedded client certificate to renew`);
    const old = parseCertificatePem(creds.clientCertPem);
    const keyType: KeyType = keyTypeOfCertificate(old) ?? ca.keyType;
    const key = await generateKeyPair(keyType);
    const issued = ca.issue({
      subject: old.subject,
      publicKey: key.publicKey,
      usages: ['digital signature', 'key encipherment', 'client auth'],
      ttlMs: LEAF_VALIDITY_MS,
      now,
    });
    await writeKubeconfig(
      path,
      buildKubeconfig({
        clusterName: creds.clusterName,
        server: creds.server,
        caPem: ca.certPem,
        userName: creds.userName,
        contextName: creds.contextName,
        clientCertPem: issued.pem,
        clientKeyPem: encodePrivateKeyPem(key),
      }),
    );
    log(`[renew] certificate embedded in the kubeconfig file "${kc.fileName}" renewed`);
    renewed.push(name);
  }
  return renewed;
}
