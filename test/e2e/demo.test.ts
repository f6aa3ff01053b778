// The demo workload (npm run demo / npm start) as a new user sees it: its services appear in the
// trees, and stopping it removes every object. Also takes the README screenshot
// (test-results/screenshot-demo.png).
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandInput, e2e, openContainer, poll, runCommand, runViewMenuItem, screenshot, viewRows } from './workbench';

describe('demo workload', function () {
  this.timeout(180_000);
  let demo: ChildProcess | undefined;
  let demoDir = '';

  before(async () => {
    demo = spawn(process.execPath, [path.join(e2e().repoRoot, 'scripts/demo.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      demo!.stdout!.on('data', (b) => {
        out += b;
        if (out.includes('IPC-DEMO-READY')) {
          demoDir = /files in (\/\S+)/.exec(out)?.[1] ?? '';
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
  });

  it("shows the demo's processes and channels when filtered by name", async () => {
    const { page } = e2e();
    await openContainer(page);
    await runCommand(page, 'IPC Inspector: Filter');
    const input = await commandInput(page);
    await input.fill('ipc-demo');
    await page.keyboard.press('Enter');
    // Both panes open, Processes lists the demo's services by name.
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
    // Open the queues and FIFOs for the picture.
    for (const g of ['Message Queues', 'FIFOs']) {
      await rows.filter({ hasText: g }).first().locator('.monaco-tl-twistie').click({ timeout: 2_000 }).catch(() => undefined);
    }
    await page.waitForTimeout(500);
    await screenshot(page, 'screenshot-demo');
  });

  it('stopping the demo removes every object it made', async () => {
    const gone = new Promise<number | null>((r) => demo!.once('exit', (c) => r(c)));
    demo!.kill('SIGTERM');
    assert.equal(await gone, 0);
    const demoComms = (): string[] => fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((d) => {
        try {
          return fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim();
        } catch {
          return '';
        }
      })
      .filter((c) => c.startsWith('ipc-demo'));
    // orphaned grandchildren may take a moment to be reaped
    await poll('demo processes to be gone', async () => demoComms().length === 0, 5_000).catch(() => undefined);
    assert.deepEqual(demoComms(), [], 'demo processes left running');
    const sysv = ['msg', 'shm', 'sem'].flatMap((f) =>
      // column 1 is the key in decimal: the demo's keys are 0x49504401..03
      fs.readFileSync(`/proc/sysvipc/${f}`, 'utf8').split('\n').slice(1).filter((l) => [0x49504401, 0x49504402, 0x49504403].includes(Number(l.trim().split(/\s+/)[0]))),
    );
    assert.deepEqual(sysv, [], 'demo SysV objects left');
    const posix = fs.readdirSync('/dev/shm').filter((f) => f.includes('ipc-demo'));
    assert.deepEqual(posix, [], 'demo POSIX shm/sem left');
    assert.ok(demoDir, 'the demo did not say where its files are');
    assert.equal(fs.existsSync(demoDir), false, `demo directory ${demoDir} left`);
  });
});
