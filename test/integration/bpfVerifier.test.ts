// Our BPF programs as the kernel's verifier sees them, and what the maps pass covers. Every
// program load (each CLI run, each new scan worker) pays for verification: a loop whose counter the
// verifier tracks exactly, or a value whose range a branch splits and that stays live, multiplies
// the states it walks — the maps pass had grown to 42,185 instructions verified (0.3 s of every
// load; the verifier gives up at 1,000,000). The bound below is a complexity bound, not a time:
// the same object verifies in the same steps on the same kernel.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/bpfVerifier.test.js
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadBpf } from '../../src/core/native';
import { mapsPassRefused } from './bpfMapsPass';

const OBJECTS = ['walk', 'tracer'].map((n) => path.join(__dirname, '..', '..', '..', 'native', 'build', 'bpf', `${n}.bpf.o`));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const bpf = loadBpf();
const skip = process.getuid?.() !== 0 ? 'needs root (loads BPF programs)' : !bpf.addon ? `BPF addon not built (${bpf.error})` : !has('bpftool') ? 'bpftool is not installed' : !has('unshare') ? 'unshare (util-linux) is not installed' : !OBJECTS.every((o) => fs.existsSync(o)) ? 'BPF objects not built' : false;

/** Verifier steps per program: ours are a few thousand; 20,000 leaves room and stops a blow-up long before the verifier's limit. */
const MAX_PROCESSED = 20_000;

describe('BPF programs: verification cost, maps pass coverage', { skip }, () => {
  it(`walk.bpf.o: every program this kernel loads verified in fewer than ${MAX_PROCESSED} instructions (bpf_prog_info.verified_insns)`, async (t) => {
    // the walk's load picks a variant of the maps pass by what the verifier takes: read in a
    // process of its own, whose load is its first
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(bpf.path)}).bpfWalk({ threads: 1, readMaps: true, readTimers: false, readLinks: false, measurePipes: false }).then((w) => console.log(JSON.stringify(w.bpf)))`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const stats = JSON.parse(r.stdout) as { verifiedInsns?: Record<string, number>; mapsUnavailable?: string; mapsOwnPaths?: string };
    const v = stats.verifiedInsns ?? {};
    const maps = stats.mapsUnavailable !== undefined ? [] : [stats.mapsOwnPaths !== undefined ? 'ipci_task_maps_own' : 'ipci_task_maps'];
    assert.deepEqual(Object.keys(v).sort(), ['ipci_task', 'ipci_task_file', ...maps].sort(), JSON.stringify(stats));
    for (const [name, n] of Object.entries(v)) assert.ok(n > 0 && n < MAX_PROCESSED, `${name} took ${n} instructions to verify (all: ${JSON.stringify(v)})`);
    if (stats.mapsOwnPaths) t.diagnostic(`the maps pass prints paths of its own here: ${stats.mapsOwnPaths}`);
  });

  it(`tracer.bpf.o: every program verifies in fewer than ${MAX_PROCESSED} instructions processed`, () => {
    // bpftool pins what it loads: on a bpffs of our own, in a mount namespace of our own (a fresh
    // machine may have none mounted at /sys/fs/bpf)
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t bpf bpf /sys/fs/bpf && exec bpftool -d prog loadall "$0" /sys/fs/bpf/ipci-verify', OBJECTS[1]], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const log = `${r.stdout}\n${r.stderr}`;
    const programs = new Set([...log.matchAll(/prog '(\w+)': -- BEGIN PROG LOAD LOG --/g)].map((m) => m[1]));
    const counts = [...log.matchAll(/processed (\d+) insns \(limit \d+\)/g)].map((m) => Number(m[1]));
    assert.equal(r.status, 0, log.split('\n').slice(-20).join('\n'));
    assert.ok(counts.length >= 1, `no verifier statistics in bpftool's log:\n${log.slice(-2000)}`);
    assert.equal(counts.length, programs.size, `one verifier statistics line per program (${[...programs].join(', ')})`);
    for (const n of counts) assert.ok(n < MAX_PROCESSED, `a program took ${n} instructions to verify (all: ${counts.join(', ')})`);
  });

  it("each walk says its programs' run statistics: with kernel.bpf_stats_enabled on, the task_file program ran once per fd at least (every record is a run)", () => {
    const STATS = '/proc/sys/kernel/bpf_stats_enabled';
    const was = fs.readFileSync(STATS, 'utf8').trim();
    fs.writeFileSync(STATS, '1');
    try {
      // two walks in a process of its own: the counters are cumulative from the load, the second walk's difference is its own
      const script = `const a = require(${JSON.stringify(bpf.path)}); const o = { threads: 1, readMaps: false, readTimers: false, readLinks: false, measurePipes: false };
        a.bpfWalk(o).then((w1) => a.bpfWalk(o).then((w2) => console.log(JSON.stringify({ s1: w1.bpf.programStats, s2: w2.bpf.programStats, records: w2.bpf.records, procs: w2.processes.length }))))`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      type Stats = Record<string, { runs: number; runTimeNs: number }>;
      const { s1, s2, records, procs } = JSON.parse(r.stdout) as { s1: Stats; s2: Stats; records: number; procs: number };
      const file = { runs: s2.ipci_task_file.runs - s1.ipci_task_file.runs, ns: s2.ipci_task_file.runTimeNs - s1.ipci_task_file.runTimeNs };
      assert.ok(records > 0 && file.runs >= records, `task_file ran ${file.runs} times for ${records} records`);
      assert.ok(file.ns > 0, JSON.stringify({ s1, s2 }));
      assert.ok(s2.ipci_task.runs - s1.ipci_task.runs >= procs, `task ran ${s2.ipci_task.runs - s1.ipci_task.runs} times for ${procs} processes`);
    } finally {
      fs.writeFileSync(STATS, was);
    }
  });

  it('the maps pass covers kernel threads (no mm: their /proc maps is empty too), so none is read from /proc', async (t) => {
    const kthreads = fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        try {
          // PF_KTHREAD (0x00200000) in the flags field of stat
          const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
          return (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[6]) & 0x00200000) !== 0;
        } catch {
          return false;
        }
      });
    if (kthreads.length === 0) return; // a container without the host's kernel threads in view
    const w = await bpf.addon!.bpfWalk({ threads: os.availableParallelism(), readMaps: true, readTimers: false, readLinks: false, measurePipes: false });
    const refused = mapsPassRefused(w.bpf.mapsUnavailable);
    if (refused) {
      // the snapshot says so, where a user reads which walk ran
      const { takeSnapshot } = await import('../../src/core/snapshot');
      const snap = await takeSnapshot({ walk: 'bpf-iter', kinds: ['pipe'] });
      assert.deepEqual(snap.capabilities.walk, { backend: 'bpf-iter', mapsPassOff: w.bpf.mapsUnavailable });
      return t.skip(refused);
    }
    assert.equal(w.bpf.mapsUnavailable, undefined);
    const sent = kthreads.filter((p) => w.bpf.mapsFromProc?.includes(p));
    assert.deepEqual(sent, [], `kernel threads sent to /proc/PID/maps (of ${kthreads.length})`);
  });
});
