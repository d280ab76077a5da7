// core/v1 PodTemplate (pkg/registry/core/podtemplate/strategy.go): a stored pod template, checked
// and defaulted as a workload's template is. Its generation starts at 1 and moves when the template
// changes, as upstream's strategy does.
import type { PodTemplate } from '@mkube/shared/api';
import { jsonEqual } from '../../util/json.js';
import { validatePodTemplateSpec } from '../../validation/podtemplate.js';
import type { RESTStrategy } from '../strategy.js';
import { defaultPodTemplateSpec } from './poddefaults.js';

/** A PodTemplate's strategy under --allow-privileged (`allowPrivileged` false refuses privileged templates). */
export function podTemplateStrategyFor({ allowPrivileged }: { allowPrivileged: boolean }): RESTStrategy<PodTemplate> {
  const validate = (t: PodTemplate) => validatePodTemplateSpec(t.template, 'template', { allowPrivileged });
  return {
    prepareForCreate(t) {
      t.template ??= {};
      defaultPodTemplateSpec(t.template.spec);
    },
    prepareForUpdate(t) {
      t.template ??= {};
      defaultPodTemplateSpec(t.template.spec);
    },
    validate,
    validateUpdate: validate,
    bumpsGeneration: (t, old) => !jsonEqual(t.template, old.template),
  };
}
