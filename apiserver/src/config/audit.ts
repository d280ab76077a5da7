// --audit-policy-file and --audit-log-*: auditing runs when both a policy and a log path are given,
// as kube-apiserver's; a policy that does not load is a start-up error naming the flag and the file.
import type { FlagValues } from '@mkube/shared/flags';
import { loadPolicy, type Policy } from '../audit/index.js';
import type { ConfigProblem } from './errors.js';

export interface AuditConfig {
  readonly policy: Policy;
  readonly policyFile: string;
  readonly logPath: string;
  readonly maxAgeDays: number;
  readonly maxBackups: number;
  readonly maxSizeMB: number;
}

const str = (flags: FlagValues, n: string) => (typeof flags[n] === 'string' ? (flags[n] as string) : '');
const int = (flags: FlagValues, n: string) => (typeof flags[n] === 'number' ? (flags[n] as number) : 0);

export function auditConfig(flags: FlagValues, problems: ConfigProblem[]): AuditConfig | undefined {
  const format = str(flags, 'audit-log-format') || 'json';
  if (format !== 'json') {
    problems.push({
      code: format === 'legacy' ? 'NOT_SUPPORTED' : 'BAD_VALUE',
      flag: 'audit-log-format',
      message:
        format === 'legacy' ? 'legacy is not supported by mkube (json)' : `${JSON.stringify(format)}: must be json`,
    });
  }
  const mode = str(flags, 'audit-log-mode') || 'blocking';
  if (mode !== 'blocking' && mode !== 'blocking-strict') {
    problems.push({
      code: mode === 'batch' ? 'NOT_SUPPORTED' : 'BAD_VALUE',
      flag: 'audit-log-mode',
      message:
        mode === 'batch'
          ? 'batch is not supported by mkube (blocking, blocking-strict)'
          : `${JSON.stringify(mode)}: must be blocking or blocking-strict`,
    });
  }
  for (const n of ['audit-log-maxage', 'audit-log-maxbackup', 'audit-log-maxsize']) {
    if (int(flags, n) < 0) problems.push({ code: 'BAD_VALUE', flag: n, message: `${int(flags, n)} must be 0 or more` });
  }
  const policyFile = str(flags, 'audit-policy-file');
  const logPath = str(flags, 'audit-log-path');
  if (!policyFile) return undefined;
  let policy: Policy;
  try {
    policy = loadPolicy(policyFile);
  } catch (e) {
    problems.push({ code: 'BAD_VALUE', flag: 'audit-policy-file', message: (e as Error).message });
    return undefined;
  }
  if (!logPath) return undefined;
  return Object.freeze({
    policy,
    policyFile,
    logPath,
    maxAgeDays: int(flags, 'audit-log-maxage'),
    maxBackups: int(flags, 'audit-log-maxbackup'),
    maxSizeMB: int(flags, 'audit-log-maxsize'),
  });
}
