// The Processes view: the processes that hold shown IPC, arranged by a grouping strategy
// (views/processGrouping.ts: a flat list sorted by name by default, or nested by parent). Under
// each process: "traced by …" (TracerPid ≠ 0), then group nodes — Channels (full or busy first),
// Internal (channels whose every end it holds itself: self-pipes), Signals, and Children (when
// grouped by parent). Node objects are kept by id and updated in place; after a scan an element
// fires only when what a person sees of it changed (its label, description, icon or children), so
// a hovered or focused item is not replaced while it looks the same (tooltips resolve on hover).
// A filter text opens its first matching processes (views/filterOpen.ts).

import * as vscode from 'vscode';
import type { Channel, ProcessInfo } from '../core/model';
import { channelRank, isInternal } from '../core/channelOrder';
import { channelTreeLabel, processLabel } from '../core/format';
import {
  BucketNode,
  ChannelNode,
  channelTooltip,
  InfoNode,
  IpcNode,
  processTooltip,
  ProcessNode,
  renderSignature,
  SectionNode,
  SignalsNode,
  type SectionKind,
} from './nodes';
import { flatGrouping, groupingFor, type ProcessGrouping, type ProcessPlacement } from './processGrouping';
import type { ModelChange, ViewModel } from './viewModel';
import { childStoreOf, endpointChildren, type ChildStore } from './endpointChildren';
import { opensMatches } from '../core/filter';
import { FilterOpener, OPENED_PROCESSES } from './filterOpen';

const MAX_PARTIAL = 200;
const NO_PIDS: readonly number[] = [];
const NO_IDS: ReadonlySet<string> = new Set();

/** Resolves a per-process usage line (CPU, memory) on hover; see hostFacts.ts. */
export type UsageProvider = (pid: number, startTime: number) => Promise<string | undefined>;

export class ProcessesTree implements vscode.TreeDataProvider<IpcNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<IpcNode | IpcNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly procNodes = new Map<number, ProcessNode>();
  private readonly sections = new Map<string, SectionNode>();
  private readonly buckets = new Map<string, BucketNode>();
  private readonly otherNodes = new Map<string, IpcNode>();
  /** Channel node id → its children's nodes (endpoints, groups, "… N more"). */
  private readonly childStores = new Map<string, ChildStore>();
  /** Node id → what was last rendered of it (renderSignature), to fire only visible changes. */
  private readonly rendered = new Map<string, string>();
  /** Section id → the member ids last listed (to fire a section only when its list changed). */
  private readonly listedIds = new Map<string, string>();
  private placement: ProcessPlacement = { roots: [], children: () => [] };
  private rootSig = '';
  /** Pid → the node its process node sits under (a Children section or a bucket); absent = top level. */
  private readonly parentOf = new Map<number, number | string>();
  private grouping: ProcessGrouping = flatGrouping;
  /** Processes the filter text opens (views/filterOpen.ts), and the text's epoch they are of. */
  private readonly openedPids = new Set<number>();
  private openedEpoch = -1;
  /** The rows a filter text opens, decided once per row and text (views/filterOpen.ts). */
  private readonly opener: FilterOpener<IpcNode>;
  private readonly disposables: vscode.Disposable[] = [];
  lastFired: IpcNode[] | 'all' = [];
  usageProvider: UsageProvider | undefined;
  /** Bytes/s of a channel from live activity when it runs (sorts busy channels first). */
  rateOf: ((channelId: string) => number | undefined) | undefined;

  constructor(private readonly model: ViewModel) {
    this.opener = new FilterOpener<IpcNode>(model, (n) => this.opens(n));
    this.disposables.push(this.emitter, model.onDidChange((c) => this.onModelChange(c)));
  }

  /** Grouped by container (the `container` grouping: one bucket per container and Host). */
  setGroupByContainer(on: boolean): void {
    if (on) this.setGrouping('container');
    else if (this.grouping.id === 'container') this.setGrouping('none');
  }

  get groupedByContainer(): boolean {
    return this.grouping.id === 'container';
  }

  /** Re-renders the rows of these processes (what started them changed: src/provenance.ts). */
  refreshPids(pids: ReadonlySet<number>): void {
    const fire: IpcNode[] = [];
    for (const pid of pids) {
      const n = this.procNodes.get(pid);
      if (n) fire.push(n);
    }
    if (fire.length === 0) return;
    this.lastFired = fire;
    this.emitter.fire(fire);
  }

  /** The grouping in use (its setting value). */
  get groupingId(): string {
    return this.grouping.id;
  }

  /** Switches the grouping (setting `ipcInspector.groupProcesses`) and re-renders the view. */
  setGrouping(id: string | undefined): void {
    const g = groupingFor(id);
    if (g === this.grouping) return;
    this.grouping = g;
    if (!this.model.snapshot) return;
    this.place();
    this.fireAll();
  }

  /** Channel id → distinct pids holding it (shown channels only); lists are shared (pidList), never changed in place. */
  private readonly chanPids = new Map<string, readonly number[]>();
  /** Pid → ids of the shown channels it holds. */
  private readonly pidHeld = new Map<number, Set<string>>();
  /**
   * One list per distinct set of holders: a machine has few (each process, each pair talking), so
   * 50k channels share a few hundred lists instead of holding 50k small arrays (memory of the
   * extension host, where every view lives).
   */
  private readonly pidLists = new Map<number | string, readonly number[]>();

  /** The distinct pids of a channel's endpoints, in endpoint order, as a shared list. */
  private pidList(ch: { endpoints: ReadonlyArray<{ pid: number }> }): readonly number[] {
    let a = -1;
    let b = -1;
    for (const e of ch.endpoints) {
      const p = e.pid;
      if (p === a || p === b) continue;
      if (a < 0) a = p;
      else if (b < 0) b = p;
      else return this.sharedList(ch); // three or more holders
    }
    // pids are below 2^22 (the kernel's PID_MAX_LIMIT), so a pair packs into one exact number
    const key = a < 0 ? -1 : b < 0 ? a : a * 4194304 + b;
    let list = this.pidLists.get(key);
    if (!list) this.pidLists.set(key, (list = a < 0 ? [] : b < 0 ? [a] : [a, b]));
    return list;
  }

  private sharedList(ch: { endpoints: ReadonlyArray<{ pid: number }> }): readonly number[] {
    // a Set, not out.includes: a pipe thousands of processes inherited, or one end dup'd 200,000 times
    const out = [...new Set(ch.endpoints.map((e) => e.pid))];
    const key = out.join(',');
    const have = this.pidLists.get(key);
    if (have) return have;
    this.pidLists.set(key, out);
    return out;
  }

  /** Moves the holder index on by the change (all of it on a full change); returns pids whose channel list changed. */
  private updateHeld(change: ModelChange): Set<number> {
    const touched = new Set<number>();
    const setPids = (id: string, pids: readonly number[] | undefined) => {
      const old = this.chanPids.get(id) ?? NO_PIDS;
      if (old === pids) return; // shared lists: same holders
      for (const p of old) {
        if (pids?.includes(p)) continue;
        this.pidHeld.get(p)?.delete(id);
        touched.add(p);
      }
      for (const p of pids ?? NO_PIDS) {
        if (old.includes(p)) continue;
        let set = this.pidHeld.get(p);
        if (!set) this.pidHeld.set(p, (set = new Set()));
        set.add(id);
        touched.add(p);
      }
      if (pids) this.chanPids.set(id, pids);
      else this.chanPids.delete(id);
    };
    if (change.full) {
      this.chanPids.clear();
      this.pidHeld.clear();
      this.pidLists.clear();
      for (const ch of this.model.result.channels) setPids(ch.id, this.pidList(ch));
      return touched;
    }
    if (this.pidLists.size > 65536) this.pidLists.clear(); // lists in use stay valid; only sharing restarts
    for (const l of change.left) setPids(l.id, undefined);
    for (const ch of change.entered) setPids(ch.id, this.pidList(ch));
    for (const id of change.channels) {
      const ch = this.model.channelsById.get(id);
      if (ch && this.model.isShown(id)) setPids(id, this.pidList(ch));
    }
    return touched;
  }

  /** The processes listed: those holding a shown channel, and the scope's root. */
  private listed(): ProcessInfo[] {
    const scope = this.model.filter.scopePid;
    return this.model.result.processes.filter((p) => (this.pidHeld.get(p.pid)?.size ?? 0) > 0 || p.pid === scope);
  }

  /** Arranges the listed processes with the grouping; returns the new top-level signature. */
  private place(): string {
    const listed = this.listed();
    const shown = new Set(listed.map((p) => p.pid));
    this.placement = this.grouping.arrange({ listed, procs: this.model.procs });
    this.parentOf.clear();
    const roots: string[] = [];
    for (const r of this.placement.roots) {
      if (typeof r === 'number') roots.push(`p${r}`);
      else {
        const b = this.bucketNode(r.id);
        b.label = r.label;
        b.icon = r.icon;
        b.description = r.description ?? '';
        b.tooltip = r.tooltip ?? '';
        b.pids = r.pids;
        roots.push(`${b.id}:${r.pids.join(',')}`);
        for (const pid of r.pids) this.parentOf.set(pid, b.id);
      }
    }
    for (const pid of shown) for (const c of this.placement.children(pid)) this.parentOf.set(c, pid);
    for (const pid of this.openedPids) if (!shown.has(pid)) this.openedPids.delete(pid);
    // Forget nodes of processes no longer listed (re-created if they come back).
    let gone = false;
    for (const [pid] of this.procNodes) {
      if (shown.has(pid)) continue;
      this.procNodes.delete(pid);
      gone = true;
    }
    if (gone) {
      // What was rendered of processes no longer listed (and of their children) is forgotten too.
      const stale = (id: string) => !shown.has(Number(/^proc:(\d+)/.exec(id)?.[1]));
      for (const id of [...this.rendered.keys()]) if (id.startsWith('proc:') && stale(id)) this.rendered.delete(id);
      for (const id of [...this.listedIds.keys()]) if (stale(id)) this.listedIds.delete(id);
    }
    for (const [id, n] of this.sections) if (!shown.has(n.parent.proc.pid)) this.sections.delete(id);
    for (const [id] of this.otherNodes) {
      const pid = Number(/^proc:(\d+)/.exec(id)?.[1]);
      if (!shown.has(pid)) this.otherNodes.delete(id);
    }
    for (const [id] of this.childStores) {
      const pid = Number(/^proc:(\d+)/.exec(id)?.[1]);
      if (!shown.has(pid)) this.childStores.delete(id);
    }
    const sig = roots.join(' ');
    const changed = sig !== this.rootSig;
    this.rootSig = sig;
    return changed ? 'changed' : '';
  }

  private fireAll(): void {
    this.openMatches();
    this.lastFired = 'all';
    this.emitter.fire(undefined);
  }

  /**
   * Under a filter text, opens the first listed processes (top level first) up to
   * OPENED_PROCESSES: anew for a new text, else adding to those still listed while there is room
   * (a process opened stays so while the text stays). Only before a whole refresh: a row whose
   * item id changes is then created anew, never re-rendered under another id.
   */
  private openMatches(): void {
    if (!opensMatches(this.model.filter)) {
      this.openedPids.clear();
      return;
    }
    if (this.openedEpoch !== this.model.textEpoch) {
      this.openedPids.clear();
      this.openedEpoch = this.model.textEpoch;
    }
    const visit = (pids: readonly number[]): void => {
      for (const pid of pids) {
        if (this.openedPids.size >= OPENED_PROCESSES) return;
        this.openedPids.add(pid);
        visit(this.placement.children(pid));
      }
    };
    for (const r of this.placement.roots) visit(typeof r === 'number' ? [r] : r.pids);
  }

  /**
   * Does the filter text open this row, when first shown under it: an opened process; under it,
   * its Channels (its Internal when it has no other) and its Children (every listed process holds
   * a match); a bucket holding an opened process; undefined for rows no filter opens.
   */
  private opens(node: IpcNode): boolean | undefined {
    if (!(node instanceof ProcessNode || node instanceof BucketNode || node instanceof SectionNode)) return undefined;
    if (this.openedPids.size === 0) return false;
    if (node instanceof ProcessNode) return this.openedPids.has(node.proc.pid);
    if (node instanceof BucketNode) return node.pids.some((pid) => this.openedPids.has(pid));
    if (!(node instanceof SectionNode) || !this.openedPids.has(node.parent.proc.pid)) return false;
    return node.section !== 'internal' || !this.sectionKinds(node.parent).includes('channels');
  }

  private onModelChange(change: ModelChange): void {
    const touched = this.updateHeld(change);
    const rootsMoved = this.place() !== '';
    // Every process node follows this snapshot's facts.
    for (const [pid, node] of this.procNodes) {
      const p = this.model.procs.get(pid);
      if (p) node.proc = p;
      node.channelCount = this.pidHeld.get(pid)?.size ?? 0;
    }
    for (const node of this.otherNodes.values()) {
      if (node instanceof ChannelNode) {
        const ch = this.model.channelsById.get(node.channel.id);
        if (ch) node.channel = ch;
      }
    }
    if (change.full || rootsMoved) return this.fireAll();
    const fire = new Set<IpcNode>();
    const visibleChange = (n: IpcNode) => {
      const before = this.rendered.get(n.id);
      if (before === undefined) return false; // never rendered: nothing to replace
      return renderSignature(n.toTreeItem(this.model.ctx)) !== before;
    };
    const check = (n: IpcNode | undefined) => {
      if (n && visibleChange(n)) fire.add(n);
    };
    // Processes whose facts, channel list or children changed: their row, and sections whose list moved.
    const pids = new Set<number>([...touched, ...change.pids]);
    for (const id of change.channels) for (const e of this.model.channelsById.get(id)?.endpoints ?? []) pids.add(e.pid);
    for (const pid of this.procNodes.keys()) if (this.listedIds.has(`proc:${pid}/children`) || this.placement.children(pid).length) pids.add(pid);
    for (const pid of pids) {
      const node = this.procNodes.get(pid);
      if (!node) continue;
      if (this.rendered.has(`${node.id}/shape`) && this.rendered.get(`${node.id}/shape`) !== this.shapeOf(node)) {
        fire.add(node);
        continue;
      }
      check(node);
      for (const kind of ['channels', 'internal', 'children'] as const) {
        const s = this.sections.get(`${node.id}/${kind}`);
        if (!s) continue;
        const ids = this.sectionMembers(s).map((m) => m.id).join(',');
        s.count = this.sectionCount(s);
        if (this.listedIds.has(s.id) && this.listedIds.get(s.id) !== ids) fire.add(s);
        else check(s);
      }
      const sig = this.otherNodes.get(`${node.id}/signals`);
      if (sig && change.pids.has(pid)) {
        check(sig);
        for (const row of (sig as SignalsNode).rows()) check(this.otherNodes.get(`${sig.id}/${row[0].toLowerCase()}`));
      }
    }
    for (const id of change.channels) {
      for (const pid of this.chanPids.get(id) ?? []) {
        const base = this.procNodes.get(pid);
        if (!base) continue;
        const n = this.otherNodes.get(`${base.id}/ch:${id}`);
        check(n);
        // its children, when the workbench has them: the channel again when which ones changed, else each that looks different
        const listed = n instanceof ChannelNode ? this.listedIds.get(n.id) : undefined;
        if (!(n instanceof ChannelNode) || listed === undefined || fire.has(n)) continue;
        const kids = endpointChildren(n, this.childStore(n.id));
        if (kids.map((k) => k.id).join(',') !== listed) fire.add(n);
        else for (const k of kids) check(k);
      }
    }
    // A fired element re-renders its subtree: drop descendants of fired elements.
    const list = [...fire].filter((n) => {
      for (let p = n.parent; p; p = p.parent) if (fire.has(p)) return false;
      return true;
    });
    if (list.length > MAX_PARTIAL) return this.fireAll();
    this.lastFired = list;
    if (list.length) this.emitter.fire(list);
  }

  /** Which group nodes a process shows (a change of this re-renders the process). */
  private shapeOf(node: ProcessNode): string {
    return this.sectionKinds(node).join(',') + (node.proc.tracerPid ? ',tracer' : '');
  }

  private sectionKinds(node: ProcessNode): SectionKind[] {
    // run for every process on every refresh: read the index, build no list of channels
    let other = false;
    let internal = false;
    for (const id of this.pidHeld.get(node.proc.pid) ?? NO_IDS) {
      const ch = this.model.channelsById.get(id);
      if (!ch) continue;
      if (isInternal(ch)) internal = true;
      else other = true;
      if (other && internal) break;
    }
    const out: SectionKind[] = [];
    if (other) out.push('channels');
    if (internal) out.push('internal');
    if (this.placement.children(node.proc.pid).length) out.push('children');
    return out;
  }

  private heldChannels(pid: number): Channel[] {
    const out: Channel[] = [];
    for (const id of this.pidHeld.get(pid) ?? []) {
      const ch = this.model.channelsById.get(id);
      if (ch) out.push(ch);
    }
    return out;
  }

  /** A section's member nodes in display order. */
  private sectionMembers(s: SectionNode): IpcNode[] {
    const pid = s.parent.proc.pid;
    if (s.section === 'children') {
      return this.placement.children(pid).flatMap((c) => {
        const p = this.model.procs.get(c);
        if (!p) return [];
        const n = this.processNode(p);
        n.parent = s;
        return [n];
      });
    }
    const internal = s.section === 'internal';
    const procs = this.model.procs;
    const keyed = this.heldChannels(pid)
      .filter((c) => isInternal(c) === internal)
      .map((c) => ({ c, k: `${channelRank(c, this.rateOf?.(c.id))}\u0000${channelTreeLabel(c, procs)}\u0000${c.id}` }));
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    return keyed.map(({ c }) => {
      const id = `${s.parent.id}/ch:${c.id}`;
      let n = this.otherNodes.get(id) as ChannelNode | undefined;
      if (!n) this.otherNodes.set(id, (n = new ChannelNode(id, s, c)));
      else n.channel = c;
      return n;
    });
  }

  private sectionCount(s: SectionNode): number {
    if (s.section === 'children') return this.placement.children(s.parent.proc.pid).length;
    const internal = s.section === 'internal';
    return this.heldChannels(s.parent.proc.pid).filter((c) => isInternal(c) === internal).length;
  }

  private section(node: ProcessNode, kind: SectionKind): SectionNode {
    const id = `${node.id}/${kind}`;
    let s = this.sections.get(id);
    if (!s || s.parent !== node) this.sections.set(id, (s = new SectionNode(node, kind)));
    s.count = this.sectionCount(s);
    return s;
  }

  processNode(p: ProcessInfo): ProcessNode {
    let node = this.procNodes.get(p.pid);
    if (!node) {
      node = new ProcessNode(p, undefined);
      this.procNodes.set(p.pid, node);
    } else node.proc = p;
    node.channelCount = this.pidHeld.get(p.pid)?.size ?? 0;
    return node;
  }

  private bucketNode(id: string): BucketNode {
    const key = `bucket:${this.grouping.id}:${id}`;
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new BucketNode(this.grouping.id, id, id, 'folder')));
    return b;
  }

  private cached<T extends IpcNode>(id: string, make: () => T): T {
    let n = this.otherNodes.get(id) as T | undefined;
    if (!n) {
      n = make();
      this.otherNodes.set(id, n);
    }
    return n;
  }

  /** The workbench asks for the top level (views/treeChrome.ts): rows are made anew from here, under the filter's ids (views/filterOpen.ts). */
  topLevelAsked(): void {
    this.opener.topLevelAsked();
  }

  getTreeItem(element: IpcNode): vscode.TreeItem {
    const item = element.toTreeItem(this.model.ctx);
    this.rendered.set(element.id, renderSignature(item));
    if (element instanceof ProcessNode) this.rendered.set(`${element.id}/shape`, this.shapeOf(element));
    // Channel and process tooltips are built on hover (resolveTreeItem), not on every refresh.
    if (element instanceof ChannelNode || element instanceof ProcessNode) item.tooltip = undefined;
    return this.opener.item(element, item);
  }

  async resolveTreeItem(item: vscode.TreeItem, element: IpcNode): Promise<vscode.TreeItem> {
    if (element instanceof ChannelNode) item.tooltip = channelTooltip(element.channel, this.model.ctx);
    if (element instanceof ProcessNode) {
      let usage: string | undefined;
      try {
        usage = await this.usageProvider?.(element.proc.pid, element.proc.startTime);
      } catch {
        usage = undefined;
      }
      element.usage = usage;
      item.tooltip = processTooltip(element.proc, this.model.ctx, usage);
    }
    return item;
  }

  getChildren(element?: IpcNode): IpcNode[] {
    const { procs } = this.model;
    if (!this.model.snapshot) return [];
    if (!element) {
      const roots: IpcNode[] = [];
      for (const r of this.placement.roots) {
        if (typeof r === 'number') {
          const p = procs.get(r);
          if (!p) continue;
          const n = this.processNode(p);
          n.parent = undefined;
          roots.push(n);
        } else roots.push(this.bucketNode(r.id));
      }
      if (roots.length === 0) {
        const label = this.model.filtering || this.model.filter.scopePid !== undefined ? 'No process matches the filter or scope' : 'No process holds an IPC channel';
        const n = this.cached('info:none', () => new InfoNode('info:none', undefined, label));
        n.label = label;
        return [n];
      }
      return roots;
    }
    if (element instanceof BucketNode) {
      return element.pids.flatMap((pid) => {
        const p = procs.get(pid);
        if (!p) return [];
        const n = this.processNode(p);
        n.parent = element;
        return [n];
      });
    }
    if (element instanceof ProcessNode) {
      const p = element.proc;
      const out: IpcNode[] = [];
      if (p.tracerPid) {
        const n = this.cached(`${element.id}/tracer`, () => new InfoNode(`${element.id}/tracer`, element, '', '', '', 'debug'));
        n.label = `traced by ${processLabel(p.tracerPid, procs.get(p.tracerPid))}`;
        n.tooltip = 'TracerPid in /proc/PID/status: a debugger or strace is attached (ptrace).';
        out.push(n);
      }
      const kinds = this.sectionKinds(element);
      for (const k of kinds) if (k !== 'children') out.push(this.section(element, k));
      out.push(this.cached(`${element.id}/signals`, () => new SignalsNode(element)));
      if (kinds.includes('children')) out.push(this.section(element, 'children'));
      return out;
    }
    if (element instanceof SectionNode) {
      const members = this.sectionMembers(element);
      this.listedIds.set(element.id, members.map((m) => m.id).join(','));
      return members;
    }
    if (element instanceof SignalsNode) {
      return element.rows().map(([k, v]) => {
        const id = `${element.id}/${k.toLowerCase()}`;
        const n = this.cached(id, () => new InfoNode(id, element, k, '', '', 'circle-small'));
        n.description = v.join(', ') || 'none';
        n.tooltip = `${k}: ${v.join(', ') || 'none'}`;
        return n;
      });
    }
    if (element instanceof ChannelNode) {
      const kids = endpointChildren(element, this.childStore(element.id));
      this.listedIds.set(element.id, kids.map((k) => k.id).join(','));
      return kids;
    }
    return [];
  }

  /** The children's nodes of a channel node (views/endpointChildren.ts); they go with their process (place()). */
  private childStore(channelNodeId: string): ChildStore {
    return childStoreOf(this.childStores, channelNodeId);
  }

  getParent(element: IpcNode): IpcNode | undefined {
    if (element instanceof ProcessNode) return this.parentNodeOf(element.proc.pid);
    return element.parent;
  }

  private parentNodeOf(pid: number): IpcNode | undefined {
    const at = this.parentOf.get(pid);
    if (at === undefined) return undefined;
    if (typeof at === 'string') return this.buckets.get(at);
    const p = this.model.procs.get(at);
    return p ? this.section(this.processNode(p), 'children') : undefined;
  }

  /** Node for a listed process (reveal after Go to, scope), with its parent chain set. */
  findProcess(pid: number): ProcessNode | undefined {
    const p = this.model.procs.get(pid);
    if (!p || !this.model.result.pids.has(pid)) return undefined;
    if (!this.placement.roots.includes(pid) && !this.parentOf.has(pid)) return undefined;
    const node = this.processNode(p);
    node.parent = this.parentNodeOf(pid);
    if (node.parent instanceof SectionNode) this.findProcess(node.parent.parent.proc.pid);
    return node;
  }

  /** The node of channel `channelId` under process `pid` (in its Channels or Internal section). */
  findChannelOf(pid: number, channelId: string): ChannelNode | undefined {
    const node = this.findProcess(pid);
    const ch = this.model.channelsById.get(channelId);
    if (!node || !ch || !this.pidHeld.get(pid)?.has(channelId)) return undefined;
    const s = this.section(node, isInternal(ch) ? 'internal' : 'channels');
    return this.sectionMembers(s).find((n): n is ChannelNode => n instanceof ChannelNode && n.channel.id === channelId);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
