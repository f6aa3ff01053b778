// One row of a group that holds the channels its kind folds away (kind.fold): TCP connections
// their processes have closed, which the kernel keeps while TCP finishes (TIME-WAIT lasts 60 s).
// A web server leaves thousands; listed one by one they buried every held socket of the group.
import * as vscode from 'vscode';
import { BaseNode } from './base';
import type { GroupNode } from './groupNode';
import { mdEscape, safeMarkdown } from './markdown';

export class FoldNode extends BaseNode {
  readonly type = 'fold' as const;
  readonly id: string;
  /** Set by the provider each time it lists the group. */
  count = 0;
  label = '';
  description = '';
  constructor(
    readonly parent: GroupNode,
    public tooltip: string,
  ) {
    super();
    this.id = `${parent.id}/fold`;
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'ipc.fold';
    item.description = this.description;
    const md = safeMarkdown();
    // the states, which a narrow side bar cuts from the description
    md.appendMarkdown(`**${mdEscape(this.label)}** — ${mdEscape(this.description)}\n\n${mdEscape(this.tooltip)}`);
    item.tooltip = md;
    item.iconPath = new vscode.ThemeIcon('fold');
    return item;
  }
}
