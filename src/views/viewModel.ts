// State both trees (and the status bar) read: the latest snapshot, the filter, its result, and
// which channels are marked new. Turns each SnapshotUpdate into a ModelChange saying which
// channel ids and pids changed, so the trees refresh only those nodes.

import * as vscode from 'vscode';
import type { Channel, ChannelKind, ProcessInfo, Snapshot } from '../core/model';
import type { SnapshotUpdate } from '../snapshotSource';
import { applyFilter, EMPTY_FILTER, FilterResult, FilterState, isFiltering } from '../core/filter';
import type { RenderContext } from './nodes';
import { isFolded } from '../core/kinds';

export interface ModelChange {
  /** Everything may have changed (first snapshot, filter change): refresh whole trees. */
  full: boolean;
  /** Channel ids whose facts changed, that appeared, or whose "new" marker expired. */
  channels: Set<string>;
  /** Pids whose process facts changed. */
  pids: Set<number>;
  /** Kinds whose set of shown channels changed (a channel appeared, vanished, or entered/left the filter). */
  membership: Set<ChannelKind>;
  /** Shown channels that were not shown before / ids (and kinds) of those no longer shown. */
  entered: Channel[];
  left: Array<{ id: string; kind: ChannelKind }>;
  /** Processes appeared or vanished, or a changed channel's holders changed. */
  holdersChanged: boolean;
}

function fullChange(): ModelChange {
  return { full: true, channels: new Set(), pids: new Set(), membership: new Set(), entered: [], left: [], holdersChanged: true };
}

function samePids(a: Channel, b: Channel): boolean {
  if (a.endpoints.length !== b.endpoints.length) return false;
  for (let i = 0; i < a.endpoints.length; i++) if (a.endpoints[i].pid !== b.endpoints[i].pid) return false;
  return true;
}

export class ViewModel implements vscode.Disposable {
  snapshot: Snapshot | undefined;
  result: FilterResult = { channels: [], processes: [], pids: new Set() };
  filter: FilterState = { ...EMPTY_FILTER };
  procs = new Map<number, ProcessInfo>();
  channelsById = new Map<string, Channel>();
  /** Channels per kind in the snapshot (unfiltered). */
  readonly totals = new Map<ChannelKind, number>();
  /** Of those, the ones their kind folds (kind.fold: TCP's closed connections), per kind. */
  readonly foldedTotals = new Map<ChannelKind, number>();
  /** One number per filter text (it moves on when the text changes): the ids of the rows a text filter opens carry it (core/filter.ts openedItemId). */
  textEpoch = 0;
  /** Ids of the channels the filter lets through. */
  shownIds = new Set<string>();
  private scanNo = 0;
  /** Channel id → last scan number on which it is still marked new. */
  private readonly newUntil = new Map<string, number>();
  private readonly emitter = new vscode.EventEmitter<ModelChange>();
  readonly onDidChange = this.emitter.event;
  /** Main-thread ms spent in the last update (filter + change sets, not the trees' rendering). */
  lastUpdateMs = 0;
  /** Main-thread ms of this model's listeners (trees, status bar) on the last update. */
  lastListenersMs = 0;

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

  /** Is this channel shown (passes the filter)? */
  isShown(id: string): boolean {
    return this.unfiltered ? this.channelsById.has(id) : this.shownIds.has(id);
  }

  /** No filter at all: every channel is shown and shownIds is not maintained. */
  private unfiltered = true;

  update({ snapshot, diff }: SnapshotUpdate): void {
    const t0 = performance.now();
    const first = !this.snapshot || diff.fromTakenAt === null;
    this.scanNo++;
    // Old versions of removed and changed channels (before the indexes move on).
    const old = new Map<string, Channel>();
    for (const id of diff.removedChannels) {
      const c = this.channelsById.get(id);
      if (c) old.set(id, c);
    }
    let holdersChanged = diff.addedProcesses.length > 0 || diff.removedProcesses.length > 0;
    for (const ch of diff.changedChannels) {
      const c = this.channelsById.get(ch.id);
      if (!c || !samePids(c, ch)) holdersChanged = true;
    }
    this.snapshot = snapshot;
    if (first) this.rebuildIndexes();
    else this.patchIndexes(diff);
    const change: ModelChange = first
      ? fullChange()
      : { full: false, channels: new Set(), pids: new Set(), membership: new Set(), entered: [], left: [], holdersChanged };
    const n = this.newMarkerRefreshes();
    for (const [id, until] of this.newUntil) {
      if (until < this.scanNo) {
        this.newUntil.delete(id);
        change.channels.add(id);
      }
    }
    if (!first) {
      for (const ch of diff.addedChannels) {
        if (n > 0) this.newUntil.set(ch.id, this.scanNo + n - 1);
        change.channels.add(ch.id);
      }
    }
    for (const id of diff.removedChannels) this.newUntil.delete(id);
    for (const ch of diff.changedChannels) change.channels.add(ch.id);
    for (const p of diff.changedProcesses) change.pids.add(p.pid);
    for (const p of diff.addedProcesses) change.pids.add(p.pid);

    if (this.unfiltered) {
      this.result = applyFilter(snapshot, this.filter);
      change.entered = diff.addedChannels;
      for (const [id, c] of old) change.left.push({ id, kind: c.kind });
    } else {
      const prevShown = this.shownIds;
      this.setResult(applyFilter(snapshot, this.filter));
      const cur = this.shownIds;
      // Deltas: added/removed channels, plus (with a filter) any channel that flipped.
      for (const ch of this.result.channels) if (!prevShown.has(ch.id)) change.entered.push(ch);
      for (const id of prevShown) {
        if (!cur.has(id)) {
          const kind = this.channelsById.get(id)?.kind ?? old.get(id)?.kind;
          if (kind) change.left.push({ id, kind });
        }
      }
      if (change.entered.length || change.left.length) change.holdersChanged = true;
    }
    if (change.entered.length || change.left.length) change.holdersChanged = true;
    for (const ch of change.entered) change.membership.add(ch.kind);
    for (const l of change.left) change.membership.add(l.kind);
    this.lastUpdateMs = performance.now() - t0;
    const t1 = performance.now();
    this.emitter.fire(change);
    this.lastListenersMs = performance.now() - t1;
  }

  setFilter(patch: Partial<FilterState>): void {
    if (patch.text !== undefined && patch.text.trim() !== this.filter.text.trim()) this.textEpoch++;
    this.filter = { ...this.filter, ...patch };
    if (this.snapshot) this.setResult(applyFilter(this.snapshot, this.filter));
    this.emitter.fire(fullChange());
  }

  private setResult(r: FilterResult): void {
    this.result = r;
    this.unfiltered = !this.filtering && this.filter.scopePid === undefined;
    this.shownIds = this.unfiltered ? new Set() : new Set(r.channels.map((c) => c.id));
  }

  private rebuildIndexes(): void {
    const s = this.snapshot!;
    this.procs.clear();
    for (const p of s.processes) this.procs.set(p.pid, p);
    this.channelsById.clear();
    this.totals.clear();
    this.foldedTotals.clear();
    for (const c of s.channels) {
      this.channelsById.set(c.id, c);
      this.count(c, 1);
    }
    this.ctx.capabilities = s.capabilities;
  }

  /** Moves the indexes on by the diff (unchanged objects keep their equal data). */
  private patchIndexes(diff: SnapshotUpdate['diff']): void {
    for (const id of diff.removedChannels) {
      const c = this.channelsById.get(id);
      if (c) this.count(c, -1);
      this.channelsById.delete(id);
    }
    for (const c of diff.addedChannels) {
      const old = this.channelsById.get(c.id);
      if (old) this.count(old, -1);
      this.count(c, 1);
      this.channelsById.set(c.id, c);
    }
    for (const c of diff.changedChannels) {
      // a connection closed by its process moves into its kind's fold without leaving the snapshot
      const old = this.channelsById.get(c.id);
      if (old && isFolded(old) !== isFolded(c)) this.countFolded(c.kind, isFolded(c) ? 1 : -1);
      this.channelsById.set(c.id, c);
    }
    for (const pid of diff.removedProcesses) this.procs.delete(pid);
    for (const p of diff.addedProcesses) this.procs.set(p.pid, p);
    for (const p of diff.changedProcesses) this.procs.set(p.pid, p);
    this.ctx.capabilities = diff.capabilities;
  }

  private count(c: Channel, by: 1 | -1): void {
    this.totals.set(c.kind, (this.totals.get(c.kind) ?? 0) + by);
    if (isFolded(c)) this.countFolded(c.kind, by);
  }

  private countFolded(kind: ChannelKind, by: number): void {
    this.foldedTotals.set(kind, (this.foldedTotals.get(kind) ?? 0) + by);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
