// Runs a SnapshotService with the diagnosis (its snapshot worker, as the extension does) for a few
// refreshes in a process of its own, for diagnoseDoctor.test.ts: whatever the worker thread prints
// to stderr (Node's warnings among it) is then this process's stderr, which the test reads.
//   node dist/test/integration/serviceChild.js REFRESHES
// Prints one JSON line: {"usingWorker": bool, "refreshes": N, "diagnoses": N}.
import { SnapshotService } from '../../src/core/snapshotService';

async function main(): Promise<void> {
  const n = Number(process.argv[2]) || 3;
  const svc = new SnapshotService({ diagnose: true });
  let diagnoses = 0;
  const usingWorker = svc.usingWorker;
  const fallbackReason = svc.fallbackReason;
  try {
    for (let i = 0; i < n; i++) if ((await svc.next()).diagnosis) diagnoses++;
  } finally {
    svc.dispose();
  }
  process.stdout.write(JSON.stringify({ usingWorker, ...(fallbackReason ? { fallbackReason } : {}), refreshes: n, diagnoses }) + '\n');
}

void main();
