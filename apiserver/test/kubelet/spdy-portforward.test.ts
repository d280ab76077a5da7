// Port forwarding's stream rules, driven by a SPDY client over a real socket against a stand-in for
// the kubelet's /portForward sockets: streams paired by requestID (or by stream id without one), bytes
// sent before the kubelet's socket opens kept in order, the kubelet's data, errors and end relayed.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@mkube/shared/log';
import { serveSpdyPortForward } from '../../src/kubelet/spdy/portforward.ts';
import type { WsSocket } from '../../src/kubelet/ws.ts';
import { control, data, frameReader, goLikeCompressor, rawBlock, u32s } from './spdy-client.ts';

const log = createLogger({ name: 'test', destination: { write: () => undefined } as never });

/** The kubelet's end of one forwarded connection, as the relay sees it. */
class FakeKubeletSocket extends EventEmitter {
  readyState = 1;
  readonly protocol = 'portforward.mkube.io';
  readonly bufferedAmount = 0;
  readonly sent: Buffer[] = [];
  send(d: Buffer, _o?: unknown, cb?: (e?: Error) => void): void {
    this.sent.push(Buffer.from(d));
    cb?.();
  }
  close(): void {
    this.readyState = 3;
    this.emit('close', 1000, Buffer.alloc(0));
  }
  terminate(): void {
    this.close();
  }
  ping(): void {}
  pause(): void {}
  resume(): void {}
  /** A message from the kubelet: channel byte, then payload. */
  deliver(channel: number, payload: string): void {
    this.emit('message', Buffer.concat([Buffer.of(channel), Buffer.from(payload)]), true);
  }
}

describe('port forwarding over SPDY', () => {
  let server: Server;
  let port: number;
  const dials: { port: number; ws: FakeKubeletSocket; open(): void }[] = [];
  before(async () => {
    server = createServer((sock) =>
      serveSpdyPortForward(
        sock,
        undefined,
        {
          podName: 'web',
          dial: (p) =>
            new Promise<WsSocket>((resolve) => {
              const ws = new FakeKubeletSocket();
              // The test opens it, so bytes can arrive while the dial is still out.
              dials.push({ port: p, ws, open: () => resolve(ws as unknown as WsSocket) });
            }),
        },
        log,
      ),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  const syn = async (go: ReturnType<typeof goLikeCompressor>, id: number, h: Record<string, string>, fin = 0) =>
    control(1, fin, Buffer.concat([u32s(id, 0), Buffer.of(0, 0), await go.block(rawBlock(h))]));

  const waitFor = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(ok(), what);
  };

  it('pairs by requestID, keeps early bytes in order, relays data, errors and the end both ways', async () => {
    dials.length = 0;
    const sock = connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const frames = frameReader(sock);
    const go = goLikeCompressor();
    sock.write(await syn(go, 1, { streamtype: 'error', port: '8080', requestid: '7' }));
    assert.equal((await frames.next())!.type, 2, 'SYN_REPLY for the error stream');
    sock.write(data(1, 1, Buffer.alloc(0))); // kubectl closes its side of the error stream at once
    sock.write(await syn(go, 3, { streamtype: 'data', port: '8080', requestid: '7' }));
    assert.equal((await frames.next())!.streamId, 3);
    await waitFor('a dial for the pair', () => dials.length === 1);
    assert.equal(dials[0]!.port, 8080);
    sock.write(data(3, 0, Buffer.from('GET / HTTP/1.0\r\n')));
    sock.write(data(3, 0, Buffer.from('\r\n')));
    await new Promise((r) => setTimeout(r, 50));
    const { ws, open } = dials[0]!;
    assert.equal(ws.sent.length, 0, 'nothing sent before the socket is open');
    open();
    await waitFor('early bytes relayed', () => ws.sent.length === 2);
    assert.deepEqual(
      ws.sent.map((b) => [b[0], b.subarray(1).toString()]),
      [
        [0, 'GET / HTTP/1.0\r\n'],
        [0, '\r\n'],
      ],
    );
    ws.deliver(0, 'HTTP/1.0 200 OK\r\n\r\nhi');
    const out = (await frames.next())!;
    assert.deepEqual([out.control, out.streamId, out.body.toString()], [false, 3, 'HTTP/1.0 200 OK\r\n\r\nhi']);
    ws.deliver(1, 'something broke');
    const err = (await frames.next())!;
    assert.deepEqual([err.streamId, err.body.toString()], [1, 'something broke']);
    sock.write(data(3, 1, Buffer.alloc(0)));
    await waitFor('the client end relayed', () => ws.sent.length === 3);
    assert.deepEqual([...ws.sent[2]!], [255]);
    ws.close();
    const fins = [(await frames.next())!, (await frames.next())!];
    assert.deepEqual(fins.map((f) => [f.streamId, f.flags & 1, f.body.length]).sort(), [
      [1, 1, 0],
      [3, 1, 0],
    ]);
    sock.destroy();
  });

  it('pairs streams without requestID as the kubelet does (error n, data n + 2)', async () => {
    dials.length = 0;
    const sock = connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const frames = frameReader(sock);
    const go = goLikeCompressor();
    sock.write(await syn(go, 5, { streamtype: 'error', port: '9090' }));
    sock.write(await syn(go, 7, { streamtype: 'data', port: '9090' }));
    await frames.next();
    await frames.next();
    await waitFor('a dial', () => dials.length === 1);
    assert.equal(dials[0]!.port, 9090);
    sock.destroy();
  });

  for (const [name, headers] of [
    ['no port', { streamtype: 'data', requestid: '1' }],
    ['port 0', { streamtype: 'data', port: '0', requestid: '1' }],
    ['port 70000', { streamtype: 'data', port: '70000', requestid: '1' }],
    ['an unknown stream type', { streamtype: 'resize', port: '80', requestid: '1' }],
  ] as const) {
    it(`resets a stream with ${name}`, async () => {
      dials.length = 0;
      const sock = connect(port, '127.0.0.1');
      await once(sock, 'connect');
      const frames = frameReader(sock);
      sock.write(await syn(goLikeCompressor(), 1, headers));
      const f = (await frames.next())!;
      assert.deepEqual([f.type, f.streamId, f.body.readUInt32BE(4)], [3, 1, 1], 'RST_STREAM PROTOCOL_ERROR');
      assert.equal(dials.length, 0);
      sock.destroy();
    });
  }
});
