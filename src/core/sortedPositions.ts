// Positions of a numeric column in ascending order, for merge joins and binary searches over
// typed arrays where a Map keyed by numbers would take a hash operation per row (~100 ns; more for
// numbers past 2^31, such as port pairs, which V8 hashes as heap numbers).

const DIGIT_BITS = 11;
const DIGITS = 1 << DIGIT_BITS;

/**
 * Sorts `idx` in place by ascending `values[idx[i]]`; equal values keep their order in idx. An LSD
 * radix sort of 11-bit digits (three passes for values under 2^33, five up to 2^53): the digit at
 * bit b is `(value · 2^-b) >>> 0`, exact for integers up to 2^53. It replaced packed
 * `value * 2^20 + position` keys and Float64Array#sort, whose comparator calls (V8's CompareNum)
 * took 7 ms for 50k positions against ~1–3 here. False, idx untouched, when a value is not an
 * integer in 0..2^53 (sortPositionsBy then sorts with a comparator).
 */
export function radixSortBy(idx: Int32Array, values: ArrayLike<number>): boolean {
  const n = idx.length;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = values[idx[i]];
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Math.floor(v) === v)) return false;
    if (v > max) max = v;
  }
  if (n < 2) return true;
  let from: Int32Array = idx;
  let to: Int32Array = new Int32Array(n);
  const count = new Int32Array(DIGITS);
  for (let bit = 0; bit === 0 || max >= 2 ** bit; bit += DIGIT_BITS) {
    if (!radixPass(from, to, values, count, 2 ** -bit)) continue;
    const t = from;
    from = to;
    to = t;
  }
  if (from !== idx) idx.set(from);
  return true;
}

/** One stable pass over the digit `(value * scale) >>> 0` (scale 2^-bit): from → to; false when every position has the same digit (nothing moved). */
function radixPass(from: Int32Array, to: Int32Array, values: ArrayLike<number>, count: Int32Array, scale: number): boolean {
  const n = from.length;
  const mask = DIGITS - 1;
  count.fill(0);
  for (let i = 0; i < n; i++) count[((values[from[i]] * scale) >>> 0) & mask]++;
  if (count[((values[from[0]] * scale) >>> 0) & mask] === n) return false;
  let sum = 0;
  for (let d = 0; d < DIGITS; d++) {
    const c = count[d];
    count[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const p = from[i];
    to[count[((values[p] * scale) >>> 0) & mask]++] = p;
  }
  return true;
}

/** Sorts positions `idx`, given in ascending order, by ascending value, ties by position: radixSortBy, or a comparator for other numbers. */
export function sortPositionsBy(idx: Int32Array, values: ArrayLike<number>): void {
  if (!radixSortBy(idx, values)) idx.sort((a, b) => values[a] - values[b] || a - b);
}

/** Positions 0..n-1 by ascending value, ties by position (sortPositionsBy). */
export function sortedPositions(values: Float64Array): Int32Array {
  const order = new Int32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  sortPositionsBy(order, values);
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

/** lowerBound over values already in order (`sorted`): the first place whose value is `x` or more; sorted.length when none is. */
export function lowerBoundSorted(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
