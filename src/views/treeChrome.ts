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
// - decorators (src/problems/treeMarks.ts: the diagnosis's problem markers) may add to each item
//   and re-render the items they name.
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

/** Adds to the items of a tree (after the provider made them) and names the items to re-render. */
export interface TreeDecorator {
  decorate(item: vscode.TreeItem, element: IpcNode): void;
  /** On hover, after the provider's resolveTreeItem (tooltips). */
  resolve?(item: vscode.TreeItem, element: IpcNode): void;
  readonly onDidChange: vscode.Event<IpcNode[] | undefined>;
}

export class TreeChrome implements vscode.TreeDataProvider<IpcNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<IpcNode | IpcNode[] | undefined | null | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private readonly decorators: TreeDecorator[] = [];

  constructor(
    /** The provider; told when the workbench asks for the top level (views/filterOpen.ts: rows are made anew then). */
    private readonly inner: vscode.TreeDataProvider<IpcNode> & { topLevelAsked?(): void },
    private readonly model: ViewModel,
    private readonly what: 'channels' | 'processes',
  ) {
    if (inner.onDidChangeTreeData) this.disposables.push(inner.onDidChangeTreeData((e) => this.emitter.fire(e)));
    // The top level this class empties (below) comes back, or goes, with a change the provider
    // reports only for the nodes it drew: a filter that matched nothing now matching a new
    // process, or the last match gone. The whole tree then, or the view stays blank.
    this.disposables.push(
      model.onDidChange(() => {
        const empty = filteredToNothing(model, what);
        if (empty !== this.wasEmpty) this.emitter.fire(undefined);
        this.wasEmpty = empty;
      }),
    );
  }

  /** Was the top level emptied at the last model change? */
  private wasEmpty = false;

  /** Adds a decorator; dispose the result to remove it. */
  addDecorator(d: TreeDecorator): vscode.Disposable {
    this.decorators.push(d);
    const sub = d.onDidChange((nodes) => this.emitter.fire(nodes));
    return new vscode.Disposable(() => {
      sub.dispose();
      const i = this.decorators.indexOf(d);
      if (i >= 0) this.decorators.splice(i, 1);
    });
  }

  getTreeItem(element: IpcNode): vscode.TreeItem | Thenable<vscode.TreeItem> {
    const item = this.inner.getTreeItem(element);
    return item instanceof vscode.TreeItem ? this.withCommand(item, element) : Promise.resolve(item).then((i) => this.withCommand(i, element));
  }

  private withCommand(item: vscode.TreeItem, element: IpcNode): vscode.TreeItem {
    if (INSPECTABLE.has(element.type)) item.command = { command: INSPECT_SELECTION_COMMAND[this.what], title: 'Inspect' };
    for (const d of this.decorators) d.decorate(item, element);
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, element: IpcNode, token: vscode.CancellationToken): vscode.ProviderResult<vscode.TreeItem> {
    const done = (i: vscode.TreeItem | null | undefined) => {
      const out = i ?? item;
      for (const d of this.decorators) d.resolve?.(out, element);
      return out;
    };
    const r = this.inner.resolveTreeItem ? this.inner.resolveTreeItem(item, element, token) : item;
    return r instanceof vscode.TreeItem || r === undefined || r === null ? done(r) : Promise.resolve(r).then(done);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  getChildren(element?: IpcNode): vscode.ProviderResult<IpcNode[]> {
    if (!element) this.inner.topLevelAsked?.();
    if (!element && filteredToNothing(this.model, this.what)) return [];
    return this.inner.getChildren(element);
  }

  getParent(element: IpcNode): vscode.ProviderResult<IpcNode> {
    return this.inner.getParent ? this.inner.getParent(element) : undefined;
  }
}
