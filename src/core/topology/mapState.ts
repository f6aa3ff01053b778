// Everything the map's worker keeps between refreshes: the snapshot as processes and channels by
// id (a full copy arrives in parts, then deltas), the queue-depth rate estimate fed by those
// deltas, the tracer's rates when a tracer sends them, the diagnosis problems and the trees'
// filter. `build(view)` applies the filter (the trees' own functions) and builds the graph; it
// counts the problems the Problems view lists for that filter, as that view decides it.
// Plain code: the webview worker runs it, the unit tests drive it with real snapshots.
import type { Channel, ProcessInfo } from '../model';
import { allowedPids, applyFilter, EMPTY_FILTER, narrows, problemVisible, type FilterState } from '../filter';
import { buildTopology } from './graph';
import { mergeRates, QueueDepthRates } from './rates';
import type { ChannelRate, GroupBy, TopoGraph, TopoProblem, TopoProcess } from './types';

/** What changed since the previous refresh (processes already projected). */
export interface TopoDelta {
  /** The snapshot's time (ms since the epoch). */
  at: number;
  addedChannels: Channel[];
  changedChannels: Channel[];
  removedChannels: string[];
  /** Added or changed processes. */
  processes: TopoProcess[];
  removedProcesses: number[];
}

export interface ViewOptions {
  groupBy: GroupBy;
  expanded: ReadonlySet<string>;
  collapsed: ReadonlySet<string>;
  search: string;
  budget?: number;
}

export class MapState {
  readonly processes = new Map<number, TopoProcess>();
  readonly channels = new Map<string, Channel>();
  private readonly queueRates = new QueueDepthRates();
  private tracerRates: Map<string, ChannelRate> | null = null;
  problems: TopoProblem[] = [];
  filter: FilterState = { ...EMPTY_FILTER };
  /** Time of the latest snapshot (ms). */
  at = 0;
  private arrays: { channels: Channel[]; processes: ProcessInfo[] } | null = null;

  /** A full snapshot starts (its parts follow with `addFull`). */
  reset(at: number): void {
    this.processes.clear();
    this.channels.clear();
    this.queueRates.reset();
    this.at = at;
    this.arrays = null;
  }

  /** One part of a full snapshot. */
  addFull(processes: readonly TopoProcess[], channels: readonly Channel[]): void {
    for (const p of processes) this.processes.set(p.pid, p);
    for (const c of channels) this.channels.set(c.id, c);
    this.queueRates.observe(this.at, channels);
    this.arrays = null;
  }

  applyDelta(d: TopoDelta): void {
    for (const pid of d.removedProcesses) this.processes.delete(pid);
    for (const p of d.processes) this.processes.set(p.pid, p);
    for (const id of d.removedChannels) this.channels.delete(id);
    for (const c of d.addedChannels) this.channels.set(c.id, c);
    for (const c of d.changedChannels) this.channels.set(c.id, c);
    this.queueRates.observe(d.at, [...d.addedChannels, ...d.changedChannels], d.removedChannels);
    this.at = d.at;
    this.arrays = null;
  }

  /** Rates measured by the tracer (replace the queue-depth estimate per channel); null = no tracer. */
  setTracerRates(rates: Map<string, ChannelRate> | null): void {
    this.tracerRates = rates;
  }

  rates(now = this.at): Map<string, ChannelRate> {
    return mergeRates(this.tracerRates, this.queueRates.rates(now));
  }

  build(view: ViewOptions): TopoGraph {
    // filter.ts reads pid, ppid, comm, cmdline[0], uid, cwd and exe of a process: TopoProcess has them all
    this.arrays ??= { channels: [...this.channels.values()], processes: [...this.processes.values()] as unknown as ProcessInfo[] };
    const shown = applyFilter(this.arrays, this.filter);
    const allowed = allowedPids(this.arrays.processes, this.filter);
    // the Problems view's question (src/problems/problemsModel.ts), on the same filter result
    const f = this.filter;
    let ids: Set<string> | undefined;
    const listed = narrows(f) ? (p: TopoProblem) => problemVisible(p, (id) => (ids ??= new Set(shown.channels.map((c) => c.id))).has(id), shown.pids, f.text) : undefined;
    return buildTopology({
      processes: this.processes,
      allChannels: this.channels,
      channels: shown.channels,
      allowed,
      rates: this.rates(),
      problems: this.problems,
      groupBy: view.groupBy,
      expanded: view.expanded,
      collapsed: view.collapsed,
      search: view.search,
      budget: view.budget,
      listed,
    });
  }
}
