// /proc/<pid>/stat, split after the command (which may hold spaces and parentheses): element 0 is
// the state (field 3 of proc(5)), so field n is element n - 3.
import { readFileSync } from 'node:fs';

/** The fields of a process's stat line from the state on; undefined once it is gone. */
export function procStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
