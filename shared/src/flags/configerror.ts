// Configuration problems of any daemon's flags: each names the flag and, when there is one, the file. All are reported at once.

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

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

function formatProblem(p: ConfigProblem): string {
  return `--${p.flag}${p.file ? ` ${JSON.stringify(p.file)}` : ''}: ${p.message}`;
}
