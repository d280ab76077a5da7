// DynamicFileContent: listeners hear of real changes only; a file that stops loading keeps the
// previous content and is reported once per distinct problem; watching ends with the signal.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '@mkube/shared/log';
import { dynamicCABundle, dynamicCertKeyPair } from '@mkube/shared/tls';
import { selfSignedP256 } from './helpers/openssl.ts';

describe('DynamicFileContent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mkube-dynamic-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const log = createLogger({ name: 't', destination: { write: (s: string) => lines.push(s) } as never });
  const put = (f: string, s: string) => {
    writeFileSync(`${f}.tmp`, s);
    renameSync(`${f}.tmp`, f);
  };

  it('a CA bundle: same content is no change, new content is, a bad file keeps the old and is logged once', () => {
    const a = selfSignedP256(dir, '/CN=a');
    const b = selfSignedP256(dir, '/CN=b');
    const file = join(dir, 'ca.crt');
    put(file, a.certPem);
    const ca = dynamicCABundle(
      'client-ca-bundle',
      { flag: 'client-ca-file', file },
      { pem: a.certPem, certs: [] },
      log,
    );
    const seen: number[] = [];
    ca.addListener((v) => seen.push(v.certs.length));
    assert.equal(ca.check(), false);
    put(file, `${a.certPem}${b.certPem}`);
    assert.equal(ca.check(), true);
    assert.deepEqual(seen, [2]);
    const before = ca.current;
    const mark = lines.length;
    put(file, '');
    assert.equal(ca.check(), false);
    assert.equal(ca.check(), false);
    assert.equal(ca.current, before);
    const errors = lines.slice(mark).filter((l) => l.includes('keeping the previous content'));
    assert.equal(errors.length, 1, 'one line per distinct problem');
    assert.equal(JSON.parse(errors[0]!).err.split(':')[0], `--client-ca-file ${JSON.stringify(file)}`);
    assert.ok(lines.some((l) => l.includes(`client-ca-bundle::${file}`)));
  });

  it('a pair: a key not of the certificate is refused without quoting the key', () => {
    const a = selfSignedP256(dir, '/CN=a');
    const b = selfSignedP256(dir, '/CN=b');
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
    put(cert, a.certPem);
    put(key, a.keyPem);
    const pair = dynamicCertKeyPair(
      'serving-cert',
      { flag: 'tls-cert-file', file: cert },
      { flag: 'tls-private-key-file', file: key },
      { ...a, certs: [] },
      log,
    );
    const mark = lines.length;
    put(key, b.keyPem);
    assert.equal(pair.check(), false);
    const text = lines.slice(mark).join('');
    assert.match(text, /private key does not match/);
    assert.ok(!text.includes('PRIVATE KEY'), 'no key material in the log');
    put(cert, b.certPem);
    assert.equal(pair.check(), true);
    assert.equal(pair.current.keyPem, b.keyPem);
  });

  it('run() picks up a change by itself and stops with its signal', async () => {
    const a = selfSignedP256(dir, '/CN=a');
    const b = selfSignedP256(dir, '/CN=b');
    const file = join(dir, 'watched.crt');
    put(file, a.certPem);
    const ca = dynamicCABundle('w', { flag: 'client-ca-file', file }, { pem: a.certPem, certs: [] }, log);
    const stop = new AbortController();
    let changes = 0;
    ca.addListener(() => changes++);
    ca.run(stop.signal, 50);
    put(file, b.certPem);
    const deadline = Date.now() + 5000;
    while (changes === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(changes, 1);
    stop.abort();
    put(file, a.certPem);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(changes, 1, 'no reload after the signal');
  });
});
