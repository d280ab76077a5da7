// Certificates with an exact validity window, signed by the test cluster's CA: the controller-
// manager never issues one shorter than 10 minutes, but rotation at 70–90 % must be seen in seconds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePrivateKeyPem, generateKeyPair, parsePrivateKeyPem } from '@mkube/shared/pki';
import { peculiar, toCryptoKeyPair } from '../../shared/src/pki/provider.ts';

export interface ShortCert {
  readonly certPem: string;
  readonly keyPem: string;
}

export async function issueShortLived(
  caDir: string,
  o: {
    cn: string;
    orgs: string[];
    dns?: string[];
    ips?: string[];
    serverAuth: boolean;
    notBefore: Date;
    notAfter: Date;
  },
): Promise<ShortCert> {
  const x509 = await peculiar();
  const caCert = new x509.X509Certificate(readFileSync(join(caDir, 'ca.crt'), 'utf8'));
  const caKeys = await toCryptoKeyPair(parsePrivateKeyPem(readFileSync(join(caDir, 'ca.key'), 'utf8')));
  const key = await generateKeyPair('ecdsa-p256');
  const keys = await toCryptoKeyPair(key);
  const esc = (s: string) => s.replace(/([,+="\\<>;])/g, '\\$1');
  const extensions: InstanceType<typeof x509.Extension>[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([o.serverAuth ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.2']),
  ];
  const sans = [
    ...(o.dns ?? []).map((v) => ({ type: 'dns' as const, value: v })),
    ...(o.ips ?? []).map((v) => ({ type: 'ip' as const, value: v })),
  ];
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Date.now().toString(16).padStart(16, '0'),
    subject: [...o.orgs.map((org) => `O=${esc(org)}`), `CN=${esc(o.cn)}`].join(', '),
    // The CA's subject bytes exactly: chains are built by raw name, as Go does.
    issuer: caCert.subjectName,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: encodePrivateKeyPem(key) };
}
