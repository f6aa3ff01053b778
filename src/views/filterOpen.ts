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
import * as vscode from 'vscode';
import { openedItemId } from '../core/filter';
import type { ViewModel } from './viewModel';

/** Processes a filter opens, top level first (the workbench fetches every open row's children; more would flood a narrow view). */
export const OPENED_PROCESSES = 8;
/**
 * A group of channels a filter opens lists at most this many (the first letter typed matches
 * thousands of channels: the workbench would fetch them all on each key, and the group's count
 * says how many there are).
 */
export const OPENED_GROUP_ROWS = 500;

/** `item` opened by the filter: the filter text's id for it, Expanded. */
export function opened(item: vscode.TreeItem, model: ViewModel): vscode.TreeItem {
  if (item.id === undefined || item.collapsibleState === undefined || item.collapsibleState === vscode.TreeItemCollapsibleState.None) return item;
  item.id = openedItemId(item.id, model.textEpoch);
  item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
  return item;
}
