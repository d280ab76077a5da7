// The one place @peculiar/x509 meets Node: its global crypto provider is set here, once, on first
// use, so no other module depends on that global. KeyObjects become WebCrypto keys only here too.
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import type { KeyPair, KeyType } from './keys.js';

let loading: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509, loaded on first use (after the Reflect metadata polyfill it needs) with Node's
 * WebCrypto installed as its default provider.
 */
export function peculiar(): Promise<typeof X509> {
  loading ??= (async () => {
    // tsyringe (inside @peculiar/x509) refuses to load without the Reflect metadata polyfill.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return loading;
}

function algorithmFor(type: KeyType): webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams {
  return type === 'ecdsa-p256'
    ? { name: 'ECDSA', namedCurve: 'P-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** The signing algorithm @peculiar/x509 should use for a key: ECDSA-with-SHA256 or sha256WithRSAEncryption. */
export function signingAlgorithmFor(type: KeyType): webcrypto.EcdsaParams | webcrypto.Algorithm {
  return type === 'ecdsa-p256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
}

/** The pair as a WebCrypto CryptoKeyPair (non-extractable private key). */
export async function toCryptoKeyPair(key: KeyPair): Promise<webcrypto.CryptoKeyPair> {
  const alg = algorithmFor(key.type);
  const pkcs8 = key.privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = key.publicKey.export({ type: 'spki', format: 'der' });
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']),
    webcrypto.subtle.importKey('spki', spki, alg, true, ['verify']),
  ]);
  return { privateKey, publicKey };
}
