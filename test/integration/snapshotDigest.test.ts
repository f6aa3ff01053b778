// The snapshot worker diffs against a digest of the previous snapshot (core/snapshotDigest.ts),
// not the snapshot itself. On real snapshots of this machine — fixtures of every kind, objects
// made and closed between scans, queues filled and drained, with each fd-walk backend — the diff
// from the digest must be the diff diffSnapshots computes from the two full snapshots, entry for
// entry and in order. And the SnapshotService (worker) applied on the main thread must end with
// every channel and process the last full snapshot had, unchanged ones reused across refreshes.
//
//   node scripts/build.mjs test/integration/snapshotDigest snapshotWorker && node --test dist/test/integration/snapshotDigest.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAll, makeFixture, type Fixture, type FixtureKind } from '../../fixtures/ipcFixture';
import { diffSnapshots } from '../../src/core/diff';
import type { Snapshot, WalkBackend } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { diffFromDigest, digestSnapshot, type SnapshotDigest } from '../../src/core/snapshotDigest';
import { SnapshotService, findWorkerScript } from '../../src/core/snapshotService';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-digest-'));
fs.chmodSync(tmp, 0o755);
const tag = `ipcdg${process.pid}`;
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const native = loadNative();
const bpf = loadBpf();
/** Why the BPF backend is not compared (false = it is). */
let bpfSkip: string | false = !native.addon ? `no native addon: ${native.error}` : !bpf.addon ? `no BPF addon: ${bpf.error}` : process.geteuid?.() !== 0 ? 'needs root (CAP_BPF+CAP_PERFMON)' : false;
before(async () => {
  if (bpfSkip || !bpf.addon) return;
  const probe = await bpf.addon.bpfProbe();
  if (!probe.ok) bpfSkip = `the BPF walk cannot run here: ${probe.reason}`;
});

/** Fixtures made for one step; each step closes some and makes others (churn). */
function specFor(kind: FixtureKind, n: number): Parameters<typeof makeFixture>[1] {
  switch (kind) {
    case 'fifo':
      return { path: path.join(tmp, `fifo ${n}`), bytes: n % 7 };
    case 'unix-stream':
      return { abstract: `${tag}-${n}`, bytes: n % 5 };
    case 'posix-mq':
      return { name: `${tag}-mq-${n}`, msgs: [{ priority: 1, text: 'x'.repeat(n % 9) }] };
    case 'posix-shm':
      return { name: `${tag}-shm-${n}`, size: 4096 };
    case 'sysv-msg':
      return { msgs: [{ type: 1, text: 'm'.repeat(n % 4 + 1) }] };
    case 'pipe':
    case 'socketpair':
      return { bytes: n % 11 };
    default:
      return {};
  }
}
const KINDS: FixtureKind[] = ['pipe', 'fifo', 'socketpair', 'unix-stream', 'unix-dgram', 'tcp4', 'tcp6', 'udp4', 'sysv-msg', 'sysv-shm', 'sysv-sem', 'posix-mq', 'posix-shm', 'eventfd', 'signalfd', 'timer'];

async function churnSteps(walk: WalkBackend | undefined, steps: number, onSnapshot: (s: Snapshot, i: number) => Promise<void> | void): Promise<void> {
  const live: Fixture[] = [];
  let n = 0;
  try {
    for (const k of KINDS) live.push(await makeFixture(k, specFor(k, n++)));
    for (let i = 0; i < steps; i++) {
      await onSnapshot(await takeSnapshot({ ...(walk ? { walk } : {}), processes: 'all' }), i);
      // close a third of the fixtures, make as many new ones
      const gone = live.splice(0, Math.ceil(live.length / 3));
      await closeAll(gone);
      for (let j = 0; j < gone.length; j++) {
        const k = KINDS[n % KINDS.length];
        live.push(await makeFixture(k, specFor(k, n++)));
      }
    }
  } finally {
    await closeAll(live);
  }
}

for (const walk of ['bpf-iter', 'proc'] as const) {
  describe(`diff from the digest equals diff from the snapshots (${walk})`, { skip: walk === 'bpf-iter' ? bpfSkip : !native.addon ? `no native addon: ${native.error}` : false }, () => {
    test('on real snapshots with fixtures of every kind coming and going', async () => {
      let prev: Snapshot | null = null;
      let digest: SnapshotDigest | null = null;
      const seen = { added: 0, removed: 0, changed: 0 };
      await churnSteps(walk, 5, (next, i) => {
        assert.equal(next.capabilities.walk?.backend, walk);
        const nextDigest = digestSnapshot(next);
        const want = diffSnapshots(prev, next);
        assert.deepEqual(diffFromDigest(digest, next, nextDigest), want, `step ${i}`);
        if (prev) {
          seen.added += want.addedChannels.length;
          seen.removed += want.removedChannels.length;
          seen.changed += want.changedChannels.length + want.changedProcesses.length;
        }
        prev = next;
        digest = nextDigest;
      });
      for (const [k, v] of Object.entries(seen)) assert.ok(v > 0, `the churn made the diffs carry ${k} entries (${v})`);
    });
  });
}

describe('SnapshotService (worker, digest) applied on the main thread', { skip: findWorkerScript() === null ? 'dist/snapshotWorker.js not built' : !native.addon ? `no native addon: ${native.error}` : false }, () => {
  test('ends with the channels and processes of a full snapshot of the same moment; unchanged ones reused', async () => {
    // one view of the fixtures only (their pids), so nothing else on the machine moves between the two scans compared
    const svc = new SnapshotService({ processes: 'all' });
    try {
      const live: Fixture[] = [];
      try {
        for (const k of KINDS) live.push(await makeFixture(k, specFor(k, 1000 + live.length)));
        const a = await svc.next();
        await closeAll(live.splice(0, 5));
        for (let j = 0; j < 5; j++) live.push(await makeFixture(KINDS[j], specFor(KINDS[j], 2000 + j)));
        const mine = new Set(live.flatMap((f) => f.pids));
        const byId = (s: Snapshot) => new Map(s.channels.filter((c) => c.endpoints.some((e) => mine.has(e.pid))).map((c) => [c.id, c]));
        // Two scans are two moments: a fixture child closes its readiness pipe just after the
        // fixture said it was ready, and a busy machine can put that between them. Scanned again
        // (at most twice more) until both agree on the fixtures' channels.
        let b = await svc.next();
        let full = await takeSnapshot({ processes: 'all' });
        for (let again = 0; again < 2; again++) {
          const g = [...byId(b.snapshot).keys()].sort().join();
          if (g === [...byId(full).keys()].sort().join()) break;
          b = await svc.next();
          full = await takeSnapshot({ processes: 'all' });
        }
        const got = byId(b.snapshot);
        const want = byId(full);
        assert.ok(want.size >= KINDS.length, `the fixtures' channels are there (${want.size})`);
        assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'the same channels of the fixtures');
        // a channel unchanged between the two scans is the very object applied the first time (not sent again)
        const first = new Set(a.snapshot.channels);
        const kept = live.slice(0, live.length - 5).flatMap((f) => f.pids);
        const stable = b.snapshot.channels.filter((c) => c.kind === 'sysv-sem' && c.endpoints.length === 0 && first.has(c));
        assert.ok(b.snapshot.channels.some((c) => first.has(c) && c.endpoints.some((e) => kept.includes(e.pid))) || stable.length > 0, 'unchanged channels were reused, not sent again');
        // the fixtures' processes, by the facts that do not move while they wait (state and threads may)
        const facts = (s: Snapshot) => s.processes.filter((x) => mine.has(x.pid)).map(({ pid, ppid, comm, cmdline, uid, startTime }) => ({ pid, ppid, comm, cmdline, uid, startTime }));
        assert.deepEqual(facts(b.snapshot), facts(full));
      } finally {
        await closeAll(live);
      }
    } finally {
      svc.dispose();
    }
  });

  test('a worker that runs out of its old-generation limit is replaced by one without it; the scan still succeeds', async () => {
    const svc = new SnapshotService({ oldGenerationMb: 1 });
    try {
      const r = await svc.next();
      assert.ok(r.snapshot.channels.length > 0);
      assert.equal(svc.workersOutOfMemory, 1, 'one worker ran out of memory');
      assert.equal(svc.usingWorker, true, 'its successor is a worker, not the calling thread');
      assert.equal(svc.fallbackReason, null);
      await svc.next();
      assert.equal(svc.workersOutOfMemory, 1, 'the successor has no limit');
    } finally {
      svc.dispose();
    }
  });
});
