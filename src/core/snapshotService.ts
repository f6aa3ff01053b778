// Runs takeSnapshot + diffSnapshots in a worker_threads Worker (dist/snapshotWorker.js); the
// main thread only parses and applies the diff (JSON.parse + applyDiff), in parts of at most
// DIFF_PART_CHANNELS entries and DIFF_PART_BYTES bytes with the event loop free in between, so the
// extension host stays responsive even for a first full diff of 50k+ channels, or for objects
// other users made huge on purpose.
// If the worker cannot start (bundle missing, workers unavailable) or dies, it falls back to
// taking snapshots in-thread and says so in `fallbackReason`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { applyDiff, diffSnapshots } from './diff';
import type { Snapshot, SnapshotDiff } from './model';
import { takeSnapshot, type SnapshotOptions } from './snapshot';
import type { FromWorker, ToWorker } from './snapshotWorker';
import type { Channel, ProcessInfo } from './model';
import type { Diagnosis } from './diagnose/problem';
import { DiagnosisReceiver, diagnosisHook, type DiagnoseSetting, type DiagnosisDelta } from './diagnose/workerHook';

export type SnapshotServiceOptions = SnapshotOptions & {
  workerPath?: string;
  /** Entries per diff message (default DIFF_PART_CHANNELS in snapshotWorker.ts). */
  partChannels?: number;
  /** UTF-8 bytes per diff message (default DIFF_PART_BYTES in snapshotWorker.ts). */
  partBytes?: number;
  /** Worker young generation (V8 semi-spaces), MB; 0 = V8's default. */
  youngGenerationMb?: number;
  /** Run the diagnosis rules after each snapshot, in the worker (true, or Diagnoser options); next() then carries `diagnosis`. */
  diagnose?: DiagnoseSetting;
};

export interface NextResult {
  diff: SnapshotDiff;
  snapshot: Snapshot;
  /** The diagnosis of this snapshot, when the service was created with `diagnose`. */
  diagnosis?: Diagnosis;
}

/**
 * Young generation of the snapshot worker. A snapshot's channels are alive until the snapshot is
 * done, so with V8's default young generation they are copied by several scavenges and promoted;
 * a larger one could let more die young. Measured at 50k fds (steady-state next(), worker ms
 * and process CPU, 18 runs each): 48 MB (≈ V8's default) and 96 MB made no difference beyond
 * noise, so 0 keeps V8's default; the option stays for tuning.
 */
export const WORKER_YOUNG_GENERATION_MB = 0;

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
  /** Why snapshots run in-thread, or null while the worker is used. */
  fallbackReason: string | null = null;
  /** The latest snapshot (as applied on this thread). */
  current: Snapshot | null = null;

  private worker: Worker | null = null;
  private seq = 0;
  private pending = new Map<number, Pending>();
  private options: SnapshotOptions;
  private disposed = false;
  private chain: Promise<unknown> = Promise.resolve();

  /** In-thread diagnosis, used only when scanning on the calling thread (the worker has its own). */
  private localDiagnosis: ReturnType<typeof diagnosisHook> = null;
  private readonly diagnose: DiagnoseSetting;
  /** The problems as last received (the worker sends what changed). */
  private readonly received = new DiagnosisReceiver();

  constructor(opts: SnapshotServiceOptions = {}) {
    const { workerPath, partChannels, partBytes, youngGenerationMb, diagnose, ...options } = opts;
    this.options = options;
    this.diagnose = diagnose;
    if (options.nativeAddon !== undefined) {
      this.fallbackReason = 'an injected nativeAddon cannot cross to a worker; scanning on the calling thread';
      return;
    }
    const script = workerPath ?? findWorkerScript();
    if (!script || !fs.existsSync(script)) {
      this.fallbackReason = `snapshot worker not found (${script ?? 'dist/snapshotWorker.js'}); scanning on the calling thread`;
      return;
    }
    try {
      const young = youngGenerationMb ?? WORKER_YOUNG_GENERATION_MB;
      this.worker = new Worker(script, {
        workerData: { options, partChannels, partBytes, diagnose },
        ...(young > 0 ? { resourceLimits: { maxYoungGenerationSizeMb: young } } : {}),
      });
      this.worker.on('message', (m: FromWorker) => this.onMessage(m));
      this.worker.on('error', (e) => this.fail(`snapshot worker failed: ${e.message}`));
      this.worker.on('exit', (code) => {
        if (!this.disposed) this.fail(`snapshot worker exited (code ${code})`);
      });
      this.worker.unref();
    } catch (e) {
      this.worker = null;
      this.fallbackReason = `snapshot worker could not start: ${(e as Error).message}; scanning on the calling thread`;
    }
  }

  /** True while snapshots are taken in the worker. */
  get usingWorker(): boolean {
    return this.worker !== null;
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
    if (w) void w.terminate();
  }

  private async nextNow(): Promise<NextResult> {
    if (this.disposed) throw new Error('SnapshotService disposed');
    if (!this.worker) return this.inThread();
    const w = this.worker;
    const seq = ++this.seq;
    w.ref();
    try {
      return await new Promise((resolve, reject) => {
        this.pending.set(seq, {
          seq, resolve, reject, staging: null, started: false, removed: [], changed: [], added: [],
          removedProcs: [], changedProcs: [], addedProcs: [], partBytes: [], mainMs: 0, maxStallMs: 0,
        });
        w.postMessage({ type: 'next', seq } satisfies ToWorker);
      });
    } catch (e) {
      if (this.worker === null && !this.disposed) return this.inThread(); // worker died: fall back
      throw e;
    } finally {
      if (this.worker) this.worker.unref();
    }
  }

  private async inThread(): Promise<NextResult> {
    const t0 = performance.now();
    const snapshot = await takeSnapshot(this.options);
    const diff = diffSnapshots(this.current, snapshot);
    this.current = snapshot;
    if (this.diagnose && !this.localDiagnosis) this.localDiagnosis = diagnosisHook(this.diagnose);
    const diagnosis = this.localDiagnosis ? this.received.apply(JSON.parse(this.localDiagnosis.run(snapshot)) as DiagnosisDelta) : undefined;
    this.lastWorkerMs = 0;
    this.lastMainThreadMs = performance.now() - t0; // includes awaits; the whole scan ran on this thread
    this.lastMaxStallMs = this.lastMainThreadMs;
    this.lastParts = 0;
    this.lastPartBytes = [];
    return diagnosis ? { diff, snapshot, diagnosis } : { diff, snapshot };
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') return;
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
    this.lastMainThreadMs = p.mainMs + tail;
    this.lastMaxStallMs = Math.max(p.maxStallMs, ms + tail);
    this.lastParts = m.parts;
    this.lastPartBytes = p.partBytes;
    // the diagnosis was computed in the worker; here it is only parsed
    p.resolve(m.diagnosis ? { diff, snapshot, diagnosis: this.received.apply(JSON.parse(m.diagnosis) as DiagnosisDelta) } : { diff, snapshot });
  }

  private fail(reason: string): void {
    if (this.disposed) return;
    this.fallbackReason = `${reason}; scanning on the calling thread`;
    const w = this.worker;
    this.worker = null;
    this.current = null;
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
    if (w) void w.terminate().catch(() => undefined);
  }
}
