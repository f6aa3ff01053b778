// ICMP ping sockets from /proc/net/icmp and icmp6 (their only table: the kernel has no sock_diag
// handler for them) as this kernel prints them, and from a never-bound socket's fd (socketNetns's
// answer).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcNetInet } from '../../src/core/parsers/net';
import { pingOfFd, preparePing } from '../../src/core/probes/pingSockets';
import { ping as pingKind, pingLocal } from '../../src/core/kinds/ping';
import { matchesText } from '../../src/core/filter';

// captured on kernel 6.18: iputils ping 127.0.0.1 (id 0xF2C9, two replies queued), a connected
// IPv6 one (::1 → ::1), and a garbled line
const ICMP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops             
   28: 00000000:F2C9 00000000:0000 07 00000000:00000680 00:00000000 00000000     0        0 29551669 2 00000000495ced04 0      
   29: 0100007F:0007 0100007F:0000 01 00000000:00000000 00:00000000 00000000 65534        0 29551670 2 00000000495ced05 0      
 garbage
`;
const ICMP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
   33: 00000000000000000000000001000000:F2CE 00000000000000000000000001000000:0000 01 00000000:00000340 00:00000000 00000000     0        0 29818567 2 00000000af416267 0
`;

test('/proc/net/icmp and icmp6: the ICMP identifier from the port column, connected or not, queues, uid, inode', () => {
  const chs = [...preparePing(parseProcNetInet(ICMP), '4026531833'), ...preparePing(parseProcNetInet(ICMP6), '4026531833')];
  assert.deepEqual(
    chs.map((c) => [c.id, c.family, c.local, c.icmpId, c.remote, c.state, c.recvQueue, c.sendQueue, c.uid, c.netns]),
    [
      ['ping:29551669', 4, '0.0.0.0', 0xf2c9, '*', 'UNCONN', 1664, 0, 0, '4026531833'],
      ['ping:29551670', 4, '127.0.0.1', 7, '127.0.0.1', 'ESTAB', 0, 0, 65534, '4026531833'],
      ['ping:29818567', 6, '::1', 0xf2ce, '::1', 'ESTAB', 832, 0, 0, '4026531833'],
    ],
  );
  assert.deepEqual(chs.map((c) => pingKind.name(c, 80)), ['icmp 0.0.0.0 id 62153', 'icmp 127.0.0.1 id 7 → 127.0.0.1', 'ipv6-icmp [::1] id 62158 → ::1']);
  assert.equal(pingKind.description(chs[0]), 'UNCONN, IPv4, rx 1.6 KiB');
  assert.equal(pingKind.longTitle!(chs[2]), 'ICMP ping socket (IPv6), [::1] id 62158 → ::1');
});

test('a ping socket never bound, from its fd: a SOCK_DGRAM ICMP or ICMPv6 socket; not a raw ICMP socket, nor ICMPv6 on IPv4', () => {
  const fd = { type: 2, protocol: 58, localAddr: '::', localPort: 0, remoteAddr: '', remotePort: 0, tcpState: 0, rqueue: 0, wqueue: 0, v6only: 0, uid: 65534 };
  const ch = pingOfFd(41, '7', 6, fd);
  assert.deepEqual(ch, { id: 'ping:41', kind: 'ping', family: 6, local: '::', icmpId: 0, remote: '*', state: 'UNCONN', recvQueue: 0, sendQueue: 0, inode: 41, netns: '7', uid: 65534 });
  assert.equal(pingLocal(ch!), '[::], not bound');
  assert.equal(pingOfFd(42, '7', 6, { ...fd, type: 3 }), null, 'SOCK_RAW: a raw socket, listed from /proc/net/raw6');
  assert.equal(pingOfFd(43, '7', 4, fd), null);
  assert.equal(pingOfFd(44, '7', 4, { ...fd, protocol: 1, localAddr: '', remoteAddr: '127.0.0.1' })?.state, 'ESTAB');
});

test("the views' filter finds a ping socket by protocol, identifier and address", () => {
  const [a, b] = preparePing(parseProcNetInet(ICMP), '1');
  const procs = new Map();
  for (const q of ['icmp', '62153', '0.0.0.0']) assert.ok(matchesText(a, q, procs), q);
  assert.ok(matchesText(b, '127.0.0.1', procs));
  assert.ok(!matchesText(a, 'vrrp', procs));
});
