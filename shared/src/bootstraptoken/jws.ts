// cluster-info signatures (cluster-bootstrap token/jws, facts §10): a detached compact JWS, HS256,
// protected header {"alg":"HS256","kid":"<token-id>"}, keyed with the token *secret* only.

import { timingSafeEqual } from 'node:crypto';
import { CompactSign } from 'jose';

/** `b64url(header)..b64url(HMAC)` over the exact content string. */
export async function computeDetachedSignature(content: string, tokenId: string, tokenSecret: string): Promise<string> {
  const jws = await new CompactSign(new TextEncoder().encode(content))
    .setProtectedHeader({ alg: 'HS256', kid: tokenId })
    .sign(new TextEncoder().encode(tokenSecret));
  const [header, , signature] = jws.split('.');
  return `${header}..${signature}`;
}

/** Recomputes and compares in constant time, as kubeadm's DetachedTokenIsValid does. */
export async function detachedTokenIsValid(
  detached: string,
  content: string,
  tokenId: string,
  tokenSecret: string,
): Promise<boolean> {
  const want = Buffer.from(await computeDetachedSignature(content, tokenId, tokenSecret));
  const got = Buffer.from(detached);
  return want.length === got.length && timingSafeEqual(want, got);
}
