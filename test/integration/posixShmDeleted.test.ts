// POSIX shared memory unlinked while still held and mapped (a creator often calls shm_unlink while
// others keep using the object; lsof shows `/dev/shm/NAME (deleted)`): it stays in the snapshot,
// marked deleted, with its holder fd and its mapping, is read through the mapping (there is no name
// to open), and is not offered for removal.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/posixShmDeleted.test.js
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { PosixShmChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { isRemovable } from '../../src/core/actions/remove';

const made: Fixture[] = [];
after(() => closeAll(made));

describe('POSIX shared memory unlinked while in use', () => {
  it('is shown marked deleted, with its holder and mapper, read through the mapping, not removable', async () => {
    const fx = await makeFixture('posix-shm', { name: `ipci-del-${process.pid}`, size: 8192 });
    made.push(fx);
    const live = (await takeSnapshot({ kinds: ['posix-shm'] })).channels.find((c) => c.id === `posix-shm:${fx.info.name}`) as PosixShmChannel | undefined;
    assert.ok(live && !live.deleted, 'listed by name first');
    fs.unlinkSync(fx.info.path as string);
    const snap = await takeSnapshot({ kinds: ['posix-shm'] });
    assert.equal(snap.channels.find((c) => c.id === `posix-shm:${fx.info.name}`), undefined, 'the name is gone');
    const ch = snap.channels.find((c): c is PosixShmChannel => c.kind === 'posix-shm' && c.deleted && c.name === fx.info.name);
    assert.ok(ch, `an unlinked posix-shm for ${fx.info.name}: ${snap.channels.filter((c) => c.kind === 'posix-shm').map((c) => c.id).join(', ')}`);
    assert.match(ch.id, new RegExp(`^posix-shm:deleted/\\d+:\\d+:${fx.info.inode}$`));
    assert.deepEqual(ch.endpoints.map((e) => e.pid).sort((a, b) => a - b), [fx.info.holder.pid, fx.info.mapper.pid].sort((a, b) => a - b));
    assert.ok(ch.endpoints.some((e) => e.fd === fx.info.holder.fd), 'the holder fd');
    assert.ok(ch.endpoints.some((e) => e.map !== undefined), 'the mapping');
    assert.equal(ch.size, 8192, 'the mapping length');
    assert.equal(ch.uid, null);
    assert.equal(isRemovable(ch), false, 'no name left to unlink');
    if (loadNative().addon) {
      const r = (await peekChannel(ch, snap.processes, { maxBytes: 26 })) as BytesPeek;
      assert.equal(r.data.toString(), 'abcdefghijklmnopqrstuvwxyz', 'read through the mapper\'s mapping');
    }
  });
});
