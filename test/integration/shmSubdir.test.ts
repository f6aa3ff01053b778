// A file under a subdirectory of /dev/shm, held open and mapped shared by two processes of another
// user: shared memory no POSIX name reaches (shm_open names have no `/`), which lsof lists and the
// top-level listing of /dev/shm does not. It is `posix-shm:file/DEV:INODE` with both holders on
// both fd walks, read through a mapping (never opened by its path: the directories are the
// attacker's), not removable — and directories named like our own id forms (`deleted`, `sem.x`)
// make it neither an unlinked object nor a semaphore.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/shmSubdir.test.js
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { PosixShmChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { isRemovable } from '../../src/core/actions/remove';
import { compileTools, runAttacker, stopAttacker } from './hostile';

const top = `/dev/shm/sem.ipci-sub-${process.pid}`;
after(() => fs.rmSync(top, { recursive: true, force: true }));

const skip = process.getuid?.() !== 0 ? 'needs root (the file is another user\'s)' : spawnSync('sh', ['-c', 'command -v cc']).status !== 0 ? 'needs cc' : false;

describe('a shared memory file under a subdirectory of /dev/shm', { skip }, () => {
  it('is posix-shm:file/DEV:INODE with its holder fd and both mappings, the same on both walks, read through a mapping, not removable', async () => {
    const file = `${top}/deleted/1:2:3`;
    const a = runAttacker(await compileTools(), ['shm-subdir', file]);
    try {
      const made = JSON.parse(await a.next('the shm-subdir line')) as { pid: number; child: number; fd: number; inode: number };
      const st = fs.statSync(file);
      assert.equal(st.ino, made.inode);
      const dev = `${Math.floor(st.dev / 256) & 0xfff}:${(st.dev & 0xff) | ((st.dev >> 12) & 0xfff00)}`;
      const seen: PosixShmChannel[] = [];
      for (const walk of ['proc', 'bpf-iter', undefined] as const) {
        const snap = await takeSnapshot({ kinds: ['posix-shm', 'posix-sem'], ...(walk ? { walk } : {}) });
        const mine = snap.channels.filter((c) => c.endpoints.some((e) => e.pid === made.pid || e.pid === made.child));
        assert.equal(mine.length, 1, `${walk}: one channel, not a semaphore or an unlinked object: ${mine.map((c) => c.id).join(', ')}`);
        const ch = mine[0] as PosixShmChannel;
        assert.equal(ch.id, `posix-shm:file/${dev}:${made.inode}`, walk);
        assert.equal(ch.kind, 'posix-shm');
        assert.equal(ch.name, file.slice('/dev/shm/'.length));
        assert.equal(ch.subdir, true);
        assert.equal(ch.deleted, false);
        assert.equal(ch.otherMount, undefined);
        assert.equal(ch.size, 4096, 'the file\'s size, read through a holder');
        assert.deepEqual(
          ch.endpoints.map((e) => `${e.pid}/${e.fd ?? 'map'}`).sort(),
          [`${made.pid}/${made.fd}`, `${made.pid}/map`, `${made.child}/${made.fd}`, `${made.child}/map`].sort(),
          `${walk}: the fd and the mapping of both processes`,
        );
        assert.equal(isRemovable(ch), false, 'not removed through directories its creator controls');
        if (walk === 'bpf-iter' && snap.capabilities.walk?.backend !== 'bpf-iter') continue; // (no BPF here: the /proc walk answered)
        seen.push({ ...ch, endpoints: [...ch.endpoints].sort((x, y) => x.pid - y.pid || (x.fd ?? -1) - (y.fd ?? -1)) });
        if (loadNative().addon) {
          const r = (await peekChannel(ch, snap.processes, { maxBytes: 26 })) as BytesPeek;
          assert.equal(r.data.toString(), 'subdir-bytes-subdir-bytes-');
          assert.match(r.method, /^pread\(\/proc\/\d+\/mem\) of the mapping /, 'through a mapping, not by its path');
        }
      }
      for (const ch of seen.slice(1)) assert.deepEqual(ch, seen[0], 'the walks agree');
    } finally {
      await stopAttacker(a);
    }
  });
});
