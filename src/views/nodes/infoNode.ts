// A line of text in a tree (an empty group's reason, `… 2,000 more`, `traced by …`, a signal set).
import * as vscode from 'vscode';
import { BaseNode, type IpcNode } from './base';
import { mdEscape, safeMarkdown } from './markdown';

export class InfoNode extends BaseNode {
  readonly type = 'info' as const;
  constructor(
    readonly id: string,
    readonly parent: IpcNode | undefined,
    public label: string,
    public description = '',
    public tooltip = '',
    public icon = 'info',
  ) {
    super();
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = 'ipc.info';
    item.description = this.description;
    if (this.tooltip) {
      const md = safeMarkdown();
      md.appendMarkdown(mdEscape(this.tooltip));
      item.tooltip = md;
    }
    item.iconPath = new vscode.ThemeIcon(this.icon);
    return item;
  }
}
