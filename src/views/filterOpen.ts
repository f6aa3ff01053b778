// A text filter opens the rows holding its matches (issue 11, and a user who typed a filter and
// saw nothing change until they opened each group by hand): in the Channels view the kind groups
// (those of a few hundred matches at most) and the fold row when only folded channels match; in
// the Processes view the first matching processes with their Channels (their Internal when they
// have no other) and Children, and the buckets holding them. As in VS Code's Explorer filter,
// each new filter text opens them again; a row the user folds stays folded while the text stays.
//
// How: the workbench keeps each row's expansion by its TreeItem id and ignores the
// collapsibleState of an id it already shows (and a reveal per row took a round trip each and
// reached only rows it was told of). An opened row is given an id of the filter text's own
// (core/filter.ts openedItemId) and the state Expanded, so the workbench creates it anew, open.
// The rows' own ids come back when the filter is cleared, with the state the user gave them:
// the views remember the user's expansions by item id (views/renewingTreeView.ts) and never
// those of opened rows. Node ids (the providers' maps, reveal, getParent) are unchanged: only
// the item the workbench gets differs.
//
// A row's item id never changes while the filter text stays (FilterOpener): whether the text opens
// a row is decided the first time the row is rendered under that text and kept, whatever the
// scans change after (a group's count, a fold, which processes come first). An id that changed
// under the same text would make the workbench replace the row: its expansion, its selection
// and a click's selection, which the extension host resolves through the row's handle, lost.
import * as vscode from 'vscode';
import { openedItemId, opensMatches, type FilterState } from '../core/filter';

/** Processes a filter opens, top level first (the workbench fetches every open row's children; more would flood a narrow view). */
export const OPENED_PROCESSES = 8;
/**
 * A group of channels a filter opens lists at most this many (the first letter typed matches
 * thousands of channels: the workbench would fetch them all on each key, and the group's count
 * says how many there are).
 */
export const OPENED_GROUP_ROWS = 500;

/** `item` opened by the filter text of `epoch`: the text's id for it, Expanded (a row that has no children keeps None). */
export function opened(item: vscode.TreeItem, epoch: number): vscode.TreeItem {
  if (item.id === undefined) return item;
  item.id = openedItemId(item.id, epoch);
  if (item.collapsibleState === vscode.TreeItemCollapsibleState.Collapsed) item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
  return item;
}

/**
 * The rows a filter text opens, decided once per row and text: `opens` is asked the first time
 * a row is rendered under a text (undefined: a row no filter opens, never remembered), and its
 * answer is kept until the text changes, so the row's item id stays the same for as long.
 *
 * The text the ids are of is the one the workbench last fetched the top level under
 * (topLevelAsked), not the model's: between a new text and that fetch the workbench still shows
 * the rows of the old one, and re-renders some of them (a partial refresh queued before, the
 * children of an open row). Such a row keeps its id: given another, the workbench would update
 * the row it shows in place (the expansion the filter gave it kept under the user's own id), or
 * lose the handle a click's selection names. The extension host asks the provider for the top
 * level only after it dropped every handle (a refresh of the whole tree), so from then on every
 * row is made anew under the new text's ids.
 */
export class FilterOpener<N extends object> {
  /** The text epoch of the rows the workbench shows (-1: none yet), and whether that text opens rows. */
  private epoch = -1;
  private opensShown = false;
  /** Row → opened, for the rows rendered under the shown text (nodes made anew are decided anew: their old rows are gone). */
  private decided = new WeakMap<N, boolean>();

  constructor(
    private readonly model: { readonly filter: FilterState; readonly textEpoch: number },
    private readonly opens: (node: N) => boolean | undefined,
  ) {}

  /** The workbench asks for the top level: every row is made anew, under the model's text from now on. */
  topLevelAsked(): void {
    if (this.epoch === this.model.textEpoch) return;
    this.epoch = this.model.textEpoch;
    this.opensShown = opensMatches(this.model.filter);
    this.decided = new WeakMap();
  }

  /** The item the workbench gets for `node`: its own, or opened by the shown filter text. */
  item(node: N, item: vscode.TreeItem): vscode.TreeItem {
    if (this.epoch === -1) this.topLevelAsked();
    if (!this.opensShown) return item;
    let open = this.decided.get(node);
    if (open === undefined) {
      // a row first rendered after the text changed, before the workbench asked for the new top
      // level, is not one the old text opened: its own id (the new top level makes it anew)
      if (this.epoch !== this.model.textEpoch) return item;
      const now = this.opens(node);
      if (now === undefined) return item;
      this.decided.set(node, (open = now));
    }
    return open ? opened(item, this.epoch) : item;
  }
}
