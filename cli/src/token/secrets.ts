// Bootstrap-token Secrets as kubeadm writes and reads them (facts §1).
import { metaTime, type Secret } from '@mkube/shared/api';
import {
  BOOTSTRAP_EXTRA_GROUP_RE,
  BOOTSTRAP_TOKEN_SECRET_PREFIX,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  parseBootstrapToken,
} from '@mkube/shared/bootstraptoken';
import { CliError } from '../command.js';

export const USAGES = ['signing', 'authentication'] as const;

export interface TokenSpec {
  readonly token: string;
  readonly ttlMs: number;
  readonly usages: readonly string[];
  readonly groups: readonly string[];
  readonly description?: string;
}

/** Checks everything before anything is sent; messages name the flag. */
export function checkTokenSpec(spec: TokenSpec): void {
  if (!parseBootstrapToken(spec.token))
    throw new CliError(`token "${spec.token}" does not match the format [a-z0-9]{6}.[a-z0-9]{16}`);
  for (const u of spec.usages) {
    if (!(USAGES as readonly string[]).includes(u))
      throw new CliError(`--usages: invalid bootstrap token usage "${u}" (allowed: ${USAGES.join(', ')})`);
  }
  for (const g of spec.groups) {
    if (!BOOTSTRAP_EXTRA_GROUP_RE.test(g)) {
      throw new CliError(
        `--groups: "${g}" is not a valid bootstrap group: it must match ${BOOTSTRAP_EXTRA_GROUP_RE.source}`,
      );
    }
  }
  if (spec.ttlMs < 0) throw new CliError('--ttl must not be negative');
}

export function tokenSecret(spec: TokenSpec, now: Date): Secret {
  const { id, secret } = parseBootstrapToken(spec.token)!;
  const data: Record<string, string> = { 'token-id': id, 'token-secret': secret };
  if (spec.ttlMs > 0) data.expiration = metaTime(new Date(now.getTime() + spec.ttlMs));
  for (const u of spec.usages) data[`usage-bootstrap-${u}`] = 'true';
  if (spec.groups.length) data['auth-extra-groups'] = spec.groups.join(',');
  if (spec.description) data.description = spec.description;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`, namespace: 'kube-system' },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

export interface ListedToken {
  token: string;
  expires?: Date;
  usages: string[];
  description: string;
  groups: string[];
}

export function readTokenSecret(s: Secret): ListedToken | undefined {
  const get = (k: string) =>
    s.data?.[k] === undefined ? undefined : Buffer.from(s.data[k]!, 'base64').toString('utf8');
  const id = get('token-id');
  const secret = get('token-secret');
  if (!id || !secret) return undefined;
  const exp = get('expiration');
  return {
    token: `${id}.${secret}`,
    expires: exp ? new Date(exp) : undefined,
    usages: USAGES.filter((u) => get(`usage-bootstrap-${u}`) === 'true').sort(),
    description: get('description') ?? '',
    groups: (get('auth-extra-groups') ?? '').split(',').filter((g) => g !== ''),
  };
}
