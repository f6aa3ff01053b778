// anon-shm probe over captured /proc/PID/maps text: shared unnamed shmem (MAP_SHARED|MAP_ANONYMOUS
// `/dev/zero (deleted)`, shared hugetlb `/anon_hugepage (deleted)`, memfds) mapped by ≥ 2 processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelName } from '../../src/core/format';
import { anonShmChannels, anonShmName } from '../../src/core/probes/anonShm';
import { filterMaps } from '../../src/core/parsers/procPid';
import { KINDS, walkRulesFor } from '../../src/core/kinds';
import { CHANNEL_KINDS } from '../../src/core/model';

const ANON = KINDS['anon-shm'].maps ?? [];

// PostgreSQL postmaster and a backend (fork-inherited 143 MiB shared region), plus noise.
const PG_MASTER = [
  '55d0c1a00000-55d0c1b2e000 r-xp 00000000 08:01 1311234                    /usr/lib/postgresql/15/bin/postgres',
  '7f3a10000000-7f3a18f00000 rw-s 00000000 00:01 6                          /dev/zero (deleted)',
  '7f3a19000000-7f3a19001000 rw-p 00000000 00:05 4                          /dev/zero',
  '7f3a1a000000-7f3a1a100000 rw-s 00000000 00:01 99                         /memfd:lonely (deleted)',
  '7f3a1b000000-7f3a1b002000 rw-s 00000000 00:01 7                          /SYSV0052e2c1 (deleted)',
  '7ffd0a000000-7ffd0a021000 rw-p 00000000 00:00 0                          [stack]',
].join('\n');
const PG_BACKEND = [
  '7f3a10000000-7f3a18f00000 rw-s 00000000 00:01 6                          /dev/zero (deleted)',
  '7f3a19000000-7f3a19001000 rw-p 00000000 00:05 4                          /dev/zero',
  '7f3a1b000000-7f3a1b002000 rw-s 00000000 00:01 7                          /SYSV0052e2c1 (deleted)',
].join('\n');

test('anon-shm: shared /dev/zero in two pids is one channel with 2 endpoints; private /dev/zero ignored', () => {
  const chs = anonShmChannels([
    { pid: 200, maps: PG_BACKEND },
    { pid: 100, maps: PG_MASTER },
  ]);
  assert.equal(chs.length, 1);
  const ch = chs[0];
  assert.equal(ch.id, 'anon-shm:00:01:6');
  assert.equal(ch.kind, 'anon-shm');
  assert.equal(ch.name, '/dev/zero');
  assert.equal(ch.dev, '00:01');
  assert.equal(ch.inode, 6);
  assert.equal(ch.size, 0x8f00000);
  assert.deepEqual(ch.endpoints, [
    { pid: 100, map: '7f3a10000000-7f3a18f00000', mode: 'rw' },
    { pid: 200, map: '7f3a10000000-7f3a18f00000', mode: 'rw' },
  ]);
});

test('anon-shm: a private rw-p /dev/zero line shared by inode is still ignored', () => {
  const line = '7f3a19000000-7f3a19001000 rw-p 00000000 00:01 6 /dev/zero (deleted)';
  assert.equal(filterMaps(line, ANON), '');
  assert.deepEqual(anonShmChannels([{ pid: 1, maps: line }, { pid: 2, maps: line }]), []);
});

test('anon-shm: a memfd mapped by one process (even twice) is not a channel', () => {
  const m = [
    '7f0000000000-7f0000100000 rw-s 00000000 00:01 55 /memfd:wayland-shm (deleted)',
    '7f0000200000-7f0000300000 r--s 00000000 00:01 55 /memfd:wayland-shm (deleted)',
  ].join('\n');
  assert.deepEqual(anonShmChannels([{ pid: 7, maps: m }]), []);
});

test('anon-shm: memfd between two processes; size is the largest mapping, mode from perms', () => {
  const a = '7f0000000000-7f0000100000 rw-s 00000000 00:01 55 /memfd:wayland-shm (deleted)';
  const b = '7e0000000000-7e0000040000 r--s 00000000 00:01 55 /memfd:wayland-shm (deleted)';
  const [ch] = anonShmChannels([{ pid: 10, maps: a }, { pid: 11, maps: b }]);
  assert.equal(ch.name, 'memfd:wayland-shm');
  assert.equal(ch.size, 0x100000);
  assert.deepEqual(ch.endpoints.map((e) => [e.pid, e.mode]), [[10, 'rw'], [11, 'r']]);
});

test('anon-shm: shared hugetlb anonymous mapping', () => {
  const l = '7f2000000000-7f2040000000 rw-s 00000000 00:0f 1234 /anon_hugepage (deleted)';
  const [ch] = anonShmChannels([{ pid: 1, maps: l }, { pid: 2, maps: l }]);
  assert.equal(ch.id, 'anon-shm:00:0f:1234');
  assert.equal(ch.name, 'anon_hugepage');
  assert.equal(ch.size, 0x40000000);
});

test('anon-shm: same inode on different devices are different channels', () => {
  const x = '7f0000000000-7f0000001000 rw-s 00000000 00:01 9 /dev/zero (deleted)';
  const y = '7f0000000000-7f0000001000 rw-s 00000000 00:0f 9 /anon_hugepage (deleted)';
  const chs = anonShmChannels([{ pid: 1, maps: x + '\n' + y }, { pid: 2, maps: x }, { pid: 3, maps: y }]);
  assert.deepEqual(chs.map((c) => c.id).sort(), ['anon-shm:00:01:9', 'anon-shm:00:0f:9']);
});

test('anon-shm: hostile memfd names stay data (spaces, fake (deleted), markup, escaped newline)', () => {
  const names = ['a b  c', 'x (deleted)', '<img src=x onerror=alert(1)>', 'evil\\012line', ' /dev/zero', '‮rtl'];
  let ino = 100;
  for (const n of names) {
    const l = `7f0000000000-7f0000002000 rw-s 00000000 00:01 ${ino} /memfd:${n} (deleted)`;
    assert.equal(filterMaps(l, ANON), l);
    const [ch] = anonShmChannels([{ pid: 1, maps: l }, { pid: 2, maps: l }]);
    assert.equal(ch.name, 'memfd:' + n);
    assert.equal(ch.id, `anon-shm:00:01:${ino}`);
    assert.ok(!/[\u0000-\u001f\u007f\u202e]/.test(channelName(ch)), channelName(ch));
    ino++;
  }
  // a regular file literally named like one is not unnamed shmem unless deleted and shared
  assert.equal(anonShmName('/memfdx'), null);
  assert.deepEqual(anonShmChannels([{ pid: 1, maps: '7f00-7f01 rw-s 0 08:01 5 /memfd:real-file' }, { pid: 2, maps: '7f00-7f01 rw-s 0 08:01 5 /memfd:real-file' }]), []);
});

test('filterMaps keeps shared unnamed shmem and drops private /dev/zero', () => {
  const kept = filterMaps(PG_MASTER, walkRulesFor(CHANNEL_KINDS).mapsRules).split('\n');
  assert.deepEqual(
    kept.map((l) => l.split(/\s+/).slice(-2).join(' ')),
    ['/dev/zero (deleted)', '/memfd:lonely (deleted)', '/SYSV0052e2c1 (deleted)'],
  );
});
