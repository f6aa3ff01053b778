// Paging a pipe and a Unix stream socket past the first 64 KiB, as the inspector's Next does:
// a pipe enlarged to 256 KiB (F_SETPIPE_SZ) and a socket receive queue of 256 KiB, each filled
// with bytes that say where they are (every 4-byte word is its own index, big-endian), peeked at
// offset 128 KiB. The bytes must be those at 128 KiB, the total the whole queue, and nothing
// consumed: the holder reads every byte afterwards, in order.
import { describe, it, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { queueHolder, SIZE, words, type QueueHolder } from './queueHolder';

const native = loadNative().addon;
const skip = !native ? `native addon not loaded (${loadNative().error})` : false;
const OFFSET = 128 * 1024;
const PAGE = 64 * 1024;
const held: QueueHolder[] = [];
after(() => held.forEach((h) => h.kill()));

describe('paging a pipe and a Unix socket past 64 KiB, nothing consumed', { skip }, () => {
  for (const kind of ['pipe', 'unix'] as const) {
    it(`${kind}: ${SIZE / 1024} KiB queued, a page at ${OFFSET / 1024} KiB is the bytes at ${OFFSET / 1024} KiB; the holder still reads all ${SIZE / 1024} KiB`, async () => {
      const h = await queueHolder(kind);
      held.push(h);
      const snap = await takeSnapshot({ kinds: [kind], oneShot: true });
      const ch = snap.channels.find((c) => 'inode' in c && c.inode === h.inode);
      assert.ok(ch, `${kind} ${h.inode} listed`);
      const at = async (offset: number) => (await peekChannel(ch, snap.processes, { offset, maxBytes: PAGE })) as BytesPeek;
      const first = await at(0);
      assert.equal(first.total, SIZE, 'the whole queue is counted');
      assert.ok(first.data.equals(words(0, PAGE)), 'the first page');
      assert.equal(first.truncated, true);
      const mid = await at(OFFSET);
      assert.equal(mid.offset, OFFSET);
      assert.equal(mid.total, SIZE);
      assert.equal(mid.data.length, PAGE);
      assert.ok(mid.data.equals(words(OFFSET, PAGE)), `the bytes at ${OFFSET}: got word ${mid.data.readUInt32BE(0)}, want ${OFFSET / 4}`);
      assert.equal(mid.truncated, true, 'more after this page');
      const last = await at(SIZE - PAGE);
      assert.ok(last.data.equals(words(SIZE - PAGE, PAGE)), 'the last page');
      assert.equal(last.truncated, false, 'nothing after the last page');
      const past = await at(SIZE);
      assert.equal(past.data.length, 0, 'nothing past the end');
      assert.equal(past.total, SIZE);
      // nothing consumed: the holder reads every byte, in order
      const all = await h.readOut();
      assert.equal(all.length, SIZE);
      assert.ok(all.equals(words(0, SIZE)), 'the holder read what was queued, unchanged');
    });
  }
});
