// The few API shapes the client itself reads: object metadata, lists, watch events, options.
// Structural on purpose, so any typed Kubernetes object (CSR, Node, Pod…) fits `T extends KubeObject`.

/**
 * The metadata the client reads. Structural, without an index signature, so every typed object
 * of `@mkube/shared/api` (CertificateSigningRequest, Node, Lease…) fits `T extends KubeObject`.
 */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** Event types a watch delivers to the caller; `ERROR` is thrown as a StatusError instead. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T> {
  readonly type: WatchEventType;
  readonly object: T;
}

/** Query values; arrays repeat the key, undefined is left out. */
export type Query = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface RequestOptions {
  readonly query?: Query;
  /** A string or bytes go as they are; anything else is JSON-encoded. */
  readonly body?: unknown;
  /** Default `application/json` when there is a body. */
  readonly contentType?: string;
  /** Default `application/json`. */
  readonly accept?: string;
  readonly signal?: AbortSignal;
  /** Overrides the client's timeoutMs for this request. */
  readonly timeoutMs?: number;
}

/** A group/version/resource, optionally in a namespace: what client-go's dynamic client addresses. */
export interface ResourceRef {
  /** '' for the core group (`/api/v1`). */
  readonly group: string;
  readonly version: string;
  /** Plural lower-case resource name, e.g. `certificatesigningrequests`. */
  readonly resource: string;
  /** Unset for cluster-scoped resources, or to list a namespaced resource across all namespaces. */
  readonly namespace?: string;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  readonly signal?: AbortSignal;
}

export interface WatchOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
  /** Default true. */
  readonly allowWatchBookmarks?: boolean;
  readonly timeoutSeconds?: number;
  readonly signal?: AbortSignal;
}

export interface CreateOptions {
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
  readonly signal?: AbortSignal;
}

export interface Preconditions {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

export interface DeleteOptions {
  readonly preconditions?: Preconditions;
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  readonly gracePeriodSeconds?: number;
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

/** The patch content types the apiserver accepts (apimachinery types.PatchType). */
export const PatchType = {
  JSON: 'application/json-patch+json',
  Merge: 'application/merge-patch+json',
  StrategicMerge: 'application/strategic-merge-patch+json',
  Apply: 'application/apply-patch+yaml',
} as const;
export type PatchType = (typeof PatchType)[keyof typeof PatchType];

/** What the client logs through: pino's Logger fits. Secrets are never passed in. */
export interface ClientLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}
