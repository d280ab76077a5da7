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
