// A measurement, not a test (no assertion: performance is measured by the bench, never asserted):
// activation time, and main-thread time per refresh (SnapshotService applying the diff + view
// model + trees + status bar), plus the cost of rendering every tree item once, inside the real
// extension host. Written to test-results/extension-metrics.json. Not loaded by the extension
// tests; run it with `IPC_BENCH=1 node dist/test/harness/runExtensionTests.js` (test/extension/
// index.ts then loads *.bench.js only), with a held bench workload (`node dist/bench.js --hold
// 50k`) for the 50,000-fd figure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IpcNode } from '../../src/views/nodes';
import { openApi, walk } from './ipcTestUtil';

describe('IPC extension metrics', function () {
  this.timeout(300_000);
  it('measures activation and main-thread time per refresh', async () => {
    const api = await openApi();
    const scans: Array<{ scanMs: number; serviceMainMs: number; listenersMs: number; modelMs: number; treesAndStatusMs: number; statusMs: number; workerSnapshotMs: number; diagnosisWorkerMs: number; problemsMainMs: number; problems: number }> = [];
    for (let i = 0; i < 6; i++) {
      await api.source.refresh();
      const s = api.source.stats;
      scans.push({
        scanMs: s.lastScanMs,
        serviceMainMs: s.lastMainThreadMs,
        listenersMs: s.lastListenersMs,
        modelMs: api.model.lastUpdateMs,
        treesAndStatusMs: api.model.lastListenersMs,
        statusMs: api.statusBar.lastRenderMs,
        // the diagnosis (ipcInspector.diagnose): evidence + rules in the worker, and the problems model on this thread
        workerSnapshotMs: api.source.current?.durationMs ?? 0,
        diagnosisWorkerMs: s.lastDiagnosisMs,
        problemsMainMs: api.problems.problems.lastUpdateMs,
        problems: api.problems.problems.all.length,
      });
    }
    const steady = scans.slice(1);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const snap = api.source.current!;
    const fds = snap.channels.reduce((n, c) => n + c.endpoints.length, 0);
    const t0 = performance.now();
    const nodes: IpcNode[] = await walk(api.channelsTree, 3);
    for (const n of nodes) api.channelsTree.getTreeItem(n);
    const renderAllMs = performance.now() - t0;
    await api.hostFacts.hostSummary();
    await api.hostFacts.processUsage(process.pid);
    const metrics = {
      at: new Date().toISOString(),
      activationMs: api.activationMs,
      channels: snap.channels.length,
      endpoints: fds,
      processes: snap.processes.length,
      nativeAddon: snap.capabilities.native,
      scanMsMedian: median(steady.map((s) => s.scanMs)),
      mainThreadMsMedian: median(steady.map((s) => s.serviceMainMs + s.listenersMs)),
      serviceApplyDiffMsMedian: median(steady.map((s) => s.serviceMainMs)),
      viewsUpdateMsMedian: median(steady.map((s) => s.listenersMs)),
      viewModelMsMedian: median(steady.map((s) => s.modelMs)),
      treesAndStatusBarMsMedian: median(steady.map((s) => s.treesAndStatusMs)),
      statusBarMsMedian: median(steady.map((s) => s.statusMs)),
      otherListenersMsMedian: median(steady.map((s) => s.listenersMs - s.modelMs - s.treesAndStatusMs)),
      workerSnapshotMsMedian: median(steady.map((s) => s.workerSnapshotMs)),
      diagnosisWorkerMsMedian: median(steady.map((s) => s.diagnosisWorkerMs)),
      diagnosisShareOfSnapshot: median(steady.map((s) => (s.workerSnapshotMs > 0 ? s.diagnosisWorkerMs / s.workerSnapshotMs : 0))),
      problemsMainMsMedian: median(steady.map((s) => s.problemsMainMs)),
      steady,
      firstScan: scans[0],
      renderAllTreeItemsMs: renderAllMs,
      treeNodes: nodes.length,
      hostFacts: api.hostFacts.costs,
    };
    const dir = path.resolve(__dirname, '../../../test-results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'extension-metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    console.log(`IPC-METRIC ${JSON.stringify(metrics)}`);
  });
});
