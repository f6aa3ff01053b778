// Kernel threads in the BPF walk: a snapshot of IPC holders (the default) takes their facts from
// the task iterator alone (no /proc read: most of a quiet machine's processes), and shows none of
// them but an ancestor; a snapshot of every process (processes: 'all') reads their /proc files,
// so each shows the name /proc gives it (a workqueue worker's with its work, `kworker/1:0H-…`).
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/kthreads.test.js
import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { bpfWalkSkip } from './bpfSkip';
import { takeSnapshot, type SnapshotTimings } from '../../src/core/snapshot';

const PF_KTHREAD = 0x00200000;
let bpfSkip: string | false = 'not probed yet';
before(async () => {
  bpfSkip = await bpfWalkSkip();
});

/** Kernel threads now, with the name /proc/PID/stat gives each. */
function kernelThreads(): Map<number, string> {
  const out = new Map<number, string>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${d}/stat`, 'latin1');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const flags = Number(stat.slice(close + 2).split(' ')[6]);
    if (flags & PF_KTHREAD) out.set(Number(d), stat.slice(stat.indexOf('(') + 1, close));
  }
  return out;
}

describe('kernel threads and the BPF walk', () => {
  test('a snapshot of IPC holders reads no kernel thread from /proc and shows none but an ancestor', async (t) => {
    if (bpfSkip) return t.skip(bpfSkip);
    const before = kernelThreads();
    assert.ok(before.size > 0, 'this kernel runs kernel threads');
    const timings: SnapshotTimings = {};
    const snap = await takeSnapshot({ walk: 'bpf-iter', timings });
    assert.equal(snap.capabilities.walk?.backend, 'bpf-iter');
    // every kernel thread there for the whole walk came from its record (some may start or end meanwhile)
    const after = kernelThreads();
    const steady = [...before.keys()].filter((p) => after.has(p)).length;
    assert.ok((timings.bpf?.kthreadsFromTask ?? 0) >= steady - 2, `${timings.bpf?.kthreadsFromTask} from their records, ${steady} kernel threads`);
    const parents = new Set(snap.processes.map((p) => p.ppid));
    for (const p of snap.processes) {
      if (!before.has(p.pid)) continue;
      assert.ok(parents.has(p.pid), `kernel thread ${p.pid} (${p.comm}) is shown only as an ancestor`);
      assert.equal(p.comm, before.get(p.pid), 'an ancestor kernel thread has its /proc name');
    }
  });

  test("a snapshot of every process reads them: each has the name /proc gives it, a workqueue worker's with its work", async (t) => {
    if (bpfSkip) return t.skip(bpfSkip);
    const before = kernelThreads();
    const timings: SnapshotTimings = {};
    const snap = await takeSnapshot({ walk: 'bpf-iter', processes: 'all', timings });
    assert.equal(timings.bpf?.kthreadsFromTask ?? 0, 0);
    const after = kernelThreads();
    // a worker's name flips between "-WORK" (idle) and "+WORK" (running): either is its name
    const same = (x: string, y: string) => x === y || x.replace(/[+-]([^+-]*)$/, '~$1') === y.replace(/[+-]([^+-]*)$/, '~$1');
    let compared = 0;
    let longer = 0;
    for (const p of snap.processes) {
      const a = before.get(p.pid);
      const b = after.get(p.pid);
      if (a === undefined || b === undefined || !same(a, b)) continue; // its work changed meanwhile
      assert.ok(same(p.comm, a), `kernel thread ${p.pid}: ${p.comm} vs /proc's ${a}`);
      compared++;
      // longer than a comm (15 bytes): a name only /proc gives
      if (Buffer.byteLength(a) > 15) longer++;
    }
    assert.ok(compared > 0, 'kernel threads compared');
    assert.ok(longer > 0, 'kernel threads /proc names beyond their comm (workqueue workers)');
  });
});
