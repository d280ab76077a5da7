// --authentication-config and the legacy --oidc-* flags (pkg/kubeapiserver/options/authentication.go):
// both become JWT authenticators. The flags make one, with upstream's legacy username prefix
// (`<issuer>#` unless the claim is `email`; `-` for none) and --oidc-signing-algs; the file may hold
// up to 64 and accepts every allowed algorithm. The two are mutually exclusive, and the file's
// `anonymous` excludes --anonymous-auth. Every problem names the flag and the file.

import { formatFieldErrors } from '@mkube/shared/apierrors';
import type { FlagValues } from '@mkube/shared/flags';
import {
  ALLOWED_SIGNING_ALGS,
  type AnonymousConfig,
  type CompiledMappings,
  type JWTAuthenticator,
  loadAuthenticationConfiguration,
  validateAuthenticationConfiguration,
} from '../authentication/jwt/index.js';
import { type ConfigProblem, readFlagFile } from './errors.js';

export const AUTHENTICATION_CONFIG_FLAG = 'authentication-config';

export const OIDC_FLAGS = [
  'oidc-issuer-url',
  'oidc-client-id',
  'oidc-ca-file',
  'oidc-username-claim',
  'oidc-username-prefix',
  'oidc-groups-claim',
  'oidc-groups-prefix',
  'oidc-signing-algs',
  'oidc-required-claim',
] as const;

export interface JwtAuthenticatorConfig {
  readonly config: JWTAuthenticator;
  readonly compiled: CompiledMappings;
}

export interface AuthenticationConfig {
  /** --authentication-config's path (reloaded when it changes); absent with the --oidc-* flags. */
  readonly file?: string;
  readonly jwt: readonly JwtAuthenticatorConfig[];
  readonly signingAlgs: readonly string[];
  /** The file's `anonymous`; absent: --anonymous-auth decides. */
  readonly anonymous?: AnonymousConfig;
}

const str = (flags: FlagValues, n: string) => (typeof flags[n] === 'string' ? (flags[n] as string) : '');
const list = (flags: FlagValues, n: string) => (flags[n] as string[] | undefined) ?? [];

export function authenticationConfig(
  flags: FlagValues,
  given: ReadonlySet<string>,
  serviceAccountIssuers: readonly string[],
  problems: ConfigProblem[],
): AuthenticationConfig | undefined {
  const file = str(flags, AUTHENTICATION_CONFIG_FLAG);
  if (file) {
    if (OIDC_FLAGS.some((f) => given.has(f))) {
      problems.push({
        code: 'BAD_VALUE',
        flag: AUTHENTICATION_CONFIG_FLAG,
        message: 'authentication-config file and oidc-* flags are mutually exclusive',
      });
      return undefined;
    }
    if (readFlagFile(AUTHENTICATION_CONFIG_FLAG, file, problems) === undefined) return undefined;
    try {
      const loaded = loadAuthenticationConfiguration(file, serviceAccountIssuers);
      if (loaded.anonymous && given.has('anonymous-auth')) {
        problems.push({
          code: 'BAD_VALUE',
          flag: 'anonymous-auth',
          message:
            'anonymous: Forbidden: --anonymous-auth flag cannot be set when anonymous field is configured in authentication configuration file',
        });
      }
      return Object.freeze({
        file,
        jwt: loaded.jwt.map((config, i) => ({ config, compiled: loaded.compiled[i]! })),
        signingAlgs: ALLOWED_SIGNING_ALGS,
        anonymous: loaded.anonymous,
      });
    } catch (e) {
      problems.push({ code: 'BAD_VALUE', flag: AUTHENTICATION_CONFIG_FLAG, file, message: (e as Error).message });
      return undefined;
    }
  }

  const issuerURL = str(flags, 'oidc-issuer-url');
  const clientID = str(flags, 'oidc-client-id');
  if (!!issuerURL !== !!clientID) {
    problems.push({
      code: 'REQUIRED',
      flag: issuerURL ? 'oidc-client-id' : 'oidc-issuer-url',
      message: 'oidc-issuer-url and oidc-client-id must be specified together',
    });
    return undefined;
  }
  const signingAlgs = list(flags, 'oidc-signing-algs');
  for (const alg of signingAlgs) {
    if (!(ALLOWED_SIGNING_ALGS as readonly string[]).includes(alg)) {
      problems.push({
        code: 'BAD_VALUE',
        flag: 'oidc-signing-algs',
        message: `oidc: unsupported signing alg: ${JSON.stringify(alg)} (allowed: ${ALLOWED_SIGNING_ALGS.join(', ')})`,
      });
    }
  }
  const required: { claim: string; requiredValue: string }[] = [];
  for (const kv of list(flags, 'oidc-required-claim')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) {
      problems.push({
        code: 'BAD_VALUE',
        flag: 'oidc-required-claim',
        message: `${JSON.stringify(kv)} must be formatted as key=value`,
      });
      continue;
    }
    const claim = kv.slice(0, eq);
    const rest = required.filter((r) => r.claim !== claim);
    required.length = 0;
    required.push(...rest, { claim, requiredValue: kv.slice(eq + 1) });
  }
  if (!issuerURL) return undefined;
  let certificateAuthority: string | undefined;
  const caFile = str(flags, 'oidc-ca-file');
  if (caFile) {
    certificateAuthority = readFlagFile('oidc-ca-file', caFile, problems);
    if (certificateAuthority === undefined) return undefined;
  }
  const usernameClaim = str(flags, 'oidc-username-claim') || 'sub';
  const prefixFlag = str(flags, 'oidc-username-prefix');
  // Legacy: claims other than email are prefixed with the issuer, so they cannot collide (kubernetes#31380).
  const usernamePrefix = prefixFlag === '-' ? '' : prefixFlag || (usernameClaim !== 'email' ? `${issuerURL}#` : '');
  const groupsClaim = str(flags, 'oidc-groups-claim');
  const config: JWTAuthenticator = {
    issuer: { url: issuerURL, audiences: [clientID], ...(certificateAuthority ? { certificateAuthority } : {}) },
    claimMappings: {
      username: { claim: usernameClaim, prefix: usernamePrefix },
      ...(groupsClaim ? { groups: { claim: groupsClaim, prefix: str(flags, 'oidc-groups-prefix') } } : {}),
    },
    claimValidationRules: required,
  };
  const { errors, compiled } = validateAuthenticationConfiguration([config], serviceAccountIssuers);
  if (errors.length) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'oidc-issuer-url',
      message: `invalid authentication configuration: ${formatFieldErrors(errors)}`,
    });
    return undefined;
  }
  return Object.freeze({
    jwt: [{ config, compiled: compiled[0]! }],
    signingAlgs: signingAlgs.length ? signingAlgs : ['RS256'],
  });
}
