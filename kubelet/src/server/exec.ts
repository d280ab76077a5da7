// /exec/{ns}/{pod}/{container} over WebSocket, the channel protocol of facts §11 (v5 with CLOSE
// frames; v4 accepted): binary frames, byte 0 the channel (0 stdin, 1 stdout, 2 stderr, 3 status,
// 4 resize, 255 close). The command runs in the pod's directory with the container's env; its
// exit ends the stream with a Status on channel 3 — Success, or NonZeroExitCode with the code as
// an ExitCode cause — and a normal close. With `tty` it runs on a pseudo-terminal of its own, sized
// by channel 4, as a CRI runtime's exec does.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { type PodWorker, signalGroup } from '../runtime/pod.js';
import { interruptForeground } from '../runtime/proc.js';
import { type ContainerProcess, parseTerminalSize, spawnOnTerminal, type TerminalProcess } from '../runtime/pty.js';
import { LineDiscipline, onlcr } from './tty.js';

/** The part of a ws WebSocket exec uses. */
export interface ExecSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: Buffer): void;
  close(code?: number): void;
  on(event: 'message', l: (raw: Buffer, isBinary: boolean) => void): void;
  on(event: 'close', l: () => void): void;
}

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

export interface ExecParams {
  readonly command: readonly string[];
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/** Both the kubelet's names (input/output/error) and the API's (stdin/stdout/stderr). */
export function execParams(q: Record<string, string | string[] | undefined>): ExecParams {
  const all = (k: string) => (q[k] === undefined ? [] : Array.isArray(q[k]) ? (q[k] as string[]) : [q[k] as string]);
  const on = (...keys: string[]) => keys.some((k) => all(k).some((v) => v === '1' || v === 'true'));
  return {
    command: all('command'),
    stdin: on('input', 'stdin'),
    stdout: on('output', 'stdout'),
    stderr: on('error', 'stderr'),
    tty: on('tty'),
  };
}

function frame(channel: number, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

export function failureStatus(message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ metadata: {}, status: 'Failure', message, ...extra });
}

/** Where a session's input goes, and what ^D and ^C do to it. */
interface InputTarget {
  write(chunk: Buffer): void;
  end(): void;
  interrupt(): void;
}

/**
 * Channel 0's bytes for `to`: as they are to a terminal or without -t; under -t to a process with no
 * terminal (node-pty missing here), through the kubelet's line discipline, echoed on stdout.
 */
function stdinOf(p: ExecParams, send: (channel: number, data: Buffer) => void, to: InputTarget, terminal: boolean) {
  if (!p.tty || terminal) return (chunk: Buffer) => to.write(chunk);
  const tty = new LineDiscipline({
    echo: (d) => p.stdout && send(STDOUT, d),
    input: (d) => to.write(d),
    eof: () => to.end(),
    interrupt: () => to.interrupt(),
  });
  return (chunk: Buffer) => tty.feed(chunk);
}

export function runExec(ws: ExecSocket, worker: PodWorker, container: string, p: ExecParams): void {
  const send = (channel: number, data?: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
  };
  const finish = (status: string) => {
    send(ERROR, status);
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  if (p.command.length === 0) {
    finish(
      failureStatus('you must specify at least one command for the container', { reason: 'BadRequest', code: 400 }),
    );
    return;
  }
  if (!worker.isRunning(container)) {
    finish(failureStatus(`container not found ("${container}")`, { reason: 'NotFound', code: 404 }));
    return;
  }

  // Readiness: an empty frame on the lowest writable channel, as the apiserver's translator sends.
  send(p.stdout ? STDOUT : p.stderr ? STDERR : ERROR);
  let terminal: TerminalProcess | undefined;
  let child: ContainerProcess;
  try {
    terminal = p.tty
      ? spawnOnTerminal(p.command[0]!, p.command.slice(1), {
          cwd: worker.dir,
          env: worker.env(container),
          stdin: p.stdin,
        })
      : undefined;
    child =
      terminal ??
      spawn(p.command[0]!, p.command.slice(1), {
        cwd: worker.dir,
        env: worker.env(container),
        stdio: [p.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        // Its own process group, as the container's: a signal to "its" group (kill 0) must not reach
        // the kubelet, and closing the session ends everything the command started.
        detached: true,
      });
  } catch (e) {
    // No process at all (a terminal that could not be made, say): the session says why and ends.
    finish(failureStatus(`exec: "${p.command[0]}": ${(e as Error).message}`, { reason: 'InternalError', code: 500 }));
    return;
  }
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });
  // With -t both streams are the terminal's, on stdout; without a real one, "\n" goes out as "\r\n".
  const out = (d: Buffer) => (p.tty && !terminal ? onlcr(d) : d);
  child.stdout?.on('data', (d: Buffer) => p.stdout && send(STDOUT, out(d)));
  child.stderr?.on('data', (d: Buffer) => (p.tty ? p.stdout && send(STDOUT, out(d)) : p.stderr && send(STDERR, d)));
  child.stdin?.on('error', () => {});
  const input =
    child.stdin &&
    stdinOf(
      p,
      send,
      {
        write: (d) => child.stdin?.write(d),
        end: () => child.stdin?.end(),
        interrupt: () => child.pid && interruptForeground(child.pid),
      },
      terminal !== undefined,
    );

  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    if (!isBinary || raw.length === 0) return;
    const ch = raw[0]!;
    if (ch === STDIN) input?.(raw.subarray(1));
    else if (ch === CLOSE && raw[1] === STDIN) child.stdin?.end();
    else if (ch === RESIZE) resize(terminal, raw.subarray(1));
  });
  ws.on('close', () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) signalGroup(child.pid, 'SIGKILL');
  });
  child.once('close', (code, signal) => {
    if (spawnError) {
      const enoent = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      return finish(
        failureStatus(
          enoent
            ? `exec: "${p.command[0]}": executable file not found in $PATH`
            : `exec: "${p.command[0]}": ${spawnError.message}`,
          { reason: 'InternalError', code: 500 },
        ),
      );
    }
    const exit = code ?? (signal ? 128 + (signalNumber(signal) ?? 9) : 1);
    if (exit === 0) return finish(JSON.stringify({ metadata: {}, status: 'Success' }));
    finish(
      failureStatus(
        `command terminated with non-zero exit code: error executing command [${p.command.join(' ')}], exit code ${exit}`,
        {
          reason: 'NonZeroExitCode',
          details: { causes: [{ reason: 'ExitCode', message: String(exit) }] },
        },
      ),
    );
  });
}

/** Channel 4: the client's window, for a terminal (without one the size has nothing to change). */
function resize(terminal: TerminalProcess | undefined, raw: Buffer): void {
  const size = terminal && parseTerminalSize(raw);
  if (size) terminal?.resize(size);
}

function signalNumber(s: NodeJS.Signals): number | undefined {
  return (constants.signals as Record<string, number>)[s];
}

/**
 * /attach/{ns}/{pod}/{container}: the running process's stdout and stderr from now on, on channels
 * 1 and 2, until it exits (Success on channel 3) or the client goes; with `stdin` and a container
 * started with `stdin: true`, what the client sends on channel 0 is the process's input (a CLOSE of
 * channel 0 ends it; under `stdinOnce` so does the client going). Otherwise stdin is dropped.
 */
export function runAttach(ws: ExecSocket, worker: PodWorker, container: string, p: ExecParams): void {
  const send = (channel: number, data?: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
  };
  const finish = (status: string) => {
    send(ERROR, status);
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  if (!worker.hasContainer(container)) {
    finish(failureStatus(`container not found ("${container}")`, { reason: 'NotFound', code: 404 }));
    return;
  }
  // A container on a terminal sends its terminal's bytes as they are; -t to one without a terminal
  // (which kubectl does not ask for) gets the kubelet's line discipline.
  const terminal = worker.onTerminal(container);
  const detach = worker.attach(container, {
    output(stream, chunk) {
      // With a TTY the terminal merges both streams onto stdout.
      if (stream === 'stdout' || p.tty) {
        if (p.stdout) send(STDOUT, p.tty && !terminal ? onlcr(chunk) : chunk);
      } else if (p.stderr) send(STDERR, chunk);
    },
    exited() {
      finish(JSON.stringify({ metadata: {}, status: 'Success' }));
    },
  });
  if (!detach) {
    finish(
      failureStatus(`container "${container}" is not running: cannot attach`, { reason: 'BadRequest', code: 400 }),
    );
    return;
  }
  const stdin = p.stdin ? worker.attachStdin(container) : undefined;
  const input = stdin && stdinOf(p, send, stdin, terminal);
  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    if (!isBinary || raw.length === 0) return;
    if (raw[0] === RESIZE && terminal) {
      const size = parseTerminalSize(raw.subarray(1));
      if (size) worker.resizeTerminal(container, size);
    }
    if (!stdin) return;
    if (raw[0] === STDIN) input?.(raw.subarray(1));
    else if (raw[0] === CLOSE && raw[1] === STDIN) stdin.end();
  });
  send(p.stdout ? STDOUT : p.stderr ? STDERR : ERROR);
  ws.on('close', () => {
    detach();
    stdin?.release();
  });
}
