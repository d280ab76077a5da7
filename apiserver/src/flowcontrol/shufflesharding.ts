// Shuffle sharding (upstream's util/shufflesharding and hashFlowID): a flow's 64-bit hash deals it a
// hand of distinct queues; each of its requests goes to the least loaded queue of that hand, so
// a heavy flow can crowd only the few flows whose hands are the same as its own.
import { hash } from 'node:crypto';

/** How many bits of the hash a deal may consume. */
export const MAX_HASH_BITS = 60;

/** Bits of entropy dealing `handSize` of `deckSize` cards takes. */
export function requiredEntropyBits(deckSize: number, handSize: number): number {
  return Math.ceil(Math.log2(deckSize) * handSize);
}

/** Why a (queues, handSize) pair cannot be dealt, or undefined when it can. */
export function dealerProblem(deckSize: number, handSize: number): string | undefined {
  if (!Number.isInteger(deckSize) || !Number.isInteger(handSize) || deckSize <= 0 || handSize <= 0) {
    return `deckSize ${deckSize} or handSize ${handSize} is not a positive integer`;
  }
  if (handSize > deckSize) return `handSize ${handSize} is greater than deckSize ${deckSize}`;
  if (deckSize > 1 << 26) return `deckSize ${deckSize} is impractically large`;
  if (requiredEntropyBits(deckSize, handSize) > MAX_HASH_BITS) {
    return `required entropy bits of deckSize ${deckSize} and handSize ${handSize} is greater than ${MAX_HASH_BITS}`;
  }
  return undefined;
}

export class Dealer {
  constructor(
    readonly deckSize: number,
    readonly handSize: number,
  ) {
    const problem = dealerProblem(deckSize, handSize);
    if (problem) throw new Error(problem);
  }

  /**
   * The hand for a hash, cards in dealing order: successive remainders of dividing the hash by
   * deckSize, deckSize-1, …, each then moved past the cards dealt before it so all are distinct.
   */
  deal(hash: bigint): number[] {
    const remainders: number[] = [];
    let h = BigInt.asUintN(64, hash);
    for (let i = 0; i < this.handSize; i++) {
      const d = BigInt(this.deckSize - i);
      remainders.push(Number(h % d));
      h /= d;
    }
    const hand: number[] = [];
    for (let i = 0; i < this.handSize; i++) {
      let card = remainders[i]!;
      for (let j = i; j > 0; j--) if (card >= remainders[j - 1]!) card++;
      hand.push(card);
    }
    return hand;
  }
}

/** hashFlowID: the first 8 bytes, little-endian, of SHA-256(schema name, 0x00, distinguisher). */
export function hashFlowID(flowSchemaName: string, distinguisher: string): bigint {
  // One-shot: a Hash object's set-up costs more than hashing these few bytes.
  return hash('sha256', `${flowSchemaName}\u0000${distinguisher}`, 'buffer').readBigUInt64LE(0);
}
