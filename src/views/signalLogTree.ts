// The "Signals" view: the signal log, newest first — time, sender → receiver, signal, si_code and
// the result — filtered by the trees' filter (its text, and its process filters: scope, workspace
// only, other users). Entries stay after their processes exit. Without the eBPF tracer the view
// is empty and its welcome text says what is missing and how to enable it (package.json
// viewsWelcome, keyed on the `ipcInspector.liveActivity` context); its message says why.
// Process names are other users' text: labels are plain strings (control characters escaped),
// tooltips are Markdown that is escaped and trusts nothing.
import * as vscode from 'vscode';
import { RESULT_TEXT, processKey, signalMatchesText } from '../core/activity/signalLog';
import { clockTime, signalSenderText, partyLabel } from '../core/activity/format';
import type { SignalEvent } from '../core/activity/types';
import { signalInfo } from '../core/signals';
import type { LiveActivity } from '../liveActivity';
import { allowedPids } from '../core/filter';
import { mdEscape, safeMarkdown } from './nodes';
import type { ViewModel } from './viewModel';
import { RenewingTreeView } from './renewingTreeView';

/** Entries the view shows at most (the newest; the log keeps more). */
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
  constructor(readonly event: SignalEvent) {}
}

export function signalTreeItem(e: SignalEvent): vscode.TreeItem {
  const item = new vscode.TreeItem(`${e.signalName}  ${signalSenderText(e)} → ${partyLabel(e.receiver)}`, vscode.TreeItemCollapsibleState.None);
  item.id = `signal:${e.seq}`;
  item.description = `${clockTime(e.timeMs)} · ${e.codeName}${e.value !== undefined ? ` (${e.value})` : ''} · ${e.result}`;
  item.contextValue = 'ipc.signal';
  const lost = e.result === 'already-pending' || e.result === 'queue-overflow' || e.result === 'ignored';
  item.iconPath = new vscode.ThemeIcon(lost ? 'circle-slash' : e.signal === 9 ? 'error' : 'zap');
  const md = safeMarkdown();
  const info = signalInfo(e.signal);
  md.appendMarkdown(`**${mdEscape(e.signalName)}** (${e.signal})${info ? ` — ${mdEscape(info.description)}` : ''}\n\n`);
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

export class SignalLogTree implements vscode.TreeDataProvider<SignalNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  /** `pid:startTime` of processes that passed the process filters at some snapshot. */
  private allowed = new Set<string>();
  private filterKey = '';
  private filterText = '';
  /** What the list showed when last rendered (newest entry, count), to skip re-rendering the same list. */
  private shownKey = '';
  private lastRender = 0;
  private timer: NodeJS.Timeout | undefined;
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

  /** The log entries the view shows, newest first. */
  visible(): SignalEvent[] {
    const f = this.model.filter;
    const processFilter = f.scopePid !== undefined || f.workspaceOnly || f.hideOtherUsers;
    const out: SignalEvent[] = [];
    const all = this.activity.signals.all();
    for (let i = all.length - 1; i >= 0 && out.length < SIGNAL_VIEW_MAX; i--) {
      const e = all[i];
      if (!signalMatchesText(e, f.text)) continue;
      if (processFilter) {
        const ok = this.allowed.has(processKey(e.receiver.pid, e.receiver.startTime)) || (e.sender !== null && this.allowed.has(processKey(e.sender.pid, e.sender.startTime)));
        if (!ok) continue;
      }
      out.push(e);
    }
    return out;
  }

  /** Re-renders the view (`ifChanged`: only if the list it would show is not the one shown). */
  refresh(ifChanged = false): void {
    const list = this.visible();
    let sum = 0;
    for (const e of list) sum += e.seq;
    const key = `${list.length}:${list[0]?.seq ?? 0}:${sum}:${this.model.filter.text}`;
    if (!ifChanged || key !== this.shownKey) {
      this.shownKey = key;
      this.lastRender = Date.now();
      this.emitter.fire();
    }
    if (this.view) {
      const shown = this.activity.signals.size;
      const parts = [this.activity.describe()];
      if (shown > 0 && this.model.filtering) parts.push('Filtered like the other views.');
      const log = this.activity.signals;
      if (log.evicted > 0) parts.push(`${log.evicted} older entries dropped (the log keeps the newest ${log.capacity}, and apart from them the newest ${log.routineCapacity} SIGCHLD, timer, SIGWINCH and I/O signals).`);
      const lost = this.activity.latest?.lostTotal;
      if (lost && lost.signalRingFull + lost.signalQueueFull > 0) parts.push(`${lost.signalRingFull + lost.signalQueueFull} signals were lost (the tracer's buffer was full).`);
      this.view.message = this.activity.state === 'running' && parts.length === 1 ? undefined : parts.join(' ');
    }
  }

  getTreeItem(n: SignalNode): vscode.TreeItem {
    return signalTreeItem(n.event);
  }

  getChildren(n?: SignalNode): SignalNode[] {
    if (n) return [];
    return this.visible().map((e) => new SignalNode(e));
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
  ];
  if (view.visible) activity.setSignalViewVisible(true);
  tree.refresh();
  return vscode.Disposable.from(...subs);
}
