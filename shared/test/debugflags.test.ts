// /debug/flags/v's setter: Go's ParseInt rules and texts, and a level change that reaches the child
// loggers the daemon's components made before it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKlogLevel, serveDebugFlagV, Verbosity } from '@mkube/shared/debugflags';
import { createLogger } from '@mkube/shared/log';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    name: 'test',
    destination: { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) } as never,
  });
  return { log, lines };
}

describe('/debug/flags/v', () => {
  it('parses as strconv.ParseInt(value, 10, 32)', () => {
    assert.equal(parseKlogLevel('4'), 4);
    assert.equal(parseKlogLevel('+3'), 3);
    assert.equal(parseKlogLevel('-1'), -1);
    for (const bad of ['', ' 4', '4\n', '0x4', '4.0', 'four'])
      assert.equal(
        (parseKlogLevel(bad) as Error).message,
        `strconv.ParseInt: parsing ${JSON.stringify(bad)}: invalid syntax`,
      );
    assert.equal(
      (parseKlogLevel('2147483648') as Error).message,
      'strconv.ParseInt: parsing "2147483648": value out of range',
    );
  });

  it('turns debug lines on and off in children made before the change', () => {
    const { log, lines } = capture();
    const component = log.child({ component: 'csrapproving' });
    const v = new Verbosity(log, 0);
    component.debug('hidden');
    assert.equal(v.set('4'), 'successfully set klog.logging.verbosity to 4');
    assert.equal(v.value, 4);
    component.debug('shown');
    component.trace('still hidden below 6');
    v.set('0');
    component.debug('hidden again');
    const msgs = lines.map((l) => l.msg);
    assert.deepEqual(
      msgs.filter((m) => m !== 'log verbosity changed through /debug/flags/v'),
      ['shown'],
    );
    assert.deepEqual(
      lines.filter((l) => l.msg === 'log verbosity changed through /debug/flags/v').map((l) => [l.from, l.to]),
      [
        [0, 4],
        [4, 0],
      ],
    );
  });

  it('answers as StringFlagPutHandler: 406 but for PUT, 400 with the setter’s text', () => {
    const v = new Verbosity(capture().log, 2);
    assert.deepEqual(serveDebugFlagV('GET', '', v).code, 406);
    assert.deepEqual(serveDebugFlagV('POST', '3', v).body, 'unsupported http method\n');
    const bad = serveDebugFlagV('PUT', 'x', v);
    assert.deepEqual(
      [bad.code, bad.body],
      [400, 'failed set klog.logging.verbosity x: strconv.ParseInt: parsing "x": invalid syntax\n'],
    );
    assert.equal(v.value, 2, 'a refused value changes nothing');
    assert.equal(serveDebugFlagV('PUT', '3', v).code, 200);
    assert.equal(v.value, 3);
  });
});
