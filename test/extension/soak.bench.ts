// A measurement, not a test (no assertion: memory is measured, never asserted): the extension in
// a real extension host (code-server, the workbench in headless Chromium rendering its views) for
// IPC_BENCH_SOAK_MINUTES minutes beside the soak bench's churn (bench/churn.c: an episode process
// every few ms), with the Channels, Processes, Problems and Signals views open and live activity
// on (as root), refreshing on its own timer as it does for a user. Each minute: the host's RSS,
// its V8 heap (lowest used of the minute's samples: what survives collection) and the worker's,
// the worker's cache entries, the views' state, scans, errors, warnings. Printed as IPC-SOAK
// lines and written to test-results/extension-soak.json. Run with
//   IPC_BENCH=1 IPC_BENCH_SOAK_MINUTES=20 node dist/test/harness/runExtensionTests.js --grep-file soak --timeout 1800
// IPC_BENCH_SOAK_HEAP=2,6 also writes the host's heap at the end of those minutes
// (test-results/extension-soak-MINUTE.heapsnapshot), to see what grows.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vscode from 'vscode';
import { Churn } from '../../bench/churn';
import type { IpcInspectorApi } from '../../src/extension';
import { openApi, waitFor, walk } from './ipcTestUtil';

function status(): { rss: number; anon: number; threads: number } {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024, threads: kb('Threads') };
}
const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IPC extension soak', function () {
  const minutes = Number(process.env.IPC_BENCH_SOAK_MINUTES ?? 0);
  this.timeout((minutes + 10) * 60_000);
  it('runs beside churning processes and reports memory per minute', async function () {
    if (!(minutes > 0)) return this.skip(); // only when asked for (IPC_BENCH_SOAK_MINUTES)
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcsoak-ext-'));
    const churn = new Churn(tmp);
    const out = path.resolve(__dirname, '../../../test-results/extension-soak.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const cfg = () => vscode.workspace.getConfiguration('ipcInspector');
    const rows: Record<string, unknown>[] = [];
    const heapAt = (process.env.IPC_BENCH_SOAK_HEAP ?? '').split(',').filter(Boolean).map(Number);
    const before = status();
    try {
      await churn.start();
      const root = process.geteuid?.() === 0;
      if (root) await cfg().update('liveActivity', 'on', vscode.ConfigurationTarget.Global);
      const api: IpcInspectorApi = await openApi();
      await vscode.commands.executeCommand('ipcInspector.problems.focus');
      await vscode.commands.executeCommand('ipcInspector.signals.focus');
      await vscode.commands.executeCommand('ipcInspector.processes.focus');
      await vscode.commands.executeCommand('ipcInspector.channels.focus');
      if (root) await waitFor('the tracer', () => api.liveActivity.tracing, 60_000).catch(() => undefined);
      console.log(`IPC-SOAK start ${JSON.stringify({ minutes, hostRssBefore: before.rss, tracing: api.liveActivity.tracing, activity: api.liveActivity.state })}`);
      const t0 = Date.now();
      let scansBefore = api.source.stats.scans;
      let errorsBefore = api.source.stats.errors;
      let episodesBefore = 0;
      const warnings = new Map<string, number>();
      for (let m = 1; m <= minutes; m++) {
        let used = Infinity;
        const scanMs: number[] = [];
        let lastScan = api.source.stats.scans;
        while (Date.now() < t0 + m * 60_000) {
          await sleep(2000);
          used = Math.min(used, v8.getHeapStatistics().used_heap_size);
          if (api.source.stats.scans !== lastScan) {
            lastScan = api.source.stats.scans;
            scanMs.push(api.source.stats.lastScanMs);
            for (const w of api.source.current?.warnings ?? []) {
              const shape = w.replace(/\d+/g, 'N');
              warnings.set(shape, (warnings.get(shape) ?? 0) + 1);
            }
          }
        }
        // what the workbench asks for when a user expands everything (every node, each minute)
        const nodes = (await walk(api.channelsTree, 3)).length + (await walk(api.processesTree, 3)).length;
        const st = status();
        const h = v8.getHeapStatistics();
        const wh = await api.source.workerHeap();
        const caches = (await api.source.workerCaches()) ?? {};
        const s = api.source.stats;
        const sorted = [...scanMs].sort((a, b) => a - b);
        const lostTotal = api.liveActivity.latest?.lostTotal;
        const row = {
          minute: m,
          scans: s.scans - scansBefore,
          scanMsMedian: Math.round(sorted[sorted.length >> 1] ?? NaN),
          scanMsMax: Math.round(sorted[sorted.length - 1] ?? NaN),
          errors: s.errors - errorsBefore,
          rssMiB: Math.round(st.rss),
          anonMiB: Math.round(st.anon),
          threads: st.threads,
          hostUsedMiB: mib(used),
          hostCommittedMiB: mib(h.total_heap_size),
          workerUsedMiB: wh ? mib(wh.used_heap_size) : null,
          workerCommittedMiB: wh ? mib(wh.total_heap_size) : null,
          channels: api.model.channelsById.size,
          processes: api.model.procs.size,
          problems: api.problems.problems.all.length,
          signalLog: api.liveActivity.signals.size,
          activity: api.liveActivity.state,
          lostTotal: lostTotal?.total ?? null,
          mqNameMapFull: lostTotal?.mqNameMapFull ?? null,
          treeNodes: nodes,
          episodes: churn.total() - episodesBefore,
          load: Math.round(os.loadavg()[0] * 10) / 10,
          caches,
        };
        scansBefore = s.scans;
        errorsBefore = s.errors;
        episodesBefore = churn.total();
        rows.push(row);
        console.log(`IPC-SOAK ${JSON.stringify(row)}`);
        if (heapAt.includes(m)) v8.writeHeapSnapshot(path.join(path.dirname(out), `extension-soak-${m}.heapsnapshot`));
        fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), minutes, hostRssBefore: before.rss, rows, warnings: Object.fromEntries(warnings) }, null, 2) + '\n');
      }
    } finally {
      await churn.stop();
      await cfg().update('liveActivity', undefined, vscode.ConfigurationTarget.Global);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
