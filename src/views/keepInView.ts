// Keeps a row that a command selected for the user (Go to Channel or Process…, Show Warnings) in
// view while the tree changes around it.
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
import * as vscode from 'vscode';

/** The pick stays fresh for this long, */
const KEEP_MS = 10_000;
/** and for this many refreshes of the tree. */
const KEEP_REFRESHES = 3;

/** The keeper of each view: a new pick replaces the last one. */
const keepers = new WeakMap<object, vscode.Disposable>();

/** Stops keeping a row of `view` in view (a new pick is on its way: no reveal of the old row may come after it). */
export function stopKeepingInView(view: object): void {
  keepers.get(view)?.dispose();
}

/**
 * Reveals again the node `find` gives (by id: refreshes make nodes anew) after each refresh of
 * `view` (`changes`: its provider's change event), while the pick is fresh.
 */
export function keepInView<T extends { readonly id: string }>(view: vscode.TreeView<T>, changes: vscode.Event<unknown>, find: () => T | undefined, log?: (line: string) => void): vscode.Disposable {
  keepers.get(view)?.dispose();
  const id = find()?.id;
  const until = Date.now() + KEEP_MS;
  let refreshes = 0;
  let revealing = false;
  let again = false;
  let stopped = false;
  const stop = (why: string) => {
    if (stopped) return;
    stopped = true;
    for (const d of subs) d.dispose();
    if (keepers.get(view) === keeper) keepers.delete(view);
    log?.(`keep ${id} in view: stopped (${why})`);
  };
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
    changes(() => {
      if (refreshes++ >= KEEP_REFRESHES && Date.now() >= until) return stop('the pick is no longer fresh');
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
  const keeper = new vscode.Disposable(() => stop('replaced'));
  if (id === undefined) stop('nothing to keep');
  else keepers.set(view, keeper);
  return keeper;
}
