// Text a process chooses that is not UTF-8 (its comm, arguments, FIFO paths): the pure helpers that
// keep its bytes (parsers/procPid cmdlineBytes, commBytes; probes/context pathHexOf; mergeWalks)
// and show them (core/text hexText, shownComm, shownCmdline; format's labels and shownChannel),
// and the walks on a captured tree whose files hold such bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Channel, FifoChannel, ProcessInfo } from '../../src/core/model';
import { channelName, channelTitle, endpointLabel, processLabel } from '../../src/core/format';
import { loadNative, type ProcWalk } from '../../src/core/native';
import { cmdlineBytes, commBytes } from '../../src/core/parsers/procPid';
import { pathHexOf } from '../../src/core/probes/context';
import { mapHoldersOf } from '../../src/core/probes/maps';
import { walkProcTs } from '../../src/core/procWalk';
import { takeSnapshot } from '../../src/core/snapshot';
import { hexText, isHexBytes, shownCmdline, shownComm } from '../../src/core/text';
import { mergeWalks } from '../../src/core/walkBackend';

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');

test('cmdlineBytes: split as parseCmdline splits, hex only for the arguments that are not UTF-8', () => {
  assert.deepEqual(cmdlineBytes(hex('sh\0arg\xff\xfe\0ok\0')), [null, hex('arg\xff\xfe'), null]);
  assert.deepEqual(cmdlineBytes(hex('a\xff\0\0')), [hex('a\xff'), null], 'an empty argument before the last NUL is kept, as parseCmdline keeps it');
  assert.deepEqual(cmdlineBytes(hex('a\xff\0b')), [hex('a\xff'), null], 'no NUL at the end (a process that rewrote its argv)');
  assert.deepEqual(cmdlineBytes(hex('\xc3\0x')), [hex('\xc3'), null], 'a sequence cut by the NUL');
  assert.equal(cmdlineBytes(hex('caf\xc3\xa9\0x\0')), null, 'all UTF-8: nothing to keep');
  assert.equal(cmdlineBytes(''), null);
});

test('commBytes: kept only when they are hex and not UTF-8', () => {
  assert.equal(commBytes(hex('bad\xff\xfe')), hex('bad\xff\xfe'));
  assert.equal(commBytes(undefined), undefined);
  assert.equal(commBytes(''), undefined);
  assert.equal(commBytes(hex('caf\xc3\xa9')), undefined, 'UTF-8: the text is exact');
  assert.equal(commBytes('zz'), undefined, 'no hex');
});

test('hexText, shownComm, shownCmdline: the bytes as \\xNN, the text when there are none', () => {
  assert.equal(isHexBytes('00ff'), true);
  for (const bad of ['', '0', 'FF', 'xx', 1, undefined]) assert.equal(isHexBytes(bad), false, String(bad));
  assert.equal(hexText(hex('q\xff'), 'q\ufffd'), 'q\\xff');
  assert.equal(hexText('nope', 'q\ufffd'), 'q\ufffd', 'no hex: the text');
  assert.equal(shownComm({ comm: 'bad\ufffd\ufffd', commBytes: hex('bad\xff\xfe') }), 'bad\\xff\\xfe');
  assert.equal(shownComm({ comm: 'bad\ufffd\ufffd', commBytes: hex('bad\xfe\xff') }), 'bad\\xfe\\xff', 'two names that differ in their bad bytes read differently');
  assert.equal(shownComm({ comm: 'nginx' }), 'nginx');
  assert.deepEqual(shownCmdline({ cmdline: ['sh', 'a\ufffd', 'b'], cmdlineBytes: [null, hex('a\xff'), null] }), ['sh', 'a\\xff', 'b']);
  assert.deepEqual(shownCmdline({ cmdline: ['sh', 'x'] }), ['sh', 'x']);
});

test('labels: a process and a FIFO path that are not UTF-8 by their bytes, escaped after', () => {
  const p = { pid: 7, comm: 'x\ufffd', commBytes: hex('x\xff') } as ProcessInfo;
  assert.equal(processLabel(7, p), 'x\\xff[7]');
  assert.equal(processLabel(9, { ...p, threadOf: 7 }), 'x\\xff[7, thread 9]');
  assert.equal(endpointLabel({ pid: 7, fd: 3, mode: 'r' }, p), 'x\\xff[7] fd 3 (r)');
  // bytes that decode to controls are still escaped: \x1b[ from the bytes reads as the escape, not an ESC
  assert.equal(processLabel(7, { ...p, commBytes: hex('a\x1b\xff') }), 'a\\x1b\\xff[7]');
  const fifo = (pathBytes?: string) =>
    ({ id: 'fifo:0:1:2', kind: 'fifo', endpoints: [], inode: 2, dev: '0:1', path: '/tmp/f\ufffd', ...(pathBytes ? { pathBytes } : {}), deleted: false, bufferedBytes: null, capacity: null }) as FifoChannel;
  assert.equal(channelName(fifo(hex('/tmp/f\xff'))), '/tmp/f\\xff');
  assert.equal(channelName(fifo(hex('/tmp/f\xfe'))), '/tmp/f\\xfe');
  assert.equal(channelName(fifo()), '/tmp/f\ufffd', 'a path that holds U+FFFD itself');
  assert.equal(channelTitle({ ...fifo(hex('/tmp/f\xff')), deleted: true } as Channel), 'FIFO /tmp/f\\xff (deleted)');
});

test('pathHexOf and mergeWalks: a path index to its bytes, across a merged walk', () => {
  const w = (paths: string[], at: number[], hx: string[]): ProcWalk => ({
    processes: [],
    fds: {
      pid: new Int32Array(), fd: new Int32Array(), kind: new Uint8Array(), mode: new Uint8Array(), inode: new Float64Array(), dev: new Float64Array(),
      pathIndex: new Int32Array(), infoIndex: new Int32Array(), buffered: new Float64Array(), capacity: new Float64Array(),
    },
    paths,
    ...(at.length ? { pathHexAt: at, pathHex: hx } : {}),
    infos: [],
    elapsedMs: 0,
    threads: 1,
  });
  const a = w(['/a', '/b\ufffd', '/c', '/d\ufffd'], [1, 3], ['2f62ff', '2f64fe']);
  assert.equal(pathHexOf(a, 1), '2f62ff');
  assert.equal(pathHexOf(a, 3), '2f64fe');
  assert.equal(pathHexOf(a, 0), undefined);
  assert.equal(pathHexOf(a, 2), undefined);
  assert.equal(pathHexOf(w(['/a'], [], []), 0), undefined);
  const m = mergeWalks(a, w(['/e\ufffd', '/f'], [0], ['2f65ff']));
  assert.deepEqual([m.pathHexAt, m.pathHex], [[1, 3, 4], ['2f62ff', '2f64fe', '2f65ff']], "b's indices after a's paths");
  assert.equal(pathHexOf(m, 4), '2f65ff');
  assert.equal(mergeWalks(w(['/a'], [], []), w(['/b'], [], [])).pathHexAt, undefined, 'none: no field');
});

// /dev/shm mappings of semaphores named `q\xff`, `q\xfe` (unlinked) and `qé` (UTF-8), and a line no rule keeps, as the kernel prints them (latin1: one char a byte)
const MAPS = [
  '7f0000000000-7f0000001000 rw-s 00000000 00:1a 101                        /dev/shm/sem.q\xff',
  '7f0000001000-7f0000002000 rw-s 00000000 00:1a 102                        /dev/shm/sem.q\xfe (deleted)',
  '7f0000002000-7f0000003000 r--p 00000000 08:01 7                          /usr/lib/x\xff.so',
  '7f0000003000-7f0000004000 rw-s 00000000 00:1a 103                        /dev/shm/sem.q\xc3\xa9',
  '',
].join('\n');

test('a /dev/shm name in maps that is not UTF-8 keeps its bytes (mapsHex → nameHex), one name from another, ` (deleted)` left out', () => {
  const b = Buffer.from(MAPS, 'latin1');
  const h = mapHoldersOf([{ pid: 42, maps: b.toString('utf8'), mapsHex: b.toString('hex') }]);
  const byIno = (ino: number) => h.devShmByKey.get(`0:26:${ino}`);
  assert.deepEqual([byIno(101)?.name, byIno(101)?.nameHex], ['sem.q\ufffd', hex('sem.q\xff')]);
  assert.deepEqual([byIno(102)?.name, byIno(102)?.nameHex, byIno(102)?.deleted], ['sem.q\ufffd', hex('sem.q\xfe'), true], 'unlinked: ` (deleted)` left out of the bytes too');
  assert.deepEqual([byIno(103)?.name, byIno(103)?.nameHex], ['sem.qé', undefined], 'UTF-8: no bytes');
  // the text filtered to fewer lines than its bytes hold (walkBackend re-filters text only): found by their text
  const kept = b.toString('utf8').split('\n').filter((l) => l.includes('102')).join('\n');
  assert.equal(mapHoldersOf([{ pid: 42, maps: kept, mapsHex: b.toString('hex') }]).devShmByKey.get('0:26:102')?.nameHex, hex('sem.q\xfe'));
  assert.equal(mapHoldersOf([{ pid: 42, maps: b.toString('utf8') }]).devShmByKey.get('0:26:101')?.nameHex, undefined, 'no bytes given: none made up');
  // a semaphore named by its mappings (here unlinked) is shown by those bytes
  const sem = (nameBytes?: string): Channel => ({ id: 'posix-sem:deleted/0:26:102', kind: 'posix-sem', endpoints: [], name: 'q\ufffd', ...(nameBytes ? { nameBytes } : {}), value: 1, uid: null, owner: null, mode: null, deleted: true });
  assert.equal(channelName(sem(hex('q\xfe'))), '/q\\xfe (deleted)');
  assert.notEqual(channelName(sem(hex('q\xfe'))), channelName(sem(hex('q\xff'))));
});

// A captured tree: a process whose stat, cmdline, FIFO link and cwd hold bytes that are not UTF-8.
let root = '';
let procRoot = '';
let fifoBytes = Buffer.alloc(0);
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-utf8-unit-'));
  procRoot = path.join(root, 'proc');
  fifoBytes = Buffer.from(`${root}/f\xff\xfe`, 'latin1');
  execFileSync('sh', ['-c', 'mkfifo "$(printf "$1/f\\377\\376")"', 'sh', root]);
  const d = path.join(procRoot, '42');
  fs.mkdirSync(path.join(d, 'fd'), { recursive: true });
  fs.mkdirSync(path.join(d, 'fdinfo'));
  fs.writeFileSync(path.join(d, 'stat'), Buffer.from('42 (bad\xff\xfe) S 1 42 42 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 1042 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n', 'latin1'));
  fs.writeFileSync(path.join(d, 'status'), 'Name:\tbad\nState:\tS (sleeping)\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nThreads:\t1\nSigQ:\t0/1000\nSigPnd:\t0\nShdPnd:\t0\nSigBlk:\t0\nSigIgn:\t0\nSigCgt:\t0\n');
  fs.writeFileSync(path.join(d, 'cmdline'), Buffer.from('prog\0arg\xff\0\0', 'latin1'));
  fs.symlinkSync(fifoBytes, path.join(d, 'fd', '3'));
  fs.symlinkSync(Buffer.from('/srv/w\xff', 'latin1'), path.join(d, 'cwd'));
  fs.symlinkSync('/usr/bin/prog', path.join(d, 'exe'));
  fs.writeFileSync(path.join(d, 'fdinfo', '3'), 'pos:\t0\nflags:\t02\nmnt_id:\t15\n');
  fs.writeFileSync(path.join(d, 'maps'), Buffer.from(MAPS, 'latin1'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

for (const [name, opts, skip] of [
  ['TypeScript walk', { useNative: false }, false],
  ['native /proc walk', { walk: 'proc' }, loadNative().addon ? false : 'native addon not built'],
] as const) {
  test(`a captured tree's comm, argument and FIFO path that are not UTF-8 keep their bytes (${name})`, { skip }, async () => {
    const snap = await takeSnapshot({ ...opts, procRoot, kinds: ['fifo'], processes: 'all' });
    const p = snap.processes.find((x) => x.pid === 42);
    assert.ok(p);
    assert.equal(p.comm, 'bad\ufffd\ufffd');
    assert.equal(p.commBytes, hex('bad\xff\xfe'));
    assert.deepEqual(p.cmdline, ['prog', 'arg\ufffd', '']);
    assert.deepEqual(p.cmdlineBytes, [null, hex('arg\xff'), null]);
    assert.deepEqual([p.cwd, p.cwdBytes, p.exe, p.exeBytes], ['/srv/w\ufffd', hex('/srv/w\xff'), '/usr/bin/prog', undefined], 'links: bytes only where they are not UTF-8');
    const f = snap.channels.find((c): c is FifoChannel => c.kind === 'fifo');
    assert.ok(f, 'the FIFO is listed');
    assert.equal(f.pathBytes, fifoBytes.toString('hex'));
    assert.equal(channelName(f), `${root}/f\\xff\\xfe`);
  });

  test(`a captured tree's maps lines that are not UTF-8: the kept lines' bytes (${name})`, { skip }, async () => {
    const walk = opts.useNative === false ? walkProcTs : loadNative().addon!.walkProc.bind(loadNative().addon);
    const w = await walk({ procRoot, threads: 1, pids: [42], readTimers: false, readLinks: false, mapsRules: [{ text: ' /dev/shm/' }] });
    const p = w.processes.find((x) => x?.pid === 42);
    const keptBytes = MAPS.split('\n').filter((l) => l.includes(' /dev/shm/'));
    assert.deepEqual(p?.maps?.split('\n').filter(Boolean), keptBytes.map((l) => Buffer.from(l, 'latin1').toString('utf8')), 'the kept lines, as text');
    assert.deepEqual(Buffer.from(p?.mapsHex ?? '', 'hex').toString('latin1').split('\n').filter(Boolean), keptBytes, 'and their bytes');
  });
}
