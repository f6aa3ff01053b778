// A channel node's children in either tree: its endpoints as core/endpointGroups lists them — a
// process's fds of one mode one by one while it holds a few, as one group node from GROUP_FROM
// (a pipe end dup'd to the fd limit in ten processes is ten nodes, not 200,000) — at most
// MAX_ENDPOINT_CHILDREN nodes, then "… N more", as a group lists its channels. The workbench
// fetches every child of an expanded node and renders each in its own process: an unbounded list
// stalled the extension host for minutes and sent tens of megabytes to the renderer.
import type { Channel, Endpoint } from '../core/model';
import { endpointListing, type EndpointGroup, type EndpointListing } from '../core/endpointGroups';
import { ChannelNode, EndpointNode, endpointGroupNodeId, endpointNodeId, InfoNode } from './nodes';
import { plural } from '../core/text';

/** A process's endpoints of one mode are listed one by one below this many, as one node from it (stdout and stderr on one pipe stay two). */
export const GROUP_FROM = 4;
/** A channel lists at most this many endpoint nodes (the budget a group has for its channels: channelsTree MAX_CHILDREN). */
export const MAX_ENDPOINT_CHILDREN = 2000;

/** A listing and where each endpoint is in it (its own item, or its group's). */
interface Listed extends EndpointListing {
  at: Map<string, number>;
}

/** One listing per endpoint list: a snapshot replaces the list of a channel that changed. */
const listings = new WeakMap<readonly Endpoint[], Listed>();

const groupKey = (pid: number, mode: string, via: string) => `g${pid}:${mode}:${via}`;
const endpointKey = (ep: Endpoint) => `e${ep.pid}:${ep.fd !== undefined ? ep.fd : `m${ep.map ?? ''}`}`;

function listingOf(ch: Channel): Listed {
  let l = listings.get(ch.endpoints);
  if (!l) {
    const base = endpointListing(ch.endpoints, GROUP_FROM, MAX_ENDPOINT_CHILDREN);
    const at = new Map<string, number>();
    base.items.forEach((it, i) => at.set(it.group ? groupKey(it.group.pid, it.group.mode, it.group.via) : endpointKey(it.endpoint), i));
    l = { ...base, at };
    listings.set(ch.endpoints, l);
  }
  return l;
}

/** Where a tree keeps the children of one channel node by id (made on demand, updated in place). */
export type ChildStore = Map<string, EndpointNode | InfoNode>;

/** The store of a channel node's children in a tree's map of them, made on first use. */
export function childStoreOf(stores: Map<string, ChildStore>, channelNodeId: string): ChildStore {
  let store = stores.get(channelNodeId);
  if (!store) stores.set(channelNodeId, (store = new Map()));
  return store;
}

function nodeOf(parent: ChannelNode, item: Listed['items'][number], store: ChildStore): EndpointNode {
  const group: EndpointGroup | undefined = item.group;
  const ep = group ? group.endpoints[0] : item.endpoint!;
  const id = group ? endpointGroupNodeId(parent.id, group) : endpointNodeId(parent.id, ep);
  const have = store.get(id);
  if (have instanceof EndpointNode) {
    have.endpoint = ep;
    have.group = group;
    return have;
  }
  const made = new EndpointNode(id, parent, ep, group);
  store.set(id, made);
  return made;
}

function moreNode(parent: ChannelNode, more: number, store: ChildStore): InfoNode {
  const id = `${parent.id}/more`;
  let node = store.get(id);
  if (!(node instanceof InfoNode)) store.set(id, (node = new InfoNode(id, parent, '', '', '', 'ellipsis')));
  node.label = `\u2026 ${plural(more, 'more endpoint')}`;
  node.description = 'see snapshot --json';
  node.tooltip =
    `Only the first ${MAX_ENDPOINT_CHILDREN.toLocaleString('en-US')} holders of a channel are listed (a process's fds of one mode as one). ` +
    'Every endpoint: `ipc-inspector snapshot` (its ENDPOINTS column, a process\'s fds as ranges) or `ipc-inspector snapshot --json`; Filter… by pid narrows the holders.';
  return node;
}

/** The children of a channel node; nodes no longer listed leave `store`. */
export function endpointChildren(parent: ChannelNode, store: ChildStore): Array<EndpointNode | InfoNode> {
  const { items, more } = listingOf(parent.channel);
  const out: Array<EndpointNode | InfoNode> = items.map((it) => nodeOf(parent, it, store));
  if (more > 0) out.push(moreNode(parent, more, store));
  if (store.size > out.length) {
    const keep = new Set(out.map((n) => n.id));
    for (const id of store.keys()) if (!keep.has(id)) store.delete(id);
  }
  return out;
}

/** The listed node that stands for `ep` of the channel (its own node or its group's); undefined past the cap. */
export function listedEndpointNode(parent: ChannelNode, ep: Endpoint, store: ChildStore): EndpointNode | undefined {
  const l = listingOf(parent.channel);
  const via = ep.fd !== undefined ? 'fd' : ep.map !== undefined ? 'map' : 'none';
  const i = l.at.get(groupKey(ep.pid, ep.mode, via)) ?? l.at.get(endpointKey(ep));
  return i === undefined ? undefined : nodeOf(parent, l.items[i], store);
}
