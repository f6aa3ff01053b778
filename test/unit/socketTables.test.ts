// Which socket tables the socket probe reads in a namespace (probes/sockets.ts tablesToRead): the
// shown kinds' tables, MPTCP and UDP-Lite only where the namespace's protocol counts say it may
// have sockets of them (or the counts are unknown); and, to claim the sockets of the kinds not
// shown (claimUnwanted), their tables without MPTCP's (its sockets' inodes are their subflows',
// which the TCP table has).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tablesToRead } from '../../src/core/probes/sockets';

const counts = (o: Record<string, number>) => new Map(Object.entries(o));
const read = (kinds: string[], c: ReadonlyMap<string, number> | null, claim = false) => [...tablesToRead(new Set(kinds), c, claim)].sort();

test('the shown kinds\' tables: TCP in one dump, UDP and UDP-Lite per family', () => {
  assert.deepEqual(read(['unix', 'tcp', 'udp', 'raw', 'packet', 'ping', 'netlink'], null), ['mptcp', 'netlink', 'packet', 'ping', 'raw', 'tcp', 'udp4', 'udp6', 'udplite4', 'udplite6', 'unix']);
  assert.deepEqual(read(['unix'], null), ['unix']);
  assert.deepEqual(read(['pipe', 'fifo'], null), [], 'no socket kind: no table');
});

test('MPTCP and UDP-Lite only where the namespace counts sockets of them', () => {
  const none = counts({ TCP: 5, TCPv6: 2, UDP: 3, MPTCP: 0, MPTCPv6: 0, 'UDP-Lite': 0, UDPLITEv6: 0 });
  assert.deepEqual(read(['tcp', 'udp'], none), ['tcp', 'udp4', 'udp6']);
  assert.deepEqual(read(['tcp'], counts({ MPTCP: 0, MPTCPv6: 1 })), ['mptcp', 'tcp'], 'one MPTCPv6 socket');
  assert.deepEqual(read(['udp'], counts({ 'UDP-Lite': 1, UDPLITEv6: 0 })), ['udp4', 'udp6', 'udplite4'], 'each family by its own count');
  assert.deepEqual(read(['udp'], counts({ UDP: 1 })), ['udp4', 'udp6'], 'a kernel without UDP-Lite (no such line)');
  assert.deepEqual(read(['tcp', 'udp'], null), ['mptcp', 'tcp', 'udp4', 'udp6', 'udplite4', 'udplite6'], 'counts unknown (a hidden namespace): every table');
});

test('claiming the sockets of the kinds not shown: no MPTCP table, the TCP table claims them', () => {
  assert.deepEqual(read(['unix', 'udp', 'raw', 'packet', 'ping', 'netlink'], null, true), ['netlink', 'packet', 'ping', 'raw', 'udp4', 'udp6', 'udplite4', 'udplite6', 'unix']);
  assert.deepEqual(read(['tcp'], null, true), ['tcp']);
  assert.deepEqual(read(['tcp'], counts({ MPTCP: 3 }), true), ['tcp'], 'even where the namespace counts MPTCP sockets');
});
