// authentication.k8s.io/v1 (k8s.io/api/authentication/v1/types.go).
import type { KubeObject, Time } from './meta.js';

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface TokenReviewSpec {
  token?: string;
  audiences?: string[];
}

export interface TokenReviewStatus {
  authenticated?: boolean;
  user?: UserInfo;
  audiences?: string[];
  error?: string;
}

export interface TokenReview extends KubeObject {
  spec: TokenReviewSpec;
  status?: TokenReviewStatus;
}

export interface BoundObjectReference {
  kind?: 'Pod' | 'Secret' | 'Node';
  apiVersion?: string;
  name?: string;
  uid?: string;
}

export interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds?: number;
  boundObjectRef?: BoundObjectReference | null;
}

export interface TokenRequestStatus {
  token: string;
  expirationTimestamp: Time;
}

/** serviceaccounts/token subresource. */
export interface TokenRequest extends KubeObject {
  spec: TokenRequestSpec;
  status?: TokenRequestStatus;
}

export interface SelfSubjectReview extends KubeObject {
  status?: { userInfo?: UserInfo };
}
