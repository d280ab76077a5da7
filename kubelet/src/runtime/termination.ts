// Termination messages, as kuberuntime's getTerminationMessage and readLastStringFromContainerLogs
// give them: the tail of the file at terminationMessagePath (at most 4 KiB), and under
// FallbackToLogsOnError, when that file is empty or missing and the container failed, the last 80
// lines of its output (at most 2 KiB). Upstream bind-mounts a fresh file per container instance at
// the path; a process container has no mount namespace, so the path appears as
// <pod dir>/<terminationMessagePath>, a symlink to the container's own file — which only one
// container can own, so a path that several of a pod's containers name gets no link (their files
// stay empty, and FallbackToLogsOnError still applies).
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Container, TERMINATION_MESSAGE_PATH_DEFAULT } from '@mkube/shared/api';
import { symlinkInPod } from './podpath.js';

/** kubecontainer.MaxContainerTerminationMessageLength. */
export const MAX_MESSAGE_BYTES = 4 * 1024;
/** kubecontainer.MaxContainerTerminationMessageLogLines and …LogLength. */
export const MAX_LOG_LINES = 80;
export const MAX_LOG_BYTES = 2 * 1024;

/** The last `max` bytes of a file (tail.ReadAtMost); undefined when it does not exist. */
function readAtMost(path: string, max: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, size - len);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** One container's termination-message file and the link to it in the pod's directory. */
export class TerminationLog {
  readonly #file: string;

  constructor(
    private readonly podDir: string,
    containerDir: string,
    /** The container's terminationMessagePath; undefined when other containers name it too. */
    private readonly path: string | undefined,
  ) {
    this.#file = join(containerDir, 'termination-log');
  }

  /** Before each start: an empty file, as upstream gives every instance a new one, and its link. */
  prepare(): void {
    mkdirSync(join(this.#file, '..'), { recursive: true });
    writeFileSync(this.#file, '', { mode: 0o666 });
    if (this.path) symlinkInPod(this.podDir, this.path, this.#file);
  }

  /**
   * getTerminationMessage: the file's tail, and whether the output should be read instead (the file
   * is empty or missing and `fallbackToLogs`). A file that cannot be read says so in the message.
   */
  read(fallbackToLogs: boolean): { message: string; checkLogs: boolean } {
    try {
      const data = readAtMost(this.#file, MAX_MESSAGE_BYTES);
      if (data === undefined) return { message: '', checkLogs: fallbackToLogs };
      return { message: data, checkLogs: fallbackToLogs && data.length === 0 };
    } catch (e) {
      return { message: `Error on reading termination log ${this.#file}: ${(e as Error).message}`, checkLogs: false };
    }
  }
}

/** Each container's TerminationLog; a path that several of `containers` name is linked for none. */
export function terminationLogs(podDir: string, containers: readonly Container[]): (c: Container) => TerminationLog {
  const pathOf = (c: Container) => c.terminationMessagePath || TERMINATION_MESSAGE_PATH_DEFAULT;
  const uses = new Map<string, number>();
  for (const c of containers) uses.set(pathOf(c), (uses.get(pathOf(c)) ?? 0) + 1);
  return (c) => new TerminationLog(podDir, join(podDir, c.name), uses.get(pathOf(c)) === 1 ? pathOf(c) : undefined);
}

/** The end of one container instance's output, kept as it is written (stdout and stderr together). */
export class OutputTail {
  #text = '';

  push(text: string): void {
    // Enough for 80 lines inside 2 KiB, with room for multi-byte characters.
    this.#text = (this.#text + text).slice(-4 * MAX_LOG_BYTES);
  }

  /** readLastStringFromContainerLogs: the last 80 lines, then the last 2 KiB of them. */
  message(): string {
    const lines = this.#text.split('\n');
    // A trailing newline ends the last line; it does not start another.
    const last = this.#text.endsWith('\n') ? lines.slice(-MAX_LOG_LINES - 1) : lines.slice(-MAX_LOG_LINES);
    const bytes = Buffer.from(last.join('\n'));
    return bytes.subarray(Math.max(0, bytes.length - MAX_LOG_BYTES)).toString('utf8');
  }
}
