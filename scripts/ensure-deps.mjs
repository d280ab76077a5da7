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

// `--etcd`: the tests and bench:store start real etcd members (Debian's etcd-server). Install it
// when missing and this user may (root with apt-get); otherwise say what to install.
if (process.argv.includes('--etcd')) {
  const bin = process.env.MKUBE_ETCD ?? 'etcd';
  const has = () => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
  if (!has()) {
    const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
    if (apt && process.getuid?.() === 0) {
      process.stderr.write('mkube: installing etcd (apt-get install etcd-server)…\n');
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      spawnSync('apt-get', ['install', '-y', '-qq', 'etcd-server'], { stdio: 'inherit', env });
    }
    if (!has()) {
      process.stderr.write(
        `mkube: etcd is not installed (${bin} not found); install Debian's etcd-server package or set MKUBE_ETCD\n`,
      );
      process.exit(1);
    }
  }
}
