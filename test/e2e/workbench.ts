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
  codeServer: { url: string; port: number; password: string; /** Its --user-data-dir (User/settings.json, User/tasks.json). */ userDataDir: string };
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

/**
 * Every row of a tree view, top to bottom, read as a keyboard user does: focus the list, Home,
 * then Down until the focus stops moving. The list renders only the rows in view, and a short
 * pane (or one under sticky headers) shows a few; the focused row is always rendered.
 */
export async function allRowTexts(page: Page, viewName: string, max = 400): Promise<string[]> {
  const list = viewPane(page, viewName).locator('.monaco-list').first();
  if (!(await list.count())) return [];
  await list.focus();
  await page.keyboard.press('Home');
  const focused = list.locator('.monaco-list-rows .monaco-list-row.focused').first();
  const texts: string[] = [];
  let last = -1;
  for (let i = 0; i < max; i++) {
    const row = await focused.evaluate((e) => [Number(e.getAttribute('data-index')), e.textContent ?? ''] as [number, string]).catch(() => undefined);
    if (!row || row[0] === last) break;
    last = row[0];
    texts.push(row[1]);
    await page.keyboard.press('ArrowDown');
  }
  return texts;
}

/**
 * F1 and type `text` into the command palette. A late focus event (a webview reports its focus by
 * message) can close the palette between F1 and the typing: the input turns inert, then hidden.
 * Then it is opened again, at most three times, and the closing is logged so a product bug that
 * steals the focus every time would still show.
 */
export async function openPalette(page: Page, text: string, opts: { keys?: boolean } = {}): Promise<Locator> {
  const input = page.locator('.quick-input-widget input');
  // keys: typed key by key, for the keyboard-only tests (fill sets the value at once)
  const enter = async () =>
    opts.keys
      ? // F1 opens the palette holding '>': select it so the typing replaces it
        (await page.keyboard.press('Control+a'), await page.keyboard.type(text), (await input.inputValue({ timeout: 1_000 }).catch(() => '')) === text)
      : input.fill(text, { timeout: 5_000 }).then(() => true, () => false);
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    const open = await input.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
    await page.waitForTimeout(300); // the late focus event closes it within a few hundred ms
    if (open && (await input.isVisible()) && (await enter())) return input;
    if (attempt >= 3) throw new Error(`the command palette closed before use (3 attempts; focus: ${await focusedElement(page)})`);
    console.log(`[e2e] the command palette closed before "${text}" was typed (attempt ${attempt}; focus: ${await focusedElement(page)})`);
    await page.keyboard.press('Escape');
  }
}

/** F1, type, Enter: runs a command by its palette title ("IPC Inspector: Refresh"). */
export async function runCommand(page: Page, title: string, opts: { focus?: 'editor' | 'sidebar' | 'keep' } = {}): Promise<void> {
  // A click gives the workbench the keyboard: on the side bar's title, not in the editor area,
  // where a webview takes the click (the topology map opens the inspector on a node). A webview
  // reports its focus late, by message, and that closes a box opened meanwhile (openCommand).
  // 'keep': the caller put the keyboard where it wants it.
  const sidebarTitle = page.locator('.part.sidebar .composite.title').first();
  if (opts.focus === 'keep') {
    /* as is */
  } else if (opts.focus !== 'editor' && (await sidebarTitle.isVisible().catch(() => false))) await sidebarTitle.click().catch(() => undefined);
  else await page.locator('.monaco-workbench').click({ position: { x: 700, y: 300 } }).catch(() => undefined);
  const input = await openPalette(page, `>${title}`);
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
  ).catch(async (e: Error) => {
    const state = `visible=${await input.isVisible()} editable=${await input.isEditable({ timeout: 500 }).catch(() => 'n/a')} placeholder=${await input.getAttribute('placeholder', { timeout: 500 }).catch(() => 'n/a')} value=${await input.inputValue({ timeout: 500 }).catch(() => 'n/a')} focus=${await focusedElement(page)}`;
    throw new Error(`${e.message} (${state})`);
  });
  return input;
}

/**
 * Runs a command from the palette and returns the input of the box or quick pick it opens. A quick
 * input closes when the keyboard focus leaves it (a webview reports its focus late, by message);
 * if it closed before use, the command is run again from the side bar (at most three times), and
 * what held the focus is logged so a product bug that steals it would show.
 */
export async function openCommand(page: Page, title: string, opts: { focus?: 'editor' | 'sidebar' | 'keep' } = {}): Promise<Locator> {
  for (let attempt = 1; ; attempt++) {
    // again with the keyboard in a tree of the side bar, where the palette gives it back on closing
    if (attempt > 1) await page.locator('.part.sidebar .pane-body .monaco-list').first().focus().catch(() => undefined);
    await runCommand(page, title, attempt > 1 ? { focus: 'keep' } : opts);
    try {
      const input = await commandInput(page);
      // still open a moment later (a late focus event closes it within a few hundred ms)
      await new Promise((r) => setTimeout(r, 300));
      if (!(await input.isVisible())) await commandInput(page);
      return input;
    } catch (e) {
      if (attempt >= 3 || !/visible=false/.test(String(e))) throw e;
      console.log(`[e2e] the input box of "${title}" closed before use (attempt ${attempt}): ${String(e)}`);
      await screenshot(page, `e2e-input-closed-${attempt}`).catch(() => undefined);
    }
  }
}

/** What holds the keyboard focus, for failure messages: tag.class chain, and a webview's frame. */
async function focusedElement(page: Page): Promise<string> {
  return page
    .evaluate(() => {
      const parts: string[] = [];
      for (let el = document.activeElement; el && parts.length < 4; el = el.parentElement) {
        parts.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).slice(0, 3).join('.') : ''}`);
      }
      return parts.join(' < ') || 'none';
    })
    .catch(() => 'n/a');
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

/** A view's pane in the side bar, by name ("Channels", "Get Started"). */
export function viewPane(page: Page, viewName: string): Locator {
  return page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${viewName}`, 'i') }) }).first();
}

export function viewHeader(page: Page, viewName: string): Locator {
  return viewPane(page, viewName).locator('.pane-header').first();
}

/** Opens a view pane if it is collapsed. */
export async function expandView(page: Page, viewName: string): Promise<void> {
  const header = viewHeader(page, viewName);
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
}

/** Labels of the actions shown inline in a view's title bar (hovered, as a person sees them). */
export async function inlineActions(page: Page, viewName: string): Promise<string[]> {
  const header = viewHeader(page, viewName);
  await header.hover();
  const labels = header.locator('.actions .action-label');
  const out: string[] = [];
  for (let i = 0; i < (await labels.count()); i++) {
    const l = labels.nth(i);
    if (!(await l.isVisible())) continue;
    out.push((await l.getAttribute('aria-label')) ?? '');
  }
  return out.filter((l) => !/^More Actions/.test(l));
}

/** Opens a view's "More Actions…" menu and returns its item labels (the menu stays open). */
export async function openViewMenu(page: Page, viewName: string): Promise<string[]> {
  const header = viewHeader(page, viewName);
  const items = page.locator('.monaco-menu .action-item:not(.disabled) .action-label');
  // a live update that re-renders the view can close the menu as it opens (a CI run waited 10 s
  // for a menu that was gone): open it again, a few times, before calling it missing
  for (let attempt = 1; ; attempt++) {
    await header.hover();
    await header.locator('.action-label[aria-label^="More Actions"]').click();
    if (await items.first().waitFor({ timeout: 4_000 }).then(() => true, () => false)) break;
    if (attempt === 4) throw new Error(`the ${viewName} view's "More Actions…" menu did not open (4 attempts)`);
    await page.keyboard.press('Escape');
  }
  return (await items.allTextContents()).map((t) => t.trim()).filter(Boolean);
}

/** Clicks an item of a view's "More Actions…" menu by its label. */
export async function runViewMenuItem(page: Page, viewName: string, label: string): Promise<void> {
  const item = page.locator('.monaco-menu .action-item .action-label', { hasText: new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }).first();
  // a live update can take the focus and close a menu just opened: open it again
  for (let attempt = 1; ; attempt++) {
    await openViewMenu(page, viewName);
    if (await item.waitFor({ timeout: 5_000 }).then(() => true, () => false)) return item.click();
    if (attempt === 3) throw new Error(`"${label}" is not in the ${viewName} view's menu: ${(await page.locator('.monaco-menu .action-label').allTextContents()).join(' | ')}`);
    await page.keyboard.press('Escape');
  }
}

/** The text of the inspector webview (its content lives in an iframe inside the webview's iframe). */
export async function webviewText(page: Page): Promise<string> {
  const texts: string[] = [];
  for (const f of page.frames()) {
    if (f === page.mainFrame()) continue;
    const t = await f.locator('body').innerText({ timeout: 1_000 }).catch(() => '');
    if (t.trim()) texts.push(t);
  }
  return texts.join('\n');
}

/** Waits until the inspector webview shows `text`. */
export async function waitForInspector(page: Page, text: string, ms = 30_000): Promise<void> {
  let last = '';
  await poll(
    `the inspector to show ${text}`,
    async () => {
      last = await webviewText(page);
      return last.includes(text);
    },
    ms,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; it showed:\n${last.slice(0, 600)}`);
  });
}

/** Where the keyboard focus is: the side bar, a webview (the inspector), the quick input, or elsewhere. */
export async function focusIn(page: Page): Promise<'sidebar' | 'webview' | 'quick-input' | 'other'> {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a) return 'other';
    if (a.closest('.part.sidebar')) return 'sidebar';
    if (a.tagName === 'IFRAME' && a.classList.contains('webview')) return 'webview';
    if (a.closest('.quick-input-widget')) return 'quick-input';
    return 'other';
  });
}

/** The row of the open quick pick whose label matches. */
export function quickPickRow(page: Page, label: string | RegExp): Locator {
  return page.locator('.quick-input-widget .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
}

/**
 * Clicks the live pick's row for `label` once it holds its place: between a keystroke and the
 * extension's items for it, the workbench lists its own filtering of the previous items, so a row
 * found at once can move under the pointer (a person, slower than the 20–50 ms this takes, clicks
 * the settled list).
 */
export async function clickSettledPickRow(page: Page, label: string | RegExp, ms = 10_000): Promise<void> {
  const row = quickPickRow(page, label);
  let last = '';
  let same = 0;
  await poll(`the pick row ${String(label)} to hold its place`, async () => {
    const at = (await row.getAttribute('data-index', { timeout: 1_000 }).catch(() => null)) ?? '';
    same = at && at === last ? same + 1 : 0;
    last = at;
    return same >= 2;
  }, ms);
  await row.click();
}

/** IPC Inspector: Filter, as a person types it. */
export async function setFilter(page: Page, text: string): Promise<void> {
  const input = await openCommand(page, 'IPC Inspector: Filter');
  await input.fill(text);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
}

export async function clearFilter(page: Page): Promise<void> {
  await runCommand(page, 'IPC Inspector: Clear Filter').catch(() => undefined);
  await page.keyboard.press('Escape').catch(() => undefined);
}

export async function closeEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors').catch(() => undefined);
  await poll('no editor tab', async () => (await page.locator('.part.editor .tab').count()) === 0, 10_000).catch(() => undefined);
}

/** Folds (or opens) a view pane of the side bar by its name; a view that is not there is left alone. */
export async function foldView(page: Page, name: string, folded: boolean): Promise<void> {
  const header = viewHeader(page, name);
  if ((await header.count()) === 0) return;
  if (((await header.getAttribute('aria-expanded')) === 'true') === folded) await header.click();
}

/** The Channels row naming `text`, visible: opens the `groups` (by their labels) that are folded, as a person would. */
export async function channelRow(page: Page, text: string | RegExp, groups: RegExp[]): Promise<Locator> {
  const rows = viewRows(page, 'Channels');
  const row = rows.filter({ hasText: text }).first();
  await poll(`a Channels row naming ${text}`, async () => {
    if ((await row.count()) > 0 && (await row.isVisible())) return true;
    for (const group of groups) {
      const g = rows.filter({ hasText: group }).and(page.locator('[aria-expanded="false"]')).first();
      if ((await g.count()) > 0) await g.locator('.monaco-tl-twistie').click({ timeout: 2_000 }).catch(() => undefined);
    }
    return false;
  }, 30_000);
  return row;
}

/** Picks a colour theme like a person (F1 → Preferences: Color Theme) and waits until the workbench wears it. */
export async function setTheme(page: Page, name: RegExp, typed: string, kind: 'vs' | 'vs-dark' | 'hc-black', opts: { focus?: 'editor' | 'sidebar' } = {}): Promise<void> {
  // the theme list fills in as theme extensions load: try again if the row is not there yet
  for (let attempt = 1; ; attempt++) {
    try {
      const input = await openCommand(page, 'Preferences: Color Theme', opts);
      await input.fill(typed);
      const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
      await row.waitFor({ timeout: 10_000 }).catch(async (e: Error) => {
        // say what the picker listed instead: a theme's label is not always its id
        const rows = await page.locator('.quick-input-widget .monaco-list-row').allTextContents().catch(() => []);
        throw new Error(`${e.message.split('\n')[0]}; the picker listed ${JSON.stringify(rows.slice(0, 12))}`);
      });
      await row.click();
      await page.locator(`.monaco-workbench.${kind}`).first().waitFor({ timeout: 15_000 });
      return;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (attempt >= 3) throw e;
    }
  }
}
