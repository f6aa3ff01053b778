// The text `watch` prints for a changed process: a state change into or out of stopped, traced or
// zombie is news; running ⇄ sleeping ⇄ disk wait is a busy process's activity (watch itself
// flipped S → R at every interval) and prints nothing. The --json diff keeps every change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processChanges, renderDiff } from '../../src/cli/watch';
import { diffSnapshots } from '../../src/core/diff';
import type { Channel, ProcessInfo } from '../../src/core/model';
import { snapshotOf } from './helpers';

const proc = (state: string, comm = 'worker'): ProcessInfo => ({
  pid: 40, ppid: 1, comm, cmdline: [], uid: 0, user: 'root', startTime: 1, state, tracerPid: 0,
  signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null }, timers: [], threads: 1, cwd: null, exe: null,
});

test('running, sleeping, disk wait and idle among themselves: no line; stopped, traced, zombie: a line', () => {
  for (const [a, b] of [['S', 'R'], ['R', 'S'], ['S', 'D'], ['D', 'R'], ['I', 'S']]) assert.deepEqual(processChanges(proc(a), proc(b)), [], `${a} → ${b}`);
  for (const [a, b] of [['S', 'T'], ['T', 'S'], ['R', 't'], ['S', 'Z'], ['T', 't']]) assert.deepEqual(processChanges(proc(a), proc(b)), [`state: ${a} → ${b}`], `${a} → ${b}`);
  // another change of the same process is still said
  assert.deepEqual(processChanges(proc('S'), proc('R', 'worker2')), ['comm: worker → worker2']);
});

test('a process that only went from sleeping to running prints no line; the JSON diff still has it', () => {
  const a = snapshotOf([]);
  a.processes = [proc('S')];
  const b = snapshotOf([], '2026-01-01T00:00:01.000Z');
  b.processes = [proc('R')];
  const d = diffSnapshots(a, b);
  assert.equal(d.changedProcesses.length, 1);
  assert.deepEqual(renderDiff(a, b, d), []);
  b.processes = [proc('T')];
  assert.deepEqual(renderDiff(a, b, diffSnapshots(a, b)), ['00:00:01.000 ~ process worker[40]  state: S → T']);
});

test('TCP connections their processes closed are one line per interval and change, as the Channels view folds them; --closed lists each', () => {
  const tw = (port: number, state = 'TIME-WAIT') => ({
    id: `tcp:1:127.0.0.1:${port}->127.0.0.1:80`, kind: 'tcp', family: 4, local: `127.0.0.1:${port}`, remote: '127.0.0.1:80', state, recvQueue: 0, sendQueue: 0, inode: 0, netns: '1', uid: 0, endpoints: [],
  }) as unknown as Channel;
  const held = { ...(tw(5000, 'ESTAB') as object), id: 'tcp:77', inode: 77, endpoints: [{ pid: 40, fd: 3, mode: 'rw' }] } as unknown as Channel;
  const a = snapshotOf([tw(1), tw(2), tw(3, 'FIN-WAIT-2'), held]);
  a.processes = [proc('S')];
  const b = snapshotOf([tw(3), tw(4), tw(5), tw(6, 'FIN-WAIT-2')], '2026-01-01T00:00:01.000Z');
  b.processes = [proc('S')];
  const lines = renderDiff(a, b, diffSnapshots(a, b));
  assert.deepEqual(lines.filter((l) => / closed connection/.test(l)).sort(), [
    '00:00:01.000 + tcp 3 closed connections  TIME-WAIT 2 · FIN-WAIT-2 1 (--closed lists them)',
    '00:00:01.000 - tcp 2 closed connections (--closed lists them)',
    '00:00:01.000 ~ tcp 1 closed connection  TIME-WAIT 1 (--closed lists them)',
  ].sort());
  // the held connection that went is its own line
  assert.equal(lines.filter((l) => l.startsWith('00:00:01.000 - tcp ') && !/closed connection/.test(l)).length, 1, lines.join('\n'));
  assert.equal(lines.length, 4, lines.join('\n'));
  const each = renderDiff(a, b, diffSnapshots(a, b), { folded: true });
  assert.equal(each.length, 2 + 3 + 1 + 1, each.join('\n'));
  assert.ok(!each.some((l) => /closed connection/.test(l)));
});
