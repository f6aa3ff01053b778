// Netlink sockets from /proc/net/netlink (what needs no kernel module) and from netlink_diag's
// columns: text as this kernel prints it and lines a parser must not take (headers, cut,
// garbled, out-of-range rows); the channels the snapshot lists from them (one per inode, kernel
// sockets kept for the fill to drop, connected USERSOCK pairs paired by port id, never a peer
// invented); the views' filter by protocol name and port id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcNetNetlink } from '../../src/core/parsers/net';
import { groupNumbers, prepareNetlink } from '../../src/core/probes/netlinkSockets';
import { groupsText, netlink as netlinkKind, netlinkLocal, netlinkOtherEnd, netlinkProtocolText } from '../../src/core/kinds/netlink';
import { matchesText } from '../../src/core/filter';
import type { NetlinkDiag } from '../../src/core/native';

// captured on kernel 6.18 (a route listener in RTMGRP_LINK, a uevent listener, generic netlink, a
// USERSOCK pair with an autobind clash's port id, the kernel's own sockets), and odd lines
const PROC = `sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode
0000000086947eb1 0   11711      00000001 0        0        0     2        0        29836673
00000000e28d5605 0   0          00000000 0        0        0     2        0        4       
00000000b7ca2ae8 2   11711      00000000 0        0        0     2        0        29836676
00000000ab5d1628 2   2234947117 00000000 832      0        0     2        0        29836677
000000005b3962ac 15  11711      00000011 8320     0        1     2        7        29836674
00000000d3d6de86 16  11711      00000000 0        0        0     2        0        29836675
00000000d3d6de87 16  11711      0000000g 0        0        0     2        0        29836678
00000000d3d6de88 300 11711      00000000 0        0        0     2        0        29836679
00000000d3d6de89 16  11711      00000000 0        0        0     2        0        0
00000000d3d6de8a 16  99999999999 00000000 0       0        0     2        0        29836680
00000000d3d6de8b 16  11711      00000000 -4       0        0     2        0        29836681
00000000d3d6de8c 16  11711      00000000 0        0        0     2
 garbage line with ten fields a b c d e f g
`;

test('/proc/net/netlink: protocol, port id (unsigned, as printed), first word of groups, memory, drops, dump, inode; odd lines dropped', () => {
  const d = parseProcNetNetlink(PROC);
  assert.deepEqual([...d.inode], [29836673, 4, 29836676, 29836677, 29836674, 29836675, 29836681]);
  assert.deepEqual([...d.protocol], [0, 0, 2, 2, 15, 16, 16]);
  assert.deepEqual([...d.portid], [11711, 0, 11711, 2234947117, 11711, 11711, 11711]);
  assert.deepEqual(d.groups, [[1], [], [], [], [0x11], [], []]);
  assert.deepEqual([...d.rqueue], [0, 0, 0, 832, 8320, 0, 0], 'a negative Rmem (never meant) reads 0, the socket kept');
  assert.deepEqual([...d.drops], [0, 0, 0, 0, 7, 0, 0]);
  assert.deepEqual([...d.dump], [0, 0, 0, 0, 1, 0, 0]);
  assert.equal(d.connected, undefined, '/proc/net/netlink says nothing of connections');
});

test('channels: groups as numbers (of the first 32 only, from /proc), ss\'s PROTO:PORTID, no peer without netlink_diag', () => {
  const chs = prepareNetlink(parseProcNetNetlink(PROC), '4026531840');
  assert.deepEqual(
    chs.map((c) => [c.id, netlinkLocal(c), c.groups, c.groupsUpTo, c.recvQueue, c.drops, c.dumping, c.peer, c.dstPortid, c.uid]),
    [
      ['netlink:29836673', 'rtnl:11711', [1], 32, 0, 0, false, undefined, undefined, null],
      ['netlink:4', 'rtnl:0', [], 32, 0, 0, false, undefined, undefined, null],
      ['netlink:29836676', 'usersock:11711', [], 32, 0, 0, false, undefined, undefined, null],
      // ss -n prints the clash's port id signed
      ['netlink:29836677', 'usersock:-2060020179', [], 32, 832, 0, false, undefined, undefined, null],
      ['netlink:29836674', 'uevent:11711', [1, 5], 32, 8320, 7, true, undefined, undefined, null],
      ['netlink:29836675', 'genl:11711', [], 32, 0, 0, false, undefined, undefined, null],
      ['netlink:29836681', 'genl:11711', [], 32, 0, 0, false, undefined, undefined, null],
    ],
  );
  assert.equal(netlinkOtherEnd(chs[2]), 'the kernel');
  assert.equal(netlinkKind.peer(chs[2]), undefined);
  assert.equal(netlinkKind.description(chs[4]), 'to the kernel, groups 1,5, dump running, rx 8.1 KiB, 7 dropped');
  assert.match(netlinkKind.peekAlters!(chs[4]) ?? '', /dump/);
  assert.equal(netlinkKind.peekAlters!(chs[0]), null);
  assert.equal(netlinkProtocolText(23), '23');
  assert.equal(groupsText([1, 2, 3, 5, 7, 8]), '1-3,5,7-8');
  assert.deepEqual(groupNumbers([0, 0x80000001, 1]), [33, 64, 65]);
});

/** netlink_diag's columns for: a USERSOCK pair connected to each other, one connected to a port id nobody has, a socket listed twice (bound and in a group), a uevent listener in group 1. */
function diag(): NetlinkDiag {
  const rows = [
    // protocol, portid, type, connected, dstPortid, dstGroup, inode, groups
    [2, 500, 3, 1, 2234947117, 0, 10, []],
    [2, 2234947117, 2, 1, 500, 0, 11, []],
    [2, 501, 3, 1, 777, 0, 12, []],
    [15, 500, 3, 0, 0, 0, 13, [1]],
    [15, 500, 3, 0, 0, 0, 13, [1]],
    [0, 600, 3, 0, 0, 0, 14, [0, 2]],
    // a rtnl socket of port id 500: another protocol's, never the USERSOCK one's peer
    [0, 777, 3, 0, 0, 0, 15, []],
  ] as const;
  const col = (k: number) => Float64Array.from(rows.map((r) => r[k] as number));
  return {
    protocol: col(0),
    portid: col(1),
    type: Uint8Array.from(rows.map((r) => r[2])),
    connected: Uint8Array.from(rows.map((r) => r[3])),
    dstPortid: col(4),
    dstGroup: col(5),
    inode: col(6),
    groups: rows.map((r) => [...r[7]]),
    rqueue: new Float64Array(rows.length),
    wqueue: new Float64Array(rows.length),
    drops: new Float64Array(rows.length),
    dump: new Uint8Array(rows.length),
  };
}

test('netlink_diag: a connected USERSOCK pair is paired by port id within its protocol; a port id nobody has, or another protocol\'s, pairs nothing; one row per inode; every group', () => {
  const chs = prepareNetlink(diag(), '1');
  assert.deepEqual(
    chs.map((c) => [c.id, c.type, c.dstPortid, c.peer, c.groups, c.groupsUpTo]),
    [
      ['netlink:10', 'raw', 2234947117, 'netlink:11', [], undefined],
      ['netlink:11', 'dgram', 500, 'netlink:10', [], undefined],
      ['netlink:12', 'raw', 777, undefined, [], undefined],
      ['netlink:13', 'raw', undefined, undefined, [1], undefined],
      ['netlink:14', 'raw', undefined, undefined, [34], undefined],
      ['netlink:15', 'raw', undefined, undefined, [], undefined],
    ],
  );
  assert.equal(netlinkKind.peer(chs[0]), 'netlink:11');
  assert.equal(netlinkOtherEnd(chs[1]), 'port id 500');
  assert.equal(netlinkOtherEnd(chs[2]), 'port id 777 (no socket of this protocol has it)');
  assert.equal(netlinkOtherEnd(chs[3]), 'the kernel');
  assert.match(netlinkKind.longTitle(chs[0]), /^Netlink socket usersock:500 \(NETLINK_USERSOCK, port id 500\), talking to port id -2060020179$/);
  // never bound (D-Bus's audit socket until it sends): port id 0, which only the kernel's own sockets have otherwise
  const unbound = { ...chs[0], portid: 0, peer: undefined, dstPortid: undefined, groups: [] };
  assert.match(netlinkKind.longTitle(unbound), /^Netlink socket usersock:0 \(NETLINK_USERSOCK, not bound\)/);
  assert.match(netlinkKind.description(unbound), /^to the kernel, not bound/);
});

test('the views\' filter finds them by ss\'s protocol name, the kernel\'s, ss\'s PROTO:PORTID and the port id', () => {
  const procs = new Map();
  const chs = prepareNetlink(parseProcNetNetlink(PROC), '1');
  const [route, , , clash, uevent] = chs;
  for (const q of ['rtnl', 'NETLINK_ROUTE', 'route', 'rtnl:11711', '11711']) assert.ok(matchesText(route, q, procs), q);
  for (const q of ['uevent', 'KOBJECT_UEVENT', 'uevent:11711']) assert.ok(matchesText(uevent, q, procs), q);
  for (const q of ['usersock:-2060020179', '-2060020179']) assert.ok(matchesText(clash, q, procs), q);
  assert.ok(!matchesText(route, 'uevent', procs));
  assert.ok(!matchesText(route, 'genl', procs));
  assert.ok(!matchesText(uevent, 'rtnl:11711', procs));
});

test('a kernel without netlink_diag (its dump answers ENOENT): /proc/net/netlink read at once, no warning, the dump not asked again for a while', async () => {
  const { netlinkTable } = await import('../../src/core/probes/netlinkSockets');
  let asked = 0;
  const ns = (fail: string) => ({
    id: '1',
    native: true,
    file: (name: string) => (name === 'netlink' ? PROC : null),
    diag: async <T>(): Promise<T> => {
      asked++;
      throw Object.assign(new Error(fail), { code: fail, syscall: 'sock_diag' });
    },
  });
  const warnings: string[] = [];
  // (NsReads.diag above stands for the dump inside the namespace: this one is never called)
  const diag = async (): Promise<NetlinkDiag> => {
    throw new Error('not called');
  };
  const t1 = await netlinkTable(ns('ENOENT'), diag, warnings);
  assert.equal(t1?.length, 7, 'the file, all of it');
  assert.deepEqual(warnings, []);
  const before = asked;
  await netlinkTable(ns('ENOENT'), diag, warnings);
  assert.equal(asked, before, 'not asked again');
  assert.ok(before <= 1);
});
