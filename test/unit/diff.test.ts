// The snapshot diff (core/diff.ts): diff then applyDiff gives back the new snapshot, on hand-made and
// random snapshots; the channel order it relies on; and a big diff split into bounded parts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDiff, compareChannels, deepEqual, diffSnapshots, isEmptyDiff } from '../../src/core/diff';
import type { Channel, ProcessInfo, Snapshot } from '../../src/core/model';

function proc(pid: number, comm = 'p' + pid, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid,
    ppid: 1,
    comm,
    cmdline: [comm],
    uid: 0,
    user: 'root',
    startTime: pid * 10,
    state: 'S',
    tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: ['SIGTERM'], queued: 0, queueLimit: 100 },
    timers: [],
    threads: 1,
    cwd: '/',
    exe: null,
    ...extra,
  };
}

const pipe = (inode: number, eps: Array<[number, number, 'r' | 'w']>, buffered: number | null = null): Channel => ({
  id: 'pipe:' + inode,
  kind: 'pipe',
  endpoints: eps.map(([pid, fd, mode]) => ({ pid, fd, mode })),
  inode,
  bufferedBytes: buffered,
  capacity: null,
});

function snap(takenAt: string, channels: Channel[], processes: ProcessInfo[]): Snapshot {
  return {
    version: 1,
    takenAt,
    durationMs: 3,
    host: { kernel: '6.1', hostname: 'h' },
    capabilities: { native: false, mqueueMounted: false, sockDiag: false, msgCopy: null, pidfd: false, root: true, euid: 0, ptraceScope: null, threads: 1 },
    warnings: [],
    processes: processes.sort((a, b) => a.pid - b.pid),
    channels: channels.sort(compareChannels),
  };
}

const shm: Channel = {
  id: 'sysv-shm:7',
  kind: 'sysv-shm',
  endpoints: [{ pid: 10, map: '7f00-7f10', mode: 'rw' }],
  key: 0,
  shmid: 7,
  size: 4096,
  attachCount: 1,
  creatorPid: 10,
  lastPid: 10,
  uid: 0,
  owner: 'root',
  mode: '0600',
  destroyed: false,
  orphaned: false,
};

test('diff/applyDiff round trip: add, remove, change channels and processes', () => {
  const a = snap('t1', [pipe(100, [[10, 3, 'w'], [11, 0, 'r']]), pipe(200, [[10, 4, 'w']]), shm], [proc(10), proc(11), proc(12)]);
  const b = snap(
    't2',
    [pipe(100, [[10, 3, 'w'], [11, 0, 'r']], 42), pipe(50, [[13, 1, 'w'], [12, 0, 'r']]), { ...shm, attachCount: 2 } as Channel, pipe(300, [])],
    [proc(10), proc(11, 'renamed'), proc(13)],
  );
  const d = diffSnapshots(a, b);
  assert.deepEqual(d.removedChannels, ['pipe:200']);
  assert.deepEqual(d.addedChannels.map((c) => c.id).sort(), ['pipe:300', 'pipe:50']);
  assert.deepEqual(d.changedChannels.map((c) => c.id).sort(), ['pipe:100', 'sysv-shm:7']);
  assert.deepEqual(d.removedProcesses, [12]);
  assert.deepEqual(d.addedProcesses.map((p) => p.pid), [13]);
  assert.deepEqual(d.changedProcesses.map((p) => p.pid), [11]);
  assert.equal(d.fromTakenAt, 't1');
  assert.deepEqual(applyDiff(a, d), b);
  // from nothing
  assert.deepEqual(applyDiff(null, diffSnapshots(null, b)), b);
  // identical → empty diff, unchanged objects reused
  const same = diffSnapshots(b, b);
  assert.ok(isEmptyDiff(same));
  const c = applyDiff(b, same);
  assert.equal(c.channels[0], b.channels[0]);
});

test('round trip on many random snapshots', () => {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const make = (t: string) => {
    const chans: Channel[] = [];
    const seen = new Set<number>();
    const count = rnd(2) ? 40 : 400;
    for (let i = 0; i < count; i++) {
      const ino = rnd(count + 20) + 1;
      if (seen.has(ino)) continue;
      seen.add(ino);
      chans.push(pipe(ino, [[rnd(5) + 1, rnd(4), rnd(2) ? 'r' : 'w']], rnd(3) ? null : rnd(100)));
    }
    const procs: ProcessInfo[] = [];
    for (let p = 1; p <= 5; p++) if (rnd(3)) procs.push(proc(p, 'c' + rnd(2)));
    return snap(t, chans, procs);
  };
  let prev = make('t0');
  for (let i = 1; i < 50; i++) {
    const next = make('t' + i);
    assert.deepEqual(applyDiff(prev, diffSnapshots(prev, next)), next);
    prev = next;
  }
});

test('deepEqual treats undefined properties as absent and compares arrays by order', () => {
  assert.ok(deepEqual({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(!deepEqual({ a: [1, 2] }, { a: [2, 1] }));
  assert.ok(!deepEqual({ a: null }, { a: 0 }));
  assert.ok(deepEqual(NaN, NaN));
  assert.ok(!deepEqual([1], { 0: 1 }));
});

test('compareChannels: total order (inode channels first, then by id)', () => {
  const tw: Channel = { id: 'tcp:4026531840:127.0.0.1:1->127.0.0.1:2', kind: 'tcp', endpoints: [], family: 4, local: '', remote: '', state: 'TIME-WAIT', recvQueue: 0, sendQueue: 0, inode: 0, netns: '', uid: 0 };
  const t10 = { ...tw, id: 'tcp:10', inode: 10 } as Channel;
  const t9 = { ...tw, id: 'tcp:9', inode: 9 } as Channel;
  const sorted = [tw, t10, t9].sort(compareChannels).map((c) => c.id);
  assert.deepEqual(sorted, ['tcp:9', 'tcp:10', tw.id]);
});

test('sortChannels gives the same order as sort(compareChannels)', async () => {
  const { sortChannels } = await import('../../src/core/diff');
  const list: Channel[] = [];
  for (let i = 0; i < 500; i++) list.push(pipe(((i * 7919) % 1000) + 1, []));
  for (let i = 0; i < 20; i++) list.push({ ...shm, id: 'sysv-shm:' + (i * 37) % 11 + i, shmid: i } as Channel);
  for (let i = 0; i < 30; i++)
    list.push({ id: `fifo:0:${i % 3}:${(i % 5) + 1}`, kind: 'fifo', endpoints: [], inode: (i % 5) + 1, dev: `0:${i % 3}`, path: '/x', deleted: false, bufferedBytes: null, capacity: null });
  const tw = (n: number): Channel => ({ id: `tcp:1:a:${n}->b`, kind: 'tcp', endpoints: [], family: 4, local: '', remote: '', state: 'TIME-WAIT', recvQueue: 0, sendQueue: 0, inode: 0, netns: '1', uid: 0 });
  for (let i = 0; i < 30; i++) list.push(tw(i), { ...tw(i), id: 'tcp:' + (i + 1) * 13, inode: (i + 1) * 13 } as Channel);
  // inodes past 2^32 (64-bit inode file systems: FIFOs on XFS or btrfs) sort among the small ones
  // and past 2^53, where the radix sort hands over to a comparator
  for (let i = 0; i < 12; i++) list.push({ id: `fifo:0:8:${2 ** 60 + (i % 5) * 2 ** 10}`, kind: 'fifo', endpoints: [], inode: 2 ** 60 + (i % 5) * 2 ** 10, dev: `0:${8 + (i % 3)}`, path: '/z', deleted: false, bufferedBytes: null, capacity: null } as Channel);
  for (let i = 0; i < 20; i++) list.push({ id: `fifo:0:9:${2 ** 40 + (i % 7)}`, kind: 'fifo', endpoints: [], inode: 2 ** 40 + (i % 7), dev: `0:${9 + (i % 2)}`, path: '/y', deleted: false, bufferedBytes: null, capacity: null } as Channel);
  const expected = list.slice().sort(compareChannels).map((c) => c.id);
  assert.deepEqual(sortChannels(list.slice().reverse()).map((c) => c.id), expected);
});

test('diff works on unsorted snapshots too; findChannel finds by id', async () => {
  const { findChannel, sortChannels } = await import('../../src/core/diff');
  const a = snap('t1', [pipe(5, []), pipe(3, [[1, 1, 'w']]), shm], [proc(1)]);
  const b = snap('t2', [pipe(3, [[1, 1, 'r']]), pipe(9, [])], [proc(1)]);
  a.channels.reverse();
  b.channels.reverse();
  const d = diffSnapshots(a, b);
  assert.deepEqual(d.removedChannels.sort(), ['pipe:5', 'sysv-shm:7']);
  assert.deepEqual(d.addedChannels.map((c) => c.id), ['pipe:9']);
  assert.deepEqual(d.changedChannels.map((c) => c.id), ['pipe:3']);
  assert.deepEqual(applyDiff(a, d).channels, sortChannels(b.channels.slice()));
  const fifo: Channel = { id: 'fifo:0:26:77', kind: 'fifo', endpoints: [], inode: 77, dev: '0:26', path: '/x', deleted: false, bufferedBytes: null, capacity: null };
  const tw: Channel = { id: 'tcp:4026531840:[::1]:5->[::1]:6', kind: 'tcp', endpoints: [], family: 6, local: '[::1]:5', remote: '[::1]:6', state: 'TIME-WAIT', recvQueue: 0, sendQueue: 0, inode: 0, netns: '4026531840', uid: 0 };
  const list = sortChannels([pipe(1, []), pipe(70, []), fifo, shm, tw, { ...tw, id: 'tcp:12', inode: 12 } as Channel]);
  for (let i = 0; i < list.length; i++) assert.equal(findChannel(list, list[i].id), i, list[i].id);
  assert.equal(findChannel(list, 'pipe:2'), -1);
  assert.equal(findChannel(list, 'nonsense'), -1);
});

test('splitDiff: applying the parts in order (through JSON) equals applying the whole diff', async () => {
  const { splitDiff } = await import('../../src/core/snapshotWorker');
  const a = snap('t1', Array.from({ length: 40 }, (_, i) => pipe(100 + i, [[10, i, 'r']])), [proc(1), proc(10)]);
  const b = snap(
    't2',
    Array.from({ length: 50 }, (_, i) => pipe(110 + i, [[10, i, i % 3 === 0 ? 'w' : 'r']], i % 5 === 0 ? 7 : null)),
    [proc(1), proc(11)],
  );
  for (const prev of [null, a]) {
    const d = diffSnapshots(prev, b);
    const parts = splitDiff(d, 7);
    assert.ok(parts.length > 3);
    for (const p of parts) assert.ok(p.addedChannels.length + p.changedChannels.length + p.removedChannels.length <= 7);
    let s = prev;
    for (const p of parts) s = applyDiff(s, JSON.parse(JSON.stringify(p)));
    assert.deepEqual(s, applyDiff(prev, d));
    assert.deepEqual(s!.channels, b.channels);
    assert.deepEqual(s!.processes, b.processes);
  }
  assert.equal(splitDiff(diffSnapshots(a, a)).length, 1);
});

test('encodeDiffParts: parts are bounded in bytes as well as in entries (40 SysV sets of 32,000 semaphores)', async () => {
  const { encodeDiffParts, DIFF_PART_BYTES } = await import('../../src/core/snapshotWorker');
  const n = 32000;
  const big = (semid: number): Channel =>
    ({
      id: `sysv-sem:${semid}`, kind: 'sysv-sem', key: 0, semid, nsems: n, uid: 65534, owner: 'nobody', mode: '0600',
      values: Array.from({ length: n }, (_, i) => (i * 7919) % 32768), waitingForIncrease: new Array(n).fill(0), waitingForZero: new Array(n).fill(0),
      lastPid: new Array(n).fill(123456), endpoints: [],
    }) as unknown as Channel;
  const channels = Array.from({ length: 40 }, (_, i) => big(1000 + i));
  const procs = Array.from({ length: 30 }, (_, i) => ({ ...proc(100 + i), cmdline: ['x'.repeat(200_000)] }));
  const b = snap('t1', channels, procs);
  const d = diffSnapshots(null, b);
  const whole = Buffer.byteLength(JSON.stringify(d));
  assert.ok(whole > 10 * DIFF_PART_BYTES, `the whole diff is ${whole} bytes`);
  const parts = encodeDiffParts(d);
  const sizes = parts.map((p) => Buffer.byteLength(p));
  assert.ok(Math.max(...sizes) <= DIFF_PART_BYTES, `largest part ${Math.max(...sizes)} bytes`);
  let s: Snapshot | null = null;
  for (const p of parts) s = applyDiff(s, JSON.parse(p));
  assert.deepEqual(s!.channels, b.channels);
  assert.deepEqual(s!.processes, b.processes);
  // One entry larger than the bound travels alone (never dropped, never cut).
  const tiny = encodeDiffParts(d, { maxBytes: 1000 });
  assert.equal(tiny.length, channels.length + procs.length);
  // The count bound still holds for many small entries.
  const many = encodeDiffParts(diffSnapshots(null, snap('t2', Array.from({ length: 50 }, (_, i) => pipe(100 + i, [])), [])), { maxEntries: 7 });
  assert.equal(many.length, 8);
});
