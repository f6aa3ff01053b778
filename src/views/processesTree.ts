// The Processes view: the process tree (parent → children) of processes holding shown channels.
// A process's parent in the view is its nearest ancestor that is itself shown. Under each:
// "traced by …" (TracerPid ≠ 0), its signal state, its child processes, then its channels
// (with their endpoints). After a scan only parents whose child list changed, and processes or
// channels whose facts changed, fire.

import * as vscode from 'vscode';
import type { Endpoint, ProcessInfo } from '../core/model';
import {
  ChannelNode,
  channelTooltip,
  EndpointNode,
  endpointNodeId,
  InfoNode,
  IpcNode,
  processTooltip,
  ProcessNode,
  SignalsNode,
} from './nodes';
import type { ModelChange, ViewModel } from './viewModel';
import { ContainerNode } from './nodes';
import { containerGrouping, type ProcessBucket } from './containerGrouping';
import { processLabel } from '../core/format';

const MAX_PARTIAL = 200;

/** Resolves a per-process usage line (CPU, memory) on hover; see hostFacts.ts. */
export type UsageProvider = (pid: number) => Promise<string | undefined>;

export class ProcessesTree implements vscode.TreeDataProvider<IpcNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<IpcNode | IpcNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly procNodes = new Map<number, ProcessNode>();
  private readonly otherNodes = new Map<string, IpcNode>();
  /** Parent pid (0 = root) → child pids in display order. */
  private childPids = new Map<number, number[]>();
  private sig = new Map<number, string>();
  private readonly disposables: vscode.Disposable[] = [];
  lastFired: IpcNode[] | 'all' = [];
  usageProvider: UsageProvider | undefined;
  /** Grouped by container (views/containerGrouping.ts): the top level is one node per container and Host. */
  private byContainer = false;
  private readonly containerNodes = new Map<string, ContainerNode>();
  /** Pid → the container node it sits under at the top of its container (grouped by container). */
  private readonly bucketOf = new Map<number, ContainerNode>();

  /** Switches grouping by container on or off (setting ipcInspector.groupProcesses) and re-renders. */
  setGroupByContainer(on: boolean): void {
    if (on === this.byContainer) return;
    this.byContainer = on;
    if (this.model.snapshot) this.onModelChange({ full: true, channels: new Set(), pids: new Set(), membership: new Set(), entered: [], left: [], holdersChanged: true });
  }

  get groupedByContainer(): boolean {
    return this.byContainer;
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

  constructor(private readonly model: ViewModel) {
    this.disposables.push(this.emitter, model.onDidChange((c) => this.onModelChange(c)));
  }

  /** Channel id → distinct pids holding it (shown channels only). */
  private readonly chanPids = new Map<string, number[]>();
  /** Pid → ids of the shown channels it holds (insertion order). */
  private readonly pidHeld = new Map<number, Set<string>>();

  /** Moves the holder index on by the change (all of it on a full change); returns pids whose channel list changed. */
  private updateHeld(change: ModelChange): Set<number> {
    const touched = new Set<number>();
    const setPids = (id: string, pids: number[] | undefined) => {
      const old = this.chanPids.get(id) ?? [];
      for (const p of old) {
        if (pids?.includes(p)) continue;
        this.pidHeld.get(p)?.delete(id);
        touched.add(p);
      }
      for (const p of pids ?? []) {
        if (old.includes(p)) continue;
        let set = this.pidHeld.get(p);
        if (!set) this.pidHeld.set(p, (set = new Set()));
        set.add(id);
        touched.add(p);
      }
      if (pids) this.chanPids.set(id, pids);
      else this.chanPids.delete(id);
    };
    const uniq = (ch: { endpoints: ReadonlyArray<{ pid: number }> }): number[] => {
      const out: number[] = [];
      for (const e of ch.endpoints) if (!out.includes(e.pid)) out.push(e.pid);
      return out;
    };
    if (change.full) {
      this.chanPids.clear();
      this.pidHeld.clear();
      for (const ch of this.model.result.channels) setPids(ch.id, uniq(ch));
      return touched;
    }
    for (const l of change.left) setPids(l.id, undefined);
    for (const ch of change.entered) setPids(ch.id, uniq(ch));
    for (const id of change.channels) {
      const ch = this.model.channelsById.get(id);
      if (ch && this.model.isShown(id)) setPids(id, uniq(ch));
    }
    return touched;
  }

  private rebuild(change: ModelChange): Set<number> {
    const { result, procs } = this.model;
    const shown = new Set(result.processes.map((p) => p.pid));
    const touched = this.updateHeld(change);
    const held = this.pidHeld;
    const childPids = new Map<number, number[]>();
    if (this.byContainer) this.placeByContainer(childPids);
    else for (const p of result.processes) {
      // Nearest shown ancestor (guard against ppid cycles in hostile/odd data).
      let parent = p.ppid;
      const guard = new Set<number>([p.pid]);
      while (parent && !shown.has(parent) && procs.has(parent) && !guard.has(parent)) {
        guard.add(parent);
        parent = procs.get(parent)!.ppid;
      }
      const key = shown.has(parent) && parent !== p.pid ? parent : 0;
      const list = childPids.get(key);
      if (list) list.push(p.pid);
      else childPids.set(key, [p.pid]);
    }
    for (const list of childPids.values()) list.sort((a, b) => a - b);
    if (!this.byContainer) this.bucketOf.clear();
    this.childPids = childPids;
    // Which parents' child lists changed (0 = root), plus processes whose channels changed.
    const changed = new Set<number>();
    const sig = new Map<number, string>();
    for (const pid of [0, ...shown]) {
      const s = (childPids.get(pid) ?? []).join(',');
      sig.set(pid, s);
      if (this.sig.get(pid) !== s || touched.has(pid)) changed.add(pid);
    }
    this.sig = sig;
    // Update or drop cached process nodes.
    for (const [pid, node] of this.procNodes) {
      const p = procs.get(pid);
      if (!p || !shown.has(pid)) {
        this.procNodes.delete(pid);
        continue;
      }
      node.proc = p;
      node.channelCount = held.get(pid)?.size ?? 0;
    }
    for (const [pid, list] of childPids) {
      for (const c of list) {
        const node = this.procNodes.get(c);
        if (node) node.parent = pid ? this.processNode(procs.get(pid)!) : this.bucketOf.get(c);
      }
    }
    for (const [id, node] of this.otherNodes) {
      const pid = Number(/^proc:(\d+)/.exec(id)?.[1]);
      if (!shown.has(pid)) this.otherNodes.delete(id);
      else if (node instanceof ChannelNode) {
        const ch = this.model.channelsById.get(node.channel.id);
        if (ch) node.channel = ch;
      }
    }
    return changed;
  }

  /** Grouped by container: buckets at the top (root key 0 lists their members, for the change signature). */
  private placeByContainer(childPids: Map<number, number[]>): void {
    const placement = containerGrouping.arrange({ listed: this.model.result.processes, procs: this.model.procs });
    this.bucketOf.clear();
    const top: number[] = [];
    const live = new Set<string>();
    for (const r of placement.roots as ProcessBucket[]) {
      let node = this.containerNodes.get(r.id);
      if (node) node.bucket = r;
      else this.containerNodes.set(r.id, (node = new ContainerNode(r)));
      live.add(r.id);
      for (const pid of r.pids) this.bucketOf.set(pid, node);
      top.push(...r.pids);
    }
    for (const id of this.containerNodes.keys()) if (!live.has(id)) this.containerNodes.delete(id);
    childPids.set(0, top);
    for (const p of this.model.result.processes) {
      const kids = placement.children(p.pid);
      if (kids.length) childPids.set(p.pid, [...kids]);
    }
  }

  /** The container nodes at the top, in display order (grouped by container). */
  containerRoots(): ContainerNode[] {
    const seen = new Set<ContainerNode>();
    for (const pid of this.childPids.get(0) ?? []) {
      const n = this.bucketOf.get(pid);
      if (n) seen.add(n);
    }
    return [...seen];
  }

  private onModelChange(change: ModelChange): void {
    // The tree's shape depends only on who holds what: skip the rebuild when that did not move.
    const changedParents = this.rebuild(change);
    if (change.full || changedParents.has(0)) {
      this.lastFired = 'all';
      this.emitter.fire(undefined);
      return;
    }
    const fire = new Set<IpcNode>();
    for (const pid of changedParents) {
      const n = this.procNodes.get(pid);
      if (n) fire.add(n);
    }
    for (const pid of change.pids) {
      const n = this.procNodes.get(pid);
      if (n && !fire.has(n)) {
        fire.add(n);
        const s = this.otherNodes.get(`${n.id}/signals`);
        if (s) fire.add(s);
      }
    }
    for (const id of change.channels) {
      for (const pid of this.model.channelsById.get(id)?.endpoints.map((e) => e.pid) ?? []) {
        const n = this.otherNodes.get(`proc:${pid}/ch:${id}`);
        const parent = this.procNodes.get(pid);
        if (n && !(parent && fire.has(parent))) fire.add(n);
      }
    }
    if (fire.size > MAX_PARTIAL) {
      this.lastFired = 'all';
      this.emitter.fire(undefined);
    } else if (fire.size) {
      this.lastFired = [...fire];
      this.emitter.fire([...fire]);
    } else this.lastFired = [];
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

  private cached<T extends IpcNode>(id: string, make: () => T): T {
    let n = this.otherNodes.get(id) as T | undefined;
    if (!n) {
      n = make();
      this.otherNodes.set(id, n);
    }
    return n;
  }

  getTreeItem(element: IpcNode): vscode.TreeItem {
    const item = element.toTreeItem(this.model.ctx);
    if (element instanceof ChannelNode || element instanceof ProcessNode) item.tooltip = undefined;
    return item;
  }

  async resolveTreeItem(item: vscode.TreeItem, element: IpcNode): Promise<vscode.TreeItem> {
    if (element instanceof ChannelNode) item.tooltip = channelTooltip(element.channel, this.model.ctx);
    if (element instanceof ProcessNode) {
      let usage: string | undefined;
      try {
        usage = await this.usageProvider?.(element.proc.pid);
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
    if (!element && this.byContainer && (this.childPids.get(0) ?? []).length) return this.containerRoots();
    if (element instanceof ContainerNode) {
      return element.bucket.pids.filter((pid) => procs.has(pid)).map((pid) => {
        const n = this.processNode(procs.get(pid)!);
        n.parent = element;
        return n;
      });
    }
    if (!element) {
      const roots = (this.childPids.get(0) ?? []).map((pid) => this.processNode(procs.get(pid)!));
      for (const r of roots) r.parent = undefined;
      if (roots.length === 0) {
        const label = this.model.filtering || this.model.filter.scopePid !== undefined ? 'No process matches the filter or scope' : 'No process holds an IPC channel';
        return [this.cached('info:none', () => new InfoNode('info:none', undefined, label))].map((n) => {
          (n as InfoNode).label = label;
          return n;
        });
      }
      return roots;
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
      out.push(this.cached(`${element.id}/signals`, () => new SignalsNode(element)));
      for (const c of this.childPids.get(p.pid) ?? []) {
        const child = this.processNode(procs.get(c)!);
        child.parent = element;
        out.push(child);
      }
      for (const cid of this.pidHeld.get(p.pid) ?? []) {
        const ch = this.model.channelsById.get(cid);
        if (!ch) continue;
        const id = `${element.id}/ch:${ch.id}`;
        const n = this.cached(id, () => new ChannelNode(id, element, ch));
        n.channel = ch;
        out.push(n);
      }
      return out;
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
      return element.channel.endpoints.map((ep: Endpoint) => {
        const id = endpointNodeId(element.id, ep);
        const n = this.cached(id, () => new EndpointNode(id, element, ep));
        n.endpoint = ep;
        return n;
      });
    }
    return [];
  }

  getParent(element: IpcNode): IpcNode | undefined {
    return element.parent;
  }

  /** Node for a shown process (reveal after Find, scope). */
  findProcess(pid: number): ProcessNode | undefined {
    const p = this.model.procs.get(pid);
    if (!p || !this.model.result.pids.has(pid)) return undefined;
    const node = this.processNode(p);
    // Make sure the parent chain is set even if never expanded.
    for (const [parent, list] of this.childPids) if (list.includes(pid)) node.parent = parent ? this.findProcess(parent) : this.bucketOf.get(pid);
    return node;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
