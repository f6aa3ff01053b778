// Positions in ascending order (core/sortedPositions.ts): the radix sort and the comparator
// fallback for other numbers agree with the definition — ascending, ties by position — on every
// digit width (one pass, the low word, the high word up to 2^53), and lowerBound finds the first
// place at or above a value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowerBound, radixSortBy, sortedPositions } from '../../src/core/sortedPositions';

/** The definition: positions sorted by (value, position). */
function expected(values: number[]): number[] {
  return values.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[1]);
}

test('ascending, ties by position, for values of one digit, of the low word, of the high word, and for numbers the radix sort refuses', () => {
  let seed = 3;
  const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
  for (const scale of [1, 2 ** 11 + 1, 2 ** 22 + 3, 2 ** 31 + 5, 2 ** 40, 2 ** 48 - 1, 0.5, -1]) {
    for (let round = 0; round < 30; round++) {
      // few distinct values: many ties
      const values = Array.from({ length: 1 + rnd(300) }, () => rnd(20) * scale);
      assert.deepEqual(Array.from(sortedPositions(Float64Array.from(values))), expected(values), `scale ${scale} round ${round}`);
    }
  }
});

test('lowerBound: the first place whose value is at least x, the length when none is', () => {
  const values = Float64Array.from([30, 10, 20, 10, 40]);
  const order = sortedPositions(values); // 10 10 20 30 40
  assert.deepEqual([5, 10, 11, 20, 40, 41].map((x) => lowerBound(values, order, x)), [0, 0, 2, 2, 4, 5]);
  assert.equal(lowerBound(new Float64Array(0), new Int32Array(0), 1), 0);
});

test('radixSortBy: sorts a subarray of positions in place, stably, by values up to 2^53; refuses other numbers and leaves them as they were', () => {
  let seed = 11;
  const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
  for (let round = 0; round < 40; round++) {
    const n = 2 + rnd(3000);
    const values = new Float64Array(n);
    // a mix of widths in one array: small, past 2^32 and near 2^53 (the high word's digits)
    for (let i = 0; i < n; i++) values[i] = [rnd(50), rnd(2 ** 30) * 7, rnd(2 ** 21) * 2 ** 32 + rnd(2 ** 31), Number.MAX_SAFE_INTEGER - rnd(3)][rnd(4)];
    // positions in a subarray with an offset (the fd index sorts slices of one buffer), in any order
    const buf = new Int32Array(n + 10).fill(-7);
    const idx = buf.subarray(5, 5 + n);
    for (let i = 0; i < n; i++) idx[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = rnd(i + 1);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    const before = Array.from(idx);
    const rank = new Map(before.map((p, k) => [p, k]));
    const want = before.slice().sort((a, b) => values[a] - values[b] || rank.get(a)! - rank.get(b)!);
    assert.equal(radixSortBy(idx, values), true);
    assert.deepEqual(Array.from(idx), want, `round ${round}`);
    assert.deepEqual([...buf.subarray(0, 5), ...buf.subarray(5 + n)], new Array(10).fill(-7), 'nothing outside the subarray is written');
  }
  for (const bad of [-1, 0.5, 2 ** 53 + 2, NaN, Infinity]) {
    const idx = Int32Array.from([2, 0, 1]);
    assert.equal(radixSortBy(idx, [3, bad, 1]), false, String(bad));
    assert.deepEqual(Array.from(idx), [2, 0, 1]);
  }
  const one = Int32Array.from([0]);
  assert.equal(radixSortBy(one, [5]), true);
  assert.equal(radixSortBy(new Int32Array(0), []), true);
});
