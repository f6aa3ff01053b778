// The map's worker: keeps the snapshot (full copy, then deltas), estimates rates from queue
// depths, applies the trees' filter, aggregates (src/core/topology) and lays out (layout.ts), so
// the page's main thread only draws. Rebuilds are coalesced: a burst of messages (the parts of a
// full snapshot, a delta and new problems) makes one graph.
import { MapState } from '../../src/core/topology/mapState';
import type { ChannelRate, TopoGraph } from '../../src/core/topology/types';
import { DEFAULT_BUDGET } from '../../src/core/topology/hierarchy';
import type { HostMessage } from '../../src/webviews/topology/protocol';
import { Layout } from './layout';
import type { FromWorker, ToWorker, ViewRequest } from './workerProtocol';

interface WorkerScope {
  postMessage(m: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

const state = new MapState();
const layout = new Layout();
let view: ViewRequest = { groupBy: 'tree', expanded: [], collapsed: [], search: '', budget: DEFAULT_BUDGET };
let prev: TopoGraph | null = null;
let seq = 0;
let paused = false;
/** A full snapshot has arrived whole (before that there is nothing to draw). */
let complete = false;
let rebuildTimer: ReturnType<typeof setTimeout> | undefined;
let pumping = false;

function onHost(msg: HostMessage): boolean {
  switch (msg.type) {
    case 'full':
      if (msg.part === 0) {
        state.reset(msg.at);
        complete = false;
      }
      state.addFull(msg.processes, msg.channels);
      if (msg.part === msg.parts - 1) complete = true;
      return complete;
    case 'delta':
      if (!complete) return false; // a delta without its base: the host sends a full copy first
      state.applyDelta(msg.delta);
      return true;
    case 'filter':
      state.filter = msg.filter;
      return complete;
    case 'problems':
      state.problems = msg.problems;
      return complete;
    case 'rates': {
      let m: Map<string, ChannelRate> | null = null;
      if (msg.entries) {
        m = new Map();
        for (const [id, bytesPerSec, opsPerSec] of msg.entries) m.set(id, { bytesPerSec, opsPerSec, source: 'tracer' });
      }
      state.setTracerRates(m);
      return complete;
    }
    case 'paused':
      paused = msg.paused;
      return complete;
    default:
      return false;
  }
}

function scheduleRebuild(): void {
  if (rebuildTimer !== undefined) return;
  rebuildTimer = setTimeout(rebuild, 0);
}

function rebuild(): void {
  rebuildTimer = undefined;
  try {
    const t0 = performance.now();
    const graph = state.build({ groupBy: view.groupBy, expanded: new Set(view.expanded), collapsed: new Set(view.collapsed), search: view.search, budget: view.budget });
    const buildMs = performance.now() - t0;
    seq++;
    scope.postMessage({ type: 'graph', seq, graph, buildMs, at: state.at, paused, waiting: !complete });
    const moved = layout.setGraph(graph, prev);
    prev = graph;
    if (moved) postPositions(0);
    pump();
  } catch (e) {
    scope.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}

function postPositions(tickMs: number): void {
  const xy = layout.positions();
  scope.postMessage({ type: 'positions', seq, xy, alpha: layout.alpha, tickMs, ticks: layout.ticks, settled: layout.settled }, [xy.buffer]);
}

function pump(): void {
  if (pumping) return;
  pumping = true;
  const run = () => {
    if (layout.settled) {
      pumping = false;
      postPositions(0);
      return;
    }
    const ms = layout.step();
    postPositions(ms);
    setTimeout(run, 0);
  };
  setTimeout(run, 0);
}

scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'host':
      if (onHost(m.msg)) scheduleRebuild();
      return;
    case 'view':
      view = m.view;
      if (complete) scheduleRebuild();
      return;
    case 'drag':
      layout.drag(m.id, m.x, m.y, !!m.release);
      pump();
      return;
    case 'relayout':
      layout.reset();
      prev = null;
      if (complete) scheduleRebuild();
      return;
  }
};
