// POSIX shared memory of another /dev/shm: a container's /dev/shm is a tmpfs of its own, whose
// inode numbers start over, and any user can mount one in a mount namespace of its own. The
// attacker — nobody, `unshare --user --mount`, fixtures/attacker.c `shm-twin` — makes a file with
// the name and the inode number of root's object (filled with 'A'), holds it open and maps it.
// Joined by inode alone, its fd and mapping were listed as holders of root's object. Now root's
// object has only root's holders, and the attacker's is a channel of its own
// (`posix-shm:mount/DEV:INODE`, otherMount) that peek reads through its mapping and remove refuses.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/posixShmMounts.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { PosixSemChannel, PosixShmChannel, Snapshot } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, removeObject, type BytesPeek, type SemaphoresPeek } from '../../src/core/actions';
import { compileTools, ownNamespacesSkip, runAttackerInNamespaces, stopAttacker, type Attacker, type Tools } from './hostile';

const NAME = `ipci-twin-${process.pid}`;
/** The attacker counts its tmpfs's inodes up to root's object's: past this, too slow for a test. */
const MAX_INODE = 5_000_000;
const skip = ownNamespacesSkip(['--mount']);

describe("a file of another /dev/shm with the name and inode of root's object", { skip }, () => {
  let tools: Tools;
  let attacker: Attacker | undefined;
  let theirs: { pid: number; fd: number; ino: number } | undefined;
  let root: Fixture | undefined;
  let tooFar: string | false = false;

  before(async () => {
    tools = await compileTools();
    root = await makeFixture('posix-shm', { name: NAME, size: 8192 });
    const ino = fs.statSync(`/dev/shm/${NAME}`).ino;
    if (ino > MAX_INODE) {
      tooFar = `this machine's /dev/shm has given out ${ino} inodes: counting a new tmpfs up to it takes too long`;
      return;
    }
    attacker = runAttackerInNamespaces(tools, ['--mount'], ['shm-twin', NAME, String(ino)]);
    theirs = JSON.parse(await attacker.next('the twin'));
    assert.equal(theirs!.ino, ino);
  });
  after(async () => {
    await stopAttacker(attacker);
    await closeAll([root]);
    if (tools) fs.rmSync(tools.dir, { recursive: true, force: true });
  });

  const shm = (snap: Snapshot) => snap.channels.filter((c): c is PosixShmChannel => c.kind === 'posix-shm' && c.name === NAME);
  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, loadNative().addon ? false : 'native addon not built'],
    ['TypeScript walk, no addon', { useNative: false }, false],
  ];
  for (const [way, opts, skipWay] of ways) {
    it(`root's object keeps root's holders; the twin is a channel of its own (${way})`, { skip: skipWay }, async (t) => {
      if (tooFar) return t.skip(tooFar);
      const snap = await takeSnapshot({ ...opts, kinds: ['posix-shm'] });
      const rows = shm(snap);
      const mine = rows.find((c) => c.id === `posix-shm:${NAME}`);
      assert.ok(mine, "root's object is listed");
      assert.ok(!mine.endpoints.some((e) => e.pid === theirs!.pid), `no holder of root's object is the attacker's: ${JSON.stringify(mine.endpoints)}`);
      assert.ok(mine.endpoints.length > 0 && mine.endpoints.every((e) => root!.pids.includes(e.pid)), "root's holders, and only them");
      const twin = rows.find((c) => c.otherMount);
      assert.ok(twin, `the attacker's file, as another /dev/shm's: ${rows.map((c) => c.id).join(', ')}`);
      assert.match(twin.id, new RegExp(`^posix-shm:mount/\\d+:\\d+:${theirs!.ino}$`));
      assert.deepEqual(
        twin.endpoints.map((e) => (e.fd !== undefined ? `fd ${e.fd}` : 'map')).sort(),
        [`fd ${theirs!.fd}`, 'map'],
        'its fd and its mapping',
      );
      assert.ok(twin.endpoints.every((e) => e.pid === theirs!.pid));
      assert.equal(twin.deleted, false);
      assert.equal(twin.owner, null);
    });
  }

  it('peek reads the twin through its mapping (not root\'s file); remove refuses it', { skip: loadNative().addon ? false : 'native addon not built' }, async (t) => {
    if (tooFar) return t.skip(tooFar);
    const snap = await takeSnapshot({ kinds: ['posix-shm'] });
    const twin = shm(snap).find((c) => c.otherMount);
    assert.ok(twin);
    const r = (await peekChannel(twin, snap.processes, { maxBytes: 8 })) as BytesPeek;
    assert.equal(r.data.toString(), 'AAAAAAAA', "the attacker's bytes, read where it maps them");
    await assert.rejects(removeObject(twin), (e: { code?: string }) => e.code === 'ENOTSUP');
    assert.ok(fs.existsSync(`/dev/shm/${NAME}`), "root's object is still there");
  });
});

// The same for a named semaphore (`sem_open` maps /dev/shm/sem.NAME and closes the file): the
// attacker's tmpfs on /dev/shm holds a semaphore named like root's, with another value. It was not
// listed at all; now it is `posix-sem:mount/DEV:INODE` (otherMount), by its holder's mapping, its
// value read through that mapping; root's semaphore keeps its own holders and value, and remove
// refuses the twin (an unlink by its name could remove root's).
describe("a named semaphore of another /dev/shm with the name of root's", { skip }, () => {
  const SEM = `ipci-semtwin-${process.pid}`;
  let tools: Tools;
  let attacker: Attacker | undefined;
  let theirs: { pid: number; ino: number };
  let root: Fixture | undefined;

  before(async () => {
    tools = await compileTools();
    root = await makeFixture('posix-sem', { name: SEM, value: 3 });
    attacker = runAttackerInNamespaces(tools, ['--mount'], ['sem-twin', `/${SEM}`, '7']);
    theirs = JSON.parse(await attacker.next('the semaphore twin'));
  });
  after(async () => {
    await stopAttacker(attacker);
    await closeAll([root]);
    if (tools) fs.rmSync(tools.dir, { recursive: true, force: true });
  });

  // root's by its name; the twin by its holder (its creator's mapping shows glibc's temp name, sem.XXXXXX)
  const sems = (snap: Snapshot) => snap.channels.filter((c): c is PosixSemChannel => c.kind === 'posix-sem' && (c.name === SEM || c.endpoints.some((e) => e.pid === theirs.pid)));
  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, loadNative().addon ? false : 'native addon not built'],
    ['TypeScript walk, no addon', { useNative: false }, false],
  ];
  for (const [way, opts, skipWay] of ways) {
    it(`root's semaphore keeps its holders and value; the twin is listed, its own (${way})`, { skip: skipWay }, async () => {
      const rows = sems(await takeSnapshot({ ...opts, kinds: ['posix-sem'] }));
      const ours = rows.find((c) => c.id === `posix-sem:${SEM}`);
      assert.ok(ours, "root's semaphore is listed");
      assert.equal(ours.value, 3);
      assert.ok(!ours.endpoints.some((e) => e.pid === theirs.pid), "the attacker is listed as a holder of root's semaphore");
      assert.equal(rows.length, 2, rows.map((c) => c.id).join(', '));
      const twin = rows.find((c) => c.otherMount);
      assert.ok(twin, `the twin is not listed (rows: ${rows.map((c) => c.id).join(', ')})`);
      assert.match(twin.id, new RegExp(`^posix-sem:mount/\\d+:\\d+:${theirs.ino}$`));
      assert.deepEqual(twin.endpoints.map((e) => e.pid), [theirs.pid]);
      // through its holder's mapping (the addon's /proc/PID/mem read), not by its name here (root's: 3)
      assert.equal(twin.value, opts?.useNative === false ? null : 7, 'its own value, through the mapping');
    });
  }

  it('peek reads each one its own value (the twin through its holder’s mapping); remove refuses the twin', { skip: loadNative().addon ? false : 'native addon not built' }, async () => {
    const snap = await takeSnapshot({ kinds: ['posix-sem'] });
    const twin = sems(snap).find((c) => c.otherMount)!;
    const ours = sems(snap).find((c) => c.id === `posix-sem:${SEM}`)!;
    assert.equal(((await peekChannel(twin, snap.processes)) as SemaphoresPeek).semaphores[0].value, 7);
    assert.equal(((await peekChannel(ours, snap.processes)) as SemaphoresPeek).semaphores[0].value, 3);
    await assert.rejects(removeObject(twin), (e: { code?: string }) => e.code === 'ENOTSUP');
    assert.ok(fs.existsSync(`/dev/shm/sem.${SEM}`), "root's semaphore is still there");
  });
});
