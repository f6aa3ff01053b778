// The one pass over a snapshot that every rule's candidates come from. At 50k fds most channels
// are healthy Unix sockets and pipes; visiting them once, kind by kind (each loop sees one or two
// object shapes, so property loads stay fast), and keeping only what some rule looks at, is what
// keeps the diagnosis at a few percent of a snapshot. The rules decide what the candidates mean.
import type { Channel, FifoChannel, InetChannel, NetlinkChannel, PacketChannel, PipeChannel, UnixChannel } from '../model';
import { isFull } from './blocking';
import type { RuleContext } from './rule';
import { addTo } from '../collections';

/** What a queue holds: bytes for sockets, messages for queues; SysV also its last receive time. */
export interface Depth {
  depth: number;
  recvTime?: string | null;
}

export interface Scan {
  /**
   * Channels a writer could be blocked on that some process holds (isFull), and connected Unix
   * datagram sockets whose receiver has datagrams queued: a sender may sleep on one with its own
   * buffer nearly empty, since what blocks it is the receiver's queue length, which sock_diag does
   * not give (a datagram socket's receive queue reads as its first datagram's length). The
   * evidence decides: the sender's thread asleep in unix_wait_for_peer (DGRAM_PEER_FULL_WCHAN).
   */
  full: Channel[];
  /** Channels with something queued (sockets' receive queues, message counts), by id. */
  depths: Map<string, { ch: Channel; d: Depth }>;
  /** Listening sockets with connections waiting to be accepted. */
  busyListeners: (UnixChannel | InetChannel)[];
  /** Connections waiting in a listener's accept queue, by the listener's id: Unix clients (UNIX_DIAG_ICONS), TCP server ends (their `peer` is the client). */
  notAccepted: Map<string, (UnixChannel | InetChannel)[]>;
  /** Path-bound Unix sockets someone holds that clients find by path (listeners, bound datagram sockets). */
  boundSockets: UnixChannel[];
  /**
   * Unix sockets bound to a file, by the file's inode (UNIX_DIAG_VFS; native snapshots only): ask
   * boundTo() for a dev:inode. (Numbers, not `dev:inode` strings: a key string built and hashed per
   * bound socket was a tenth of the diagnosis at 50k fds.)
   */
  boundByInode: Map<number, UnixChannel[]>;
  /** Every TCP listening socket someone holds. */
  tcpListeners: InetChannel[];
  /** Pipes and FIFOs missing a reader or a writer, and FIFOs whose name was deleted. */
  pipeSuspects: (PipeChannel | FifoChannel)[];
  /**
   * Every netlink socket, and every packet socket whose drops are known and that has no receive
   * ring, with its drops (sk_drops: messages or frames dropped since it was opened, its receive
   * buffer full), by id: a netlink listener that falls behind shows no full queue, only these rising.
   */
  drops: Map<string, { ch: NetlinkChannel | PacketChannel; drops: number }>;
}

function oneSided(ch: PipeChannel | FifoChannel): boolean {
  const eps = ch.endpoints;
  let r = false;
  let w = false;
  for (let i = 0; i < eps.length && !(r && w); i++) {
    const m = eps[i].mode;
    if (m !== 'w') r = true;
    if (m !== 'r') w = true;
  }
  return !(r && w);
}

/** The Unix sockets bound to file `dev`:`inode`, in snapshot order. */
export function boundTo(s: Scan, dev: string | undefined, inode: number | undefined): UnixChannel[] {
  const l = inode === undefined ? undefined : s.boundByInode.get(inode);
  return l ? l.filter((u) => u.boundDev === dev) : [];
}

/** Is some Unix socket bound to file `dev`:`inode`? */
export function isBound(s: Scan, dev: string, inode: number): boolean {
  return s.boundByInode.get(inode)?.some((u) => u.boundDev === dev) ?? false;
}

function scanNow(ctx: RuleContext): Scan {
  const s: Scan = { full: [], depths: new Map(), busyListeners: [], notAccepted: new Map(), boundSockets: [], boundByInode: new Map(), tcpListeners: [], pipeSuspects: [], drops: new Map() };
  const { index } = ctx;
  // ids of the Unix sockets with something queued (few): a datagram socket's receiver is looked up
  // here, not by index.channel's binary search per connected datagram socket (4,200 at 50k fds)
  const queued = new Set<string>();
  for (const u of index.ofKind('unix')) if (u.recvQueue !== null && u.recvQueue > 0) queued.add(u.id);
  for (const p of index.ofKind('pipe')) {
    if (p.endpoints.length === 0) continue;
    if (p.bufferedBytes !== null && p.bufferedBytes > 0 && isFull(p)) s.full.push(p);
    if (oneSided(p)) s.pipeSuspects.push(p);
  }
  for (const f of index.ofKind('fifo')) {
    if (f.endpoints.length === 0) continue;
    if (f.bufferedBytes !== null && f.bufferedBytes > 0 && isFull(f)) s.full.push(f);
    if (f.deleted || oneSided(f)) s.pipeSuspects.push(f);
  }
  for (const u of index.ofKind('unix')) {
    if (u.boundInode !== undefined) addTo(s.boundByInode, u.boundInode, u);
    if (u.acceptQueue !== undefined) addTo(s.notAccepted, u.acceptQueue, u);
    if (u.state === 'listen') {
      if (u.recvQueue !== null && u.recvQueue > 0) s.busyListeners.push(u);
      if (u.path !== undefined && u.endpoints.length > 0) s.boundSockets.push(u);
      continue;
    }
    if (u.recvQueue !== null && u.recvQueue > 0) s.depths.set(u.id, { ch: u, d: { depth: u.recvQueue } });
    if (u.endpoints.length > 0 && ((u.sendQueue !== null && u.sendQueue > 0 && isFull(u)) || (u.type === 'dgram' && u.peer !== undefined && queued.has(u.peer)))) s.full.push(u);
    if (u.boundInode !== undefined && u.state === 'unconnected' && u.path !== undefined && u.endpoints.length > 0) s.boundSockets.push(u);
  }
  for (const t of index.ofKind('tcp')) {
    if (t.acceptQueue !== undefined) addTo(s.notAccepted, t.acceptQueue, t);
    if (t.state === 'LISTEN') {
      if (t.endpoints.length > 0) s.tcpListeners.push(t);
      if (t.recvQueue > 0) s.busyListeners.push(t);
      continue;
    }
    if (t.recvQueue > 0) s.depths.set(t.id, { ch: t, d: { depth: t.recvQueue } });
    if (t.sendQueue !== null && t.sendQueue > 0 && t.endpoints.length > 0 && isFull(t)) s.full.push(t);
  }
  for (const u of index.ofKind('udp')) if (u.recvQueue > 0) s.depths.set(u.id, { ch: u, d: { depth: u.recvQueue } });
  for (const r of index.ofKind('raw')) if (r.recvQueue > 0) s.depths.set(r.id, { ch: r, d: { depth: r.recvQueue } });
  // (a socket with a receive ring takes its frames there, not in this queue: its depth says nothing)
  for (const p of index.ofKind('packet')) {
    if (p.ring === true) continue;
    if (p.recvQueue > 0) s.depths.set(p.id, { ch: p, d: { depth: p.recvQueue } });
    if (p.drops !== undefined) s.drops.set(p.id, { ch: p, drops: p.drops });
  }
  // (what ping and netlink sockets receive waits in their receive memory as for raw ones)
  for (const c of index.ofKind('ping')) if (c.recvQueue > 0) s.depths.set(c.id, { ch: c, d: { depth: c.recvQueue } });
  for (const c of index.ofKind('netlink')) {
    if (c.recvQueue > 0) s.depths.set(c.id, { ch: c, d: { depth: c.recvQueue } });
    s.drops.set(c.id, { ch: c, drops: c.drops });
  }
  for (const q of index.ofKind('sysv-msg')) if (q.messages > 0) s.depths.set(q.id, { ch: q, d: { depth: q.messages, recvTime: q.lastRecvTime } });
  for (const q of index.ofKind('posix-mq')) {
    if (q.messages !== null && q.messages > 0) s.depths.set(q.id, { ch: q, d: { depth: q.messages } });
    if (q.endpoints.length > 0 && isFull(q)) s.full.push(q);
  }
  return s;
}

/** The scan of this snapshot (computed once, shared by every rule). */
export function scan(ctx: RuleContext): Scan {
  return ctx.index.cached('scan', () => scanNow(ctx));
}
