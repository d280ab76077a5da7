// The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): a volume's files are written into a
// fresh timestamped folder, `..data` is swapped to it with one rename, and each top-level name is a
// symlink through `..data` — a reader sees the old set or the new set, never a mix. Nothing is
// rewritten when the content is unchanged.
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

export interface VolumeFile {
  readonly data: Buffer;
  /** Permission bits; 0o644 by default (a volume's defaultMode 420). */
  readonly mode?: number;
}

const DATA = '..data';

/** The file paths a payload may use: relative, no `..` element, no leading `..` (upstream's validatePath). */
export function validPayloadPath(p: string): boolean {
  if (!p || p.startsWith('/') || p.length > 4096) return false;
  return p.split('/').every((el) => el !== '..' && el !== '' && !el.startsWith('..'));
}

function sameContent(dir: string, files: ReadonlyMap<string, VolumeFile>): boolean {
  const current = join(dir, DATA);
  if (!existsSync(current)) return false;
  const listed: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(current, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else listed.push(r);
    }
  };
  try {
    walk('');
  } catch {
    return false;
  }
  if (listed.length !== files.size) return false;
  for (const [p, f] of files) {
    try {
      const st = lstatSync(join(current, p));
      if ((st.mode & 0o777) !== (f.mode ?? 0o644)) return false;
      if (!readFileSync(join(current, p)).equals(f.data)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Writes `files` (relative path → content) into `dir` atomically; true when something changed. */
export function writeAtomically(dir: string, files: ReadonlyMap<string, VolumeFile>): boolean {
  for (const p of files.keys()) if (!validPayloadPath(p)) throw new Error(`invalid path ${JSON.stringify(p)}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (sameContent(dir, files)) return false;
  const stamp = new Date().toISOString().replace(/[-:.TZ]/g, '_');
  const tsName = `..${stamp}${randomBytes(4).toString('hex')}`;
  const tsDir = join(dir, tsName);
  mkdirSync(tsDir, { mode: 0o755 });
  for (const [p, f] of files) {
    const file = join(tsDir, p);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    const fd = openSync(file, 'w', f.mode ?? 0o644);
    try {
      writeSync(fd, f.data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(file, f.mode ?? 0o644);
  }
  let old: string | undefined;
  try {
    old = readlinkSync(join(dir, DATA));
  } catch {}
  const tmpLink = join(dir, `${DATA}_tmp`);
  rmSync(tmpLink, { force: true });
  symlinkSync(tsName, tmpLink);
  renameSync(tmpLink, join(dir, DATA));
  // Top-level names point through ..data; names no longer in the payload go.
  const top = new Set([...files.keys()].map((p) => p.split('/')[0]!));
  for (const name of top) {
    const link = join(dir, name);
    try {
      if (readlinkSync(link) === join(DATA, name)) continue;
    } catch {}
    rmSync(link, { recursive: true, force: true });
    symlinkSync(join(DATA, name), link);
  }
  for (const e of readdirSync(dir)) {
    if (e.startsWith('..') || top.has(e)) continue;
    rmSync(join(dir, e), { recursive: true, force: true });
  }
  if (old && old !== tsName) rmSync(join(dir, old), { recursive: true, force: true });
  return true;
}
