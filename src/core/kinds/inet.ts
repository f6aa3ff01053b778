// What TCP and UDP sockets share (their kind files are tcp.ts and udp.ts): the channel type,
// the columns, the labels. Read per network namespace by probes/sockets.ts (inet_diag, else
// /proc/PID/net/{tcp,udp}{,6}); both ends linked there and in probes/netLinks.ts.
import type { ChannelBase } from '../model';
import { col, type Column } from '../columns';
import { formatBytes, plural } from '../text';
import { SOCKET_FDS } from './fds';
import { DATAGRAM_PAGES, inodeOfSimpleId, noMentions, notRemovable, QUEUE_PAGES, unheldSocket, type KindDescriptor, type PeekMethodFor } from './kind';

export interface InetChannel extends ChannelBase {
  kind: 'tcp' | 'udp';
  /**
   * A protocol of the kind other than plain TCP or UDP: `mptcp` (kind tcp: a Multipath TCP
   * socket, IPPROTO_MPTCP — one byte stream the kernel carries over TCP subflows, `subflows`) or
   * `udplite` (kind udp: UDP-Lite, IPPROTO_UDPLITE — UDP datagrams whose checksum may cover a part
   * only). Absent for TCP and UDP.
   */
  protocol?: 'mptcp' | 'udplite';
  /**
   * MPTCP: its subflows, the TCP connections that carry its stream (the TCP table lists them with
   * the MPTCP socket's own inode; ss -t shows them as TCP sockets, lsof calls the socket TCP). A
   * listener's is the TCP listener it accepts through. Absent for others.
   */
  subflows?: TcpSubflow[];
  family: 4 | 6;
  /** `addr:port`, IPv6 in brackets: `[::1]:8080`. */
  local: string;
  remote: string;
  /** TCP state names as ss prints them (ESTAB, LISTEN, TIME-WAIT, …); UDP: UNCONN or ESTAB. */
  state: string;
  recvQueue: number;
  /** Bytes not yet acknowledged (MPTCP: send buffer memory, as ss -M says — see `unacked`); a listener's backlog limit, null where that is not known (/proc/net/tcp, without sock_diag, has none). */
  sendQueue: number | null;
  /**
   * MPTCP, not a listener: bytes of its stream the peer has not acknowledged yet (mptcp_info's
   * write_seq − snd_una, ss -Mi's), what a TCP socket's Send-Q counts. Its `sendQueue` is memory
   * and stays near 0 even while a writer is blocked on a full buffer (the data waits in the
   * subflows). Absent where mptcp_diag did not say.
   */
  unacked?: number;
  inode: number;
  /** Network namespace inode (`readlink /proc/PID/ns/net`), as text. */
  netns: string;
  /** The other end's channel id when both ends were seen (see `peerMatch`); absent when unknown or ambiguous. */
  peer?: string;
  /**
   * Set with `peer` when the other end is NOT a plain pair in this namespace: its network
   * namespace (differs from `netns` across namespaces). Absent for same-namespace pairs: `netns`.
   */
  peerNetns?: string;
  /**
   * How `peer` was found, when not the swapped (local, remote) pair in this same namespace
   * (absent then): `tuple-netns` — the swapped pair in another namespace, the only such socket
   * machine-wide and not a loopback address (veth, bridges); `conntrack` — a NAT entry (DNAT of a
   * published port) of the namespace that translated it maps one end's tuple onto the other's.
   */
  peerMatch?: 'tuple-netns' | 'conntrack';
  /**
   * A user-space port proxy (docker-proxy) relays this connection: the channel id of the proxy's
   * other socket for the same connection, when the proxy holds exactly one connection on each side.
   */
  relay?: string;
  /**
   * TCP: a connection the kernel completed that no program has accepted yet — the server's end,
   * held by no process (no inode), in a listener's accept queue: that listener's id, when exactly
   * one user-space listener of this namespace has its address and port. (Unix: UnixChannel.)
   */
  acceptQueue?: string;
  uid: number;
  /**
   * An IPv6 listening or unconnected socket's IPV6_V6ONLY, from sock_diag: false for a dual-stack
   * socket (`[::]:80` that also takes IPv4 — ss prints it `*:80`), true for IPv6 only. Absent for
   * IPv4, for connections (the kernel says it for LISTEN and CLOSE states only), and where the
   * sockets were read from /proc/net (which does not say).
   */
  v6only?: boolean;
  /**
   * The network device the socket is bound to (SO_BINDTODEVICE, or an IPv6 link-local address's
   * scope), by name in its namespace, from sock_diag: ss prints it after the local address,
   * `127.0.0.53%lo:53`, `[fe80::1]%eth0:546` (localShown). Absent when it is bound to none, and
   * where the sockets were read from /proc/net (which does not say).
   */
  device?: string;
}

/** One TCP subflow of an MPTCP socket, as the TCP table lists it. */
export interface TcpSubflow {
  family: 4 | 6;
  local: string;
  remote: string;
  state: string;
  /** Its own queues (the MPTCP socket's data waits in the MPTCP socket's queue, not here). */
  recvQueue: number;
  sendQueue: number | null;
  device?: string;
}

/** IP protocol numbers (socket()'s third argument, SO_PROTOCOL) of the inet kinds' sockets. */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_UDPLITE = 136;
export const IPPROTO_MPTCP = 262;

/** The kind (and `protocol`, for MPTCP and UDP-Lite) of an inet socket of this IP protocol; null for a protocol of no inet kind (raw, ICMP, SCTP). */
export function inetKindOf(ipProtocol: number): Pick<InetChannel, 'kind' | 'protocol'> | null {
  switch (ipProtocol) {
    case IPPROTO_TCP:
      return { kind: 'tcp' };
    case IPPROTO_MPTCP:
      return { kind: 'tcp', protocol: 'mptcp' };
    case IPPROTO_UDP:
      return { kind: 'udp' };
    case IPPROTO_UDPLITE:
      return { kind: 'udp', protocol: 'udplite' };
    default:
      return null;
  }
}

/** `MPTCP`, `UDP-Lite`, or the kind's own name (`TCP`, `UDP`): what a socket is, as titles say it. */
export function inetProtocolName(ch: Pick<InetChannel, 'kind' | 'protocol'>): string {
  return ch.protocol === 'mptcp' ? 'MPTCP' : ch.protocol === 'udplite' ? 'UDP-Lite' : ch.kind.toUpperCase();
}

/** A subflow as one line: `127.0.0.1:49186 → 127.0.0.1:47123 ESTAB` (a listener's: its address, LISTEN). */
export function subflowText(f: TcpSubflow): string {
  const local = localShown(f);
  return (f.state === 'LISTEN' || unconnected(f) ? local : `${local} → ${f.remote}`) + ` ${f.state}`;
}

/** The host of an `addr:port` text, an IPv6 one without its brackets: `[::1]:80` → `::1`. */
export function hostOf(addrPort: string): string {
  if (addrPort.startsWith('[')) return addrPort.slice(1, addrPort.indexOf(']'));
  const c = addrPort.lastIndexOf(':');
  return c < 0 ? addrPort : addrPort.slice(0, c);
}

/** The port of an `addr:port` text (NaN for `*`). */
export function portOf(addrPort: string): number {
  return Number(addrPort.slice(addrPort.lastIndexOf(':') + 1));
}

/** A host that is every address of its family: a listener bound to it takes connections to any. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** What `localShown` reads: a channel's fields, or a port listener's (`ipv4Too` in place of `v6only` and `remote`). */
export type LocalShownOf = Pick<InetChannel, 'local' | 'device'> & Partial<Pick<InetChannel, 'v6only' | 'remote'>> & { ipv4Too?: boolean };

/**
 * The local address as ss prints it: `*:PORT` for a dual-stack socket bound to `[::]` (it takes
 * IPv4 too; ss and lsof both print `*`, while ss keeps `[::]:PORT` for an IPv6-only one), with
 * `%DEVICE` before the port when the socket is bound to a device. The snapshot's `local` stays
 * `[::]:PORT`, and `v6only` says which it is.
 */
export function localShown(ch: LocalShownOf): string {
  const dual = ch.ipv4Too === true || (ch.remote !== undefined && takesIpv4Too({ local: ch.local, remote: ch.remote, v6only: ch.v6only }));
  const local = dual ? `*${ch.local.slice(ch.local.lastIndexOf(':'))}` : ch.local;
  if (!ch.device) return local;
  const colon = local.lastIndexOf(':');
  return colon < 0 ? `${local}%${ch.device}` : `${local.slice(0, colon)}%${ch.device}${local.slice(colon)}`;
}

export interface TcpChannel extends InetChannel {
  kind: 'tcp';
}

export interface UdpChannel extends InetChannel {
  kind: 'udp';
}

/** A dual-stack socket bound to the IPv6 wildcard: it also takes IPv4 (ss prints `*:PORT`). One bound to ::1 does not. */
export function takesIpv4Too(ch: Pick<InetChannel, 'local' | 'remote' | 'v6only'>): boolean {
  return ch.v6only === false && ch.local.startsWith('[::]:') && unconnected(ch);
}

/** A remote that is no connection: `*` or port 0. */
export function unconnected(ch: Pick<InetChannel, 'remote'>): boolean {
  return ch.remote.endsWith(':*') || ch.remote.endsWith(':0');
}

export function inetColumns<C extends InetChannel>(): Column<C>[] {
  const c = col<C>();
  return [
    c('family', 'FAMILY', 'IP version', 'number', 'IP version, 4 or 6', { wide: true }),
    c('protocol', 'PROTO', 'Protocol', 'string|null', 'mptcp (Multipath TCP, its TCP subflows under it) or udplite (UDP-Lite); empty for plain TCP and UDP', { search: 'text', wide: true }),
    // (the protocol beside the state in the table, where the wide PROTO column is not: `ESTAB (MPTCP)`)
    c('state', 'STATE', 'State', 'string', 'State as ss prints it (ESTAB, LISTEN, TIME-WAIT, UNCONN, …), with the protocol when not plain TCP or UDP', {
      search: 'text',
      format: ((v: string, ch: C) => (ch.protocol ? `${v} (${inetProtocolName(ch)})` : v)) as Column<C>['format'],
    }),
    c('local', 'LOCAL', 'Local address', 'string', 'Local address:port as ss prints it (`*:PORT` for a dual-stack `[::]` socket, %DEVICE when bound to a device)', {
      search: 'port',
      format: ((v: string, ch: C) => localShown({ local: v, device: ch.device, v6only: ch.v6only, remote: ch.remote })) as Column<C>['format'],
    }),
    c('device', 'DEVICE', 'Bound to device', 'string|null', 'The network device the socket is bound to (SO_BINDTODEVICE, a link-local scope)', { wide: true }),
    c('remote', 'REMOTE', 'Remote address', 'string', 'Remote address:port (port 0 = not connected)', { search: 'port' }),
    c('subflows', 'SUBFLOWS', 'Subflows', 'string|null', 'MPTCP: the TCP subflows that carry its stream (local → remote and state of each)', {
      wide: true,
      format: ((v: TcpSubflow[]) => v.map(subflowText).join('; ')) as Column<C>['format'],
    }),
    c('recvQueue', 'RECV-Q', 'Receive queue', 'number', "Bytes not yet read (UDP and MPTCP: the kernel memory its queued data takes, as ss's Recv-Q; TCP after the peer's FIN: one more, the FIN); for a listener, pending connections", {
      unit: (ch) => (ch.state === 'LISTEN' ? 'connections' : 'bytes'),
    }),
    c('sendQueue', 'SEND-Q', 'Send queue', 'number|null', "Bytes not yet acknowledged (MPTCP: send buffer memory, as ss -M's Send-Q — its bytes not acknowledged are UNACKED); for a listener, the backlog (null without sock_diag: /proc/net/tcp has none)", {
      unit: (ch) => (ch.state === 'LISTEN' ? 'connections at most' : 'bytes'),
    }),
    c('unacked', 'UNACKED', 'Not acknowledged', 'number|null', "MPTCP: bytes of its stream the peer has not acknowledged (mptcp_info's write_seq − snd_una), what a TCP socket's Send-Q counts", { unit: 'bytes', wide: true }),
    c('inode', 'INODE', 'Inode', 'number', 'Socket inode (0 for TIME-WAIT)', { search: 'number', wide: true }),
    c('peer', 'PEER', 'Peer', 'string', 'Other end of the connection when both ends were seen (same namespace, another namespace, or through NAT)'),
    c('peerNetns', 'PEER NETNS', 'Peer namespace', 'string', "The other end's network namespace, when it is another one", { wide: true }),
    c('peerMatch', 'PEER MATCH', 'Peer found by', 'string', 'tuple-netns (the only swapped pair in another namespace) or conntrack (a NAT entry)', { wide: true }),
    c('relay', 'RELAY', 'Relayed by proxy to', 'string', "The proxy's other socket for this connection (docker-proxy)", { wide: true }),
    c('acceptQueue', 'ACCEPT-Q OF', 'Waiting in the accept queue of', 'string', 'TCP: the server end of a connection no program has accepted yet: the listener whose accept queue holds it', { wide: true }),
    c('v6only', 'V6ONLY', 'IPv6 only', 'boolean', 'An IPv6 socket: true = IPv6 only, false = dual-stack (takes IPv4 too); absent when not known', { wide: true }),
    c('uid', 'UID', 'Owner uid', 'number', 'Socket owner uid', { wide: true }),
    c('netns', 'NETNS', 'Network namespace', 'string', 'Network namespace inode', { wide: true }),
  ];
}

/** What TCP and UDP descriptors have in common; each kind file adds its own. */
export function inetCommon<C extends InetChannel>(): Pick<
  KindDescriptor<C>,
  'idShape' | 'inodeOfId' | 'name' | 'longTitle' | 'description' | 'columns' | 'ends' | 'peer' | 'listening' | 'owner' | 'mentions' | 'probe' | 'fds' | 'peek' | 'noPeekFor' | 'paged' | 'pagedNote' | 'remove' | 'queue' | 'depth' | 'depthLimits' | 'empty' | 'missing'
> {
  return {
    // `tcp:INODE`, or `tcp:NETNS:LOCAL->REMOTE` for sockets without an inode (TIME-WAIT)
    idShape: /^(?:\d+|[^\0]*->[^\0]*)$/s,
    inodeOfId: inodeOfSimpleId,
    name: (ch) => (ch.state === 'LISTEN' || unconnected(ch) ? localShown(ch) : `${localShown(ch)} → ${ch.remote}`),
    // a listener (or an unconnected UDP socket) has no remote end: `0.0.0.0:*` is no one to point at
    longTitle: (ch) => {
      const upper = inetProtocolName(ch);
      return ch.state === 'LISTEN' ? `${upper} listener ${localShown(ch)}` : unconnected(ch) ? `${upper} ${localShown(ch)} (unconnected)` : `${upper} ${localShown(ch)} → ${ch.remote}`;
    },
    // a listener's queues are connections, not bytes: those waiting for accept() of its backlog
    description: (ch) =>
      ch.state +
      (ch.protocol ? `, ${inetProtocolName(ch)}` : '') +
      (ch.subflows && ch.subflows.length !== 1 ? `, ${plural(ch.subflows.length, 'subflow')}` : '') +
      (takesIpv4Too(ch) ? ', IPv4 too' : '') +
      (ch.acceptQueue !== undefined ? ', not accepted yet' : '') +
      (ch.state === 'LISTEN'
        ? // (no backlog: /proc/net/tcp, without sock_diag, has none to say)
          ch.recvQueue ? `, ${plural(ch.recvQueue, 'connection')} waiting` + (ch.sendQueue ? ` of ${ch.sendQueue}` : '') : ''
        : (ch.recvQueue ? `, rx ${formatBytes(ch.recvQueue)}` : '') + (ch.sendQueue ? `, tx ${formatBytes(ch.sendQueue)}` : '')),
    columns: inetColumns<C>(),
    ends: 'holders',
    peer: (ch) => ch.peer,
    listening: (ch) => ch.state === 'LISTEN',
    owner: (ch) => ch.uid,
    mentions: noMentions,
    probe: 'sockets',
    fds: SOCKET_FDS,
    peek: 'socket' as PeekMethodFor<C>,
    noPeekFor: unheldSocket,
    paged: true,
    pagedNote: (ch) => (ch.state === 'LISTEN' ? null : ch.kind === 'udp' ? DATAGRAM_PAGES : QUEUE_PAGES),
    remove: notRemovable,
    // a listener's queue is connections waiting for accept(), not bytes
    queue: (ch) => (ch.state === 'LISTEN' ? { bytes: null, counts: [ch.recvQueue], stamp: null } : { bytes: ch.recvQueue + (ch.sendQueue ?? 0), counts: null, stamp: null }),
    // charted as its queue counts: a listener's connections waiting, of its backlog, not as bytes
    depth: (ch): Record<string, number> => (ch.state === 'LISTEN' ? { connections: ch.recvQueue } : { bytes: ch.recvQueue }),
    depthLimits: (ch) => (ch.state === 'LISTEN' && ch.sendQueue ? { connections: ch.sendQueue } : undefined),
    empty: (ch) => ch.recvQueue === 0,
    missing: () => undefined,
  };
}
