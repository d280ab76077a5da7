// Node's own TLS cost on this machine, with no HTTP and no mkube code: a plain `tls` server and
// client in this process, so the CPU of both ends of a full handshake is counted together. It is the
// floor under every joining kubelet's two connections (bench:connections prints it beside them), and
// what the bundled OpenSSL 3.0 charges for it: TLS 1.3 as Go clients and kube-apiserver negotiate,
// with and without a client certificate, TLS 1.2 for comparison, and the client-side SecureContext
// (CA, certificate, key) each kubelet identity builds once.
import { connect, createSecureContext, createServer, type SecureContextOptions } from 'node:tls';

export interface TlsPairs {
  readonly caPem: string;
  readonly server: { readonly cert: string; readonly key: string };
  readonly client: { readonly cert: string; readonly key: string };
}

export interface TlsFloor {
  /** CPU ms per full handshake, both ends. */
  readonly tls13: number;
  readonly tls13ClientCert: number;
  readonly tls12ClientCert: number;
  /** CPU ms per tls.createSecureContext({ ca, cert, key }). */
  readonly secureContext: number;
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

async function handshakes(p: TlsPairs, n: number, clientCert: boolean, maxVersion: 'TLSv1.2' | 'TLSv1.3') {
  const server = createServer(
    { cert: p.server.cert, key: p.server.key, ca: p.caPem, requestCert: true, rejectUnauthorized: false, maxVersion },
    (s) => {
      s.on('error', () => undefined);
      s.end('x');
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const opts: SecureContextOptions = { ca: p.caPem, maxVersion, ...(clientCert ? p.client : {}) };
  const secureContext = createSecureContext(opts);
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, secureContext }, () => {
        if (!s.authorized) reject(new Error(`server certificate not verified: ${s.authorizationError}`));
        s.resume();
        s.on('end', () => {
          s.destroy();
          resolve();
        });
      });
      s.on('error', reject);
    });
  const batch = async (k: number) => {
    for (let i = 0; i < k; i += 10) await Promise.all(Array.from({ length: Math.min(10, k - i) }, once));
  };
  try {
    await batch(Math.min(100, n)); // compile and warm the path first
    const c0 = process.cpuUsage();
    await batch(n);
    return cpuMs(c0) / n;
  } finally {
    server.close();
  }
}

export async function measureTlsFloor(p: TlsPairs, n: number): Promise<TlsFloor> {
  const tls13 = await handshakes(p, n, false, 'TLSv1.3');
  const tls13ClientCert = await handshakes(p, n, true, 'TLSv1.3');
  const tls12ClientCert = await handshakes(p, n, true, 'TLSv1.2');
  const ctx = () => createSecureContext({ ca: p.caPem, cert: p.client.cert, key: p.client.key });
  for (let i = 0; i < 100; i++) ctx();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) ctx();
  return { tls13, tls13ClientCert, tls12ClientCert, secureContext: cpuMs(c0) / n };
}
