// H2Connection's two connect deadlines, as Go's transport has them (client-go: a 30 s dial, then
// 10 s for the TLS handshake counted from the moment TCP is up). A server process that is stopped
// (SIGSTOP) still completes TCP handshakes into its accept queue until the queue is full; after
// that the kernel drops SYNs, so a dial on loopback really waits.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient, type KubeClient } from '../src/client/index.ts';
import { H2Connection, type H2Error } from '../src/h2/connection.ts';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } from '../src/pki/index.ts';

let pem: { ca: string; cert: string; key: string };
before(async () => {
  const { ca, certPem } = await CertificateAuthority.createSelfSigned({ commonName: 'h2-dial-ca' });
  const key = await generateKeyPair();
  const cert = ca.issue({
    subject: { commonName: 'h2-dial-server' },
    ipAddresses: ['127.0.0.1'],
    publicKey: key.publicKey,
    usages: ['digital signature', 'server auth'],
    ttlMs: 3_600_000,
  });
  pem = { ca: certPem, cert: cert.pem, key: encodePrivateKeyPem(key) };
});

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** A TLS server (h2 by ALPN) in its own process, listening with an accept queue of one. */
async function serverProcess(): Promise<{ port: number; child: ChildProcess }> {
  const script = `
    const tls = require('node:tls');
    const s = tls.createServer({ cert: process.env.CERT, key: process.env.KEY, ALPNProtocols: ['h2'] }, () => {});
    s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => process.stdout.write(s.address().port + '\\n'));`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, CERT: pem.cert, KEY: pem.key },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { port, child };
}

/** That server, stopped, with its accept queue full. */
async function stoppedServer(): Promise<{ port: number; child: ChildProcess; sockets: net.Socket[] }> {
  const { port, child } = await serverProcess();
  child.kill('SIGSTOP');
  // Fill the accept queue: the first connections complete in the kernel, the rest hang.
  const sockets: net.Socket[] = [];
  let connected = 0;
  for (let i = 0; i < 4; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.once('connect', () => connected++);
    sockets.push(s);
  }
  const deadline = Date.now() + 5_000;
  while (connected < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(connected >= 1 && connected < 4, `the accept queue should fill (${connected} of 4 connected)`);
  return { port, child, sockets };
}

const dial = (port: number, dialTimeoutMs: number, tlsHandshakeTimeoutMs: number, onSocket?: (s: net.Socket) => void) =>
  new H2Connection({
    host: '127.0.0.1',
    port,
    authority: `127.0.0.1:${port}`,
    ca: pem.ca,
    dialTimeoutMs,
    tlsHandshakeTimeoutMs,
    ...(onSocket ? { onSocket } : {}),
  });

describe('H2Connection connect deadlines', { timeout: 30_000 }, () => {
  it('a server that accepts TCP and never answers the handshake: "net/http: TLS handshake timeout"', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const t0 = Date.now();
    const c = dial(port, 5_000, 300);
    try {
      const e = (await c.connected.catch((err) => err)) as H2Error;
      assert.equal(e.message, 'net/http: TLS handshake timeout');
      assert.equal(e.unsent, true);
      assert.equal((e.cause as { code?: string }).code, 'ETIMEDOUT');
      assert.ok(Date.now() - t0 < 3_000, `failed after ${Date.now() - t0} ms`);
    } finally {
      c.close();
      silent.close();
    }
  });

  it('a full accept queue: the dial itself times out, with Go\'s "dial tcp …: i/o timeout"', async () => {
    const { port, child, sockets } = await stoppedServer();
    const c = dial(port, 400, 60_000);
    try {
      const e = (await c.connected.catch((err) => err)) as H2Error;
      assert.equal(e.message, `dial tcp 127.0.0.1:${port}: i/o timeout`);
      assert.equal(e.unsent, true);
    } finally {
      c.close();
      for (const s of sockets) s.destroy();
      child.kill('SIGKILL');
    }
  });

  it('a deadline that passes while this process is busy: what arrived meanwhile is read first', async () => {
    // The ClientHello is out when TCP connects; then this process stalls for 1 s (as a load
    // generator's event loop does), while the server, another process, answers at once. The
    // 300 ms deadline has passed when the loop runs again, but the answer is already here.
    const { port, child } = await serverProcess();
    const c = dial(port, 5_000, 300, (socket) =>
      socket.once('connect', () =>
        setImmediate(() => {
          const end = Date.now() + 1_000;
          while (Date.now() < end) {}
        }),
      ),
    );
    try {
      await c.connected;
    } finally {
      c.close();
      child.kill('SIGKILL');
    }
  });

  it('time spent dialling does not count against the handshake', async () => {
    const { port, child, sockets } = await stoppedServer();
    // The server wakes after 1.3 s and the kernel's next SYN resend then connects (1 s, 3 s…
    // after the first): longer than the 1 s the handshake may take, all of it before TCP was up.
    const t0 = Date.now();
    const c = dial(port, 20_000, 1_000);
    setTimeout(() => child.kill('SIGCONT'), 1_300);
    try {
      await c.connected;
      assert.ok(Date.now() - t0 > 1_000, `connected after ${Date.now() - t0} ms: the dial did not wait`);
    } finally {
      c.close();
      for (const s of sockets) s.destroy();
      child.kill('SIGKILL');
    }
  });
});

// The HTTP/1.1 stack (undici's connector, used when a server does not speak h2) has the same two
// deadlines: its own single one covered TCP and TLS together.
describe('the HTTP/1.1 client: the same two deadlines', { timeout: 30_000 }, () => {
  const h1 = (port: number, dialTimeoutMs: number, tlsHandshakeTimeoutMs: number) =>
    createClient({
      server: `https://127.0.0.1:${port}`,
      caPem: pem.ca,
      allowH2: false,
      timeoutMs: 5_000,
      dialTimeoutMs,
      tlsHandshakeTimeoutMs,
    });
  const failure = async (c: KubeClient) => {
    const t0 = Date.now();
    const e = await c
      .resource({ group: '', version: 'v1', resource: 'namespaces' })
      .get('x')
      .catch((err) => err);
    return { message: String((e as Error).message), ms: Date.now() - t0 };
  };

  it('a server that never answers the handshake: "net/http: TLS handshake timeout"', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const c = h1((silent.address() as net.AddressInfo).port, 5_000, 300);
    try {
      const f = await failure(c);
      assert.match(f.message, /net\/http: TLS handshake timeout/);
      assert.ok(f.ms < 4_000, `failed after ${f.ms} ms`);
    } finally {
      await c.close({ graceMs: 0 });
      silent.close();
    }
  });

  it('a full accept queue: "dial tcp …: i/o timeout"', async () => {
    const { port, child, sockets } = await stoppedServer();
    const c = h1(port, 400, 60_000);
    try {
      assert.match((await failure(c)).message, new RegExp(`dial tcp 127\\.0\\.0\\.1:${port}: i/o timeout`));
    } finally {
      await c.close({ graceMs: 0 });
      for (const s of sockets) s.destroy();
      child.kill('SIGKILL');
    }
  });
});
