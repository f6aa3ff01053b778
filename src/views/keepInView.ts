// Keeps a row that a command selected for the user (Go to Channel or Process…, Show Warnings,
// Reveal Peer) in view while the tree changes around it.
//
// Why: the workbench keeps a tree's scroll position when rows come and go, so rows added above
// the selected one push it down and out of view (on a busy machine a browser's or a build's
// sockets come and go every scan, and they sort before most names): a person who picked a row
// saw it selected, then gone a few seconds later. After each refresh of the tree the row is
// revealed again, which scrolls only when the row is out of view. It never selects: a reveal
// cannot be called back once asked for, and one still on its way when the user (or the next pick)
// selected another row would select the old one again (seen: Go To's next pick undone that way).
//
// For how long: the workbench does not say when the user scrolls, so keeping the row in view
// for ever would pull back a person who scrolled away. It is kept while the pick is fresh — for
// KEEP_MS and the tree's next KEEP_REFRESHES refreshes, whichever ends later (a loaded machine
// scans every few seconds: a time alone could end before the tree changed once) — and no
// longer once the user acts in the view: selects another row, folds a row, or hides the view.
//
// Whose: one RowKeeper per tree view, made where the view is registered (extension.ts) and
// disposed with it (context.subscriptions); the commands that select rows are handed it. A new
// pick in a view replaces that view's kept row. No module state.
import type * as vscode from 'vscode';

/** The pick stays fresh for this long, */
const KEEP_MS = 10_000;
/** and for this many refreshes of the tree. */
const KEEP_REFRESHES = 3;

/** What a keeper uses of its tree view. */
export type KeptView<T> = Pick<vscode.TreeView<T>, 'reveal' | 'selection' | 'onDidChangeSelection' | 'onDidCollapseElement' | 'onDidChangeVisibility'>;

/** The row of one tree view kept in view after a command selected it. */
export class RowKeeper<T extends { readonly id: string }> implements vscode.Disposable {
  private current: { id: string; stop(why: string): void } | undefined;
  private disposed = false;

  constructor(
    /** The tree view it keeps a row of (the commands reveal in it). */
    readonly view: KeptView<T>,
    /** The tree provider's change event: a refresh after which the row is revealed again. */
    readonly changes: vscode.Event<unknown>,
    private readonly log?: (line: string) => void,
    /** The clock (tests give their own: no wait in a test). */
    private readonly now: () => number = Date.now,
  ) {}

  /** The id of the row kept in view now, if one is. */
  get kept(): string | undefined {
    return this.current?.id;
  }

  /** Stops keeping a row in view (a new pick is on its way: no reveal of the old row may come after it). */
  stop(): void {
    this.current?.stop('replaced');
  }

  dispose(): void {
    this.disposed = true;
    this.current?.stop('the view disposed');
  }

  /**
   * Reveals again the node `find` gives (by id: refreshes make nodes anew) after each refresh of
   * the view, while the pick is fresh; the last row kept stops being kept.
   */
  keep(find: () => T | undefined): void {
    this.stop();
    const id = find()?.id;
    if (this.disposed || id === undefined) return this.log?.(`keep ${id} in view: not kept (${this.disposed ? 'the view disposed' : 'nothing to keep'})`);
    const view = this.view;
    const until = this.now() + KEEP_MS;
    let refreshes = 0;
    let revealing = false;
    let again = false;
    let stopped = false;
    const stop = (why: string) => {
      if (stopped) return;
      stopped = true;
      for (const d of subs) d.dispose();
      if (this.current === kept) this.current = undefined;
      this.log?.(`keep ${id} in view: stopped (${why})`);
    };
    const kept = { id, stop };
    const reveal = async () => {
      if (revealing) {
        again = true;
        return;
      }
      revealing = true;
      try {
        do {
          again = false;
          const node = find();
          if (!node) return stop('no longer listed');
          // Waits for the refresh the change event queued (the extension host chains a reveal after it).
          await Promise.resolve(view.reveal(node, { select: false, focus: false, expand: false })).catch(() => undefined);
        } while (again && !stopped);
      } finally {
        revealing = false;
      }
    };
    const subs: vscode.Disposable[] = [
      this.changes(() => {
        if (refreshes++ >= KEEP_REFRESHES && this.now() >= until) return stop('the pick is no longer fresh');
        // after every listener of this event ran: the extension host's own queues the refresh a reveal waits for
        void Promise.resolve().then(() => (stopped ? undefined : reveal()));
      }),
      // An empty selection is a refresh's (the workbench resolves it through handles it is replacing), not the user's.
      view.onDidChangeSelection((e) => {
        if (e.selection.length && !e.selection.some((n) => n.id === id)) stop('another row selected');
      }),
      view.onDidCollapseElement(() => stop('a row folded')),
      view.onDidChangeVisibility((e) => {
        if (!e.visible) stop('the view hidden');
      }),
    ];
    this.current = kept;
  }
}
