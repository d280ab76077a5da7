// /proc/<pid>/stat, split after the command (which may hold spaces and parentheses): element 0 is
// the state (field 3 of proc(5)), so field n is element n - 3.
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of a process's stat line from the state on; undefined once it is gone. */
export function procStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The live processes of process group `pgid` (field 5 of proc(5), pgrp). */
export function groupMembers(pgid: number): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  return pids.filter((pid) => procStat(pid)?.[2] === String(pgid)).map(Number);
}

/**
 * ^C with no terminal to say which job is in the foreground: the group's leader when it runs alone
 * (a program), else everything it started (a shell's command — the shell itself, interactive under
 * a real tty, would survive the SIGINT).
 */
export function interruptForeground(leader: number): void {
  const others = groupMembers(leader).filter((pid) => pid !== leader);
  for (const pid of others.length > 0 ? others : [leader]) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // gone already
    }
  }
}
