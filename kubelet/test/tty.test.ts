// The line discipline the kubelet applies to a -t session of a process with no pseudo-terminal:
// echo, whole lines, erase, kill, ^D, ^C, escape sequences dropped, and onlcr on the way out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineDiscipline, onlcr } from '../src/server/tty.ts';

function session() {
  const seen = { echo: '', input: [] as string[], eof: 0, interrupt: 0 };
  const ld = new LineDiscipline({
    echo: (b) => {
      seen.echo += b.toString();
    },
    input: (b) => seen.input.push(b.toString()),
    eof: () => seen.eof++,
    interrupt: () => seen.interrupt++,
  });
  return { ld, seen, feed: (s: string | Buffer) => ld.feed(Buffer.from(s)) };
}

describe('LineDiscipline', () => {
  it('echoes keystrokes and hands the process whole lines on Enter (CR or LF)', () => {
    const { seen, feed } = session();
    feed('ec');
    feed('ho hi\r');
    assert.deepEqual(seen.input, ['echo hi\n']);
    assert.equal(seen.echo, 'echo hi\r\n');
    feed('ls\n');
    assert.deepEqual(seen.input, ['echo hi\n', 'ls\n']);
  });

  it('erases with backspace (whole characters, not bytes) and kills the line with ^U', () => {
    const { seen, feed } = session();
    feed('caté\x7f\x7fx\r');
    assert.deepEqual(seen.input, ['cax\n']);
    assert.equal(seen.echo, 'caté\b \b\b \bx\r\n');
    feed('\x7f'); // nothing to erase: nothing echoed
    feed('wrong\x15ok\r');
    assert.deepEqual(seen.input, ['cax\n', 'ok\n']);
    assert.ok(seen.echo.endsWith(`wrong${'\b \b'.repeat(5)}ok\r\n`));
  });

  it('a UTF-8 character split across chunks arrives whole', () => {
    const { seen, feed } = session();
    const e = Buffer.from('é');
    feed(e.subarray(0, 1));
    feed(Buffer.concat([e.subarray(1), Buffer.from('\r')]));
    assert.deepEqual(seen.input, ['é\n']);
  });

  it('^D ends input on an empty line and flushes a partial one; ^C interrupts and drops the line', () => {
    const { seen, feed } = session();
    feed('part\x04');
    assert.deepEqual([seen.input, seen.eof], [['part'], 0]);
    feed('\x04');
    assert.equal(seen.eof, 1);
    feed('half a command\x03');
    assert.equal(seen.interrupt, 1);
    assert.ok(seen.echo.endsWith('^C\r\n'));
    feed('\r');
    assert.deepEqual(seen.input, ['part', '\n']);
  });

  it('drops escape sequences (arrow keys) even split across chunks', () => {
    const { seen, feed } = session();
    feed('a\x1b[A\x1b');
    feed('[1;5Cb\r');
    assert.deepEqual(seen.input, ['ab\n']);
    assert.equal(seen.echo, 'ab\r\n');
  });
});

describe('onlcr', () => {
  it('turns each newline into CR LF and leaves other bytes alone', () => {
    assert.equal(onlcr(Buffer.from('a\nb\n')).toString(), 'a\r\nb\r\n');
    const plain = Buffer.from('no newline');
    assert.equal(onlcr(plain), plain);
  });
});
