// Positions of a numeric column in ascending order, for merge joins and binary searches over
// typed arrays where a Map keyed by numbers would take a hash operation per row (~100 ns; more for
// numbers past 2^31, such as port pairs, which V8 hashes as heap numbers).

const SHIFT = 1048576; // 2^20: packed sort keys `inode * 2^20 + position`

/** Positions 0..n-1 of non-negative integers by ascending value, ties by position (a packed Float64Array sort, no comparator, when they fit). */
export function sortedPositions(values: Float64Array): Int32Array {
  const n = values.length;
  const order = new Int32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) if (values[i] > max) max = values[i];
  if (n < SHIFT && max * SHIFT + SHIFT <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = values[i] * SHIFT + i;
    keys.sort();
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      order[i] = k - Math.floor(k / SHIFT) * SHIFT;
    }
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a] - values[b] || a - b);
  return order;
}

/** The first place in `order` (sortedPositions(values)) whose value is `x` or more; order.length when none is. */
export function lowerBound(values: Float64Array, order: Int32Array, x: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[order[mid]] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
