// Topology map benchmark (a measurement, never a test threshold): the map's real bundle
// (dist/topology.js, worker included) in a real headless Chromium, fed snapshots of 100, 1,000 and
// 5,000 channels, and timed where a person would feel it:
//   build   — worker ms to filter + aggregate the snapshot into the drawn graph (median of refreshes)
//   settle  — ms from the graph reaching the page until the layout stops moving (first open)
//   frame   — ms per frame while the user zooms and pans continuously (requestAnimationFrame to
//             requestAnimationFrame, p50 / p95 / max), and the renderer's own draw ms
// each for the default view (groups collapsed to the node budget) and with every group expanded.
// Snapshots: real ones of the bench workload (bench/workload.c: process pairs holding pipes,
// socketpairs, Unix/TCP/UDP connections, FIFOs), scoped to its processes; `--synthetic` adds a
// worst case made up in memory: every channel between a different pair of processes.
//   node dist/bench-topology.js [--sizes 100,1000,5000] [--synthetic] [--frames 180] [--screens DIR]
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/harness/browser';
import { takeSnapshot } from '../src/core/snapshot';
import type { Channel, ProcessInfo, Snapshot } from '../src/core/model';
import { projectProcess } from '../src/core/topology/types';
import { EMPTY_FILTER } from '../src/core/filter';
import type { HostMessage } from '../src/webviews/topology/protocol';
import { FULL_PART_ENTRIES } from '../src/webviews/topology/protocol';
import { WorkloadBuilder, stopAllWorkloads, type WorkloadSize } from './workload';

interface Args {
  sizes: number[];
  synthetic: boolean;
  frames: number;
  screens: string | null;
  real: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { sizes: [100, 1000, 5000], synthetic: false, frames: 180, screens: null, real: true };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--sizes') a.sizes = (argv[++i] ?? '').split(',').map(Number).filter((n) => n > 0);
    else if (v === '--synthetic') a.synthetic = true;
    else if (v === '--no-real') a.real = false;
    else if (v === '--frames') a.frames = Math.max(30, Number(argv[++i]) || 180);
    else if (v === '--screens') a.screens = argv[++i] ?? null;
    else if (v === '--help' || v === '-h') {
      console.log('usage: node dist/bench-topology.js [--sizes 100,1000,5000] [--synthetic] [--no-real] [--frames N] [--screens DIR]');
      process.exit(0);
    } else throw new Error(`unknown option ${v}`);
  }
  return a;
}

const DIST = path.resolve(__dirname);
const THEME_DARK = `
body { --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d;
  --vscode-editor-background: #1e1e1e; --vscode-focusBorder: #007fd4; --vscode-charts-blue: #3794ff; --vscode-charts-green: #89d185;
  --vscode-charts-orange: #d18616; --vscode-charts-purple: #b180d7; --vscode-charts-yellow: #cca700; --vscode-editorError-foreground: #f14c4c;
  --vscode-editorWarning-foreground: #cca700; --vscode-editorInfo-foreground: #3794ff; --vscode-panel-border: #80808059; }`;

/** The page a webview would be, minus VS Code: the same bundle, a stand-in acquireVsCodeApi, the same kind of CSP. */
function page(): string {
  return `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'unsafe-inline'; worker-src blob:; style-src 'self' 'unsafe-inline'">
<style>${THEME_DARK}</style>
<script>window.__sent = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__sent.push(m), getState: () => undefined, setState: () => {} });</script>
</head><body class="vscode-dark"><main id="app"></main><script src="/topology.js"></script></body></html>`;
}

function serve(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page());
    } else if (req.url === '/topology.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(fs.readFileSync(path.join(DIST, 'topology.js')));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    resolve({ url: `http://127.0.0.1:${port}/`, close: () => server.close() });
  }));
}

/** The messages the host would send for a snapshot (parts of FULL_PART_ENTRIES). */
function fullMessages(s: Snapshot): HostMessage[] {
  const at = Date.parse(s.takenAt) || Date.now();
  const procs = s.processes.map(projectProcess);
  const out: HostMessage[] = [];
  const entries = [...procs.map((p) => ({ p })), ...s.channels.map((c) => ({ c }))];
  const parts = Math.max(1, Math.ceil(entries.length / FULL_PART_ENTRIES));
  for (let part = 0; part < parts; part++) {
    const slice = entries.slice(part * FULL_PART_ENTRIES, (part + 1) * FULL_PART_ENTRIES);
    out.push({ type: 'full', at, part, parts, processes: slice.flatMap((x) => ('p' in x ? [x.p] : [])), channels: slice.flatMap((x) => ('c' in x ? [x.c] : [])) });
  }
  return out;
}

/** A refresh in which a tenth of the pipes and sockets moved bytes (what the queue-depth rates feed on). */
function deltaMessage(s: Snapshot, n: number): HostMessage {
  const changed: Channel[] = [];
  s.channels.forEach((c, i) => {
    if (i % 10 !== n % 10) return;
    if (c.kind === 'pipe' || c.kind === 'fifo') changed.push({ ...c, bufferedBytes: (c.bufferedBytes ?? 0) + 512 * ((i % 7) + 1) * (n + 1) });
    else if (c.kind === 'unix') changed.push({ ...c, recvQueue: (c.recvQueue ?? 0) + 256 * (n + 1) });
  });
  return { type: 'delta', delta: { at: (Date.parse(s.takenAt) || Date.now()) + 1000 * (n + 1), addedChannels: [], changedChannels: changed, removedChannels: [], processes: [], removedProcesses: [] } };
}

function synthetic(channels: number): Snapshot {
  const mk = (pid: number, ppid: number, comm: string): ProcessInfo => ({
    pid, ppid, comm, cmdline: [comm], uid: 0, user: 'root', startTime: pid, state: 'S', tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: 0, queueLimit: 0 }, timers: [], threads: 1, cwd: '/', exe: null,
    container: null, nsPid: [pid], pidns: '1', netns: '1',
  });
  const processes: ProcessInfo[] = [mk(1, 0, 'init')];
  const chans: Channel[] = [];
  // every channel between its own pair: 2 processes per channel, in services of 20 under init
  for (let i = 0; i < channels; i++) {
    const a = 1000 + 2 * i;
    const svc = 100000 + Math.floor(i / 10);
    if (i % 10 === 0) processes.push(mk(svc, 1, `svc-${i / 10}`));
    processes.push(mk(a, svc, `w${i}`), mk(a + 1, svc, `r${i}`));
    chans.push({ id: `pipe:${5000000 + i}`, kind: 'pipe', inode: 5000000 + i, bufferedBytes: 0, capacity: 65536, endpoints: [{ pid: a, fd: 3, mode: 'w' }, { pid: a + 1, fd: 4, mode: 'r' }] });
  }
  return {
    version: 1, takenAt: new Date().toISOString(), durationMs: 0, host: { kernel: 'x', hostname: 'x' },
    capabilities: { native: true, mqueueMounted: true, sockDiag: true, msgCopy: true, pidfd: true, root: true, euid: 0, ptraceScope: 0, threads: 2 },
    warnings: [], processes, channels: chans,
  };
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] : NaN);

interface Perf { graphs: number; lastBuildMs: number; settleMs: number; settledAt: number; tickMs: number; ticks: number; nodes: number; edges: number; drawMs: number[]; labels: number }
const perf = (p: Page) => p.evaluate(() => (window as unknown as { __topology: { perf(): Perf } }).__topology.perf());

async function post(p: Page, msgs: HostMessage[]): Promise<void> {
  for (const m of msgs) await p.evaluate((x) => window.postMessage(x, '*'), m as unknown as Record<string, unknown>);
}

async function waitSettled(p: Page, graphsBefore: number, timeoutMs = 120_000): Promise<Perf> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const x = await perf(p);
    if (x.graphs > graphsBefore && x.settledAt > 0) return x;
    if (Date.now() > end) throw new Error(`layout did not settle in ${timeoutMs} ms (${JSON.stringify({ ...x, drawMs: undefined })})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Zooms and pans every frame for `frames` frames; returns rAF intervals. */
async function frameTimes(p: Page, frames: number): Promise<{ intervals: number[]; draw: number[] }> {
  return p.evaluate(async (n) => {
    const t = (window as unknown as { __topology: { zoom(f: number): void; pan(x: number, y: number): void; perf(): { drawMs: number[] } } }).__topology;
    const intervals: number[] = [];
    let last = performance.now();
    await new Promise<void>((resolve) => {
      let i = 0;
      const step = () => {
        const now = performance.now();
        if (i > 0) intervals.push(now - last);
        last = now;
        if (i++ >= n) return resolve();
        t.zoom(i % 60 < 30 ? 1.03 : 1 / 1.03);
        t.pan(i % 40 < 20 ? 6 : -6, i % 50 < 25 ? 4 : -4);
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
    return { intervals, draw: t.perf().drawMs.slice(-n) };
  }, frames);
}

interface Row { hostFullMs: number; hostDeltaMs: number; label: string; channels: number; processes: number; view: string; nodes: number; edges: number; buildMs: number; settleMs: number; workerTickMs: number; ticks: number; frameP50: number; frameP95: number; frameMax: number; drawP50: number; drawP95: number; refreshBuildMs: number }

async function measure(p: Page, url: string, label: string, s: Snapshot, args: Args): Promise<Row[]> {
  await p.goto(url);
  await p.waitForFunction(() => !!(window as unknown as { __topology?: unknown }).__topology);
  await post(p, [
    { type: 'init', protocol: 1, testMode: false },
    { type: 'filter', filter: { ...EMPTY_FILTER }, description: '' },
    { type: 'problems', problems: [], note: '' },
    { type: 'rates', entries: null, note: 'queue depths' },
  ]);
  // the host's share (extension host main thread): projecting processes and serialising the
  // messages (VS Code posts webview messages as JSON) for a first open and for one refresh
  const hostFullMs = median([0, 1, 2].map(() => {
    const t0 = performance.now();
    for (const m of fullMessages(s)) JSON.stringify(m);
    return performance.now() - t0;
  }));
  const hostDeltaMs = median([0, 1, 2].map((n) => {
    const t0 = performance.now();
    JSON.stringify(deltaMessage(s, n));
    return performance.now() - t0;
  }));
  const rows: Row[] = [];
  const procCount = new Set(s.channels.flatMap((c) => c.endpoints.map((e) => e.pid))).size;
  for (const view of ['default', 'expanded']) {
    const before = (await perf(p)).graphs;
    if (view === 'default') await post(p, fullMessages(s));
    else await p.evaluate(() => (window as unknown as { __topology: { expandAll(): void } }).__topology.expandAll());
    let x = await waitSettled(p, before);
    // expandAll may need a second round (groups inside groups): until nothing is collapsed
    for (let round = 0; view === 'expanded' && round < 12; round++) {
      const g = await p.evaluate(() => (window as unknown as { __topology: { graph(): { nodes: Array<{ type: string }> } } }).__topology.graph().nodes.filter((n) => n.type === 'group').length);
      if (g === 0) break;
      const b2 = x.graphs;
      await p.evaluate(() => (window as unknown as { __topology: { expandAll(): void } }).__topology.expandAll());
      x = await waitSettled(p, b2);
    }
    const settled = x;
    // refreshes: a tenth of the channels moved each time; the worker's build time per refresh
    const builds: number[] = [];
    for (let n = 0; n < 5; n++) {
      const b = (await perf(p)).graphs;
      await post(p, [deltaMessage(s, n)]);
      const y = await waitSettled(p, b);
      builds.push(y.lastBuildMs);
    }
    const f = await frameTimes(p, args.frames);
    if (args.screens) await p.screenshot({ path: path.join(args.screens, `topology-bench-${label}-${view}.png`) });
    rows.push({
      hostFullMs, hostDeltaMs, label, channels: s.channels.length, processes: procCount, view, nodes: settled.nodes, edges: settled.edges,
      buildMs: settled.lastBuildMs, settleMs: settled.settleMs, workerTickMs: settled.tickMs, ticks: settled.ticks,
      frameP50: median(f.intervals), frameP95: pct(f.intervals, 0.95), frameMax: Math.max(...f.intervals),
      drawP50: median(f.draw), drawP95: pct(f.draw, 0.95), refreshBuildMs: median(builds),
    });
  }
  return rows;
}

/**
 * Workload pairs × channels per pair for about `n` channels in the snapshot: each configured
 * channel is 1.75 snapshot channels on average (a socketpair or a connection is one per end).
 */
function workloadSize(n: number): WorkloadSize {
  const pairs = n <= 100 ? 10 : n <= 1000 ? 50 : 100;
  return { label: String(n), pairs, channels: Math.max(1, Math.round(n / pairs / 1.75)) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.screens) fs.mkdirSync(args.screens, { recursive: true });
  const server = await serve();
  const browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
  const p = await browser.context.newPage();
  const errors: string[] = [];
  p.on('pageerror', (e) => errors.push(e.message));
  const rows: Row[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-bench-topology-'));
  try {
    if (args.real) {
      const builder = new WorkloadBuilder(tmp);
      for (const n of args.sizes) {
        const wl = await builder.start(workloadSize(n));
        try {
          const snap = await takeSnapshot({ pids: wl.pids });
          // the workload's own channels only (its master's stdio pipes to this process are dropped)
          const pids = new Set(wl.pids);
          const s: Snapshot = { ...snap, channels: snap.channels.filter((c) => c.endpoints.length > 0 && c.endpoints.every((e) => pids.has(e.pid))) };
          rows.push(...(await measure(p, server.url, `real-${n}`, s, args)));
        } finally {
          await wl.stop();
        }
      }
    }
    if (args.synthetic) for (const n of args.sizes) rows.push(...(await measure(p, server.url, `synthetic-${n}`, synthetic(n), args)));
  } finally {
    await stopAllWorkloads();
    await browser.close();
    server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const f = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '—');
  console.log(`Topology map in headless Chromium (${os.cpus().length} cores, software canvas), ms; frame = rAF interval while zooming and panning every frame (${args.frames} frames)`);
  const head = ['snapshot', 'channels', 'procs', 'host full', 'delta', 'view', 'nodes', 'links', 'build', 'refresh', 'settle', 'ticks', 'tick ms', 'frame p50', 'p95', 'max', 'draw p50', 'p95'];
  const table = rows.map((r) => [r.label, String(r.channels), String(r.processes), f(r.hostFullMs), f(r.hostDeltaMs), r.view, String(r.nodes), String(r.edges), f(r.buildMs), f(r.refreshBuildMs), f(r.settleMs), String(r.ticks), f(r.workerTickMs), f(r.frameP50), f(r.frameP95), f(r.frameMax), f(r.drawP50), f(r.drawP95)]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  console.log(head.map((h, i) => h.padStart(widths[i])).join('  '));
  for (const t of table) console.log(t.map((c, i) => c.padStart(widths[i])).join('  '));
  console.log('host full / delta = extension-host ms to project and serialise a first full copy / one refresh (a tenth of the channels changed) as the host posts them.');
  console.log('build = worker: filter + aggregate on the first full snapshot; refresh = median worker build per refresh (a tenth of the channels moved); settle = graph in the page → layout at rest (worker ticks in slices, positions streamed); tick ms = worker time in the layout.');
  if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
