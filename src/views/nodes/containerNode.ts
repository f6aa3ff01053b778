// A container (or "Host") at the top of the Processes view when it is grouped by container
// (views/containerGrouping.ts): its name, runtime and short id; the network namespace and full id
// in the tooltip. Its processes are the provider's.
import * as vscode from 'vscode';
import { BaseNode, type IpcNode } from './base';
import { mdEscape, plain, safeMarkdown } from './markdown';
import type { ProcessBucket } from '../containerGrouping';

export class ContainerNode extends BaseNode {
  readonly type = 'container' as const;
  readonly id: string;
  constructor(public bucket: ProcessBucket) {
    super();
    this.id = `container:${bucket.id}`;
  }

  get parent(): IpcNode | undefined {
    return undefined;
  }

  toTreeItem(): vscode.TreeItem {
    const b = this.bucket;
    const item = new vscode.TreeItem(plain(b.label), vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    item.contextValue = b.id === 'host' ? 'ipc.container.host' : 'ipc.container';
    item.description = plain(b.description ?? '');
    item.iconPath = new vscode.ThemeIcon(b.icon);
    const md = safeMarkdown();
    for (const line of (b.tooltip ?? '').split('\n')) md.appendMarkdown(`${mdEscape(line)}\n\n`);
    item.tooltip = md;
    return item;
  }
}
