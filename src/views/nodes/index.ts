// Tree node types shared by the Channels and Processes views, one class per file. Every node has
// a stable id, a parent (for reveal) and a contextValue the package.json menus key on:
//   ipc.group | ipc.fold | ipc.info | ipc.signals
//   ipc.channel.<kind>[ hasPeer][ removable]
//   ipc.endpoint.<kind>[ hasPeer]
//   ipc.process | ipc.section.<channels|internal|children> | ipc.bucket
// Node objects are kept by id in each provider and updated in place, never re-created.
import { ChannelNode } from './channelNode';
import { EndpointNode } from './endpointNode';
import { FoldNode } from './foldNode';
import { GroupNode } from './groupNode';
import { ProcessNode } from './processNode';
import { SignalsNode } from './signalsNode';
import { BucketNode, SectionNode } from './sectionNode';
import type { IpcNode } from './base';
import { fdRanges, groupFds } from '../../core/endpointGroups';

export { BaseNode, renderSignature, type IpcNode, type NodeType, type RenderContext } from './base';
export { mdEscape, plain, safeMarkdown } from './markdown';
export { FoldNode } from './foldNode';
export { GroupNode } from './groupNode';
export { InfoNode } from './infoNode';
export { ChannelNode, channelTooltip } from './channelNode';
export { EndpointNode, endpointGroupNodeId, endpointNodeId } from './endpointNode';
export { ProcessNode, processTooltip } from './processNode';
export { SignalsNode } from './signalsNode';
export { BucketNode, SectionNode, type SectionKind } from './sectionNode';

/** The plain data behind a node (Copy as JSON). */
export function nodeData(node: IpcNode): unknown {
  if (node instanceof ChannelNode) return node.channel;
  if (node instanceof EndpointNode) {
    const g = node.group;
    // a group's fds as runs, not thousands of endpoint objects
    if (g) return { channel: node.channel.id, pid: g.pid, mode: g.mode, ...(g.via === 'fd' ? { fdRanges: fdRanges(groupFds(g)) } : { maps: g.endpoints.map((e) => e.map) }), count: g.endpoints.length };
    return { channel: node.channel.id, ...node.endpoint };
  }
  if (node instanceof ProcessNode) return node.proc;
  if (node instanceof SignalsNode) return node.parent.proc.signals;
  if (node instanceof SectionNode) return { process: node.parent.proc.pid, section: node.section, count: node.count };
  if (node instanceof BucketNode) return { bucket: node.bucketId, label: node.label, pids: node.pids };
  if (node instanceof GroupNode) return { group: node.label, kinds: node.kinds, shown: node.count, total: node.total };
  if (node instanceof FoldNode) return { fold: node.label, group: node.parent.label, count: node.count, states: node.description };
  return { label: node.label, description: node.description };
}
