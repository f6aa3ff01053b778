// The CLI's text table (`ipc-inspector snapshot`): one cell another user made long (a FIFO at a
// 4,000-character path) is printed whole on its own row and does not widen every other row; a
// table of 150,000 rows renders (column widths without a spread of the rows).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLUMN_MAX, renderTable } from '../../src/cli/snapshot';
import type { Channel } from '../../src/core/model';
import { snapshotOf } from './helpers';

const snap = snapshotOf;

const fifo = (inode: number, path: string): Channel => ({
  id: `fifo:0:30:${inode}`,
  kind: 'fifo',
  endpoints: [{ pid: 100 + inode, fd: 3, mode: 'r' }],
  inode,
  dev: '0:30',
  path,
  deleted: false,
  bufferedBytes: 0,
  capacity: 65536,
});

test('a long cell shifts its own row only, and is printed whole', () => {
  const long = '/tmp/' + 'A'.repeat(4000);
  const lines = renderTable(snap([fifo(1, '/tmp/a'), fifo(2, long), fifo(3, '/tmp/b')])).split('\n');
  const row = (inode: number) => lines.find((l) => l.startsWith(`fifo:0:30:${inode} `))!;
  assert.ok(row(2).includes(long), 'the long path whole');
  for (const i of [1, 3]) assert.ok(row(i).length < 4 * COLUMN_MAX + 40, `row ${i} is ${row(i).length} wide`);
  assert.ok(row(1).indexOf(' fd 3') > 0);
  assert.equal(row(1).indexOf(' fd 3'), row(3).indexOf(' fd 3'), 'the short rows stay aligned');
});

test('150,000 rows render', () => {
  const many: Channel[] = [];
  for (let i = 1; i <= 150_000; i++) many.push(fifo(i, `/tmp/f${i}`));
  const out = renderTable(snap(many));
  assert.equal(out.split('\n').filter((l) => l.startsWith('fifo:')).length, 150_000);
});
