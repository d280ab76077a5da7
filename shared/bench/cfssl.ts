// The baseline signer both CSR benchmarks measure in their own run: `cfssl serve` (Debian's
// golang-cfssl) signing the same P-256 CSRs with the same CA over /api/v1/cfssl/sign, at the same
// concurrency. Signing only: no API, no approval, no storage.
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { Pool } from 'undici';
import { type BenchWork, freePort, runPool, until } from './controlplane.ts';

export interface CfsslResult {
  /** Signatures per second, NaN when cfssl is missing or failed (see `note`). */
  readonly rate: number;
  readonly signed: number;
  readonly note: string;
}

function cfsslBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v cfssl'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** Signs `probe` until the server answers, then `pems` timed, and reports the rate. */
export async function measureCfssl(
  w: BenchWork,
  ca: { readonly caFile: string; readonly caKeyPem: string },
  probe: string,
  pems: readonly string[],
  concurrency: number,
): Promise<CfsslResult> {
  const cfssl = cfsslBinary();
  if (!cfssl)
    return { rate: Number.NaN, signed: 0, note: 'cfssl: not installed (apt-get install golang-cfssl) — skipped' };
  // cfssl 1.2 reads SEC1 EC keys; the same CA, a client-auth profile valid for a year.
  const sec1 = createPrivateKey(ca.caKeyPem).export({ type: 'sec1', format: 'pem' }) as string;
  const cfgFile = w.file(
    'cfssl.json',
    JSON.stringify({ signing: { default: { usages: ['digital signature', 'client auth'], expiry: '8760h' } } }),
  );
  const port = await freePort();
  const proc = w.start('cfssl', [
    cfssl,
    'serve',
    '-address=127.0.0.1',
    `-port=${port}`,
    `-ca=${ca.caFile}`,
    `-ca-key=${w.file('ca-sec1.key', sec1)}`,
    `-config=${cfgFile}`,
  ]);
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency });
  const sign = async (pem: string) => {
    const r = await pool.request({
      method: 'POST',
      path: '/api/v1/cfssl/sign',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ certificate_request: pem }),
    });
    const body = (await r.body.json()) as { success?: boolean };
    return body.success === true;
  };
  try {
    await until('cfssl serve', 20_000, async () => ((await sign(probe)) ? true : undefined));
    let signed = 0;
    const c0 = performance.now();
    await runPool(pems, concurrency, async (pem) => {
      if (await sign(pem)) signed++;
    });
    return { rate: signed / ((performance.now() - c0) / 1000), signed, note: '' };
  } catch (e) {
    return { rate: Number.NaN, signed: 0, note: `cfssl: ${(e as Error).message}\n${w.logTail('cfssl')}` };
  } finally {
    await pool.close();
    proc.kill('SIGTERM');
  }
}
