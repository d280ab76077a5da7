// A daemon of the local cluster as its own process, logging to a file under the data dir, as
// separate machines would run it; stopped with SIGTERM, then SIGKILL if it hangs.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MKUBE_BIN = fileURLToPath(new URL('../../bin/mkube.js', import.meta.url));

export interface RunningDaemon {
  readonly name: string;
  readonly logFile: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function startDaemon(name: string, args: readonly string[], dataDir: string): RunningDaemon {
  return startProcess(name, process.execPath, [MKUBE_BIN, ...args], dataDir);
}

/** Any program as a daemon of the cluster (etcd members), with the same log file and stop rules. */
export function startProcess(name: string, file: string, args: readonly string[], dataDir: string): RunningDaemon {
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a', 0o600);
  const proc = spawn(file, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    name,
    logFile,
    proc,
    exited,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
