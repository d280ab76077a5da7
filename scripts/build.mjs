// Transpiles each workspace's src/**/*.ts one to one into dist/**/*.js with esbuild (what tsx runs
// the same sources through), copies other source files (rpc.proto) beside them, and points imports
// of @mkube/* packages at their dist/ files. No bundling: file layout, import.meta.url and relative
// paths stay as in src/. Run by ensure-deps when the sources changed; `--force` builds anyway.
// Each dist/ is written beside the old one and swapped in; the stamp is written last.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { transformSync } from 'esbuild';
import { buildIsFresh, ROOT, sourceDigest, stampOf, WORKSPACES } from './build-state.mjs';

function tsconfigOf(root) {
  const base = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions;
  return {
    compilerOptions: {
      target: base.target,
      verbatimModuleSyntax: base.verbatimModuleSyntax,
      useDefineForClassFields: true,
    },
  };
}

/** @mkube/<name> → its workspace folder and package.json exports. */
function packagesOf(root) {
  const packages = new Map();
  for (const ws of WORKSPACES) {
    const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8'));
    if (pkg.name?.startsWith('@mkube/')) packages.set(pkg.name, { ws, exports: pkg.exports ?? {} });
  }
  return packages;
}

/** The dist/ file a package specifier resolves to, through its exports map (src/x.ts → dist/x.js). */
function resolvePackage(root, packages, spec) {
  const m = /^(@mkube\/[^/]+)(\/.*)?$/.exec(spec);
  const pkg = m && packages.get(m[1]);
  if (!pkg) throw new Error(`build: unknown package in import "${spec}"`);
  const sub = m[2] ? `.${m[2]}` : '.';
  let target;
  for (const [key, value] of Object.entries(pkg.exports)) {
    const to = typeof value === 'string' ? value : value.default;
    if (key === sub) target = to;
    else if (key.includes('*')) {
      const [pre, post] = key.split('*');
      if (sub.startsWith(pre) && sub.endsWith(post) && sub.length >= pre.length + post.length) {
        target = to.replace('*', sub.slice(pre.length, sub.length - post.length));
      }
    }
    if (target) break;
  }
  if (!target?.startsWith('./src/') || !target.endsWith('.ts')) throw new Error(`build: cannot resolve "${spec}"`);
  return join(root, pkg.ws, 'dist', `${target.slice('./src/'.length, -'.ts'.length)}.js`);
}

const IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(@mkube\/[^"']+)\2/g;

function buildWorkspace(root, ws, out, tsconfigRaw, packages) {
  const src = join(root, ws, 'src');
  let files = 0;
  const visit = (rel) => {
    for (const e of readdirSync(join(src, rel), { withFileTypes: true })) {
      const r = rel ? join(rel, e.name) : e.name;
      if (e.isDirectory()) {
        visit(r);
        continue;
      }
      const from = join(src, r);
      if (!r.endsWith('.ts') || r.endsWith('.d.ts')) {
        mkdirSync(dirname(join(out, r)), { recursive: true });
        copyFileSync(from, join(out, r));
        continue;
      }
      const to = join(out, `${r.slice(0, -3)}.js`);
      const { code } = transformSync(readFileSync(from, 'utf8'), {
        loader: 'ts',
        format: 'esm',
        target: 'node20',
        sourcefile: from,
        tsconfigRaw,
      });
      const rewritten = code.replace(IMPORT, (_all, head, q, spec) => {
        let rel = relative(dirname(to.replace(out, join(root, ws, 'dist'))), resolvePackage(root, packages, spec));
        if (!rel.startsWith('.')) rel = `./${rel}`;
        return `${head}${q}${rel}${q}`;
      });
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, rewritten);
      files++;
    }
  };
  visit('');
  return files;
}

export function build({ force = false, root = ROOT } = {}) {
  if (!force && buildIsFresh(root)) return false;
  const digest = sourceDigest(root);
  const tsconfigRaw = tsconfigOf(root);
  const packages = packagesOf(root);
  const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const staged = WORKSPACES.map((ws) => {
    const out = join(root, ws, `dist.new-${tag}`);
    rmSync(out, { recursive: true, force: true });
    buildWorkspace(root, ws, out, tsconfigRaw, packages);
    return { ws, out };
  });
  const stamp = stampOf(root);
  rmSync(stamp, { force: true });
  for (const { ws, out } of staged) {
    const dist = join(root, ws, 'dist');
    const old = join(root, ws, `dist.old-${tag}`);
    try {
      renameSync(dist, old);
    } catch {}
    renameSync(out, dist);
    rmSync(old, { recursive: true, force: true });
  }
  // The sources may have changed while building: record what was read at the start.
  const tmp = `${stamp}.${tag}`;
  writeFileSync(tmp, `${digest}\n`);
  renameSync(tmp, stamp);
  return true;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const t0 = performance.now();
  const built = build({ force: process.argv.includes('--force') });
  process.stderr.write(
    built ? `mkube: built dist/ in ${Math.round(performance.now() - t0)} ms\n` : 'mkube: dist/ is up to date\n',
  );
}
