// The diagnosis in the editor (issue 12, stage 2) from inside the real extension host, on real
// objects that make real problems: a two-process pipe deadlock (rule 8, error), an orphaned SysV
// segment (rule 6, warning, Remove), a stale socket file (rule 3, info, Remove) and a SysV queue
// whose consumer is stopped (rule 5, SIGCONT). Checked: the Problems view's grouping by severity
// and its badge, the click that reveals the object in its tree and opens the inspector, the
// markers on the Channels items (kept across refreshes), the status bar's count, Remove behind
// the confirmation (cancel keeps the object), the offered signal, the inspector's Problems
// section with the chain, and hostile names and paths escaped in the tree and its tooltips.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { Diagnosis, Problem } from '../../src/core/diagnose/problem';
import { KEEP_PARTIAL, ProblemsModel, type ProblemsChange } from '../../src/problems/problemsModel';
import type { SnapshotUpdate } from '../../src/snapshotSource';
import type { IpcInspectorApi } from '../../src/extension';
import { ProblemsTree, type ProblemsTreeNode } from '../../src/problems/problemsTree';
import type { ViewModel } from '../../src/views/viewModel';
import { labelOf, openApi, scan, tooltipText, waitFor } from './ipcTestUtil';

const INSPECTOR = 'ipcInspector.test.inspector';
interface Rendered { view: string; texts: string[]; elementCount: number; imgCount: number; scriptCount: number }
interface InspectorState { open: boolean; target?: { channelId?: string; pid?: number }; rendered: Rendered[] }
const inspectorState = async () => (await vscode.commands.executeCommand<InspectorState>(INSPECTOR, 'state'))!;

/** A comm that is Markdown link syntax (15 bytes at most: the kernel's limit). */
const HOSTILE_COMM = '[a](command:x)';
/** A file name that is Markdown, HTML and a command link at once. */
const HOSTILE_NAME = '[x](command:workbench.action.quit) **b** <img src=x>.sock';

describe('problems', function () {
  this.timeout(120_000);
  let api: IpcInspectorApi;
  const fixtures: Fixture[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-problems-'));

  /** Scans until `pick` finds the problem (the rules need a few refreshes of history). */
  const problemWhere = (what: string, pick: (p: Problem) => boolean, ms = 30_000) =>
    waitFor(what, async () => {
      await scan(api);
      return api.problems.problems.shown.find(pick);
    }, ms);
  const gone = (what: string, id: string, ms = 30_000) =>
    waitFor(what, async () => {
      await scan(api);
      return !api.problems.problems.all.some((p) => p.id === id);
    }, ms);
  const node = (id: string) => api.problems.problemsTree.find(id)!;

  before(async () => {
    api = await openApi();
    await vscode.commands.executeCommand('ipcInspector.problems.focus');
  });
  afterEach(async () => {
    api.testHooks!.confirm = undefined;
    api.testHooks!.pick = undefined;
    await vscode.commands.executeCommand('ipcInspector.clearFilter');
  });
  after(async () => {
    await vscode.commands.executeCommand(INSPECTOR, 'close');
    await closeAll(fixtures);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the diagnosis is on by default and runs in the scan worker', async () => {
    assert.equal(vscode.workspace.getConfiguration('ipcInspector').get('diagnose'), true);
    await scan(api);
    await scan(api);
    const d = api.problems.problems.diagnosis;
    assert.ok(d, 'the poller\'s updates carry a diagnosis');
    assert.ok(d.samples >= 2, `history kept between refreshes (samples ${d.samples})`);
    console.log(`IPC-METRIC diagnosisWorkerMs=${api.source.stats.lastDiagnosisMs.toFixed(2)} problemsMainMs=${api.problems.problems.lastUpdateMs.toFixed(3)} problems=${d.problems.length}`);
  });

  it('groups real problems by severity, badge counting errors and warnings; a click reveals the channel and inspects it; markers stay across refreshes', async () => {
    const dl = await makeFixture('pipe-deadlock', { comm: 'pr-deadlock' });
    fixtures.push(dl);
    const left = await makeFixture('sysv-shm', { comm: 'pr-left', orphan: 1, attach: 0, size: 4096 });
    fixtures.push(left);
    const cycle = await problemWhere('the wait cycle', (p) => p.rule === 'wait-cycle' && p.pids.includes(dl.info.a.pid));
    const leftover = await problemWhere('the leftover', (p) => p.id === `leftover:orphan:sysv-shm:${left.info.shmid}`);
    assert.equal(cycle.severity, 'error');
    assert.equal(leftover.severity, 'warning');

    // grouping: Errors, Warnings, Information in that order, each problem under its severity
    const tree = api.problems.problemsTree;
    const groups = tree.getChildren();
    assert.deepEqual(groups.map((g) => (g as { severity: string }).severity), ['error', 'warning', 'info'].filter((s) => api.problems.problems.counts()[s as 'error'] > 0));
    const errors = tree.getChildren(groups[0]);
    assert.ok(errors.some((n) => n.type === 'problem' && n.problem.id === cycle.id));
    assert.ok(errors.every((n) => n.type === 'problem' && n.problem.severity === 'error'));
    const warnings = tree.getChildren(groups.find((g) => g.type === 'severity' && g.severity === 'warning'));
    assert.ok(warnings.some((n) => n.type === 'problem' && n.problem.id === leftover.id));
    const groupItem = tree.getTreeItem(groups[0]);
    assert.equal(groupItem.label, 'Errors');
    assert.equal(groupItem.description, String(api.problems.problems.counts().error));

    // the item leads with what is wrong, the cycle after it; the tooltip teaches and lists the evidence
    const item = tree.resolveTreeItem(tree.getTreeItem(node(cycle.id)), node(cycle.id));
    assert.equal(labelOf(item), 'wait cycle (deadlock)');
    assert.ok(String(item.description).startsWith(`${cycle.subject} · since `), String(item.description));
    assert.match(cycle.subject, /^pr-deadlock\[\d+\] → pipe:\[\d+\] → /);
    assert.equal(item.accessibilityInformation?.label, `error: wait cycle (deadlock) — ${cycle.title}`);
    assert.equal(item.contextValue, 'ipc.problem signal');
    const tip = tooltipText(item);
    assert.match(tip, /\*\*What:\*\*/);
    assert.match(tip, /\*\*Fix:\*\*/);
    assert.match(tip, /\*\*Evidence\*\*/);
    assert.equal((item.tooltip as vscode.MarkdownString).isTrusted, false);
    assert.equal(tree.getTreeItem(node(leftover.id)).contextValue, 'ipc.problem removable');

    // the badge: errors + warnings shown
    await scan(api);
    const c = api.problems.problems.counts();
    assert.equal(api.problems.problemsView.badge?.value, c.error + c.warning);
    // with the diagnosis on this is the container's badge: the host facts (the Channels badge's, off now) are in its tooltip
    const host = await waitFor('the host line', () => api.viewChrome.hostLine || undefined);
    assert.match(host, /kernel \S+ · \d+ CPUs?$/);
    assert.match(api.problems.problemsView.badge!.tooltip, new RegExp(`^IPC problems: ${c.error.toLocaleString('en-US')} errors?, ${c.warning.toLocaleString('en-US')} warnings?, ${c.info.toLocaleString('en-US')} info — `));
    assert.ok(api.problems.problemsView.badge!.tooltip.endsWith(` — ${host}`), api.problems.problemsView.badge!.tooltip);

    // the status bar counts problems and opens the Problems view
    assert.ok(api.statusBar.visible);
    assert.ok(api.statusBar.problemList().some((p) => p.id === cycle.id));

    // a click (TreeItem.command, no arguments) on the problem reveals the pipe and inspects it
    await vscode.commands.executeCommand(INSPECTOR, 'close');
    assert.equal(item.command?.command, 'ipcInspector.problems.openSelection');
    assert.equal(item.command?.arguments, undefined);
    // the click: reveal and select. A live refresh of the Problems tree can take the selection away
    // in between (the workbench's reveal/refresh race the product retries too, problemActions.ts):
    // as a person would, click again — at most three times.
    const problemId = `problem:${cycle.id}`;
    for (let attempt = 0; attempt < 3 && api.problems.problemsView.selection[0]?.id !== problemId; attempt++) {
      await api.problems.problemsView.reveal(node(cycle.id), { select: true, focus: true });
      await waitFor('the problem selected', () => api.problems.problemsView.selection[0]?.id === problemId, 4000).catch(() => undefined);
    }
    assert.equal(api.problems.problemsView.selection[0]?.id, problemId, 'the problem is the selection after three clicks');
    const opened = await vscode.commands.executeCommand<{ target: { channelId?: string }; revealed: boolean }>('ipcInspector.problems.openSelection');
    assert.equal(opened?.revealed, true);
    assert.equal(opened?.target.channelId, cycle.channels[0]);
    await waitFor('the pipe selected in Channels', () => api.channelsView.selection[0]?.id === `ch:${cycle.channels[0]}`);
    assert.deepEqual((await inspectorState()).target, { channelId: cycle.channels[0] });

    // under the problem: its objects; a process one reveals the process
    const objects = tree.getChildren(node(cycle.id)) as ProblemsTreeNode[];
    const procObj = objects.find((o) => o.type === 'object' && 'pid' in o.target && o.target.pid === dl.info.b.pid)!;
    assert.ok(procObj, objects.map((o) => o.id).join(', '));
    const r = await vscode.commands.executeCommand<{ target: { pid?: number }; revealed: boolean }>('ipcInspector.problems.reveal', procObj);
    assert.deepEqual(r?.target, { pid: dl.info.b.pid });
    assert.equal(r?.revealed, true);
    await waitFor('the process selected in Processes', () => api.processesView.selection[0]?.id === `proc:${dl.info.b.pid}`);

    // markers on the tree items: the error icon on the pipe, the same after more refreshes
    const pipeNode = api.channelsTree.findChannel(cycle.channels[0])!;
    const iconOf = async () => ((await api.channelsChrome.getTreeItem(pipeNode)).iconPath as vscode.ThemeIcon | undefined)?.id;
    assert.equal(await iconOf(), 'error');
    const leftNode = api.channelsTree.findChannel(`sysv-shm:${left.info.shmid}`)!;
    assert.equal(((await api.channelsChrome.getTreeItem(leftNode)).iconPath as vscode.ThemeIcon).id, 'warning');
    const resolved = await api.channelsChrome.resolveTreeItem!(await api.channelsChrome.getTreeItem(leftNode), leftNode, new vscode.CancellationTokenSource().token);
    assert.match(tooltipText(resolved!), /\*\*Problems\*\*/);
    const since = api.problems.problems.byId.get(cycle.id)!.since;
    for (let i = 0; i < 3; i++) {
      await scan(api);
      assert.equal(await iconOf(), 'error', `refresh ${i + 1}`);
    }
    assert.equal(api.problems.problems.byId.get(cycle.id)!.since, since, 'the problem keeps its first-seen time');

    // the inspector's Problems section draws the cycle
    const rendered = await waitFor('the problems section', async () =>
      [...(await inspectorState()).rendered].reverse().find((x) => x.texts.some((t) => t.startsWith('chain:'))),
    15_000);
    assert.ok(rendered.texts.some((t) => t === `problem:error:${cycle.title}`), rendered.texts.filter((t) => t.startsWith('problem')).join('\n'));
    const chain = rendered.texts.find((t) => t.startsWith('chain:'))!;
    assert.equal(chain.split(' -> ').length, 5, chain);
    assert.match(chain, /^chain:process:pr-deadlock\[\d+\] -> channel:pipe:\[\d+\] -> process:pr-deadlock\[\d+\] -> channel:pipe:\[\d+\] -> process:pr-deadlock\[\d+\]$/);
    assert.ok(rendered.texts.some((t) => t.startsWith('problemEvidence:waits=')));

    // fixed: the problem leaves the view and the marker goes
    process.kill(dl.info.a.pid, 'SIGUSR1');
    await gone('the cycle after a drains', cycle.id);
    assert.ok(!api.problems.problemsTree.getChildren(api.problems.problemsTree.groups.get('error')).some((n) => n.id === `problem:${cycle.id}`));
    const after = await api.channelsChrome.getTreeItem(pipeNode);
    assert.notEqual((after.iconPath as vscode.ThemeIcon | undefined)?.id, 'error');
  });

  it('Remove on a leftover asks first: cancel keeps it, confirm removes it and the problem goes', async () => {
    const left = await makeFixture('sysv-shm', { comm: 'pr-left2', orphan: 1, attach: 0, size: 8192 });
    fixtures.push(left);
    const id = `leftover:orphan:sysv-shm:${left.info.shmid}`;
    await problemWhere('the leftover', (p) => p.id === id);
    const asked: string[] = [];
    api.testHooks!.confirm = (m, d) => {
      asked.push(`${m}\n${d}`);
      return false;
    };
    const cancelled = await vscode.commands.executeCommand<{ status: string }>('ipcInspector.problems.remove', node(id));
    assert.equal(cancelled?.status, 'cancelled');
    assert.equal(asked.length, 1);
    assert.match(asked[0], /^Remove System V shared memory|^Remove SysV shared memory|^Remove .*shmid/);
    const ids = execFileSync('ipcs', ['-m'], { encoding: 'utf8' });
    assert.match(ids, new RegExp(`\\b${left.info.shmid}\\b`), 'cancel keeps the segment');
    await problemWhere('the leftover still reported after cancel', (p) => p.id === id, 15_000);

    api.testHooks!.confirm = () => true;
    const done = await vscode.commands.executeCommand<{ status: string }>('ipcInspector.problems.remove', node(id));
    assert.equal(done?.status, 'done');
    assert.doesNotMatch(execFileSync('ipcs', ['-m'], { encoding: 'utf8' }), new RegExp(`^\\S+\\s+${left.info.shmid}\\s`, 'm'));
    await gone('the leftover after Remove', id);
  });

  it('a stale socket file with a hostile name: the row leads with the trouble, the name plain in its description, escaped in the tooltip; Remove unlinks exactly that file', async () => {
    const file = path.join(tmp, HOSTILE_NAME);
    execFileSync('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])', file]);
    assert.ok(fs.lstatSync(file).isSocket());
    const p = await problemWhere('the stale socket', (x) => x.rule === 'socket-path' && x.title.includes(tmp));
    assert.equal(p.severity, 'info');
    const n = node(p.id);
    const item = api.problems.problemsTree.resolveTreeItem(api.problems.problemsTree.getTreeItem(n), n);
    // the label says what is wrong; the file follows in the description and the accessible label,
    // plain text (never rendered as Markdown), no control characters
    assert.equal(labelOf(item), 'stale socket file: nothing bound');
    assert.ok(String(item.description).startsWith(file), String(item.description));
    assert.ok(item.accessibilityInformation!.label.includes(HOSTILE_NAME));
    for (const t of [labelOf(item), String(item.description), item.accessibilityInformation!.label]) assert.doesNotMatch(t, /[\x00-\x1f\x7f]/);
    const md = item.tooltip as vscode.MarkdownString;
    assert.equal(md.isTrusted, false);
    assert.equal(md.supportHtml, false);
    assert.ok(!md.value.includes('[x](command:'), 'a command link in the tooltip');
    assert.doesNotMatch(md.value, /(^|[^\\])<img/, 'raw HTML in the tooltip');
    assert.ok(md.value.includes('\\[x\\]\\(command\\:workbench\\.action\\.quit\\)'), md.value);
    assert.equal(item.contextValue, 'ipc.problem removable');

    api.testHooks!.confirm = () => false;
    assert.equal((await vscode.commands.executeCommand<{ status: string }>('ipcInspector.problems.remove', n))?.status, 'cancelled');
    assert.ok(fs.existsSync(file), 'cancel keeps the file');
    let asked = '';
    api.testHooks!.confirm = (m) => {
      asked = m;
      return true;
    };
    assert.equal((await vscode.commands.executeCommand<{ status: string }>('ipcInspector.problems.remove', n))?.status, 'done');
    assert.ok(asked.startsWith('Remove the socket file '), asked);
    assert.ok(!fs.existsSync(file));
    await gone('the stale socket after Remove', p.id);
  });

  it('hostile process names are escaped in problem tooltips and the tooltips of the marked items; labels stay plain text', async () => {
    const dl = await makeFixture('pipe-deadlock', { comm: HOSTILE_COMM });
    fixtures.push(dl);
    const p = await problemWhere('the hostile cycle', (x) => x.rule === 'wait-cycle' && x.pids.includes(dl.info.a.pid));
    assert.ok(p.title.includes(HOSTILE_COMM));
    const n = node(p.id);
    const item = api.problems.problemsTree.resolveTreeItem(api.problems.problemsTree.getTreeItem(n), n);
    const tip = tooltipText(item);
    assert.ok(!tip.includes(HOSTILE_COMM), 'the comm unescaped in a Markdown tooltip');
    assert.ok(tip.includes('\\[a\\]\\(command\\:x\\)'), tip);
    // the pipe's own tooltip gets the problem lines, escaped too
    const pipeNode = api.channelsTree.findChannel(p.channels[0])!;
    const resolved = await api.channelsChrome.resolveTreeItem!(await api.channelsChrome.getTreeItem(pipeNode), pipeNode, new vscode.CancellationTokenSource().token);
    const ptip = tooltipText(resolved!);
    assert.match(ptip, /\*\*Problems\*\*/);
    assert.ok(!ptip.includes(HOSTILE_COMM));
    // the objects under the problem: plain labels
    const objects = api.problems.problemsTree.getChildren(n);
    const procItem = api.problems.problemsTree.getTreeItem(objects.find((o) => o.type === 'object' && 'pid' in o.target)!);
    assert.ok(labelOf(procItem).includes(HOSTILE_COMM));
    process.kill(dl.info.a.pid, 'SIGUSR1');
    await gone('the hostile cycle', p.id);
  });

  it('a queue whose consumer is stopped: the offered SIGCONT goes through the signal policy and clears it', async () => {
    const f = await makeFixture('msg-flow', { comm: 'pr-flow', period: 50 });
    fixtures.push(f);
    await new Promise((r) => setTimeout(r, 300)); // it receives a few first (its last receiver)
    process.kill(f.info.consumer, 'SIGSTOP');
    try {
      const id = `queue-not-draining:sysv-msg:${f.info.msqid}`;
      const p = await problemWhere('queue not draining', (x) => x.id === id);
      assert.ok(p.actions.some((a) => a.kind === 'signal' && a.signal === 'SIGCONT' && a.pid === f.info.consumer));
      assert.match(api.problems.problemsTree.getTreeItem(node(id)).contextValue ?? '', /\bsignal\b/);
      const out = await vscode.commands.executeCommand<{ status: string; message: string }>('ipcInspector.problems.signal', node(id));
      assert.equal(out?.status, 'done', out?.message);
      assert.match(out!.message, /^sent SIGCONT to pr-flow\[\d+\]/);
      await gone('the queue problem after SIGCONT', id);
    } finally {
      process.kill(f.info.consumer, 'SIGCONT');
    }
  });

  it('Send the Offered Signal on a wait cycle asks before SIGTERM (one click on the inline button would end a process): cancel sends nothing, yes ends it', async () => {
    const dl = await makeFixture('pipe-deadlock', { comm: 'pr-offered' });
    fixtures.push(dl);
    const cycle = await problemWhere('the wait cycle', (p) => p.rule === 'wait-cycle' && p.pids.includes(dl.info.a.pid));
    const which = cycle.actions.filter((a) => a.kind === 'signal').findIndex((a) => a.kind === 'signal' && a.signal === 'SIGTERM');
    assert.ok(which >= 0, JSON.stringify(cycle.actions));
    const offered = cycle.actions.filter((a) => a.kind === 'signal')[which] as Extract<Problem['actions'][number], { kind: 'signal' }>;
    const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    const asked: string[] = [];
    api.testHooks!.confirm = (m, d) => {
      asked.push(`${m}\n${d}`);
      return false;
    };
    const cancelled = await vscode.commands.executeCommand<{ status: string; message: string }>('ipcInspector.problems.signal', node(cycle.id), which);
    assert.equal(cancelled?.status, 'cancelled', cancelled?.message);
    assert.equal(asked.length, 1, 'asked once');
    assert.match(asked[0], new RegExp(`^Send SIGTERM to pr-offered\\[${offered.pid}\\]\\?\\n`));
    assert.match(asked[0], /ends one side of the cycle/);
    assert.ok(alive(offered.pid), 'cancel sends nothing: the process still runs');

    api.testHooks!.confirm = (m, d) => {
      asked.push(`${m}\n${d}`);
      return true;
    };
    const done = await vscode.commands.executeCommand<{ status: string; message: string }>('ipcInspector.problems.signal', node(cycle.id), which);
    assert.equal(done?.status, 'done', done?.message);
    assert.equal(asked.length, 2, 'one question, not the policy’s on top');
    await waitFor('the process ends', async () => !alive(offered.pid), 10_000);
    await gone('the wait cycle after SIGTERM', cycle.id);
  });

  it('the status bar says "as of" when nothing refreshes its count (every view hidden, or paused), and drops it once a view shows again', async () => {
    // stdout a pipe to us: the views' snapshot keeps only processes holding a channel (a test run
    // from a shell whose fds leak into every child passed without it, a clean one did not)
    const stopped = spawn('sleep', ['120'], { stdio: ['ignore', 'pipe', 'ignore'] });
    process.kill(stopped.pid!, 'SIGSTOP');
    try {
    await problemWhere('the stopped process', (p) => p.id.startsWith(`signal-trouble:stopped:${stopped.pid}@`));
    assert.ok(api.statusBar.visible);
    assert.doesNotMatch(api.statusBar.tooltip, /As of/, 'live: no "as of"');

    // the user leaves the side bar (and the inspector): nothing polls, the count is the last scan's
    await vscode.commands.executeCommand(INSPECTOR, 'close');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await waitFor('polling stops', () => !api.source.active, 10_000);
    await waitFor('the tooltip says so', () => /^As of \d\d:\d\d:\d\d: not refreshed while no IPC Inspector view is open\.$/m.test(api.statusBar.tooltip), 5_000);
    assert.match(api.statusBar.tooltip, /Click to open the Problems view and refresh\.$/);

    await vscode.commands.executeCommand('ipcInspector.problems.focus');
    await waitFor('polling again', () => api.source.active, 10_000);
    await waitFor('"as of" gone', () => !/As of/.test(api.statusBar.tooltip), 5_000);

    api.source.pause();
    try {
      await waitFor('paused: said', () => /As of \d\d:\d\d:\d\d: live updates are paused\./.test(api.statusBar.tooltip), 5_000);
    } finally {
      api.source.resume();
    }
    await waitFor('resumed: "as of" gone', () => !/As of/.test(api.statusBar.tooltip), 5_000);
    } finally {
      stopped.kill('SIGKILL');
    }
  });

  it('the offered signal to a process that exited after the diagnosis: said as such (not an error), and the stale problem goes at once', async () => {
    // stdout a pipe to us: the views' snapshot keeps only processes holding a channel (a test run
    // from a shell whose fds leak into every child passed without it, a clean one did not)
    const stopped = spawn('sleep', ['120'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((r) => stopped.once('exit', r));
    process.kill(stopped.pid!, 'SIGSTOP');
    try {
      const p = await problemWhere('the stopped process', (x) => x.id.startsWith(`signal-trouble:stopped:${stopped.pid}@`));
      const n = node(p.id);
      // no poll from here on: only the action's own refresh can drop the problem
      api.source.pause();
      stopped.kill('SIGKILL');
      await exited;
      const out = await vscode.commands.executeCommand<{ status: string; message: string }>('ipcInspector.problems.signal', n);
      assert.equal(out?.status, 'none', out?.message);
      assert.match(out!.message, new RegExp(`^sleep\\[${stopped.pid}\\] has exited since the diagnosis`));
      const said = api.testHooks!.record!.slice(-1)[0];
      assert.equal(said.kind, 'info', JSON.stringify(said));
      assert.ok(!api.problems.problems.all.some((x) => x.id === p.id), 'the stale problem is gone without waiting for a poll');
    } finally {
      api.source.resume();
      stopped.kill('SIGKILL');
    }
  });

  it('a filter narrows the Problems view to what the trees show, and says so', async () => {
    const dl = await makeFixture('pipe-deadlock', { comm: 'pr-filtered' });
    fixtures.push(dl);
    const p = await problemWhere('the cycle', (x) => x.rule === 'wait-cycle' && x.pids.includes(dl.info.a.pid));
    await vscode.commands.executeCommand('ipcInspector.filter', 'pr-filtered');
    await scan(api);
    const shown = api.problems.problems.shown;
    assert.ok(shown.some((x) => x.id === p.id));
    assert.ok(shown.every((x) => x.pids.some((pid) => api.model.result.pids.has(pid)) || x.channels.some((c) => api.model.isShown(c))));
    assert.match(String(api.problems.problemsView.message), /^[\d,]+ problems? about what the filter or scope lets through$/);
    // the status bar counts the same problems: it says so too (the machine's others are left out)
    assert.ok(api.statusBar.visible);
    assert.match(api.statusBar.tooltip, /^Counted: only what the filter or scope lets through\.$/m);
    await vscode.commands.executeCommand('ipcInspector.filter', 'zz-nothing-matches-4242');
    await scan(api);
    assert.equal(api.problems.problems.shown.length, 0);
    assert.equal(api.problems.problemsView.badge, undefined);
    await vscode.commands.executeCommand('ipcInspector.clearFilter');
    await scan(api);
    assert.doesNotMatch(api.statusBar.tooltip, /Counted: only/);
    process.kill(dl.info.a.pid, 'SIGUSR1');
    await gone('the filtered cycle', p.id);
  });

  it('a SysV segment attached by nobody (ipcmk, which exits): its row leads with the trouble, the segment after it; the whole sentence in the tooltip and the accessible label', async function () {
    let shmid: number;
    try {
      shmid = Number(/(\d+)\s*$/.exec(execFileSync('ipcmk', ['-M', '4096'], { encoding: 'utf8' }).trim())![1]);
    } catch {
      return this.skip(); // no util-linux ipcmk
    }
    try {
      const p = await problemWhere('the ipcmk segment', (x) => x.id === `leftover:orphan:sysv-shm:${shmid}`);
      const tree = api.problems.problemsTree;
      const item = tree.resolveTreeItem(tree.getTreeItem(node(p.id)), node(p.id));
      // a side bar of ~300 px shows ~40 characters: they say what is wrong
      assert.equal(labelOf(item), 'attached by nobody, creator gone');
      assert.equal(labelOf(item), p.trouble);
      assert.match(String(item.description), new RegExp(`^SysV shared memory shmid ${shmid} key 0x[0-9a-f]{8} · since \\d\\d:\\d\\d:\\d\\d$`));
      assert.match(p.title, new RegExp(`^SysV shared memory shmid ${shmid} key 0x[0-9a-f]{8} \\(4 KiB\\) is attached by nobody and its creator is gone$`));
      assert.equal(item.accessibilityInformation?.label, `warning: attached by nobody, creator gone — ${p.title}`);
      assert.ok(tooltipText(item).includes('is attached by nobody and its creator is gone'), tooltipText(item));
    } finally {
      execFileSync('ipcrm', ['-m', String(shmid)]);
    }
  });

  it('a problem missing from a diagnosis cut short by its deadline is kept a few refreshes; a complete one drops it', () => {
    // the real view model; the poller's updates replaced by an emitter this test fires
    const updates = new vscode.EventEmitter<SnapshotUpdate>();
    const model = new ProblemsModel({ onDidUpdate: updates.event }, api.model, () => true);
    try {
      const problem = (id: string): Problem => ({
        id, rule: 'leftover', severity: 'warning', title: id, trouble: 'held by nobody', subject: id, explanation: { what: '', why: '', next: '', fix: '' },
        evidence: [], channels: [], pids: [], actions: [], since: new Date().toISOString(),
      });
      const a = problem('leftover:test:a');
      const b = problem('leftover:test:b');
      const diag = (problems: Problem[], partial: boolean): Diagnosis => ({
        takenAt: new Date().toISOString(), problems, counts: { error: 0, warning: problems.length, info: 0 }, notes: [], samples: 3, evidenceMs: 1, rulesMs: 1, ...(partial ? { partial } : {}),
      });
      const ids = () => model.all.map((p) => p.id).sort();
      model.set(diag([a, b], false));
      assert.deepEqual(ids(), [a.id, b.id]);
      for (let i = 1; i <= KEEP_PARTIAL; i++) {
        model.set(diag([a], true));
        assert.deepEqual(ids(), [a.id, b.id], `partial diagnosis ${i}: b kept`);
        assert.equal(model.byId.get(b.id), b, 'the very same problem (its since unchanged)');
      }
      model.set(diag([a], true));
      assert.deepEqual(ids(), [a.id], `dropped after ${KEEP_PARTIAL} partial diagnoses in a row`);
      model.set(diag([a, b], false));
      model.set(diag([a], false));
      assert.deepEqual(ids(), [a.id], 'a complete diagnosis drops it at once');
    } finally {
      model.dispose();
      updates.dispose();
    }
  });

  it('ipcInspector.diagnose off clears the Problems view and says why; on again brings the problems back', async () => {
    const cfg = vscode.workspace.getConfiguration('ipcInspector');
    await cfg.update('diagnose', false, vscode.ConfigurationTarget.Global);
    try {
      await waitFor('the problems cleared', async () => {
        await scan(api);
        return api.problems.problems.all.length === 0 && !api.problems.problems.diagnosis;
      });
      assert.match(String(api.problems.problemsView.message), /diagnosis is off/);
      assert.equal(api.problems.problemsView.badge, undefined);
    } finally {
      await cfg.update('diagnose', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor('a diagnosis again', async () => {
      await scan(api);
      return api.problems.problems.diagnosis;
    });
  });
});

describe('Problems view: what a change re-renders', () => {
  it('a problem that comes or goes re-renders its group, one that changes only itself; the whole tree only when a group appears or empties (a click elsewhere is not lost to a machine-wide count change)', () => {
    const emitter = new vscode.EventEmitter<ProblemsChange>();
    const byId = new Map<string, Problem>();
    const model = {
      onDidChange: emitter.event,
      byId,
      get shown() {
        return [...byId.values()];
      },
      counts: () => {
        const c = { error: 0, warning: 0, info: 0 };
        for (const p of byId.values()) c[p.severity]++;
        return c;
      },
    } as unknown as ProblemsModel;
    const tree = new ProblemsTree(model, {} as ViewModel);
    const problem = (id: string, severity: Problem['severity'], title = id) => ({ id, severity, title, rule: 'test', channels: [], pids: [] }) as unknown as Problem;
    const change = (...ids: string[]) => emitter.fire({ full: false, problems: new Set(ids), channels: new Set(), pids: new Set() });
    const put = (p: Problem) => {
      byId.set(p.id, p);
      change(p.id);
    };
    try {
      put(problem('e1', 'error'));
      assert.equal(tree.lastFired, 'all', 'the Errors group appears');
      put(problem('w1', 'warning'));
      assert.equal(tree.lastFired, 'all', 'the Warnings group appears');
      for (const n of tree.getChildren()) tree.getChildren(n); // as the view renders them
      put(problem('e2', 'error'));
      assert.deepEqual(tree.lastFired, ['severity:error'], 'a new error: its group, not the tree');
      put(problem('w1', 'warning', 'w1 changed'));
      assert.deepEqual(tree.lastFired, ['w1'], 'a changed warning: itself');
      byId.delete('e2');
      change('e2');
      assert.deepEqual(tree.lastFired, ['severity:error'], 'a gone error: its group');
      put(problem('w1', 'error'));
      assert.equal(tree.lastFired, 'all', 'the Warnings group empties');
    } finally {
      tree.dispose();
      emitter.dispose();
    }
  });
});
