// Crash-safe file writes: a reader sees the old file or the new one, never a half-written
// or empty one (kubernetes#34956, #65991, #92676 were 0-byte kubelet PEMs after power loss).
// Write a temp file in the same folder, fsync it, rename it over the target, fsync the folder.
import { randomBytes } from 'node:crypto';
import { close, constants, fchmod, promises as fsp, fsync, open, writeFile } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

// The callback API on plain descriptors: fs.promises' FileHandle objects cost about twice the CPU
// for the same system calls (a kubelet writes its certificates this way, a thousand at a join).
const openFd = promisify(open);
const writeFd = promisify(writeFile) as (fd: number, data: string | Uint8Array) => Promise<void>;
const fchmodFd = promisify(fchmod);
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

export interface AtomicWriteOptions {
  /** File mode; private keys and kubeconfigs with credentials use 0o600. */
  readonly mode?: number;
  /** Refuse to replace an existing file (EEXIST). */
  readonly exclusive?: boolean;
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = await openFd(dir, constants.O_RDONLY);
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

/** Writes `data` to `path` atomically and durably. Creates missing parent folders (0o755). */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = opts.mode ?? 0o644;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  // The folder is made only when missing: writers rewrite files in folders that exist.
  const fd = await openFd(tmp, flags, mode).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
    await fsp.mkdir(dir, { recursive: true });
    return openFd(tmp, flags, mode);
  });
  try {
    await writeFd(fd, data);
    // The umask may have narrowed the mode at creation; set it exactly.
    await fchmodFd(fd, mode);
    await fsyncFd(fd);
  } catch (e) {
    await closeFd(fd).catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await closeFd(fd);
  try {
    if (opts.exclusive) {
      // link() fails with EEXIST instead of replacing, so two writers cannot both win.
      await fsp.link(tmp, path);
      await fsp.rm(tmp, { force: true });
    } else {
      await fsp.rename(tmp, path);
    }
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** Points `linkPath` at `target` atomically (symlink to a temp name, then rename over). */
export async function replaceSymlinkAtomic(target: string, linkPath: string): Promise<void> {
  const dir = dirname(linkPath);
  const tmp = join(dir, `.${basename(linkPath)}.${randomBytes(6).toString('hex')}.tmp`);
  await fsp.symlink(target, tmp);
  try {
    await fsp.rename(tmp, linkPath);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** Removes temp files a crash left behind in `dir` (names this module creates). */
export async function cleanupAtomicTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names.filter((n) => /^\..+\.[0-9a-f]{12}\.tmp$/.test(n)).map((n) => fsp.rm(join(dir, n), { force: true })),
  );
}
