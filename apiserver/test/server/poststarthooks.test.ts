// The post-start hook registry: a hook's check is "not finished" until its function has returned,
// stays failed when it threw (the error logged, `failed` resolved with the first: fatal, as upstream's),
// a hook that throws because the server stops is no failure, and the checks come in the order the
// hooks were added.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@mkube/shared/log';
import { PostStartHookError, PostStartHooks, retryingHook } from '../../src/server/poststarthooks.ts';

function logger() {
  const lines: string[] = [];
  const log = createLogger({ name: 'test', destination: { write: (l: string) => lines.push(l) } as never });
  return { log, lines };
}

/** 'pending' when no hook has failed within 50 ms, else the failure. */
const failedSoon = (hooks: PostStartHooks) =>
  Promise.race([hooks.failed, new Promise((r) => setTimeout(() => r('pending'), 50))]);

const results = async (hooks: PostStartHooks) =>
  Promise.all(hooks.checks().map(async (c) => [c.name, await c.check()] as const));

describe('post-start hooks', () => {
  it('not finished until the hook returns, then ok', async () => {
    const { log } = logger();
    const hooks = new PostStartHooks(log);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    hooks.add('slow', () => gate);
    hooks.add('quick', () => undefined);
    assert.deepEqual(await results(hooks), [
      ['poststarthook/slow', 'not finished'],
      ['poststarthook/quick', 'not finished'],
    ]);
    const ac = new AbortController();
    const running = hooks.run(ac.signal);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(await results(hooks), [
      ['poststarthook/slow', 'not finished'],
      ['poststarthook/quick', undefined],
    ]);
    release();
    await running;
    assert.deepEqual(await results(hooks), [
      ['poststarthook/slow', undefined],
      ['poststarthook/quick', undefined],
    ]);
  });

  it('a hook that throws stays failed and is logged; the others finish', async () => {
    const { log, lines } = logger();
    const hooks = new PostStartHooks(log);
    hooks.add('rbac/bootstrap-roles', async () => {
      throw new Error('unable to initialize roles');
    });
    hooks.add('sync-throw', () => {
      throw new Error('at once');
    });
    hooks.add('fine', async () => undefined);
    await hooks.run(new AbortController().signal);
    assert.deepEqual(await results(hooks), [
      ['poststarthook/rbac/bootstrap-roles', 'not finished'],
      ['poststarthook/sync-throw', 'not finished'],
      ['poststarthook/fine', undefined],
    ]);
    assert.deepEqual(hooks.pending(), ['rbac/bootstrap-roles', 'sync-throw']);
    const failed = await hooks.failed;
    assert.ok(failed instanceof PostStartHookError);
    // The first to fail: the one that threw at once, before the other's promise rejected.
    assert.equal(failed.hook, 'sync-throw');
    assert.equal(failed.message, 'PostStartHook "sync-throw" failed: at once');
    const logged = lines.join('');
    assert.match(logged, /"hook":"rbac\/bootstrap-roles"/);
    assert.match(logged, /unable to initialize roles/);
    assert.match(logged, /"hook":"sync-throw"/);
  });

  it('names are unique, and none is added once they ran; run resolves on abort', async () => {
    const hooks = new PostStartHooks(logger().log);
    hooks.add('a', () => new Promise<void>(() => undefined));
    assert.throws(() => hooks.add('a', () => undefined), /already registered/);
    assert.throws(() => hooks.add('', () => undefined), /missing name/);
    const ac = new AbortController();
    const running = hooks.run(ac.signal);
    assert.throws(() => hooks.add('b', () => undefined), /already been called/);
    ac.abort();
    await running;
    assert.deepEqual(await results(hooks), [['poststarthook/a', 'not finished']]);
  });

  it('a hook that throws once the server stops is no failure', async () => {
    const { log, lines } = logger();
    const hooks = new PostStartHooks(log);
    const ac = new AbortController();
    hooks.add('watching', ({ signal }) => {
      return new Promise<void>((_, reject) => {
        signal.addEventListener('abort', () => reject(new Error('context canceled')), { once: true });
      });
    });
    const running = hooks.run(ac.signal);
    ac.abort();
    await running;
    await new Promise((r) => setImmediate(r));
    assert.equal(await failedSoon(hooks), 'pending');
    assert.doesNotMatch(lines.join(''), /PostStartHook failed/);
  });

  it("a retrying hook (a task upstream's controller retries) is tried until it succeeds, never fatal", async () => {
    const { log, lines } = logger();
    const hooks = new PostStartHooks(log);
    let calls = 0;
    hooks.add(
      'start-cluster-authentication-info-controller',
      retryingHook(
        async () => {
          if (++calls < 3) throw new Error('etcdserver: request timed out');
        },
        log,
        'unable to publish',
        20,
      ),
    );
    await hooks.run(new AbortController().signal);
    assert.equal(calls, 3);
    assert.deepEqual(await results(hooks), [['poststarthook/start-cluster-authentication-info-controller', undefined]]);
    assert.equal(lines.filter((l) => l.includes('unable to publish: retrying')).length, 2);
    assert.equal(await failedSoon(hooks), 'pending');

    // Stopping the server ends its retries.
    const stopping = new PostStartHooks(log);
    let tries = 0;
    stopping.add(
      'kube-apiserver-autoregistration',
      retryingHook(
        async () => {
          tries++;
          throw new Error('no store');
        },
        log,
        'unable to register',
        60_000,
      ),
    );
    const ac = new AbortController();
    const running = stopping.run(ac.signal);
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await running;
    await new Promise((r) => setImmediate(r));
    // Its function returned (no 60 s timer left behind), without a failure.
    assert.deepEqual(stopping.pending(), []);
    assert.equal(tries, 1);
  });
});
