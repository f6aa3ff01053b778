// ICMP ping sockets of one network namespace (the socket probe, sockets.ts, calls this per
// namespace beside its other tables): /proc/PID/net/icmp and icmp6, which have the columns of
// /proc/net/udp (the local port is the ICMP echo identifier). The kernel has no sock_diag handler
// for them (inet_diag knows TCP, UDP, raw…, not ICMP), so ss lists none: the files are the only
// table, with or without the addon. A ping socket enters them when it is bound (its first echo
// sent, or bind()); one never bound is described from its fd (hiddenNetns.ts, pingOfFd).
// Endpoints come from the fd index by inode, as for raw sockets.
import type { Endpoint, PingChannel } from '../model';
import type { InetDiag, SocketNetns } from '../native';
import { parseProcNetInet } from '../parsers/net';
import type { NsReads } from './rawSockets';

const NO_ENDPOINTS: Endpoint[] = [];
const small = (n: number): number => (n <= 0x7fffffff ? n | 0 : n);

/** /proc/net/icmp{,6} rows → channels without endpoints. */
export function preparePing(d: InetDiag, nsId: string): PingChannel[] {
  const out: PingChannel[] = [];
  for (let i = 0; i < d.inode.length; i++) {
    const inode = small(d.inode[i]);
    // (connect() sets the remote address, the state ESTAB; the remote "port" stays 0)
    const connected = d.state[i] === 1;
    out.push({
      id: `ping:${inode}`,
      kind: 'ping',
      endpoints: NO_ENDPOINTS,
      family: d.family[i] === 6 ? 6 : 4,
      local: d.localAddr[i],
      icmpId: d.localPort[i],
      remote: connected ? d.remoteAddr[i] : '*',
      state: connected ? 'ESTAB' : 'UNCONN',
      recvQueue: d.rqueue[i],
      sendQueue: Math.max(0, d.wqueue[i]),
      inode,
      netns: nsId,
      uid: d.uid[i],
    });
  }
  return out;
}

/** A namespace's ping sockets, both families; null when neither file could be read. */
export function pingTable(ns: NsReads): PingChannel[] | null {
  const t4 = ns.file('icmp');
  const t6 = ns.file('icmp6');
  if (t4 === null && t6 === null) return null;
  return [...(t4 === null ? [] : preparePing(parseProcNetInet(t4), ns.id)), ...(t6 === null ? [] : preparePing(parseProcNetInet(t6), ns.id))];
}

const SOCK_DGRAM = 2;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

/**
 * A ping socket in no table (never bound: socket() alone, as ping holds its IPv6 one while it pings
 * an IPv4 address), from what its fd says (socketNetns: SO_TYPE, SO_PROTOCOL, getsockname,
 * getpeername, fstat); null for any other socket. A raw ICMP socket (SOCK_RAW) is not one.
 */
export function pingOfFd(inode: number, netns: string, family: 4 | 6, i: NonNullable<SocketNetns['inet']>): Omit<PingChannel, 'endpoints'> | null {
  if (i.type !== SOCK_DGRAM || i.protocol !== (family === 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) return null;
  const connected = i.remoteAddr !== '' && i.remoteAddr !== '0.0.0.0' && i.remoteAddr !== '::';
  return {
    id: `ping:${inode}`,
    kind: 'ping',
    family,
    local: i.localAddr || (family === 6 ? '::' : '0.0.0.0'),
    icmpId: i.localPort,
    remote: connected ? i.remoteAddr : '*',
    state: connected ? 'ESTAB' : 'UNCONN',
    // (no SIOCINQ on a ping socket: the ioctl fails and the addon says 0)
    recvQueue: Math.max(0, i.rqueue),
    sendQueue: Math.max(0, i.wqueue),
    inode,
    netns,
    uid: i.uid,
  };
}
