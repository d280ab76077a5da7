// Key encodings laid out by hand for P-256 must be byte for byte what OpenSSL writes, and read back.
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { encodePrivateKeyPem, generateKeyPair, parsePrivateKeyPem } from '../src/pki/index.js';
import { spkiDerOf } from '../src/pki/keys.js';

describe('P-256 key encodings', () => {
  it('SPKI DER and SEC1 PEM equal OpenSSL’s own, keys with a leading zero byte included', () => {
    let shortCoordinates = 0;
    // Drawn until three keys have a leading zero byte in d, x or y (~1 in 85 keys), where a
    // careless encoder goes wrong; bounded at 20,000 keys.
    for (let i = 0; i < 20_000 && (i < 200 || shortCoordinates < 3); i++) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const jwk = privateKey.export({ format: 'jwk' });
      if ([jwk.d, jwk.x, jwk.y].some((c) => Buffer.from(c ?? '', 'base64url')[0] === 0)) shortCoordinates++;
      assert.deepEqual(spkiDerOf(publicKey), publicKey.export({ type: 'spki', format: 'der' }));
      assert.deepEqual(spkiDerOf(privateKey), publicKey.export({ type: 'spki', format: 'der' }));
      assert.equal(encodePrivateKeyPem(privateKey), privateKey.export({ type: 'sec1', format: 'pem' }));
    }
    assert.ok(shortCoordinates >= 3);
  });

  it('a generated pair survives PEM and back, and other key types still go through OpenSSL', async () => {
    const pair = await generateKeyPair('ecdsa-p256');
    const back = parsePrivateKeyPem(encodePrivateKeyPem(pair));
    assert.deepEqual(spkiDerOf(back), spkiDerOf(pair));
    assert.ok(createPrivateKey(encodePrivateKeyPem(pair)).equals(pair.privateKey));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    assert.equal(encodePrivateKeyPem(p384.privateKey), p384.privateKey.export({ type: 'sec1', format: 'pem' }));
    assert.deepEqual(spkiDerOf(p384.publicKey), p384.publicKey.export({ type: 'spki', format: 'der' }));
  });
});
