// What a service-account token Secret must hold (k8s tokens_controller.go secretUpdateNeeded and
// generateTokenIfNeeded, apiserver's serviceaccount.IsServiceAccountToken).
import type { Secret } from '@mkube/shared/api';
import {
  SERVICE_ACCOUNT_NAME_ANNOTATION,
  SERVICE_ACCOUNT_TOKEN_TYPE,
  SERVICE_ACCOUNT_UID_ANNOTATION,
} from '@mkube/shared/serviceaccount';

export const TOKEN_KEY = 'token';
export const ROOT_CA_KEY = 'ca.crt';
export const NAMESPACE_KEY = 'namespace';

/** The secret informer's selector: token Secrets only, as upstream's list/watch asked for. */
export const TOKEN_SECRET_SELECTOR = `type=${SERVICE_ACCOUNT_TOKEN_TYPE}`;

export interface Account {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** A token Secret of this account: same namespace and name, and its uid if the Secret records one. */
export function isServiceAccountToken(s: Secret, sa: Account): boolean {
  if (s.type !== SERVICE_ACCOUNT_TOKEN_TYPE || s.metadata?.namespace !== sa.namespace) return false;
  const a = s.metadata.annotations ?? {};
  if (a[SERVICE_ACCOUNT_NAME_ANNOTATION] !== sa.name) return false;
  const uid = a[SERVICE_ACCOUNT_UID_ANNOTATION];
  return !uid || uid === sa.uid;
}

export interface Needs {
  readonly ca: boolean;
  readonly namespace: boolean;
  readonly token: boolean;
}

/** What is missing; a CA that differs from ours counts, an existing token never does (it is never replaced). */
export function updatesNeeded(s: Secret, rootCA: string): Needs {
  const data = s.data ?? {};
  return {
    ca: rootCA.length > 0 && !Buffer.from(data[ROOT_CA_KEY] ?? '', 'base64').equals(Buffer.from(rootCA)),
    namespace: !data[NAMESPACE_KEY],
    token: !data[TOKEN_KEY],
  };
}

export const anyNeeded = (n: Needs): boolean => n.ca || n.namespace || n.token;

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * `s` with what `needs` asks for and both account annotations, keeping its resourceVersion so the
 * update fails rather than overwrite a Secret changed since (a token written meanwhile included).
 */
export function populated(s: Secret, sa: Account, needs: Needs, rootCA: string, token: string | undefined): Secret {
  const data = { ...s.data };
  if (needs.ca) data[ROOT_CA_KEY] = b64(rootCA);
  if (needs.namespace) data[NAMESPACE_KEY] = b64(sa.namespace);
  if (needs.token && token) data[TOKEN_KEY] = b64(token);
  return {
    ...s,
    metadata: {
      ...s.metadata,
      annotations: {
        ...s.metadata?.annotations,
        [SERVICE_ACCOUNT_NAME_ANNOTATION]: sa.name,
        [SERVICE_ACCOUNT_UID_ANNOTATION]: sa.uid,
      },
    },
    data,
  };
}
