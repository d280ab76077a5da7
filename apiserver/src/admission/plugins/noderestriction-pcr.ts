// NodeRestriction for PodCertificateRequests (admitPodCertificateRequest, 1.35): a kubelet may ask
// only for a pod bound to it, naming that pod's, service account's and node's current UIDs. A
// mismatch the kubelet cannot help (informer lag: the object is not there yet, or was replaced) is
// a plain error rather than Forbidden, so that the kubelet retries.
import {
  type KubeObject,
  MIRROR_POD_ANNOTATION,
  type Node,
  type Pod,
  type PodCertificateRequest,
} from '@mkube/shared/api';
import { type GroupResource, newForbidden, StatusError, type StatusReason } from '@mkube/shared/apierrors';
import type { FeatureGate } from '@mkube/shared/featuregate';
import type { AdmissionAttributes } from '../types.js';

/**
 * A plain Go error out of admission: ErrorToAPIStatus makes it a 500 with no reason and the error's
 * text as the message (not NewInternalError's "Internal error occurred: …").
 */
export class PlainAdmissionError extends StatusError {
  constructor(message: string) {
    super('' as StatusReason, message, undefined, 500);
  }

  override toStatus() {
    const { reason: _reason, ...status } = super.toStatus();
    return status;
  }
}

export interface PodCertificateRequestLookups {
  readonly gates: FeatureGate;
  readonly getNode?: (name: string) => Promise<Node | undefined>;
  readonly getPod?: (namespace: string, name: string) => Promise<Pod | undefined>;
  readonly getServiceAccount?: (namespace: string, name: string) => Promise<KubeObject | undefined>;
}

/** The lister's NotFound text: listers name the resource by its singular (`pod "x" not found`). */
const notFound = (resource: string, name: string) => `${resource} ${JSON.stringify(name)} not found`;

export async function admitPodCertificateRequest(
  a: AdmissionAttributes,
  node: string,
  gr: GroupResource,
  deps: PodCertificateRequestLookups,
): Promise<void> {
  // NodeRestriction is a mutating plugin upstream: a generated name does not exist yet when it runs.
  const forbid = (why: string) => newForbidden(gr, a.generatedFrom ?? a.name, why);
  if (!deps.gates.enabled('PodCertificateRequest')) throw forbid('PodCertificateRequest feature gate is disabled');
  if (a.operation !== 'CREATE') throw forbid(`unexpected operation ${a.operation}`);
  if (a.subresource) throw forbid(`unexpected subresource ${a.subresource}`);
  const spec = (a.object as PodCertificateRequest | undefined)?.spec;
  const q = JSON.stringify;
  const nodeName = spec?.nodeName ?? '';
  if (nodeName !== node) {
    throw forbid(`PodCertificateRequest.Spec.NodeName=${q(nodeName)}, which is not the requesting node ${q(node)}`);
  }
  const podRef = `${a.namespace}/${spec?.podName ?? ''}`;

  const nodeObj = await deps.getNode?.(nodeName);
  if (!nodeObj) {
    throw new PlainAdmissionError(
      `while retrieving node ${q(nodeName)} named in the PodCertificateRequest: ${notFound('node', nodeName)}`,
    );
  }
  if ((nodeObj.metadata.uid ?? '') !== (spec?.nodeUID ?? '')) {
    throw new PlainAdmissionError(
      `PodCertificateRequest for pod ${q(podRef)} names node UID ${q(spec?.nodeUID ?? '')}, inconsistent with the running node (${q(nodeObj.metadata.uid ?? '')})`,
    );
  }

  const pod = await deps.getPod?.(a.namespace, spec?.podName ?? '');
  if (!pod) {
    throw new PlainAdmissionError(
      `while retrieving pod ${q(podRef)} named in the PodCertificateRequest: ${notFound('pod', spec?.podName ?? '')}`,
    );
  }
  if ((pod.metadata.uid ?? '') !== (spec?.podUID ?? '')) {
    throw new PlainAdmissionError(
      `PodCertificateRequest for pod ${q(podRef)} contains pod UID (${q(spec?.podUID ?? '')}) which differs from running pod ${q(pod.metadata.uid ?? '')}`,
    );
  }
  if ((pod.spec?.nodeName ?? '') !== nodeName) {
    throw forbid(`pod ${q(podRef)} is not running on node ${q(nodeName)} named in the PodCertificateRequest`);
  }
  if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) throw forbid(`pod ${q(podRef)} is a mirror pod`);
  const podSA = pod.spec?.serviceAccountName ?? '';
  if ((spec?.serviceAccountName ?? '') !== podSA) {
    throw forbid(
      `PodCertificateRequest for pod ${q(podRef)} contains serviceAccountName (${q(spec?.serviceAccountName ?? '')}) that differs from running pod (${q(podSA)})`,
    );
  }

  const saRef = `${a.namespace}/${podSA}`;
  const sa = await deps.getServiceAccount?.(a.namespace, podSA);
  if (!sa) {
    throw new PlainAdmissionError(
      `while retrieving service account ${q(saRef)} named in the PodCertificateRequest: ${notFound('serviceaccount', podSA)}`,
    );
  }
  if ((sa.metadata.uid ?? '') !== (spec?.serviceAccountUID ?? '')) {
    throw new PlainAdmissionError(
      `PodCertificateRequest for pod ${q(podRef)} names service account UID ${q(spec?.serviceAccountUID ?? '')}, which differs from the running service account (${q(sa.metadata.uid ?? '')})`,
    );
  }
}
