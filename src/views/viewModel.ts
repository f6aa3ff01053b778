// State both trees (and the status bar) read: the latest snapshot, the filter, its result, and
// which channels are marked new. Turns each SnapshotUpdate into a ModelChange saying which
// channel ids and pids changed, so the trees refresh only those nodes.

import * as vscode from 'vscode';
import type { Channel, ProcessInfo, Snapshot } from '../core/model';
import type { SnapshotUpdate } from '../snapshotSource';
import { applyFilter, EMPTY_FILTER, FilterResult, FilterState, isFiltering } from './filter';
import type { RenderContext } from './nodes';

export interface ModelChange {
  /** Everything may have changed (first snapshot, filter change): refresh whole trees. */
  full: boolean;
  /** Channel ids whose facts changed, that appeared, or whose "new" marker expired. */
  channels: Set<string>;
  /** Pids whose process facts changed. */
  pids: Set<number>;
}

export class ViewModel implements vscode.Disposable {
  snapshot: Snapshot | undefined;
  result: FilterResult = { channels: [], processes: [], pids: new Set() };
  filter: FilterState = { ...EMPTY_FILTER };
  procs = new Map<number, ProcessInfo>();
  channelsById = new Map<string, Channel>();
  private scanNo = 0;
  /** Channel id → last scan number on which it is still marked new. */
  private readonly newUntil = new Map<string, number>();
  private readonly emitter = new vscode.EventEmitter<ModelChange>();
  readonly onDidChange = this.emitter.event;
  /** Main-thread ms spent in the last update (filter + change sets, not the trees' rendering). */
  lastUpdateMs = 0;

  constructor(private readonly newMarkerRefreshes: () => number) {}

  readonly ctx: RenderContext = {
    procs: this.procs,
    channelsById: this.channelsById,
    capabilities: undefined,
    isNew: (id) => (this.newUntil.get(id) ?? -1) >= this.scanNo,
  };

  get filtering(): boolean {
    return isFiltering(this.filter);
  }

  update({ snapshot, diff }: SnapshotUpdate): void {
    const t0 = performance.now();
    const first = !this.snapshot;
    this.scanNo++;
    this.snapshot = snapshot;
    this.rebuildIndexes();
    const change: ModelChange = { full: first, channels: new Set(), pids: new Set() };
    const n = this.newMarkerRefreshes();
    for (const [id, until] of this.newUntil) {
      if (until < this.scanNo) {
        this.newUntil.delete(id);
        change.channels.add(id);
      }
    }
    if (!first && diff.fromTakenAt !== null) {
      for (const ch of diff.addedChannels) {
        if (n > 0) this.newUntil.set(ch.id, this.scanNo + n - 1);
        change.channels.add(ch.id);
      }
    }
    for (const id of diff.removedChannels) this.newUntil.delete(id);
    for (const ch of diff.changedChannels) change.channels.add(ch.id);
    for (const p of [...diff.changedProcesses, ...diff.addedProcesses]) change.pids.add(p.pid);
    this.result = applyFilter(snapshot, this.filter);
    this.lastUpdateMs = performance.now() - t0;
    this.emitter.fire(change);
  }

  setFilter(patch: Partial<FilterState>): void {
    this.filter = { ...this.filter, ...patch };
    if (this.snapshot) this.result = applyFilter(this.snapshot, this.filter);
    this.emitter.fire({ full: true, channels: new Set(), pids: new Set() });
  }

  private rebuildIndexes(): void {
    const s = this.snapshot!;
    this.procs.clear();
    for (const p of s.processes) this.procs.set(p.pid, p);
    this.channelsById.clear();
    for (const c of s.channels) this.channelsById.set(c.id, c);
    this.ctx.capabilities = s.capabilities;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
