// The row a command selected, kept in view while its tree changes (src/views/keepInView.ts): one
// keeper per tree view, owned by that view's registration (extension.ts) — no module state. Driven
// through a view that records its reveals and fires the events a workbench view fires; the clock
// is the test's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { RowKeeper, type KeptView } from '../../src/views/keepInView';

type Node = { id: string };

/** The part of vscode.EventEmitter a keeper needs. */
function emitter<E>() {
  const listeners = new Set<(e: E) => unknown>();
  const event = ((listener: (e: E) => unknown) => {
    listeners.add(listener);
    return { dispose: () => listeners.delete(listener) };
  }) as vscode.Event<E>;
  return { event, fire: (e: E) => [...listeners].forEach((l) => l(e)), get count() { return listeners.size; } };
}

function fakeView() {
  const selection = emitter<vscode.TreeViewSelectionChangeEvent<Node>>();
  const collapse = emitter<vscode.TreeViewExpansionEvent<Node>>();
  const visibility = emitter<vscode.TreeViewVisibilityChangeEvent>();
  const changes = emitter<unknown>();
  const reveals: Array<{ id: string; select: unknown }> = [];
  const view: KeptView<Node> = {
    selection: [],
    reveal: async (node, opts) => void reveals.push({ id: node.id, select: opts?.select }),
    onDidChangeSelection: selection.event,
    onDidCollapseElement: collapse.event,
    onDidChangeVisibility: visibility.event,
  };
  return { view, reveals, selection, collapse, visibility, changes };
}

/** Lets the reveals a refresh queued run. */
const settle = () => new Promise((r) => setImmediate(r));

test('each refresh reveals the kept row again without selecting it, while the pick is fresh', async () => {
  let now = 0;
  const v = fakeView();
  const keeper = new RowKeeper<Node>(v.view, v.changes.event, undefined, () => now);
  let node: Node | undefined = { id: 'a' };
  keeper.keep(() => node);
  assert.equal(keeper.kept, 'a');
  v.changes.fire(undefined);
  await settle();
  node = { id: 'a' }; // a refresh makes the node anew: found again by the command's find
  v.changes.fire(undefined);
  await settle();
  assert.deepEqual(v.reveals, [{ id: 'a', select: false }, { id: 'a', select: false }]);
  // fresh for KEEP_REFRESHES refreshes and KEEP_MS, whichever ends later
  v.changes.fire(undefined);
  v.changes.fire(undefined);
  await settle();
  assert.equal(keeper.kept, 'a', 'stopped before KEEP_MS passed');
  now = 10_000;
  v.changes.fire(undefined);
  await settle();
  assert.equal(keeper.kept, undefined);
  assert.equal(v.reveals.length, 4);
  assert.equal(v.changes.count, 0, 'a listener left on the tree');
});

test('the user acting in the view ends it: another row selected, a row folded, the view hidden; an empty selection (a refresh) does not', async () => {
  const v = fakeView();
  const keeper = new RowKeeper<Node>(v.view, v.changes.event);
  keeper.keep(() => ({ id: 'a' }));
  v.selection.fire({ selection: [] });
  v.selection.fire({ selection: [{ id: 'a' }] });
  assert.equal(keeper.kept, 'a');
  v.selection.fire({ selection: [{ id: 'b' }] });
  assert.equal(keeper.kept, undefined);
  keeper.keep(() => ({ id: 'a' }));
  v.collapse.fire({ element: { id: 'x' } });
  assert.equal(keeper.kept, undefined);
  keeper.keep(() => ({ id: 'a' }));
  v.visibility.fire({ visible: false });
  assert.equal(keeper.kept, undefined);
  v.changes.fire(undefined);
  await settle();
  assert.deepEqual(v.reveals, []);
  for (const e of [v.selection, v.collapse, v.visibility, v.changes]) assert.equal(e.count, 0, 'a listener left behind');
});

test('a new pick replaces the kept row; stop() leaves no reveal of the old row to come', async () => {
  const v = fakeView();
  const keeper = new RowKeeper<Node>(v.view, v.changes.event);
  keeper.keep(() => ({ id: 'a' }));
  keeper.keep(() => ({ id: 'b' }));
  assert.equal(keeper.kept, 'b');
  v.changes.fire(undefined);
  keeper.stop(); // before the queued reveal ran
  await settle();
  assert.deepEqual(v.reveals, []);
  assert.equal(keeper.kept, undefined);
});

test('each view has its own keeper: a pick in one leaves the row kept in the other', async () => {
  const channels = fakeView();
  const processes = fakeView();
  const inChannels = new RowKeeper<Node>(channels.view, channels.changes.event);
  const inProcesses = new RowKeeper<Node>(processes.view, processes.changes.event);
  inChannels.keep(() => ({ id: 'ch' }));
  inProcesses.keep(() => ({ id: 'proc' }));
  channels.changes.fire(undefined);
  processes.changes.fire(undefined);
  await settle();
  assert.deepEqual([inChannels.kept, inProcesses.kept], ['ch', 'proc']);
  assert.deepEqual(channels.reveals.map((r) => r.id), ['ch']);
  assert.deepEqual(processes.reveals.map((r) => r.id), ['proc']);
});

test('disposed with its view\'s registration: the kept row is let go, and a pick after keeps nothing', async () => {
  const v = fakeView();
  const keeper = new RowKeeper<Node>(v.view, v.changes.event);
  keeper.keep(() => ({ id: 'a' }));
  keeper.dispose();
  assert.equal(keeper.kept, undefined);
  keeper.keep(() => ({ id: 'b' }));
  assert.equal(keeper.kept, undefined);
  v.changes.fire(undefined);
  await settle();
  assert.deepEqual(v.reveals, []);
  for (const e of [v.selection, v.collapse, v.visibility, v.changes]) assert.equal(e.count, 0, 'a listener left behind');
});

test('a row no longer listed is let go at the next refresh', async () => {
  const v = fakeView();
  const keeper = new RowKeeper<Node>(v.view, v.changes.event);
  let node: Node | undefined = { id: 'a' };
  keeper.keep(() => node);
  node = undefined;
  v.changes.fire(undefined);
  await settle();
  assert.equal(keeper.kept, undefined);
  assert.deepEqual(v.reveals, []);
});
