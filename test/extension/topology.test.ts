// The topology map's host inside the real VS Code: the command opens the panel, and every message
// its (untrusted) webview could post goes through the host's validation — forged, malformed or
// naming something the snapshot does not hold is refused and logged; a valid one opens the
// inspector on exactly that process or channel. Driven through ipcInspector.test.topology
// (test mode only), which feeds the same onMessage path the webview uses.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { makeFixture, closeAll, type Fixture } from '../../fixtures/ipcFixture';
import { openApi, channelWhere, waitFor } from './ipcTestUtil';
import type { IpcInspectorApi } from '../../src/extension';
import { ProblemFeed, type DiagnosingService } from '../../src/webviews/topology/problemFeed';
import type { Diagnosis, Problem } from '../../src/core/diagnose/problem';
import { KEEP_PARTIAL, ProblemsModel } from '../../src/problems/problemsModel';
import type { SnapshotSource, SnapshotUpdate } from '../../src/snapshotSource';
import { TopologyPanel } from '../../src/webviews/topology/topologyPanel';

const CMD = 'ipcInspector.test.topology';
interface TestState { open: boolean; rejected: string[]; opened: Array<{ pid?: number; channelId?: string }> }
const state = async () => (await vscode.commands.executeCommand<TestState>(CMD, 'state'))!;

describe('Topology map host', function () {
  this.timeout(60_000);
  let api: IpcInspectorApi;
  const fixtures: Fixture[] = [];

  before(async () => {
    api = await openApi();
    await vscode.commands.executeCommand(CMD, 'reset');
  });
  after(async () => {
    await vscode.commands.executeCommand(CMD, 'close');
    await vscode.commands.executeCommand('ipcInspector.test.inspector', 'close').then(undefined, () => undefined);
    await closeAll(fixtures);
  });

  it('opens with the command and turns only valid requests for shown objects into inspector targets', async () => {
    const fx = await makeFixture('pipe', { comm: 'ipc-map-host', bytes: 8 });
    fixtures.push(fx);
    const inode = fx.info.inode as number;
    const ch = await channelWhere(api, `pipe ${inode}`, (c) => c.kind === 'pipe' && c.inode === inode);
    await vscode.commands.executeCommand('ipcInspector.showTopology');
    await waitFor('the map panel', async () => (await state()).open);

    const forged: unknown[] = [
      { type: 'inspect', pid: 4194304 }, // structurally fine, but no such process in the snapshot
      { type: 'inspect', channelId: 'sysv-msg:999999999' },
      { type: 'inspect', pid: fx.info.reader.pid, channelId: ch.id },
      { type: 'inspect', pid: -1 },
      { type: 'inspect', channelId: '<img src=x onerror=alert(1)>' },
      { type: 'runCommand', command: 'workbench.action.terminal.new' },
      JSON.parse('{"type":"inspect","pid":1,"__proto__":{"x":1}}'),
    ];
    for (const m of forged) await vscode.commands.executeCommand(CMD, 'post', m);
    const s1 = await state();
    assert.equal(s1.opened.length, 0, `nothing opened: ${JSON.stringify(s1.opened)}`);
    assert.equal(s1.rejected.length, forged.length, s1.rejected.join('\n'));
    assert.match(s1.rejected[0], /not in the snapshot/);
    assert.match(s1.rejected[5], /unknown message type/);

    await vscode.commands.executeCommand(CMD, 'post', { type: 'inspect', pid: fx.info.reader.pid });
    await vscode.commands.executeCommand(CMD, 'post', { type: 'inspect', channelId: ch.id });
    const s2 = await state();
    assert.deepEqual(s2.opened, [{ pid: fx.info.reader.pid }, { channelId: ch.id }]);
    const insp = await vscode.commands.executeCommand<{ open: boolean; target?: { channelId?: string } }>('ipcInspector.test.inspector', 'state');
    assert.equal(insp?.open, true);
    assert.equal(insp?.target?.channelId, ch.id);
  });
});

describe('Topology map problem feed', function () {
  this.timeout(30_000);

  it('a scan of its own stopped because the views\' updates carry the diagnosis is no failure: nothing logged, no "diagnosis failed" note', async () => {
    const warnings: string[] = [];
    let reject: ((e: Error) => void) | undefined;
    let started = false;
    // as SnapshotService does: dispose() rejects the scan in flight
    const service: DiagnosingService = {
      next: () => {
        started = true;
        return new Promise((_, rej) => (reject = rej));
      },
      dispose: () => reject?.(new Error('SnapshotService disposed')),
    };
    const feed = new ProblemFeed(() => service, () => 1000, { warn: (m) => warnings.push(m) });
    try {
      feed.setActive(true);
      await waitFor('the feed\'s own scan', () => started);
      const d = { takenAt: new Date().toISOString(), problems: [], counts: { error: 0, warning: 0, info: 0 } } as unknown as Diagnosis;
      feed.useExternal(d);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(warnings, []);
      assert.doesNotMatch(feed.note, /failed/);
    } finally {
      feed.dispose();
    }
  });

  it("its note says whose diagnosis the map shows, without counts of that diagnosis (the map counts what the Problems view lists); with the views' diagnosis off, that the Problems view lists none", async () => {
    // the map's own scan is machine-wide, not narrowed as the views are: its counts are not the Problems view's
    const problem = { id: 'blocked-writer:pipe:1', rule: 'blocked-writer', severity: 'warning', title: 'w[2] blocked writing to pipe:[1]', channels: ['pipe:1'], pids: [2] };
    const d = { takenAt: new Date().toISOString(), problems: [problem], counts: { error: 0, warning: 40, info: 3 } } as unknown as Diagnosis;
    let viewsDiagnose = false;
    const feed = new ProblemFeed(() => ({ next: async () => ({ diagnosis: d }), dispose: () => undefined }), () => 1000, { warn: () => undefined }, () => viewsDiagnose);
    try {
      feed.setActive(true);
      await waitFor('the own scan\'s problems', () => feed.problems.length === 1);
      assert.match(feed.note, /the map's own scan: the views' diagnosis is off \(setting ipcInspector\.diagnose\), so the Problems view lists none$/);
      assert.doesNotMatch(feed.note, /\d+ (problem|error|warning|info)/);
      viewsDiagnose = true;
      feed.useExternal({ ...d, takenAt: new Date(Date.now() + 1000).toISOString() });
      assert.match(feed.note, /^diagnosis of .+, the views' own$/);
    } finally {
      feed.dispose();
    }
  });
});

describe('Topology map counts as the Problems view', function () {
  this.timeout(60_000);

  it("a problem the Problems view keeps through a diagnosis cut short by its deadline stays on the map too (the map took each update's own diagnosis)", async () => {
    const api = await openApi();
    await vscode.commands.executeCommand(CMD, 'close');
    const snapshot = api.source.current ?? (await api.source.refresh());
    // The poller's updates replaced by an emitter this test fires: a diagnosis cut short by its
    // evidence deadline comes only on a machine too busy to read the evidence in time, which no
    // test can bring about without a timing threshold. Everything else is the extension's own:
    // the ProblemsModel (listening first, as activate() makes it), the panel, the feed.
    const updates = new vscode.EventEmitter<SnapshotUpdate>();
    const source: SnapshotSource = { get current() { return snapshot; }, onDidUpdate: updates.event, refresh: async () => snapshot, hold: () => ({ dispose: () => undefined }) };
    const model = new ProblemsModel(source, api.model, () => true);
    const feed = new ProblemFeed(() => ({ next: () => new Promise<never>(() => undefined), dispose: () => undefined }), () => 1000, { warn: () => undefined });
    const ext = vscode.extensions.getExtension('ipc-inspector.ipc-inspector')!;
    const context = { extensionUri: ext.extensionUri } as vscode.ExtensionContext;
    const panel = TopologyPanel.createOrShow({ context, source, filters: api.model, problems: feed, views: model, openInspector: () => undefined, log: { info: () => undefined, warn: () => undefined }, testMode: true });
    try {
      const problem = (id: string): Problem => ({
        id, rule: 'leftover', severity: 'warning', title: id, trouble: 'held by nobody', subject: id, explanation: { what: '', why: '', next: '', fix: '' },
        evidence: [], channels: [], pids: [], actions: [], since: new Date().toISOString(),
      });
      const a = problem('leftover:map:a');
      const b = problem('leftover:map:b');
      let t = Date.now();
      const update = (problems: Problem[], partial: boolean): SnapshotUpdate => ({
        snapshot,
        diff: { fromTakenAt: null, toTakenAt: snapshot.takenAt, addedChannels: [], removedChannels: [], changedChannels: [], addedProcesses: [], removedProcesses: [], changedProcesses: [], capabilities: snapshot.capabilities, warnings: [], durationMs: 0 },
        diagnosis: { takenAt: new Date(t++).toISOString(), problems, counts: { error: 0, warning: problems.length, info: 0 }, notes: [], samples: 3, evidenceMs: 1, rulesMs: 1, ...(partial ? { partial } : {}) },
      });
      const onMap = () => feed.problems.map((p) => p.id).sort();
      const inView = () => model.shown.map((p) => p.id).sort();
      updates.fire(update([a, b], false));
      assert.deepEqual(onMap(), [a.id, b.id]);
      for (let i = 1; i <= KEEP_PARTIAL; i++) {
        updates.fire(update([a], true));
        assert.deepEqual(inView(), [a.id, b.id], `partial diagnosis ${i}: the Problems view keeps b`);
        assert.deepEqual(onMap(), inView(), `partial diagnosis ${i}: the map too`);
      }
      updates.fire(update([a], true));
      assert.deepEqual(onMap(), [a.id], `both drop b after ${KEEP_PARTIAL} partial diagnoses in a row`);
      assert.deepEqual(onMap(), inView());
    } finally {
      panel.dispose();
      feed.dispose();
      model.dispose();
      updates.dispose();
    }
  });
});
