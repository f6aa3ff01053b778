// The README's CLI call, `npx ipc-inspector …` in a checkout, runs the checkout's built CLI
// directly (node_modules/.bin/ipc-inspector, linked by `npm install`): it does not install the
// checkout into npm's npx cache, which re-ran the package's install and prepare scripts (a native
// and bundle rebuild) and loaded both dependency trees on every call. The time is printed, never
// asserted (the machine may be busy).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..', '..');
const hasNpx = spawnSync('npx', ['--version'], { encoding: 'utf8' }).status === 0;

test('npx ipc-inspector runs the checkout’s CLI without installing the checkout into npm’s cache or rebuilding it', { skip: hasNpx ? false : 'npx not found' }, () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-npx-cache-'));
  const cli = path.join(repo, 'dist', 'cli.js');
  const builtAt = fs.statSync(cli).mtimeMs;
  try {
    // Not inside whatever npm started this test: a user's shell, with an empty npm cache.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|NODE_TEST_CONTEXT$|INIT_CWD$)/.test(k)));
    const started = Date.now();
    const r = spawnSync('npx', ['ipc-inspector', 'snapshot', '--json', '--kind', 'sysv-msg'], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...env, npm_config_cache: cache, npm_config_update_notifier: 'false' },
      timeout: 120_000,
    });
    console.log(`# npx ipc-inspector snapshot: ${Date.now() - started} ms`);
    assert.equal(r.status, 0, r.stderr);
    const snap = JSON.parse(r.stdout);
    assert.ok(Array.isArray(snap.channels) && Array.isArray(snap.processes), 'not a snapshot');
    assert.equal(fs.existsSync(path.join(cache, '_npx')), false, 'npx installed the checkout into its cache');
    assert.equal(fs.statSync(cli).mtimeMs, builtAt, 'npx rebuilt the checkout');
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
