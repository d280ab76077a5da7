// Interactive sessions with the real kubectl: `kubectl run -i --rm` feeding a container's stdin from
// a pipe (attach with stdin), and, under a pseudo-terminal from script(1) sized 123×45, `kubectl exec
// -it`, `kubectl run -it` (a `tty: true` container) and `kubectl debug -it` on pseudo-terminals of
// their own — the terminal's size from kubectl's resize channel, echo and erase, ^C interrupting only
// the shell's command, the exit code carried back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from '@mkube/shared/api';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { type NodeCluster, runningPod, startNodeCluster } from './fixture.ts';

const NODE = 'node-tty';

describe('interactive sessions (stdin, -t)', { timeout: 120_000 }, () => {
  let c: NodeCluster;
  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const kubectlArgs = (args: string[]) => [
    `--kubeconfig=${c.fx.kubeconfig}`,
    `--cache-dir=${join(c.fx.dir, 'cache-interactive')}`,
    ...args,
  ];
  const env = () => ({ ...process.env, KUBECONFIG: '', HOME: c.fx.dir });
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

  /** Runs `bin args`, writing each [delay ms, text] to its stdin in turn, then ending it; bounded by 30 s. */
  const session = (bin: string, args: string[], keys: [number, string][]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(bin, args, { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => {
        out += d;
      });
      p.stderr.on('data', (d) => {
        err += d;
      });
      p.stdin.on('error', () => {});
      const guard = setTimeout(() => p.kill('SIGKILL'), 30_000);
      p.on('close', (code) => {
        clearTimeout(guard);
        resolve({ code, out, err });
      });
      void (async () => {
        for (const [delay, text] of keys) {
          await new Promise((r) => setTimeout(r, delay));
          p.stdin.write(text);
        }
        await new Promise((r) => setTimeout(r, 1500));
        p.stdin.end();
      })();
    });
  /** kubectl under a 123×45 pseudo-terminal (script -e returns the command's exit code). */
  const onTerminal = (args: string[], keys: [number, string][]) =>
    session(
      'script',
      ['-qec', `stty cols 123 rows 45; ${['kubectl', ...kubectlArgs(args)].map(quote).join(' ')}`, '/dev/null'],
      keys,
    );

  before(async () => {
    c = await startNodeCluster();
    const k = await c.startKubelet(NODE);
    await k.kubelet.ready;
    await runningPod(c, 'target', NODE, {
      containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }],
    });
  });
  after(async () => c?.close());

  it('kubectl run -i --rm: the piped script is the container’s stdin, its exit code kubectl’s', async () => {
    const r = await session(
      'kubectl',
      kubectlArgs([
        'run',
        'once',
        '-i',
        '--rm',
        '--restart=Never',
        '--image=busybox',
        `--overrides={"spec":{"nodeName":"${NODE}"}}`,
        '--',
        'sh',
      ]),
      [[2500, 'echo hello from stdin $POD_NAME\nexit 3\n']],
    );
    assert.equal(r.code, 3, r.err);
    assert.match(r.out, /hello from stdin once\n/);
    assert.match(r.out, /pod "once" deleted/);
  });

  it('kubectl exec -it: a terminal of kubectl’s size, echo, backspace, ^C stops the command and not the shell', async () => {
    const r = await onTerminal(
      ['exec', '-it', 'target', '--', 'sh'],
      [
        [1500, 'ech\x7fho typed $POD_NAME\r'],
        [800, 'tty; stty size\r'],
        [800, 'sleep 30\r'],
        [800, '\x03'],
        [800, 'echo after\r'],
        [500, 'exit 6\r'],
      ],
    );
    assert.equal(r.code, 6, `${r.out}\n${r.err}`);
    const shown = r.out;
    assert.ok(shown.includes('ech\b \bho typed $POD_NAME\r\ntyped target\r\n'), JSON.stringify(shown));
    assert.match(shown, /tty; stty size\r\n\/dev\/pts\/\d+\r\n45 123\r\n/);
    // The shell prompts (it is interactive on a terminal), and survives the ^C that ends its sleep.
    assert.match(shown, /sleep 30\r\n\^C(\r\n)?[$#] echo after\r\nafter\r\n/);
  });

  it('kubectl run -it --rm: a tty container’s terminal, typed into through attach', async () => {
    const r = await onTerminal(
      [
        'run',
        'shell',
        '-it',
        '--rm',
        '--restart=Never',
        '--image=busybox',
        `--overrides={"spec":{"nodeName":"${NODE}"}}`,
        '--',
        'sh',
      ],
      [
        [3000, 'echo in $POD_NAME; tty; stty size\r'],
        [800, 'exit 5\r'],
      ],
    );
    assert.equal(r.code, 5, `${r.out}\n${r.err}`);
    assert.match(r.out, /\r\nin shell\r\n\/dev\/pts\/\d+\r\n45 123\r\n/);
    assert.match(r.out, /pod "shell" deleted/);
  });

  it('kubectl debug -it: an ephemeral container with a terminal', async () => {
    const r = await onTerminal(
      ['debug', 'target', '-it', '--image=busybox', '-c', 'shell', '--profile=general', '--', 'sh'],
      [
        [4000, 'echo debugging $POD_NAME\r'],
        [800, 'exit\r'],
      ],
    );
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    assert.ok(r.out.includes('debugging target\r\n'), JSON.stringify(r.out));
    const done = await waitFor(
      'the debug container’s status',
      async () =>
        (await pods().get('target')).status?.ephemeralContainerStatuses?.find((e) => e.name === 'shell')?.state
          ?.terminated,
    );
    assert.equal(done.exitCode, 0);
  });
});
