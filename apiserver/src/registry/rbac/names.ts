// RBAC names are path segments only (apimachinery path.IsValidPathSegmentName), which is why
// `system:node` and `system:masters`-style names are legal here and not for most kinds.

const MAY_NOT_BE = ['.', '..'];
const MAY_NOT_CONTAIN = ['/', '%'];

export function isValidPathSegmentName(name: string): string[] {
  for (const bad of MAY_NOT_BE) if (name === bad) return [`may not be '${bad}'`];
  return MAY_NOT_CONTAIN.filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}
