// The runtime's pseudo-terminals: a process on its own terminal (session leader, so its pid is its
// group), its exit and signal as a ChildProcess reports them, a missing command as ENOENT, input
// ended with ^D, and the resize channel's message.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signalGroup } from '../src/runtime/pod.ts';
import { procStat } from '../src/runtime/proc.ts';
import { lookPath, parseTerminalSize, spawnOnTerminal, type TerminalProcess } from '../src/runtime/pty.ts';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const dir = mkdtempSync(join(tmpdir(), 'mkube-pty-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], opts: { stdin?: boolean; size?: { cols: number; rows: number } } = {}) {
  const p = spawnOnTerminal(args[0]!, args.slice(1), { cwd: dir, env, stdin: opts.stdin ?? false, size: opts.size });
  assert.ok(p, 'node-pty is installed with the kubelet');
  let out = '';
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) =>
    p.once('close', (code, signal) => setImmediate(() => resolve({ code, signal, out }))),
  );
  return { p: p as TerminalProcess, exited };
}

describe('a process on a pseudo-terminal', () => {
  it('runs on a terminal of the given size, in a session it leads, and reports its exit code', async () => {
    // The sleep keeps the child alive while it is read: on a busy machine it could end before the first read.
    const { p, exited } = run(['sh', '-c', 'tty; stty size; echo "$TERM"; sleep 1; exit 3'], {
      size: { cols: 99, rows: 33 },
    });
    // forkpty returns in the parent before the child's setsid has run: read the child once it has
    // (bounded), and assert what it then is.
    let stat = procStat(p.pid!);
    for (let i = 0; i < 200 && stat && stat[2] !== String(p.pid); i++) {
      await new Promise((r) => setTimeout(r, 5));
      stat = procStat(p.pid!);
    }
    assert.equal(stat?.[2], String(p.pid), 'its own process group');
    assert.equal(stat?.[3], String(p.pid), 'its own session');
    const r = await exited;
    assert.equal(r.code, 3);
    assert.match(r.out, /^\/dev\/pts\/\d+\r\n33 99\r\nxterm\r\n$/);
  });

  it('reports a signal as ChildProcess does, and resizes', async () => {
    const { p, exited } = run(['sh', '-c', 'trap "stty size; exit 0" WINCH; while :; do sleep 0.05; done']);
    await new Promise((r) => setTimeout(r, 300));
    p.resize({ cols: 120, rows: 40 });
    const first = await exited;
    assert.equal(first.code, 0);
    assert.match(first.out, /40 120/);
    const { p: q, exited: gone } = run(['sleep', '30']);
    // As the runtime stops a container: its group, or the process itself while the pty's child
    // has not yet made its session (a bare kill(-pid) here raced that and failed with ESRCH).
    signalGroup(q.pid!, 'SIGTERM');
    const r = await gone;
    assert.equal(r.code, null);
    assert.equal(r.signal, 'SIGTERM');
  });

  it('ends its input with ^D', async () => {
    const { p, exited } = run(['cat'], { stdin: true });
    // Typed once cat runs, as a user types at a prompt: input sent while forkpty's child is still
    // becoming cat was once seen to end it by a signal on a loaded machine.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      let comm = '';
      try {
        comm = readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim();
      } catch {
        // not there yet, or gone
      }
      if (comm === 'cat') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    p.stdin?.write('typed\r');
    p.stdin?.end();
    const r = await exited;
    assert.equal(r.code, 0, `signal ${r.signal}, output ${JSON.stringify(r.out)}`);
    assert.match(r.out, /typed\r\n/);
  });

  it('fails a missing command with ENOENT and no pid, as a spawn does', async () => {
    const p = spawnOnTerminal('no-such-command-here', [], { cwd: dir, env, stdin: false });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => p?.once('error', resolve));
    assert.equal(err.code, 'ENOENT');
    assert.equal(p?.pid, undefined);
  });
});

describe('lookPath', () => {
  it('finds a name in PATH, a path as it is, and nothing else', () => {
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'data'), 'x', { mode: 0o644 });
    assert.equal(lookPath('tool', { PATH: `/nonexistent:${dir}` }, '/'), join(dir, 'tool'));
    assert.equal(lookPath('data', { PATH: dir }, '/'), undefined, 'not executable');
    assert.equal(lookPath('./tool', {}, dir), './tool');
    assert.equal(lookPath('./data', {}, dir), undefined);
    assert.equal(lookPath('tool', { PATH: '/nonexistent' }, dir), undefined);
  });
});

describe('parseTerminalSize', () => {
  it('reads remotecommand.TerminalSize and refuses anything else', () => {
    assert.deepEqual(parseTerminalSize(Buffer.from('{"Width":123,"Height":45}')), { cols: 123, rows: 45 });
    for (const bad of ['', 'nope', '{"Width":0,"Height":4}', '{"Width":1.5,"Height":4}', '{"Width":"8","Height":4}'])
      assert.equal(parseTerminalSize(Buffer.from(bad)), undefined, bad);
  });
});
