// The worker's digest of the previous snapshot (core/snapshotDigest.ts): a fingerprint is equal
// exactly when diff.ts's comparison says equal (channelsEqual for channels, deepEqual for
// processes), on the cases that comparison is particular about and on random mutations; and
// diffFromDigest gives the diff diffSnapshots gives, entry for entry and in the same order, over
// sequences of random snapshots with churn. Real snapshots: test/integration/snapshotDigest.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelsEqual, compareChannels, deepEqual, diffSnapshots, sortChannels } from '../../src/core/diff';
import type { Channel, ProcessInfo, Snapshot } from '../../src/core/model';
import { channelFingerprint, diffFromDigest, digestSnapshot, processFingerprint } from '../../src/core/snapshotDigest';

const sameCh = (a: Channel, b: Channel): boolean => {
  const [x1, x2] = channelFingerprint(a);
  const [y1, y2] = channelFingerprint(b);
  return x1 === y1 && x2 === y2;
};
const sameProc = (a: ProcessInfo, b: ProcessInfo): boolean => {
  const [x1, x2] = processFingerprint(a);
  const [y1, y2] = processFingerprint(b);
  return x1 === y1 && x2 === y2;
};
const ch = (o: Record<string, unknown>): Channel => ({ id: 'unix:5', kind: 'unix', endpoints: [{ pid: 1, fd: 3, mode: 'rw' }], ...o }) as unknown as Channel;

function proc(pid: number, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid,
    ppid: 1,
    comm: 'p' + pid,
    cmdline: ['p' + pid, '--flag'],
    uid: 0,
    user: 'root',
    startTime: pid * 10,
    state: 'S',
    tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: ['SIGINT'], ignored: [], caught: ['SIGTERM'], signalfd: [], queued: 0, queueLimit: 100 },
    timers: [],
    threads: 1,
    cwd: '/',
    exe: null,
    container: null,
    nsPid: [pid],
    pidns: '4026531836',
    netns: '4026531840',
    ...extra,
  };
}

test('channel fingerprints agree with channelsEqual on the cases it is particular about', () => {
  const cases: Array<[string, Channel, Channel]> = [
    ['same content, other key order', ch({ inode: 5, peer: 'unix:6', path: '/a' }), { path: '/a', peer: 'unix:6', inode: 5, endpoints: [{ mode: 'rw', fd: 3, pid: 1 }], kind: 'unix', id: 'unix:5' } as unknown as Channel],
    ['a key whose value is undefined is absent', ch({ inode: 5, path: undefined }), ch({ inode: 5 })],
    ['null is not absent', ch({ inode: 5, path: null }), ch({ inode: 5 })],
    ['"5" is not 5', ch({ inode: '5' }), ch({ inode: 5 })],
    ['-0 is 0', ch({ recvQ: -0 }), ch({ recvQ: 0 })],
    ['a NaN field is never equal (compared with !==)', ch({ recvQ: NaN }), ch({ recvQ: NaN })],
    ['a nested NaN is equal (deepEqual)', ch({ errors: [{ field: 'x', n: NaN }] }), ch({ errors: [{ field: 'x', n: NaN }] })],
    ['a float field', ch({ ratio: 0.1 + 0.2 }), ch({ ratio: 0.3 })],
    ['a large number', ch({ inode: 2 ** 40 + 1 }), ch({ inode: 2 ** 40 + 1 })],
    ['a large number differs', ch({ inode: 2 ** 40 + 1 }), ch({ inode: 2 ** 40 + 2 })],
    ['endpoint order counts', ch({ endpoints: [{ pid: 1, fd: 3, mode: 'r' }, { pid: 2, fd: 4, mode: 'w' }] }), ch({ endpoints: [{ pid: 2, fd: 4, mode: 'w' }, { pid: 1, fd: 3, mode: 'r' }] })],
    ['endpoint mapOffset counts', ch({ endpoints: [{ pid: 1, map: '7f-80', mapOffset: 8192, mode: 'rw' }] }), ch({ endpoints: [{ pid: 1, map: '7f-80', mode: 'rw' }] })],
    ['endpoints: only pid, fd, mode, map, mapOffset count', ch({ endpoints: [{ pid: 1, fd: 3, mode: 'rw', extra: 1 }] }), ch({ endpoints: [{ pid: 1, fd: 3, mode: 'rw' }] })],
    ['endpoint fd vs map', ch({ endpoints: [{ pid: 1, map: '7f-80', mode: 'rw' }] }), ch({ endpoints: [{ pid: 1, fd: 3, mode: 'rw' }] })],
    ['endpoint with a NaN pid', ch({ endpoints: [{ pid: NaN, fd: 3, mode: 'rw' }] }), ch({ endpoints: [{ pid: NaN, fd: 3, mode: 'rw' }] })],
    ['arrays by order', ch({ values: [1, 2] }), ch({ values: [2, 1] })],
    ['array vs object', ch({ values: [1] }), ch({ values: { 0: 1 } })],
    ['undefined vs null in an array', ch({ values: [undefined] }), ch({ values: [null] })],
    ['string content split differently', ch({ path: 'ab', name: 'c' }), ch({ path: 'a', name: 'bc' })],
    ['key and value swapped', ch({ a: 'b' }), ch({ b: 'a' })],
    ['two keys swapping values', ch({ a: 1, b: 2 }), ch({ a: 2, b: 1 })],
    ['an empty object vs an empty array', ch({ v: {} }), ch({ v: [] })],
    ['true vs 1', ch({ destroyed: true }), ch({ destroyed: 1 })],
    ['non-ASCII text', ch({ path: '/tmp/\u00e9\u{1f600}' }), ch({ path: '/tmp/\u00e9\u{1f600}' })],
    ['non-ASCII text differs', ch({ path: '/tmp/\u00e9\u{1f600}' }), ch({ path: '/tmp/\u00e9\u{1f601}' })],
  ];
  for (const [what, a, b] of cases) assert.equal(sameCh(a, b), channelsEqual(a, b), what);
  // a holder that mapped another window of the object at the same addresses changed the channel
  const [, moved, first] = cases.find(([w]) => w === 'endpoint mapOffset counts')!;
  assert.equal(channelsEqual(moved, first), false);
});

test('process fingerprints agree with deepEqual', () => {
  const p = proc(10);
  const cases: Array<[string, ProcessInfo, ProcessInfo]> = [
    ['a copy', p, JSON.parse(JSON.stringify(p)) as ProcessInfo],
    ['key order', p, Object.fromEntries(Object.entries(p).reverse()) as unknown as ProcessInfo],
    ['undefined key', { ...p, errors: undefined }, p],
    ['renamed', { ...p, comm: 'evil' }, p],
    ['cmdline split differently', { ...p, cmdline: ['a b', 'c'] }, { ...p, cmdline: ['a', 'b c'] }],
    ['signals nested', { ...p, signals: { ...p.signals, pending: ['SIGUSR1'] } }, p],
    ['a nested NaN is equal', { ...p, signals: { ...p.signals, queued: NaN } }, { ...p, signals: { ...p.signals, queued: NaN } }],
    ['a top-level NaN is equal (deepEqual)', { ...p, threads: NaN }, { ...p, threads: NaN }],
    ['container null vs absent', { ...p, container: undefined }, p],
  ];
  for (const [what, a, b] of cases) assert.equal(sameProc(a, b), deepEqual(a, b), what);
});

/** A small deterministic PRNG (the same runs every time). */
function prng(seed: number): (n: number) => number {
  return (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed % n;
  };
}

const KIND_IDS = ['pipe', 'fifo', 'unix', 'tcp'] as const;

function randomChannel(rnd: (n: number) => number, inode: number): Channel {
  const kind = KIND_IDS[rnd(KIND_IDS.length)];
  const eps = [];
  for (let i = rnd(3); i >= 0; i--) eps.push(rnd(5) === 0 ? { pid: rnd(50) + 1, map: '7f00-7f10', mode: 'rw' } : { pid: rnd(50) + 1, fd: rnd(64), mode: ['r', 'w', 'rw'][rnd(3)] });
  const c: Record<string, unknown> = { id: `${kind}:${inode}`, kind, endpoints: eps, inode };
  if (kind === 'pipe' || kind === 'fifo') {
    c.bufferedBytes = rnd(3) ? null : rnd(100);
    c.capacity = 65536;
    if (kind === 'fifo') c.path = ['/tmp/f', '/tmp/f\n2', '/run/x y'][rnd(3)];
  } else {
    c.recvQ = rnd(4);
    c.sendQ = rnd(2) ? 0 : null;
    if (kind === 'unix') c.peer = rnd(2) ? `unix:${inode + 1}` : null;
    if (rnd(6) === 0) c.errors = [{ field: 'recvQ', syscall: 'sock_diag', code: 'EACCES' }];
  }
  return c as unknown as Channel;
}

/** One random change to a copy of `c` (or none): a field, an endpoint, key order, an undefined key. */
function mutate(rnd: (n: number) => number, c: Channel): Channel {
  const x = JSON.parse(JSON.stringify(c)) as Record<string, unknown>;
  switch (rnd(8)) {
    case 0:
      return x as unknown as Channel; // unchanged copy
    case 1:
      return Object.fromEntries(Object.entries(x).reverse()) as unknown as Channel; // key order only
    case 2:
      x.undef = undefined; // an undefined key only
      return x as unknown as Channel;
    case 3:
      (x.endpoints as Array<Record<string, unknown>>).push({ pid: rnd(50) + 1, fd: rnd(64), mode: 'r' });
      return x as unknown as Channel;
    case 4: {
      const eps = x.endpoints as Array<Record<string, unknown>>;
      if (eps.length) eps[0].fd = (eps[0].fd as number ?? 0) + 1;
      return x as unknown as Channel;
    }
    case 5:
      x.recvQ = rnd(3);
      return x as unknown as Channel;
    case 6:
      x.errors = rnd(2) ? [{ field: 'recvQ', syscall: 'sock_diag', code: 'EPERM' }] : undefined;
      return x as unknown as Channel;
    default:
      x.path = rnd(2) ? '/tmp/f' : '/tmp/g';
      return x as unknown as Channel;
  }
}

test('fingerprints agree with channelsEqual on 20,000 random mutations', () => {
  const rnd = prng(11);
  let equal = 0;
  for (let i = 0; i < 20000; i++) {
    const a = randomChannel(rnd, i + 1);
    const b = mutate(rnd, a);
    const eq = channelsEqual(a, b);
    if (eq) equal++;
    assert.equal(sameCh(a, b), eq, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  assert.ok(equal > 2000 && equal < 18000, `both outcomes were exercised (${equal} equal)`);
});

function randomSnapshot(rnd: (n: number) => number, takenAt: string, prev: Snapshot | null): Snapshot {
  const channels: Channel[] = [];
  if (prev) {
    // churn: drop some, change some, keep the rest, add new ones
    for (const c of prev.channels) {
      const r = rnd(10);
      if (r === 0) continue;
      channels.push(r < 3 ? mutate(rnd, c) : c);
    }
  }
  const taken = new Set(channels.map((c) => (c as { inode: number }).inode));
  for (let i = rnd(40); i > 0; i--) {
    const ino = rnd(2000) + 1;
    if (!taken.has(ino)) {
      taken.add(ino);
      channels.push(randomChannel(rnd, ino));
    }
  }
  const processes: ProcessInfo[] = [];
  for (let pid = 1; pid <= 30; pid++) if (rnd(4)) processes.push(proc(pid, rnd(5) ? {} : { comm: 'c' + rnd(3), threads: rnd(3) + 1 }));
  return {
    version: 1,
    takenAt,
    durationMs: rnd(100),
    host: { kernel: '6.1', hostname: 'h' },
    capabilities: { native: true, mqueueMounted: true, sockDiag: true, msgCopy: true, pidfd: true, root: true, euid: 0, ptraceScope: null, threads: 2 },
    warnings: rnd(3) ? [] : ['w'],
    processes,
    channels: channels.sort(compareChannels),
  };
}

test('diffFromDigest equals diffSnapshots over 200 random snapshots with churn (entries and order)', () => {
  const rnd = prng(5);
  let prev: Snapshot | null = null;
  let digest = null;
  const seen = { added: 0, removed: 0, changed: 0, procChanged: 0 };
  for (let i = 0; i < 200; i++) {
    const next = randomSnapshot(rnd, `t${i}`, prev);
    const nextDigest = digestSnapshot(next);
    const want = diffSnapshots(prev, next);
    assert.deepEqual(diffFromDigest(digest, next, nextDigest), want, `step ${i}`);
    seen.added += want.addedChannels.length;
    seen.removed += want.removedChannels.length;
    seen.changed += want.changedChannels.length;
    seen.procChanged += want.changedProcesses.length + want.removedProcesses.length + want.addedProcesses.length;
    prev = next;
    digest = nextDigest;
  }
  for (const [k, v] of Object.entries(seen)) assert.ok(v > 50, `the sequence exercised ${k} (${v})`);
});

test('diffFromDigest on unsorted snapshots too (ids matched, not positions)', () => {
  const rnd = prng(9);
  const a = randomSnapshot(rnd, 'a', null);
  const b = randomSnapshot(rnd, 'b', a);
  const shuffle = <T>(xs: T[]): T[] => xs.map((x) => [rnd(1 << 20), x] as const).sort((p, q) => p[0] - q[0]).map((p) => p[1]);
  const ua = { ...a, channels: shuffle(a.channels), processes: shuffle(a.processes) };
  const ub = { ...b, channels: shuffle(b.channels), processes: shuffle(b.processes) };
  const want = diffSnapshots(ua, ub);
  assert.ok(want.removedChannels.length > 0 && want.changedChannels.length > 0 && want.addedChannels.length > 0);
  assert.deepEqual(diffFromDigest(digestSnapshot(ua), ub, digestSnapshot(ub)), want);
});

test('a first diff and a sort of 300,000 channels (no argument spread that overflows the stack)', () => {
  const n = 300000;
  const channels: Channel[] = [];
  for (let i = 0; i < n; i++) channels.push({ id: `pipe:${i + 1}`, kind: 'pipe', endpoints: [], inode: i + 1 } as unknown as Channel);
  const s: Snapshot = { ...randomSnapshot(prng(3), 'big', null), channels };
  const d = diffSnapshots(null, s);
  assert.equal(d.addedChannels.length, n);
  assert.deepEqual(diffFromDigest(null, s, digestSnapshot(s)).addedChannels.length, n);
  // channels without an inode (TIME-WAIT sockets, SysV, POSIX) sort by comparator, in one bucket
  const noInode = channels.map((c, i) => ({ ...c, id: `tcp:tw-${String(n - i).padStart(7, '0')}`, kind: 'tcp', inode: 0 }) as unknown as Channel);
  const sorted = sortChannels(noInode.slice());
  assert.equal(sorted.length, n);
  assert.equal(sorted[0].id, 'tcp:tw-0000001');
});
