// A group of kinds in the Channels view (Pipes, Message Queues › System V, …): its count, what
// each kind is, and what a missing capability hides (each kind's descriptor says).
import * as vscode from 'vscode';
import type { Capabilities, ChannelKind } from '../../core/model';
import { KINDS } from '../../core/kinds';
import { BaseNode, type RenderContext } from './base';
import { mdEscape, safeMarkdown } from './markdown';

export class GroupNode extends BaseNode {
  readonly type = 'group' as const;
  readonly id: string;
  /** Set by the provider on each update. */
  count = 0;
  total = 0;
  constructor(
    readonly groupId: string,
    readonly label: string,
    readonly kinds: readonly ChannelKind[],
    readonly parent: GroupNode | undefined,
  ) {
    super();
    this.id = `group:${groupId}`;
  }

  /** Why this group may be empty or incomplete, when it is a capability problem. */
  capabilityNote(caps: Capabilities | undefined): string | undefined {
    if (!caps) return undefined;
    const notes: string[] = [];
    for (const k of this.kinds) {
      const n = KINDS[k].missing(caps);
      if (n !== undefined && !notes.includes(n)) notes.push(n);
    }
    if (!caps.root) notes.push('not running as root — other users\' processes may be hidden');
    return notes.length ? notes.join('; ') : undefined;
  }

  toTreeItem(ctx: RenderContext): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'ipc.group';
    item.description = this.count === this.total ? String(this.count) : `${this.count} of ${this.total}`;
    const md = safeMarkdown();
    md.appendMarkdown(`**${mdEscape(this.label)}** — ${this.count} shown${this.total !== this.count ? ` of ${this.total}` : ''}\n\n`);
    for (const k of this.kinds) md.appendMarkdown(`- ${mdEscape(KINDS[k].title)}: ${mdEscape(KINDS[k].teaching)}\n`);
    const note = this.capabilityNote(ctx.capabilities);
    if (note) md.appendMarkdown(`\n\n⚠ ${mdEscape(note)}`);
    item.tooltip = md;
    return item;
  }
}
