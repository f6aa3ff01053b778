// `node dist/bench.js --profile 50k`: where a snapshot's time goes at one workload size.
// Times the pieces a snapshot is made of, each on its own (median of N, wall and CPU): the native
// walk with the options takeSnapshot uses and with each optional read off, one thread vs all
// cores, sock_diag queries, SysV lists, the whole snapshot with some kinds only; then one
// snapshot's timeline (when each native call started and ended). On a shared machine trust the
// CPU columns: wall time swings with other load, CPU per run does not.
// Run under `node --cpu-prof dist/bench.js --profile 50k` to split the JS side further.
import { CHANNEL_KINDS } from '../src/core/model';
import { walkRulesFor } from '../src/core/kinds';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadBpf, loadNative, type ProcWalkOptions } from '../src/core/native';
import { SocketLookups, takeSnapshot } from '../src/core/snapshot';
import { withBpfStats } from './bpfStats';
import type { Floor } from './floor';
import type { WorkloadBuilder, WorkloadSize } from './workload';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const mainCpuMs = (): number => Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;

interface Timing {
  wall: number;
  cpu: number;
  main: number;
}

async function timeIt(reps: number, f: () => Promise<unknown> | unknown): Promise<Timing> {
  await f(); // warm
  const r: Record<keyof Timing, number[]> = { wall: [], cpu: [], main: [] };
  for (let i = 0; i < reps; i++) {
    const c = cpuMs();
    const m = mainCpuMs();
    const t = performance.now();
    await f();
    r.wall.push(performance.now() - t);
    r.cpu.push(cpuMs() - c);
    r.main.push(mainCpuMs() - m);
  }
  return { wall: median(r.wall), cpu: median(r.cpu), main: median(r.main) };
}

/**
 * Our programs' own time in the iterator passes (bpf_stats on for these walks only): the
 * task_file program runs once per fd, so its time against the pass's read time says how much of
 * the fd pass is our program and how much the kernel's iteration.
 */
async function programShare(reps: number, walk: () => Promise<{ bpf: { iteratorMs: number; programStats?: Record<string, { runs: number; runTimeNs: number }> } }>): Promise<void> {
  await withBpfStats(async (off) => {
    if (off) {
      console.log(`  (our programs' share not measured: ${off})`);
      return;
    }
    let prev = (await walk()).bpf.programStats ?? {};
    const per: Record<string, { runs: number[]; ms: number[] }> = {};
    const iter: number[] = [];
    for (let i = 0; i < reps; i++) {
      const b = (await walk()).bpf;
      iter.push(b.iteratorMs);
      for (const [name, st] of Object.entries(b.programStats ?? {})) {
        const p = prev[name] ?? { runs: 0, runTimeNs: 0 };
        const x = (per[name] ??= { runs: [], ms: [] });
        x.runs.push(st.runs - p.runs);
        x.ms.push((st.runTimeNs - p.runTimeNs) / 1e6);
      }
      prev = b.programStats ?? {};
    }
    const parts = Object.entries(per)
      .filter(([, x]) => median(x.runs) > 0)
      .map(([name, x]) => `${name} ${median(x.ms).toFixed(1)} ms in ${median(x.runs)} runs (${((median(x.ms) * 1e6) / median(x.runs)).toFixed(0)} ns each)`);
    console.log(`  ${"  our programs' own time per walk (bpf_stats)".padEnd(60)} ${parts.length ? parts.join('; ') : 'none counted (no run statistics on this kernel)'}; the fd pass's read ${median(iter).toFixed(1)} ms with them on`);
  });
}

/** Wraps the addon's calls to record when each started and ended during one snapshot. */
function instrument(a: object, t0: () => number, log: string[], names: readonly string[] = ['walkProc', 'unixDiag', 'inetDiag', 'sysvMsgList', 'sysvShmList', 'sysvSemList']): () => void {
  const rec = a as unknown as Record<string, (...args: unknown[]) => unknown>;
  const saved = names.map((n) => [n, rec[n]] as const);
  for (const [n, orig] of saved) {
    rec[n] = (...args: unknown[]) => {
      const s = performance.now() - t0();
      const tag = `${n}(${args.filter((x) => typeof x !== 'object').join(',')})`;
      const r = orig.apply(a, args);
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        return (r as Promise<unknown>).then((v) => {
          log.push(`${tag.padEnd(36)} ${s.toFixed(0).padStart(5)} → ${(performance.now() - t0()).toFixed(0).padStart(5)} ms`);
          return v;
        });
      }
      log.push(`${tag.padEnd(36)} ${s.toFixed(0).padStart(5)} → ${(performance.now() - t0()).toFixed(0).padStart(5)} ms (sync)`);
      return r;
    };
  }
  return () => {
    for (const [n, orig] of saved) rec[n] = orig;
  };
}

export async function profile(builder: WorkloadBuilder, floor: Floor, size: WorkloadSize, reps: number): Promise<void> {
  const native = loadNative().addon;
  const wl = await builder.start(size);
  try {
    const f = floor.run(1);
    console.log(`profile at ${size.label}: workload ${wl.fds} fds; machine ${f.procs} processes, ${f.fds} fds (${f.sockets} sockets, ${f.pipes} pipe fds)`);
    console.log(`  ${'what'.padEnd(60)} ${'wall'.padStart(7)} ${'cpu'.padStart(7)} ${'main'.padStart(7)}   (medians of ${reps}, ms; cpu = all threads, main = main thread)`);
    // what the lookups of sockets in no table learnt, kept over the runs as the snapshot worker keeps it
    const socketLookups = new SocketLookups();
    const row = async (name: string, fn: () => Promise<unknown> | unknown): Promise<void> => {
      const r = await timeIt(reps, fn);
      console.log(`  ${name.padEnd(60)} ${r.wall.toFixed(1).padStart(7)} ${r.cpu.toFixed(1).padStart(7)} ${r.main.toFixed(1).padStart(7)}`);
    };
    const floorRow = (name: string, threads: number): void => {
      const xs = Array.from({ length: reps }, () => floor.run(threads));
      console.log(`  ${name.padEnd(60)} ${median(xs.map((x) => x.ms)).toFixed(1).padStart(7)} ${median(xs.map((x) => x.cpuMs)).toFixed(1).padStart(7)}`);
    };
    floorRow('floor, 1 thread (C: readdir+readlink, /proc/net, sysvipc)', 1);
    floorRow('floor, 2 threads', 2);
    if (native) {
      const rules = walkRulesFor(CHANNEL_KINDS);
      const full: ProcWalkOptions = { procRoot: '/proc', threads: 0, ...rules, readTimers: true, readLinks: true };
      const unmeasured = rules.fdRules.map((r) => ({ ...r, measure: false }));
      const bare: ProcWalkOptions = { ...full, fdRules: unmeasured, mapsRules: [], readTimers: false, readLinks: false };
      await row('walkProc as takeSnapshot calls it (threads: one per core)', () => native.walkProc(full));
      await row('walkProc, threads=1', () => native.walkProc({ ...full, threads: 1 }));
      await row('walkProc, opt-in pidfd_getfd path (useGetfd, not the default: side effects)', () => native.walkProc({ ...full, useGetfd: true }));
      await row('walkProc, pipes not measured', () => native.walkProc({ ...full, fdRules: unmeasured }));
      await row('walkProc, maps not read', () => native.walkProc({ ...full, mapsRules: [] }));
      await row('walkProc, readLinks off', () => native.walkProc({ ...full, readLinks: false }));
      await row('walkProc, readTimers off', () => native.walkProc({ ...full, readTimers: false }));
      await row('walkProc, all optional reads off', () => native.walkProc(bare));
      const bpf = loadBpf().addon;
      if (bpf) {
        const { procRoot: _r, useGetfd: _g, fdRules: _f, mapsRules: _m, skipLinks: _s, ...rest } = full;
        const bopts = { ...rest, readMaps: true, measurePipes: true };
        await row('bpfWalk (BPF iterators) as takeSnapshot calls it', () => bpf.bpfWalk(bopts));
        await row('bpfWalk without the task/maps passes (stat, status, maps from /proc)', () => bpf.bpfWalk({ ...bopts, taskFacts: false }));
        const w = await bpf.bpfWalk(bopts);
        console.log(`  ${'  its phases (one run)'.padEnd(60)} ${JSON.stringify(w.bpf)}`);
        await programShare(reps, () => bpf.bpfWalk(bopts));
      } else {
        console.log(`  (BPF addon missing: ${loadBpf().error})`);
      }
      await row('unixDiag()', () => native.unixDiag());
      await row('inetDiag tcp4+tcp6+udp4+udp6 (in parallel)', () =>
        Promise.all([native.inetDiag('tcp', 4), native.inetDiag('tcp', 6), native.inetDiag('udp', 4), native.inetDiag('udp', 6)]),
      );
      await row('sysvMsgList+sysvShmList+sysvSemList', async () => {
        await Promise.all([native.sysvMsgList(), native.sysvShmList(), native.sysvSemList()]);
      });
    } else {
      console.log('  (native addon missing: only the TS path)');
    }
    await row("takeSnapshot({walk: 'bpf-iter'}) (whole)", () => takeSnapshot({ socketLookups, walk: 'bpf-iter' }));
    await row("takeSnapshot({walk: 'proc'}) (whole)", () => takeSnapshot({ socketLookups, walk: 'proc' }));
    await row('takeSnapshot({threads: 1})', () => takeSnapshot({ socketLookups, threads: 1 }));
    await row("takeSnapshot({processes: 'all'})", () => takeSnapshot({ socketLookups, processes: 'all' }));
    await row("takeSnapshot({kinds: ['pipe', 'fifo']})", () => takeSnapshot({ socketLookups, kinds: ['pipe', 'fifo'] }));
    await row("takeSnapshot({kinds: ['unix']})", () => takeSnapshot({ socketLookups, kinds: ['unix'] }));
    await row("takeSnapshot({kinds: ['tcp', 'udp']})", () => takeSnapshot({ socketLookups, kinds: ['tcp', 'udp'] }));
    await row("takeSnapshot({kinds: ['sysv-msg', 'sysv-sem']})", () => takeSnapshot({ socketLookups, kinds: ['sysv-msg', 'sysv-sem'] }));
    await row('takeSnapshot({useNative: false}) (TS path)', () => takeSnapshot({ socketLookups, useNative: false }));
    const snap = await takeSnapshot({ socketLookups });
    const t = performance.now();
    const json = JSON.stringify(snap);
    console.log(`  JSON.stringify of the snapshot: ${(performance.now() - t).toFixed(1)} ms, ${(json.length / 1e6).toFixed(1)} MB, ${snap.channels.length} channels`);
    if (native) {
      const log: string[] = [];
      let start = 0;
      const bpfAddon = loadBpf().addon;
      const undoNative = instrument(native, () => start, log);
      const undoBpf = bpfAddon ? instrument(bpfAddon, () => start, log, ['bpfWalk']) : () => undefined;
      const undo = () => {
        undoNative();
        undoBpf();
      };
      try {
        for (let i = 0; i < 3; i++) {
          log.length = 0;
          start = performance.now();
          await takeSnapshot({ socketLookups });
          const total = performance.now() - start;
          if (i === 2) {
            console.log(`  timeline of one snapshot (${total.toFixed(0)} ms; native calls, start → end):`);
            for (const l of log) console.log(`    ${l}`);
          }
        }
      } finally {
        undo();
      }
    }
  } finally {
    await wl.stop();
  }
}
