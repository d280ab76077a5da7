// client-go's certificate FileStore, as the kubelet keeps its client and serving pairs:
// `<prefix>-<YYYY-MM-DD-HH-MM-SS>.pem` holds the issued chain followed by the private key (0600),
// and `<prefix>-current.pem` is a symlink to the newest one's absolute path. Writes are atomic
// (temp file, fsync, rename) and the symlink is swapped by rename, so a crash leaves the old pair
// or the new one — never a 0-byte or half-written PEM (kubernetes#34956, #65991, #92676). On
// load a corrupt, empty, mismatched or expired current pair falls back to the newest valid older
// file, then to `<prefix>.crt`/`<prefix>.key`, then to nothing (the caller bootstraps again).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { cleanupAtomicTemps, replaceSymlinkAtomic, writeFileAtomic } from '@mkube/shared/atomicfile';
import {
  certificateMatchesKey,
  type KeyPair,
  type ParsedCertificate,
  parseCertificatesPem,
  parsePrivateKeyPem,
} from '@mkube/shared/pki';

export interface StoredPair {
  /** The file the pair was read from (the current symlink's target when it was read through it). */
  readonly file: string;
  readonly chain: readonly ParsedCertificate[];
  readonly leaf: ParsedCertificate;
  readonly key: KeyPair;
  /** Certificates then key, exactly as on disk. */
  readonly certPem: string;
  readonly keyPem: string;
}

export interface StoreLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** client-go's file-name stamp: local time, `2006-01-02-15-04-05`. */
export function timestamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}`;
}

/**
 * Splits a combined PEM into its certificates and its key, checking they belong together. `known`
 * is the key the PEM's key block was just encoded from, when the caller holds it (no re-parse).
 */
export function parsePair(text: string, file: string, now: Date, known?: KeyPair): StoredPair {
  if (text.trim() === '') throw new Error('file is empty');
  const chain = parseCertificatesPem(text);
  if (chain.length === 0) throw new Error('no CERTIFICATE block');
  const key = known ?? parsePrivateKeyPem(text);
  const leaf = chain[0]!;
  if (!certificateMatchesKey(leaf, key)) throw new Error('the private key does not match the certificate');
  if (now.getTime() > leaf.notAfter.getTime())
    throw new Error(`the certificate expired at ${leaf.notAfter.toISOString()}`);
  const keyStart = text.search(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  const certPem = chain.map((c) => c.pem).join('');
  return { file, chain, leaf, key, certPem, keyPem: text.slice(keyStart) };
}

export class CertificateFileStore {
  constructor(
    readonly dir: string,
    readonly prefix: string,
    private readonly log: StoreLogger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get currentPath(): string {
    return join(this.dir, `${this.prefix}-current.pem`);
  }

  /** The pair to use, or null when there is none that is whole, matching and unexpired. */
  async current(): Promise<StoredPair | null> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o755 });
    await cleanupAtomicTemps(this.dir);
    await this.#recoverUpdated();
    const now = this.now();
    const tried = new Set<string>();
    const attempt = async (file: string): Promise<StoredPair | null> => {
      let real: string;
      try {
        real = await fsp.realpath(file);
      } catch {
        return null;
      }
      if (tried.has(real)) return null;
      tried.add(real);
      try {
        return parsePair(await fsp.readFile(real, 'utf8'), real, now);
      } catch (e) {
        this.log.warn({ file: real, reason: (e as Error).message }, 'ignoring unusable certificate file');
        return null;
      }
    };
    const cur = await attempt(this.currentPath);
    if (cur) return cur;
    // The newest older pair that is still good: a crash or a bad write must not force a re-bootstrap.
    for (const f of await this.#stamped()) {
      const p = await attempt(join(this.dir, f));
      if (p) {
        await replaceSymlinkAtomic(p.file, this.currentPath);
        this.log.info({ file: p.file }, 'fell back to an earlier certificate');
        return p;
      }
    }
    const crt = join(this.dir, `${this.prefix}.crt`);
    const keyFile = join(this.dir, `${this.prefix}.key`);
    try {
      const text = `${await fsp.readFile(crt, 'utf8')}\n${await fsp.readFile(keyFile, 'utf8')}`;
      return parsePair(text, crt, now);
    } catch {
      return null;
    }
  }

  /**
   * Stores a newly issued chain with its key and makes it current. Returns the new file. A caller
   * that generated the key passes it as well, and its PEM is not parsed back.
   */
  async update(certPem: string, keyPem: string, key?: KeyPair): Promise<StoredPair> {
    const now = this.now();
    const text = `${certPem.trimEnd()}\n${keyPem.trimEnd()}\n`;
    const file = join(this.dir, `${this.prefix}-${timestamp(now)}.pem`);
    // Refuse to write what could not be read back (the certificate must still match the key).
    const pair = parsePair(text, file, now, key);
    await writeFileAtomic(file, text, { mode: 0o600 });
    await replaceSymlinkAtomic(file, this.currentPath);
    return pair;
  }

  /** `<prefix>-<stamp>.pem` names, newest first. */
  async #stamped(): Promise<string[]> {
    const re = new RegExp(`^${this.prefix}-\\d{4}(-\\d{2}){5}\\.pem$`);
    const names = (await fsp.readdir(this.dir)).filter((n) => re.test(n));
    return names.sort().reverse();
  }

  // client-go's update sequence leaves `<prefix>-updated.pem` when it crashes between removing
  // current and renaming: adopt it (a cert dir written by a real kubelet may hold one).
  async #recoverUpdated(): Promise<void> {
    const updated = join(this.dir, `${this.prefix}-updated.pem`);
    try {
      await fsp.lstat(updated);
    } catch {
      return;
    }
    try {
      await fsp.lstat(this.currentPath);
      await fsp.rm(updated, { force: true });
    } catch {
      await fsp.rename(updated, this.currentPath);
    }
  }
}
