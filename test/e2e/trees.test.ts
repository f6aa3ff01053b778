// Issue 11 part B as a person meets it in the workbench: a tooltip opens on a SysV queue whose
// facts change on every scan (it is not re-rendered while it looks the same); keyboard focus on a
// "Held by" link in the inspector survives live updates; and the whole flow with the keyboard only
// — Processes tree → Enter opens the inspector → Enter moves in → Tab to Peek → peek → a holder
// link opens its process → Tab to the signal form → send SIGKILL → confirm the question; a filter
// that opens the rows holding its matches and folds them again when cleared. Then the
// README pictures: the trees and the inspector in the dark and the light theme
// (test-results/readme-trees-{dark,light}.png, copied to media/trees-{dark,light}.png), and the
// inspector measured legible in each and in high contrast, its chart's palette too (legibility.ts;
// test-results/inspector-hc.png).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Frame, Page } from 'playwright-core';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import { assertLegible, paletteText } from './legibility';
import { channelRow, clearFilter, closeEditors, e2e, expandView, foldView, openContainer, openPalette, poll, quickPickRow, runViewMenuItem, screenshot, setFilter, setTheme, viewPane, viewRows, waitForInspector, waitForWorkbench } from './workbench';

/** The inspector's frame (the inner iframe of its webview). */
async function inspectorFrame(page: Page): Promise<Frame> {
  return poll(
    'the inspector frame',
    async () => {
      for (const f of page.frames()) {
        if (f === page.mainFrame()) continue;
        if ((await f.locator('#title').count().catch(() => 0)) > 0) return f;
      }
      return undefined;
    },
    30_000,
  );
}

/** Where the focus is inside the inspector: the id (or tag) of its active element, '' for none. */
async function activeInFrame(f: Frame): Promise<string> {
  return f.evaluate(() => {
    const a = document.activeElement;
    return a && a !== document.body ? a.id || a.tagName : '';
  });
}

/** Presses Tab (or Shift+Tab) until the inspector's focused element satisfies `want`. */
async function tabTo(page: Page, f: Frame, what: string, want: (id: string) => boolean, back = false): Promise<string> {
  const seen: string[] = [];
  for (let i = 0; i < 80; i++) {
    const id = await activeInFrame(f);
    if (want(id)) return id;
    seen.push(id);
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`Tab never reached ${what} (passed ${seen.join(' ')})`);
}

describe('trees: live updates, focus, keyboard only (issue 11 part B)', function () {
  this.timeout(240_000);
  const fixtures: Fixture[] = [];

  before(async () => {
    const { page } = e2e();
    await waitForWorkbench(page);
    await openContainer(page);
    // Room for the trees: Get Started and Signals folded, both trees open.
    await foldView(page, 'Get Started', true);
    await foldView(page, 'Signals', true);
    await expandView(page, 'Channels');
    await expandView(page, 'Processes');
  });
  beforeEach(async () => {
    // A known start: every group folded (what earlier files opened stays open otherwise).
    const { page } = e2e();
    await runViewMenuItem(page, 'Channels', 'Collapse All').catch(() => undefined);
    await runViewMenuItem(page, 'Processes', 'Collapse All').catch(() => undefined);
    await page.keyboard.press('Escape').catch(() => undefined);
  });
  afterEach(async () => {
    await e2e().page.keyboard.press('Escape').catch(() => undefined);
  });
  after(async () => {
    await closeAll(fixtures);
    await clearFilter(e2e().page);
  });

  it('a tooltip opens on a SysV queue whose facts change on every scan', async () => {
    const { page } = e2e();
    // A message every 50 ms, received at once: last send/receive times change on every scan.
    const f = await makeFixture('msg-flow', { comm: 'e2e-tip', period: 50 });
    fixtures.push(f);
    await closeEditors(page);
    await expandView(page, 'Channels');
    await setFilter(page, String(f.info.msqid));
    await foldView(page, 'Processes', true); // the Channels view gets the side bar
    const row = await channelRow(page, / msg · /, [/^\s*Message Queues/, /^\s*SysV/]);
    const tip = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: /Queue id:/ }).first();
    // Hovered once, the row must show its tooltip while only its facts change. When what the row
    // itself shows changes (on a loaded machine the scan can catch a message in flight: "1 msg"),
    // the workbench draws it again and drops the hover; a person moves the mouse again, and so
    // does the test — only then.
    const end = Date.now() + 30_000;
    let shown = '';
    while (!(await tip.isVisible())) {
      if (Date.now() > end) throw new Error(`no tooltip in 30 s on "${shown}" (re-hovered only when the row's text changed)`);
      const now = (await row.innerText().catch(() => '')).trim();
      if (now !== shown) {
        shown = now;
        await page.mouse.move(5, 890); // off the group rows just opened (their own tooltips)
        await row.hover();
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(await tip.innerText(), new RegExp(`Queue id: ${f.info.msqid}`));
    await screenshot(page, 'e2e-trees-01-tooltip-on-live-queue');
    await page.mouse.move(5, 890);
  });

  it('keyboard focus on a "Held by" link stays there while live updates arrive', async () => {
    const { page } = e2e();
    const f = await makeFixture('pipe', { comm: 'e2e-focus', bytes: 5 });
    fixtures.push(f);
    await closeEditors(page);
    await setFilter(page, 'e2e-focus');
    await foldView(page, 'Processes', true);
    const row = await channelRow(page, /e2e-focus\[\d+\] → e2e-focus/, [/^\s*Pipes/]);
    await row.click();
    await waitForInspector(page, 'e2e-focus[');
    const frame = await inspectorFrame(page);
    const link = frame.locator('#holders button.link').first();
    await link.waitFor({ timeout: 15_000 });
    await link.focus();
    const id = await activeInFrame(frame);
    assert.match(id, /^holder-/);
    // Three updates: the "updated HH:MM:SS" line changes with each.
    const stamps = new Set<string>();
    await poll('three live updates', async () => {
      stamps.add((await frame.locator('#updated-at').innerText().catch(() => '')) ?? '');
      return stamps.size >= 4;
    }, 30_000);
    assert.equal(await activeInFrame(frame), id, 'the focus left the link');
    assert.equal(await frame.evaluate(() => document.hasFocus()), true, 'the inspector lost the keyboard');
  });

  it('keyboard only: Processes tree → Enter → Tab to Peek → peek → a holder opens its process → Tab to the signal form → send, confirmed', async () => {
    const { page } = e2e();
    const f = await makeFixture('pipe', { comm: 'e2ekbd', bytes: 5 });
    fixtures.push(f);
    const reader = f.info.reader.pid as number;
    await closeEditors(page);
    await clearFilter(page);
    await foldView(page, 'Processes', false);
    await setFilter(page, 'e2ekbd');
    // From here on only keys.
    const focusProcesses = async () => {
      await openPalette(page, '>Focus on Processes View', { keys: true });
      await quickPickRow(page, /Focus on Processes View/).waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
      await page.keyboard.press('Home');
    };
    await focusProcesses();
    const focused = page.locator('.part.sidebar .monaco-list-row.focused').first();
    // A flat list sorted by name: the writer (the fixture's main process) and the reader.
    const keys: string[] = [];
    await poll('the keyboard on the pipe under e2ekbd', async () => {
      const text = (await focused.innerText({ timeout: 1_000 }).catch(() => null))?.trim();
      if (text === undefined) {
        // no row has the keyboard (a late focus change took it from the tree): ask for the view again, by keys
        keys.push('F1 Focus on Processes View');
        await focusProcesses();
        return false;
      }
      if (/^e2ekbd\[\d+\] → e2ekbd\[\d+\]/.test(text)) return true;
      // (every wait bounded: a locator with no match would otherwise wait for Playwright's default timeout)
      const key = (await focused.getAttribute('aria-expanded', { timeout: 1_000 }).catch(() => null)) === 'false' && /^(e2ekbd\[|Channels)/.test(text) ? 'ArrowRight' : 'ArrowDown';
      keys.push(key);
      await page.keyboard.press(key);
      return false;
    }, 30_000).catch((e: Error) => {
      throw new Error(`${e.message} (pressed ${keys.join(' ')})`);
    });
    await page.keyboard.press('Enter');
    await waitForInspector(page, 'Contents');
    await page.keyboard.press('Enter');
    const frame = await inspectorFrame(page);
    await poll('the keyboard in the inspector', async () => frame.evaluate(() => document.hasFocus()), 10_000);
    await tabTo(page, frame, 'Peek', (id) => id === 'peek-button');
    await page.keyboard.press('Enter');
    await poll('the peek', async () => /5 bytes at offset 0 of 5/.test(await frame.locator('#peek').innerText().catch(() => '')), 15_000);
    await tabTo(page, frame, `the reader's link`, (id) => id.startsWith(`holder-${reader}-`), true);
    await page.keyboard.press('Enter');
    await poll('the reader in the inspector', async () => (await frame.locator('#title').innerText()).includes(`[${reader}]`), 15_000);
    await tabTo(page, frame, 'the signal field', (id) => id === 'signal-input');
    // Type the signal (again if a key was lost while the field's inner input took the focus).
    await poll('SIGKILL in the signal field', async () => {
      await page.keyboard.press('Control+A');
      await page.keyboard.type('SIGKILL', { delay: 30 });
      return (await frame.evaluate(() => (document.getElementById('signal-input') as HTMLElement & { value: string }).value)) === 'SIGKILL';
    }, 15_000);
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    assert.match(await dialog.innerText(), new RegExp(`SIGKILL.*\\[${reader}\\]`, 's'));
    await screenshot(page, 'e2e-trees-03-keyboard-confirm');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await poll('the signal result', async () => /sent SIGKILL/.test(await frame.locator('#signal-result').innerText().catch(() => '')), 15_000);
    // Killed: gone, or a zombie until the fixture reaps it.
    await poll('the reader is killed', async () => {
      try {
        return fs.readFileSync(`/proc/${reader}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
      } catch {
        return true;
      }
    }, 15_000);
  });

  it('a filter shows its matches at once: the groups and processes holding them open, no group without one; Clear Filter folds them again as the user had them', async () => {
    const { page } = e2e();
    const f = await makeFixture('pipe', { comm: 'e2e-opens' });
    fixtures.push(f);
    await closeEditors(page);
    await clearFilter(page);
    await expandView(page, 'Channels');
    await expandView(page, 'Processes');
    // every group folded (beforeEach), then the filter typed: nothing opened by hand
    await setFilter(page, 'e2e-opens');
    const pipe = /e2e-opens\[\d+\] → e2e-opens\[\d+\]/;
    for (const view of ['Channels', 'Processes']) {
      await poll(`the pipe shown in ${view} without a click`, async () => (await viewRows(page, view).filter({ hasText: pipe }).count()) > 0, 20_000);
    }
    const texts = await viewRows(page, 'Channels').allTextContents();
    assert.ok(!texts.some((t) => /None match/.test(t)), `a "None match" row: ${texts.join(' | ')}`);
    assert.ok(!texts.some((t) => /^\s*FIFOs/.test(t)), `a group without a match: ${texts.join(' | ')}`);
    await screenshot(page, 'e2e-trees-04-filter-opens');
    await clearFilter(page);
    for (const view of ['Channels', 'Processes']) {
      await poll(`${view} folded again after Clear Filter`, async () => (await viewRows(page, view).filter({ hasText: pipe }).count()) === 0, 20_000);
    }
  });

  it('README pictures: the trees and the inspector, dark and light; the inspector legible in each and in high contrast', async () => {
    const { page } = e2e();
    // Objects whose names all contain "ipcshot" (Chromium's own command line says "screenshot"): a filter then leaves only them.
    const p = await makeFixture('pipe', { comm: 'ipcshot-worker', bytes: 4096 });
    fixtures.push(p);
    fixtures.push(await makeFixture('posix-mq', { comm: 'ipcshot-queue', name: 'ipcshot-jobs', replaceStale: true, count: 5 }));
    fixtures.push(await makeFixture('socketpair', { comm: 'ipcshot-rpc', bytes: 64 }));
    await closeEditors(page);
    await clearFilter(page);
    await expandView(page, 'Channels');
    await expandView(page, 'Processes');
    await setFilter(page, 'ipcshot');
    // Open what the picture shows: the queue, the socketpair, then the pipe (clicked: the inspector);
    // then the Processes view beside it.
    await foldView(page, 'Processes', true);
    await channelRow(page, '/ipcshot-jobs', [/^\s*Message Queues/, /^\s*POSIX/]);
    await channelRow(page, 'ipcshot-rpc[', [/^\s*Sockets/, /^\s*Unix/]);
    const row = await channelRow(page, /ipcshot-worker\[\d+\] → ipcshot-worker/, [/^\s*Pipes/]);
    await row.click();
    await foldView(page, 'Processes', false);
    await waitForInspector(page, 'ipcshot-worker[');
    const frame = await inspectorFrame(page);
    await poll('the peek', async () => /at offset 0/.test(await frame.locator('#peek').innerText().catch(() => '')), 15_000);
    const startDark = (await page.locator('.monaco-workbench.vs-dark').count()) > 0;
    // the high-contrast picker row holds its label, "Dark High Contrast", with its id and other text beside it (setTheme)
    for (const [theme, kind, name, pick, min] of [
      ['Dark Modern', 'vs-dark', 'dark', /Dark Modern/, 4.5],
      ['Light Modern', 'vs', 'light', /Light Modern/, 4.5],
      ['High Contrast', 'hc-black', 'hc', /(Dark|Default) High Contrast(?! Light)/, 7],
    ] as const) {
      await setTheme(page, pick, theme, kind);
      // the inspector wears the theme (VS Code restyles the webview by message, after the workbench)
      const body = () => inspectorFrame(page).then((f) => f.evaluate(() => document.body.className));
      const cls = { 'vs-dark': 'vscode-dark', vs: 'vscode-light', 'hc-black': 'vscode-high-contrast' }[kind];
      await poll(`the inspector in ${theme}`, async () => (await body()).split(/\s+/).includes(cls), 15_000);
      // every text readable against what it is drawn on (WCAG AA; high contrast themes are made for AAA, 7:1), nothing cut
      const m = await assertLegible(await inspectorFrame(page), theme, min);
      console.log(`[e2e] inspector in ${theme}: ${m.texts} texts, lowest contrast ${m.worst.ratio}:1 (${m.worst.where}); chart lines ${m.lines.map((l) => `${l.cls} ${l.ratio}:1`).join(', ')}; palette (CIEDE2000) ${paletteText(m).join(' | ')}`);
      // Each tree scrolled to its top: scrolled, VS Code's sticky header of the row above covers the first rows
      for (const view of ['Channels', 'Processes']) {
        const box = await viewPane(page, view).locator('.monaco-list').first().boundingBox();
        if (!box) continue;
        await page.mouse.move(box.x + box.width / 2, box.y + 10);
        await page.mouse.wheel(0, -5000);
      }
      // The pointer rests where nothing shows a hover (the activity bar's empty part).
      await page.mouse.move(20, 700);
      await page.waitForTimeout(800);
      await screenshot(page, name === 'hc' ? 'inspector-hc' : `readme-trees-${name}`);
    }
    await setTheme(page, startDark ? /Dark Modern/ : /Light Modern/, startDark ? 'Dark Modern' : 'Light Modern', startDark ? 'vs-dark' : 'vs').catch(() => undefined);
  });
});
