// Positions of a numeric column in ascending order, for merge joins and binary searches over
// typed arrays where a Map keyed by numbers would take a hash operation per row (~100 ns; more for
// numbers past 2^31, such as port pairs, which V8 hashes as heap numbers).

const TWO32 = 4294967296;
const DIGIT_BITS = 11;
const DIGITS = 1 << DIGIT_BITS;

/**
 * Sorts `idx` in place by ascending `values[idx[i]]`; equal values keep their order in idx. An LSD
 * radix sort of 11-bit digits (three passes for values under 2^33, five up to 2^53), read straight
 * from the values (`>>>` takes a double's low 32 bits exactly up to 2^53). It replaced packed
 * `value * 2^20 + position` keys and Float64Array#sort, whose comparator calls (V8's CompareNum)
 * took 7 ms for 50k positions against ~1–3 here. False, idx untouched, when a value is not an
 * integer in 0..2^53 (the caller then sorts with a comparator).
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
  const high = max >= TWO32;
  const lowTop = high ? TWO32 - 1 : max;
  for (let shift = 0; shift < 32 && (shift === 0 || lowTop >>> shift !== 0); shift += DIGIT_BITS) {
    if (!radixPass(from, to, values, count, shift, 1)) continue;
    const t = from;
    from = to;
    to = t;
  }
  const highTop = high ? Math.floor(max / TWO32) : 0;
  for (let shift = 0; high && shift < 32 && (shift === 0 || highTop >>> shift !== 0); shift += DIGIT_BITS) {
    if (!radixPass(from, to, values, count, shift, 1 / TWO32)) continue;
    const t = from;
    from = to;
    to = t;
  }
  if (from !== idx) idx.set(from);
  return true;
}

/** One stable pass over the digit at `shift` of `value * scale` (1, or 2^-32 for the high word): from → to; false when every position has the same digit (nothing moved). */
function radixPass(from: Int32Array, to: Int32Array, values: ArrayLike<number>, count: Int32Array, shift: number, scale: number): boolean {
  const n = from.length;
  const mask = DIGITS - 1;
  count.fill(0);
  for (let i = 0; i < n; i++) count[((values[from[i]] * scale) >>> shift) & mask]++;
  if (count[((values[from[0]] * scale) >>> shift) & mask] === n) return false;
  let sum = 0;
  for (let d = 0; d < DIGITS; d++) {
    const c = count[d];
    count[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const p = from[i];
    to[count[((values[p] * scale) >>> shift) & mask]++] = p;
  }
  return true;
}

/** Positions 0..n-1 of non-negative integers by ascending value, ties by position (radixSortBy; a comparator sort for other numbers). */
export function sortedPositions(values: Float64Array): Int32Array {
  const n = values.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!radixSortBy(order, values)) order.sort((a, b) => values[a] - values[b] || a - b);
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
