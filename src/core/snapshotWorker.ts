// worker_threads entry (bundled to dist/snapshotWorker.js): takes snapshots off the main thread,
// keeps the previous one and posts only the diff. Protocol (all plain objects):
//   main → worker: { type: 'next', seq } | { type: 'options', options } | { type: 'reset' }
//   worker → main: { type: 'ready' } | { type: 'diff', seq, diff, workerMs } | { type: 'error', seq, message }
import { parentPort, workerData } from 'node:worker_threads';
import { diffSnapshots } from './diff';
import type { Snapshot } from './model';
import { takeSnapshot, type SnapshotOptions } from './snapshot';

export type ToWorker = { type: 'next'; seq: number } | { type: 'options'; options: SnapshotOptions } | { type: 'reset' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'diff'; seq: number; diff: import('./model').SnapshotDiff; workerMs: number }
  | { type: 'error'; seq: number; message: string };

if (parentPort) {
  const port = parentPort;
  let options: SnapshotOptions = (workerData?.options as SnapshotOptions) ?? {};
  let prev: Snapshot | null = null;
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    chain = chain.then(async () => {
      if (m.type === 'options') {
        options = m.options;
        prev = null; // a different view of the machine: start over with a full diff
      } else if (m.type === 'reset') {
        prev = null;
      } else if (m.type === 'next') {
        const t0 = performance.now();
        try {
          const snap = await takeSnapshot(options);
          const diff = diffSnapshots(prev, snap);
          prev = snap;
          port.postMessage({ type: 'diff', seq: m.seq, diff, workerMs: performance.now() - t0 } satisfies FromWorker);
        } catch (e) {
          port.postMessage({ type: 'error', seq: m.seq, message: (e as Error)?.stack ?? String(e) } satisfies FromWorker);
        }
      }
    });
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}
