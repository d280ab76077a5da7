// The protobuf wire format, read defensively: every length is checked against the buffer, varints
// are capped at 10 bytes, and anything malformed is a BadRequest — never a crash or a hang.
import { newBadRequest } from '@mkube/shared/apierrors';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

export interface Field {
  readonly number: number;
  readonly wire: number;
  /** Varint or fixed value (as bigint), for non-LEN fields. */
  readonly int?: bigint;
  /** Bytes of a LEN field (a view into the input). */
  readonly bytes?: Buffer;
}

function malformed(why: string): Error {
  return newBadRequest(`the protobuf body could not be decoded: ${why}`);
}

export function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw malformed('truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
  throw malformed('varint longer than 10 bytes');
}

/** Splits a message into its fields, in order. */
export function readFields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = readVarint(buf, pos);
    pos = p1;
    const number = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (number < 1 || number > 536_870_911) throw malformed(`invalid field number ${number}`);
    switch (wire) {
      case WIRE_VARINT: {
        const [v, p2] = readVarint(buf, pos);
        pos = p2;
        out.push({ number, wire, int: v });
        break;
      }
      case WIRE_I64:
        if (pos + 8 > buf.length) throw malformed('truncated 64-bit field');
        out.push({ number, wire, int: buf.readBigUInt64LE(pos) });
        pos += 8;
        break;
      case WIRE_I32:
        if (pos + 4 > buf.length) throw malformed('truncated 32-bit field');
        out.push({ number, wire, int: BigInt(buf.readUInt32LE(pos)) });
        pos += 4;
        break;
      case WIRE_LEN: {
        const [len, p2] = readVarint(buf, pos);
        pos = p2;
        if (len > BigInt(buf.length - pos)) throw malformed(`field ${number} runs past the end of the message`);
        const n = Number(len);
        out.push({ number, wire, bytes: buf.subarray(pos, pos + n) });
        pos += n;
        break;
      }
      default:
        throw malformed(`unsupported wire type ${wire} in field ${number}`);
    }
  }
  return out;
}

/** int64/int32 varints: two's complement over 64 bits. */
export function toSigned(v: bigint): number {
  const s = BigInt.asIntN(64, v);
  return Number(s);
}
