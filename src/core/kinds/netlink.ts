// Netlink sockets (AF_NETLINK): a process's channel to the kernel — route and link changes
// (NETLINK_ROUTE: NetworkManager, systemd-networkd, BIRD, keepalived), device events
// (NETLINK_KOBJECT_UEVENT: udev, WirePlumber), generic netlink families (nl80211, collectd's
// taskstats), audit, netfilter — or, for NETLINK_USERSOCK and connect()ed sockets, to another
// socket's port id. `ss -A netlink` and lsof (TYPE `netlink`) list them. Read per network namespace
// by probes/netlinkSockets.ts (/proc/PID/net/netlink; netlink_diag where no module would be loaded
// for it); the kernel's own socket of each protocol (port id 0) is the other end of the rest, not
// a channel of its own.
import type { ChannelBase } from '../model';
import { col } from '../columns';
import { formatBytes } from '../text';
import { SOCKET_FDS } from './fds';
import { defineKind, inodeOfSimpleId, NETWORK_FACING_SOCKET, unheldSocket } from './kind';

export interface NetlinkChannel extends ChannelBase {
  kind: 'netlink';
  /** The netlink protocol (socket()'s third argument): 0 NETLINK_ROUTE, 2 USERSOCK, 15 KOBJECT_UEVENT, 16 GENERIC… */
  protocol: number;
  /** Its port id (nl_pid): often its process's pid; an autobind clash gives large (negative as a signed number) ones. */
  portid: number;
  /** The multicast groups it is bound to (1-based: RTMGRP_LINK is group 1), ascending. */
  groups: number[];
  /** Only the first 32 groups are known (read from /proc/net/netlink, which prints one word of the bitmap). */
  groupsUpTo?: 32;
  /** Receive buffer memory its queued messages take (sk_rmem_alloc, ss's Recv-Q): kernel memory, not payload bytes. */
  recvQueue: number;
  /** Send buffer memory in use (ss's Send-Q). */
  sendQueue: number;
  /** Its receive buffer's size (sk_rcvbuf, ss -m's rb), from netlink_diag; absent from /proc/net/netlink. */
  rcvbuf?: number;
  /** Messages dropped because its receive buffer was full (sk_drops): events it never saw. */
  drops: number;
  /** A dump it asked for is running: the kernel queues the next part as it reads. */
  dumping: boolean;
  /** SOCK_RAW or SOCK_DGRAM (the same to netlink); from netlink_diag only. */
  type?: 'raw' | 'dgram';
  /**
   * Where it sends by default once connect()ed (netlink_diag only; absent: not connected, or not
   * known — /proc/net/netlink does not say): a port id (0: the kernel) and a group.
   */
  dstPortid?: number;
  dstGroup?: number;
  /** The socket of its namespace and protocol whose port id it is connected to (NETLINK_USERSOCK pairs); absent: the kernel is its other end. */
  peer?: string;
  inode: number;
  /** Network namespace inode, as text. */
  netns: string;
  /** Its first holder's uid (neither source names a netlink socket's owner); null when no process holds it. */
  uid: number | null;
}

/** Protocol names as ss (iproute2's nl_proto_tab) prints them. */
const SS_NAMES: Readonly<Record<number, string>> = {
  0: 'rtnl', 1: 'unused', 2: 'usersock', 3: 'fw', 4: 'tcpdiag', 5: 'nflog', 6: 'xfrm', 7: 'selinux', 8: 'iscsi', 9: 'audit',
  10: 'fiblookup', 11: 'connector', 12: 'nft', 13: 'ip6fw', 14: 'dec-rt', 15: 'uevent', 16: 'genl', 18: 'scsi-trans',
  19: 'ecryptfs', 20: 'rdma', 21: 'crypto',
};

/** The kernel's names (NETLINK_*), as lsof prints them in NAME. */
const KERNEL_NAMES: Readonly<Record<number, string>> = {
  0: 'ROUTE', 1: 'UNUSED', 2: 'USERSOCK', 3: 'FIREWALL', 4: 'SOCK_DIAG', 5: 'NFLOG', 6: 'XFRM', 7: 'SELINUX', 8: 'ISCSI',
  9: 'AUDIT', 10: 'FIB_LOOKUP', 11: 'CONNECTOR', 12: 'NETFILTER', 13: 'IP6_FW', 14: 'DNRTMSG', 15: 'KOBJECT_UEVENT',
  16: 'GENERIC', 18: 'SCSITRANSPORT', 19: 'ECRYPTFS', 20: 'RDMA', 21: 'CRYPTO', 22: 'SMC',
};

/** `rtnl`, `uevent`, `genl`, or the number for a protocol ss has no name for. */
export function netlinkProtocolText(p: number): string {
  return SS_NAMES[p] ?? String(p);
}

/** `NETLINK_ROUTE`, or `protocol 23`. */
export function netlinkKernelName(p: number): string {
  const n = KERNEL_NAMES[p];
  return n === undefined ? `protocol ${p}` : `NETLINK_${n}`;
}

/** The port id as ss -n prints it: signed (an autobind clash's port ids are negative there). */
export function portidText(portid: number): string {
  return String(portid | 0);
}

/** ss's local address: `PROTOCOL:PORTID`, `rtnl:812`. */
export function netlinkLocal(ch: Pick<NetlinkChannel, 'protocol' | 'portid'>): string {
  return `${netlinkProtocolText(ch.protocol)}:${portidText(ch.portid)}`;
}

/** `1,4` / `1-3,7`: group numbers, runs joined. */
export function groupsText(groups: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < groups.length; ) {
    let j = i;
    while (j + 1 < groups.length && groups[j + 1] === groups[j] + 1) j++;
    out.push(j > i ? `${groups[i]}-${groups[j]}` : String(groups[i]));
    i = j + 1;
  }
  return out.join(',');
}

/** The other end, in words: the kernel, another socket's port id, or a group. */
export function netlinkOtherEnd(ch: Pick<NetlinkChannel, 'dstPortid' | 'dstGroup' | 'peer'>): string {
  if (ch.dstPortid === undefined || (ch.dstPortid === 0 && !ch.dstGroup)) return 'the kernel';
  if (ch.dstPortid === 0) return `group ${ch.dstGroup}`;
  return ch.peer ? `port id ${portidText(ch.dstPortid)}` : `port id ${portidText(ch.dstPortid)} (no socket of this protocol has it)`;
}

/** Why a peek may change what the holder gets next while a dump runs. */
const DUMP_NOTE =
  'A dump it asked for is running: netlink continues a running dump on every read of the socket, a peek too, so a peek makes the kernel queue the dump\'s next part sooner than the holder would have (nothing is consumed).';

const c = col<NetlinkChannel>();

export const netlink = defineKind<NetlinkChannel>({
  kind: 'netlink',
  title: 'Netlink socket',
  teaching:
    "Netlink socket (AF_NETLINK): its process talks to the kernel — asks it (route tables, links, sockets) and hears its events (link and address changes, device uevents, audit) through the multicast groups it joined. Messages, not a byte stream; the kernel's own socket of the protocol (port id 0) is the other end, except for NETLINK_USERSOCK and connect()ed sockets, which send to another socket's port id.",
  icon: 'server-environment',
  group: { id: 'sockets', label: 'Sockets', sub: 'Netlink' },
  map: { family: 'socket', shared: false },
  idShape: /^\d{1,20}$/,
  inodeOfId: inodeOfSimpleId,
  name: (ch) => netlinkLocal(ch),
  longTitle: (ch) =>
    `Netlink socket ${netlinkLocal(ch)} (${netlinkKernelName(ch.protocol)}, ${ch.portid === 0 ? 'not bound' : `port id ${portidText(ch.portid)}`})` + (ch.groups.length ? `, groups ${groupsText(ch.groups)}` : '') + `, talking to ${netlinkOtherEnd(ch)}`,
  description: (ch) =>
    // the other end first: the kernel for all but connect()ed ones (a USERSOCK pair's)
    [
      `to ${netlinkOtherEnd(ch)}`,
      // (port id 0 on a user socket: never bound; the kernel gives one at its first bind or send)
      ch.portid === 0 ? 'not bound' : '',
      ch.groups.length ? `groups ${groupsText(ch.groups)}` : '',
      ch.dumping ? 'dump running' : '',
      ch.recvQueue ? `rx ${formatBytes(ch.recvQueue)}` : '',
      ch.sendQueue ? `tx ${formatBytes(ch.sendQueue)}` : '',
      ch.drops ? `${ch.drops.toLocaleString('en-US')} dropped` : '',
    ]
      .filter((s) => s)
      .join(', '),
  columns: [
    c('protocol', 'PROTO', 'Netlink protocol', 'number', 'The netlink protocol as ss names it (rtnl = NETLINK_ROUTE, uevent = NETLINK_KOBJECT_UEVENT, genl = NETLINK_GENERIC, tcpdiag = NETLINK_SOCK_DIAG, nft = NETLINK_NETFILTER…)', {
      search: 'number',
      format: ((p: number) => `${netlinkProtocolText(p)} (${netlinkKernelName(p)})`) as (v: never) => string,
    }),
    c('portid', 'PORTID', 'Port id', 'number', "Its port id (nl_pid, ss's local port): often its process's pid", { search: 'number', format: ((p: number) => portidText(p)) as (v: never) => string }),
    c('groups', 'GROUPS', 'Multicast groups', 'number[]', 'The multicast groups it is bound to (events it hears: RTMGRP_LINK is group 1), 1-based', {
      format: ((g: number[], ch: NetlinkChannel) => (g.length ? groupsText(g) : 'none') + (ch.groupsUpTo ? ` (of groups 1-${ch.groupsUpTo}: /proc/net/netlink shows no more)` : '')) as (v: never, ch: NetlinkChannel) => string,
    }),
    c('dstPortid', 'DST', 'Connected to', 'number|null', 'The port id it is connect()ed to (0: the kernel); empty when not connected or not known (/proc/net/netlink does not say)', {
      format: ((_: number, ch: NetlinkChannel) => netlinkOtherEnd(ch)) as (v: never, ch: NetlinkChannel) => string,
    }),
    c('dstGroup', 'DST GROUP', 'Connected to group', 'number|null', 'The group it is connect()ed to (its sends go to that group)', { wide: true }),
    c('peer', 'PEER', 'Peer', 'string', 'Channel id of the socket whose port id it is connected to; empty: the kernel is the other end'),
    c('recvQueue', 'RECV-Q', 'Receive queue', 'number', "Kernel memory its queued messages take (ss's Recv-Q), buffers included"),
    c('sendQueue', 'SEND-Q', 'Send queue', 'number', "Send buffer memory in use (ss's Send-Q)"),
    c('rcvbuf', 'RCVBUF', 'Receive buffer', 'number|null', "Its receive buffer's size (ss -m's rb): messages that arrive once RECV-Q is past it are dropped (netlink_diag only)", { wide: true }),
    c('drops', 'DROPS', 'Dropped messages', 'number', 'Messages dropped because its receive buffer was full: events it never saw', { wide: true }),
    c('dumping', 'DUMP', 'Dump running', 'boolean', 'A dump it asked for is running (the kernel queues its next part as the socket is read)', { wide: true }),
    c('type', 'TYPE', 'Socket type', 'string|null', 'raw (SOCK_RAW) or dgram (SOCK_DGRAM): the same to netlink (netlink_diag only)', { wide: true }),
    c('inode', 'INODE', 'Inode', 'number', 'Socket inode', { search: 'number', wide: true }),
    c('uid', 'UID', 'Holder uid', 'number|null', "Its first holder's uid (the kernel's tables name no owner for a netlink socket)", { wide: true }),
    c('netns', 'NETNS', 'Network namespace', 'string', 'Network namespace inode', { wide: true }),
  ],
  search: (ch) => ({ texts: [netlinkLocal(ch), netlinkProtocolText(ch.protocol), netlinkKernelName(ch.protocol), portidText(ch.portid)] }),
  ...NETWORK_FACING_SOCKET,
  // a connected USERSOCK socket's other end is a socket of ours; every other one talks to the kernel
  peer: (ch) => ch.peer,
  owner: (ch) => ch.uid,
  fds: SOCKET_FDS,
  // recv(MSG_PEEK) on a pidfd_getfd copy leaves the message queued (netlink_recvmsg: skb_recv_datagram
  // with MSG_PEEK takes no skb off the queue)
  noPeekFor: unheldSocket,
  peekAlters: (ch) => (ch.dumping ? DUMP_NOTE : null),
  queue: (ch) => ({ bytes: ch.recvQueue + ch.sendQueue, counts: null, stamp: null }),
});
