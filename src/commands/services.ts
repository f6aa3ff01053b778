// What every command file gets: the live source, the view model and trees, the filter controller,
// the log, and the UI door (src/ui.ts: every notification, modal and quick pick, escaped; test
// hooks replace the modal and the quick pick only in test mode).

import * as vscode from 'vscode';
import type { Channel, Snapshot } from '../core/model';
import { lookupChannelId, unambiguousIds } from '../core/channelIds';
import type { SnapshotOptions } from '../core/snapshot';
import { SnapshotService, workerScriptOf } from '../core/snapshotService';
import type { LiveSnapshots } from '../liveSnapshots';
import type { StatusBar } from '../statusBar';
import type { ChannelsTree } from '../views/channelsTree';
import type { FilterController } from '../views/filterController';
import type { RowKeeper } from '../views/keepInView';
import { ChannelNode, EndpointNode, IpcNode, ProcessNode, SignalsNode } from '../views/nodes';
import type { ProcessesTree } from '../views/processesTree';
import type { ViewModel } from '../views/viewModel';
import type { TestHooks, Ui } from '../ui';
import type { Inspector } from '../webviews/inspector';
import type { Provenance } from '../provenance';
import type { DebugScope } from '../debugScope';

export type { TestHooks } from '../ui';

/** The live source and the view parts built at activation: what commands use and the test API exposes. */
export interface ViewParts {
  source: LiveSnapshots;
  model: ViewModel;
  filters: FilterController;
  channelsTree: ChannelsTree;
  processesTree: ProcessesTree;
  channelsView: vscode.TreeView<IpcNode>;
  processesView: vscode.TreeView<IpcNode>;
  /** Each view's row a command selected, kept in view while the tree changes (views/keepInView.ts). */
  channelsKeeper: RowKeeper<IpcNode>;
  processesKeeper: RowKeeper<IpcNode>;
}

export interface Services extends ViewParts {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  testHooks: TestHooks;
  ui: Ui;
  /** The inspector panel (open, what it shows, focus). */
  inspector?: Inspector;
  /** The status bar item: the current warnings. */
  statusBar?: StatusBar;
  /** What started each process inside VS Code (terminal, task, debug session, VS Code itself). */
  provenance?: Provenance;
  /** The debug-session scope (Scope to this Debug Session). */
  debugScope?: DebugScope;
}

/**
 * A one-off scan for a command (Free Port's re-scan after the stop) in a worker of its own, as the
 * views' scans run: a scan reads other users' /proc files, never on the extension host's thread.
 */
export function workerScan(s: Services): (opts: SnapshotOptions) => Promise<Snapshot> {
  return async (opts) => {
    const svc = new SnapshotService({ ...opts, workerPath: workerScriptOf(s.context.extensionPath) });
    try {
      return (await svc.next()).snapshot;
    } finally {
      svc.dispose();
    }
  };
}

/** A modal yes/no naming the action (escaped; the test hook answers instead in test mode). */
export async function confirm(s: Services, message: string, detail: string, action: string): Promise<boolean> {
  return s.ui.confirm({ title: message, detail, action });
}

/** A quick pick with escaped label, description and detail (the test hook answers in test mode). */
export async function pick<T extends vscode.QuickPickItem>(s: Services, title: string, items: T[], options: vscode.QuickPickOptions = {}): Promise<T | undefined> {
  return s.ui.pick(title, items, options);
}

/** How long a command waits for a tree's selection while the tree re-fetches its rows. */
const SELECTION_WAIT_MS = 2_000;

/**
 * Waits until one of `views` has a selection again, for SELECTION_WAIT_MS at most. The extension
 * host resolves a view's selection, and a row's element handed to a menu's or a click's command,
 * through its handle map, and it drops the handles of a node's children as soon as that node is
 * refreshed (a live update re-sorting a group) until the workbench has fetched them again: a click
 * in that window finds nothing selected, and a row's inline action gets no element (Reveal Peer's
 * e2e met it: "select a channel or an endpoint" with the row selected). The ids are stable, so
 * the handles come back.
 */
export async function settledSelection(...views: ReadonlyArray<Pick<vscode.TreeView<unknown>, 'selection'>>): Promise<void> {
  for (const start = Date.now(); views.every((v) => v.selection.length === 0) && Date.now() - start < SELECTION_WAIT_MS; ) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The node a context-menu / title command applies to: its argument, else the focused view's selection. */
export function targetNode(s: Services, arg: unknown): IpcNode | undefined {
  if (arg instanceof ChannelNode || arg instanceof EndpointNode || arg instanceof ProcessNode || arg instanceof SignalsNode) return arg;
  if (arg && typeof arg === 'object' && 'id' in arg && 'parent' in arg) return arg as IpcNode;
  if (arg !== undefined) return undefined;
  return s.channelsView.selection[0] ?? s.processesView.selection[0];
}

/**
 * A channel from a node, a channel id, or a channel object. An id string is read as the CLI's
 * `peek` reads it (core/channelIds.ts: exact, `KIND:bytes/HEX`, or as printed, escaped); one that
 * names two channels is refused with an error naming each by its bytes/HEX id: null then.
 */
export function resolveChannel(s: Services, arg: unknown): Channel | undefined | null {
  if (typeof arg === 'string') {
    const found = lookupChannelId(s.model.channelsById.values(), arg);
    if (found === null) return undefined;
    if ('channel' in found) return found.channel;
    void s.ui.error(`IPC Inspector: ${arg} names ${found.ambiguous.length} channels: ${unambiguousIds(found.ambiguous).join(', ')}. Give one of these ids.`);
    return null;
  }
  const node = targetNode(s, arg);
  if (node instanceof ChannelNode || node instanceof EndpointNode) return s.model.channelsById.get(node.channel.id) ?? node.channel;
  if (arg && typeof arg === 'object' && 'kind' in arg && 'id' in arg && typeof (arg as Channel).id === 'string')
    return s.model.channelsById.get((arg as Channel).id);
  return undefined;
}

/** A pid from a node (process, endpoint, signals) or a number. */
export function resolvePid(s: Services, arg: unknown): number | undefined {
  if (typeof arg === 'number' && Number.isInteger(arg) && arg > 0) return arg;
  const node = targetNode(s, arg);
  if (node instanceof ProcessNode) return node.proc.pid;
  if (node instanceof SignalsNode) return node.parent.proc.pid;
  if (node instanceof EndpointNode) return node.endpoint.pid;
  return undefined;
}

/** Make sure there is a snapshot (commands from the palette before any view was shown). */
export async function ensureSnapshot(s: Services) {
  return s.source.current ?? (await s.source.refresh());
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
