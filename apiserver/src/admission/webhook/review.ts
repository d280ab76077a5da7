// The AdmissionReview sent to a webhook and the checks on the one it returns
// (k8s.io/apiserver pkg/admission/plugin/webhook/request/admissionreview.go), and how a denial
// becomes the client's error (webhook/errors ToStatusErr, kube-apiserver 1.33).
import { randomUUID } from 'node:crypto';
import type { AdmissionResponse, AdmissionReview } from '@mkube/shared/api';
import { type Status, type StatusDetails, StatusError, type StatusReason } from '@mkube/shared/apierrors';
import type { AdmissionAttributes } from '../types.js';
import type { Invocation } from './matching.js';
import { requestNamespace } from './matching.js';

const REVIEW_VERSIONS = ['v1', 'v1beta1'] as const;
type ReviewVersion = (typeof REVIEW_VERSIONS)[number];

/** The first of the webhook's admissionReviewVersions this apiserver speaks. */
export function reviewVersion(versions: readonly string[] | undefined): ReviewVersion | undefined {
  return (versions ?? []).find((v): v is ReviewVersion => (REVIEW_VERSIONS as readonly string[]).includes(v));
}

/** CreateV1AdmissionReview (v1beta1 differs only in its apiVersion). */
export function createAdmissionReview(
  a: AdmissionAttributes,
  inv: Invocation,
  version: ReviewVersion,
): { uid: string; review: AdmissionReview } {
  const uid = randomUUID();
  const u = a.user;
  const userInfo = {
    username: u.username,
    ...(u.uid ? { uid: u.uid } : {}),
    ...(u.groups.length ? { groups: [...u.groups] } : {}),
    ...(u.extra && Object.keys(u.extra).length
      ? { extra: Object.fromEntries(Object.entries(u.extra).map(([k, v]) => [k, [...v]])) }
      : {}),
  };
  const namespace = requestNamespace(a);
  return {
    uid,
    review: {
      kind: 'AdmissionReview',
      apiVersion: `admission.k8s.io/${version}`,
      request: {
        uid,
        kind: inv.kind,
        resource: inv.resource,
        ...(inv.subresource ? { subResource: inv.subresource } : {}),
        requestKind: { group: a.group, version: a.version, kind: a.kind },
        requestResource: { group: a.group, version: a.version, resource: a.resource },
        ...(a.subresource ? { requestSubResource: a.subresource } : {}),
        ...(a.name ? { name: a.name } : {}),
        ...(namespace ? { namespace } : {}),
        operation: a.operation,
        userInfo,
        object: a.object ?? null,
        oldObject: a.oldObject ?? null,
        dryRun: a.dryRun,
        options: a.options ?? null,
      },
    },
  };
}

export interface VerifiedResponse {
  readonly allowed: boolean;
  readonly result?: AdmissionResponse['result'];
  readonly patch?: string;
  readonly patchType?: string;
  readonly auditAnnotations: Record<string, string>;
  readonly warnings: string[];
}

/** VerifyAdmissionResponse: throws an Error whose message is upstream's reason. */
export function verifyAdmissionResponse(
  uid: string,
  mutating: boolean,
  version: ReviewVersion,
  body: unknown,
): VerifiedResponse {
  const review = (body ?? {}) as Partial<AdmissionReview>;
  const r = review.response;
  if (!r || typeof r !== 'object') throw new Error('webhook response was absent');
  let patch: string | undefined;
  let patchType: string | undefined;
  if (version === 'v1') {
    if (r.uid !== uid)
      throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(r.uid ?? '')}`);
    const [group, v] = String(review.apiVersion ?? '').includes('/')
      ? String(review.apiVersion).split('/')
      : ['', String(review.apiVersion ?? '')];
    if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') {
      throw new Error(
        `expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${group}/${v}, Kind=${review.kind ?? ''}`,
      );
    }
    if (mutating) {
      const hasPatchType = r.patchType !== undefined && r.patchType !== null;
      if (r.patch && !hasPatchType) throw new Error('webhook returned response.patch but not response.patchType');
      if (!r.patch && hasPatchType) throw new Error('webhook returned response.patchType but not response.patch');
      if (hasPatchType && !r.patchType) {
        throw new Error(`webhook returned invalid response.patchType of ${JSON.stringify(r.patchType)}`);
      }
      patch = r.patch || undefined;
      patchType = r.patchType || undefined;
    } else {
      if (r.patch) throw new Error('validating webhook may not return response.patch');
      if (r.patchType !== undefined && r.patchType !== null) {
        throw new Error('validating webhook may not return response.patchType');
      }
    }
  } else if (mutating && r.patch) {
    // v1beta1 never checked the uid, kind or patch type; a patch is pinned to JSONPatch.
    patch = r.patch;
    patchType = 'JSONPatch';
  }
  return {
    allowed: r.allowed === true,
    ...(r.result ? { result: r.result } : {}),
    ...(patch ? { patch, patchType } : {}),
    auditAnnotations: r.auditAnnotations && typeof r.auditAnnotations === 'object' ? r.auditAnnotations : {},
    warnings: Array.isArray(r.warnings) ? r.warnings.filter((w): w is string => typeof w === 'string') : [],
  };
}

/** A denial: the webhook's Status as it sent it, which may carry an empty reason (Go omits it then). */
export class WebhookDenial extends StatusError {
  constructor(
    reason: string,
    message: string,
    details: StatusDetails | undefined,
    code: number,
    private readonly statusText: string,
  ) {
    super(reason as StatusReason, message, details, code);
  }

  override toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: this.statusText as Status['status'],
      message: this.message,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** ToStatusErr (1.33): the webhook's Status, at least 400 and Failure, its message prefixed. */
export function toStatusErr(webhookName: string, result: AdmissionResponse['result'] | undefined): WebhookDenial {
  const deniedBy = `admission webhook ${JSON.stringify(webhookName)} denied the request`;
  const r = result ?? {};
  const code = typeof r.code === 'number' && r.code >= 400 ? r.code : 400;
  const status = !r.status || r.status === 'Success' ? 'Failure' : r.status;
  const message = r.message
    ? `${deniedBy}: ${r.message}`
    : r.reason
      ? `${deniedBy}: ${r.reason}`
      : `${deniedBy} without explanation`;
  const details = r.details && typeof r.details === 'object' ? (r.details as StatusDetails) : undefined;
  return new WebhookDenial(r.reason ?? '', message, details, code, status);
}
