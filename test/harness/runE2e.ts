// Browser end-to-end tests: starts a small IPC workload, code-server with the extension
// installed (the repository symlinked into a fresh extensions dir as
// ipc-inspector.ipc-inspector-<version>, exactly how an installed extension is laid out), and
// headless Chromium on the workbench; then runs mocha (in this Node process) over
// dist/test/e2e/*.test.js, which drive the page like a person (test/e2e/workbench.ts).
//
//   node dist/test/harness/runE2e.js [--grep-file workbench] [--exclude-file vsix] [--grep "title"]
//        [--extension-path DIR] [--verbose]
// Screenshots: test-results/*.png. Exit code 0 only if at least one test ran and none failed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Mocha from 'mocha';
import { launchBrowser, openWorkbench, type Browser } from './browser';
import { launchCodeServer, repoRoot, type CodeServer } from './codeServer';
import type { E2eContext } from '../e2e/workbench';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A unix stream server with a connected client and a FIFO held open, under a known name. */
function startWorkload(): { workload: E2eContext['workload']; stop(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-e2e-'));
  const unixSocket = path.join(dir, 'e2e-rpc.sock');
  const fifo = path.join(dir, 'e2e-feed.fifo');
  execFileSync('mkfifo', [fifo]);
  const script = `
    process.title = 'ipc-e2e-rpc';
    const net = require('net'), fs = require('fs');
    const fd = fs.openSync(${JSON.stringify(fifo)}, 'r+');
    const srv = net.createServer((c) => c.on('data', (d) => c.write(d)));
    srv.listen(${JSON.stringify(unixSocket)}, () => {
      const c = net.connect(${JSON.stringify(unixSocket)});
      setInterval(() => { c.write('ping'); fs.writeSync(fd, 'x'); }, 1000);
    });
    process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'inherit', 'inherit'] });
  return {
    workload: { unixSocket, fifo, pids: [child.pid!] },
    stop: () => {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An extensions dir holding the extension the way an install lays it out (a symlink here). */
export function linkedExtensionsDir(extensionPath: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-exts-'));
  fs.symlinkSync(extensionPath, path.join(dir, `${pkg.publisher}.${pkg.name}-${pkg.version}`));
  return dir;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const extensionPath = path.resolve(arg('extension-path') ?? process.env.IPC_EXTENSION_PATH ?? repoRoot);
  const verbose = process.argv.includes('--verbose');
  const only = (arg('grep-file') ?? '').split(',').filter(Boolean);
  const exclude = (arg('exclude-file') ?? '').split(',').filter(Boolean);
  const dir = path.join(repoRoot, 'dist/test/e2e');
  const files = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .filter((f) => !exclude.some((o) => f.includes(o)))
    .sort();
  if (files.length === 0) {
    console.log(`[e2e] PROBLEM: no test files in ${dir}`);
    return 1;
  }
  // Files that bring their own code-server (vsix.test.js) need no shared workbench.
  const needsWorkbench = files.some((f) => !f.includes('vsix'));
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let wl: ReturnType<typeof startWorkload> | undefined;
  let extDir: string | undefined;
  try {
    if (needsWorkbench) {
      const main = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8')).main;
      if (main && !fs.existsSync(path.resolve(extensionPath, main))) {
        console.log(`[e2e] PROBLEM: ${path.resolve(extensionPath, main)} does not exist (is src/extension.ts written and built?)`);
        return 1;
      }
      wl = startWorkload();
      extDir = linkedExtensionsDir(extensionPath);
      cs = await launchCodeServer({ folder: repoRoot, extensionsDir: extDir, verbose });
      console.log(`[e2e] code-server listening at ${cs.url} after ${cs.startupMs} ms`);
      browser = await launchBrowser();
      const page = browser.context.pages()[0] ?? (await browser.context.newPage());
      if (verbose) page.on('console', (m) => console.log(`  [page ${m.type()}] ${m.text()}`));
      const url = `${cs.url}/?folder=${encodeURIComponent(repoRoot)}`;
      await openWorkbench(page, url, cs.password);
      const ctx: E2eContext = { page, url, repoRoot, workload: wl.workload, codeServer: { url: cs.url, port: cs.port, password: cs.password, userDataDir: cs.userDataDir } };
      (globalThis as { __ipcE2e?: E2eContext }).__ipcE2e = ctx;
    }
    const mocha = new Mocha({
      ui: 'bdd',
      timeout: 120_000,
      reporter: 'spec',
      color: false,
      // every failed test leaves a picture of the workbench as it was (test-results/e2e-FAILED-*.png)
      rootHooks: {
        async afterEach(this: Mocha.Context) {
          const t = this.currentTest;
          const page = failedPage();
          if (t?.state !== 'failed' || !page) return;
          await page.screenshot({ path: path.join(repoRoot, `test-results/e2e-FAILED-${t.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`) }).catch(() => undefined);
        },
      },
    });
    if (arg('grep')) mocha.grep(arg('grep')!);
    for (const f of files) mocha.addFile(path.join(dir, f));
    let passed = 0;
    let failed = 0;
    const failures = await new Promise<number>((resolve) => {
      const runner = mocha.run((n) => resolve(n));
      runner.on('pass', () => passed++);
      runner.on('fail', () => failed++);
    });
    console.log(`[e2e] ${passed} passed, ${failed} failed; total ${Date.now() - t0} ms`);
    return failures === 0 && passed > 0 ? 0 : 1;
  } finally {
    if (failedPage()) await failedPage()!.screenshot({ path: path.join(repoRoot, 'test-results/e2e-last.png') }).catch(() => undefined);
    await browser?.close();
    await cs?.stop();
    wl?.stop();
    if (extDir) fs.rmSync(extDir, { recursive: true, force: true });
  }
}

function failedPage() {
  return (globalThis as { __ipcE2e?: E2eContext }).__ipcE2e?.page;
}

if (require.main === module) {
  fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(`[e2e] FAILED to run: ${e?.stack ?? e}`);
      process.exit(1);
    },
  );
}
