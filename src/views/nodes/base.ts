// What every tree node has: a stable id (→ TreeItem.id, so expansion and selection survive
// refreshes), a parent (for reveal) and a type tag; and what rendering one needs (RenderContext).
import type * as vscode from 'vscode';
import type { Capabilities, Channel, ProcessInfo } from '../../core/model';
import type { ProvenanceTag } from '../../provenance';
import type { GroupNode } from './groupNode';
import type { InfoNode } from './infoNode';
import type { ChannelNode } from './channelNode';
import type { EndpointNode } from './endpointNode';
import type { ProcessNode } from './processNode';
import type { SignalsNode } from './signalsNode';
import type { BucketNode, SectionNode } from './sectionNode';
import type { FoldNode } from './foldNode';

export interface RenderContext {
  procs: ReadonlyMap<number, ProcessInfo>;
  channelsById: ReadonlyMap<string, Channel>;
  capabilities: Capabilities | undefined;
  /** Channel ids currently marked as new. */
  isNew(channelId: string): boolean;
  /** What started a process inside VS Code (src/provenance.ts), when known. */
  provenance?(pid: number): ProvenanceTag | undefined;
  /** Bytes/s the live-activity tracer measured on a channel in its latest sample (undefined: no tracer, or idle). */
  rate?(channelId: string): number | undefined;
}

export type NodeType = 'group' | 'fold' | 'info' | 'channel' | 'endpoint' | 'process' | 'signals' | 'section' | 'bucket';

export abstract class BaseNode {
  /** Discriminator (tests run in another bundle, where instanceof does not hold). */
  abstract readonly type: NodeType;
  abstract readonly id: string;
  abstract readonly parent: IpcNode | undefined;
  abstract toTreeItem(ctx: RenderContext): vscode.TreeItem;
}

export type IpcNode = GroupNode | FoldNode | InfoNode | ChannelNode | EndpointNode | ProcessNode | SignalsNode | SectionNode | BucketNode;

/**
 * What a person sees of a rendered item (label, description, icon, state, menus), not its
 * tooltip (resolved on hover): the providers fire an element only when this changed, so an item
 * that is hovered, selected or focused is not replaced while it looks the same (issue 11).
 */
export function renderSignature(item: vscode.TreeItem): string {
  const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  const icon = item.iconPath instanceof Object && 'id' in item.iconPath ? `${(item.iconPath as { id: string }).id}/${(item.iconPath as { color?: { id: string } }).color?.id ?? ''}` : String(item.iconPath ?? '');
  return `${label}\u0000${String(item.description ?? '')}\u0000${icon}\u0000${item.contextValue ?? ''}\u0000${item.collapsibleState ?? ''}`;
}
