// The views replace their workbench view after many items (views/renewingTreeView.ts), inside the
// real extension host: the new view is fetched again down the rows that were expanded, and keeps
// its visibility, badge and selection; reveal() and selection go through it; a hidden view over
// its limit is replaced at once, an open one when the workbench has stopped fetching.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { IpcInspectorApi } from '../../src/extension';
import type { EndpointNode, IpcNode } from '../../src/views/nodes';
import { RENEW_AFTER_ITEMS, type RenewingTreeView } from '../../src/views/renewingTreeView';
import { channelWhere, heldBy, openApi, selectThrough, waitFor } from './ipcTestUtil';

/** Lowers `view`'s limit to one item, runs `act`, and waits until the view was replaced; the default limit again after. */
async function replacedAfter<R>(view: RenewingTreeView<IpcNode>, what: string, ms: number, act: () => R | Promise<R>): Promise<R> {
  const before = view.renewals;
  view.limit = 1;
  try {
    const r = await act();
    await waitFor(what, () => view.renewals > before, ms);
    return r;
  } finally {
    view.limit = RENEW_AFTER_ITEMS;
  }
}

/** Records the rows whose children the workbench fetches through each of `view`'s workbench views
 *  (only an expanded row's children are fetched; selecting a row by reveal() fetches its parent's,
 *  not its own). */
function watchFetches(tree: { getChildren(e?: IpcNode): vscode.ProviderResult<IpcNode[]> }, view: RenewingTreeView<IpcNode>): { fetchedNow(id: string): boolean } & vscode.Disposable {
  const own = Object.prototype.hasOwnProperty.call(tree, 'getChildren');
  const getChildren = tree.getChildren;
  const seen = new Set<string>();
  tree.getChildren = function (this: typeof tree, e?: IpcNode) {
    if (e) seen.add(`${view.renewals} ${e.id}`);
    return getChildren.call(this, e);
  };
  return {
    fetchedNow: (id) => seen.has(`${view.renewals} ${id}`),
    dispose: () => {
      if (own) tree.getChildren = getChildren;
      else delete (tree as Partial<typeof tree>).getChildren;
    },
  };
}

describe('tree views renew their workbench view', function () {
  this.timeout(90_000);
  let api: IpcInspectorApi;
  const fixtures: Fixture[] = [];
  const views = () => [api.channelsView, api.processesView] as RenewingTreeView<IpcNode>[];

  before(async () => {
    api = await openApi();
  });
  after(async () => {
    for (const v of views()) v.limit = RENEW_AFTER_ITEMS;
    await vscode.commands.executeCommand('ipcInspector.channels.focus');
    await closeAll(fixtures);
  });

  it('past its limit the Channels view is replaced and fetched again down the expanded rows; visibility, badge and selection kept; reveal goes through the new view', async () => {
    const f = await makeFixture('pipe', { comm: 'rn-pipe', bytes: 10 });
    fixtures.push(f);
    const ch = await channelWhere(api, 'the fixture pipe', (c) => c.kind === 'pipe' && heldBy([f.info.writer.pid])(c) && heldBy([f.info.reader.pid])(c));
    const view = api.channelsView as RenewingTreeView<IpcNode>;
    await vscode.commands.executeCommand('ipcInspector.channels.focus');
    await waitFor('the Channels view visible', () => view.visible);
    const node = await selectThrough(view, 'the pipe selected', () => api.channelsTree.findChannel(ch.id), { expand: true });
    const badge = JSON.stringify(view.badge);
    const fetches = watchFetches(api.channelsTree, view);
    try {
      // a full refresh: the workbench fetches the top level again
      await replacedAfter(view, 'a renewal', 20_000, () => api.model.setFilter({}));
      await waitFor('the pipe, expanded before, fetched from the new view', () => fetches.fetchedNow(node.id));
    } finally {
      fetches.dispose();
    }
    const eps = api.channelsTree.getChildren(node) as EndpointNode[];
    assert.equal(view.visible, true, 'still visible');
    assert.equal(JSON.stringify(view.badge), badge, 'the badge kept');
    assert.equal(view.selection[0]?.id, node.id, 'the selection kept');
    await selectThrough(view, 'an endpoint selected through the new view', () => eps[0]);
  });

  it('a hidden view over its limit is replaced at once, and shows its rows again when opened', async () => {
    const view = api.processesView as RenewingTreeView<IpcNode>;
    await vscode.commands.executeCommand('ipcInspector.processes.focus');
    await waitFor('the Processes view visible and fetched', () => view.visible && view.itemsCreated > 0);
    await replacedAfter(view, 'a renewal while hidden', 10_000, async () => {
      // the side bar closed (another container shown may leave the views open where an earlier test put them)
      await vscode.commands.executeCommand('workbench.action.closeSidebar');
      await waitFor('the Processes view hidden', () => !view.visible);
    });
    await vscode.commands.executeCommand('ipcInspector.processes.focus');
    await waitFor('the new Processes view visible', () => view.visible);
    await waitFor('its top level fetched', () => view.itemsCreated >= (api.processesTree.getChildren() as IpcNode[]).length && view.itemsCreated > 0);
  });

  it('a replacement begun while the view is open does not open it again when the side bar is closed meanwhile', async () => {
    const view = api.processesView as RenewingTreeView<IpcNode>;
    const f = await makeFixture('pipe', { comm: 'rn-hide' });
    fixtures.push(f);
    await vscode.commands.executeCommand('ipcInspector.processes.focus');
    // a row expanded and one selected: the replacement has something to expand and select again
    const node = await selectThrough(view, 'the fixture process selected', () => api.processesTree.findProcess(f.info.writer.pid), { expand: true });
    assert.equal(view.visible, true);
    const before = view.renewals;
    const fetches = watchFetches(api.processesTree, view);
    try {
      const renewed = view.renew();
      // the workbench hides the view while the new one registers: the old view's "hidden" goes to
      // nobody and the new one is told nothing. Selecting again is a reveal(), and reveal() opens a
      // closed view.
      await vscode.commands.executeCommand('workbench.action.closeSidebar');
      await renewed;
      assert.equal(view.renewals, before + 1, 'replaced');
      await waitFor('the Processes view hidden', () => !view.visible);
      // past the moment the new view's own word is taken (2 s), it is still closed
      await new Promise((r) => setTimeout(r, 3_000));
      assert.equal(view.visible, false, 'the view stays closed');
      await vscode.commands.executeCommand('ipcInspector.processes.focus');
      await waitFor('the process expanded again once shown', () => view.visible && fetches.fetchedNow(node.id));
      assert.equal(view.selection[0]?.id, node.id, 'the selection kept');
    } finally {
      fetches.dispose();
    }
  });

  it('an open view over its limit is replaced when the top level changes (a process starts), and lists the new process', async () => {
    const view = api.processesView as RenewingTreeView<IpcNode>;
    await vscode.commands.executeCommand('ipcInspector.processes.focus');
    await waitFor('the Processes view visible', () => view.visible);
    const f = await replacedAfter(view, 'a renewal after the new process', 20_000, async () => {
      const made = await makeFixture('pipe', { comm: 'rn-new' });
      fixtures.push(made);
      return made;
    });
    await selectThrough(view, 'the new process selected through the new view', () => api.processesTree.findProcess(f.info.writer.pid));
  });
});
