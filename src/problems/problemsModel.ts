// The diagnosis as the editor holds it: the latest Diagnosis from the live poller's updates (the
// rules run in the scan worker, src/core/diagnose), which of its problems the views show (those
// about a channel or process the trees' filter and scope let through, or — about no object, like
// a stale socket file — whose text the filter names; all of them when nothing narrows the trees),
// and the mark each channel and process carries (its most severe problem).
// Fires which problems, channels and pids changed, so the Problems view and the markers on the
// Channels/Processes items re-render only those. Unchanged problems keep their object identity
// across refreshes (core/diagnose/workerHook.ts's receiver), which is what "changed" compares.
// On a busy machine the evidence step can hit its deadline (Diagnosis.partial) and miss a problem
// that lasts; such a problem is kept for up to KEEP_PARTIAL partial refreshes rather than
// flickering out of the view and back (a complete diagnosis drops it at once).

import * as vscode from 'vscode';
import { severityRank, type Diagnosis, type Problem, type Severity } from '../core/diagnose/problem';
import { narrows, problemVisible } from '../core/filter';
import type { SnapshotSource } from '../snapshotSource';
import type { ViewModel } from '../views/viewModel';

export interface ProblemMark {
  /** Most severe of `problems`. */
  severity: Severity;
  /** The shown problems about this object, most severe first. */
  problems: Problem[];
}

/** Partial diagnoses in a row a missing problem is kept through. */
export const KEEP_PARTIAL = 3;

export interface ProblemsChange {
  /** The whole list may have changed (first diagnosis, filter change, diagnosis turned off). */
  full: boolean;
  /** Problem ids added, removed or changed. */
  problems: Set<string>;
  /** Channels and pids whose mark's icon changed (none ↔ warning ↔ error). */
  channels: Set<string>;
  pids: Set<number>;
}

export class ProblemsModel implements vscode.Disposable {
  /** The latest diagnosis (undefined before the first one, or while the diagnosis is off). */
  diagnosis: Diagnosis | undefined;
  /** The problems the views show, most severe first (the diagnosis's order). */
  shown: Problem[] = [];
  readonly byId = new Map<string, Problem>();
  private channelMarks = new Map<string, ProblemMark>();
  private pidMarks = new Map<number, ProblemMark>();
  private readonly emitter = new vscode.EventEmitter<ProblemsChange>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  /** Main-thread ms of the last update (marks and lists; not the views' rendering). */
  lastUpdateMs = 0;
  /** Problem id → partial diagnoses in a row it has been missing from (kept meanwhile). */
  private readonly missing = new Map<string, number>();

  constructor(
    source: Pick<SnapshotSource, 'onDidUpdate'>,
    private readonly model: ViewModel,
    /** Is the diagnosis on (ipcInspector.diagnose)? */
    readonly enabled: () => boolean,
  ) {
    this.disposables.push(
      this.emitter,
      source.onDidUpdate((u) => this.set(u.diagnosis)),
      // a filter or scope change (full) changes what is shown; a scan's change is followed by set()
      model.onDidChange((c) => {
        if (c.full && this.diagnosis) this.set(this.diagnosis, true);
      }),
    );
  }

  /** Are the trees narrowed (filter or scope)? Then only problems about what they list are shown. */
  get narrowed(): boolean {
    return narrows(this.model.filter);
  }

  /** Problems of the last diagnosis, shown or not. */
  get all(): readonly Problem[] {
    return this.diagnosis?.problems ?? [];
  }

  private isShown(p: Problem): boolean {
    return !this.narrowed || problemVisible(p, (id) => this.model.isShown(id), this.model.result.pids, this.model.filter.text);
  }

  /** Applies a diagnosis (or none: the diagnosis is off). `force`: recompute even if nothing changed. */
  set(d: Diagnosis | undefined, force = false): void {
    if (!d && !this.diagnosis && !force) return;
    const t0 = performance.now();
    const before = this.byId;
    const prevShown = new Set(this.shown.map((p) => p.id));
    d = d ? this.keepThroughPartial(d) : d;
    if (!d) this.missing.clear();
    this.diagnosis = d;
    const shown = (d?.problems ?? []).filter((p) => this.isShown(p));
    const change: ProblemsChange = { full: !d || force || before.size === 0, problems: new Set(), channels: new Set(), pids: new Set() };
    const next = new Map<string, Problem>();
    for (const p of shown) {
      next.set(p.id, p);
      if (before.get(p.id) !== p || !prevShown.has(p.id)) change.problems.add(p.id);
    }
    for (const id of prevShown) if (!next.has(id)) change.problems.add(id);
    this.shown = shown;
    this.byId.clear();
    for (const [k, v] of next) this.byId.set(k, v);
    // marks: most severe problem per object
    const channelMarks = new Map<string, ProblemMark>();
    const pidMarks = new Map<number, ProblemMark>();
    const add = <K>(marks: Map<K, ProblemMark>, key: K, p: Problem) => {
      const m = marks.get(key);
      if (!m) marks.set(key, { severity: p.severity, problems: [p] });
      else if (!m.problems.includes(p)) {
        m.problems.push(p);
        if (severityRank(p.severity) < severityRank(m.severity)) m.severity = p.severity;
      }
    };
    for (const p of shown) {
      for (const id of p.channels) add(channelMarks, id, p);
      for (const pid of p.pids) add(pidMarks, pid, p);
    }
    diffMarks(this.channelMarks, channelMarks, change.channels);
    diffMarks(this.pidMarks, pidMarks, change.pids);
    this.channelMarks = channelMarks;
    this.pidMarks = pidMarks;
    this.lastUpdateMs = performance.now() - t0;
    if (change.full || change.problems.size || change.channels.size || change.pids.size) this.emitter.fire(change);
  }

  /** Adds the problems a partial diagnosis missed (KEEP_PARTIAL at most in a row); a complete one is taken as it is. */
  private keepThroughPartial(d: Diagnosis): Diagnosis {
    const before = this.diagnosis?.problems ?? [];
    if (!d.partial) {
      this.missing.clear();
      return d;
    }
    const present = new Set(d.problems.map((p) => p.id));
    for (const id of present) this.missing.delete(id);
    const kept: Problem[] = [];
    for (const p of before) {
      if (present.has(p.id)) continue;
      const n = (this.missing.get(p.id) ?? 0) + 1;
      if (n > KEEP_PARTIAL) {
        this.missing.delete(p.id);
        continue;
      }
      this.missing.set(p.id, n);
      kept.push(p);
    }
    const keptIds = new Set(kept.map((p) => p.id));
    for (const id of [...this.missing.keys()]) if (!keptIds.has(id)) this.missing.delete(id);
    if (!kept.length) return d;
    const problems = [...d.problems, ...kept].sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
    return { ...d, problems };
  }

  channelMark(id: string): ProblemMark | undefined {
    return this.channelMarks.get(id);
  }

  pidMark(pid: number): ProblemMark | undefined {
    return this.pidMarks.get(pid);
  }

  /** Shown problems by severity. */
  counts(): Record<Severity, number> {
    const c: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
    for (const p of this.shown) c[p.severity]++;
    return c;
  }

  /** Problems about an inspector target (a channel, a process, or an endpoint: both), most severe first. */
  forTarget(t: { channelId?: string; pid?: number }): Problem[] {
    const out: Problem[] = [];
    for (const p of this.all) {
      if ((t.channelId !== undefined && p.channels.includes(t.channelId)) || (t.channelId === undefined && t.pid !== undefined && p.pids.includes(t.pid))) out.push(p);
    }
    return out;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * What a marked item shows without hovering: the icon of an error or a warning (info changes no
 * icon). Only a change of this re-renders the item — each re-render is a message to the workbench
 * and can race a reveal in progress; the tooltip's problem lines are read when it is hovered.
 */
function markKey(m: ProblemMark | undefined): string {
  return m && m.severity !== 'info' ? m.severity : '';
}

function diffMarks<K>(before: Map<K, ProblemMark>, after: Map<K, ProblemMark>, out: Set<K>): void {
  for (const [k, m] of after) if (markKey(before.get(k)) !== markKey(m)) out.add(k);
  for (const k of before.keys()) if (!after.has(k)) out.add(k);
}
