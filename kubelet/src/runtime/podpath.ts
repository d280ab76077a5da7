// Where a path inside a process container is: a process pod has no mount namespace, so a path the
// spec names (a volumeMount's mountPath, a terminationMessagePath) appears under the pod's working
// directory, as a symlink to what upstream would mount there.
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * <pod dir>/<containerPath> → `target` (relative, so the pod directory can move). A path that is
 * empty or climbs with `..` gets no link; false then.
 */
export function symlinkInPod(podDir: string, containerPath: string, target: string): boolean {
  const rel = containerPath.replace(/^\/+/, '');
  if (!rel || rel.split('/').includes('..')) return false;
  const link = join(podDir, rel);
  replaceSymlink(link, relative(dirname(link), target));
  return true;
}

/** `link` → `target`, replacing whatever is at `link` (a file, a directory, another link). */
export function replaceSymlink(link: string, target: string): void {
  try {
    if (readlinkSync(link) === target) return;
  } catch {}
  try {
    if (lstatSync(link)) rmSync(link, { recursive: true, force: true });
  } catch {}
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(target, link);
}
