// worker_threads entry (bundled to dist/snapshotWorker.js): takes snapshots off the main thread,
// keeps a digest of the previous one (fingerprints, snapshotDigest.ts) and posts only the diff,
// as JSON text in bounded parts, each encoded when the one before it was acked. Protocol:
//   main → worker: { type: 'next', seq } | { type: 'options', options } | { type: 'reset' } | { type: 'ack', seq }
//                | { type: 'narrow', filter }   (how the views are narrowed: the diagnosis lists what they show)
//                | { type: 'stats', id, collect? }   (answered at once, between a scan's awaits: its V8 heap —
//                  after a full collection when asked and the process runs with --expose-gc, as the
//                  soak bench does —, its caches' entry counts)
//   worker → main: { type: 'ready' }
//                | { type: 'part', seq, json, bytes }     (a piece of the diff; the main thread acks it)
//                | { type: 'diff', seq, json, bytes, workerMs, snapshotCpuMs, parts, diagnosis? } (the last piece; with
//                  workerData.diagnose, what changed in the diagnosis, as JSON — diagnose/workerHook.ts)
//                | { type: 'error', seq, message }
//                | { type: 'stats', id, heap, caches }
// Why parts and JSON: receiving a message deserializes it on the main thread before any listener
// runs, so one 50k-channel diff would stall it for hundreds of ms, unmeasured. A string arrives
// as one copy; the main thread's JSON.parse + applyDiff of ≤ DIFF_PART_CHANNELS entries and
// ≤ DIFF_PART_BYTES bytes is short and timed; the next part is sent only after the ack, so the main
// event loop runs in between.
import * as v8 from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { SnapshotDiff } from './model';
import { diffFromDigest, digestSnapshot, type SnapshotDigest } from './snapshotDigest';
import { takeSnapshot, type SnapshotOptions } from './snapshot';
import { hiddenNetnsCacheSize, SocketLookups } from './probes/hiddenNetns';
import { diagnosisHook } from './diagnose/workerHook';
import { asFilterState, type FilterState } from './filter';
import { moduleCacheSizes } from './cacheSizes';
import { keepWalkBuffers } from './native';

/** Entries per part: channels (removed ids, changed, added) and processes (removed, changed, added). */
export const DIFF_PART_CHANNELS = 2000;

/**
 * UTF-8 bytes per part. Any user can make objects whose JSON is huge (40 SysV sets of 32,000
 * semaphores are ~16 MB; a process may have a 2 MiB command line), so a count alone does not
 * bound what the main thread parses at once. A part is closed before an entry would take it past
 * this; one entry larger than it travels alone (a single SysV set of 32,000 semaphores is ~0.4 MB).
 */
export const DIFF_PART_BYTES = 1024 * 1024;

/**
 * A worker asked for no snapshot this long gives back the walk buffers the addon keeps for the
 * next walk (keepWalkBuffers: kept while a worker refreshes, so that a refresh's buffers do not
 * fault in again page by page), and stops keeping them until its next snapshot.
 */
export const POOL_IDLE_MS = 35_000;

export interface PartLimits {
  /** Entries per part (default DIFF_PART_CHANNELS). */
  maxEntries?: number;
  /** UTF-8 bytes per part (default DIFF_PART_BYTES). */
  maxBytes?: number;
}

export type ToWorker =
  | { type: 'next'; seq: number }
  | { type: 'options'; options: SnapshotOptions }
  | { type: 'reset' }
  | { type: 'narrow'; filter: FilterState | null }
  | { type: 'ack'; seq: number }
  | { type: 'stats'; id: number; collect?: boolean };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'stats'; id: number; heap: Record<string, number>; caches: Record<string, number> }
  | { type: 'part'; seq: number; json: string; bytes: number }
  // snapshotCpuMs: the process's CPU (every thread) while takeSnapshot ran; the snapshot's own where the host is idle meanwhile (a bench)
  | { type: 'diff'; seq: number; json: string; bytes: number; workerMs: number; snapshotCpuMs: number; parts: number; diagnosis?: string }
  | { type: 'error'; seq: number; message: string };

/** The six entry lists of a diff, in the order parts carry them. */
const LISTS = ['removedChannels', 'changedChannels', 'addedChannels', 'removedProcesses', 'changedProcesses', 'addedProcesses'] as const;

/**
 * Encodes a diff as JSON parts of at most `maxEntries` entries and `maxBytes` UTF-8 bytes each
 * (removed ids, then changed, then added channels, then processes the same way); every part
 * carries the snapshot-level facts so it can be applied on its own. Each entry is stringified
 * once and the parts are assembled from those strings. JSON.parse of each part, applied in order
 * with applyDiff, gives the same snapshot as applying the whole diff.
 */
export function encodeDiffParts(d: SnapshotDiff, limits: PartLimits = {}): string[] {
  return [...diffParts(d, limits)];
}

/**
 * encodeDiffParts one part at a time: a part is built when asked for, so a first full diff of
 * 50k channels is not all in memory as JSON at once (≈ 240 bytes a channel, +13 MiB at 41k
 * channels) beside its objects.
 */
export function* diffParts(d: SnapshotDiff, limits: PartLimits = {}): Generator<string> {
  const maxEntries = limits.maxEntries ?? DIFF_PART_CHANNELS;
  const maxBytes = limits.maxBytes ?? DIFF_PART_BYTES;
  const head = JSON.stringify({
    fromTakenAt: d.fromTakenAt,
    toTakenAt: d.toTakenAt,
    capabilities: d.capabilities,
    warnings: d.warnings,
    durationMs: d.durationMs,
    host: d.host,
    version: d.version,
  }).slice(0, -1);
  const headBytes = Buffer.byteLength(head);
  // Fixed cost of a part: the head, six `,"name":[]` and the closing brace.
  const frame = headBytes + LISTS.reduce((n, k) => n + k.length + 6, 0) + 1;
  let lists: string[][] = LISTS.map(() => []);
  let entries = 0;
  let bytes = frame;
  let closed = 0;
  const close = (): string => {
    const body = LISTS.map((k, i) => `"${k}":[${lists[i].join(',')}]`).join(',');
    lists = LISTS.map(() => []);
    entries = 0;
    bytes = frame;
    closed++;
    return `${head}${head === '{' ? '' : ','}${body}}`;
  };
  for (let i = 0; i < LISTS.length; i++) {
    for (const item of d[LISTS[i]] as readonly unknown[]) {
      const json = JSON.stringify(item);
      const size = Buffer.byteLength(json) + 1; // + the comma
      if (entries > 0 && (entries + 1 > maxEntries || bytes + size > maxBytes)) yield close();
      lists[i].push(json);
      entries++;
      bytes += size;
    }
  }
  if (entries > 0 || closed === 0) yield close();
}

/** The same split as encodeDiffParts, as objects (tests, and callers that post structured data). */
export function splitDiff(d: SnapshotDiff, max: number = DIFF_PART_CHANNELS, maxBytes: number = DIFF_PART_BYTES): SnapshotDiff[] {
  return encodeDiffParts(d, { maxEntries: max, maxBytes }).map((j) => JSON.parse(j) as SnapshotDiff);
}

if (parentPort) {
  const port = parentPort;
  let options: SnapshotOptions = (workerData?.options as SnapshotOptions) ?? {};
  const positive = (v: unknown, dflt: number) => (typeof v === 'number' && v > 0 ? v : dflt);
  const limits: PartLimits = { maxEntries: positive(workerData?.partChannels, DIFF_PART_CHANNELS), maxBytes: positive(workerData?.partBytes, DIFF_PART_BYTES) };
  // the previous snapshot as fingerprints (snapshotDigest.ts), not objects: one snapshot alive at a time
  let prev: SnapshotDigest | null = null;
  // what the lookups of sockets in no table learnt: each socket asked once over the worker's scans (probes/hiddenNetns.ts)
  const socketLookups = new SocketLookups();
  let chain: Promise<void> = Promise.resolve();
  // the diagnosis rules (workerData.diagnose), run here after each snapshot: never on the main thread
  const diagnose = diagnosisHook(workerData?.diagnose, asFilterState(workerData?.narrowing));
  /** The part being waited on: its seq and what to do when the main thread acks it. */
  let waiting: { seq: number; go: () => void } | null = null;
  // the addon's kept buffers (not loaded for a scan without it)
  const pool = (keep: boolean) => (options.useNative === false ? undefined : keepWalkBuffers(keep));
  let idle: NodeJS.Timeout | undefined;
  const keepBuffers = () => {
    clearTimeout(idle);
    pool(true);
  };
  const releaseWhenIdle = () => {
    idle = setTimeout(() => pool(false), positive(workerData?.poolIdleMs, POOL_IDLE_MS)).unref();
  };
  port.on('message', (m: ToWorker) => {
    if (m.type === 'ack') {
      const w = waiting;
      if (w && w.seq === m.seq) {
        waiting = null;
        w.go();
      }
      return;
    }
    if (m.type === 'stats') {
      const caches = moduleCacheSizes();
      caches['hiddenNetns.asked'] = hiddenNetnsCacheSize(socketLookups);
      for (const [k, v] of Object.entries(diagnose?.sizes() ?? {})) caches[`diagnose.${k}`] = v;
      // the previous snapshot's fingerprints: as many as it had channels and processes
      caches['worker.digestChannels'] = prev?.channelIds.length ?? 0;
      caches['worker.digestProcesses'] = prev?.pids.length ?? 0;
      // only a bench exposes gc (node --expose-gc; a worker inherits the flag): what survives a full collection
      const gc = (globalThis as { gc?: () => void }).gc;
      if (m.collect && typeof gc === 'function') gc();
      const heap = { ...v8.getHeapStatistics(), collected: m.collect && typeof gc === 'function' ? 1 : 0 } as unknown as Record<string, number>;
      port.postMessage({ type: 'stats', id: m.id, heap, caches } satisfies FromWorker);
      return;
    }
    chain = chain.then(async () => {
      if (m.type === 'options') {
        options = m.options;
        prev = null; // a different view of the machine: start over with a full diff
        diagnose?.reset();
      } else if (m.type === 'reset') {
        prev = null;
        diagnose?.reset();
      } else if (m.type === 'narrow') {
        diagnose?.narrow(asFilterState(m.filter));
      } else if (m.type === 'next') {
        const t0 = performance.now();
        keepBuffers();
        try {
          // files in flight read by the walk's pass when the last diagnosis asked about them
          const opts = { ...(diagnose ? diagnose.snapshotOptions(options) : options), socketLookups };
          const c0 = process.cpuUsage();
          const snap = await takeSnapshot(opts);
          const c1 = process.cpuUsage(c0);
          const digest = digestSnapshot(snap);
          const diff = diffFromDigest(prev, snap, digest);
          // each part is encoded only after the previous one was acked (one ahead, to know the last)
          const parts = diffParts(diff, limits);
          let json = parts.next().value as string;
          let count = 1;
          for (let more = parts.next(); !more.done; more = parts.next(), count++) {
            const acked = new Promise<void>((go) => (waiting = { seq: m.seq, go }));
            port.postMessage({ type: 'part', seq: m.seq, json, bytes: Buffer.byteLength(json) } satisfies FromWorker);
            json = more.value;
            await acked;
          }
          const diagnosis = diagnose?.run(snap, opts.filesInFlight);
          port.postMessage({ type: 'diff', seq: m.seq, json, bytes: Buffer.byteLength(json), workerMs: performance.now() - t0, snapshotCpuMs: (c1.user + c1.system) / 1000, parts: count, ...(diagnosis ? { diagnosis } : {}) } satisfies FromWorker);
          prev = digest; // only once the main thread has every part (on an error both sides keep the old one)
        } catch (e) {
          port.postMessage({ type: 'error', seq: m.seq, message: (e as Error)?.stack ?? String(e) } satisfies FromWorker);
        }
        releaseWhenIdle();
      }
    });
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}
