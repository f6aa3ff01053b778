// POSIX message queue names another user chooses to hide a queue or to aim our actions at another
// one: bytes that are not UTF-8. `q\xff` and `q\xfe` both decode to `q\ufffd` — which is also a
// valid name of its own, here a decoy queue of root's. The snapshot must list each of the
// attacker's queues as its own channel (an id of its bytes, `posix-mq:bytes/HEX`) with its own
// holder, on every fd walk, with /dev/mqueue mounted or not (the test layers run both); the
// decoy stays a channel of its own with its own holders; a queue the attacker mq_unlink-ed while
// holding it shows once, apart from a new queue given its old name; and peek (mq_getattr, the
// /dev/mqueue file), remove (unlink) reach the attacker's queue by its bytes, never the decoy
// named with the text shown. The attacker is nobody (uid 65534, fixtures/attacker.c `mq-hold`),
// queue i holding i+1 messages so a count tells which queue was read.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/mqueueNames.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { PosixMqChannel, Snapshot } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, removeObject } from '../../src/core/actions';
import { shownChannel } from '../../src/core/format';
import { compileTools, runAttacker, type Attacker, type Tools } from './hostile';

const tag = `ipcmqn-${process.pid}-${randomBytes(3).toString('hex')}`;
// the attacker's names, as bytes (fixtures/attacker.c takes them in hex)
const BAD = Buffer.concat([Buffer.from(`${tag}-q`), Buffer.from([0xff])]);
const BAD2 = Buffer.concat([Buffer.from(`${tag}-q`), Buffer.from([0xfe])]);
const GONE = Buffer.from(`${tag}-gone`);
/** What both bad names read as, and the decoy's real (UTF-8) name. */
const SHOWN = `${tag}-q\ufffd`;
const idOf = (raw: Buffer) => `posix-mq:bytes/${raw.toString('hex')}`;

const noNative = loadNative().addon ? false : 'native addon not built (mq_getattr)';
const skip = process.geteuid?.() !== 0 ? 'needs root to run an attacker as nobody' : false;

describe('POSIX queues whose names are not UTF-8, beside a decoy named with the text they show', { skip }, () => {
  let tools: Tools;
  let attacker: Attacker;
  let attackerFds: number[] = [];
  const fixtures: Fixture[] = [];
  let decoy: Fixture;
  let reborn: Fixture;

  before(async () => {
    tools = await compileTools();
    attacker = runAttacker(tools, ['mq-hold', BAD.toString('hex'), BAD2.toString('hex'), GONE.toString('hex')]);
    attackerFds = (JSON.parse(await attacker.next('the attacker queues')) as { fds: number[] }).fds;
    attacker.send('unlink 2');
    assert.equal(await attacker.next('the unlink'), 'unlinked');
    // root's queues: one named with exactly the text shown for the attacker's (5 messages), and a
    // new queue under the unlinked one's name (4 messages; the unlinked one has 3)
    decoy = await makeFixture('posix-mq', { name: SHOWN, count: 5 });
    fixtures.push(decoy);
    reborn = await makeFixture('posix-mq', { name: GONE.toString(), count: 4 });
    fixtures.push(reborn);
  });
  after(async () => {
    if (attacker && attacker.child.exitCode === null) {
      const gone = new Promise((r) => attacker.child.once('exit', r));
      attacker.child.stdin!.end(); // it mq_unlinks its queues at EOF
      await gone;
    }
    await closeAll(fixtures);
    if (tools) fs.rmSync(tools.dir, { recursive: true, force: true });
  });

  const ours = (snap: Snapshot) => snap.channels.filter((c): c is PosixMqChannel => c.kind === 'posix-mq' && c.name.startsWith(tag));
  const holders = (c: PosixMqChannel) => c.endpoints.map((e) => `${e.pid}/${e.fd}/${e.mode}`).sort();
  const fixtureHolders = (fx: Fixture) => [`${fx.info.writer.pid}/${fx.info.writer.fd}/w`, `${fx.info.reader.pid}/${fx.info.reader.fd}/r`].sort();

  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, noNative],
    ['TypeScript walk, no addon', { useNative: false }, false],
  ];
  for (const [way, opts, skipWay] of ways) {
    it(`each queue once, with its own id and holders (${way})`, { skip: skipWay }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['posix-mq'], pids: [attacker.child.pid!, ...decoy.pids, ...reborn.pids] });
      const mounted = snap.capabilities.mqueueMounted;
      const counted = opts?.useNative !== false; // mq_getattr needs the addon
      const pid = attacker.child.pid!;
      const byId = new Map(ours(snap).map((c) => [c.id, c]));
      assert.equal(byId.size, ours(snap).length, 'no id twice');
      const deleted = ours(snap).filter((c) => c.deleted);
      assert.deepEqual(
        [...byId.keys()].filter((id) => !id.startsWith('posix-mq:deleted/')).sort(),
        [idOf(BAD), idOf(BAD2), `posix-mq:${SHOWN}`, `posix-mq:${GONE}`].sort(),
        `both of the attacker's queues by their bytes, the decoy and the new queue by name (/dev/mqueue ${mounted ? 'mounted' : 'not mounted'})`,
      );
      for (const [raw, i] of [[BAD, 0], [BAD2, 1]] as const) {
        const c = byId.get(idOf(raw))!;
        assert.equal(c.name, SHOWN, 'shown with U+FFFD');
        assert.equal(c.deleted, false);
        assert.deepEqual(holders(c), [`${pid}/${attackerFds[i]}/rw`], `${idOf(raw)}: only its own holder's fd`);
        assert.equal(c.messages, counted ? i + 1 : null, `${idOf(raw)}: its own count (mq_getattr of its bytes), not the decoy's 5`);
        if (mounted) {
          assert.equal(c.bytes, 8 * (i + 1), `${idOf(raw)}: QSIZE from its own /dev/mqueue file`);
          assert.equal(c.owner, 'nobody');
        }
      }
      const d = byId.get(`posix-mq:${SHOWN}`)!;
      assert.deepEqual(holders(d), fixtureHolders(decoy), "the decoy: root's holders only");
      assert.equal(d.messages, counted ? 5 : null);
      if (mounted) assert.equal(d.owner, 'root');
      assert.deepEqual(
        deleted.map((c) => [c.name, holders(c)]),
        [[GONE.toString(), [`${pid}/${attackerFds[2]}/rw`]]],
        'the unlinked queue: once, deleted, with the fd that holds it',
      );
      assert.deepEqual([deleted[0].messages, deleted[0].bytes], [counted ? 3 : null, null], 'its own count through the fd that holds it (its name now names another queue, with 4); no file to read its bytes from');
      const r = byId.get(`posix-mq:${GONE}`)!;
      assert.deepEqual(holders(r), fixtureHolders(reborn), 'the new queue under that name: its own holders');
      assert.equal(r.messages, counted ? 4 : null);
    });
  }

  it('peek reads the queue by its bytes, not the decoy; a deleted one through the fd that holds it, and not once that fd names another file', { skip: noNative }, async () => {
    const snap = await takeSnapshot({ kinds: ['posix-mq'], pids: [attacker.child.pid!] });
    const bad2 = ours(snap).find((c) => c.id === idOf(BAD2));
    assert.ok(bad2);
    const seen = await peekChannel(bad2, snap.processes);
    assert.equal(seen.type, 'mq-attributes');
    if (seen.type !== 'mq-attributes') return;
    assert.equal(seen.messages, 2, "mq_getattr reached the attacker's second queue (2 messages), not the decoy (5)");
    if (snap.capabilities.mqueueMounted) assert.equal(seen.bytes, 16, 'and its /dev/mqueue file (QSIZE 16)');
    const gone = ours(snap).find((c) => c.deleted);
    assert.ok(gone);
    const g = await peekChannel(gone, snap.processes);
    assert.equal(g.type === 'mq-attributes' ? g.messages : 'not mq', 3, 'its own count (3), read through the fd that holds it, not under its old name (now the new queue: 4)');
    assert.match(g.type === 'mq-attributes' ? g.method : '', new RegExp(`pidfd_getfd\\(${attacker.child.pid}, fd ${attackerFds[2]}\\)`));
    // the holder puts another file on that fd: its fdinfo no longer names the queue, so it is not duplicated
    attacker.send('swap 2');
    assert.equal(await attacker.next('the swap'), 'swapped');
    const after = await peekChannel(gone, snap.processes);
    assert.equal(after.type === 'mq-attributes' ? after.messages : 'not mq', null, 'nothing read through a swapped fd');
    assert.ok(after.notes.some((n) => /ESTALE/.test(n)), after.notes.join('; '));
  });

  it('remove unlinks the queue by its bytes and leaves the decoy named with the text shown', async () => {
    const snap = await takeSnapshot({ kinds: ['posix-mq'], pids: [attacker.child.pid!] });
    const bad = ours(snap).find((c) => c.id === idOf(BAD));
    assert.ok(bad);
    // the removal unlinks in a mount of the same IPC namespace's queues of our own, so it runs with
    // /dev/mqueue mounted or not, and /dev stays as it is for everyone else
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-mq-names-'));
    const mnt = path.join(root, 'mqueue');
    fs.mkdirSync(mnt);
    execFileSync('mount', ['-t', 'mqueue', 'none', mnt]);
    try {
      const r = await removeObject(bad, { devRoot: root });
      const left = fs.readdirSync(mnt, { encoding: 'buffer' }).filter((n) => n.toString().startsWith(tag)).map((n) => n.toString('hex'));
      assert.deepEqual(
        left.sort(),
        [BAD2, Buffer.from(SHOWN), GONE].map((b) => b.toString('hex')).sort(),
        `${r.action}: the attacker's first queue is gone; its second, the decoy and the new queue are there`,
      );
      const again = await takeSnapshot({ kinds: ['posix-mq'], pids: [attacker.child.pid!, ...decoy.pids] });
      const now = ours(again);
      assert.ok(!now.some((c) => c.id === idOf(BAD)), 'no longer listed by its name');
      assert.deepEqual(
        now.filter((c) => c.deleted && c.endpoints.some((e) => e.fd === attackerFds[0])).map((c) => holders(c)),
        [[`${attacker.child.pid}/${attackerFds[0]}/rw`]],
        'still held by the attacker: listed once, as deleted',
      );
      assert.deepEqual(holders(now.find((c) => c.id === `posix-mq:${SHOWN}`)!), fixtureHolders(decoy), 'the decoy is untouched');
    } finally {
      execFileSync('umount', [mnt]);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

// A queue whose name is not UTF-8, mq_unlink-ed while its holder keeps it: known by that fd alone
// (`posix-mq:deleted/DEV:INODE`), it keeps its name's bytes (nameBytes) as a deleted /dev/shm object
// does, so that views show `q\xff\xfe`, not the U+FFFD text any other name may share.
describe('a deleted POSIX queue whose name is not UTF-8: its bytes kept', { skip }, () => {
  const dtag = `ipcmqd-${process.pid}-${randomBytes(3).toString('hex')}`;
  const RAW = Buffer.concat([Buffer.from(`${dtag}-delbad-`), Buffer.from([0xff, 0xfe])]);
  let tools: Tools;
  let attacker: Attacker;
  before(async () => {
    tools = await compileTools();
    attacker = runAttacker(tools, ['mq-hold', RAW.toString('hex')]);
    await attacker.next('the attacker queue');
    attacker.send('unlink 0');
    assert.equal(await attacker.next('the unlink'), 'unlinked');
  });
  after(async () => {
    if (attacker && attacker.child.exitCode === null) {
      const gone = new Promise((r) => attacker.child.once('exit', r));
      attacker.child.stdin!.end();
      await gone;
    }
    if (tools) fs.rmSync(tools.dir, { recursive: true, force: true });
  });
  for (const [way, opts, skipWay] of [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, noNative],
    ['TypeScript walk, no addon', { useNative: false }, false],
  ] as Array<[string, Parameters<typeof takeSnapshot>[0], string | false]>) {
    it(`listed deleted, with its name's bytes; shown by them (${way})`, { skip: skipWay }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['posix-mq'], pids: [attacker.child.pid!] });
      const q = snap.channels.filter((c): c is PosixMqChannel => c.kind === 'posix-mq' && c.name.startsWith(dtag));
      assert.deepEqual(q.map((c) => [c.deleted, c.name, c.nameBytes]), [[true, `${dtag}-delbad-\ufffd\ufffd`, RAW.toString('hex')]]);
      assert.equal(shownChannel(q[0]).name, `${dtag}-delbad-\\xff\\xfe`);
    });
  }
});
