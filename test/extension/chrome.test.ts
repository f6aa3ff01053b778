// The extension's chrome from inside the real extension host, on real fixtures (issue 11, part
// A): what a click on a tree item runs, the empty state of a filter that matches nothing,
// "Paused" and the badge, the status bar item that only shows with a warning and the list it
// opens, the live "Go to Channel or Process…" pick (a process, a port, a path; escaped), the
// toggle pairs of the manifest, and Send Signal saying before it sends that SIGTERM is ignored.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { IpcInspectorApi } from '../../src/extension';
import type { ChannelNode, IpcNode, ProcessNode } from '../../src/views/nodes';
import { channelWhere, heldBy, openApi, scan, selectThrough, waitFor, walk } from './ipcTestUtil';

const INSPECTOR = 'ipcInspector.test.inspector';
interface InspectorState {
  open: boolean;
  target?: { channelId?: string; pid?: number };
}
const inspectorState = async () => (await vscode.commands.executeCommand<InspectorState>(INSPECTOR, 'state'))!;

interface PickedItem extends vscode.QuickPickItem {
  entry?: { type: string; pid?: number; channelId?: string };
}

describe('chrome', function () {
  this.timeout(60_000);
  let api: IpcInspectorApi;
  const fixtures: Fixture[] = [];

  before(async () => {
    api = await openApi();
  });
  afterEach(async () => {
    api.testHooks!.pick = undefined;
    api.testHooks!.pickValue = undefined;
    api.testHooks!.confirm = undefined;
    await vscode.commands.executeCommand('ipcInspector.clearFilter');
    if (api.source.paused) await vscode.commands.executeCommand('ipcInspector.resume');
  });
  after(async () => {
    await vscode.commands.executeCommand(INSPECTOR, 'close');
    await closeAll(fixtures);
  });

  it('a click (TreeItem.command, no arguments) inspects the selection: preview first, then focus', async () => {
    const f = await makeFixture('fifo', { comm: 'ch-click' });
    fixtures.push(f);
    const ch = await channelWhere(api, 'click fifo', (c) => c.kind === 'fifo' && c.inode === f.info.inode);
    const node = api.channelsTree.findChannel(ch.id)!;
    const item = await api.channelsChrome.getTreeItem(node);
    assert.equal(item.command?.command, 'ipcInspector.channels.inspectSelection');
    assert.equal(item.command?.arguments, undefined, 'a command with arguments is dropped when its row re-renders');
    // Groups expand on click: no command.
    const group = (await api.channelsChrome.getChildren())![0];
    assert.equal((await api.channelsChrome.getTreeItem(group)).command, undefined);
    // Endpoints, processes and their signals inspect too.
    const ep = (await api.channelsChrome.getChildren(node))![0];
    assert.equal((await api.channelsChrome.getTreeItem(ep)).command?.command, 'ipcInspector.channels.inspectSelection');
    const proc = (await walk(api.processesTree, 64)).find((n): n is ProcessNode => n.type === 'process' && n.proc.pid === f.info.reader.pid)!;
    assert.ok(proc, 'reader not in Processes');
    assert.equal((await api.processesChrome.getTreeItem(proc)).command?.command, 'ipcInspector.processes.inspectSelection');

    await vscode.commands.executeCommand(INSPECTOR, 'close');
    // a reveal can lose a race with a refresh of the tree (a busy machine refreshes it often): again until selected
    await selectThrough(api.channelsView, 'the selection', () => api.channelsTree.findChannel(ch.id) ?? node, { focus: true });
    const first = await vscode.commands.executeCommand<{ focused: boolean }>('ipcInspector.channels.inspectSelection');
    assert.equal(first?.focused, false, 'the first click should preview, not take the focus');
    assert.deepEqual((await inspectorState()).target, { channelId: ch.id });
    await waitFor('the panel visible', async () => (await inspectorState()).open);
    const second = await vscode.commands.executeCommand<{ focused: boolean }>('ipcInspector.channels.inspectSelection');
    assert.equal(second?.focused, true, 'opening what the panel shows should move the focus into it');
    // The Processes view inspects its own selection.
    await selectThrough(api.processesView, 'the process selected', () => api.processesTree.findProcess(proc.proc.pid) ?? proc, { focus: true });
    await vscode.commands.executeCommand('ipcInspector.processes.inspectSelection');
    assert.deepEqual((await inspectorState()).target, { pid: f.info.reader.pid });
  });

  it('a click while a live update re-fetches its siblings still inspects the item (the extension host has dropped their handles meanwhile)', async () => {
    const f = await makeFixture('fifo', { comm: 'ch-refetch' });
    fixtures.push(f);
    const ch = await channelWhere(api, 'refetch fifo', (c) => c.kind === 'fifo' && c.inode === f.info.inode);
    await vscode.commands.executeCommand(INSPECTOR, 'close');
    const selected = async () => {
      await selectThrough(api.channelsView, 'the selection', () => api.channelsTree.findChannel(ch.id), { focus: true });
      return api.channelsTree.findChannel(ch.id)!;
    };
    // What a live update does when it re-sorts a group: refresh the group, through the same
    // path as the Problems markers (a decorator's change event).
    const changed = new vscode.EventEmitter<IpcNode[] | undefined>();
    const decorator = api.channelsChrome.addDecorator({ decorate: () => undefined, onDidChange: changed.event });
    try {
      let sawWindow = false;
      for (let attempt = 0; attempt < 20 && !sawWindow; attempt++) {
        const node = await selected();
        changed.fire([api.channelsTree.getParent(node)!]);
        // The window opens when the extension host refreshes the group (debounced) and closes
        // when the workbench has fetched its children again, a round trip later.
        for (const start = Date.now(); api.channelsView.selection.length > 0 && Date.now() - start < 1_000; ) {
          await new Promise((r) => setImmediate(r));
        }
        if (api.channelsView.selection.length > 0) continue;
        sawWindow = true;
        // the workbench runs the item's command now: a click in the window
        const r = await vscode.commands.executeCommand<{ target: { channelId?: string } }>('ipcInspector.channels.inspectSelection');
        assert.deepEqual(r?.target, { channelId: ch.id }, 'the click inspected nothing');
        assert.deepEqual((await inspectorState()).target, { channelId: ch.id });
      }
      assert.ok(sawWindow, 'a refresh of the group never left the selection unresolved: nothing was tested');
    } finally {
      decorator.dispose();
      changed.dispose();
    }
  });

  it('a filter that matches nothing leaves the trees empty and says so in one message', async () => {
    await scan(api);
    await vscode.commands.executeCommand('ipcInspector.filter', 'zz-no-such-ipc-object-4242');
    assert.deepEqual(await api.channelsChrome.getChildren(), []);
    assert.deepEqual(await api.processesChrome.getChildren(), []);
    assert.match(String(api.channelsView.message), /^No channel matches \([\d,]+ hidden\) — Filter: “zz-no-such-ipc-object-4242”$/);
    assert.match(String(api.processesView.message), /^No process matches/);
    // The provider lists no group without a match either (no row per group saying none match).
    assert.deepEqual(api.channelsTree.getChildren(), []);
    await vscode.commands.executeCommand('ipcInspector.clearFilter');
    assert.ok(((await api.channelsChrome.getChildren()) ?? []).length > 0);
    assert.equal(api.channelsView.message, undefined);
  });

  it('a filter that matched nothing fills the tree when a match appears, and empties it when the match goes', async () => {
    const name = `ch-late${process.pid % 10000}`;
    await vscode.commands.executeCommand('ipcInspector.filter', name);
    await scan(api);
    assert.deepEqual(await api.channelsChrome.getChildren(), [], 'a match before it was made');
    const fired: Array<IpcNode | IpcNode[] | undefined | null | void> = [];
    const sub = api.channelsChrome.onDidChangeTreeData((e) => fired.push(e));
    try {
      const f = await makeFixture('fifo', { comm: name });
      fixtures.push(f);
      await waitFor('the late fifo in the model', async () => (await scan(api)).result.channels.some((c) => c.kind === 'fifo' && c.inode === f.info.inode));
      // the workbench drew no group (the top level was empty): only a refresh of the whole tree redraws it
      assert.ok(fired.includes(undefined), `only nodes were refreshed: ${fired.length} events`);
      const top = (await api.channelsChrome.getChildren()) ?? [];
      assert.ok(top.length > 0, 'the top level stayed empty');
      assert.equal(api.channelsView.message, 'Filter: “' + name + '”');
      fired.length = 0;
      await f.close();
      await waitFor('the fifo gone from the model', async () => (await scan(api)).result.channels.length === 0);
      assert.ok(fired.includes(undefined), 'the last match went and the groups stayed');
      assert.deepEqual(await api.channelsChrome.getChildren(), []);
    } finally {
      sub.dispose();
    }
  });

  it('"Paused" in both views while paused; the badge counts the channels listed (diagnosis off; with it on, the container badge is the Problems count alone)', async () => {
    await scan(api);
    assert.equal(api.channelsView.description, undefined, 'host facts or anything else in the title');
    await vscode.commands.executeCommand('ipcInspector.pause');
    assert.equal(api.channelsView.description, 'Paused');
    assert.equal(api.processesView.description, 'Paused');
    await vscode.commands.executeCommand('ipcInspector.resume');
    assert.equal(api.channelsView.description, undefined);
    await scan(api);
    // with the diagnosis on (the default) Channels has no badge: the workbench would add it to the Problems count
    const channelsBadge = (): vscode.ViewBadge | undefined => api.channelsView.badge;
    assert.equal(channelsBadge(), undefined, 'a channel count added to the Problems badge');
    const cfg = vscode.workspace.getConfiguration('ipcInspector');
    await cfg.update('diagnose', false, vscode.ConfigurationTarget.Global);
    try {
      await scan(api);
      const badge = await waitFor('the channel count badge', channelsBadge);
      assert.equal(badge.value, api.model.result.channels.length);
      assert.match(badge.tooltip, /IPC channels?/);
      assert.equal(api.processesView.badge, undefined, 'two badges would add up on the activity bar');
      await vscode.commands.executeCommand('ipcInspector.filter', 'ch-nothing-here-either');
      assert.equal(channelsBadge()?.value ?? 0, 0);
    } finally {
      await cfg.update('diagnose', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor('no channel badge with the diagnosis back on', () => channelsBadge() === undefined);
  });

  it('the status bar item shows only with a warning, in plain text; its list reveals and inspects the channel', async () => {
    await vscode.commands.executeCommand('ipcInspector.filter', 'ch-full');
    await scan(api);
    assert.equal(api.statusBar.visible, false, 'an item with nothing to say');
    // A pipe filled to its capacity: its writers block.
    const f = await makeFixture('pipe', { comm: 'ch-full', bytes: 65536 });
    fixtures.push(f);
    const ch = await channelWhere(api, 'full pipe', (c) => c.kind === 'pipe' && c.inode === f.info.inode);
    const t0 = Date.now();
    await waitFor(`the warning (pipe ${JSON.stringify(api.model.channelsById.get(ch.id))})`, async () => (await scan(api)) && api.statusBar.visible);
    console.log(`IPC-METRIC statusWarningAfterMs=${Date.now() - t0}`);
    const list = api.statusBar.list();
    assert.ok(list.some((w) => w.channel.id === ch.id && /pipe full \(64 KiB of 64 KiB\)/.test(w.text)), JSON.stringify(list.map((w) => w.text)));
    let titles: string[] = [];
    api.testHooks!.pick = (title, items) => {
      titles = [title, ...items.map((i) => `${i.label} | ${i.description}`)];
      return items.find((i) => (i as unknown as { channel: { id: string } }).channel.id === ch.id);
    };
    const chosen = await vscode.commands.executeCommand('ipcInspector.showWarnings');
    assert.equal(chosen, ch.id, titles.join('\n'));
    assert.match(titles[0], /^IPC Inspector: [\d,]+ warnings?$/);
    await waitFor('the channel selected', () => (api.channelsView.selection[0] as IpcNode | undefined)?.id === `ch:${ch.id}`);
    assert.deepEqual((await inspectorState()).target, { channelId: ch.id });
    await f.close();
    await waitFor('the item hidden again', async () => (await scan(api)) && !api.statusBar.visible);
  });

  it('Go to Channel or Process… finds a process, a port and a path, and escapes what it lists', async () => {
    const tcp = await makeFixture('tcp4', { comm: 'ch-goto-tcp' });
    const sockPath = path.join(os.tmpdir(), `ch-goto-${process.pid}-${Date.now()}.sock`);
    const unix = await makeFixture('unix-stream', { comm: '$(zap)ch-goto', path: sockPath });
    fixtures.push(tcp, unix);
    await channelWhere(api, 'tcp', (c) => c.kind === 'tcp' && heldBy(tcp.pids)(c));
    await channelWhere(api, 'unix', (c) => c.kind === 'unix' && c.path === sockPath);
    const run = async (value: string, want: (i: PickedItem) => boolean) => {
      let listed: PickedItem[] = [];
      api.testHooks!.pickValue = value;
      api.testHooks!.pick = (_t, items) => {
        listed = items as PickedItem[];
        return items.find((i) => want(i as PickedItem));
      };
      const node = (await vscode.commands.executeCommand('ipcInspector.goTo')) as IpcNode | undefined;
      return { node, listed };
    };
    // A process by name: revealed in Processes, inspected.
    const byName = await run('ch-goto-tcp', (i) => i.entry?.type === 'process' && i.entry.pid === tcp.pid);
    assert.equal(byName.node?.type, 'process', byName.listed.map((i) => i.label).join(', '));
    assert.equal((byName.node as ProcessNode).proc.pid, tcp.pid);
    assert.deepEqual((await inspectorState()).target, { pid: tcp.pid });
    // A port, typed bare or with a colon: the listener first (exact number).
    for (const q of [String(tcp.info.port), `:${tcp.info.port}`]) {
      const byPort = await run(q, (i) => i.entry?.type === 'channel');
      const first = byPort.listed[0];
      assert.ok(first?.label.includes(`127.0.0.1:${tcp.info.port}`), `${q}: first is ${first?.label}`);
      assert.equal(byPort.node?.type, 'channel');
      assert.equal((byPort.node as ChannelNode).channel.kind, 'tcp');
    }
    // A path; the holder's name `$(zap)…` is listed as text, never as an icon.
    const byPath = await run(path.basename(sockPath), (i) => i.entry?.type === 'channel');
    assert.equal((byPath.node as ChannelNode).channel.kind, 'unix');
    assert.ok(byPath.listed.every((i) => !/(^|[^\\])\$\(zap\)/.test(`${i.label} ${i.description ?? ''} ${i.detail ?? ''}`)), byPath.listed.map((i) => i.label).join('\n'));
    // Nothing typed: grouped under separators, processes first.
    const browse = await run('', () => false);
    const separators = browse.listed.filter((i) => i.kind === vscode.QuickPickItemKind.Separator).map((i) => i.label);
    // (a long group says how much it lists: "Sockets › TCP (first 200 of 7,620: type to search)")
    assert.match(separators[0], /^Processes\b/);
    assert.ok(['Sockets › TCP', 'Sockets › Unix'].every((g) => separators.some((s) => s === g || s.startsWith(`${g} (`))), separators.join(', '));
  });

  it('toggles are command pairs the manifest switches on the setting; each writes it', async () => {
    const ext = vscode.extensions.getExtension('ipc-inspector.ipc-inspector')!;
    const menus = ext.packageJSON.contributes.menus as Record<string, Array<{ command: string; when?: string }>>;
    const commands = ext.packageJSON.contributes.commands as Array<{ command: string; title: string; category?: string }>;
    for (const [on, off, key] of [
      ['ipcInspector.showWorkspaceProcesses', 'ipcInspector.showAllProcesses', 'config.ipcInspector.workspaceOnly'],
      ['ipcInspector.hideOtherUsers', 'ipcInspector.showOtherUsers', 'config.ipcInspector.hideOtherUsers'],
    ]) {
      for (const menu of ['view/title', 'commandPalette']) {
        const whenOf = (id: string) => menus[menu].find((m) => m.command === id)?.when ?? '';
        assert.match(whenOf(on), new RegExp(`!${key.replace(/\./g, '\\.')}\\b`), `${menu}: ${on} shown while on`);
        assert.match(whenOf(off), new RegExp(`(^|[^!])${key.replace(/\./g, '\\.')}\\b`), `${menu}: ${off} shown while off`);
      }
    }
    assert.ok(commands.every((c) => c.category === 'IPC Inspector'), 'a command without the category');
    assert.ok(!commands.some((c) => /^Toggle/.test(c.title)), 'a "Toggle:" title');
    assert.equal(commands.find((c) => c.command === 'ipcInspector.openInspector')?.title, 'Inspect Channel or Process…');
    const cfg = () => vscode.workspace.getConfiguration('ipcInspector');
    try {
      assert.equal(await vscode.commands.executeCommand('ipcInspector.showWorkspaceProcesses'), true);
      assert.equal(cfg().get('workspaceOnly'), true);
      assert.equal(api.model.filter.workspaceOnly, true);
      assert.match(String(api.channelsView.message), /this workspace only/);
      assert.equal(await vscode.commands.executeCommand('ipcInspector.showAllProcesses'), false);
      assert.equal(cfg().get('workspaceOnly'), false);
    } finally {
      await cfg().update('workspaceOnly', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('Send Signal says before sending that the process ignores SIGTERM (picker detail, then a question)', async () => {
    const record = path.join(os.tmpdir(), `ch-sig-${process.pid}-${Date.now()}.log`);
    const f = await makeFixture('signals', { comm: 'ch-sig', record });
    fixtures.push(f);
    await waitFor('signals target in snapshot', async () => (await api.source.refresh()).processes.some((p) => p.pid === f.info.target));
    let sigterm: vscode.QuickPickItem | undefined;
    let sigusr1: vscode.QuickPickItem | undefined;
    api.testHooks!.pick = (_title, items) => {
      sigterm = items.find((i) => i.label === 'SIGTERM');
      sigusr1 = items.find((i) => i.label === 'SIGUSR1');
      return sigterm;
    };
    const asked: string[] = [];
    api.testHooks!.confirm = (message, detail) => {
      asked.push(`${message}\n${detail}`);
      return false;
    };
    const r = await vscode.commands.executeCommand('ipcInspector.sendSignal', f.info.target);
    assert.equal(r, undefined, 'sent although the question was declined');
    assert.match(String(sigterm?.detail), /^SIGTERM is ignored by this process — it will have no effect/);
    assert.ok(sigterm?.iconPath instanceof vscode.ThemeIcon && sigterm.iconPath.id === 'warning', 'no warning icon on SIGTERM');
    assert.doesNotMatch(String(sigusr1?.detail), /no effect/);
    assert.equal(asked.length, 1, asked.join('\n---\n'));
    assert.match(asked[0], /^SIGTERM will have no effect on ch-sig\[\d+\]\. Send it anyway\?\nSIGTERM is ignored by this process/);
    // A signal it catches goes without a question.
    const usr1 = (await vscode.commands.executeCommand('ipcInspector.sendSignal', f.info.target, 'SIGUSR1')) as { signalName: string } | undefined;
    assert.equal(usr1?.signalName, 'SIGUSR1');
    assert.equal(asked.length, 1);
    await waitFor('handler ran', () => fs.existsSync(record) && /signo=10\b/.test(fs.readFileSync(record, 'utf8')));
    fs.rmSync(record, { force: true });
  });
});
