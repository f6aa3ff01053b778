// Sockets no table lists. The socket tables are dumped per network namespace, and the namespaces
// come from the walked processes; two kinds of held sockets are then in no table:
// - a socket of a namespace no process is in: a process can make a socket in a namespace of its
//   own and leave it (a child that unshares, binds a path, passes the socket to its parent over
//   SCM_RIGHTS and exits) — hidden from every view, its path would look stale;
// - an inet socket in no hash table of its own namespace: never bound (Apache holds some in every
//   process), or closed (a reset connection) but still held. lsof lists them, ss does not.
// Socket fds whose inode no table had are first asked their protocol name (native socketProtocol:
// the xattr sockfs keeps, lsof's `protocol:`, read through a checked O_PATH handle without touching
// the socket). One of a family with no IPC kind here (vsock, AF_ALG, XDP, bluetooth, CAN, KCM,
// TIPC, SCTP…) is left there: nothing would be listed for it, and copying it out of its holder is
// not passive (pidfd_getfd re-tags the holder's socket with our cgroup's net_cls/net_prio, runs the
// LSM receive hook). The others, and any whose name cannot be read, are asked for their family and
// namespace (native socketNetns: pidfd_getfd with the peek's checks, SO_DOMAIN, SIOCGSKNS, and for
// inet sockets getsockname/getpeername/TCP_INFO). A namespace not yet dumped is handed to the
// socket probe to dump (through its fd); an inet socket of a dumped namespace becomes a channel of
// its own. Every answer but a hidden namespace is remembered by inode, so each socket is asked
// once. (A netlink socket in no table is one never bound: lsof lists it as `sock protocol:
// NETLINK`; it becomes a channel too.)
import type { InetChannel, NetlinkChannel, PingChannel } from '../model';
import type { NativeAddon, SocketNetns } from '../native';
import { SOCKET_FDS } from '../kinds/fds';
import { hostPort, inetStateName, remoteHostPort } from '../parsers/net';
import { inetKindOf } from '../kinds/inet';
import { groupNumbers } from './netlinkSockets';
import type { ProbeContext } from './context';
import { TooManyStuckError, withDeadline } from '../deadline';
import { readOrder } from '../heldObjects';
import { pingOfFd } from './pingSockets';
import { plural } from '../text';

/** The kernel's TCP_CLOSE state number (a socket never bound, or closed). */
const TCP_CLOSE = 7;

/** Families with IPC kinds: AF_UNIX, AF_INET, AF_INET6 (raw IP sockets too), AF_NETLINK, AF_PACKET. */
const IPC_FAMILIES: ReadonlySet<number> = new Set([1, 2, 10, 16, 17]);
/**
 * The protocol names (the kernel's struct proto names, as /proc/net/protocols lists them) of the
 * sockets with IPC kinds, in the families above: Unix, TCP and UDP (MPTCP and UDP-Lite among
 * them), raw and ping, netlink, packet. An inet socket of another protocol (SCTP, L2TP/IP, SMC)
 * has no kind either.
 */
const IPC_PROTOCOLS: ReadonlySet<string> = new Set([
  'UNIX', 'UNIX-STREAM',
  'TCP', 'TCPv6', 'MPTCP', 'MPTCPv6', 'UDP', 'UDPv6', 'UDP-Lite', 'UDPLITEv6', 'RAW', 'RAWv6', 'PING', 'PINGv6',
  'NETLINK', 'PACKET',
]);

/**
 * Whether a socket of this protocol name (socketProtocol) must be copied out of its holder to be
 * told apart: one of a kind here, or a name not read (undefined; "": a socket made without a
 * proto name, none is known).
 */
export function mayBeIpc(protocol: string | undefined): boolean {
  return protocol === undefined || protocol === '' || IPC_PROTOCOLS.has(protocol);
}
/** New sockets asked per snapshot (each a getxattr, and a pidfd_getfd unless its protocol has no kind): more wait for the next one. */
export const LOOKUPS_PER_SNAPSHOT = 256;
/** How the snapshot warning about sockets left for the next scans begins (the diagnosis looks for it). */
export const SOCKETS_UNASKED = 'sockets unasked:';
/** Sockets remembered. */
const REMEMBERED = 65536;
/**
 * A socket whose lookup failed (its process in a user namespace above ours, gone, or past the
 * item deadline) is asked again only this long after: else the same failures take the budget on
 * every scan, and any user could keep the sockets after them from ever being asked. Not never: a
 * lookup that timed out once under load may be the one that finds a hidden namespace.
 */
export const RETRY_FAILED_MS = 30_000;

/** A remembered answer: an inet, ping or netlink channel (without endpoints) for a socket in no table of its namespace, or null (nothing to list). */
type Untabled = Omit<InetChannel, 'endpoints'> | Omit<PingChannel, 'endpoints'> | Omit<NetlinkChannel, 'endpoints'> | null;

/**
 * What the lookups remember from one scan to the next, by socket inode: each answer, and when a
 * lookup failed. Kept by whoever takes snapshots again and again and passed to each
 * (SnapshotOptions.socketLookups: the snapshot worker's, SnapshotService's when it scans in-thread,
 * a CLI command's that takes several); a snapshot without one starts afresh.
 */
export class SocketLookups {
  /** Inode → what it is (insertion order: the oldest go first). */
  readonly asked = new Map<number, Untabled>();
  /** Inode → when its lookup last failed (performance.now()). */
  readonly failed = new Map<number, number>();
}

/** Entries `lookups` keeps (cacheSizes: none may grow with sockets that are gone). */
export function hiddenNetnsCacheSize(lookups: SocketLookups): number {
  return lookups.asked.size + lookups.failed.size;
}

export interface HiddenNetns {
  /** The namespace's inode, as text (like the walked processes' netns ids). */
  id: string;
  /** An fd of it (nsPath /proc/self/fd/N), to be closed with closeFd. */
  fd: number;
  /** The socket it was found through. */
  via: { pid: number; fd: number; inode: number };
}

/**
 * The namespaces of socket fds whose group no table claimed (`claimed`, by group position), other
 * than `known`, one at a time: the caller dumps each before asking for the next, so that its
 * sockets are claimed then and are not asked about. The caller closes each fd. A socket that
 * cannot be asked (closed or swapped since the walk, its process gone) is skipped.
 */
export async function* hiddenNamespaces(ctx: ProbeContext, native: NativeAddon, claimed: Uint8Array, known: Set<string>): AsyncGenerator<HiddenNetns> {
  const g = ctx.index.groups(SOCKET_FDS.rule.code);
  const f = ctx.walk.fds;
  const { asked, failed } = ctx.socketLookups;
  const unknown = (k: number) => claimed[k] !== 1 && !asked.has(g.inode[k]) && !recentlyFailed(failed, g.inode[k]);
  let todo: number[] = [];
  for (let k = 0; k < g.count; k++) if (unknown(k)) todo.push(k);
  // More than a scan asks: users in turn (heldObjects.ts readOrder), so that one user's thousands of
  // never-bound sockets take their own turns, not every scan's lookups ahead of another user's.
  if (todo.length > LOOKUPS_PER_SNAPSHOT) {
    const holders = (k: number) => {
      const out: { pid: number }[] = [];
      for (let i = g.first[k]; i >= 0; i = ctx.index.next[i]) out.push({ pid: f.pid[i] });
      return out;
    };
    todo = readOrder(todo, (k) => ({ dev: 0, inode: g.inode[k], endpoints: holders(k) }), ctx);
  }
  let lookups = 0;
  let n = 0;
  try {
    for (; n < todo.length; n++) {
      const k = todo[n];
      const inode = g.inode[k];
      if (!unknown(k)) continue; // claimed since by a namespace dumped meanwhile
      if (lookups >= LOOKUPS_PER_SNAPSHOT) break;
      const row = g.first[k];
      lookups++;
      let r: SocketNetns;
      try {
        if (!mayBeIpc(await protocolOf(ctx, native, f.pid[row], f.fd[row], inode))) {
          failed.delete(inode);
          remember(asked, inode, null);
          continue;
        }
        let late = false;
        const ask = native.socketNetns(f.pid[row], f.fd[row], inode, true);
        ask.then((x) => late && x.nsFd !== undefined && native.closeFd(x.nsFd), () => undefined); // an answer after the deadline: its fd closed
        try {
          // (the item deadline: a copy swapped for a FUSE file between the checks is closed, and a close can hang)
          r = await withDeadline(`socket ${inode}'s namespace (pidfd_getfd)`, ctx.itemTimeoutMs, () => ask);
        } catch (e) {
          late = true;
          throw e;
        }
      } catch (e) {
        if (e instanceof TooManyStuckError) return;
        remember(failed, inode, performance.now());
        continue;
      }
      failed.delete(inode);
      const id = String(r.netns);
      if (!IPC_FAMILIES.has(r.family) || known.has(id)) {
        if (r.nsFd !== undefined) native.closeFd(r.nsFd);
        remember(asked, inode, r.inet ? untabled(inode, id, r.family === 10 ? 6 : 4, r.inet) : r.netlink ? untabledNetlink(inode, id, r.netlink) : null); // (inet: AF_INET/AF_INET6 only)
        continue;
      }
      if (r.nsFd === undefined) continue;
      known.add(id);
      yield { id, fd: r.nsFd, via: { pid: f.pid[row], fd: f.fd[row], inode } };
    }
  } finally {
    // what this scan left for the next ones: the diagnosis must not call a path stale that one of them may own
    let unasked = 0;
    for (; n < todo.length; n++) if (unknown(todo[n])) unasked++;
    if (unasked > 0) {
      ctx.warnings.push(`${SOCKETS_UNASKED} ${plural(unasked, 'socket')} in no table were not looked up this scan (${LOOKUPS_PER_SNAPSHOT} a scan; the next scans go on): a listener in a network namespace no process is in may be among them`);
    }
  }
}

/**
 * A held socket's protocol name (socketProtocol), or undefined when it cannot be read (an addon
 * without it, the fd gone or swapped, past the item deadline): the caller then asks socketNetns,
 * which tells as before. TooManyStuckError goes to the caller (the scan's lookups stop).
 */
async function protocolOf(ctx: ProbeContext, native: NativeAddon, pid: number, fd: number, inode: number): Promise<string | undefined> {
  const ask = native.socketProtocol;
  if (!ask) return undefined;
  try {
    return await withDeadline(`socket ${inode}'s protocol (getxattr)`, ctx.itemTimeoutMs, () => ask.call(native, pid, fd, inode));
  } catch (e) {
    if (e instanceof TooManyStuckError) throw e;
    return undefined;
  }
}

function recentlyFailed(failed: ReadonlyMap<number, number>, inode: number): boolean {
  const at = failed.get(inode);
  return at !== undefined && performance.now() - at < RETRY_FAILED_MS;
}

/**
 * A netlink socket in no table of its namespace: one never bound (D-Bus's audit socket until it
 * sends), which lsof lists as `sock protocol: NETLINK`. Nothing can be queued in it (no port id
 * to send it to); its uid is its holder's (sockets.ts).
 */
function untabledNetlink(inode: number, netns: string, n: NonNullable<SocketNetns['netlink']>): Untabled {
  const ch: Omit<NetlinkChannel, 'endpoints'> = {
    id: `netlink:${inode}`,
    kind: 'netlink',
    protocol: n.protocol,
    portid: n.portid,
    groups: groupNumbers([n.groups]),
    groupsUpTo: 32,
    recvQueue: 0,
    sendQueue: 0,
    drops: 0,
    dumping: false,
    type: n.type === 2 ? 'dgram' : 'raw',
    inode,
    netns,
    uid: null,
  };
  if (n.dstPortid || n.dstGroups) {
    ch.dstPortid = n.dstPortid;
    ch.dstGroup = groupNumbers([n.dstGroups])[0] ?? 0;
  }
  return ch;
}

/** The channel of an inet or netlink socket in no table (remembered by hiddenNamespaces), null for any other socket. */
export function untabledSocket(lookups: SocketLookups, inode: number): Untabled | undefined {
  return lookups.asked.get(inode);
}

/**
 * An inet socket as ss would print it: TCP by TCP_INFO's state (the kernel's CLOSE when never
 * bound, which ss prints UNCONN), UDP UNCONN or ESTAB; a ping socket never bound (ICMP datagram
 * sockets enter /proc/net/icmp only once bound); other protocols (raw, SCTP) have no kind.
 */
function untabled(inode: number, netns: string, family: 4 | 6, i: NonNullable<SocketNetns['inet']>): Untabled {
  // (MPTCP is a TCP channel and UDP-Lite a UDP one, each marked with its protocol)
  const of = inetKindOf(i.protocol);
  if (of === null) return pingOfFd(inode, netns, family, i);
  const kind = of.kind;
  const any = family === 6 ? '::' : '0.0.0.0';
  const v6only = i.v6only === 2 ? undefined : i.v6only === 1;
  // An MPTCP socket before bind, listen or connect has no subflow yet: TCP_INFO (which MPTCP
  // answers from its first subflow) says no state (0), and SIOCINQ says 1 on a closed MPTCP socket
  // (mptcp_inq_hint's sign of end of stream), not a byte queued. ss lists none; lsof says
  // `protocol: MPTCP`. It is UNCONN, empty.
  const neverBound = of.protocol === 'mptcp' && (i.tcpState === 0 || i.tcpState === TCP_CLOSE);
  const ch: Omit<InetChannel, 'endpoints'> = {
    id: `${kind}:${inode}`,
    kind,
    family,
    local: hostPort(family, i.localAddr || any, i.localPort),
    remote: remoteHostPort(family, i.remoteAddr || any, i.remotePort, v6only),
    state: kind === 'tcp' ? inetStateName(neverBound ? TCP_CLOSE : i.tcpState) : i.remotePort !== 0 ? 'ESTAB' : 'UNCONN',
    recvQueue: neverBound ? 0 : i.rqueue,
    sendQueue: i.wqueue,
    inode,
    netns,
    uid: i.uid,
  };
  if (of.protocol !== undefined) ch.protocol = of.protocol;
  if (family === 6 && v6only !== undefined) ch.v6only = v6only;
  return ch;
}

/** Sets inode's entry last in `map` (its insertion order is its age), dropping the oldest past REMEMBERED. */
function remember<V>(map: Map<number, V>, inode: number, what: V): void {
  map.delete(inode);
  if (map.size >= REMEMBERED) map.delete(map.keys().next().value as number);
  map.set(inode, what);
}
