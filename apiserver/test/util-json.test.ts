// jsonClone and jsonEqual against their definition: a JSON round trip, and deep equality after it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { jsonClone, jsonEqual } from '../src/util/json.ts';

// A small deterministic PRNG so a failure names a reproducible seed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomValue(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor(r() * 4) - 1;
    case 3:
      return ['', 'a', 'b', '0'][Math.floor(r() * 4)];
    case 4:
      return undefined;
    case 5:
      return r() < 0.5 ? 0 : -0;
    case 6:
    case 7: {
      const o: Record<string, unknown> = {};
      for (const k of ['a', 'b', 'c', '__proto__'].filter(() => r() < 0.45)) {
        Object.defineProperty(o, k, { value: randomValue(r, depth + 1), enumerable: true, writable: true });
      }
      return o;
    }
    default:
      return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth + 1));
  }
}

const roundTrip = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

describe('JSON values', () => {
  it('jsonEqual is deep equality of the JSON round trips, over 20,000 random pairs', () => {
    let equal = 0;
    for (let seed = 1; seed <= 20_000; seed++) {
      const r = rng(seed);
      const a = randomValue(r, 0);
      // Half the pairs are a value and a near copy, so that equal pairs are common too.
      const b = seed % 2 ? randomValue(r, 0) : roundTrip(a);
      const want = isDeepStrictEqual(roundTrip(a), roundTrip(b));
      assert.equal(jsonEqual(a, b), want, `seed ${seed}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      if (want) equal++;
    }
    assert.ok(equal > 5_000, `${equal} equal pairs`);
  });

  it('ignores key order and undefined fields, not values', () => {
    assert.ok(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }));
    assert.ok(jsonEqual({ a: 1, x: undefined }, { a: 1 }));
    assert.ok(jsonEqual([undefined], [null]));
    assert.ok(!jsonEqual({ a: 1 }, { a: '1' }));
    assert.ok(!jsonEqual({ a: [1, 2] }, { a: [2, 1] }));
    assert.ok(!jsonEqual({ a: null }, {}));
    assert.ok(!jsonEqual([], {}));
  });

  it('jsonClone copies deeply, keeps "__proto__" a field, and leaves the original alone', () => {
    for (let seed = 1; seed <= 2_000; seed++) {
      const v = randomValue(rng(seed), 0);
      const c = jsonClone(v);
      assert.ok(isDeepStrictEqual(c, v), `seed ${seed}`);
    }
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "spec": {"list": [{"a": 1}]}}');
    const c = jsonClone(parsed);
    assert.equal(Object.getPrototypeOf(c), Object.prototype);
    assert.equal((c as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(Object.keys(c), ['__proto__', 'spec']);
    c.spec.list[0].a = 2;
    assert.equal(parsed.spec.list[0].a, 1);
  });
});
