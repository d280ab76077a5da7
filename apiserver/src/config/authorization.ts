// --authorization-config (pkg/kubeapiserver/options/authorization.go): the AuthorizationConfiguration
// file replaces --authorization-mode and the --authorization-webhook-* flags, which may not be given
// with it. A file that does not load is a start-up error naming the flag and the file.
import type { FlagValues } from '@mkube/shared/flags';
import { type AuthorizerEntry, parseAuthorizationConfiguration } from '../auth/authorizationconfig/load.js';
import { type ConfigProblem, readFlagFile } from './errors.js';

export const AUTHORIZATION_CONFIG_FLAG = 'authorization-config';

export interface AuthorizationConfig {
  readonly file: string;
  readonly entries: readonly AuthorizerEntry[];
}

const LEGACY_FLAGS = [
  'authorization-mode',
  'authorization-webhook-config-file',
  'authorization-webhook-version',
  'authorization-webhook-cache-authorized-ttl',
  'authorization-webhook-cache-unauthorized-ttl',
];

export function authorizationConfig(
  flags: FlagValues,
  given: ReadonlySet<string>,
  problems: ConfigProblem[],
): AuthorizationConfig | undefined {
  const file = typeof flags[AUTHORIZATION_CONFIG_FLAG] === 'string' ? (flags[AUTHORIZATION_CONFIG_FLAG] as string) : '';
  if (!file) return undefined;
  if (LEGACY_FLAGS.some((f) => given.has(f))) {
    problems.push({
      code: 'BAD_VALUE',
      flag: AUTHORIZATION_CONFIG_FLAG,
      message:
        '--authorization-config can not be specified when --authorization-mode or --authorization-webhook-* flags are defined',
    });
    return undefined;
  }
  const text = readFlagFile(AUTHORIZATION_CONFIG_FLAG, file, problems);
  if (text === undefined) return undefined;
  try {
    return Object.freeze({ file, entries: Object.freeze(parseAuthorizationConfiguration(text)) });
  } catch (e) {
    problems.push({ code: 'BAD_VALUE', flag: AUTHORIZATION_CONFIG_FLAG, file, message: (e as Error).message });
    return undefined;
  }
}
