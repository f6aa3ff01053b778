// scripts/install-code-server.sh before it downloads anything: run from inside an npm lifecycle
// (as `npm start` and `npm test` run it), its inner npm must not inherit the outer npm's
// variables — code-server's postinstall read npm_config_user_agent ("node/v20…") and refused to
// install; a cache directory another user owns is refused; and a user without a compiler is told
// in one line what to run. `npm` is replaced by a recorder that writes its environment and
// fails, so nothing is installed here (the fresh-install layer does the real install).
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cannotActAsNobody, NOBODY, runAsNobody, shellAsNobody, stageForOtherUsers } from '../harness/otherUser';

const repo = path.resolve(__dirname, '..', '..', '..');
const script = path.join(repo, 'scripts', 'install-code-server.sh');
const realNpm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
const sandbox = fs.mkdtempSync('/tmp/ipc-install-cs-');
fs.chmodSync(sandbox, 0o755);
const shared = path.join(sandbox, 'shared'); // plays /tmp: anyone may create in it
fs.mkdirSync(shared);
fs.chmodSync(shared, 0o1777);
after(() => fs.rmSync(sandbox, { recursive: true, force: true }));

/** A directory with an `npm` that records its environment in `record` and fails. */
function recordingNpm(record: string): string {
  const dir = fs.mkdtempSync(path.join(sandbox, 'fake-npm-'));
  fs.writeFileSync(path.join(dir, 'npm'), `#!/bin/sh\nenv > '${record}'\necho "fake npm: $*" >&2\nexit 1\n`, { mode: 0o755 });
  return dir;
}

/** The environment of a user's shell: nothing from whatever npm started this test. */
function shellEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|INIT_CWD$|NODE$|NODE_TEST_CONTEXT$|IPC_INSPECTOR_CACHE$)/.test(k)));
}

test("inside npm's lifecycle the inner npm gets none of the outer npm's variables (only where packages come from)", { skip: realNpm ? false : 'npm not found' }, () => {
  const record = path.join(sandbox, 'inner-env');
  const fake = recordingNpm(record);
  const npmCache = path.join(sandbox, 'npm-cache');
  // The real npm runs the script as a lifecycle command (npm exec), the fake is first on PATH for the script.
  const r = spawnSync(realNpm, ['exec', '-c', `bash '${script}'`], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...shellEnv(), PATH: `${fake}:${process.env.PATH}`, IPC_INSPECTOR_CACHE: path.join(sandbox, 'cache'), npm_config_cache: npmCache },
    timeout: 120_000,
  });
  assert.ok(fs.existsSync(record), `the script never ran npm:\n${r.stderr}`);
  const inner = Object.fromEntries(
    fs.readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  // Kept on purpose: where packages come from and which config files say so.
  const kept = /^npm_config_(cache|registry|proxy|https_proxy|http_proxy|noproxy|cafile|ca|strict_ssl|userconfig|globalconfig|offline|prefer_offline)$/;
  const leaked = Object.keys(inner).filter((k) => /^(npm_config_|npm_package_|npm_lifecycle_|npm_command$|npm_execpath$|npm_node_execpath$|INIT_CWD$|NODE$)/.test(k) && !kept.test(k));
  assert.deepEqual(leaked, [], `the inner npm inherited ${leaked.map((k) => `${k}=${inner[k]}`).join(' ')}`);
  assert.equal(inner.npm_config_user_agent, undefined);
  assert.equal(inner.npm_config_cache, npmCache, 'the chosen npm cache was dropped');
  assert.deepEqual(inner.PATH.split(':').filter((p) => /node_modules\/\.bin$|node-gyp-bin$/.test(p)), [], `PATH still has npm's entries: ${inner.PATH}`);
});

test('a cache directory another user owns is refused before anything is installed', { skip: cannotActAsNobody() }, () => {
  const theirs = path.join(shared, 'their-cache');
  assert.equal(shellAsNobody(`mkdir -m 0777 '${theirs}'`).status, 0);
  const record = path.join(sandbox, 'env-their-cache');
  const r = spawnSync('bash', [script], {
    encoding: 'utf8',
    env: { ...shellEnv(), PATH: `${recordingNpm(record)}:${process.env.PATH}`, IPC_INSPECTOR_CACHE: theirs },
    timeout: 60_000,
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /refusing to use .*their-cache: it belongs to uid 65534/);
  assert.equal(fs.existsSync(record), false, 'npm ran with a cache another user controls');
});

test('without a compiler, a normal user is told in one line exactly what to run', { skip: cannotActAsNobody() }, () => {
  // The tools the script needs before it builds anything, and no make, g++ or python3.
  const bin = path.join(sandbox, 'bin-no-compiler');
  fs.mkdirSync(bin, { mode: 0o755 });
  for (const t of ['bash', 'sh', 'stat', 'id', 'mkdir', 'tr', 'grep', 'paste', 'flock', 'mktemp', 'rm', 'mv', 'touch', 'cat', 'env']) {
    const p = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
    if (p) fs.symlinkSync(p, path.join(bin, t));
  }
  const staged = stageForOtherUsers([[script, 'install-code-server.sh']]);
  try {
    const cache = path.join(sandbox, 'nobody-cache');
    fs.mkdirSync(cache, { mode: 0o700 });
    fs.chownSync(cache, NOBODY.uid, NOBODY.gid);
    const r = runAsNobody('/bin/bash', [staged.path('install-code-server.sh')], { env: { PATH: bin, HOME: '/nonexistent', IPC_INSPECTOR_CACHE: cache } });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr, '[install-code-server] missing make g++ python3: run `sudo apt-get install -y build-essential python3` and try again\n');
  } finally {
    staged.remove();
  }
});
