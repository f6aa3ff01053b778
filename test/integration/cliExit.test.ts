// The CLI's exit status when its surroundings end it, on real processes: a stdout whose reader
// has gone (`| head`) keeps a one-shot command's own status (doctor's 1 for a deadlock) and ends a
// live one at its next write with 141, never with a stack trace.
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/cliExit.test.js
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import { loadNative } from '../../src/core/native';
import { BIN, cliNotBuilt } from './cliRunner';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-cli-exit-'));
const made: Fixture[] = [];
after(async () => {
  try {
    await closeAll(made);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

async function fixture(kind: string, opts: Parameters<typeof makeFixture>[1] = {}): Promise<Fixture> {
  const f = await makeFixture(kind, opts);
  made.push(f);
  return f;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI to its end (a hang guard kills it after `timeoutMs`); stdout captured unless `stdio` says otherwise. */
function runAsync(args: string[], opts: { stdio?: StdioOptions; env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (pid: number) => void } = {}): Promise<Ended> {
  const t0 = Date.now();
  const c = spawn(process.execPath, [BIN, ...args], { stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let stdout = '';
  let stderr = '';
  c.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  c.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const guard = setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  opts.onSpawn?.(c.pid!);
  return new Promise((resolve) => {
    c.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/**
 * The write end of a real pipe (a FIFO) whose reader has already gone: every write to it fails
 * with EPIPE, as `cmd | head -1`'s does once head has exited — but with no race against head.
 */
function pipeWithoutReader(): number {
  const fifo = path.join(tmp, `fifo-${made.length}-${Date.now()}`);
  spawnSync('mkfifo', ['-m', '0600', fifo]);
  const r = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const w = fs.openSync(fifo, fs.constants.O_WRONLY);
  fs.closeSync(r);
  fs.rmSync(fifo);
  return w;
}

/** Runs the CLI with stdout on a pipe nobody reads any more; stderr captured. */
async function runReaderGone(args: string[], timeoutMs?: number): Promise<Ended> {
  const w = pipeWithoutReader();
  try {
    return await runAsync(args, { stdio: ['ignore', w, 'pipe'], timeoutMs });
  } finally {
    fs.closeSync(w);
  }
}

const noStackTrace = (r: Ended) => assert.ok(!/^\s+at |Error: write EPIPE|Unhandled/m.test(r.stderr), `a stack trace on stderr:\n${r.stderr}`);
const noNative = loadNative().addon ? false : `native addon not loaded (${loadNative().error}): pipe fill levels are unknown`;

describe('ipc-inspector: stdout whose reader has gone (EPIPE)', { skip: cliNotBuilt }, () => {
  test('one-shot: doctor keeps its exit 1 for a deadlock; snapshot --pid of no process its 1; help its 0', { skip: noNative }, async () => {
    const f = await fixture('pipe-deadlock');
    const d = await runReaderGone(['doctor', '--samples', '3', '--interval', '200', '--pid', String(f.info.a.pid), '--pid', String(f.info.b.pid)]);
    assert.equal(d.code, 1, d.stderr);
    noStackTrace(d);
    const gone = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    const s = await runReaderGone(['snapshot', '--pid', String(gone)]);
    assert.equal(s.code, 1, s.stderr);
    assert.match(s.stderr, new RegExp(`^warning: no process ${gone}$`, 'm'), 'the command went on after the failed write');
    noStackTrace(s);
    const h = await runReaderGone(['help']);
    assert.equal(h.code, 0, h.stderr);
    noStackTrace(h);
  });

  test('live: top and watch stop at their first write with 141 (128 + SIGPIPE), not after their hour-long interval', async () => {
    for (const args of [
      ['top', '--no-tracer', '--interval', '3600000'],
      ['top', '--no-tracer', '--json', '--interval', '3600000'],
      ['watch', '--interval', '3600000', '--kind', 'pipe'],
      ['watch', '--json', '--interval', '3600000', '--kind', 'pipe'],
    ]) {
      const r = await runReaderGone(args, 60_000);
      assert.equal(r.signal, null, `${args.join(' ')}: killed by the hang guard: ${r.stderr}`);
      assert.equal(r.code, 141, `${args.join(' ')}: ${r.stderr}`);
      noStackTrace(r);
    }
  });
});
