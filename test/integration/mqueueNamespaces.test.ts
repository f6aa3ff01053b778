// POSIX message queues of another IPC namespace (a container's, or any user's: unprivileged user
// namespaces come with IPC namespaces of their own) named exactly like one of this namespace's.
// Each IPC namespace has its own queues, so the two are different queues; joined by name, the
// other's holders were listed as holders of root's queue, with root's counts, and a peek, receive
// or remove of that row reached root's queue. The attacker is nobody in its own user and IPC
// namespace (`unshare --user --map-root-user --ipc`, fixtures/attacker.c `mq-hold`: one message); root's queue
// holds five. Every fd walk, with /dev/mqueue mounted or not (the test layers run both).
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/mqueueNamespaces.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { PosixMqChannel, Snapshot } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, receivePosixMq, removeObject } from '../../src/core/actions';
import { ActivityMonitor } from '../../src/core/activity/monitor';
import { compileTools, ownNamespacesSkip, runAttackerInNamespaces, stopAttacker, type Attacker, type Tools } from './hostile';

const NAME = `ipcmqns-${process.pid}-${randomBytes(3).toString('hex')}`;
const noNative = loadNative().addon ? false : 'native addon not built (mq_getattr)';
const skip = ownNamespacesSkip(['--ipc']);

describe('a queue of another IPC namespace named like one of ours', { skip }, () => {
  let tools: Tools;
  let attacker: Attacker;
  let attackerPid: number;
  let attackerFd: number;
  let root: Fixture | undefined;

  before(async () => {
    tools = await compileTools();
    attacker = runAttackerInNamespaces(tools, ['--ipc'], ['mq-hold', Buffer.from(NAME).toString('hex')]);
    attackerPid = attacker.child.pid!;
    attackerFd = (JSON.parse(await attacker.next('the attacker queue')) as { fds: number[] }).fds[0];
    root = await makeFixture('posix-mq', { name: NAME, count: 5 });
  });
  after(async () => {
    await stopAttacker(attacker); // it mq_unlinks its queue at EOF
    await closeAll([root]);
    if (tools) fs.rmSync(tools.dir, { recursive: true, force: true });
  });

  const ours = (snap: Snapshot) => snap.channels.filter((c): c is PosixMqChannel => c.kind === 'posix-mq' && c.name === NAME);
  const holders = (c: PosixMqChannel) => c.endpoints.map((e) => `${e.pid}/${e.fd}`).sort();
  const rootHolders = () => [`${root!.info.writer.pid}/${root!.info.writer.fd}`, `${root!.info.reader.pid}/${root!.info.reader.fd}`].sort();

  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, noNative],
    ['TypeScript walk, no addon', { useNative: false }, false],
  ];
  for (const [way, opts, skipWay] of ways) {
    it(`two queues, each with its own holders and counts (${way})`, { skip: skipWay }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['posix-mq'], pids: [attackerPid, ...root!.pids] });
      const mounted = snap.capabilities.mqueueMounted ? 'mounted' : 'not mounted';
      const rows = ours(snap);
      assert.equal(rows.length, 2, `one row per namespace's queue (/dev/mqueue ${mounted}): ${JSON.stringify(rows)}`);
      const mine = rows.find((c) => c.id === `posix-mq:${NAME}`);
      const other = rows.find((c) => c.id !== `posix-mq:${NAME}`);
      assert.ok(mine && other);
      assert.deepEqual(holders(mine), rootHolders(), "root's queue: root's holders only");
      assert.equal(mine.otherNamespace, false);
      assert.equal(mine.messages, opts?.useNative === false ? null : 5, "root's count");
      assert.match(other.id, /^posix-mq:ns\/\d+:\d+\//);
      assert.equal(other.otherNamespace, true);
      assert.deepEqual(holders(other), [`${attackerPid}/${attackerFd}`], "the attacker's queue: its holder only");
      // its own counts, through its holder's fd (its name here is root's queue, which has 5); the
      // file's facts (bytes, owner) stay unknown: no name of ours reaches its file
      assert.deepEqual([other.messages, other.maxMessages === null, other.bytes, other.owner], [opts?.useNative === false ? null : 1, opts?.useNative === false, null, null], JSON.stringify(other));
    });
  }

  it("the other namespace's queue alone (no queue of ours held to tell our queue filesystem by): told by its holder's IPC namespace", async () => {
    const snap = await takeSnapshot({ kinds: ['posix-mq'], pids: [attackerPid] });
    const rows = ours(snap);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.match(rows[0].id, /^posix-mq:ns\/\d+:\d+\//);
    assert.equal(rows[0].otherNamespace, true);
  });

  it("peek reads the other namespace's queue through its holder's fd; receive and remove refuse it; root's queue keeps its five messages", { skip: noNative }, async () => {
    const snap = await takeSnapshot({ kinds: ['posix-mq'], pids: [attackerPid] });
    const other = ours(snap).find((c) => c.otherNamespace);
    assert.ok(other, 'the attacker queue is listed');
    const seen = await peekChannel(other, snap.processes);
    assert.equal(seen.type, 'mq-attributes');
    if (seen.type !== 'mq-attributes') return;
    assert.equal(seen.messages, 1, "its own count, read through the attacker's fd (root's queue, by that name, has 5)");
    assert.match(seen.method, new RegExp(`pidfd_getfd\\(${attackerPid}, fd ${attackerFd}\\) \\+ mq_getattr`));
    assert.ok(seen.notes.some((n) => /another IPC namespace/.test(n)), seen.notes.join('; '));
    await assert.rejects(receivePosixMq(other), (e: { code?: string }) => e.code === 'ENOTSUP');
    await assert.rejects(removeObject(other), (e: { code?: string }) => e.code === 'ENOTSUP');
    const after = ours(await takeSnapshot({ kinds: ['posix-mq'], pids: root!.pids })).find((c) => c.id === `posix-mq:${NAME}`);
    assert.equal(after?.messages, 5, "root's queue untouched");
  });
  // last: it adds three messages to the attacker's queue
  it("live activity counts the other namespace's queue traffic on its own row, never root's", { skip: loadBpf().addon ? false : 'BPF addon not built (the tracer)' }, async () => {
    const monitor = new ActivityMonitor();
    try {
      const cap = await monitor.start();
      assert.equal(cap.source, 'bpf', `the tracer did not start: ${cap.reason}`);
      const pids = [attackerPid, ...root!.pids];
      await monitor.sample(await takeSnapshot({ kinds: ['posix-mq'], pids }));
      attacker.send('send 0 3');
      assert.equal(await attacker.next('sent'), 'sent');
      const snap = await takeSnapshot({ kinds: ['posix-mq'], pids });
      const other = ours(snap).find((c) => c.otherNamespace)!;
      const sample = await monitor.sample(snap);
      assert.deepEqual(sample.channels[other.id]?.sent, { bytes: 24, ops: 3 }, `counted on ${other.id} (channels: ${Object.keys(sample.channels).join(', ')}; unmatched ${JSON.stringify(sample.unmatched)})`);
      assert.equal(sample.channels[`posix-mq:${NAME}`], undefined, "root's queue of that name saw no traffic");
    } finally {
      await monitor.stop();
    }
  });

});
