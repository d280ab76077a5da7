// ValidatePodTemplateSpec (pkg/apis/core/validation): a workload's pod template is checked with
// every pod rule, its findings placed under the template's path. Upstream names the template's
// labels and annotations `<path>.labels` and `<path>.annotations` (not `.metadata.…`).
import type { Pod, PodTemplateSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { validatePod } from './core.js';
import { validateAnnotations, validateLabels } from './objectmeta.js';
import { validatePrivilegedDisallowed } from './security.js';

/** A name and namespace the pod rules accept, so that only the spec's findings come back. */
const PLACEHOLDER_META = { name: 'template', namespace: 'template' };

/** `spec.containers[0].image` → `<path>.spec.containers[0].image`. */
function rebase(errs: readonly FieldError[], path: string): FieldError[] {
  return errs
    .filter((e) => e.field === 'spec' || e.field.startsWith('spec.'))
    .map((e) => ({ ...e, field: `${path}.${e.field}` }));
}

function asPod(template: PodTemplateSpec | undefined): Pod {
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...PLACEHOLDER_META } };
  if (template?.spec) pod.spec = template.spec;
  return pod;
}

export interface PodTemplateOptions {
  /** --allow-privileged=false: privileged containers are refused in templates as in pods. */
  readonly allowPrivileged?: boolean;
}

/** `path` is the template's own: `spec.template`, `spec.jobTemplate.spec.template`. */
export function validatePodTemplateSpec(
  template: PodTemplateSpec | undefined,
  path: string,
  opts: PodTemplateOptions = {},
): FieldError[] {
  const meta = template?.metadata ?? {};
  const pod = asPod(template);
  const errs = [
    ...validateLabels(meta.labels, `${path}.labels`),
    ...validateAnnotations(meta.annotations, `${path}.annotations`),
    ...rebase(validatePod(pod), path),
  ];
  if (opts.allowPrivileged === false) errs.push(...rebase(validatePrivilegedDisallowed(pod), path));
  if (template?.spec?.ephemeralContainers?.length) {
    errs.push(
      fieldErrors.forbidden(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'),
    );
  }
  return errs;
}
