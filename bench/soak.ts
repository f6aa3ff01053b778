// `node dist/bench.js --soak MINUTES`: the live product for hours beside churning processes.
// Runs what the extension runs while a view is visible — the SnapshotService worker with the
// diagnosis on, the diff applied on this thread (as src/liveSnapshots.ts does), a channel index
// kept from the diffs (as the view model does) and the live-activity monitor sampled after every
// snapshot with its signals moved into a log of ours (as src/liveActivity.ts does) — refreshing
// one interval after the last scan settled, while churn.c forks an episode every few ms (pipes,
// FIFOs, sockets, POSIX/SysV objects, network namespaces, signals). Prints one row per minute:
// RSS, the C heap, the V8 heap of this thread and of the worker (the lowest used after a scan, and
// — run with `node --expose-gc`, which the worker inherits — what survives a full collection at the
// end of the minute), the entries of every cache kept between scans (core's module caches in
// the worker, the diagnosis' history and path caches, the activity monitor's), scan times,
// warnings, workers replaced. A program that prints: no thresholds; growth is for a reader to see.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import { ActivityMonitor } from '../src/core/activity/monitor';
import { SignalLog } from '../src/core/activity/signalLog';
import { moduleCacheSizes } from '../src/core/cacheSizes';
import type { Channel, WalkBackend } from '../src/core/model';
import { loadNative } from '../src/core/native';
import { SnapshotService } from '../src/core/snapshotService';
import { Churn } from './churn';

export interface SoakArgs {
  minutes: number;
  /** ms between one scan settling and the next starting (the extension's refreshInterval, default 1000). */
  intervalMs: number;
  churn: boolean;
  /** The eBPF tracer (ipcInspector.liveActivity = on); else the queue-depth monitor (the default 'ask', not answered). */
  tracer: boolean;
  spawnUs: number;
  maxLive: number;
  walk?: WalkBackend;
  json?: string;
}

export interface SoakMinute {
  minute: number;
  scans: number;
  /** next() wall ms (worker snapshot + diff + diagnosis + parts applied here): median, max. */
  scanMed: number;
  scanMax: number;
  /** snapshot.durationMs (the snapshot alone, in the worker): median. */
  snapMed: number;
  diagnosisMed: number;
  /** Main-thread ms per next() (parse + applyDiff): median, max. */
  mainMed: number;
  mainMax: number;
  rssMiB: number;
  anonMiB: number;
  hwmMiB: number;
  /** The C heap over every thread's arena (glibc), MiB: in use, and free but held. */
  cInUseMiB: number;
  cFreeMiB: number;
  /** V8 heap of this thread: lowest used after a scan, committed at the end of the minute (MiB). */
  hostUsedMiB: number;
  hostCommittedMiB: number;
  workerUsedMiB: number;
  workerCommittedMiB: number;
  /** V8 heap used right after a full collection, at the end of the minute (with node --expose-gc; NaN without). */
  hostLiveMiB: number;
  workerLiveMiB: number;
  fds: number;
  threads: number;
  channels: number;
  processes: number;
  problems: number;
  /** Diagnoses whose evidence its deadline cut short (`partial`). */
  partial: number;
  /** Most warnings in one snapshot this minute. */
  warnings: number;
  errors: number;
  abandonedWorkers: number;
  workersOutOfMemory: number;
  /** Tracer events lost this minute, by cause. */
  lost: Record<string, number>;
  episodes: number;
  /** The machine's 1-minute load average at the end of the minute (other users' work shows here). */
  load: number;
  caches: Record<string, number>;
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mib = (b: number): number => b / 1048576;

function status(): { rss: number; anon: number; hwm: number; threads: number } {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024, hwm: kb('VmHWM') / 1024, threads: kb('Threads') };
}

/** Digits out: the same warning about other processes or counts is one warning. */
const warningShape = (w: string): string => w.replace(/\d+/g, 'N');

export async function soak(tmp: string, a: SoakArgs): Promise<SoakMinute[]> {
  const addon = loadNative().addon;
  console.log(
    `IPC Inspector soak — ${os.hostname()}, Linux ${os.release()}, ${os.cpus().length} cores, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ` +
      `${a.minutes} min, refresh ${a.intervalMs} ms after each scan, diagnosis on, ${a.tracer ? 'eBPF tracer' : 'queue-depth activity'}, ` +
      (a.churn ? `churn: an episode every ${a.spawnUs} µs, at most ${a.maxLive} at once` : 'no churn'),
  );
  const churn = a.churn ? new Churn(tmp) : null;
  const svc = new SnapshotService({ diagnose: true, ...(a.walk ? { walk: a.walk } : {}) });
  const monitor = new ActivityMonitor({ tracer: a.tracer ? 'auto' : 'off' });
  const signals = new SignalLog(); // the host's log (LiveActivity.signals), which outlives monitors
  const index = new Map<string, Channel>(); // the view model's channelsById, patched from diffs
  const minutes: SoakMinute[] = [];
  const warningsSeen = new Map<string, number>();
  let stopped = false;
  const stop = () => (stopped = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    if (churn) console.log(`churn started (pid ${await churn.start({ spawnUs: a.spawnUs, maxLive: a.maxLive })})`);
    const cap = await monitor.start();
    console.log(`activity: ${cap.source}${cap.reason ? ` (${cap.reason})` : ''}; worker: ${svc.usingWorker ? 'yes' : `no (${svc.fallbackReason})`}`);
    const cols = ['min', 'scans', 'scan med', 'max', 'snap', 'diag', 'main med', 'max', 'RSS', 'anon', 'C use', 'C free', 'host used', 'comm', 'live', 'wrk used', 'comm', 'live', 'fds', 'thr', 'chan', 'procs', 'probl', 'part', 'warn', 'err', 'repl', 'lost', 'episodes', 'load'];
    console.log(cols.join('\t'));
    const started = performance.now();
    let lostSoFar: Record<string, number> = {};
    let episodesSoFar = 0;
    for (let m = 1; m <= a.minutes && !stopped; m++) {
      const end = started + m * 60_000;
      const scan: number[] = [];
      const snap: number[] = [];
      const diag: number[] = [];
      const main: number[] = [];
      let hostUsed = Infinity;
      let workerUsed = Infinity;
      let workerCommitted = NaN;
      let channels = 0;
      let processes = 0;
      let problems = 0;
      let partial = 0;
      let warnings = 0;
      let errors = 0;
      while (performance.now() < end && !stopped) {
        const t0 = performance.now();
        try {
          const r = await svc.next();
          scan.push(performance.now() - t0);
          snap.push(r.snapshot.durationMs);
          main.push(svc.lastMainThreadMs);
          if (r.diagnosis) {
            diag.push(r.diagnosis.evidenceMs + r.diagnosis.rulesMs);
            problems = r.diagnosis.problems.length;
            if (r.diagnosis.partial) partial++;
          }
          if (r.diff.fromTakenAt === null) index.clear();
          for (const id of r.diff.removedChannels) index.delete(id);
          for (const c of r.diff.changedChannels) index.set(c.id, c);
          for (const c of r.diff.addedChannels) index.set(c.id, c);
          const sample = await monitor.sample(r.snapshot, { channel: (id) => index.get(id), diff: r.diff });
          const fresh = monitor.signals.all();
          monitor.signals.clear();
          signals.push(fresh);
          if (sample.error) errors++;
          channels = r.snapshot.channels.length;
          processes = r.snapshot.processes.length;
          warnings = Math.max(warnings, r.snapshot.warnings.length);
          for (const w of r.snapshot.warnings) warningsSeen.set(warningShape(w), (warningsSeen.get(warningShape(w)) ?? 0) + 1);
        } catch (e) {
          errors++;
          const shape = `scan failed: ${warningShape((e as Error).message.split('\n')[0])}`;
          warningsSeen.set(shape, (warningsSeen.get(shape) ?? 0) + 1);
        }
        hostUsed = Math.min(hostUsed, v8.getHeapStatistics().used_heap_size);
        const wh = await svc.workerHeapStatistics();
        if (wh) {
          workerUsed = Math.min(workerUsed, wh.used_heap_size);
          workerCommitted = wh.total_heap_size;
        }
        await new Promise((r) => setTimeout(r, Math.max(250, a.intervalMs)));
      }
      // what survives a full collection, on both threads (node --expose-gc; the worker inherits it)
      const gc = (globalThis as { gc?: () => void }).gc;
      let hostLive = NaN;
      if (typeof gc === 'function') {
        gc();
        hostLive = v8.getHeapStatistics().used_heap_size;
      }
      const whLive = await svc.workerHeapStatistics({ collect: true });
      const workerLive = whLive && whLive.collected === 1 ? whLive.used_heap_size : NaN;
      const st = status();
      const c = addon?.mallocInfo();
      const h = v8.getHeapStatistics();
      const caches: Record<string, number> = {};
      for (const [k, v] of Object.entries((await svc.workerCacheSizes()) ?? {})) caches[`worker.${k}`] = v;
      for (const [k, v] of Object.entries(moduleCacheSizes())) caches[`host.${k}`] = v;
      for (const [k, v] of Object.entries(monitor.sizes())) caches[`activity.${k}`] = v;
      caches['host.signalLog'] = signals.size;
      caches['host.channelIndex'] = index.size;
      const lostTotal = monitor.lostTotal as unknown as Record<string, number>;
      const lost: Record<string, number> = {};
      for (const [k, v] of Object.entries(lostTotal)) if (k !== 'total') lost[k] = v - (lostSoFar[k] ?? 0);
      lostSoFar = { ...lostTotal };
      const episodes = churn ? churn.total() - episodesSoFar : 0;
      episodesSoFar = churn ? churn.total() : 0;
      const row: SoakMinute = {
        minute: m,
        scans: scan.length,
        scanMed: median(scan),
        scanMax: Math.max(...scan),
        snapMed: median(snap),
        diagnosisMed: median(diag),
        mainMed: median(main),
        mainMax: Math.max(...main),
        rssMiB: st.rss,
        anonMiB: st.anon,
        hwmMiB: st.hwm,
        cInUseMiB: c ? mib(c.inUse + c.mmap) : NaN,
        cFreeMiB: c ? mib(c.free) : NaN,
        hostUsedMiB: mib(hostUsed),
        hostCommittedMiB: mib(h.total_heap_size),
        workerUsedMiB: mib(workerUsed),
        workerCommittedMiB: mib(workerCommitted),
        hostLiveMiB: mib(hostLive),
        workerLiveMiB: mib(workerLive),
        fds: fs.readdirSync('/proc/self/fd').length,
        threads: st.threads,
        channels,
        processes,
        problems,
        partial,
        warnings,
        errors,
        abandonedWorkers: svc.abandonedWorkers,
        workersOutOfMemory: svc.workersOutOfMemory,
        lost,
        episodes,
        load: os.loadavg()[0],
        caches,
      };
      minutes.push(row);
      const f = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1)) : '—');
      const lostN = Object.values(lost).reduce((x, y) => x + y, 0);
      console.log(
        [m, row.scans, f(row.scanMed), f(row.scanMax), f(row.snapMed), f(row.diagnosisMed), f(row.mainMed), f(row.mainMax), f(row.rssMiB), f(row.anonMiB), f(row.cInUseMiB), f(row.cFreeMiB),
          f(row.hostUsedMiB), f(row.hostCommittedMiB), f(row.hostLiveMiB), f(row.workerUsedMiB), f(row.workerCommittedMiB), f(row.workerLiveMiB), row.fds, row.threads, row.channels, row.processes, row.problems, row.partial, row.warnings, row.errors,
          row.abandonedWorkers + row.workersOutOfMemory, lostN, row.episodes, row.load.toFixed(1)].join('\t'),
      );
      console.log(`  caches: ${Object.entries(caches).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      if (a.json) fs.writeFileSync(a.json, JSON.stringify({ args: a, host: os.hostname(), kernel: os.release(), minutes, warnings: Object.fromEntries(warningsSeen), churn: churn?.counts }, null, 2));
    }
    console.log(`\nwarnings seen (digits as N; snapshots that carried each): ${warningsSeen.size === 0 ? 'none' : ''}`);
    for (const [w, n] of [...warningsSeen].sort((x, y) => y[1] - x[1])) console.log(`  ${n}× ${w}`);
    console.log(`signal log: ${signals.size} kept, ${signals.evicted} pushed out; worker: ${svc.usingWorker ? 'in use' : `not used (${svc.fallbackReason})`}, replaced after a missed deadline ${svc.abandonedWorkers}×, out of memory ${svc.workersOutOfMemory}×`);
    if (churn) console.log(`churn (cumulative): ${Object.entries(churn.counts).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await monitor.stop();
    svc.dispose();
    await churn?.stop();
  }
  return minutes;
}
