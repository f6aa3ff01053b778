// The real CLI as the integration tests run it: `node bin/ipc-inspector.js …` from the checkout
// these tests were built in, its output captured; and why the CLI tests skip when dist/cli.js is
// not built.
import { after } from 'node:test';
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';

function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    if (fs.existsSync(path.join(dir, 'bin', 'ipc-inspector.js')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('repository root not found above ' + __dirname);
}

export const ROOT = repoRoot();
export const BIN = path.join(ROOT, 'bin', 'ipc-inspector.js');
/** A skip reason when the CLI bundle is missing, false otherwise. */
export const cliNotBuilt: string | false = fs.existsSync(path.join(ROOT, 'dist', 'cli.js')) ? false : 'dist/cli.js not built (node scripts/build.mjs cli)';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
}

/** Runs the CLI to the end: exit code, output, the signal that ended it. */
export function runCli(args: string[], opts: { input?: string; timeout?: number; maxBuffer?: number } = {}): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: opts.maxBuffer ?? 256 * 1024 * 1024, input: opts.input, timeout: opts.timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI to its end (a hang guard kills it after `timeoutMs`); stdout captured unless `stdio` says otherwise. */
export function runCliAsync(args: string[], opts: { stdio?: StdioOptions; env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (pid: number) => void; onChild?: (c: ChildProcess) => void } = {}): Promise<Ended> {
  const t0 = Date.now();
  const c = spawn(process.execPath, [BIN, ...args], { stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let stdout = '';
  let stderr = '';
  c.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  c.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const guard = setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  opts.onSpawn?.(c.pid!);
  opts.onChild?.(c);
  return new Promise((resolve) => {
    c.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/**
 * A CLI test file's scratch: a temp directory and the fixtures it makes, all closed and removed
 * after the file's tests (`prefix` names the directory). `made` counts them (unique names).
 */
export function cliScratch(prefix: string): { tmp: string; made: readonly Fixture[]; fixture(kind: string, opts?: Parameters<typeof makeFixture>[1]): Promise<Fixture> } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const made: Fixture[] = [];
  after(async () => {
    try {
      await closeAll(made);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  return {
    tmp,
    made,
    async fixture(kind, opts = {}) {
      const f = await makeFixture(kind, opts);
      made.push(f);
      return f;
    },
  };
}
