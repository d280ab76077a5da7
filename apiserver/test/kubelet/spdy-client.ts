// A SPDY/3 client end for tests, as kubectl's spdystream writes: header blocks from one zlib context
// sync-flushed per block, frames laid out by hand, and a reader of what the server sends.
import type { Socket } from 'node:net';
import { constants, createDeflate, type Deflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from '../../src/kubelet/spdy/dictionary.ts';

export function rawBlock(h: Record<string, string>): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0]!.writeUInt32BE(Object.keys(h).length);
  for (const [k, v] of Object.entries(h)) {
    for (const s of [k, v]) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(Buffer.byteLength(s));
      parts.push(len, Buffer.from(s));
    }
  }
  return Buffer.concat(parts);
}

/** One zlib context, sync-flushed per block: what Go's spdy framer sends. */
export function goLikeCompressor(): { block(raw: Buffer): Promise<Buffer> } {
  const z: Deflate = createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  return {
    async block(raw) {
      z.write(raw);
      await new Promise<void>((r) => z.flush(constants.Z_SYNC_FLUSH, () => r()));
      await new Promise((r) => setImmediate(r));
      return Buffer.concat(out.splice(0));
    },
  };
}

export interface Frame {
  control: boolean;
  type: number;
  flags: number;
  body: Buffer;
  streamId: number;
}

/** Reads frames off the client end of the socket. */
export function frameReader(sock: Socket): { next(timeoutMs?: number): Promise<Frame | undefined> } {
  let buf = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  let ended = false;
  sock.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    wake?.();
  });
  sock.on('close', () => {
    ended = true;
    wake?.();
  });
  return {
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (buf.length >= 8) {
          const len = buf.readUInt32BE(4) & 0xffffff;
          if (buf.length >= 8 + len) {
            const f = buf.subarray(0, 8 + len);
            buf = buf.subarray(8 + len);
            const control = (f[0]! & 0x80) !== 0;
            const body = f.subarray(8);
            return {
              control,
              type: control ? f.readUInt16BE(2) : 0,
              flags: f[4]!,
              body,
              streamId: control ? (body.length >= 4 ? body.readUInt32BE(0) & 0x7fffffff : 0) : f.readUInt32BE(0),
            };
          }
        }
        if (ended) return undefined;
        if (Date.now() > deadline) throw new Error('no frame in time');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
  };
}

export function control(type: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE((flags << 24) | body.length, 4);
  return Buffer.concat([h, body]);
}

export function data(id: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id, 0);
  h.writeUInt32BE((flags << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

export function u32s(...n: number[]): Buffer {
  const b = Buffer.alloc(4 * n.length);
  for (const [i, v] of n.entries()) b.writeUInt32BE(v, 4 * i);
  return b;
}
