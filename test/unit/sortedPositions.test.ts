// Positions in ascending order (core/sortedPositions.ts): the packed sort and the comparator
// fallback for values too large to pack agree — ascending, ties by position — and lowerBound
// finds the first place at or above a value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowerBound, sortedPositions } from '../../src/core/sortedPositions';

/** The definition: positions sorted by (value, position). */
function expected(values: number[]): number[] {
  return values.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[1]);
}

test('ascending, ties by position, both when the values pack and when they are too large to', () => {
  let seed = 3;
  const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
  for (const scale of [1, 2 ** 40]) {
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
