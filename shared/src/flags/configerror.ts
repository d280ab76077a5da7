// Configuration problems of any daemon's flags: each names the flag and, when there is one, the file. All are reported at once.
import { readFileSync } from 'node:fs';

export type ConfigErrorCode =
  | 'REQUIRED'
  | 'FILE_UNREADABLE'
  | 'BAD_CERTIFICATE'
  | 'BAD_PRIVATE_KEY'
  | 'KEY_MISMATCH'
  | 'BAD_VALUE'
  | 'NOT_SUPPORTED';

export interface ConfigProblem {
  readonly code: ConfigErrorCode;
  readonly flag: string;
  readonly file?: string;
  readonly message: string;
}

/** Reads a file for a flag; a problem is recorded and undefined returned when it cannot be read. */
export function readFlagFile(flag: string, file: string, problems: ConfigProblem[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    problems.push({ code: 'FILE_UNREADABLE', flag, file, message: `cannot read file: ${why}` });
    return undefined;
  }
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

function formatProblem(p: ConfigProblem): string {
  return `--${p.flag}${p.file ? ` ${JSON.stringify(p.file)}` : ''}: ${p.message}`;
}
