// The Signals view's folding (core/activity/signalFold.ts) and its Clear mark (SignalLog.newestSeq):
// repeats of a rare signal fold only when consecutive; a routine flood (SIGCHLD from each child in
// turn) folds per receiver across other routine rows, never across a rare one; every row says how
// many entries it stands for, the first and last, how many senders; the row cap; nothing lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSignal, SignalLog } from '../../src/core/activity/signalLog';
import { foldSignals, signalFoldKey } from '../../src/core/activity/signalFold';
import type { TracerSignalRecord } from '../../src/core/activity/tracer';
import type { SignalEvent } from '../../src/core/activity/types';

let seq = 0;
const rec = (over: Partial<TracerSignalRecord>): TracerSignalRecord => ({
  timeMs: 1_800_000_000_000 + seq,
  senderPid: 100, senderTid: 100, senderUid: 0, senderStart: 5, senderComm: 'bash',
  targetPid: 200, targetTid: 200, targetStart: 9, targetComm: 'server',
  signal: 15, code: 0, group: true, result: 0, siErrno: 0, siPid: 100, siUid: 0, siValue: 0, flags: 0,
  ...over,
});
/** Entries oldest first, as the log holds them. */
const events = (...over: Array<Partial<TracerSignalRecord>>): SignalEvent[] => over.map((o) => decodeSignal(rec({ siPid: o.senderPid ?? 100, ...o }), ++seq));
/** Rows (newest first) as `SIGNAME×count` strings. */
const fold = (oldestFirst: SignalEvent[], max = 1000) => foldSignals([...oldestFirst].reverse(), max);
const short = (rows: ReturnType<typeof fold>) => rows.map((r) => `${r.newest.signalName}×${r.count}`);
const child = (pid: number, code = 1) => ({ signal: 17, code, senderPid: pid, senderTid: pid, senderStart: pid, senderComm: 'true', targetPid: 300, targetTid: 300, targetComm: 'sh' });

test('consecutive identical signals fold into one row: count, first and last, the newest shown; an interruption starts a new row', () => {
  const es = events({}, {}, {}, { signal: 10 }, {});
  const rows = fold(es);
  assert.deepEqual(short(rows), ['SIGTERM×1', 'SIGUSR1×1', 'SIGTERM×3']);
  const three = rows[2];
  assert.equal(three.oldest.seq, es[0].seq);
  assert.equal(three.newest.seq, es[2].seq);
  assert.equal(three.senders, 1);
  assert.equal(three.interleaved, false);
});

test('entries differing in sender, receiver (or its start time: another process), si_code, result, value or thread are not alike', () => {
  const base = events({})[0];
  const others = events({ senderPid: 101 }, { targetPid: 201 }, { targetStart: 10 }, { code: -6 }, { result: 1 }, { code: -1, siValue: 7 }, { group: false, targetTid: 201 }, { siPid: 1 });
  for (const o of others) assert.notEqual(signalFoldKey(o), signalFoldKey(base), JSON.stringify(o));
  assert.equal(signalFoldKey(events({ senderTid: 102 })[0]), signalFoldKey(base), 'another thread of the same sender');
  assert.equal(fold([base, ...others]).length, others.length + 1);
  // sigqueue with the same value folds, with another value does not
  assert.deepEqual(short(fold(events({ code: -1, siValue: 7 }, { code: -1, siValue: 7 }, { code: -1, siValue: 8 }))), ['SIGTERM×1', 'SIGTERM×2']);
});

test('a SIGCHLD flood (each from another child) folds per receiver into one row that counts its senders; a child killed is another row', () => {
  const es = events(...Array.from({ length: 300 }, (_, i) => child(1000 + i)), child(2000, 2));
  const rows = fold(es);
  assert.deepEqual(short(rows), ['SIGCHLD×1', 'SIGCHLD×300']);
  assert.equal(rows[1].senders, 300);
  assert.equal(rows[1].oldest.sender?.pid, 1000);
  assert.equal(rows[1].newest.sender?.pid, 1299);
  assert.equal(rows[0].newest.codeName, 'CLD_KILLED');
});

test('routine floods fold across each other (interleaved), never across a rare signal: the rare one stays between its bursts', () => {
  const make = (pid: number) => ({ ...child(pid), targetPid: 400, targetStart: 4, targetComm: 'make' });
  const alarm = { signal: 14, code: 0x80, senderPid: 0, senderComm: 'swapper/0', targetPid: 500, targetComm: 'poller' };
  const es = events(child(1), make(2), alarm, child(3), make(4), alarm, { signal: 15 }, child(5), make(6), child(7));
  const rows = fold(es);
  // newest first: after the SIGTERM sh ×2, make ×1; the SIGTERM; before it sh ×2, make ×2, alarm ×2
  assert.deepEqual(rows.map((r) => `${r.newest.signalName}→${r.newest.receiver.comm}×${r.count}`), ['SIGCHLD→sh×2', 'SIGCHLD→make×1', 'SIGTERM→server×1', 'SIGALRM→poller×2', 'SIGCHLD→make×2', 'SIGCHLD→sh×2']);
  assert.equal(rows[0].interleaved, true);
  assert.equal(rows[3].senders, 0, 'the kernel sent them');
  assert.equal(rows[3].newest.senderKind, 'kernel');
  // nothing lost: the rows stand for every entry, each once
  assert.equal(rows.reduce((n, r) => n + r.count, 0), es.length);
  // a rare signal never folds across a routine one
  assert.deepEqual(short(fold(events({}, child(9), {}))), ['SIGTERM×1', 'SIGCHLD×1', 'SIGTERM×1']);
});

test('at most maxRows rows: the walk stops at the first entry that would start one more (a shown row counts only what came before it)', () => {
  const es = events({ signal: 1 }, { signal: 2 }, { signal: 3 }, { signal: 3 }, { signal: 4 });
  const rows = fold(es, 2);
  assert.deepEqual(short(rows), ['SIGILL×1', 'SIGQUIT×2']);
  assert.deepEqual(fold([], 5), []);
});

test('Clear\'s mark is the newest sequence number held, across both rings (0 when empty)', () => {
  const log = new SignalLog(8);
  assert.equal(log.newestSeq, 0);
  const added = log.addRecords([rec({}), rec(child(1)), rec({ signal: 10 })]);
  assert.equal(log.newestSeq, added[2].seq);
  const more = log.addRecords([rec(child(2))]);
  assert.equal(log.newestSeq, more[0].seq, 'a routine one, newest');
  // after the rings wrap
  const many = log.addRecords(Array.from({ length: 20 }, (_, i) => rec(i % 2 ? {} : child(i))));
  assert.equal(log.newestSeq, many[19].seq);
  assert.ok(log.all().every((e) => e.seq <= log.newestSeq));
});
