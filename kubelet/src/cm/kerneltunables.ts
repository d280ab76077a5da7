// protectKernelDefaults (--protect-kernel-defaults; the CIS benchmark wants it true): the kubelet's
// container manager expects six kernel tunables at its own values (setupKernelTunables). With the
// option it refuses to start while one differs, naming each; without it upstream's kubelet rewrites
// them. mkube's kubelet never writes the host's kernel settings — kernel.panic=10 and panic_on_oops=1
// would reboot a developer's machine on the next oops — so without the option it only logs them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The container manager's refusal to start (protectKernelDefaults and a tunable that differs). */
export class KernelTunablesError extends Error {
  override readonly name = 'KernelTunablesError';
}

/** The values the container manager wants, in upstream's desiredState. */
export const DESIRED_KERNEL_TUNABLES: readonly (readonly [string, number])[] = [
  ['vm/overcommit_memory', 1],
  ['vm/panic_on_oom', 0],
  ['kernel/panic', 10],
  ['kernel/panic_on_oops', 1],
  ['kernel/keys/root_maxkeys', 1_000_000],
  ['kernel/keys/root_maxbytes', 25_000_000],
];

/** Each tunable that differs (or cannot be read), as upstream's error says it. */
export function kernelTunableProblems(procSys = '/proc/sys'): string[] {
  const problems: string[] = [];
  for (const [flag, expected] of DESIRED_KERNEL_TUNABLES) {
    let actual: number;
    try {
      actual = Number.parseInt(readFileSync(join(procSys, flag), 'utf8').trim(), 10);
    } catch (e) {
      problems.push(`open ${join(procSys, flag)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      continue;
    }
    if (actual !== expected)
      problems.push(`invalid kernel flag: ${flag}, expected value: ${expected}, actual value: ${actual}`);
  }
  return problems;
}
