// --service-account-private-key-file, read and parsed at start-up: kube-controller-manager would only
// fail once the tokens controller starts, mkube fails before anything runs, naming the flag and file.
import type { KeyObject } from 'node:crypto';
import { type ConfigProblem, privateKey, readFlagFile } from '@mkube/shared/flags';
import { algorithmOf } from '@mkube/shared/serviceaccount';

export const SERVICE_ACCOUNT_KEY_FLAG = 'service-account-private-key-file';

/** The signing key, or undefined (and a problem) when the file is unreadable, not a key, or of a kind tokens cannot be signed with. */
export function loadServiceAccountKey(file: string, problems: ConfigProblem[]): KeyObject | undefined {
  const pem = readFlagFile(SERVICE_ACCOUNT_KEY_FLAG, file, problems);
  if (pem === undefined) return undefined;
  const key = privateKey(SERVICE_ACCOUNT_KEY_FLAG, file, pem, problems);
  if (!key) return undefined;
  try {
    algorithmOf(key);
  } catch {
    problems.push({
      code: 'BAD_PRIVATE_KEY',
      flag: SERVICE_ACCOUNT_KEY_FLAG,
      file,
      message: 'must be an RSA or ECDSA P-256 private key',
    });
    return undefined;
  }
  return key;
}
