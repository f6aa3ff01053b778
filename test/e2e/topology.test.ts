// The topology map in the real workbench: a workload of known channels made with the IPC fixture
// (the demo's kinds: pipes, a Unix stream connection, a SysV queue, SysV shared memory, a POSIX
// queue, a TCP loopback pair, a POSIX semaphore two processes map, and a writer blocked on a full pipe), the trees filtered to it, the
// map opened from the Channels view's toolbar. Traffic is driven into one pipe from here (4 KiB
// every 200 ms through the fixture's write end); the other stays idle. The map must draw the
// fixture's processes, make the busy pipe's edge wider than the idle one's, mark the blocked
// writer that the diagnosis finds, and open the inspector on a click and on Enter. Its status line
// must count the problems as the Problems view lists them — a stale socket file named like the
// workload is one, about nothing the map draws — and its legend must name the problem rings in the
// colours the canvas draws them with, and semaphores a colour of their own (not the warning ring's,
// not another family's; the Nodes list's swatch the same), in the dark, light and high-contrast
// themes. Screenshots: test-results/topology-dark.png, topology-light.png, topology-hc.png.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import { e2e, expandView, foldView, openCommand, openContainer, poll, runCommand, runViewMenuItem, screenshot, setTheme, viewHeader, viewPane, viewRows } from './workbench';

interface MapEdge { id: string; source: string; target: string; channels: number; channelIds: string[]; width: number; bytesPerSec: number }
interface MapNode { id: string; type: string; label: string; pid?: number; severity: string | null; family: string | null }
interface MapGraph { nodes: MapNode[]; edges: MapEdge[] }

/** The frame of the topology webview (VS Code nests the content in an inner iframe). */
async function mapFrame(page: Page): Promise<Frame> {
  return poll('the topology map webview', async () => {
    for (const f of page.frames()) {
      if (await f.locator('canvas#map').count().catch(() => 0)) return f;
    }
    return undefined;
  }, 30_000);
}

async function inspectorFrame(page: Page): Promise<Frame | undefined> {
  for (const f of page.frames()) {
    if (await f.locator('canvas#map').count().catch(() => 0)) continue;
    const text = await f.locator('body').textContent({ timeout: 500 }).catch(() => '');
    if (text && /Signals|Held by|Send signal/i.test(text) && (await f.locator('#app').count().catch(() => 0))) return f;
  }
  return undefined;
}

const graphOf = (f: Frame) => f.evaluate(() => (window as unknown as { __topology: { graph(): MapGraph | null } }).__topology.graph());

type Counts = { error: number; warning: number; info: number };

/** The Problems view's severity groups' counts (a group with none is not listed). */
async function problemsViewCounts(page: Page): Promise<Counts> {
  const out: Counts = { error: 0, warning: 0, info: 0 };
  const rows = viewRows(page, 'Problems');
  for (const [s, title] of [['error', 'Errors'], ['warning', 'Warnings'], ['info', 'Information']] as const) {
    const row = rows.filter({ hasText: new RegExp(`^\\s*${title}`) }).first();
    if ((await row.count()) === 0) continue;
    out[s] = Number(((await row.locator('.label-description').textContent()) ?? '').trim());
  }
  return out;
}

/** The map status line's problem count: "N problems (1 error, 2 warnings, 3 info), K not on the map". */
function statusCounts(status: string): { total: number; counts: Counts; notDrawn: number } | null {
  // counts as plural() writes them: digits grouped past 999
  const num = (t: string) => Number(t.replaceAll(',', ''));
  const m = /([\d,]+) problems? \(([^)]*)\)(?:, ([\d,]+ not|none|not) on the map)?/.exec(status);
  if (!m) return null;
  const counts: Counts = { error: 0, warning: 0, info: 0 };
  for (const part of m[2].split(', ')) {
    const p = /^([\d,]+) (error|warning|info)s?$/.exec(part);
    if (!p) return null;
    counts[p[2] as keyof Counts] = num(p[1]);
  }
  const total = num(m[1]);
  return { total, counts, notDrawn: m[3] === undefined ? 0 : /^\d/.test(m[3]) ? num(m[3].split(' ')[0]) : total };
}

/** The legend's problem rings and the colours the canvas draws problems with (both as computed rgb()). */
async function ringColours(f: Frame): Promise<Array<{ severity: string; legend: string; canvas: string; text: string; shown: boolean }>> {
  return f.evaluate(() => {
    const t = (window as unknown as { __topology: { theme(): { severity: Record<string, string> } } }).__topology.theme();
    const norm = (c: string) => {
      const d = document.createElement('div');
      d.style.color = c;
      document.body.appendChild(d);
      const v = getComputedStyle(d).color;
      d.remove();
      return v;
    };
    return ['error', 'warning', 'info'].map((severity) => {
      const el = document.querySelector(`#ringLegend .ring-${severity}`) as HTMLElement | null;
      const r = el?.getBoundingClientRect();
      return {
        severity,
        legend: el ? getComputedStyle(el, '::before').borderTopColor : 'missing',
        canvas: norm(t.severity[severity]),
        text: el?.textContent ?? '',
        shown: !!r && r.width > 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight,
      };
    });
  });
}

async function assertLegendRings(f: Frame, theme: string): Promise<void> {
  const rings = await ringColours(f);
  for (const r of rings) {
    assert.equal(r.legend, r.canvas, `${theme}: the legend's ${r.severity} ring is the canvas's colour`);
    assert.equal(r.text, r.severity);
    assert.ok(r.shown, `${theme}: the ${r.severity} ring is in view`);
  }
  assert.match((await f.locator('#ringLegend').textContent()) ?? '', /problem ring:\s*errorwarninginfo/);
}

/**
 * The families' colours as the legend shows them and the canvas draws them, the warning ring's, and
 * the Nodes list's swatch of the semaphore (all as computed rgb()).
 */
async function familyColours(f: Frame, semNode: string): Promise<{ legend: Record<string, string>; canvas: Record<string, string>; warning: string; semSwatch: string }> {
  return f.evaluate((semId) => {
    const t = (window as unknown as { __topology: { theme(): { family: Record<string, string> } } }).__topology.theme();
    const norm = (c: string) => {
      const d = document.createElement('div');
      d.style.color = c;
      document.body.appendChild(d);
      const v = getComputedStyle(d).color;
      d.remove();
      return v;
    };
    const before = (sel: string, prop: 'backgroundColor' | 'borderTopColor') => {
      const el = document.querySelector(sel);
      return el ? getComputedStyle(el, '::before')[prop] : 'missing';
    };
    const families = ['pipe', 'socket', 'queue', 'shm', 'sem'];
    const li = [...document.querySelectorAll('#nodes li')].find((x) => (x as HTMLElement).dataset.id === semId);
    const swatch = li?.querySelector('.swatch');
    return {
      legend: Object.fromEntries(families.map((k) => [k, before(`.fam-${k}`, 'backgroundColor')])),
      canvas: Object.fromEntries(families.map((k) => [k, norm(t.family[k])])),
      warning: before('#ringLegend .ring-warning', 'borderTopColor'),
      semSwatch: swatch ? getComputedStyle(swatch).backgroundColor : 'missing',
    };
  }, semNode);
}

/** The fixture's POSIX semaphore (`/ipc-map-lock-PID`, mapped by two processes): an object node of the semaphores' family. */
async function semNodeOf(f: Frame): Promise<string> {
  let labels = '';
  return poll('the semaphore on the map', async () => {
    const g = await graphOf(f);
    labels = (g?.nodes ?? []).map((n) => n.label).join(', ');
    return g?.nodes.find((n) => n.type === 'object' && n.family === 'sem' && /ipc-map-lock/.test(n.label))?.id;
  }, 30_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${labels}`);
  });
}

/** Semaphores wear a colour of their own: not the warning ring's, not another family's; legend, canvas and Nodes list agree. */
async function assertSemaphoreColour(f: Frame, semNode: string, theme: string): Promise<void> {
  const c = await familyColours(f, semNode);
  const why = `${theme}: ${JSON.stringify(c)}`;
  assert.equal(c.legend.sem, c.canvas.sem, `${theme}: the legend's semaphore colour is the canvas's (${why})`);
  assert.equal(c.semSwatch, c.legend.sem, `${theme}: the semaphore's swatch in the Nodes list is the legend's colour (${why})`);
  assert.notEqual(c.legend.sem, c.warning, `${theme}: semaphores are not the warning ring's colour (${why})`);
  for (const k of ['pipe', 'socket', 'queue', 'shm']) assert.notEqual(c.legend.sem, c.legend[k], `${theme}: semaphores are not the ${k} colour (${why})`);
}

/** Moves the pointer off anything with a hover (toolbar tooltips, map nodes) before a picture. */
async function restPointer(page: Page): Promise<void> {
  await page.mouse.move(5, 890);
  await page.waitForTimeout(600);
}

describe('topology map', function () {
  this.timeout(240_000);
  const fixtures: Fixture[] = [];
  let busy: Fixture;
  let idle: Fixture;
  let stuck: Fixture;
  let pump: NodeJS.Timeout | undefined;
  let pumpFd = -1;
  /** A Unix socket file nothing is bound to, beside the workload's socket (the diagnosis reads that directory). */
  let staleSocket = '';
  /** The theme the workbench had before this file: put back afterwards (other files take pictures too). */
  let startDark = true;

  before(async () => {
    const f = async (kind: Parameters<typeof makeFixture>[0], opts: Parameters<typeof makeFixture>[1]) => {
      const x = await makeFixture(kind, opts);
      fixtures.push(x);
      return x;
    };
    busy = await f('pipe', { comm: 'ipc-map-busy', capacity: 1 << 20, bytes: 16 });
    idle = await f('pipe', { comm: 'ipc-map-idle', bytes: 16 });
    stuck = await f('blocked-pipe', { comm: 'ipc-map-stuck', capacity: 4096 });
    const rpc = await f('unix-stream', { comm: 'ipc-map-rpc', bytes: 64 });
    // a problem about no channel and no process (rule 3, info): the Problems view lists it, the map cannot draw it
    staleSocket = path.join(path.dirname(rpc.info.path as string), `ipc-map-stale-${process.pid}.sock`);
    execFileSync('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])', staleSocket]);
    await f('sysv-msg', { comm: 'ipc-map-jobs', count: 3 });
    await f('sysv-shm', { comm: 'ipc-map-ring', attach: 2 });
    await f('posix-mq', { comm: 'ipc-map-notify', name: `ipc-map-${process.pid}`, count: 2 });
    await f('tcp4', { comm: 'ipc-map-http', bytes: 32 });
    // a semaphore two processes map: an object node in the semaphores' colour
    await f('posix-sem', { comm: 'ipc-map-lock', name: `ipc-map-lock-${process.pid}` });
    // traffic: a second write end of the busy pipe (root opens the fixture's fd through /proc), 4 KiB every 200 ms
    pumpFd = fs.openSync(`/proc/${busy.info.writer.pid}/fd/${busy.info.writer.fd}`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    const chunk = Buffer.alloc(4096, 0x61);
    pump = setInterval(() => {
      try {
        fs.writeSync(pumpFd, chunk);
      } catch {
        /* full (EAGAIN): the rate then falls to zero, which the test would notice */
      }
    }, 200);
  });

  after(async () => {
    if (pump) clearInterval(pump);
    if (pumpFd >= 0) fs.closeSync(pumpFd);
    await Promise.all(fixtures.map((x) => x.close().catch(() => undefined)));
    if (staleSocket) fs.rmSync(staleSocket, { force: true });
    const { page } = e2e();
    await runCommand(page, 'IPC Inspector: Clear Filter', { focus: 'sidebar' }).catch(() => undefined);
    const dark = (await page.locator('.monaco-workbench.vs-dark').count()) > 0;
    if (dark !== startDark) await (startDark ? setTheme(page, /Dark Modern/, 'Dark Modern', 'vs-dark', { focus: 'sidebar' }) : setTheme(page, /Light Modern/, 'Light Modern', 'vs', { focus: 'sidebar' })).catch(() => undefined);

  });

  it('opens from the Channels view’s menu and draws the filtered workload: nodes, shared nodes, rate-weighted edges', async () => {
    const { page } = e2e();
    // the dark picture first, whatever theme the workbench starts with
    await page.locator('.monaco-workbench.vs, .monaco-workbench.vs-dark').first().waitFor({ timeout: 30_000 });
    startDark = (await page.locator('.monaco-workbench.vs-dark').count()) > 0;
    if (!startDark) await setTheme(page, /Dark Modern/, 'Dark Modern', 'vs-dark', { focus: 'sidebar' });
    await openContainer(page);
    // the map shows what the trees show: filter them to the workload
    const input = await openCommand(page, 'IPC Inspector: Filter', { focus: 'sidebar' });
    await input.fill('ipc-map');
    await page.keyboard.press('Enter');
    // the Channels view's ⋯ menu (the title bar keeps only Filter and Pause inline)
    await runViewMenuItem(page, 'Channels', 'Show Topology Map');
    const frame = await mapFrame(page);

    // every fixture process that holds a channel is a node (by name, in the accessible node list)
    for (const name of ['ipc-map-busy', 'ipc-map-idle', 'ipc-map-rpc', 'ipc-map-ring', 'ipc-map-notify', 'ipc-map-http']) {
      await frame.locator('#nodes li[role="option"]', { hasText: name }).first().waitFor({ timeout: 30_000 });
    }
    const status = (await frame.locator('#status').textContent()) ?? '';
    assert.match(status, /Filter: “ipc-map”/, status);

    // the busy pipe's edge carries a rate (queue depth growing between snapshots) and is wider than the idle pipe's
    const busyPipe = `pipe:${busy.info.inode}`;
    const idlePipe = `pipe:${idle.info.inode}`;
    let g: MapGraph | null = null;
    const edgeOf = (id: string) => g?.edges.find((e) => e.channelIds.includes(id));
    await poll('a rate on the busy pipe', async () => {
      g = await graphOf(frame);
      return (edgeOf(busyPipe)?.bytesPerSec ?? 0) > 1000 && !!edgeOf(idlePipe);
    }, 30_000);
    const b = edgeOf(busyPipe)!;
    const i = edgeOf(idlePipe)!;
    assert.equal(i.bytesPerSec, 0, 'nobody writes to the idle pipe');
    assert.equal(i.width, 1);
    assert.ok(b.width > i.width + 2, `busy edge ${b.width}px vs idle ${i.width}px (${Math.round(b.bytesPerSec)} bytes/s)`);
    // the same number is what the busiest-links list shows and the renderer strokes
    const row = frame.locator(`#links button[data-edge="${b.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.equal(Number(await row.getAttribute('data-width')), b.width);
    const rowText = (await row.textContent()) ?? '';
    assert.match(rowText, /KiB\/s/);
    // its count is said in words, as the link's details say it (not "3 ch")
    const meta = (await row.locator('.meta').textContent()) ?? '';
    assert.match(meta, new RegExp(`^${b.channels} channels? · `), meta);
    // two processes named alike (the busy pair) are told apart in a link's words by their pids
    assert.ok(rowText.includes(`ipc-map-busy[${busy.info.reader.pid}]`), rowText);
    // the pipe flows writer → reader: the edge's ends are the writer and the reader
    assert.ok([b.source, b.target].includes(`p:${busy.info.reader.pid}`), 'the reader is an end of the busy edge');
    // shared objects are nodes every holder connects to
    const shm = g!.nodes.find((n) => n.type === 'object' && /shmid/.test(n.label));
    assert.ok(shm, `the SysV segment is a shared node: ${g!.nodes.map((n) => n.label).join(', ')}`);
    assert.equal(g!.edges.filter((e) => e.source === shm.id || e.target === shm.id).length, 2, 'both attachers connect to it');
    // the segment's swatch in the Nodes list is the shared-memory colour of the legend (as the map draws it), not the queues'
    const swatches = await frame.evaluate((id) => {
      const colour = (el: Element | null, pseudo?: string) => (el ? getComputedStyle(el, pseudo).backgroundColor : 'none');
      const li = [...document.querySelectorAll('#nodes li')].find((x) => (x as HTMLElement).dataset.id === id) ?? null;
      return { list: colour(li?.querySelector('.swatch') ?? null), shm: colour(document.querySelector('.fam-shm'), '::before'), queue: colour(document.querySelector('.fam-queue'), '::before') };
    }, shm.id);
    assert.equal(swatches.list, swatches.shm, JSON.stringify(swatches));
    assert.notEqual(swatches.shm, swatches.queue, JSON.stringify(swatches));
    assert.ok(g!.nodes.some((n) => n.type === 'object' && /ipc-map-\d+/.test(n.label)), 'the POSIX queue is a shared node');
    // the semaphore: a node of its own colour, not the warning ring's yellow
    await assertSemaphoreColour(frame, await semNodeOf(frame), 'dark');

    // the diagnosis marks the blocked writer (rule 1) on its node
    await poll('the blocked writer marked', async () => {
      g = await graphOf(frame);
      return g!.nodes.find((n) => n.id === `p:${stuck.info.writer.pid}`)?.severity === 'warning';
    }, 60_000);
    await frame.locator(`#nodes li[data-severity="warning"]`, { hasText: 'ipc-map-stuck' }).first().waitFor({ timeout: 5_000 });
    await assertLegendRings(frame, 'dark');
    await restPointer(page);
    await screenshot(page, 'topology-dark');
  });

  it('counts the problems as the Problems view lists them (every severity, the same filter) and says how many are not on the map', async () => {
    const { page } = e2e();
    const frame = await mapFrame(page);
    // room for every severity group of the Problems view (a tree renders only the rows in view)
    const open = async (name: string) => (await viewHeader(page, name).getAttribute('aria-expanded')) === 'true';
    // Get Started is gone once an earlier test (or a user) pressed its Got It
    const started = (await viewHeader(page, 'Get Started').count()) > 0 && (await open('Get Started'));
    const before = { started, channels: await open('Channels'), processes: await open('Processes') };
    if (started) await foldView(page, 'Get Started', true);
    await foldView(page, 'Channels', true);
    await foldView(page, 'Processes', true);
    await expandView(page, 'Problems');
    try {
      let last = '';
      const got = await poll('the map and the Problems view agree', async () => {
        const view = await problemsViewCounts(page);
        const status = (await frame.locator('#status').textContent()) ?? '';
        const map = statusCounts(status);
        last = `Problems view ${JSON.stringify(view)}; map: ${status}`;
        // the blocked writer (warning) and the stale file (info, drawn nowhere) at least
        if (!map || view.warning < 1 || view.info < 1 || map.notDrawn < 1) return undefined;
        return JSON.stringify(map.counts) === JSON.stringify(view) ? { view, map } : undefined;
      }, 90_000).catch(async (e: Error) => {
        const rows = await viewRows(page, 'Problems').allTextContents().catch(() => []);
        await screenshot(page, 'topology-problems-failed').catch(() => undefined);
        throw new Error(`${e.message}: ${last}; Problems rows: ${rows.join(' | ')}`);
      });
      assert.equal(got.map.total, got.view.error + got.view.warning + got.view.info);
      // the view's message says the same total while the filter narrows it
      const message = (await viewPane(page, 'Problems').locator('.message').first().textContent().catch(() => '')) ?? '';
      if (/problems? about what the filter/.test(message)) assert.match(message, new RegExp(`^\\s*${got.map.total.toLocaleString('en-US')} problems? about`), message);
      assert.ok(got.map.notDrawn <= got.map.total);
      // its tooltip says what is counted
      assert.match((await frame.locator('#status').getAttribute('title')) ?? '', /the Problems view lists for this filter, all severities[\s\S]*about nothing drawn here/);
    } finally {
      await foldView(page, 'Problems', true).catch(() => undefined);
      await foldView(page, 'Channels', !before.channels).catch(() => undefined);
      await foldView(page, 'Processes', !before.processes).catch(() => undefined);
      if (before.started) await foldView(page, 'Get Started', false).catch(() => undefined);
    }
  });

  it('search finds a process and the light theme restyles the map', async () => {
    const { page } = e2e();
    const frame = await mapFrame(page);
    const search = frame.locator('#search');
    await search.fill('ipc-map-rpc');
    await poll('search matches', async () => /[1-9]\d* match/.test((await frame.locator('#matches').textContent()) ?? ''), 10_000);
    const matched = await frame.locator('#nodes li[data-match="true"]').allTextContents();
    assert.ok(matched.length >= 1 && matched.every((t) => /ipc-map-rpc/.test(t)), matched.join(' | '));
    await search.fill('');
    await poll('search cleared', async () => ((await frame.locator('#matches').textContent()) ?? '') === '', 10_000);
    const bg = () => mapFrame(page).then((f) => f.evaluate(() => [document.body.className, getComputedStyle(document.body).backgroundColor].join(' ')));
    const dark = await bg();
    assert.match(dark, /vscode-dark/);
    await setTheme(page, /Light Modern/, 'Light Modern', 'vs', { focus: 'sidebar' });
    let light = '';
    await poll('the map in light colours', async () => /vscode-light/.test((light = await bg())) && light.split(' ').pop() !== dark.split(' ').pop(), 15_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${light} (was ${dark})`);
    });
    await assertLegendRings(await mapFrame(page), 'light');
    await assertSemaphoreColour(await mapFrame(page), await semNodeOf(await mapFrame(page)), 'light');
    await restPointer(page);
    await screenshot(page, 'topology-light');
    // high contrast: the rings, the legend and the labels keep their states
    // the picker lists it by its label, "Dark High Contrast", its id "Default High Contrast" beside it,
    // and after a task ran, other text in the same row ("…recently used"): the row holds the label, not only at its end
    await setTheme(page, /(Dark|Default) High Contrast(?! Light)/, 'High Contrast', 'hc-black', { focus: 'sidebar' });
    let hc = '';
    await poll('the map in high-contrast colours', async () => /vscode-high-contrast/.test((hc = await bg())), 15_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${hc}`);
    });
    await assertLegendRings(await mapFrame(page), 'high contrast');
    await assertSemaphoreColour(await mapFrame(page), await semNodeOf(await mapFrame(page)), 'high contrast');
    await restPointer(page);
    await screenshot(page, 'topology-hc');
    await setTheme(page, /Dark Modern/, 'Dark Modern', 'vs-dark', { focus: 'sidebar' });
  });

  it('a click on a process node opens the inspector on it; Enter on the focused node too', async () => {
    const { page } = e2e();
    const frame = await mapFrame(page);
    const target = `p:${busy.info.reader.pid}`;
    const at = await poll('the reader drawn on screen', async () =>
      frame.evaluate((id) => (window as unknown as { __topology: { screenOf(id: string): { x: number; y: number; r: number } | null } }).__topology.screenOf(id), target),
    );
    await frame.locator("canvas#map").click({ position: { x: at!.x, y: at!.y } });
    const tab = page.locator('.tabs-container .tab', { hasText: `ipc-map-busy[${busy.info.reader.pid}]` });
    await tab.first().waitFor({ timeout: 20_000 });
    const insp = await poll('the inspector webview', () => inspectorFrame(page), 20_000);
    await poll('the inspector shows the reader', async () => ((await insp.locator('body').textContent()) ?? '').includes(String(busy.info.reader.pid)), 20_000);

    // keyboard: back to the map, focus a node with the list and open it with Enter
    await page.locator('.tabs-container .tab', { hasText: 'IPC Topology' }).first().click();
    const map = await mapFrame(page);
    await map.locator('#nodes li[role="option"]', { hasText: 'ipc-map-idle' }).first().waitFor({ timeout: 30_000 });
    await map.locator('#nodes').focus();
    const want = await map.locator('#nodes li[role="option"]', { hasText: 'ipc-map-idle' }).first().getAttribute('data-id');
    // walk the listbox with the arrow keys until the idle reader is the active option
    for (let n = 0; n < 60; n++) {
      const active = await map.locator('#nodes').getAttribute('aria-activedescendant');
      const id = active ? await map.locator(`#${active}`).getAttribute('data-id') : null;
      if (id === want) break;
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    const pid = Number(want!.slice(2));
    await page.locator('.tabs-container .tab', { hasText: `[${pid}]` }).first().waitFor({ timeout: 20_000 });

    // the canvas itself: Tab to it, Home focuses the first node (problems first: the blocked writer's pair), Enter opens it
    await page.locator('.tabs-container .tab', { hasText: 'IPC Topology' }).first().click();
    const map2 = await mapFrame(page);
    await map2.locator('#nodes li[role="option"]', { hasText: 'ipc-map-stuck' }).first().waitFor({ timeout: 30_000 });
    await map2.locator('canvas#map').focus();
    await page.keyboard.press('Home');
    const announced = (await map2.locator('#announce').textContent()) ?? '';
    // a node with a problem (the diagnosis is machine-wide: the blocked writer's pair, or another
    // process in view with a problem of its own, e.g. a pipe of the test runner with no reader)
    assert.match(announced, /^.+, process, pid \d+.*, (warning|error): /, announced);
    const first = Number(/pid (\d+)/.exec(announced)![1]);
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab', { hasText: `[${first}]` }).first().waitFor({ timeout: 20_000 });

    // a double-click on a row of the node list opens that row's process, though its first click
    // fills the details pane above the list and so moves the rows under the pointer
    await page.locator('.tabs-container .tab', { hasText: 'IPC Topology' }).first().click();
    const map3 = await mapFrame(page);
    await map3.locator('#nodes li[role="option"]', { hasText: 'ipc-map-idle' }).first().waitFor({ timeout: 30_000 });
    const ids = await map3.locator('#nodes li[role="option"]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id ?? ''));
    // a process below the top rows (the pane's growth moves those the most), not the one open now
    const pick = ids.filter((id) => /^p:\d+$/.test(id) && id !== `p:${first}`).slice(-1)[0];
    assert.ok(pick, `a process row to double-click: ${ids.join(' ')}`);
    await map3.locator(`#nodes li[data-id="${pick}"]`).dblclick();
    const picked = Number(pick.slice(2));
    await page.locator('.tabs-container .tab', { hasText: `[${picked}]` }).first().waitFor({ timeout: 20_000 });
    await poll('the inspector on the double-clicked process', async () => {
      const f = await inspectorFrame(page);
      return f !== undefined && ((await f.locator('body').textContent()) ?? '').includes(`[${picked}]`);
    }, 20_000);
  });
});
