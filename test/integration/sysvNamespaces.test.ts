// SysV objects of another IPC namespace (a container's, or any user's: unprivileged user
// namespaces come with IPC namespaces of their own). Ids and keys are per namespace, and in its
// own namespace a user picks the next id (kernel.shm_next_id): the attacker — nobody, in its own
// user and IPC namespace (fixtures/attacker.c `sysv-hold`) — makes a segment with the shmid and
// the key of root's segment (which nothing attaches), attaches it, and a queue and a semaphore set
// under the same key. Joined by shmid or key, the attacker was listed as attaching root's segment.
// Now root's segment has no attacher, and the attacker's objects are listed as their namespace's
// (`KIND:ns/NS/ID`, `ipcns`), read from inside it, with its attach; remove refuses them and peek
// refuses the queue and the set (msgrcv, shmat and ipcrm take ids of our namespace, where that id
// is root's segment) but reads the segment through its attacher's mapping.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/sysvNamespaces.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { Channel, Snapshot, SysvShmChannel } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { describe as kindOf } from '../../src/core/kinds';
import { peekChannel, removeObject } from '../../src/core/actions';
import { compileTools, ownNamespacesSkip, runAttackerInNamespaces, stopAttacker, type Attacker, type Tools } from './hostile';

const KEY = 0x1e000000 + (process.pid % 0xffff) * 16 + Math.floor(Math.random() * 16);
const noNative = loadNative().addon ? false : 'native addon not built (lists another namespace from inside it)';
const skip = ownNamespacesSkip(['--ipc']);

describe("SysV objects of another IPC namespace with the id and key of root's", { skip }, () => {
  let tools: Tools;
  let attacker: Attacker | undefined;
  let theirs: { pid: number; shmid: number; msqid: number; semid: number };
  let root: Fixture | undefined;

  before(async () => {
    tools = await compileTools();
    root = await makeFixture('sysv-shm', { key: KEY, attach: 0 });
    attacker = runAttackerInNamespaces(tools, ['--ipc'], ['sysv-hold', String(KEY), String(root.info.shmid)]);
    theirs = JSON.parse(await attacker.next('the attacker objects'));
    assert.equal(theirs.shmid, root.info.shmid, 'the attacker got the shmid of root’s segment in its namespace');
  });
  after(async () => {
    await stopAttacker(attacker); // it removes its objects at EOF
    await closeAll([root]);
    if (tools) fs.rmSync(tools.dir, { recursive: true, force: true });
  });

  const kinds = ['sysv-shm', 'sysv-msg', 'sysv-sem'] as const;
  const ipcnsOf = (pid: number) => fs.readlinkSync(`/proc/${pid}/ns/ipc`).replace(/^ipc:\[(\d+)\]$/, '$1');
  const byId = (snap: Snapshot) => new Map<string, Channel>(snap.channels.map((c) => [c.id, c]));

  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, noNative],
  ];
  for (const [way, opts, skipWay] of ways) {
    it(`root's segment has no attacher; the attacker's objects are its namespace's (${way})`, { skip: skipWay }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: [...kinds] });
      const ns = ipcnsOf(theirs.pid);
      assert.equal(snap.processes.find((p) => p.pid === theirs.pid)?.ipcns, ns, 'the walk gave the attacker its IPC namespace');
      const ch = byId(snap);
      const mine = ch.get(`sysv-shm:${root!.info.shmid}`) as SysvShmChannel | undefined;
      assert.ok(mine, "root's segment is listed");
      assert.deepEqual(mine.endpoints, [], "nothing of ours attaches root's segment (the attacker's maps line has its shmid and key)");
      assert.equal(mine.ipcns, undefined);
      const seg = ch.get(`sysv-shm:ns/${ns}/${theirs.shmid}`) as SysvShmChannel | undefined;
      assert.ok(seg, `the attacker's segment, as its namespace's: ${[...ch.keys()].filter((k) => k.includes('ns/')).join(', ')}`);
      assert.equal(seg.ipcns, ns);
      assert.equal(seg.key, KEY);
      assert.equal(seg.attachCount, 1);
      assert.match(kindOf(seg).description(seg), new RegExp(`IPC ns ${ns}$`), 'its row says whose it is (root\'s has the same id and key)');
      assert.deepEqual(seg.endpoints.map((e) => e.pid), [theirs.pid], 'its attach is the attacker');
      const q = ch.get(`sysv-msg:ns/${ns}/${theirs.msqid}`);
      assert.ok(q && q.kind === 'sysv-msg' && q.messages === 1 && q.ipcns === ns, "the attacker's queue, with its one message");
      const s = ch.get(`sysv-sem:ns/${ns}/${theirs.semid}`);
      assert.ok(s && s.kind === 'sysv-sem' && s.ipcns === ns);
      assert.deepEqual(s.values, [7], 'its value, read inside its namespace');
    });
  }

  it("peek reads the other namespace's segment through its attacher's mapping, never by its id (root's segment of that id is untouched); its queue and set, and every remove, are refused", { skip: noNative }, async () => {
    const snap = await takeSnapshot({ kinds: [...kinds] });
    const ns = ipcnsOf(theirs.pid);
    const ch = byId(snap);
    const rootBefore = ch.get(`sysv-shm:${root!.info.shmid}`) as SysvShmChannel;
    const seg = ch.get(`sysv-shm:ns/${ns}/${theirs.shmid}`) as SysvShmChannel;
    assert.ok(seg && seg.mapDev, `the attacker's segment, with its mapping's device: ${JSON.stringify(seg)}`);
    const seen = await peekChannel(seg, snap.processes);
    assert.equal(seen.type, 'bytes');
    if (seen.type !== 'bytes') return;
    assert.equal(seen.data.subarray(0, 16).toString(), 'attacker-segment', "the attacker's bytes (root's segment of the same id is zeros)");
    assert.match(seen.method, new RegExp(`pread\\(/proc/${theirs.pid}/mem\\)`));
    for (const id of [`sysv-msg:ns/${ns}/${theirs.msqid}`, `sysv-sem:ns/${ns}/${theirs.semid}`]) {
      const c = ch.get(id);
      assert.ok(c, id);
      await assert.rejects(peekChannel(c, snap.processes), (e: { code?: string; message?: string }) => e.code === 'ENOTSUP' && /another IPC namespace/.test(e.message ?? ''), `${id}: peek`);
    }
    // without an attacher's mapping there is nothing to read it through: refused, not shmat by id
    await assert.rejects(peekChannel({ ...seg, endpoints: [] }, snap.processes), (e: { code?: string }) => e.code === 'ENOTSUP');
    for (const id of [`sysv-shm:ns/${ns}/${theirs.shmid}`, `sysv-msg:ns/${ns}/${theirs.msqid}`, `sysv-sem:ns/${ns}/${theirs.semid}`]) {
      await assert.rejects(removeObject(ch.get(id)!), (e: { code?: string }) => e.code === 'ENOTSUP', `${id}: remove`);
    }
    const again = byId(await takeSnapshot({ kinds: ['sysv-shm'] }));
    const rootAfter = again.get(`sysv-shm:${root!.info.shmid}`) as SysvShmChannel | undefined;
    assert.ok(rootAfter, "root's segment was not removed");
    assert.deepEqual([rootAfter.lastPid, rootAfter.attachCount], [rootBefore.lastPid, rootBefore.attachCount], "root's segment was never attached (shmat would have set its last pid)");
  });
});

// In an IPC namespace of its own the attacker raises kernel.msgmax (root of its user namespace
// may) and queues a message of 20 MiB between two small ones. Root peeks there (nsenter --ipc: an
// admin looking inside a container). MSG_COPY copies a message whole or refuses it (EINVAL, as for
// a removed queue), and a peek's copy of one message is capped at 16 MiB: the peek used to fail
// whole with "the object is gone or changed". Now the long message is named and skipped, the others
// shown at their positions, and nothing is consumed.
describe('a SysV message longer than the 16 MiB a peek copies (msgmax raised in its own IPC namespace)', { skip: skip || noNative || (fs.existsSync('/usr/bin/nsenter') ? false : 'nsenter (util-linux) is not installed') }, () => {
  it('is named and not copied; the messages around it are shown at their positions; nothing is consumed', async () => {
    const tools = await compileTools();
    const big = runAttackerInNamespaces(tools, ['--ipc'], ['big-msg', String(20 << 20)]);
    try {
      const { pid, msqid } = JSON.parse(await big.next('the queue with a 20 MiB message')) as { pid: number; msqid: number };
      const cli = path.join(__dirname, '..', '..', 'cli.js');
      const r = spawnSync('nsenter', [`--ipc=/proc/${pid}/ns/ipc`, process.execPath, cli, 'peek', `sysv-msg:${msqid}`, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      const peek = JSON.parse(r.stdout) as { messages: Array<{ index: number; type: number; size: number }>; notes: string[]; before: { messages: number; bytes: number }; after: { messages: number; bytes: number } };
      assert.deepEqual(peek.messages.map((m) => [m.index, m.type, m.size]), [[0, 1, 100], [2, 3, 50]]);
      assert.ok(peek.notes.some((n) => /^message 1 is longer than 16 MiB, the most a peek copies of one message, and not shown/.test(n)), peek.notes.join('\n'));
      assert.deepEqual(peek.after, peek.before, 'the queue changed under the peek');
      assert.deepEqual(peek.before, { messages: 3, bytes: 150 + (20 << 20) });
    } finally {
      await stopAttacker(big);
    }
  });
});
