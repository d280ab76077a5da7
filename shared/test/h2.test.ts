// mkube's own HTTP/2 client framing (src/h2: the etcd client's unary calls, the KubeClient's h2 path), against the RFC's examples and
// against Node's HTTP/2 server (nghttp2): Huffman-coded and table-indexed response headers,
// CONTINUATION, padding, flow control both ways, the peer's stream limit, GOAWAY, RST_STREAM,
// PING, and a connection that dies under a request.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { before, describe, it } from 'node:test';
import tls from 'node:tls';
import { H2_ERROR, H2Connection, type H2Error } from '../src/h2/connection.ts';
import { encodeHeaders, type HeaderList, HpackDecoder, HpackError } from '../src/h2/hpack.ts';
import { HUFFMAN_CODES, HUFFMAN_LENGTHS, huffmanDecode } from '../src/h2/huffman.ts';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } from '../src/pki/index.ts';

const hex = (s: string) => Buffer.from(s.replaceAll(' ', ''), 'hex');

describe('HPACK', () => {
  it('derives the RFC 7541 Appendix B codes from the lengths', () => {
    const code = (sym: number) => [HUFFMAN_CODES[sym], HUFFMAN_LENGTHS[sym]];
    assert.deepEqual(code(0), [0x1ff8, 13]);
    assert.deepEqual(code(32), [0x14, 6]);
    assert.deepEqual(code(48), [0x0, 5]);
    assert.deepEqual(code(97), [0x3, 5]);
    assert.deepEqual(code(10), [0x3ffffffc, 30]);
    assert.deepEqual(code(255), [0x3ffffee, 26]);
    assert.deepEqual(code(256), [0x3fffffff, 30], 'EOS');
  });

  it('decodes the Huffman strings of C.4 and refuses bad padding and EOS', () => {
    assert.equal(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff')), 'www.example.com');
    assert.equal(huffmanDecode(hex('a8eb 1064 9cbf')), 'no-cache');
    assert.equal(huffmanDecode(hex('25a8 49e9 5bb8 e8b4 bf')), 'custom-value');
    assert.throws(() => huffmanDecode(hex('a8eb 1064 9cbf ff')), /padding/);
    assert.throws(() => huffmanDecode(hex('a8eb 1064 9cbe')), /padding/);
    assert.throws(() => huffmanDecode(hex('ffff ffff')), /EOS/);
  });

  it('decodes the request sequence of C.3 with its dynamic table', () => {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')), [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    assert.deepEqual(d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865')), [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    assert.deepEqual(d.decode(hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65')), [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
  });

  it('evicts to a size update, refuses one above the limit and indexes beyond the table', () => {
    const d = new HpackDecoder(4096);
    d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65'));
    assert.deepEqual(d.decode(hex('be')), [['custom-key', 'custom-value']]);
    // Size 0 empties the table: index 62 is gone.
    assert.throws(() => d.decode(hex('20be')), HpackError);
    assert.throws(() => new HpackDecoder(4096).decode(hex('3fe21f')), /above 4096/);
    assert.throws(() => new HpackDecoder().decode(hex('82 20')), /after a header field/);
    assert.throws(() => new HpackDecoder().decode(hex('80')), /index 0/);
  });

  it('random and mutated header blocks fail with HpackError and nothing else', () => {
    const valid = encodeHeaders([
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-message', 'x'.repeat(40)],
    ]);
    const huffman = hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d 4188 f1e3 c2e5 f23a 6ba0 ab90 f4ff');
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 5000; i++) {
      const base = i % 3 === 0 ? Buffer.alloc(1 + (rand() % 40)) : Buffer.from(i % 3 === 1 ? valid : huffman);
      if (i % 3 === 0) for (let j = 0; j < base.length; j++) base[j] = rand() & 0xff;
      else for (let k = 0; k < 1 + (rand() % 3); k++) base[rand() % base.length] = rand() & 0xff;
      try {
        new HpackDecoder().decode(base);
      } catch (e) {
        assert.ok(e instanceof HpackError, `block ${base.toString('hex')}: ${(e as Error).stack}`);
      }
    }
  });

  it('reads back what its encoder writes', () => {
    const fields: [string, string][] = [
      [':method', 'POST'],
      [':scheme', 'https'],
      [':authority', '127.0.0.1:2379'],
      [':path', '/etcdserverpb.KV/Txn'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ['grpc-timeout', '9999m'],
      ['x-long', 'v'.repeat(300)],
      ['authorization', `Bearer ${'t'.repeat(20_000)}`],
      [`x-${'n'.repeat(200)}`, ''],
    ];
    assert.deepEqual(new HpackDecoder().decode(encodeHeaders(fields)), fields);
  });

  it("writes RFC 7541's literal without indexing byte for byte (C.2.2), and a static pair as its index", () => {
    assert.equal(encodeHeaders([[':path', '/sample/path']]).toString('hex'), '040c2f73616d706c652f70617468');
    assert.equal(encodeHeaders([[':method', 'GET']]).toString('hex'), '82');
    // A value of 127 octets: the 7-bit prefix is full (0x7f) and 0 follows.
    assert.equal(
      encodeHeaders([['x-a', 'v'.repeat(127)]])
        .subarray(0, 7)
        .toString('hex'),
      '0003782d617f00',
    );
  });
});

// ---- the connection, against nghttp2 ---------------------------------------------------------

let pem: { ca: string; cert: string; key: string; serverCert: string; serverKey: string };
before(async () => {
  const { ca, certPem } = await CertificateAuthority.createSelfSigned({ commonName: 'h2-test-ca' });
  const leaf = async (cn: string, usage: 'client auth' | 'server auth', ips: string[] = []) => {
    const key = await generateKeyPair();
    const cert = ca.issue({
      subject: { commonName: cn },
      ipAddresses: ips,
      dnsNames: ips.length ? ['localhost'] : [],
      publicKey: key.publicKey,
      usages: ['digital signature', usage],
      ttlMs: 3_600_000,
    });
    return { cert: cert.pem, key: encodePrivateKeyPem(key) };
  };
  const client = await leaf('h2-client', 'client auth');
  const server = await leaf('h2-server', 'server auth', ['127.0.0.1']);
  pem = { ca: certPem, cert: client.cert, key: client.key, serverCert: server.cert, serverKey: server.key };
});

interface Server {
  readonly server: http2.Http2SecureServer;
  readonly port: number;
  close(): Promise<void>;
}

async function serve(
  onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
  opts: http2.SecureServerOptions = {},
): Promise<Server> {
  const server = http2.createSecureServer({
    key: pem.serverKey,
    cert: pem.serverCert,
    ca: pem.ca,
    requestCert: true,
    rejectUnauthorized: true,
    ...opts,
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    // Resets are part of the tests; the server side's stream errors are not.
    stream.on('error', () => {});
    onStream(stream, headers);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () =>
      new Promise((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

const connect = (port: number) =>
  new H2Connection({
    host: '127.0.0.1',
    port,
    authority: `127.0.0.1:${port}`,
    ca: pem.ca,
    cert: pem.cert,
    key: pem.key,
  });

interface Reply {
  headers: HeaderList[];
  body: Buffer;
}

function call(c: H2Connection, path: string, body: Buffer, extra: [string, string][] = []): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: HeaderList[] = [];
    const chunks: Buffer[] = [];
    c.request('POST', path, [['content-type', 'application/grpc'], ...extra], body, {
      onHeaders: (h) => headers.push(h),
      onData: (d) => chunks.push(d),
      onEnd: () => resolve({ headers, body: Buffer.concat(chunks) }),
      onError: reject,
    });
  });
}

/** Echoes the request body back with its length and path in headers, then trailers. */
function echo(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  extra: http2.OutgoingHttpHeaders = {},
) {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    const body = Buffer.concat(chunks);
    stream.respond(
      { ':status': 200, 'x-path': String(headers[':path']), 'x-length': String(body.length), ...extra },
      { waitForTrailers: true },
    );
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'fine' }));
    stream.end(body);
  });
}

const get = (h: HeaderList, name: string) => h.find(([n]) => n === name)?.[1];

describe('H2Connection against nghttp2', { timeout: 60_000 }, () => {
  it('sends headers and body, and reads Huffman-coded, table-indexed headers and trailers over many calls', async () => {
    // Values nghttp2 codes in Huffman and indexes in its table, repeated across responses so later
    // ones are table references, and large enough in sum to force evictions.
    const values = Array.from({ length: 40 }, (_, i) => `${'value-'.repeat(i % 7)}${i}-äöü~\t!`.slice(0, 200));
    const s = await serve((stream, headers) => {
      const i = Number(String(headers[':path']).split('/').pop());
      echo(stream, headers, {
        'x-a': values[i % values.length]!,
        'x-b': values[(i * 7) % values.length]!,
        'x-i': String(i),
      });
    });
    const c = connect(s.port);
    try {
      for (let i = 0; i < 120; i++) {
        const r = await call(c, `/echo/${i}`, Buffer.from(`body ${i}`));
        const [h, t] = r.headers;
        assert.equal(get(h!, ':status'), '200');
        assert.equal(get(h!, 'x-path'), `/echo/${i}`);
        assert.equal(get(h!, 'x-a'), values[i % values.length]);
        assert.equal(get(h!, 'x-b'), values[(i * 7) % values.length]);
        assert.equal(get(h!, 'x-i'), String(i));
        assert.equal(r.body.toString(), `body ${i}`);
        assert.equal(get(t!, 'grpc-status'), '0');
        assert.equal(get(t!, 'grpc-message'), 'fine');
      }
      assert.ok(c.reached);
    } finally {
      c.close();
      await s.close();
    }
  });

  it('reads a header block split into CONTINUATION frames, and padded frames', async () => {
    const big = 'x'.repeat(40_000);
    const s = await serve((stream, headers) => echo(stream, headers, { 'x-big': big }), {
      paddingStrategy: http2.constants.PADDING_STRATEGY_MAX,
      maxHeaderListSize: 1 << 20,
    } as http2.SecureServerOptions);
    const c = connect(s.port);
    try {
      const r = await call(c, '/big', Buffer.from('hello'));
      assert.equal(get(r.headers[0]!, 'x-big'), big);
      assert.equal(r.body.toString(), 'hello');
    } finally {
      c.close();
      await s.close();
    }
  });

  it('keeps to flow control both ways: a 3 MiB request and a 20 MiB response', async () => {
    const response = Buffer.alloc(20 * 1024 * 1024, 7);
    const s = await serve(
      (stream, headers) => {
        let n = 0;
        stream.on('data', (c: Buffer) => {
          n += c.length;
        });
        stream.on('end', () => {
          stream.respond({ ':status': 200, 'x-got': String(n), 'x-path': String(headers[':path']) });
          stream.end(response);
        });
      },
      // A small window: a client that overran it would get FLOW_CONTROL_ERROR from nghttp2.
      { settings: { initialWindowSize: 8192 } },
    );
    const c = connect(s.port);
    try {
      const request = Buffer.alloc(3 * 1024 * 1024, 1);
      const r = await call(c, '/flow', request);
      assert.equal(get(r.headers[0]!, 'x-got'), String(request.length));
      assert.equal(r.body.length, response.length);
      assert.ok(r.body.every((b) => b === 7));
    } finally {
      c.close();
      await s.close();
    }
  });

  it("sends no more body than the peer's windows allow until it opens them", async () => {
    // A peer written here, not nghttp2 (which tolerates an overrun): it announces a 1,000-byte
    // stream window, counts the DATA that arrives before it sends any WINDOW_UPDATE, then opens
    // the windows and answers once the whole body is in.
    let beforeUpdate = 0;
    let total = 0;
    const server = tls.createServer({
      key: pem.serverKey,
      cert: pem.serverCert,
      ca: pem.ca,
      requestCert: true,
      ALPNProtocols: ['h2'],
    });
    server.on('secureConnection', (sock) => {
      let buf = Buffer.alloc(0);
      let prefaceSeen = false;
      let opened = false;
      const frame = (type: number, flags: number, id: number, payload: Buffer) => {
        const h = Buffer.alloc(9);
        h.writeUIntBE(payload.length, 0, 3);
        h[3] = type;
        h[4] = flags;
        h.writeUInt32BE(id, 5);
        sock.write(Buffer.concat([h, payload]));
      };
      const settings = Buffer.alloc(6);
      settings.writeUInt16BE(0x4, 0);
      settings.writeUInt32BE(1000, 2);
      frame(0x4, 0, 0, settings);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (!prefaceSeen) {
          if (buf.length < 24) return;
          prefaceSeen = true;
          buf = buf.subarray(24);
        }
        while (buf.length >= 9) {
          const len = buf.readUIntBE(0, 3);
          if (buf.length < 9 + len) break;
          const [type, flags] = [buf[3]!, buf[4]!];
          const id = buf.readUInt32BE(5);
          buf = buf.subarray(9 + len);
          if (type === 0x4 && !(flags & 1)) frame(0x4, 1, 0, Buffer.alloc(0));
          if (type === 0x0) {
            total += len;
            if (!opened) beforeUpdate += len;
            if (flags & 1) frame(0x1, 0x5, id, Buffer.from([0x88]));
          }
          if (type === 0x1 && !opened) {
            setTimeout(() => {
              opened = true;
              const inc = Buffer.alloc(4);
              inc.writeUInt32BE(10_000_000);
              frame(0x8, 0, 0, inc);
              frame(0x8, 0, id, inc);
            }, 300);
          }
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = connect((server.address() as { port: number }).port);
    try {
      // Before the peer's SETTINGS a client may use the default 65,535 (RFC 9113 §6.9.2): let them arrive.
      await new Promise((r) => setTimeout(r, 200));
      const r = await call(c, '/w', Buffer.alloc(200_000, 3));
      assert.equal(get(r.headers[0]!, ':status'), '200');
      assert.equal(total, 200_000);
      assert.ok(beforeUpdate > 0 && beforeUpdate <= 1000, `sent ${beforeUpdate} bytes into a 1,000-byte window`);
    } finally {
      c.close();
      await new Promise((r) => server.close(r));
    }
  });

  it("queues requests beyond the peer's MAX_CONCURRENT_STREAMS and runs them all", async () => {
    let open = 0;
    let most = 0;
    const s = await serve(
      (stream, headers) => {
        open++;
        most = Math.max(most, open);
        stream.on('close', () => open--);
        setTimeout(() => echo(stream, headers), 5);
      },
      { settings: { maxConcurrentStreams: 4 } },
    );
    const c = connect(s.port);
    try {
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) => call(c, `/q/${i}`, Buffer.from(String(i)))),
      );
      for (const [i, r] of replies.entries()) assert.equal(r.body.toString(), String(i));
      assert.ok(most <= 4, `at most 4 streams open at once, saw ${most}`);
    } finally {
      c.close();
      await s.close();
    }
  });

  it('answers the peer’s PING and gets its own answered', async () => {
    let session: http2.ServerHttp2Session | undefined;
    const s = await serve((stream, headers) => {
      session = stream.session as http2.ServerHttp2Session;
      echo(stream, headers);
    });
    const c = connect(s.port);
    try {
      await call(c, '/p', Buffer.from('x'));
      const rtt = await new Promise<number>((resolve, reject) =>
        session!.ping((err, ms) => (err ? reject(err) : resolve(ms))),
      );
      assert.ok(rtt >= 0);
      await c.ping(5000);
    } finally {
      c.close();
      await s.close();
    }
  });

  it('sends a refused stream again, then fails it as unsent; other resets fail it as maybe sent', async () => {
    let refusals = 0;
    const s = await serve((stream, headers) => {
      const path = String(headers[':path']);
      if (path === '/refuse') refusals++;
      stream.on('data', () => {});
      stream.on('end', () =>
        stream.close(
          path === '/refuse' ? http2.constants.NGHTTP2_REFUSED_STREAM : http2.constants.NGHTTP2_INTERNAL_ERROR,
        ),
      );
    });
    const c = connect(s.port);
    try {
      const refused = (await call(c, '/refuse', Buffer.from('x')).catch((e) => e)) as H2Error;
      assert.equal(refused.code, H2_ERROR.REFUSED_STREAM);
      assert.equal(refused.unsent, true);
      assert.equal(refusals, 4, 'sent once and again three times');
      const reset = (await call(c, '/reset', Buffer.from('x')).catch((e) => e)) as H2Error;
      assert.equal(reset.code, 2);
      assert.equal(reset.unsent, false);
      assert.equal(c.closed, false, 'a stream error leaves the connection up');
    } finally {
      c.close();
      await s.close();
    }
  });

  it('on GOAWAY finishes streams up to the last one and fails later and new ones as unsent', async () => {
    let first: http2.ServerHttp2Stream | undefined;
    const held: http2.ServerHttp2Stream[] = [];
    const s = await serve((stream) => {
      stream.on('data', () => {});
      if (!first) first = stream;
      held.push(stream);
    });
    const c = connect(s.port);
    try {
      const a = call(c, '/a', Buffer.from('a'));
      await new Promise((r) => setTimeout(r, 100));
      const b = call(c, '/b', Buffer.from('b'));
      await new Promise((r) => setTimeout(r, 100));
      // Stream 1 is the last the server will process; stream 3 is refused by the GOAWAY.
      first!.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
      const later = (await b.catch((e) => e)) as H2Error;
      assert.equal(later.unsent, true);
      assert.equal(c.closed, true);
      const fresh = (await call(c, '/c', Buffer.from('c')).catch((e) => e)) as H2Error;
      assert.equal(fresh.unsent, true);
      first!.respond({ ':status': 200 });
      first!.end('done');
      assert.equal((await a).body.toString(), 'done');
    } finally {
      c.close();
      await s.close();
    }
  });

  it('fails requests as maybe sent when the connection dies after the handshake, unsent when there was none', async () => {
    const s = await serve((stream) => {
      stream.on('data', () => {});
      stream.on('end', () => stream.session?.destroy());
    });
    const c = connect(s.port);
    try {
      const dropped = (await call(c, '/x', Buffer.from('x')).catch((e) => e)) as H2Error;
      assert.equal(dropped.unsent, false);
      assert.equal(c.closed, true);
    } finally {
      c.close();
      await s.close();
    }
    // Nothing listens: the TLS handshake never happens.
    const dead = connect(s.port);
    const refused = (await call(dead, '/x', Buffer.from('x')).catch((e) => e)) as H2Error;
    assert.equal(refused.unsent, true);
    assert.match(refused.message, /ECONNREFUSED/);
  });

  it('a server that does not speak h2 or a CA that did not sign it fails the request as unsent', async () => {
    const s = await serve((stream, headers) => echo(stream, headers));
    try {
      const wrongCa = new H2Connection({
        host: '127.0.0.1',
        port: s.port,
        authority: 'x',
        ca: pem.serverCert,
        cert: pem.cert,
        key: pem.key,
      });
      const e = (await call(wrongCa, '/x', Buffer.alloc(0)).catch((err) => err)) as H2Error;
      assert.equal(e.unsent, true);
      assert.match(e.message, /certificate|issuer/);
    } finally {
      await s.close();
    }
  });
});
