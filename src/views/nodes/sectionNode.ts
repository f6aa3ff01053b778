// A group node under a process in the Processes view (Channels, Internal, Children), and a
// grouping's own top-level node (a bucket, views/processGrouping.ts). Their members are the
// provider's; the node carries the label, the count and what the group means.
import * as vscode from 'vscode';
import { BaseNode, type IpcNode } from './base';
import type { ProcessNode } from './processNode';
import { mdEscape, plain, safeMarkdown } from './markdown';
import { plural } from '../../core/text';

export type SectionKind = 'channels' | 'internal' | 'children';

const SECTIONS: Record<SectionKind, { label: string; icon: string; help: string; noun: [string, string] }> = {
  channels: { label: 'Channels', icon: 'plug', help: 'The IPC channels this process holds, full or busy ones first.', noun: ['channel', 'channels'] },
  internal: {
    label: 'Internal',
    icon: 'debug-restart',
    help: 'Channels whose every end this process holds itself (self-pipes, socketpairs kept by one process): event loops wake themselves through them. They carry nothing between processes.',
    noun: ['channel', 'channels'],
  },
  children: { label: 'Children', icon: 'type-hierarchy-sub', help: 'Child processes (the nearest descendants that hold IPC).', noun: ['process', 'processes'] },
};

export class SectionNode extends BaseNode {
  readonly type = 'section' as const;
  readonly id: string;
  /** Members shown (set by the provider). */
  count = 0;
  constructor(
    readonly parent: ProcessNode,
    readonly section: SectionKind,
  ) {
    super();
    this.id = `${parent.id}/${section}`;
  }

  get label(): string {
    return SECTIONS[this.section].label;
  }

  toTreeItem(): vscode.TreeItem {
    const s = SECTIONS[this.section];
    // Channels open with their process; Internal and Children stay closed until asked for.
    const item = new vscode.TreeItem(s.label, this.section === 'channels' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = `ipc.section.${this.section}`;
    item.description = String(this.count);
    item.iconPath = new vscode.ThemeIcon(s.icon);
    const md = safeMarkdown();
    md.appendMarkdown(`**${s.label}** — ${plural(this.count, s.noun[0], s.noun[1])}\n\n${mdEscape(s.help, 1000)}`);
    item.tooltip = md;
    return item;
  }
}

/** A grouping's top-level node (e.g. a container), holding processes. */
export class BucketNode extends BaseNode {
  readonly type = 'bucket' as const;
  readonly id: string;
  pids: number[] = [];
  constructor(
    readonly grouping: string,
    readonly bucketId: string,
    public label: string,
    public icon: string,
    public description = '',
    public tooltip = '',
  ) {
    super();
    this.id = `bucket:${grouping}:${bucketId}`;
  }

  get parent(): IpcNode | undefined {
    return undefined;
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(plain(this.label), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'ipc.bucket';
    item.description = plain(this.description || String(this.pids.length));
    item.iconPath = new vscode.ThemeIcon(this.icon);
    if (this.tooltip) {
      // one paragraph per line (the grouping escaped the names in them: their own newlines are `\n`)
      const md = safeMarkdown();
      md.appendMarkdown(this.tooltip.split('\n').slice(0, 20).map((l) => mdEscape(l, 600)).join('\n\n'));
      item.tooltip = md;
    }
    return item;
  }
}
