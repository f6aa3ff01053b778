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
import type { ContainerNode } from './containerNode';

export interface RenderContext {
  procs: ReadonlyMap<number, ProcessInfo>;
  channelsById: ReadonlyMap<string, Channel>;
  capabilities: Capabilities | undefined;
  /** Channel ids currently marked as new. */
  isNew(channelId: string): boolean;
  /** What started a process inside VS Code (src/provenance.ts), when known. */
  provenance?(pid: number): ProvenanceTag | undefined;
}

export type NodeType = 'group' | 'info' | 'channel' | 'endpoint' | 'process' | 'signals' | 'container';

export abstract class BaseNode {
  /** Discriminator (tests run in another bundle, where instanceof does not hold). */
  abstract readonly type: NodeType;
  abstract readonly id: string;
  abstract readonly parent: IpcNode | undefined;
  abstract toTreeItem(ctx: RenderContext): vscode.TreeItem;
}

export type IpcNode = GroupNode | InfoNode | ChannelNode | EndpointNode | ProcessNode | SignalsNode | ContainerNode;
