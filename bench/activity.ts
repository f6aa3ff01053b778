// The live-activity part of `npm run bench` (bench.ts runs it after the snapshot sizes; `--activity`
// runs it alone): what the eBPF tracer costs the machine, measured in one run.
//
// 1. Added cost per operation: the same C loop (activity-loop.c: 1-byte pipe write+read pairs, Unix
//    send+recv, TCP loopback send+recv, one process holding both ends) untraced and traced,
//    interleaved rep by rep (the order flips each rep), the tracer read once a second as the
//    extension does; medians of ns per iteration and the difference.
// 2. At 100k ops/s for a few seconds (paced pipe pairs, then 100k signals/s): lost events, whether
//    the counts are exact for the loop's pid, and the tracer's own CPU — the BPF programs' run
//    time (kernel.bpf_stats_enabled=1 for this part only: it adds its own cost per run, so part 1
//    runs without it) and the reader's (this process: swaps, drains, joins) — as a share of a core.
import { execFileSync, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { counterRows, joinCounters } from '../src/core/activity/join';
import { readTracer, signalRecords, startTracer, stopTracer, tracerAddon, type TracerAddon, type TracerParts, type TracerRead } from '../src/core/activity/tracer';
import { SignalLog } from '../src/core/activity/signalLog';
import { ownIpcNamespace } from '../src/core/activity/monitor';
import { withBpfStats } from './bpfStats';
import { compileC } from './cc';

export interface ActivityBenchOptions {
  tmp: string;
  reps: number;
  /** Iterations of each loop per run. */
  iterations: number;
  /** ops/s of the rate part. */
  rate: number;
  rateSeconds: number;
}

interface LoopRun {
  iterations: number;
  ns: number;
  cpuNs: number;
}

export interface ActivityBenchResult {
  skipped?: string;
  loops: Record<string, { untraced: number[]; traced: number[]; untracedCpu: number[]; tracedCpu: number[] }>;
  rate: Record<string, RateResult>;
  loadMs: number;
}

interface RateResult {
  ops: number;
  seconds: number;
  counted: number;
  expected: number;
  lost: Record<string, number>;
  bpfNs: number;
  bpfRuns: number;
  readerCpuMs: number;
  loopCpuMs: number;
  reads: number;
  maxSwapMs: number;
}

const ALL: TracerParts = { pipes: true, sockets: true, signals: true };
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function runLoop(bin: string, mode: string, n: number): LoopRun {
  return JSON.parse(execFileSync(bin, [mode, String(n)], { encoding: 'utf8' })) as LoopRun;
}

/** Runs `fn` while reading the tracer every `everyMs` (as the extension does), collecting reads. */
async function whileReading<T>(addon: TracerAddon, everyMs: number, fn: () => Promise<T>, onRead?: (r: TracerRead) => void): Promise<{ value: T; reads: number; maxSwapMs: number }> {
  let reads = 0;
  let maxSwapMs = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      await new Promise((r) => setTimeout(r, everyMs));
      const r = await readTracer(addon);
      reads++;
      maxSwapMs = Math.max(maxSwapMs, r.swapMs);
      onRead?.(r);
    }
  })();
  try {
    const value = await fn();
    return { value, reads, maxSwapMs };
  } finally {
    stop = true;
    await loop;
  }
}

function execAsync(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${bin} ${args.join(' ')} exited ${code}`))));
  });
}

export async function benchActivity(o: ActivityBenchOptions): Promise<ActivityBenchResult> {
  const res: ActivityBenchResult = { loops: {}, rate: {}, loadMs: 0 };
  const { addon, error } = tracerAddon();
  if (!addon) return { ...res, skipped: `no tracer: ${error}` };
  const check = addon.tracerCheck();
  if (!check.ok) return { ...res, skipped: `the tracer cannot run here: ${check.reason}` };
  const bin = compileC('activity-loop.c', o.tmp);
  const t0 = performance.now();
  const st = await startTracer(addon, ALL);
  res.loadMs = st.ok ? st.loadMs || performance.now() - t0 : NaN;
  await stopTracer(addon, ALL);
  if (!st.ok) return { ...res, skipped: `the tracer did not load: ${st.reason}` };

  // 1. added cost per operation
  const modes = ['pipe', 'unix', 'tcp'];
  for (const m of modes) res.loops[m] = { untraced: [], traced: [], untracedCpu: [], tracedCpu: [] };
  for (let rep = 0; rep < o.reps; rep++) {
    for (const m of modes) {
      const order = rep % 2 === 0 ? [false, true] : [true, false];
      for (const traced of order) {
        if (!traced) {
          const r = runLoop(bin, m, o.iterations);
          res.loops[m].untraced.push(r.ns / r.iterations);
          res.loops[m].untracedCpu.push(r.cpuNs / r.iterations);
          continue;
        }
        await startTracer(addon, ALL);
        await readTracer(addon);
        try {
          const { value: out } = await whileReading(addon, 1000, () => execAsync(bin, [m, String(o.iterations)]));
          const r = JSON.parse(out) as LoopRun;
          res.loops[m].traced.push(r.ns / r.iterations);
          res.loops[m].tracedCpu.push(r.cpuNs / r.iterations);
        } finally {
          await stopTracer(addon, ALL);
        }
      }
    }
  }

  // 2. 100k ops/s: lost events, exact counts, the tracer's own CPU
  // (the statistics are on for this part only; where they cannot be, the runs read 0)
  await withBpfStats(async () => {
    const ipcNs = ownIpcNamespace();
    for (const mode of ['rate-pipe', 'rate-signal']) {
      await startTracer(addon, ALL);
      const base = await readTracer(addon);
      const runsOf = (r: TracerRead) => Object.values(r.programs).reduce((a, p) => ({ ns: a.ns + p.runTimeNs, n: a.n + p.runCount }), { ns: 0, n: 0 });
      const b0 = runsOf(base);
      let counted = 0;
      const signalTargets: number[] = [];
      const log = new SignalLog();
      const rowsSeen: Array<ReturnType<typeof counterRows>> = [];
      const c0 = cpuMs();
      let last: TracerRead = base;
      let out: { ops: number; ns: number; cpuNs: number; pid: number; inode: number };
      let reads = 0;
      let maxSwapMs = 0;
      try {
        const r = await whileReading(
          addon,
          1000,
          async () => JSON.parse(await execAsync(bin, [mode, String(o.rate), String(o.rateSeconds)])) as typeof out,
          (rd) => {
            last = rd;
            const rows = counterRows(rd.counters);
            rowsSeen.push(rows);
            joinCounters(rows, null, 1000, { ipcNs, mqNames: new Map() }); // what the extension does with a read, for its CPU
            const from = Math.max(0, rd.signals.timeMs.length - log.capacity); // as ActivityMonitor.poll does
            log.skip(from);
            log.addRecords(signalRecords(rd.signals, from));
            for (const pid of rd.signals.targetPid) signalTargets.push(pid);
          },
        );
        out = r.value;
        reads = r.reads;
        maxSwapMs = r.maxSwapMs;
        const fin = await readTracer(addon);
        rowsSeen.push(counterRows(fin.counters));
        for (const pid of fin.signals.targetPid) signalTargets.push(pid);
        last = fin;
      } finally {
        await stopTracer(addon, ALL);
      }
      const readerCpuMs = cpuMs() - c0;
      const b1 = runsOf(last);
      // counts for the loop's pid (its signals were only known once it exited: count them from every read)
      let expected: number;
      if (mode === 'rate-pipe') {
        counted = rowsSeen.flat().filter((x) => x.pid === out.pid && x.ino === out.inode).reduce((n, x) => n + x.ops, 0);
        expected = out.ops * 2;
      } else {
        counted = signalTargets.filter((p) => p === out.pid).length;
        expected = out.ops;
      }
      const lost: Record<string, number> = {};
      for (const k of Object.keys(last.lost) as Array<keyof TracerRead['lost']>) lost[k] = last.lost[k] - base.lost[k];
      res.rate[mode] = { ops: out.ops, seconds: out.ns / 1e9, counted, expected, lost, bpfNs: b1.ns - b0.ns, bpfRuns: b1.n - b0.n, readerCpuMs, loopCpuMs: out.cpuNs / 1e6, reads, maxSwapMs };
    }
  });
  return res;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '—');
const pct = (ms: number, seconds: number) => `${((ms / 1000 / seconds) * 100).toFixed(2)}%`;

export function printActivity(r: ActivityBenchResult, o: ActivityBenchOptions): void {
  console.log('Live activity (eBPF tracer) — what it costs the machine');
  if (r.skipped) {
    console.log(`  skipped: ${r.skipped}\n`);
    return;
  }
  console.log(`  load (open + verify + attach, once per process): ${r.loadMs.toFixed(0)} ms`);
  console.log(`  added cost per operation: ${o.reps} runs × ${o.iterations} iterations each, traced and untraced interleaved, tracer read every 1 s; medians`);
  console.log(`  ${'loop (1 byte, one process, both ends)'.padEnd(32)}${'wall: untraced'.padStart(15)}${'traced'.padStart(8)}${'added'.padStart(8)}${'CPU: untraced'.padStart(15)}${'traced'.padStart(8)}${'added'.padStart(8)}   (ns per iteration)`);
  const names: Record<string, string> = { pipe: 'pipe write+read pair', unix: 'Unix stream send+recv pair', tcp: 'TCP loopback send+recv pair' };
  for (const [m, x] of Object.entries(r.loops)) {
    const u = median(x.untraced);
    const t = median(x.traced);
    const uc = median(x.untracedCpu);
    const tc = median(x.tracedCpu);
    const sign = (d: number) => (d >= 0 ? `+${f1(d)}` : f1(d));
    console.log(`  ${names[m].padEnd(32)}${f1(u).padStart(15)}${f1(t).padStart(8)}${sign(t - u).padStart(8)}${f1(uc).padStart(15)}${f1(tc).padStart(8)}${sign(tc - uc).padStart(8)}`);
  }
  console.log('  (wall time swings with other load on a shared machine; the loop\'s own CPU time is the steadier measure of what tracing adds to it)');
  console.log(`  at ${o.rate.toLocaleString('en')} ops/s for ${o.rateSeconds} s (bpf_stats on for this part; tracer CPU = BPF programs' run time + this reader's CPU, as a share of one core):`);
  console.log(`  ${'workload'.padEnd(26)}${'ops/s'.padStart(9)}${'counted/expected'.padStart(20)}${'lost'.padStart(6)}${'BPF ns/run'.padStart(12)}${'BPF CPU'.padStart(9)}${'reader CPU'.padStart(12)}${'max swap ms'.padStart(13)}`);
  const wl: Record<string, string> = { 'rate-pipe': 'pipe write+read pairs', 'rate-signal': 'signals (kill, ignored)' };
  for (const [m, x] of Object.entries(r.rate)) {
    const lost = Object.values(x.lost).reduce((a, b) => a + b, 0);
    console.log(
      `  ${wl[m].padEnd(26)}${f1(x.ops / x.seconds).padStart(9)}${`${x.counted}/${x.expected}`.padStart(20)}${String(lost).padStart(6)}${(x.bpfRuns ? (x.bpfNs / x.bpfRuns).toFixed(0) : '—').padStart(12)}${pct(x.bpfNs / 1e6, x.seconds).padStart(9)}${pct(x.readerCpuMs, x.seconds).padStart(12)}${x.maxSwapMs.toFixed(1).padStart(13)}`,
    );
  }
  for (const [m, x] of Object.entries(r.rate)) {
    const parts = Object.entries(x.lost).filter(([, v]) => v > 0);
    if (parts.length) console.log(`  lost in ${wl[m]}: ${parts.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  console.log('  BPF runs count every traced event on the machine (other processes too), so ns/run is the programs\' average; lost = map full + ring full + reader queue full + skipped runs.\n');
}
