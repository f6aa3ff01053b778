// Open-addressing hash table from inode (a non-negative integer < 2^53) to an int32, on typed
// arrays: no per-entry allocation, no heap numbers. The fd join's hot path.
export class InodeTable {
  private keys: Float64Array;
  private vals: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap <<= 1;
    this.keys = new Float64Array(cap).fill(-1);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(key: number): number {
    // mix the low 32 bits and the high bits; Math.imul keeps it in int32
    const lo = key % 4294967296 | 0;
    const hi = (key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    let i = h & this.mask;
    const keys = this.keys;
    while (keys[i] !== key && keys[i] !== -1) i = (i + 1) & this.mask;
    return i;
  }

  get(key: number): number {
    const i = this.slot(key);
    return this.keys[i] === key ? this.vals[i] : -1;
  }

  /** Sets key → value; returns the previous value or -1. */
  set(key: number, value: number): number {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const i = this.slot(key);
    if (this.keys[i] === key) {
      const old = this.vals[i];
      this.vals[i] = value;
      return old;
    }
    this.keys[i] = key;
    this.vals[i] = value;
    this.size++;
    return -1;
  }

  /** Makes room for `more` keys beyond those it holds in one step, instead of doubling on the way. */
  reserve(more: number): void {
    let cap = this.keys.length;
    while ((this.size + more) * 2 > cap) cap *= 2;
    if (cap > this.keys.length) this.grow(cap);
  }

  /** Calls fn(key, value) for every entry (table order). */
  forEach(fn: (key: number, value: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== -1) fn(keys[i], this.vals[i]);
  }

  private grow(cap = this.keys.length * 2): void {
    const oldK = this.keys;
    const oldV = this.vals;
    this.keys = new Float64Array(cap).fill(-1);
    this.vals = new Int32Array(cap);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let i = 0; i < oldK.length; i++) if (oldK[i] !== -1) this.set(oldK[i], oldV[i]);
  }
}
