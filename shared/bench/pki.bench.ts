// `npm run bench:pki`: the kcm signing hot path (CertificateAuthority.signCsr: parse CSR PEM, verify
// its signature, build the TBSCertificate, sign, PEM) against the raw crypto.sign rate of the same
// CA key in the same run, and the naive @peculiar/x509 generator for comparison. Not a test:
// bounded to ~2 s per measurement, prints a table and PASS/FAIL for the P-256 target.
import { sign, webcrypto } from 'node:crypto';
import { CertificateAuthority, createCsrPem, generateKeyPair, type KeyType, parseCsrPem } from '../src/pki/index.js';
import { peculiar, signingAlgorithmFor, toCryptoKeyPair } from '../src/pki/provider.js';

const ROW_MS = 2000;
const MAX_ITERATIONS = 1_000_000;
const TARGET_RATIO = 0.1;

/** Calls per second of `fn`, after a short warm-up, for ~ROW_MS. */
async function rate(fn: () => unknown): Promise<number> {
  for (let i = 0; i < 50; i++) await fn();
  const start = performance.now();
  let n = 0;
  while (n < MAX_ITERATIONS && performance.now() - start < ROW_MS) {
    const r = fn();
    if (r instanceof Promise) await r;
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

interface Row {
  readonly ca: KeyType;
  readonly signCsr: number;
  readonly rawSign: number;
  readonly peculiar: number;
}

async function measure(caKeyType: KeyType): Promise<Row> {
  const caKey = await generateKeyPair(caKeyType);
  const { ca } = await CertificateAuthority.createSelfSigned({ commonName: 'bench-ca', key: caKey });
  const leafKey = await generateKeyPair('ecdsa-p256');
  const csrPem = await createCsrPem(
    leafKey,
    { commonName: 'system:node:bench-node', organizations: ['system:nodes'] },
    { dnsNames: ['bench-node.example'], ipAddresses: ['10.0.0.7'] },
  );
  const usages = ['digital signature', 'key encipherment', 'server auth'] as const;
  const ttlMs = 365 * 24 * 3600 * 1000;

  const signCsr = await rate(() => ca.signCsr(csrPem, { usages, ttlMs }));
  const message = Buffer.alloc(500, 7);
  const rawSign = await rate(() => sign('sha256', message, caKey.privateKey));

  // Naive: @peculiar/x509's generator over WebCrypto (no CSR parsing, no extensions: a lower bound).
  const x509 = await peculiar();
  const signingKey = (await toCryptoKeyPair(caKey)).privateKey;
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    parseCsrPem(csrPem).publicKeyDer,
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['verify'],
  );
  const naive = await rate(() =>
    x509.X509CertificateGenerator.create({
      subject: 'O=system:nodes, CN=system:node:bench-node',
      issuer: 'CN=bench-ca',
      notBefore: new Date(),
      notAfter: new Date(Date.now() + ttlMs),
      publicKey,
      signingKey,
      signingAlgorithm: signingAlgorithmFor(caKeyType),
    }),
  );
  return { ca: caKeyType, signCsr, rawSign, peculiar: naive };
}

const num = (n: number, w: number): string => Math.round(n).toLocaleString('en-US').padStart(w);

const rows: Row[] = [];
for (const t of ['ecdsa-p256', 'rsa-2048'] as const) rows.push(await measure(t));
console.log('mkube PKI: signCsr hot path (P-256 leaf CSR, 1 DNS + 1 IP SAN) vs raw crypto.sign of the CA key');
console.log(
  `${'CA key'.padEnd(12)}${'signCsr/s'.padStart(11)}${'sign/s'.padStart(11)}${'ratio'.padStart(8)}${'peculiar/s'.padStart(12)}`,
);
for (const r of rows) {
  const ratio = `${((r.signCsr / r.rawSign) * 100).toFixed(1)}%`;
  console.log(`${r.ca.padEnd(12)}${num(r.signCsr, 11)}${num(r.rawSign, 11)}${ratio.padStart(8)}${num(r.peculiar, 12)}`);
}
const p256 = rows[0]!;
const ratio = p256.signCsr / p256.rawSign;
const verdict = ratio >= TARGET_RATIO ? 'PASS' : 'FAIL';
console.log(
  `${verdict}: P-256 signCsr at ${(ratio * 100).toFixed(1)}% of raw crypto.sign (target >= ${TARGET_RATIO * 100}%)`,
);
if (verdict === 'FAIL') process.exitCode = 1;
