// The "Signals" view: the signal log, newest first — time, sender → receiver, signal, si_code and
// the result — filtered by the trees' filter (its text, and its process filters: scope, workspace
// only, other users). A text that names objects (a key, an id, an address) lists the signals of
// the processes holding the objects the trees list for it, never of a process named like it.
// Entries stay after their processes exit.
// Process names are other users' text: labels are plain strings (control characters escaped),
// tooltips are Markdown that is escaped and trusts nothing.
//
// Alike signals fold into one row with a count (core/activity/signalFold.ts: repeats of a rare
// signal when consecutive, a flood of SIGCHLD, timer or I/O signals per receiver between the rare
// ones); a row's tooltip says its first and last time and its senders. "Clear" (the title bar)
// hides what the log held at that moment in this view only — the log keeps it (a process's
// inspector lists it) — and shows everything logged after. "Hide Routine Signals" (the ⋯ menu)
// leaves out SIGCHLD, timer, SIGWINCH and I/O signals where folding is not enough (a parallel
// build: each of its shells gets its own SIGCHLD); the message counts what it hides. It is the
// setting `ipcInspector.hideRoutineSignals` (the workspace value when one is set, else the user
// value, as the Processes view's grouping): it lasts, syncs, shows in Settings, and the ⋯ menu
// follows it (`when` on the setting).
//
// Empty, the view says why. Nothing logged yet: its welcome text (package.json viewsWelcome, keyed
// on the `ipcInspector.liveActivity` and `ipcInspector.signalsEmpty` contexts) says what the log
// shows, or what is missing and how to enable it (a button). VS Code hides a tree's welcome text
// while it has a message, so then the view has none. Otherwise — the tracer cannot run (why), the
// filters hide every entry, a clear — its message says it.
import * as vscode from 'vscode';
import { RESULT_TEXT, ROUTINE_SIGNALS, addObjectHolders, processKey, signalMatchesText, signalQueryNamesObjects } from '../core/activity/signalLog';
import { foldSignals, type SignalRow } from '../core/activity/signalFold';
import { clockTime, signalSenderText, partyLabel } from '../core/activity/format';
import type { SignalEvent } from '../core/activity/types';
import { signalInfo } from '../core/signals';
import type { LiveActivity } from '../liveActivity';
import { allowedPids } from '../core/filter';
import { mdEscape, safeMarkdown } from './nodes';
import type { ViewModel } from './viewModel';
import { RenewingTreeView } from './renewingTreeView';
import { plural } from '../core/text';

/** Rows the view shows at most (the newest; a row may stand for many entries; the log keeps more). */
export const SIGNAL_VIEW_MAX = 1000;
/**
 * Least time between two re-renders of the list for new signals (ms). VS Code's extension host
 * keeps a small record (a disposed DisposableStore registered on the tree view) for every tree
 * node it ever created, for as long as the view exists, and every refresh of the list creates a
 * node per entry shown: re-rendered twice a second (each tracer read) and once more per scan, a
 * full list grew the host by ~130 MB a minute in the soak (bench/README.md, "Soak"). New signals
 * now re-render it at most this often, and a scan only when it changes what is listed; the view
 * itself is replaced after 100,000 items (views/renewingTreeView.ts), which frees those records.
 */
export const SIGNAL_VIEW_REFRESH_MS = 2000;
/** Processes remembered as "passed the process filter" (so a receiver that exited stays shown). */
const ALLOWED_MEMORY = 100_000;

export class SignalNode {
  constructor(readonly row: SignalRow) {}
  /** The newest entry of the row. */
  get event(): SignalEvent {
    return this.row.newest;
  }
}

/** Who sent a row's entries: the one sender, or how many (a SIGCHLD flood comes from each child). */
function rowSenderText(r: SignalRow): string {
  if (r.senders <= 1 || !r.newest.sender) return signalSenderText(r.newest);
  return `${r.senders} processes`;
}

/** Context key `ipcInspector.signalsEmpty`: why the view lists nothing ('' when it lists rows). */
export type SignalsEmpty = '' | 'none' | 'filtered' | 'cleared';

export function signalTreeItem(r: SignalRow): vscode.TreeItem {
  const e = r.newest;
  const count = r.count > 1 ? ` ×${r.count}` : '';
  const item = new vscode.TreeItem(`${e.signalName}${count}  ${rowSenderText(r)} → ${partyLabel(e.receiver)}`, vscode.TreeItemCollapsibleState.None);
  // the oldest entry's: the row keeps its id (and selection) while newer entries fold into it
  item.id = `signal:${r.oldest.seq}`;
  item.description = `${clockTime(e.timeMs)} · ${e.codeName}${e.value !== undefined ? ` (${e.value})` : ''} · ${e.result}`;
  item.contextValue = 'ipc.signal';
  const lost = e.result === 'already-pending' || e.result === 'queue-overflow' || e.result === 'ignored';
  item.iconPath = new vscode.ThemeIcon(lost ? 'circle-slash' : e.signal === 9 ? 'error' : 'zap');
  const md = safeMarkdown();
  const info = signalInfo(e.signal);
  md.appendMarkdown(`**${mdEscape(e.signalName)}** (${e.signal})${info ? ` — ${mdEscape(info.description)}` : ''}\n\n`);
  if (r.count > 1) {
    const o = r.oldest;
    md.appendMarkdown(`**${r.count} alike signals** in one row${r.interleaved ? ' (others came between them: routine signals fold across each other, never across a rarer one)' : ''}:\n\n`);
    md.appendMarkdown(`- first: ${mdEscape(new Date(o.timeMs).toISOString())}${o.sender && r.senders > 1 ? ` from ${mdEscape(partyLabel(o.sender))}` : ''}\n`);
    md.appendMarkdown(`- last: ${mdEscape(new Date(e.timeMs).toISOString())}${e.sender && r.senders > 1 ? ` from ${mdEscape(partyLabel(e.sender))}` : ''}\n`);
    if (r.senders > 1) md.appendMarkdown(`- ${r.senders} senders\n`);
    md.appendMarkdown(`- each one is in the inspector of the receiver (click the row)\n\nThe last one:\n\n`);
  }
  md.appendMarkdown(`- time: ${mdEscape(new Date(e.timeMs).toISOString())}\n`);
  if (e.sender) md.appendMarkdown(`- sender: ${mdEscape(partyLabel(e.sender))}, uid ${e.sender.uid}${e.sender.tid !== e.sender.pid ? `, thread ${e.sender.tid}` : ''}\n`);
  else md.appendMarkdown(`- sender: the ${e.senderKind}${e.context && e.context.pid ? ` (while ${mdEscape(partyLabel(e.context))} ran)` : ''}\n`);
  md.appendMarkdown(`- receiver: ${mdEscape(partyLabel(e.receiver))}${e.group ? ' (the process)' : ` (thread ${e.receiver.tid})`}\n`);
  md.appendMarkdown(`- si_code: ${mdEscape(e.codeName)} (${e.code}) — ${mdEscape(e.via)}${e.value !== undefined ? `, value ${e.value}` : ''}\n`);
  if (e.claimedPid !== undefined) md.appendMarkdown(`- the siginfo names pid ${e.claimedPid} as sender (its pid namespace)\n`);
  md.appendMarkdown(`- result: ${mdEscape(e.result)} — ${mdEscape(RESULT_TEXT[e.result])}\n`);
  item.tooltip = md;
  item.command = { command: 'ipcInspector.openInspector', title: 'Open Inspector', arguments: [{ pid: e.receiver.pid }] };
  return item;
}

/** The setting behind "Hide Routine Signals" (package.json; `when` clauses read it as `config.ipcInspector.hideRoutineSignals`). */
export const HIDE_ROUTINE_SIGNALS_SETTING = 'hideRoutineSignals';

function routineSetting(): boolean {
  return vscode.workspace.getConfiguration('ipcInspector').get<boolean>(HIDE_ROUTINE_SIGNALS_SETTING, false) === true;
}

export class SignalLogTree implements vscode.TreeDataProvider<SignalNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  /** `pid:startTime` of processes that passed the process filters at some snapshot. */
  private allowed = new Set<string>();
  private filterKey = '';
  private filterText = '';
  /**
   * For a filter text that names objects (a key, an id, an address: signalQueryNamesObjects),
   * `pid:startTime` of the processes that held a matching object at some snapshot since the text
   * was set (as the trees' filter finds them), so a holder that exited keeps its signals listed.
   */
  private holders = new Set<string>();
  /** What the list showed when last rendered (newest entry, count), to skip re-rendering the same list. */
  private shownKey = '';
  private lastRender = 0;
  private timer: NodeJS.Timeout | undefined;
  /** "Clear": entries up to this sequence number are hidden here (0: none), and when. */
  private clearMark = 0;
  private clearedAt = 0;
  /** "Hide Routine Signals": ROUTINE_SIGNALS left out (the setting `ipcInspector.hideRoutineSignals`). */
  private routineHidden = routineSetting();
  /** The value last given to the context key `ipcInspector.signalsEmpty`. */
  private empty: SignalsEmpty | undefined;
  /** The view (set by the registration) whose message says what runs and what is filtered. */
  view: vscode.TreeView<SignalNode> | undefined;

  constructor(
    private readonly activity: LiveActivity,
    private readonly model: ViewModel,
  ) {
    this.disposables.push(
      activity.onDidChange((c) => {
        if (!c.sample && !c.signals.length) this.refresh(); // the tracer's state: at once
        else if (c.signals.length) this.refreshSoon();
      }),
      model.onDidChange(() => this.onModel()),
      // the setting, from the ⋯ menu, the Settings editor or another window (Settings Sync)
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(`ipcInspector.${HIDE_ROUTINE_SIGNALS_SETTING}`)) return;
        const hidden = routineSetting();
        if (hidden === this.routineHidden) return;
        this.routineHidden = hidden;
        this.refresh();
      }),
    );
  }

  private onModel(): void {
    const f = this.model.filter;
    const key = JSON.stringify([f.scopePid, f.workspaceOnly, f.hideOtherUsers, f.workspaceFolders, f.workspaceRootPids, f.uid]);
    const filterChanged = key !== this.filterKey;
    if (filterChanged) {
      this.filterKey = key;
      this.allowed = new Set();
    }
    const snap = this.model.snapshot;
    if (snap) {
      const allowed = allowedPids(snap.processes, f);
      if (allowed) {
        if (this.allowed.size > ALLOWED_MEMORY) this.allowed = new Set();
        for (const p of snap.processes) if (allowed.has(p.pid)) this.allowed.add(processKey(p.pid, p.startTime));
      }
    }
    // a scan changes the list only through the filters (text, or who passes a process filter)
    const textChanged = f.text !== this.filterText;
    this.filterText = f.text;
    if (textChanged || this.holders.size > ALLOWED_MEMORY) this.holders = new Set();
    if (snap && signalQueryNamesObjects(f.text)) addObjectHolders(this.holders, this.model.result, this.model.procs);
    if (filterChanged || textChanged) this.refresh();
    else this.refreshSoon();
  }

  /** Re-renders the list if it changed, at most every SIGNAL_VIEW_REFRESH_MS. */
  private refreshSoon(): void {
    if (this.timer) return;
    const wait = this.lastRender + SIGNAL_VIEW_REFRESH_MS - Date.now();
    if (wait <= 0) this.refresh(true);
    else
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.refresh(true);
      }, wait);
  }

  /** Whether an entry passes the trees' filters (text, process filters). */
  private passes(e: SignalEvent): boolean {
    const f = this.model.filter;
    if (!signalMatchesText(e, f.text, (p) => this.holders.has(processKey(p.pid, p.startTime)))) return false;
    if (f.scopePid !== undefined || f.workspaceOnly || f.hideOtherUsers) {
      return this.allowed.has(processKey(e.receiver.pid, e.receiver.startTime)) || (e.sender !== null && this.allowed.has(processKey(e.sender.pid, e.sender.startTime)));
    }
    return true;
  }

  /** The entries that came after the clear mark and pass the view's filters, newest first (lazily). */
  private *candidates(): Generator<SignalEvent> {
    const all = this.activity.signals.all();
    for (let i = all.length - 1; i >= 0; i--) {
      const e = all[i];
      if (e.seq <= this.clearMark) continue;
      if (this.routineHidden && ROUTINE_SIGNALS.has(e.signal)) continue;
      if (this.passes(e)) yield e;
    }
  }

  /** The rows the view shows, newest first, and the entries they stand for. */
  private scan(): { rows: SignalRow[]; events: SignalEvent[] } {
    const events: SignalEvent[] = [];
    const gen = this.candidates();
    const taken = (function* () {
      for (const e of gen) {
        events.push(e);
        yield e;
      }
    })();
    const rows = foldSignals(taken, SIGNAL_VIEW_MAX);
    let n = 0;
    for (const r of rows) n += r.count;
    events.length = n; // the walk read one entry past the last row
    return { rows, events };
  }

  /** The log entries the view shows (every entry of every row), newest first. */
  visible(): SignalEvent[] {
    return this.scan().events;
  }

  /** The rows the view shows, newest first. */
  rows(): SignalRow[] {
    return this.scan().rows;
  }

  /** Hides what the log holds now (this view only; the log keeps it); what comes after shows. */
  clear(): void {
    this.clearMark = this.activity.signals.newestSeq;
    this.clearedAt = Date.now();
    this.refresh();
  }

  /** Whether the routine signals are left out. */
  get routineSignalsHidden(): boolean {
    return this.routineHidden;
  }

  /**
   * Leaves out (or shows again) the routine signals: SIGCHLD, timers, SIGWINCH, I/O — by the
   * setting, where it is set (the workspace's value when it has one, else the user's); resolves
   * once the view follows it.
   */
  async setRoutineHidden(hidden: boolean): Promise<boolean> {
    const cfg = vscode.workspace.getConfiguration('ipcInspector');
    const target = cfg.inspect<boolean>(HIDE_ROUTINE_SIGNALS_SETTING)?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    // the default is false: showing them again removes the user's value rather than writing the default
    await cfg.update(HIDE_ROUTINE_SIGNALS_SETTING, hidden || target === vscode.ConfigurationTarget.Workspace ? hidden : undefined, target);
    this.routineHidden = hidden;
    this.refresh();
    return hidden;
  }

  /** Re-renders the view (`ifChanged`: only if the list it would show is not the one shown). */
  refresh(ifChanged = false): void {
    const { rows } = this.scan();
    let sum = 0;
    let count = 0;
    for (const r of rows) {
      sum += r.newest.seq;
      count += r.count;
    }
    const key = `${rows.length}:${rows[0]?.newest.seq ?? 0}:${sum}:${count}:${this.clearMark}:${this.routineHidden}:${this.model.filter.text}`;
    if (!ifChanged || key !== this.shownKey) {
      this.shownKey = key;
      this.lastRender = Date.now();
      this.emitter.fire();
    }
    const log = this.activity.signals;
    let cleared = 0;
    let routine = 0;
    if (this.clearMark > 0 || this.routineHidden)
      for (const e of log.all()) {
        if (e.seq <= this.clearMark) cleared++;
        else if (this.routineHidden && ROUTINE_SIGNALS.has(e.signal) && this.passes(e)) routine++;
      }
    const empty: SignalsEmpty = rows.length > 0 ? '' : log.size > cleared ? 'filtered' : cleared > 0 ? 'cleared' : 'none';
    // routine ones hidden: those the other filters let through since the clear
    const hiddenText = routine > 0 ? `${plural(routine, 'routine signal')} (SIGCHLD, timers, SIGWINCH, I/O) hidden: Show Routine Signals in ⋯ lists them.` : '';
    if (empty !== this.empty) {
      this.empty = empty;
      void vscode.commands.executeCommand('setContext', 'ipcInspector.signalsEmpty', empty);
    }
    if (this.view) {
      // A tree view hides its welcome text while it has a message: none while the welcome says it
      // all (nothing logged yet; with the tracer off, its text and Enable button say what describe() would).
      const state = this.activity.state;
      const welcome = empty === 'none' && state !== 'unavailable' && state !== 'starting';
      const parts = [this.activity.describe()];
      const filters = 'the Filter text, a process scope, this workspace only, other users hidden: as in the other views';
      const filtering = this.model.filtering || this.model.filter.scopePid !== undefined;
      if (empty === 'filtered' && filtering) parts.push(cleared > 0 ? `No signal logged since the clear passes the filters (${filters}).` : `No logged signal passes the filters (${filters}).`);
      else if (rows.length > 0 && filtering) parts.push('Filtered like the other views.');
      if (hiddenText) parts.push(hiddenText);
      if (cleared > 0) parts.push(`Cleared at ${clockTime(this.clearedAt)}: ${plural(cleared, 'earlier entry is', 'earlier entries are')} hidden here (the log keeps them: a process's inspector lists its signals); signals sent since appear here.`);
      if (log.evicted > 0) parts.push(`${log.evicted} older entries dropped (the log keeps the newest ${log.capacity}, and apart from them the newest ${log.routineCapacity} SIGCHLD, timer, SIGWINCH and I/O signals).`);
      const lost = this.activity.latest?.lostTotal;
      if (lost && lost.signalRingFull + lost.signalQueueFull > 0) parts.push(`${lost.signalRingFull + lost.signalQueueFull} signals were lost (the tracer's buffer was full).`);
      this.view.message = welcome || (state === 'running' && parts.length === 1) ? undefined : parts.join(' ');
    }
  }

  getTreeItem(n: SignalNode): vscode.TreeItem {
    return signalTreeItem(n.row);
  }

  getChildren(n?: SignalNode): SignalNode[] {
    if (n) return [];
    return this.rows().map((r) => new SignalNode(r));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** Creates the Signals view and ties its visibility to the tracer's demand. */
export function registerSignalLogView(activity: LiveActivity, model: ViewModel): vscode.Disposable {
  const tree = new SignalLogTree(activity, model);
  const view = new RenewingTreeView('ipcInspector.signals', { treeDataProvider: tree });
  tree.view = view;
  activity.signalView = tree;
  const subs: vscode.Disposable[] = [
    { dispose: () => (activity.signalView = undefined) },
    tree,
    view,
    view.onDidChangeVisibility((e) => {
      activity.setSignalViewVisible(e.visible);
      tree.refresh();
    }),
    vscode.commands.registerCommand('ipcInspector.signals.clear', () => tree.clear()),
    vscode.commands.registerCommand('ipcInspector.signals.hideRoutine', () => tree.setRoutineHidden(true)),
    vscode.commands.registerCommand('ipcInspector.signals.showRoutine', () => tree.setRoutineHidden(false)),
  ];
  if (view.visible) activity.setSignalViewVisible(true);
  tree.refresh();
  return vscode.Disposable.from(...subs);
}
