// meta.k8s.io/v1 (k8s.io/apimachinery/pkg/apis/meta/v1/types.go): the parts every object and list
// share, plus the generic wrappers the apiserver returns (lists, watch events, tables, options).
import type { Status } from '../apierrors/status.js';

/** RFC 3339 timestamp with second precision as Kubernetes serialises metav1.Time, e.g. `2024-01-02T03:04:05Z`. */
export type Time = string;
/** RFC 3339 with microseconds (metav1.MicroTime), e.g. `2024-01-02T03:04:05.000001Z`. */
export type MicroTime = string;
/** A resource.Quantity in its canonical string form (`4`, `8Gi`, `110`). */
export type Quantity = string;

export interface TypeMeta {
  apiVersion?: string;
  kind?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: Time;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  selfLink?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: Time;
  deletionTimestamp?: Time;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
}

export interface ListMeta {
  selfLink?: string;
  resourceVersion?: string;
  /** Opaque token for the next chunk of a paginated list (`limit`/`continue`). */
  continue?: string;
  remainingItemCount?: number;
}

/** Any top-level object: TypeMeta inline plus metadata. */
export interface KubeObject extends TypeMeta {
  metadata: ObjectMeta;
}

/** `<Kind>List` as served by the apiserver. */
export interface List<T> extends TypeMeta {
  metadata: ListMeta;
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One line of a watch stream; ERROR carries a Status. */
export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** metav1.LabelSelector; an empty selector matches everything, a null one nothing. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** metav1.Condition, the generic condition shape (Lease-era types use it; core types have their own). */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: Time;
  reason: string;
  message: string;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

export type DeletionPropagation = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions extends TypeMeta {
  gracePeriodSeconds?: number;
  preconditions?: Preconditions;
  orphanDependents?: boolean;
  propagationPolicy?: DeletionPropagation;
  dryRun?: string[];
  ignoreStoreReadErrorWithClusterBreakingPotential?: boolean;
}

/** meta.k8s.io/v1 PartialObjectMetadata: an object reduced to its metadata (tables, `as=PartialObjectMetadata`). */
export interface PartialObjectMetadata extends TypeMeta {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface PartialObjectMetadataList extends TypeMeta {
  kind: 'PartialObjectMetadataList';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ListMeta;
  items: PartialObjectMetadata[];
}

export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type: `string`, `integer`, `number`, `boolean`, `date`. */
  type: string;
  /** OpenAPI format; `name` marks the name column. */
  format: string;
  description: string;
  /** 0 = always shown; > 0 only with `-o wide`. */
  priority: number;
}

export interface TableRowCondition {
  type: 'Completed';
  status: ConditionStatus;
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  /** PartialObjectMetadata by default, the full object with `includeObject=Object`, absent with `None`. */
  object?: unknown;
}

export interface Table extends TypeMeta {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export type IncludeObjectPolicy = 'None' | 'Metadata' | 'Object';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  watch?: boolean;
  allowWatchBookmarks?: boolean;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  timeoutSeconds?: number;
  limit?: number;
  continue?: string;
  sendInitialEvents?: boolean;
}

export interface CreateOptions {
  dryRun?: string[];
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
}

export type UpdateOptions = CreateOptions;

export interface PatchOptions extends CreateOptions {
  force?: boolean;
}
