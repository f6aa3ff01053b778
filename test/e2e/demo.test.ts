// The demo workload (npm run demo / npm start) as a new user sees it: its services appear in the
// trees, and stopping it removes every object. Also takes the README screenshot
// (test-results/screenshot-demo.png).
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readStartTime } from '../../src/core/actions/signal';
import { allRowTexts, e2e, expandView, openCommand, openContainer, poll, runCommand, runViewMenuItem, screenshot, viewHeader, viewRows } from './workbench';

describe('demo workload', function () {
  this.timeout(180_000);
  let demo: ChildProcess | undefined;
  let demoDir = '';
  /** The run's id and SysV keys, as it printed them (its objects carry the id: another demo may run beside it). */
  let demoId = 0;
  let keys: Record<string, string> = {};
  /** Demo processes (pid:start) that were running before this one started: another run's. */
  let before0 = new Set<string>();

  before(async () => {
    before0 = new Set(demoProcs());
    demo = spawn(process.execPath, [path.join(e2e().repoRoot, 'scripts/demo.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      demo!.stdout!.on('data', (b) => {
        out += b;
        if (out.includes('IPC-DEMO-READY')) {
          demoDir = /files in (\/\S+)/.exec(out)?.[1] ?? '';
          const run = /run (\d+): SysV keys (.*)/.exec(out);
          demoId = Number(run?.[1] ?? 0);
          keys = Object.fromEntries((run?.[2] ?? '').split(', ').map((kv) => kv.split(' ')));
          resolve();
        }
      });
      demo!.once('exit', (c) => reject(new Error(`demo exited (${c}) before it was ready:\n${out}`)));
    });
  });

  after(async () => {
    if (demo && demo.exitCode === null) {
      const gone = new Promise((r) => demo!.once('exit', r));
      demo.kill('SIGTERM');
      await gone;
    }
    await runCommand(e2e().page, 'IPC Inspector: Clear Filter').catch(() => undefined);
    // the views as the tests after these expect them, whatever happened: Problems closed (open,
    // it squeezes Channels), Channels and Processes open
    const page = e2e().page;
    const problemsHeader = viewHeader(page, 'Problems');
    if ((await problemsHeader.getAttribute('aria-expanded').catch(() => null)) === 'true') await problemsHeader.click().catch(() => undefined);
    for (const name of ['Channels', 'Processes']) await expandView(page, name).catch(() => undefined);
  });

  it("shows the demo's processes and channels when filtered by name", async () => {
    const { page } = e2e();
    await openContainer(page);
    const input = await openCommand(page, 'IPC Inspector: Filter');
    await input.fill('ipc-demo');
    await page.keyboard.press('Enter');
    // Both panes open, Processes lists the demo's services by name (Get Started and Problems closed: room for them).
    for (const name of ['Get Started', 'Problems']) {
      const h = viewHeader(page, name);
      if ((await h.count()) && (await h.getAttribute('aria-expanded')) === 'true') await h.click();
    }
    for (const name of ['Channels', 'Processes']) {
      const header = page.locator('.part.sidebar .pane-header', { hasText: new RegExp(`^\\s*${name}`, 'i') }).first();
      if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    }
    // Start from the group rows alone: an earlier test may have left long groups expanded, and the
    // list only renders the rows in view.
    await runViewMenuItem(page, 'Channels', 'Collapse All');
    // Every group has demo channels (group rows read "Pipes 71 of 24410", or "FIFOs 1" when the
    // demo's are the only ones on the machine).
    const rows = viewRows(page, 'Channels');
    let text = '';
    // the list renders only the rows in view: Processes closed meanwhile, so every group row fits
    const processes = viewHeader(page, 'Processes');
    await processes.click();
    await poll(
      'demo channels in every group of the Channels view',
      async () => {
        text = (await rows.allTextContents()).join('\n');
        return ['Pipes', 'FIFOs', 'Message Queues', 'Shared Memory', 'Sockets'].every((g) => new RegExp(`${g}\\s*[1-9]\\d*\\b`).test(text));
      },
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; the view showed:\n${text}`);
    });
    if ((await processes.getAttribute('aria-expanded')) === 'false') await processes.click();
    // Open the queues and FIFOs for the picture.
    for (const g of ['Message Queues', 'FIFOs']) {
      await rows.filter({ hasText: g }).first().locator('.monaco-tl-twistie').click({ timeout: 2_000 }).catch(() => undefined);
    }
    await page.waitForTimeout(500);
    await screenshot(page, 'screenshot-demo');
  });

  it('the Problems view lists a live problem of each of rules 1, 2, 3, 5, 6 and 8', async () => {
    const { page } = e2e();
    const input = await openCommand(page, 'IPC Inspector: Filter');
    await input.fill('demo'); // the demo's processes, and its run directory (the stale socket file)
    await page.keyboard.press('Enter');
    for (const name of ['Get Started', 'Channels', 'Processes']) {
      const h = viewHeader(page, name);
      if ((await h.count()) && (await h.getAttribute('aria-expanded')) === 'true') await h.click();
    }
    await expandView(page, 'Problems');
    const rows = viewRows(page, 'Problems');
    const want: Array<[string, RegExp]> = [
      // each row: what is wrong, then the object (the filter keeps only the demo's)
      ['rule 1 blocked writer', /^\s*writer blocked: pipe full\s*ipc-demo-produc\[\d+\] → pipe:/m],
      ['rule 2 nobody at the other end', /^\s*no reader: writes get EPIPE\s*ipc-demo-nordr\[\d+\] → pipe:/m],
      ['rule 3 stale socket', /^\s*stale socket file: nothing bound\s*\/\S*ipc-inspector-demo-\S+\/stale-api\.sock/m],
      ['rule 5 queue not draining', /^\s*queue (not draining|stalled, not draining)\s*SysV message queue msqid/m],
      ['rule 8 wait cycle', /^\s*wait cycle \(deadlock\)\s*ipc-demo-deadlk\[\d+\] → pipe:/m],
    ];
    let text = '';
    await poll(
      'a problem of each rule',
      async () => {
        // the Information group (stale socket files) starts collapsed
        const info = rows.filter({ hasText: /^\s*Information/ }).first();
        if ((await info.count()) && (await info.getAttribute('aria-expanded')) === 'false') await info.click().catch(() => undefined);
        text = (await allRowTexts(page, 'Problems')).join('\n');
        return want.every(([, re]) => re.test(text));
      },
      60_000,
    ).catch(async (e: Error) => {
      await screenshot(page, 'e2e-problems-demo-failed');
      throw new Error(`${e.message}; missing: ${want.filter(([, re]) => !re.test(text)).map(([w]) => w).join(', ')}; the view showed:\n${text}`);
    });
    await screenshot(page, 'e2e-problems-demo');
    // the leftover segment is held by nobody (its creator is gone): the filter finds it by its key
    assert.match(keys.leftover ?? '', /^0x[0-9a-f]+$/, 'the demo printed its keys');
    await (await openCommand(page, 'IPC Inspector: Filter')).fill(keys.leftover);
    await page.keyboard.press('Enter');
    await poll('rule 6: the leftover', async () => new RegExp(`attached by nobody, creator gone\\s*SysV shared memory shmid \\d+ key ${keys.leftover}`).test((await rows.allTextContents()).join('\n')), 30_000);
    await runCommand(page, 'IPC Inspector: Clear Filter');

  });

  it('stopping the demo removes every object it made', async () => {
    const gone = new Promise<number | null>((r) => demo!.once('exit', (c) => r(c)));
    demo!.kill('SIGTERM');
    assert.equal(await gone, 0);
    // this run's processes, keys and names: another demo (npm start's) may run beside it
    const ours = (): string[] => demoProcs().filter((p) => !before0.has(p));
    // orphaned grandchildren may take a moment to be reaped
    await poll('demo processes to be gone', async () => ours().length === 0, 5_000).catch(() => undefined);
    assert.deepEqual(ours(), [], 'demo processes left running');
    assert.ok(demoId > 0 && Object.keys(keys).length === 4, `the demo printed its id and keys: ${demoId} ${JSON.stringify(keys)}`);
    const ourKeys = Object.values(keys).map(Number);
    const sysv = ['msg', 'shm', 'sem'].flatMap((f) =>
      // column 1 is the key in decimal
      fs.readFileSync(`/proc/sysvipc/${f}`, 'utf8').split('\n').slice(1).filter((l) => l.trim() && ourKeys.includes(Number(l.trim().split(/\s+/)[0]))),
    );
    assert.deepEqual(sysv, [], 'demo SysV objects left');
    const posix = fs.readdirSync('/dev/shm').filter((f) => f.includes('ipc-demo') && f.endsWith(`-${demoId}`));
    assert.deepEqual(posix, [], 'demo POSIX shm/sem left');
    assert.ok(demoDir, 'the demo did not say where its files are');
    assert.equal(fs.existsSync(demoDir), false, `demo directory ${demoDir} left`);
  });
});

/** Running processes named ipc-demo* (the demo's), as pid:start time. */
function demoProcs(): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').startsWith('ipc-demo')) out.push(`${d}:${readStartTime(Number(d))}`);
    } catch {
      /* gone */
    }
  }
  return out;
}
