// Reads an AuthenticationConfiguration file (YAML or JSON) strictly, as kube-apiserver's
// loadAuthenticationConfig does: unknown fields and wrong types are errors naming their path, and
// the result is validated (validation.ts) before anything uses it.
import { readFileSync } from 'node:fs';
import { formatFieldErrors } from '@mkube/shared/apierrors';
import { parse as parseYaml } from 'yaml';
import {
  AUTHENTICATION_CONFIG_VERSIONS,
  type AuthenticationConfiguration,
  type ClaimValidationRule,
  type ExtraMapping,
  type JWTAuthenticator,
  type PrefixedClaimOrExpression,
  type UserValidationRule,
} from './types.js';
import { type CompiledMappings, validateAuthenticationConfiguration } from './validation.js';

/** `anonymous` of the file (AnonymousAuthConfigurableEndpoints): who may be anonymous, and where. */
export interface AnonymousConfig {
  readonly enabled: boolean;
  /** Paths anonymous requests may reach; empty: everywhere. */
  readonly paths: readonly string[];
}

export interface LoadedAuthenticationConfiguration {
  readonly jwt: readonly JWTAuthenticator[];
  readonly compiled: readonly CompiledMappings[];
  readonly anonymous?: AnonymousConfig;
}

type Obj = Record<string, unknown>;

class Decoder {
  readonly problems: string[] = [];
  obj(v: unknown, path: string, fields: readonly string[]): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.problems.push(`${path}: must be an object`);
      return undefined;
    }
    for (const k of Object.keys(v)) {
      if (!fields.includes(k))
        this.problems.push(`strict decoding error: unknown field "${path ? `${path}.` : ''}${k}"`);
    }
    return v as Obj;
  }
  str(o: Obj | undefined, k: string, path: string): string | undefined {
    const v = o?.[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.problems.push(`${path}.${k}: must be a string`);
      return undefined;
    }
    return v;
  }
  bool(o: Obj | undefined, k: string, path: string): boolean | undefined {
    const v = o?.[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.problems.push(`${path}.${k}: must be a boolean`);
      return undefined;
    }
    return v;
  }
  list(o: Obj | undefined, k: string, path: string): unknown[] {
    const v = o?.[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.problems.push(`${path}.${k}: must be a list`);
      return [];
    }
    return v;
  }
  strings(o: Obj | undefined, k: string, path: string): string[] {
    return this.list(o, k, path).flatMap((v, i) => {
      if (typeof v === 'string') return [v];
      this.problems.push(`${path}.${k}[${i}]: must be a string`);
      return [];
    });
  }
}

function prefixed(d: Decoder, v: unknown, path: string): PrefixedClaimOrExpression | undefined {
  const o = d.obj(v, path, ['claim', 'prefix', 'expression']);
  if (!o) return undefined;
  return { claim: d.str(o, 'claim', path), prefix: d.str(o, 'prefix', path), expression: d.str(o, 'expression', path) };
}

function jwtAuthenticator(d: Decoder, v: unknown, path: string): JWTAuthenticator {
  const o = d.obj(v, path, ['issuer', 'claimValidationRules', 'claimMappings', 'userValidationRules']);
  const ip = `${path}.issuer`;
  const issuer = d.obj(o?.issuer, ip, [
    'url',
    'discoveryURL',
    'certificateAuthority',
    'audiences',
    'audienceMatchPolicy',
    'egressSelectorType',
  ]);
  const egress = d.str(issuer, 'egressSelectorType', ip);
  if (egress !== undefined && egress !== 'controlplane' && egress !== 'cluster') {
    d.problems.push(
      `${ip}.egressSelectorType: Invalid value: "${egress}": egress selector must be either controlplane or cluster`,
    );
  }
  const claimValidationRules: ClaimValidationRule[] = d.list(o, 'claimValidationRules', path).map((r, i) => {
    const p = `${path}.claimValidationRules[${i}]`;
    const ro = d.obj(r, p, ['claim', 'requiredValue', 'expression', 'message']);
    return {
      claim: d.str(ro, 'claim', p),
      requiredValue: d.str(ro, 'requiredValue', p),
      expression: d.str(ro, 'expression', p),
      message: d.str(ro, 'message', p),
    };
  });
  const mp = `${path}.claimMappings`;
  const m = d.obj(o?.claimMappings, mp, ['username', 'groups', 'uid', 'extra']);
  const uidObj = d.obj(m?.uid, `${mp}.uid`, ['claim', 'expression']);
  const extra: ExtraMapping[] = d.list(m, 'extra', mp).map((e, i) => {
    const p = `${mp}.extra[${i}]`;
    const eo = d.obj(e, p, ['key', 'valueExpression']);
    return { key: d.str(eo, 'key', p) ?? '', valueExpression: d.str(eo, 'valueExpression', p) ?? '' };
  });
  const userValidationRules: UserValidationRule[] = d.list(o, 'userValidationRules', path).map((r, i) => {
    const p = `${path}.userValidationRules[${i}]`;
    const ro = d.obj(r, p, ['expression', 'message']);
    return { expression: d.str(ro, 'expression', p) ?? '', message: d.str(ro, 'message', p) };
  });
  return {
    issuer: {
      url: d.str(issuer, 'url', ip) ?? '',
      discoveryURL: d.str(issuer, 'discoveryURL', ip),
      certificateAuthority: d.str(issuer, 'certificateAuthority', ip),
      audiences: d.strings(issuer, 'audiences', ip),
      audienceMatchPolicy: d.str(issuer, 'audienceMatchPolicy', ip),
    },
    claimValidationRules,
    claimMappings: {
      username: prefixed(d, m?.username, `${mp}.username`) ?? {},
      groups: prefixed(d, m?.groups, `${mp}.groups`),
      uid: uidObj
        ? { claim: d.str(uidObj, 'claim', `${mp}.uid`), expression: d.str(uidObj, 'expression', `${mp}.uid`) }
        : undefined,
      extra,
    },
    userValidationRules,
  };
}

/**
 * Decodes and validates the file's text. Throws an Error whose message lists every problem (the
 * caller prefixes the flag and file).
 */
export function parseAuthenticationConfiguration(
  text: string,
  disallowedIssuers: readonly string[],
): LoadedAuthenticationConfiguration {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error((e as Error).message.split('\n')[0]);
  }
  const d = new Decoder();
  const top = d.obj(doc, '', ['apiVersion', 'kind', 'jwt', 'anonymous']);
  if (!top) throw new Error('not an AuthenticationConfiguration (an object with apiVersion and kind)');
  const apiVersion = d.str(top, 'apiVersion', '');
  const kind = d.str(top, 'kind', '');
  if (kind !== 'AuthenticationConfiguration') {
    throw new Error(`kind: must be AuthenticationConfiguration, not ${JSON.stringify(kind ?? '')}`);
  }
  if (!(AUTHENTICATION_CONFIG_VERSIONS as readonly (string | undefined)[]).includes(apiVersion)) {
    throw new Error(
      `no kind "AuthenticationConfiguration" is registered for version ${JSON.stringify(apiVersion ?? '')} (apiVersion: one of ${AUTHENTICATION_CONFIG_VERSIONS.join(', ')})`,
    );
  }
  const jwt = d.list(top, 'jwt', '').map((a, i) => jwtAuthenticator(d, a, `jwt[${i}]`));
  const an = d.obj(top.anonymous, 'anonymous', ['enabled', 'conditions']);
  let anonymous: AnonymousConfig | undefined;
  if (an) {
    const enabled = d.bool(an, 'enabled', 'anonymous') ?? false;
    const paths = d.list(an, 'conditions', 'anonymous').map((c, i) => {
      const p = `anonymous.conditions[${i}]`;
      return d.str(d.obj(c, p, ['path']), 'path', p) ?? '';
    });
    if (!enabled && paths.length > 0) {
      d.problems.push(
        `anonymous.conditions: Invalid value: ${JSON.stringify(paths.map((path) => ({ path })))}: enabled should be set to true when conditions are defined`,
      );
    }
    paths.forEach((p, i) => {
      if (!p) d.problems.push(`anonymous.conditions[${i}].path: Required value`);
    });
    anonymous = { enabled, paths };
  }
  if (d.problems.length) throw new Error(d.problems.join('; '));
  const { errors, compiled } = validateAuthenticationConfiguration(jwt, disallowedIssuers);
  if (errors.length) throw new Error(`invalid authentication configuration: ${formatFieldErrors(errors)}`);
  const config: AuthenticationConfiguration = { apiVersion: apiVersion!, kind: 'AuthenticationConfiguration', jwt };
  return { jwt: config.jwt, compiled, anonymous };
}

export function loadAuthenticationConfiguration(
  file: string,
  disallowedIssuers: readonly string[],
): LoadedAuthenticationConfiguration {
  return parseAuthenticationConfiguration(readFileSync(file, 'utf8'), disallowedIssuers);
}
