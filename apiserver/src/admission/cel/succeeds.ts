// The is*() predicates of Kubernetes' CEL libraries (isIP, isCIDR, isURL, isSemver) are "the
// conversion would not fail".
export function succeeds(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}
