// The IPC Inspector commands inside the real extension host, on real fixtures: filter, scope,
// hide kinds, toggles, go to, copy, export (a Uri argument replaces the save dialog), remove (the
// confirmation is a test hook: cancelling keeps the queue), send signal, pause/resume, debug scope.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { IpcInspectorApi } from '../../src/extension';
import type { RemoveResult } from '../../src/core/actions';
import type { ChannelNode, GroupNode } from '../../src/views/nodes';
import { channelWhere, heldBy, openApi, scan, selectThrough, waitFor, walk } from './ipcTestUtil';

const cfg = () => vscode.workspace.getConfiguration('ipcInspector');

function sysvMsgExists(msqid: number): boolean {
  return fs
    .readFileSync('/proc/sysvipc/msg', 'utf8')
    .split('\n')
    .slice(1)
    .some((l) => l.trim().split(/\s+/)[1] === String(msqid));
}

describe('IPC commands', function () {
  this.timeout(60_000);
  let api: IpcInspectorApi;
  const fixtures: Fixture[] = [];
  let pipeF: Fixture;
  let tcpF: Fixture;

  before(async () => {
    api = await openApi();
    assert.ok(api.testHooks, 'test hooks are exposed in test mode');
    pipeF = await makeFixture('pipe', { comm: 'ic-pipe' });
    tcpF = await makeFixture('tcp4', { comm: 'ic-tcp' });
    fixtures.push(pipeF, tcpF);
    await channelWhere(api, 'pipe', (c) => c.kind === 'pipe' && c.inode === pipeF.info.inode);
    await channelWhere(api, 'tcp', (c) => c.kind === 'tcp' && heldBy(tcpF.pids)(c));
  });
  afterEach(async () => {
    api.testHooks!.confirm = undefined;
    api.testHooks!.pick = undefined;
    await vscode.commands.executeCommand('ipcInspector.clearFilter');
    await vscode.commands.executeCommand('ipcInspector.clearScope');
  });
  after(async () => {
    await cfg().update('hiddenKinds', undefined, vscode.ConfigurationTarget.Global);
    await cfg().update('hideOtherUsers', undefined, vscode.ConfigurationTarget.Global);
    await cfg().update('scopeToDebuggee', undefined, vscode.ConfigurationTarget.Global);
    await closeAll(fixtures);
  });

  it('Filter narrows both views by process name and sets ipcInspector.filtered; Clear Filter restores', async () => {
    await vscode.commands.executeCommand('ipcInspector.filter', 'ic-pipe');
    const ids = api.model.result.channels.map((c) => c.id);
    assert.ok(ids.includes(`pipe:${pipeF.info.inode}`) || api.model.result.channels.some((c) => c.kind === 'pipe' && c.inode === pipeF.info.inode));
    assert.ok(api.model.result.channels.every((c) => c.endpoints.some((e) => api.model.procs.get(e.pid)?.comm.includes('ic-pipe'))), 'a channel without ic-pipe passed the filter');
    assert.ok(api.model.filtering);
    const procs = (await walk(api.processesTree, 64)).filter((n) => n.type === 'process');
    assert.ok(procs.length > 0);
    await vscode.commands.executeCommand('ipcInspector.clearFilter');
    assert.equal(api.model.filtering, false);
    assert.ok(api.model.result.channels.length > ids.length);
  });

  it('Filter by :port finds the TCP fixture only', async () => {
    const port = tcpF.info.port as number;
    await vscode.commands.executeCommand('ipcInspector.filter', `:${port}`);
    assert.ok(api.model.result.channels.length >= 1);
    assert.ok(api.model.result.channels.every((c) => c.kind === 'tcp' && (c.local.endsWith(`:${port}`) || c.remote.endsWith(`:${port}`))));
  });

  it('Scope to Process Tree keeps only that process and its children', async () => {
    const pid = pipeF.pid;
    await vscode.commands.executeCommand('ipcInspector.scopeToProcess', pid);
    assert.equal(api.filters.scopePid, pid);
    const allowed = new Set(pipeF.pids);
    assert.ok(api.model.result.channels.length > 0);
    for (const c of api.model.result.channels) assert.ok(c.endpoints.some((e) => allowed.has(e.pid)), `${c.id} outside the scope`);
    // Flat by default: the scope's root and the processes under it that hold IPC, nothing else.
    const roots = api.processesTree.getChildren();
    assert.ok(roots.some((r) => r.id === `proc:${pid}`), 'the scope root is listed');
    assert.ok(roots.every((r) => r.type === 'process' && allowed.has(r.proc.pid)), `outside the scope: ${roots.map((r) => r.id).join(', ')}`);
    await vscode.commands.executeCommand('ipcInspector.clearScope');
    assert.equal(api.filters.scopePid, undefined);
  });

  it('debug sessions reporting a process scope the views (scopeToDebuggee = always) and clear on end', async () => {
    await cfg().update('scopeToDebuggee', 'always', vscode.ConfigurationTarget.Global);
    const ok = await api.debugScope.onProcess({ id: 'test-session', name: 'test' }, tcpF.pid, '/usr/bin/ic-tcp');
    assert.equal(ok, true);
    assert.equal(api.filters.scopePid, tcpF.pid);
    await cfg().update('scopeToDebuggee', 'never', vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('ipcInspector.clearScope');
    assert.equal(await api.debugScope.onProcess({ id: 'test-2', name: 'test' }, tcpF.pid, 'x'), false);
    assert.equal(api.filters.scopePid, undefined);
  });

  it('Show/Hide Kinds hides the Pipes group; toggles write their settings', async () => {
    await vscode.commands.executeCommand('ipcInspector.hideKinds', ['pipe']);
    await waitFor('hiddenKinds applied', () => api.model.filter.hiddenKinds.includes('pipe'));
    assert.ok(!api.channelsTree.getChildren().some((g) => g.id === 'group:pipes'));
    assert.ok(!api.model.result.channels.some((c) => c.kind === 'pipe'));
    await vscode.commands.executeCommand('ipcInspector.hideKinds', []);
    await waitFor('hiddenKinds cleared', () => api.model.filter.hiddenKinds.length === 0);
    assert.ok(api.channelsTree.getChildren().some((g) => g.id === 'group:pipes'));
    // via the quick pick (test hook): show only tcp
    api.testHooks!.pick = (_t, items) => items.filter((i) => (i as unknown as { kind0: string }).kind0 === 'tcp');
    await vscode.commands.executeCommand('ipcInspector.hideKinds');
    await waitFor('only tcp', () => api.model.result.channels.length > 0 && api.model.result.channels.every((c) => c.kind === 'tcp'));
    await vscode.commands.executeCommand('ipcInspector.hideKinds', []);
    const on = await vscode.commands.executeCommand('ipcInspector.hideOtherUsers');
    assert.equal(on, true);
    assert.equal(cfg().get('hideOtherUsers'), true);
    await vscode.commands.executeCommand('ipcInspector.showOtherUsers');
    assert.equal(cfg().get('hideOtherUsers'), false);
  });

  it('Go to by port reveals the TCP channel; Copy as JSON copies it', async () => {
    const node = (await vscode.commands.executeCommand('ipcInspector.goTo', `:${tcpF.info.port}`)) as ChannelNode;
    assert.ok(node && node.type === 'channel' && node.channel.kind === 'tcp');
    await waitFor('find selects the node', () => api.channelsView.selection[0]?.id === node.id, 5000).catch((e) => {
      throw new Error(`${e.message}: selection=${api.channelsView.selection.map((n) => n.id)} visible=${api.channelsView.visible} node=${node.id} parent=${node.parent?.id}/${node.parent?.parent?.id}`);
    });
    assert.equal((node.parent as GroupNode).id, 'group:sockets/tcp');
    const text = (await vscode.commands.executeCommand('ipcInspector.copyAsJson', node)) as string;
    assert.equal(JSON.parse(text).id, node.channel.id);
    assert.equal(await vscode.env.clipboard.readText(), text);
  });

  it('Export Snapshot writes the contract JSON to the given Uri', async () => {
    const file = path.join(os.tmpdir(), `ipc-export-${process.pid}-${Date.now()}.json`);
    const uri = (await vscode.commands.executeCommand('ipcInspector.exportSnapshot', vscode.Uri.file(file))) as vscode.Uri;
    assert.equal(uri?.fsPath, file);
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.rmSync(file);
    assert.equal(typeof json.version, 'number');
    assert.ok(typeof json.takenAt === 'string' && !Number.isNaN(Date.parse(json.takenAt)));
    for (const k of ['host', 'capabilities', 'warnings', 'processes', 'channels']) assert.ok(k in json, `no ${k}`);
    assert.ok(json.channels.some((c: { kind: string; inode: number }) => c.kind === 'pipe' && c.inode === pipeF.info.inode));
  });

  it('Remove IPC Object removes a SysV queue only after confirmation (cancel keeps it)', async () => {
    const f = await makeFixture('sysv-msg', { comm: 'ic-msg', count: 2 });
    fixtures.push(f);
    const ch = await channelWhere(api, 'sysv queue', (c) => c.kind === 'sysv-msg' && c.msqid === f.info.msqid);
    const asked: string[] = [];
    api.testHooks!.confirm = (message, detail) => {
      asked.push(`${message}\n${detail}`);
      return false;
    };
    await vscode.commands.executeCommand('ipcInspector.removeObject', ch.id);
    assert.equal(asked.length, 1);
    assert.match(asked[0], new RegExp(`message queue ${f.info.msqid}`));
    assert.match(asked[0], /No process (that could be read )?holds it|Held by/);
    assert.ok(sysvMsgExists(f.info.msqid), 'cancelled, yet the queue is gone');
    api.testHooks!.confirm = () => true;
    const node = api.channelsTree.findChannel(ch.id)!;
    const done = await vscode.commands.executeCommand<RemoveResult | undefined>('ipcInspector.removeObject', node);
    assert.equal(sysvMsgExists(f.info.msqid), false, 'confirmed, yet the queue exists');
    // the addon's checked IPC_RMID, loaded by the extension host's own Node, not ipcrm
    assert.equal(done?.action, `msgctl(${f.info.msqid}, IPC_RMID)`);
    await scan(api);
    assert.equal(api.channelsTree.findChannel(ch.id), undefined);
  });

  it('Remove IPC Object without a target asks which of the removable objects (the palette, a row a refresh replaced)', async () => {
    const f = await makeFixture('sysv-msg', { comm: 'ic-msgpick', count: 1 });
    fixtures.push(f);
    const ch = await channelWhere(api, 'sysv queue', (c) => c.kind === 'sysv-msg' && c.msqid === f.info.msqid);
    // A pipe selected (not removable): the command asks rather than refusing the selection.
    const pipe = await channelWhere(api, 'pipe', (c) => c.kind === 'pipe' && c.inode === pipeF.info.inode);
    await selectThrough(api.channelsView, 'the pipe selected', () => api.channelsTree.findChannel(pipe.id));
    let offered: { label: string; detail?: string }[] = [];
    api.testHooks!.pick = (title, items) => {
      if (title !== 'Remove which IPC object?') return undefined;
      offered = items as { label: string; detail?: string }[];
      return items.find((i) => (i as { detail?: string }).detail === ch.id);
    };
    const asked: string[] = [];
    api.testHooks!.confirm = (message) => {
      asked.push(message);
      return true;
    };
    await vscode.commands.executeCommand('ipcInspector.removeObject');
    assert.ok(offered.some((i) => i.detail === ch.id), 'the queue was offered');
    assert.ok(offered.every((i) => !/^pipe:/.test(i.detail ?? '')), 'a selected pipe is not removable, and nothing but removable objects is offered');
    assert.equal(asked.length, 1, 'asked once before removing');
    assert.equal(sysvMsgExists(f.info.msqid), false, 'picked and confirmed, yet the queue exists');
    const said = (api.testHooks!.record ?? []).length;
    assert.equal(await vscode.commands.executeCommand('ipcInspector.removeObject', 'sysv-msg:no-such'), undefined);
    assert.ok((api.testHooks!.record ?? []).slice(said).some((r) => /no channel sysv-msg:no-such/.test(r.text)), 'an unknown id is said');
  });

  it('Remove IPC Object refuses non-removable kinds without asking', async () => {
    let asked = false;
    api.testHooks!.confirm = () => (asked = true);
    const res = await vscode.commands.executeCommand('ipcInspector.removeObject', `pipe:${pipeF.info.inode}`);
    assert.equal(res, undefined);
    assert.equal(asked, false);
  });

  it('Send Signal delivers SIGUSR1 to the caught handler; SIGKILL asks first and cancelling keeps the process', async () => {
    const record = path.join(os.tmpdir(), `ipc-sig-${process.pid}-${Date.now()}.log`);
    const f = await makeFixture('signals', { comm: 'ic-sig', record });
    fixtures.push(f);
    await waitFor('signals target in snapshot', async () => (await api.source.refresh()).processes.some((p) => p.pid === f.info.target));
    let asked = 0;
    api.testHooks!.confirm = () => {
      asked++;
      return false;
    };
    const r = (await vscode.commands.executeCommand('ipcInspector.sendSignal', f.info.target, 'SIGUSR1')) as { signalName: string } | undefined;
    assert.equal(r?.signalName, 'SIGUSR1');
    assert.equal(asked, 0, 'SIGUSR1 to own process should not ask');
    await waitFor('handler ran', () => fs.existsSync(record) && /signo=10\b/.test(fs.readFileSync(record, 'utf8')));
    // quick picks through the test hook: process, then signal
    api.testHooks!.pick = (title, items) => {
      if (/which process/.test(title)) return items.find((i) => (i as unknown as { pid: number }).pid === f.info.target);
      return items.find((i) => i.label === 'SIGKILL');
    };
    const k = await vscode.commands.executeCommand('ipcInspector.sendSignal');
    assert.equal(k, undefined);
    assert.equal(asked, 1, 'SIGKILL was not confirmed');
    process.kill(f.info.target, 0); // still alive
    fs.rmSync(record, { force: true });
  });

  it('Pause stops live updates and sets the context; Resume restarts; Refresh scans while paused', async () => {
    await vscode.commands.executeCommand('ipcInspector.pause');
    assert.equal(api.source.paused, true);
    assert.equal(api.source.active, false);
    // let a scan already in flight (or queued behind one) settle: until no scan ends for 1.5 s
    let n = api.source.stats.scans;
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 1500));
      if (api.source.stats.scans === n) break;
      n = api.source.stats.scans;
    }
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(api.source.stats.scans, n, 'scanned while paused');
    const snap = await vscode.commands.executeCommand('ipcInspector.refresh');
    assert.ok(snap, 'refresh returned no snapshot');
    assert.equal(api.source.stats.scans, n + 1);
    await vscode.commands.executeCommand('ipcInspector.resume');
    assert.equal(api.source.paused, false);
    await waitFor('polling again', () => api.source.stats.scans > n + 1, 5000);
  });

  it('the palette path of every command (no arguments, every question answered no): each asks or says why, and changes nothing', async () => {
    const asked: string[] = [];
    const picked: string[] = [];
    api.testHooks!.confirm = (title) => {
      asked.push(title);
      return false;
    };
    api.testHooks!.pick = (title) => {
      picked.push(title);
      return undefined;
    };
    const said = () => (api.testHooks!.record ?? []).filter((r) => r.kind !== 'pick').map((r) => r.text);
    const run = <T>(id: string) => vscode.commands.executeCommand<T>(id);
    const scans = api.source.stats.scans;
    const snap = await run<{ channels: unknown[] }>('ipcInspector.refresh');
    assert.ok(snap && Array.isArray(snap.channels), 'refresh returns the snapshot');
    assert.ok(api.source.stats.scans > scans, 'refresh scanned');
    assert.equal(await run('ipcInspector.openInspector'), undefined);
    assert.ok(picked.some((t) => /^Inspect Channel or Process/.test(t)), `openInspector asked which channel or process (${picked.join(' | ')})`);
    assert.equal(await run('ipcInspector.scopeToProcess'), undefined);
    assert.ok(picked.includes('Scope the views to which process tree?'));
    assert.equal(api.model.filter.scopePid, undefined, 'no scope set');
    const before = said().length;
    const sig = await run('ipcInspector.sendSignal');
    assert.equal(sig, undefined, 'nothing sent');
    assert.ok(picked.includes('Send signal to which process?') || said().length > before, 'sendSignal asked which process or said why not');
    // the rest act on the selection when there is one, else say what to select
    const [removing, removingSaid] = [picked.length, said().length];
    assert.equal(await run('ipcInspector.removeObject'), undefined);
    // which object (none selected, or nothing removable), or the selected one (refused by the hook), or that there is none
    assert.ok(picked.slice(removing).includes('Remove which IPC object?') || asked.some((t) => /^Remove /.test(t)) || said().length > removingSaid, `removeObject asked which object (${picked.join(' | ')})`);
    for (const id of ['ipcInspector.copyAsJson', 'ipcInspector.revealPeer']) {
      const n = said().length;
      const r = await run(id);
      if (id === 'ipcInspector.copyAsJson' && typeof r === 'string') assert.ok(JSON.parse(r), 'copied a node as JSON');
      else if (id === 'ipcInspector.revealPeer' && r !== undefined) assert.ok((r as { id?: string }).id, 'revealed a node');
      else {
        assert.equal(r, undefined, `${id} did nothing`);
        assert.ok(said().length > n || asked.length > 0, `${id} said why (${said().slice(n).join(' | ')})`);
      }
    }
    assert.ok(asked.every((t) => /^Remove /.test(t)), `only a removal may have been asked (and refused): ${asked.join(' | ')}`);
    await run('ipcInspector.showLog');
  });
});
