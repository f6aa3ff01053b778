// Runs takeSnapshot + diffSnapshots in a worker_threads Worker (dist/snapshotWorker.js); the
// main thread only applies the diff (applyDiff), so the extension host stays responsive.
// If the worker cannot start (bundle missing, workers unavailable) or dies, it falls back to
// taking snapshots in-thread and says so in `fallbackReason`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { applyDiff, diffSnapshots } from './diff';
import type { Snapshot, SnapshotDiff } from './model';
import { takeSnapshot, type SnapshotOptions } from './snapshot';
import type { FromWorker, ToWorker } from './snapshotWorker';

export type SnapshotServiceOptions = SnapshotOptions & { workerPath?: string };

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
  resolve: (v: { diff: SnapshotDiff; snapshot: Snapshot }) => void;
  reject: (e: Error) => void;
}

export class SnapshotService {
  /** Main-thread time of the last next(): applying the diff (plus the in-thread snapshot when falling back). */
  lastMainThreadMs = 0;
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

  constructor(opts: SnapshotServiceOptions = {}) {
    const { workerPath, ...options } = opts;
    this.options = options;
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
      this.worker = new Worker(script, { workerData: { options } });
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
    if (options.nativeAddon !== undefined && this.worker) this.fail('an injected nativeAddon cannot cross to a worker');
    this.worker?.postMessage({ type: 'options', options } satisfies ToWorker);
  }

  /** Takes the next snapshot; calls are serialised. */
  next(): Promise<{ diff: SnapshotDiff; snapshot: Snapshot }> {
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

  private async nextNow(): Promise<{ diff: SnapshotDiff; snapshot: Snapshot }> {
    if (this.disposed) throw new Error('SnapshotService disposed');
    if (!this.worker) return this.inThread();
    const w = this.worker;
    const seq = ++this.seq;
    w.ref();
    try {
      return await new Promise((resolve, reject) => {
        this.pending.set(seq, { seq, resolve, reject });
        w.postMessage({ type: 'next', seq } satisfies ToWorker);
      });
    } catch (e) {
      if (this.worker === null && !this.disposed) return this.inThread(); // worker died: fall back
      throw e;
    } finally {
      if (this.worker) this.worker.unref();
    }
  }

  private async inThread(): Promise<{ diff: SnapshotDiff; snapshot: Snapshot }> {
    const t0 = performance.now();
    const snapshot = await takeSnapshot(this.options);
    const diff = diffSnapshots(this.current, snapshot);
    this.current = snapshot;
    this.lastWorkerMs = 0;
    this.lastMainThreadMs = performance.now() - t0; // includes awaits; the whole scan ran on this thread
    return { diff, snapshot };
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') return;
    const p = this.pending.get(m.seq);
    if (!p) return;
    this.pending.delete(m.seq);
    if (m.type === 'error') {
      p.reject(new Error(m.message));
      return;
    }
    const t0 = performance.now();
    const snapshot = applyDiff(this.current, m.diff);
    this.current = snapshot;
    this.lastWorkerMs = m.workerMs;
    this.lastMainThreadMs = performance.now() - t0;
    p.resolve({ diff: m.diff, snapshot });
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
