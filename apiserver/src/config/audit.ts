// --audit-policy-file with --audit-log-* and/or --audit-webhook-*: auditing runs when a policy and a
// backend (a log path, a webhook kubeconfig, or both) are given, as kube-apiserver's; a policy or a
// webhook kubeconfig that does not load is a start-up error naming the flag and the file.
import type { FlagValues } from '@mkube/shared/flags';
import { loadPolicy, type Policy } from '../audit/index.js';
import type { ConfigProblem } from './errors.js';
import { readWebhookKubeconfig, type WebhookClientConfig } from './webhook.js';

export interface AuditWebhookConfig {
  readonly client: WebhookClientConfig;
  readonly maxBatchSize: number;
  readonly maxBatchWaitMs: number;
  readonly bufferSize: number;
  readonly initialBackoffMs: number;
  readonly throttleQps: number;
  readonly throttleBurst: number;
}

export interface AuditConfig {
  readonly policy: Policy;
  readonly policyFile: string;
  /** --audit-log-path; absent: no log backend. */
  readonly logPath?: string;
  /** --audit-webhook-config-file and its batch settings; absent: no webhook backend. */
  readonly webhook?: AuditWebhookConfig;
  readonly maxAgeDays: number;
  readonly maxBackups: number;
  readonly maxSizeMB: number;
}

const str = (flags: FlagValues, n: string) => (typeof flags[n] === 'string' ? (flags[n] as string) : '');
const int = (flags: FlagValues, n: string) => (typeof flags[n] === 'number' ? (flags[n] as number) : 0);
const num = (flags: FlagValues, n: string, d: number) => (typeof flags[n] === 'number' ? (flags[n] as number) : d);

function auditWebhookConfig(flags: FlagValues, problems: ConfigProblem[]): AuditWebhookConfig | undefined {
  const mode = str(flags, 'audit-webhook-mode') || 'batch';
  if (mode !== 'batch') {
    problems.push({
      code: mode === 'blocking' || mode === 'blocking-strict' ? 'NOT_SUPPORTED' : 'BAD_VALUE',
      flag: 'audit-webhook-mode',
      message: `${JSON.stringify(mode)}: mkube sends webhook events in batch mode only`,
    });
  }
  const version = str(flags, 'audit-webhook-version') || 'audit.k8s.io/v1';
  if (version !== 'audit.k8s.io/v1') {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'audit-webhook-version',
      message: `${JSON.stringify(version)}: must be audit.k8s.io/v1`,
    });
  }
  const positive = (n: string, d: number) => {
    const v = num(flags, n, d);
    if (!(v > 0)) problems.push({ code: 'BAD_VALUE', flag: n, message: `${v} must be greater than 0` });
    return v;
  };
  const maxBatchSize = positive('audit-webhook-batch-max-size', 400);
  const maxBatchWaitMs = positive('audit-webhook-batch-max-wait', 30_000);
  const bufferSize = positive('audit-webhook-batch-buffer-size', 10_000);
  const initialBackoffMs = positive('audit-webhook-initial-backoff', 10_000);
  const throttle = flags['audit-webhook-batch-throttle-enable'] !== false;
  const throttleQps = throttle ? positive('audit-webhook-batch-throttle-qps', 10) : 0;
  const throttleBurst = throttle ? positive('audit-webhook-batch-throttle-burst', 15) : 0;
  const file = str(flags, 'audit-webhook-config-file');
  if (!file) return undefined;
  const client = readWebhookKubeconfig('audit-webhook-config-file', file, problems);
  if (!client) return undefined;
  return Object.freeze({
    client,
    maxBatchSize,
    maxBatchWaitMs,
    bufferSize,
    initialBackoffMs,
    throttleQps,
    throttleBurst,
  });
}

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
  const webhook = auditWebhookConfig(flags, problems);
  if (!policyFile) return undefined;
  let policy: Policy;
  try {
    policy = loadPolicy(policyFile);
  } catch (e) {
    problems.push({ code: 'BAD_VALUE', flag: 'audit-policy-file', message: (e as Error).message });
    return undefined;
  }
  if (!logPath && !webhook) return undefined;
  return Object.freeze({
    policy,
    policyFile,
    ...(logPath ? { logPath } : {}),
    ...(webhook ? { webhook } : {}),
    maxAgeDays: int(flags, 'audit-log-maxage'),
    maxBackups: int(flags, 'audit-log-maxbackup'),
    maxSizeMB: int(flags, 'audit-log-maxsize'),
  });
}
