// Runs docker-compose.yml without a Docker engine, to keep the file honest: every service's
// command, environment and volumes exactly as written, each in its own network namespace with the
// address compose would give it (a bridge, a veth per service, the service's ipv4_address), its own
// host name (UTS namespace) and its own view of /var/lib (a mount namespace: a tmpfs with the
// service's volumes bound in). depends_on conditions and healthchecks are honoured. Root only.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MKUBE_BIN, REPO_ROOT } from './harness.ts';

export interface ComposeService {
  readonly name: string;
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly volumes: readonly { source: string; target: string; readOnly: boolean; named: boolean }[];
  readonly ip: string;
  readonly hostname: string;
  readonly dependsOn: Readonly<
    Record<string, 'service_started' | 'service_healthy' | 'service_completed_successfully'>
  >;
  readonly healthcheck?: { readonly test: readonly string[]; readonly intervalMs: number; readonly retries: number };
  readonly ports: readonly string[];
}

export interface ComposeFile {
  readonly file: string;
  readonly subnet: string;
  readonly services: readonly ComposeService[];
}

const durationMs = (v: unknown, dflt: number) => {
  if (typeof v !== 'string') return dflt;
  const m = /^(\d+)(ms|s|m)$/.exec(v);
  if (!m) throw new Error(`unsupported duration ${v}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
};

/** Compose's own interpolation: `$$` is a literal `$`; the file uses no other variables. */
function interpolate(s: string, where: string): string {
  if (/\$(?!\$)\{?[A-Za-z_]/.test(s.replace(/\$\$/g, '')))
    throw new Error(`${where}: variable interpolation is not supported by this runner: ${s}`);
  return s.replace(/\$\$/g, '$');
}

export function loadCompose(file: string): ComposeFile {
  const doc = parseYaml(readFileSync(file, 'utf8'), { merge: true }) as Record<string, unknown>;
  const nets = doc.networks as Record<string, { ipam?: { config?: { subnet?: string }[] } }>;
  const netNames = Object.keys(nets ?? {});
  if (netNames.length !== 1) throw new Error('exactly one network is supported');
  const subnet = nets[netNames[0]!]?.ipam?.config?.[0]?.subnet;
  if (!subnet || !/^\d+\.\d+\.\d+\.0\/24$/.test(subnet)) throw new Error('the network needs an ipam subnet a.b.c.0/24');
  const named = new Set(Object.keys((doc.volumes as object) ?? {}));
  const services = Object.entries(doc.services as Record<string, Record<string, unknown>>).map(([name, s]) => {
    const where = `services.${name}`;
    if (!Array.isArray(s.command)) throw new Error(`${where}.command must be a list (exec form)`);
    const ip = (s.networks as Record<string, { ipv4_address?: string }>)?.[netNames[0]!]?.ipv4_address;
    if (!ip) throw new Error(`${where}.networks.${netNames[0]}.ipv4_address is required`);
    const hc = s.healthcheck as { test?: string[]; interval?: string; retries?: number } | undefined;
    const deps = (s.depends_on ?? {}) as Record<string, { condition?: string }>;
    return {
      name,
      command: (s.command as string[]).map((c, i) => interpolate(String(c), `${where}.command[${i}]`)),
      environment: Object.fromEntries(
        Object.entries((s.environment ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      ),
      volumes: ((s.volumes ?? []) as string[]).map((v) => {
        const [src, target, mode] = v.split(':') as [string, string, string | undefined];
        if (!target.startsWith('/var/lib/'))
          throw new Error(`${where}.volumes: this runner mounts targets under /var/lib only: ${v}`);
        const isNamed = named.has(src);
        if (!isNamed && !src.startsWith('./')) throw new Error(`${where}.volumes: unknown volume ${src}`);
        return { source: isNamed ? src : resolve(dirname(file), src), target, readOnly: mode === 'ro', named: isNamed };
      }),
      ip,
      hostname: String(s.hostname ?? name),
      dependsOn: Object.fromEntries(
        Object.entries(deps).map(([k, v]) => [
          k,
          (v.condition ?? 'service_started') as ComposeService['dependsOn'][string],
        ]),
      ),
      ...(hc?.test
        ? { healthcheck: { test: hc.test, intervalMs: durationMs(hc.interval, 5000), retries: hc.retries ?? 3 } }
        : {}),
      ports: ((s.ports ?? []) as string[]).map(String),
    } satisfies ComposeService;
  });
  return { file, subnet, services };
}

function sh(cmd: string[], allowFail = false): string {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Root with `ip netns` and bridges: the runner can work here (else the reason it cannot). */
export function composeSupport(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need root';
  const probe = `mkc-probe-${randomBytes(3).toString('hex')}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns is not available: ${r.stderr || r.error?.message}`;
  spawnSync('ip', ['netns', 'del', probe]);
  if (spawnSync('unshare', ['--mount', '--uts', 'true']).status !== 0) return 'unshare --mount --uts is not available';
  return undefined;
}

export interface RunningCompose {
  readonly compose: ComposeFile;
  /** Folder backing each named volume. */
  readonly volumes: Readonly<Record<string, string>>;
  log(service: string): string;
  /** Runs a command inside a service's namespaces (its network, host name and mounts). */
  exec(service: string, cmd: readonly string[]): { status: number; stdout: string; stderr: string };
  running(service: string): boolean;
  down(): Promise<void>;
}

export interface ComposeUpOptions {
  readonly timeoutMs?: number;
  /**
   * Appends `--v=N` to every mkube daemon's command: the only change to the file as written, for a
   * test that reads the logs at the highest verbosity.
   */
  readonly verbosity?: number;
}

const DAEMONS = new Set(['apiserver', 'controller-manager', 'scheduler', 'kubelet']);

const LOCK = join(tmpdir(), 'mkube-compose.lock');

/**
 * The file's addresses are fixed, so one compose cluster runs at a time on a host: a lock folder
 * holding the owner's pid (a dead owner's lock is taken over), waited for at most `ms`.
 */
async function lockCompose(ms: number): Promise<() => void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        rmSync(LOCK, { recursive: true, force: true });
      };
    } catch {
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {}
      let alive = false;
      try {
        if (owner > 0) {
          process.kill(owner, 0);
          alive = true;
        }
      } catch {}
      if (!alive && Number.isFinite(owner)) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another compose cluster holds ${LOCK}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function composeUp(file: string, opts: ComposeUpOptions = {}): Promise<RunningCompose> {
  const unlock = await lockCompose(300_000);
  try {
    return await composeUpLocked(file, opts, unlock);
  } catch (e) {
    unlock();
    throw e;
  }
}

async function composeUpLocked(file: string, opts: ComposeUpOptions, unlock: () => void): Promise<RunningCompose> {
  const loaded = loadCompose(file);
  const compose: ComposeFile =
    opts.verbosity === undefined
      ? loaded
      : {
          ...loaded,
          services: loaded.services.map((s) =>
            s.command[0] === 'mkube' && DAEMONS.has(s.command[1] ?? '')
              ? { ...s, command: [...s.command, `--v=${opts.verbosity}`] }
              : s,
          ),
        };
  const tag = randomBytes(2).toString('hex');
  const work = mkdtempSync(join(tmpdir(), 'mkube-compose-'));
  const bridge = `mkc${tag}`;
  const gateway = compose.subnet.replace(/0\/24$/, '1');
  const volumes: Record<string, string> = {};
  for (const s of compose.services)
    for (const v of s.volumes) if (v.named) volumes[v.source] ??= mkdtempSync(join(work, `vol-${v.source}-`));
  // `mkube` in the image is the repository's CLI: the same here.
  const bin = join(work, 'bin');
  sh(['mkdir', '-p', bin]);
  writeFileSync(join(bin, 'mkube'), `#!/bin/sh\nexec "${process.execPath}" "${MKUBE_BIN}" "$@"\n`);
  chmodSync(join(bin, 'mkube'), 0o755);

  const ns = (svc: string) => `mkc-${tag}-${svc}`;
  const procs = new Map<string, ChildProcess>();
  const logs = new Map<string, string>();
  const exits = new Map<string, number | null>();
  const cleanups: (() => void)[] = [];

  sh(['ip', 'link', 'add', bridge, 'type', 'bridge']);
  cleanups.push(() => sh(['ip', 'link', 'del', bridge], true));
  sh(['ip', 'addr', 'add', `${gateway}/24`, 'dev', bridge]);
  sh(['ip', 'link', 'set', bridge, 'up']);
  compose.services.forEach((s, i) => {
    const n = ns(s.name);
    const host = `mkv${tag}${i}`;
    sh(['ip', 'netns', 'add', n]);
    cleanups.push(() => sh(['ip', 'netns', 'del', n], true));
    sh(['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', `${host}p`]);
    sh(['ip', 'link', 'set', host, 'master', bridge]);
    sh(['ip', 'link', 'set', host, 'up']);
    sh(['ip', 'link', 'set', `${host}p`, 'netns', n]);
    sh(['ip', '-n', n, 'link', 'set', `${host}p`, 'name', 'eth0']);
    sh(['ip', '-n', n, 'addr', 'add', `${s.ip}/24`, 'dev', 'eth0']);
    sh(['ip', '-n', n, 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', n, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', n, 'route', 'add', 'default', 'via', gateway]);
  });

  // The service's namespaces: network (ip netns exec), then mount + UTS with its volumes and host name.
  const wrap = (s: ComposeService, cmd: readonly string[]): string[] => {
    const mounts = s.volumes
      .map((v) => {
        const src = v.named ? volumes[v.source]! : v.source;
        return `mkdir -p '${v.target}' && mount --bind '${src}' '${v.target}'${v.readOnly ? ` && mount -o remount,bind,ro '${v.target}'` : ''}`;
      })
      .join(' && ');
    const setup = [
      'hostname "$MKC_HOSTNAME"',
      'mount -t tmpfs tmpfs /var/lib',
      ...(mounts ? [mounts] : []),
      'exec "$@"',
    ].join(' && ');
    return [
      'ip',
      'netns',
      'exec',
      ns(s.name),
      'unshare',
      '--mount',
      '--uts',
      '--propagation',
      'private',
      'sh',
      '-c',
      setup,
      'sh',
      ...cmd,
    ];
  };
  const envOf = (s: ComposeService) => ({
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: '/root',
    MKC_HOSTNAME: s.hostname,
    ...s.environment,
  });
  const start = (s: ComposeService) => {
    const argv = wrap(s, s.command);
    const p = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, env: envOf(s), stdio: ['ignore', 'pipe', 'pipe'] });
    logs.set(s.name, '');
    const add = (d: Buffer) => logs.set(s.name, (logs.get(s.name) ?? '') + d.toString());
    p.stdout!.on('data', add);
    p.stderr!.on('data', add);
    p.once('exit', (code) => exits.set(s.name, code));
    procs.set(s.name, p);
  };
  const execIn = (svc: string, cmd: readonly string[]) => {
    const s = compose.services.find((x) => x.name === svc)!;
    const argv = wrap(s, cmd);
    const r = spawnSync(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, env: envOf(s), encoding: 'utf8', timeout: 20_000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const healthy = (s: ComposeService) => {
    const t = s.healthcheck!.test;
    const cmd = t[0] === 'CMD-SHELL' ? ['sh', '-c', t[1]!] : t[0] === 'CMD' ? t.slice(1) : [...t];
    return execIn(s.name, cmd).status === 0;
  };

  const running: RunningCompose = {
    compose,
    volumes,
    log: (svc) => logs.get(svc) ?? '',
    exec: execIn,
    running: (svc) => procs.has(svc) && !exits.has(svc),
    async down() {
      for (const p of [...procs.values()].reverse())
        if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      await Promise.all(
        [...procs.values()].map(
          (p) =>
            new Promise<void>((r) => {
              if (p.exitCode !== null || p.signalCode !== null) return r();
              const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
              p.once('exit', () => {
                clearTimeout(t);
                r();
              });
            }),
        ),
      );
      for (const c of cleanups.reverse()) c();
      rmSync(work, { recursive: true, force: true });
      unlock();
    },
  };

  // depends_on, in file order: wait for each condition, then start.
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const healthyNow = new Set<string>();
  const waitCond = async (dep: string, cond: string) => {
    const s = compose.services.find((x) => x.name === dep);
    if (!s) throw new Error(`depends_on: no service ${dep}`);
    for (;;) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${dep} (${cond}):\n${running.log(dep)}`);
      if (cond === 'service_started' && procs.has(dep)) return;
      if (cond === 'service_completed_successfully' && exits.has(dep)) {
        if (exits.get(dep) === 0) return;
        throw new Error(`${dep} exited ${exits.get(dep)}:\n${running.log(dep)}`);
      }
      if (cond === 'service_healthy') {
        if (healthyNow.has(dep)) return;
        if (exits.has(dep)) throw new Error(`${dep} exited ${exits.get(dep)}:\n${running.log(dep)}`);
        if (s.healthcheck && healthy(s)) {
          healthyNow.add(dep);
          return;
        }
        await new Promise((r) => setTimeout(r, s.healthcheck?.intervalMs ?? 1000));
        continue;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    const started = new Set<string>();
    while (started.size < compose.services.length) {
      let progressed = false;
      for (const s of compose.services) {
        if (started.has(s.name)) continue;
        if (!Object.keys(s.dependsOn).every((d) => started.has(d))) continue;
        for (const [dep, cond] of Object.entries(s.dependsOn)) await waitCond(dep, cond);
        start(s);
        started.add(s.name);
        progressed = true;
      }
      if (!progressed) throw new Error('depends_on has a cycle or names a missing service');
    }
  } catch (e) {
    await running.down();
    throw e;
  }
  return running;
}

/** Waits until a service's healthcheck passes. */
export async function waitHealthy(r: RunningCompose, svc: string, timeoutMs = 60_000): Promise<void> {
  const s = r.compose.services.find((x) => x.name === svc)!;
  const t = s.healthcheck!.test;
  const cmd = t[0] === 'CMD-SHELL' ? ['sh', '-c', t[1]!] : t.slice(1);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!r.running(svc)) throw new Error(`${svc} stopped:\n${r.log(svc)}`);
    if (r.exec(svc, cmd).status === 0) return;
    await new Promise((res) => setTimeout(res, s.healthcheck!.intervalMs));
  }
  throw new Error(`${svc} not healthy after ${timeoutMs} ms:\n${r.log(svc).slice(-3000)}`);
}
