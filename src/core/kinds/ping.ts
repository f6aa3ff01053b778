// ICMP ping sockets (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), IPPROTO_ICMPV6 for IPv6): what
// iputils' ping opens without privilege where net.ipv4.ping_group_range admits its group. A kind of
// its own, not a protocol of the raw kind: the kernel filters for it (it receives only the echo
// replies carrying its own identifier, where a raw ICMP socket gets a copy of every ICMP datagram
// the host receives), the identifier is a port the kernel allocates (the "port" column of
// /proc/net/icmp), and no tool's raw listing has it — ss lists none, lsof calls it `icmp` (IPv4)
// or `sock … PINGv6`. Read per network namespace by probes/pingSockets.ts from /proc/PID/net/icmp
// and icmp6 (the kernel has no sock_diag handler for them); one created but never bound (no echo
// sent yet) is in neither file and is described from its fd (hiddenNetns.ts). No other end.
import type { ChannelBase } from '../model';
import { col } from '../columns';
import { formatBytes } from '../text';
import { SOCKET_FDS } from './fds';
import { defineKind, inodeOfSimpleId, NETWORK_FACING_SOCKET, unheldSocket } from './kind';

export interface PingChannel extends ChannelBase {
  kind: 'ping';
  family: 4 | 6;
  /** The local address (`0.0.0.0`, `::` when bound to none), without the identifier. */
  local: string;
  /** The ICMP echo identifier it sends and receives (the kernel's "port" for it); 0 while not bound (no echo sent yet). */
  icmpId: number;
  /** The address it is connect()ed to, `*` when none. */
  remote: string;
  /** `UNCONN`, or `ESTAB` once connect()ed. */
  state: string;
  /** Receive buffer memory its queued echo replies take (sk_rmem_alloc, /proc/net/icmp's rx_queue): kernel memory, not payload bytes. */
  recvQueue: number;
  /** Send buffer memory in use (tx_queue). */
  sendQueue: number;
  inode: number;
  /** Network namespace inode, as text. */
  netns: string;
  uid: number;
}

/** The protocol as /etc/protocols names it: `icmp` (IPv4), `ipv6-icmp` (IPv6). */
export function pingProtocol(ch: Pick<PingChannel, 'family'>): string {
  return ch.family === 6 ? 'ipv6-icmp' : 'icmp';
}

/** The local end: `0.0.0.0 id 4242`, `[::1] id 7`; `0.0.0.0, not bound` before its first echo. */
export function pingLocal(ch: Pick<PingChannel, 'family' | 'local' | 'icmpId'>): string {
  const host = ch.family === 6 ? `[${ch.local}]` : ch.local;
  return ch.icmpId ? `${host} id ${ch.icmpId}` : `${host}, not bound`;
}

const c = col<PingChannel>();

export const ping = defineKind<PingChannel>({
  kind: 'ping',
  title: 'ICMP ping socket',
  teaching:
    "ICMP ping socket (SOCK_DGRAM, IPPROTO_ICMP or ICMPv6): what ping opens without privilege. Its process sends echo requests and receives only the echo replies carrying its own identifier, which the kernel allocates like a port; no other ICMP traffic reaches it. No connection, no other end.",
  icon: 'broadcast',
  group: { id: 'sockets', label: 'Sockets', sub: 'ICMP ping' },
  map: { family: 'socket', shared: false },
  idShape: /^\d{1,20}$/,
  inodeOfId: inodeOfSimpleId,
  name: (ch) => `${pingProtocol(ch)} ${pingLocal(ch)}${ch.remote === '*' ? '' : ` → ${ch.remote}`}`,
  longTitle: (ch) => `ICMP ping socket (IPv${ch.family}), ${pingLocal(ch)}${ch.remote === '*' ? '' : ` → ${ch.remote}`}`,
  description: (ch) => ch.state + `, IPv${ch.family}` + (ch.recvQueue ? `, rx ${formatBytes(ch.recvQueue)}` : '') + (ch.sendQueue ? `, tx ${formatBytes(ch.sendQueue)}` : ''),
  columns: [
    c('family', 'FAMILY', 'IP version', 'number', 'IP version, 4 (ICMP) or 6 (ICMPv6)', { wide: true }),
    c('state', 'STATE', 'State', 'string', 'UNCONN, or ESTAB when connect()ed', { search: 'text' }),
    c('local', 'LOCAL', 'Local address', 'string', 'Local address and the ICMP echo identifier the kernel gave it (its port in /proc/net/icmp); not bound before its first echo', {
      search: 'text',
      format: ((_: string, ch: PingChannel) => pingLocal(ch)) as (v: never, ch: PingChannel) => string,
    }),
    c('icmpId', 'ICMP ID', 'ICMP identifier', 'number', 'The echo identifier it sends and receives (0: not bound yet)', { search: 'number', wide: true }),
    c('remote', 'REMOTE', 'Remote address', 'string', 'The address it is connected to, * when none', { search: 'text' }),
    c('recvQueue', 'RECV-Q', 'Receive queue', 'number', 'Kernel memory its queued echo replies take (rx_queue of /proc/net/icmp), headers and buffers included'),
    c('sendQueue', 'SEND-Q', 'Send queue', 'number', 'Send buffer memory in use (tx_queue)'),
    c('inode', 'INODE', 'Inode', 'number', 'Socket inode', { search: 'number', wide: true }),
    c('uid', 'UID', 'Owner uid', 'number', 'Socket owner uid', { wide: true }),
    c('netns', 'NETNS', 'Network namespace', 'string', 'Network namespace inode', { wide: true }),
  ],
  search: (ch) => ({ texts: [pingProtocol(ch), pingLocal(ch)], addrs: ch.remote === '*' ? [ch.local] : [ch.local, ch.remote] }),
  ...NETWORK_FACING_SOCKET,
  fds: SOCKET_FDS,
  // recv(MSG_PEEK) on a pidfd_getfd copy leaves the reply queued (ping_recvmsg: skb_recv_datagram
  // with MSG_PEEK takes no skb off the queue)
  noPeekFor: unheldSocket,
  queue: (ch) => ({ bytes: ch.recvQueue + ch.sendQueue, counts: null, stamp: null }),
});
