// The SPDY/3.1 layer of exec for kubectl before 1.30: header blocks against zlib's own streams (as
// Go's compressor writes them: one context per connection, a sync flush per block), and the server
// connection driven frame by frame over a real TCP socket.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { constants, createInflate } from 'node:zlib';
import { SpdyServerConnection } from '../../src/kubelet/spdy/connection.ts';
import { SPDY3_DICTIONARY } from '../../src/kubelet/spdy/dictionary.ts';
import { HeaderDeflater, HeaderInflater, type SpdyHeaders, SpdyProtocolError } from '../../src/kubelet/spdy/headers.ts';
import { expectedStreams } from '../../src/kubelet/spdy/remotecommand.ts';
import { control, data, frameReader, goLikeCompressor, rawBlock, u32s } from './spdy-client.ts';

describe('SPDY header blocks', () => {
  it('uses the SPDY/3 dictionary', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.equal(
      createHash('sha256').update(SPDY3_DICTIONARY).digest('hex'),
      '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02',
    );
  });

  it('reads successive blocks of one compression context, as Go writes them', async () => {
    const go = goLikeCompressor();
    const inflater = new HeaderInflater();
    for (const t of ['error', 'stdin', 'stdout', 'stderr', 'resize']) {
      const h = inflater.decode(await go.block(rawBlock({ streamtype: t, 'x-many': 'a\0b' })));
      assert.deepEqual(h, { streamtype: [t], 'x-many': ['a', 'b'] });
    }
  });

  it('writes blocks a streaming inflater reads one at a time, each ending with a sync flush', async () => {
    const d = new HeaderDeflater();
    const z = createInflate({ dictionary: SPDY3_DICTIONARY });
    const got: Buffer[] = [];
    z.on('data', (c: Buffer) => got.push(c));
    for (const h of [{}, { streamtype: ['stdout'] }, { a: ['1', '2'] }] as SpdyHeaders[]) {
      const block = d.encode(h);
      // Go's inflater hands out data only on an empty stored block (00 00 00 ff ff) or the end.
      assert.deepEqual([...block.subarray(-5)], [0, 0, 0, 0xff, 0xff]);
      z.write(block);
      await new Promise<void>((r) => z.flush(constants.Z_SYNC_FLUSH, () => r()));
      await new Promise((r) => setImmediate(r));
    }
    const all = Buffer.concat(got);
    assert.deepEqual(
      all,
      Buffer.concat([
        rawBlock({}),
        rawBlock({ streamtype: 'stdout' }),
        Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 0x61, 0, 0, 0, 3, 0x31, 0, 0x32]),
      ]),
    );
  });

  it('refuses garbage, repeated names, truncated blocks and trailing bytes', async () => {
    assert.throws(() => new HeaderInflater().decode(Buffer.from('not zlib at all')), SpdyProtocolError);
    const dup = Buffer.concat([rawBlock({ a: '1' }), rawBlock({ a: '2' }).subarray(4)]);
    dup.writeUInt32BE(2, 0);
    const cases: [Buffer, RegExp][] = [
      [dup, /header a repeated/],
      [rawBlock({ a: '1' }).subarray(0, 9), /truncated/],
      [Buffer.concat([rawBlock({ a: '1' }), Buffer.of(1)]), /trailing bytes/],
    ];
    for (const [raw, why] of cases) {
      const block = await goLikeCompressor().block(raw);
      assert.throws(
        () => new HeaderInflater().decode(block),
        (e) => e instanceof SpdyProtocolError && why.test(e.message),
      );
    }
  });
});

describe('SPDY server connection', () => {
  let server: Server;
  let port: number;
  const events: string[] = [];
  let serverConn: SpdyServerConnection | undefined;
  before(async () => {
    server = createServer((sock) => {
      const conn = new SpdyServerConnection(sock, {
        onStream: (id, h, fin) => {
          events.push(`stream ${id} ${h.streamtype?.[0]} fin=${fin}`);
          conn.reply(id);
        },
        onData: (id, d) => events.push(`data ${id} ${d.toString()}`),
        onEnd: (id) => events.push(`end ${id}`),
        onClose: (why) => events.push(`close ${why}`),
      });
      serverConn = conn;
      conn.start();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  const until = async (what: string) => {
    for (let i = 0; i < 100 && !events.some((e) => e.startsWith(what)); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(
      events.some((e) => e.startsWith(what)),
      `${what} in ${JSON.stringify(events)}`,
    );
  };

  it('replies to streams, delivers data and FIN, echoes pings, writes past 64 KiB without windows, ends on GOAWAY', async () => {
    events.length = 0;
    const sock = connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const frames = frameReader(sock);
    const go = goLikeCompressor();
    sock.write(
      control(1, 0, Buffer.concat([u32s(1, 0), Buffer.of(0, 0), await go.block(rawBlock({ streamtype: 'stdin' }))])),
    );
    const reply = (await frames.next())!;
    assert.equal(reply.control && reply.type, 2);
    assert.equal(reply.streamId, 1);
    assert.deepEqual(new HeaderInflater().decode(reply.body.subarray(4)), {});
    sock.write(data(1, 0, Buffer.from('abc')));
    await until('data 1 abc');
    sock.write(control(6, 0, u32s(7)));
    const pong = (await frames.next())!;
    assert.deepEqual([pong.type, pong.streamId], [6, 7]);
    sock.write(data(1, 1, Buffer.alloc(0)));
    await until('end 1');
    // A second stream: its SYN_REPLY continues the same compression context.
    sock.write(
      control(1, 0, Buffer.concat([u32s(3, 0), Buffer.of(0, 0), await go.block(rawBlock({ streamtype: 'stdout' }))])),
    );
    const reply3 = (await frames.next())!;
    assert.equal(reply3.streamId, 3);
    serverConn!.write(3, Buffer.alloc(200_000, 0x61));
    serverConn!.finish(3);
    let got = 0;
    for (;;) {
      const f = (await frames.next())!;
      assert.equal(f.control, false);
      assert.equal(f.streamId, 3);
      got += f.body.length;
      if (f.flags & 1) break;
    }
    assert.equal(got, 200_000);
    sock.write(control(7, 0, u32s(0, 0)));
    await until('close client sent GOAWAY');
    assert.equal(await frames.next(), undefined, 'the server ends the socket');
    assert.deepEqual(events.slice(0, 4), [
      'stream 1 stdin fin=false',
      'data 1 abc',
      'end 1',
      'stream 3 stdout fin=false',
    ]);
  });

  for (const [name, frame, why] of [
    [
      'an even (server-side) stream id',
      async () => control(1, 0, Buffer.concat([u32s(2, 0), Buffer.of(0, 0)])),
      /stream id 2/,
    ],
    ['SPDY/2 framing', async () => Buffer.from('8002000100000000', 'hex'), /SPDY version 2/],
    ['a frame over 1 MiB', async () => data(1, 0, Buffer.alloc(0)).fill(0xff, 5, 8), /frame of/],
    [
      'a header block that is no zlib',
      async () => control(1, 0, Buffer.concat([u32s(1, 0), Buffer.of(0, 0), Buffer.from('garbage')])),
      /bad header block/,
    ],
  ] as const) {
    it(`answers ${name} with GOAWAY PROTOCOL_ERROR and closes`, async () => {
      events.length = 0;
      const sock = connect(port, '127.0.0.1');
      await once(sock, 'connect');
      const frames = frameReader(sock);
      sock.write(await frame());
      const f = (await frames.next())!;
      assert.equal(f.type, 7, 'GOAWAY');
      assert.equal(f.body.readUInt32BE(4), 1, 'PROTOCOL_ERROR');
      assert.equal(await frames.next(), undefined);
      await until('close SPDY protocol error');
      assert.match(events.find((e) => e.startsWith('close'))!, why);
    });
  }
});

describe('remotecommand streams over SPDY', () => {
  it('expects the streams the kubelet waits for', () => {
    const base = { stdin: true, stdout: true, stderr: true, tty: false } as const;
    assert.deepEqual(expectedStreams({ ...base, protocol: 'v4.channel.k8s.io' }), [
      'error',
      'stdin',
      'stdout',
      'stderr',
    ]);
    assert.deepEqual(expectedStreams({ ...base, tty: true, protocol: 'v4.channel.k8s.io' }), [
      'error',
      'stdin',
      'stdout',
      'resize',
    ]);
    assert.deepEqual(expectedStreams({ ...base, tty: true, protocol: 'v2.channel.k8s.io' }), [
      'error',
      'stdin',
      'stdout',
    ]);
  });
});
