// file-shm probe over captured /proc/PID/maps text: files outside /dev mapped shared by ≥ 2
// processes, one of them writable (SQLite's WAL index, journald's journals), and the maps rule that
// keeps those lines — the same in the TypeScript filter as the native walks' (path start, not /dev/).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelName } from '../../src/core/format';
import { fileShmChannels } from '../../src/core/probes/fileShm';
import { mapHoldersOf } from '../../src/core/probes/maps';
import { filterMaps } from '../../src/core/parsers/procPid';
import { walkRulesFor } from '../../src/core/kinds';
import { CHANNEL_KINDS } from '../../src/core/model';
import { FILE_SHM_MAPS } from '../../src/core/kinds/fileShm';
import * as fs from 'node:fs';
import * as path from 'node:path';

const line = (range: string, perms: string, dev: string, inode: number, path: string) => `${range} ${perms} 00000000 ${dev} ${String(inode).padEnd(26)} ${path}`;

// a SQLite writer and a reader of one WAL database, journald and journalctl, a GPU client, glibc's iconv cache
const WRITER = [
  line('55d0c1a00000-55d0c1b2e000', 'r-xp', 'fe:01', 11, '/usr/bin/python3.11'),
  line('7f4b3e18b000-7f4b3e193000', 'rw-s', 'fe:00', 2198325, '/var/lib/app/db with space-shm'),
  line('7f4b3e200000-7f4b3e201000', 'r--s', 'fe:01', 77, '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache'),
  line('7f4b3e300000-7f4b3e400000', 'rw-s', '00:06', 500, '/dev/dri/renderD128'),
  line('7f4b3e500000-7f4b3e501000', 'rw-s', '00:01', 6, '/dev/zero (deleted)'),
  line('7f4b3e600000-7f4b3e601000', 'rw-s', '00:01', 7, '/SYSV0052e2c1 (deleted)'),
  line('7f4b3e700000-7f4b3e701000', 'rw-s', '00:01', 8, '/memfd:wayland (deleted)'),
  line('7f4b3e800000-7f4b3e801000', 'rw-p', 'fe:00', 9, '/var/lib/app/private.map'),
].join('\n');
const READER = [
  line('7f46f7461000-7f46f7465000', 'r--s', 'fe:00', 2198325, '/var/lib/app/db with space-shm'),
  line('7f46f7500000-7f46f7501000', 'r--s', 'fe:01', 77, '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache'),
  line('7f46f7600000-7f46f7700000', 'rw-s', '00:06', 500, '/dev/dri/renderD128'),
  line('7f46f7800000-7f46f7801000', 'rw-s', 'fe:00', 9, '/var/lib/app/private.map'),
  line('7f46f7900000-7f46f7902000', 'rw-s', 'fe:00', 31, '/run/log/journal/system.journal (deleted)'),
].join('\n');
const JOURNALCTL = line('7f0000000000-7f0000004000', 'r--s', 'fe:00', 31, '/run/log/journal/system.journal (deleted)');

test('file-shm: one channel per file mapped shared by two processes with a writer; readers alone, devices, private mappings and the other kinds are not', () => {
  const chs = fileShmChannels([
    { pid: 300, maps: JOURNALCTL },
    { pid: 200, maps: READER },
    { pid: 100, maps: WRITER },
    { pid: 400, maps: null },
  ]);
  assert.deepEqual(chs.map((c) => c.id).sort(), ['file-shm:fe:00:2198325', 'file-shm:fe:00:31']);
  const db = chs.find((c) => c.inode === 2198325)!;
  assert.equal(db.path, '/var/lib/app/db with space-shm');
  assert.equal(db.deleted, false);
  assert.equal(db.size, 0x8000, 'the largest mapping');
  assert.equal(db.writers, 1);
  assert.deepEqual(db.endpoints, [
    { pid: 100, map: '7f4b3e18b000-7f4b3e193000', mode: 'rw' },
    { pid: 200, map: '7f46f7461000-7f46f7465000', mode: 'r' },
  ]);
  const journal = chs.find((c) => c.inode === 31)!;
  assert.equal(journal.path, '/run/log/journal/system.journal');
  assert.equal(journal.deleted, true);
  assert.equal(channelName(journal), '/run/log/journal/system.journal (deleted)');
  // one process mapping it twice is not IPC
  assert.deepEqual(fileShmChannels([{ pid: 1, maps: `${line('7f00-7f01', 'rw-s', 'fe:00', 5, '/a')}\n${line('7f02-7f03', 'rw-s', 'fe:00', 5, '/a')}` }]), []);
});

test('the maps rule keeps shared lines of files outside /dev at the path start, in the TypeScript filter as in the native walks', () => {
  const rules = walkRulesFor(CHANNEL_KINDS).mapsRules;
  const kept = filterMaps(`${WRITER}\n${READER}`, rules).split('\n').map((l) => l.slice(l.indexOf(' /') + 1));
  assert.deepEqual(kept, [
    '/var/lib/app/db with space-shm',
    '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache',
    '/dev/zero (deleted)',
    '/SYSV0052e2c1 (deleted)',
    '/memfd:wayland (deleted)',
    '/var/lib/app/db with space-shm',
    '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache',
    '/var/lib/app/private.map',
    '/run/log/journal/system.journal (deleted)',
  ]);
  // `/dev/` at the path start only: a shared file whose path has ` /dev/` further on is kept
  const odd = line('7f00-7f01', 'rw-s', 'fe:00', 5, '/srv/x /dev/y');
  assert.equal(filterMaps(odd, rules), odd);
});

test('the per-process bound of shared file lines is the BPF program\'s (walk.h, kept in C too: checked here, not by hand)', () => {
  const h = fs.readFileSync(path.resolve(__dirname, '../../../native/bpf/walk.h'), 'utf8');
  const m = /#define IPCI_VMA_FILE_LINES (\d+)/.exec(h);
  assert.ok(m, 'IPCI_VMA_FILE_LINES in walk.h');
  assert.equal(FILE_SHM_MAPS[0].max, Number(m[1]));
});

test('the holders\' pass groups the file-shm and anon-shm lines with the others: the probes read each maps line once, each line goes to one kind', () => {
  const maps = [
    { pid: 300, maps: JOURNALCTL },
    { pid: 200, maps: `${READER}\n${line('7f46f7a00000-7f46f7a01000', 'rw-s', '00:1a', 12, '/dev/shm/ring')}` },
    { pid: 100, maps: WRITER },
  ];
  const h = mapHoldersOf(maps);
  // each file with its mappers, by pid in the order met; a private mapping is not a holder
  assert.deepEqual(h.sharedFiles.map((g) => [g.name, [...g.pids], g.endpoints.length]), [
    ['/run/log/journal/system.journal', [300, 200], 2],
    ['/var/lib/app/db with space-shm', [200, 100], 2],
    ['/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache', [200, 100], 2],
    ['/var/lib/app/private.map', [200], 1],
  ]);
  assert.deepEqual(h.sharedFiles[1].endpoints, [{ pid: 200, map: '7f46f7461000-7f46f7465000', mode: 'r' }, { pid: 100, map: '7f4b3e18b000-7f4b3e193000', mode: 'rw' }]);
  // unnamed shmem to the anon-shm holders, as anonShmName names it
  assert.deepEqual(h.anonShm.map((g) => [g.name, g.dev, g.inode, [...g.pids]]), [['/dev/zero', '00:01', 6, [100]], ['memfd:wayland', '00:01', 8, [100]]]);
  // in the order of their first lines; devices, private mappings and the other kinds' lines left out
  assert.deepEqual(h.sharedFiles.map((g) => g.name), ['/run/log/journal/system.journal', '/var/lib/app/db with space-shm', '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache', '/var/lib/app/private.map']);
  // the other kinds' lines went to their own holders, none of them to the files
  assert.equal(h.devShm.get('ring')?.length, 1);
  assert.equal(h.sysvByInode.get(7)?.length, 1);
  assert.ok(h.sharedFiles.every((g) => !g.name.startsWith('/dev/') && !g.name.startsWith('/SYSV') && !g.name.startsWith('/memfd:')));
});
