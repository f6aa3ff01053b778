// Helpers for the IPC Inspector extension tests (views.test.ts, commands.test.ts): activate the
// extension, open its views, scan now, walk the trees through the real providers.
import * as vscode from 'vscode';
import type { Channel } from '../../src/core/model';
import type { IpcInspectorApi } from '../../src/extension';
import type { IpcNode } from '../../src/views/nodes';

export const EXT_ID = 'ipc-inspector.ipc-inspector';

export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Selects the node `find` returns through `view`, trying again while a refresh of the tree makes
 *  the workbench lose the reveal ("Data tree node not found"), as the commands do (goTo.ts). */
export async function selectThrough(view: vscode.TreeView<IpcNode>, what: string, find: () => IpcNode | undefined, opts: { expand?: boolean; focus?: boolean } = {}): Promise<IpcNode> {
  return waitFor(what, async () => {
    const node = find();
    if (!node) return undefined;
    if (view.selection[0]?.id !== node.id) await view.reveal(node, { select: true, focus: opts.focus ?? false, expand: opts.expand ?? false }).then(undefined, () => undefined);
    return view.selection[0]?.id === node.id ? node : undefined;
  });
}

/** Activates, opens the Channels view (which starts the poller) and waits for the first snapshot. */
export async function openApi(): Promise<IpcInspectorApi> {
  const ext = vscode.extensions.getExtension<IpcInspectorApi>(EXT_ID);
  if (!ext) throw new Error(`${EXT_ID} not loaded`);
  const api = await ext.activate();
  await vscode.commands.executeCommand('ipcInspector.channels.focus');
  await waitFor('first snapshot', () => api.source.current, 30_000);
  return api;
}

/** Scans now and applies the result to the views. */
export async function scan(api: IpcInspectorApi) {
  await api.source.refresh();
  return api.model;
}

/** Every node of a tree, depth-first, through getChildren (as the workbench would). */
export async function walk(provider: vscode.TreeDataProvider<IpcNode>, maxDepth = 6): Promise<IpcNode[]> {
  const out: IpcNode[] = [];
  const visit = async (el: IpcNode | undefined, depth: number) => {
    if (depth > maxDepth) return;
    const children = ((await provider.getChildren(el)) ?? []) as IpcNode[];
    for (const c of children) {
      out.push(c);
      await visit(c, depth + 1);
    }
  };
  await visit(undefined, 0);
  return out;
}

export async function treeItem(provider: vscode.TreeDataProvider<IpcNode>, node: IpcNode): Promise<vscode.TreeItem> {
  const item = await provider.getTreeItem(node);
  return provider.resolveTreeItem ? ((await provider.resolveTreeItem(item, node, new vscode.CancellationTokenSource().token)) ?? item) : item;
}

export function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

export function tooltipText(item: vscode.TreeItem): string {
  const t = item.tooltip;
  return typeof t === 'string' ? t : (t?.value ?? '');
}

/** The snapshot channel matching `pred`, after scanning until it appears. */
export async function channelWhere(api: IpcInspectorApi, what: string, pred: (c: Channel) => boolean, ms = 10_000): Promise<Channel> {
  return waitFor(what, async () => (await api.source.refresh()).channels.find(pred), ms);
}

export function heldBy(pids: number[]) {
  return (c: Channel) => c.endpoints.some((e) => pids.includes(e.pid));
}

/**
 * Held by these processes and no other: a fixture's own channel, not one it inherited (its fd 2
 * is the extension host's stderr, a socket every child shares).
 */
export function heldOnlyBy(pids: number[]) {
  return (c: Channel) => c.endpoints.length > 0 && c.endpoints.every((e) => pids.includes(e.pid));
}

/** The test inspector command (test mode): its 'confirm' and 'close' answer questions and close the panel. */
export const TEST_INSPECTOR = 'ipcInspector.test.inspector';

/** After each test that answered questions: no canned answer or pick is left for the next one. */
export async function resetUiHooks(api: IpcInspectorApi | undefined): Promise<void> {
  if (!api) return;
  api.testHooks!.confirm = undefined;
  api.testHooks!.pick = undefined;
  await vscode.commands.executeCommand(TEST_INSPECTOR, 'confirm', undefined);
}
