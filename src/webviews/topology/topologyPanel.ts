// The topology map's host side: one class owns the WebviewPanel and its disposables. It serves
// the bundled UI under a strict CSP (../panelShell.ts: scripts by nonce, a blob: worker for the
// layout, nothing else), holds its posts until the webview says `ready`, and feeds it data only:
// the snapshot (a full copy in parts, then each refresh's diff, processes projected), the trees'
// filter, the diagnosis problems and the tracer's rates when there is a tracer. Aggregation and
// layout run in the webview's worker, never here. The one thing the webview may ask — open the
// inspector — is validated (protocol.ts) and must name a process or channel of the snapshot sent.
import * as vscode from 'vscode';
import type { Channel, Snapshot } from '../../core/model';
import { projectChannel, projectProcess, type ChannelRate, type TopoProcess } from '../../core/topology/types';
import type { Diagnosis } from '../../core/diagnose/problem';
import type { FilterState } from '../../core/filter';
import type { InspectorTarget, SnapshotSource, SnapshotUpdate } from '../../snapshotSource';
import { oneLine } from '../../core/escape';
import type { ProblemFeed } from './problemFeed';
import { disposeAll, initPanel, panelWebviewOptions, type PanelPage } from '../panelShell';
import {
  FULL_PART_ENTRIES, TOPOLOGY_PROTOCOL_VERSION, TOPOLOGY_VIEW_TYPE, validateWebviewMessage,
  type HostMessage, type WebviewMessage,
} from './protocol';

/** Rates measured by the BPF tracer (issue 14 parts 1–3), keyed by the snapshot's channel ids. */
export interface RateFeed {
  current(): ReadonlyMap<string, ChannelRate>;
  readonly onDidChange: vscode.Event<void>;
  /** Why there are no measured rates (tracer not built, not privileged, …); shown in the map. */
  readonly note?: string;
}

/** The filter the trees apply, and an event when it changes (the ViewModel). */
export interface FilterSource {
  readonly filter: FilterState;
  readonly onDidChange: vscode.Event<unknown>;
}

export interface TopologyLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface TopologyDeps {
  context: vscode.ExtensionContext;
  source: SnapshotSource & { readonly paused?: boolean; readonly onDidChangeState?: vscode.Event<void> };
  filters: FilterSource;
  problems: ProblemFeed;
  /**
   * The Problems view's diagnosis (ProblemsModel): an update's own after the problems a diagnosis
   * cut short by its deadline missed were kept. The map counts from it, so its counts are the
   * view's; the update's own would drop such a problem for those refreshes.
   */
  views?: { readonly diagnosis: Diagnosis | undefined };
  rates?: RateFeed;
  openInspector(target: InspectorTarget): void;
  log: TopologyLog;
  testMode: boolean;
}

/** Test hooks: what the host rejected and what it opened. */
export const topologyTestHooks = { rejected: [] as string[], opened: [] as InspectorTarget[] };

/** The webview options (shared by every panel: ../panelShell.ts). */
export const topologyWebviewOptions = panelWebviewOptions;

/** Its page: the bundle, and the layout worker, built from the bundle's own code as a blob (a webview cannot load a worker script by URL). */
const PAGE: PanelPage = { script: 'topology.js', title: 'IPC Topology', csp: () => ['worker-src blob:'] };

/** The filter as one line of plain text (the trees say the same in their message). */
export function describeFilter(f: FilterState): string {
  const parts: string[] = [];
  if (f.scopePid !== undefined) parts.push(`scoped to process ${f.scopePid} and its children`);
  if (f.text.trim()) parts.push(`“${f.text.trim()}”`);
  if (f.workspaceOnly) parts.push('this workspace only');
  if (f.hideOtherUsers) parts.push("other users' processes hidden");
  if (f.hiddenKinds.length) parts.push(`hidden kinds: ${f.hiddenKinds.join(', ')}`);
  return oneLine(parts.join(' · '), 300);
}

export class TopologyPanel {
  static current: TopologyPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;
  /** Snapshot the webview has (by identity): deltas only follow a full copy it received. */
  private sentSnapshot: Snapshot | undefined;
  private sending = false;
  /** Each full copy's number: a newer one (the webview reloaded) stops an older one's loop. */
  private generation = 0;
  private readonly queued: HostMessage[] = [];
  private lastFilter = '';

  static createOrShow(deps: TopologyDeps): TopologyPanel {
    if (TopologyPanel.current) {
      TopologyPanel.current.panel.reveal(undefined, false);
      return TopologyPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(TOPOLOGY_VIEW_TYPE, 'IPC Topology', vscode.ViewColumn.Active, topologyWebviewOptions(deps.context.extensionUri));
    TopologyPanel.current = new TopologyPanel(panel, deps);
    return TopologyPanel.current;
  }

  /** For the serializer: the webview's own state (view options) stays in the webview; nothing of it is read here. */
  static revive(panel: vscode.WebviewPanel, deps: TopologyDeps): TopologyPanel {
    TopologyPanel.current?.dispose();
    TopologyPanel.current = new TopologyPanel(panel, deps);
    return TopologyPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: TopologyDeps,
  ) {
    initPanel(panel, deps.context.extensionUri, PAGE);
    const src = deps.source;
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => {
        // a hidden webview is torn down (no retainContextWhenHidden): it asks again with `ready`
        if (!e.webviewPanel.visible) {
          this.ready = false;
          this.sentSnapshot = undefined;
        }
        deps.problems.setActive(e.webviewPanel.visible);
      }),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      src.onDidUpdate((u) => this.onUpdate(u)),
      deps.filters.onDidChange(() => this.postFilter()),
      deps.problems.onDidChange(() => this.postProblems()),
      src.hold(),
    );
    if (src.onDidChangeState) this.disposables.push(src.onDidChangeState(() => this.post({ type: 'paused', paused: !!src.paused })));
    if (deps.rates) this.disposables.push(deps.rates.onDidChange(() => this.postRates()));
    deps.problems.setActive(panel.visible);
    if (!src.current) void src.refresh().catch((e) => deps.log.warn(`topology: refresh failed: ${e instanceof Error ? e.message : String(e)}`));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (TopologyPanel.current === this) TopologyPanel.current = undefined;
    this.deps.problems.setActive(false);
    this.panel.dispose();
    disposeAll(this.disposables);
  }

  private post(msg: HostMessage): void {
    if (this.disposed || !this.ready) return;
    if (this.sending && (msg.type === 'delta' || msg.type === 'full')) {
      this.queued.push(msg);
      return;
    }
    void this.panel.webview.postMessage(msg);
  }

  // -------------------------------------------------------------------------------------------
  // Host → webview
  // -------------------------------------------------------------------------------------------

  /** Sends the whole snapshot in parts of FULL_PART_ENTRIES, yielding between parts. */
  private async sendFull(snap: Snapshot): Promise<void> {
    const gen = ++this.generation;
    this.sending = true;
    this.sentSnapshot = snap;
    const at = Date.parse(snap.takenAt) || Date.now();
    const procs: TopoProcess[] = snap.processes.map(projectProcess);
    const chans: Channel[] = snap.channels.map(projectChannel);
    const parts = Math.max(1, Math.ceil((procs.length + chans.length) / FULL_PART_ENTRIES));
    let pi = 0;
    let ci = 0;
    for (let part = 0; part < parts; part++) {
      if (this.disposed || gen !== this.generation) return;
      let room = FULL_PART_ENTRIES;
      const p = procs.slice(pi, pi + room);
      pi += p.length;
      room -= p.length;
      const c = chans.slice(ci, ci + room);
      ci += c.length;
      void this.panel.webview.postMessage({ type: 'full', at, part, parts, processes: p, channels: c } satisfies HostMessage);
      if (part + 1 < parts) await new Promise((r) => setImmediate(r));
    }
    this.sending = false;
    for (const m of this.queued.splice(0)) void this.panel.webview.postMessage(m);
  }

  private onUpdate(u: SnapshotUpdate): void {
    const d = (u as SnapshotUpdate & { diagnosis?: Diagnosis }).diagnosis;
    // the ProblemsModel listened to this update before the map opened, so it holds this diagnosis already
    const kept = this.deps.views?.diagnosis;
    if (d) this.deps.problems.useExternal(kept?.takenAt === d.takenAt ? kept : d);
    if (!this.ready) return;
    const prev = this.sentSnapshot;
    // a diff from scratch (the poller's worker restarted) or a webview that missed a refresh: a full copy
    if (!prev || u.diff.fromTakenAt === null || u.diff.fromTakenAt !== prev.takenAt) {
      void this.sendFull(u.snapshot);
      return;
    }
    this.sentSnapshot = u.snapshot;
    const diff = u.diff;
    this.post({
      type: 'delta',
      delta: {
        at: Date.parse(u.snapshot.takenAt) || Date.now(),
        addedChannels: diff.addedChannels.map(projectChannel),
        changedChannels: diff.changedChannels.map(projectChannel),
        removedChannels: diff.removedChannels,
        processes: [...diff.addedProcesses, ...diff.changedProcesses].map(projectProcess),
        removedProcesses: diff.removedProcesses,
      },
    });
  }

  private postFilter(force = false): void {
    const f = this.deps.filters.filter;
    const key = JSON.stringify(f);
    if (!force && key === this.lastFilter) return;
    this.lastFilter = key;
    this.post({ type: 'filter', filter: f, description: describeFilter(f) });
  }

  private postProblems(): void {
    this.post({ type: 'problems', problems: this.deps.problems.problems, note: this.deps.problems.note });
  }

  private postRates(): void {
    const feed = this.deps.rates;
    if (!feed) {
      this.post({ type: 'rates', entries: null, note: 'rates estimated from queue depths between snapshots (no tracer)' });
      return;
    }
    const entries: Array<[string, number, number]> = [];
    for (const [id, r] of feed.current()) entries.push([id, r.bytesPerSec, r.opsPerSec]);
    this.post({ type: 'rates', entries, note: feed.note ?? 'rates measured by the tracer' });
  }

  // -------------------------------------------------------------------------------------------
  // Webview → host
  // -------------------------------------------------------------------------------------------

  private reject(reason: string): void {
    this.deps.log.warn(`topology: rejected a message from the webview: ${reason}`);
    if (this.deps.testMode) topologyTestHooks.rejected.push(reason);
  }

  /** Every message from the webview enters here (public for the tests: the same path). */
  onMessage(raw: unknown): void {
    const v = validateWebviewMessage(raw);
    if (!v.ok) return this.reject(v.reason);
    const m: WebviewMessage = v.message;
    if (m.type === 'ready') {
      this.ready = true;
      this.generation++;
      this.sentSnapshot = undefined;
      this.queued.length = 0;
      this.sending = false;
      void this.panel.webview.postMessage({ type: 'init', protocol: TOPOLOGY_PROTOCOL_VERSION, testMode: this.deps.testMode } satisfies HostMessage);
      this.postFilter(true);
      this.postProblems();
      this.postRates();
      this.post({ type: 'paused', paused: !!this.deps.source.paused });
      if (this.deps.source.current) void this.sendFull(this.deps.source.current);
      return;
    }
    // inspect: only what the snapshot sent to this webview holds
    const snap = this.sentSnapshot ?? this.deps.source.current;
    if (m.pid !== undefined) {
      if (!snap?.processes.some((p) => p.pid === m.pid)) return this.reject(`inspect: pid ${m.pid} is not in the snapshot shown`);
      this.open({ pid: m.pid });
    } else if (m.channelId !== undefined) {
      const id = m.channelId;
      if (!snap?.channels.some((c) => c.id === id)) return this.reject(`inspect: channel ${oneLine(id, 80)} is not in the snapshot shown`);
      this.open({ channelId: id });
    }
  }

  private open(t: InspectorTarget): void {
    if (this.deps.testMode) topologyTestHooks.opened.push(t);
    this.deps.openInspector(t);
  }
}

export { TOPOLOGY_VIEW_TYPE };
