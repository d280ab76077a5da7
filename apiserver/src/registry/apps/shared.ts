// What the apps/v1 strategies do alike: pod defaults on the template, the generation rule, the
// immutable selector, and the alpha status fields kube-apiserver 1.33 drops with their gate off.
import type { KubeObject, LabelSelector, PodTemplateSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { goLabelSelector } from '../../validation/gosyntax.js';
import { deepEqual, FIELD_IMMUTABLE_ERROR_MSG } from '../../validation/objectmeta.js';
import { defaultPodTemplateSpec } from '../core/poddefaults.js';

/**
 * The template a v1 object always has once decoded (a struct, not a pointer, in Go), with the pod
 * defaults upstream's defaulters give a PodSpec inside a template.
 */
export function defaultTemplate(spec: { template?: PodTemplateSpec }): void {
  spec.template ??= {};
  const template = spec.template;
  template.spec ??= {} as NonNullable<PodTemplateSpec['spec']>;
  defaultPodTemplateSpec(template.spec);
}

/**
 * Semantic.DeepEqual of the specs (and, for Deployments, of the annotations): any difference is a
 * new generation.
 */
export function appsSpecChanged(
  obj: KubeObject & { spec?: unknown },
  old: KubeObject & { spec?: unknown },
  opts: { annotations?: boolean } = {},
): boolean {
  if (!deepEqual(obj.spec, old.spec)) return true;
  return !!opts.annotations && !deepEqual(obj.metadata.annotations, old.metadata.annotations);
}

/** ValidateImmutableField for spec.selector, its value printed as Go prints the struct. */
export function selectorImmutable(now: LabelSelector | undefined, old: LabelSelector | undefined): FieldError[] {
  return deepEqual(now, old)
    ? []
    : [fieldErrors.invalid('spec.selector', goLabelSelector(now), FIELD_IMMUTABLE_ERROR_MSG)];
}

/**
 * dropDisabledStatusFields: terminatingReplicas belongs to the DeploymentReplicaSetTerminatingReplicas
 * gate (alpha, off in 1.33); a status that did not have it does not get it.
 */
export function dropUnservedStatusFields(
  status: Record<string, unknown>,
  old: Record<string, unknown> | undefined,
): void {
  if (old?.terminatingReplicas === undefined) delete status.terminatingReplicas;
}
