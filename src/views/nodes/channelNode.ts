// One IPC channel in either tree: its label (name and holders), short facts, its kind's icon (a
// warning icon when something is wrong), and a tooltip with every fact (core/format reads the
// kind's columns). contextValue `ipc.channel.<kind>[ hasPeer][ removable]` drives the menus.
import * as vscode from 'vscode';
import type { Channel } from '../../core/model';
import * as fmt from '../../core/format';
import { describe } from '../../core/kinds';
import { isRemovable } from '../../core/actions/remove';
import { isListener } from '../../core/ports';
import { peerChannelId } from '../../core/ends';
import { channelWarnings } from '../../core/diagnose/channelWarnings';
import { BaseNode, type IpcNode, type RenderContext } from './base';
import { formatRate } from '../../core/activity/format';

/** Two significant digits: 12,345 bytes/s reads 12 KiB/s and stays so while the rate wobbles; under a byte a second stays so (`< 1 byte/s`). */
function roundRate(r: number): number {
  if (r < 1) return r;
  const p = Math.pow(10, Math.floor(Math.log10(r)) - 1);
  return Math.round(r / p) * p;
}
import { mdEscape, plain, safeMarkdown } from './markdown';

export class ChannelNode extends BaseNode {
  readonly type = 'channel' as const;
  constructor(
    readonly id: string,
    /** Its group, or the group's fold row (views/channelsTree.ts moves it when it enters or leaves the fold). */
    public parent: IpcNode | undefined,
    public channel: Channel,
  ) {
    super();
  }

  contextValue(ctx: RenderContext): string {
    const ch = this.channel;
    let v = `ipc.channel.${ch.kind}`;
    if (peerChannelId(ch, ctx.channelsById)) v += ' hasPeer';
    if (isRemovable(ch)) v += ' removable';
    if (isListener(ch)) v += ' listener'; // Free Port… (commands/freePort.ts)
    return v;
  }

  toTreeItem(ctx: RenderContext): vscode.TreeItem {
    const ch = this.channel;
    const item = new vscode.TreeItem(
      plain(fmt.channelTreeLabel(ch, ctx.procs)),
      ch.endpoints.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    item.contextValue = this.contextValue(ctx);
    // the tracer's measured throughput, rounded so a row changes only when its reading does
    const rate = ctx.rate?.(ch.id);
    const desc = plain(fmt.channelDescription(ch) + (rate !== undefined && rate > 0 ? ` · ${formatRate(roundRate(rate))}` : ''));
    item.description = ctx.isNew(ch.id) ? `✦ new${desc ? ' · ' + desc : ''}` : desc;
    const warnings = channelWarnings(ch);
    item.iconPath = warnings.length
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon(describe(ch).icon);
    // The tooltip (every fact, the inode) is built on hover: resolveTreeItem → channelTooltip.
    return item;
  }
}

export function channelTooltip(ch: Channel, ctx: RenderContext, warnings = channelWarnings(ch)): vscode.MarkdownString {
  const d = describe(ch);
  const md = safeMarkdown();
  md.appendMarkdown(`**${mdEscape(d.title)}** — ${mdEscape(d.teaching)}\n\n`);
  for (const w of warnings) md.appendMarkdown(`⚠ ${mdEscape(w)}\n\n`);
  // Title and teaching are the heading; holders follow under Held by.
  for (const line of fmt.channelFactLines(ch, ctx.procs)) md.appendMarkdown(`- ${mdEscape(line)}\n`);
  if (ch.endpoints.length) {
    md.appendMarkdown(`\n**Held by**\n\n`);
    // a process's fds of one mode on one line, at most fmt.HOLDER_LINES lines
    for (const line of fmt.holderLines(ch, ctx.procs)) md.appendMarkdown(`- ${mdEscape(line)}\n`);
  } else {
    md.appendMarkdown(`\n${mdEscape(d.unheld ?? 'No process holds it.')}\n`);
  }
  return md;
}
