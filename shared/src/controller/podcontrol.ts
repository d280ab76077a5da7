// RealPodControl (k8s pkg/controller/controller_utils.go): how workload controllers create pods
// from their template and delete them, with the Events upstream records on the owner.
import type { KubeObject, OwnerReference, Pod, PodTemplateSpec } from '../api/index.js';
import { isNotFound, StatusError } from '../apierrors/index.js';
import type { KubeClient } from '../client/index.js';
import type { EventRecorder } from '../events/index.js';

const PODS = { group: '', version: 'v1', resource: 'pods' } as const;

export const FAILED_CREATE_POD_REASON = 'FailedCreate';
export const SUCCESSFUL_CREATE_POD_REASON = 'SuccessfulCreate';
export const FAILED_DELETE_POD_REASON = 'FailedDelete';
export const SUCCESSFUL_DELETE_POD_REASON = 'SuccessfulDelete';

/** getPodsPrefix: `<owner>-`, or the bare name where the dash would make it too long for a pod name. */
function podsPrefix(ownerName: string): string {
  const prefix = `${ownerName}-`;
  return prefix.length <= 253 ? prefix : ownerName;
}

/** GetPodFromTemplate: labels, annotations and finalizers from the template, named after the owner. */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, controllerRef?: OwnerReference): Pod {
  const t = structuredClone(template);
  const metadata: NonNullable<Pod['metadata']> = { generateName: podsPrefix(owner.metadata?.name ?? '') };
  if (t.metadata?.labels) metadata.labels = t.metadata.labels;
  if (t.metadata?.annotations) metadata.annotations = t.metadata.annotations;
  if (t.metadata?.finalizers) metadata.finalizers = t.metadata.finalizers;
  if (controllerRef) metadata.ownerReferences = [controllerRef];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: t.spec ?? { containers: [] } };
}

/**
 * apierrors.HasStatusCause(err, NamespaceTerminatingCause): every create in the namespace will fail
 * the same way, so controllers neither record it nor retry it.
 */
export const isNamespaceTerminating = (e: unknown): boolean =>
  e instanceof StatusError && e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating') === true;

export class PodControl {
  constructor(
    protected readonly client: KubeClient,
    private readonly recorder: EventRecorder,
  ) {}

  /** CreatePodsWithControllerRef, or CreatePodsWithGenerateName when `generateName` is given. */
  async createPod(
    namespace: string,
    template: PodTemplateSpec,
    owner: KubeObject,
    ref: OwnerReference,
    generateName?: string,
  ): Promise<Pod> {
    const pod = podFromTemplate(template, owner, ref);
    if (generateName) pod.metadata.generateName = generateName;
    if (Object.keys(pod.metadata?.labels ?? {}).length === 0) throw new Error('unable to create pods, no labels');
    let created: Pod;
    try {
      created = await this.client.resource<Pod>({ ...PODS, namespace }).create(pod);
    } catch (e) {
      if (!isNamespaceTerminating(e))
        this.recorder.event(owner, 'Warning', FAILED_CREATE_POD_REASON, `Error creating: ${(e as Error).message}`);
      throw e;
    }
    this.recorder.event(owner, 'Normal', SUCCESSFUL_CREATE_POD_REASON, `Created pod: ${created.metadata?.name}`);
    return created;
  }

  /** DeletePod: a NotFound is thrown as is (the caller counts it as done), with no Event. */
  async deletePod(namespace: string, name: string, owner: KubeObject): Promise<void> {
    try {
      await this.client.resource<Pod>({ ...PODS, namespace }).delete(name);
    } catch (e) {
      if (isNotFound(e)) throw e;
      this.recorder.event(owner, 'Warning', FAILED_DELETE_POD_REASON, `Error deleting: ${(e as Error).message}`);
      throw new Error(`unable to delete pods: ${(e as Error).message}`);
    }
    this.recorder.event(owner, 'Normal', SUCCESSFUL_DELETE_POD_REASON, `Deleted pod: ${name}`);
  }
}
