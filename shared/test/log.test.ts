import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, scrubSecrets } from '@mkube/shared/log';
import { encodePrivateKeyPem, generateKeyPair } from '@mkube/shared/pki';

/** A PEM block built at run time, so no key-shaped text sits in the repository. */
const pemBlock = (label: string, body: string) =>
  ['-----BEGIN', `${label}-----\n${body}\n-----END`, `${label}-----`].join(' ');

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe('log', () => {
  it('redacts authorization headers, tokens, keys and secret data at the highest verbosity', async () => {
    const { lines, stream } = capture();
    const log = createLogger({ name: 't', verbosity: 10, destination: stream });
    log.trace({ req: { headers: { authorization: 'Bearer abcdef.0123456789abcdef' } } }, 'request');
    log.debug(
      { token: 'abcdef.0123456789abcdef', secret: { data: { 'token-secret': 'MDEyMzQ1Njc4OWFiY2RlZg==' } } },
      'x',
    );
    const keyPem = encodePrivateKeyPem(await generateKeyPair());
    log.info({ keyPem }, 'y');
    const all = lines.join('');
    assert.equal(lines.length, 3);
    assert.ok(!all.includes('0123456789abcdef'), all);
    assert.ok(!all.includes('MDEyMzQ1Njc4OWFiY2RlZg'), all);
    assert.ok(!all.includes(keyPem.split('\n')[1]!), 'the key body is not logged');
    assert.match(all, /\[REDACTED\]/);
  });
  it('scrubs secrets out of free text', () => {
    const s = scrubSecrets(
      `Authorization: Bearer abc.def token abcdef.0123456789abcdef and ${pemBlock('RSA PRIVATE KEY', 'x')}`,
    );
    assert.ok(!s.includes('abc.def') && !s.includes('0123456789abcdef') && !s.includes('\nx\n'), s);
  });
});
