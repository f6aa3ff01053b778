// A TreeView that replaces its workbench view after it has shown many items, so that a view left
// open all day does not grow the extension host without end.
//
// Why: VS Code's extension host keeps a record of every tree item it ever created for a view
// until that view is disposed (ExtHostTreeView._createTreeNode registers a DisposableStore on the
// view itself, and a node's dispose() never takes it off: code-server 4.139.1; 235 B an item
// here). Every refresh of an element creates its item and the items of its fetched children anew,
// and a change of a view's top level (a process holding IPC starts or exits) re-creates every row,
// so on a machine where processes come and go the host grows for as long as the view is open
// (bench/README.md: ~12 MiB a minute under churn in the soak of 2026-12-01, +126 MiB after 300
// top-level refreshes on 2026-12-06). Disposing the view frees them all; the same view id is then
// registered again with the same provider. The workbench forgets the view's expanded rows then
// (its tree is emptied when the provider goes), so the new view hands it the rows expanded before
// as Expanded items, which it expands as it fetches them, shown or not (reveal() would open a
// closed view, and a reveal per row took a round trip each); the selection is selected again once
// the new view is shown (which scrolls it into view); message, title, description, badge,
// visibility and the selection as this side reports them are carried over.
//
// When: once the view created `limit` items, at once if it is hidden, else at the first moment no
// item was fetched for QUIET_MS (the workbench is not in the middle of walking the tree: a walk
// after a refresh takes a few ms, refreshes come at most once a second). A fetch that still
// reaches the old view gets no children and no error notification (the workbench ignores its "no
// tree view" errors), and the new view's registration refreshes the whole view anyway.

import * as vscode from 'vscode';

/** Items a view may create before it is replaced: ~100 B–300 B of host memory each. */
export const RENEW_AFTER_ITEMS = 100_000;
/** A renewal waits until the workbench fetched nothing for this long. */
const QUIET_MS = 250;
/** Expanded rows remembered to expand again, the most recently expanded kept. */
const MAX_EXPANDED = 200;

/** Puts `e` at the newest end of `rows`, forgetting the oldest past MAX_EXPANDED. */
function remember<T>(rows: Set<T>, e: T): void {
  rows.delete(e);
  rows.add(e);
  if (rows.size > MAX_EXPANDED) rows.delete(rows.values().next().value as T);
}

/**
 * `item` flipped to `to` (Expanded or Collapsed) when it is the other of the two; a copy, since the
 * provider may hand out an item it keeps. A row that cannot open (None) stays as it is.
 */
function withState(item: vscode.TreeItem, to: vscode.TreeItemCollapsibleState.Expanded | vscode.TreeItemCollapsibleState.Collapsed): vscode.TreeItem {
  if (item.collapsibleState === undefined || item.collapsibleState === vscode.TreeItemCollapsibleState.None || item.collapsibleState === to) return item;
  return Object.assign(Object.create(Object.getPrototypeOf(item) as object) as vscode.TreeItem, item, { collapsibleState: to });
}

export class RenewingTreeView<T> implements vscode.TreeView<T> {
  private inner: vscode.TreeView<T>;
  private innerSubs: vscode.Disposable[] = [];
  /** A whole refresh was fired while the view was hidden: the workbench runs it when the view is shown, and a reveal does not wait for it. */
  private deferred = false;
  /** A whole refresh of our own (refreshShown). */
  private readonly refetch = new vscode.EventEmitter<undefined>();
  private readonly expand = new vscode.EventEmitter<vscode.TreeViewExpansionEvent<T>>();
  private readonly collapse = new vscode.EventEmitter<vscode.TreeViewExpansionEvent<T>>();
  private readonly select = new vscode.EventEmitter<vscode.TreeViewSelectionChangeEvent<T>>();
  private readonly visibility = new vscode.EventEmitter<vscode.TreeViewVisibilityChangeEvent>();
  private readonly checkbox = new vscode.EventEmitter<vscode.TreeCheckboxChangeEvent<T>>();
  readonly onDidExpandElement = this.expand.event;
  readonly onDidCollapseElement = this.collapse.event;
  readonly onDidChangeSelection = this.select.event;
  readonly onDidChangeVisibility = this.visibility.event;
  readonly onDidChangeCheckboxState = this.checkbox.event;
  /** What was set on this side, applied again to each new view (unset: the manifest's). */
  private readonly chrome: { message?: string; title?: string; description?: string; badge?: vscode.ViewBadge; badgeSet?: boolean } = {};
  private shown: boolean;
  private sel: readonly T[] = [];
  private carried: readonly T[] | undefined;
  /**
   * Rows expanded in the workbench, oldest first (told by its events), to expand again in a new
   * view: by their item id, as the workbench keeps them (an element without one by itself). So a
   * row whose node is made anew (a process that left the filter and came back) keeps its state,
   * and a row shown under another id for a while (views/filterOpen.ts) gets its own back.
   */
  private readonly expanded = new Set<T | string>();
  /**
   * Rows a filter text opened (transientId) that the user folded while the text stays: a new view
   * hands them out folded, though the provider's item says Expanded. The workbench keeps a row's
   * state by its id and ignores the item's once it shows the id, so this only matters to a view
   * made anew, which would otherwise open them again.
   */
  private readonly collapsed = new Set<T | string>();
  /** The item id each element was last rendered with (the workbench's events name elements). */
  private readonly idOf = new WeakMap<object, string>();
  private reselectOnShow = false;
  /** Items the current view created (the elements the workbench fetched). */
  private created = 0;
  private lastFetch = 0;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private disposed = false;
  private readonly providerSub: vscode.Disposable | undefined;
  /** Views replaced so far. */
  renewals = 0;
  /** Items the current view created so far. */
  get itemsCreated(): number {
    return this.created;
  }

  constructor(
    private readonly viewId: string,
    private readonly options: vscode.TreeViewOptions<T>,
    /** Items a view may create before it is replaced; tests lower it. */
    public limit = RENEW_AFTER_ITEMS,
    /** Item ids whose expansion is not the user's to keep (rows a filter opened: views/filterOpen.ts). */
    private readonly transientId: (id: string) => boolean = () => false,
  ) {
    this.inner = this.attach();
    this.shown = this.inner.visible;
    this.providerSub = options.treeDataProvider.onDidChangeTreeData?.((e) => {
      if ((e === undefined || e === null) && !this.shown) this.deferred = true;
    });
  }

  get visible(): boolean {
    return this.shown;
  }
  /** The workbench's view resolves its selection through its handles at each read (empty while a
   *  refresh has dropped them: commands/openInspector.ts waits that out); a new view knows none
   *  until the workbench reports the selection again, so the old one's is carried until then. */
  get selection(): readonly T[] {
    return this.carried ?? this.inner.selection;
  }
  get message(): string | undefined {
    return this.chrome.message;
  }
  set message(v: string | undefined) {
    this.chrome.message = v;
    this.inner.message = v;
  }
  get title(): string | undefined {
    return this.chrome.title ?? this.inner.title;
  }
  set title(v: string | undefined) {
    this.chrome.title = v;
    this.inner.title = v;
  }
  get description(): string | undefined {
    return this.chrome.description;
  }
  set description(v: string | undefined) {
    this.chrome.description = v;
    this.inner.description = v;
  }
  get badge(): vscode.ViewBadge | undefined {
    return this.chrome.badge;
  }
  set badge(v: vscode.ViewBadge | undefined) {
    this.chrome.badge = v;
    this.chrome.badgeSet = true;
    this.inner.badge = v;
  }

  async reveal(element: T, options?: { select?: boolean; focus?: boolean; expand?: boolean | number }): Promise<void> {
    if (this.renewing) await this.renewing;
    if (this.deferred) await this.refreshShown(options?.focus ?? false);
    return this.inner.reveal(element, options);
  }

  /**
   * Opens the view when it is hidden and refreshes it once more, which the reveal after it waits
   * for. A whole refresh of a hidden view is deferred by the workbench until the view is shown,
   * and that refresh is not one a reveal waits for (the extension host does not see it): until it
   * is done, the workbench reveals in the rows of before the refresh, and where their handles
   * differ (a filter text opens rows under ids of its own: views/filterOpen.ts) it finds no row
   * and does nothing, or fails with "Data tree node not found". The workbench runs a refresh only
   * after the one under way, and the reveal waits for this one. That refresh also fetches the top
   * level, which moves the rows' item ids to a new filter text (views/filterOpen.ts topLevelAsked)
   * before the reveal makes the row's item: without it the reveal named a handle of the old text
   * ("Cannot resolve tree item"). (test/extension/trees.test.ts, "a reveal in a hidden view…":
   * fails without this refresh; it once also needed getParent to move the ids, which this covers.)
   */
  private async refreshShown(focus: boolean): Promise<void> {
    this.deferred = false;
    if (!this.shown) await Promise.resolve(this.inner.reveal(undefined as unknown as T, { select: false, focus })).catch(() => undefined);
    this.refetch.fire(undefined);
  }

  /** Replaces the view now (tests; otherwise after `limit` items). */
  renew(): Promise<void> {
    this.renewing ??= this.replace().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  dispose(): void {
    this.disposed = true;
    this.providerSub?.dispose();
    this.refetch.dispose();
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.innerSubs.splice(0)) d.dispose();
    this.inner.dispose();
    for (const e of [this.expand, this.collapse, this.select, this.visibility, this.checkbox]) e.dispose();
  }

  private attach(): vscode.TreeView<T> {
    const provider = this.options.treeDataProvider;
    // The provider as the workbench sees it: the same, counting what each fetch creates.
    // Each item the extension host creates (a fetched child, or an element it re-renders) is one
    // getTreeItem call: count those.
    const counting: vscode.TreeDataProvider<T> = {
      // the provider's changes, and the refreshes of our own a reveal asks for (refreshShown)
      onDidChangeTreeData: (listener, thisArg, disposables) => {
        const own = this.refetch.event(listener, thisArg);
        const its = provider.onDidChangeTreeData?.(listener, thisArg);
        const both = its ? vscode.Disposable.from(own, its) : own;
        disposables?.push(both);
        return both;
      },
      getTreeItem: (e) => {
        this.fetched();
        const item = provider.getTreeItem(e);
        // Every time, not once: a reveal() makes the extension host create items the workbench
        // never sees (it resolves the parent chain itself), and an item the workbench knows keeps
        // the state the user gave it whatever the provider says.
        const remembered = (i: vscode.TreeItem) => {
          if (typeof e === 'object' && e !== null) {
            if (i.id === undefined) this.idOf.delete(e);
            else this.idOf.set(e, i.id);
          }
          const key = i.id ?? e;
          return this.expanded.has(key) ? withState(i, vscode.TreeItemCollapsibleState.Expanded) : this.collapsed.has(key) ? withState(i, vscode.TreeItemCollapsibleState.Collapsed) : i;
        };
        return typeof (item as Thenable<vscode.TreeItem>).then === 'function' ? (item as Thenable<vscode.TreeItem>).then(remembered) : remembered(item as vscode.TreeItem);
      },
      getParent: provider.getParent ? (e) => provider.getParent!(e) : undefined,
      resolveTreeItem: provider.resolveTreeItem ? (i, e, t) => provider.resolveTreeItem!(i, e, t) : undefined,
      getChildren: (e) => {
        this.lastFetch = Date.now();
        return provider.getChildren(e);
      },
    };
    const view = vscode.window.createTreeView(this.viewId, { ...this.options, treeDataProvider: counting });
    const c = this.chrome;
    if (c.message !== undefined) view.message = c.message;
    if (c.title !== undefined) view.title = c.title;
    if (c.description !== undefined) view.description = c.description;
    if (c.badgeSet) view.badge = c.badge;
    this.innerSubs = [
      // Rows the workbench expands on its own (an Expanded item) may send no event: they stay
      // remembered until collapsed.
      view.onDidExpandElement((e) => {
        const key = this.keyOf(e.element);
        this.collapsed.delete(key);
        if (typeof key !== 'string' || !this.transientId(key)) remember(this.expanded, key);
        this.expand.fire(e);
      }),
      view.onDidCollapseElement((e) => {
        const key = this.keyOf(e.element);
        this.expanded.delete(key);
        if (typeof key === 'string' && this.transientId(key)) remember(this.collapsed, key);
        this.collapse.fire(e);
      }),
      view.onDidChangeCheckboxState((e) => this.checkbox.fire(e)),
      view.onDidChangeSelection((e) => {
        this.sel = e.selection;
        this.carried = undefined;
        this.select.fire(e);
      }),
      view.onDidChangeVisibility((e) => {
        this.setShown(e.visible);
        // Only the new view's own "visible" selects again: this side's word may be stale (the old
        // view's "hidden" went to nobody once it was unsubscribed), and reveal() opens a closed view.
        if (e.visible && this.reselectOnShow && this.inner === view) void this.reselect();
      }),
    ];
    return view;
  }

  /** What an element's expansion is remembered by: the id it was last rendered with, or itself. */
  private keyOf(e: T): T | string {
    return (typeof e === 'object' && e !== null ? this.idOf.get(e) : undefined) ?? e;
  }

  private setShown(visible: boolean): void {
    if (visible === this.shown) return;
    this.shown = visible;
    this.visibility.fire({ visible });
    if (!visible) this.schedule(0);
  }

  private fetched(): void {
    this.created++;
    this.lastFetch = Date.now();
    this.schedule(QUIET_MS);
  }

  private schedule(ms: number): void {
    if (this.created < this.limit || this.timer || this.disposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const quietFor = Date.now() - this.lastFetch;
      if (this.shown && quietFor < QUIET_MS) return this.schedule(QUIET_MS - quietFor);
      void this.renew();
    }, ms);
  }

  /** Selects the old view's selection again in the new one, unless something was selected in the
   *  new one meanwhile (a click, a reveal): that stays. */
  private async reselect(): Promise<void> {
    this.reselectOnShow = false;
    const sel = this.carried?.[0];
    if (sel !== undefined) await this.inner.reveal(sel, { select: true, focus: false }).then(undefined, () => undefined);
  }

  private async replace(): Promise<void> {
    const old = this.inner;
    this.carried = old.selection.length ? old.selection : this.sel.length ? this.sel : undefined;
    for (const d of this.innerSubs.splice(0)) d.dispose();
    // The old view must be gone before the id is registered again: its dispose() removes the
    // view registered under its id, whichever that is by then.
    await Promise.resolve(old.dispose() as unknown);
    if (this.disposed) return;
    this.created = 0;
    this.inner = this.attach();
    this.renewals++;
    // Selected again when the new view says it is visible: the workbench tells it when it
    // registers, if it is shown then, else when it is shown later.
    this.reselectOnShow = true;
    // A new view starts as hidden and is told nothing if it still is: take its word after a
    // moment.
    const view = this.inner;
    setTimeout(() => {
      if (!this.disposed && this.inner === view) this.setShown(view.visible);
    }, 2_000).unref?.();
  }
}
