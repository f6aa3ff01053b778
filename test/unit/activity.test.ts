// Live activity's pure parts: raw counters → rates by channel id and process pairs (one-way
// channels, socket peers from the snapshot or the tracer, several senders and receivers, holders
// when nobody read yet, other IPC namespaces), the queue-depth fallback, signal decoding (si_code,
// who the sender is, results), the bounded log, the views' text filter, and `top`'s filter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityMonitor, ownIpcNamespace } from '../../src/core/activity/monitor';
import { channelIdOf, joinCounters, mergeRows, otherMqLookup, type CounterRow } from '../../src/core/activity/join';
import { DepthTracker, depthActivity } from '../../src/core/activity/queueDepth';
import { decodeSignal, decodeSiCode, SignalLog, signalMatchesText } from '../../src/core/activity/signalLog';
import { signalLine } from '../../src/core/activity/format';
import { TracerKind, signalRecords, type TracerAddon, type TracerRead, type TracerSignalRecord, type TracerStatus } from '../../src/core/activity/tracer';
import type { Channel, Snapshot } from '../../src/core/model';
import { snapshotOf } from './helpers';
import { filterSample } from '../../src/cli/top';

const IPCNS = 4026531839;
const ctx = { ipcNs: IPCNS, mqNames: new Map([['77/' + IPCNS, 'jobs']]) };

const row = (kind: TracerKind, dir: number, pid: number, ino: number, bytes: number, ops: number, extra: Partial<CounterRow> = {}): CounterRow => ({ kind, dir, pid, ino, dev: 0, bytes, ops, peer: 0, ...extra });

const snap = snapshotOf;

const pipeCh = (inode: number, eps: Array<[number, 'r' | 'w' | 'rw']>, buffered: number | null = null): Channel => ({
  id: `pipe:${inode}`,
  kind: 'pipe',
  endpoints: eps.map(([pid, mode], i) => ({ pid, fd: 3 + i, mode })),
  inode,
  bufferedBytes: buffered,
  capacity: 65536,
});

const unixCh = (inode: number, peer: number | null, pid: number, recvQueue = 0): Channel => ({
  id: `unix:${inode}`,
  kind: 'unix',
  endpoints: [{ pid, fd: 5, mode: 'rw' }],
  inode,
  type: 'stream',
  state: 'ESTAB',
  ...(peer ? { peer: `unix:${peer}`, peerInode: peer } : {}),
  recvQueue,
  sendQueue: 0,
  netns: '1',
} as unknown as Channel);

test('channel ids are the snapshot\'s: pipe, fifo dev:inode, sockets, SysV msqid (of another IPC namespace as ns/NS/ID), POSIX names; POSIX queues of other namespaces and unnamed queues are null', () => {
  assert.equal(channelIdOf(row(TracerKind.Pipe, 0, 1, 4901, 1, 1), ctx), 'pipe:4901');
  // makedev(254, 0) in glibc's encoding
  assert.equal(channelIdOf(row(TracerKind.Fifo, 0, 1, 12, 1, 1, { dev: 254 << 8 }), ctx), 'fifo:254:0:12');
  assert.equal(channelIdOf(row(TracerKind.Unix, 0, 1, 5, 1, 1), ctx), 'unix:5');
  assert.equal(channelIdOf(row(TracerKind.Tcp, 0, 1, 6, 1, 1), ctx), 'tcp:6');
  assert.equal(channelIdOf(row(TracerKind.Udp, 0, 1, 7, 1, 1), ctx), 'udp:7');
  assert.equal(channelIdOf(row(TracerKind.SysvMsg, 0, 1, 32768, 1, 1, { dev: IPCNS }), ctx), 'sysv-msg:32768');
  assert.equal(channelIdOf(row(TracerKind.SysvMsg, 0, 1, 32768, 1, 1, { dev: 4026532000 }), ctx), 'sysv-msg:ns/4026532000/32768', "another IPC namespace's queue, as the snapshot lists it");
  assert.equal(channelIdOf(row(TracerKind.PosixMq, 0, 1, 77, 1, 1, { dev: IPCNS }), ctx), 'posix-mq:jobs');
  assert.equal(channelIdOf(row(TracerKind.PosixMq, 0, 1, 78, 1, 1, { dev: IPCNS }), ctx), null);
});

test('a pipe: the writer\'s bytes and ops, the reader\'s, one exact pair, rate over the interval, counted once', () => {
  const rows = [row(TracerKind.Pipe, 0, 10, 4901, 200_000, 200), row(TracerKind.Pipe, 1, 11, 4901, 200_000, 37)];
  const j = joinCounters(rows, snap([pipeCh(4901, [[10, 'w'], [11, 'r']])]), 2000, ctx);
  const c = j.channels['pipe:4901'];
  assert.deepEqual(c.sent, { bytes: 200_000, ops: 200 });
  assert.deepEqual(c.received, { bytes: 200_000, ops: 37 });
  assert.equal(c.bytesPerSec, 100_000, 'one-way: max(in, out) / 2 s');
  assert.equal(c.opsPerSec, 100);
  assert.equal(c.inSnapshot, true);
  assert.deepEqual(c.processes.map((p) => p.pid), [10, 11]);
  assert.deepEqual(j.pairs, [{ from: 10, to: 11, channelId: 'pipe:4901', kind: 'pipe', bytes: 200_000, ops: 200, bytesPerSec: 100_000, opsPerSec: 100, receiverFrom: 'traced' }]);
  assert.deepEqual(j.unmatched, { bytes: 0, ops: 0, counters: 0 });
});

test('a Unix pair: sender\'s end → the peer (snapshot), receivers are who read the peer; a socket counts both directions', () => {
  const rows = [row(TracerKind.Unix, 0, 10, 5, 1000, 10), row(TracerKind.Unix, 1, 20, 6, 1000, 4), row(TracerKind.Unix, 0, 20, 6, 50, 1), row(TracerKind.Unix, 1, 10, 5, 50, 1)];
  const j = joinCounters(rows, snap([unixCh(5, 6, 10), unixCh(6, 5, 20)]), 1000, ctx);
  assert.equal(j.channels['unix:5'].bytesPerSec, 1050, 'sent + received at this end');
  const p = j.pairs.find((x) => x.from === 10)!;
  assert.deepEqual({ to: p.to, channelId: p.channelId, peer: p.peerChannelId, bytes: p.bytes, ops: p.ops }, { to: 20, channelId: 'unix:5', peer: 'unix:6', bytes: 1000, ops: 10 });
  const back = j.pairs.find((x) => x.from === 20)!;
  assert.deepEqual({ to: back.to, peer: back.peerChannelId, bytes: back.bytes }, { to: 10, peer: 'unix:5', bytes: 50 });
});

test('the tracer\'s Unix peer is used when the snapshot has none; a TCP socket without a local peer has no pair', () => {
  const j = joinCounters([row(TracerKind.Unix, 0, 10, 5, 10, 1, { peer: 6 }), row(TracerKind.Unix, 1, 20, 6, 10, 1), row(TracerKind.Tcp, 0, 10, 9, 99, 1)], null, 1000, ctx);
  assert.deepEqual(j.pairs.map((p) => [p.from, p.to, p.peerChannelId]), [[10, 20, 'unix:6']]);
  assert.equal(j.channels['unix:5'].inSnapshot, false);
});

test('several senders and receivers: bytes split by the receivers\' shares, marked estimated; one receiver is exact', () => {
  const rows = [
    row(TracerKind.Pipe, 0, 1, 7, 300, 3),
    row(TracerKind.Pipe, 0, 2, 7, 100, 1),
    row(TracerKind.Pipe, 1, 3, 7, 300, 3),
    row(TracerKind.Pipe, 1, 4, 7, 100, 1),
  ];
  const j = joinCounters(rows, null, 1000, ctx);
  assert.equal(j.pairs.length, 4);
  assert.ok(j.pairs.every((p) => p.estimated === true));
  assert.equal(j.pairs.find((p) => p.from === 1 && p.to === 3)!.bytes, 225);
  assert.equal(j.pairs.reduce((n, p) => n + p.bytes, 0), 400, 'the split keeps the total');
  const one = joinCounters([row(TracerKind.Pipe, 0, 1, 8, 300, 3), row(TracerKind.Pipe, 0, 2, 8, 100, 1), row(TracerKind.Pipe, 1, 3, 8, 400, 2)], null, 1000, ctx);
  assert.deepEqual(one.pairs.map((p) => [p.from, p.to, p.bytes, p.estimated]), [[1, 3, 300, undefined], [2, 3, 100, undefined]]);
});

test('nobody read yet: the holders of the read end (not the writer that also holds it), split evenly', () => {
  const j = joinCounters([row(TracerKind.Pipe, 0, 10, 4, 90, 3)], snap([pipeCh(4, [[10, 'rw'], [11, 'r'], [12, 'r']])]), 1000, ctx);
  assert.deepEqual(j.pairs.map((p) => [p.from, p.to, p.bytes, p.receiverFrom, p.estimated]), [[10, 11, 45, 'holders', true], [10, 12, 45, 'holders', true]]);
  const alone = joinCounters([row(TracerKind.Pipe, 0, 10, 4, 90, 3)], snap([pipeCh(4, [[10, 'rw']])]), 1000, ctx);
  assert.deepEqual(alone.pairs.map((p) => [p.from, p.to]), [[10, 10]], 'a process with both ends is its own reader when no one else holds it');
});

test('traffic of a SysV queue of another IPC namespace goes to that queue (as the snapshot lists it), a POSIX queue of another namespace to unmatched: not dropped', () => {
  const j = joinCounters([row(TracerKind.SysvMsg, 0, 1, 0, 64, 2, { dev: 1 }), row(TracerKind.PosixMq, 0, 1, 77, 16, 1, { dev: 1 })], null, 1000, ctx);
  assert.deepEqual(j.unmatched, { bytes: 16, ops: 1, counters: 1 });
  assert.deepEqual(Object.keys(j.channels), ['sysv-msg:ns/1/0']);
  assert.deepEqual(j.channels['sysv-msg:ns/1/0'].sent, { bytes: 64, ops: 2 });
});

test("traffic of another IPC namespace's POSIX queue goes to the queue the snapshot lists for that namespace and inode", () => {
  const theirs = (ns: string, ino: number, pid: number) => ({ id: `posix-mq:ns/0:${ns.length}/jobs`, kind: 'posix-mq', name: 'jobs', inode: ino, otherNamespace: true, endpoints: [{ pid, fd: 3, mode: 'rw' }] }) as unknown as Channel;
  const s = snap([theirs('4026532001', 77, 500), theirs('40265320022', 77, 600)]);
  s.processes = [{ pid: 500, ipcns: '4026532001' }, { pid: 600, ipcns: '40265320022' }] as unknown as Snapshot['processes'];
  const rows = [row(TracerKind.PosixMq, 0, 500, 77, 16, 1, { dev: 4026532001 }), row(TracerKind.PosixMq, 1, 600, 77, 8, 1, { dev: 40265320022 }), row(TracerKind.PosixMq, 0, 700, 78, 4, 1, { dev: 4026532001 })];
  const j = joinCounters(rows, s, 1000, { ...ctx, otherMq: otherMqLookup(s) });
  assert.deepEqual(j.channels['posix-mq:ns/0:10/jobs'].sent, { bytes: 16, ops: 1 });
  assert.deepEqual(j.channels['posix-mq:ns/0:11/jobs'].received, { bytes: 8, ops: 1 });
  assert.deepEqual(j.unmatched, { bytes: 4, ops: 1, counters: 1 }, 'a queue the snapshot does not list stays unmatched');
  assert.equal(j.channels['posix-mq:jobs'], undefined, 'never ours, though its name and inode are those of ours (77)');
});

test('mergeRows sums reads of the same counter', () => {
  const m = new Map<string, CounterRow>();
  mergeRows(m, [row(TracerKind.Pipe, 0, 1, 2, 10, 1)]);
  mergeRows(m, [row(TracerKind.Pipe, 0, 1, 2, 5, 2), row(TracerKind.Pipe, 1, 1, 2, 5, 1)]);
  assert.deepEqual([...m.values()].map((r) => [r.dir, r.bytes, r.ops]), [[0, 15, 3], [1, 5, 1]]);
});

test('queue depths: a pipe that filled, a socket that drained, a SysV queue with its last sender and receiver; unchanged channels are absent', () => {
  const msg = (messages: number, bytes: number, send: string | null, recv: string | null): Channel =>
    ({ id: 'sysv-msg:9', kind: 'sysv-msg', endpoints: [], key: 0, msqid: 9, messages, bytes, maxBytes: 16384, lastSendPid: 40, lastRecvPid: 41, uid: 0, owner: 'root', mode: '0600', lastSendTime: send, lastRecvTime: recv }) as unknown as Channel;
  const a = snap([pipeCh(1, [[1, 'w']], 100), unixCh(2, null, 1, 500), pipeCh(3, [[1, 'w']], 7), msg(1, 10, 't1', null)], '2026-01-01T00:00:00.000Z');
  const b = snap([pipeCh(1, [[1, 'w']], 3100), unixCh(2, null, 1, 0), pipeCh(3, [[1, 'w']], 7), msg(3, 30, 't2', 't2')], '2026-01-01T00:00:02.000Z');
  const d = depthActivity(a, b, 2000);
  assert.deepEqual(d.channels['pipe:1'].sent, { bytes: 3000, ops: 0 });
  assert.equal(d.channels['pipe:1'].bytesPerSec, 1500);
  assert.equal(d.channels['pipe:1'].estimated, true);
  assert.deepEqual(d.channels['unix:2'].received, { bytes: 500, ops: 0 });
  assert.equal(d.channels['pipe:3'], undefined);
  assert.deepEqual(d.channels['sysv-msg:9'].sent, { bytes: 20, ops: 2 });
  assert.deepEqual(d.channels['sysv-msg:9'].processes.map((p) => p.pid), [40, 41]);
  assert.deepEqual(d.pairs.map((p) => [p.from, p.to, p.receiverFrom, p.estimated]), [[40, 41, 'last-receiver', true]]);
});

test('the diff-fed depth tracker gives what comparing whole snapshots gives, looking only at changed channels', () => {
  const t = new DepthTracker();
  const a = [pipeCh(1, [[1, 'w']], 100), pipeCh(2, [[1, 'w']], 5)];
  assert.deepEqual(Object.keys(t.update({ fromTakenAt: null, addedChannels: a, removedChannels: [], changedChannels: [] }, 0).channels), []);
  const changed = [pipeCh(1, [[1, 'w']], 1100)];
  const d = t.update({ fromTakenAt: 'x', addedChannels: [], removedChannels: [], changedChannels: changed }, 1000);
  assert.deepEqual(d.channels['pipe:1'].sent, { bytes: 1000, ops: 0 });
  assert.deepEqual(Object.keys(d.channels), ['pipe:1'], 'unchanged pipe:2 not even looked at');
  const again = t.update({ fromTakenAt: 'y', addedChannels: [], removedChannels: ['pipe:2'], changedChannels: [pipeCh(1, [[1, 'w']], 100)] }, 500);
  assert.deepEqual(again.channels['pipe:1'].received, { bytes: 1000, ops: 0 });
  assert.equal(again.channels['pipe:1'].bytesPerSec, 2000);
});

const rec = (over: Partial<TracerSignalRecord>): TracerSignalRecord => ({
  timeMs: 1_800_000_000_000,
  senderPid: 100,
  senderTid: 100,
  senderUid: 0,
  senderStart: 5,
  senderComm: 'bash',
  targetPid: 200,
  targetTid: 200,
  targetStart: 9,
  targetComm: 'server',
  signal: 15,
  code: 0,
  group: true,
  result: 0,
  siErrno: 0,
  siPid: 100,
  siUid: 0,
  siValue: 0,
  flags: 0,
  ...over,
});

test('signal decoding: kill, sigqueue with a value, tgkill, a timer (no sender), the kernel, a child\'s exit, a fault; results', () => {
  const kill = decodeSignal(rec({}), 1);
  assert.deepEqual([kill.senderKind, kill.sender?.pid, kill.codeName, kill.via, kill.result, kill.signalName], ['process', 100, 'SI_USER', 'kill', 'delivered', 'SIGTERM']);
  const q = decodeSignal(rec({ code: -1, siValue: 42, signal: 12 }), 2);
  assert.deepEqual([q.via, q.value, q.codeName], ['sigqueue', 42, 'SI_QUEUE']);
  assert.equal(decodeSignal(rec({ code: -6, group: false, targetTid: 201 }), 3).via, 'tkill');
  const t = decodeSignal(rec({ code: -2, signal: 34, siValue: 7, senderPid: 0, senderComm: 'swapper/0' }), 4);
  assert.deepEqual([t.senderKind, t.sender, t.value, t.signalName, t.context?.comm], ['timer', null, 7, 'SIGRTMIN', 'swapper/0']);
  const k = decodeSignal(rec({ code: 0x80, flags: 2, signal: 14 }), 5);
  assert.deepEqual([k.senderKind, k.sender, k.codeName], ['kernel', null, 'SI_KERNEL']);
  const chld = decodeSignal(rec({ code: 1, signal: 17 }), 6);
  assert.deepEqual([chld.codeName, chld.via, chld.senderKind], ['CLD_EXITED', 'child', 'process']);
  assert.deepEqual(decodeSiCode(11, 1), { codeName: 'SEGV_MAPERR', via: 'fault' });
  assert.deepEqual(decodeSiCode(29, 1), { codeName: 'POLL_IN', via: 'sigio' });
  assert.deepEqual(decodeSiCode(10, 99), { codeName: '99', via: 'other' });
  assert.deepEqual([1, 2, 3, 4, 9].map((r) => decodeSignal(rec({ result: r }), 7).result), ['ignored', 'already-pending', 'queue-overflow', 'lost-info', 'unknown']);
  assert.equal(decodeSignal(rec({ siPid: 1 }), 8).claimedPid, 1, 'a sender in another pid namespace');
  assert.equal(decodeSignal(rec({}), 9).claimedPid, undefined);
});

test('signal columns from the addon become records (names by index)', () => {
  const f = (...v: number[]) => Float64Array.from(v);
  const i = (...v: number[]) => Int32Array.from(v);
  const recs = signalRecords({
    timeMs: f(1, 2), senderPid: f(10, 0), senderTid: f(10, 0), senderUid: f(0, 0), senderStart: f(5, 0), targetPid: f(20, 20), targetTid: f(20, 21), targetStart: f(9, 9),
    signal: i(15, 34), code: i(0, -2), group: i(1, 0), result: i(0, 1), siErrno: i(0, 0), siPid: f(10, 0), siUid: f(0, 0), siValue: i(0, 7), flags: i(1, 0),
    senderComm: i(0, 2), targetComm: i(1, 1), comms: ['bash', 'server', 'swapper/0'],
  });
  assert.deepEqual(recs.map((r) => [r.senderComm, r.targetComm, r.group, r.signal, r.siValue, r.targetTid]), [['bash', 'server', true, 15, 0, 20], ['swapper/0', 'server', false, 34, 7, 21]]);
});

test('the signal log: bounded, oldest out (counted), entries stay after the receiver is gone, matched by start time', () => {
  const log = new SignalLog(3);
  log.addRecords([rec({ signal: 1 }), rec({ signal: 2 }), rec({ signal: 3 }), rec({ signal: 4, targetStart: 10 })]);
  assert.deepEqual(log.all().map((e) => e.signal), [2, 3, 4]);
  assert.equal(log.evicted, 1);
  assert.deepEqual(log.forProcess(200, 9).received.map((e) => e.signal), [2, 3], 'a reused pid (another start time) is another process');
  assert.deepEqual(log.forProcess(100).sent.map((e) => e.signal), [2, 3, 4]);
  const seqs = log.all().map((e) => e.seq);
  assert.equal(new Set(seqs).size, 3);
  const other = new SignalLog();
  other.addRecords([rec({})]);
  assert.ok(!seqs.includes(other.all()[0].seq), 'sequence numbers are unique across logs');
  assert.throws(() => new SignalLog(0), RangeError);
});

test('the signal log: a flood of routine signals (SIGCHLD) does not push a rare one out; both kept in order', () => {
  const log = new SignalLog(4);
  assert.equal(log.routineCapacity, 1);
  log.addRecords([rec({ signal: 15 }), ...Array.from({ length: 50 }, () => rec({ signal: 17 })), rec({ signal: 10 }), rec({ signal: 28 })]);
  assert.deepEqual(log.all().map((e) => e.signal), [15, 10, 28], 'the SIGTERM was pushed out by SIGCHLDs');
  assert.equal(log.evicted, 50);
  const seqs = log.all().map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'oldest first across both rings');
  log.addRecords([rec({ signal: 17 })]);
  assert.deepEqual(log.all().map((e) => e.signal), [15, 10, 17]);
  assert.equal(log.size, 3);
  log.clear();
  assert.equal(log.size, 0);
});

test('the views\' text filter on signals: pid exactly, names, signal with or without SIG, code, result', () => {
  const e = decodeSignal(rec({ senderComm: 'killer', targetComm: 'nginx', signal: 9 }), 1);
  for (const q of ['', 'nginx', 'KILLER', 'sigkill', 'kill', '200', '100', 'si_user', 'delivered']) assert.ok(signalMatchesText(e, q), q);
  for (const q of ['20', 'postgres', 'SIGTERM']) assert.ok(!signalMatchesText(e, q), q);
});

test('a log line escapes what other users chose (comm)', () => {
  const line = signalLine(decodeSignal(rec({ targetComm: 'evil\x1b[2J\u202e' }), 1));
  assert.ok(!line.includes('\x1b') && !line.includes('\u202e'), line);
  assert.match(line, /bash\[100\] → "evil\\x1b\[2J\\u202e"\[200\] {2}SIGTERM {2}SI_USER {2}delivered$/);
});

test('a signal party whose name is not UTF-8 (the addon gives its bytes) is shown and found by them, controls still escaped', () => {
  const f = (...v: number[]) => Float64Array.from(v);
  const i = (...v: number[]) => Int32Array.from(v);
  const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
  const recs = signalRecords({
    timeMs: f(1, 2), senderPid: f(10, 11), senderTid: f(10, 11), senderUid: f(0, 0), senderStart: f(5, 6), targetPid: f(20, 20), targetTid: f(20, 20), targetStart: f(9, 9),
    signal: i(15, 15), code: i(0, 0), group: i(1, 1), result: i(0, 0), siErrno: i(0, 0), siPid: f(10, 11), siUid: f(0, 0), siValue: i(0, 0), flags: i(0, 0),
    senderComm: i(0, 1), targetComm: i(2, 2), comms: [bytes('k\xff'), bytes('k\xfe'), bytes('rx\x1b\xc3')],
  });
  const [a, b] = recs.map((r, k) => decodeSignal(r, k));
  const lines = [signalLine(a), signalLine(b)];
  assert.match(lines[0], /k\\xff\[10\] → rx\\x1b\\xc3\[20\]/);
  assert.match(lines[1], /k\\xfe\[11\] → /, 'two names that differ only in bytes that are not UTF-8 read differently');
  for (const l of lines) assert.ok(!/[\x00-\x1f\x7f\ufffd]/.test(l), JSON.stringify(l));
  assert.deepEqual([a.sender?.comm, a.sender?.commBytes], ['k\ufffd', '6bff'], 'the lossy text and, beside it, the bytes (as a process\'s commBytes)');
  assert.equal(recs[0].targetComm, 'rx\x1b\ufffd');
  assert.ok(signalMatchesText(a, 'k\\xff') && !signalMatchesText(b, 'k\\xff'), 'found by the name as shown');
  const utf8 = signalRecords({ ...{ timeMs: f(1), senderPid: f(1), senderTid: f(1), senderUid: f(0), senderStart: f(1), targetPid: f(2), targetTid: f(2), targetStart: f(2) },
    signal: i(15), code: i(0), group: i(1), result: i(0), siErrno: i(0), siPid: f(1), siUid: f(0), siValue: i(0), flags: i(0), senderComm: i(0), targetComm: i(0), comms: [bytes('caf\xc3\xa9')] });
  assert.deepEqual([utf8[0].senderComm, utf8[0].senderCommBytes], ['café', undefined], 'UTF-8 bytes are text, no bytes kept');
});

// ---- the monitor with an injected addon: what it does when the tracer fails, and lost deltas

function fakeAddon(reads: Array<Partial<TracerRead>>, start: Partial<TracerStatus> = {}): TracerAddon & { stops: number } {
  const empty = { kind: new Uint8Array(), dir: new Uint8Array(), pid: new Float64Array(), ino: new Float64Array(), dev: new Float64Array(), bytes: new Float64Array(), ops: new Float64Array(), peer: new Float64Array() };
  const f = () => new Float64Array();
  const i = () => new Int32Array();
  const noSignals = { timeMs: f(), senderPid: f(), senderTid: f(), senderUid: f(), senderStart: f(), targetPid: f(), targetTid: f(), targetStart: f(), signal: i(), code: i(), group: i(), result: i(), siErrno: i(), siPid: f(), siUid: f(), siValue: i(), flags: i(), senderComm: i(), targetComm: i(), comms: [] };
  const lost0 = { counterMapFull: 0, signalRingFull: 0, mqNameMapFull: 0, signalQueueFull: 0, recursion: 0 };
  const programs = { sys_exit: { attachPoint: 'tp_btf/sys_exit', part: 'pipes' as const, loaded: true, attached: true, runCount: 0, runTimeNs: 0, recursionMisses: 0 } };
  const status: TracerStatus = { ok: true, tried: true, loadMs: 1, programs, users: { pipes: 1, sockets: 0, signals: 0 }, ...start };
  const a = {
    stops: 0,
    tracerCheck: () => ({ ok: true }),
    tracerStart: async () => status,
    tracerStop: async () => {
      a.stops++;
      return status;
    },
    tracerStatus: () => status,
    tracerRead: async (): Promise<TracerRead> => ({ ok: true, attached: true, counters: empty, mqNames: [], signals: noSignals, lost: lost0, programs, swapMs: 0, drainMs: 0, ...(reads.shift() ?? {}) }),
  };
  return a;
}

test('monitor: a tracer that does not load falls back to queue depths with the reason', async () => {
  const m = new ActivityMonitor({ addon: fakeAddon([], { ok: false, code: 'EPERM', reason: 'not privileged: the tracer needs root or CAP_BPF+CAP_PERFMON' }) });
  const cap = await m.start();
  assert.deepEqual([cap.source, cap.tracerAvailable], ['queue-depth', false]);
  assert.match(cap.reason ?? '', /not privileged/);
  const s = await m.sample(snap([]));
  assert.equal(s.source, 'queue-depth');
});

test('monitor: lost events per interval and since start; a program that did not attach is named', async () => {
  const lost = (n: number) => ({ counterMapFull: n, signalRingFull: 0, mqNameMapFull: 0, signalQueueFull: 1, recursion: 0 });
  const addon = fakeAddon([{ lost: lost(5) }, { lost: lost(7) }, { lost: lost(12) }], {
    programs: {
      sys_exit: { attachPoint: 'tp_btf/sys_exit', part: 'pipes', loaded: true, attached: true, runCount: 0, runTimeNs: 0, recursionMisses: 0 },
      sock_send: { attachPoint: 'tp_btf/sock_send_length', part: 'sockets', loaded: false, loadError: 'no such tracepoint', attached: false, runCount: 0, runTimeNs: 0, recursionMisses: 0 },
    },
  });
  const m = new ActivityMonitor({ addon });
  const cap = await m.start();
  assert.equal(cap.source, 'bpf');
  assert.match(cap.reason ?? '', /sock_send \(tp_btf\/sock_send_length\): not loaded: no such tracepoint/);
  const s1 = await m.sample(null);
  assert.equal(s1.lost.counterMapFull, 2);
  assert.equal(s1.lost.total, 2);
  const s2 = await m.sample(null);
  assert.equal(s2.lost.counterMapFull, 5);
  assert.equal(s2.lostTotal.counterMapFull, 7, 'since start (5 were there before this monitor)');
  await m.stop();
  assert.equal(addon.stops, 1);
});

test('monitor: a POSIX queue is keyed as the snapshot keys it — by its bytes when its name is not UTF-8, apart from the queue named with the text it reads as', async () => {
  const ns = ownIpcNamespace();
  const counters = (inos: number[]) => ({
    kind: new Uint8Array(inos.map(() => TracerKind.PosixMq)), dir: new Uint8Array(inos.length), pid: new Float64Array(inos.map(() => 10)), ino: new Float64Array(inos),
    dev: new Float64Array(inos.map(() => ns)), bytes: new Float64Array(inos.map(() => 8)), ops: new Float64Array(inos.map(() => 1)), peer: new Float64Array(inos.length),
  });
  const mqNames = [
    { ino: 80, dev: ns, name: Buffer.from([0x71, 0xff]) },
    { ino: 81, dev: ns, name: Buffer.from([0x71, 0xfe]) },
    { ino: 82, dev: ns, name: Buffer.from('q\ufffd') },
  ];
  const m = new ActivityMonitor({ addon: fakeAddon([{}, { counters: counters([80, 81, 82]), mqNames }]) }); // start() takes the first read
  await m.start();
  const s = await m.sample(null);
  assert.deepEqual(Object.keys(s.channels).sort(), ['posix-mq:bytes/71fe', 'posix-mq:bytes/71ff', 'posix-mq:q\ufffd']);
  await m.stop();
});

test('monitor: a POSIX queue is named by the read that counted it, and no name outlives its sample (queues that come and go)', async () => {
  // each read counts a queue never seen before (made, used once, removed) and names it, as the addon does
  const N = 50;
  const ns = ownIpcNamespace();
  const reads: Array<Partial<TracerRead>> = [];
  for (let i = 0; i < N; i++) {
    const one = (v: number) => new Float64Array([v]);
    reads.push({
      counters: { kind: new Uint8Array([TracerKind.PosixMq]), dir: new Uint8Array([0]), pid: one(4242), ino: one(1000 + i), dev: one(ns), bytes: one(16), ops: one(1), peer: one(0) },
      mqNames: [{ ino: 1000 + i, dev: ns, name: Buffer.from(`q${i}`) }],
    });
  }
  const m = new ActivityMonitor({ addon: fakeAddon([{}, ...reads]) });
  assert.equal((await m.start()).source, 'bpf');
  for (let i = 0; i < N; i++) {
    const s = await m.sample(null);
    assert.deepEqual(Object.keys(s.channels), [`posix-mq:q${i}`], `sample ${i}: the queue counted now, by its name`);
    assert.equal(s.unmatched.counters, 0);
    assert.equal(m.sizes().mqNames, 0, `sample ${i}: no name kept after the join (was one per queue ever seen)`);
  }
  // counters from several reads between samples (the Signals view polls) are joined with the names of their own reads
  const m2 = new ActivityMonitor({ addon: fakeAddon([{}, reads[0], reads[1]]) });
  await m2.start();
  await m2.poll();
  const s = await m2.sample(null);
  assert.deepEqual(Object.keys(s.channels).sort(), ['posix-mq:q0', 'posix-mq:q1']);
  assert.equal(m2.sizes().mqNames, 0);
});

test('top --pid/--kind keeps channels a process sent, received or holds, and pairs from or to it', () => {
  const j = joinCounters([row(TracerKind.Pipe, 0, 10, 1, 5, 1), row(TracerKind.Pipe, 1, 11, 1, 5, 1), row(TracerKind.Unix, 0, 30, 2, 1, 1)], null, 1000, ctx);
  const sample = { at: '', intervalMs: 1000, source: 'bpf' as const, ...j, lost: { counterMapFull: 0, signalRingFull: 0, signalQueueFull: 0, mqNameMapFull: 0, recursion: 0, total: 0 }, lostTotal: { counterMapFull: 0, signalRingFull: 0, signalQueueFull: 0, mqNameMapFull: 0, recursion: 0, total: 0 }, capability: { source: 'bpf' as const, tracerAvailable: true } };
  const f = filterSample(sample, snap([unixCh(2, null, 99)]), new Set([11]), null);
  assert.deepEqual(Object.keys(f.channels), ['pipe:1']);
  assert.equal(f.pairs.length, 1);
  assert.deepEqual(Object.keys(filterSample(sample, snap([unixCh(2, null, 99)]), new Set([99]), null).channels), ['unix:2'], 'held (snapshot) counts');
  assert.deepEqual(Object.keys(filterSample(sample, null, null, new Set(['unix'])).channels), ['unix:2']);
});
