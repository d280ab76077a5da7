// Pseudo-terminals for `tty: true` containers and `exec -t`, through node-pty (a native addon, so an
// optional dependency: where it could not be built the kubelet falls back to its own line discipline
// over pipes, server/tty.ts). A terminal process is shaped as the part of a ChildProcess the
// runtime uses, so a container's lifecycle (exit, group kill, log, attach) is the same either way.
import { EventEmitter } from 'node:events';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { PassThrough, type Readable, Writable } from 'node:stream';

/** What the runtime needs of a container's process, whether it runs on pipes or on a terminal. */
export interface ContainerProcess {
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

/** The part of node-pty's API used here (declared, so the kubelet compiles without the addon). */
interface Pty {
  readonly pid: number;
  onData(l: (d: Buffer | string) => void): unknown;
  onExit(l: (e: { exitCode: number; signal?: number }) => void): unknown;
  write(d: string | Buffer): void;
  resize(cols: number, rows: number): void;
}
interface PtyModule {
  spawn(
    file: string,
    args: string[],
    opts: { name: string; cols: number; rows: number; cwd: string; env: NodeJS.ProcessEnv; encoding: null },
  ): Pty;
}

let loaded: PtyModule | null | undefined;

/** node-pty, or undefined where it is not installed or its addon does not load. */
export function ptyModule(): PtyModule | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('node-pty') as PtyModule;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/** A terminal's size, as the resize channel and TerminalSizeQueue carry it. */
export interface TerminalSize {
  readonly cols: number;
  readonly rows: number;
}

/** The size a terminal starts at until the client sends its own (the usual 80×24). */
export const DEFAULT_TERMINAL_SIZE: TerminalSize = { cols: 80, rows: 24 };

/** ^D: what ends a terminal's input in canonical mode (a terminal has no half-close). */
const VEOF = Buffer.of(0x04);

/**
 * exec.LookPath: a name without a slash is looked for in the env's PATH, as runc does before it
 * execs, so a missing command fails the way a pipe process's spawn does (ENOENT) rather than as
 * an exit code from the forked child.
 */
export function lookPath(file: string, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const executable = (p: string) => {
    try {
      accessSync(p, fsConstants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (file.includes('/')) return executable(resolve(cwd, file)) ? file : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const p = join(dir === '' ? '.' : dir, file);
    if (executable(resolve(cwd, p))) return p;
  }
  return undefined;
}

function signalName(n: number | undefined): NodeJS.Signals | null {
  if (!n) return null;
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === n) return name as NodeJS.Signals;
  return null;
}

/**
 * A process on its own pseudo-terminal: a new session whose leader it is (so its pid is its process
 * group, as a pipe process's `detached` gives), stdout the terminal's output (stderr too: a terminal
 * merges them; `stderr` ends at once), stdin the terminal's input. 'exit' comes once the terminal's
 * output has been read to its end.
 */
export class TerminalProcess extends EventEmitter implements ContainerProcess {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable | null;
  readonly #pty: Pty | undefined;

  constructor(
    pty: PtyModule,
    file: string,
    args: string[],
    opts: { cwd: string; env: NodeJS.ProcessEnv; size?: TerminalSize; stdin: boolean },
  ) {
    super();
    this.stderr.end();
    const size = opts.size ?? DEFAULT_TERMINAL_SIZE;
    const found = lookPath(file, opts.env, opts.cwd);
    if (!found) {
      const err = Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT', syscall: `spawn ${file}` });
      this.stdin = null;
      this.stdout.end();
      process.nextTick(() => {
        this.emit('error', err);
        this.emit('close', -2, null);
      });
      return;
    }
    // TERM as the CRI runtimes set it for a container with a terminal.
    const env = { TERM: 'xterm', ...opts.env };
    const p = pty.spawn(found, args, { name: env.TERM ?? 'xterm', ...size, cwd: opts.cwd, env, encoding: null });
    this.#pty = p;
    this.pid = p.pid;
    p.onData((d) => this.stdout.write(d));
    p.onExit(({ exitCode, signal }) => {
      this.signalCode = signalName(signal);
      this.exitCode = this.signalCode ? null : exitCode;
      this.stdout.end();
      this.emit('exit', this.exitCode, this.signalCode);
      this.emit('close', this.exitCode, this.signalCode);
    });
    this.stdin = opts.stdin
      ? new Writable({
          write: (chunk: Buffer, _enc, done) => {
            if (this.exitCode === null && this.signalCode === null) p.write(chunk);
            done();
          },
          final: (done) => {
            if (this.exitCode === null && this.signalCode === null) p.write(VEOF);
            done();
          },
        })
      : null;
  }

  /** The client's window size (channel 4, or a TerminalSizeQueue). */
  resize(size: TerminalSize): void {
    if (this.exitCode !== null || this.signalCode !== null || !this.#pty) return;
    const cols = Math.max(1, Math.min(size.cols, 0xffff));
    const rows = Math.max(1, Math.min(size.rows, 0xffff));
    try {
      this.#pty.resize(cols, rows);
    } catch {
      // the terminal closed in between
    }
  }
}

/** A process on a new terminal, or undefined when node-pty is not available here. */
export function spawnOnTerminal(
  file: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; size?: TerminalSize; stdin: boolean },
): TerminalProcess | undefined {
  const pty = ptyModule();
  return pty && new TerminalProcess(pty, file, args, opts);
}

/** The resize channel's message: `{"Width":cols,"Height":rows}` (remotecommand.TerminalSize). */
export function parseTerminalSize(raw: Buffer): TerminalSize | undefined {
  try {
    const v = JSON.parse(raw.toString('utf8')) as { Width?: unknown; Height?: unknown };
    if (typeof v.Width !== 'number' || typeof v.Height !== 'number') return undefined;
    if (!Number.isInteger(v.Width) || !Number.isInteger(v.Height) || v.Width <= 0 || v.Height <= 0) return undefined;
    return { cols: v.Width, rows: v.Height };
  } catch {
    return undefined;
  }
}
