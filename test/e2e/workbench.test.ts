// The workbench as a person uses it: the activity bar icon, the trees, the command palette,
// the inspector webview. Runs through test/harness/runE2e.ts.
import * as assert from 'node:assert/strict';
import { e2e, openContainer, poll, runCommand, screenshot, viewRows, waitForWorkbench } from './workbench';

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

  it("shows the workload's unix socket and FIFO in the Channels tree", async () => {
    const { page, workload } = e2e();
    await openContainer(page);
    const names = [workload.unixSocket, workload.fifo].map((p) => p.split('/').pop()!);
    const rows = viewRows(page, 'Channels');
    // Expand collapsed groups (kinds, processes) until the names show up or nothing is left to open.
    const found = await poll(
      `rows naming ${names.join(' and ')}`,
      async () => {
        const text = (await rows.allTextContents()).join('\n');
        if (names.every((n) => text.includes(n))) return true;
        const collapsed = rows.and(page.locator('[aria-expanded="false"]'));
        const n = await collapsed.count();
        for (let i = 0; i < Math.min(n, 20); i++) await collapsed.nth(0).click().catch(() => undefined);
        return false;
      },
      30_000,
    ).catch((e) => e as Error);
    await screenshot(page, 'e2e-02-workload-in-tree');
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

  it('opens the inspector webview from the palette', async () => {
    const { page } = e2e();
    await runCommand(page, 'IPC Inspector: Open Inspector');
    // The panel: an editor tab and the webview's iframe inside the editor area.
    await page.locator('.part.editor .tab', { hasText: /Inspector/i }).first().waitFor({ timeout: 20_000 });
    const frame = await poll(
      'webview content frame with a body',
      async () => {
        for (const f of page.frames()) {
          if (f === page.mainFrame() || !/webview/i.test(f.url())) continue;
          const n = await f.locator('body *').count().catch(() => 0);
          if (n > 0 && !/index\.html/.test(f.url())) return f;
        }
        return false;
      },
      20_000,
    );
    const text = (await frame.locator('body').innerText()).trim();
    assert.ok(text.length > 0, 'the inspector webview rendered no text');
    await screenshot(page, 'e2e-03-inspector');
  });
});
