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
  /** Of `count` and `total`, the channels its kinds fold (TCP's closed connections), and what they are called. */
  folded = 0;
  foldedTotal = 0;
  foldedWord = '';
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
    item.description = this.countText();
    const md = safeMarkdown();
    md.appendMarkdown(`**${mdEscape(this.label)}** — ${this.count} shown${this.total !== this.count ? ` of ${this.total}` : ''}`);
    if (this.foldedTotal) md.appendMarkdown(`, ${this.folded} of them ${mdEscape(this.foldedWord)}${this.folded !== this.foldedTotal ? ` (${this.foldedTotal} in all)` : ''}`);
    md.appendMarkdown('\n\n');
    for (const k of this.kinds) md.appendMarkdown(`- ${mdEscape(KINDS[k].title)}: ${mdEscape(KINDS[k].teaching)}\n`);
    const note = this.capabilityNote(ctx.capabilities);
    if (note) md.appendMarkdown(`\n\n⚠ ${mdEscape(note)}`);
    item.tooltip = md;
    return item;
  }

  /**
   * `17`, `5 of 17` under a filter; with folded channels the others first, as the rows are:
   * `17 + 3,688 closed`, `5 of 17 + 12 of 3,688 closed` (a filter none of them pass drops that part).
   */
  countText(): string {
    const part = (n: number, of: number) => (n === of ? n.toLocaleString('en-US') : `${n.toLocaleString('en-US')} of ${of.toLocaleString('en-US')}`);
    if (!this.foldedTotal) return part(this.count, this.total);
    if (!this.folded && this.count !== this.total) return part(this.count, this.total - this.foldedTotal);
    return `${part(this.count - this.folded, this.total - this.foldedTotal)} + ${part(this.folded, this.foldedTotal)} ${this.foldedWord}`;
  }
}
