// The snapshot worker's collections between scans (core/workerGc.ts): the rule that decides when,
// and where a full GC may be had at all — never by changing V8's flags inside Electron (an
// embedder that may freeze them, where the change aborts the process), and never leaving the
// flag on for contexts made afterwards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as vm from 'node:vm';
import { DEFAULT_COLLECT_RULE, fullGc, shouldCollect } from '../../src/core/workerGc';

const MiB = 1024 * 1024;

test('collects only when the heap both doubled and grew by the minimum since the last collection', () => {
  assert.equal(shouldCollect(8 * MiB, 0), false, 'a small worker never pays for it');
  assert.equal(shouldCollect(16 * MiB, 0), true);
  assert.equal(shouldCollect(30 * MiB, 10 * MiB), true, '3× and +20 MiB');
  assert.equal(shouldCollect(19 * MiB, 10 * MiB), false, 'under twice');
  assert.equal(shouldCollect(70 * MiB, 60 * MiB), false, 'under twice, though +10 MiB');
  assert.equal(shouldCollect(22 * MiB, 10 * MiB, { factor: 2, minGrowthBytes: 16 * MiB }), false, 'twice, but only +12 MiB');
  assert.equal(shouldCollect(1, 1, { factor: 1, minGrowthBytes: 0 }), true, 'a rule every scan meets');
  assert.deepEqual(DEFAULT_COLLECT_RULE, { factor: 2, minGrowthBytes: 16 * MiB });
});

test('inside Electron no flag is touched and there is no gc (unless the process was started with one)', { skip: typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'this process was started with --expose-gc' : false }, () => {
  assert.equal(fullGc({ ...process.versions, electron: '33.0.0' }), null);
  assert.equal(vm.runInNewContext('typeof gc'), 'undefined');
});

test('in Node a gc is had, it runs, and contexts made afterwards do not see one', { skip: typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'this process was started with --expose-gc' : false }, () => {
  const gc = fullGc();
  assert.equal(typeof gc, 'function');
  gc!();
  assert.equal(vm.runInNewContext('typeof gc'), 'undefined', 'the flag is off again');
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'this context was not given one either');
});
