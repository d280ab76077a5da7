// Typed API errors, each mapped once to a metav1.Status with Kubernetes' reason, code and message
// (apimachinery pkg/api/errors). Handlers throw these; one place turns any error into a Status.
import { type FieldError, fieldErrorBody, fieldErrorCauseType, formatFieldErrors } from './field.js';
import { REASON_CODE, type Status, type StatusCause, type StatusDetails, type StatusReason } from './status.js';

/** A resource and its API group, printed `resource` (core) or `resource.group`. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export class StatusError extends Error {
  override readonly name = 'StatusError';
  readonly code: number;
  constructor(
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    code?: number,
  ) {
    super(message);
    this.code = code ?? REASON_CODE[reason];
  }

  toStatus(): Status {
    // Go's field order; details is a pointer there, so an empty one is still written ("details": {}).
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }

  /** Rebuilds the error a server sent (client side). */
  static fromStatus(status: Partial<Status>, httpCode: number): StatusError {
    const reason = (status.reason || reasonForCode(httpCode)) as StatusReason;
    return new StatusError(reason, status.message ?? '', status.details, status.code || httpCode);
  }
}

/** The reason a bare HTTP code most likely means (client-go's reasonForError table). */
const CODE_REASON: Readonly<Record<number, StatusReason>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** client-go's reason for an error response without a Status body (errors.NewGenericServerResponse). */
export function reasonForCode(code: number): StatusReason {
  return CODE_REASON[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
}

/** StatusDetails as Go writes them: empty fields omitted. */
function details(gr: GroupResource, name?: string): StatusDetails {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (gr.group) d.group = gr.group;
  if (gr.resource) d.kind = gr.resource;
  return d;
}

export const newNotFound = (gr: GroupResource, name: string): StatusError =>
  new StatusError('NotFound', `${qualifiedResource(gr)} "${name}" not found`, details(gr, name));

export const newAlreadyExists = (gr: GroupResource, name: string): StatusError =>
  new StatusError('AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, details(gr, name));

export const newConflict = (gr: GroupResource, name: string, why: string): StatusError =>
  new StatusError(
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`,
    details(gr, name),
  );

/** The optimistic-concurrency conflict text Kubernetes' registry uses. */
export const OBJECT_MODIFIED =
  'the object has been modified; please apply your changes to the latest version and try again';

export function newInvalid(
  kind: { group: string; kind: string },
  name: string,
  errs: readonly FieldError[],
): StatusError {
  const causes: StatusCause[] = errs.map((e) => ({
    reason: fieldErrorCauseType(e.type),
    message: fieldErrorBody(e),
    field: e.field,
  }));
  const d: StatusDetails = {
    ...(name ? { name } : {}),
    ...(kind.group ? { group: kind.group } : {}),
    kind: kind.kind,
    causes,
  };
  // GroupKind.String(): `Kind.group`, as in `Deployment.apps "web" is invalid: …`.
  const qualified = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
  return new StatusError(
    'Invalid',
    // Go's %q of the name, an empty one included (`The Pod "" is invalid: …`).
    `${qualified} ${JSON.stringify(name)} is invalid: ${formatFieldErrors(errs)}`,
    d,
  );
}

export const newBadRequest = (message: string): StatusError => new StatusError('BadRequest', message);

/** 410 for a watch or list from a compacted revision (reason Expired, as the etcd3 store returns). */
export const newResourceExpired = (message: string): StatusError => new StatusError('Expired', message);

export const newGone = (message: string): StatusError => new StatusError('Gone', message);

export function newForbidden(gr: GroupResource, name: string, why: string): StatusError {
  const what = name ? `${qualifiedResource(gr)} "${name}"` : qualifiedResource(gr);
  const message = gr.resource || name ? `${what} is forbidden: ${why}` : `forbidden: ${why}`;
  return new StatusError('Forbidden', message, details(gr, name));
}

export const newUnauthorized = (message = 'Unauthorized'): StatusError => new StatusError('Unauthorized', message);

/** errors.NewTooManyRequests: the message as given (NewTooManyRequestsError is the one that prefixes it). */
export const newTooManyRequests = (message: string, retryAfterSeconds: number): StatusError =>
  new StatusError('TooManyRequests', message, retryAfterSeconds ? { retryAfterSeconds } : {});

export const newRequestEntityTooLarge = (message: string): StatusError =>
  new StatusError('RequestEntityTooLarge', `Request entity too large: ${message}`);

export const newMethodNotSupported = (gr: GroupResource, action: string): StatusError =>
  new StatusError(
    'MethodNotAllowed',
    `${action} is not supported on resources of kind ${JSON.stringify(qualifiedResource(gr))}`,
    details(gr),
  );

export const newNotAcceptable = (message: string): StatusError => new StatusError('NotAcceptable', message);

export const newUnsupportedMediaType = (contentType: string): StatusError =>
  new StatusError(
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json (got ${JSON.stringify(contentType)})`,
  );

export const newTimeout = (message: string, retryAfterSeconds = 0): StatusError =>
  new StatusError('Timeout', `Timeout: ${message}`, retryAfterSeconds ? { retryAfterSeconds } : undefined);

export const newServiceUnavailable = (message: string): StatusError => new StatusError('ServiceUnavailable', message);

export function newInternalError(err: unknown): StatusError {
  const msg = err instanceof Error ? err.message : String(err);
  return new StatusError('InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
}

/**
 * ErrorToAPIStatus of an error that is not a Status (an aggregate of admission errors, say): 500 with
 * the error's own text and no reason, as the apiserver answers one.
 */
export const newNonStatusError = (message: string): StatusError => new StatusError('', message, undefined, 500);

/** The one mapping from anything thrown to a StatusError; unknown errors become InternalError. */
export function toStatusError(err: unknown): StatusError {
  return err instanceof StatusError ? err : newInternalError(err);
}

export const isNotFound = (e: unknown): boolean => e instanceof StatusError && e.reason === 'NotFound';
export const isAlreadyExists = (e: unknown): boolean => e instanceof StatusError && e.reason === 'AlreadyExists';
export const isConflict = (e: unknown): boolean => e instanceof StatusError && e.reason === 'Conflict';
export const isForbidden = (e: unknown): boolean => e instanceof StatusError && e.reason === 'Forbidden';
export const isGone = (e: unknown): boolean => e instanceof StatusError && e.code === 410;
export const isInvalid = (e: unknown): boolean => e instanceof StatusError && e.reason === 'Invalid';
export const isTooManyRequests = (e: unknown): boolean => e instanceof StatusError && e.reason === 'TooManyRequests';
