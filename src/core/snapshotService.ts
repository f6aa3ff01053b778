// Runs takeSnapshot + diffSnapshots in a worker_threads Worker (dist/snapshotWorker.js); the
// main thread only parses and applies the diff (JSON.parse + applyDiff), in parts of at most
// DIFF_PART_CHANNELS entries and DIFF_PART_BYTES bytes with the event loop free in between, so the
// extension host stays responsive even for a first full diff of 50k+ channels, or for objects
// other users made huge on purpose.
// If the worker cannot start (bundle missing, workers unavailable) next() rejects and
// `fallbackReason` says why: a scan reads other users' /proc files and paths, and nothing that can
// block runs on the extension host's thread. Only a caller that owns its thread (a command-line
// run, a test with an injected addon) may ask for in-thread scans instead (`scanOnCallingThread`).
// A worker that dies is replaced by a new one (MAX_WORKER_RESTARTS in a row before giving up). Every scan has a deadline: a worker that has
// not answered by then may be blocked in the kernel for good (a read that no signal interrupts),
// so it is left behind — terminated, which takes effect if the call ever returns — and a new one
// takes over; next() rejects with ETIMEDOUT. Timeouts never fall back to scanning in-thread.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { applyDiff, diffSnapshots } from './diff';
import type { Snapshot, SnapshotDiff } from './model';
import { SocketLookups, takeSnapshot, type SnapshotOptions } from './snapshot';
import type { FromWorker, ToWorker } from './snapshotWorker';
import type { Channel, ProcessInfo } from './model';
import type { Diagnosis } from './diagnose/problem';
import { DiagnosisReceiver, diagnosisHook, type DiagnoseSetting, type DiagnosisDelta } from './diagnose/workerHook';
import type { FilterState } from './filter';
import { DeadlineError } from './deadline';
import { keepWalkBuffers, loadNative } from './native';
import { SCAN_DEADLINE_MS } from './snapshot';

export type SnapshotServiceOptions = SnapshotOptions & {
  workerPath?: string;
  /** Entries per diff message (default DIFF_PART_CHANNELS in snapshotWorker.ts). */
  partChannels?: number;
  /** UTF-8 bytes per diff message (default DIFF_PART_BYTES in snapshotWorker.ts). */
  partBytes?: number;
  /** Worker young generation (V8 semi-spaces), MB; 0 = V8's default. Default WORKER_YOUNG_GENERATION_MB. */
  youngGenerationMb?: number;
  /** Worker old generation limit, MB; 0 = V8's default. Default WORKER_OLD_GENERATION_MB (lifted if the worker runs out of it). */
  oldGenerationMb?: number;
  /** Run the diagnosis rules after each snapshot, in the worker (true, or Diagnoser options); next() then carries `diagnosis`. */
  diagnose?: DiagnoseSetting;
  /** How long one next() may take in the worker before it is replaced (ms). Default SERVICE_DEADLINE_MS. */
  serviceDeadlineMs?: number;
  /**
   * Scan on the calling thread when no worker can run (missing bundle, an injected addon, workers
   * that keep dying). Off by default: the extension host's thread must never block on a read.
   */
  scanOnCallingThread?: boolean;
  /** A diff at least this large (bytes) asks this thread's V8 for memory back once applied (default LARGE_DIFF_BYTES; Infinity: never). */
  largeDiffBytes?: number;
  /** How long the worker waits without a next() before it gives the addon's kept walk buffers back (ms; default POOL_IDLE_MS in snapshotWorker.ts). */
  poolIdleMs?: number;
};

export interface NextResult {
  diff: SnapshotDiff;
  snapshot: Snapshot;
  /** The diagnosis of this snapshot, when the service was created with `diagnose`. */
  diagnosis?: Diagnosis;
}

/** Default deadline of one scan in the worker: the walk's own deadline plus time for the probes. */
export const SERVICE_DEADLINE_MS = SCAN_DEADLINE_MS + 30000;
/** Workers replaced in a row (died or missed the deadline) before the service stops using one. */
export const MAX_WORKER_RESTARTS = 3;

/**
 * Young generation of the snapshot worker, MB (V8 splits it in three: two semi-spaces and the new
 * large-object space). Nearly everything a scan allocates lives until the scan is done (the
 * snapshot) or dies at once, and V8's default grows the semi-spaces to 16 MB each in the first
 * scan and keeps them. Measured at 52k fds, quiet machine, 3 scans (bench/README.md, "Service
 * memory"): worker GC time 96–134 ms with V8's default, 106–118 ms with 16, 109–126 with 8,
 * 173–177 with 4; the process's peak RSS 199–203 / 163–182 / 153–177 / 146–169 MiB. At 255k fds
 * 8 and 4 cost 2× and 3.5× the default's GC time, 16 about the same: 16 is the size that costs
 * nothing.
 */
export const WORKER_YOUNG_GENERATION_MB = 16;

/**
 * A diff this large (all its parts' JSON, bytes) asks the calling thread's V8 for its memory back
 * once applied (native memoryPressure: moderate, incremental marking that shrinks the young
 * generation at its end). Parsing a first full diff grows the host's young generation to its
 * maximum — every parsed channel survives a scavenge — and V8 keeps it committed, nearly empty,
 * for good: 32 of 54 MiB of the host's heap at 50k fds (bench --rss-service), 64 → 128 MiB in a
 * real extension host (bench/README.md). Later diffs are small. At 50k fds a first diff is
 * ~10 MB; at 5k ~1 MB.
 */
export const LARGE_DIFF_BYTES = 4 * 1024 * 1024;

/**
 * Old-generation limit of the snapshot worker, MB. Not a cap that is meant to be reached: V8 sizes
 * how far the heap may grow before the next full GC by this limit (a factor of ~1.4 of the live
 * heap at 512 MB, 4 with Node's default of several GB). With the default the previous scan's dead
 * snapshot stayed in the heap beside the next one (+25 MB per scan at 50k fds until a full GC);
 * with 512 MB the worker collects it while building the next. A scan that needs more (millions of
 * fds) kills the worker with ERR_WORKER_OUT_OF_MEMORY: the service then starts a new one without
 * the limit and retries the scan, so the limit costs one scan there, never a result.
 */
export const WORKER_OLD_GENERATION_MB = 512;

/** The scan worker's script of an installed extension (its bundles are in dist/). */
export function workerScriptOf(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'snapshotWorker.js');
}

/** Walks up from `start` looking for `dist/snapshotWorker.js` (or `snapshotWorker.js` beside a bundle in dist/). */
export function findWorkerScript(start: string = __dirname): string | null {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    for (const p of [path.join(dir, 'dist', 'snapshotWorker.js'), path.join(dir, 'snapshotWorker.js')]) {
      if (path.basename(path.dirname(p)) === 'dist' && fs.existsSync(p)) return p;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

interface Pending {
  seq: number;
  resolve: (v: NextResult) => void;
  reject: (e: Error) => void;
  /** Parts applied so far (the snapshot under construction; `current` stays as is until the last part). */
  staging: Snapshot | null;
  started: boolean;
  removed: string[][];
  changed: Channel[][];
  added: Channel[][];
  removedProcs: number[][];
  changedProcs: ProcessInfo[][];
  addedProcs: ProcessInfo[][];
  partBytes: number[];
  mainMs: number;
  maxStallMs: number;
}

const flat = <T>(lists: T[][], last: T[]): T[] => (lists.length === 0 ? last : ([] as T[]).concat(...lists, last));

export class SnapshotService {
  /**
   * Main-thread time of the last next(): JSON.parse + applyDiff of every part (plus the in-thread
   * snapshot when falling back). Receiving each part is one string copy, not counted (small).
   */
  lastMainThreadMs = 0;
  /** Longest single main-thread stretch of the last next() (one part: parse + apply). */
  lastMaxStallMs = 0;
  /** Messages the last diff came in. */
  lastParts = 0;
  /** UTF-8 size of each message of the last diff (as the worker encoded them). */
  lastPartBytes: number[] = [];
  /** Time the worker spent on the last snapshot + diff. */
  lastWorkerMs = 0;
  /** The process's CPU while the worker took the last snapshot (every thread: the snapshot's own only when the host idles meanwhile), ms. */
  lastSnapshotCpuMs = 0;
  /** Why snapshots run in-thread, or null while the worker is used. */
  fallbackReason: string | null = null;
  /** The latest snapshot (as applied on this thread). */
  current: Snapshot | null = null;

  private worker: Worker | null = null;
  private seq = 0;
  private pending = new Map<number, Pending>();
  /** Workers replaced because they missed the deadline (each may still hold a thread blocked in the kernel). */
  abandonedWorkers = 0;
  /** Workers that ran out of the old-generation limit (their successors run without it). */
  workersOutOfMemory = 0;

  private options: SnapshotOptions;
  private disposed = false;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly script: string | null = null;
  private readonly partChannels: number | undefined;
  private readonly partBytes: number | undefined;
  private readonly poolIdleMs: number | undefined;
  private readonly youngGenerationMb: number;
  private readonly largeDiffBytes: number;
  /** Asks this thread's V8 for memory back (the addon's memoryPressure), when the addon has it. */
  private readonly returnMemory: (() => void) | undefined;
  /** 0 once a worker ran out of the old-generation limit: its successors run without one. */
  private oldGenerationMb: number;
  private readonly serviceDeadlineMs: number;
  /** Workers replaced in a row without a scan completing in between. */
  private restarts = 0;
  /** Set once the service stopped using workers after they kept missing the deadline. */
  private stuckReason: string | null = null;
  /** scanOnCallingThread: without a worker, scan here instead of rejecting. */
  private readonly onCallingThread: boolean;

  /** What the lookups of sockets in no table learnt, used only when scanning on the calling thread (the worker has its own). */
  private readonly socketLookups = new SocketLookups();
  /** In-thread diagnosis, used only when scanning on the calling thread (the worker has its own). */
  private localDiagnosis: ReturnType<typeof diagnosisHook> = null;
  /** setDiagnosisNarrowing's filter, for a worker started after it. */
  private narrowing: FilterState | null = null;
  private readonly diagnose: DiagnoseSetting;
  /** The problems as last received (the worker sends what changed). */
  private readonly received = new DiagnosisReceiver();

  constructor(opts: SnapshotServiceOptions = {}) {
    const { workerPath, partChannels, partBytes, youngGenerationMb, oldGenerationMb, diagnose, serviceDeadlineMs, scanOnCallingThread, largeDiffBytes, poolIdleMs, ...options } = opts;
    this.options = options;
    this.onCallingThread = scanOnCallingThread === true;
    this.diagnose = diagnose;
    this.partChannels = partChannels;
    this.partBytes = partBytes;
    this.poolIdleMs = poolIdleMs;
    this.youngGenerationMb = youngGenerationMb ?? WORKER_YOUNG_GENERATION_MB;
    this.largeDiffBytes = largeDiffBytes ?? LARGE_DIFF_BYTES;
    const addon = loadNative().addon;
    this.returnMemory = addon?.memoryPressure ? () => addon.memoryPressure!() : undefined;
    this.oldGenerationMb = oldGenerationMb ?? WORKER_OLD_GENERATION_MB;
    this.serviceDeadlineMs = serviceDeadlineMs ?? SERVICE_DEADLINE_MS;
    if (options.nativeAddon !== undefined) {
      this.fallbackReason = `an injected nativeAddon cannot cross to a worker${this.where()}`;
      return;
    }
    const script = workerPath ?? findWorkerScript();
    if (!script || !fs.existsSync(script)) {
      this.fallbackReason = `snapshot worker not found (${script ?? 'dist/snapshotWorker.js'})${this.where()}`;
      return;
    }
    this.script = script;
    this.startWorker();
  }

  /** What happens without a worker, for fallbackReason. */
  private where(): string {
    return this.onCallingThread ? '; scanning on the calling thread' : '; no scans (they never run on the calling thread)';
  }

  /** Starts a worker on the current options; on failure sets fallbackReason. */
  private startWorker(): void {
    if (!this.script) return;
    try {
      const young = this.youngGenerationMb;
      const old = this.oldGenerationMb;
      const w = new Worker(this.script, {
        workerData: { options: this.options, partChannels: this.partChannels, partBytes: this.partBytes, poolIdleMs: this.poolIdleMs, diagnose: this.diagnose, narrowing: this.narrowing },
        resourceLimits: { ...(young > 0 ? { maxYoungGenerationSizeMb: young } : {}), ...(old > 0 ? { maxOldGenerationSizeMb: old } : {}) },
      });
      this.worker = w;
      // Events of a worker that was replaced are ignored.
      w.on('message', (m: FromWorker) => {
        if (this.worker === w) this.onMessage(m);
      });
      w.on('error', (e) => {
        if (this.worker !== w) return;
        // a scan larger than the old-generation limit: the next worker runs without it
        if ((e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          this.oldGenerationMb = 0;
          this.workersOutOfMemory++;
        }
        this.fail(`snapshot worker failed: ${e.message}`);
      });
      w.on('exit', (code) => {
        if (this.worker === w && !this.disposed) this.fail(`snapshot worker exited (code ${code})`);
      });
      w.unref();
    } catch (e) {
      this.worker = null;
      this.fallbackReason = `snapshot worker could not start: ${(e as Error).message}${this.where()}`;
    }
  }

  /**
   * The worker's V8 heap (`Worker.getHeapStatistics` where Node has it, ≥ 22.16 / 24; otherwise the
   * worker reads its own), for the benchmarks' memory figures; null without a worker. `collect`:
   * after a full collection in the worker, where the process runs with --expose-gc (the soak bench;
   * `collected` says whether it ran).
   */
  async workerHeapStatistics(opts: { collect?: boolean } = {}): Promise<Record<string, number> | null> {
    const w = this.worker as (Worker & { getHeapStatistics?: () => Promise<Record<string, number>> }) | null;
    if (!w) return null;
    if (opts.collect || typeof w.getHeapStatistics !== 'function') return (await this.workerStats(opts.collect === true))?.heap ?? null;
    w.ref(); // the answer comes through the worker's port: keep the process up for it
    try {
      return await w.getHeapStatistics();
    } catch {
      return null; // the worker is exiting: no figure, nothing lost
    } finally {
      if (this.pending.size === 0) w.unref(); // a scan in flight keeps its own ref until it settles
    }
  }

  /**
   * Entry counts of the caches the worker keeps between scans (core's module caches, the
   * diagnosis' history and path caches, the previous digest), for the soak bench; null without a
   * worker. Scanning in-thread, the caller reads moduleCacheSizes() (cacheSizes.ts) itself.
   */
  async workerCacheSizes(): Promise<Record<string, number> | null> {
    return (await this.workerStats())?.caches ?? null;
  }

  private statsId = 0;
  private readonly statsAnswers = new Map<number, (s: { heap: Record<string, number>; caches: Record<string, number> } | null) => void>();

  /** Asks the worker for its heap and cache sizes; null without a worker, or if it is replaced or does not answer within the deadline. */
  private workerStats(collect = false): Promise<{ heap: Record<string, number>; caches: Record<string, number> } | null> {
    const w = this.worker;
    if (!w) return Promise.resolve(null);
    const id = ++this.statsId;
    w.ref(); // the answer comes through the worker's port: keep the process up for it
    return new Promise((resolve) => {
      const done = (s: { heap: Record<string, number>; caches: Record<string, number> } | null) => {
        clearTimeout(timer);
        this.statsAnswers.delete(id);
        if (this.worker === w && this.pending.size === 0) w.unref();
        resolve(s);
      };
      // a worker in a long synchronous stretch answers late; one that was replaced never does
      const timer = setTimeout(() => done(null), this.serviceDeadlineMs);
      this.statsAnswers.set(id, done);
      w.postMessage({ type: 'stats', id, collect } satisfies ToWorker);
    });
  }

  /** True while snapshots are taken in the worker. */
  get usingWorker(): boolean {
    return this.worker !== null;
  }

  /**
   * How the views are narrowed (null: not at all): the diagnosis then lists only the problems they
   * show, before its per-rule cap. Kept for a worker started later (a replaced one).
   */
  setDiagnosisNarrowing(filter: FilterState | null): void {
    this.narrowing = filter;
    this.localDiagnosis?.narrow(filter);
    this.worker?.postMessage({ type: 'narrow', filter } satisfies ToWorker);
  }

  /** Changes the filters; the next diff is a full one (from an empty snapshot). */
  setOptions(options: SnapshotOptions): void {
    this.options = options;
    this.current = null;
    this.localDiagnosis?.reset();
    if (options.nativeAddon !== undefined && this.worker) this.fail('an injected nativeAddon cannot cross to a worker');
    this.worker?.postMessage({ type: 'options', options } satisfies ToWorker);
  }

  /** Takes the next snapshot; calls are serialised. */
  next(): Promise<NextResult> {
    const run = this.chain.then(
      () => this.nextNow(),
      () => this.nextNow(),
    );
    this.chain = run.catch(() => undefined);
    return run;
  }

  dispose(): void {
    this.disposed = true;
    const w = this.worker;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error('SnapshotService disposed'));
    this.pending.clear();
    for (const answer of [...this.statsAnswers.values()]) answer(null);
    if (w) {
      void w.terminate();
      keepWalkBuffers(false); // the walk buffers the worker had the addon keep for its next walk
    }
  }

  private async nextNow(): Promise<NextResult> {
    if (this.disposed) throw new Error('SnapshotService disposed');
    if (this.stuckReason) throw new DeadlineError(this.stuckReason, this.serviceDeadlineMs);
    if (!this.worker) return this.withoutWorker();
    const w = this.worker;
    const seq = ++this.seq;
    w.ref();
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = await new Promise<NextResult>((resolve, reject) => {
        this.pending.set(seq, {
          seq, resolve, reject, staging: null, started: false, removed: [], changed: [], added: [],
          removedProcs: [], changedProcs: [], addedProcs: [], partBytes: [], mainMs: 0, maxStallMs: 0,
        });
        timer = setTimeout(() => this.abandon(w, seq), this.serviceDeadlineMs);
        w.postMessage({ type: 'next', seq } satisfies ToWorker);
      });
      this.restarts = 0;
      return r;
    } catch (e) {
      if (!this.disposed && !this.stuckReason && !(e instanceof DeadlineError)) {
        if (this.worker === null) return this.withoutWorker(); // could not restart
        if (this.worker !== w) return this.nextNow(); // it died and was replaced: once more on the new one
      }
      throw e;
    } finally {
      clearTimeout(timer);
      w.unref();
    }
  }

  /** The worker missed the deadline on scan `seq`: leave it behind and start a new one. */
  private abandon(w: Worker, seq: number): void {
    if (this.worker !== w || this.disposed) return;
    const p = this.pending.get(seq);
    this.pending.delete(seq);
    this.worker = null;
    this.current = null; // the new worker starts from an empty snapshot: its first diff is a full one
    this.abandonedWorkers++;
    void w.terminate().catch(() => undefined); // takes effect if the blocked call ever returns
    w.unref();
    const what = 'snapshot: the scan worker did not answer (a read is probably blocked in the kernel); it was left behind';
    if (++this.restarts > MAX_WORKER_RESTARTS) {
      this.stuckReason = `snapshot: ${this.restarts} scan workers in a row did not answer; scanning stopped`;
    } else {
      this.startWorker();
    }
    p?.reject(new DeadlineError(what, this.serviceDeadlineMs));
  }

  private withoutWorker(): Promise<NextResult> {
    if (this.onCallingThread) return this.inThread();
    return Promise.reject(new Error(`snapshot: ${this.fallbackReason ?? 'no scan worker'}`));
  }

  private async inThread(): Promise<NextResult> {
    const t0 = performance.now();
    const snapshot = await takeSnapshot({ ...this.options, socketLookups: this.socketLookups });
    const diff = diffSnapshots(this.current, snapshot);
    this.current = snapshot;
    if (this.diagnose && !this.localDiagnosis) this.localDiagnosis = diagnosisHook(this.diagnose, this.narrowing);
    const diagnosis = this.localDiagnosis ? this.received.apply(JSON.parse(this.localDiagnosis.run(snapshot)) as DiagnosisDelta) : undefined;
    this.lastWorkerMs = 0;
    this.lastSnapshotCpuMs = 0;
    this.lastMainThreadMs = performance.now() - t0; // includes awaits; the whole scan ran on this thread
    this.lastMaxStallMs = this.lastMainThreadMs;
    this.lastParts = 0;
    this.lastPartBytes = [];
    return diagnosis ? { diff, snapshot, diagnosis } : { diff, snapshot };
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') return;
    if (m.type === 'stats') {
      this.statsAnswers.get(m.id)?.({ heap: m.heap, caches: m.caches });
      return;
    }
    const p = this.pending.get(m.seq);
    if (m.type === 'part' && !p) {
      this.worker?.postMessage({ type: 'ack', seq: m.seq } satisfies ToWorker); // never leave the worker waiting
      return;
    }
    if (!p) return;
    if (m.type === 'error') {
      this.pending.delete(m.seq);
      p.reject(new Error(m.message));
      return;
    }
    const t0 = performance.now();
    const part = JSON.parse(m.json) as SnapshotDiff;
    p.staging = applyDiff(p.started ? p.staging : this.current, part);
    p.started = true;
    p.partBytes.push(m.bytes);
    const ms = performance.now() - t0;
    p.mainMs += ms;
    if (ms > p.maxStallMs) p.maxStallMs = ms;
    if (m.type === 'part') {
      p.removed.push(part.removedChannels);
      p.changed.push(part.changedChannels);
      p.added.push(part.addedChannels);
      p.removedProcs.push(part.removedProcesses);
      p.changedProcs.push(part.changedProcesses);
      p.addedProcs.push(part.addedProcesses);
      this.worker?.postMessage({ type: 'ack', seq: m.seq } satisfies ToWorker);
      return;
    }
    this.pending.delete(m.seq);
    const t1 = performance.now();
    const diff: SnapshotDiff =
      m.parts <= 1
        ? part
        : {
            ...part,
            removedChannels: flat(p.removed, part.removedChannels),
            changedChannels: flat(p.changed, part.changedChannels),
            addedChannels: flat(p.added, part.addedChannels),
            removedProcesses: flat(p.removedProcs, part.removedProcesses),
            changedProcesses: flat(p.changedProcs, part.changedProcesses),
            addedProcesses: flat(p.addedProcs, part.addedProcesses),
          };
    const snapshot = p.staging!;
    this.current = snapshot;
    const tail = performance.now() - t1;
    this.lastWorkerMs = m.workerMs;
    this.lastSnapshotCpuMs = m.snapshotCpuMs;
    this.lastMainThreadMs = p.mainMs + tail;
    this.lastMaxStallMs = Math.max(p.maxStallMs, ms + tail);
    this.lastParts = m.parts;
    this.lastPartBytes = p.partBytes;
    if (p.partBytes.reduce((a, b) => a + b, 0) >= this.largeDiffBytes) this.returnMemory?.();
    // the diagnosis was computed in the worker; here it is only parsed
    p.resolve(m.diagnosis ? { diff, snapshot, diagnosis: this.received.apply(JSON.parse(m.diagnosis) as DiagnosisDelta) } : { diff, snapshot });
  }

  private fail(reason: string): void {
    if (this.disposed) return;
    const w = this.worker;
    this.worker = null;
    this.current = null;
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
    for (const answer of [...this.statsAnswers.values()]) answer(null);
    if (w) void w.terminate().catch(() => undefined);
    // A new worker, unless they keep dying (or options cannot cross)
    if (++this.restarts <= MAX_WORKER_RESTARTS && this.options.nativeAddon === undefined) this.startWorker();
    if (!this.worker) this.fallbackReason = `${reason}${this.where()}`;
  }
}
