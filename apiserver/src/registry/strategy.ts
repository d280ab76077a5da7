// Per-resource rules, as Kubernetes' registry strategies (pkg/registry/<group>/<resource>/strategy.go):
// the generic registry does storage, metadata, preconditions and watch; a strategy says what a
// create or an update may change and what is valid. One strategy per resource and per subresource.

import type { KubeObject } from '@mkube/shared/api';
import type { FieldError, StatusError } from '@mkube/shared/apierrors';
import type { UserInfo } from '@mkube/shared/auth';
import { jsonClone } from '../util/json.js';
import type { NameValidator } from '../validation/names.js';
import type { DeleteStrategy } from './deletion.js';

export interface StrategyContext {
  /** The authenticated requester (CSRs record it). */
  readonly user: UserInfo;
  readonly now: Date;
  /** Adds a `Warning` header to the response (admission webhooks' warnings). */
  readonly addWarning?: (text: string) => void;
  /** Adds an annotation to the request's audit event. */
  readonly addAuditAnnotation?: (key: string, value: string) => void;
  /** The request's `fieldManager` and `fieldValidation` parameters (admission webhooks receive them as options). */
  readonly fieldManager?: string;
  readonly fieldValidation?: string;
  /** Names the manager of a write that gives no fieldManager. */
  readonly userAgent?: string;
}

/** The apiserver writing on its own behalf (bootstrap policy, system namespaces, its Service, published config). */
export function apiserverContext(): StrategyContext {
  return { user: { username: 'system:apiserver', groups: ['system:masters'] }, now: new Date() };
}

/** Field values a field selector can test; `metadata.name` and `metadata.namespace` are always offered. */
export type SelectableFields = Readonly<Record<string, string>>;

export interface RESTStrategy<T extends KubeObject = KubeObject> extends DeleteStrategy {
  /** Clears what clients may not set on create (status, server-filled fields) and fills defaults. */
  prepareForCreate(obj: T, ctx: StrategyContext): void;
  /** On the main resource: restores what this endpoint may not change (usually status) from `old`. */
  prepareForUpdate(obj: T, old: T, ctx: StrategyContext): void;
  /**
   * Pure: the problems with a new object (metadata is validated by the generic registry). A
   * promise when part of the check runs off the event loop (a CSR's signature).
   */
  validate(obj: T, ctx: StrategyContext): FieldError[] | Promise<FieldError[]>;
  /** Pure: the problems with an update (immutable fields etc.). */
  validateUpdate(obj: T, old: T, ctx: StrategyContext): FieldError[];
  /** The name rule when it depends on the object (ValidateClusterTrustBundleName); default: the kind's. */
  nameValidator?(obj: T): NameValidator;
  /** Extra fields for field selectors, e.g. `spec.nodeName`, `spec.signerName`. */
  selectableFields?(obj: T): SelectableFields;
  /** Whether a change to `obj` relative to `old` bumps metadata.generation (spec changes do). */
  bumpsGeneration?(obj: T, old: T): boolean;
  /** PUT of a missing object creates it (Kubernetes: true for a few kinds, e.g. Nodes? no: only some). */
  readonly allowCreateOnUpdate?: boolean;
  /** false: a PUT without metadata.resourceVersion is refused (upstream's AllowUnconditionalUpdate); default true. */
  readonly allowUnconditionalUpdate?: boolean;
  /**
   * The refusal of a DELETE of this one object, before anything is read (a REST.Delete override
   * upstream, such as the system PriorityClasses'); DeleteCollection does not ask, as upstream's.
   */
  refuseDelete?(name: string): StatusError | undefined;
}

/** A subresource such as `status` or `approval` that updates part of the parent object. */
export interface SubresourceStrategy<T extends KubeObject = KubeObject> {
  /** Copies everything but the part this subresource owns from `old` into `obj`. */
  prepareForUpdate(obj: T, old: T, ctx: StrategyContext): void;
  /** A promise when the check asks the authorizer (a PodCertificateRequest signer's `sign`). */
  validateUpdate(obj: T, old: T, ctx: StrategyContext): FieldError[] | Promise<FieldError[]>;
  /**
   * The request's metadata.annotations are written too. Upstream's apps status strategies reset only
   * spec and labels, and the deployment controller records `deployment.kubernetes.io/revision`
   * through /status (kubectl rollout undo and history read it).
   */
  readonly updatesAnnotations?: boolean;
}

/**
 * A subresource's write starts from the object as stored: `o` (the request's object, which the
 * registry goes on with) becomes a copy of `old`; the caller then puts back the part it owns.
 */
export function resetToStored(o: KubeObject, old: KubeObject): void {
  for (const k of Object.keys(o)) delete (o as unknown as Record<string, unknown>)[k];
  Object.assign(o, jsonClone(old));
}

/** Called once the write is known to have succeeded (true) or failed (false). */
export type FinishFunc = (ok: boolean) => Promise<void>;

/**
 * What a resource holds outside its own object (a Service's cluster IP and node ports), as
 * genericregistry.Store's BeginCreate/BeginUpdate/AfterDelete: reserved after validation, before the
 * write, and given back when the write fails or the object is deleted.
 */
export interface RegistryHooks<T extends KubeObject = KubeObject> {
  beginCreate?(obj: T, dryRun: boolean): Promise<FinishFunc>;
  beginUpdate?(obj: T, old: T, dryRun: boolean): Promise<FinishFunc>;
  /** BeginUpdate of a subresource's store (a CSR's /status). */
  beginSubresourceUpdate?(subresource: string, obj: T, old: T, dryRun: boolean): Promise<FinishFunc>;
  afterDelete?(obj: T): Promise<void>;
}
