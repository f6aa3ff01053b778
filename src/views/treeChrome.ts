// What the workbench adds around each tree provider, without changing the providers themselves:
// - a click, a double-click or Enter on a channel, an endpoint, a process or its signals opens
//   the inspector, as the Explorer opens a file (the workbench then expands such items only with
//   their twistie or the arrow keys). TreeItem.command carries no arguments: the workbench
//   selects the item before it runs the command, and the command inspects the view's selection.
//   A command with arguments is kept by reference in the extension host and dropped when its
//   item is re-rendered, so a click on a row that a refresh re-rendered a moment before (every
//   second on a busy pipe) would run nothing;
// - when the filter or scope leaves nothing, the tree is empty, so that the view shows its one
//   empty-state message (TreeView.message, views/viewChrome.ts) instead of a row per group.
// Elements are the provider's own node objects, so reveal() and getParent() are unchanged.

import * as vscode from 'vscode';
import type { IpcNode } from './nodes';
import type { ViewModel } from './viewModel';

/** Node types a click inspects. */
const INSPECTABLE: ReadonlySet<IpcNode['type']> = new Set(['channel', 'endpoint', 'process', 'signals']);

/** What a click on an item of each view runs (commands/openInspector.ts). */
export const INSPECT_SELECTION_COMMAND = { channels: 'ipcInspector.channels.inspectSelection', processes: 'ipcInspector.processes.inspectSelection' } as const;

/** Is a click on this node an inspection? */
export function isInspectable(node: IpcNode | undefined): boolean {
  return !!node && INSPECTABLE.has(node.type);
}

/** Nothing to list because the filter or scope hides everything (the views then show a message). */
export function filteredToNothing(model: ViewModel, what: 'channels' | 'processes'): boolean {
  if (!model.snapshot) return false;
  if (!model.filtering && model.filter.scopePid === undefined) return false;
  return what === 'channels' ? model.result.channels.length === 0 : model.result.processes.length === 0;
}

export class TreeChrome implements vscode.TreeDataProvider<IpcNode> {
  readonly onDidChangeTreeData: vscode.Event<IpcNode | IpcNode[] | undefined | null | void> | undefined;

  constructor(
    private readonly inner: vscode.TreeDataProvider<IpcNode>,
    private readonly model: ViewModel,
    private readonly what: 'channels' | 'processes',
  ) {
    this.onDidChangeTreeData = inner.onDidChangeTreeData;
  }

  getTreeItem(element: IpcNode): vscode.TreeItem | Thenable<vscode.TreeItem> {
    const item = this.inner.getTreeItem(element);
    return item instanceof vscode.TreeItem ? this.withCommand(item, element) : Promise.resolve(item).then((i) => this.withCommand(i, element));
  }

  private withCommand(item: vscode.TreeItem, element: IpcNode): vscode.TreeItem {
    if (INSPECTABLE.has(element.type)) item.command = { command: INSPECT_SELECTION_COMMAND[this.what], title: 'Inspect' };
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, element: IpcNode, token: vscode.CancellationToken): vscode.ProviderResult<vscode.TreeItem> {
    return this.inner.resolveTreeItem ? this.inner.resolveTreeItem(item, element, token) : item;
  }

  /** Told when the workbench asks for the top level (views/filterReveal.ts reveals a new filter's matches then). */
  onTopLevel: ((what: 'channels' | 'processes') => void) | undefined;

  getChildren(element?: IpcNode): vscode.ProviderResult<IpcNode[]> {
    if (!element) this.onTopLevel?.(this.what);
    if (!element && filteredToNothing(this.model, this.what)) return [];
    return this.inner.getChildren(element);
  }

  getParent(element: IpcNode): vscode.ProviderResult<IpcNode> {
    return this.inner.getParent ? this.inner.getParent(element) : undefined;
  }
}
