// The review APIs (authentication.k8s.io TokenReview, SelfSubjectReview; authorization.k8s.io
// SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview, SelfSubjectRulesReview):
// create-only, nothing stored; each echoes its request with the status filled in.
import type { KubeObject, NonResourceAttributes, ResourceAttributes } from '@mkube/shared/api';
import { type FieldError, fieldErrors, newInvalid, newNotFound } from '@mkube/shared/apierrors';
import {
  type Attributes,
  type Authenticator,
  type Authorizer,
  nonResourceAttributes,
  type UserInfo,
} from '@mkube/shared/auth';
import { evaluationError, type RuleResolver } from '../auth/rules.js';
import { checkFieldTypes } from '../protobuf/index.js';
import { resourceAttributesErrors, reviewSelectors, selectorEvaluationErrors } from './selectors.js';

export interface ReviewDeps {
  /** Bearer-token authenticators only (TokenReview), with the authenticated-group adder. */
  readonly tokenAuthenticator: Authenticator;
  readonly authorizer: Authorizer;
  /** The configured authorizers' rules for a user in a namespace (SelfSubjectRulesReview). */
  readonly ruleResolver: RuleResolver;
}

interface AccessSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: NonResourceAttributes;
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  namespace?: string;
  token?: string;
  audiences?: string[];
}
type Review = KubeObject & { spec?: AccessSpec; status?: unknown };

/** The kind each review resource's body is decoded as. */
const KINDS: Readonly<Record<string, string>> = {
  tokenreviews: 'TokenReview',
  subjectaccessreviews: 'SubjectAccessReview',
  localsubjectaccessreviews: 'LocalSubjectAccessReview',
  selfsubjectaccessreviews: 'SelfSubjectAccessReview',
  selfsubjectrulesreviews: 'SelfSubjectRulesReview',
};

const AUTHN = 'authentication.k8s.io';
const AUTHZ = 'authorization.k8s.io';

function attributesFrom(user: UserInfo, spec: AccessSpec): Attributes {
  const r = spec.resourceAttributes;
  if (r) {
    return {
      user,
      verb: r.verb ?? '',
      isResourceRequest: true,
      path: '',
      namespace: r.namespace ?? '',
      apiGroup: r.group ?? '',
      // matchAllVersionIfEmpty
      apiVersion: r.version || '*',
      resource: r.resource ?? '',
      subresource: r.subresource ?? '',
      name: r.name ?? '',
      ...reviewSelectors(r),
    };
  }
  const n = spec.nonResourceAttributes ?? {};
  return nonResourceAttributes(user, n.verb ?? '', n.path ?? '');
}

/** ValidateSubjectAccessReviewSpec: exactly one of the two attribute kinds, and sound selectors. */
function accessSpecErrors(spec: AccessSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    errs.push(
      fieldErrors.invalid(
        'spec.nonResourceAttributes',
        spec.nonResourceAttributes,
        'cannot be specified in combination with resourceAttributes',
      ),
    );
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    errs.push(
      fieldErrors.invalid(
        'spec.resourceAttributes',
        null,
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    );
  }
  if (spec.resourceAttributes)
    errs.push(...resourceAttributesErrors(spec.resourceAttributes, 'spec.resourceAttributes'));
  return errs;
}

function answer(review: Review, apiVersion: string, kind: string, status: unknown): KubeObject {
  return {
    ...review,
    apiVersion,
    kind,
    metadata: { ...review.metadata, creationTimestamp: undefined },
    status,
  } as KubeObject;
}

export function createReviewHandler(deps: ReviewDeps) {
  async function access(user: UserInfo, spec: AccessSpec) {
    const attrs = attributesFrom(user, spec);
    const r = await deps.authorizer.authorize(attrs);
    const evaluationError = selectorEvaluationErrors(attrs).join('; ');
    return {
      allowed: r.decision === 'Allow',
      ...(r.decision === 'Deny' ? { denied: true } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(evaluationError ? { evaluationError } : {}),
    };
  }

  return async function review(
    resource: string,
    body: Review,
    requester: UserInfo,
    namespace: string,
  ): Promise<KubeObject> {
    const kind = KINDS[resource];
    // The typed decoder's 400 for a field of the wrong JSON type; nulls in lists and maps become zero values.
    if (kind) checkFieldTypes(body, `${kind === 'TokenReview' ? AUTHN : AUTHZ}/v1`, kind);
    const spec = body.spec ?? {};
    const invalid = (kind: string, group: string, errs: FieldError[]) => {
      if (errs.length) throw newInvalid({ group, kind }, body.metadata?.name ?? '', errs);
    };
    switch (resource) {
      case 'selfsubjectreviews':
        return answer(body, `${AUTHN}/v1`, 'SelfSubjectReview', { userInfo: requester });
      case 'tokenreviews': {
        invalid('TokenReview', AUTHN, spec.token ? [] : [fieldErrors.required('spec.token')]);
        try {
          const user = await deps.tokenAuthenticator.authenticate({
            method: 'POST',
            path: '',
            headers: { authorization: `Bearer ${spec.token}` },
            peerCertificates: [],
          });
          return answer(
            body,
            `${AUTHN}/v1`,
            'TokenReview',
            user ? { authenticated: true, user } : { authenticated: false },
          );
        } catch {
          // Never the reason: which check failed is for the apiserver's log only.
          return answer(body, `${AUTHN}/v1`, 'TokenReview', { authenticated: false, error: 'invalid bearer token' });
        }
      }
      case 'selfsubjectaccessreviews':
        invalid('SelfSubjectAccessReview', AUTHZ, accessSpecErrors(spec));
        return answer(body, `${AUTHZ}/v1`, 'SelfSubjectAccessReview', await access(requester, spec));
      case 'subjectaccessreviews':
      case 'localsubjectaccessreviews': {
        const kind = resource === 'subjectaccessreviews' ? 'SubjectAccessReview' : 'LocalSubjectAccessReview';
        const errs = accessSpecErrors(spec);
        if (!spec.user && !spec.groups?.length)
          errs.push(
            fieldErrors.invalid('spec.user', spec.user ?? '', 'at least one of user or group must be specified'),
          );
        if (kind === 'LocalSubjectAccessReview') {
          if (!spec.resourceAttributes)
            errs.push(fieldErrors.invalid('spec.resourceAttributes', null, 'disallowed on this kind of request'));
          else if ((spec.resourceAttributes.namespace ?? '') !== namespace) {
            errs.push(
              fieldErrors.invalid(
                'spec.resourceAttributes.namespace',
                spec.resourceAttributes.namespace ?? '',
                'must match metadata.namespace',
              ),
            );
          }
        }
        invalid(kind, AUTHZ, errs);
        const subject: UserInfo = {
          username: spec.user ?? '',
          uid: spec.uid,
          groups: spec.groups ?? [],
          extra: spec.extra,
        };
        return answer(body, `${AUTHZ}/v1`, kind, await access(subject, spec));
      }
      case 'selfsubjectrulesreviews': {
        invalid('SelfSubjectRulesReview', AUTHZ, spec.namespace ? [] : [fieldErrors.required('spec.namespace')]);
        const { rules, incomplete, errors } = deps.ruleResolver.rulesFor(requester, spec.namespace!);
        const error = evaluationError(errors);
        const resourceRules = rules.filter((r) => !r.nonResourceURLs?.length).map(({ nonResourceURLs: _n, ...r }) => r);
        const nonResourceRules = rules
          .filter((r) => r.nonResourceURLs?.length)
          .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
        return answer(body, `${AUTHZ}/v1`, 'SelfSubjectRulesReview', {
          resourceRules,
          nonResourceRules,
          incomplete,
          ...(error ? { evaluationError: error } : {}),
        });
      }
      default:
        throw newNotFound({ group: '', resource }, '');
    }
  };
}

export type ReviewHandler = ReturnType<typeof createReviewHandler>;
