// `npm start` and `npm test` on a fresh clone install dependencies themselves: `npm install`
// (which follows package-lock.json) when node_modules is missing or older than the lock file.
// Not `npm ci`: it refuses this lock because npm records biome's other-platform binaries only as
// optional names. Plain Node only: this runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

function needsInstall() {
  if (!existsSync(marker)) return true;
  if (!existsSync(lock)) return false;
  return statSync(lock).mtimeMs > statSync(marker).mtimeMs;
}

if (needsInstall()) {
  const args = ['install', '--no-audit', '--no-fund'];
  process.stderr.write(`mkube: installing dependencies (npm ${args[0]})…\n`);
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`mkube: npm ${args[0]} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
}

// mkube runs the daemons compiled when dist/ matches the sources (cli/bin/mkube.js): rebuild it
// when they changed. Imported only now, since the build needs the installed esbuild.
{
  const t0 = performance.now();
  const { build } = await import('./build.mjs');
  if (build())
    process.stderr.write(`mkube: compiled the sources to dist/ (${Math.round(performance.now() - t0)} ms)\n`);
}

// A Debian package the tests or a benchmark run: installed when missing and this user may (root
// with apt-get); otherwise say what to install. A required one missing ends the run.
function ensurePackage({ bin, probe, pkg, what, required, hint }) {
  const has = () => spawnSync(bin, probe, { stdio: 'ignore' }).status === 0;
  if (has()) return;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (apt && process.getuid?.() === 0) {
    process.stderr.write(`mkube: installing ${what} (apt-get install ${pkg})…\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env });
  }
  if (has()) return;
  process.stderr.write(`mkube: ${what} is not installed (${bin} not found); ${hint}\n`);
  if (required) process.exit(1);
}

// `--etcd`: the tests and bench:store start real etcd members (Debian's etcd-server).
if (process.argv.includes('--etcd')) {
  ensurePackage({
    bin: process.env.MKUBE_ETCD ?? 'etcd',
    probe: ['--version'],
    pkg: 'etcd-server',
    what: 'etcd',
    required: true,
    hint: "install Debian's etcd-server package or set MKUBE_ETCD",
  });
}

// `--cfssl`: bench:csr's and bench:scale's baseline signer (Debian's golang-cfssl); without it that row is skipped.
if (process.argv.includes('--cfssl')) {
  ensurePackage({
    bin: 'cfssl',
    probe: ['version'],
    pkg: 'golang-cfssl',
    what: 'cfssl',
    required: false,
    hint: "bench:csr and bench:scale skip that baseline (Debian's golang-cfssl package provides it)",
  });
}
