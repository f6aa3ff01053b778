// Issue 13 in the real extension host: what started a process (a real integrated terminal, a
// real task, a real js-debug session, VS Code's own processes) labels it and its descendants in
// the trees, tooltips and the inspector; the item actions open the right terminal, the task's
// terminal and scope to the debug session. Group by container on a real podman container.
// Free Port… through the UI seams (test hooks answer the modals and picks): SIGTERM to a server
// that exits, SIGKILL escalation for one that ignores SIGTERM, the disposition said before the
// first step, a bind test at the end, and a process name that tries to be a command link.
//
// The servers are fixtures/net-server.c (listen on a port chosen here, hold until killed).
import * as assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { freeTcpPort, makeNetns, netServerBinary, startNet } from '../../fixtures/netServer';
import type { FreePortResult } from '../../src/core/actions/freePort';
import { VSCODE_LINK_PATTERN } from '../../src/core/escape';
import type { Channel } from '../../src/core/model';
import type { IpcInspectorApi } from '../../src/extension';
import type { BucketNode, IpcNode, ProcessNode } from '../../src/views/nodes';
import { labelOf, openApi, tooltipText, treeItem, waitFor, walk } from './ipcTestUtil';

/** The pid holding a TCP listener on `port` (after scanning until it appears). */
async function listenerPid(api: IpcInspectorApi, port: number, ms = 20_000): Promise<number> {
  const ch = await waitFor<Channel>(`a listener on ${port}`, async () => (await api.source.refresh()).channels.find((c) => c.kind === 'tcp' && c.state === 'LISTEN' && c.local.endsWith(`:${port}`) && c.endpoints.length > 0), ms);
  return ch.endpoints[0].pid;
}

function alive(pid: number): boolean {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /s.test(st);
  } catch {
    return false;
  }
}

/** pid, its parent, and so on up to init, from /proc/PID/stat (the comm may hold spaces and parentheses). */
function ancestorsOf(pid: number): number[] {
  const out: number[] = [];
  for (let p = pid; p > 1 && !out.includes(p); ) {
    out.push(p);
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return out;
}

async function processNode(api: IpcInspectorApi, pid: number): Promise<ProcessNode> {
  return waitFor(`process ${pid} in the Processes view`, async () => {
    await api.source.refresh();
    return (await walk(api.processesTree, 64)).find((n): n is ProcessNode => n.type === 'process' && n.proc.pid === pid);
  });
}

describe('Provenance, containers and Free Port', function () {
  this.timeout(120_000);
  let api: IpcInspectorApi;
  let bin: string;
  const cleanup: Array<() => unknown> = [];

  before(async () => {
    api = await openApi();
    bin = await netServerBinary();
  });
  afterEach(async () => {
    api.testHooks!.confirm = undefined;
    api.testHooks!.pick = undefined;
    api.testHooks!.pickValue = undefined;
    await vscode.commands.executeCommand('ipcInspector.clearScope');
  });
  after(async () => {
    for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
  });

  /** A net-server listening on a fresh 127.0.0.1 TCP port (`term`: what it does on SIGTERM), seen by a scan; stopped after the suite. */
  const tcpListener = async (term?: 'catch-exit' | 'ignore') => {
    const srv = await startNet(['listen', '--proto', 'tcp', '--addr', '127.0.0.1', '--port', '0', ...(term ? ['--term', term] : [])]);
    cleanup.push(() => srv.stop());
    const port = srv.info.port as number;
    await listenerPid(api, port);
    return { srv, port };
  };

  /** Says yes to every confirmation, keeping each one's title and detail. */
  const acceptModals = () => {
    const modals: Array<{ title: string; detail: string }> = [];
    api.testHooks!.confirm = (title, detail) => {
      modals.push({ title, detail });
      return true;
    };
    return modals;
  };

  it('a terminal: its shell and the server it started are labelled "terminal: NAME (N)"; Show Terminal opens it', async () => {
    const port = await freeTcpPort();
    const term = vscode.window.createTerminal({ name: 'prov-term', shellPath: '/bin/sh', shellArgs: ['-c', `${bin} listen --proto tcp --addr 127.0.0.1 --port ${port}; sleep 600`] });
    cleanup.push(() => term.dispose());
    const shellPid = await term.processId;
    assert.ok(shellPid);
    const pid = await listenerPid(api, port);
    assert.notEqual(pid, shellPid, 'the server is the shell’s child');
    const n = vscode.window.terminals.indexOf(term) + 1;
    const tag = await waitFor('the terminal root', () => api.provenance.of(pid));
    assert.equal(tag.kind, 'terminal');
    assert.equal(tag.label, `terminal: prov-term (${n})`);
    assert.equal(tag.rootPid, shellPid);
    const node = await processNode(api, pid);
    const item = await treeItem(api.processesTree, node);
    assert.match(String(item.description), /terminal: prov-term/);
    assert.match(item.contextValue ?? '', /^ipc\.process\b.*\bterminal\b/);
    assert.ok(tooltipText(item).replace(/\\/g, '').includes(`started by: terminal: prov-term (${n}) (below sh[${shellPid}])`), tooltipText(item));
    // the endpoint under the listener in the Channels view says it too
    const eps = (await walk(api.channelsTree, 8)).filter((x) => x.type === 'endpoint' && x.endpoint.pid === pid);
    assert.ok(eps.length > 0, 'the listener’s endpoint in the Channels view');
    assert.match(String((await treeItem(api.channelsTree, eps[0])).description), /terminal: prov-term/);
    // the inspector panel's facts say it too
    await vscode.commands.executeCommand('ipcInspector.test.inspector', 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { pid });
    const facts = await waitFor('the panel’s process facts', async () => {
      await vscode.commands.executeCommand('ipcInspector.test.inspector', 'drive', { action: 'report' });
      const st = await vscode.commands.executeCommand<{ rendered: Array<{ texts: string[] }> }>('ipcInspector.test.inspector', 'state');
      return [...(st?.rendered ?? [])].reverse().find((r) => r.texts.some((t) => t.startsWith('procFact:Started by=')))?.texts;
    });
    assert.ok(facts.includes(`procFact:Started by=terminal: prov-term (${n})`), JSON.stringify(facts.filter((t) => t.startsWith('procFact:'))));
    await vscode.commands.executeCommand('ipcInspector.test.inspector', 'close');
    // Show Terminal
    await vscode.commands.executeCommand('workbench.action.terminal.focus');
    const other = vscode.window.createTerminal({ name: 'prov-other', shellPath: '/bin/sh', shellArgs: ['-c', 'sleep 600'] });
    cleanup.push(() => other.dispose());
    other.show();
    await waitFor('the other terminal active', () => vscode.window.activeTerminal === other);
    assert.equal(await vscode.commands.executeCommand('ipcInspector.showTerminal', node), 'prov-term');
    await waitFor('prov-term active', () => vscode.window.activeTerminal === term);
  });

  it('a task: its process tree is labelled "task: SOURCE: NAME"; Show Task Output opens the task’s terminal', async () => {
    const port = await freeTcpPort();
    const task = new vscode.Task({ type: 'shell' }, vscode.TaskScope.Workspace, 'serve', 'prov', new vscode.ShellExecution(`${bin} listen --proto tcp --addr 127.0.0.1 --port ${port}; sleep 600`, { executable: '/bin/sh', shellArgs: ['-c'] }));
    const started = new Promise<number>((resolve) => {
      const d = vscode.tasks.onDidStartTaskProcess((e) => {
        if (e.execution.task.name !== 'serve') return;
        d.dispose();
        resolve(e.processId);
      });
    });
    const exec = await vscode.tasks.executeTask(task);
    cleanup.push(() => exec.terminate());
    const taskPid = await started;
    const pid = await listenerPid(api, port);
    const tag = await waitFor('the task root', () => (api.provenance.of(pid)?.kind === 'task' ? api.provenance.of(pid) : undefined));
    assert.equal(tag.label, 'task: prov: serve');
    assert.equal(tag.rootPid, taskPid);
    const node = await processNode(api, pid);
    const item = await treeItem(api.processesTree, node);
    assert.match(String(item.description), /task: prov: serve/);
    assert.match(item.contextValue ?? '', /\btask\b/);
    // Show Task Output: the terminal the task runs in
    const other = vscode.window.createTerminal({ name: 'prov-other2', shellPath: '/bin/sh', shellArgs: ['-c', 'sleep 600'] });
    cleanup.push(() => other.dispose());
    other.show();
    await waitFor('the other terminal active', () => vscode.window.activeTerminal === other);
    const name = await vscode.commands.executeCommand<string>('ipcInspector.showTaskOutput', node);
    assert.ok(name, 'a terminal was shown');
    const active = await waitFor('the task terminal active', async () => (vscode.window.activeTerminal !== other ? vscode.window.activeTerminal : undefined));
    assert.equal(await active.processId, taskPid, 'the terminal shown runs the task');
    // the task ends: the label goes
    const ended = new Promise<void>((resolve) => vscode.tasks.onDidEndTaskProcess((e) => e.execution === exec && resolve()));
    exec.terminate();
    await ended;
    assert.notEqual(api.provenance.of(taskPid)?.kind, 'task');
  });

  it('a debug session (js-debug, integrated terminal): the debuggee is "debug: NAME"; Scope to this Debug Session scopes and clears on end', async function () {
    const port = await freeTcpPort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-prov-debug-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const program = path.join(dir, 'server.js');
    fs.writeFileSync(program, `require('net').createServer().listen(${port}, '127.0.0.1');\nsetInterval(() => {}, 1000);\n`);
    const started = new Promise<vscode.DebugSession>((resolve) => {
      const d = vscode.debug.onDidStartDebugSession((s) => {
        d.dispose();
        resolve(s);
      });
    });
    const ok = await vscode.debug.startDebugging(undefined, { type: 'node', request: 'launch', name: 'Launch Server', program, runtimeExecutable: process.execPath, console: 'integratedTerminal' });
    assert.ok(ok, 'js-debug started the session');
    const session = await started;
    cleanup.push(() => vscode.debug.stopDebugging(session));
    const pid = await listenerPid(api, port, 60_000);
    const tag = await waitFor('the debuggee labelled', () => (api.provenance.of(pid)?.kind === 'debug' ? api.provenance.of(pid) : undefined), 20_000);
    assert.equal(tag.label, 'debug: Launch Server');
    const node = await processNode(api, pid);
    const item = await treeItem(api.processesTree, node);
    assert.match(item.contextValue ?? '', /\bdebug\b/);
    assert.match(String(item.description), /debug: Launch Server/);
    const scoped = await vscode.commands.executeCommand<number>('ipcInspector.scopeToDebugSession', node);
    // The root may move down between the label and the scope: VS Code answers runInTerminal with the
    // terminal's shell, then js-debug's child session names the debuggee itself (the nearest root wins).
    assert.ok(scoped !== undefined && ancestorsOf(pid).includes(scoped), `scoped to ${scoped}, the debuggee ${pid} or an ancestor (${ancestorsOf(pid).join(' ← ')})`);
    assert.equal(api.provenance.of(scoped)?.kind, 'debug');
    assert.equal(api.filters.scopePid, scoped);
    assert.ok(api.model.result.channels.some((c) => c.endpoints.some((e) => e.pid === pid)), 'the debuggee’s listener is in scope');
    const ended = new Promise<void>((resolve) => vscode.debug.onDidTerminateDebugSession(() => resolve()));
    await vscode.debug.stopDebugging(session);
    await ended;
    await waitFor('scope cleared with the session', () => api.filters.scopePid === undefined);
  });

  it('a debug session in the internal console (js-debug starts the debuggee itself): "debug: NAME", not "started by an extension"', async () => {
    const port = await freeTcpPort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-prov-debug-ic-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const program = path.join(dir, 'worker.js');
    fs.writeFileSync(program, `require('net').createServer().listen(${port}, '127.0.0.1');\nsetInterval(() => {}, 1000);\n`);
    const sessions: vscode.DebugSession[] = [];
    const d = vscode.debug.onDidStartDebugSession((s) => sessions.push(s));
    cleanup.push(() => d.dispose());
    const ok = await vscode.debug.startDebugging(undefined, { type: 'node', request: 'launch', name: 'Launch Worker', program, runtimeExecutable: process.execPath, console: 'internalConsole' });
    assert.ok(ok, 'js-debug started the session');
    cleanup.push(async () => {
      for (const s of sessions) await vscode.debug.stopDebugging(s);
    });
    const pid = await listenerPid(api, port, 60_000);
    const tag = await waitFor('the debuggee labelled', () => (api.provenance.of(pid)?.kind === 'debug' ? api.provenance.of(pid) : undefined), 20_000).catch((e: Error) => {
      const chain: string[] = [];
      for (let p: number | undefined = pid; p && chain.length < 6; p = api.model.procs.get(p)?.ppid) chain.push(`${api.model.procs.get(p)?.comm}[${p}]`);
      throw new Error(`${e.message}: ${JSON.stringify(api.provenance.of(pid))}; ancestors ${chain.join(' ← ')}; sessions ${sessions.map((s) => `${s.name} (parent ${!!s.parentSession}, ${Object.keys(s.configuration).join(',')})`).join('; ')}`);
    });
    assert.equal(tag.label, 'debug: Launch Worker');
    assert.equal(tag.rootPid, pid, 'the root is the debuggee itself (the child session names it)');
    assert.ok(sessions.some((s) => s.parentSession && s.name.includes(`[${pid}]`)), sessions.map((s) => s.name).join(', '));
  });

  it('VS Code’s own processes: the extension host is "VS Code: extension host"; what it started is "started by an extension"', async () => {
    const srv = await startNet(['listen', '--proto', 'tcp', '--addr', '127.0.0.1', '--port', '0']);
    cleanup.push(() => srv.stop());
    await api.provenance.refreshOwn(true);
    await listenerPid(api, srv.info.port);
    assert.deepEqual([api.provenance.of(process.pid)?.kind, api.provenance.of(process.pid)?.label], ['vscode', 'VS Code: extension host (this one)']);
    const parent = api.model.procs.get(process.pid)?.ppid;
    assert.ok(parent && api.provenance.of(parent)?.kind === 'vscode', 'the server process above the extension host');
    assert.equal(api.provenance.of(srv.pid)?.kind, 'extension');
    const node = await processNode(api, srv.pid);
    assert.equal((await treeItem(api.processesTree, node)).contextValue, 'ipc.process', 'no terminal/task/debug action on it');
  });

  it('Free Port… (typed port): the disposition before the first step, SIGTERM, a bind test says free', async () => {
    const { srv, port } = await tcpListener('catch-exit');
    const modals = acceptModals();
    api.testHooks!.pickValue = String(port);
    api.testHooks!.pick = (_title, items) => items.find((i) => i.label === `Port ${port}`);
    const r = (await vscode.commands.executeCommand('ipcInspector.freePort', undefined, { signalTimeoutMs: 30_000 })) as FreePortResult;
    assert.ok(r && 'stops' in r, JSON.stringify(r));
    assert.equal(modals.length, 1, JSON.stringify(modals));
    assert.match(modals[0].title, new RegExp(`Free port ${port}: send SIGTERM to net-server\\[${srv.pid}\\]`));
    assert.match(modals[0].detail, /SIGTERM is caught: a handler runs/);
    assert.deepEqual(r.stops.map((s) => [s.pid, s.sent, s.outcome]), [[srv.pid, ['SIGTERM'], 'exited']]);
    assert.equal(r.free, true);
    assert.equal((await srv.exited).code, 0, 'it exited through its handler');
    const rec = api.testHooks!.record!;
    assert.ok(rec.some((x) => x.kind === 'info' && x.text.includes(`Port ${port} is free`)), JSON.stringify(rec.slice(-3)));
  });

  it('Free Port… on a port nothing listens on but a socket is bound to (never listening): not "free", the bind that fails and the holder are said; a really idle port is said free', async () => {
    // python3: bind() without listen(), then wait; ss -l, lsof -i and fuser list none of it
    const py = spawn('python3', ['-c', 'import socket,sys\ns=socket.socket()\ns.bind(("0.0.0.0",0))\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'] });
    cleanup.push(() => py.kill('SIGKILL'));
    const port = await new Promise<number>((resolve, reject) => {
      py.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      py.once('exit', () => reject(new Error('python3 exited')));
    });
    const modals = acceptModals();
    const r = (await vscode.commands.executeCommand('ipcInspector.freePort', port)) as FreePortResult;
    assert.equal(modals.length, 0, 'nothing to stop: nothing asked');
    assert.equal(r.listeners.length, 0);
    assert.equal(r.free, false, JSON.stringify(r));
    const said = api.testHooks!.record!.slice(-1)[0];
    assert.equal(said.kind, 'warning', JSON.stringify(said));
    assert.match(said.text, new RegExp(`^Nothing listens on port ${port}, but it is not free: a bind on tcp 0\\.0\\.0\\.0:${port} and tcp \\[::\\]:${port} fail \\(address in use\\)\\.`));
    assert.ok(said.text.includes(`python3[${py.pid}]`) || said.text.includes('No socket this scan lists holds it'), said.text);

    py.kill('SIGKILL');
    await new Promise((res) => py.once('exit', res));
    const idle = (await vscode.commands.executeCommand('ipcInspector.freePort', port)) as FreePortResult;
    assert.equal(idle.free, true, JSON.stringify(idle));
    const now = api.testHooks!.record!.slice(-1)[0];
    assert.equal(now.kind, 'info');
    assert.equal(now.text, `Nothing listens on port ${port}, and it is free: a bind on tcp 0.0.0.0:${port}, tcp [::]:${port}, udp 0.0.0.0:${port} and udp [::]:${port} succeeded.`);
  });

  it('Free Port… on a server that ignores SIGTERM: says so, asks before SIGKILL (modal), kills it, the port is free', async () => {
    const { srv, port } = await tcpListener('ignore');
    const modals = acceptModals();
    const r = (await vscode.commands.executeCommand('ipcInspector.freePort', port)) as FreePortResult;
    assert.equal(modals.length, 2, JSON.stringify(modals));
    assert.match(modals[0].detail, /SIGTERM is ignored: it will have no effect/);
    assert.match(modals[1].title, new RegExp(`net-server\\[${srv.pid}\\] ignores SIGTERM\\. Send SIGKILL to free port ${port}\\?`));
    assert.deepEqual(r.stops.map((s) => [s.sent, s.outcome]), [[['SIGTERM', 'SIGKILL'], 'exited']]);
    assert.equal((await srv.exited).signal, 'SIGKILL');
    assert.equal(r.free, true);
  });

  it('Free Port… declined at SIGKILL: the server keeps running and the port is reported in use', async () => {
    const { srv, port } = await tcpListener('ignore');
    let n = 0;
    api.testHooks!.confirm = () => ++n === 1; // yes to SIGTERM, no to SIGKILL
    const r = (await vscode.commands.executeCommand('ipcInspector.freePort', port)) as FreePortResult;
    assert.equal(n, 2);
    assert.ok(alive(srv.pid), 'still running');
    assert.equal(r.free, false);
    const rec = api.testHooks!.record!;
    assert.ok(rec.some((x) => x.kind === 'warning' && x.text.includes(`Port ${port} is still in use`)), JSON.stringify(rec.slice(-3)));
  });

  it('Free Port… from a listener’s node; a process name that is a command link stays text in the pick, the modal and the result', async () => {
    // the comm is the link's name: markdown that would run a command if rendered
    const evil = path.join(path.dirname(bin), '[x](command:a)');
    if (!fs.existsSync(evil)) fs.symlinkSync(bin, evil);
    const a = await startNet(['listen', '--proto', 'tcp', '--addr', '127.0.0.1', '--port', '0'], { exe: evil });
    cleanup.push(() => a.stop());
    const port = a.info.port as number;
    // a second holder of the same port in another network namespace
    const ns = `pv${process.pid % 100000}`;
    cleanup.push(makeNetns(ns));
    const b = await startNet(['listen', '--proto', 'tcp', '--addr', '127.0.0.1', '--port', String(port)], { prefix: ['ip', 'netns', 'exec', ns] });
    cleanup.push(() => b.stop());
    await listenerPid(api, port);
    const ch = await waitFor('the listener node', async () => {
      await api.source.refresh();
      return (await walk(api.channelsTree, 3)).find((x) => x.type === 'channel' && x.channel.kind === 'tcp' && x.channel.endpoints.some((e) => e.pid === a.pid));
    });
    assert.match((await treeItem(api.channelsTree, ch)).contextValue ?? '', /\blistener\b/);
    let pickItems: readonly vscode.QuickPickItem[] = [];
    api.testHooks!.pick = (_t, items) => {
      pickItems = items;
      return items.find((i) => i.label.includes(String(a.pid)));
    };
    const modals: string[] = [];
    api.testHooks!.confirm = (title, detail) => {
      modals.push(title + '\n' + detail);
      return true;
    };
    const netnsOf = (pid: number) => /\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/net`))![1];
    const nsA = netnsOf(a.pid);
    const nsB = netnsOf(b.pid);
    assert.notEqual(nsA, nsB);
    const r = (await vscode.commands.executeCommand('ipcInspector.freePort', ch)) as FreePortResult;
    // both namespaces' listeners were offered
    assert.ok(pickItems.some((i) => i.label.includes(`[${b.pid}]`) && (i.description ?? '').includes(`netns ${nsB}`)), JSON.stringify(pickItems));
    assert.ok(pickItems.some((i) => i.label.includes(`[${a.pid}]`) && (i.description ?? '').includes(`netns ${nsA} (this one)`)), JSON.stringify(pickItems));
    assert.equal(r.free, true);
    assert.ok(alive(b.pid), 'the other namespace’s server was not touched');
    // notifications and modals render `[x](command:…)` as a link: VS Code's own pattern must not find one
    const rendered = api.testHooks!.record!.slice(-10).filter((x) => x.kind !== 'pick');
    const texts = [...rendered.flatMap((x) => [x.text, x.detail ?? '']), ...modals];
    assert.ok(texts.some((t) => t.includes('command:a')), `the name is shown: ${JSON.stringify(texts)}`);
    for (const t of texts) assert.ok(!VSCODE_LINK_PATTERN.test(t), `a link VS Code would render in: ${t}`);
  });

  describe('group by container (podman)', function () {
    const tag = `pv${process.pid % 100000}`;
    const name = `${tag}-grp`;
    const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-prov-rootfs-'));
    let skip: string | null = null;
    let hostPid = 0;
    let id = '';
    const podman = (args: string[]) => new Promise<string>((resolve, reject) => execFile('podman', args, { timeout: 120_000, encoding: 'utf8' }, (e, out, err) => (e ? reject(new Error((err || e.message).trim().split('\n').pop())) : resolve(out.trim()))));

    before(async function () {
      try {
        execFileSync('sh', ['-c', 'command -v podman && command -v cc'], { stdio: 'ignore' });
      } catch {
        skip = 'podman or cc is not installed';
        return;
      }
      try {
        let src = path.resolve(__dirname);
        while (!fs.existsSync(path.join(src, 'fixtures', 'net-server.c')) && src !== '/') src = path.dirname(src);
        execFileSync('cc', ['-O2', '-static', '-o', path.join(rootfs, 'net-server'), path.join(src, 'fixtures', 'net-server.c')], { stdio: 'ignore' });
        const runtime = fs.existsSync('/usr/sbin/runc') || fs.existsSync('/usr/bin/runc') ? ['--runtime', 'runc'] : [];
        const limits = fs.readFileSync('/proc/self/limits', 'utf8');
        const hard = (what: string, cap: number) => Math.min(cap, Number(new RegExp(`^${what}\\s+\\S+\\s+(\\d+)`, 'm').exec(limits)?.[1] ?? cap));
        id = (await podman([...runtime, 'run', '-d', '-i', '--name', name, '--network', 'none', '--ulimit', `nofile=${hard('Max open files', 1024)}:${hard('Max open files', 1024)}`, '--ulimit', `nproc=${hard('Max processes', 4096)}:${hard('Max processes', 4096)}`, '--rootfs', rootfs, '/net-server', 'listen', '--addr', '127.0.0.1', '--port', '8080'])).split('\n').pop()!;
        hostPid = Number(await podman(['inspect', '-f', '{{.State.Pid}}', name]));
        if (!(hostPid > 0)) throw new Error('not running');
      } catch (e) {
        skip = `podman cannot run a container here: ${(e as Error).message}`;
      }
    });
    after(async () => {
      await vscode.workspace.getConfiguration('ipcInspector').update('groupProcesses', undefined, vscode.ConfigurationTarget.Global);
      await podman(['rm', '-f', '-t', '0', name]).catch(() => undefined);
      fs.rmSync(rootfs, { recursive: true, force: true });
    });

    it('the container is a node (name, runtime, short id) holding its process with pid 1 inside and its netns; Host holds the rest; ungroup restores', async function () {
      if (skip) return this.skip();
      assert.equal(await vscode.commands.executeCommand('ipcInspector.groupByContainer'), true);
      assert.equal(vscode.workspace.getConfiguration('ipcInspector').get('groupProcesses'), 'container');
      const roots = await waitFor('the container node', async () => {
        await api.source.refresh();
        const r = api.processesTree.getChildren() as IpcNode[];
        return r.some((n) => n.type === 'bucket' && n.label === name) ? r : undefined;
      }, 30_000);
      assert.ok(roots.every((n) => n.type === 'bucket' && n.grouping === 'container'), 'only container nodes at the top');
      const box = roots.find((n): n is BucketNode => n.type === 'bucket' && n.label === name)!;
      const boxItem = await treeItem(api.processesTree, box);
      assert.equal(labelOf(boxItem), name);
      assert.equal(boxItem.description, `podman · ${id.slice(0, 12)}`);
      const netns = /\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${hostPid}/ns/net`))![1];
      assert.match(tooltipText(boxItem), new RegExp(`network namespace\\\\: ${netns}`));
      const kids = api.processesTree.getChildren(box) as IpcNode[];
      const p = kids.find((n): n is ProcessNode => n.type === 'process' && n.proc.pid === hostPid);
      assert.ok(p, `the container's process ${hostPid} under its container`);
      assert.equal(api.processesTree.getParent(p), box, 'getParent (reveal) goes to the container');
      const item = await treeItem(api.processesTree, p);
      assert.match(String(item.description), /^pid 1 inside/);
      const tip = tooltipText(item).replace(/\\/g, ''); // markdown escapes off
      assert.ok(tip.includes(`network namespace: ${netns}`), tip);
      assert.ok(tip.includes(`container: podman ${name} (${id.slice(0, 12)})`), tip);
      assert.ok(tip.includes(`pid inside its namespace: 1 (host pid ${hostPid}`), tip);
      // the inspector: host pid with the pid inside, the container, the netns
      await vscode.commands.executeCommand('ipcInspector.test.inspector', 'reset');
      await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: hostPid });
      const facts = await waitFor('the panel’s container facts', async () => {
        await vscode.commands.executeCommand('ipcInspector.test.inspector', 'drive', { action: 'report' });
        const st = await vscode.commands.executeCommand<{ rendered: Array<{ texts: string[] }> }>('ipcInspector.test.inspector', 'state');
        return [...(st?.rendered ?? [])].reverse().find((r) => r.texts.some((t) => t.startsWith('procFact:Container=')))?.texts;
      });
      for (const want of [`procFact:PID=${hostPid} (1 inside its pid namespace)`, `procFact:Container=podman ${name} (${id.slice(0, 12)})`, `procFact:Network namespace=${netns}`]) assert.ok(facts.includes(want), `${want} in ${JSON.stringify(facts.filter((t) => t.startsWith('procFact:')))}`);
      await vscode.commands.executeCommand('ipcInspector.test.inspector', 'close');
      const host = roots.find((n): n is BucketNode => n.type === 'bucket' && n.bucketId === 'host');
      assert.ok(host, 'a Host node');
      assert.ok(!(api.processesTree.getChildren(host) as IpcNode[]).some((n) => n.type === 'process' && n.proc.pid === hostPid));
      assert.equal(await vscode.commands.executeCommand('ipcInspector.ungroupByContainer'), false);
      assert.ok((api.processesTree.getChildren() as IpcNode[]).every((n) => n.type !== 'bucket'));
    });
  });
});
