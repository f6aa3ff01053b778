// Tree node types shared by the Channels and Processes views, one class per file. Every node has
// a stable id, a parent (for reveal) and a contextValue the package.json menus key on:
//   ipc.group | ipc.info | ipc.signals
//   ipc.channel.<kind>[ hasPeer][ removable]
//   ipc.endpoint.<kind>[ hasPeer]
//   ipc.process
// Node objects are kept by id in each provider and updated in place, never re-created.
import { ChannelNode } from './channelNode';
import { EndpointNode } from './endpointNode';
import { GroupNode } from './groupNode';
import { ProcessNode } from './processNode';
import { SignalsNode } from './signalsNode';
import { ContainerNode } from './containerNode';
import type { IpcNode } from './base';

export { BaseNode, type IpcNode, type NodeType, type RenderContext } from './base';
export { mdEscape, plain, safeMarkdown } from './markdown';
export { GroupNode } from './groupNode';
export { InfoNode } from './infoNode';
export { ChannelNode, channelTooltip } from './channelNode';
export { EndpointNode, endpointNodeId } from './endpointNode';
export { ProcessNode, processTooltip } from './processNode';
export { SignalsNode } from './signalsNode';
export { ContainerNode } from './containerNode';

/** The plain data behind a node (Copy as JSON). */
export function nodeData(node: IpcNode): unknown {
  if (node instanceof ChannelNode) return node.channel;
  if (node instanceof EndpointNode) return { channel: node.channel.id, ...node.endpoint };
  if (node instanceof ProcessNode) return node.proc;
  if (node instanceof SignalsNode) return node.parent.proc.signals;
  if (node instanceof GroupNode) return { group: node.label, kinds: node.kinds, shown: node.count, total: node.total };
  if (node instanceof ContainerNode) return { container: node.bucket.label, id: node.bucket.id, processes: node.bucket.pids };
  return { label: node.label, description: node.description };
}
