// ValidateAuthenticationConfiguration (k8s.io/apiserver pkg/apis/apiserver/validation): the same field
// paths and messages, and the CEL expressions compiled on the way (a config that validates is ready
// to run).
import { X509Certificate } from 'node:crypto';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { validateDomainPrefixedPath } from '../../validation/formats.js';
import { type CompiledExpression, compileExpression } from './cel.js';
import type { ClaimValidationRule, JWTAuthenticator, PrefixedClaimOrExpression, UserValidationRule } from './types.js';

const MAX_JWT_AUTHENTICATORS = 64;

/** The compiled expressions of one authenticator (upstream's CELMapper). */
export interface CompiledMappings {
  readonly username?: CompiledExpression;
  readonly groups?: CompiledExpression;
  readonly uid?: CompiledExpression;
  readonly extra: readonly { readonly key: string; readonly expression: CompiledExpression }[];
  readonly claimValidation: readonly { readonly expression: CompiledExpression; readonly message: string }[];
  readonly userValidation: readonly { readonly expression: CompiledExpression; readonly message: string }[];
}

export function validateAuthenticationConfiguration(
  jwt: readonly JWTAuthenticator[],
  disallowedIssuers: readonly string[],
): { errors: FieldError[]; compiled: CompiledMappings[] } {
  const errors: FieldError[] = [];
  const compiled: CompiledMappings[] = [];
  if (jwt.length > MAX_JWT_AUTHENTICATORS) {
    return { errors: [fieldErrors.tooMany('jwt', jwt.length, MAX_JWT_AUTHENTICATORS)], compiled };
  }
  const seenIssuers = new Set<string>();
  const seenDiscovery = new Set<string>();
  jwt.forEach((a, i) => {
    const path = `jwt[${i}]`;
    compiled.push(validateJWTAuthenticator(a, path, new Set(disallowedIssuers), errors));
    if (seenIssuers.has(a.issuer.url)) errors.push(fieldErrors.duplicate(`${path}.issuer.url`, a.issuer.url));
    seenIssuers.add(a.issuer.url);
    const d = a.issuer.discoveryURL;
    if (d) {
      if (seenDiscovery.has(d)) errors.push(fieldErrors.duplicate(`${path}.issuer.discoveryURL`, d));
      seenDiscovery.add(d);
    }
  });
  return { errors, compiled };
}

function validateJWTAuthenticator(
  a: JWTAuthenticator,
  path: string,
  disallowed: ReadonlySet<string>,
  errors: FieldError[],
): CompiledMappings {
  const ip = `${path}.issuer`;
  if (!a.issuer.url) errors.push(fieldErrors.required(`${ip}.url`));
  else validateUrl(a.issuer.url, disallowed, `${ip}.url`, errors);
  const d = a.issuer.discoveryURL;
  if (d) {
    if (a.issuer.url && a.issuer.url.replace(/\/+$/, '') === d.replace(/\/+$/, '')) {
      errors.push(fieldErrors.invalid(`${ip}.discoveryURL`, d, 'discoveryURL must be different from URL'));
    }
    validateUrl(d, new Set(), `${ip}.discoveryURL`, errors);
  }
  validateAudiences(a.issuer.audiences, a.issuer.audienceMatchPolicy, ip, errors);
  if (a.issuer.certificateAuthority) {
    const problem = caProblem(a.issuer.certificateAuthority);
    if (problem) errors.push(fieldErrors.invalid(`${ip}.certificateAuthority`, '<omitted>', problem));
  }

  let usesEmailVerified = false;
  const claimValidation = validateClaimRules(a.claimValidationRules ?? [], `${path}.claimValidationRules`, errors);
  if (claimValidation.some((r) => r.expression.selects('email_verified'))) usesEmailVerified = true;

  const mp = `${path}.claimMappings`;
  const username = prefixedClaimOrExpression(a.claimMappings.username, `${mp}.username`, true, errors);
  const groups = prefixedClaimOrExpression(a.claimMappings.groups, `${mp}.groups`, false, errors);
  let uid: CompiledExpression | undefined;
  const u = a.claimMappings.uid;
  if (u?.claim && u.expression) {
    errors.push(fieldErrors.invalid(`${mp}.uid`, '', "claim and expression can't both be set"));
  } else if (u?.expression) {
    uid = compile('claims', u.expression, `${mp}.uid.expression`, errors);
  }
  const extra: { key: string; expression: CompiledExpression }[] = [];
  const seenKeys = new Set<string>();
  (a.claimMappings.extra ?? []).forEach((m, i) => {
    const ep = `${mp}.extra[${i}]`;
    errors.push(...validateDomainPrefixedPath(`${ep}.key`, m.key));
    if (m.key !== m.key.toLowerCase()) errors.push(fieldErrors.invalid(`${ep}.key`, m.key, 'must be lowercase'));
    if (isKubernetesDomainPrefix(m.key)) {
      errors.push(
        fieldErrors.invalid(
          `${ep}.key`,
          m.key,
          'k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use',
        ),
      );
    }
    if (seenKeys.has(m.key)) {
      errors.push(fieldErrors.duplicate(`${ep}.key`, m.key));
      return;
    }
    seenKeys.add(m.key);
    if (!m.valueExpression) {
      errors.push(fieldErrors.required(`${ep}.valueExpression`));
      return;
    }
    const c = compile('claims', m.valueExpression, `${ep}.valueExpression`, errors);
    if (c) extra.push({ key: m.key, expression: c });
  });
  if (extra.some((x) => x.expression.selects('email_verified'))) usesEmailVerified = true;
  if (username?.selects('email_verified')) usesEmailVerified = true;
  if (username?.selects('email') && !usesEmailVerified) {
    errors.push(
      fieldErrors.invalid(
        `${mp}.username.expression`,
        a.claimMappings.username.expression,
        'claims.email_verified must be used in claimMappings.username.expression or claimMappings.extra[*].valueExpression or claimValidationRules[*].expression when claims.email is used in claimMappings.username.expression',
      ),
    );
  }
  const userValidation = validateUserRules(a.userValidationRules ?? [], `${path}.userValidationRules`, errors);
  return { username, groups, uid, extra, claimValidation, userValidation };
}

function validateUrl(raw: string, disallowed: ReadonlySet<string>, path: string, errors: FieldError[]): void {
  if (disallowed.has(raw)) {
    errors.push(
      fieldErrors.invalid(
        path,
        raw,
        `URL must not overlap with disallowed issuers: [${[...disallowed].sort().join(' ')}]`,
      ),
    );
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    errors.push(fieldErrors.invalid(path, raw, `parse ${JSON.stringify(raw)}: invalid URL`));
    return;
  }
  if (u.protocol !== 'https:') errors.push(fieldErrors.invalid(path, raw, 'URL scheme must be https'));
  if (u.username || u.password) {
    errors.push(fieldErrors.invalid(path, raw, 'URL must not contain a username or password'));
  }
  if (u.search) errors.push(fieldErrors.invalid(path, raw, 'URL must not contain a query'));
  if (u.hash) errors.push(fieldErrors.invalid(path, raw, 'URL must not contain a fragment'));
}

function validateAudiences(
  audiences: readonly string[],
  policy: string | undefined,
  issuerPath: string,
  errors: FieldError[],
): void {
  const path = `${issuerPath}.audiences`;
  if (audiences.length === 0) {
    errors.push(fieldErrors.required(path, `at least one ${path} is required`));
    return;
  }
  const seen = new Set<string>();
  audiences.forEach((a, i) => {
    if (!a) errors.push(fieldErrors.required(`${path}[${i}]`));
    if (seen.has(a)) errors.push(fieldErrors.duplicate(`${path}[${i}]`, a));
    seen.add(a);
  });
  const pp = `${issuerPath}.audienceMatchPolicy`;
  if (audiences.length > 1 && policy !== 'MatchAny') {
    errors.push(fieldErrors.invalid(pp, policy ?? '', 'audienceMatchPolicy must be MatchAny for multiple audiences'));
  }
  if (audiences.length === 1 && policy && policy !== 'MatchAny') {
    errors.push(fieldErrors.invalid(pp, policy, 'audienceMatchPolicy must be empty or MatchAny for single audience'));
  }
}

function caProblem(pem: string): string | undefined {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return 'data does not contain any valid RSA or ECDSA certificates';
  try {
    for (const b of blocks) new X509Certificate(b);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

function validateClaimRules(
  rules: readonly ClaimValidationRule[],
  path: string,
  errors: FieldError[],
): { expression: CompiledExpression; message: string }[] {
  const out: { expression: CompiledExpression; message: string }[] = [];
  const seenClaims = new Set<string>();
  const seenExpressions = new Set<string>();
  rules.forEach((r, i) => {
    const p = `${path}[${i}]`;
    if (r.claim && r.expression) {
      errors.push(fieldErrors.invalid(p, r.claim, "claim and expression can't both be set"));
    } else if (!r.claim && !r.expression) {
      errors.push(fieldErrors.required(p, 'claim or expression is required'));
    } else if (r.claim) {
      if (r.message)
        errors.push(fieldErrors.invalid(`${p}.message`, r.message, 'may not be specified when claim is set'));
      if (seenClaims.has(r.claim)) errors.push(fieldErrors.duplicate(`${p}.claim`, r.claim));
      seenClaims.add(r.claim);
    } else if (r.expression) {
      if (r.requiredValue) {
        errors.push(
          fieldErrors.invalid(`${p}.requiredValue`, r.requiredValue, 'may not be specified when expression is set'),
        );
      }
      if (seenExpressions.has(r.expression)) {
        errors.push(fieldErrors.duplicate(`${p}.expression`, r.expression));
        return;
      }
      seenExpressions.add(r.expression);
      const c = compile('claims', r.expression, `${p}.expression`, errors);
      if (c) out.push({ expression: c, message: r.message ?? '' });
    }
  });
  return out;
}

function prefixedClaimOrExpression(
  m: PrefixedClaimOrExpression | undefined,
  path: string,
  required: boolean,
  errors: FieldError[],
): CompiledExpression | undefined {
  if (m?.expression && m.claim) {
    errors.push(fieldErrors.invalid(path, '', "claim and expression can't both be set"));
  } else if (!m?.expression && !m?.claim) {
    if (required) errors.push(fieldErrors.required(path, 'claim or expression is required'));
  } else if (m.expression) {
    if (m.prefix !== undefined) {
      errors.push(fieldErrors.invalid(`${path}.prefix`, m.prefix, 'may not be specified when expression is set'));
    }
    return compile('claims', m.expression, `${path}.expression`, errors);
  } else if (m.prefix === undefined) {
    errors.push(
      fieldErrors.required(
        `${path}.prefix`,
        'prefix is required when claim is set. It can be set to an empty string to disable prefixing',
      ),
    );
  }
  return undefined;
}

function validateUserRules(
  rules: readonly UserValidationRule[],
  path: string,
  errors: FieldError[],
): { expression: CompiledExpression; message: string }[] {
  const out: { expression: CompiledExpression; message: string }[] = [];
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    const p = `${path}[${i}].expression`;
    if (!r.expression) {
      errors.push(fieldErrors.required(p));
      return;
    }
    if (seen.has(r.expression)) {
      errors.push(fieldErrors.duplicate(p, r.expression));
      return;
    }
    seen.add(r.expression);
    const c = compile('user', r.expression, p, errors);
    if (c) out.push({ expression: c, message: r.message ?? '' });
  });
  return out;
}

function compile(
  variable: 'claims' | 'user',
  expression: string,
  path: string,
  errors: FieldError[],
): CompiledExpression | undefined {
  try {
    return compileExpression(variable, expression);
  } catch (e) {
    errors.push(fieldErrors.invalid(path, expression, (e as Error).message));
    return undefined;
  }
}

function isKubernetesDomainPrefix(key: string): boolean {
  const slash = key.indexOf('/');
  const domain = slash > 0 ? key.slice(0, slash) : '';
  return (
    domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io') || domain === 'k8s.io' || domain.endsWith('.k8s.io')
  );
}
