// The log backend (--audit-log-path): one JSON event per line, written before the request goes on
// (kube-apiserver's default "blocking" mode), rotated by size as its lumberjack writer does:
// the full file becomes <name>-<UTC time>.<ext>, and backups beyond --audit-log-maxbackup or older
// than --audit-log-maxage days are removed. "-" writes to standard output.
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { AuditEvent } from './types.js';

export interface LogBackendOptions {
  readonly path: string;
  /** Megabytes before rotation; 0: never rotate. */
  readonly maxSizeMB: number;
  /** Rotated files kept; 0: all. */
  readonly maxBackups: number;
  /** Days a rotated file is kept; 0: forever. */
  readonly maxAgeDays: number;
  readonly now?: () => Date;
}

export interface AuditBackend {
  write(event: AuditEvent): void;
  close(): void;
}

/** lumberjack's backup name: name-2006-01-02T15-04-05.000.ext, in UTC. */
function backupName(path: string, at: Date): string {
  const ext = extname(path);
  const stem = basename(path, ext);
  const stamp = at.toISOString().replace(/:/g, '-').replace(/Z$/, '');
  return join(dirname(path), `${stem}-${stamp}${ext}`);
}

export class LogBackend implements AuditBackend {
  private fd: number;
  private size: number;
  private readonly now: () => Date;

  constructor(private readonly o: LogBackendOptions) {
    this.now = o.now ?? (() => new Date());
    if (o.path === '-') {
      this.fd = 1;
      this.size = 0;
      return;
    }
    mkdirSync(dirname(o.path), { recursive: true, mode: 0o700 });
    // The audit log names users and, at Request level, carries request bodies: owner-only.
    this.fd = openSync(o.path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  write(event: AuditEvent): void {
    const line = Buffer.from(`${JSON.stringify(event)}\n`);
    if (
      this.o.path !== '-' &&
      this.o.maxSizeMB > 0 &&
      this.size + line.length > this.o.maxSizeMB * 1024 * 1024 &&
      this.size > 0
    ) {
      this.rotate();
    }
    writeSync(this.fd, line);
    this.size += line.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(this.o.path, backupName(this.o.path, this.now()));
    this.fd = openSync(this.o.path, 'a', 0o600);
    this.size = 0;
    this.prune();
  }

  /** Removes backups past the count or the age limit. */
  private prune(): void {
    const dir = dirname(this.o.path);
    const ext = extname(this.o.path);
    const stem = basename(this.o.path, ext);
    const re = new RegExp(
      `^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}${ext.replace('.', '\\.')}$`,
    );
    const backups = readdirSync(dir)
      .filter((n) => re.test(n))
      .sort()
      .reverse();
    const cutoff = this.o.maxAgeDays > 0 ? this.now().getTime() - this.o.maxAgeDays * 86_400_000 : undefined;
    for (const [i, name] of backups.entries()) {
      const path = join(dir, name);
      const tooMany = this.o.maxBackups > 0 && i >= this.o.maxBackups;
      const tooOld = cutoff !== undefined && statSync(path).mtimeMs < cutoff;
      if (tooMany || tooOld) unlinkSync(path);
    }
  }

  close(): void {
    if (this.fd > 2) closeSync(this.fd);
  }
}
