// The signal log (live activity, eBPF) as a user meets it: enable it from the palette, open the
// Signals view, signal a process from the test and from kill(1), and read who sent what, with
// each result (delivered to a handler, ignored, already pending). Takes the README's screenshot
// of the Signals view (test-results/signal-log.png). A shell's SIGCHLD flood is one row with a
// count; ⋯ Hide Routine Signals hides it; the title bar's Clear empties the view and says so. Needs root (the tracer's capabilities); the
// harness runs the workbench as the test's user.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import { e2e, expandView, inlineActions, openCommand, openContainer, poll, runCommand, runViewMenuItem, screenshot, viewHeader, viewPane } from './workbench';

const isRoot = process.geteuid?.() === 0;

describe('signal log', function () {
  this.timeout(180_000);
  let fx: Fixture | undefined;
  let shell: { sh: ChildProcess; dir: string } | undefined;

  /** Views this test collapsed, to open again for the tests after it. */
  const collapsed: string[] = [];

  after(async () => {
    const { page } = e2e();
    const signals = viewHeader(page, 'Signals');
    if ((await signals.count()) > 0 && (await signals.getAttribute('aria-expanded')) === 'true') await signals.click().catch(() => undefined);
    for (const name of collapsed) await expandView(page, name).catch(() => undefined);
    await runCommand(page, 'IPC Inspector: Disable Live Activity').catch(() => undefined);
    await runCommand(page, 'IPC Inspector: Clear Filter').catch(() => undefined);
    await fx?.close().catch(() => undefined);
    shell?.sh.kill('SIGKILL');
    if (shell) rmSync(shell.dir, { recursive: true, force: true });
  });

  it('enabled from the palette, the Signals view lists kill(1) and the test\'s signals to a process: sender → receiver, si_code, result', async function () {
    if (!isRoot) return this.skip(); // the tracer needs root or CAP_BPF+CAP_PERFMON; without them the view says so (extension tests)
    const { page } = e2e();
    fx = await makeFixture('signals', { comm: 'ie2e-sigs' });
    const target = fx.info.target as number;
    await openContainer(page);
    const input = await openCommand(page, 'IPC Inspector: Filter');
    await input.fill('ie2e-sigs');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
    await runCommand(page, 'IPC Inspector: Enable Live Activity (eBPF tracer)');
    // the Signals view alone, with room to read (the other views collapsed)
    for (const name of ['Get Started', 'Channels', 'Processes']) {
      const header = viewHeader(page, name);
      if ((await header.count()) > 0 && (await header.getAttribute('aria-expanded')) === 'true') {
        await header.click();
        if (name !== 'Get Started') collapsed.push(name);
      }
    }
    await expandView(page, 'Signals');
    const rows = viewPane(page, 'Signals').locator('.monaco-list-row');
    // the tracer attaches while the view is visible: signal until the first one is logged
    await poll('the tracer logs a signal to the fixture', async () => {
      process.kill(target, 'SIGUSR1');
      return (await rows.filter({ hasText: 'SIGUSR1' }).count()) > 0;
    }, 60_000);
    // kill(1) as the sender; SIGTERM is ignored by the fixture, SIGUSR2 is blocked and pending
    assert.equal(spawnSync('kill', ['-s', 'TERM', String(target)]).status, 0);
    process.kill(target, 'SIGUSR2');
    const term = rows.filter({ hasText: /SIGTERM\s+kill\[\d+\] → ie2e-sigs\[\d+\]/ });
    await term.first().waitFor({ timeout: 30_000 });
    assert.match((await term.first().innerText()).replace(/\s+/g, ' '), /SI_USER.*ignored/);
    const usr2 = rows.filter({ hasText: 'SIGUSR2' });
    await usr2.first().waitFor({ timeout: 30_000 });
    assert.match((await usr2.first().innerText()).replace(/\s+/g, ' '), /already-pending/);
    const usr1 = (await rows.filter({ hasText: 'SIGUSR1' }).first().innerText()).replace(/\s+/g, ' ');
    // sent until the first was logged: repeats fold into one row (×N)
    assert.match(usr1, new RegExp(`SIGUSR1 (×\\d+ )?node\\[${process.pid}\\] → ie2e-sigs\\[${target}\\].*SI_USER.*delivered`), usr1);
    // the user enabled it: no stale "enable live activity?" question in the corner
    assert.equal(await page.locator('.notification-toast', { hasText: 'enable live activity?' }).count(), 0, 'asked although the user had enabled it');
    // wide enough to read a whole row, as a person would drag the side bar's edge
    const sidebar = page.locator('.part.sidebar');
    const box = (await sidebar.boundingBox())!;
    await page.mouse.move(box.x + box.width, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 720, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    try {
      await page.mouse.move(box.x + 900, box.y + 10);
      await screenshot(page, 'signal-log');
    } finally {
      const now = (await sidebar.boundingBox())!;
      await page.mouse.move(now.x + now.width, now.y + now.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width, now.y + now.height / 2, { steps: 5 });
      await page.mouse.up();
    }
  });
  it('a shell running /bin/true 100 times is one row "SIGCHLD ×100  100 processes → the shell"; ⋯ Hide Routine Signals hides it and says so; Clear in the title bar empties the view and says so', async function () {
    if (!isRoot) return this.skip();
    const { page } = e2e();
    // a shell whose name passes the filter (ie2e-sigs…): a copy of dash
    const dir = mkdtempSync(join(tmpdir(), 'ie2e-fold-'));
    copyFileSync('/usr/bin/dash', join(dir, 'ie2e-sigs-sh'));
    const sh = spawn(join(dir, 'ie2e-sigs-sh'), ['-c', 'i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i+1)); done; exec sleep 120'], { stdio: 'ignore' });
    shell = { sh, dir };
    const rows = viewPane(page, 'Signals').locator('.monaco-list-row');
    const flood = rows.filter({ hasText: new RegExp(`SIGCHLD ×100\\s+100 processes → ie2e-sigs-sh\\[${sh.pid}\\]`) });
    await flood.first().waitFor({ timeout: 30_000 });
    assert.equal(await rows.filter({ hasText: `ie2e-sigs-sh[${sh.pid}]` }).count(), 1, 'the 100 SIGCHLD in one row');
    assert.match((await flood.first().innerText()).replace(/\s+/g, ' '), /CLD_EXITED/);
    // ⋯ Hide Routine Signals: the flood goes, the message counts it; Show brings it back
    await runViewMenuItem(page, 'Signals', 'Hide Routine Signals (SIGCHLD, Timers, SIGWINCH, I/O)');
    await poll('the flood hidden', async () => (await flood.count()) === 0, 10_000);
    await poll('the message counts the hidden', async () => /\d+ routine signals? \(SIGCHLD, timers, SIGWINCH, I\/O\) hidden/.test(await viewPane(page, 'Signals').innerText()), 10_000);
    await runViewMenuItem(page, 'Signals', 'Show Routine Signals');
    await flood.first().waitFor({ timeout: 10_000 });
    // the title bar's Clear (as the Output and Debug Console views have it)
    assert.ok((await inlineActions(page, 'Signals')).includes('Clear Signals View'), (await inlineActions(page, 'Signals')).join(', '));
    await viewHeader(page, 'Signals').locator('.action-label[aria-label="Clear Signals View"]').click();
    await poll('the Signals view emptied', async () => (await rows.count()) === 0, 10_000);
    // the view's message says what the clear hid and where it still is
    const pane = viewPane(page, 'Signals');
    await poll('the message about the clear', async () => /Cleared at \d\d:\d\d:\d\d\.\d{3}: \d+ earlier entries are hidden here \(the log keeps them/.test(await pane.innerText()), 10_000);
    // what comes after the clear shows
    process.kill(fx!.info.target as number, 'SIGUSR1');
    await rows.filter({ hasText: 'SIGUSR1' }).first().waitFor({ timeout: 30_000 });
    assert.equal(await rows.count(), 1, 'only the signal sent after the clear');
  });
});
