// Which bootstrap-token Secrets count, as the bootstrap signer reads them (k8s
// pkg/controller/bootstrap/util.go validateSecretForSigning, facts §10).
import type { Secret } from '@mkube/shared/api';
import {
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  secretField,
  tokenExpired,
  tokenIdFromSecretName,
} from '@mkube/shared/bootstraptoken';

export interface SigningToken {
  readonly id: string;
  readonly secret: string;
}

/** The token a Secret offers for signing cluster-info, or undefined when it does not qualify. */
export function signingTokenOf(s: Secret, now: Date): SigningToken | undefined {
  if (s.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || s.metadata?.deletionTimestamp) return undefined;
  const nameId = tokenIdFromSecretName(s.metadata?.name);
  const id = secretField(s, 'token-id');
  if (!nameId || id !== nameId) return undefined;
  const secret = secretField(s, 'token-secret');
  if (!secret) return undefined;
  if (tokenExpired(s, now)) return undefined;
  if (secretField(s, 'usage-bootstrap-signing') !== 'true') return undefined;
  return { id, secret };
}

/** The secret informer's selector: only bootstrap tokens, only in kube-system. */
export const TOKEN_SECRETS = {
  namespace: 'kube-system',
  fieldSelector: `type=${BOOTSTRAP_TOKEN_SECRET_TYPE}`,
} as const;
