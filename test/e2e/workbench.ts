// Helpers the browser e2e tests share: the page the runner (test/harness/runE2e.ts) opened, and
// person-like actions on the VS Code workbench. Selectors are the workbench's own DOM.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { repoRoot } from '../harness/codeServer';

export interface E2eContext {
  page: Page;
  /** Workbench URL (code-server with the extension installed). */
  url: string;
  repoRoot: string;
  /** Paths of objects the runner's workload created (unix socket, FIFO) that the tree must show. */
  workload: { unixSocket: string; fifo: string; pids: number[] };
  /** The code-server serving `url` and its login password. */
  codeServer: { url: string; port: number; password: string };
}

/** The context runE2e set up; each test file is its own bundle, so it travels via globalThis. */
export function e2e(): E2eContext {
  const c = (globalThis as { __ipcE2e?: E2eContext }).__ipcE2e;
  if (!c) throw new Error('e2e tests run through test/harness/runE2e.ts (npm run test:e2e)');
  return c;
}

export const CONTAINER_TITLE = 'IPC Inspector';

export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.join(repoRoot, 'test-results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

export async function waitForWorkbench(page: Page): Promise<void> {
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.waitForSelector('.part.activitybar', { timeout: 60_000 });
}

/** Clicks the IPC Inspector icon in the activity bar (unless its side bar is already shown). */
export async function openContainer(page: Page): Promise<void> {
  const icon = page.locator(`.part.activitybar .action-item a[aria-label^="${CONTAINER_TITLE}"]`).first();
  await icon.waitFor({ timeout: 30_000 });
  const title = page.locator('.part.sidebar .composite.title h2');
  const shown = (await title.count()) > 0 && /IPC INSPECTOR/i.test((await title.first().textContent()) ?? '');
  if (!shown) await icon.click();
  await page.locator('.part.sidebar .composite.title', { hasText: /IPC INSPECTOR/i }).waitFor({ timeout: 15_000 });
}

/** Visible rows of a tree view in the side bar, by the view's name ("Channels", "Processes"). */
export function viewRows(page: Page, viewName: string) {
  return page
    .locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${viewName}`, 'i') }) })
    .locator('.monaco-list-row');
}

/** F1, type, Enter: runs a command by its palette title ("IPC Inspector: Refresh"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 300 } }).catch(() => undefined);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  // Click the row whose label is exactly the title (plus an optional "…"): Enter would take the
  // first row, which may be a "recently used" near-match (Clear Filter for Filter).
  const esc = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const row = page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${esc}(…|\\.\\.\\.)?\\s*$`) }) })
    .first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
  // The palette is gone once its input no longer holds the ">command" text (the command may
  // open its own input box or quick pick in the same widget).
  await poll(
    'the command palette to close',
    async () => !(await input.isVisible()) || !(await input.inputValue().catch(() => '')).startsWith('>'),
    10_000,
  );
}

/** The input of the box or quick pick a command opened (not the command palette's). */
export async function commandInput(page: Page): Promise<Locator> {
  const input = page.locator('.quick-input-widget input');
  await poll(
    "the command's input box",
    async () =>
      (await input.isVisible()) &&
      (await input.isEditable().catch(() => false)) &&
      (await input.getAttribute('placeholder')) !== 'Type the name of a command to run.',
    10_000,
  );
  return input;
}

export async function poll<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
