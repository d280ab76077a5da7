// Name validators of apimachinery api/validation (generic.go, path): each takes a name (or, with
// `prefix`, a generateName prefix) and returns Kubernetes' messages, empty when valid.
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain } from '@mkube/shared/selectors';

export type NameValidator = (name: string, prefix: boolean) => string[];

/** A generateName prefix may end in '-': Go masks the tail before validating (maskTrailingDash). */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

/** Names of most objects (Pod, Secret, ConfigMap, Node, Lease, CSR…). */
export const nameIsDNSSubdomain: NameValidator = (name, prefix) =>
  isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);

/** Namespace names. */
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);

/** NameIsDNS1035Label (Service names). */
export const nameIsDNS1035Label: NameValidator = (name, prefix) =>
  isDNS1035Label(prefix ? maskTrailingDash(name) : name);

export const validateNamespaceName: NameValidator = nameIsDNSLabel;

const NAME_MAY_NOT_BE = ['.', '..'];
const NAME_MAY_NOT_CONTAIN = ['/', '%'];

/** Names that are only a URL path segment (RBAC roles and bindings). */
export function isValidPathSegmentName(name: string): string[] {
  for (const bad of NAME_MAY_NOT_BE) if (name === bad) return [`may not be '${bad}'`];
  return isValidPathSegmentPrefix(name);
}

export function isValidPathSegmentPrefix(name: string): string[] {
  return NAME_MAY_NOT_CONTAIN.filter((bad) => name.includes(bad)).map((bad) => `may not contain '${bad}'`);
}

export const validatePathSegmentName: NameValidator = (name, prefix) =>
  prefix ? isValidPathSegmentPrefix(name) : isValidPathSegmentName(name);

/** Aliases under the names the registry uses. */
export const validateDNS1123SubdomainName: NameValidator = nameIsDNSSubdomain;
export const validateDNS1123LabelName: NameValidator = nameIsDNSLabel;
