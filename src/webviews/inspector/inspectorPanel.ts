// The inspector panel's host side: one class owns the WebviewPanel and its disposables. It
// serves the bundled UI under a strict CSP (../panelShell.ts, shared with the map), holds its
// posts until the webview says `ready`, pushes the target's live state on every poll, and
// validates every message from the webview (structure in protocol.ts; here: the channel/pid is one
// it showed and still exists) before acting — peeks, signals (only to the inspected process,
// through the shared action runner and its one policy and confirmation: core/actions/runner.ts),
// the consuming POSIX mq receive.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import type { Channel, Endpoint, ProcessInfo, Snapshot } from '../../core/model';
import { endpointListing, fdRanges, groupEndpoints, groupFds, rangesText } from '../../core/endpointGroups';
import type { InspectorTarget, SnapshotSource } from '../../snapshotSource';
import { SIGNALS } from '../../core/signals';
import { droppedByInit, namespaceInit, signalSetsOf } from '../../core/signalSets';
import { peekChannel, receivePosixMq, type PeekResult } from '../../core/actions/peek';
import { vscodeOrigins } from '../../core/actions/origin';
import { runSignal } from '../../core/actions/runner';
import { SnapshotService, workerScriptOf } from '../../core/snapshotService';
import { errnoOf, messageOf, ActionError } from '../../core/actions/errors';
import { clipboardText, oneLine } from '../../core/escape';
import { channelTitle, containerLabel, endpointGroupWhere, processLabel, shownCmdline, shownComm, shownName } from '../../core/format';
import { byteCount } from '../../core/text';
import { describe } from '../../core/kinds';
import { extensionRunnerEnv } from '../../commands/actionEnv';
import type { Ui } from '../../ui';
import type { InspectorActivitySource } from './activitySource';
import { problemViews, type TargetProblems } from './problemViews';
import { disposeAll, initPanel, panelWebviewOptions, type PanelPage } from '../panelShell';
import { bootSecondsIn, startInstant } from '../../core/processState';
import {
  INSPECTOR_VIEW_TYPE, PROTOCOL_VERSION, LIMITS, validateWebviewMessage, checkShown, depthOf, depthLimitsOf, isChannelId,
  type ChannelView, type HolderView, type HostMessage, type LastSeen, type ProcessView, type WebviewMessage, type WirePeek, type WireError,
  type RenderedMessage, type SignalRow, type TestDriveMessage,
} from './protocol';

export interface InspectorLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface InspectorDeps {
  context: vscode.ExtensionContext;
  source: SnapshotSource;
  log: InspectorLog;
  /** Notifications and confirmations (escaped; the one test seam for confirmations). */
  ui: Ui;
  /** What started a process inside VS Code (src/provenance.ts): "task: npm: watch". */
  provenance?: (pid: number) => string | undefined;
  /** The diagnosis's problems by target (src/problems), when the extension runs it. */
  problems?: TargetProblems;
  /** Live activity's signal log and rates (registerLiveActivity.ts), when the extension runs it. */
  activity?: InspectorActivitySource;
}

/** Test hooks: what the webview rendered and what the host rejected (confirmations: ui.ts). */
export interface InspectorTestHooks {
  rendered: RenderedMessage[];
  rejected: string[];
}

/** The webview options (shared by every panel: ../panelShell.ts). */
export const getWebviewOptions = panelWebviewOptions;

/** Its page: the bundle; images only from the extension. */
const PAGE: PanelPage = { script: 'webview.js', title: 'IPC Inspector', csp: (source) => [`img-src ${source}`], mainAttributes: ' aria-live="polite"' };

export function isTestMode(context: vscode.ExtensionContext): boolean {
  return context.extensionMode === vscode.ExtensionMode.Test || process.env.IPC_INSPECTOR_TEST === '1';
}

export function sanitizeTarget(t: unknown): InspectorTarget | undefined {
  if (typeof t !== 'object' || t === null) return undefined;
  const { channelId, pid } = t as Record<string, unknown>;
  if (isChannelId(channelId, LIMITS.channelId)) return { channelId };
  if (typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0 && pid <= LIMITS.pid) return { pid };
  return undefined;
}

export function toWirePeek(r: PeekResult): WirePeek {
  switch (r.type) {
    case 'messages':
      return { ...r, messages: r.messages.map((m) => ({ index: m.index, type: m.type, size: m.size, truncated: m.truncated, data: Buffer.from(m.data).toString('base64') })) };
    case 'bytes':
      return { ...r, data: Buffer.from(r.data).toString('base64') };
    default:
      return r;
  }
}

function wireError(e: unknown): WireError {
  return { code: errnoOf(e), message: messageOf(e), hint: e instanceof ActionError ? e.hint : undefined };
}

/** Where a process runs and who started it, for the panel's facts (plain text: the webview sets textContent). */
function processPlace(p: ProcessInfo, provenance: string | undefined): Pick<ProcessView, 'provenance' | 'container' | 'nsPid' | 'netns' | 'pidns' | 'mntns'> {
  const out: Pick<ProcessView, 'provenance' | 'container' | 'nsPid' | 'netns' | 'pidns' | 'mntns'> = {};
  if (provenance) out.provenance = provenance;
  if (p.container) out.container = containerLabel(p.container);
  if (p.nsPid && p.nsPid.length > 1) out.nsPid = p.nsPid;
  if (p.netns) out.netns = p.netns;
  if (p.pidns) out.pidns = p.pidns;
  if (p.mntns) out.mntns = p.mntns;
  return out;
}

/** The connection `was` (a TCP channel with an inode) became once its process closed it: the same netns and addresses, inode 0. */
function closedConnection(was: Channel | undefined, snap: Snapshot): Channel | undefined {
  if (was?.kind !== 'tcp' || was.inode === 0) return undefined;
  return snap.channels.find((c) => c.kind === 'tcp' && c.inode === 0 && c.netns === was.netns && c.local === was.local && c.remote === was.remote);
}

export class InspectorPanel {
  static current: InspectorPanel | undefined;
  static readonly testHooks: InspectorTestHooks = { rendered: [], rejected: [] };

  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private readonly pending: HostMessage[] = [];
  private target: InspectorTarget;
  /** pid → start time of every process the webview was shown (the target, holders). */
  private shownPids = new Map<number, number>();
  private shownChannels = new Set<string>();
  private lastPeek: PeekResult | undefined;
  /**
   * The messages a consuming POSIX mq receive took, by the receive's request id (the newest
   * LIMITS.received): the panel's Copy and Save of one name it, as nothing else holds those bytes
   * any more. Kept while the panel shows that queue, whatever it peeks meanwhile; dropped when it
   * moves to another object (the webview drops their boxes then too).
   */
  private readonly received = new Map<number, { channelId: string; data: Buffer; priority: number }>();
  /** The target's view in the last scan that had it: what the panel shows once it is gone. */
  private lastSeen: LastSeen | undefined;
  /**
   * What the last view links to that has gone too (`pid:N`, channel ids): a click on such a link
   * is answered "no longer exists", not refused as a message the panel never allowed.
   */
  private readonly wentAway = new Set<string>();
  /** The start time of the process a pid target named when first seen: a later process given its pid is another one. */
  private boundStart: number | undefined;
  private live = true;
  private readonly testMode: boolean;
  /** What the inspected process is, when it is part of VS Code itself (read from /proc asynchronously). */
  private vscodeLabel: { pid: number; label: string | undefined } | undefined;
  private disposed = false;
  private extra: ProcessInfo | undefined;
  private extraInFlight = false;
  /** Reads a process outside the poller's snapshot, in a worker of its own (created on first use). */
  private processScanner: SnapshotService | undefined;
  private processScannerPid = 0;

  /** `preserveFocus`: show it without taking the keyboard focus (a tree click previews). */
  static createOrShow(deps: InspectorDeps, target: InspectorTarget, preserveFocus = false): InspectorPanel {
    const t = sanitizeTarget(target);
    if (!t) throw new Error('inspector: invalid target');
    if (InspectorPanel.current) {
      InspectorPanel.current.retarget(t);
      InspectorPanel.current.panel.reveal(undefined, preserveFocus);
      return InspectorPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(INSPECTOR_VIEW_TYPE, 'IPC Inspector', { viewColumn: vscode.ViewColumn.Active, preserveFocus }, {
      ...getWebviewOptions(deps.context.extensionUri),
    });
    InspectorPanel.current = new InspectorPanel(panel, deps, t);
    return InspectorPanel.current;
  }

  /** For the WebviewPanelSerializer: `state` is what the webview stored with setState (untrusted). */
  static revive(panel: vscode.WebviewPanel, deps: InspectorDeps, state: unknown): InspectorPanel {
    const saved = state as { target?: unknown; startTime?: unknown } | undefined;
    const t = sanitizeTarget(saved?.target) ?? {};
    // the process the panel was bound to before the reload: its pid may belong to another one now
    const st = saved?.startTime;
    const bound = t.pid && typeof st === 'number' && Number.isSafeInteger(st) && st >= 0 ? st : undefined;
    InspectorPanel.current?.dispose();
    InspectorPanel.current = new InspectorPanel(panel, deps, t, bound);
    return InspectorPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: InspectorDeps,
    target: InspectorTarget,
    boundStart?: number,
  ) {
    this.target = target;
    this.boundStart = boundStart;
    this.testMode = isTestMode(deps.context);
    initPanel(panel, deps.context.extensionUri, PAGE);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      // A hidden webview is torn down (its state survives in getState); hold posts until it is back and ready.
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.ready = false;
      }),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      deps.source.onDidUpdate(({ snapshot }) => this.onSnapshot(snapshot)),
      deps.source.hold(),
    );
    if (deps.problems) {
      // a setting change clears the problems between scans: show that too
      this.disposables.push(deps.problems.onDidChange((c) => {
        if (c.full && deps.source.current) this.onSnapshot(deps.source.current);
      }));
    }
    this.post({ type: 'init', protocol: PROTOCOL_VERSION, target: this.target, testMode: this.testMode, maxBytes: this.maxBytes() });
    if (deps.source.current) this.onSnapshot(deps.source.current);
    else void deps.source.refresh().catch((e) => deps.log.warn(`inspector: refresh failed: ${messageOf(e)}`));
  }

  get currentTarget(): InspectorTarget {
    return { ...this.target };
  }

  /** `continues`: the same object under a new id (closedConnection): the page keeps its history and last peek. */
  retarget(t: InspectorTarget, continues = false): void {
    // the same object opened again (a tree click on what the panel shows): the webview keeps its
    // page, and the bytes its Copy and Save name stay
    const same = t.channelId === this.target.channelId && t.pid === this.target.pid;
    this.target = t;
    if (!continues && !same) {
      this.lastPeek = undefined;
      this.received.clear();
    }
    this.lastSeen = undefined;
    this.boundStart = undefined;
    this.wentAway.clear();
    this.post({ type: 'init', protocol: PROTOCOL_VERSION, target: t, testMode: this.testMode, maxBytes: this.maxBytes(), ...(continues ? { continues } : {}) });
    if (this.deps.source.current) this.onSnapshot(this.deps.source.current);
  }

  /** Test mode: ask the webview to drive its own UI. */
  drive(msg: Omit<TestDriveMessage, 'type'>): void {
    if (!this.testMode) throw new Error('inspector: testDrive is only available in test mode');
    this.post({ type: 'testDrive', ...msg });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (InspectorPanel.current === this) InspectorPanel.current = undefined;
    this.panel.dispose();
    disposeAll(this.disposables);
  }

  private maxBytes(): number {
    const v = vscode.workspace.getConfiguration('ipcInspector').get<number>('peekMaxBytes', 65536);
    return Number.isSafeInteger(v) && v >= 16 && v <= LIMITS.maxBytes ? v : 65536;
  }

  private post(msg: HostMessage): void {
    if (this.disposed) return;
    if (!this.ready) {
      // Keep the newest update only; everything else in order.
      if (msg.type === 'update') {
        const i = this.pending.findIndex((m) => m.type === 'update');
        if (i >= 0) this.pending.splice(i, 1);
      }
      this.pending.push(msg);
      return;
    }
    void this.panel.webview.postMessage(msg);
  }

  // -------------------------------------------------------------------------------------------
  // Snapshot → view
  // -------------------------------------------------------------------------------------------

  private onSnapshot(snap: Snapshot, force = false): void {
    if (!this.live && this.ready && !force) return;
    const procs = new Map(snap.processes.map((p) => [p.pid, p]));
    const shownPids = new Map<number, number>();
    const shownChannels = new Set<string>();
    const msg: Extract<HostMessage, { type: 'update' }> = {
      type: 'update', at: snap.takenAt, target: this.target, gone: false, capabilities: snap.capabilities, paused: !this.live,
    };
    if (this.target.channelId) {
      const ch = snap.channels.find((c) => c.id === this.target.channelId);
      // a TCP connection its process closed lost its inode, and with it its id: the same
      // connection (netns, both addresses), now in TIME-WAIT or FIN-WAIT, is followed
      const closed = ch ? undefined : closedConnection(this.lastSeen?.channel?.channel, snap);
      if (closed) return this.retarget({ channelId: closed.id }, true);
      if (!ch) msg.gone = true;
      else {
        msg.channel = this.channelView(ch, procs, snap);
        shownChannels.add(ch.id);
        // its other end is a link (inspect only)
        if (msg.channel.peer) shownChannels.add(msg.channel.peer.id);
        for (const h of msg.channel.holders) if (h.startTime !== null) shownPids.set(h.pid, h.startTime);
        // The processes its facts name (last sender, creator…) are links too; they can be inspected,
        // never signalled from here (a signal goes only to the inspected process, checkShown).
        for (const pid of describe(ch).mentions(ch)) if (!shownPids.has(pid) && procs.has(pid)) shownPids.set(pid, procs.get(pid)!.startTime);
        let values = depthOf(ch);
        const rate = this.deps.activity?.channelRate(ch.id);
        if (rate !== undefined) values = { ...(values ?? {}), 'bytes/s': rate };
        const limits = depthLimitsOf(ch);
        if (values) msg.sample = { t: Date.parse(snap.takenAt) || Date.now(), values, ...(limits ? { limits } : {}) };
        this.panel.title = `Inspector: ${oneLine(msg.channel.title, 120)}`;
      }
    } else if (this.target.pid) {
      let p = procs.get(this.target.pid) ?? this.readProcess(this.target.pid);
      // its pid given to another process: the one inspected has exited
      if (p && this.boundStart !== undefined && p.startTime !== this.boundStart) p = undefined;
      if (!p) msg.gone = true;
      else if (p.state === 'Z' && p.threads <= 1) {
        // exited, not reaped yet: nothing to signal, and its facts are blanks (no command line, no
        // fds). A leader that exited while its other threads run is Z too, with them counted: alive.
        msg.gone = true;
        msg.zombie = true;
        this.lastSeen ??= { at: snap.takenAt, process: this.processView(p, snap) };
      } else {
        this.boundStart = p.startTime;
        msg.process = this.processView(p, snap);
        const signalLog = this.deps.activity?.processSignals(p.pid, p.startTime);
        if (signalLog) msg.signalLog = signalLog;
        shownPids.set(p.pid, p.startTime);
        // Its parent and tracer are links (inspect only).
        for (const pid of [p.ppid, p.tracerPid, p.threadOf ?? 0]) if (pid > 0 && pid !== p.pid && procs.has(pid)) shownPids.set(pid, procs.get(pid)!.startTime);
        for (const c of msg.process.channels) shownChannels.add(c.id);
        this.panel.title = `Inspector: ${oneLine(processLabel(p.pid, p), 80)}`;
      }
    }
    if (this.deps.problems && !msg.gone) {
      const pv = problemViews(this.deps.problems, this.target);
      msg.problems = pv.problems;
      // the objects a chain names are shown (and may be inspected from it)
      for (const c of pv.channels) shownChannels.add(c);
      for (const pid of pv.pids) {
        const p = procs.get(pid);
        if (p) shownPids.set(pid, p.startTime);
      }
    }
    if (msg.gone) this.showLastSeen(msg, procs, snap, shownPids, shownChannels);
    else this.lastSeen = { at: snap.takenAt, ...(msg.channel ? { channel: msg.channel } : {}), ...(msg.process ? { process: msg.process } : {}) };
    this.shownPids = shownPids;
    this.shownChannels = shownChannels;
    this.post(msg);
  }

  /**
   * A target that went keeps its last view, read-only: the webview gets it as `last`, never as the
   * live `channel` or `process` a peek or a signal acts on. Its links stay usable to what still
   * exists as it was then (the same start time, the same channel id).
   */
  private showLastSeen(msg: Extract<HostMessage, { type: 'update' }>, procs: Map<number, ProcessInfo>, snap: Snapshot, shownPids: Map<number, number>, shownChannels: Set<string>): void {
    const last = this.lastSeen;
    if (!last) {
      this.panel.title = `Inspector: ${this.target.pid ? `[${this.target.pid}]` : oneLine(this.target.channelId ?? '', 100)} (gone)`;
      return;
    }
    msg.last = last;
    for (const [pid, start] of this.shownPids) {
      if (pid !== this.target.pid && procs.get(pid)?.startTime === start) shownPids.set(pid, start);
      else this.wentAway.add(`pid:${pid}`);
    }
    // one pass over the snapshot for the few channels the view links, not a set of all its ids
    const still = new Set<string>();
    for (const c of snap.channels) if (this.shownChannels.has(c.id)) still.add(c.id);
    for (const id of this.shownChannels) {
      if (id !== this.target.channelId && still.has(id)) shownChannels.add(id);
      else this.wentAway.add(id);
    }
    const was = last.channel?.title ?? (last.process ? processLabel(last.process.pid, last.process) : undefined);
    if (was) this.panel.title = `Inspector: ${oneLine(was, 100)} (gone)`;
  }

  /** Is the inspected process part of VS Code itself? Asked once per target, answered later. */
  /** The boot time (s since the epoch), read once: /proc/stat is the kernel's own text, never another user's to stall. */
  private boot: number | null | undefined;
  private bootSeconds(): number | null {
    if (this.boot === undefined) {
      try {
        this.boot = bootSecondsIn(fs.readFileSync('/proc/stat', 'latin1'));
      } catch {
        this.boot = null;
      }
    }
    return this.boot;
  }

  private vscodeLabelFor(p: ProcessInfo): string | undefined {
    if (this.vscodeLabel?.pid === p.pid) return this.vscodeLabel.label;
    this.vscodeLabel = { pid: p.pid, label: undefined };
    vscodeOrigins(process.pid)
      .then((o) => o.origin(p.pid))
      .then((origin) => {
        if (this.disposed || this.vscodeLabel?.pid !== p.pid || !origin.vscode) return;
        this.vscodeLabel = { pid: p.pid, label: origin.vscode };
        if (this.deps.source.current) this.onSnapshot(this.deps.source.current, true);
      })
      .catch(() => undefined);
    return undefined;
  }

  /**
   * A process outside the poller's snapshot (e.g. one that holds no IPC channel): the latest
   * result of a small snapshot of that pid alone, refreshed after every poll.
   */
  private readProcess(pid: number): ProcessInfo | undefined {
    if (!this.extraInFlight && !this.disposed) {
      this.extraInFlight = true;
      this.scannerFor(pid)
        .next()
        .then(({ snapshot: s }) => {
          const p = s.processes.find((x) => x.pid === pid);
          const before = this.extra;
          this.extra = p;
          if (this.target.pid === pid && (p?.startTime !== before?.startTime || JSON.stringify(p?.signals) !== JSON.stringify(before?.signals))) {
            if (this.deps.source.current) this.onSnapshot(this.deps.source.current);
          }
        })
        .catch((e) => this.deps.log.warn(`inspector: cannot read process ${pid}: ${messageOf(e)}`))
        .finally(() => (this.extraInFlight = false));
    }
    return this.extra?.pid === pid ? this.extra : undefined;
  }

  /**
   * /proc reads of a process can block for good (a process in D state holding its mmap lock), so
   * they run in a snapshot worker with a deadline, never on this thread; `processOnly` reads just
   * that pid's /proc directory.
   */
  private scannerFor(pid: number): SnapshotService {
    const options = { pids: [pid], processes: 'all' as const, processOnly: true };
    if (!this.processScanner) {
      this.processScanner = new SnapshotService({ ...options, workerPath: workerScriptOf(this.deps.context.extensionPath) });
      const scanner = this.processScanner;
      this.disposables.push({ dispose: () => scanner.dispose() });
    } else if (this.processScannerPid !== pid) {
      this.processScanner.setOptions(options);
    }
    this.processScannerPid = pid;
    return this.processScanner;
  }

  private processFor(pid: number): ProcessInfo | undefined {
    return this.deps.source.current?.processes.find((p) => p.pid === pid) ?? (this.extra?.pid === pid ? this.extra : undefined);
  }

  private channelView(ch: Channel, procs: ReadonlyMap<number, ProcessInfo>, snap: Snapshot): ChannelView {
    // a process's fds of one mode in one row (fd 4–9,11–19999), at most LIMITS.rows rows
    const { items, more } = endpointListing(ch.endpoints, 2, LIMITS.rows);
    const peekAlters = describe(ch).peekAlters?.(ch);
    const noPeek = describe(ch).noPeekFor?.(ch);
    return {
      channel: { ...ch, endpoints: [] },
      title: channelTitle(ch),
      description: describe(ch).teaching,
      holders: items.map(({ endpoint, group }) => {
        const e = group ? group.endpoints[0] : endpoint!;
        const p = procs.get(e.pid);
        const row: HolderView = { pid: e.pid, fd: e.fd, map: e.map, ...(e.mapOffset ? { mapOffset: e.mapOffset } : {}), mode: e.mode, comm: p ? shownComm(p) : '?', user: p?.user ?? '?', startTime: p?.startTime ?? null };
        if (group) Object.assign(row, { where: endpointGroupWhere(group, LIMITS.rowRuns), count: group.endpoints.length });
        return row;
      }),
      ...(more > 0 ? { moreHolders: more } : {}),
      // Names of the processes its facts mention (last sender, creator…), for links named comm[pid].
      names: Object.fromEntries(describe(ch).mentions(ch).flatMap((pid) => {
        const p = procs.get(pid);
        return p ? [[pid, shownComm(p)]] : [];
      })),
      ...peerView(ch, procs, snap),
      ...(peekAlters ? { peekAlters } : {}),
      ...(noPeek ? { noPeek } : {}),
    };
  }

  private processView(p: ProcessInfo, snap: Snapshot): ProcessView {
    const s = p.signals;
    const sets = signalSetsOf(s).map(([set, names]) => [set.key, new Set(names)] as const);
    const init = namespaceInit(p);
    const signals: SignalRow[] = SIGNALS.map((sig) => ({
      number: sig.number,
      name: sig.name,
      action: sig.action,
      description: sig.description,
      catchable: sig.catchable,
      realtime: sig.realtime,
      sets: sets.filter(([, names]) => names.has(sig.name)).map(([key]) => key),
      // as the signal policy says it (SIGCONT is dropped too, but resumes a stopped init on its way)
      ...(init && sig.number !== 18 && droppedByInit(p, sig.number) ? { droppedByInit: init } : {}),
    }));
    const commOf = (key: 'parentComm' | 'tracerComm' | 'threadOfComm', pid: number) => {
      const q = pid > 0 ? snap.processes.find((x) => x.pid === pid) : undefined;
      return q ? { [key]: shownComm(q) } : {};
    };
    // one row per channel and mode (a pipe end dup'd 20,000 times is one row), at most LIMITS.rows
    const channels: ProcessView['channels'] = [];
    let moreChannels = 0;
    for (const c of snap.channels) {
      let own: Endpoint[] | undefined;
      for (const e of c.endpoints) if (e.pid === p.pid) (own ??= []).push(e);
      if (!own) continue;
      for (const g of groupEndpoints(own)) {
        if (channels.length >= LIMITS.rows) {
          moreChannels++;
          continue;
        }
        const fds = g.via === 'fd' && g.endpoints.length > 1 ? rangesText(fdRanges(groupFds(g)), LIMITS.rowRuns) : undefined;
        channels.push({ id: c.id, kind: c.kind, title: channelTitle(c), fd: g.endpoints[0].fd, mode: g.mode, ...(fds ? { fds } : {}) });
      }
    }
    const boot = this.bootSeconds();
    return {
      // comm and the command line as shown (shownComm, shownCmdline: bytes that are not UTF-8 as `\xNN`)
      pid: p.pid, ppid: p.ppid, comm: shownComm(p), cmdline: shownCmdline(p), uid: p.uid, ...(p.euid !== undefined ? { euid: p.euid } : {}), user: p.user, startTime: p.startTime, state: p.state,
      tracerPid: p.tracerPid, threads: p.threads, queued: s.queued, queueLimit: s.queueLimit, signals, channels, ...(moreChannels ? { moreChannels } : {}),
      ...(boot !== null ? { startedAt: startInstant(p.startTime, boot).toISOString() } : {}),
      vscodeLabel: this.vscodeLabelFor(p),
      ...processPlace(p, this.deps.provenance?.(p.pid)),
      ...(p.errors?.length ? { errors: p.errors } : {}),
      ...(p.threadOf !== undefined ? { threadOf: p.threadOf, ...commOf('threadOfComm', p.threadOf) } : {}),
      ...commOf('parentComm', p.ppid),
      ...commOf('tracerComm', p.tracerPid),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Webview → host
  // -------------------------------------------------------------------------------------------

  private reject(reason: string): void {
    this.deps.log.warn(`inspector: rejected a message from the webview: ${reason}`);
    if (this.testMode) InspectorPanel.testHooks.rejected.push(reason);
  }

  /** Entry point for every message; public for the tests (the same path the webview uses). */
  async onMessage(raw: unknown): Promise<void> {
    const v = validateWebviewMessage(raw);
    if (!v.ok) return this.reject(v.reason);
    const m: WebviewMessage = v.message;
    try {
      switch (m.type) {
        case 'ready': {
          // Also after the webview was hidden and re-created (no retainContextWhenHidden): it has
          // its state (getState) but needs init and the latest data again.
          this.ready = true;
          const queued = this.pending.splice(0).filter((q) => q.type !== 'init' && q.type !== 'update');
          void this.panel.webview.postMessage({ type: 'init', protocol: PROTOCOL_VERSION, target: this.target, testMode: this.testMode, maxBytes: this.maxBytes() } satisfies HostMessage);
          for (const q of queued) void this.panel.webview.postMessage(q);
          // a webview made anew (hidden, then shown) lost the received messages it showed: they are the queue's no longer, so shown again
          for (const [requestId, r] of this.received) {
            if (r.channelId === this.target.channelId) {
              void this.panel.webview.postMessage({ type: 'mqReceived', requestId, channelId: r.channelId, priority: r.priority, data: r.data.toString('base64'), again: true } satisfies HostMessage);
            }
          }
          if (this.deps.source.current) this.onSnapshot(this.deps.source.current, true);
          return;
        }
        case 'rendered':
          if (!this.testMode) return this.reject('rendered: only accepted in test mode');
          InspectorPanel.testHooks.rendered.push(m);
          if (InspectorPanel.testHooks.rendered.length > 200) InspectorPanel.testHooks.rendered.shift();
          return;
        case 'setLive':
          this.live = m.live;
          if (this.deps.source.current) this.onSnapshot(this.deps.source.current, true);
          return;
        case 'inspect': {
          const why = checkShown(m, { pids: this.shownPids, channels: this.shownChannels });
          const went = m.pid !== undefined ? `pid:${m.pid}` : m.channelId;
          if (why && went !== undefined && this.wentAway.has(went)) return this.post({ type: 'notice', level: 'info', message: `${m.pid !== undefined ? `Process ${m.pid} has exited` : `${oneLine(m.channelId ?? '', 200)} no longer exists`} too.` });
          if (why) return this.reject(why);
          this.retarget(m.pid !== undefined ? { pid: m.pid } : { channelId: m.channelId });
          return;
        }
        case 'peek':
          return await this.onPeek(m);
        case 'sendSignal':
          return await this.onSendSignal(m);
        case 'receiveMq':
          return await this.onReceiveMq(m);
        case 'copy':
        case 'save':
          return await this.onCopyOrSave(m);
      }
    } catch (e) {
      this.deps.log.error(`inspector: ${m.type} failed: ${messageOf(e)}`);
    }
  }

  private currentChannel(id: string): Channel | undefined {
    return this.deps.source.current?.channels.find((c) => c.id === id);
  }

  private async onPeek(m: Extract<WebviewMessage, { type: 'peek' }>): Promise<void> {
    const why = checkShown(m, { pids: this.shownPids, channels: this.shownChannels });
    if (why) {
      this.reject(why);
      return this.post({ type: 'peekResult', requestId: m.requestId, error: { code: 'EINVAL', message: 'that channel is not shown in this panel' } });
    }
    const ch = this.currentChannel(m.channelId);
    if (!ch) return this.post({ type: 'peekResult', requestId: m.requestId, error: { code: 'ENOENT', message: `${m.channelId} no longer exists` } });
    const maxBytes = Math.min(m.maxBytes ?? this.maxBytes(), this.maxBytes());
    try {
      const r = await peekChannel(ch, this.deps.source.current?.processes ?? [], { maxBytes, offset: m.offset });
      this.lastPeek = r;
      this.post({ type: 'peekResult', requestId: m.requestId, result: toWirePeek(r) });
    } catch (e) {
      this.post({ type: 'peekResult', requestId: m.requestId, error: wireError(e) });
    }
  }

  private async confirm(message: string, detail: string, action: string): Promise<boolean> {
    return this.deps.ui.confirm({ title: message, detail, action });
  }

  private async onSendSignal(m: Extract<WebviewMessage, { type: 'sendSignal' }>): Promise<void> {
    const fail = (code: string, message: string) => this.post({ type: 'signalResult', requestId: m.requestId, ok: false, code, message });
    const proc = this.processFor(m.pid);
    const why = checkShown(m, {
      pids: this.shownPids,
      channels: this.shownChannels,
      signalPid: this.target.pid ?? null,
      isLive: (pid) => !!proc && fs.existsSync(`/proc/${pid}`),
    });
    if (why) {
      this.reject(why);
      const code = /start time/.test(why) ? 'ESTALE' : /live/.test(why) ? 'ESRCH' : 'EINVAL';
      return fail(
        code,
        code === 'ESTALE' ? `process ${m.pid} was replaced (pid recycled)`
        : code === 'ESRCH' ? `process ${m.pid} has exited`
        : /not the process inspected/.test(why) ? `process ${m.pid} is not the process inspected in this panel (open it in the inspector to signal it)`
        : `process ${m.pid} is not shown in this panel`,
      );
    }
    if (!proc) return fail('ESRCH', `process ${m.pid} has exited`);
    // The same runner, policy and confirmation as the Send Signal command (and the CLI).
    const out = await runSignal({ process: proc, signal: m.signal, value: m.value, startTime: m.startTime }, await extensionRunnerEnv(this.deps.ui));
    switch (out.status) {
      case 'cancelled':
        this.deps.log.info(`inspector: ${out.message}`);
        return this.post({ type: 'signalResult', requestId: m.requestId, ok: false, cancelled: true, message: 'cancelled' });
      case 'failed':
        this.deps.log.warn(`inspector: ${out.message}`);
        return this.post({ type: 'signalResult', requestId: m.requestId, ok: false, code: out.error.code, message: out.error.message + (out.error.hint ? ` (${out.error.hint})` : '') });
      case 'done':
        this.deps.log.info(`inspector: ${out.message}`);
        this.post({ type: 'signalResult', requestId: m.requestId, ok: true, message: out.message });
        void this.deps.source.refresh().catch(() => undefined);
        return;
    }
  }

  private async onReceiveMq(m: Extract<WebviewMessage, { type: 'receiveMq' }>): Promise<void> {
    const ch = this.shownChannels.has(m.channelId) ? this.currentChannel(m.channelId) : undefined;
    if (!ch || ch.kind !== 'posix-mq') {
      this.reject(`receiveMq: ${m.channelId} is not a POSIX queue shown in this panel`);
      return this.post({ type: 'mqReceived', requestId: m.requestId, channelId: m.channelId, error: { code: 'EINVAL', message: 'not a POSIX message queue shown here' } });
    }
    const holders = ch.endpoints.filter((e) => e.mode !== 'w').map((e) => e.pid);
    const ok = await this.confirm(
      `Receive one message from /${shownName(ch)}? This CONSUMES it.`,
      'Linux has no way to read a POSIX message queue without removing the message. The process that waits for it will never get it' +
        (holders.length ? ` (readers: ${[...new Set(holders)].join(', ')}).` : '.'),
      'Receive and Consume',
    );
    if (!ok) return this.post({ type: 'mqReceived', requestId: m.requestId, channelId: ch.id, cancelled: true });
    try {
      const r = await receivePosixMq(ch);
      this.deps.log.info(`inspector: received (consumed) one message of ${byteCount(r.data.length)} from /${shownName(ch)}`);
      // kept while the panel shows the queue (one that moved on meanwhile only says what was consumed)
      if (this.target.channelId === ch.id) this.received.set(m.requestId, { channelId: ch.id, data: r.data, priority: r.priority });
      for (const k of this.received.keys()) if (this.received.size > LIMITS.received) this.received.delete(k);
      this.post({ type: 'mqReceived', requestId: m.requestId, channelId: ch.id, priority: r.priority, data: r.data.toString('base64') });
      void this.deps.source.refresh().catch(() => undefined);
    } catch (e) {
      this.post({ type: 'mqReceived', requestId: m.requestId, channelId: ch.id, error: wireError(e) });
    }
  }

  private peekBytes(channelId: string, index: number | undefined, received: number | undefined): Buffer | undefined {
    if (received !== undefined) {
      const got = this.received.get(received);
      return got?.channelId === channelId ? got.data : undefined;
    }
    const r = this.lastPeek;
    if (!r || r.channelId !== channelId) return undefined;
    if (r.type === 'bytes') return r.data;
    if (r.type === 'messages') {
      if (index === undefined) return Buffer.concat(r.messages.map((x) => x.data));
      return r.messages.find((x) => x.index === index)?.data;
    }
    return undefined;
  }

  private async onCopyOrSave(m: Extract<WebviewMessage, { type: 'copy' | 'save' }>): Promise<void> {
    const data = this.peekBytes(m.channelId, m.index, m.received);
    if (!data) return this.reject(`${m.type}: nothing ${m.received !== undefined ? `received (request ${m.received})` : 'peeked'} for ${m.channelId}${m.index !== undefined ? ` #${m.index}` : ''}`);
    if (m.type === 'copy') {
      // another user's bytes, pasted next into a terminal or an editor: as text, what would act there (ESC, C1, bidi, invisible) is escaped; lines and tabs stay
      await vscode.env.clipboard.writeText(m.format === 'hex' ? data.toString('hex').replace(/(.{2})(?!$)/g, '$1 ') : clipboardText(data.toString('utf8')));
      this.post({ type: 'notice', level: 'info', message: `copied ${byteCount(data.length)} as ${m.format}` });
      return;
    }
    const name = `${m.channelId.replace(/[^A-Za-z0-9._-]+/g, '_')}${m.index !== undefined ? `-msg${m.index}` : m.received !== undefined ? `-received${m.received}` : ''}.bin`;
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.env.HOME ?? '/tmp');
    const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(base, name), saveLabel: 'Save Peeked Bytes' });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, data);
    this.post({ type: 'notice', level: 'info', message: `saved ${byteCount(data.length)} to ${uri.fsPath}` });
  }
}

/** Holders named in a Peer link at most (a listener's end shared by a worker pool: "and N more"). */
const PEER_HOLDERS = 3;

/**
 * The other end of a channel for the Peer fact's link: its id and who holds it (`memcached[25463]`);
 * for a Unix client whose connection no program accepted yet, the listener whose queue holds it.
 */
function peerView(ch: Channel, procs: ReadonlyMap<number, ProcessInfo>, snap: Snapshot): Pick<ChannelView, 'peer'> {
  const id = describe(ch).peer(ch);
  if (!id || id === ch.id) return {};
  const other = snap.channels.find((c) => c.id === id);
  if (!other) return {};
  const pids = [...new Set(other.endpoints.map((e) => e.pid))];
  const named = pids.slice(0, PEER_HOLDERS).map((pid) => {
    const p = procs.get(pid);
    return p ? processLabel(pid, p) : `[${pid}]`;
  });
  const more = pids.length - named.length;
  const holders = named.length ? `${named.join(', ')}${more > 0 ? ` and ${more.toLocaleString('en-US')} more` : ''}` : 'held by no process';
  return { peer: { id, holders } };
}
