// POSIX shared memory unlinked while still held and mapped (a creator often calls shm_unlink while
// others keep using the object; lsof shows `/dev/shm/NAME (deleted)`): it stays in the snapshot,
// marked deleted, with its holder fd and its mapping, is read through the mapping (there is no name
// to open), and is not offered for removal. So is a named semaphore unlinked right after sem_open
// while mapped (Apache's `Mutex posixsem`, Python's multiprocessing locks): another user's here,
// held by a process and its child, its value read through a mapping and left as it was.
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
import type { PosixSemChannel } from '../../src/core/model';
import type { SemaphoresPeek } from '../../src/core/actions/peek';
import { spawnSync } from 'node:child_process';
import { compileTools, runAttacker, stopAttacker } from './hostile';

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
    assert.equal(ch.size, 8192, 'the file\'s size, read through a holder');
    assert.equal(ch.uid, null);
    assert.equal(isRemovable(ch), false, 'no name left to unlink');
    if (loadNative().addon) {
      const r = (await peekChannel(ch, snap.processes, { maxBytes: 26 })) as BytesPeek;
      assert.equal(r.data.toString(), 'abcdefghijklmnopqrstuvwxyz', 'read through the mapper\'s mapping');
    }
  });
});

const semSkip = process.getuid?.() !== 0 ? 'needs root (the semaphore is another user\'s)' : spawnSync('sh', ['-c', 'command -v cc']).status !== 0 ? 'needs cc' : false;

describe('a POSIX semaphore unlinked while mapped', { skip: semSkip }, () => {
  it('is listed as posix-sem:deleted with both holders, its value read through a mapping and left alone, not removable', async () => {
    const name = `/ipci-semdel-${process.pid}`;
    const a = runAttacker(await compileTools(), ['sem-unlinked', name, '5']);
    try {
      const made = JSON.parse(await a.next('the sem-unlinked line')) as { pid: number; child: number };
      assert.equal(fs.existsSync(`/dev/shm/sem.${name.slice(1)}`), false, 'unlinked');
      for (const walk of ['proc', undefined] as const) {
        const snap = await takeSnapshot({ kinds: ['posix-sem'], ...(walk ? { walk } : {}) });
        const ch = snap.channels.find((c): c is PosixSemChannel => c.kind === 'posix-sem' && c.endpoints.some((e) => e.pid === made.pid));
        assert.ok(ch, `${walk ?? 'default'} walk: a semaphore held by ${made.pid}: ${snap.channels.map((c) => c.id).join(', ')}`);
        assert.match(ch.id, /^posix-sem:deleted\/\d+:\d+:\d+$/);
        assert.equal(ch.deleted, true);
        assert.equal(ch.otherMount, undefined);
        assert.deepEqual([...new Set(ch.endpoints.map((e) => e.pid))].sort((x, y) => x - y), [made.pid, made.child].sort((x, y) => x - y));
        assert.ok(ch.endpoints.every((e) => e.map !== undefined));
        assert.equal(isRemovable(ch), false, 'no name left to unlink');
        assert.equal(ch.value, loadNative().addon ? 5 : null, 'the snapshot reads its value through a mapping too');
        if (loadNative().addon) {
          for (let i = 0; i < 2; i++) {
            const r = (await peekChannel(ch, snap.processes)) as SemaphoresPeek;
            assert.equal(r.type, 'semaphores');
            assert.equal(r.semaphores[0].value, 5, 'read through a holder\'s mapping, unchanged');
          }
        }
      }
    } finally {
      await stopAttacker(a);
    }
  });
});
