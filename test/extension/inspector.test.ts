// The inspector panel inside the real VS Code: opened through the real command on real fixtures;
// what the webview rendered is read back through the test-mode report it posts to the host
// (ipcInspector.test.inspector 'state'); the webview's own form sends the signal.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { makeFixture, closeAll, type Fixture } from '../../fixtures/ipcFixture';
import { openApi, channelWhere, waitFor } from './ipcTestUtil';
import { compileTools, runAttacker, stopAttacker } from '../integration/hostile';
import { queueHolder, SIZE, words } from '../integration/queueHolder';
import type { IpcInspectorApi } from '../../src/extension';

const CMD = 'ipcInspector.test.inspector';
const XSS = '<img src=x onerror=alert(1)>';

interface Rendered { view: string; texts: string[]; elementCount: number; imgCount: number; scriptCount: number }
interface TestState { open: boolean; target?: { channelId?: string; pid?: number }; rendered: Rendered[]; rejected: string[]; confirmations: string[] }

const state = async () => (await vscode.commands.executeCommand<TestState>(CMD, 'state'))!;

/**
 * What the panel refused, less the late requests of a view it had moved on from: a peek the
 * previous test's view sent as `reset` and the next open replaced it is rightly refused as "not
 * shown in this panel". Only refusals that concern `channelId`, or are of another sort, count.
 */
const refusedFor = async (channelId: string) =>
  (await state()).rejected.filter((r) => !/^peek: channel \S+ was not shown in this panel$/.test(r) || r.includes(`channel ${channelId} `));

async function rendered(what: string, pred: (r: Rendered) => boolean, ms = 15_000): Promise<Rendered> {
  return waitFor(what, async () => {
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'report' });
    const s = await state();
    return [...s.rendered].reverse().find(pred);
  }, ms);
}

/**
 * Gives `pid` (of a process that has exited) to a new `sleep` through ns_last_pid (root), and waits
 * until a scan has it. The newcomer holds no channel of its own: its stdout is libuv's socketpair.
 */
async function takePid(api: IpcInspectorApi, pid: number, firstStart: number): Promise<ChildProcess> {
  let newcomer: ChildProcess | undefined;
  for (let i = 0; i < 50 && !newcomer; i++) {
    fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const c = spawn('sleep', ['60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    if (c.pid === pid) newcomer = c;
    else c.kill();
  }
  assert.ok(newcomer, `pid ${pid} was not handed out again in 50 tries`);
  await waitFor('the newcomer in a scan', async () => (await api.source.refresh()).processes.find((p) => p.pid === pid && p.startTime !== firstStart));
  return newcomer;
}

describe('Inspector panel', function () {
  this.timeout(60_000);
  let api: IpcInspectorApi;
  const fixtures: Fixture[] = [];

  before(async () => {
    api = await openApi();
    await vscode.commands.executeCommand(CMD, 'reset');
  });
  after(async () => {
    await vscode.commands.executeCommand(CMD, 'close');
    await closeAll(fixtures);
  });

  it('a thread with an fd table of its own (an attacker, nobody): titled comm[PID, thread TID], "Thread of" links its process', async function () {
    // the attacker runs as nobody (root makes it one), compiled with cc like the integration layer's
    if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v cc']).status !== 0) return this.skip();
    const attacker = runAttacker(await compileTools(), ['thread-files']);
    try {
      const made = JSON.parse(await attacker.next('the thread-files line')) as { pid: number; tid: number; pipeInode: number };
      await channelWhere(api, 'the thread’s pipe', (c) => c.id === `pipe:${made.pipeInode}` && c.endpoints.every((e) => e.pid === made.tid), 20_000);
      await vscode.commands.executeCommand(CMD, 'reset');
      await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: made.tid });
      const view = await rendered('the thread', (r) => r.texts.includes(`title:attacker[${made.pid}, thread ${made.tid}]`));
      assert.ok(view.texts.includes(`procFact:Thread of=attacker[${made.pid}]`), view.texts.filter((t) => t.startsWith('procFact:')).join('\n'));
      // the link names a process the host showed: following it is accepted
      await vscode.commands.executeCommand(CMD, 'post', { type: 'inspect', pid: made.pid });
      await rendered('its process', (r) => r.texts.includes(`title:attacker[${made.pid}]`));
      assert.deepEqual((await state()).rejected, []);
    } finally {
      await stopAttacker(attacker);
    }
  });

  it('shows the messages of a SysV queue without consuming them; markup renders as text', async function () {
    const fx = await makeFixture('sysv-msg', { comm: 'x<img src=x>', msgs: [{ type: 1, text: 'hello inspector' }, { type: 7, text: XSS }] });
    fixtures.push(fx);
    const msqid = fx.info.msqid as number;
    const ch = await channelWhere(api, `sysv-msg ${msqid}`, (c) => c.kind === 'sysv-msg' && c.msqid === msqid);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const s = await state();
    assert.equal(s.open, true);
    assert.equal(s.target?.channelId, ch.id);
    const title = await rendered('channel view', (r) => r.texts.some((t) => t.startsWith('title:SysV message queue')));
    assert.equal(title.imgCount, 0);
    if (!api.source.current?.capabilities.native) {
      // Without the addon there is no MSG_COPY: the panel must say so instead of reading destructively.
      return this.skip();
    }
    const peek = await rendered('messages', (r) => r.view === 'peek' && r.texts.some((t) => t.startsWith('message:')));
    const msgs = peek.texts.filter((t) => t.startsWith('message:'));
    assert.equal(msgs.length, 2);
    // One compact row per message (#, type, size, text preview); the first is selected and only its bytes show.
    assert.equal(msgs[0], 'message:0:#0|1|15 bytes|hello inspector:selected');
    assert.ok(peek.texts.includes('selectedText:hello inspector'), 'the selected message\'s text');
    assert.ok(peek.texts.includes('hexViews:1'), 'one hex view, for the selected message only');
    assert.ok(peek.texts.includes('toolbars:1'), 'one Copy/Save toolbar');
    assert.ok(msgs[1].includes(XSS), `markup shown as text: ${msgs[1]}`);
    assert.equal(peek.imgCount, 0, 'no element was created from the queue contents');
    assert.ok(peek.texts.some((t) => /counters:.*before: 2 messages.*after: 2 messages.*unchanged/.test(t)));
    // Still there: the queue was not consumed.
    const again = await api.source.refresh();
    const q = again.channels.find((c) => c.id === ch.id);
    assert.equal(q && q.kind === 'sysv-msg' ? q.messages : -1, 2);
  });

  it('the selected message stays selected when the panel is hidden and shown again (the webview is made anew)', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    const fx = await makeFixture('sysv-msg', { count: 3 });
    fixtures.push(fx);
    const msqid = fx.info.msqid as number;
    const ch = await channelWhere(api, `sysv-msg ${msqid}`, (c) => c.kind === 'sysv-msg' && c.msqid === msqid && c.messages === 3);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    await rendered('the messages', (r) => r.view === 'peek' && r.texts.some((t) => t.startsWith('message:2:')));
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'selectMessage', index: 2 });
    await rendered('message 2 selected', (r) => r.view === 'selectMessage' && r.texts.some((t) => /^message:2:.*:selected$/.test(t)));
    // another editor in the panel's place: the webview is torn down (no retainContextWhenHidden)
    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await waitFor('the panel hidden', async () => (vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputWebview ? undefined : true), 5_000);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const back = await rendered('the messages again', (r) => r.view === 'peek' && r.texts.some((t) => t.startsWith('message:2:')));
    const selected = back.texts.filter((t) => t.startsWith('message:') && t.endsWith(':selected'));
    assert.deepEqual(selected.map((t) => t.split(':')[1]), ['2'], selected.join(' | '));
    assert.ok(back.texts.includes('selectedText:message 2'), back.texts.filter((t) => t.startsWith('selectedText')).join());
    await vscode.commands.executeCommand('workbench.action.closeOtherEditors');
  });

  it('a SysV queue of more messages than a peek copies (1,024) pages through them with Next and Previous, none consumed', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    const fx = await makeFixture('sysv-msg', { count: 1030 });
    fixtures.push(fx);
    const msqid = fx.info.msqid as number;
    const ch = await channelWhere(api, `sysv-msg ${msqid}`, (c) => c.kind === 'sysv-msg' && c.msqid === msqid && c.messages === 1030);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const first = await rendered('the first page', (r) => r.view === 'peek' && r.texts.some((t) => t.startsWith('message:')));
    assert.equal(first.texts.filter((t) => t.startsWith('message:')).length, 1024);
    assert.ok(first.texts.includes('messagePages:messages-first-off,messages-previous-off,messages-next'), first.texts.filter((t) => t.startsWith('messagePages')).join() || 'no page buttons');
    // the panel's own way on, not a command line to type elsewhere
    assert.ok(first.texts.some((t) => t.startsWith('peekNotice:showing the first 1,024 of 1,030 messages')), first.texts.filter((t) => t.startsWith('peekNotice')).join(' | '));
    assert.ok(!first.texts.some((t) => t.includes('--offset')), 'a CLI instruction in the panel');
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'click', id: 'messages-next' });
    const next = await rendered('the second page', (r) => r.view === 'peek' && r.texts.some((t) => t.startsWith('message:1024:')));
    const rows = next.texts.filter((t) => t.startsWith('message:'));
    assert.equal(rows.length, 6);
    assert.match(rows[0], /^message:1024:#1024\|1025\|.*\|message 1024:selected$/);
    assert.ok(next.texts.includes('messagePages:messages-first,messages-previous,messages-next-off'));
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'click', id: 'messages-previous' });
    await rendered('the first page again', (r) => r.view === 'peek' && r.texts.some((t) => t.startsWith('message:0:')));
    assert.equal((await api.source.refresh()).channels.find((c) => c.id === ch.id && c.kind === 'sysv-msg' && c.messages === 1030)?.id, ch.id, 'nothing consumed');
    assert.deepEqual(await refusedFor(ch.id), []);
  });

  it('shared memory pages on by what the hex view showed: Next after a 64 KiB read shown up to 32 KiB goes to 32 KiB, not past the unshown half', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    const fx = await makeFixture('posix-shm', { name: `ipcinsp-pages-${process.pid}`, size: 192 * 1024, replaceStale: true });
    fixtures.push(fx);
    const ch = await channelWhere(api, 'the 192 KiB segment', (c) => c.kind === 'posix-shm' && c.name === fx.info.name);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const first = await rendered('the first page', (r) => r.view === 'peek' && r.texts.some((t) => /^peekRange:65,536 bytes \(64 KiB\) at offset 0 of 196,608$/.test(t)));
    const rows = first.texts.find((t) => t.startsWith('hexRows:'));
    assert.equal(rows, 'hexRows:00000000-00007ff0', 'a hex view of 2,048 rows');
    assert.ok(first.texts.some((t) => /^hexMore:32,768 more bytes not shown \(Next shows them/.test(t)), first.texts.filter((t) => t.startsWith('hexMore')).join() || 'no "more" line');
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'click', id: 'offset-next' });
    const next = await rendered('the next page', (r) => r.view === 'peek' && r.texts.some((t) => /^peekRange:.* at offset (?!0 )[\d,]+/.test(t)));
    assert.ok(next.texts.some((t) => /^peekRange:65,536 bytes \(64 KiB\) at offset 32,768 of 196,608$/.test(t)), next.texts.filter((t) => t.startsWith('peekRange')).join());
    assert.ok(next.texts.includes('hexRows:00008000-0000fff0'), next.texts.filter((t) => t.startsWith('hexRows')).join());
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'click', id: 'offset-previous' });
    await rendered('the first page again', (r) => r.view === 'peek' && r.texts.includes('hexRows:00000000-00007ff0'));
    assert.deepEqual(await refusedFor(ch.id), []);
  });

  for (const kind of ['pipe', 'unix'] as const) {
    it(`a ${kind === 'pipe' ? 'pipe enlarged to 256 KiB' : 'Unix socket with 256 KiB queued'} pages past 64 KiB with First, Previous and Next as shared memory does: the bytes at 128 KiB, nothing consumed`, async function () {
      if (!api.source.current?.capabilities.native) return this.skip();
      this.timeout(120_000);
      const h = await queueHolder(kind);
      try {
        const ch = await channelWhere(api, `the ${kind} holding 256 KiB`, (c) =>
          c.kind === kind && c.inode === h.inode && (c.kind === 'pipe' ? c.bufferedBytes : c.kind === 'unix' ? c.recvQueue : 0) === SIZE);
        await vscode.commands.executeCommand(CMD, 'reset');
        await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
        const capacity = kind === 'pipe' ? ', capacity 262,144 bytes \\(256 KiB\\)' : '';
        const range = (offset: string) => new RegExp(`^peekRange:65,536 bytes \\(64 KiB\\) at offset ${offset} of 262,144${capacity} \u2014 through fd ${h.fd} of `);
        const first = await rendered('the first page', (r) => r.view === 'peek' && r.texts.some((t) => range('0').test(t)));
        assert.ok(first.texts.includes('offsetPages:offset-first-off,offset-previous-off,offset-next'), first.texts.filter((t) => t.startsWith('offsetPages')).join() || 'no page buttons');
        assert.ok(first.texts.some((t) => t.startsWith('pagedNote:Offsets count from the oldest byte still queued')), first.texts.filter((t) => t.startsWith('pagedNote')).join() || 'no note on what paging means');
        assert.ok(first.texts.some((t) => /^hexMore:32,768 more bytes not shown \(Next shows them/.test(t)), first.texts.filter((t) => t.startsWith('hexMore')).join() || 'no "more" line');
        // Next by the page the hex view shows (32 KiB), four times: 128 KiB
        for (const [offset, text] of [[32768, '32,768'], [65536, '65,536'], [98304, '98,304'], [131072, '131,072']] as const) {
          await vscode.commands.executeCommand(CMD, 'drive', { action: 'click', id: 'offset-next' });
          const page = await rendered(`the page at ${offset}`, (r) => r.view === 'peek' && r.texts.some((t) => range(text).test(t)));
          assert.ok(page.texts.includes(`hexRows:${offset.toString(16).padStart(8, '0')}-${(offset + 32768 - 16).toString(16).padStart(8, '0')}`), page.texts.filter((t) => t.startsWith('hexRows')).join());
        }
        const mid = await rendered('the page at 128 KiB', (r) => r.view === 'peek' && r.texts.some((t) => range('131,072').test(t)));
        // the bytes at 128 KiB: word 32768 and on
        assert.ok(mid.texts.includes(`hexFirst:${words(131072, 16).toString('hex').replace(/(..)(?!$)/g, '$1 ')}`), mid.texts.filter((t) => t.startsWith('hexFirst')).join());
        assert.ok(mid.texts.includes('offsetPages:offset-first,offset-previous,offset-next'), mid.texts.filter((t) => t.startsWith('offsetPages')).join());
        await vscode.commands.executeCommand(CMD, 'drive', { action: 'click', id: 'offset-previous' });
        await rendered('the page at 96 KiB', (r) => r.view === 'peek' && r.texts.some((t) => range('98,304').test(t)));
        // on to the last page: Next then goes nowhere
        for (const text of ['131,072', '163,840', '196,608']) {
          await vscode.commands.executeCommand(CMD, 'drive', { action: 'click', id: 'offset-next' });
          await rendered(`the page at ${text}`, (r) => r.view === 'peek' && r.texts.some((t) => range(text).test(t)));
        }
        await vscode.commands.executeCommand(CMD, 'drive', { action: 'click', id: 'offset-next' });
        const last = await rendered('the last page', (r) => r.view === 'peek' && r.texts.some((t) => t.startsWith('peekRange:32,768 bytes (32 KiB) at offset 229,376 of 262,144')));
        assert.ok(last.texts.includes('offsetPages:offset-first,offset-previous,offset-next-off'), last.texts.filter((t) => t.startsWith('offsetPages')).join());
        await vscode.commands.executeCommand(CMD, 'drive', { action: 'click', id: 'offset-first' });
        await rendered('the first page again', (r) => r.view === 'peek' && r.texts.some((t) => range('0').test(t)) && r.texts.includes('offsetPages:offset-first-off,offset-previous-off,offset-next'));
        assert.deepEqual(await refusedFor(ch.id), []);
        // nothing consumed: the holder reads every byte, in order
        const all = await h.readOut();
        assert.equal(all.length, SIZE);
        assert.ok(all.equals(words(0, SIZE)), 'the holder read what was queued, unchanged');
      } finally {
        h.kill();
      }
    });
  }

  it('a POSIX shm object named with markup renders its name as text', async () => {
    const fx = await makeFixture('posix-shm', { name: `ipcinsp ${XSS}`, replaceStale: true });
    fixtures.push(fx);
    const ch = await channelWhere(api, 'posix-shm fixture', (c) => c.kind === 'posix-shm' && c.name === fx.info.name);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const r = await rendered('posix-shm view', (x) => x.texts.some((t) => t.startsWith('title:POSIX shared memory') && t.includes(XSS)));
    assert.equal(r.imgCount, 0);
  });

  it('sends SIGUSR1 from the webview form and the fixture receives it', async () => {
    const record = path.join(os.tmpdir(), `ipc-inspector-sig-${process.pid}-${Date.now()}.log`);
    const fx = await makeFixture('signals', { record });
    fixtures.push(fx);
    const pid = fx.info.target as number;
    await api.source.refresh();
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { pid });
    const view = await rendered('process view', (r) => r.texts.some((t) => t.startsWith('title:') && t.includes(`[${pid}]`)) && r.texts.some((t) => /^signals:[1-9]/.test(t)));
    assert.equal(view.imgCount, 0);
    // when it started, as a time and an age, beside the ticks signals are bound to
    assert.ok(view.texts.some((t) => /^procFact:Start time=.+ \((\d+ (s|min \d+ s|h \d+ min|d \d+ h)) ago\) — \d+ ticks after boot/.test(t)), view.texts.filter((t) => t.startsWith('procFact:')).join(' | '));
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'sendSignal', signal: 'SIGUSR1' });
    await waitFor('SIGUSR1 recorded', () => fs.existsSync(record) && /signo=10\b/.test(fs.readFileSync(record, 'utf8')), 15_000);
    const done = await rendered('signal result', (r) => r.texts.some((t) => t.startsWith('signalResult:sent SIGUSR1')));
    assert.ok(done);
    assert.equal((await state()).confirmations.length, 0, 'a caught signal to an own process needs no confirmation');

    // SIGTERM is ignored by the fixture: harmless, so it is sent without a question and the result says so.
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'sendSignal', signal: 'SIGTERM' });
    await rendered('ignored SIGTERM sent', (r) => r.texts.some((t) => t.startsWith('signalResult:sent SIGTERM') && t.includes('SIGTERM is ignored by this process — it will have no effect')));
    assert.equal((await state()).confirmations.length, 0);
    // SIGKILL cannot be caught: the host asks first (the same runner and policy as the quick pick); declined = not sent.
    await vscode.commands.executeCommand(CMD, 'confirm', false);
    try {
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'sendSignal', signal: 'SIGKILL' });
      await rendered('cancelled', (r) => r.texts.some((t) => t.startsWith('signalResult:Not sent (cancelled)')));
      const asked = (await state()).confirmations;
      assert.equal(asked.length, 1);
      assert.match(asked[0], /^Send SIGKILL to [^\n]*\[\d+\]\?\nSIGKILL cannot be caught/);
      process.kill(pid, 0); // still alive
      // SIGRTMIN with a value (caught by the fixture) arrives with it.
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'sendSignal', signal: 'SIGRTMIN', value: '42' });
      if (api.source.current?.capabilities.native) {
        await waitFor('SIGRTMIN recorded', () => /signo=34 .*value=42/.test(fs.readFileSync(record, 'utf8')), 15_000);
      }
      await rendered('the form keeps what was sent', (r) => r.texts.includes('signalForm:SIGRTMIN|42'));
      // the panel moved to another process: a signal typed for one is never left in the form for another
      await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: process.pid });
      await rendered('another process, its form empty', (r) => r.texts.some((t) => t.startsWith('title:') && t.includes(`[${process.pid}]`)) && r.texts.includes('signalForm:|'));
    } finally {
      await vscode.commands.executeCommand(CMD, 'confirm', undefined);
    }
  });

  it('POSIX mq: attributes, the explanation, and a receive only after confirming', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    const fx = await makeFixture('posix-mq', { msgs: [{ priority: 2, text: 'take me' }] });
    fixtures.push(fx);
    const ch = await channelWhere(api, 'posix-mq fixture', (c) => c.kind === 'posix-mq' && c.name === fx.info.name);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    // this queue's, not a late report of an earlier test's queue: a receive driven before would take from that one
    const attrs = await rendered('mq attributes', (r) => r.texts.some((t) => t.startsWith('peekNotice:Linux has no non-destructive read')) && r.texts.some((t) => t.startsWith('title:') && t.includes(String(fx.info.name))));
    // its counts and sizes as the facts write them (`1 message`, `7 bytes`), not bare numbers
    const attr = (name: string) => attrs.texts.find((t) => t.startsWith(`mqAttr:${name}=`))?.slice(`mqAttr:${name}=`.length);
    assert.equal(attr('Messages'), '1 message', attrs.texts.filter((t) => t.startsWith('mqAttr')).join(' | '));
    // (the bytes queued come from /dev/mqueue's file: `?` where it is not mounted)
    assert.match(attr('Bytes queued') ?? '', /^(7 bytes|\?)$/);
    assert.match(attr('Max messages') ?? '', /^[\d,]+ messages$/);
    assert.match(attr('Message size') ?? '', /^([\d,]+ bytes|[\d.]+ KiB)$/);
    await vscode.commands.executeCommand(CMD, 'confirm', false);
    try {
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'receiveMq' });
      await rendered('declined', (r) => r.texts.some((t) => t === 'notice:Not received (cancelled).'));
      await vscode.commands.executeCommand(CMD, 'confirm', true);
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'receiveMq' });
      const r = await rendered('received', (x) => x.texts.some((t) => t.startsWith('received:')));
      assert.ok(r.texts.some((t) => /^received:.*priority 2.*:take me$/.test(t)), r.texts.filter((t) => t.startsWith('received')).join('|'));
      // the message is gone from the queue: its Copy in the panel is the only way left to keep it
      await vscode.env.clipboard.writeText('before');
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'copyReceived' });
      await waitFor('the received message on the clipboard', async () => ((await vscode.env.clipboard.readText()) === 'take me' ? true : undefined), 5_000);
      assert.deepEqual(await refusedFor(ch.id), []);
      const asked = (await state()).confirmations;
      assert.equal(asked.length, 2);
      assert.match(asked[0], /CONSUMES/);
    } finally {
      await vscode.commands.executeCommand(CMD, 'confirm', undefined);
    }
  });

  it('POSIX mq: a received message keeps its Copy and Save across later peeks and a webview made anew, until the panel moves to another object', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    const fx = await makeFixture('posix-mq', { msgs: [{ priority: 3, text: 'keep me' }, { priority: 1, text: 'still queued' }] });
    const other = await makeFixture('posix-mq', { msgs: [{ priority: 1, text: 'another queue' }] });
    fixtures.push(fx, other);
    const ch = await channelWhere(api, 'the queue', (c) => c.kind === 'posix-mq' && c.name === fx.info.name);
    const ch2 = await channelWhere(api, 'the other queue', (c) => c.kind === 'posix-mq' && c.name === other.info.name);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    // this queue's (a report of the last test's queue may come in late)
    const attrs = await rendered('mq attributes', (r) => r.texts.some((t) => t.startsWith('peekNotice:Linux has no non-destructive read')) && r.texts.some((t) => t.startsWith('title:') && t.includes(String(fx.info.name))));
    // two queued: the plural (the test before has the singular)
    assert.ok(attrs.texts.includes('mqAttr:Messages=2 messages'), attrs.texts.filter((t) => t.startsWith('mqAttr')).join(' | '));
    await vscode.commands.executeCommand(CMD, 'confirm', true);
    try {
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'receiveMq' });
      await rendered('received', (x) => x.texts.some((t) => /^received:.*priority 3.*:keep me$/.test(t)));
      const copied = async (what: string) => {
        await vscode.env.clipboard.writeText('before');
        await vscode.commands.executeCommand(CMD, 'drive', { action: 'copyReceived' });
        await waitFor(`the received message on the clipboard ${what}`, async () => ((await vscode.env.clipboard.readText()) === 'keep me' ? true : undefined), 5_000);
      };
      await copied('at once');
      // the next peek (and the one after) leaves it, and its Copy still works
      for (let i = 0; i < 2; i++) {
        const peeks = async () => (await state()).rendered.filter((r) => r.view === 'peek');
        const before = (await peeks()).length;
        await vscode.commands.executeCommand(CMD, 'drive', { action: 'peek' });
        const again = await waitFor(`peek ${i + 1} after the receive`, async () => {
          const all = await peeks();
          return all.length > before ? all[all.length - 1] : undefined;
        }, 10_000);
        assert.ok(again.texts.some((t) => t.startsWith('peekNotice:Linux has no')), 'the queue peeked again');
        assert.ok(again.texts.some((t) => /^received:.*priority 3.*:keep me$/.test(t)), `gone after peek ${i + 1}: ${again.texts.filter((t) => t.startsWith('received')).join('|')}`);
        await copied(`after peek ${i + 1}`);
      }
      // hidden and shown again: the webview is made anew, and the host gives it the message back
      await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
      await waitFor('the panel hidden', async () => (vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputWebview ? undefined : true), 5_000);
      await vscode.commands.executeCommand(CMD, 'reset');
      await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
      const back = await rendered('the received message again', (r) => r.texts.some((t) => t.startsWith('received:')));
      assert.deepEqual(back.texts.filter((t) => t.startsWith('received:')).length, 1, 'shown once');
      await copied('in the webview made anew');
      await vscode.commands.executeCommand('workbench.action.closeOtherEditors');
      // another object: the message goes with the queue's view
      await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch2.id });
      const moved = await rendered('the other queue', (r) => r.texts.some((t) => t.startsWith('title:') && t.includes(String(other.info.name))) && r.texts.some((t) => t.startsWith('peekNotice:Linux has no')));
      assert.deepEqual(moved.texts.filter((t) => t.startsWith('received:')), [], 'the first queue\'s message shown under another');
      assert.deepEqual(await refusedFor(ch2.id), []);
    } finally {
      await vscode.commands.executeCommand(CMD, 'confirm', undefined);
    }
  });

  it('a receive answered after the panel moved to another object is not shown under that object (a notice says what was consumed where)', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    const a = await makeFixture('posix-mq', { msgs: [{ priority: 1, text: 'from queue A' }] });
    const b = await makeFixture('posix-mq', { msgs: [{ priority: 1, text: 'queue B stays' }] });
    fixtures.push(a, b);
    const chA = await channelWhere(api, 'queue A', (c) => c.kind === 'posix-mq' && c.name === a.info.name);
    const chB = await channelWhere(api, 'queue B', (c) => c.kind === 'posix-mq' && c.name === b.info.name);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: chA.id });
    await rendered('queue A', (r) => r.texts.some((t) => t.startsWith('peekNotice:Linux has no non-destructive read')) && r.texts.some((t) => t.includes(String(a.info.name))));
    // the confirmation is answered a second later: meanwhile the panel shows queue B
    await vscode.commands.executeCommand(CMD, 'confirm', { answer: true, afterMs: 1_000 });
    try {
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'receiveMq' });
      await waitFor('the confirmation asked', async () => ((await state()).confirmations.length === 1 ? true : undefined), 5_000);
      await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: chB.id });
      const r = await rendered('the notice under queue B', (x) => x.view === 'mqReceived', 10_000);
      assert.ok(r.texts.some((t) => t.startsWith('title:') && t.includes(String(b.info.name))), JSON.stringify([r.texts.find((t) => t.startsWith('title:')), b.info.name]));
      assert.deepEqual(r.texts.filter((t) => t.startsWith('received:')), [], 'queue A\'s message shown under queue B');
      assert.ok(r.texts.some((t) => t === `notice:One message of 12 bytes was received (consumed) from ${chA.id}, which this panel no longer shows.`), r.texts.filter((t) => t.startsWith('notice:')).join(' | '));
    } finally {
      await vscode.commands.executeCommand(CMD, 'confirm', undefined);
    }
  });

  it("the depth chart draws a pipe's fill against its capacity: 4 KiB of 64 KiB sits low, not at the top", async () => {
    const fx = await makeFixture('pipe', { comm: 'tr-depth', bytes: 4096 });
    fixtures.push(fx);
    const ch = await channelWhere(api, 'the 4 KiB pipe', (c) => c.kind === 'pipe' && c.inode === fx.info.inode && c.bufferedBytes === 4096);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    for (let i = 0; i < 2; i++) await api.source.refresh();
    const r = await rendered('its chart', (x) => x.texts.includes(`fact:Id=${ch.id}`) && x.texts.some((t) => t.startsWith('chartEndY:0=')));
    assert.ok(r.texts.includes('chartLegend:bytes: 4 KiB of 64 KiB (max 4 KiB)'), r.texts.filter((t) => t.startsWith('chart')).join('; '));
    // 4096 / 65536 of the height from the bottom (the line's y runs 4..96 of 100)
    const y = Number(r.texts.find((t) => t.startsWith('chartEndY:0='))!.slice('chartEndY:0='.length));
    assert.ok(Math.abs(y - (96 - (4096 / 65536) * 92)) < 0.2, `the line ends at y ${y}`);
  });

  it('keyboard focus on a "Held by" link stays there across three live updates; holders are comm[pid] links', async () => {
    const fx = await makeFixture('pipe', { comm: 'tr-focus', bytes: 5 });
    fixtures.push(fx);
    const ch = await channelWhere(api, 'focus pipe', (c) => c.kind === 'pipe' && c.inode === fx.info.inode);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    // Holders read comm[pid] (the fixture renames itself after exec: wait for the name).
    await rendered('holders named comm[pid]', (r) => r.texts.some((t) => t.startsWith(`holder:tr-focus[${fx.info.writer.pid}]`)));
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'focusHolder' });
    const focused = await rendered('focus on a holder link', (r) => r.view === 'focusHolder');
    const focus = focused.texts.find((t) => t.startsWith('focus:'))!;
    assert.match(focus, /^focus:holder-\d+-/, 'no holder link took the focus');
    const before = (await state()).rendered.filter((r) => r.view === 'channel').length;
    for (let i = 0; i < 3; i++) await api.source.refresh();
    await waitFor('three updates rendered', async () => (await state()).rendered.filter((r) => r.view === 'channel').length >= before + 3);
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'report' });
    const after = [...(await state()).rendered].reverse().find((r) => r.view === 'report')!;
    assert.ok(after.texts.includes(focus), `the focus moved: ${after.texts.find((t) => t.startsWith('focus:'))}`);
  });

  it('a listening socket\'s peek says nothing was read (not "read via none", not "nothing was buffered")', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    const fx = await makeFixture('unix-stream', { comm: 'tr-listen' });
    fixtures.push(fx);
    const inode = (fx.info.listener as { inode: number }).inode;
    const ch = await channelWhere(api, 'the listener', (c) => c.kind === 'unix' && c.inode === inode);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const r = await rendered('the peek', (x) => x.view === 'peek');
    const head = r.texts.find((t) => t.startsWith('peek-head:')) ?? '';
    assert.match(head, /^peek-head:looked at .*: nothing read$/, head);
    assert.ok(r.texts.some((t) => t.startsWith('peekNotice:a listening socket has no data')), r.texts.filter((t) => t.startsWith('peekNotice')).join(' | '));
    assert.ok(!r.texts.some((t) => t.startsWith('peek-empty:') || t.startsWith('peekRange:')), r.texts.filter((t) => /^peek-|^peekRange/.test(t)).join(' | '));
  });

  it('a connection\'s Peer fact names who holds the other end, and its link opens that end', async () => {
    const fx = await makeFixture('unix-stream', { comm: 'tr-peer' });
    fixtures.push(fx);
    const mine = await channelWhere(api, 'a connected end of tr-peer', (c) => c.kind === 'unix' && c.peer !== undefined && c.endpoints.some((e) => fx.pids.includes(e.pid)) && api.source.current!.channels.some((o) => o.id === (c as { peer?: string }).peer && o.endpoints.length > 0));
    const peerId = (mine as { peer?: string }).peer!;
    const other = api.source.current!.channels.find((c) => c.id === peerId)!;
    const holder = other.endpoints[0].pid;
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: mine.id });
    const r = await rendered('the Peer fact', (x) => x.texts.some((t) => t.startsWith('fact:Peer=')));
    const fact = r.texts.find((t) => t.startsWith('fact:Peer='))!;
    assert.ok(fact.includes(peerId) && fact.includes(`[${holder}]`), `the peer's id and its holder's comm[pid]: ${fact}`);
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'openPeer' });
    await waitFor('the inspector on the other end', async () => (await state()).target?.channelId === peerId);
    // Reveal Peer from the tree: the showing inspector follows the selection back
    const back = await vscode.commands.executeCommand<{ id: string } | undefined>('ipcInspector.revealPeer', api.channelsTree.findChannel(peerId));
    assert.ok(back, 'Reveal Peer found no peer');
    await waitFor('the inspector back on the first end', async () => (await state()).target?.channelId === mine.id);
  });

  it('a SysV segment nothing maps is not peeked by opening it (a peek would attach it): the panel says so and peeks on Peek only; no pid 0 shown', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    const fx = await makeFixture('sysv-shm', { comm: 'tr-shmat', attach: 0 });
    fixtures.push(fx);
    const ch = await channelWhere(api, 'the unattached segment', (c) => c.kind === 'sysv-shm' && c.shmid === fx.info.shmid);
    const lastPid = () => Number(fs.readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').find((l) => l.trim().split(/\s+/)[1] === String(fx.info.shmid))!.trim().split(/\s+/)[5]);
    const before = lastPid();
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const r = await rendered('the facts and the note', (x) => x.texts.some((t) => t.startsWith('fact:Size=')) && x.texts.some((t) => t.startsWith('peekAlters:')));
    assert.match(r.texts.find((t) => t.startsWith('peekAlters:'))!, /attaches it read-only \(shmat\)/);
    for (let i = 0; i < 2; i++) await api.source.refresh();
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'report' });
    assert.equal(lastPid(), before, 'the segment\'s last attach pid changed without a peek');
    // (nor shows a peek of the channel inspected before: one still on its way when the target changed;
    // one that rendered under that channel's title, before this target, is not this panel's)
    const title = r.texts[0];
    assert.equal((await state()).rendered.filter((x) => x.view === 'peek' && x.texts[0] === title).length, 0, 'a peek rendered under the segment');
    if (before === 0) assert.ok(!r.texts.some((t) => /^fact:Last attach\/detach=0$/.test(t)), 'pid 0 shown as a number');
    await vscode.commands.executeCommand(CMD, 'drive', { action: 'peek' });
    await rendered('the peek asked for', (x) => x.view === 'peek' && x.texts[0] === title);
    // Peek read it by attaching: the extension host is the last attacher
    await waitFor('the extension host as the last attacher', () => lastPid() === process.pid);
  });

  it('a connection no process holds (TIME-WAIT) is not peeked: no Peek button, the panel says why, no error', async () => {
    const server = net.createServer((c) => c.on('end', () => c.end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await new Promise<void>((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1', () => c.end());
        c.on('error', reject);
        c.on('close', () => resolve());
        c.resume();
      });
      const ch = await channelWhere(api, 'the TIME-WAIT connection', (c) => c.kind === 'tcp' && c.state === 'TIME-WAIT' && c.remote === `127.0.0.1:${port}`);
      await vscode.commands.executeCommand(CMD, 'reset');
      await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
      const r = await rendered('the reason instead of Peek', (x) => x.texts.some((t) => t.startsWith('noPeek:')));
      assert.match(r.texts.find((t) => t.startsWith('noPeek:'))!, /no fd to read its queue through/);
      for (let i = 0; i < 2; i++) await api.source.refresh();
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'report' });
      const st = await state();
      assert.equal(st.rendered.filter((x) => x.view === 'peek' && x.texts[0] === r.texts[0]).length, 0, 'a peek rendered (an error: ENOENT, no process holds the socket)');
    } finally {
      server.close();
    }
  });

  it('an object that goes keeps its last view, read-only: its name, when it was last seen, its facts and last peek; no Peek, and a peek is refused', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    const fx = await makeFixture('sysv-msg', { comm: 'tr-gone', msgs: [{ type: 7, text: 'last words' }] });
    fixtures.push(fx);
    const ch = await channelWhere(api, 'the queue', (c) => c.kind === 'sysv-msg' && c.msqid === fx.info.msqid);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const live = await rendered('the peeked queue', (r) => r.texts.some((t) => t.startsWith('message:0:')));
    const title = live.texts[0].slice('title:'.length);
    assert.ok(live.texts.includes('actions:peek-button'), live.texts.filter((t) => t.startsWith('actions:')).join());
    await fx.close();
    await api.source.refresh();
    const gone = await rendered('the gone view', (r) => r.view === 'gone' && r.texts[0].startsWith(`title:${title}`));
    assert.equal(gone.texts[0], `title:${title} no longer exists`);
    assert.match(gone.texts.find((t) => t.startsWith('description:'))!, /^description:Below is how it was when last seen, in the scan of .+; it can no longer be peeked\.$/);
    // the last view: its facts and the messages of the last peek, as they were
    for (const want of [`fact:Id=${ch.id}`, ...live.texts.filter((t) => t.startsWith('message:0:'))]) assert.ok(gone.texts.includes(want), `${want} missing: ${gone.texts.join(' | ')}`);
    assert.match(gone.texts.find((t) => t.startsWith('noPeek:'))!, /^noPeek:It no longer exists: there is nothing to peek\. The last peek stays below/);
    assert.ok(gone.texts.includes('actions:'), `an action is still offered: ${gone.texts.filter((t) => t.startsWith('actions:')).join()}`);
    // the host no longer lets the page act on it
    const before = (await state()).rejected.length;
    await vscode.commands.executeCommand(CMD, 'post', { type: 'peek', requestId: 900, channelId: ch.id, offset: 0 });
    await waitFor('the peek refused', async () => (await state()).rejected.length > before || undefined);
    // a link of the last view to what went too (its sender, the fixture, has exited) says so; it is no hostile message
    const rejected = (await state()).rejected.length;
    await vscode.commands.executeCommand(CMD, 'post', { type: 'inspect', pid: fx.pid });
    await rendered('the notice', (r) => r.texts.includes(`notice:Process ${fx.pid} has exited too.`));
    assert.equal((await state()).rejected.length, rejected, (await state()).rejected.slice(rejected).join('\n'));
    // the notice was about that target: another one opens without it
    await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: process.pid });
    const next = await rendered('the next target', (r) => r.texts[0].includes(`[${process.pid}]`));
    assert.deepEqual(next.texts.filter((t) => t.startsWith('notice:')), []);
  });

  it('a container\'s init (PID 1 of its own pid namespace) that does not handle SIGTERM: the send field\'s hint says the kernel drops it, not "default action: terminate"', async function () {
    if (process.getuid?.() !== 0) return this.skip();
    const outer = spawn('unshare', ['--pid', '--fork', 'sleep', '60'], { stdio: 'ignore' });
    let initPid = 0;
    try {
      const init = initPid = await waitFor('the namespace\'s init', async () => {
        const kids = fs.readFileSync(`/proc/${outer.pid}/task/${outer.pid}/children`, 'utf8').trim();
        const pid = Number(kids.split(' ')[0]);
        return pid > 0 && /NSpid:\s+\d+\s+1$/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')) ? pid : undefined;
      }, 10_000);
      await vscode.commands.executeCommand(CMD, 'reset');
      await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: init });
      await rendered('the init', (r) => r.texts.includes(`title:sleep[${init}]`));
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'typeSignal', signal: 'SIGTERM' });
      const term = await rendered('the SIGTERM hint', (r) => r.view === 'typeSignal' && r.texts.some((t) => t.startsWith('signalHint:SIGTERM')));
      const hint = term.texts.find((t) => t.startsWith('signalHint:'))!;
      assert.match(hint, /the kernel drops it when it comes from outside .* no effect/, hint);
      assert.doesNotMatch(hint, /default action/);
      // SIGKILL reaches it: its default action, as for any process
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'typeSignal', signal: 'SIGKILL' });
      const kill = await rendered('the SIGKILL hint', (r) => r.view === 'typeSignal' && r.texts.some((t) => t.startsWith('signalHint:SIGKILL')));
      assert.match(kill.texts.find((t) => t.startsWith('signalHint:'))!, /default action: terminate/);
    } finally {
      // the init first (by its pid: once unshare is gone it is nobody's child here)
      if (initPid) process.kill(initPid, 'SIGKILL');
      outer.kill('SIGKILL');
    }
  });

  it('a process that exits keeps its last view, read-only: "comm[pid] has exited", its facts; no signal form, and a signal is refused', async function () {
    const fx = await makeFixture('pipe', { comm: 'tr-exits' });
    fixtures.push(fx);
    await channelWhere(api, 'its pipe', (c) => c.kind === 'pipe' && c.endpoints.some((e) => e.pid === fx.pid));
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: fx.pid });
    const live = await rendered('the process', (r) => r.texts.includes(`title:tr-exits[${fx.pid}]`));
    assert.ok(live.texts.includes('actions:send-signal'), live.texts.filter((t) => t.startsWith('actions:')).join());
    assert.match(live.texts.find((t) => t.startsWith('status:'))!, /^status:\[Pause live updates\] live · updated \S/);
    const startTime = api.source.current!.processes.find((p) => p.pid === fx.pid)!.startTime;
    // its namespaces are named as its PID is: "PID namespace", not "Pid namespace" under "PID"
    const pidns = api.source.current!.processes.find((p) => p.pid === fx.pid)!.pidns;
    if (pidns) assert.ok(live.texts.includes(`procFact:PID namespace=${pidns}`), live.texts.filter((t) => t.startsWith('procFact:')).join(' | '));
    // the pending-signal count against its limit, digits grouped as the panel's other counts
    const queued = live.texts.find((t) => t.startsWith('procFact:Queued signals='));
    if (queued) assert.match(queued, /^procFact:Queued signals=\d{1,3}(,\d{3})* of (\d{1,3}(,\d{3})*|\?) \(the per-user limit\)$/);
    await fx.close();
    await api.source.refresh();
    const gone = await rendered('the exited process', (r) => r.view === 'gone' && r.texts[0].includes(`[${fx.pid}]`));
    assert.equal(gone.texts[0], `title:tr-exits[${fx.pid}] has exited`);
    assert.match(gone.texts.find((t) => t.startsWith('description:'))!, /it can no longer be signalled\.$/);
    assert.ok(gone.texts.includes(`procFact:PID=${fx.pid}`), gone.texts.filter((t) => t.startsWith('procFact:')).join(' | '));
    // nothing to pause, and no "updated" time that ticks on: when it was last seen, as the description says
    const status = gone.texts.find((t) => t.startsWith('status:'))!;
    assert.match(status, /^status:gone · last seen \S/);
    assert.ok(gone.texts.find((t) => t.startsWith('description:'))!.includes(status.slice('status:gone · last seen '.length)), status);
    assert.ok(gone.texts.includes('actions:'), `an action is still offered: ${gone.texts.filter((t) => t.startsWith('actions:')).join()}`);
    const before = (await state()).rejected.length;
    await vscode.commands.executeCommand(CMD, 'post', { type: 'sendSignal', requestId: 901, pid: fx.pid, startTime, signal: 15 });
    await waitFor('the signal refused', async () => (await state()).rejected.length > before || undefined);
  });

  it('a process whose pid another process takes after it exits stays exited: the panel never turns to the newcomer, and a signal to that pid is refused', async function () {
    // ns_last_pid hands the pid out again (root: CAP_SYS_ADMIN in the pid namespace)
    if (process.getuid?.() !== 0 || !fs.existsSync('/proc/sys/kernel/ns_last_pid')) return this.skip();
    const fx = await makeFixture('pipe', { comm: 'tr-reused' });
    fixtures.push(fx);
    await channelWhere(api, 'its pipe', (c) => c.kind === 'pipe' && c.endpoints.some((e) => e.pid === fx.pid));
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: fx.pid });
    await rendered('the process', (r) => r.texts.includes(`title:tr-reused[${fx.pid}]`));
    const firstStart = api.source.current!.processes.find((p) => p.pid === fx.pid)!.startTime;
    await fx.close();
    await api.source.refresh();
    await rendered('the exited process', (r) => r.view === 'gone' && r.texts[0] === `title:tr-reused[${fx.pid}] has exited`);
    const newcomer = await takePid(api, fx.pid, firstStart);
    try {
      for (let i = 0; i < 2; i++) await api.source.refresh();
      await vscode.commands.executeCommand(CMD, 'drive', { action: 'report' });
      const last = await rendered('the last render', (r) => r.texts[0].includes(`[${fx.pid}]`));
      assert.equal(last.texts[0], `title:tr-reused[${fx.pid}] has exited`, 'the panel shows the newcomer');
      assert.ok(last.texts.includes('actions:'), last.texts.filter((t) => t.startsWith('actions:')).join());
      const startTime = api.source.current!.processes.find((p) => p.pid === fx.pid)!.startTime;
      const before = (await state()).rejected.length;
      await vscode.commands.executeCommand(CMD, 'post', { type: 'sendSignal', requestId: 902, pid: fx.pid, startTime, signal: 15 });
      await waitFor('the signal refused', async () => (await state()).rejected.length > before || undefined);
      assert.equal(newcomer.exitCode, null, 'the newcomer got the signal');
    } finally {
      newcomer.kill();
    }
  });

  it('a panel revived after a reload stays bound to the process it showed: once its pid is another process\'s, it reads "has exited"', async function () {
    if (process.getuid?.() !== 0 || !fs.existsSync('/proc/sys/kernel/ns_last_pid')) return this.skip();
    const fx = await makeFixture('pipe', { comm: 'tr-revived' });
    fixtures.push(fx);
    await channelWhere(api, 'its pipe', (c) => c.kind === 'pipe' && c.endpoints.some((e) => e.pid === fx.pid));
    const firstStart = api.source.current!.processes.find((p) => p.pid === fx.pid)!.startTime;
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: fx.pid });
    // the webview keeps the start time with its target: what VS Code hands back after a reload
    await rendered('the saved start time', (r) => r.texts.includes(`title:tr-revived[${fx.pid}]`) && r.texts.includes(`savedStart:${firstStart}`));
    await vscode.commands.executeCommand(CMD, 'close');
    await fx.close();
    const newcomer = await takePid(api, fx.pid, firstStart);
    try {
      await vscode.commands.executeCommand(CMD, 'reset');
      await vscode.commands.executeCommand(CMD, 'revive', { target: { pid: fx.pid }, startTime: firstStart });
      const gone = await rendered('the revived panel', (r) => r.texts[0].includes(`${fx.pid}`));
      assert.equal(gone.texts[0], `title:Process ${fx.pid} has exited`, 'the revived panel shows the newcomer');
      assert.ok(gone.texts.includes('actions:'), gone.texts.filter((t) => t.startsWith('actions:')).join());
      const newStart = api.source.current!.processes.find((p) => p.pid === fx.pid)!.startTime;
      const before = (await state()).rejected.length;
      await vscode.commands.executeCommand(CMD, 'post', { type: 'sendSignal', requestId: 903, pid: fx.pid, startTime: newStart, signal: 15 });
      await waitFor('the signal refused', async () => (await state()).rejected.length > before || undefined);
      assert.equal(newcomer.exitCode, null, 'the newcomer got the signal');
      // a state the page did not write (a start time that is no number) binds nothing: the panel shows what has the pid now
      await vscode.commands.executeCommand(CMD, 'reset');
      await vscode.commands.executeCommand(CMD, 'revive', { target: { pid: fx.pid }, startTime: 'x' });
      await rendered('the unbound panel', (r) => r.texts[0] === `title:sleep[${fx.pid}]`);
    } finally {
      newcomer.kill();
      await vscode.commands.executeCommand(CMD, 'close');
    }
  });

  it('a process that exits unreaped (a zombie) reads as exited, with its last live view, and offers no signal', async function () {
    // a parent that never waits: its child exits after 2 s and stays a zombie
    const parent = spawn('python3', ['-c', 'import os, sys, time\npid = os.fork()\nif pid == 0:\n    os.execvp("sleep", ["sleep", "2"])\nprint(pid, flush=True)\ntime.sleep(120)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const child = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      await vscode.commands.executeCommand(CMD, 'reset');
      await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: child });
      const live = await rendered('the live child', (r) => r.texts.includes(`title:sleep[${child}]`));
      assert.ok(live.texts.some((t) => t === 'procFact:Command line=sleep 2'), live.texts.filter((t) => t.startsWith('procFact:')).join(' | '));
      await waitFor('the child a zombie', () => / Z /.test(fs.readFileSync(`/proc/${child}/stat`, 'utf8').replace(/^.*\)/, ')')) || undefined, 10_000);
      await api.source.refresh();
      const gone = await rendered('the zombie', (r) => r.view === 'gone' && r.texts[0].includes(`[${child}]`));
      assert.equal(gone.texts[0], `title:sleep[${child}] has exited`);
      assert.match(gone.texts.find((t) => t.startsWith('description:'))!, /^description:Its parent has not reaped it yet: a zombie keeps its pid, and nothing else\. Below is how it was when last seen/);
      // the last live view: its command line, not the zombie's blanks
      assert.ok(gone.texts.includes('procFact:Command line=sleep 2'), gone.texts.filter((t) => t.startsWith('procFact:')).join(' | '));
      assert.ok(gone.texts.includes('actions:'), gone.texts.filter((t) => t.startsWith('actions:')).join());
    } finally {
      parent.kill();
    }
  });

  it('a process whose main thread exited while its other threads run (state Z, with threads) is alive: not "has exited", its signal form offered', async function () {
    if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v cc']).status !== 0) return this.skip();
    const attacker = runAttacker(await compileTools(), ['gone-leader']);
    try {
      const made = JSON.parse(await attacker.next('the gone-leader line')) as { pid: number };
      await waitFor('its leader a zombie', () => / Z /.test(fs.readFileSync(`/proc/${made.pid}/stat`, 'utf8').replace(/^.*\)/, ')')) || undefined, 10_000);
      await vscode.commands.executeCommand(CMD, 'reset');
      await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: made.pid });
      for (let i = 0; i < 2; i++) await api.source.refresh();
      const r = await rendered('the process', (x) => x.texts[0] === `title:attacker[${made.pid}]`);
      assert.ok(r.texts.includes('actions:send-signal'), r.texts.filter((t) => t.startsWith('actions:')).join());
    } finally {
      await stopAttacker(attacker);
    }
  });

  it('a TCP connection its process closes is followed into its closed state (its id changes with its inode), not called gone', async () => {
    let accepted: net.Socket | undefined;
    const server = net.createServer((c) => { accepted = c; });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    try {
      await new Promise<void>((r) => client.once('connect', () => r()));
      const cport = client.localPort!;
      await waitFor('accepted', () => accepted);
      const held = await channelWhere(api, 'the server end', (c) => c.kind === 'tcp' && c.state === 'ESTAB' && c.local === `127.0.0.1:${port}` && c.remote === `127.0.0.1:${cport}` && c.endpoints.length > 0);
      await vscode.commands.executeCommand(CMD, 'reset');
      await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: held.id });
      await rendered('the connection', (r) => r.view === 'channel' && r.texts.includes(`fact:Id=${held.id}`));
      // a few scans of depth history, which the closed connection's view goes on from
      for (let i = 0; i < 3; i++) await api.source.refresh();
      const before = await rendered('its history', (r) => r.texts.includes(`fact:Id=${held.id}`) && Number(r.texts.find((t) => t.startsWith('history:'))!.slice(8)) >= 2);
      const samples = Number(before.texts.find((t) => t.startsWith('history:'))!.slice(8));
      accepted!.destroy(); // the server closes first: its end goes FIN-WAIT-2, no inode, no process
      const closed = await channelWhere(api, 'the closed server end', (c) => c.kind === 'tcp' && c.inode === 0 && c.local === `127.0.0.1:${port}` && c.remote === `127.0.0.1:${cport}`);
      assert.notEqual(closed.id, held.id);
      await waitFor('the panel on the closed connection', async () => (await state()).target?.channelId === closed.id || undefined);
      const r = await rendered('its closed state', (x) => x.texts.includes(`fact:Id=${closed.id}`));
      assert.ok(!/no longer exists$/.test(r.texts[0]), r.texts[0]);
      assert.ok(r.texts.some((t) => t.startsWith('noPeek:')), 'a peek offered on a connection no process holds');
      const after = Number(r.texts.find((t) => t.startsWith('history:'))!.slice(8));
      assert.ok(after > samples, `its depth chart started again: ${after} samples after the close, ${samples} before`);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('a semaphore\'s last pid is a comm[pid] link, as every pid the facts name', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    const fx = await makeFixture('sysv-sem', { comm: 'tr-sem', values: [3, 0] });
    fixtures.push(fx);
    const ch = await channelWhere(api, 'the semaphore set', (c) => c.kind === 'sysv-sem' && c.semid === fx.info.semid);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const r = await rendered('the semaphore rows', (x) => x.texts.filter((t) => t.startsWith('sem:')).length === 2);
    const rows = r.texts.filter((t) => t.startsWith('sem:'));
    const last = fx.info.lastPid as number[];
    assert.ok(last.some((p) => p > 0), 'the fixture set no semaphore: nothing to link');
    assert.deepEqual(rows, [3, 0].map((v, i) => `sem:${i}|${v}|0|0|${last[i] > 0 ? `tr-sem[${last[i]}]:1 link` : 'none:0 link'}`));
  });

  it('re-peek is opt-in: when the object changes after a peek, a "New data — Peek again" bar shows and nothing is re-read', async function () {
    if (!api.source.current?.capabilities.native) return this.skip();
    // A message every 50 ms, received at once: the queue's facts change on every scan.
    const fx = await makeFixture('msg-flow', { comm: 'tr-repeek', period: 50 });
    fixtures.push(fx);
    const ch = await channelWhere(api, 'flow queue', (c) => c.kind === 'sysv-msg' && c.msqid === fx.info.msqid);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    await rendered('the first peek', (r) => r.view === 'peek');
    for (let i = 0; i < 3; i++) await api.source.refresh();
    const bar = await rendered('the New data bar', (r) => r.texts.includes('newData:shown'));
    assert.ok(bar);
    assert.equal((await state()).rendered.filter((r) => r.view === 'peek').length, 1, 'the panel peeked again by itself');
  });

  it('facts use the registry\'s titles and units, pids are comm[pid] links, times are local', async function () {
    const fx = await makeFixture('sysv-msg', { comm: 'tr-facts', count: 2 });
    fixtures.push(fx);
    const ch = await channelWhere(api, 'facts queue', (c) => c.kind === 'sysv-msg' && c.msqid === fx.info.msqid);
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const r = await rendered('facts', (x) => x.texts.some((t) => t.startsWith('fact:Capacity=')));
    const facts = r.texts.filter((t) => t.startsWith('fact:'));
    for (const raw of ['bufferedBytes', 'maxBytes', 'lastSendPid', 'lastSendTime', 'msqid=']) assert.ok(!facts.some((t) => t.includes(raw)), `raw field name ${raw}: ${facts.join(' | ')}`);
    assert.ok(facts.some((t) => /^fact:Capacity=\d{1,3}(,\d{3})* bytes( \(\d+(\.\d+)? KiB\))?$/.test(t)), facts.join(' | '));
    const sender = facts.find((t) => t.startsWith('fact:Last sender='));
    assert.ok(sender && /=(\S*\[\d+\])$/.test(sender), `the last sender is no comm[pid] link: ${sender}`);
    const sent = facts.find((t) => t.startsWith('fact:Last sent='));
    if (sent) assert.doesNotMatch(sent, /\d{4}-\d\d-\d\dT/, 'an ISO time');
    assert.ok(!facts.some((t) => /\b1 bytes\b/.test(t)));
  });

  it('rejects hostile messages on the webview path (pid not shown, bad types, pollution)', async () => {
    await vscode.commands.executeCommand(CMD, 'reset');
    await vscode.commands.executeCommand(CMD, 'post', { type: 'sendSignal', requestId: 1, pid: 1, startTime: 1, signal: 9 });
    await vscode.commands.executeCommand(CMD, 'post', { type: 'sendSignal', requestId: 2, pid: '1', startTime: 1, signal: 9 });
    await vscode.commands.executeCommand(CMD, 'post', JSON.parse('{"type":"ready","__proto__":{"x":1}}'));
    await vscode.commands.executeCommand(CMD, 'post', { type: 'peek', requestId: 3, channelId: 'sysv-msg:999999', offset: -1 });
    const s = await state();
    assert.equal(s.rejected.length, 4, s.rejected.join('\n'));
    assert.match(s.rejected[0], /not shown/);
  });
});
