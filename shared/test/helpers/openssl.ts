// Runs the real openssl binary for tests, in a temp folder that the caller removes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpenSsl {
  readonly dir: string;
  /** Writes `content` to `name` in the temp folder and returns its path. */
  file(name: string, content: string | Uint8Array): string;
  /** Runs openssl with `args`; returns stdout (throws with stderr on a non-zero exit). */
  run(args: readonly string[], input?: string | Uint8Array): Buffer;
  cleanup(): void;
}

export function openssl(): OpenSsl {
  const dir = mkdtempSync(join(tmpdir(), 'mkube-pki-'));
  return {
    dir,
    file(name, content) {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    run(args, input) {
      return execFileSync('openssl', args, { cwd: dir, input, timeout: 20_000, stdio: ['pipe', 'pipe', 'pipe'] });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A self-signed P-256 certificate (1 day) made by openssl as `dir`/c.pem with its key `dir`/k.pem. */
export function selfSignedP256(dir: string, subject = '/CN=x'): { certPem: string; keyPem: string } {
  const key = join(dir, 'k.pem');
  const cert = join(dir, 'c.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
    ],
    { stdio: 'ignore' },
  );
  return { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}
