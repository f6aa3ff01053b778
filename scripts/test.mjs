// `npm test`: every layer, one command, on a fresh machine.
// Installs what it needs (code-server into ~/.cache/ipc-inspector, Chromium), builds, then runs
// typecheck, lint, unit, integration (on the default fd walk: the BPF iterator where it runs),
// integration again on the /proc walk (IPC_INSPECTOR_WALK=proc) with /dev/mqueue the other way
// round (mounted if it is not, in a private mount namespace), the fresh install (`npm start` for a
// user with an empty home), the extension tests inside code-server, the browser e2e tests and the
// .vsix test. Every layer runs even if an earlier one failed; the summary lists each layer and
// ends with `N passed, N failed` over the tests of every layer, where a failed layer that has no
// test count (build, typecheck, lint, an install, a runner that could not start) counts as one
// failure. Exit code is non-zero if anything failed (or a layer could not run).
//
//   node scripts/test.mjs [--only build,typecheck,lint,unit,integration,integration-proc-mq,fresh-install,extension,e2e,vsix]
//        [--skip e2e,vsix] [--dist DIR (where the built tests are; default dist)]
// (`integration-mq`, the layer's old name, still selects integration-proc-mq.)
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The CLI writes its text in the locale's character set (src/cli/locale.ts: ASCII where it is not
// UTF-8), and the tests read it as UTF-8 unless they pick a locale themselves (cliLocale.test.ts):
// a machine, a CI job or a cron started without LANG must not change what they see.
const ctype = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || 'C';
if (!/(?:^|\.)utf-?8(?:@|$)/i.test(ctype)) {
  delete process.env.LC_ALL;
  delete process.env.LC_CTYPE;
  process.env.LANG = 'C.UTF-8';
}
const argOf = (n) => {
  const i = process.argv.indexOf(`--${n}`);
  return i >= 0 ? process.argv[i + 1].split(',') : null;
};
const only = argOf('only');
const dist = path.resolve(root, argOf('dist')?.[0] ?? 'dist');
const skip = argOf('skip') ?? [];
const aliases = { 'integration-mq': 'integration-proc-mq' };
const named = (list) => list?.map((l) => aliases[l] ?? l);
const want = (layer) => (!only || named(only).includes(layer)) && !named(skip).includes(layer);
const bin = (n) => path.join(root, 'node_modules/.bin', n);
const t0 = Date.now();
const results = []; // {layer, ok, detail, ms, passed?, failed?}

function log(msg) {
  console.log(`\n[test] ${msg}`);
}

/** Runs a command with inherited stdout/stderr echoed, returns {code, out}. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      process.stdout.write(b);
    });
    child.stderr.on('data', (b) => {
      out += b;
      process.stderr.write(b);
    });
    child.on('error', (e) => resolve({ code: 127, out: out + String(e) }));
    child.on('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), out }));
  });
}

async function layer(name, fn) {
  if (!want(name)) return;
  log(`── ${name} ──`);
  const s = Date.now();
  let r;
  try {
    r = await fn();
  } catch (e) {
    r = { ok: false, detail: String(e?.message ?? e) };
  }
  results.push({ layer: name, ms: Date.now() - s, ...r });
}

const listTests = (dir) =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(dir, f))
    : [];

// ── prerequisites ───────────────────────────────────────────────────────────────────────────────
const needsBrowser = ['extension', 'e2e', 'vsix'].some(want);
if (needsBrowser) {
  const s = Date.now();
  const cache = process.env.IPC_INSPECTOR_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? '/root', '.cache'), 'ipc-inspector');
  if (!fs.existsSync(path.join(cache, `code-server-${process.env.IPC_CODE_SERVER_VERSION ?? '4.139.1'}`, '.complete'))) {
    log(`code-server: first run, installing it into ${cache} (a minute or two; cached afterwards)`);
  }
  const r = spawnSync('bash', [path.join(root, 'scripts/install-code-server.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) {
    results.push({ layer: 'code-server install', ok: false, detail: `install-code-server.sh exited ${r.status}`, ms: Date.now() - s });
  } else console.log(`[test] code-server at ${r.stdout.trim()} (${Date.now() - s} ms)`);

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', process.env.IPC_CHROMIUM].find((p) => p && fs.existsSync(p));
  if (!chromium) {
    if (process.getuid?.() === 0) {
      log('Chromium missing: apt-get install -y chromium');
      spawnSync('apt-get', ['update'], { stdio: 'inherit' });
      const a = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      if (a.status !== 0 || !fs.existsSync('/usr/bin/chromium')) results.push({ layer: 'chromium install', ok: false, detail: 'apt-get install chromium failed', ms: 0 });
    } else {
      results.push({
        layer: 'chromium',
        ok: false,
        detail: 'Chromium not found. Install it (Debian: sudo apt-get install chromium) or set IPC_CHROMIUM=/path/to/chrome',
        ms: 0,
      });
    }
  }
}

// ── build ───────────────────────────────────────────────────────────────────────────────────────
await layer('build', async () => {
  // A deleted test/**.ts must not keep running from a stale dist/test/**.js.
  const prune = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) prune(p);
      else if (/\.js$/.test(e.name)) {
        const src = path.join(root, path.relative(path.join(root, 'dist'), p)).replace(/\.js$/, '.ts');
        if (!fs.existsSync(src)) for (const f of [p, `${p}.map`]) fs.rmSync(f, { force: true });
      }
    }
  };
  prune(path.join(root, 'dist/test'));
  const r = await run(process.execPath, ['scripts/build.mjs']);
  return { ok: r.code === 0, detail: r.code === 0 ? '' : 'some bundles failed (see above)' };
});

await layer('typecheck', async () => {
  const r = await run(bin('tsc'), ['-p', '.', '--noEmit']);
  return { ok: r.code === 0, detail: r.code === 0 ? '' : `${(r.out.match(/error TS/g) ?? []).length} type errors` };
});

await layer('lint', async () => {
  const r = await run(bin('eslint'), ['.']);
  return { ok: r.code === 0, detail: r.code === 0 ? '' : (r.out.match(/✖ .*problems?.*/)?.[0] ?? 'lint errors') };
});

// node:test layers; `wrap` runs the command through another (unshare …) when given, `extraEnv` adds to its environment.
const TEST_TIMEOUT_MS = 300_000;
const nodeTest = async (dir, extra, wrap = [], extraEnv = {}) => {
  const files = listTests(dir);
  if (files.length === 0) return { ok: true, detail: `no tests in ${path.relative(root, dir)}` };
  // A test that hangs fails after 5 minutes, naming itself, instead of holding the whole run (one
  // did once: a snapshot that never settled, in a layer's 36th minute); the longest take ~15 s.
  const args = ['--test', '--test-reporter=spec', `--test-timeout=${TEST_TIMEOUT_MS}`, ...extra, ...files];
  // A node:test child inherits NODE_TEST_CONTEXT from a runner above it and would report there.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const env = { ...inherited, ...extraEnv };
  const r = wrap.length ? await run(wrap[0], [...wrap.slice(1), process.execPath, ...args], { env }) : await run(process.execPath, args, { env });
  const pass = Number([...r.out.matchAll(/ℹ pass (\d+)/g)].pop()?.[1] ?? 0);
  let fail = Number([...r.out.matchAll(/ℹ fail (\d+)/g)].pop()?.[1] ?? 0);
  const skipped = Number([...r.out.matchAll(/ℹ skipped (\d+)/g)].pop()?.[1] ?? 0);
  if (r.code !== 0 && fail === 0) fail = 1; // it could not run, or failed outside a test
  // The spec reporter's closing list of failures (names, messages, stacks): repeated in the summary,
  // since a CI report may keep only the end of the output.
  const failures = r.code !== 0 ? (r.out.split(/^✖ failing tests:$/m)[1] ?? '').trim() : '';
  return { ok: r.code === 0, passed: pass, failed: fail, skipped, failures, detail: `${pass} passed, ${fail} failed, ${skipped} skipped (${files.length} files)` };
};
await layer('unit', () => nodeTest(path.join(dist, 'test/unit'), []));

/** The fd walk a scan picks with this environment (capabilities.walk.backend), or why it is unknown. */
function walkOf(env) {
  const r = spawnSync(process.execPath, [path.join(dist, 'cli.js'), 'snapshot', '--json', '--kind', 'pipe'], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 << 20 });
  try {
    return JSON.parse(r.stdout).capabilities.walk?.backend ?? 'unknown';
  } catch {
    return `unknown (cli exited ${r.status})`;
  }
}

// Each test that does not choose an fd walk runs on the default one (the BPF iterator as root
// where it runs): the whole layer once on it, and once more below on the /proc walk.
await layer('integration', async () => {
  const r = await nodeTest(path.join(dist, 'test/integration'), ['--test-concurrency=1']);
  // (the CLI's one-shot `snapshot` takes the /proc walk on a machine of few fds: asked for BPF, it
  // says whether BPF runs here, as the layer's in-process snapshots take it)
  return { ...r, detail: `walk ${walkOf({ IPC_INSPECTOR_WALK: 'bpf-iter' })}: ${r.detail}` };
});

// The integration layer again on the /proc fd walk (IPC_INSPECTOR_WALK=proc), and with
// /dev/mqueue the other way round: POSIX queues look different with it mounted (systemd mounts
// it; this machine may not), flipped in a private mount namespace so nothing else on the machine
// sees the change.
await layer('integration-proc-mq', async () => {
  const procWalk = { IPC_INSPECTOR_WALK: 'proc' };
  const mounted = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === '/dev/mqueue');
  const state = mounted ? 'not mounted' : 'mounted';
  if (process.getuid?.() !== 0 || spawnSync('unshare', ['--mount', 'true']).status !== 0) {
    // not root: the /proc walk is the default anyway, and /dev/mqueue cannot be flipped
    return { ok: true, detail: `skipped: needs root and unshare to run with /dev/mqueue ${state}` };
  }
  let made = false;
  if (!mounted && !fs.existsSync('/dev/mqueue')) {
    fs.mkdirSync('/dev/mqueue'); // the mount point, as systemd makes it; removed again below
    made = true;
  }
  try {
    const flip = mounted ? 'umount /dev/mqueue' : 'mount -t mqueue none /dev/mqueue';
    const r = await nodeTest(path.join(dist, 'test/integration'), ['--test-concurrency=1'], ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${flip} && exec "$@"`, 'sh'], procWalk);
    return { ...r, detail: `walk ${walkOf(procWalk)}, /dev/mqueue ${state}: ${r.detail}` };
  } finally {
    if (made) {
      try {
        fs.rmdirSync('/dev/mqueue');
      } catch {
        /* in use again (another run): leave it */
      }
    }
  }
});

/**
 * A harness layer's failures, for the summary (a CI report may keep only the end of the output):
 * the extension runner's `✖ title: stack` lines, and mocha's closing list (`N failing` on) from the
 * browser runs.
 */
function harnessFailures(out) {
  const marks = out.split('\n').filter((l) => /^\s*✖ /.test(l));
  const mocha = out.split(/^\s*\d+ failing$/m).slice(1).map((part) => part.split(/^\[[a-z0-9-]+\] \d+ passed/m)[0].trim());
  return [...marks, ...mocha].join('\n');
}

// The layers run by a harness script that prints `[name] N passed, N failed`.
const counted = async (script, args) => {
  const r = await run(process.execPath, [script, ...args]);
  const m = [...r.out.matchAll(/\[(?:extension-tests|e2e|fresh-install)\] (\d+) passed, (\d+) failed/g)].pop();
  const passed = Number(m?.[1] ?? 0);
  // A runner that failed without a failed test (could not start, timed out) counts as one failure.
  const failed = r.code !== 0 && Number(m?.[2] ?? 0) === 0 ? 1 : Number(m?.[2] ?? 0);
  const problem = r.out.match(/PROBLEM: (.*)/)?.[1];
  // how the layer ran, when that matters to reading its result (the fresh install's registry)
  const note = r.out.match(/^\[[a-z-]+\] NOTE: (.*)$/m)?.[1];
  return {
    ok: r.code === 0,
    passed,
    failed,
    failures: r.code !== 0 ? harnessFailures(r.out) : '',
    detail: `${passed} passed, ${failed} failed` + (problem ? ` — ${problem}` : r.code !== 0 && !m ? ' — did not run (see above)' : '') + (note ? ` (${note})` : ''),
  };
};
await layer('fresh-install', () => counted(path.join(dist, 'test/harness/runFreshInstall.js'), []));
await layer('extension', () => counted(path.join(dist, 'test/harness/runExtensionTests.js'), []));
await layer('e2e', () => counted(path.join(dist, 'test/harness/runE2e.js'), ['--exclude-file', 'vsix']));
await layer('vsix', () => counted(path.join(dist, 'test/harness/runE2e.js'), ['--grep-file', 'vsix']));

// ── summary ─────────────────────────────────────────────────────────────────────────────────────
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
console.log('\n[test] ════════ summary ════════');
for (const r of results) console.log(`[test] ${r.ok ? 'PASS' : 'FAIL'}  ${r.layer.padEnd(19)} ${secs(r.ms ?? 0).padStart(8)}  ${r.detail ?? ''}`);
// Every layer's tests; a failed layer without a count of its own (build, typecheck, lint, an
// install) is one failure.
for (const r of results.filter((x) => x.failures)) {
  const lines = r.failures.split('\n');
  console.log(`[test] ── ${r.layer}: failures ──\n${lines.slice(0, 120).join('\n')}${lines.length > 120 ? `\n… ${lines.length - 120} more lines above` : ''}`);
}
const passed = results.reduce((a, r) => a + (r.passed ?? 0), 0);
const failed = results.reduce((a, r) => a + (r.failed ?? (r.ok ? 0 : 1)), 0);
const skipped = results.reduce((a, r) => a + (r.skipped ?? 0), 0);
const bad = results.filter((r) => !r.ok);
console.log(`[test] total ${secs(Date.now() - t0)}; ${bad.length ? `FAILED layers: ${bad.map((r) => r.layer).join(', ')}` : 'all layers green'}${skipped ? `; ${skipped} tests skipped (reasons above)` : ''}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(bad.length ? 1 : 0);
