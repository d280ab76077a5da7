// A post-start hook that fails is fatal, as kube-apiserver's (klog.Fatalf `PostStartHook %q failed`,
// exit 255): failing after start, the running server is stopped and runApiServer returns 255; failing
// before startApiServer returned, it rejects and nothing is left listening. Real servers, real curl.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { APISERVER_FLAGS, FATAL_EXIT_CODE, PostStartHookError, runApiServer } from '../../src/main.ts';
import type { PostStartHook } from '../../src/server/poststarthooks.ts';
import { curl, eventually, makePki, serverArgs, tempDir } from './fixture.ts';

/** runApiServer in this process with `hook` added after kube-apiserver's; its log, stderr and outcome. */
function run(dataDir: string, pki: ReturnType<typeof makePki>, name: string, hook: PostStartHook) {
  const lines: string[] = [];
  let stderr = '';
  const log = createLogger({ name: 'kube-apiserver', destination: { write: (s: string) => lines.push(s) } as never });
  const args = parseFlags(APISERVER_FLAGS, serverArgs(pki, dataDir, ['--authorization-mode=Node,RBAC']));
  const exit = runApiServer(args.flags, args.given, {
    stderr: { write: (s: string) => (stderr += s) } as never,
    log,
    start: { postStartHooks: [{ name, hook }], postStartHooksWaitMs: 300, drainTimeoutMs: 2000 },
  });
  /** The port it logged it serves on, once it has. */
  const port = async (): Promise<number> => {
    let found = 0;
    await eventually('the apiserver to listen', async () => {
      const line = lines.find((l) => l.includes('"serving securely"'));
      found = line ? (JSON.parse(line) as { port: number }).port : 0;
      return found > 0;
    });
    return found;
  };
  return { exit, port, stderr: () => stderr, logs: () => lines.join('') };
}

describe('a post-start hook that fails', () => {
  const dir = tempDir('apiserver-fatal-hook');
  const pki = makePki(dir);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('after start: the apiserver stops and exits 255', async () => {
    let fail!: () => void;
    const failing = new Promise<void>((r) => {
      fail = r;
    });
    const s = run(join(dir, 'later'), pki, 'test/fails-later', async () => {
      await failing;
      throw new Error('unable to sync caches');
    });
    const fx = { url: `https://127.0.0.1:${await s.port()}`, pki };
    // Serving, its hook not finished: not ready yet.
    await eventually('the server to answer', async () => (await curl(fx, '/readyz/ping')).code === 200);
    const own = await curl(fx, '/readyz/poststarthook/test/fails-later');
    assert.deepEqual([own.code, own.body], [500, 'internal server error: not finished\n']);
    assert.equal((await curl(fx, '/api/v1/namespaces/default')).code, 200);

    // startApiServer has returned (it waited 300 ms for the hooks), so the failure comes to a running server.
    await eventually('startApiServer to return', async () => s.logs().includes('post-start hooks not finished'));
    fail();
    assert.equal(await s.exit, FATAL_EXIT_CODE);
    assert.equal(FATAL_EXIT_CODE, 255);
    assert.equal(s.stderr(), 'error: PostStartHook "test/fails-later" failed: unable to sync caches\n');
    assert.match(s.logs(), /"hook":"test\/fails-later".*"PostStartHook failed"/);
    assert.match(s.logs(), /"apiserver stopped"/);
    // Nothing listens there any more: curl's "couldn't connect" (7), no HTTP status.
    const gone = await curl(fx, '/readyz/ping');
    assert.deepEqual([gone.status, gone.code], [7, 0], gone.stderr);
  });

  it('before startApiServer returned: it rejects, the server stopped, and the exit is 255', async () => {
    const s = run(join(dir, 'at-once'), pki, 'test/fails-at-once', () => {
      throw new Error('at once');
    });
    const port = await s.port();
    assert.equal(await s.exit, FATAL_EXIT_CODE);
    assert.equal(
      s.stderr(),
      'error: failed to start the apiserver: PostStartHook "test/fails-at-once" failed: at once\n',
    );
    assert.match(s.logs(), /"apiserver stopped"/);
    const gone = await curl({ url: `https://127.0.0.1:${port}`, pki }, '/readyz/ping');
    assert.deepEqual([gone.status, gone.code], [7, 0], gone.stderr);
  });

  it('the error names the hook and keeps its cause', () => {
    const cause = new Error('x');
    const e = new PostStartHookError('rbac/bootstrap-roles', cause);
    assert.equal(e.message, 'PostStartHook "rbac/bootstrap-roles" failed: x');
    assert.equal(e.cause, cause);
    assert.equal(e.hook, 'rbac/bootstrap-roles');
  });
});
