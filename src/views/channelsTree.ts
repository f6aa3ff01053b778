// The Channels view: groups by kind (Pipes, FIFOs, Message Queues › System V / POSIX, …), channels
// under them, endpoints under each channel. Node objects live in `nodes` by id and are updated in
// place; after each scan only the changed channels (or a group whose membership changed) fire.

import * as vscode from 'vscode';
import type { Channel, ChannelKind, Endpoint } from '../core/model';
import { KIND_GROUPS } from './filter';
import {
  ChannelNode,
  channelTooltip,
  EndpointNode,
  endpointNodeId,
  GroupNode,
  InfoNode,
  IpcNode,
  pipePeers,
  socketPeerId,
} from './nodes';
import type { ModelChange, ViewModel } from './viewModel';
import * as fmt from '../core/format';

/** Above this many changed elements one full refresh is cheaper than many partial ones. */
const MAX_PARTIAL = 200;

export class ChannelsTree implements vscode.TreeDataProvider<IpcNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<IpcNode | IpcNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  readonly topGroups: GroupNode[] = [];
  /** Leaf group per kind. */
  private readonly kindGroup = new Map<ChannelKind, GroupNode>();
  private readonly channelNodes = new Map<string, ChannelNode>();
  private readonly endpointNodes = new Map<string, EndpointNode>();
  private readonly infoNodes = new Map<string, InfoNode>();
  /** Leaf group id → shown channels in display order. */
  private members = new Map<string, Channel[]>();
  private memberSig = new Map<string, string>();
  private totals = new Map<ChannelKind, number>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Elements fired on the last update (tests and logs). */
  lastFired: IpcNode[] | 'all' = [];

  constructor(private readonly model: ViewModel) {
    for (const g of KIND_GROUPS) {
      const top = new GroupNode(g.id, g.label, g.kinds, undefined);
      this.topGroups.push(top);
      if (g.sub) {
        for (const k of g.kinds) this.kindGroup.set(k, new GroupNode(`${g.id}/${k}`, g.sub[k], [k], top));
      } else {
        this.kindGroup.set(g.kinds[0], top);
      }
    }
    this.disposables.push(this.emitter, model.onDidChange((c) => this.onModelChange(c)));
  }

  private regroup(): Set<string> {
    const byKind = new Map<ChannelKind, Channel[]>();
    for (const ch of this.model.result.channels) {
      const list = byKind.get(ch.kind);
      if (list) list.push(ch);
      else byKind.set(ch.kind, [ch]);
    }
    this.totals = new Map();
    for (const ch of this.model.snapshot?.channels ?? []) this.totals.set(ch.kind, (this.totals.get(ch.kind) ?? 0) + 1);
    const changedGroups = new Set<string>();
    const members = new Map<string, Channel[]>();
    for (const [kind, group] of this.kindGroup) {
      const list = (byKind.get(kind) ?? []).slice();
      list.sort((a, b) => compareChannels(a, b, this.model));
      members.set(group.id, list);
      const sig = list.map((c) => c.id).join('\n') + `|${this.totals.get(kind) ?? 0}`;
      if (this.memberSig.get(group.id) !== sig) changedGroups.add(group.id);
      this.memberSig.set(group.id, sig);
    }
    this.members = members;
    for (const top of this.topGroups) {
      const groups = this.leafGroupsOf(top);
      top.count = groups.reduce((n, g) => n + (members.get(g.id)?.length ?? 0), 0);
      top.total = top.kinds.reduce((n, k) => n + (this.totals.get(k) ?? 0), 0);
      for (const g of groups) {
        if (g !== top) {
          g.count = members.get(g.id)?.length ?? 0;
          g.total = this.totals.get(g.kinds[0]) ?? 0;
        }
      }
    }
    // Forget nodes of channels no longer shown (they are re-created if they come back).
    for (const [id, node] of this.channelNodes) {
      if (!this.isShown(node.channel.id)) {
        this.channelNodes.delete(id);
        for (const ep of node.channel.endpoints) this.endpointNodes.delete(endpointNodeId(id, ep));
      }
    }
    return changedGroups;
  }

  private shownIds = new Set<string>();
  private isShown(channelId: string): boolean {
    return this.shownIds.has(channelId);
  }

  private onModelChange(change: ModelChange): void {
    this.shownIds = new Set(this.model.result.channels.map((c) => c.id));
    const changedGroups = this.regroup();
    if (change.full) {
      this.lastFired = 'all';
      this.emitter.fire(undefined);
      return;
    }
    const fire = new Set<IpcNode>();
    const topsFired = new Set<GroupNode>();
    for (const gid of changedGroups) {
      const g = [...this.kindGroup.values()].find((x) => x.id === gid)!;
      const top = g.parent ?? g;
      topsFired.add(top);
      fire.add(top);
    }
    for (const id of change.channels) {
      const node = this.channelNodes.get(`ch:${id}`);
      const ch = this.model.channelsById.get(id);
      if (!node || !ch) continue;
      node.channel = ch;
      const top = this.kindGroup.get(ch.kind)!.parent ?? this.kindGroup.get(ch.kind)!;
      if (!topsFired.has(top)) fire.add(node);
    }
    // Channels whose facts changed but were not fired still need their data swapped in.
    for (const node of this.channelNodes.values()) {
      const ch = this.model.channelsById.get(node.channel.id);
      if (ch) node.channel = ch;
    }
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

  private leafGroupsOf(top: GroupNode): GroupNode[] {
    return top.kinds.map((k) => this.kindGroup.get(k)!).filter((g, i, a) => a.indexOf(g) === i);
  }

  getTreeItem(element: IpcNode): vscode.TreeItem {
    const item = element.toTreeItem(this.model.ctx);
    // Tooltips of channels are built on hover (resolveTreeItem), not for every node on every refresh.
    if (element instanceof ChannelNode) item.tooltip = undefined;
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, element: IpcNode): vscode.TreeItem {
    if (element instanceof ChannelNode) item.tooltip = channelTooltip(element.channel, this.model.ctx);
    return item;
  }

  getChildren(element?: IpcNode): IpcNode[] {
    if (!this.model.snapshot) return [];
    const hidden = new Set(this.model.filter.hiddenKinds);
    if (!element) return this.topGroups.filter((g) => g.kinds.some((k) => !hidden.has(k)));
    if (element instanceof GroupNode) {
      const leafs = this.leafGroupsOf(element);
      if (leafs.length > 1 || leafs[0] !== element) return leafs.filter((g) => !hidden.has(g.kinds[0]));
      const list = this.members.get(element.id) ?? [];
      if (list.length === 0) return [this.emptyNode(element)];
      return list.map((ch) => this.channelNode(ch));
    }
    if (element instanceof ChannelNode) return element.channel.endpoints.map((ep) => this.endpointNode(element, ep));
    return [];
  }

  getParent(element: IpcNode): IpcNode | undefined {
    return element.parent;
  }

  private emptyNode(group: GroupNode): InfoNode {
    const id = `${group.id}/empty`;
    let node = this.infoNodes.get(id);
    if (!node) {
      node = new InfoNode(id, group, '');
      this.infoNodes.set(id, node);
    }
    const note = group.capabilityNote(this.model.ctx.capabilities);
    const total = group.total;
    if (total > 0) {
      node.label = `None match the filter (${total} hidden)`;
      node.icon = 'filter';
      node.tooltip = '';
    } else if (note) {
      node.label = note;
      node.icon = 'warning';
      node.tooltip = note;
    } else {
      node.label = `No ${fmt.kindTitle(group.kinds[0]).toLowerCase()} open right now`;
      node.icon = 'info';
      node.tooltip = fmt.kindTeaching(group.kinds[0]);
    }
    return node;
  }

  /** The node of a shown channel (created on demand, e.g. for reveal). */
  channelNode(ch: Channel): ChannelNode {
    const id = `ch:${ch.id}`;
    let node = this.channelNodes.get(id);
    if (!node) {
      node = new ChannelNode(id, this.kindGroup.get(ch.kind)!, ch);
      this.channelNodes.set(id, node);
    } else {
      node.channel = ch;
    }
    return node;
  }

  endpointNode(parent: ChannelNode, ep: Endpoint): EndpointNode {
    const id = endpointNodeId(parent.id, ep);
    let node = this.endpointNodes.get(id);
    if (!node) {
      node = new EndpointNode(id, parent, ep);
      this.endpointNodes.set(id, node);
    } else {
      node.endpoint = ep;
    }
    return node;
  }

  /** Node for a channel id if it is shown. */
  findChannel(channelId: string): ChannelNode | undefined {
    if (!this.shownIds.has(channelId)) return undefined;
    const ch = this.model.channelsById.get(channelId);
    return ch ? this.channelNode(ch) : undefined;
  }

  /** The node Reveal Peer should select for `node`, or undefined (peer absent or filtered out). */
  peerOf(node: ChannelNode | EndpointNode): ChannelNode | EndpointNode | undefined {
    const ch = node.channel;
    if (node instanceof EndpointNode && (ch.kind === 'pipe' || ch.kind === 'fifo')) {
      const peers = pipePeers(ch, node.endpoint);
      const chNode = this.findChannel(ch.id);
      if (!peers.length || !chNode) return undefined;
      return this.endpointNode(chNode, peers[0]);
    }
    const peerId = socketPeerId(ch, this.model.channelsById);
    if (!peerId) return undefined;
    const peerNode = this.findChannel(peerId);
    if (!peerNode) return undefined;
    if (node instanceof EndpointNode && peerNode.channel.endpoints.length) return this.endpointNode(peerNode, peerNode.channel.endpoints[0]);
    return peerNode;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function compareChannels(a: Channel, b: Channel, model: ViewModel): number {
  const ka = sortKey(a, model);
  const kb = sortKey(b, model);
  return ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function sortKey(ch: Channel, model: ViewModel): string {
  const ep = ch.endpoints[0];
  if (!ep) return '\uffff';
  const p = model.procs.get(ep.pid);
  return `${p?.comm ?? ''}\u0000${String(ep.pid).padStart(10, '0')}`;
}
