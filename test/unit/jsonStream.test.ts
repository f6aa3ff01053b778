// snapshot --json streams its output in chunks (src/cli/jsonStream.ts): the text must be exactly
// JSON.stringify(value, null, 2) + "\n", whatever the values hold, and no chunk may be the whole document.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeJsonStream } from '../../src/cli/jsonStream';

const stream = (v: Record<string, unknown>): { text: string; chunks: number; largest: number } => {
  const parts: string[] = [];
  writeJsonStream(v, (c) => parts.push(c));
  return { text: parts.join(''), chunks: parts.length, largest: Math.max(...parts.map((p) => p.length)) };
};
const same = (v: Record<string, unknown>) => assert.equal(stream(v).text, JSON.stringify(v, null, 2) + '\n');

test('the same text as JSON.stringify(value, null, 2) for the snapshot shape and its corner cases', () => {
  same({});
  same({ a: undefined, f: () => 1 });
  same({ version: 1, empty: [], nested: { x: [1, { y: 'a\nb' }], z: {} }, nil: null });
  same({
    processes: [{ pid: 1, cmdline: ['a b', 'c\n"d"'], signals: { caught: ['SIGTERM'], pending: [] } }, { pid: 2, cmdline: [] }],
    channels: [
      { id: 'pipe:1', endpoints: [{ pid: 1, fd: 3, mode: 'w' }], bufferedBytes: null, undef: undefined },
      { id: 'unix:2', endpoints: [], path: '/tmp/x\u2028\u0000y', values: [[1, 2], []] },
    ],
    sparse: [undefined, () => 0, 3],
    warnings: ['a', 'b'],
  });
});

test('large arrays go out in bounded chunks, not one string', () => {
  const channels = Array.from({ length: 20000 }, (_, i) => ({ id: `unix:${i}`, kind: 'unix', endpoints: [{ pid: i, fd: 3, mode: 'rw' }], recvQueue: 0 }));
  const v = { version: 1, channels };
  const r = stream(v);
  assert.equal(r.text, JSON.stringify(v, null, 2) + '\n');
  assert.ok(r.chunks > 20, `${r.chunks} chunks`);
  assert.ok(r.largest < 80 * 1024, `largest chunk ${r.largest} chars`);
});

test('with safeJson: the same text as safeJson(value, 2), hostile characters escaped in every chunk', async () => {
  const { safeJson } = await import('../../src/core/escape');
  const v = { processes: [{ comm: 'a\u202eb\u2028c\u009bd\u007f' }], channels: Array.from({ length: 3000 }, (_, i) => ({ id: `x\u2029${i}`, path: '\u200f/tmp/\u0085' })) };
  const parts: string[] = [];
  writeJsonStream(v, (c) => parts.push(c), safeJson);
  assert.equal(parts.join(''), safeJson(v, 2) + '\n');
  assert.ok(parts.every((p) => !/[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e]/.test(p)));
});

test('an array longer than a few thousand goes out element by element wherever it is (a pipe end dup\'d in every fd of many processes: millions of endpoints on one channel)', () => {
  const endpoints = Array.from({ length: 60000 }, (_, i) => ({ pid: 1000 + (i % 7), fd: i, mode: 'r' }));
  const v = { version: 1, channels: [{ id: 'pipe:1', kind: 'pipe', endpoints, inode: 1, f: undefined }, { id: 'pipe:2', endpoints: [] }], warnings: [] };
  const r = stream(v);
  assert.equal(r.text, JSON.stringify(v, null, 2) + '\n');
  // the one channel is ~4 MB of text: never one piece
  assert.ok(r.largest < 80 * 1024, `largest chunk ${r.largest} chars`);
  // compact (watch --json's one line per diff), and nested deeper
  const deep = { addedChannels: [{ id: 'x', groups: [{ endpoints }] }], removedChannels: [] };
  const parts: string[] = [];
  writeJsonStream(deep, (c) => parts.push(c), undefined, 0);
  assert.equal(parts.join(''), JSON.stringify(deep) + '\n');
  const flat: string[] = [];
  writeJsonStream(v, (c) => flat.push(c), undefined, 0);
  assert.equal(flat.join(''), JSON.stringify(v) + '\n');
  assert.ok(Math.max(...flat.map((p) => p.length)) < 80 * 1024);
});
