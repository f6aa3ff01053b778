// A rootless container runtime keeps its state under the user's home, where that user controls
// every byte: an unprivileged attacker (uid nobody) swaps podman's containers.json for a symlink to
// a root-only file, a FIFO nobody writes, a 40 MiB file, a directory symlink into root's files.
// The resolver (src/core/containers.ts through untrustedFiles.ts) must never follow the link, never
// block, never read past its cap, and accept only files the user owns — and still read a valid
// file the user wrote (its text is data: escaped at display).
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/containerState.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerResolver } from '../../src/core/containers';
import { compileTools, startHungFuse } from './hostile';

const NOBODY = 65534;
const ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CGROUP = `0::/user.slice/user-${NOBODY}.slice/user@${NOBODY}.service/user.slice/libpod-${ID}.scope\n`;
const SKIP = process.geteuid?.() !== 0 ? 'needs root to act as an unprivileged attacker (uid 65534)' : false;

describe('rootless runtime state written by an attacker', { skip: SKIP }, () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-rootless-'));
  const home = path.join(base, 'home');
  const secretDir = path.join(base, 'root-only');
  const dir = path.join(home, '.local/share/containers/storage/overlay-containers');
  const file = path.join(dir, 'containers.json');
  /** Runs `script` as uid/gid nobody (the attacker). */
  const attacker = (script: string) => {
    const r = spawnSync('sh', ['-c', script], { uid: NOBODY, gid: NOBODY, encoding: 'utf8', cwd: home });
    assert.equal(r.status, 0, `attacker script failed: ${r.stderr}`);
  };
  const resolve = async () => {
    const res = new ContainerResolver({ homeOf: (uid) => (uid === NOBODY ? home : null) });
    let timer: NodeJS.Timeout | undefined;
    const blocked = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error('the resolver blocked')), 5000)));
    try {
      return await Promise.race([res.fromCgroup(CGROUP), blocked]);
    } finally {
      clearTimeout(timer);
    }
  };

  before(() => {
    fs.chmodSync(base, 0o755);
    fs.mkdirSync(home);
    fs.chownSync(home, NOBODY, NOBODY);
    attacker(`mkdir -p '${dir}'`);
    // a root-only file in the same format, naming the same id: must never be read through a link
    fs.mkdirSync(secretDir, { mode: 0o700 });
    fs.writeFileSync(path.join(secretDir, 'containers.json'), JSON.stringify([{ id: ID, names: ['root-secret'] }]), { mode: 0o600 });
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  test('a file the user wrote: read, its hostile name kept as data', async () => {
    attacker(`printf '%s' '[{"id":"${ID}","names":["web\\n[x](command:evil)"]}]' > '${file}'`);
    const c = await resolve();
    assert.deepEqual(c && { runtime: c.runtime, name: c.name, rootlessUid: c.rootlessUid }, { runtime: 'podman', name: 'web\n[x](command:evil)', rootlessUid: NOBODY });
  });

  test('a symlink to a root-only file is not followed (O_NOFOLLOW)', async () => {
    attacker(`rm -f '${file}' && ln -s '${path.join(secretDir, 'containers.json')}' '${file}'`);
    const c = await resolve();
    assert.equal(c?.runtime, 'podman', 'the cgroup path still says podman');
    assert.equal(c?.name, null, 'the root-only file was not read');
  });

  test('a FIFO nobody writes does not block (O_NONBLOCK, then fstat: not a regular file)', async () => {
    attacker(`rm -f '${file}' && mkfifo '${file}'`);
    const c = await resolve();
    assert.equal(c?.name, null);
  });

  test('a 40 MiB file is refused before it is read (fstat size cap)', async () => {
    attacker(`rm -f '${file}' && printf '[{"id":"${ID}","names":["big"]}]' > '${file}' && truncate -s 40M '${file}'`);
    const c = await resolve();
    assert.equal(c?.name, null);
  });

  test('a file the user does not own is refused (owner check), even through a directory symlink', async () => {
    attacker(`rm -f '${file}'`);
    fs.writeFileSync(file, JSON.stringify([{ id: ID, names: ['planted-by-someone-else'] }]));
    assert.equal((await resolve())?.name, null, 'a root-owned file in the user’s directory');
    fs.rmSync(file);
    // the last component is checked by O_NOFOLLOW, the directories above are the user's: the owner check is what stops this
    fs.chmodSync(secretDir, 0o755);
    fs.chmodSync(path.join(secretDir, 'containers.json'), 0o644);
    attacker(`rmdir '${dir}' && ln -s '${secretDir}' '${dir}'`);
    assert.equal((await resolve())?.name, null, 'a root-owned file reached through a directory symlink');
    attacker(`rm '${dir}' && mkdir '${dir}'`);
  });

  test("a directory on the way that is the user's symlink is not followed, even to a valid file of their own (it could lead onto a FUSE mount, where an open blocks a pool thread for good)", async () => {
    const own = path.join(home, 'elsewhere');
    attacker(`mkdir -p '${own}' && printf '%s' '[{"id":"${ID}","names":["through-a-link"]}]' > '${own}/containers.json'`);
    attacker(`printf '%s' '[{"id":"${ID}","names":["direct"]}]' > '${file}'`);
    assert.equal((await resolve())?.name, 'direct', 'the real directory is read');
    attacker(`rm -rf '${dir}' && ln -s '${own}' '${dir}'`);
    assert.equal((await resolve())?.name, null, 'a symlinked directory is not');
    attacker(`rm '${dir}' && mkdir '${dir}'`);
  });

  test('a directory on the way on a FUSE mount is never touched: the mount table rules it out first', { skip: !fs.existsSync('/dev/fuse') ? 'needs /dev/fuse' : false }, async () => {
    const tools = await compileTools();
    const fuse = await startHungFuse(tools, 'answer');
    const share = path.join(home, '.local/share');
    try {
      // the user's state directory is a FUSE mount (here a bind of one: the same file system type in the mount table)
      const m = spawnSync('mount', ['--bind', fuse.mnt, share], { encoding: 'utf8' });
      assert.equal(m.status, 0, m.stderr);
      try {
        const before = fuse.requests.length;
        assert.equal((await resolve())?.name, null);
        // (a request carries the thread's id, a pool thread's: any request in this window is ours)
        assert.deepEqual(fuse.requests.slice(before), [], 'no request reached the FUSE server during the resolve');
      } finally {
        spawnSync('umount', ['-l', share]);
      }
    } finally {
      await fuse.close();
      fs.rmSync(tools.dir, { recursive: true, force: true });
    }
  });
});
