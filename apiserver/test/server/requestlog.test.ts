import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@mkube/shared/log';
import type { FastifyBaseLogger } from 'fastify';
import { lazyRequestLogger } from '../../src/server/requestlog.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    name: 'apiserver',
    verbosity: 2,
    destination: { write: (s: string) => void lines.push(JSON.parse(s)) } as never,
  });
  return { lines, log: log as unknown as FastifyBaseLogger };
}

test('the request logger makes its child on first use, with the request id and redaction', () => {
  const { lines, log } = capture();
  let children = 0;
  const child = log.child.bind(log);
  log.child = ((...args: Parameters<FastifyBaseLogger['child']>) => {
    children++;
    return child(...args);
  }) as FastifyBaseLogger['child'];

  const quiet = lazyRequestLogger(log, { reqId: 'req-1' }, {});
  assert.equal(quiet.level, 'debug');
  assert.equal(children, 0, 'a request that logs nothing makes no child');

  const r = lazyRequestLogger(log, { reqId: 'req-2' }, {});
  r.error({ url: '/api', token: 'abcdef.0123456789abcdef' }, 'request failed');
  r.debug('more');
  r.trace('below the level');
  assert.equal(children, 1, 'one child for all of a request’s lines');
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.reqId, 'req-2');
  assert.equal(lines[0]!.msg, 'request failed');
  assert.equal(lines[0]!.token, '[REDACTED]');
  assert.equal(lines[1]!.reqId, 'req-2');
});

test('a route log level reaches the child', () => {
  const { lines, log } = capture();
  const r = lazyRequestLogger(log, { reqId: 'req-3' }, { level: 'warn' });
  assert.equal(r.level, 'warn');
  r.info('dropped');
  r.warn('kept');
  assert.deepEqual(
    lines.map((l) => l.msg),
    ['kept'],
  );
  r.level = 'info';
  r.info('now kept');
  assert.equal(lines.length, 2);
  assert.equal(r.child({ sub: 1 }).level, 'info');
});
