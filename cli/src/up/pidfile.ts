// `mkube up` records its pid in <data-dir>/mkube-up.pid while it runs, so `mkube down` (or a second
// `mkube up` on the same data dir) can find it.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const pidFile = (dataDir: string) => join(dataDir, 'mkube-up.pid');

/** The pid of a live `mkube up` on this data dir, if any. */
export function runningUp(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(dataDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // A recycled pid that is not ours: only trust it when it is an mkube process.
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('mkube')) return undefined;
  } catch {
    // No /proc (not Linux): the signal check above is what there is.
  }
  return pid;
}

export function writePid(dataDir: string): void {
  writeFileSync(pidFile(dataDir), `${process.pid}\n`);
}

export function removePid(dataDir: string): void {
  try {
    if (Number(readFileSync(pidFile(dataDir), 'utf8').trim()) === process.pid)
      rmSync(pidFile(dataDir), { force: true });
  } catch {
    // gone already
  }
}
