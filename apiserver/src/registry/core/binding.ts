// pods/binding and the legacy `bindings` (pkg/registry/core/pod/storage BindingREST): how a scheduler
// places a pod. A core/v1 Binding names the pod (metadata.name) and a node (target.name); creating it
// sets the pod's spec.nodeName, merges the Binding's annotations into the pod's and marks the pod
// PodScheduled, in one storage-level write: the request is admitted as a create of the Binding (the
// scheduler holds `create pods/binding`, not `update pods`), and spec.nodeName is a field no update
// of the pod may change. Answers 201 with a Success Status, as upstream.
import { type Binding, type KubeObject, type ObjectMeta, type Pod, updatePodCondition } from '@mkube/shared/api';
import {
  type FieldError,
  fieldErrors,
  newBadRequest,
  newConflict,
  newInvalid,
  type Status,
} from '@mkube/shared/apierrors';
import type { UserInfo } from '@mkube/shared/auth';
import { type Admission, ReinvocationContext } from '../../admission/types.js';
import type { Store } from '../../storage/index.js';
import { isValidPathSegmentName } from '../../validation/names.js';
import { findResource } from '../catalog.js';
import { storageGuaranteedUpdate } from '../storageupdate.js';

const PODS = findResource('', 'v1', 'pods')!;
const BINDING_GR = { group: '', resource: 'pods/binding' };
const SUCCESS: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };

export interface BindRequest {
  readonly namespace: string;
  /** The pod in the URL of pods/<name>/binding; undefined on the legacy collection, where the Binding names it. */
  readonly urlName?: string;
  /** As decoded; admission may change it. */
  readonly binding: Binding;
  readonly user: UserInfo;
  readonly dryRun: boolean;
  readonly addWarning?: (text: string) => void;
  readonly addAuditAnnotation?: (key: string, value: string) => void;
}

/** ValidatePodBinding. */
export function validatePodBinding(b: Binding): FieldError[] {
  const errs: FieldError[] = [];
  const kind = b.target?.kind ?? '';
  if (kind !== '' && kind !== 'Node') errs.push(fieldErrors.notSupported('target.kind', kind, ['Node', '<empty>']));
  if (!b.target?.name) errs.push(fieldErrors.required('target.name'));
  return errs;
}

/** setPodHostAndAnnotations' update: only an unassigned, ungated pod that is not being deleted is placed. */
export function assignToNode(obj: KubeObject, node: string, annotations: ObjectMeta['annotations'], now: Date): Pod {
  const pod = obj as Pod;
  const name = pod.metadata.name ?? '';
  // Each refusal is a conflict on pods/binding: the pod, not the request, is in the way.
  const refuse = (why: string) => newConflict(BINDING_GR, name, why);
  if (pod.metadata.deletionTimestamp) throw refuse(`pod ${name} is being deleted, cannot be assigned to a host`);
  const spec = pod.spec ?? { containers: [] };
  if (spec.nodeName) throw refuse(`pod ${name} is already assigned to node ${JSON.stringify(spec.nodeName)}`);
  // Reject binding to a pod that is not ready to be scheduled.
  if ((spec.schedulingGates ?? []).length > 0) throw refuse(`pod ${name} has non-empty .spec.schedulingGates`);
  pod.spec = { ...spec, nodeName: node };
  const merged = { ...pod.metadata.annotations, ...annotations };
  // An empty map is no annotations, as Go writes it.
  if (Object.keys(merged).length) pod.metadata.annotations = merged;
  pod.status ??= {};
  updatePodCondition(pod.status, { type: 'PodScheduled', status: 'True' }, now);
  return pod;
}

/** NamespaceKeyFunc's checks of the pod's name, which the legacy collection takes from the body. */
function checkPodName(name: string): void {
  if (!name) throw newBadRequest('Name parameter required.');
  const msgs = isValidPathSegmentName(name);
  if (msgs.length) throw newBadRequest(`Name parameter invalid: ${JSON.stringify(name)}: ${msgs.join(';')}`);
}

/**
 * The create handler's part, then BindingREST.Create. Only pods/binding keeps the Binding's uid as a
 * precondition (SubresourceObjectMetaPreserver); the legacy collection wipes it as any create does.
 */
export function podBinder(deps: { store: Store; admission: Admission; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return async (req: BindRequest): Promise<Status> => {
    const { binding, namespace, dryRun } = req;
    const meta = binding.metadata;
    const legacy = req.urlName === undefined;
    if (legacy) {
      // WipeObjectMetaSystemFields
      for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'])
        delete (meta as Record<string, unknown>)[k];
    }
    if (!meta.namespace) meta.namespace = namespace;
    else if (meta.namespace !== namespace)
      throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
    const name = req.urlName ?? meta.name ?? '';
    const attrs = {
      operation: 'CREATE' as const,
      user: req.user,
      group: '',
      version: 'v1',
      resource: legacy ? 'bindings' : 'pods',
      subresource: legacy ? '' : 'binding',
      kind: 'Binding',
      namespace,
      name,
      object: binding,
      oldObject: undefined,
      dryRun,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', ...(dryRun ? { dryRun: ['All'] } : {}) },
      ...(req.addWarning ? { addWarning: req.addWarning } : {}),
      ...(req.addAuditAnnotation ? { addAuditAnnotation: req.addAuditAnnotation } : {}),
      reinvocation: new ReinvocationContext(),
    };
    await deps.admission.admit(attrs);
    if (name !== (binding.metadata.name ?? ''))
      throw newBadRequest('name in URL does not match name in Binding object');
    const errs = validatePodBinding(binding);
    if (errs.length) throw newInvalid({ group: '', kind: 'Binding' }, name, errs);
    await deps.admission.validate(attrs);
    checkPodName(name);
    const { uid, resourceVersion } = binding.metadata;
    await storageGuaranteedUpdate(deps.store, PODS, {
      namespace,
      name,
      preconditions: { ...(uid ? { uid } : {}), ...(resourceVersion ? { resourceVersion } : {}) },
      dryRun,
      transform: (pod) => assignToNode(pod, binding.target.name ?? '', binding.metadata.annotations, now()),
    });
    return SUCCESS;
  };
}
