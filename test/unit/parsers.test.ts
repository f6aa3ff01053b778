// The /proc and /proc/sysvipc text parsers on captured files, and on truncated, garbage and hostile
// text (a comm with `) `, newlines and markup; paths with spaces; deleted files).
import { CHANNEL_KINDS } from '../../src/core/model';
import { walkRulesFor } from '../../src/core/kinds';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMqueueFile } from '../../src/core/parsers/mqueue';
import { hexToIPv4, hexToIPv6, hostPort, inetStateName, remoteHostPort, parseProcNetInet, parseProcNetUnix, unixStateName } from '../../src/core/parsers/net';
import { filterMaps, MapsCursor, parseCmdline, parseMapsLine, parseStat, parseStatus, parseTimers } from '../../src/core/parsers/procPid';
import { parseSysvMsg, parseSysvSem, parseSysvShm } from '../../src/core/parsers/sysvipc';
import { parsePasswd } from '../../src/core/users';
import { data } from './helpers';

test('parseStat: captured pid 1', () => {
  const s = parseStat(data('stat-1.txt'))!;
  assert.equal(s.pid, 1);
  assert.equal(s.comm, 'process_api');
  assert.equal(s.state, 'S');
  assert.equal(s.ppid, 0);
  assert.equal(s.startTime, 24);
  assert.equal(s.threads, 13);
});

test('parseStat: comm with `) `, spaces, newline and markup takes the LAST )', () => {
  const s = parseStat(data('stat-hostile.txt'))!;
  assert.equal(s.comm, 'evil) S 1 (x\n<script>');
  assert.equal(s.state, 'R');
  assert.equal(s.ppid, 1);
  assert.equal(s.startTime, 987654);
});

test('parseStat: truncated or garbage → null', () => {
  assert.equal(parseStat(data('stat-truncated.txt')), null);
  assert.equal(parseStat(''), null);
  assert.equal(parseStat('garbage'), null);
  assert.equal(parseStat('x (a) S 1'), null);
});

test('parseStatus: captured file and signal masks', () => {
  const s = parseStatus(data('status-1.txt'));
  assert.equal(s.uid, 0);
  assert.equal(s.ppid, 0);
  assert.equal(s.tracerPid, 0);
  assert.equal(s.threads, 13);
  assert.ok(s.signals.queueLimit! > 0);
  assert.ok(s.signals.caught.includes('SIGSEGV'));
  assert.deepEqual(s.signals.ignored, ['SIGPIPE']);
});

test('parseStatus: truncated, garbage and unknown keys', () => {
  const s = parseStatus('Name:\tx\nUid:\t1000\t1000\t1000\t1000\nTracerPid:\t77\nSigPnd:\t0000000000000100\nShdPnd:\t8000000000000000\nSigBlk:\tzz\nNewKey: 1\n:::\n\nSigQ:\t3/1024\nThreads:\t4\nSigCgt:\t00000000000');
  assert.equal(s.uid, 1000);
  assert.equal(s.tracerPid, 77);
  assert.deepEqual(s.signals.pending, ['SIGKILL']);
  assert.deepEqual(s.signals.shdPending, ['SIGRTMAX']);
  assert.deepEqual(s.signals.blocked, []);
  assert.equal(s.signals.queued, 3);
  assert.equal(s.signals.queueLimit, 1024);
  assert.equal(s.threads, 4);
  const t = parseStatus('Name:\tcut\nUi');
  assert.equal(t.uid, null);
  assert.equal(t.euid, null);
  assert.equal(s.euid, 1000);
  // a setuid-root program started by uid 65534: real, effective, saved, fs
  const u = parseStatus('Name:\tmount\nUid:\t65534\t0\t0\t0\n');
  assert.deepEqual([u.uid, u.euid], [65534, 0]);
  assert.deepEqual([parseStatus('Uid:\t42\n').uid, parseStatus('Uid:\t42\n').euid], [42, null], 'a cut line: the real uid only');
});

test('parseCmdline', () => {
  assert.deepEqual(parseCmdline('a\0b c\0\0d\0'), ['a', 'b c', '', 'd']);
  assert.deepEqual(parseCmdline(''), []);
  assert.deepEqual(parseCmdline('no-nul'), ['no-nul']);
});

test('parseTimers', () => {
  const t = parseTimers('ID: 0\nsignal: 14/0000000000000000\nnotify: signal/pid.123\nClockID: 0\nID: 1\nsignal: 35/00007f0000000000\nnotify: thread/tid.124\nClockID: 1\nID: 2\nsignal: 14/0\nnotify: none/pid.125\nClockID: 99\nID: x\nsignal: 1/0\nID: 3\n');
  assert.equal(t.length, 4);
  assert.deepEqual(t[0], { id: 0, signal: 'SIGALRM', clock: 'CLOCK_REALTIME', notify: 'signal', notifyPid: 123 });
  assert.deepEqual(t[1], { id: 1, signal: 'SIGRTMIN+1', clock: 'CLOCK_MONOTONIC', notify: 'thread', notifyPid: 124 });
  assert.equal(t[2].signal, null);
  assert.equal(t[2].notify, 'none');
  assert.equal(t[2].clock, '99');
  assert.equal(t[3].id, 3);
  assert.deepEqual(parseTimers(''), []);
});

test('maps lines: SysV and /dev/shm, paths with spaces, deleted', () => {
  const a = parseMapsLine('7f0000000000-7f0000010000 rw-s 00000000 00:01 32769                      /SYSV0001e240 (deleted)')!;
  assert.equal(a.range, '7f0000000000-7f0000010000');
  assert.equal(a.inode, 32769);
  assert.equal(a.path, '/SYSV0001e240');
  assert.equal(a.deleted, true);
  // the cursor the probes read lines with: SysV key and mode of the same lines
  const lineAt = (line: string) => {
    const c = new MapsCursor(line);
    assert.ok(c.next());
    return c;
  };
  assert.equal(lineAt('7f0000000000-7f0000010000 rw-s 00000000 00:01 32769                      /SYSV0001e240 (deleted)').sysvKey(), 0x1e240);
  assert.equal(lineAt('7f0000000000-7f0000010000 rw-s 00000000 00:01 32769 /SYSV0001e240').mode(), 'rw');
  assert.equal(lineAt('7f0000000000-7f0000010000 r--s 00000000 00:01 32769 /SYSV0001e240').mode(), 'r');
  const b = parseMapsLine('7f0000000000-7f0000001000 r--s 00000000 00:1a 7 /dev/shm/my shm name')!;
  assert.equal(b.path, '/dev/shm/my shm name');
  assert.equal(b.deleted, false);
  assert.equal(parseMapsLine('7f0000000000-7f0000001000 r--p 00000000 00:00 0 '), null);
  assert.equal(parseMapsLine('garbage'), null);
  assert.equal(parseMapsLine('zz-yy r--s 0 0 0 /x'), null);
  assert.equal(lineAt('7f0000000000-7f0000001000 rw-s 00000000 00:01 5 /SYSV123').sysvKey(), null);
  const f = filterMaps('a-b r--p 0 0 0 /usr/lib/x.so\n1-2 rw-s 0 00:01 5 /SYSV00000000 (deleted)\n3-4 rw-s 0 00:1a 9 /dev/shm/q\n', walkRulesFor(CHANNEL_KINDS).mapsRules);
  assert.equal(f.split('\n').length, 2);
});

test('sysvipc: captured files', () => {
  const msg = parseSysvMsg(data('sysvipc-msg.txt'));
  assert.ok(msg.length >= 1);
  for (const m of msg) assert.ok(m.msqid >= 0 && m.key >= 0 && m.mode > 0);
  const shm = parseSysvShm(data('sysvipc-shm.txt'));
  assert.ok(shm.length >= 1);
  assert.ok(shm.some((s) => s.size === 4096 && s.mode === 0o644));
  const sem = parseSysvSem(data('sysvipc-sem.txt'));
  assert.ok(sem.every((s) => s.nsems === 3));
});

test('sysvipc: reordered/added columns, negative key, garbage rows', () => {
  const msg = parseSysvMsg(data('sysvipc-msg-reordered.txt'));
  assert.equal(msg.length, 1);
  assert.equal(msg[0].msqid, 32768);
  assert.equal(msg[0].key, 0xffffffff);
  assert.equal(msg[0].qnum, 2);
  assert.equal(msg[0].lspid, 55);
  assert.equal(msg[0].mode, 0o644);
  assert.deepEqual(parseSysvMsg(''), []);
  assert.deepEqual(parseSysvMsg('no header here\n1 2 3'), []);
  const shm = parseSysvShm('key shmid perms size cpid lpid nattch uid\n0 5 1600 4096 10 11 1 0\n');
  assert.equal(shm[0].dest, true);
  assert.equal(shm[0].mode & 0o777, 0o600);
});

test('/proc/net/unix: captured file', () => {
  const d = parseProcNetUnix(data('net-unix.txt'));
  assert.ok(d.inode.length > 5);
  for (let i = 0; i < d.inode.length; i++) assert.ok(d.inode[i] > 0);
  assert.ok([...d.type].every((t) => t === 1 || t === 2 || t === 5));
});

test('/proc/net/unix: abstract names, spaces, newline in path, garbage, listen flag', () => {
  const d = parseProcNetUnix(data('unix-hostile.txt'));
  const byInode = new Map<number, number>();
  d.inode.forEach((ino, i) => byInode.set(ino, i));
  const i1 = byInode.get(1001)!;
  assert.equal(d.name[i1], '/run/with space/sock');
  assert.equal(d.nameKind[i1], 1);
  assert.equal(unixStateName(d.state[i1]), 'listen');
  const i2 = byInode.get(1002)!;
  assert.equal(d.nameKind[i2], 0);
  assert.equal(unixStateName(d.state[i2]), 'connected');
  const i3 = byInode.get(1003)!;
  assert.equal(d.nameKind[i3], 2);
  assert.equal(d.name[i3], 'abstract@with@nuls');
  assert.equal(d.type[i3], 2);
  assert.equal(unixStateName(d.state[i3]), 'unconnected');
  const i4 = byInode.get(1004)!;
  assert.equal(d.name[i4], '/tmp/new\nline.sock');
  assert.equal(d.type[i4], 5);
  assert.equal(unixStateName(d.state[byInode.get(1005)!]), 'connecting');
  assert.equal(byInode.has(1007), false); // bad state hex
  assert.equal(d.name[byInode.get(1008)!], '/tmp/<script>alert(1)</script>');
  assert.equal(unixStateName(d.state[byInode.get(1008)!]), 'disconnecting');
  assert.equal(parseProcNetUnix('').inode.length, 0);
});

test('/proc/net/tcp + tcp6 + udp: captured files', () => {
  const t4 = parseProcNetInet(data('net-tcp.txt'));
  assert.ok(t4.inode.length > 0);
  assert.ok([...t4.family].every((f) => f === 4));
  assert.ok(t4.localAddr.every((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)));
  const t6 = parseProcNetInet(data('net-tcp6.txt'));
  assert.ok([...t6.family].every((f) => f === 6));
  if (t6.inode.length > 0) assert.equal(t6.localAddr[0], '::1');
  parseProcNetInet(data('net-udp.txt'));
});

test('/proc/net/tcp: addresses, queues, states, garbage', () => {
  const text = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000005 00:00000000 00000000  1000        0 5555 1 0 100 0 0 10 0',
    '   1: 0100007F:D431 0100007F:1F90 01 0000000A:00000003 00:00000000 00000000  1000        0 5556 1 0',
    '   2: 0100007F:D432 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0',
    '   3: 0100007F:D433 0100007F:1F90 FF 00000000:00000000 00:00000000 00000000     0        0 77 3 0',
    '   4: garbage',
    '   5: 0100007F:D432 0100007F',
  ].join('\n');
  const d = parseProcNetInet(text);
  assert.equal(d.inode.length, 4);
  assert.equal(d.localAddr[0], '127.0.0.1');
  assert.equal(d.localPort[0], 8080);
  assert.equal(d.rqueue[0], 5);
  assert.equal(inetStateName(d.state[0]), 'LISTEN');
  assert.equal(d.wqueue[0], -1, "a listener's tx_queue (0) is not its backlog: unknown");
  assert.equal(d.wqueue[1], 10);
  assert.equal(inetStateName(d.state[1]), 'ESTAB');
  assert.equal(inetStateName(d.state[2]), 'TIME-WAIT');
  assert.equal(d.inode[2], 0);
  assert.equal(inetStateName(d.state[3]), 'UNKNOWN-255');
  assert.equal(d.uid[0], 1000);
  assert.equal(inetStateName(7), 'UNCONN');
  assert.equal(inetStateName(2), 'SYN-SENT');
  assert.equal(inetStateName(8), 'CLOSE-WAIT');
});

test('IPv4/IPv6 hex decoding', () => {
  assert.equal(hexToIPv4('0100007F'), '127.0.0.1');
  assert.equal(hexToIPv4('00000000'), '0.0.0.0');
  assert.equal(hexToIPv6('00000000000000000000000001000000'), '::1');
  assert.equal(hexToIPv6('00000000000000000000000000000000'), '::');
  assert.equal(hexToIPv6('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1');
  assert.equal(hexToIPv6('000080FE00000000FF000002FE030201'), 'fe80::200:ff:102:3fe');
});

test('remote addresses as ss -n prints them', () => {
  assert.equal(remoteHostPort(4, '0.0.0.0', 0), '0.0.0.0:*');
  assert.equal(remoteHostPort(6, '::', 0), '*:*');
  assert.equal(remoteHostPort(6, '::', 0, false), '*:*', 'dual-stack: ss prints *:*');
  assert.equal(remoteHostPort(6, '::', 0, true), '[::]:*', 'IPv6-only: ss prints [::]:*');
  assert.equal(remoteHostPort(6, '::1', 0), '[::1]:*');
  assert.equal(remoteHostPort(4, '127.0.0.1', 8080), '127.0.0.1:8080');
  assert.equal(remoteHostPort(6, '::1', 8080), '[::1]:8080');
  assert.equal(hostPort(6, '::', 0), '[::]:0');
});

test('mqueue file and passwd', () => {
  assert.deepEqual(parseMqueueFile('QSIZE:129        NOTIFY:2     SIGNO:0     NOTIFY_PID:8260 \n'), { qsize: 129, notifyPid: 8260, notify: 2, signo: 0 });
  assert.deepEqual(parseMqueueFile('QSIZE:0 NOTIFY:0 SIGNO:0 NOTIFY_PID:0'), { qsize: 0, notifyPid: null, notify: 0, signo: 0 });
  assert.deepEqual(parseMqueueFile('garbage'), { qsize: null, notifyPid: null, notify: null, signo: null });
  const p = parsePasswd('root:x:0:0:root:/root:/bin/bash\n# comment\nbad\nalice:x:1000:1000::/home/alice:/bin/sh\nroot2:x:0:0::/:/bin/sh\n');
  assert.equal(p.get(0), 'root');
  assert.equal(p.get(1000), 'alice');
  assert.equal(p.size, 2);
});
