// Runs the extension tests (dist/test/extension/*.test.js) inside the real extension host of
// code-server, through the smoke-test driver's payload route (code-server rejects
// --extensionDevelopmentPath): the workbench is opened in headless Chromium with
// ?payload=[["extensionDevelopmentPath",…],["extensionTestsPath",…]], VS Code calls run() of
// test/extension/index.ts, the host's console comes back through window.codeAutomationLog and
// the end through window.codeAutomationExit(code).
//
//   node dist/test/harness/runExtensionTests.js [--grep-file activation,views] [--grep "title"]
//        [--extension-path DIR] [--timeout 600] [--verbose]
// Exit code 0 only when VS Code started, ran at least one test, every test passed and it exited 0.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchBrowser, openWorkbench } from './browser';
import { launchCodeServer, remoteUri, repoRoot, workbenchUrl } from './codeServer';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export interface ExtensionTestResult {
  passed: string[];
  failed: string[];
  skipped: string[];
  exitCode: number | undefined;
  problem?: string;
  codeServerStartMs: number;
  totalMs: number;
}

export async function runExtensionTests(opts: {
  extensionPath?: string;
  grepFile?: string;
  grep?: string;
  timeoutMs?: number;
  verbose?: boolean;
  /** Extensions dir to start code-server with (e.g. one a .vsix was installed into). */
  extensionsDir?: string;
}): Promise<ExtensionTestResult> {
  const t0 = Date.now();
  const extensionPath = path.resolve(opts.extensionPath ?? process.env.IPC_EXTENSION_PATH ?? repoRoot);
  const testsIndex = path.join(repoRoot, 'dist/test/extension/index.js');
  const result: ExtensionTestResult = { passed: [], failed: [], skipped: [], exitCode: undefined, codeServerStartMs: 0, totalMs: 0 };
  for (const p of [testsIndex, path.join(extensionPath, 'package.json')]) {
    if (!fs.existsSync(p)) {
      result.problem = `${p} does not exist (run npm run build)`;
      return result;
    }
  }
  const main = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8')).main as string | undefined;
  if (main && !fs.existsSync(path.resolve(extensionPath, main))) {
    result.problem = `the extension's main ${path.resolve(extensionPath, main)} does not exist (is src/extension.ts written and built?)`;
    return result;
  }

  const env: NodeJS.ProcessEnv = {};
  if (opts.grepFile) env.IPC_TEST_GREP_FILE = opts.grepFile;
  if (opts.grep) env.IPC_TEST_GREP = opts.grep;
  if (process.env.IPC_BENCH === '1') env.IPC_BENCH = '1'; // the measurements (*.bench.js), not the tests
  for (const k of ['IPC_BENCH_HEAP_SNAPSHOT', 'IPC_BENCH_ALLOC_PROFILE', 'IPC_BENCH_ALLOC_FIRST', 'IPC_BENCH_CONTROL', 'IPC_BENCH_SOAK_MINUTES', 'IPC_BENCH_SOAK_HEAP']) if (process.env[k]) env[k] = process.env[k];
  const cs = await launchCodeServer({
    folder: repoRoot,
    args: ['--vscode-option', 'enable-smoke-test-driver'],
    env,
    verbose: opts.verbose,
    extensionsDir: opts.extensionsDir,
  });
  result.codeServerStartMs = cs.startupMs;
  console.log(`[extension-tests] code-server listening at ${cs.url} after ${cs.startupMs} ms`);
  const browser = await launchBrowser();
  try {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    let summarySeen = false;
    let quietStack = false;
    const exited = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      const text = Array.isArray(args) ? args.map(String).join(' ') : String(args);
      for (const line of text.split('\n')) {
        const m = /IPC-TEST(-SUMMARY)? ?(\w+)? ?(.*)$/.exec(line);
        if (!m) {
          // Offline noise: the workbench asks open-vsx.org for updates of built-in extensions.
          if (/ENOTFOUND|open-vsx|EAI_AGAIN/.test(line)) quietStack = true;
          else if (!/^\s+at /.test(line)) quietStack = false;
          if (opts.verbose || (type === 'error' && !quietStack)) console.log(`  [host ${type}] ${line}`);
          continue;
        }
        if (m[1]) {
          summarySeen = true;
          continue;
        }
        const [, , kind, rest] = m;
        if (kind === 'pass') {
          result.passed.push(rest);
          console.log(`  ✔ ${rest}`);
        } else if (kind === 'fail') {
          result.failed.push(rest);
          console.log(`  ✖ ${rest}`);
        } else if (kind === 'skip') {
          result.skipped.push(rest);
          console.log(`  - ${rest} (skipped)`);
        } else if (kind === 'files') {
          console.log(`[extension-tests] test files: ${rest}`);
        }
      }
    });
    if (opts.verbose) page.on('console', (m) => console.log(`  [page ${m.type()}] ${m.text()}`));
    const url = workbenchUrl(cs, repoRoot, [
      ['extensionDevelopmentPath', remoteUri(cs, extensionPath)],
      ['extensionTestsPath', remoteUri(cs, testsIndex)],
    ]);
    await openWorkbench(page, url, cs.password);
    const timeoutMs = opts.timeoutMs ?? 600_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const csDied = new Promise<'died'>((r) => cs.proc.once('exit', () => r('died')));
    const end = await Promise.race([exited, timedOut, csDied]);
    clearTimeout(timer);
    if (end === 'timeout') result.problem = `VS Code did not finish the extension tests within ${timeoutMs / 1000} s`;
    else if (end === 'died') result.problem = `code-server exited during the tests:\n${cs.output().slice(-3000)}`;
    else {
      result.exitCode = end;
      // the last log lines may still be in flight
      await new Promise((r) => setTimeout(r, 300));
      if (!summarySeen && !result.problem) result.problem = `the extension host exited (${end}) without a test summary — did run() start?`;
    }
    if (result.problem || result.failed.length || result.exitCode !== 0) {
      fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
      await page
        .screenshot({ path: path.join(repoRoot, 'test-results/extension-tests-failure.png') })
        .catch(() => undefined);
      if (!opts.verbose) console.log(`[extension-tests] code-server output (tail):\n${cs.output().slice(-2000)}`);
    }
  } finally {
    await browser.close();
    await cs.stop();
  }
  result.totalMs = Date.now() - t0;
  return result;
}

export function extensionTestsOk(r: ExtensionTestResult): boolean {
  return !r.problem && r.exitCode === 0 && r.failed.length === 0 && r.passed.length > 0;
}

if (require.main === module) {
  runExtensionTests({
    extensionPath: arg('extension-path'),
    grepFile: arg('grep-file'),
    grep: arg('grep'),
    timeoutMs: arg('timeout') ? Number(arg('timeout')) * 1000 : undefined,
    verbose: process.argv.includes('--verbose'),
  }).then(
    (r) => {
      if (r.problem) console.log(`[extension-tests] PROBLEM: ${r.problem}`);
      console.log(
        `[extension-tests] ${r.passed.length} passed, ${r.failed.length} failed, ${r.skipped.length} skipped; ` +
          `VS Code exit code ${r.exitCode ?? 'none'}; code-server start ${r.codeServerStartMs} ms; total ${r.totalMs} ms`,
      );
      process.exit(extensionTestsOk(r) ? 0 : 1);
    },
    (e) => {
      console.error(`[extension-tests] FAILED to run: ${e?.stack ?? e}`);
      process.exit(1);
    },
  );
}
