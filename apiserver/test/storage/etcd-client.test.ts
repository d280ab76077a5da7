// The etcd client's failover rules, against HTTP/2 TLS servers that stand in for etcd members (real
// TLS with the etcd PKI, gRPC framing, protobuf from rpc.proto): a write is retried on the next
// member only when it never reached one; a read also after the connection died under it; an error
// etcd returns is never retried. A real etcd cannot be made to drop a connection after applying a
// write at a chosen moment, hence these stand-ins.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import protobuf from 'protobufjs';
import { freePort } from '../../../e2e/src/harness.ts';
import { EtcdClient, GRPC_STATUS, type GrpcError } from '../../src/storage/etcd/client.ts';
import { writeEtcdPki } from './etcd-fixture.ts';

const root = new protobuf.Root().loadSync(
  join(import.meta.dirname, '..', '..', 'src', 'storage', 'etcd', 'rpc.proto'),
  { keepCase: true },
);
const TxnResponse = root.lookupType('etcdserverpb.TxnResponse');
const RangeResponse = root.lookupType('etcdserverpb.RangeResponse');

type Behaviour = 'answer' | 'drop-after-request' | 'unavailable' | 'goaway-then-answer';

interface Member {
  readonly url: string;
  /** Requests that reached this member, by path. */
  readonly seen: string[];
  /** Connections (TLS sessions) accepted. */
  sessions: number;
  behaviour: Behaviour;
  close(): Promise<void>;
}

function grpcFrame(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + msg.length);
  b.writeUInt32BE(msg.length, 1);
  b.set(msg, 5);
  return b;
}

function answer(stream: http2.ServerHttp2Stream, path: string): void {
  const body = path.endsWith('/Txn')
    ? TxnResponse.encode({ header: { revision: 7 }, succeeded: true, responses: [] }).finish()
    : RangeResponse.encode({ header: { revision: 7 }, kvs: [], more: false, count: 0 }).finish();
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(grpcFrame(body));
}

async function member(pki: string, behaviour: Behaviour): Promise<Member> {
  const server = http2.createSecureServer({
    key: readFileSync(join(pki, 'etcd/server.key')),
    cert: readFileSync(join(pki, 'etcd/server.crt')),
    ca: readFileSync(join(pki, 'etcd/ca.crt')),
    requestCert: true,
    rejectUnauthorized: true,
  });
  const m: Member = {
    url: '',
    seen: [],
    sessions: 0,
    behaviour,
    close: () =>
      new Promise((r) => {
        // A session that sent GOAWAY is not always seen to close when the client hangs up.
        for (const sess of sessions) sess.destroy();
        server.close(() => r());
      }),
  };
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (sess) => {
    m.sessions++;
    sessions.add(sess);
    sess.on('close', () => sessions.delete(sess));
  });
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    stream.on('data', () => {});
    stream.on('end', () => {
      m.seen.push(path);
      if (m.behaviour === 'drop-after-request') {
        stream.session?.destroy();
        return;
      }
      // A graceful stop (grpc-go's GracefulStop): GOAWAY naming this stream as the last, then,
      // a moment later, the answer.
      if (m.behaviour === 'goaway-then-answer') {
        m.behaviour = 'answer';
        stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
        setTimeout(() => answer(stream, path), 300);
        return;
      }
      if (m.behaviour === 'unavailable') {
        stream.respond(
          {
            ':status': 200,
            'content-type': 'application/grpc',
            'grpc-status': '14',
            'grpc-message': 'etcdserver: request timed out',
          },
          { endStream: true },
        );
        return;
      }
      answer(stream, path);
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return Object.assign(m, { url: `https://127.0.0.1:${port}` });
}

describe('etcd client failover', () => {
  let dir: string;
  let tls: { caPem: string; certPem: string; keyPem: string };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-etcdclient-'));
    await writeEtcdPki(dir);
    const p = (f: string) => readFileSync(join(dir, 'pki', f), 'utf8');
    tls = { caPem: p('etcd/ca.crt'), certPem: p('apiserver-etcd-client.crt'), keyPem: p('apiserver-etcd-client.key') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const put = { key: Buffer.from('/k'), value: Buffer.from('v') };
  const txn = { compare: [], success: [{ request_put: put }], failure: [] };

  it('retries a write on the next member when the first refuses the connection', async () => {
    const dead = `https://127.0.0.1:${await freePort()}`;
    const b = await member(join(dir, 'pki'), 'answer');
    const c = new EtcdClient({ servers: [dead, b.url], ...tls, requestTimeoutMs: 5000 });
    try {
      const r = await c.txn(txn);
      assert.equal(r.header.revision, 7);
      assert.deepEqual(b.seen, ['/etcdserverpb.KV/Txn']);
      // The dead member is marked down: the next call goes straight to b.
      await c.txn(txn);
      assert.equal(b.seen.length, 2);
    } finally {
      c.close();
      await b.close();
    }
  });

  it('does not resend a write whose connection died after the request reached a member', async () => {
    const a = await member(join(dir, 'pki'), 'drop-after-request');
    const b = await member(join(dir, 'pki'), 'answer');
    const c = new EtcdClient({ servers: [a.url, b.url], ...tls, requestTimeoutMs: 5000 });
    try {
      // The write is the first call: its connection comes up for it, then dies after the request.
      await assert.rejects(c.txn(txn), (e: GrpcError) => {
        assert.equal(e.code, GRPC_STATUS.UNAVAILABLE);
        assert.equal(e.unsent, false);
        return true;
      });
      assert.deepEqual(a.seen, ['/etcdserverpb.KV/Txn'], 'the write reached a');
      assert.deepEqual(b.seen, [], 'the write was not sent again elsewhere: a may have applied it');
      // A read in the same situation is sent again, to the next member.
      a.behaviour = 'drop-after-request';
      const reader = new EtcdClient({ servers: [a.url, b.url], ...tls, requestTimeoutMs: 5000 });
      try {
        await reader.range({ key: Buffer.from('/warm') }).catch(() => undefined);
        const before = b.seen.length;
        await reader.range({ key: Buffer.from('/x') });
        assert.ok(b.seen.length > before, 'the read went to b');
      } finally {
        reader.close();
      }
    } finally {
      c.close();
      await a.close();
      await b.close();
    }
  });

  it('finishes a write on a connection told to go away and sends the next on a new one', async () => {
    const a = await member(join(dir, 'pki'), 'goaway-then-answer');
    const c = new EtcdClient({ servers: [a.url], ...tls, requestTimeoutMs: 5000 });
    try {
      const first = c.txn(txn);
      await new Promise((r) => setTimeout(r, 150));
      // Sent while the first still waits for its answer on the connection that is going away.
      const second = await c.txn(txn);
      assert.equal(second.header.revision, 7);
      assert.equal((await first).header.revision, 7, 'the call the GOAWAY let through was answered');
      assert.equal(a.sessions, 2, 'the second call went over a new connection');
      assert.equal(a.seen.length, 2);
    } finally {
      c.close();
      await a.close();
    }
  });

  it('after a call times out on a connection that answers nothing (not even PING), the next call uses a new one', async () => {
    // A member whose host stopped answering without resetting anything: TLS is up, then silence.
    const pki = join(dir, 'pki');
    let connections = 0;
    const silent = createTlsServer({
      key: readFileSync(join(pki, 'etcd/server.key')),
      cert: readFileSync(join(pki, 'etcd/server.crt')),
      ca: readFileSync(join(pki, 'etcd/ca.crt')),
      requestCert: true,
      ALPNProtocols: ['h2'],
    });
    const sockets = new Set<TLSSocket>();
    silent.on('secureConnection', (sock) => {
      connections++;
      sockets.add(sock);
      sock.on('data', () => {});
      sock.on('error', () => {});
    });
    const port = await freePort();
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', r));
    const c = new EtcdClient({ servers: [`https://127.0.0.1:${port}`], ...tls, requestTimeoutMs: 300 });
    try {
      await assert.rejects(c.range({ key: Buffer.from('/x') }), /DEADLINE_EXCEEDED|Deadline exceeded/);
      // The probe ping gets no answer within the request timeout: the connection is dropped.
      await new Promise((r) => setTimeout(r, 600));
      await assert.rejects(c.range({ key: Buffer.from('/y') }), /Deadline exceeded/);
      assert.equal(connections, 2, 'the second call opened a new connection');
    } finally {
      c.close();
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('returns an error etcd answered without retrying it, even UNAVAILABLE, for a write', async () => {
    const a = await member(join(dir, 'pki'), 'unavailable');
    const b = await member(join(dir, 'pki'), 'answer');
    const c = new EtcdClient({ servers: [a.url, b.url], ...tls, requestTimeoutMs: 5000 });
    try {
      await assert.rejects(c.txn(txn), /14 UNAVAILABLE: etcdserver: request timed out/);
      assert.deepEqual(b.seen, []);
      // A read etcd refused is tried on the next member.
      const r = await c.range({ key: Buffer.from('/x') });
      assert.equal(r.header.revision, 7);
    } finally {
      c.close();
      await a.close();
      await b.close();
    }
  });
});
