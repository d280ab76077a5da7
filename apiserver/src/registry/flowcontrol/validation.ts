// flowcontrol/v1 FlowSchema validation (pkg/apis/flowcontrol/validation/validation.go, Kubernetes
// 1.33), on the defaulted object; metadata is the generic registry's. The mandatory schemas' specs
// are pinned to the built-in ones. Priority levels: prioritylevel.ts.
import type {
  FlowcontrolSubject,
  FlowSchema,
  FlowSchemaSpec,
  NonResourcePolicyRule,
  PolicyRulesWithSubjects,
  ResourcePolicyRule,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax, goStringSlice } from '@mkube/shared/apierrors';
import { MANDATORY_FLOW_SCHEMA_BY_NAME } from '../../flowcontrol/bootstrap.js';
import { nameIsDNSSubdomain, validateNamespaceName } from '../../validation/names.js';
import { flowSchemaSpecsEqual } from './defaults.js';

export const FLOW_SCHEMA_MAX_MATCHING_PRECEDENCE = 10000;
const SUPPORTED_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'proxy', 'update', 'watch'];
const DISTINGUISHER_METHODS = ['ByNamespace', 'ByUser'];
const SUBJECT_KINDS = ['Group', 'ServiceAccount', 'User'];
const NS_ERR_INTRO = "each member of this list must be '*' or a DNS-1123 label; ";

const hasWildcard = (list: readonly string[]) => list.includes('*');

export function validateFlowSchema(fs: FlowSchema): FieldError[] {
  const name = fs.metadata.name ?? '';
  const errs = validateFlowSchemaSpec(name, fs.spec, 'spec');
  const mandatory = MANDATORY_FLOW_SCHEMA_BY_NAME.get(name);
  // Almost exact equality: both sides come from the same built-in data.
  if (mandatory && !flowSchemaSpecsEqual(fs.spec, mandatory.spec)) {
    errs.push(fieldErrors.invalid('spec', fs.spec, `spec of '${name}' must equal the fixed value`));
  }
  errs.push(...validateConditionTypes(fs.status?.conditions, 'status'));
  return errs;
}

export function validateFlowSchemaSpec(name: string, spec: FlowSchemaSpec | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const precedence = spec?.matchingPrecedence ?? 0;
  if (precedence <= 0)
    errs.push(fieldErrors.invalid(`${path}.matchingPrecedence`, precedence, 'must be a positive value'));
  if (precedence > FLOW_SCHEMA_MAX_MATCHING_PRECEDENCE) {
    errs.push(
      fieldErrors.invalid(
        `${path}.matchingPrecedence`,
        precedence,
        `must not be greater than ${FLOW_SCHEMA_MAX_MATCHING_PRECEDENCE}`,
      ),
    );
  }
  if (precedence === 1 && name !== 'exempt') {
    errs.push(
      fieldErrors.invalid(
        `${path}.matchingPrecedence`,
        precedence,
        "only the schema named 'exempt' may have matchingPrecedence 1",
      ),
    );
  }
  const dm = spec?.distinguisherMethod;
  if (dm && !DISTINGUISHER_METHODS.includes(dm.type)) {
    // Go prints the struct the pointer holds.
    const bad = new GoSyntax(`flowcontrol.FlowDistinguisherMethod{Type:${JSON.stringify(dm.type ?? '')}}`);
    errs.push(fieldErrors.notSupported(`${path}.distinguisherMethod.type`, bad, DISTINGUISHER_METHODS));
  }
  const plName = spec?.priorityLevelConfiguration?.name ?? '';
  if (plName) {
    for (const msg of nameIsDNSSubdomain(plName, false))
      errs.push(fieldErrors.invalid(`${path}.priorityLevelConfiguration.name`, plName, msg));
  } else {
    errs.push(fieldErrors.required(`${path}.priorityLevelConfiguration.name`, 'must reference a priority level'));
  }
  (spec?.rules ?? []).forEach((rule, i) => {
    errs.push(...validatePolicyRulesWithSubjects(rule, `${path}.rules[${i}]`));
  });
  return errs;
}

function validatePolicyRulesWithSubjects(rule: PolicyRulesWithSubjects, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const subjects = rule.subjects ?? [];
  if (subjects.length) errs.push(...subjects.flatMap((s, i) => validateSubject(s, `${path}.subjects[${i}]`)));
  else errs.push(fieldErrors.required(`${path}.subjects`, 'subjects must contain at least one value'));
  const resourceRules = rule.resourceRules ?? [];
  const nonResourceRules = rule.nonResourceRules ?? [];
  if (!resourceRules.length && !nonResourceRules.length) {
    errs.push(fieldErrors.required(path, 'at least one of resourceRules and nonResourceRules has to be non-empty'));
  }
  errs.push(...resourceRules.flatMap((r, i) => validateResourceRule(r, `${path}.resourceRules[${i}]`)));
  errs.push(...nonResourceRules.flatMap((r, i) => validateNonResourceRule(r, `${path}.nonResourceRules[${i}]`)));
  return errs;
}

type SubjectMember = 'user' | 'group' | 'serviceAccount';

/** Each kind's member, in upstream's order of the "forbidden" checks. */
const SUBJECT_MEMBERS: readonly (readonly [kind: string, member: SubjectMember])[] = [
  ['ServiceAccount', 'serviceAccount'],
  ['User', 'user'],
  ['Group', 'group'],
];

function validateSubject(s: FlowcontrolSubject, path: string): FieldError[] {
  const own = SUBJECT_MEMBERS.find(([kind]) => kind === s.kind)?.[1];
  if (!own) return [fieldErrors.notSupported(`${path}.kind`, s.kind ?? '', SUBJECT_KINDS)];
  const errs: FieldError[] = [];
  if (own === 'serviceAccount') errs.push(...validateServiceAccountSubject(s, `${path}.serviceAccount`));
  else {
    const named = s[own];
    if (!named)
      errs.push(fieldErrors.required(`${path}.${own}`, `${own} is required when subject kind is '${s.kind}'`));
    else if (!named.name) errs.push(fieldErrors.required(`${path}.${own}.name`));
  }
  for (const [kind, member] of SUBJECT_MEMBERS) {
    if (member !== own && s[member])
      errs.push(
        fieldErrors.forbidden(`${path}.${member}`, `${member} is forbidden when subject kind is not '${kind}'`),
      );
  }
  return errs;
}

function validateServiceAccountSubject(s: FlowcontrolSubject, path: string): FieldError[] {
  const sa = s.serviceAccount;
  if (!sa) return [fieldErrors.required(path, "serviceAccount is required when subject kind is 'ServiceAccount'")];
  const errs: FieldError[] = [];
  if (!sa.name) errs.push(fieldErrors.required(`${path}.name`));
  else if (sa.name !== '*') {
    for (const msg of nameIsDNSSubdomain(sa.name, false)) errs.push(fieldErrors.invalid(`${path}.name`, sa.name, msg));
  }
  if (sa.namespace) {
    for (const msg of validateNamespaceName(sa.namespace, false))
      errs.push(fieldErrors.invalid(`${path}.namespace`, sa.namespace, msg));
  } else {
    errs.push(fieldErrors.required(`${path}.namespace`, 'must specify namespace for service account'));
  }
  return errs;
}

function validateVerbs(verbs: readonly string[], path: string): FieldError[] {
  if (!verbs.length) return [fieldErrors.required(path, 'verbs must contain at least one value')];
  if (hasWildcard(verbs)) {
    return verbs.length > 1
      ? [fieldErrors.invalid(path, goStringSlice(verbs), "if '*' is present, must not specify other verbs")]
      : [];
  }
  return verbs.every((v) => SUPPORTED_VERBS.includes(v))
    ? []
    : [fieldErrors.notSupported(path, goStringSlice(verbs), SUPPORTED_VERBS)];
}

function validateNonResourceRule(rule: NonResourcePolicyRule, path: string): FieldError[] {
  const errs = validateVerbs(rule.verbs ?? [], `${path}.verbs`);
  const urls = rule.nonResourceURLs ?? [];
  if (!urls.length) {
    errs.push(fieldErrors.required(`${path}.nonResourceURLs`, 'nonResourceURLs must contain at least one value'));
  } else if (hasWildcard(urls)) {
    if (urls.length > 1) {
      errs.push(
        fieldErrors.invalid(
          `${path}.nonResourceURLs`,
          goStringSlice(urls),
          "if '*' is present, must not specify other non-resource URLs",
        ),
      );
    }
  } else {
    urls.forEach((u, i) => {
      const err = validateNonResourceURLPath(u, `${path}.nonResourceURLs[${i}]`);
      if (err) errs.push(err);
    });
  }
  return errs;
}

/** A leading slash, no white-space, no `//`, and `*` only as a trailing `/*`. */
export function validateNonResourceURLPath(p: string, path: string): FieldError | undefined {
  if (!p) return fieldErrors.invalid(path, p, 'must not be empty');
  if (p === '/') return undefined;
  if (!p.startsWith('/')) return fieldErrors.invalid(path, p, 'must start with slash');
  if (p.includes(' ')) return fieldErrors.invalid(path, p, 'must not contain white-space');
  if (p.includes('//')) return fieldErrors.invalid(path, p, 'must not contain double slash');
  const wildcards = p.split('*').length - 1;
  if (wildcards > 1 || (wildcards === 1 && !p.endsWith('/*')))
    return fieldErrors.invalid(path, p, 'wildcard can only do suffix matching');
  return undefined;
}

function validateResourceRule(rule: ResourcePolicyRule, path: string): FieldError[] {
  const errs = validateVerbs(rule.verbs ?? [], `${path}.verbs`);
  const groups = rule.apiGroups ?? [];
  if (!groups.length) {
    errs.push(fieldErrors.required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  } else if (groups.length > 1 && hasWildcard(groups)) {
    errs.push(
      fieldErrors.invalid(
        `${path}.apiGroups`,
        goStringSlice(groups),
        "if '*' is present, must not specify other api groups",
      ),
    );
  }
  const resources = rule.resources ?? [];
  if (!resources.length) {
    errs.push(fieldErrors.required(`${path}.resources`, 'resource rules must supply at least one resource'));
  } else if (resources.length > 1 && hasWildcard(resources)) {
    errs.push(
      fieldErrors.invalid(
        `${path}.resources`,
        goStringSlice(resources),
        "if '*' is present, must not specify other resources",
      ),
    );
  }
  const namespaces = rule.namespaces ?? [];
  if (!namespaces.length && !rule.clusterScope) {
    errs.push(
      fieldErrors.required(
        `${path}.namespaces`,
        'resource rules that are not cluster scoped must supply at least one namespace',
      ),
    );
  } else if (hasWildcard(namespaces)) {
    if (namespaces.length > 1) {
      errs.push(
        fieldErrors.invalid(
          `${path}.namespaces`,
          goStringSlice(namespaces),
          "if '*' is present, must not specify other namespaces",
        ),
      );
    }
  } else {
    namespaces.forEach((ns, i) => {
      for (const msg of validateNamespaceName(ns, false))
        errs.push(fieldErrors.invalid(`${path}.namespaces[${i}]`, ns, NS_ERR_INTRO + msg));
    });
  }
  return errs;
}

/** FlowSchemaStatus and PriorityLevelConfigurationStatus: condition types present and distinct. */
export function validateConditionTypes(
  conditions: readonly { type?: string }[] | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (conditions ?? []).forEach((c, i) => {
    const type = c.type ?? '';
    if (seen.has(type)) errs.push(fieldErrors.duplicate(`${path}.conditions[${i}].type`, type));
    seen.add(type);
    if (!type) errs.push(fieldErrors.required(`${path}.conditions[${i}].type`, 'must not be empty'));
  });
  return errs;
}
