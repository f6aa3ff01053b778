// The text `watch` prints for a changed process: a state change into or out of stopped, traced or
// zombie is news; running ⇄ sleeping ⇄ disk wait is a busy process's activity (watch itself
// flipped S → R at every interval) and prints nothing. The --json diff keeps every change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processChanges, renderDiff } from '../../src/cli/watch';
import { diffSnapshots } from '../../src/core/diff';
import type { ProcessInfo } from '../../src/core/model';
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
