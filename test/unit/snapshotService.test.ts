// SnapshotService: scans only in its worker (never on the extension host's thread) unless the caller
// owns its thread, and applies the worker's diffs, a big one in parts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { SnapshotService, findWorkerScript } from '../../src/core/snapshotService';

let procRoot = '';
function write(pid: number, fds: Record<number, string>) {
  const d = path.join(procRoot, String(pid));
  fs.mkdirSync(path.join(d, 'fd'), { recursive: true });
  fs.writeFileSync(path.join(d, 'stat'), `${pid} (p${pid}) S 1 ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${pid} 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`);
  fs.writeFileSync(path.join(d, 'status'), `Name:\tp${pid}\nPPid:\t1\nUid:\t0\t0\t0\t0\nThreads:\t1\n`);
  fs.writeFileSync(path.join(d, 'cmdline'), '');
  for (const [fd, t] of Object.entries(fds)) fs.symlinkSync(t, path.join(d, 'fd', fd));
}

before(() => {
  procRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-svc-'));
  write(1, {});
  write(10, { 3: 'pipe:[7]' });
  write(11, { 4: 'pipe:[7]' });
});
after(() => fs.rmSync(procRoot, { recursive: true, force: true }));

async function exercise(svc: SnapshotService) {
  const a = await svc.next();
  assert.deepEqual(a.snapshot.channels.map((c) => c.id), ['pipe:7']);
  assert.equal(a.diff.fromTakenAt, null);
  write(12, { 0: 'pipe:[8]' });
  const b = await svc.next();
  assert.deepEqual(b.snapshot.channels.map((c) => c.id), ['pipe:7', 'pipe:8']);
  assert.deepEqual(b.diff.addedChannels.map((c) => c.id), ['pipe:8']);
  // what was applied here is what the service keeps, and its main-thread time was measured for this call
  assert.equal(svc.current, b.snapshot);
  svc.lastMainThreadMs = 0;
  const c = await svc.next();
  assert.equal(svc.current, c.snapshot);
  assert.notEqual(svc.lastMainThreadMs, 0, 'next() measured its main-thread time');
  fs.rmSync(path.join(procRoot, '12'), { recursive: true });
}

test('without its worker SnapshotService scans nothing (never on the calling thread: the extension host\'s), and says why', async () => {
  const svc = new SnapshotService({ procRoot, useNative: false, kinds: ['pipe'], workerPath: path.join(procRoot, 'nope.js') });
  assert.equal(svc.usingWorker, false);
  assert.match(svc.fallbackReason!, /not found.*no scans \(they never run on the calling thread\)/);
  await assert.rejects(svc.next(), /snapshot worker not found/);
  assert.equal(svc.current, null);
  svc.dispose();
});

test('a caller that owns its thread (a command-line run) may have SnapshotService scan in-thread without a worker', async () => {
  const svc = new SnapshotService({ procRoot, useNative: false, kinds: ['pipe'], workerPath: path.join(procRoot, 'nope.js'), scanOnCallingThread: true });
  assert.equal(svc.usingWorker, false);
  assert.match(svc.fallbackReason!, /not found.*scanning on the calling thread/);
  await exercise(svc);
  svc.dispose();
});

test('SnapshotService runs scans in the worker and applies diffs', { skip: findWorkerScript() === null ? 'dist/snapshotWorker.js not built' : false }, async () => {
  const svc = new SnapshotService({ procRoot, useNative: false, kinds: ['pipe'] });
  assert.equal(svc.usingWorker, true);
  await exercise(svc);
  assert.equal(svc.fallbackReason, null);
  assert.ok(svc.lastWorkerMs > 0);
  // the process's CPU across the worker's takeSnapshot (rusage is exact to the µs: a scan never takes none)
  assert.ok(Number.isFinite(svc.lastSnapshotCpuMs) && svc.lastSnapshotCpuMs > 0, String(svc.lastSnapshotCpuMs));
  svc.dispose();
});

test('SnapshotService receives a big diff in parts and applies them incrementally', { skip: findWorkerScript() === null ? 'dist/snapshotWorker.js not built' : false }, async () => {
  write(13, { 0: 'pipe:[20]', 1: 'pipe:[21]', 2: 'pipe:[22]' });
  try {
    const svc = new SnapshotService({ procRoot, useNative: false, kinds: ['pipe'], partChannels: 1 });
    const a = await svc.next();
    assert.equal(svc.lastParts, 8, '4 channels and 4 processes, one entry per part');
    assert.equal(svc.lastPartBytes.length, 8);
    assert.deepEqual(a.snapshot.channels.map((c) => c.id), ['pipe:7', 'pipe:20', 'pipe:21', 'pipe:22']);
    assert.deepEqual(a.diff.addedChannels.map((c) => c.id), ['pipe:7', 'pipe:20', 'pipe:21', 'pipe:22']);
    assert.deepEqual(a.snapshot.processes.map((p) => p.pid), [1, 10, 11, 13]);
    assert.ok(svc.lastMaxStallMs <= svc.lastMainThreadMs);
    fs.rmSync(path.join(procRoot, '13'), { recursive: true });
    const b = await svc.next();
    assert.deepEqual(b.snapshot.channels.map((c) => c.id), ['pipe:7']);
    assert.deepEqual(b.diff.removedChannels.sort(), ['pipe:20', 'pipe:21', 'pipe:22']);
    assert.deepEqual(b.diff.removedProcesses, [13]);
    assert.ok(svc.lastParts >= 4, 'removals of 3 channels and a process came in parts, merged into one diff');
    svc.dispose();
  } finally {
    fs.rmSync(path.join(procRoot, '13'), { recursive: true, force: true });
  }
});
