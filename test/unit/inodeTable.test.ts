// The typed-array hash table of the fd join (core/probes/inodeTable.ts) against a Map: keys up to
// 2^53 (inodes past 32 bits, colliding low words), growth by doubling and by reserve() in one step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InodeTable } from '../../src/core/probes/inodeTable';

function entries(t: InodeTable): [number, number][] {
  const out: [number, number][] = [];
  t.forEach((k, v) => out.push([k, v]));
  return out.sort((a, b) => a[0] - b[0]);
}

test('set, get and forEach agree with a Map, however the table grew', () => {
  let seed = 11;
  const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
  for (const reserveFirst of [false, true]) {
    for (let round = 0; round < 20; round++) {
      const t = new InodeTable(rnd(4));
      const m = new Map<number, number>();
      const n = 1 + rnd(3000);
      if (reserveFirst) t.reserve(n);
      for (let i = 0; i < n; i++) {
        // few low words, many high ones: keys whose low 32 bits collide
        const key = rnd(50) + rnd(1 << 20) * 2 ** 32 * (rnd(2) ? 1 : 0);
        if (i === n >> 1) t.reserve(n); // a reserve in the middle keeps what is there
        const prev = t.set(key, i);
        assert.equal(prev, m.get(key) ?? -1, `round ${round}: set(${key}) returns the previous value`);
        m.set(key, i);
      }
      assert.equal(t.size, m.size);
      for (const [k, v] of m) assert.equal(t.get(k), v);
      assert.equal(t.get(2 ** 52 + 7), -1);
      assert.deepEqual(entries(t), [...m].sort((a, b) => a[0] - b[0]));
    }
  }
});
