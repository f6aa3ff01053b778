// One process's hold on a channel under the channel's node: an fd or a mapping, with its mode; or,
// when the process holds many of them in one mode (core/endpointGroups: a pipe end dup'd to the
// fd limit), all of them as one node, `dupbomb[8275] — 19,993 fds (w): 4–9, 11–19999`. A group's
// actions (peek, signal, reveal peer, inspect) act through its first endpoint, a concrete one.
import * as vscode from 'vscode';
import type { Channel, Endpoint } from '../../core/model';
import * as fmt from '../../core/format';
import { fdRanges, groupFds, rangesText, type EndpointGroup } from '../../core/endpointGroups';
import { hasEndpointPeer, peerChannelId } from '../../core/ends';
import { BaseNode, type RenderContext } from './base';
import type { ChannelNode } from './channelNode';
import { mdEscape, plain, safeMarkdown } from './markdown';

/** Runs of fds a group's label shows (then `… N more`); its tooltip GROUP_TOOLTIP_RUNS (a tooltip line is bounded: CAPS.line). */
const GROUP_LABEL_RUNS = 4;
const GROUP_TOOLTIP_RUNS = 30;

export class EndpointNode extends BaseNode {
  readonly type = 'endpoint' as const;
  constructor(
    readonly id: string,
    readonly parent: ChannelNode,
    /** The endpoint; a group's first (its lowest fd). */
    public endpoint: Endpoint,
    /** Set when the node stands for all of a process's endpoints of one mode. */
    public group?: EndpointGroup,
  ) {
    super();
  }

  get channel(): Channel {
    return this.parent.channel;
  }

  hasPeer(ctx: RenderContext): boolean {
    const ch = this.channel;
    return hasEndpointPeer(ch, this.endpoint) || peerChannelId(ch, ctx.channelsById) !== undefined;
  }

  toTreeItem(ctx: RenderContext): vscode.TreeItem {
    const ep = this.endpoint;
    const g = this.group;
    const proc = ctx.procs.get(ep.pid);
    const label = g ? `${fmt.processLabel(ep.pid, proc)} \u2014 ${groupCount(g)} (${g.role ? `${g.role}, ` : ''}${g.mode})${g.via === 'fd' ? `: ${rangesText(fdRanges(groupFds(g)), GROUP_LABEL_RUNS, ', ')}` : ''}` : fmt.endpointLabel(ep, proc);
    const item = new vscode.TreeItem(plain(label), vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = `ipc.endpoint.${this.channel.kind}${this.hasPeer(ctx) ? ' hasPeer' : ''}`;
    const prov = ctx.provenance?.(ep.pid);
    item.description = proc ? plain(prov ? `${proc.user} · ${prov.label}` : proc.user) : '';
    item.iconPath = new vscode.ThemeIcon(ep.mode === 'r' ? 'arrow-left' : ep.mode === 'w' ? 'arrow-right' : 'arrow-both');
    const md = safeMarkdown();
    const modeText = ep.mode === 'r' ? 'reads' : ep.mode === 'w' ? 'writes' : 'reads and writes';
    const through = g
      ? `${groupCount(g)}: ${mdEscape(fmt.endpointGroupWhere(g, GROUP_TOOLTIP_RUNS).replace(/^(fd|map) /, ''))}`
      : ep.fd !== undefined ? `fd ${ep.fd}` : `mapping ${mdEscape(fmt.mapText(ep))}`;
    md.appendMarkdown(`**${mdEscape(fmt.processLabel(ep.pid, proc))}** ${modeText} through ${through}\n\n`);
    if (proc) {
      md.appendMarkdown(`- command: ${mdEscape(fmt.shownCommand(proc) || fmt.shownComm(proc))}\n- user: ${mdEscape(fmt.userText(proc))}\n`);
      if (prov) md.appendMarkdown(`- started by: ${mdEscape(prov.label)}\n`);
    }
    md.appendMarkdown(`- channel: ${mdEscape(this.channel.id)}\n`);
    if (g) md.appendMarkdown(`\nActions act through ${ep.fd !== undefined ? `fd ${ep.fd}` : 'its first mapping'}. Every one of them: \`ipc-inspector snapshot --pid ${ep.pid}\`, or \`--json\`.\n`);
    item.tooltip = md;
    return item;
  }
}

/** `19,993 fds`, `12 mappings`. */
function groupCount(g: EndpointGroup): string {
  const n = g.endpoints.length;
  return `${n.toLocaleString('en-US')} ${g.via === 'fd' ? 'fds' : 'mappings'}`;
}

/** Stable id of an endpoint node under a channel node. */
export function endpointNodeId(channelNodeId: string, ep: Endpoint): string {
  return `${channelNodeId}/ep:${ep.pid}:${ep.fd !== undefined ? ep.fd : `m${ep.map ?? ''}`}`;
}

/** Stable id of a group's node under a channel node: the process and mode, whichever fds it holds now. */
export function endpointGroupNodeId(channelNodeId: string, g: EndpointGroup): string {
  return `${channelNodeId}/eps:${g.pid}:${g.mode}:${g.via}`;
}
