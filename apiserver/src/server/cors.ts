// --cors-allowed-origins and --strict-transport-security-directives, as genericapiserver's WithCORS and
// WithHSTS (outside authentication, so a browser's preflight is answered without credentials): an
// Origin one of the patterns matches gets the CORS headers (and an OPTIONS preflight 204 at once); every
// response carries the HSTS directives. The patterns must pin the host at both ends (CVE-2022-1996).

const ALLOWED_METHODS = 'POST, GET, OPTIONS, PUT, DELETE, PATCH';
const ALLOWED_HEADERS =
  'Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, X-Requested-With, If-Modified-Since';
const EXPOSED_HEADERS = 'Date';

export const CORS_HELP =
  "List of allowed origins for CORS, comma separated. An allowed origin can be a regular expression to support subdomain matching. If this list is empty CORS will not be enabled. Please ensure each expression matches the entire hostname by anchoring to the start with '^' or including the '//' prefix, and by anchoring to the end with '$' or including the ':' port separator suffix. Examples of valid expressions are '//example\\.com(:|$)' and '^https://example\\.com(:|$)'";

/** validateCorsAllowedOriginList: compiled patterns, or upstream's messages. */
export function corsPatterns(list: readonly string[]): RegExp[] | string[] {
  const errors: string[] = [];
  const out: RegExp[] = [];
  for (const p of list) {
    if (p.length === 0) {
      errors.push(`empty value in --cors-allowed-origins, help: ${CORS_HELP}`);
      continue;
    }
    let re: RegExp;
    try {
      re = new RegExp(p);
    } catch (e) {
      errors.push(
        `--cors-allowed-origins has an invalid regular expression: ${(e as Error).message}, help: ${CORS_HELP}`,
      );
      continue;
    }
    const pinStart = p.includes('^') || p.includes('//');
    const pinEnd = p.includes('$') || p.includes(':');
    if (!pinStart || !pinEnd) {
      errors.push(
        `--cors-allowed-origins has an invalid regular expression: regular expression does not pin to start/end of host in the origin header, help: ${CORS_HELP}`,
      );
      continue;
    }
    out.push(re);
  }
  return errors.length > 0 ? errors : out;
}

/** validateHSTSDirectives: the header's value, or upstream's messages. */
export function hstsHeader(directives: readonly string[]): { value: string } | string[] {
  const errors: string[] = [];
  for (const d of directives) {
    if (d.trim().length === 0) errors.push('empty value in strict-transport-security-directives');
    else if (d !== 'includeSubDomains' && d !== 'preload') {
      const kv = d.split('=');
      if (kv.length !== 2 || kv[0] !== 'max-age')
        errors.push(
          '--strict-transport-security-directives invalid, allowed values: max-age=expireTime, includeSubDomains, preload. see https://tools.ietf.org/html/rfc6797#section-6.1 for more information',
        );
    }
  }
  return errors.length > 0 ? errors : { value: directives.join('; ') };
}

/** The headers a response gets for `origin`; `preflight`: answer 204 now (an allowed OPTIONS). */
export function corsHeaders(
  patterns: readonly RegExp[],
  origin: string | undefined,
  method: string,
): { headers: Record<string, string>; preflight: boolean } | undefined {
  if (!origin || !patterns.some((re) => re.test(origin))) return undefined;
  return {
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-expose-headers': EXPOSED_HEADERS,
      'access-control-allow-credentials': 'true',
    },
    preflight: method === 'OPTIONS',
  };
}
