// anon-shm probe over captured /proc/PID/maps text: shared unnamed shmem (MAP_SHARED|MAP_ANONYMOUS
// `/dev/zero (deleted)`, shared hugetlb `/anon_hugepage (deleted)`, memfds) mapped by ≥ 2 processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelName } from '../../src/core/format';
import { anonShmChannels, memfdLinkName } from '../../src/core/probes/anonShm';
import { anonShmName } from '../../src/core/kinds/anonShm';
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

test('anon-shm: a memfd held through fds joins its mappers by dev:inode; fd holders count toward the two processes', () => {
  const map = '7f0000000000-7f0000002000 rw-s 00000000 00:01 61 /memfd:p7ring (deleted)';
  // the creator holds it as fd 3 only (writes with pwrite); the child maps it: a channel of one fd and one mapping
  const [ch] = anonShmChannels([{ pid: 11, maps: map }], [{ dev: '00:01', inode: 61, name: 'memfd:p7ring', endpoints: [{ pid: 10, fd: 3, mode: 'rw' }] }]);
  assert.equal(ch.id, 'anon-shm:00:01:61');
  assert.equal(ch.name, 'memfd:p7ring');
  assert.equal(ch.size, 0x2000);
  assert.deepEqual(ch.endpoints, [{ pid: 10, fd: 3, mode: 'rw' }, { pid: 11, map: '7f0000000000-7f0000002000', mode: 'rw' }]);
  // held by fds alone (a server's pool before a client maps it): a channel with no size
  const [fds] = anonShmChannels([], [{ dev: '00:01', inode: 62, name: 'memfd:pool', endpoints: [{ pid: 20, fd: 5, mode: 'rw' }, { pid: 21, fd: 9, mode: 'r' }] }]);
  assert.equal(fds.size, null);
  assert.deepEqual(fds.endpoints.map((e) => [e.pid, e.fd, e.mode]), [[20, 5, 'rw'], [21, 9, 'r']]);
  // one process holding and mapping it is no channel; nor the same inode on another device
  assert.deepEqual(anonShmChannels([{ pid: 30, maps: map }], [{ dev: '00:01', inode: 61, name: 'memfd:p7ring', endpoints: [{ pid: 30, fd: 4, mode: 'rw' }] }]), []);
  assert.deepEqual(anonShmChannels([{ pid: 11, maps: map }], [{ dev: '00:02', inode: 61, name: 'memfd:p7ring', endpoints: [{ pid: 10, fd: 3, mode: 'rw' }] }]), []);
});

test('anon-shm: a memfd fd link is `/memfd:NAME (deleted)`, matched exactly: the kernel\'s suffix is the last one', () => {
  assert.equal(memfdLinkName('/memfd:p7ring (deleted)'), 'memfd:p7ring');
  assert.equal(memfdLinkName('/memfd:x (deleted) (deleted)'), 'memfd:x (deleted)');
  assert.equal(memfdLinkName('/memfd: (deleted)'), 'memfd:');
  assert.equal(memfdLinkName('/memfd:a\nb <i>x</i> (deleted)'), 'memfd:a\nb <i>x</i>');
  for (const l of ['/memfd:live', '/memfd:(deleted)', '/memfd (deleted)', 'memfd:x (deleted)', '/dev/shm/memfd:x (deleted)', '/memfd:x (deleted)\n']) assert.equal(memfdLinkName(l), null, l);
});

test('filterMaps keeps shared unnamed shmem and drops private /dev/zero', () => {
  const kept = filterMaps(PG_MASTER, walkRulesFor(CHANNEL_KINDS).mapsRules).split('\n');
  assert.deepEqual(
    kept.map((l) => l.split(/\s+/).slice(-2).join(' ')),
    ['/dev/zero (deleted)', '/memfd:lonely (deleted)', '/SYSV0052e2c1 (deleted)'],
  );
});
