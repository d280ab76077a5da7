// apiregistration.k8s.io APIService validation (kube-aggregator pkg/apis/apiregistration/validation).
import type { APIService } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isDNS1035Label, isDNS1123Subdomain } from '@mkube/shared/selectors';

const STATUSES = ['True', 'False', 'Unknown'];

export function validateAPIService(s: APIService): FieldError[] {
  const errs: FieldError[] = [];
  const spec = s.spec ?? ({} as APIService['spec']);
  const group = spec.group ?? '';
  const version = spec.version ?? '';
  // The path-segment rules are the registry's; the name must also be version.group.
  const required = `${version}.${group}`;
  const name = s.metadata?.name;
  if (name && name !== required)
    errs.push(fieldErrors.invalid('metadata.name', name, `must be \`spec.version+"."+spec.group\`: "${required}"`));
  if (group === '' && version !== 'v1')
    errs.push(fieldErrors.required('spec.group', 'only v1 may have an empty group and it better be legacy kube'));
  if (group !== '') for (const m of isDNS1123Subdomain(group)) errs.push(fieldErrors.invalid('spec.group', group, m));
  for (const m of isDNS1035Label(version)) errs.push(fieldErrors.invalid('spec.version', version, m));
  const gpm = spec.groupPriorityMinimum ?? 0;
  if (gpm <= 0 || gpm > 20000)
    errs.push(fieldErrors.invalid('spec.groupPriorityMinimum', gpm, 'must be positive and less than 20000'));
  const vp = spec.versionPriority ?? 0;
  if (vp <= 0 || vp > 1000)
    errs.push(fieldErrors.invalid('spec.versionPriority', vp, 'must be positive and less than 1000'));
  const caBytes = spec.caBundle ? Buffer.from(spec.caBundle, 'base64').length : 0;
  if (!spec.service) {
    if (caBytes)
      errs.push(fieldErrors.invalid('spec.caBundle', `${caBytes} bytes`, 'local APIServices may not have a caBundle'));
    if (spec.insecureSkipTLSVerify)
      errs.push(
        fieldErrors.invalid('spec.insecureSkipTLSVerify', true, 'local APIServices may not have insecureSkipTLSVerify'),
      );
    return errs;
  }
  if (!spec.service.namespace) errs.push(fieldErrors.required('spec.service.namespace', ''));
  if (!spec.service.name) errs.push(fieldErrors.required('spec.service.name', ''));
  if (spec.insecureSkipTLSVerify && caBytes > 0)
    errs.push(fieldErrors.invalid('spec.insecureSkipTLSVerify', true, 'may not be true if caBundle is present'));
  return errs;
}

export function validateAPIServiceStatus(s: APIService): FieldError[] {
  return (s.status?.conditions ?? []).flatMap((c, i) =>
    STATUSES.includes(c?.status)
      ? []
      : [fieldErrors.notSupported(`status.conditions[${i}].status`, c?.status, STATUSES)],
  );
}
