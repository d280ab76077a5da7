// One test command for the whole workspace: Node's built-in runner, TypeScript through tsx.
// Unit tests live beside each package (<pkg>/test/**/*.test.ts); e2e/test holds the suites that
// start real daemons. `--unit` leaves out e2e; `--isolated` runs every file in its own process.
//
// Why groups: starting a test process costs ~2 core-seconds before its first test (tsx hooks and
// the apiserver's ~1,000 modules), and there are ~280 files on a 2-core machine. So the unit files
// of one folder run in one process, a few at a time: each file's tests still run in order, in
// the order the file declares them, and a failure still names its file and line. The e2e suites
// (a whole cluster each) keep a process of their own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const isolated = args.includes('--isolated');
const listOnly = args.includes('--list');
const packages = ['shared', 'cli', 'apiserver', 'controller-manager', 'scheduler', 'kubelet', 'metrics-server'];
if (!unitOnly) packages.push('e2e');

// At most this many files share a process: small enough that the last group to finish does not
// run long alone, large enough that process starts stop mattering.
const GROUP_FILES = 6;

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

const isE2e = (f) => f.startsWith('e2e/');
const files = packages.flatMap((p) => collect(join(root, p, 'test'), [])).sort((a, b) => a.localeCompare(b));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

/** Unit files by folder (<pkg>/test/<first sub-folder>), cut into runs of GROUP_FILES. */
function groupsOf(unitFiles) {
  const byFolder = new Map();
  for (const f of unitFiles) {
    const parts = f.split('/');
    const key = parts.length > 3 ? parts.slice(0, 3).join('/') : parts.slice(0, 2).join('/');
    if (!byFolder.has(key)) byFolder.set(key, []);
    byFolder.get(key).push(f);
  }
  const groups = [];
  for (const [key, list] of byFolder) {
    const n = Math.ceil(list.length / GROUP_FILES);
    for (let i = 0; i < n; i++) {
      // Even runs (13 files → 7 + 6, not 6 + 6 + 1).
      const part = list.filter((_, j) => j % n === i);
      groups.push({ name: `${key.replaceAll('/', '-')}${n > 1 ? `-${i + 1}` : ''}`, files: part });
    }
  }
  return groups;
}

let groupDir;
let targets;
if (isolated) {
  if (listOnly) for (const f of files) console.log(f);
  targets = files;
} else {
  groupDir = mkdtempSync(join(tmpdir(), 'mkube-tests-'));
  const entries = groupsOf(files.filter((f) => !isE2e(f))).map(({ name, files: list }) => {
    const file = join(groupDir, `${name}.test.mjs`);
    const lines = list.map((f) => `import ${JSON.stringify(pathToFileURL(join(root, f)).href)};`);
    writeFileSync(file, `// ${list.join(', ')}\n${lines.join('\n')}\n`);
    if (listOnly) console.log(`${name}: ${list.join(' ')}`);
    return file;
  });
  targets = [...files.filter(isE2e), ...entries];
}
// The end-to-end suites (each a whole cluster, a minute or two) go first: with two at a time the
// short groups fill in beside them, instead of two long ones running alone at the end.
targets.sort((a, b) => Number(isE2e(b)) - Number(isE2e(a)));

if (listOnly) {
  if (groupDir) rmSync(groupDir, { recursive: true, force: true });
  process.exit(0);
}
const extra = args.filter((a) => !['--unit', '--isolated', '--list'].includes(a));
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...extra, ...targets],
  { cwd: root, stdio: 'inherit' },
);
if (groupDir) rmSync(groupDir, { recursive: true, force: true });
process.exit(r.status ?? 1);
