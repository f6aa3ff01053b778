// worker_threads entry (bundled to dist/snapshotWorker.js): takes snapshots off the main thread,
// keeps the previous one and posts only the diff, as JSON text in bounded parts. Protocol:
//   main → worker: { type: 'next', seq } | { type: 'options', options } | { type: 'reset' } | { type: 'ack', seq }
//   worker → main: { type: 'ready' }
//                | { type: 'part', seq, json }            (a piece of the diff; the main thread acks it)
//                | { type: 'diff', seq, json, workerMs, parts, diagnosis? } (the last piece: processes + snapshot
//                  facts; with workerData.diagnose, what changed in the diagnosis, as JSON — diagnose/workerHook.ts)
//                | { type: 'error', seq, message }
// Why parts and JSON: receiving a message deserializes it on the main thread before any listener
// runs, so one 50k-channel diff would stall it for hundreds of ms, unmeasured. A string arrives
// as one copy; the main thread's JSON.parse + applyDiff of ≤ DIFF_PART_CHANNELS channels is short
// and timed; the next part is sent only after the ack, so the main event loop runs in between.
import { parentPort, workerData } from 'node:worker_threads';
import { diffSnapshots } from './diff';
import type { Snapshot, SnapshotDiff } from './model';
import { takeSnapshot, type SnapshotOptions } from './snapshot';
import { diagnosisHook } from './diagnose/workerHook';

/** Channels (added + changed) or removed ids per part. */
export const DIFF_PART_CHANNELS = 2000;

export type ToWorker = { type: 'next'; seq: number } | { type: 'options'; options: SnapshotOptions } | { type: 'reset' } | { type: 'ack'; seq: number };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'part'; seq: number; json: string }
  | { type: 'diff'; seq: number; json: string; workerMs: number; parts: number; diagnosis?: string }
  | { type: 'error'; seq: number; message: string };

/**
 * Splits a diff into pieces whose channel lists hold at most `max` entries each (removed ids,
 * then changed, then added); every piece carries the snapshot-level facts so it can be applied
 * on its own, and the last one carries the process changes. Applying the pieces in order with
 * applyDiff gives the same snapshot as applying the whole diff.
 */
export function splitDiff(d: SnapshotDiff, max: number = DIFF_PART_CHANNELS): SnapshotDiff[] {
  const total = d.addedChannels.length + d.changedChannels.length + d.removedChannels.length;
  if (total <= max) return [d];
  const parts: SnapshotDiff[] = [];
  const piece = (removed: string[], changed: SnapshotDiff['changedChannels'], added: SnapshotDiff['addedChannels']): SnapshotDiff => ({
    fromTakenAt: d.fromTakenAt,
    toTakenAt: d.toTakenAt,
    addedChannels: added,
    removedChannels: removed,
    changedChannels: changed,
    addedProcesses: [],
    removedProcesses: [],
    changedProcesses: [],
    capabilities: d.capabilities,
    warnings: d.warnings,
    durationMs: d.durationMs,
    host: d.host,
    version: d.version,
  });
  for (let i = 0; i < d.removedChannels.length; i += max) parts.push(piece(d.removedChannels.slice(i, i + max), [], []));
  for (let i = 0; i < d.changedChannels.length; i += max) parts.push(piece([], d.changedChannels.slice(i, i + max), []));
  for (let i = 0; i < d.addedChannels.length; i += max) parts.push(piece([], [], d.addedChannels.slice(i, i + max)));
  const last = parts[parts.length - 1];
  last.addedProcesses = d.addedProcesses;
  last.removedProcesses = d.removedProcesses;
  last.changedProcesses = d.changedProcesses;
  return parts;
}

if (parentPort) {
  const port = parentPort;
  let options: SnapshotOptions = (workerData?.options as SnapshotOptions) ?? {};
  const partChannels: number = typeof workerData?.partChannels === 'number' && workerData.partChannels > 0 ? workerData.partChannels : DIFF_PART_CHANNELS;
  let prev: Snapshot | null = null;
  let chain: Promise<void> = Promise.resolve();
  // the diagnosis rules (workerData.diagnose), run here after each snapshot: never on the main thread
  const diagnose = diagnosisHook(workerData?.diagnose);
  /** The part being waited on: its seq and what to do when the main thread acks it. */
  let waiting: { seq: number; go: () => void } | null = null;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'ack') {
      const w = waiting;
      if (w && w.seq === m.seq) {
        waiting = null;
        w.go();
      }
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
      } else if (m.type === 'next') {
        const t0 = performance.now();
        try {
          const snap = await takeSnapshot(options);
          const diff = diffSnapshots(prev, snap);
          const parts = splitDiff(diff, partChannels);
          for (let i = 0; i < parts.length - 1; i++) {
            const acked = new Promise<void>((go) => (waiting = { seq: m.seq, go }));
            port.postMessage({ type: 'part', seq: m.seq, json: JSON.stringify(parts[i]) } satisfies FromWorker);
            await acked;
          }
          const json = JSON.stringify(parts[parts.length - 1]);
          const diagnosis = diagnose?.run(snap);
          port.postMessage({ type: 'diff', seq: m.seq, json, workerMs: performance.now() - t0, parts: parts.length, ...(diagnosis ? { diagnosis } : {}) } satisfies FromWorker);
          prev = snap; // only once the main thread has every part (on an error both sides keep the old one)
        } catch (e) {
          port.postMessage({ type: 'error', seq: m.seq, message: (e as Error)?.stack ?? String(e) } satisfies FromWorker);
        }
      }
    });
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}
