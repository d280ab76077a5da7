// One test command for the whole workspace: Node's built-in runner, TypeScript through tsx.
// Unit tests live beside each package (<pkg>/test/**/*.test.ts); e2e/test holds the suites that
// start real daemons. `--unit` leaves out e2e.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const unitOnly = process.argv.includes('--unit');
const packages = ['shared', 'cli', 'apiserver', 'controller-manager', 'scheduler', 'kubelet', 'metrics-server'];
if (!unitOnly) packages.push('e2e');

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

// The end-to-end suites (each a whole cluster, a minute or two) go first: with two at a time the
// short files fill in beside them, instead of two long ones running alone at the end.
const isE2e = (f) => f.startsWith('e2e/');
const files = packages
  .flatMap((p) => collect(join(root, p, 'test'), []))
  .sort((a, b) => Number(isE2e(b)) - Number(isE2e(a)) || a.localeCompare(b));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const extra = process.argv.slice(2).filter((a) => a !== '--unit');
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...extra, ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
