// Packet sockets (AF_PACKET): a process that receives (and may send) link-layer frames of one
// ethertype, or all of them, on one interface or on every one — DHCP clients, tcpdump and
// libpcap, lldpd, wpa_supplicant's EAPOL, keepalived's gratuitous ARP. `ss -0` lists them. Read
// per network namespace by probes/rawSockets.ts (packet_diag, else /proc/PID/net/packet); no other
// end: every matching frame the interface sees is copied to it.
import type { ChannelBase } from '../model';
import { col } from '../columns';
import { formatBytes, plural } from '../text';
import { SOCKET_FDS } from './fds';
import { defineKind, inodeOfSimpleId, NETWORK_FACING_SOCKET, unheldSocket } from './kind';

export interface PacketChannel extends ChannelBase {
  kind: 'packet';
  /** `raw` (SOCK_RAW: frames with their link-layer header) or `dgram` (SOCK_DGRAM: the header taken off). */
  type: 'raw' | 'dgram';
  /** The ethertype it receives, host order: 3 = ETH_P_ALL (every frame), 0x0800 IPv4, 0x0806 ARP, 0x88cc LLDP; 0 = none until bound. */
  protocol: number;
  /** The interface index it is bound to, 0 for every interface. */
  ifindex: number;
  /** That interface's name in its namespace (sock_diag; `if3` when it is gone or could not be named); absent for every interface. */
  device?: string;
  /** Receive buffer memory its queued frames take (sk_rmem_alloc, ss's Recv-Q): kernel memory, not payload bytes. */
  recvQueue: number;
  /** Send buffer memory in use; null where it was read from /proc/net/packet, which does not say. */
  sendQueue: number | null;
  /**
   * Its receive buffer's size (SO_RCVBUF as the kernel keeps it, ss's `rb`): a frame that arrives
   * when the memory in use (recvQueue) has reached it is dropped. From sock_diag; absent where read
   * from /proc/net/packet.
   */
  rcvbuf?: number;
  /** Frames dropped since it was opened, its receive buffer full (sk_drops, ss's `d`). From sock_diag; absent where read from /proc/net/packet. */
  drops?: number;
  inode: number;
  /** Network namespace inode, as text. */
  netns: string;
  uid: number;
  /**
   * It receives into a memory-mapped ring (PACKET_RX_RING: tcpdump, libpcap), not into its
   * receive queue, from packet_diag; absent when not, or read from /proc/net/packet.
   */
  ring?: boolean;
  /** That receive ring's layout and size (packet_diag's PACKET_DIAG_RX_RING, ss -0 -e's ring_rx); absent without one or from /proc/net/packet. */
  rxRing?: PacketRing;
  /** Its transmit ring (PACKET_TX_RING: frames it sends from mapped memory, ss -0 -e's ring_tx); absent without one. */
  txRing?: PacketRing;
}

/** A memory-mapped ring of a packet socket, as packet_diag describes it (struct packet_diag_ring). */
export interface PacketRing {
  /** The frame layout (PACKET_VERSION, packet_diag's pdi_version; ss -0 -e's ver): V3 fills variable-length frames into whole blocks, as libpcap asks. */
  version: 'TPACKET_V1' | 'TPACKET_V2' | 'TPACKET_V3';
  /** Bytes in one block (tp_block_size) and the blocks (tp_block_nr): the ring's memory is their product. */
  blockSize: number;
  blocks: number;
  /** Bytes in one frame slot (tp_frame_size) and the slots (tp_frame_nr); V3 packs frames of any length into blocks instead. */
  frameSize: number;
  frames: number;
}

/** How a ring reads, one spelling for the tree, the inspector and the CLI: `TPACKET_V3 ring, 4 MiB (2 × 2 MiB blocks)`. */
export function ringText(r: PacketRing, tx = false): string {
  return `${r.version}${tx ? ' tx' : ''} ring, ${formatBytes(r.blockSize * r.blocks)} (${plural(r.blocks, `× ${formatBytes(r.blockSize)} block`)})`;
}

/** Ethertype names, as ss (`ll_proto_n2a`) spells them: the common ones. ETH_P_ALL is `*`. */
const ETHERTYPES: Readonly<Record<number, string>> = {
  0x0003: '*', 0x0800: 'ip', 0x0806: 'arp', 0x86dd: 'ipv6', 0x8100: '802.1Q', 0x88a8: '802.1ad', 0x888e: 'eapol',
  0x88cc: 'lldp', 0x8035: 'rarp', 0x8863: 'ppp_disc', 0x8864: 'ppp_ses', 0x8847: 'mpls_uc', 0x88f7: 'ptp', 0x0004: '802_2',
};

/** `*` (ETH_P_ALL), `ip`, `lldp`, or `0x88b5` for an ethertype without a common name. */
export function ethertypeText(p: number): string {
  return ETHERTYPES[p] ?? `0x${p.toString(16).padStart(4, '0')}`;
}

/** ss -0's local address: `PROTOCOL:INTERFACE`, `*` for every protocol (ETH_P_ALL) or every interface: `*:*`, `ip:lo`. */
export function packetLocal(ch: Pick<PacketChannel, 'protocol' | 'device' | 'ifindex'>): string {
  return `${ethertypeText(ch.protocol)}:${ch.device ?? (ch.ifindex ? `if${ch.ifindex}` : '*')}`;
}

/** Why a peek of a socket with a receive ring shows nothing. */
const RING_NOTE =
  'This packet socket receives into a memory-mapped ring (PACKET_RX_RING: tcpdump, libpcap), not into its receive queue: its frames are in its process\'s memory, and a peek (MSG_PEEK) of the queue would show nothing.';

const c = col<PacketChannel>();

export const packet = defineKind<PacketChannel>({
  kind: 'packet',
  title: 'Packet socket',
  teaching:
    'Packet socket (AF_PACKET): its process receives link-layer frames of one ethertype, or all of them (ETH_P_ALL), from one interface or every one, and may send its own — DHCP clients, tcpdump, lldpd. raw: frames with their link-layer header; dgram: the header taken off. No ports, no other end.',
  icon: 'pulse',
  group: { id: 'sockets', label: 'Sockets', sub: 'Packet' },
  map: { family: 'socket', shared: false },
  idShape: /^\d{1,20}$/,
  inodeOfId: inodeOfSimpleId,
  name: (ch) => packetLocal(ch),
  longTitle: (ch) =>
    `Packet socket (${ch.type}), ${ch.protocol === 3 ? 'every protocol (ETH_P_ALL)' : ch.protocol === 0 ? 'no protocol yet' : `protocol ${ethertypeText(ch.protocol)}`} on ${ch.ifindex ? (ch.device ?? `if${ch.ifindex}`) : 'every interface'}`,
  description: (ch) =>
    `${ch.type}` +
    (ch.protocol === 3 ? ', all protocols' : '') +
    (ch.rxRing ? `, ${ringText(ch.rxRing)}` : ch.ring ? ', rx ring' : '') +
    (ch.txRing ? `, ${ringText(ch.txRing, true)}` : '') +
    (ch.recvQueue ? `, rx ${formatBytes(ch.recvQueue)}` : '') +
    (ch.sendQueue ? `, tx ${formatBytes(ch.sendQueue)}` : ''),
  columns: [
    c('type', 'TYPE', 'Socket type', 'string', 'raw (SOCK_RAW: with the link-layer header) or dgram (SOCK_DGRAM: without)', { search: 'text' }),
    c('protocol', 'PROTO', 'Ethertype', 'number', 'The ethertype it receives as ss names it: * = ETH_P_ALL (every frame), ip, arp, ipv6, lldp…; 0 = none until bound', {
      format: ((p: number) => ethertypeText(p)) as (v: never) => string,
    }),
    c('device', 'DEVICE', 'Interface', 'string|null', 'The interface it is bound to; empty for every interface', { search: 'text' }),
    c('ifindex', 'IFINDEX', 'Interface index', 'number', 'The interface index it is bound to, 0 for every interface', { wide: true }),
    c('recvQueue', 'RECV-Q', 'Receive queue', 'number', "Kernel memory its queued frames take (ss's Recv-Q), buffers included"),
    c('sendQueue', 'SEND-Q', 'Send queue', 'number|null', 'Send buffer memory in use (ss prints 0; null where read from /proc/net/packet, which does not say)'),
    c('rcvbuf', 'RCVBUF', 'Receive buffer', 'number|null', "Its receive buffer's size (ss's rb): frames that arrive once RECV-Q has reached it are dropped", { wide: true }),
    c('drops', 'DROPS', 'Dropped frames', 'number|null', "Frames dropped since it was opened because its receive buffer was full (ss's d)", { wide: true }),
    c('ring', 'RX RING', 'Receive ring', 'boolean', 'It receives into a memory-mapped ring (PACKET_RX_RING), not its receive queue', { wide: true }),
    c('rxRing', 'RX RING SIZE', 'Receive ring layout', 'string|null', "Its receive ring's frame layout (TPACKET_V1..V3) and memory, blocks × block size (ss -0 -e's ver and ring_rx)", {
      wide: true,
      format: ((r: PacketRing | undefined) => (r ? ringText(r) : '')) as (v: never) => string,
    }),
    c('txRing', 'TX RING', 'Transmit ring', 'string|null', "Its transmit ring (PACKET_TX_RING), layout and memory (ss -0 -e's ring_tx)", {
      wide: true,
      format: ((r: PacketRing | undefined) => (r ? ringText(r, true) : '')) as (v: never) => string,
    }),
    c('inode', 'INODE', 'Inode', 'number', 'Socket inode', { search: 'number', wide: true }),
    c('uid', 'UID', 'Owner uid', 'number', 'Socket owner uid', { wide: true }),
    c('netns', 'NETNS', 'Network namespace', 'string', 'Network namespace inode', { wide: true }),
  ],
  search: (ch) => ({ texts: [packetLocal(ch)] }),
  ...NETWORK_FACING_SOCKET,
  fds: SOCKET_FDS,
  // recv(MSG_PEEK) on a pidfd_getfd copy leaves the frame queued (packet_recvmsg: skb_recv_datagram with MSG_PEEK)
  noPeekFor: (ch) => unheldSocket(ch) ?? (ch.ring ? RING_NOTE : null),
  queue: (ch) => ({ bytes: ch.recvQueue + (ch.sendQueue ?? 0), counts: null, stamp: null }),
});
