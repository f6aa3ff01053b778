// Raw IP sockets (AF_INET/AF_INET6, SOCK_RAW): a process that sends and receives whole IP
// datagrams of one protocol itself — keepalived's VRRP (112), routing daemons' OSPF (89) and PIM
// (103), ping where unprivileged ping sockets are off (ICMP). `ss -w` lists them. Read per network
// namespace by probes/rawSockets.ts (raw_diag, else /proc/PID/net/raw{,6}); a raw socket has no
// other end to link: every datagram of its protocol the host receives is copied to it.
import type { ChannelBase } from '../model';
import { col } from '../columns';
import { formatBytes } from '../text';
import { SOCKET_FDS } from './fds';
import { defineKind, inodeOfSimpleId, NETWORK_FACING_SOCKET, unheldSocket } from './kind';

export interface RawChannel extends ChannelBase {
  kind: 'raw';
  family: 4 | 6;
  /** The IP protocol it was opened for (socket()'s third argument): 112 VRRP, 1 ICMP, 58 ICMPv6; 255 (IPPROTO_RAW) sends only. */
  protocol: number;
  /** The local address (`0.0.0.0`, `::` when not bound), without a port: raw sockets have none. */
  local: string;
  /** The address it is connected to, `*` when none. */
  remote: string;
  /** `UNCONN`, or `ESTAB` once connect()ed, as ss prints it. */
  state: string;
  /** Receive buffer memory its queued datagrams take (sk_rmem_alloc, ss's Recv-Q): kernel memory, not payload bytes. */
  recvQueue: number;
  /** Send buffer memory in use (ss's Send-Q). */
  sendQueue: number;
  inode: number;
  /** Network namespace inode, as text. */
  netns: string;
  uid: number;
  /** The device it is bound to (SO_BINDTODEVICE), by name in its namespace, from sock_diag; absent when none or read from /proc/net. */
  device?: string;
}

/** IP protocol names, as /etc/protocols spells them: the ones raw sockets are opened for in practice. */
const IP_PROTOCOLS: Readonly<Record<number, string>> = {
  1: 'icmp', 2: 'igmp', 4: 'ipip', 6: 'tcp', 17: 'udp', 41: 'ipv6', 46: 'rsvp', 47: 'gre', 50: 'esp', 51: 'ah',
  58: 'ipv6-icmp', 89: 'ospf', 103: 'pim', 112: 'vrrp', 115: 'l2tp', 132: 'sctp', 255: 'raw',
};

/** `vrrp(112)`, or `ip:253` for a protocol without a common name. */
export function ipProtocolText(p: number): string {
  const name = IP_PROTOCOLS[p];
  return name === undefined ? `ip:${p}` : `${name}(${p})`;
}

/** The local address as ss prints it for a raw socket, with its protocol where the port would be: `0.0.0.0:112`, `[::]%eth0:58`. */
export function rawLocal(ch: Pick<RawChannel, 'family' | 'local' | 'protocol' | 'device'>): string {
  const host = ch.family === 6 ? `[${ch.local}]` : ch.local;
  return `${host}${ch.device ? `%${ch.device}` : ''}:${ch.protocol}`;
}

/**
 * How ss prints an IPv6 raw socket bound to no address: `*:58` (`*%eth0:58`), as for a dual-stack
 * TCP or UDP socket — its rule looks at IPV6_V6ONLY alone, which no raw socket sets. Ours shows
 * `[::]:58`: an IPv6 raw socket never receives IPv4, and our `*` means a socket that also takes
 * IPv4 (inet.ts localShown). A query copied from ss finds it all the same (search below). Null
 * for any other.
 */
export function rawLocalAsSs(ch: Pick<RawChannel, 'family' | 'local' | 'protocol' | 'device'>): string | null {
  return ch.family === 6 && ch.local === '::' ? `*${ch.device ? `%${ch.device}` : ''}:${ch.protocol}` : null;
}

const c = col<RawChannel>();

export const raw = defineKind<RawChannel>({
  kind: 'raw',
  title: 'Raw IP socket',
  teaching:
    'Raw IP socket (SOCK_RAW): its process sends and receives whole IP datagrams of one protocol (VRRP, OSPF, ICMP…) and builds or reads their headers itself; the kernel copies every matching datagram the host receives to each such socket. No ports, no connection, no other end.',
  icon: 'radio-tower',
  group: { id: 'sockets', label: 'Sockets', sub: 'Raw IP' },
  map: { family: 'socket', shared: false },
  idShape: /^\d{1,20}$/,
  inodeOfId: inodeOfSimpleId,
  name: (ch) => `${ipProtocolText(ch.protocol)} ${ch.device ? `${ch.local}%${ch.device}` : ch.local}${ch.remote === '*' ? '' : ` → ${ch.remote}`}`,
  longTitle: (ch) => `Raw IPv${ch.family} socket, protocol ${ipProtocolText(ch.protocol)}, ${rawLocal(ch)}${ch.remote === '*' ? '' : ` → ${ch.remote}`}`,
  description: (ch) => ch.state + `, IPv${ch.family}` + (ch.recvQueue ? `, rx ${formatBytes(ch.recvQueue)}` : '') + (ch.sendQueue ? `, tx ${formatBytes(ch.sendQueue)}` : ''),
  columns: [
    c('family', 'FAMILY', 'IP version', 'number', 'IP version, 4 or 6', { wide: true }),
    c('protocol', 'PROTO', 'IP protocol', 'number', 'The IP protocol it sends and receives (112 VRRP, 89 OSPF, 1 ICMP, 58 ICMPv6; 255 = IPPROTO_RAW, send only)', {
      search: 'number',
      format: ((p: number) => ipProtocolText(p)) as (v: never) => string,
    }),
    c('state', 'STATE', 'State', 'string', 'UNCONN, or ESTAB when connect()ed, as ss prints it', { search: 'text' }),
    c('local', 'LOCAL', 'Local address', 'string', 'Local address as ss prints it, the protocol in place of a port (%DEVICE when bound to a device); an unbound IPv6 one [::]:58, which ss prints *:58 (found by either)', {
      search: 'text',
      format: ((_: string, ch: RawChannel) => rawLocal(ch)) as (v: never, ch: RawChannel) => string,
    }),
    c('remote', 'REMOTE', 'Remote address', 'string', 'The address it is connected to, * when none', { search: 'text' }),
    c('device', 'DEVICE', 'Bound to device', 'string|null', 'The network device it is bound to (SO_BINDTODEVICE)', { wide: true }),
    c('recvQueue', 'RECV-Q', 'Receive queue', 'number', "Kernel memory its queued datagrams take (ss's Recv-Q), headers and buffers included"),
    c('sendQueue', 'SEND-Q', 'Send queue', 'number', "Send buffer memory in use (ss's Send-Q)"),
    c('inode', 'INODE', 'Inode', 'number', 'Socket inode', { search: 'number', wide: true }),
    c('uid', 'UID', 'Owner uid', 'number', 'Socket owner uid', { wide: true }),
    c('netns', 'NETNS', 'Network namespace', 'string', 'Network namespace inode', { wide: true }),
  ],
  // its addresses as shown (`0.0.0.0:112`), and as ss prints an unbound IPv6 one (`*:58`): an
  // address-shaped query names sockets by them (filter.ts)
  search: (ch) => {
    const locals = [rawLocal(ch), rawLocalAsSs(ch)].filter((a): a is string => a !== null);
    return { texts: [ipProtocolText(ch.protocol), ...locals], addrs: ch.remote === '*' ? locals : [...locals, ch.remote] };
  },
  ...NETWORK_FACING_SOCKET,
  fds: SOCKET_FDS,
  // recv(MSG_PEEK) on a pidfd_getfd copy leaves the datagram queued (raw_recvmsg: skb_recv_datagram
  // with MSG_PEEK takes no skb off the queue)
  noPeekFor: unheldSocket,
  queue: (ch) => ({ bytes: ch.recvQueue + ch.sendQueue, counts: null, stamp: null }),
});
