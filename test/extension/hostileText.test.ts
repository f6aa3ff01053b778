// Other users' text on every surface of the real extension (code-server's extension host), from
// objects an unprivileged attacker made: `nobody`, and a user of its own (useradd, with a hostile
// name) whose rootless container runtime keeps its state in its home. Each check looks at the text
// as it reached VS Code (the UI door's record, the tree items, the Output channel's log file as
// VS Code wrote it, the clipboard, the exported file) or as the webview rendered it (the panel's
// own report of its DOM text):
// - characters that draw nothing (U+200B, U+2060) in a process name: its tree label, the Send
//   Signal pick (a name must not read as another); /dev/shm names that are not UTF-8, by their bytes;
// - a stale socket file whose name holds a newline, a forged `[error]` log line and ESC: Remove's
//   modal title stays one line; the Output channel gets one escaped line, no forged entry;
// - Copy as JSON and Export Snapshot of a process named with C1, bidi and zero-width characters:
//   `\u` escapes, the same value;
// - the inspector panel on a process whose command line is HTML, a command link, `$(icon)`, bidi,
//   ESC and 10,000 characters, and on a FIFO with such a path and bytes that end a bracketed
//   paste: everything rendered as escaped text, no element made from it; Copy text escaped;
// - a rootless podman container named `web\n[x](command:…)\u202e…` by its user, whose own name is
//   bidi and `$(zap)`: the inspector's Container and User rows, the tooltip, the container group.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { VSCODE_LINK_PATTERN } from '../../src/core/escape';
import type { IpcInspectorApi } from '../../src/extension';
import type { UiRecord } from '../../src/ui';
import type { Problem } from '../../src/core/diagnose/problem';
import type { ProcessInfo } from '../../src/core/model';
import { canRunAttacker, createUser, startNamedProcess, NOBODY, type NamedProcess, type TempUser } from '../harness/otherUser';
import { labelOf, openApi, scan, tooltipText, treeItem, waitFor, resetUiHooks, TEST_INSPECTOR } from './ipcTestUtil';

const CMD = TEST_INSPECTOR;
interface Rendered { view: string; texts: string[]; elementCount: number; imgCount: number; scriptCount: number }
interface InspectorState { open: boolean; rendered: Rendered[]; confirmations: string[] }
const inspectorState = async () => (await vscode.commands.executeCommand<InspectorState>(CMD, 'state'))!;

/** Code points that control a terminal or a viewer, reorder text or draw nothing: none may reach a surface raw (newline: where a surface keeps lines, separately). */
// eslint-disable-next-line no-misleading-character-class -- code points listed by escape on purpose: combining ones (variation selectors) among them
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u061c\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb\u{e0000}-\u{e0fff}]/u;
function assertClean(what: string, text: string): void {
  const m = RAW.exec(text);
  assert.equal(m, null, `${what}: raw U+${m ? m[0].codePointAt(0)!.toString(16).padStart(4, '0') : ''} in ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 60), (m?.index ?? 0) + 60))}`);
}

/** Every text of a UI record: message, modal detail, quick pick title and items. */
function texts(r: UiRecord): string[] {
  return [r.text, r.detail ?? '', ...(r.items ?? []).flatMap((i) => [i.label, i.description ?? '', i.detail ?? ''])];
}

/** The cgroup v2 hierarchy's mount point (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` beside v1). */
function cgroup2Mount(): string | undefined {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.startsWith('cgroup2 ')) return left.split(' ')[4];
  }
  return undefined;
}

describe('Hostile text on every surface (attackers: nobody, a user of its own)', function () {
  this.timeout(150_000);
  let api: IpcInspectorApi;
  const procs: NamedProcess[] = [];
  const cleanups: Array<() => void> = [];
  const record = () => api.testHooks!.record!;

  before(async function () {
    if (!canRunAttacker()) return this.skip(); // needs root and perl: the attackers run as nobody and as a user of their own
    api = await openApi();
  });
  afterEach(() => resetUiHooks(api));
  after(async () => {
    if (api) await vscode.commands.executeCommand(CMD, 'close');
    for (const p of procs) await p.close();
    for (const c of cleanups.reverse()) c();
    if (api) await vscode.workspace.getConfiguration('ipcInspector').update('groupProcesses', undefined, vscode.ConfigurationTarget.Global);
  });

  const named = async (spec: Parameters<typeof startNamedProcess>[0]) => {
    const p = await startNamedProcess(spec);
    procs.push(p);
    return p;
  };
  /** The process as the snapshot has it, once its name is the one it gave itself. */
  const inSnapshot = (pid: number, pred: (p: ProcessInfo) => boolean = () => true, ms = 20_000) =>
    waitFor(`process ${pid} in the snapshot`, async () => (await api.source.refresh()).processes.find((p) => p.pid === pid && pred(p)), ms);

  /** Opens the inspector on `target` and waits for a rendering that `ready` accepts. */
  async function inspect(target: { pid: number } | { channelId: string }, ready: (r: Rendered) => boolean): Promise<Rendered> {
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', target);
    return waitFor('the inspector\'s rendering', async () => {
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'report' });
      return (await inspectorState()).rendered.filter(ready).pop();
    }, 30_000);
  }

  it('a process name with characters that draw nothing reads as what it is: its tree label, the Send Signal pick', async () => {
    const comm = 'ngin\u200bx\u2060'; // shown raw, it reads "nginx"
    const p = await named({ comm });
    await inSnapshot(p.pid, (x) => x.comm === comm);
    const node = await waitFor('its node', () => api.processesTree.findProcess(p.pid));
    const item = await treeItem(api.processesTree, node);
    assert.equal(labelOf(item), `ngin\\u200bx\\u2060[${p.pid}]`);
    assertClean('the tooltip', tooltipText(item));
    assert.ok(tooltipText(item).includes('ngin\\\\u200bx\\\\u2060'), tooltipText(item));
    // its CPU and memory, read from its own /proc/PID/stat and status when the tooltip is resolved
    assert.match(tooltipText(item).replace(/\\(.)/g, '$1'), /usage: CPU \d+\.\d % over the last \d+\.\d s, RSS \d/, tooltipText(item));

    record().length = 0;
    let items: readonly vscode.QuickPickItem[] = [];
    api.testHooks!.pick = (title, offered) => {
      if (/which process/.test(title)) {
        items = offered;
        return undefined; // dismissed: nothing sent
      }
      return undefined;
    };
    await vscode.commands.executeCommand('ipcInspector.sendSignal');
    const mine = items.find((i) => (i as unknown as { pid: number }).pid === p.pid);
    assert.ok(mine, 'the process is offered');
    assert.equal(mine.label, `ngin\\u200bx\\u2060[${p.pid}]`);
    for (const r of record()) for (const t of texts(r)) assertClean(`${r.kind} ${JSON.stringify(r.text)}`, t);
  });

  it('POSIX names that are not UTF-8 read as their bytes: tree labels, Remove\'s question', async () => {
    // made by nobody: `q\xff`, `q\xfe` and the valid name `q\ufffd`, which all decode to `q\ufffd`
    const base = `ipcu8-${process.pid}-`;
    const made = spawnSync('/bin/sh', ['-c', `for b in '\\377' '\\376' '\\357\\277\\275'; do printf x > "/dev/shm/${base}$(printf "q$b")"; done`], { ...NOBODY, cwd: '/', encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    cleanups.push(() => {
      for (const f of fs.readdirSync('/dev/shm', { encoding: 'buffer' })) if (f.toString('latin1').startsWith(base)) fs.rmSync(Buffer.concat([Buffer.from('/dev/shm/'), f]), { force: true });
    });
    const chans = await waitFor('the three objects', async () => {
      const found = (await api.source.refresh()).channels.filter((c) => c.kind === 'posix-shm' && c.name.startsWith(base));
      return found.length === 3 ? found : undefined;
    }, 20_000);
    const labels = await Promise.all(chans.map(async (c) => labelOf(await treeItem(api.channelsTree, await waitFor('its node', () => api.channelsTree.findChannel(c.id))))));
    assert.deepEqual(labels.map((l) => l.split('  ')[0]).sort(), [`/${base}q\\xfe`, `/${base}q\\xff`, `/${base}q\ufffd`], 'three objects, three names');

    record().length = 0;
    api.testHooks!.confirm = () => false;
    const ff = chans.find((c) => c.id.endsWith('ff'))!;
    await vscode.commands.executeCommand('ipcInspector.removeObject', ff.id);
    const modal = record().find((x) => x.kind === 'modal');
    assert.ok(modal?.text.startsWith(`Remove POSIX shared memory /${base}q\\xff `), modal?.text);
  });

  it('a stale socket named with a newline, a forged log line and ESC: Remove\'s question is one line; the Output channel gets one escaped line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-hostile-'));
    fs.chmodSync(dir, 0o1777); // nobody binds in it
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const marker = `forged-${process.pid}`;
    const file = path.join(dir, `s\n2026-01-01 00:00:00.000 [error] ${marker}\x1b[31m`);
    const bound = spawnSync('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])', file], { ...NOBODY, encoding: 'utf8' });
    assert.equal(bound.status, 0, bound.stderr);
    assert.equal(fs.lstatSync(file).uid, NOBODY.uid, 'the attacker made it');
    // and a live listener beside it, held by the attacker: the diagnosis reads a listener's directory
    // first (a /tmp crowded with stale vscode-ipc sockets is read over several refreshes otherwise)
    const live = spawn('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen()\nprint("ok", flush=True)\nsys.stdin.read()', path.join(dir, 'live')], { ...NOBODY, stdio: ['pipe', 'pipe', 'inherit'] });
    cleanups.push(() => void live.kill('SIGKILL'));
    await new Promise((resolve, reject) => {
      live.stdout!.once('data', resolve);
      live.once('exit', (c) => reject(new Error(`the listener exited (${c})`)));
    });
    await vscode.commands.executeCommand('ipcInspector.problems.focus');
    const problem = await waitFor('the stale socket problem', async () => {
      await scan(api);
      return api.problems.problems.shown.find((x: Problem) => x.rule === 'socket-path' && x.title.includes(dir));
    }, 45_000).catch((e: Error) => {
      // what the diagnosis did show instead: its socket-path problems and its notes (a cut, a cap)
      const shown = api.problems.problems.shown.filter((x: Problem) => x.rule === 'socket-path');
      throw new Error(`${e.message}; socket-path shows ${shown.length} (${shown.slice(0, 3).map((x: Problem) => x.title).join(' | ')}); notes: ${JSON.stringify(api.problems.problems.diagnosis?.notes ?? []).slice(0, 600)}`);
    });
    assertClean('the problem title', problem.title);

    record().length = 0;
    api.testHooks!.confirm = () => false;
    const r = await vscode.commands.executeCommand<{ status: string }>('ipcInspector.problems.remove', api.problems.problemsTree.find(problem.id));
    assert.equal(r?.status, 'cancelled');
    assert.ok(fs.existsSync(file), 'cancelled: the file stays');
    const modal = record().find((x) => x.kind === 'modal');
    assert.ok(modal, JSON.stringify(record()));
    assert.ok(!modal.text.includes('\n'), `the question's title is one line: ${JSON.stringify(modal.text)}`);
    assert.ok(modal.text.includes(`s\\n2026-01-01 00:00:00.000 [error] ${marker}\\x1b[31m`), modal.text);
    for (const t of texts(modal)) assert.ok(!VSCODE_LINK_PATTERN.test(t));
    assertClean('the question', modal.text);

    // the Output channel's log file, as VS Code wrote it: one line for the cancelled removal
    const logFile = path.join(api.logUri.fsPath, 'IPC Inspector.log');
    const log = await waitFor('the log line', () => {
      const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      return text.includes(marker) ? text : undefined;
    }, 15_000);
    const lines = log.split('\n').filter((l) => l.includes(marker));
    // every line that names the file starts as the logger starts a line, and holds the whole name, escaped
    for (const l of lines) {
      assert.match(l, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[\w+\] /, `a line the logger did not start: ${JSON.stringify(l)}`);
      assert.ok(l.includes(`s\\n2026-01-01 00:00:00.000 [error] ${marker}\\x1b[31m`), `the name cut in two: ${JSON.stringify(l)}`);
    }
    assert.ok(lines.some((l) => / \[info\] remove .*: cancelled$/.test(l)), JSON.stringify(lines));
    assert.ok(!log.split('\n').some((l) => l.startsWith('2026-01-01 00:00:00.000 [error]')), 'no forged line of its own');
    assert.ok(!log.includes('\x1b'), 'no raw ESC in the log');
  });

  it('Copy as JSON and Export Snapshot: C1, bidi and zero-width characters of a name are \\u escapes, the value is the same', async () => {
    const comm = 'j\u009b2J\u202e\u200b';
    const p = await named({ comm });
    await inSnapshot(p.pid, (x) => x.comm === comm);
    const node = await waitFor('its node', () => api.processesTree.findProcess(p.pid));
    const text = await vscode.commands.executeCommand<string>('ipcInspector.copyAsJson', node);
    assertClean('Copy as JSON', text);
    assert.ok(text.includes('"comm": "j\\u009b2J\\u202e\\u200b"'), text.slice(0, 400));
    assert.equal((JSON.parse(text) as ProcessInfo).comm, comm, 'the same value');
    assert.equal(await vscode.env.clipboard.readText(), text);

    const out = vscode.Uri.file(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-export-')), 'snapshot.json'));
    cleanups.push(() => fs.rmSync(path.dirname(out.fsPath), { recursive: true, force: true }));
    await vscode.commands.executeCommand('ipcInspector.exportSnapshot', out);
    const exported = fs.readFileSync(out.fsPath, 'utf8');
    assertClean('the exported file', exported);
    assert.equal((JSON.parse(exported) as { processes: ProcessInfo[] }).processes.find((x) => x.pid === p.pid)?.comm, comm);
  });

  it('the inspector renders a hostile command line and a hostile FIFO as escaped text; Copy text escapes what a terminal would run', async () => {
    const long = 'A'.repeat(10_000);
    const p = await named({
      comm: 'cmd\u202egpj.exe',
      argv0: '\u202egpj.exe',
      args: ['<img src=x onerror=alert(1)>', '</script><script>alert(2)</script>', '[x](command:workbench.action.terminal.new)', '$(zap)', 'ngin\u200bx', 'l1\nl2\rcr', '\x1b]0;t\x07', long],
    });
    await inSnapshot(p.pid, (x) => x.comm.startsWith('cmd'));
    const r = await inspect({ pid: p.pid }, (x) => x.texts.some((t) => t.startsWith('procFact:Command line=')));
    const cmdline = r.texts.find((t) => t.startsWith('procFact:Command line='))!;
    for (const t of r.texts) assertClean('a rendered text', t);
    assert.ok(cmdline.startsWith('procFact:Command line=\\u202egpj.exe -e '), cmdline.slice(0, 300));
    assert.ok(cmdline.includes(' <img src=x onerror=alert(1)> </script><script>alert(2)</script> [x](command:workbench.action.terminal.new) $(zap) ngin\\u200bx '), cmdline.slice(0, 300));
    assert.ok(cmdline.includes('l1\u240al2\u240dcr \u241b]0;t\u2407'), 'C0 controls as their pictures');
    assert.ok(cmdline.includes(long), 'the whole command line is there to read');
    assert.ok(r.texts.some((t) => t === `title:cmd\\u202egpj.exe[${p.pid}]`), r.texts.find((t) => t.startsWith('title:')));
    assert.equal(r.imgCount, 0, 'no element from the text');
    // as many scripts as the page has on a harmless process (this extension host): none made from the text
    const benign = await inspect({ pid: process.pid }, (x) => x.texts.some((t) => t.startsWith('procFact:Command line=')));
    assert.equal(r.scriptCount, benign.scriptCount);

    // a FIFO made by nobody: its path reorders and hides; its bytes end a bracketed paste and run a command
    const fifo = path.join(os.tmpdir(), `ipc-fifo-${process.pid}-\u202egpj.exe\u200b`);
    const bytes = Buffer.from('hello\x1b[201~echo pwned\n\tline2\u009b\u202e', 'utf8');
    const f = await named({ comm: 'fifo-holder', fifo, fifoBytes: bytes });
    const ch = await waitFor('the FIFO', async () => (await api.source.refresh()).channels.find((c) => c.kind === 'fifo' && c.path === fifo && c.endpoints.some((e) => e.pid === f.pid)), 20_000);
    const view = await inspect({ channelId: ch.id }, (x) => x.texts.some((t) => t.startsWith('fact:Path=')));
    // (the bytes shown as text keep their lines and tabs: checked exactly below)
    for (const t of view.texts) if (!t.startsWith('peekText:')) assertClean('a rendered text', t);
    assert.equal(view.imgCount, 0);
    assert.equal(view.scriptCount, benign.scriptCount);
    assert.ok(view.texts.some((t) => t === `fact:Path=${fifo.replace('\u202e', '\\u202e').replace('\u200b', '\\u200b')}`), JSON.stringify(view.texts.filter((t) => t.startsWith('fact:'))));
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'peek' });
    const peeked = await waitFor('the peek', async () => {
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'report' });
      return (await inspectorState()).rendered.map((x) => x.texts.find((t) => t.startsWith('peekText:'))).filter(Boolean).pop();
    }, 20_000);
    assert.equal(peeked, 'peekText:hello\u241b[201~echo pwned\n\tline2\\x9b\\u202e', 'lines and tabs kept, the rest visible');
    await vscode.commands.executeCommand(CMD, 'post', { type: 'copy', channelId: ch.id, format: 'text' });
    const copied = await vscode.env.clipboard.readText();
    assert.equal(copied, 'hello\\x1b[201~echo pwned\n\tline2\\x9b\\u202e');
    await vscode.commands.executeCommand(CMD, 'post', { type: 'copy', channelId: ch.id, format: 'hex' });
    assert.equal((await vscode.env.clipboard.readText()).replace(/ /g, ''), bytes.toString('hex'), 'Copy hex: the exact bytes');
  });

  it('a rootless container named by its user (whose own name is hostile): the inspector\'s Container and User rows, the tooltip, the container group', async function () {
    const mnt = cgroup2Mount();
    if (!mnt) return this.skip(); // no cgroup v2 hierarchy here: no place for a rootless runtime's scope
    const suffix = String(process.pid % 10000);
    let user: TempUser;
    try {
      user = createUser(`ipc\u202e$(zap)<i>${suffix}`);
    } catch (e) {
      assert.fail(`could not create the attacker's user: ${(e as Error).message}`);
    }
    cleanups.push(() => user.remove());
    // its runtime's state, written by the user itself: the name is every byte its own
    const id = 'c0ffee'.padEnd(64, '0');
    const name = 'web\n[x](command:workbench.action.terminal.new)\u202egpj.exe\u200b';
    const stateDir = '.local/share/containers/storage/overlay-containers';
    const w = user.sh(`mkdir -p ${stateDir} && cat > ${stateDir}/containers.json`, JSON.stringify([{ id, names: [name] }]));
    assert.equal(w.status, 0, w.stderr);
    // its delegated cgroup tree, as systemd would make it; the scope a rootless podman would create in it
    const rel = `user.slice/user-${user.uid}.slice/user@${user.uid}.service/user.slice/libpod-${id}.scope`;
    const made: string[] = [];
    let d = mnt;
    for (const part of rel.split('/')) {
      d = path.join(d, part);
      if (!fs.existsSync(d)) {
        fs.mkdirSync(d);
        made.push(d);
      }
    }
    cleanups.push(() => {
      for (const m of made.reverse()) fs.rmdirSync(m);
    });
    const p = await named({ comm: 'ctr-proc', user });
    fs.writeFileSync(path.join(d, 'cgroup.procs'), String(p.pid));
    const line = fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'));
    if (line !== `0::/${rel}`) {
      await p.close();
      return this.skip(); // this host's cgroup namespace does not put the v2 root at its mount: the path would not name the user's tree
    }
    const proc = await inSnapshot(p.pid, (x) => x.container?.name === name, 30_000);
    assert.equal(proc.user, user.name);
    assert.equal(proc.container?.rootlessUid, user.uid);

    // the tooltip (Markdown, escaped)
    const node = await waitFor('its node', () => api.processesTree.findProcess(p.pid));
    const tip = tooltipText(await treeItem(api.processesTree, node));
    assertClean('the tooltip', tip);
    assert.ok(!VSCODE_LINK_PATTERN.test(tip), tip);

    // the inspector: one line each, escaped
    const r = await inspect({ pid: p.pid }, (x) => x.texts.some((t) => t.startsWith('procFact:Container=')));
    for (const t of r.texts) assertClean('a rendered text', t);
    const container = r.texts.find((t) => t.startsWith('procFact:Container='))!;
    assert.equal(container, `procFact:Container=podman web\\n[x](command:workbench.action.terminal.new)\\u202egpj.exe\\u200b (c0ffee000000), rootless (uid ${user.uid})`);
    assert.equal(r.texts.find((t) => t.startsWith('procFact:User=')), `procFact:User=ipc\\u202e$(zap)<i>${suffix} (uid ${user.uid})`);

    // grouped by container: the group's label and tooltip
    await vscode.workspace.getConfiguration('ipcInspector').update('groupProcesses', 'container', vscode.ConfigurationTarget.Global);
    const bucket = await waitFor('the container group', async () => {
      await scan(api);
      const top = await api.processesTree.getChildren();
      for (const b of top ?? []) if (b.type === 'bucket' && api.processesTree.getChildren(b)?.some((c) => c.type === 'process' && c.proc.pid === p.pid)) return b;
      return undefined;
    }, 20_000);
    const bi = await treeItem(api.processesTree, bucket);
    assert.equal(labelOf(bi), 'web\\n[x](command:workbench.action.terminal.new)\\u202egpj.exe\\u200b');
    assertClean('the group\'s description', String(bi.description ?? ''));
    const btip = tooltipText(bi);
    assertClean('the group\'s tooltip', btip);
    assert.ok(!VSCODE_LINK_PATTERN.test(btip));
    assert.ok(btip.split('\n\n').length >= 4, `one paragraph per line: ${JSON.stringify(btip)}`);
  });
});
