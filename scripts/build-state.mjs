// Whether the compiled daemons (each workspace's dist/, written by scripts/build.mjs) match the
// TypeScript sources they came from. The digest covers every file under each workspace's src/
// (path, size, mtime) and its package.json; the build records it in .mkube-build last, so a
// half-written build or any edit since makes it stale and `mkube` runs from source instead.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WORKSPACES = [
  'shared',
  'apiserver',
  'controller-manager',
  'scheduler',
  'kubelet',
  'metrics-server',
  'cli',
];
export const stampOf = (root = ROOT) => join(root, '.mkube-build');
// Bumped when the build's output format changes, so older builds count as stale.
const FORMAT = 1;

function walk(dir, rel, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) walk(join(dir, e.name), r, out);
    else if (e.isFile()) out.push(r);
  }
}

/** The digest of the sources as they are now. */
export function sourceDigest(root = ROOT) {
  const h = createHash('sha256').update(`format ${FORMAT}\n`);
  for (const ws of WORKSPACES) {
    const files = [];
    walk(join(root, ws, 'src'), '', files);
    files.sort();
    for (const f of [...files.map((f) => `src/${f}`), 'package.json']) {
      const st = statSync(join(root, ws, f));
      h.update(`${ws}/${f}\0${st.size}\0${Math.trunc(st.mtimeMs)}\n`);
    }
  }
  return h.digest('hex');
}

/** True when every workspace's dist/ was built from the sources as they are now. */
export function buildIsFresh(root = ROOT) {
  try {
    return readFileSync(stampOf(root), 'utf8').trim() === sourceDigest(root);
  } catch {
    return false;
  }
}
