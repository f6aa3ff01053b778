// One process's hold on a channel (an fd or a mapping, with its mode) under the channel's node.
import * as vscode from 'vscode';
import type { Channel, Endpoint } from '../../core/model';
import * as fmt from '../../core/format';
import { endpointPeers, peerChannelId } from '../../core/ends';
import { BaseNode, type RenderContext } from './base';
import type { ChannelNode } from './channelNode';
import { mdEscape, plain, safeMarkdown } from './markdown';

export class EndpointNode extends BaseNode {
  readonly type = 'endpoint' as const;
  constructor(
    readonly id: string,
    readonly parent: ChannelNode,
    public endpoint: Endpoint,
  ) {
    super();
  }

  get channel(): Channel {
    return this.parent.channel;
  }

  hasPeer(ctx: RenderContext): boolean {
    const ch = this.channel;
    return endpointPeers(ch, this.endpoint).length > 0 || peerChannelId(ch, ctx.channelsById) !== undefined;
  }

  toTreeItem(ctx: RenderContext): vscode.TreeItem {
    const ep = this.endpoint;
    const proc = ctx.procs.get(ep.pid);
    const item = new vscode.TreeItem(plain(fmt.endpointLabel(ep, proc)), vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = `ipc.endpoint.${this.channel.kind}${this.hasPeer(ctx) ? ' hasPeer' : ''}`;
    const prov = ctx.provenance?.(ep.pid);
    item.description = proc ? plain(prov ? `${proc.user} · ${prov.label}` : proc.user) : '';
    item.iconPath = new vscode.ThemeIcon(ep.mode === 'r' ? 'arrow-left' : ep.mode === 'w' ? 'arrow-right' : 'arrow-both');
    const md = safeMarkdown();
    const modeText = ep.mode === 'r' ? 'reads' : ep.mode === 'w' ? 'writes' : 'reads and writes';
    md.appendMarkdown(`**${mdEscape(fmt.processLabel(ep.pid, proc))}** ${modeText} through ${ep.fd !== undefined ? `fd ${ep.fd}` : `mapping ${mdEscape(ep.map ?? '?')}`}\n\n`);
    if (proc) {
      md.appendMarkdown(`- command: ${mdEscape(fmt.shownCommand(proc) || fmt.shownComm(proc))}\n- user: ${mdEscape(fmt.userText(proc))}\n`);
      if (prov) md.appendMarkdown(`- started by: ${mdEscape(prov.label)}\n`);
    }
    md.appendMarkdown(`- channel: ${mdEscape(this.channel.id)}\n`);
    item.tooltip = md;
    return item;
  }
}

/** Stable id of an endpoint node under a channel node. */
export function endpointNodeId(channelNodeId: string, ep: Endpoint): string {
  return `${channelNodeId}/ep:${ep.pid}:${ep.fd !== undefined ? ep.fd : `m${ep.map ?? ''}`}`;
}
