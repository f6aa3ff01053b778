// The workbench as a person uses it: the activity bar icon, the trees, the command palette,
// the inspector webview. Runs through test/harness/runE2e.ts.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { e2e, openCommand, openContainer, poll, runCommand, runViewMenuItem, screenshot, viewRows, waitForWorkbench } from './workbench';

describe('workbench', () => {
  before(async () => {
    await waitForWorkbench(e2e().page);
  });
  it('opens IPC Inspector from the activity bar and shows both views', async () => {
    const { page } = e2e();
    await openContainer(page);
    for (const name of ['Channels', 'Processes']) {
      await page.locator('.part.sidebar .pane-header', { hasText: new RegExp(name, 'i') }).first().waitFor({ timeout: 15_000 });
    }
    await poll('rows in the Channels view', async () => (await viewRows(page, 'Channels').count()) > 0, 30_000);
    await screenshot(page, 'e2e-01-channels');
  });

  it("filters the tree like a person and finds the workload's unix socket and FIFO", async () => {
    const { page, workload } = e2e();
    await openContainer(page);
    const names = [workload.unixSocket, workload.fifo].map((p) => p.split('/').pop()!);
    // IPC Inspector: Filter… — an input box that filters live while typing.
    const input = await openCommand(page, 'IPC Inspector: Filter');
    await input.fill(path.basename(path.dirname(workload.unixSocket))); // the workload's unique temp dir
    await page.keyboard.press('Enter');
    // Give Channels the whole side bar: collapse the Processes pane.
    const procHeader = page.locator('.part.sidebar .pane-header', { hasText: /^\s*Processes/i }).first();
    if ((await procHeader.getAttribute('aria-expanded')) === 'true') await procHeader.click();
    const rows = viewRows(page, 'Channels');
    // Start from the group rows alone (earlier tests may have left groups open), then open the
    // groups that hold a FIFO and a Unix socket, as a person would: FIFOs, Sockets → Unix.
    await runViewMenuItem(page, 'Channels', 'Collapse All');
    const seen = new Set<string>();
    const found = await poll(
      `rows naming ${names.join(' and ')}`,
      async () => {
        for (const t of await rows.allTextContents()) seen.add(t);
        if (names.every((n) => [...seen].some((t) => t.includes(n)))) return true;
        // One group per round (the list re-renders after each expansion); select it and expand
        // it with the keyboard, which also scrolls it into view.
        for (const group of [/^\s*FIFOs\s*\d/, /^\s*Sockets\s*\d/, /^\s*Unix\s*\d/]) {
          const row = rows.filter({ hasText: group }).and(page.locator('[aria-expanded="false"]')).first();
          if ((await row.count()) === 0) continue;
          await row.click({ timeout: 2_000 }).catch(() => undefined);
          await page.keyboard.press('ArrowRight');
          return false;
        }
        await rows.first().hover().catch(() => undefined);
        await page.mouse.wheel(0, 300);
        return false;
      },
      45_000,
    ).catch((e) => e as Error);
    await screenshot(page, 'e2e-02-filtered-tree');
    if (found instanceof Error) throw found;
  });

  it('runs "IPC Inspector: Refresh" from the command palette', async () => {
    const { page } = e2e();
    await runCommand(page, 'IPC Inspector: Refresh');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
    const errors = await page.locator('.notification-toast .codicon-error, .notifications-center .codicon-error').count();
    assert.equal(errors, 0, 'an error notification appeared after Refresh');
    await openContainer(page);
    assert.ok((await viewRows(page, 'Channels').count()) > 0, 'Channels view is empty after Refresh');
  });

  it("opens the inspector webview on the workload's socket from the palette", async () => {
    const { page, workload } = e2e();
    const sock = workload.unixSocket.split('/').pop()!;
    // It asks which channel: type part of the socket path into the quick pick and take the match.
    const input = await openCommand(page, 'IPC Inspector: Inspect Channel or Process');
    await input.fill(sock);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: sock }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    await page.locator('.part.editor .tab', { hasText: /Inspector|unix/i }).first().waitFor({ timeout: 20_000 });
    // The content lives in an iframe inside the webview's iframe.
    const frame = await poll(
      `webview content naming ${sock}`,
      async () => {
        for (const f of page.frames()) {
          if (f === page.mainFrame()) continue;
          const text = await f.locator('body').innerText({ timeout: 1_000 }).catch(() => '');
          if (text.includes(sock)) return f;
        }
        return false;
      },
      30_000,
    ).catch((e) => e as Error);
    await screenshot(page, 'e2e-03-inspector');
    if (frame instanceof Error) throw frame;
  });

  after(async () => {
    // Leave the workbench unfiltered for whatever runs next.
    await runCommand(e2e().page, 'IPC Inspector: Clear Filter').catch(() => undefined);
  });
});
