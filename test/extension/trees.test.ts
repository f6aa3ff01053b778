// Issue 11 part B in the real extension host, on real IPC objects: the Processes view is a flat
// list of the processes that hold IPC, sorted by name, with Channels / Internal / Signals (and,
// grouped by parent, Children) group nodes; "Group Processes by Parent" and its pair switch the
// setting; a self-pipe sits under Internal; labels lead with meaning (writer → reader, a key) with
// the fill level in the description and the inode in the tooltip; full or busy channels sort
// first; a channel whose facts change while it looks the same is not re-rendered (so its tooltip
// can open), and tooltips are resolved on hover; a filter text opens the trees to its matches
// (groups and processes holding them expanded, no group without one) and gives back the user's own
// expansions when it is cleared.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { Channel } from '../../src/core/model';
import type { IpcInspectorApi } from '../../src/extension';
import type { ChannelNode, IpcNode, ProcessNode, SectionNode } from '../../src/views/nodes';
import type { RenewingTreeView } from '../../src/views/renewingTreeView';
import { channelWhere, heldBy, heldOnlyBy, labelOf, openApi, scan, tooltipText, treeItem, waitFor, walk } from './ipcTestUtil';

const cfg = () => vscode.workspace.getConfiguration('ipcInspector');

/** A process that holds both ends of one pipe (a self-pipe, as event loops keep), named `comm`. */
function selfPipe(comm: string): Promise<{ child: ChildProcess; pid: number }> {
  const code = `import os, sys, time\nopen('/proc/self/comm', 'w').write(${JSON.stringify(comm)})\nr, w = os.pipe()\nos.write(w, b'x')\nprint('ready', flush=True)\nsys.stdin.read()\n`;
  const child = spawn('python3', ['-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', () => resolve({ child, pid: child.pid! }));
  });
}

function procOf(nodes: IpcNode[], pid: number): ProcessNode | undefined {
  return nodes.find((n): n is ProcessNode => n.type === 'process' && n.proc.pid === pid);
}

describe('trees (issue 11 part B)', function () {
  this.timeout(90_000);
  let api: IpcInspectorApi;
  const fixtures: Fixture[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    api = await openApi();
    // A known start whatever ran before: no filter, scope or hidden kinds; the default grouping.
    await vscode.commands.executeCommand('ipcInspector.clearFilter');
    await vscode.commands.executeCommand('ipcInspector.clearScope');
    await vscode.commands.executeCommand('ipcInspector.hideKinds', []);
    await cfg().update('groupProcesses', undefined, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await cfg().update('groupProcesses', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('ipcInspector.clearFilter');
    for (const c of children) c.kill('SIGKILL');
    await closeAll(fixtures);
  });

  it('Processes: by default a flat list of the processes that hold IPC, sorted by name; each has Channels and Signals group nodes', async () => {
    const f = await makeFixture('pipe', { comm: 'tr-flat', bytes: 10 });
    fixtures.push(f);
    await channelWhere(api, 'flat pipe', heldBy([f.info.writer.pid]));
    assert.equal(api.processesTree.groupingId, 'none');
    const roots = api.processesTree.getChildren() as IpcNode[];
    const procs = roots.filter((r): r is ProcessNode => r.type === 'process');
    assert.equal(procs.length, roots.length, 'only processes at the top');
    // Every listed process holds a shown channel: no idle ancestors (init, shells, launchers).
    for (const p of procs) assert.ok(p.channelCount > 0, `${p.proc.comm}[${p.proc.pid}] holds nothing`);
    const names = procs.map((p) => `${p.proc.comm.toLowerCase()}\u0000${String(p.proc.pid).padStart(10, '0')}`);
    assert.deepEqual(names, [...names].sort(), 'not sorted by name');
    const writer = procOf(roots, f.info.writer.pid);
    const reader = procOf(roots, f.info.reader.pid);
    assert.ok(writer && reader, 'both ends of the fixture are top-level processes');
    const kids = api.processesTree.getChildren(writer);
    assert.deepEqual(kids.map((k) => (k.type === 'section' ? k.section : k.type)), ['channels', 'signals']);
    const channels = kids[0] as SectionNode;
    const inside = api.processesTree.getChildren(channels);
    assert.ok(inside.some((c) => c.type === 'channel' && c.channel.kind === 'pipe' && c.channel.inode === f.info.inode), 'the pipe is under Channels');
    assert.equal((await treeItem(api.processesTree, channels)).collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
  });

  it('"Group Processes by Parent" nests a child under its parent\'s Children; "List Processes Flat, by Name" goes back (the setting says which)', async () => {
    const f = await makeFixture('pipe', { comm: 'tr-group' });
    fixtures.push(f);
    await channelWhere(api, 'group pipe', heldBy([f.info.reader.pid]));
    assert.notEqual(f.info.reader.pid, f.info.writer.pid);
    assert.equal(await vscode.commands.executeCommand('ipcInspector.groupProcessesByParent'), 'parent');
    assert.equal(cfg().get('groupProcesses'), 'parent');
    assert.equal(api.processesTree.groupingId, 'parent');
    const roots = api.processesTree.getChildren() as IpcNode[];
    assert.ok(!procOf(roots, f.info.reader.pid), 'the child is not at the top when grouped by parent');
    const parent = api.processesTree.findProcess(f.info.writer.pid)!;
    const section = api.processesTree.getChildren(parent).find((k): k is SectionNode => k.type === 'section' && k.section === 'children');
    assert.ok(section, 'no Children group under the parent');
    const child = api.processesTree.getChildren(section).find((k) => k.type === 'process' && k.proc.pid === f.info.reader.pid) as ProcessNode;
    assert.ok(child, 'the child is under Children');
    assert.equal(api.processesTree.getParent(child), section, 'getParent (reveal) goes through Children');
    assert.equal(await vscode.commands.executeCommand('ipcInspector.listProcessesFlat'), 'none');
    assert.equal(cfg().get('groupProcesses'), 'none');
    assert.ok(procOf(api.processesTree.getChildren() as IpcNode[], f.info.reader.pid), 'flat again');
    assert.ok(!api.processesTree.getChildren(api.processesTree.findProcess(f.info.writer.pid)!).some((k) => k.type === 'section' && k.section === 'children'), 'no Children when flat');
  });

  it('a process\'s self-pipe sits under Internal, not Channels, and sorts last in the Channels view', async () => {
    const sp = await selfPipe('tr-selfpipe');
    children.push(sp.child);
    const ch = await channelWhere(api, 'self-pipe', (c) => c.kind === 'pipe' && c.endpoints.length === 2 && c.endpoints.every((e) => e.pid === sp.pid));
    const node = await waitFor('self-pipe process listed', async () => (await scan(api)) && api.processesTree.findProcess(sp.pid));
    const kids = api.processesTree.getChildren(node);
    const internal = kids.find((k): k is SectionNode => k.type === 'section' && k.section === 'internal');
    assert.ok(internal, `no Internal group: ${kids.map((k) => k.id).join(', ')}`);
    assert.ok(api.processesTree.getChildren(internal).some((c) => c.type === 'channel' && c.channel.id === ch.id));
    const chans = kids.find((k): k is SectionNode => k.type === 'section' && k.section === 'channels');
    assert.ok(!chans || !api.processesTree.getChildren(chans).some((c) => c.type === 'channel' && c.channel.id === ch.id), 'the self-pipe is also under Channels');
    // In the Channels view it comes after every pipe between two processes: filtered to it and a
    // pipe between two processes (a busy machine's Pipes group lists only its first 2,000)
    const pp = await makeFixture('pipe', { comm: 'tr-selfpipe-pp' });
    fixtures.push(pp);
    await vscode.commands.executeCommand('ipcInspector.filter', 'tr-selfpipe');
    try {
      await channelWhere(api, 'the pipe between two processes', (c) => c.kind === 'pipe' && c.inode === pp.info.inode);
      await scan(api);
      const group = api.channelsTree.topGroups.find((g) => g.id === 'group:pipes')!;
      const list = api.channelsTree.getChildren(group).filter((n): n is ChannelNode => n.type === 'channel');
      const at = list.findIndex((n) => n.channel.id === ch.id);
      assert.ok(at >= 0, `the self-pipe is not in the Pipes group (shown: ${api.model.isShown(ch.id)}, listed ${list.length} of ${group.count}/${group.total}, filter ${JSON.stringify(api.model.filter)})`);
      assert.ok(list.findIndex((n) => n.channel.id === `pipe:${pp.info.inode}`) < at, 'the pipe between two processes listed before the self-pipe');
      assert.ok(list.slice(at).every((n) => n.channel.endpoints.every((e) => e.pid === n.channel.endpoints[0].pid)), 'a pipe between processes after a self-pipe');
    } finally {
      await vscode.commands.executeCommand('ipcInspector.filter', '');
    }
  });

  it('labels lead with meaning: a pipe is writer → reader, a queue its key; the fill level is the description and the inode is in the tooltip', async () => {
    const pf = await makeFixture('pipe', { comm: 'tr-label', bytes: 12 });
    fixtures.push(pf);
    // A key of this run's own: a queue a SIGKILLed run left under a fixed key would fail IPC_EXCL.
    const key = (0x49500000 | (process.pid & 0xffff)) >>> 0;
    const qf = await makeFixture('sysv-msg', { comm: 'tr-queue', key, count: 3 });
    fixtures.push(qf);
    const pipe = await channelWhere(api, 'label pipe', (c) => c.kind === 'pipe' && c.inode === pf.info.inode);
    const item = await treeItem(api.channelsTree, api.channelsTree.findChannel(pipe.id)!);
    assert.equal(labelOf(item), `tr-label[${pf.info.writer.pid}] → tr-label[${pf.info.reader.pid}]`);
    assert.match(String(item.description), /(^|· )12 bytes buffered \/ /);
    assert.ok(tooltipText(item).includes(String(pf.info.inode)), 'the inode is in the tooltip');
    const q = await channelWhere(api, 'label queue', (c) => c.kind === 'sysv-msg' && c.msqid === qf.info.msqid);
    const qItem = await treeItem(api.channelsTree, api.channelsTree.findChannel(q.id)!);
    assert.equal(labelOf(qItem), `key 0x${key.toString(16).padStart(8, '0')}`);
    assert.match(String(qItem.description), /(^|new · )3 msg · \d+ bytes \/ /);
    assert.ok(tooltipText(qItem).includes(String(qf.info.msqid)), 'the msqid is in the tooltip');
  });

  it('full or busy channels sort before quiet ones', async () => {
    const busy = await makeFixture('pipe', { comm: 'tr-busy', bytes: 100 });
    fixtures.push(busy);
    const quiet = await makeFixture('pipe', { comm: 'tr-aquiet' });
    fixtures.push(quiet);
    const b = await channelWhere(api, 'busy pipe', (c) => c.kind === 'pipe' && c.inode === busy.info.inode);
    const q = await channelWhere(api, 'quiet pipe', (c) => c.kind === 'pipe' && c.inode === quiet.info.inode);
    const group = api.channelsTree.topGroups.find((g) => g.id === 'group:pipes')!;
    const ids = api.channelsTree.getChildren(group).map((n) => n.id);
    // By name alone tr-aquiet would come first; 100 buffered bytes put tr-busy ahead.
    assert.ok(ids.indexOf(`ch:${b.id}`) < ids.indexOf(`ch:${q.id}`), 'the busy pipe is not above the quiet one');
  });

  it('a channel whose facts change but that looks the same is not re-rendered; tooltips are resolved on hover', async () => {
    // A message every 50 ms, received at once: last sender/receiver times change on every scan,
    // the count (what the row shows) stays 0.
    const f = await makeFixture('msg-flow', { comm: 'tr-flow', period: 50 });
    fixtures.push(f);
    const ch = await channelWhere(api, 'flow queue', (c) => c.kind === 'sysv-msg' && c.msqid === f.info.msqid);
    const node = api.channelsTree.findChannel(ch.id)!;
    const first = await api.channelsTree.getTreeItem(node);
    assert.equal(first.tooltip, undefined, 'the tooltip was built on render, not on hover');
    const resolved = await treeItem(api.channelsTree, node);
    assert.ok(tooltipText(resolved).includes('SysV message queue'));
    let changedUnseen = 0;
    const sentTime = () => (api.model.channelsById.get(ch.id) as Extract<Channel, { kind: 'sysv-msg' }>).lastSendTime;
    for (let i = 0; i < 6 && changedUnseen < 2; i++) {
      const before = String((await api.channelsTree.getTreeItem(node)).description);
      const sentBefore = sentTime();
      // Scan until the queue's facts moved (its times have a resolution of one second).
      await waitFor('the queue to change', async () => (await scan(api)) && sentTime() !== sentBefore);
      const after = String((await api.channelsTree.getTreeItem(api.channelsTree.findChannel(ch.id)!)).description);
      const fired = api.channelsTree.lastFired === 'all' || api.channelsTree.lastFired.some((n) => n.id === node.id);
      if (before !== after) continue; // caught between a send and its receive: it did look different
      assert.ok(!fired, `re-rendered although it looks the same (${after})`);
      changedUnseen++;
    }
    assert.ok(changedUnseen >= 1, 'the queue never changed unseen: the test proved nothing');
  });

  it('a filter opens the Processes view to its matches; a flat list shows no ancestors of them', async () => {
    const f = await makeFixture('pipe', { comm: 'tr-reveal' });
    fixtures.push(f);
    await channelWhere(api, 'reveal pipe', heldBy([f.info.writer.pid]));
    await vscode.commands.executeCommand('ipcInspector.processes.focus');
    await vscode.commands.executeCommand('ipcInspector.filter', 'tr-reveal');
    // the writer's row and its Channels are opened by the filter (under ids of the filter's own)
    const writer = await waitFor('the writer listed', async () => (await scan(api)) && api.processesTree.findProcess(f.info.writer.pid));
    const section = api.processesTree.getChildren(writer).find((k): k is SectionNode => k.type === 'section' && k.section === 'channels')!;
    // (the rows take the filter's ids once the workbench asks for the new top level)
    for (const n of [writer, section]) await waitFor(`${n.id} opened`, async () => (await treeItem(api.processesTree, n)).collapsibleState === vscode.TreeItemCollapsibleState.Expanded);
    const roots = api.processesTree.getChildren() as IpcNode[];
    assert.ok(roots.every((r) => r.type === 'process' && /tr-reveal/.test(r.proc.comm)), `non-matching processes listed: ${roots.map((r) => r.id).join(', ')}`);
    const all = await walk(api.processesTree, 6);
    assert.ok(all.filter((n) => n.type === 'process').every((n) => (n as ProcessNode).proc.comm.startsWith('tr-reveal')), 'an ancestor is listed');
    await vscode.commands.executeCommand('ipcInspector.clearFilter');
  });

  /**
   * Records the rows the workbench asks the children of — what it shows expanded — by the item id
   * it knows them by (a fetch for a row of a filter that was just cleared names the filter's id,
   * not the row's own). Returns the undo.
   */
  function spyFetches(asked: Set<string>): () => void {
    const undo: Array<() => void> = [];
    for (const [chrome, tree] of [
      [api.channelsChrome, api.channelsTree],
      [api.processesChrome, api.processesTree],
    ] as const) {
      const orig = chrome.getChildren;
      chrome.getChildren = function (this: typeof chrome, e?: IpcNode) {
        const out = orig.call(this, e);
        if (e) asked.add(tree.getTreeItem(e).id ?? e.id);
        return out;
      };
      undo.push(() => (chrome.getChildren = orig));
    }
    return () => undo.forEach((u) => u());
  }
  /**
   * A reveal that met a refresh of the tree in the workbench: the row it names is not in the
   * workbench's tree at that moment ("Data tree node not found" while the rows are fetched again,
   * "Tree element not found" while a new view's first rows are); anything else is thrown.
   */
  function lostToRefresh(e: Error): void {
    assert.match(e.message, /^TreeError \[ipcInspector\.(channels|processes)\] (Data tree node|Tree element) not found/);
  }
  /**
   * Opens a group as the user would (a reveal that expands it) until the workbench says it did: a
   * reveal that meets a refresh of the tree is lost (it resolves all the same, or fails: lostToRefresh).
   */
  async function openByUser(group: IpcNode, expanded: Set<string>): Promise<void> {
    // (a reveal waits for the refreshes the extension host has queued: on a loaded machine, seconds)
    await waitFor(
      `${group.id} opened by the user`,
      async () => {
        if (!expanded.has(group.id)) await api.channelsView.reveal(group, { select: false, focus: false, expand: true }).then(undefined, lostToRefresh);
        return expanded.has(group.id) || (await new Promise((r) => setTimeout(r, 400)), expanded.has(group.id));
      },
      30_000,
    ).catch((e: Error) => {
      const listed = (api.channelsTree.getChildren() as IpcNode[]).map((g) => g.id).join(', ');
      throw new Error(`${e.message} (view visible: ${api.channelsView.visible}; top level: ${listed})`);
    });
  }
  /**
   * Folds a group as the user would (selected and focused, then the keyboard's command) until the
   * workbench says it did (a reveal lost to a refresh leaves the focus elsewhere: nothing folded then).
   */
  async function foldByUser(group: IpcNode, folded: string[]): Promise<void> {
    await waitFor(
      `${group.id} folded by the user`,
      async () => {
        if (folded.includes(group.id)) return true;
        await api.channelsView.reveal(group, { select: true, focus: true }).then(undefined, lostToRefresh);
        if (api.channelsView.selection.includes(group)) await vscode.commands.executeCommand('list.collapse');
        return folded.includes(group.id) || (await new Promise((r) => setTimeout(r, 400)), folded.includes(group.id));
      },
      30_000,
    );
  }
  /**
   * Waits for the refreshes the extension host has queued for both views (a reveal waits for them):
   * a Collapse All the workbench runs while it re-creates the rows of the last Clear Filter is
   * undone by the rows it then makes, open as the user had them (a run met FIFOs open though the
   * test had folded it).
   */
  async function settled(): Promise<void> {
    for (const [view, tree] of [
      [api.channelsView, api.channelsTree],
      [api.processesView, api.processesTree],
    ] as const) {
      // (the reveal is only the wait: one that meets a refresh of the tree is lost after the queue
      // it waited for ran)
      const first = (tree.getChildren() as IpcNode[])[0];
      if (first) await view.reveal(first, { select: false, focus: false }).then(undefined, lostToRefresh);
    }
  }
  const openedId = (asked: Set<string>, id: string) => [...asked].some((a) => a.startsWith(`${id}?filter=`));

  it('a text filter shows the groups and processes holding its matches expanded and no group without one; clearing it gives back what the user had open', async () => {
    const f = await makeFixture('pipe', { comm: 'tr-expand' });
    fixtures.push(f);
    const other = await makeFixture('fifo', { comm: 'tr-keepopen' });
    fixtures.push(other);
    await channelWhere(api, 'the filtered pipe', (c) => c.kind === 'pipe' && c.inode === f.info.inode);
    await channelWhere(api, 'the other FIFO', heldOnlyBy([other.info.writer.pid, other.info.reader.pid]));
    const asked = new Set<string>();
    const unspy = spyFetches(asked);
    // (an expansion is told by the workbench's event: a row opened again may show the children it fetched before)
    const expanded = new Set<string>();
    const sub = api.channelsView.onDidExpandElement((e) => expanded.add(e.element.id));
    try {
      // Both views shown, every row folded; then the user opens FIFOs (which the filter will not match).
      await vscode.commands.executeCommand('ipcInspector.processes.focus');
      await vscode.commands.executeCommand('ipcInspector.channels.focus');
      await settled();
      await vscode.commands.executeCommand('ipcInspector.channels.collapseAll');
      await vscode.commands.executeCommand('ipcInspector.processes.collapseAll');
      const top = (id: string) => api.channelsTree.topGroups.find((g) => g.id === id)!;
      expanded.clear();
      await openByUser(top('group:fifos'), expanded);
      asked.clear();

      await vscode.commands.executeCommand('ipcInspector.filter', 'tr-expand');
      await scan(api);
      // Channels: only groups holding a match, no "None match" row; Pipes open in the workbench.
      const groups = api.channelsTree.getChildren() as IpcNode[];
      assert.ok(groups.length > 0 && groups.every((g) => g.type === 'group' && g.count > 0), `groups without a match listed: ${groups.map((g) => g.id).join(', ')}`);
      for (const g of groups) for (const k of api.channelsTree.getChildren(g)) assert.ok(k.type !== 'info' || !/None match/.test(k.label), `${g.id} has the row ${k.type === 'info' ? k.label : ''}`);
      const pipes = top('group:pipes');
      await waitFor('the workbench to open Pipes under the filter', () => openedId(asked, 'group:pipes'));
      const pipesItem = await treeItem(api.channelsTree, pipes);
      assert.equal(pipesItem.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
      assert.notEqual(pipesItem.id, 'group:pipes', 'the same id under the filter: the workbench keeps the row as it was');
      // Processes: the matching processes open, their channels shown.
      const writer = api.processesTree.findProcess(f.info.writer.pid)!;
      await waitFor('the workbench to open the matching process and its Channels', () => openedId(asked, writer.id) && openedId(asked, `${writer.id}/channels`));
      const writerItem = await treeItem(api.processesTree, writer);
      assert.equal(writerItem.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
      // Scans under the same text keep each row's id (the workbench would replace a row whose id changed).
      const ids = async () => [(await treeItem(api.channelsTree, pipes)).id, (await treeItem(api.processesTree, writer)).id].join(' ');
      const before = await ids();
      await scan(api);
      await scan(api);
      assert.equal(await ids(), before);

      asked.clear();
      await vscode.commands.executeCommand('ipcInspector.clearFilter');
      // The user's own state again: FIFOs open (the workbench fetches it), Pipes and the process folded.
      await waitFor('FIFOs open again after Clear Filter', () => asked.has('group:fifos'));
      await new Promise((r) => setTimeout(r, 1000));
      const after = await treeItem(api.channelsTree, pipes);
      assert.equal(after.id, 'group:pipes');
      assert.equal(after.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
      assert.ok(!asked.has('group:pipes'), 'Pipes still open after Clear Filter, though the user had folded it');
      const writerAfter = api.processesTree.findProcess(f.info.writer.pid)!;
      assert.equal((await treeItem(api.processesTree, writerAfter)).id, writer.id);
      assert.ok(!asked.has(writer.id), 'the process still open after Clear Filter, though the user had folded it');
    } finally {
      sub.dispose();
      unspy();
      await vscode.commands.executeCommand('ipcInspector.clearFilter');
    }
  });

  it('a group the filter opened and the user folded comes back after the filter as the user had it before', async () => {
    const f = await makeFixture('fifo', { comm: 'tr-refold' });
    fixtures.push(f);
    await channelWhere(api, 'the FIFO', heldOnlyBy([f.info.writer.pid, f.info.reader.pid]));
    const asked = new Set<string>();
    const unspy = spyFetches(asked);
    const folded: string[] = [];
    const expanded = new Set<string>();
    const sub = api.channelsView.onDidCollapseElement((e) => folded.push(e.element.id));
    const subExpand = api.channelsView.onDidExpandElement((e) => expanded.add(e.element.id));
    try {
      await vscode.commands.executeCommand('ipcInspector.channels.focus');
      await settled();
      await vscode.commands.executeCommand('ipcInspector.channels.collapseAll');
      const fifos = api.channelsTree.topGroups.find((g) => g.id === 'group:fifos')!;
      expanded.clear();
      await openByUser(fifos, expanded);
      await vscode.commands.executeCommand('ipcInspector.filter', 'tr-refold');
      await waitFor('FIFOs opened by the filter', () => openedId(asked, 'group:fifos') && api.channelsTree.getChildren(fifos).some((c) => c.type === 'channel'));
      // The user folds it while the filter is on (the focused row, with the keyboard's command).
      folded.length = 0;
      await foldByUser(fifos, folded);
      asked.clear();
      await vscode.commands.executeCommand('ipcInspector.clearFilter');
      await waitFor('FIFOs open again after Clear Filter, as the user had it before the filter', () => asked.has('group:fifos'));
    } finally {
      sub.dispose();
      subExpand.dispose();
      unspy();
      await vscode.commands.executeCommand('ipcInspector.clearFilter');
    }
  });

  it('a row the user folded under the filter stays folded when the view is renewed (the new view opens only what the filter opened and the user left open)', async () => {
    const fifo = await makeFixture('fifo', { comm: 'tr-renewfold' });
    fixtures.push(fifo);
    const pipe = await makeFixture('pipe', { comm: 'tr-renewfold' });
    fixtures.push(pipe);
    await channelWhere(api, 'the FIFO', heldOnlyBy([fifo.info.writer.pid, fifo.info.reader.pid]));
    await channelWhere(api, 'the pipe', (c) => c.kind === 'pipe' && c.inode === pipe.info.inode);
    const asked = new Set<string>();
    const unspy = spyFetches(asked);
    const folded: string[] = [];
    const sub = api.channelsView.onDidCollapseElement((e) => folded.push(e.element.id));
    try {
      await vscode.commands.executeCommand('ipcInspector.channels.focus');
      await settled();
      await vscode.commands.executeCommand('ipcInspector.channels.collapseAll');
      const fifos = api.channelsTree.topGroups.find((g) => g.id === 'group:fifos')!;
      await vscode.commands.executeCommand('ipcInspector.filter', 'tr-renewfold');
      await waitFor('FIFOs and Pipes opened by the filter', () => openedId(asked, 'group:fifos') && openedId(asked, 'group:pipes'), 30_000);
      // The user folds FIFOs while the filter is on (the focused row, with the keyboard's command).
      folded.length = 0;
      await foldByUser(fifos, folded);
      // A renewal: the workbench forgets every expansion, and the view hands it the rows as they were.
      asked.clear();
      const view = api.channelsView as RenewingTreeView<IpcNode>;
      const renewals = view.renewals;
      await view.renew();
      assert.equal(view.renewals, renewals + 1);
      // the new view's top level is fetched with the groups it shows open (Pipes, still as the filter opened it)
      await waitFor('the new view to open Pipes as the filter did', () => openedId(asked, 'group:pipes'), 30_000);
      await settled();
      assert.ok(!openedId(asked, 'group:fifos'), `FIFOs open again after the renewal, though the user had folded it (fetched: ${[...asked].join(', ')})`);
    } finally {
      sub.dispose();
      unspy();
      await vscode.commands.executeCommand('ipcInspector.clearFilter');
    }
  });

  it('a group and a process that get their first match a scan after the filter was set open too', async () => {
    const fifo = await makeFixture('fifo', { comm: 'tr-gain' });
    fixtures.push(fifo);
    await channelWhere(api, 'the FIFO', heldOnlyBy([fifo.info.writer.pid, fifo.info.reader.pid]));
    const asked = new Set<string>();
    const unspy = spyFetches(asked);
    try {
      await vscode.commands.executeCommand('ipcInspector.processes.focus');
      await vscode.commands.executeCommand('ipcInspector.channels.focus');
      await settled();
      await vscode.commands.executeCommand('ipcInspector.channels.collapseAll');
      await vscode.commands.executeCommand('ipcInspector.processes.collapseAll');
      await vscode.commands.executeCommand('ipcInspector.filter', 'tr-gain');
      await waitFor('FIFOs opened by the filter', () => openedId(asked, 'group:fifos'), 30_000);
      assert.ok(!(api.channelsTree.getChildren() as IpcNode[]).some((g) => g.id === 'group:pipes'), 'Pipes listed before it holds a match');
      // a pipe whose holders match the text, made after the filter: the next scans bring it
      const pipe = await makeFixture('pipe', { comm: 'tr-gain' });
      fixtures.push(pipe);
      await channelWhere(api, 'the pipe', (c) => c.kind === 'pipe' && c.inode === pipe.info.inode);
      await waitFor('the workbench to open Pipes, which got its first match after the filter', () => openedId(asked, 'group:pipes'), 30_000);
      const writer = await waitFor('the pipe\'s writer listed', () => api.processesTree.findProcess(pipe.info.writer.pid));
      await waitFor('the workbench to open the pipe\'s writer', () => openedId(asked, writer.id), 30_000);
    } finally {
      unspy();
      await vscode.commands.executeCommand('ipcInspector.clearFilter');
    }
  });

  it('a reveal in a hidden view after the filter text changed finds its row (the workbench fetched nothing of the hidden view under the new text)', async () => {
    const f = await makeFixture('pipe', { comm: 'tr-hidden' });
    fixtures.push(f);
    const ch = await channelWhere(api, 'the pipe', (c) => c.kind === 'pipe' && c.inode === f.info.inode);
    const asked = new Set<string>();
    const unspy = spyFetches(asked);
    try {
      await vscode.commands.executeCommand('ipcInspector.processes.focus');
      await vscode.commands.executeCommand('ipcInspector.channels.focus');
      await vscode.commands.executeCommand('ipcInspector.filter', 'tr-hidden');
      const writer = await waitFor('the writer listed', () => api.processesTree.findProcess(f.info.writer.pid));
      await waitFor('the workbench to open the writer and Pipes under the filter', () => openedId(asked, writer.id) && openedId(asked, 'group:pipes'), 30_000);
      // Both views hidden (another view container shown), then the text changes: the extension host
      // drops the views' rows, and the workbench fetches nothing of a hidden view.
      await vscode.commands.executeCommand('workbench.view.explorer');
      await waitFor('both views hidden', () => !api.processesView.visible && !api.channelsView.visible);
      await vscode.commands.executeCommand('ipcInspector.clearFilter');
      // A reveal (Go to, Reveal Peer) now: the row's handle must be the one the new top level gives it.
      for (const [view, find] of [
        [api.processesView, () => api.processesTree.findProcess(f.info.writer.pid)],
        [api.channelsView, () => api.channelsTree.findChannel(ch.id)],
      ] as const) {
        const node = find()!;
        // (tried again only when the workbench lost it to a refresh of a scan; one that resolves selects the row)
        await waitFor(
          `${node.id} revealed`,
          () => Promise.resolve(view.reveal(node, { select: true, focus: false, expand: false })).then(() => true, (e: Error) => (lostToRefresh(e), false)),
          30_000,
        );
        await waitFor(`${node.id} selected`, () => view.selection.includes(node));
      }
    } finally {
      unspy();
      await vscode.commands.executeCommand('ipcInspector.clearFilter');
      await vscode.commands.executeCommand('ipcInspector.channels.focus');
    }
  });
});
