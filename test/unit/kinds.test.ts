// The kind registry (core/kinds): every kind is described whole, its columns are its channel's
// fields, its ids round-trip through the protocol's check, the walk rules it declares are
// consistent, and the one list kept outside TypeScript (package.json's hiddenKinds enum) matches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHANNEL_KINDS, KIND_GROUPS, KINDS, fdClassesFor, isChannelId, isEveryMapsRule, kindOf, kindOfId, walkRulesFor, type ChannelKind, type ChannelOf } from '../../src/core/kinds';
import { channelFacts, COMMON_COLUMNS, formatValue } from '../../src/core/columns';
import { findChannel, sortChannels } from '../../src/core/diff';
import { matchesText } from '../../src/core/filter';
import { inetKindOf, localShown } from '../../src/core/kinds/inet';
import type { InetChannel } from '../../src/core/model';

const ep = [{ pid: 10, fd: 3, mode: 'w' as const }, { pid: 11, fd: 4, mode: 'r' as const }];

/** One realistic channel of every kind (a kind without one fails to compile). */
export const SAMPLES: { [K in ChannelKind]: ChannelOf<K> } = {
  pipe: { id: 'pipe:4901', kind: 'pipe', endpoints: ep, inode: 4901, bufferedBytes: 12, capacity: 65536, readEndOpen: true, writeEndOpen: false },
  fifo: { id: 'fifo:8:1:77', kind: 'fifo', endpoints: ep, inode: 77, dev: '8:1', path: '/tmp/f\nx', deleted: false, bufferedBytes: null, capacity: null },
  'sysv-msg': {
    id: 'sysv-msg:3', kind: 'sysv-msg', endpoints: [], key: 0x1234, msqid: 3, messages: 2, bytes: 30, maxBytes: 16384, lastSendPid: 10, lastRecvPid: 0,
    uid: 0, owner: 'root', mode: '0600', lastSendTime: '2026-11-30T00:00:00.000Z', lastRecvTime: null,
  },
  'posix-mq': { id: 'posix-mq:q', kind: 'posix-mq', endpoints: ep, name: 'q', messages: 1, maxMessages: 10, messageSize: 128, bytes: 5, notifyPid: null, uid: 0, owner: 'root', mode: '0600', deleted: false },
  'sysv-shm': {
    id: 'sysv-shm:5', kind: 'sysv-shm', endpoints: [{ pid: 10, map: '7f00-7f10', mode: 'rw' }], key: 0, shmid: 5, size: 4096, attachCount: 1, creatorPid: 10, lastPid: 10,
    uid: 0, owner: 'root', mode: '0600', destroyed: false, orphaned: false,
  },
  'posix-shm': { id: 'posix-shm:s', kind: 'posix-shm', endpoints: ep, name: 's', size: 16, uid: 0, owner: 'root', mode: '0600', deleted: false },
  'anon-shm': { id: 'anon-shm:00:01:1234', kind: 'anon-shm', endpoints: ep, name: '/dev/zero', inode: 1234, dev: '00:01', size: 4096 },
  'file-shm': { id: 'file-shm:fe:01:5678', kind: 'file-shm', endpoints: ep, path: '/var/lib/app/db.sqlite-shm', deleted: false, inode: 5678, dev: 'fe:01', size: 32768, writers: 2 },
  'sysv-sem': {
    id: 'sysv-sem:7', kind: 'sysv-sem', endpoints: [], key: 0x99, semid: 7, nsems: 2, values: [1, 0], waitingForIncrease: [0, 1], waitingForZero: [0, 0], lastPid: [10, 0],
    uid: 0, owner: 'root', mode: '0600',
  },
  'posix-sem': { id: 'posix-sem:m', kind: 'posix-sem', endpoints: ep, name: 'm', value: 1, uid: 0, owner: 'root', mode: '0644' },
  unix: {
    id: 'unix:5', kind: 'unix', endpoints: ep, inode: 5, type: 'stream', path: '/run/a.sock', state: 'connected', peer: 'unix:6', peerInode: 6, recvQueue: 0, sendQueue: 0, netns: '1',
    boundInode: 9, boundDev: '0:25',
  },
  tcp: {
    id: 'tcp:8', kind: 'tcp', endpoints: ep, family: 4, local: '127.0.0.1:8080', remote: '127.0.0.1:50000', state: 'ESTAB', recvQueue: 0, sendQueue: 0, inode: 8, netns: '1',
    peer: 'tcp:9', peerNetns: '2', peerMatch: 'conntrack', relay: 'tcp:10', uid: 0,
  },
  udp: { id: 'udp:11', kind: 'udp', endpoints: ep, family: 6, local: '[::1]:5353', remote: '[::1]:5354', state: 'ESTAB', recvQueue: 0, sendQueue: 0, inode: 11, netns: '1', peer: 'udp:12', uid: 0, v6only: false },
  raw: { id: 'raw:21', kind: 'raw', endpoints: ep, family: 4, protocol: 112, local: '0.0.0.0', remote: '*', state: 'UNCONN', recvQueue: 0, sendQueue: 0, inode: 21, netns: '1', uid: 0, device: 'eth0' },
  packet: { id: 'packet:22', kind: 'packet', endpoints: ep, type: 'raw', protocol: 3, ifindex: 2, device: 'eth0', recvQueue: 1280, sendQueue: 0, inode: 22, netns: '1', uid: 0, ring: false },
  ping: { id: 'ping:23', kind: 'ping', endpoints: ep, family: 4, local: '0.0.0.0', icmpId: 4242, remote: '*', state: 'UNCONN', recvQueue: 0, sendQueue: 0, inode: 23, netns: '1', uid: 0 },
  netlink: { id: 'netlink:23', kind: 'netlink', endpoints: ep, protocol: 2, portid: 4242, groups: [1, 3], recvQueue: 832, sendQueue: 0, drops: 0, dumping: false, type: 'raw', dstPortid: 4243, dstGroup: 0, peer: 'netlink:24', inode: 23, netns: '1', uid: 0 },
  eventfd: { id: 'eventfd:42', kind: 'eventfd', endpoints: ep, eventfdId: 42, count: 3, semaphore: false },
  pty: {
    id: 'pty:0:26:3', kind: 'pty', endpoints: [{ pid: 10, fd: 5, mode: 'rw', role: 'master' }, { pid: 11, fd: 0, mode: 'rw', role: 'slave' }], index: 3, devpts: '0:26',
    session: 11, foreground: 11, controlling: [11],
  },
};

test('every kind is registered once, in canonical order, with a whole descriptor', () => {
  assert.deepEqual([...CHANNEL_KINDS], Object.keys(KINDS));
  for (const k of CHANNEL_KINDS) {
    const d = KINDS[k];
    assert.equal(d.kind, k);
    assert.ok(d.title && d.teaching.length > 40 && d.icon && d.group.id && d.group.label, k);
    const ids = d.columns.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, `${k}: a column twice`);
    for (const c of d.columns) assert.ok(c.label && c.title && c.help && c.type, `${k}.${c.id}`);
  }
});

test('package.json hiddenKinds enum and its descriptions are the registry (checked here, not kept by hand twice)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { items?: { enum?: string[]; enumDescriptions?: string[] } }> } };
  };
  const items = pkg.contributes.configuration.properties['ipcInspector.hiddenKinds'].items;
  assert.deepEqual(items?.enum, [...CHANNEL_KINDS]);
  // The Settings editor shows these beside the ids, which alone say little ("anon-shm", "file-shm").
  assert.deepEqual(items?.enumDescriptions, CHANNEL_KINDS.map((k) => KINDS[k].title));
});

test('every field of a channel is one of its kind\'s columns (the panel and tooltips show columns only)', () => {
  const common = new Set([...COMMON_COLUMNS.map((c) => c.id as string), 'errors']);
  for (const k of CHANNEL_KINDS) {
    const ch = SAMPLES[k];
    const cols = new Set(KINDS[k].columns.map((c) => c.id as string));
    for (const field of Object.keys(ch)) assert.ok(common.has(field) || cols.has(field), `${k}.${field} is no column`);
    // and every column shows as a fact when set
    const facts = channelFacts(ch, kindOf(k).columns);
    for (const f of facts) assert.ok(!f.text.includes('\n'), `${k}.${f.id} is one line`);
  }
});

test('ids: each kind accepts its own, the protocol refuses the rest', () => {
  for (const k of CHANNEL_KINDS) {
    const ch = SAMPLES[k];
    assert.equal(kindOfId(ch.id), k);
    assert.ok(isChannelId(ch.id), ch.id);
  }
  for (const bad of ['', 'pipe:', 'pipe:abc', 'nope:1', 'fifo:1', 'sysv-msg:-1', `unix:1\0`, 'x'.repeat(600), 'anon-shm:zz:01:5']) assert.equal(isChannelId(bad), false, bad);
  assert.equal(isChannelId('posix-shm:a name with <markup> and\nnewline'), true);
  // objects of another IPC namespace or /dev/shm (probes/sysv.ts, posix.ts): their ids carry it
  for (const id of ['sysv-shm:ns/4026532318/12345', 'sysv-msg:ns/4026532318/0', 'sysv-sem:ns/4026532318/7', 'posix-mq:ns/0:25/q', `posix-mq:ns/4095:1048575/bytes/${'ff'.repeat(255)}`, 'posix-shm:mount/0:25:137588', 'posix-sem:mount/0:39:2']) {
    assert.equal(isChannelId(id), true, id);
  }
  for (const bad of ['sysv-shm:ns//1', 'sysv-shm:ns/1/', 'sysv-msg:ns/abc/1', 'sysv-sem:ns/1/2/3']) assert.equal(isChannelId(bad), false, bad);
});

test('labels are one line, escaped; a missing value with a read error says why', () => {
  for (const k of CHANNEL_KINDS) {
    const ch = SAMPLES[k];
    const d = kindOf(k);
    for (const text of [d.name(ch, 160), d.longTitle(ch), d.description(ch)]) assert.ok(!/[\n\r\0]/.test(text), `${k}: ${JSON.stringify(text)}`);
  }
  const sem = { ...SAMPLES['sysv-sem'], values: null, errors: [{ field: 'values', syscall: 'semctl', code: 'EACCES' }] };
  const f = channelFacts(sem, KINDS['sysv-sem'].columns).find((x) => x.id === 'values');
  assert.equal(f?.text, 'unknown: permission denied (EACCES from semctl)');
  // a read the scan's bound left out is said as such, not as a failure of the object
  const q = { ...SAMPLES['posix-mq'], messages: null, errors: [{ field: 'messages', syscall: 'mq_getattr', code: 'EAGAIN' }] };
  assert.equal(channelFacts(q, KINDS['posix-mq'].columns).find((x) => x.id === 'messages')?.text, "not read: past the scan's bound on such reads (EAGAIN from mq_getattr)");
  // a full POSIX queue's warning in the one spelling of counts
  assert.deepEqual(KINDS['posix-mq'].warnings({ ...SAMPLES['posix-mq'], messages: 1024, maxMessages: 1024 }), ['queue full (1,024 of 1,024 messages): senders block']);
  assert.deepEqual(KINDS['posix-mq'].warnings({ ...SAMPLES['posix-mq'], messages: 1, maxMessages: 1 }), ['queue full (1 of 1 message): senders block']);
  // a pid of 0 is none yet (no attach since the creation), not a process 0
  const fresh = channelFacts({ ...SAMPLES['sysv-shm'], lastPid: 0 }, KINDS['sysv-shm'].columns).find((x) => x.id === 'lastPid');
  assert.deepEqual([fresh?.text, fresh?.pids], ['none', []]);
});

test('a peek that would change the object says so first: a SysV segment nothing maps is attached by it, one mapped is read through the mapping', () => {
  assert.equal(KINDS['sysv-shm'].peekAlters?.({ ...SAMPLES['sysv-shm'], mapDev: '0:1' }), null);
  assert.match(KINDS['sysv-shm'].peekAlters?.({ ...SAMPLES['sysv-shm'], endpoints: [], attachCount: 0 }) ?? '', /shmat/);
  assert.equal(KINDS['sysv-shm'].peekAlters?.({ ...SAMPLES['sysv-shm'], endpoints: [], ipcns: '4026532000' }), null, "another namespace's segment is never attached");
});

test('sort keys from ids agree with the channels (binary search by id finds every sample)', () => {
  const all = sortChannels(CHANNEL_KINDS.map((k) => SAMPLES[k]));
  for (const c of all) assert.equal(all[findChannel(all, c.id)]?.id, c.id, c.id);
});

test('search: searchable columns and extras, exact numbers, ports, keys', () => {
  const procs = new Map();
  assert.ok(matchesText(SAMPLES.tcp, ':8080', procs));
  assert.ok(!matchesText(SAMPLES.unix, ':8080', procs));
  assert.ok(matchesText(SAMPLES['sysv-msg'], '0x1234', procs));
  assert.ok(matchesText(SAMPLES['posix-mq'], '/q', procs));
  assert.ok(matchesText(SAMPLES.pipe, '4901', procs));
  assert.ok(!matchesText(SAMPLES.pipe, '490', procs), 'numbers match exactly');
  assert.ok(matchesText(SAMPLES.unix, '/run/a', procs));
});

test('walk rules: unique codes, only the wanted kinds\' classes, maps rules deduplicated', () => {
  const classes = fdClassesFor(CHANNEL_KINDS);
  const codes = classes.map((c) => c.rule.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const c of codes) assert.ok(c >= 1 && c <= 255);
  const fifoOnly = walkRulesFor(['fifo']);
  assert.ok(fifoOnly.fdRules.some((r) => r.type === 'fifo'));
  assert.ok(!fifoOnly.fdRules.some((r) => r.link === 'socket:['));
  assert.deepEqual(fifoOnly.mapsRules, []);
  const shm = walkRulesFor(['posix-shm', 'posix-sem']);
  assert.equal(shm.mapsRules.length, 1, 'one /dev/shm maps rule for both kinds');
});

test('tree groups come from the registry, in canonical order', () => {
  const flat = KIND_GROUPS.flatMap((g) => g.kinds);
  assert.deepEqual(flat, [...CHANNEL_KINDS]);
  assert.deepEqual(KIND_GROUPS.slice(0, 6).map((g) => g.label), ['Pipes', 'FIFOs', 'Message Queues', 'Shared Memory', 'Semaphores', 'Sockets']);
  assert.equal(KIND_GROUPS.find((g) => g.id === 'mq')?.sub?.['sysv-msg'], 'SysV');
});

test("a tree group's sub-group names its family as the kind's own title does (SysV, not System V beside SysV …)", () => {
  for (const g of KIND_GROUPS) {
    for (const [kind, sub] of Object.entries(g.sub ?? {})) {
      const k = kind as ChannelKind;
      if (!/^(SysV|POSIX)$/i.test(sub) && !/^System V$/i.test(sub)) continue;
      const title = kindOf(k).longTitle(SAMPLES[k] as never);
      assert.ok(title.startsWith(sub + ' '), `${kind}: the tree says “${sub}”, the inspector “${title}”`);
    }
  }
});

test('a dual-stack socket on the IPv6 wildcard is shown as ss shows it, `*:PORT`; an IPv6-only one, ::1 and connections as they are', () => {
  const sock = (kind: 'tcp' | 'udp', local: string, remote: string, state: string, v6only: boolean | undefined, device?: string) =>
    ({ ...SAMPLES[kind], family: 6 as const, local, remote, state, ...(v6only === undefined ? {} : { v6only }), ...(device ? { device } : {}) }) as InetChannel;
  const label = (c: InetChannel) => kindOf(c.kind).name(c, 200);
  assert.equal(label(sock('tcp', '[::]:8080', '*:*', 'LISTEN', false)), '*:8080');
  assert.equal(kindOf('tcp').longTitle(sock('tcp', '[::]:8080', '*:*', 'LISTEN', false)), 'TCP listener *:8080');
  assert.equal(label(sock('udp', '[::]:5353', '*:*', 'UNCONN', false)), '*:5353');
  assert.equal(localShown(sock('udp', '[::]:5353', '*:*', 'UNCONN', false, 'eth0')), '*%eth0:5353', 'ss: `*%eth0:5353`');
  assert.equal(label(sock('tcp', '[::]:8080', '[::]:*', 'LISTEN', true)), '[::]:8080', 'IPv6 only');
  assert.equal(label(sock('tcp', '[::]:8080', '*:*', 'LISTEN', undefined)), '[::]:8080', 'not known (/proc/net)');
  assert.equal(label(sock('tcp', '[::1]:8080', '[::1]:*', 'LISTEN', false)), '[::1]:8080', 'not the wildcard');
  assert.equal(localShown({ local: '[::]:8080', ipv4Too: true }), '*:8080', "a port listener's");
  assert.equal(localShown({ local: '[::]:8080' }), '[::]:8080');
  // the filter finds it as shown, and as the snapshot has it
  const dual = sock('tcp', '[::]:8080', '*:*', 'LISTEN', false);
  assert.equal(matchesText(dual, '*:8080', new Map()), true);
  assert.equal(matchesText(dual, '[::]:8080', new Map()), true);
  assert.equal(matchesText(sock('tcp', '[::]:8080', '[::]:*', 'LISTEN', true), '*:8080', new Map()), false);
});

test('an IPv6 listener says when it takes IPv4 too: dual-stack on the wildcard only (what ss prints as *:PORT)', () => {
  const listener = (local: string, v6only: boolean | undefined) =>
    kindOf('tcp').description({ ...SAMPLES.tcp, family: 6, local, remote: '[::]:*', state: 'LISTEN', ...(v6only === undefined ? {} : { v6only }) });
  assert.equal(listener('[::]:8080', false), 'LISTEN, IPv4 too');
  assert.equal(listener('[::]:8080', true), 'LISTEN');
  assert.equal(listener('[::]:8080', undefined), 'LISTEN', 'not known (read from /proc/net): nothing said');
  assert.equal(listener('[::1]:8080', false), 'LISTEN', 'bound to ::1: no IPv4 client can reach it');
  assert.equal(kindOf('udp').description({ ...SAMPLES.udp, local: '[::]:5353', remote: '[::]:*', state: 'UNCONN', v6only: false }), 'UNCONN, IPv4 too');
});

test('CLI table headers: no kind repeats one (the eventfd id is not a second ID); a FIFO whose path no walk could read says so', () => {
  for (const k of CHANNEL_KINDS) {
    const labels = [...COMMON_COLUMNS, ...kindOf(k).columns].filter((c) => !c.wide).map((c) => c.label);
    assert.equal(new Set(labels).size, labels.length, `${k}: ${labels.join(', ')}`);
  }
  const pathCol = kindOf('fifo').columns.find((c) => (c.id as string) === 'path')!;
  assert.equal(formatValue(pathCol, '', SAMPLES.fifo), '(path too long to read)');
  assert.equal(formatValue(pathCol, '/tmp/f\nx', SAMPLES.fifo), '/tmp/f\\nx');
});

test('isEveryMapsRule: every kind\'s maps rules, in any order, and nothing less or else', () => {
  const all = walkRulesFor(CHANNEL_KINDS).mapsRules;
  assert.ok(all.length >= 5);
  assert.equal(isEveryMapsRule(all), true);
  assert.equal(isEveryMapsRule([...all].reverse()), true);
  assert.equal(isEveryMapsRule(walkRulesFor(['sysv-shm', 'posix-shm']).mapsRules), false);
  assert.equal(isEveryMapsRule([]), false);
  // the same texts with another bound or without their shared flag are other rules
  assert.equal(isEveryMapsRule(all.map((r) => (r.max !== undefined ? { ...r, max: r.max + 1 } : r))), false);
  assert.equal(isEveryMapsRule(all.map((r) => ({ ...r, shared: false }))), false);
  assert.equal(isEveryMapsRule([...all.slice(1), all[1]]), false);
});

test("a Unix socket's queued bytes are the data waiting to be read at it; its send queue (buffer memory, ~768 for 8 bytes, as ss's Send-Q) is not data", () => {
  const unix = KINDS.unix;
  // an 8-byte write not yet read: the writer's socket is charged 768 of buffer memory, the reader's holds the 8 bytes
  const writer = { ...SAMPLES.unix, id: 'unix:1', inode: 1, state: 'connected', peer: 'unix:2', recvQueue: 0, sendQueue: 768 };
  const reader = { ...SAMPLES.unix, id: 'unix:2', inode: 2, state: 'connected', peer: 'unix:1', recvQueue: 8, sendQueue: 0 };
  assert.deepEqual(unix.queue(writer), { bytes: 0, counts: null, stamp: null });
  assert.deepEqual(unix.queue(reader), { bytes: 8, counts: null, stamp: null });
  assert.deepEqual(unix.queue({ ...writer, recvQueue: null, sendQueue: null }), { bytes: null, counts: null, stamp: null }, 'without sock_diag: unknown');
  assert.match(channelFacts(writer, unix.columns).find((f) => f.id === 'sendQueue')!.help ?? '', /memory/);
});

test("a socket's queues say their unit in the panel and tooltips: bytes, or connections on a listener (not a bare 0)", () => {
  const fact = <K extends 'unix' | 'tcp' | 'udp'>(k: K, ch: ChannelOf<K>, id: string) => channelFacts(ch, KINDS[k].columns as never).find((f) => f.id === id)?.text;
  assert.equal(fact('unix', { ...SAMPLES.unix, recvQueue: 8, sendQueue: 768 }, 'recvQueue'), '8 bytes');
  assert.equal(fact('unix', { ...SAMPLES.unix, recvQueue: 1, sendQueue: 768 }, 'recvQueue'), '1 byte');
  assert.equal(fact('unix', { ...SAMPLES.unix, recvQueue: 0, sendQueue: 768 }, 'sendQueue'), '768 bytes');
  const unixListener = { ...SAMPLES.unix, state: 'listen', peer: undefined, recvQueue: 2, sendQueue: 128 } as ChannelOf<'unix'>;
  assert.equal(fact('unix', unixListener, 'recvQueue'), '2 connections');
  assert.equal(fact('unix', unixListener, 'sendQueue'), '128 connections at most');
  assert.equal(fact('tcp', { ...SAMPLES.tcp, recvQueue: 0 }, 'recvQueue'), '0 bytes');
  const tcpListener = { ...SAMPLES.tcp, state: 'LISTEN', remote: '0.0.0.0:*', recvQueue: 1, sendQueue: 4096 };
  assert.equal(fact('tcp', tcpListener, 'recvQueue'), '1 connection');
  assert.equal(fact('tcp', tcpListener, 'sendQueue'), '4,096 connections at most');
  assert.equal(fact('udp', { ...SAMPLES.udp, recvQueue: 2304 }, 'recvQueue'), '2,304 bytes (2.3 KiB)');
});

test('a size in bytes reads as the exact count, digits grouped, and as KiB/MiB, as the peek range and the evidence say it', () => {
  const f = channelFacts(SAMPLES.pipe, KINDS.pipe.columns);
  assert.equal(f.find((x) => x.id === 'capacity')?.text, '65,536 bytes (64 KiB)');
  assert.equal(f.find((x) => x.id === 'bufferedBytes')?.text, '12 bytes');
  const shm = channelFacts({ ...SAMPLES['sysv-shm'], size: 8 * 1024 * 1024 }, KINDS['sysv-shm'].columns);
  assert.equal(shm.find((x) => x.id === 'size')?.text, '8,388,608 bytes (8 MiB)');
});

test("a listener's chart counts the connections waiting against its backlog, not bytes", () => {
  const unixListener = { ...SAMPLES.unix, state: 'listen', peer: undefined, recvQueue: 2, sendQueue: 128 } as ChannelOf<'unix'>;
  assert.deepEqual(KINDS.unix.depth(unixListener), { connections: 2 });
  assert.deepEqual(KINDS.unix.depthLimits?.(unixListener), { connections: 128 });
  assert.deepEqual(KINDS.unix.depth({ ...SAMPLES.unix, recvQueue: 8 }), { bytes: 8 });
  assert.equal(KINDS.unix.depthLimits?.({ ...SAMPLES.unix, recvQueue: 8 }), undefined);
  const tcpListener = { ...SAMPLES.tcp, state: 'LISTEN', remote: '0.0.0.0:*', recvQueue: 1, sendQueue: 4096 };
  assert.deepEqual(KINDS.tcp.depth(tcpListener), { connections: 1 });
  assert.deepEqual(KINDS.tcp.depthLimits?.(tcpListener), { connections: 4096 });
  assert.deepEqual(KINDS.tcp.depth(SAMPLES.tcp), { bytes: 0 });
});

test('a TCP listener without a known backlog (/proc/net/tcp says 0) is not described as "N waiting of 0"', () => {
  const l = { ...SAMPLES.tcp, state: 'LISTEN', remote: '0.0.0.0:*', recvQueue: 3 };
  assert.match(KINDS.tcp.description({ ...l, sendQueue: 4096 }), /3 connections waiting of 4096/);
  const none = KINDS.tcp.description({ ...l, sendQueue: 0 });
  assert.match(none, /3 connections waiting/);
  assert.doesNotMatch(none, /of 0/);
});

test('TCP folds the connections no process holds or can (inode 0, closing states), never a held or still-to-come one', () => {
  const fold = KINDS.tcp.fold!;
  const orphan = { ...SAMPLES.tcp, endpoints: [], inode: 0, state: 'TIME-WAIT' };
  for (const state of ['TIME-WAIT', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'LAST-ACK']) assert.equal(fold.holds({ ...orphan, state }), true, state);
  // a half-closed socket a process holds (or a holder a non-root scan cannot see): it keeps its inode
  assert.equal(fold.holds({ ...orphan, inode: 77 }), false);
  assert.equal(fold.holds({ ...SAMPLES.tcp, state: 'FIN-WAIT-2' }), false);
  // connections to come, and open ones
  for (const state of ['SYN-RECV', 'ESTAB', 'CLOSE-WAIT', 'LISTEN']) assert.equal(fold.holds({ ...orphan, state }), false, state);
  assert.equal(fold.label(1), '1 closed connection');
  assert.equal(fold.label(12345), '12,345 closed connections');
  // under a filter: how many of how many
  assert.equal(fold.label(12, 3688), '12 of 3,688 closed connections');
  assert.equal(fold.label(1, 2), '1 of 2 closed connections');
  const states = ['TIME-WAIT', 'FIN-WAIT-2', 'TIME-WAIT', 'LAST-ACK', 'TIME-WAIT', 'FIN-WAIT-2'].map((state) => ({ ...orphan, state }));
  assert.equal(fold.description(states), 'TIME-WAIT 3 · FIN-WAIT-2 2 · LAST-ACK 1');
  // nothing to peek through: no Peek button for an unheld socket, of any socket kind
  assert.match(KINDS.tcp.noPeekFor!(orphan) ?? '', /no fd to read its queue through/);
  assert.equal(KINDS.tcp.noPeekFor!(SAMPLES.tcp), null);
  assert.match(KINDS.unix.noPeekFor!({ ...SAMPLES.unix, endpoints: [] }) ?? '', /no fd/);
  assert.equal(KINDS.udp.noPeekFor!({ ...SAMPLES.udp }), null);
  // no other kind folds (a SysV object nobody holds is the point of its row)
  assert.deepEqual(Object.values(KINDS).filter((k) => k.fold).map((k) => k.kind), ['tcp']);
});

test('a fact of one reads in the singular: 1 message, 1 byte; others in the plural', () => {
  const q = (messages: number, bytes: number) => ({
    id: 'sysv-msg:1', kind: 'sysv-msg', key: 1, msqid: 1, messages, bytes, maxBytes: 16384, uid: 0, owner: 'root', mode: '0600', endpoints: [],
    lastSendPid: 0, lastRecvPid: 0, lastSendTime: null, lastRecvTime: null, creatorPid: 0,
  }) as unknown as ChannelOf<'sysv-msg'>;
  const text = (ch: ChannelOf<'sysv-msg'>, id: string) => channelFacts(ch, KINDS['sysv-msg'].columns).find((f) => f.id === id)?.text;
  const messagesCol = KINDS['sysv-msg'].columns.find((c) => c.unit === 'messages')!.id;
  const bytesCol = KINDS['sysv-msg'].columns.find((c) => c.unit === 'bytes')!.id;
  assert.equal(text(q(1, 1), messagesCol), '1 message');
  assert.equal(text(q(1, 1), bytesCol), '1 byte');
  assert.equal(text(q(2, 0), messagesCol), '2 messages');
  assert.equal(text(q(2, 0), bytesCol), '0 bytes');
});

test('a listener is titled as one, not as a connection to `0.0.0.0:*`; an unconnected UDP socket says so', () => {
  const tcp = SAMPLES.tcp;
  assert.equal(KINDS.tcp.longTitle(tcp), 'TCP 127.0.0.1:8080 → 127.0.0.1:50000');
  assert.equal(KINDS.tcp.longTitle({ ...tcp, state: 'LISTEN', remote: '0.0.0.0:*' }), 'TCP listener 127.0.0.1:8080');
  const udp = SAMPLES.udp;
  assert.match(KINDS.udp.longTitle({ ...udp, state: 'UNCONN', remote: '0.0.0.0:*' }), /^UDP \S+ \(unconnected\)$/);
});

test('pipes, FIFOs and sockets page through their queued bytes as shared memory does, and say what their pages are: a queue that moves as it is read, a datagram socket\'s first datagram', () => {
  for (const k of ['pipe', 'fifo', 'unix', 'tcp', 'udp', 'sysv-shm', 'posix-shm', 'anon-shm', 'file-shm'] as const) assert.equal(KINDS[k].paged, true, k);
  for (const k of ['sysv-msg', 'posix-mq', 'sysv-sem', 'posix-sem', 'eventfd', 'pty'] as const) assert.equal(KINDS[k].paged, false, k);
  const note = (c: ChannelOf<ChannelKind>) => (kindOf(c.kind) as { pagedNote?(ch: typeof c): string | null }).pagedNote?.(c) ?? null;
  for (const c of [SAMPLES.pipe, SAMPLES.fifo, SAMPLES.unix, SAMPLES.tcp]) assert.match(note(c) ?? '', /^Offsets count from the oldest byte still queued; nothing is consumed\./, c.kind);
  for (const c of [SAMPLES.udp, { ...SAMPLES.unix, type: 'dgram' as const }, { ...SAMPLES.unix, type: 'seqpacket' as const }]) assert.match(note(c) ?? '', /^Pages move within the first queued datagram only/, `${c.kind} ${'type' in c ? c.type : ''}`);
  // a listener holds connections, no bytes: nothing to say about pages it has none of
  assert.equal(note({ ...SAMPLES.unix, state: 'listen' }), null);
  assert.equal(note({ ...SAMPLES.tcp, state: 'LISTEN' }), null);
  assert.equal(note(SAMPLES['posix-shm']), null);
});

test("the kinds whose Recv-Q is kernel memory, not bytes, say so (recvQueueIsMemory): a peek claims no byte total from it; MPTCP and UDP-Lite say what they are", () => {
  const memory = (c: ChannelOf<ChannelKind>) => kindOf(c.kind).recvQueueIsMemory?.(c as never) ?? false;
  for (const k of ['udp', 'raw', 'packet', 'ping', 'netlink'] as const) assert.equal(memory(SAMPLES[k]), true, k);
  for (const k of ['tcp', 'unix'] as const) assert.equal(memory(SAMPLES[k]), false, k);
  const mptcp = { ...SAMPLES.tcp, protocol: 'mptcp' as const, subflows: [{ family: 4 as const, local: '127.0.0.1:8080', remote: '127.0.0.1:50000', state: 'ESTAB', recvQueue: 0, sendQueue: 0 }, { family: 4 as const, local: '127.0.0.2:8080', remote: '127.0.0.1:50001', state: 'ESTAB', recvQueue: 0, sendQueue: 0, device: 'lo' }] };
  assert.equal(memory(mptcp), true, 'an MPTCP socket: its memory, as mptcp_diag reports it');
  assert.match(KINDS.tcp.longTitle(mptcp), /^MPTCP 127\.0\.0\.1:8080 → /);
  assert.match(KINDS.tcp.description(mptcp), /^ESTAB, MPTCP, 2 subflows/);
  const sub = KINDS.tcp.columns.find((c) => c.id === 'subflows')!;
  assert.equal(formatValue(sub, mptcp.subflows, mptcp), '127.0.0.1:8080 → 127.0.0.1:50000 ESTAB; 127.0.0.2%lo:8080 → 127.0.0.1:50001 ESTAB');
  const state = KINDS.tcp.columns.find((c) => c.id === 'state')!;
  assert.equal(formatValue(state, 'ESTAB', mptcp), 'ESTAB (MPTCP)');
  assert.equal(formatValue(state, 'ESTAB', SAMPLES.tcp), 'ESTAB', 'plain TCP: the state alone');
  // a blocked writer's MPTCP socket: Send-Q (memory) stays near 0 while its stream's unacknowledged bytes pile up
  assert.equal(KINDS.tcp.full({ ...mptcp, sendQueue: 0, unacked: 3_910_907 }), true, 'full by its unacknowledged bytes');
  assert.equal(KINDS.tcp.full({ ...mptcp, sendQueue: 70_000, unacked: 0 }), false, 'memory is no byte count');
  assert.equal(KINDS.tcp.full({ ...mptcp, sendQueue: 70_000 }), false, 'no unacknowledged bytes said: no claim');
  assert.equal(KINDS.tcp.full({ ...SAMPLES.tcp, sendQueue: 70_000 }), true, 'plain TCP: its Send-Q');
  const lite = { ...SAMPLES.udp, protocol: 'udplite' as const };
  assert.match(KINDS.udp.longTitle(lite), /^UDP-Lite /);
  assert.match(KINDS.udp.description(lite), /^ESTAB, UDP-Lite/);
});

test('an inet socket\'s kind and protocol from its IP protocol (SO_PROTOCOL), as a socket in no table is described', () => {
  assert.deepEqual(inetKindOf(6), { kind: 'tcp' });
  assert.deepEqual(inetKindOf(262), { kind: 'tcp', protocol: 'mptcp' }, 'IPPROTO_MPTCP');
  assert.deepEqual(inetKindOf(17), { kind: 'udp' });
  assert.deepEqual(inetKindOf(136), { kind: 'udp', protocol: 'udplite' }, 'IPPROTO_UDPLITE');
  for (const p of [0, 1, 58, 132, 255]) assert.equal(inetKindOf(p), null, `protocol ${p}: no inet kind (IP, ICMP, ICMPv6, SCTP, raw)`);
});
