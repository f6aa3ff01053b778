// A text filter opens the rows holding its matches (issue 11, and a user who typed a filter and
// saw nothing change until they opened each group by hand): the Channels view's kind groups (and
// the fold row when only folded channels match), the Processes view's first matching processes
// with the group holding their matches (and the Children and buckets on the way to them). As in
// VS Code's Explorer filter, each new filter text opens them again; a row the user folds stays
// folded while the text stays.
//
// How: the workbench keeps each row's expansion by its TreeItem id and ignores the
// collapsibleState of an id it already shows (and a reveal per row took a round trip each and
// reached only rows it was told of). An opened row is given an id of the filter text's own
// (core/filter.ts openedItemId) and the state Expanded, so the workbench creates it anew, open.
// The rows' own ids come back when the filter is cleared, with the state the user gave them:
// the views remember the user's expansions by item id (views/renewingTreeView.ts) and never
// those of opened rows. Node ids (the providers' maps, reveal, getParent) are unchanged: only
// the item the workbench gets differs.
import * as vscode from 'vscode';
import { openedItemId } from '../core/filter';
import type { ViewModel } from './viewModel';

/** Processes a filter opens, top level first (the workbench fetches every open row's children; more would flood a narrow view). */
export const OPENED_PROCESSES = 8;

/** `item` opened by the filter: the filter text's id for it, Expanded. */
export function opened(item: vscode.TreeItem, model: ViewModel): vscode.TreeItem {
  if (item.id === undefined || item.collapsibleState === undefined || item.collapsibleState === vscode.TreeItemCollapsibleState.None) return item;
  item.id = openedItemId(item.id, model.textEpoch);
  item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
  return item;
}
