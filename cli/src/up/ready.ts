// Waits for an HTTPS /readyz to answer 200, verifying the server against the cluster CA.
import { request } from 'node:https';

function probe(url: string, caPem: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { ca: caPem, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function waitReady(
  url: string,
  caPem: string,
  timeoutMs: number,
  exited: Promise<unknown>,
): Promise<boolean> {
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (!dead && Date.now() < deadline) {
    if (await probe(url, caPem)) return true;
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}
