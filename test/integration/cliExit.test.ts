// The CLI's exit status when its surroundings end it or starve it, on real processes: Ctrl-C
// (SIGINT) ends top and watch with 130 and SIGTERM with 143, as a shell reports a process those
// signals killed; a stdout whose reader has gone (`| head`) keeps a one-shot command's own status
// (doctor's 1 for a deadlock) and ends a live one with 141 — at its next write, or while it sleeps
// with nothing to write (the addon's poll) — never with a stack trace; run out of
// descriptors (`ulimit -n`), peek and port say EMFILE and name the limit — at every limit from the
// lowest Node starts with, never "no channel" (ENOENT, which keeps meaning gone) or "no holder".
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/cliExit.test.js
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadNative } from '../../src/core/native';
import { BIN, cliNotBuilt, cliScratch, runCliAsync as runAsync, type Ended } from './cliRunner';

const { tmp, made, fixture } = cliScratch('ipc-cli-exit-');

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

  test('live, with nothing more to write: watch and top stop with 141 once the reader of their first lines has gone (`watch | head -1` on a quiet machine), not at their next write an hour later', { skip: noNative }, async () => {
    for (const [args, first] of [
      [['watch', '--interval', '3600000', '--kind', 'pipe'], /watching \d+ channels?/],
      [['watch', '--json', '--interval', '3600000', '--kind', 'pipe'], /"addedChannels"/],
      [['top', '--no-tracer', '--interval', '3600000'], /\S/],
    ] as const) {
      const r = await runAsync([...args], {
        timeoutMs: 60_000,
        // as head -1 does: read what came first, then close the only read end
        onChild: (c) => {
          let seen = '';
          c.stdout!.on('data', (d: Buffer) => {
            seen += d.toString();
            if (first.test(seen)) c.stdout!.destroy();
          });
        },
      });
      assert.equal(r.signal, null, `${args.join(' ')}: killed by the hang guard (still waiting for a write): ${r.stderr}`);
      assert.equal(r.code, 141, `${args.join(' ')}: ${r.stderr}`);
      noStackTrace(r);
    }
  });
});

/** Runs the CLI under `ulimit -n limit` (soft and hard) in a shell. */
function runLimited(limit: number, args: string[]): Promise<Ended> {
  const c = spawn('sh', ['-c', 'ulimit -n "$0" && exec "$@"', String(limit), process.execPath, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const t0 = Date.now();
  let stdout = '';
  let stderr = '';
  c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const guard = setTimeout(() => c.kill('SIGKILL'), 120_000);
  return new Promise((resolve) => {
    c.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** `f` for each item, `width` at a time (each run is a process of its own: the machine has few cores). */
async function eachLimited<T, R>(items: readonly T[], width: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]);
      }
    }),
  );
  return out;
}

describe('ipc-inspector: stdout on a full disk (ENOSPC)', { skip: cliNotBuilt || (fs.existsSync('/dev/full') ? false : 'no /dev/full') }, () => {
  test('the output is lost: one line says so on stderr, exit 1, no stack trace', () => {
    for (const args of [['snapshot'], ['snapshot', '--json'], ['help']]) {
      const full = fs.openSync('/dev/full', 'w');
      try {
        const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 120_000 });
        assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
        const lines = r.stderr.split('\n').filter((l) => /write error/.test(l));
        assert.deepEqual(lines.map((l) => /^ipc-inspector: write error: ENOSPC: no space left on device, write \(the output is incomplete\)$/.test(l)), [true], r.stderr);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      } finally {
        fs.closeSync(full);
      }
    }
  });
});

describe('ipc-inspector out of file descriptors (EMFILE)', { skip: cliNotBuilt }, () => {
  test('peek (with the addon) and port at every small limit: the right answer, or EMFILE naming RLIMIT_NOFILE with exit 1 — never "no channel" or "no holder"', async () => {
    const [pipe, tcp] = await Promise.all([fixture('pipe', { bytes: 3 }), fixture('tcp4')]);
    const id = `pipe:${pipe.info.inode}`;
    const port = String(tcp.info.port);
    const listener = tcp.info.listener.pid as number;
    // the lowest limit Node loads the CLI with (below it Node itself fails, before any of our code runs)
    let base = 8;
    while (base < 256 && (await runLimited(base, ['--version'])).code !== 0) base++;
    assert.ok(base < 256, 'the CLI does not start under any limit below 256');
    // how many descriptors a run needs varies (threads, the walk backend), so every limit from there
    // up to where both succeed is tried: each one fails somewhere else
    const limits = Array.from({ length: 32 }, (_, i) => base + i);
    // (a pipe is peeked only through the native addon: without it, port alone)
    const commands = [
      ...(noNative ? [] : [{ what: 'peek', args: ['peek', id], right: (out: string) => out.startsWith(`${id} (pipe) read `) }]),
      { what: 'port', args: ['port', port], right: (out: string) => new RegExp(`\\[${listener}\\]`).test(out) },
    ];
    const runs = await eachLimited(
      limits.flatMap((n) => commands.map((c) => ({ n, ...c }))),
      4,
      async (c) => ({ ...c, r: await runLimited(c.n, c.args) }),
    );
    let exhausted = 0;
    for (const { n, what, r, right } of runs) {
      const where = `${what} at ulimit -n ${n}: exit ${r.code ?? r.signal}\n${r.stdout}${r.stderr}`;
      assert.ok(!/^\s+at /m.test(r.stderr), `a stack trace: ${where}`);
      if (r.code === 0) {
        assert.ok(right(r.stdout), `a wrong answer: ${where}`);
        continue;
      }
      assert.equal(r.code, 1, where);
      assert.match(r.stderr, new RegExp(`^ipc-inspector ${what}: EMFILE: .*RLIMIT_NOFILE.*ulimit -n`, 'm'), where);
      assert.ok(!/ENOENT|no channel|no readable process|nothing listens/.test(r.stderr + r.stdout), where);
      exhausted++;
    }
    assert.ok(exhausted > 0, `no run ran out of descriptors at ulimit -n ${limits[0]}..${limits[limits.length - 1]}: the test tested nothing`);
    // with descriptors to spare, a channel that is not there is still ENOENT
    const gone = await runLimited(4096, ['peek', 'pipe:1']);
    assert.equal(gone.code, 1, gone.stderr);
    assert.match(gone.stderr, /^ipc-inspector peek: ENOENT: no channel pipe:1 /);
  });
});

describe('ipc-inspector: live commands stopped by a signal', { skip: cliNotBuilt }, () => {
  /** Starts the command, waits until it is running its loop (`ready` on stdout or stderr), sends `sig`. */
  async function stopWith(args: string[], ready: RegExp, sig: NodeJS.Signals): Promise<Ended> {
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const t0 = Date.now();
    let stdout = '';
    let stderr = '';
    let sent = false;
    const check = () => {
      if (!sent && ready.test(stdout + stderr)) {
        sent = true;
        c.kill(sig);
      }
    };
    c.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), check()));
    c.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), check()));
    const guard = setTimeout(() => c.kill('SIGKILL'), 60_000);
    return new Promise((resolve) => {
      c.on('close', (code, signal) => {
        clearTimeout(guard);
        resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
      });
    });
  }

  for (const [sig, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    test(`${sig}: top (with and without the tracer) and watch exit ${status} (128 + ${sig}), in their hour-long sleep`, async () => {
      for (const [args, ready] of [
        [['top', '--no-tracer', '--interval', '3600000'], /live activity over/],
        [['top', '--interval', '3600000'], /live activity over/],
        [['watch', '--interval', '3600000', '--kind', 'pipe'], /watching \d+ channels?/],
        [['watch', '--json', '--interval', '3600000', '--kind', 'pipe'], /"addedChannels"/],
      ] as const) {
        const r = await stopWith([...args], ready, sig);
        const what = `${args.join(' ')}: exit ${r.code ?? r.signal}\n${r.stderr}`;
        assert.equal(r.signal, null, `killed, not exited (the hang guard, or no handler): ${what}`);
        assert.equal(r.code, status, what);
        noStackTrace(r);
      }
    });
  }
});
