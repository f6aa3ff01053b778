// A measurement, not a test (no assertion: performance is measured by the bench, never asserted):
// activation time, and main-thread time per refresh (SnapshotService applying the diff + view
// model + trees + status bar), plus the cost of rendering every tree item once, inside the real
// extension host. Written to test-results/extension-metrics.json. Not loaded by the extension
// tests; run it with `IPC_BENCH=1 node dist/test/harness/runExtensionTests.js` (test/extension/
// index.ts then loads *.bench.js only), with a held bench workload (`node dist/bench.js --hold
// 50k`) for the 50,000-fd figure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as inspector from 'node:inspector';
import * as v8 from 'node:v8';
import * as vscode from 'vscode';
import type { IpcNode } from '../../src/views/nodes';
import type { IpcInspectorApi } from '../../src/extension';
import { EXT_ID, openApi, walk } from './ipcTestUtil';

/** VmRSS and VmHWM of this process (the extension host, where the service's worker thread runs too), MiB. */
function memory(): { rss: number; hwm: number; anon: number; heapUsed: number; heapCommitted: number; spaces: Record<string, string> } {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  const h = v8.getHeapStatistics();
  const mib = (b: number) => Math.round(b / 1048576);
  const spaces: Record<string, string> = {};
  for (const sp of v8.getHeapSpaceStatistics()) spaces[sp.space_name] = `${mib(sp.space_used_size)}/${mib(sp.space_size)}`;
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024, anon: kb('RssAnon') / 1024, heapUsed: mib(h.used_heap_size), heapCommitted: mib(h.total_heap_size), spaces };
}

/** Writes test-results/extension-metrics.json and prints it (the bench reads either). */
function report(metrics: object): void {
  const dir = path.resolve(__dirname, '../../../test-results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'extension-metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  console.log(`IPC-METRIC ${JSON.stringify(metrics)}`);
}

/** The heap figures of one memory() reading. */
const heapOf = (m: ReturnType<typeof memory>) => ({ used: m.heapUsed, committed: m.heapCommitted, anon: m.anon, spaces: m.spaces });

describe('IPC extension metrics', function () {
  this.timeout(300_000);
  it('measures activation and main-thread time per refresh', async () => {
    // The extension's footprint in a real extension host: the host's RSS before our extension is
    // activated, and its highest RSS while the extension starts its worker and scans (sampled
    // every 20 ms on this thread, plus VmHWM, which the kernel keeps between samples).
    const before = memory();
    const startedAt = performance.now();
    const wasActive = vscode.extensions.getExtension<IpcInspectorApi>(EXT_ID)?.isActive ?? false;
    let peakRss = before.rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, memory().rss)), 20);
    // IPC_BENCH_ALLOC_PROFILE=FILE: where the host allocates (V8's sampling heap profiler) — during
    // activation and the first scan with IPC_BENCH_ALLOC_FIRST=1, else during the steady refreshes
    const allocFile = process.env.IPC_BENCH_ALLOC_PROFILE;
    const allocFirst = process.env.IPC_BENCH_ALLOC_FIRST === '1';
    const session = allocFile ? new inspector.Session() : undefined;
    const post = (m: string, p?: object) => new Promise<unknown>((res, rej) => session!.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
    session?.connect();
    const startSampling = () => post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const stopSampling = async () => {
      const r = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
      fs.writeFileSync(allocFile!, JSON.stringify(r.profile));
      session!.disconnect();
    };
    if (session && allocFirst) await startSampling();
    // IPC_BENCH_CONTROL=MS: the control — the same host, the extension not activated, for MS ms
    // (what the host itself grows by meanwhile, e.g. VS Code's port finder reading a machine full of sockets)
    const control = Number(process.env.IPC_BENCH_CONTROL ?? 0);
    if (control > 0) {
      await new Promise((r) => setTimeout(r, control));
      clearInterval(sampler);
      const end = memory();
      report({ at: new Date().toISOString(), control: { ms: control, hostBefore: before.rss, after: end.rss, peak: Math.max(peakRss, end.rss), grewAtPeak: Math.max(peakRss, end.rss) - before.rss, heap: { before: heapOf(before), after: heapOf(end) } } });
      return;
    }
    const api = await openApi();
    if (session && allocFirst) await stopSampling();
    const afterFirst = memory();
    const scans: Array<{ scanMs: number; serviceMainMs: number; listenersMs: number; modelMs: number; treesAndStatusMs: number; statusMs: number; workerSnapshotMs: number; diagnosisWorkerMs: number; problemsMainMs: number; problems: number }> = [];
    for (let i = 0; i < 6; i++) {
      if (session && !allocFirst && i === 1) await startSampling();
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
    if (session && !allocFirst) await stopSampling();
    const workerHeap = await api.source.workerHeap();
    // IPC_BENCH_HEAP_SNAPSHOT=FILE: the host's heap after the scans, for a look at what holds it
    if (process.env.IPC_BENCH_HEAP_SNAPSHOT) v8.writeHeapSnapshot(process.env.IPC_BENCH_HEAP_SNAPSHOT);
    clearInterval(sampler);
    const after = memory();
    const measuredMs = performance.now() - startedAt;
    peakRss = Math.max(peakRss, after.rss);
    // VmHWM counts only if it rose while we ran (before that it may be the host's own start-up)
    const peak = Math.max(peakRss, after.hwm > before.hwm ? after.hwm : 0);
    const steady = scans.slice(1);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const snap = api.source.current!;
    const fds = snap.channels.reduce((n, c) => n + c.endpoints.length, 0);
    const t0 = performance.now();
    const nodes: IpcNode[] = await walk(api.channelsTree, 3);
    for (const n of nodes) api.channelsTree.getTreeItem(n);
    const renderAllMs = performance.now() - t0;
    await api.hostFacts.hostSummary();
    await api.hostFacts.processUsage(process.pid, -1);
    const afterTreeWalk = memory();
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
      memoryMiB: {
        extensionWasActiveBefore: wasActive,
        hostBeforeActivation: before.rss,
        afterFirstScan: afterFirst.rss,
        afterScans: after.rss,
        peak,
        /** What the extension added to the host process at its peak: host side + worker thread. */
        addedAtPeak: peak - before.rss,
        addedAfterScans: after.rss - before.rss,
        /** From before activation to the end of the scans: the control run (IPC_BENCH_CONTROL) waits as long. */
        durationMs: measuredMs,
        walk: snap.capabilities.walk,
        workerHeap: workerHeap ? { used: Math.round(workerHeap.used_heap_size / 1048576), committed: Math.round(workerHeap.total_heap_size / 1048576), external: Math.round(workerHeap.external_memory / 1048576), malloced: Math.round(workerHeap.malloced_memory / 1048576) } : null,
        heap: { before: heapOf(before), afterScans: heapOf(after), afterTreeWalk: { used: afterTreeWalk.heapUsed, committed: afterTreeWalk.heapCommitted, rss: afterTreeWalk.rss } },
      },
    };
    report(metrics);
  });
});
