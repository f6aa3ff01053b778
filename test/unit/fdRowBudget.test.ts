// The fd-row budget of the index (probes/context.ts FdIndex): a user's rows past their share, or
// anyone's past the total, are left out and counted per process; the other users' rows stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FdIndex, type FdRowBudget } from '../../src/core/probes/context';
import type { ProcWalk } from '../../src/core/native';
import { fdColumns, type FdRow } from './fakeWalk';

const PIPE = 1;

function walkOf(rows: FdRow[]): ProcWalk {
  return { processes: [], fds: fdColumns(rows), paths: [], infos: [], elapsedMs: 0, threads: 1 };
}

/** `n` fds of one pipe (inode) in process `pid`, from fd 3 up. */
function dups(pid: number, inode: number, n: number): FdRow[] {
  return Array.from({ length: n }, (_, i) => [pid, 3 + i, PIPE, 2, inode] as FdRow);
}

/** The pids holding each pipe (by inode), as the index links them. */
function holders(index: FdIndex, w: ProcWalk): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const g = index.groups(PIPE);
  for (let k = 0; k < g.count; k++) {
    const rows: number[] = [];
    for (let r = g.first[k]; r >= 0; r = index.next[r]) rows.push(w.fds.pid[r]);
    out.set(g.inode[k], rows);
  }
  return out;
}

test("a user's rows past their share are left out and counted; another user's, listed after, all stay", () => {
  // nobody (65534): two processes of 6 dups each; root (0): one process of 3, after them
  const w = walkOf([...dups(100, 7, 6), ...dups(101, 7, 6), ...dups(200, 9, 3)]);
  const uid = new Map([[100, 65534], [101, 65534], [200, 0]]);
  const budget: FdRowBudget = { uidOf: (pid) => uid.get(pid), perUser: 8, total: 100 };
  const index = new FdIndex(w, undefined, budget);
  assert.deepEqual([...index.cut], [[101, 4]], "nobody's first 8 rows are listed: 6 of 100's, 2 of 101's");
  const h = holders(index, w);
  assert.equal(h.get(7)!.length, 8);
  assert.deepEqual(h.get(9), [200, 200, 200], "root's rows are all there");
});

test('past the total, every user is cut; without a budget nothing is', () => {
  const w = walkOf([...dups(100, 7, 5), ...dups(200, 9, 5)]);
  const uid = new Map([[100, 65534], [200, 0]]);
  const index = new FdIndex(w, undefined, { uidOf: (pid) => uid.get(pid), perUser: 10, total: 7 });
  assert.deepEqual([...index.cut], [[200, 3]]);
  assert.equal(new FdIndex(w).cut.size, 0);
  assert.equal(holders(new FdIndex(w), w).get(9)!.length, 5);
});

test('rows of processes dropped by keepPid are not counted against anyone', () => {
  const w = walkOf([...dups(100, 7, 5), ...dups(101, 7, 5)]);
  const index = new FdIndex(w, (pid) => pid !== 100, { uidOf: () => 1000, perUser: 5, total: 100 });
  assert.equal(index.cut.size, 0);
  assert.deepEqual(holders(index, w).get(7), [101, 101, 101, 101, 101]);
});
