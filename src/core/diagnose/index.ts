// The diagnosis layer: every rule of issue 12, one file each, run over a snapshot, the evidence
// gathered for the rules' candidates, and each rule's memo of the last few snapshots. `Diagnoser`
// keeps that history between refreshes (in the snapshot worker, or the CLI's doctor); the rules
// themselves are pure. A failing rule is reported in `notes`, never fatal. No vscode here.
import { newFilesInFlight, type FilesInFlight } from '../filesInFlight';
import type { Snapshot } from '../model';
import { applyFilter, narrows, problemVisible, type FilterState } from '../filter';
import { acceptBacklog } from './acceptBacklog';
import { blockedWriter } from './blockedWriter';
import { waitGraph, type WaitGraph } from './blocking';
import { gatherEvidence, type Evidence, type EvidenceOptions, type EvidenceRequest, type PathCache } from './evidence';
import { leftovers } from './leftovers';
import { otherEnd } from './otherEnd';
import { portClash } from './portClash';
import { countBySeverity, RULE_IDS, severityRank, type Diagnosis, type Problem, type ProblemDraft, type RuleId } from './problem';
import { queueDrain } from './queueDrain';
import { iso, type HistoryEntry, type Rule, type RuleContext, type RuleInput } from './rule';
import { semaphores } from './semaphores';
import { signalTrouble } from './signalTrouble';
import { scan } from './scan';
import { SnapshotIndex } from './snapshotIndex';
import type { MountCache } from './paths';
import type { SocketScanCache } from './socketFiles';
import { socketPath } from './socketPath';
import { waitCycles } from './waitCycles';
import { plural } from '../text';

export * from './problem';
export { TROUBLES, troublesOf, type Trouble } from './troubles';
export type { Evidence, EvidenceOptions } from './evidence';

/** The ten rules, in the issue's order. */
export const RULES: readonly Rule[] = [blockedWriter, otherEnd, socketPath, acceptBacklog, queueDrain, leftovers, semaphores, waitCycles, signalTrouble, portClash];

/**
 * Problems kept per rule and severity (newest first). Other users can make any number of
 * conditions (a directory of stale socket files); the diagnosis crossing to the editor's main
 * thread stays bounded, and the notes say how many were left out.
 */
export const MAX_PROBLEMS_PER_RULE = 100;

export interface DiagnoserOptions extends EvidenceOptions {
  /** Earlier refreshes each rule remembers (default 8). */
  historySize?: number;
  /** Only these rules (default all). */
  rules?: readonly RuleId[];
  /**
   * Only problems involving these processes (the CLI's `doctor --pid`). Applied before the per-rule
   * cap, so a hundred newer problems of other processes never push theirs out, and the notes count
   * only what was left out of this list. Rules still see the whole snapshot (the other end of a
   * pipe, a wait cycle's other processes).
   */
  pids?: readonly number[];
}

/** Runs every rule on one snapshot with given evidence and history (pure; used by Diagnoser and tests). */
export function runRules(
  rules: readonly Rule[],
  ctx: RuleContext,
  evidence: Evidence,
  histories: ReadonlyMap<RuleId, readonly HistoryEntry<unknown>[]>,
): { drafts: ProblemDraft[]; memos: Map<RuleId, unknown>; notes: string[]; graph: WaitGraph | null; ms: Partial<Record<RuleId, number>> } {
  let graph: WaitGraph | null = null;
  const waits = () => (graph ??= waitGraph(ctx.index, evidence));
  const drafts: ProblemDraft[] = [];
  const memos = new Map<RuleId, unknown>();
  const notes: string[] = [];
  const ms: Partial<Record<RuleId, number>> = {};
  for (const rule of rules) {
    const input: RuleInput<unknown> = { ...ctx, evidence, history: histories.get(rule.id) ?? [], waits };
    const t = performance.now();
    try {
      for (const d of rule.run(input)) drafts.push(d);
      if (rule.remember) memos.set(rule.id, rule.remember(input));
    } catch (e) {
      notes.push(`rule ${rule.id} failed: ${(e as Error)?.message ?? String(e)}`);
    }
    ms[rule.id] = performance.now() - t;
  }
  return { drafts, memos, notes, graph, ms };
}

/** Notes on what the snapshot could not show (so a clean result is read for what it is). */
function capabilityNotes(s: Snapshot): string[] {
  const n: string[] = [];
  if (!s.capabilities.native) {
    n.push('native addon not used: pipe fill levels, Unix socket queues and peers, listener backlogs, bound-socket identity and semaphore values are unknown, so rules 1, 3 (takeover), 4, 7 and 8 see less');
  } else if (!s.capabilities.sockDiag) {
    n.push('sock_diag unavailable: Unix socket queues, peers and bound-socket identity are unknown');
  }
  if (!s.capabilities.root) n.push('not root: other users\' fds and threads are not visible, so "nobody holds it" and wait chains are only said for what could be read');
  return n;
}

/** Keeps each rule's history between refreshes and runs evidence + rules on each snapshot. */
export class Diagnoser {
  private readonly histories = new Map<RuleId, HistoryEntry<unknown>[]>();
  /** Problem id → since, of the last diagnosis (keeps `since` stable while a problem lasts). */
  private sinceById = new Map<string, string>();
  /** Problem id → partial diagnoses in a row it was missing from while its `since` was carried. */
  private readonly missing = new Map<string, number>();
  private samples = 0;
  private readonly rules: readonly Rule[];
  private readonly focus: ReadonlySet<number> | null;
  /** How the views are narrowed (setNarrowing): only the problems they would list are kept, before the cap. */
  private narrowing: FilterState | null = null;
  private readonly socketCache: SocketScanCache = { at: 0, scan: null, dirs: new Set() };
  private readonly pathCache: PathCache = { dirs: new Map(), paths: new Map() };
  private readonly mountCache: MountCache = { text: null, table: null };
  private askedInFlight = false;

  constructor(private readonly options: DiagnoserOptions = {}) {
    this.rules = options.rules ? RULES.filter((r) => options.rules!.includes(r.id)) : RULES;
    this.focus = options.pids && options.pids.length > 0 ? new Set(options.pids) : null;
  }

  /** Entries of what it keeps between refreshes (the soak bench's figures: none may grow with what is gone). */
  sizes(): Record<string, number> {
    let history = 0;
    for (const h of this.histories.values()) history += h.length;
    return {
      history,
      since: this.sinceById.size,
      sinceCarried: this.missing.size,
      pathDirs: this.pathCache.dirs.size,
      paths: this.pathCache.paths.size,
      socketDirs: this.socketCache.dirs.size,
      socketFiles: this.socketCache.scan?.files.length ?? 0,
    };
  }

  /**
   * Lists only the problems views narrowed by `filter` show (null: all), before the per-rule cap:
   * filtered after it, a hundred newer problems of a rule elsewhere on the machine (stale sockets
   * in /tmp) would push out the one the filter asks for. The history stays whole.
   */
  setNarrowing(filter: FilterState | null): void {
    this.narrowing = filter && narrows(filter) ? filter : null;
  }

  /** Forgets the history (the snapshot filters changed: the next snapshot is a different view). */
  reset(): void {
    this.histories.clear();
    this.sinceById.clear();
    this.missing.clear();
    this.samples = 0;
    this.socketCache.scan = null;
    this.socketCache.partial = undefined;
    this.pathCache.dirs.clear();
    this.pathCache.paths.clear();
    this.mountCache.text = this.mountCache.table = null;
    this.askedInFlight = false;
  }

  /**
   * The options for the next snapshot: `base`, plus a `filesInFlight` for its walk to fill when
   * the last diagnosis asked whether files are in flight (a pipe missing an end two refreshes
   * running) — the BPF walk's pass then answers for every Unix socket instead of one fdinfo read
   * each within a time budget. Pass the snapshot and that `filesInFlight` back to diagnose().
   * `base` itself until a diagnosis asks, and after reset().
   */
  snapshotOptions<T extends { filesInFlight?: FilesInFlight }>(base: T): T {
    return this.askedInFlight ? { ...base, filesInFlight: newFilesInFlight() } : base;
  }

  /** `filesInFlight`: what the snapshot's walk read of Unix sockets' files in flight (SnapshotOptions.filesInFlight), when it was asked. */
  diagnose(snapshot: Snapshot, filesInFlight?: FilesInFlight): Diagnosis {
    const t0 = performance.now();
    const index = new SnapshotIndex(snapshot);
    const tIndex = performance.now();
    // the one pass over the snapshot every rule's candidates come from (timed as its own part)
    scan({ snapshot, index, now: Date.parse(snapshot.takenAt) || Date.now() });
    const tScan = performance.now();
    const now = Date.parse(snapshot.takenAt) || Date.now();
    const ctx: RuleContext = { snapshot, index, now };
    const notes: string[] = [];
    const requests: EvidenceRequest[] = [];
    for (const rule of this.rules) {
      if (!rule.wants) continue;
      try {
        const r = rule.wants(ctx, this.histories.get(rule.id) ?? []);
        if (r) requests.push(r);
      } catch (e) {
        notes.push(`rule ${rule.id} failed to name its candidates: ${(e as Error)?.message ?? String(e)}`);
      }
    }
    const tWants = performance.now();
    this.askedInFlight = requests.some((r) => r.inFlight !== undefined);
    const evidence = gatherEvidence(requests, { socketCache: this.socketCache, pathCache: this.pathCache, mountCache: this.mountCache, ...this.options, ...(filesInFlight ? { filesInFlight } : {}) });
    const t1 = performance.now();
    const { drafts, memos, notes: ruleNotes, ms } = runRules(this.rules, ctx, evidence, this.histories);
    const keep = this.options.historySize ?? 8;
    for (const [id, memo] of memos) {
      let h = this.histories.get(id);
      if (!h) this.histories.set(id, (h = []));
      h.push({ at: now, memo });
      if (h.length > keep) h.splice(0, h.length - keep);
    }
    this.samples++;
    const seen = new Set<string>();
    const problems: Problem[] = [];
    const since = new Map<string, string>();
    for (const d of drafts) {
      if (seen.has(d.id)) continue;
      seen.add(d.id);
      // a rule's own since only reaches back as far as its history: an earlier one seen here wins
      const prev = this.sinceById.get(d.id);
      const s = prev !== undefined && (d.since === undefined || prev < d.since) ? prev : (d.since ?? iso(now));
      since.set(d.id, s);
      problems.push({ ...d, since: s });
    }
    // evidence cut short by its deadline may miss a problem that lasts: keep its first sighting,
    // through `keep` partial diagnoses in a row at most (unbounded, a machine where the deadline
    // is hit refresh after refresh kept the id of every problem it ever saw)
    if (evidence.deadlineHit) {
      for (const [id, s] of this.sinceById) {
        if (since.has(id)) continue;
        const n = (this.missing.get(id) ?? 0) + 1;
        if (n > keep) continue;
        this.missing.set(id, n);
        since.set(id, s);
      }
    }
    for (const id of [...this.missing.keys()]) if (seen.has(id) || !since.has(id)) this.missing.delete(id);
    this.sinceById = since;
    const focus = this.focus;
    let visible: ((p: Problem) => boolean) | null = null;
    const narrowing = this.narrowing;
    if (narrowing) {
      const shown = applyFilter(snapshot, narrowing);
      const ids = new Set(shown.channels.map((c) => c.id));
      visible = (p) => problemVisible(p, (id) => ids.has(id), shown.pids, narrowing.text);
    }
    const listed = focus || visible ? problems.filter((p) => (!focus || p.pids.some((x) => focus.has(x))) && (!visible || visible(p))) : problems;
    const order = new Map(RULE_IDS.map((r, i) => [r, i]));
    // ties keep the order the rule listed them in (a rule puts what matters most first)
    const emitted = new Map(listed.map((p, i) => [p.id, i]));
    // Seen at the same time (every problem of a first diagnosis is): the one whose youngest
    // process started last is taken as the newer — the server started a minute ago, not the
    // hundred pipes a long-running service left behind.
    const youngest = new Map(listed.map((p) => [p.id, p.pids.reduce((m, pid) => Math.max(m, index.procs.get(pid)?.startTime ?? -1), -1)]));
    // Most severe first; within a rule the newest first, so a fresh problem is never hidden by a
    // hundred old ones of its kind (VS Code alone leaves dozens of stale sockets in /tmp).
    listed.sort(
      (a, b) =>
        severityRank(a.severity) - severityRank(b.severity) ||
        order.get(a.rule)! - order.get(b.rule)! ||
        (a.since > b.since ? -1 : a.since < b.since ? 1 : 0) ||
        youngest.get(b.id)! - youngest.get(a.id)! ||
        emitted.get(a.id)! - emitted.get(b.id)!,
    );
    // the cap is per rule and severity: a hundred warnings of a rule do not hide its errors, nor
    // its information (readers at EOF are another list than writers facing EPIPE)
    const perRule = new Map<string, number>();
    const kept = listed.filter((p) => {
      const key = `${p.rule} ${p.severity}`;
      const n = (perRule.get(key) ?? 0) + 1;
      perRule.set(key, n);
      return n <= MAX_PROBLEMS_PER_RULE;
    });
    for (const [key, n] of perRule) {
      const [rule, severity] = key.split(' ');
      if (n > MAX_PROBLEMS_PER_RULE) notes.push(`${rule}: ${plural(n - MAX_PROBLEMS_PER_RULE, `more ${severity} problem`)} not listed (the first ${MAX_PROBLEMS_PER_RULE}, newest first, are)`);
    }
    return {
      takenAt: snapshot.takenAt,
      problems: kept,
      counts: countBySeverity(kept),
      notes: [...capabilityNotes(snapshot), ...evidence.notes, ...notes, ...ruleNotes],
      samples: Math.min(this.samples, keep + 1),
      ...(evidence.deadlineHit ? { partial: true } : {}),
      evidenceMs: round(t1 - t0),
      scanMs: round(tScan - tIndex),
      // the index and the rules' candidate lists are part of the evidence's time as well (scanMs is the scan's)
      evidencePhasesMs: Object.fromEntries(Object.entries({ index: tIndex - t0, wants: tWants - tScan, ...evidence.phaseMs }).map(([k, v]) => [k, round(v)])),
      rulesMsByRule: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, round(v)])),
      rulesMs: round(performance.now() - t1),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
