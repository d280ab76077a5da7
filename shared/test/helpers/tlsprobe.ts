// `openssl s_client` against a TLS server (run without blocking: the server may share this process),
// and the checks the three daemons' --tls-min-version / --tls-cipher-suites tests make with it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';

export interface Handshake {
  /** A handshake completed (a cipher was agreed). */
  readonly ok: boolean;
  readonly protocol: string;
  readonly cipher: string;
  /** The server certificate's subject as s_client prints it, e.g. `CN = alt.example`. */
  readonly subject: string;
  readonly output: string;
}

/** One handshake: `args` are s_client options such as -tls1_2, -cipher X, -servername Y. */
export function sClient(port: number, args: readonly string[], host = '127.0.0.1'): Promise<Handshake> {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      ['s_client', '-connect', `${host}:${port}`, ...args],
      { timeout: 15_000, encoding: 'utf8' },
      (_err, stdout, stderr) => {
        const output = `${stdout}\n${stderr}`;
        const m = /New, (\S+), Cipher is (\S+)/.exec(output);
        const cipher = m?.[2] ?? '(NONE)';
        resolve({
          ok: cipher !== '(NONE)',
          protocol: m?.[1] ?? '',
          cipher,
          subject: /^subject=(.*)$/m.exec(output)?.[1]?.trim() ?? '',
          output,
        });
      },
    );
    child.stdin?.end();
  });
}

/** --tls-min-version=VersionTLS13: a TLS 1.2 client is refused, a TLS 1.3 one served. */
export async function assertTLS13Only(port: number, host?: string): Promise<void> {
  const t12 = await sClient(port, ['-tls1_2'], host);
  assert.equal(t12.ok, false, `TLS 1.2 must be refused:\n${t12.output}`);
  const t13 = await sClient(port, ['-tls1_3'], host);
  assert.equal(t13.ok, true, `TLS 1.3 must be served:\n${t13.output}`);
  assert.equal(t13.protocol, 'TLSv1.3');
}

/**
 * --tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (an ECDSA serving key): a TLS 1.2
 * client offering only AES-128-GCM is refused, one offering the allowed suite is served with it,
 * and TLS 1.3 (not configurable) is still served.
 */
export async function assertOnlyAES256(port: number, host?: string): Promise<void> {
  const other = await sClient(port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'], host);
  assert.equal(other.ok, false, `a suite not listed must be refused:\n${other.output}`);
  const allowed = await sClient(port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384'], host);
  assert.equal(allowed.ok, true, allowed.output);
  assert.equal(allowed.cipher, 'ECDHE-ECDSA-AES256-GCM-SHA384');
  assert.equal((await sClient(port, ['-tls1_3'], host)).ok, true);
}

/** Without options: TLS 1.2 with AES-128-GCM is served (the defaults the tests above narrow). */
export async function assertDefaults(port: number, host?: string): Promise<void> {
  const r = await sClient(port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'], host);
  assert.equal(r.ok, true, r.output);
  assert.equal((await sClient(port, ['-tls1_1'], host)).ok, false, 'TLS 1.1 stays refused by default');
}
