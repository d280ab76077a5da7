// ValidatePodTemplateSpec (pkg/apis/core/validation) for the pod template a Job or a CronJob's job
// template holds: the template's labels and annotations, and its spec with every pod rule. The pod
// validation speaks of `spec.…`; here the same findings are placed under the template's path.
import type { Pod, PodTemplateSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { validatePod } from '../../validation/core.js';
import { validateAnnotations, validateLabels } from '../../validation/objectmeta.js';

/** A name and namespace the pod rules accept, so only the spec's findings come back. */
const PLACEHOLDER_META = { name: 'template', namespace: 'template' };

function rebase(e: FieldError, path: string): FieldError {
  return { ...e, field: `${path}${e.field.slice('spec'.length)}` };
}

/** `path` is the template's own, e.g. `spec.template` or `spec.jobTemplate.spec.template`. */
export function validatePodTemplateSpec(template: PodTemplateSpec | undefined, path: string): FieldError[] {
  const meta = template?.metadata ?? {};
  const errs = [
    ...validateLabels(meta.labels, `${path}.metadata.labels`),
    ...validateAnnotations(meta.annotations, `${path}.metadata.annotations`),
  ];
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...PLACEHOLDER_META } };
  if (template?.spec) pod.spec = template.spec;
  for (const e of validatePod(pod)) {
    if (e.field === 'spec' || e.field.startsWith('spec.')) errs.push(rebase(e, `${path}.spec`));
  }
  if (template?.spec?.ephemeralContainers?.length) {
    errs.push(
      fieldErrors.forbidden(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'),
    );
  }
  return errs;
}
