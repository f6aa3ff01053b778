// The Channels view: groups by kind (Pipes, FIFOs, Message Queues › System V / POSIX, …), channels
// under them (full, then busy, then quiet; a process's self-pipes last: core/channelOrder.ts),
// endpoints under each channel. Node objects live in `nodes` by id and are updated in place;
// after each scan a channel fires only when what a person sees of it changed (label,
// description, icon), and a group when its membership or order changed, so a hovered or focused
// item is not replaced while it looks the same (tooltips resolve on hover). Under a filter only
// the groups holding a match are listed, and a filter text opens them (views/filterOpen.ts).

import * as vscode from 'vscode';
import type { Channel, ChannelKind, Endpoint } from '../core/model';
import { KIND_GROUPS, narrowsWithinKinds } from '../core/filter';
import {
  ChannelNode,
  channelTooltip,
  EndpointNode,
  FoldNode,
  GroupNode,
  InfoNode,
  IpcNode,
  renderSignature,
} from './nodes';
import { channelRank } from '../core/channelOrder';
import { isFolded, kindOf } from '../core/kinds';
import type { ModelChange, ViewModel } from './viewModel';
import * as fmt from '../core/format';
import { endpointPeers, peerChannelId } from '../core/ends';
import { childStoreOf, endpointChildren, listedEndpointNode, type ChildStore } from './endpointChildren';
import { FilterOpener, OPENED_GROUP_ROWS } from './filterOpen';

/** Above this many changed elements one full refresh is cheaper than many partial ones. */
const MAX_PARTIAL = 200;
/** A group lists at most this many channels (the workbench fetches all children of an expanded node). */
export const MAX_CHILDREN = 2000;

export class ChannelsTree implements vscode.TreeDataProvider<IpcNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<IpcNode | IpcNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  readonly topGroups: GroupNode[] = [];
  /** Leaf group per kind. */
  private readonly kindGroup = new Map<ChannelKind, GroupNode>();
  private readonly channelNodes = new Map<string, ChannelNode>();
  /** Channel node id → its children's nodes (views/endpointChildren.ts). */
  private readonly endpointNodes = new Map<string, ChildStore>();
  /** Channel node id → the ids of the children the workbench was last given (to fire the channel when they change). */
  private readonly listedChildren = new Map<string, string>();
  private readonly infoNodes = new Map<string, InfoNode>();
  /** Leaf group id → its fold row (kinds with `fold`), made when first listed. */
  private readonly foldNodes = new Map<string, FoldNode>();
  /** Leaf group id → its shown channels in display order (with their sort keys). */
  private readonly members = new Map<string, Array<{ k: string; id: string }>>();
  /** Sort key each listed channel was placed with (to find it again on removal). */
  private readonly keyOf = new Map<string, string>();
  /**
   * Sort keys by rank and first holder (`pid * 4 + rank`), with the holder's name they were made
   * from: a machine has few (ranks × processes), so 50k channels share a few hundred key strings.
   */
  private readonly keys = new Map<number, { comm: string; key: string }>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Elements fired on the last update (tests and logs). */
  lastFired: IpcNode[] | 'all' = [];
  /** Node id → what was last rendered of it (renderSignature), to fire only visible changes. */
  private readonly rendered = new Map<string, string>();
  /** Bytes/s of a channel from live activity when it runs (sorts busy channels first). */
  rateOf: ((channelId: string) => number | undefined) | undefined;
  /** The ids of the top groups last listed (a filter lists only those holding a match). */
  private topsListed = '';
  /** The rows a filter text opens, decided once per row and text (views/filterOpen.ts). */
  private readonly opener: FilterOpener<IpcNode>;

  constructor(private readonly model: ViewModel) {
    this.opener = new FilterOpener<IpcNode>(model, (n) => this.opens(n));
    for (const g of KIND_GROUPS) {
      const top = new GroupNode(g.id, g.label, g.kinds, undefined);
      this.topGroups.push(top);
      if (g.sub) {
        for (const k of g.kinds) this.kindGroup.set(k, new GroupNode(`${g.id}/${k}`, g.sub[k] ?? k, [k], top));
      } else {
        this.kindGroup.set(g.kinds[0], top);
      }
    }
    this.disposables.push(this.emitter, model.onDidChange((c) => this.onModelChange(c)));
  }

  /** Recomputes the member lists of `kinds` (all when undefined) and the counts; returns the top groups whose rendering changed. */
  private regroup(change: ModelChange | undefined): Set<GroupNode> {
    const model = this.model;
    const changed = new Set<GroupNode>();
    if (!change || change.full || change.entered.length + change.left.length > 5000) {
      this.keyOf.clear();
      this.keys.clear();
      const byKind = new Map<ChannelKind, Channel[]>();
      for (const ch of model.result.channels) {
        const list = byKind.get(ch.kind);
        if (list) list.push(ch);
        else byKind.set(ch.kind, [ch]);
      }
      for (const [kind, group] of this.kindGroup) {
        // Decorate-sort: one key per channel, not one per comparison.
        const keyed = (byKind.get(kind) ?? []).map((c) => ({ k: this.sortKey(c), id: c.id }));
        keyed.sort(compareKeyed);
        for (const x of keyed) this.keyOf.set(x.id, x.k);
        this.members.set(group.id, keyed);
        changed.add(group.parent ?? group);
      }
    } else if (change.membership.size) {
      // Incremental: drop the channels that left, binary-insert those that entered.
      const leftIds = new Set(change.left.map((l) => l.id));
      for (const kind of change.membership) {
        const group = this.kindGroup.get(kind)!;
        let list = this.members.get(group.id) ?? [];
        const at = (item: { k: string; id: string }) => {
          let lo = 0;
          let hi = list.length;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (compareKeyed(list[mid], item) < 0) lo = mid + 1;
            else hi = mid;
          }
          return lo;
        };
        if (leftIds.size > 64) list = list.filter((x) => !leftIds.has(x.id));
        else {
          // Few removals: find each by its stored key (binary search) instead of scanning the group.
          for (const l of change.left) {
            if (l.kind !== kind) continue;
            const k = this.keyOf.get(l.id);
            if (k === undefined) continue;
            const i = at({ k, id: l.id });
            if (list[i]?.id === l.id) list.splice(i, 1);
          }
        }
        for (const l of change.left) if (l.kind === kind) this.keyOf.delete(l.id);
        for (const ch of change.entered) {
          if (ch.kind !== kind) continue;
          const item = { k: this.sortKey(ch), id: ch.id };
          this.keyOf.set(ch.id, item.k);
          list.splice(at(item), 0, item);
        }
        this.members.set(group.id, list);
        changed.add(group.parent ?? group);
      }
    }
    const totals = model.totals;
    const counts = (g: GroupNode) => `${g.count}/${g.total}/${g.folded}/${g.foldedTotal}`;
    for (const top of this.topGroups) {
      const before = counts(top);
      let count = 0;
      let folded = 0;
      let foldedTotal = 0;
      for (const g of this.leafGroupsOf(top)) {
        const n = this.members.get(g.id)?.length ?? 0;
        count += n;
        if (g !== top) {
          g.count = n;
          g.total = totals.get(g.kinds[0]) ?? 0;
        }
        const fold = foldOf(g);
        if (!fold) continue;
        const kind = g.kinds[0];
        g.foldedTotal = model.foldedTotals.get(kind) ?? 0;
        // unfiltered, every folded channel is a member; under a filter, only the shown ones are walked
        g.folded = n === (totals.get(kind) ?? 0) ? g.foldedTotal : this.split(g).folded.length;
        top.foldedWord = g.foldedWord = fold.counted;
        folded += g.folded;
        foldedTotal += g.foldedTotal;
      }
      top.count = count;
      top.total = top.kinds.reduce((n, k) => n + (totals.get(k) ?? 0), 0);
      top.folded = folded;
      top.foldedTotal = foldedTotal;
      if (counts(top) !== before) changed.add(top);
    }
    // Forget nodes of channels no longer shown (re-created if they come back).
    for (const [id, node] of this.channelNodes) {
      if (!model.isShown(node.channel.id)) {
        this.channelNodes.delete(id);
        this.rendered.delete(id);
        for (const child of this.endpointNodes.get(id)?.keys() ?? []) this.rendered.delete(child);
        this.endpointNodes.delete(id);
        this.listedChildren.delete(id);
      }
    }
    return changed;
  }

  /** Re-renders the rows of these channels that look different now (a new live-activity sample: their rates). */
  refreshChannels(ids: Iterable<string>): void {
    const fire: IpcNode[] = [];
    for (const id of ids) {
      const n = this.channelNodes.get(id);
      if (n && this.visibleChange(n)) fire.push(n);
    }
    if (fire.length === 0) return;
    this.lastFired = fire;
    this.emitter.fire(fire);
  }

  /** Re-renders the endpoint rows of these processes (what started them changed: src/provenance.ts). */
  refreshPids(pids: ReadonlySet<number>): void {
    const fire: EndpointNode[] = [];
    for (const store of this.endpointNodes.values()) for (const n of store.values()) if (n instanceof EndpointNode && pids.has(n.endpoint.pid)) fire.push(n);
    if (fire.length === 0) return;
    this.lastFired = fire;
    this.emitter.fire(fire);
  }

  private onModelChange(change: ModelChange): void {
    const topsFired = this.regroup(change);
    // a group that gets its first match under a filter, or loses its last, comes or goes at the top level
    const tops = this.listedGroups(this.topGroups).map((g) => g.id).join(',');
    const topsMoved = tops !== this.topsListed;
    this.topsListed = tops;
    if (change.full || topsMoved) {
      this.lastFired = 'all';
      this.emitter.fire(undefined);
      return;
    }
    const fire = new Set<IpcNode>(topsFired);
    // Rendered channels keep their node object; swap in this snapshot's data.
    for (const node of this.channelNodes.values()) {
      const ch = this.model.channelsById.get(node.channel.id);
      if (ch) node.channel = ch;
    }
    // Changed channels may move (a queue filled up): re-place those whose sort key moved.
    for (const g of this.reorder(change.channels)) if (!topsFired.has(g.parent ?? g)) fire.add(g);
    /** Fold rows holding a changed channel: their facts (states) may read differently. */
    const foldsTouched = new Set<FoldNode>();
    for (const id of change.channels) {
      const node = this.channelNodes.get(`ch:${id}`);
      const ch = this.model.channelsById.get(id);
      if (!node || !ch) continue;
      const g = this.kindGroup.get(ch.kind)!;
      if (fire.has(g) || topsFired.has(g.parent ?? g)) continue;
      // into or out of the group's fold (its id and place in order unchanged): the group's rows change
      if (node.parent !== this.parentOf(ch)) {
        fire.add(g);
        continue;
      }
      if (node.parent instanceof FoldNode) foldsTouched.add(node.parent);
      if (this.visibleChange(node)) fire.add(node);
      // Its children, when the workbench has them: the channel again when which ones changed, else each that looks different.
      const listed = this.listedChildren.get(node.id);
      if (listed === undefined || fire.has(node)) continue;
      const kids = endpointChildren(node, this.childStore(node.id));
      if (kids.map((k) => k.id).join('\n') !== listed) fire.add(node);
      else for (const k of kids) if (this.visibleChange(k)) fire.add(k);
    }
    for (const f of foldsTouched) {
      if (fire.has(f.parent) || fire.has(f.parent.parent ?? f.parent)) continue;
      this.foldNode(f.parent, this.split(f.parent).folded);
      if (this.visibleChange(f)) fire.add(f);
    }
    this.fire(fire);
  }

  private fire(fire: Set<IpcNode>): void {
    if (fire.size > MAX_PARTIAL) {
      this.lastFired = 'all';
      this.emitter.fire(undefined);
    } else if (fire.size) {
      this.lastFired = [...fire];
      this.emitter.fire([...fire]);
    } else {
      this.lastFired = [];
    }
  }

  /** Was it rendered, and would it look different now? */
  private visibleChange(node: IpcNode): boolean {
    const before = this.rendered.get(node.id);
    return before !== undefined && renderSignature(node.toTreeItem(this.model.ctx)) !== before;
  }

  /**
   * Re-places changed channels whose sort key moved (a queue filled up or drained; `ids` undefined:
   * every listed channel). Returns the leaf groups whose order changed.
   */
  private reorder(ids: Iterable<string> | undefined): Set<GroupNode> {
    const moved = new Set<GroupNode>();
    const check = (id: string) => {
      const old = this.keyOf.get(id);
      const ch = this.model.channelsById.get(id);
      if (old === undefined || !ch) return;
      const k = this.sortKey(ch);
      if (k === old) return;
      const g = this.kindGroup.get(ch.kind)!;
      const list = this.members.get(g.id);
      if (!list) return;
      const i = list.findIndex((x) => x.id === id);
      if (i >= 0) list.splice(i, 1);
      let lo = 0;
      let hi = list.length;
      const item = { k, id };
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareKeyed(list[mid], item) < 0) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, item);
      this.keyOf.set(id, k);
      if (lo !== i) moved.add(g);
    };
    if (ids) for (const id of ids) check(id);
    else for (const id of [...this.keyOf.keys()]) check(id);
    return moved;
  }

  /** Full, then busy, then quiet, then internal; within a rank by the first holder's name and pid. */
  private sortKey(ch: Channel): string {
    const rank = channelRank(ch, this.rateOf?.(ch.id));
    const ep = ch.endpoints[0];
    if (!ep) return UNHELD_KEYS[rank];
    const comm = this.model.procs.get(ep.pid)?.comm ?? '';
    const slot = ep.pid * 4 + rank;
    const have = this.keys.get(slot);
    if (have && have.comm === comm) return have.key;
    if (this.keys.size > 65536) this.keys.clear(); // keys in use stay valid; only sharing restarts
    const key = `${rank}${comm}\u0000${String(ep.pid).padStart(10, '0')}`;
    this.keys.set(slot, { comm, key });
    return key;
  }

  private leafGroupsOf(top: GroupNode): GroupNode[] {
    return top.kinds.map((k) => this.kindGroup.get(k)!).filter((g, i, a) => a.indexOf(g) === i);
  }

  /** The workbench asks for the top level (views/treeChrome.ts): rows are made anew from here, under the filter's ids (views/filterOpen.ts). */
  topLevelAsked(): void {
    this.opener.topLevelAsked();
  }

  getTreeItem(element: IpcNode): vscode.TreeItem {
    const item = element.toTreeItem(this.model.ctx);
    this.rendered.set(element.id, renderSignature(item));
    // Tooltips of channels are built on hover (resolveTreeItem), not for every node on every refresh.
    if (element instanceof ChannelNode) item.tooltip = undefined;
    return this.opener.item(element, item);
  }

  /**
   * Does the filter text open this row, when first shown under it (views/filterOpen.ts): a group
   * holding a match (a group of channels when it lists at most OPENED_GROUP_ROWS), a fold holding
   * the only ones of its group; undefined for rows no filter opens.
   */
  private opens(node: IpcNode): boolean | undefined {
    if (node instanceof GroupNode) return node.count > 0 && (!isLeafGroup(node) || node.count <= OPENED_GROUP_ROWS);
    if (node instanceof FoldNode) return node.parent.folded > 0 && node.parent.folded === node.parent.count && node.parent.folded <= OPENED_GROUP_ROWS;
    return undefined;
  }

  /** Of these groups, the ones listed: of a kind not hidden, and holding a match when the filter narrows within kinds. */
  private listedGroups(groups: readonly GroupNode[]): GroupNode[] {
    const f = this.model.filter;
    const hidden = new Set(f.hiddenKinds);
    const narrowed = narrowsWithinKinds(f);
    return groups.filter((g) => g.kinds.some((k) => !hidden.has(k)) && (!narrowed || g.count > 0));
  }

  resolveTreeItem(item: vscode.TreeItem, element: IpcNode): vscode.TreeItem {
    if (element instanceof ChannelNode) item.tooltip = channelTooltip(element.channel, this.model.ctx);
    return item;
  }

  getChildren(element?: IpcNode): IpcNode[] {
    if (!this.model.snapshot) return [];
    if (!element) return this.listedGroups(this.topGroups);
    if (element instanceof GroupNode) {
      const leafs = this.leafGroupsOf(element);
      if (leafs.length > 1 || leafs[0] !== element) return this.listedGroups(leafs);
      const all = this.members.get(element.id) ?? [];
      // a group the filter leaves nothing of is not listed (a fetch the workbench sent before it went gets no row)
      if (all.length === 0) return element.total > 0 ? [] : [this.emptyNode(element)];
      const { listed, folded } = this.split(element);
      const out = this.channelRows(element, listed);
      if (folded.length) out.push(this.foldNode(element, folded));
      return out;
    }
    if (element instanceof FoldNode) return this.channelRows(element, this.split(element.parent).folded);
    if (element instanceof ChannelNode) {
      const kids = endpointChildren(element, this.childStore(element.id));
      this.listedChildren.set(element.id, kids.map((k) => k.id).join('\n'));
      return kids;
    }
    return [];
  }

  getParent(element: IpcNode): IpcNode | undefined {
    return element.parent;
  }

  /** A group's (or its fold's) rows for these members: at most MAX_CHILDREN, then `… N more`. */
  private channelRows(parent: GroupNode | FoldNode, ids: ReadonlyArray<{ id: string }>): IpcNode[] {
    const out: IpcNode[] = [];
    for (const { id } of ids.length > MAX_CHILDREN ? ids.slice(0, MAX_CHILDREN) : ids) {
      const ch = this.model.channelsById.get(id);
      if (ch) out.push(this.channelNode(ch));
    }
    if (ids.length > MAX_CHILDREN) out.push(this.moreNode(parent, ids.length - MAX_CHILDREN));
    return out;
  }

  /** A leaf group's members in order, the ones its kind folds apart (in the same order). */
  private split(group: GroupNode): { listed: Array<{ k: string; id: string }>; folded: Array<{ k: string; id: string }> } {
    const all = this.members.get(group.id) ?? [];
    const fold = foldOf(group);
    if (!fold) return { listed: all, folded: [] };
    const listed: Array<{ k: string; id: string }> = [];
    const folded: Array<{ k: string; id: string }> = [];
    for (const m of all) {
      const ch = this.model.channelsById.get(m.id);
      (ch && fold.holds(ch) ? folded : listed).push(m);
    }
    return { listed, folded };
  }

  /** Where a channel's row goes: its group, or the group's fold row. */
  private parentOf(ch: Channel): GroupNode | FoldNode {
    const group = this.kindGroup.get(ch.kind)!;
    return isFolded(ch) ? this.foldNode(group) : group;
  }

  /** The group's fold row, its label and facts from `folded` when given. */
  private foldNode(group: GroupNode, folded?: ReadonlyArray<{ id: string }>): FoldNode {
    const fold = foldOf(group)!;
    let node = this.foldNodes.get(group.id);
    if (!node) {
      node = new FoldNode(group, fold.tooltip);
      this.foldNodes.set(group.id, node);
    }
    if (folded) {
      const chs: Channel[] = [];
      for (const { id } of folded) {
        const ch = this.model.channelsById.get(id);
        if (ch) chs.push(ch);
      }
      node.count = chs.length;
      node.label = fold.label(chs.length, group.folded !== group.foldedTotal ? group.foldedTotal : undefined);
      node.description = fold.description(chs);
    }
    return node;
  }

  private moreNode(group: GroupNode | FoldNode, more: number): InfoNode {
    const id = `${group.id}/more`;
    let node = this.infoNodes.get(id);
    if (!node) {
      node = new InfoNode(id, group, '', '', '', 'ellipsis');
      this.infoNodes.set(id, node);
    }
    node.label = `… ${more.toLocaleString('en-US')} more`;
    node.description = 'narrow with Filter… or Find';
    node.tooltip = `Only the first ${MAX_CHILDREN} channels of a group are listed; Filter… (name, pid, path, :port, key) or Find narrows the rest.`;
    return node;
  }

  private emptyNode(group: GroupNode): InfoNode {
    const id = `${group.id}/empty`;
    let node = this.infoNodes.get(id);
    if (!node) {
      node = new InfoNode(id, group, '');
      this.infoNodes.set(id, node);
    }
    const note = group.capabilityNote(this.model.ctx.capabilities);
    if (note) {
      node.label = note;
      node.icon = 'warning';
      node.tooltip = note;
    } else {
      node.label = `No ${fmt.kindTitleInSentence(group.kinds[0])} open right now`;
      node.icon = 'info';
      node.tooltip = fmt.kindTeaching(group.kinds[0]);
    }
    return node;
  }

  /** The node of a shown channel (created on demand, e.g. for reveal), under its group or the group's fold. */
  channelNode(ch: Channel): ChannelNode {
    const id = `ch:${ch.id}`;
    const parent = this.parentOf(ch);
    let node = this.channelNodes.get(id);
    if (!node) {
      node = new ChannelNode(id, parent, ch);
      this.channelNodes.set(id, node);
    } else {
      node.channel = ch;
      node.parent = parent;
    }
    return node;
  }

  private childStore(channelNodeId: string): ChildStore {
    return childStoreOf(this.endpointNodes, channelNodeId);
  }

  /** The listed node of `ep` under a channel node: its own, or its group's (a process's many fds of one mode); undefined past the cap. */
  endpointNode(parent: ChannelNode, ep: Endpoint): EndpointNode | undefined {
    return listedEndpointNode(parent, ep, this.childStore(parent.id));
  }

  /** Node for a channel id if it is shown (and listed: within the first MAX_CHILDREN of its group). */
  findChannel(channelId: string): ChannelNode | undefined {
    if (!this.model.isShown(channelId)) return undefined;
    const ch = this.model.channelsById.get(channelId);
    if (!ch) return undefined;
    const group = this.kindGroup.get(ch.kind)!;
    // the fold's rows and the others are both parts of the group: only a group past the cap can cut either
    if ((this.members.get(group.id)?.length ?? 0) > MAX_CHILDREN) {
      const { listed, folded } = this.split(group);
      const ids = isFolded(ch) ? folded : listed;
      if (ids.length > MAX_CHILDREN && ids.findIndex((x) => x.id === channelId) >= MAX_CHILDREN) return undefined;
    }
    return this.channelNode(ch);
  }

  /**
   * The node Reveal Peer should select for `node` (of either view), or undefined (peer absent or
   * filtered out): the listed node of the first peer endpoint that is not `node` itself (a peer
   * in a group is its group's node), else the channel when its peers are past the cap.
   */
  peerOf(node: ChannelNode | EndpointNode): ChannelNode | EndpointNode | undefined {
    const ch = node.channel;
    if (node instanceof EndpointNode) {
      const peers = endpointPeers(ch, node.endpoint);
      if (peers.length) {
        const chNode = this.findChannel(ch.id);
        if (!chNode) return undefined;
        const self = this.endpointNode(chNode, node.endpoint)?.id;
        for (const p of peers) {
          const n = this.endpointNode(chNode, p);
          if (n && n.id !== self) return n;
        }
        return chNode;
      }
    }
    const peerId = peerChannelId(ch, this.model.channelsById);
    if (!peerId) return undefined;
    const peerNode = this.findChannel(peerId);
    if (!peerNode) return undefined;
    if (node instanceof EndpointNode && peerNode.channel.endpoints.length) return this.endpointNode(peerNode, peerNode.channel.endpoints[0]) ?? peerNode;
    return peerNode;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Does the group hold channels (not other groups: Message Queues › System V / POSIX)? */
function isLeafGroup(g: GroupNode): boolean {
  return g.parent !== undefined || g.kinds.length === 1;
}

/** The fold of a leaf group's kind, if it has one. */
function foldOf(group: GroupNode) {
  return group.kinds.length === 1 ? kindOf(group.kinds[0]).fold : undefined;
}

/** Keys of channels no process holds, by rank: after every held one of the same rank. */
const UNHELD_KEYS = [0, 1, 2, 3].map((rank) => `${rank}\uffff`);

function compareKeyed(a: { k: string; id: string }, b: { k: string; id: string }): number {
  return a.k < b.k ? -1 : a.k > b.k ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
