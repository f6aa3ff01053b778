// The signal log (live activity, eBPF) as a user meets it: enable it from the palette, open the
// Signals view, signal a process from the test and from kill(1), and read who sent what, with
// each result (delivered to a handler, ignored, already pending). Takes the README's screenshot
// of the Signals view (test-results/signal-log.png). Needs root (the tracer's capabilities); the
// harness runs the workbench as the test's user.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import { e2e, expandView, openCommand, openContainer, poll, runCommand, screenshot, viewHeader, viewPane } from './workbench';

const isRoot = process.geteuid?.() === 0;

describe('signal log', function () {
  this.timeout(180_000);
  let fx: Fixture | undefined;

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
    assert.match(usr1, new RegExp(`SIGUSR1 node\\[${process.pid}\\] → ie2e-sigs\\[${target}\\].*SI_USER.*delivered`), usr1);
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
});
