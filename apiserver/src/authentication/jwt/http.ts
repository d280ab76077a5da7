// The JWT authenticator's outbound HTTPS: to an issuer's discovery and JWKS, and to distributed-claim
// endpoints. One agent per trust (the issuer's certificateAuthority, else Node's roots), go-oidc's
// 30 s client timeout, and a bounded body (a provider is not trusted with our memory).
import { Agent, request } from 'undici';

const HTTP_TIMEOUT_MS = 30_000;
const MAX_BODY = 1 << 20;

export function issuerAgent(caPem: string | undefined): Agent {
  return new Agent({
    connect: { ...(caPem ? { ca: caPem } : {}), timeout: HTTP_TIMEOUT_MS },
    headersTimeout: HTTP_TIMEOUT_MS,
    bodyTimeout: HTTP_TIMEOUT_MS,
  });
}

/** GET `url`; errors name it as Go's client does (`Get "<url>": …`). */
export async function boundedGet(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
): Promise<{ statusCode: number; text: string }> {
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url, { dispatcher: agent, headers, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (e) {
    throw new Error(`Get ${JSON.stringify(url)}: ${(e as Error).message}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) {
      res.body.destroy();
      throw new Error(`Get ${JSON.stringify(url)}: response larger than ${MAX_BODY} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return { statusCode: res.statusCode, text: Buffer.concat(chunks).toString('utf8') };
}
