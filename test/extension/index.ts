// The test module VS Code loads into the real extension host (`extensionTestsPath`, the
// @vscode/test-electron contract): run() resolves when every test passed and rejects otherwise,
// which makes VS Code exit the extension host with 0 or 1.
//
// It runs mocha (node:test hangs inside the extension host) over every
// dist/test/extension/*.test.js, or only those whose name contains one of the comma-separated
// words in IPC_TEST_GREP_FILE. Each result is printed as one line the outer runner
// (test/harness/runExtensionTests.ts) parses — the extension host's console reaches it through
// the workbench's window.codeAutomationLog:
//   IPC-TEST pass <full title> (<ms> ms)
//   IPC-TEST fail <full title>: <error>
//   IPC-TEST-SUMMARY {"passed":n,"failed":n,"pending":n}
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ⏎ ');
}

class LineReporter {
  constructor(runner: Mocha.Runner) {
    let passed = 0;
    let failed = 0;
    let pending = 0;
    runner.on('pass', (t: Mocha.Test) => {
      passed++;
      console.log(`IPC-TEST pass ${t.fullTitle()} (${t.duration ?? 0} ms)`);
    });
    runner.on('fail', (t: Mocha.Test, err: Error) => {
      failed++;
      console.log(`IPC-TEST fail ${t.fullTitle()}: ${oneLine(String(err?.stack ?? err))}`);
    });
    runner.on('pending', (t: Mocha.Test) => {
      pending++;
      console.log(`IPC-TEST skip ${t.fullTitle()}`);
    });
    runner.once('end', () => {
      console.log(`IPC-TEST-SUMMARY ${JSON.stringify({ passed, failed, pending })}`);
    });
  }
}

export async function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: Number(process.env.IPC_TEST_TIMEOUT_MS ?? 20_000),
    reporter: LineReporter as unknown as Mocha.ReporterConstructor,
    color: false,
  });
  const dir = __dirname;
  const only = (process.env.IPC_TEST_GREP_FILE ?? '').split(',').filter(Boolean);
  const files = fs
    .readdirSync(dir)
    // IPC_BENCH=1: the measurements (*.bench.js) instead of the tests
    .filter((f) => f.endsWith(process.env.IPC_BENCH === '1' ? '.bench.js' : '.test.js'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  if (files.length === 0) {
    console.log(`IPC-TEST-SUMMARY ${JSON.stringify({ passed: 0, failed: 1, pending: 0 })}`);
    throw new Error(`no extension test files in ${dir}${only.length ? ` matching ${only.join(',')}` : ''}`);
  }
  for (const f of files) mocha.addFile(path.join(dir, f));
  if (process.env.IPC_TEST_GREP) mocha.grep(process.env.IPC_TEST_GREP);
  console.log(`IPC-TEST files ${files.join(' ')}`);
  const failures = await new Promise<number>((resolve) => {
    try {
      mocha.run((n) => resolve(n));
    } catch (e) {
      console.log(`IPC-TEST fail (loading test files): ${oneLine(String((e as Error)?.stack ?? e))}`);
      console.log(`IPC-TEST-SUMMARY ${JSON.stringify({ passed: 0, failed: 1, pending: 0 })}`);
      resolve(1);
    }
  });
  if (failures > 0) throw new Error(`${failures} extension test(s) failed`);
}
