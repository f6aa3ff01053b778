// A process's signal state under its node: one row per signal set (core/signalSets.ts).
import * as vscode from 'vscode';
import { signalSetsOf } from '../../core/signalSets';
import { BaseNode } from './base';
import type { ProcessNode } from './processNode';
import { mdEscape, safeMarkdown } from './markdown';

export class SignalsNode extends BaseNode {
  readonly type = 'signals' as const;
  readonly id: string;
  constructor(readonly parent: ProcessNode) {
    super();
    this.id = `${parent.id}/signals`;
  }

  /** [title, signals] per set, in view order. */
  rows(): Array<[string, string[]]> {
    return signalSetsOf(this.parent.proc.signals).map(([set, names]) => [set.title, names]);
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Signals', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'ipc.signals';
    item.description = this.rows()
      .map(([k, v]) => `${k.toLowerCase()} ${v.length}`)
      .join(' · ');
    item.iconPath = new vscode.ThemeIcon('zap');
    const md = safeMarkdown();
    md.appendMarkdown('**Signals** — asynchronous notifications; a process may catch (run a handler), ignore or block (defer) each one, except SIGKILL and SIGSTOP.\n\n');
    for (const [k, v] of this.rows()) md.appendMarkdown(`- ${mdEscape(k)}: ${mdEscape(v.join(', ') || 'none')}\n`);
    item.tooltip = md;
    return item;
  }
}
