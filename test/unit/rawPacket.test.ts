// Raw IP and packet sockets from /proc/net (the fallback where the kernel has no raw_diag or
// packet_diag): /proc/net/raw{,6} and /proc/net/packet text as this kernel prints it, and lines a
// parser must not take (headers, cut or garbled rows), into the channels the snapshot lists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcNetInet, parseProcNetPacket } from '../../src/core/parsers/net';
import { preparePacket, prepareRaw } from '../../src/core/probes/rawSockets';
import { ipProtocolText, raw as rawKind, rawLocal } from '../../src/core/kinds/raw';
import { ethertypeText, packet as packetKind, packetLocal, ringText } from '../../src/core/kinds/packet';
import { formatValue } from '../../src/core/columns';
import type { PacketDiag } from '../../src/core/native';
import { matchesText } from '../../src/core/filter';

// captured on kernel 6.18: keepalived-like VRRP (112) on IPv4 with 832 bytes queued, ICMPv6 (58) on IPv6
const RAW = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 255: 00000000:0070 00000000:0000 07 00000000:00000340 00:00000000 00000000     0        0 20742849 2 0000000049ba1ef8 0
   1: 0100007F:0001 0200007F:0000 01 00000100:00000000 00:00000000 00000000  1000        0 20742860 2 0000000049ba1ef9 0
 garbage line
 256: 00000000:0070 00000000:0000 07 00000000
`;
const RAW6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  188: 00000000000000000000000000000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 20742850 2 00000000319490f6 0
`;
const PACKET = `sk               RefCnt Type Proto  Iface R Rmem   User   Inode
000000004f6bf072 3      3    0003   0     1 0      0      20742851
00000000e9cb9953 3      2    0800   1     1 1280   101    20742852
00000000e9cb9954 3      2    zzzz   1     1 1280   101    20742853
00000000e9cb9955 3      2    88cc   2     1 -5     0      20742854
00000000e9cb9956 3      2
`;

test('/proc/net/raw and raw6: protocol from the local port, connected or not, queues, uid, inode', () => {
  const chs = [...prepareRaw(parseProcNetInet(RAW), '4026531840'), ...prepareRaw(parseProcNetInet(RAW6), '4026531840')];
  assert.deepEqual(
    chs.map((c) => [c.id, c.family, c.protocol, c.local, c.remote, c.state, c.recvQueue, c.sendQueue, c.uid, c.device]),
    [
      ['raw:20742849', 4, 112, '0.0.0.0', '*', 'UNCONN', 832, 0, 0, undefined],
      ['raw:20742860', 4, 1, '127.0.0.1', '127.0.0.2', 'ESTAB', 0, 256, 1000, undefined],
      ['raw:20742850', 6, 58, '::', '*', 'UNCONN', 0, 0, 0, undefined],
    ],
  );
  assert.deepEqual(chs.map((c) => rawLocal(c)), ['0.0.0.0:112', '127.0.0.1:1', '[::]:58']);
  assert.deepEqual(chs.map((c) => rawKind.name(c, 80)), ['vrrp(112) 0.0.0.0', 'icmp(1) 127.0.0.1 → 127.0.0.2', 'ipv6-icmp(58) ::']);
  assert.equal(ipProtocolText(253), 'ip:253');
  assert.equal(rawKind.description(chs[0]), 'UNCONN, IPv4, rx 832 bytes');
});

test('/proc/net/packet: type, ethertype (hex), interface index, Rmem, uid, inode; no send memory, no ring, rows that do not parse dropped', () => {
  const chs = preparePacket(parseProcNetPacket(PACKET), '4026531840');
  assert.deepEqual(
    chs.map((c) => [c.id, c.type, c.protocol, c.ifindex, c.device, c.recvQueue, c.sendQueue, c.uid, c.ring]),
    [
      ['packet:20742851', 'raw', 3, 0, undefined, 0, null, 0, undefined],
      ['packet:20742852', 'dgram', 0x0800, 1, undefined, 1280, null, 101, undefined],
    ],
  );
  // ss -0's local address: `*` for ETH_P_ALL and for every interface; an index without a name read as ss prints an unknown one
  assert.deepEqual(chs.map((c) => packetLocal(c)), ['*:*', 'ip:if1']);
  assert.equal(packetLocal({ ...chs[1], device: 'lo' }), 'ip:lo');
  assert.equal(ethertypeText(0x88b5), '0x88b5');
  assert.equal(packetKind.description(chs[0]), 'raw, all protocols');
  assert.match(packetKind.noPeekFor!({ ...chs[0], endpoints: [{ pid: 1, fd: 3, mode: 'rw' }], ring: true }) ?? '', /PACKET_RX_RING/);
  assert.equal(packetKind.noPeekFor!({ ...chs[0], endpoints: [{ pid: 1, fd: 3, mode: 'rw' }] }), null);
});

test('the views\' filter finds them by protocol name and number, address, interface, ethertype', () => {
  const procs = new Map();
  const [vrrp] = prepareRaw(parseProcNetInet(RAW), '1');
  const [all, ip] = preparePacket(parseProcNetPacket(PACKET), '1');
  const lo = { ...ip, device: 'lo' };
  for (const q of ['vrrp', '112', '0.0.0.0:112']) assert.ok(matchesText(vrrp, q, procs), q);
  assert.ok(!matchesText(vrrp, 'ospf', procs));
  // an unbound IPv6 one, shown [::]:58, by ss's spelling too (*:58: radvd, bird's OSPFv3); not an IPv4 one by it
  const [icmp6] = prepareRaw(parseProcNetInet(RAW6), '1');
  for (const q of ['[::]:58', '*:58', '*:5', 'ipv6-icmp']) assert.ok(matchesText(icmp6, q, procs), q);
  assert.ok(matchesText({ ...icmp6, device: 'hv0' }, '*%hv0:58', procs));
  assert.ok(!matchesText(vrrp, '*:112', procs), 'ss prints an IPv4 one 0.0.0.0:112');
  assert.ok(!matchesText(icmp6, '*:89', procs));
  assert.ok(matchesText(lo, 'ip:lo', procs));
  assert.ok(matchesText(lo, 'dgram', procs));
  assert.ok(matchesText(all, '*:*', procs));
  assert.ok(!matchesText(all, 'lo', procs));
});

/** One packet_diag row with rings (as the addon gives it), the others without. */
function diag(rows: { version: number; rx?: number[]; tx?: number[] }[]): PacketDiag {
  const col = (f: (r: (typeof rows)[number]) => number) => Float64Array.from(rows.map(f));
  return {
    type: Uint8Array.from(rows.map(() => 3)),
    protocol: col(() => 3),
    ifindex: col(() => 0),
    iface: rows.map(() => ''),
    ring: Uint8Array.from(rows.map((r) => (r.rx ? 1 : 0))),
    rqueue: col(() => 0),
    wqueue: col(() => 0),
    inode: col((_r) => 100 + rows.indexOf(_r)),
    uid: col(() => 0),
    version: Uint8Array.from(rows.map((r) => r.version)),
    rxBlockSize: col((r) => r.rx?.[0] ?? 0),
    rxBlocks: col((r) => r.rx?.[1] ?? 0),
    rxFrameSize: col((r) => r.rx?.[2] ?? 0),
    rxFrames: col((r) => r.rx?.[3] ?? 0),
    txBlockSize: col((r) => r.tx?.[0] ?? 0),
    txBlocks: col((r) => r.tx?.[1] ?? 0),
    txFrameSize: col((r) => r.tx?.[2] ?? 0),
    txFrames: col((r) => r.tx?.[3] ?? 0),
  };
}

test("packet_diag's rings: version and size on the channel, read one way in the tree, the inspector and the CLI", () => {
  const [v3, v2, none] = preparePacket(
    diag([
      { version: 2, rx: [2 << 20, 2, 2048, 2048] },
      { version: 1, rx: [4096, 1, 2048, 2], tx: [1 << 20, 4, 4096, 1024] },
      { version: 0 },
    ]),
    '1',
  );
  assert.deepEqual(v3.rxRing, { version: 'TPACKET_V3', blockSize: 2 << 20, blocks: 2, frameSize: 2048, frames: 2048 });
  assert.equal(v3.txRing, undefined);
  assert.equal(none.rxRing, undefined, 'no ring: no version either (every socket reports TPACKET_V1)');
  assert.equal(ringText(v3.rxRing!), 'TPACKET_V3 ring, 4 MiB (2 × 2 MiB blocks)');
  assert.equal(packetKind.description(v3), 'raw, all protocols, TPACKET_V3 ring, 4 MiB (2 × 2 MiB blocks)');
  assert.equal(packetKind.description(v2), 'raw, all protocols, TPACKET_V2 ring, 4 KiB (1 × 4 KiB block), TPACKET_V2 tx ring, 4 MiB (4 × 1 MiB blocks)');
  const col = (id: string) => packetKind.columns.find((c) => c.id === id)!;
  assert.equal(formatValue(col('rxRing'), v3.rxRing, v3), 'TPACKET_V3 ring, 4 MiB (2 × 2 MiB blocks)');
  assert.equal(formatValue(col('txRing'), v2.txRing, v2), 'TPACKET_V2 tx ring, 4 MiB (4 × 1 MiB blocks)');
});
