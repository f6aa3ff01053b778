// Nothing root runs or trusts comes from a path another local user can write: the compiled
// fixture program, the demo's directory and its record of the last run, and the password of the
// VS Code that `npm start` serves. The attacker is the user nobody, who plants programs, files
// and symlinks at the old predictable places (/tmp/ipc-inspector-fixture-UID,
// /tmp/ipc-inspector-demo) or makes the cache directories itself.
//
//   node scripts/build.mjs test/integration/privatePaths && node --test dist/test/integration/privatePaths.test.js
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildFixtureBinary, makeFixture } from '../../fixtures/ipcFixture';
import { privateDir } from '../../fixtures/privateDir';
import { loadOrCreatePassword, loginPasswordFile } from '../harness/loginSecret';
import { cannotActAsNobody, nodeAsNobody, NOBODY, shellAsNobody } from '../harness/otherUser';

const repo = path.resolve(__dirname, '..', '..', '..');
const skip = cannotActAsNobody();
const euid = process.geteuid?.() ?? 0;

// A sandbox in /tmp: `shared` plays /tmp (sticky, everyone may create in it), `home` this user's
// home. TMPDIR and the cache root point there for this whole process (each test file runs alone).
const sandbox = fs.mkdtempSync('/tmp/ipc-private-paths-');
fs.chmodSync(sandbox, 0o755);
const shared = path.join(sandbox, 'shared');
fs.mkdirSync(shared);
fs.chmodSync(shared, 0o1777);
const home = path.join(sandbox, 'home');
fs.mkdirSync(home, { mode: 0o700 });
process.env.TMPDIR = shared;
process.env.IPC_INSPECTOR_CACHE = path.join(home, 'cache');
// The fixture source outside any checkout (no node_modules beside it): where the fixture maker
// used to fall back to $TMPDIR/ipc-inspector-fixture-UID.
const source = path.join(sandbox, 'src', 'fixtures', 'ipc-fixture.c');
fs.mkdirSync(path.dirname(source), { recursive: true });
fs.copyFileSync(path.join(repo, 'fixtures', 'ipc-fixture.c'), source);
process.env.IPC_FIXTURE_SOURCE = source;

after(() => fs.rmSync(sandbox, { recursive: true, force: true }));

/** Running, not a zombie (a killed child stays in /proc until Node reaps it). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** As nobody: fails the test when the attacker's set-up did not work (so the test cannot pass vacuously). */
function plant(command: string): void {
  const r = shellAsNobody(command);
  assert.equal(r.status, 0, `the attacker's set-up failed: ${r.stderr}`);
}

describe('fixture program cache', { skip }, () => {
  test('a program another user planted at the old $TMPDIR/ipc-inspector-fixture-UID path is never run', async () => {
    const marker = path.join(shared, 'planted-program-ran');
    const old = path.join(shared, `ipc-inspector-fixture-${euid}`);
    plant(
      `mkdir -m 0777 '${old}' && printf '#!/bin/sh\\ntouch ${marker}\\nexit 1\\n' > '${old}/ipc-fixture' && ` +
        `chmod 0755 '${old}/ipc-fixture' && touch -d '+1 day' '${old}/ipc-fixture'`,
    );
    const fx = await makeFixture('pipe', { bytes: 3 });
    try {
      assert.equal(fs.existsSync(marker), false, 'the planted program ran');
      const link = fs.readlinkSync(`/proc/${fx.info.reader.pid}/fd/${fx.info.reader.fd}`);
      assert.equal(link, `pipe:[${fx.info.inode}]`, 'the fixture is the real program');
    } finally {
      await fx.close();
    }
    assert.deepEqual(fs.readdirSync(old), ['ipc-fixture'], 'nothing was written into the attacker’s directory');
  });

  test("a cache directory another user owns is not used, and a binary that is not ours is rebuilt, not run", async () => {
    // The attacker made the cache root (it may be writable by them: /tmp, a shared home).
    const theirs = path.join(shared, 'their-cache');
    plant(`mkdir -m 0777 '${theirs}' && mkdir -m 0777 '${theirs}/fixture'`);
    assert.throws(() => privateDir(path.join(theirs, 'fixture')), /refusing to use .*belongs to uid 65534/);
    const dir = fs.mkdtempSync(path.join(home, 'fx-'));
    const bin = await buildFixtureBinary(source, dir);
    assert.equal(path.dirname(bin), dir);
    // Our own cache dir, a binary of the same name that is group/world-writable (anyone may have
    // rewritten it, as here): rebuilt from the source.
    fs.writeFileSync(bin, '#!/bin/sh\nexit 7\n');
    fs.chmodSync(bin, 0o777);
    const again = await buildFixtureBinary(source, dir);
    assert.equal(again, bin);
    assert.equal(fs.readFileSync(again).subarray(0, 4).toString('latin1'), '\x7fELF', 'a writable-by-others binary was reused');
    const st = fs.statSync(again);
    assert.equal(st.mode & 0o022, 0);
    assert.equal(st.uid, euid);
  });
});

describe('private directories', () => {
  test('an ancestor writable by another group is refused; by our own primary group (a per-user group) it is not', () => {
    const parent = fs.mkdtempSync(path.join(home, 'grp-'));
    fs.chmodSync(parent, 0o775);
    fs.chownSync(parent, euid, NOBODY.gid);
    assert.throws(() => privateDir(path.join(parent, 'x')), /grp-\w+ is writable by other users/);
    fs.chownSync(parent, euid, process.getegid?.() ?? 0);
    assert.equal(privateDir(path.join(parent, 'x')), path.join(parent, 'x'));
    assert.equal(fs.statSync(path.join(parent, 'x')).mode & 0o777, 0o700);
    // The directory itself must be 0700: one of ours that is too open is refused, not "fixed".
    fs.chmodSync(path.join(parent, 'x'), 0o750);
    assert.throws(() => privateDir(path.join(parent, 'x')), /mode 750, not 700/);
  });
});

describe('demo directory', { skip: skip || (spawnSync('unshare', ['--mount', 'true']).status !== 0 ? 'needs unshare --mount' : false) }, () => {
  test('the demo neither follows nor removes a symlink planted at /tmp/ipc-inspector-demo, and kills no process the attacker lists', async () => {
    // A root process named ipc-* that the attacker would like the demo to SIGKILL.
    const victimBin = path.join(sandbox, 'ipc-victim');
    fs.copyFileSync('/bin/sleep', victimBin);
    fs.chmodSync(victimBin, 0o755);
    const victim = spawn(victimBin, ['300'], { stdio: 'ignore' });
    // The demo in a private mount namespace with its own /tmp, so the real /tmp is not touched:
    // nobody makes /tmp/attacker (world-writable) holding the old pids file, and the old fixed
    // demo path as a symlink to it; then root starts the demo.
    // The checkout itself may live under /tmp (a CI clone): bound at /mnt first, so the new /tmp
    // does not hide it.
    const setup = [
      `mount --bind "${repo}" /mnt`,
      'mount -t tmpfs -o mode=1777 tmpfs /tmp',
      `setpriv --reuid=${NOBODY.uid} --regid=${NOBODY.gid} --clear-groups sh -c 'mkdir -m 0777 /tmp/attacker && echo "[${victim.pid}]" > /tmp/attacker/pids.json && ln -s /tmp/attacker /tmp/ipc-inspector-demo'`,
      'mkdir -m 0700 /tmp/root-cache',
      // and from there: a working directory under the old /tmp no longer resolves by its path
      `cd /mnt && exec "${process.execPath}" /mnt/scripts/demo.mjs`,
    ].join(' && ');
    const { IPC_FIXTURE_SOURCE: _source, ...env } = process.env; // under the sandbox, hidden by the new /tmp
    const demo = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', setup], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, IPC_INSPECTOR_CACHE: '/tmp/root-cache', TMPDIR: '/tmp' },
    });
    let out = '';
    demo.stdout!.on('data', (b) => (out += b));
    demo.stderr!.on('data', (b) => (out += b));
    const exited = new Promise<number | null>((r) => demo.once('exit', (c) => r(c)));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => demo.stdout!.on('data', () => out.includes('IPC-DEMO-READY') && resolve())),
        exited.then((c) => Promise.reject(new Error(`the demo exited (${c}) before it was ready:\n${out}`))),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`the demo was not ready within 90 s:\n${out}`)), 90_000))),
      ]);
      clearTimeout(timer);
      // The namespace's /tmp, seen from here through the demo process's root.
      const nsTmp = `/proc/${demo.pid}/root/tmp`;
      assert.ok(alive(victim.pid!), 'the demo killed the process the attacker listed');
      assert.ok(fs.lstatSync(`${nsTmp}/ipc-inspector-demo`).isSymbolicLink(), 'the planted symlink was removed or replaced');
      assert.deepEqual(fs.readdirSync(`${nsTmp}/attacker`), ['pids.json'], 'the demo wrote into the attacker’s directory');
      const dir = /files in (\/\S+)/.exec(out)?.[1] ?? '';
      assert.match(dir, /^\/tmp\/ipc-inspector-demo-\w+$/, `the demo's directory: ${dir}`);
      const st = fs.lstatSync(`/proc/${demo.pid}/root${dir}`);
      assert.ok(st.isDirectory());
      assert.equal(st.uid, euid);
      assert.equal(st.mode & 0o777, 0o700);
    } finally {
      clearTimeout(timer);
      if (demo.exitCode === null) demo.kill('SIGTERM');
      const code = await exited;
      victim.kill('SIGKILL');
      assert.equal(code, 0, `the demo did not stop cleanly:\n${out}`);
    }
  });
});

describe("npm start's login password", { skip }, () => {
  test('is kept in a 0600 file in a 0700 directory of ours that another user cannot read', () => {
    // Even with every directory above it open to others (the sandbox is 0755, home made 0755
    // here), the file itself keeps them out.
    fs.chmodSync(home, 0o755);
    const root = path.join(home, 'open-cache');
    fs.mkdirSync(root, { mode: 0o755 });
    fs.chmodSync(root, 0o755);
    const file = loginPasswordFile(root);
    const { password, created } = loadOrCreatePassword(file);
    assert.ok(created);
    assert.match(password, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(loadOrCreatePassword(file).password, password, 'the next start reuses it');
    const r = nodeAsNobody(`try { require('fs').readFileSync(${JSON.stringify(file)}); console.log('read'); } catch (e) { console.log(e.code); }`);
    assert.equal(r.stdout.trim(), 'EACCES');
    // Made readable by others (by mistake): the old password may have been seen, a new one is made.
    fs.chmodSync(file, 0o644);
    const next = loadOrCreatePassword(file);
    assert.ok(next.created);
    assert.notEqual(next.password, password);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    fs.chmodSync(home, 0o700);
  });

  test('a login directory another user made (to know or swap the password) is refused', () => {
    const root = path.join(shared, 'their-root');
    plant(`mkdir -m 0777 '${root}' && mkdir -m 0777 '${root}/login' && echo known-to-the-attacker-0123456789abcdef > '${root}/login/password'`);
    assert.throws(() => loginPasswordFile(root), /refusing to use .*belongs to uid 65534/);
  });
});
