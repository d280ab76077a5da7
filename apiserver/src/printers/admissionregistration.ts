// Printers of admissionregistration.k8s.io (k/k printers.go): the webhook configurations (NAME,
// WEBHOOKS, AGE), ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding.
import type {
  LabelSelector,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
  ValidatingWebhookConfiguration,
} from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

export const webhookConfigurationPrinter: Printer = printer<ValidatingWebhookConfiguration>({
  columns: [
    NAME_COLUMN,
    col('Webhooks', 'Webhooks indicates the number of webhooks registered in this configuration', {
      type: 'integer',
    }),
    AGE_COLUMN,
  ],
  cells: (o, now) => [o.metadata.name, (o.webhooks ?? []).length, timestampSince(o.metadata?.creationTimestamp, now)],
});

/** printValidatingAdmissionPolicy: NAME, VALIDATIONS, PARAMKIND (`<apiVersion>/<kind>` or `<unset>`), AGE. */
export const validatingAdmissionPolicyPrinter: Printer = printer<ValidatingAdmissionPolicy>({
  columns: [
    NAME_COLUMN,
    col('Validations', 'Validations indicates the number of validation rules defined in this configuration', {
      type: 'integer',
    }),
    col('ParamKind', 'ParamKind specifies the kind of resources used to parameterize this policy'),
    AGE_COLUMN,
  ],
  cells: (o, now) => {
    const pk = o.spec?.paramKind;
    return [
      o.metadata.name,
      (o.spec?.validations ?? []).length,
      pk ? `${pk.apiVersion ?? ''}/${pk.kind ?? ''}` : '<unset>',
      timestampSince(o.metadata?.creationTimestamp, now),
    ];
  },
});

/** Go's generated String() of a metav1.LabelSelector, which upstream prints for a selector paramRef. */
function goLabelSelectorString(s: LabelSelector): string {
  const labels = Object.keys(s.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${s.matchLabels![k]},`)
    .join('');
  const exprs = (s.matchExpressions ?? [])
    .map(
      (r) => `LabelSelectorRequirement{Key:${r.key},Operator:${r.operator},Values:[${(r.values ?? []).join(' ')}],},`,
    )
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

/** printValidatingAdmissionPolicyBinding: NAME, POLICYNAME, PARAMREF (`ns/name`, `*\/name`, a selector or `<unset>`), AGE. */
export const validatingAdmissionPolicyBindingPrinter: Printer = printer<ValidatingAdmissionPolicyBinding>({
  columns: [
    NAME_COLUMN,
    col('PolicyName', 'PolicyName indicates the policy definition which the policy binding binded to'),
    col('ParamRef', 'ParamRef indicates the param resource which sets the configration param'),
    AGE_COLUMN,
  ],
  cells: (o, now) => {
    const pr = o.spec?.paramRef;
    let param = '<unset>';
    if (pr?.name) param = pr.namespace ? `${pr.namespace}/${pr.name}` : `*/${pr.name}`;
    else if (pr?.selector) param = goLabelSelectorString(pr.selector);
    return [o.metadata.name, o.spec?.policyName ?? '', param, timestampSince(o.metadata?.creationTimestamp, now)];
  },
});
