// Unix, TCP (MPTCP too: mptcpSockets.ts), UDP (UDP-Lite too), raw IP, packet, ICMP ping and netlink sockets, read once per distinct network namespace among the
// walked processes: natively through sock_diag (nsPath = /proc/PID/ns/net for foreign namespaces),
// else /proc/PID/net/{unix,tcp,tcp6,udp,udp6,udplite,udplite6} (raw and packet: rawSockets.ts; ping, /proc alone: pingSockets.ts; netlink: netlinkSockets.ts). Socket fds (inode) become endpoints; sockets no
// process holds are still channels (endpoints []), as ss shows them.
//
// Two steps per table: prepare (the channels with every fact but their endpoints: sorted, named,
// Unix peers resolved) and fill (endpoints from the fd index). The caller's own namespace's
// tables are dumped before the fd walk and prepared as each dump lands, while the walk still
// runs and the main thread would otherwise wait; only the fill waits for the walk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Channel, Endpoint, InetChannel, NetlinkChannel, PingChannel, UnixChannel, UnixType } from '../model';
import { errnoName, type InetDiag, type NativeAddon, type NativeError, type UnixDiag } from '../native';
import { SOCKET_FDS } from '../kinds/fds';
import { hostPort, inetStateName, remoteHostPort, parseProcNetInet, parseProcNetUnix, unixStateName } from '../parsers/net';
import { netnsId, emit, emitAll, type Probe, type ProbeContext } from './context';
import { foreignPaths, type ForeignPaths } from './mountNamespaces';
import { InodeTable } from './inodeTable';
import { fdExhaustionError, isFdExhaustion } from '../fdLimit';
import { hiddenNamespaces, untabledSocket } from './hiddenNetns';
import { linkAcrossNamespaces, normAddrPort } from './netLinks';
import { lowerBoundSorted, sortedPositions } from '../sortedPositions';
import { addTo } from '../collections';
import { packetTable, rawTable, type NsReads } from './rawSockets';
import { pingTable } from './pingSockets';
import { mptcpDiagState, mptcpDump, pendingJoins, withMptcp, type MptcpTables } from './mptcpSockets';
import { mayHave, parseProtocols, type ProtocolsInUse } from './protocolsInUse';
import { netlinkTable } from './netlinkSockets';
import { hostOf, isWildcardHost, portOf } from '../kinds/inet';
import { isSortedChannels, mergeSortedChannels } from '../diff';

interface Netns {
  id: string;
  /** A pid inside it, or 0 for "the caller's own" (read procRoot/net/*). */
  pid: number;
  own: boolean;
  /** More pids inside it, to enter it by when `pid` exited after the walk (a container stopping). */
  others: number[];
  /** Entered by this path instead (a namespace no process is in: /proc/self/fd/N of its fd, hiddenNetns.ts). */
  path?: string;
}

/** Pids kept per namespace to enter it by: the first one's exit after the walk is common (churn), all of them rare. */
const ENTRY_PIDS = 4;

function namespaces(ctx: ProbeContext): Netns[] {
  const self = selfNetns(ctx.procRoot);
  const seen = new Map<string, Netns>();
  for (const p of ctx.raw.values()) {
    if (!p.netns || !ctx.processes.has(p.pid)) continue;
    const id = netnsId(p.netns);
    const ns = seen.get(id);
    if (!ns) seen.set(id, { id, pid: p.pid, own: id === self, others: [] });
    else if (ns.others.length < ENTRY_PIDS - 1) ns.others.push(p.pid);
  }
  if (seen.size === 0) {
    // nothing readable (captured tree without ns links): the tree's own net/ files
    let id = self;
    try {
      id = netnsId(fs.readlinkSync(path.join(ctx.procRoot, 'self/ns/net')));
    } catch {
      /* a captured tree without self/ns: the caller's namespace id stands for it */
    }
    seen.set(id, { id, pid: 0, own: true, others: [] });
  }
  return [...seen.values()];
}

/** A namespace's /proc/net table; null when it cannot be read — but never for want of a descriptor (fdLimit.ts), which is ours to report, not the table's. */
function netFile(ctx: ProbeContext, ns: Netns, name: string): string | null {
  const p = ns.pid > 0 ? path.join(ctx.procRoot, String(ns.pid), 'net', name) : path.join(ctx.procRoot, 'net', name);
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    const code = errnoName(e);
    if (isFdExhaustion(code)) throw fdExhaustionError(code!, p);
    return null;
  }
}

const UNIX_TYPES: Record<number, UnixType> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };

/** Socket tables of the caller's own namespace (`nsId`), dumped before the fd walk and prepared as they land, so both overlap it. */
export interface SocketPrefetch {
  nsId?: string;
  /** When the last of these tables was prepared (performance.now()). */
  readyAt?: number;
  unix?: Promise<PreparedUnix | null>;
  /** Both families' TCP sockets, one dump (inetDiag family 0). */
  tcp?: Promise<PreparedInet | null>;
  /** The loopback pairs among them, found once they are prepared. */
  tcpPairs?: Promise<PreparedPairs>;
  udp4?: Promise<PreparedInet | null>;
  udp6?: Promise<PreparedInet | null>;
  /** MPTCP sockets (mptcpSockets.ts), where the namespace counts some (Go ≥ 1.24's listeners are). */
  mptcp?: Promise<PreparedInet | null>;
  /** The namespace's protocol counts (protocolsInUse.ts), read with the dumps: the scan's tables of MPTCP and UDP-Lite go by them without reading the file again. */
  protocols?: ProtocolsInUse | null;
}

/** The caller's own network namespace id ('' when its link cannot be read: then no table counts as its own). */
function selfNetns(procRoot: string): string {
  if (procRoot !== '/proc') return '';
  try {
    return netnsId(fs.readlinkSync('/proc/self/ns/net'));
  } catch {
    return ''; // our own ns link unreadable (no /proc/self?): no namespace counts as ours, each is read by a pid in it
  }
}

export function prefetchSockets(native: NativeAddon | null, procRoot: string, kinds: ReadonlySet<string>): SocketPrefetch {
  const out: SocketPrefetch = {};
  if (!native || procRoot !== '/proc') return out;
  const nsId = selfNetns(procRoot);
  if (nsId === '') return out;
  out.nsId = nsId;
  const safe = <T, R>(f: () => Promise<T>, prepare: (t: T) => R): Promise<R | null> => {
    try {
      // prepared when the dump lands (a failed dump: null, read again in run())
      return f().then((t) => {
        const p = prepare(t);
        out.readyAt = performance.now();
        return p;
      }, () => null);
    } catch {
      return Promise.resolve(null);
    }
  };
  if (kinds.has('unix')) out.unix = safe(() => native.unixDiag(), (d) => prepareUnix(d, nsId));
  if (kinds.has('tcp')) {
    out.tcp = safe(() => native.inetDiag('tcp', 0), (d) => prepareInet(d, 'tcp', nsId));
    out.tcpPairs = out.tcp.then((t) => preparePairs(t, null));
  }
  if (kinds.has('tcp') || kinds.has('udp')) out.protocols = ownProtocols();
  if (kinds.has('tcp') && mptcpDiagState() === 'ok' && mayHave(out.protocols ?? null, MPTCP_PROTOCOLS)) {
    out.mptcp = safe(() => native.inetDiag('mptcp', 0), (d) => prepareInet(d, 'tcp', nsId, 'mptcp'));
  }
  if (kinds.has('udp')) {
    out.udp4 = safe(() => native.inetDiag('udp', 4), (d) => prepareInet(d, 'udp', nsId));
    out.udp6 = safe(() => native.inetDiag('udp', 6), (d) => prepareInet(d, 'udp', nsId));
  }
  return out;
}

/** The caller's own namespace's protocol counts (null when /proc/net/protocols cannot be read). */
function ownProtocols(): ProtocolsInUse | null {
  try {
    return parseProtocols(fs.readFileSync('/proc/net/protocols', 'utf8'));
  } catch {
    return null;
  }
}

/** /proc/net/protocols' names of MPTCP's two struct protos. */
const MPTCP_PROTOCOLS = ['MPTCP', 'MPTCPv6'] as const;

/** Every process a namespace was entered by has exited since the walk: its sockets went with them (or with the namespace). */
const GONE = Symbol('gone');

/**
 * A netlink read inside `ns` (the caller's own: no setns): by its first pid, or by the next one
 * when that exited since the walk — entering the namespace fails then (ENOENT/ESRCH opening or
 * joining /proc/PID/ns/net), not the read. GONE when every one has: nothing to warn about.
 */
async function inNetns<T>(ns: Netns, read: (nsPath: string | undefined) => Promise<T>): Promise<T | typeof GONE> {
  if (ns.own) return read(undefined);
  if (ns.path !== undefined) return read(ns.path);
  for (const pid of [ns.pid, ...ns.others]) {
    try {
      return await read(`/proc/${pid}/ns/net`);
    } catch (e) {
      const code = errnoName(e);
      const entering = (e as NativeError).syscall === 'open' || (e as NativeError).syscall === 'setns';
      if (!entering || (code !== 'ENOENT' && code !== 'ESRCH')) throw e;
    }
  }
  return GONE;
}

async function unixTable(ctx: ProbeContext, ns: Netns, prefetch: SocketPrefetch | undefined): Promise<{ table: PreparedUnix; native: boolean } | null> {
  const n = ctx.native;
  if (ns.own && prefetch?.unix && prefetch.nsId === ns.id) {
    const p = await prefetch.unix;
    if (p) return { table: p, native: true };
  }
  if (n && ctx.procRoot === '/proc') {
    try {
      const d = await inNetns(ns, (nsPath) => n.unixDiag(nsPath));
      return d === GONE ? null : { table: prepareUnix(d, ns.id), native: true };
    } catch (e) {
      ctx.warnings.push(`sock_diag (unix) in network namespace ${ns.id} failed (${errnoName(e) ?? 'EIO'}): read /proc/${ns.pid || 'self'}/net/unix instead (no peers or queues there)`);
    }
  }
  const t = netFile(ctx, ns, 'unix');
  return t === null ? null : { table: prepareUnix(parseProcNetUnix(t), ns.id), native: false };
}

/** A namespace's TCP, UDP or UDP-Lite (`udplite`: channels of kind udp) table; `family` 0: both in one (TCP's sockets in one dump). */
async function inetTable(ctx: ProbeContext, ns: Netns, table: 'tcp' | 'udp' | 'udplite', family: 4 | 6 | 0, prefetch: SocketPrefetch | undefined): Promise<PreparedInet | null> {
  const n = ctx.native;
  const proto = table === 'tcp' ? 'tcp' : 'udp';
  const protocol = table === 'udplite' ? 'udplite' : undefined;
  const key = family === 0 ? (table === 'tcp' ? 'tcp' : undefined) : table === 'udp' ? (`udp${family}` as const) : undefined;
  const pre = ns.own && prefetch && prefetch.nsId === ns.id && key ? prefetch[key] : undefined;
  if (pre) {
    const p = await pre;
    if (p) return p;
  }
  if (n && ctx.procRoot === '/proc') {
    try {
      const d = await inNetns(ns, (nsPath) => n.inetDiag(table, family, nsPath));
      return d === GONE ? null : prepareInet(d, proto, ns.id, protocol);
    } catch (e) {
      // (a kernel without UDP-Lite has no handler for it, and no /proc/net/udplite either: nothing to say)
      if (table !== 'udplite' || errnoName(e) !== 'ENOENT')
        ctx.warnings.push(`sock_diag (${table}${family || ''}) in network namespace ${ns.id} failed (${errnoName(e) ?? 'EIO'}): read its /proc/net file${family ? '' : 's'} instead`);
    }
  }
  const file = (fam: 4 | 6): PreparedInet | null => {
    const t = netFile(ctx, ns, fam === 6 ? table + '6' : table);
    return t === null ? null : prepareInet(parseProcNetInet(t), proto, ns.id, protocol);
  };
  if (family !== 0) return file(family);
  const [t4, t6] = [file(4), file(6)];
  return t4 && t6 ? { ch: [...t4.ch, ...t6.ch], key: Float64Array.from([...t4.key, ...t6.key]) } : (t4 ?? t6);
}

function unixChannel(id: string, endpoints: Endpoint[], inode: number, type: UnixType, state: string, rq: number | null, sq: number | null, netns: string): UnixChannel {
  // one literal: every unnamed, unpaired channel has the same hidden class
  return { id, kind: 'unix', endpoints, inode, type, state, recvQueue: rq, sendQueue: sq, netns };
}

/** Distinct holders whose directories a bound name is tried from, at most (another user decides how many fds hold one socket). */
const HOLDERS_TRIED = 8;

/**
 * The first holder of another mount namespace (`pid`; undefined when none), and whether every
 * holder is of one (`all`). Several other namespaces among the holders: none is chosen (which one
 * bound the name is not known).
 */
function foreignHolder(endpoints: readonly { pid: number }[], paths: ForeignPaths): { pid: number | undefined; all: boolean } {
  let pid: number | undefined;
  let ns: string | undefined;
  let all = true;
  let several = false;
  let last = -1;
  for (const e of endpoints) {
    if (e.pid === last) continue; // (a process's endpoints come together)
    last = e.pid;
    const theirs = paths.of(e.pid);
    if (theirs === undefined) all = false;
    else if (ns === undefined) {
      ns = theirs;
      pid = e.pid;
    } else if (theirs !== ns) several = true;
  }
  return several && !all ? { pid: undefined, all } : { pid, all };
}

/** The first `max` distinct pids among the first 4,096 of `endpoints`, in their order. */
function holders(endpoints: readonly { pid: number }[], max: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < endpoints.length && i < 4096 && out.length < max; i++) if (!out.includes(endpoints[i].pid)) out.push(endpoints[i].pid);
  return out;
}

/** One namespace's Unix sockets as channels without endpoints (`endpoints` is filled by fillUnix), in inode order. */
export interface PreparedUnix {
  ch: UnixChannel[];
  /** Inode of ch[k] as the table gave it (ascending: the merge key). */
  inode: Float64Array;
}

const NO_ENDPOINTS: Endpoint[] = [];

/**
 * One sock_diag (or /proc/net/unix) table → channels in inode order, every fact but the
 * endpoints: the table is sorted once (a table listing a socket twice gives one channel), and
 * each peer's id is the other channel's own string when it is in this table.
 */
export function prepareUnix(d: UnixDiag, nsId: string): PreparedUnix {
  const n = d.inode.length;
  const order = sortedPositions(d.inode);
  const out: UnixChannel[] = [];
  const dInode = d.inode;
  const dType = d.type;
  const dState = d.state;
  const dRq = d.rqueue;
  const dWq = d.wqueue;
  const dPeer = d.peer;
  const dNameKind = d.nameKind;
  const dVfsIno = d.vfsIno;
  const dVfsDev = d.vfsDev;
  const dShut = d.shutdown;
  // names that are not UTF-8, by row: their bytes (usually none)
  const hexAt = d.nameHexAt?.length ? new Map(d.nameHexAt.map((row, k) => [row, d.nameHex![k]])) : null;
  /** Inode and peer inode of out[k]. */
  const sorted = new Float64Array(n);
  const peers = new Float64Array(n);
  let lastInode = -1;
  for (let o = 0; o < n; o++) {
    const i = order[o];
    const raw = dInode[i];
    if (raw === lastInode) continue; // a table listing a socket twice
    lastInode = raw;
    const inode = raw <= 0x7fffffff ? raw | 0 : raw; // small integer: cheaper keys and id strings
    const t = dType[i];
    const rq = dRq[i];
    const wq = dWq[i];
    const ch = unixChannel(
      'unix:' + inode,
      NO_ENDPOINTS,
      inode,
      t === 1 ? 'stream' : t === 2 ? 'dgram' : t === 5 ? 'seqpacket' : (UNIX_TYPES[t] ?? 'stream'),
      unixStateName(dState[i]),
      rq >= 0 ? (rq <= 0x7fffffff ? rq | 0 : rq) : null,
      wq >= 0 ? (wq <= 0x7fffffff ? wq | 0 : wq) : null,
      nsId,
    );
    const nk = dNameKind[i];
    if (nk === 1) {
      ch.path = d.name[i];
      const vino = dVfsIno !== undefined ? dVfsIno[i] : 0;
      if (vino > 0) {
        // kernel s_dev: MAJOR << 20 | MINOR
        const kd = dVfsDev![i];
        ch.boundInode = vino;
        ch.boundDev = `${Math.floor(kd / 1048576)}:${kd % 1048576}`;
      }
    } else if (nk === 2) ch.abstract = d.name[i];
    if (hexAt !== null && nk !== 0) {
      const hex = hexAt.get(i);
      if (hex !== undefined) ch.nameBytes = hex;
    }
    const shut = dShut !== undefined ? dShut[i] & 3 : 0;
    if (shut !== 0) ch.shutdown = shut === 3 ? 'both' : shut === 1 ? 'read' : 'write';
    sorted[out.length] = raw;
    peers[out.length] = dPeer[i];
    out.push(ch);
  }
  // peers: the other end's id string is already built when it is in this table (binary search)
  const m = out.length;
  const find = (raw: number): number => {
    let lo = 0;
    let hi = m - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = sorted[mid];
      if (v < raw) lo = mid + 1;
      else if (v > raw) hi = mid - 1;
      else return mid;
    }
    return -1;
  };
  for (let k = 0; k < m; k++) {
    const peerRaw = peers[k];
    if (!(peerRaw > 0)) continue;
    const peer = peerRaw <= 0x7fffffff ? peerRaw | 0 : peerRaw;
    const at = find(peerRaw);
    const ch = out[k];
    ch.peerInode = peer;
    ch.peer = at >= 0 ? out[at].id : 'unix:' + peer;
  }
  // a connection no one has accepted yet: its peer is an embryo with no inode (ss: `* 0`); the
  // listener's queue names the client, so the client can name the listener
  const pl = d.pendingListener;
  const pc = d.pendingClient;
  if (pl !== undefined && pc !== undefined) {
    for (let i = 0; i < pl.length; i++) {
      const client = find(pc[i]);
      const listener = find(pl[i]);
      if (client >= 0 && listener >= 0 && out[client].peer === undefined) out[client].acceptQueue = out[listener].id;
    }
  }
  // an other end without an inode that no accept queue holds: an end that was closed, which the
  // kernel still references (a stream's survivor until it closes too; a datagram socket until it sends)
  for (let k = 0; k < m; k++) if (peers[k] === -1 && out[k].acceptQueue === undefined && out[k].state === 'connected') out[k].state = 'peer closed';
  return { ch: out, inode: sorted.subarray(0, m) };
}

/**
 * A prepared table's endpoints: merge-joined with the fd index's socket groups (both in inode
 * order — no hash lookups). `seen` (several namespaces only) skips sockets an earlier table
 * already produced: socket inodes are unique machine-wide, so a table read twice (namespace
 * fallback) adds nothing.
 */
function fillUnix(ctx: ProbeContext, p: PreparedUnix, seen: InodeTable | null, claimed: Uint8Array): UnixChannel[] {
  const index = ctx.index;
  const g = index.groups(SOCKET_FDS.rule.code);
  const gInode = g.inode;
  const gFirst = g.first;
  const gCount = g.count;
  const chans = p.ch;
  const inodes = p.inode;
  const m = chans.length;
  const out: UnixChannel[] = seen === null ? chans : [];
  const paths = foreignPaths(ctx);
  let j = 0;
  for (let k = 0; k < m; k++) {
    const ch = chans[k];
    if (seen !== null) {
      if (seen.set(ch.inode, 1) >= 0) continue;
      out.push(ch);
    }
    const raw = inodes[k];
    while (j < gCount && gInode[j] < raw) j++;
    if (j < gCount && gInode[j] === raw) {
      ch.endpoints = index.endpoints(gFirst[j]);
      claimed[j] = 1;
      // a bound name is the binder's: of its mount namespace when every holder is of another one;
      // when some holders are ours (it was passed here over a socket), only when the name does not
      // lead here to the bound file
      if (ch.path !== undefined && ch.endpoints.length > 0) {
        const foreign = foreignHolder(ch.endpoints, paths);
        const bound = ch.boundInode !== undefined ? { dev: ch.boundDev!, inode: ch.boundInode } : null;
        if (foreign.pid !== undefined && (foreign.all || bound !== null)) {
          const ns = paths.mark(ch.path, foreign.pid, bound);
          if (ns !== undefined) ch.mntns = ns;
        }
      }
      // a relative bound name: where it is, when a holder's working directory leads to the bound file;
      // an absolute one of a chrooted holder: where it is, when the holder's root leads to it
      if (ch.path !== undefined && ch.boundInode !== undefined && ch.endpoints.length > 0 && ch.mntns === undefined) {
        const pids = holders(ch.endpoints, HOLDERS_TRIED);
        const bound = { dev: ch.boundDev!, inode: ch.boundInode };
        const full = ch.path[0] === '/' ? paths.rooted(ch.path, pids, bound) : paths.relative(ch.path, pids, bound);
        if (full !== undefined) ch.pathResolved = full;
      }
    } else ch.endpoints = [];
  }
  return out;
}

/** Connected TCP channels of one namespace and their `localPort * 65536 + remotePort` keys (loopback pairing). */
interface PairCandidates {
  ch: InetChannel[];
  key: number[];
  /**
   * Each one's family (6 or else 4) and local and remote address as its table gave them (PreparedInet.addr),
   * null when the table has none: then its channel's address:port texts are compared.
   */
  fam: number[];
  la: (string | null)[];
  ra: (string | null)[];
}

function noCandidates(): PairCandidates {
  return { ch: [], key: [], fam: [], la: [], ra: [] };
}

/** Row i of table t as a pairing candidate. */
function addCandidate(into: PairCandidates, t: PreparedInet, i: number): void {
  into.ch.push(t.ch[i]);
  into.key.push(t.key[i]);
  const a = t.addr;
  if (a !== undefined) {
    into.fam.push(a.family[i] === 6 ? 6 : 4);
    into.la.push(a.local[i]);
    into.ra.push(a.remote[i]);
  } else {
    into.fam.push(0);
    into.la.push(null);
    into.ra.push(null);
  }
}

/**
 * Two address:port texts of one end of a connection: equal, or one is the IPv4-mapped form of the
 * other — a dual-stack listener (`::`, the default of Node, Java, Go, nginx with ipv6only=off)
 * accepts an IPv4 client on an IPv6 socket, so its end reads [::ffff:127.0.0.1]:P while the
 * client's reads 127.0.0.1:P.
 */
function sameEnd(a: string, b: string): boolean {
  return a === b || (a.charCodeAt(0) !== b.charCodeAt(0) && normAddrPort(a) === normAddrPort(b));
}

/**
 * sameEnd of the texts hostPort makes of two addresses with one port (the key match says the ports
 * are equal): of one family, equal addresses; of both, the IPv6 one the IPv4-mapped form of the
 * IPv4 one (normAddrPort's rule: `::ffff:` and a dotted quad). No text is built, nor a cons string
 * flattened for the comparison.
 */
function sameHost(famA: number, a: string, famB: number, b: string): boolean {
  if (famA === famB) return a === b;
  const v6 = famA === 6 ? a : b;
  const v4 = famA === 6 ? b : a;
  return v6.length === v4.length + 7 && v6.startsWith('::ffff:') && v6.endsWith(v4) && /^\d+\.\d+\.\d+\.\d+$/.test(v4);
}

/** Candidate o's local end is c's remote one and o's remote end c's local one (their ports already matched by key). */
function swappedEnds(p: PairCandidates, o: number, c: number): boolean {
  const ol = p.la[o];
  const or = p.ra[o];
  const cl = p.la[c];
  const cr = p.ra[c];
  if (ol === null || or === null || cl === null || cr === null) return sameEnd(p.ch[o].local, p.ch[c].remote) && sameEnd(p.ch[o].remote, p.ch[c].local);
  return sameHost(p.fam[o], ol, p.fam[c], cr) && sameHost(p.fam[o], or, p.fam[c], cl);
}

/** Pairs inside this namespace, local↔remote swapped (numeric port keys, addresses compared on a hit): from[k].peer = to[k].id. */
function pairLinks(p: PairCandidates): { from: InetChannel[]; to: InetChannel[] } {
  const n = p.ch.length;
  const from: InetChannel[] = [];
  const to: InetChannel[] = [];
  // Keys reach 2^32, past V8's small integers: a Map over them hashed heap numbers (2.5 ms at 7.6k
  // ends, 1.8 this way). Positions sorted by (key, position) and a binary search find the same
  // candidates; the highest position with the swapped key is tried first, as the table's latest end.
  const keys = Float64Array.from(p.key);
  const order = sortedPositions(keys);
  // the keys in that order: the search reads one array, not a key through a position each step
  const sorted = new Float64Array(n);
  for (let k = 0; k < n; k++) sorted[k] = keys[order[k]];
  for (let i = 0; i < n; i++) {
    const c = p.ch[i];
    const k = keys[i];
    const hi = Math.floor(k / 65536);
    const swapped = (k - hi * 65536) * 65536 + hi;
    // the last place with that key: just below the first with a greater one (keys are integers)
    const above = lowerBoundSorted(sorted, swapped + 1);
    for (let at = above - 1; at >= 0 && sorted[at] === swapped; at--) {
      const j = order[at];
      const o = p.ch[j];
      if (o !== c && swappedEnds(p, j, i)) {
        from.push(c);
        to.push(o);
        break;
      }
    }
  }
  return { from, to };
}

/**
 * The server ends of connections no program has accepted yet: an established (or, the client
 * gone, close-wait) TCP socket with no inode whose address and port a user-space listener of the
 * same table has — its own or the wildcard of its family. Sockets the kernel itself holds (NFS,
 * iSCSI, their listeners too) have no inode either, but never behind a listener that has one.
 */
function markAcceptQueues(ch: readonly InetChannel[]): void {
  let byPort: Map<number, InetChannel[]> | undefined;
  for (const c of ch) {
    if (c.state !== 'LISTEN' || !(c.inode > 0)) continue;
    addTo((byPort ??= new Map()), portOf(c.local), c);
  }
  if (!byPort) return;
  for (const c of ch) {
    if (c.inode !== 0 || (c.state !== 'ESTAB' && c.state !== 'CLOSE-WAIT')) continue;
    const host = hostOf(c.local);
    const ls = byPort.get(portOf(c.local));
    if (!ls) continue;
    // the kernel prefers a listener on the very address to a wildcard one; several of a kind
    // (SO_REUSEPORT) share the port, and which queue holds it is not said: then none is named
    const exact: InetChannel[] = [];
    const wild: InetChannel[] = [];
    for (const l of ls) {
      if (l.family !== c.family) continue;
      const lh = hostOf(l.local);
      if (lh === host) exact.push(l);
      else if (isWildcardHost(lh)) wild.push(l);
    }
    const one = exact.length > 0 ? exact : wild;
    if (one.length === 1) c.acceptQueue = one[0].id;
  }
}

/** Same namespace: `peer` alone, no peerNetns/peerMatch (across namespaces: netLinks.ts). */
function applyLinks(l: { from: InetChannel[]; to: InetChannel[] }): void {
  for (let k = 0; k < l.from.length; k++) l.from[k].peer = l.to[k].id;
}

/** The pairs of the own namespace's prepared TCP tables, found while the walk runs; used when every candidate was emitted. */
export interface PreparedPairs {
  t4: PreparedInet | null;
  t6: PreparedInet | null;
  candidates: number;
  from: InetChannel[];
  to: InetChannel[];
}

function candidatesOf(t: PreparedInet | null, into: PairCandidates): void {
  if (!t) return;
  for (let i = 0; i < t.ch.length; i++) if (t.key[i] >= 0) addCandidate(into, t, i);
}

export function preparePairs(t4: PreparedInet | null, t6: PreparedInet | null): PreparedPairs {
  const c = noCandidates();
  candidatesOf(t4, c);
  candidatesOf(t6, c);
  return { t4, t6, candidates: c.ch.length, ...pairLinks(c) };
}

/** One namespace's TCP or UDP sockets as channels without endpoints, in table order, with their loopback pairing keys. */
export interface PreparedInet {
  ch: InetChannel[];
  /** `localPort * 65536 + remotePort` of a connected TCP end (a pairing candidate), -1 for the others. */
  key: Float64Array;
  /** The table's own columns of ch[i]'s family and addresses, which pairing compares instead of the texts made of them (absent: the texts). */
  addr?: { family: ArrayLike<number>; local: readonly string[]; remote: readonly string[] };
  /** An MPTCP table's (or subflow table's) columns of ch[i]'s connection token and joined subflows (mptcpSockets.ts), when the dump said them. */
  mptcp?: { token: ArrayLike<number>; joins: ArrayLike<number> | undefined };
}

/** `protocol`: the channels' protocol when not the kind's own (MPTCP sockets of kind tcp, UDP-Lite of kind udp). */
export function prepareInet(d: InetDiag, proto: 'tcp' | 'udp', nsId: string, protocol?: 'mptcp' | 'udplite'): PreparedInet {
  const n = d.inode.length;
  const ch: InetChannel[] = new Array(n);
  const key = new Float64Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const fam = d.family[i] === 6 ? 6 : 4;
    const local = hostPort(fam, d.localAddr[i], d.localPort[i]);
    const v6 = d.v6only !== undefined ? d.v6only[i] : 2;
    const remote = remoteHostPort(fam, d.remoteAddr[i], d.remotePort[i], v6 === 2 ? undefined : v6 === 1);
    const raw = d.inode[i];
    const inode = raw <= 0x7fffffff ? raw | 0 : raw;
    let state = inetStateName(d.state[i]);
    if (proto === 'udp' && d.state[i] !== 1) state = 'UNCONN';
    ch[i] = {
      id: inode > 0 ? `${proto}:${inode}` : `${proto}:${nsId}:${local}->${remote}`,
      kind: proto,
      endpoints: NO_ENDPOINTS,
      family: fam,
      local,
      remote,
      state,
      recvQueue: d.rqueue[i],
      sendQueue: d.wqueue[i] < 0 ? null : d.wqueue[i],
      inode,
      netns: nsId,
      uid: d.uid[i],
    };
    if (protocol !== undefined) ch[i].protocol = protocol;
    if (protocol === 'mptcp' && d.unacked !== undefined && d.unacked[i] >= 0 && d.state[i] !== 10) ch[i].unacked = d.unacked[i];
    if (v6 !== 2) ch[i].v6only = v6 === 1;
    const dev = d.iface?.[i];
    if (dev) ch[i].device = dev;
    if (proto === 'tcp' && d.remotePort[i] !== 0 && d.state[i] !== 10) key[i] = d.localPort[i] * 65536 + d.remotePort[i];
  }
  const out: PreparedInet = { ch, key, addr: { family: d.family, local: d.localAddr, remote: d.remoteAddr } };
  if (d.token !== undefined) out.mptcp = { token: d.token, joins: d.joins };
  return out;
}

/** A prepared table's endpoints (by inode from the fd index), emitted; sockets an earlier table produced (`seen`) are skipped. */
function fillInet(ctx: ProbeContext, p: PreparedInet, pairs: PairCandidates, seen: InodeTable, claimed: Uint8Array): void {
  const n = p.ch.length;
  const code = SOCKET_FDS.rule.code;
  const g = ctx.index.groups(code);
  for (let i = 0; i < n; i++) {
    const ch = p.ch[i];
    const inode = ch.inode;
    if (inode > 0 && seen.set(inode, 1) >= 0) continue;
    const at = inode > 0 ? ctx.index.group(code, inode) : -1;
    if (at >= 0) claimed[at] = 1;
    ch.endpoints = at >= 0 ? ctx.index.endpoints(g.first[at]) : [];
    if (p.key[i] >= 0) addCandidate(pairs, p, i);
    emit(ctx, ch);
  }
}

/** How rawSockets.ts reads a namespace: the same entry (by a pid, or a hidden namespace's fd) and /proc files as the other tables. */
function nsReads(ctx: ProbeContext, ns: Netns): NsReads {
  return {
    id: ns.id,
    native: ctx.native !== null && ctx.procRoot === '/proc',
    diag: async (read) => {
      const d = await inNetns(ns, read);
      return d === GONE ? null : d;
    },
    file: (name) => netFile(ctx, ns, name),
  };
}

/** Raw IP, packet or ping channels' endpoints (by inode from the fd index), emitted; sockets an earlier table produced (`seen`) are skipped. */
function fillHeld(ctx: ProbeContext, list: readonly (Channel & { inode: number })[], seen: InodeTable, claimed: Uint8Array): void {
  const code = SOCKET_FDS.rule.code;
  const g = ctx.index.groups(code);
  for (const ch of list) {
    if (seen.set(ch.inode, 1) >= 0) continue;
    const at = ctx.index.group(code, ch.inode);
    if (at >= 0) claimed[at] = 1;
    ch.endpoints = at >= 0 ? ctx.index.endpoints(g.first[at]) : [];
    emit(ctx, ch);
  }
}

/**
 * Netlink channels' endpoints (by inode, as fillHeld) and holder uid, emitted. A socket no process
 * holds is the kernel's own (port id 0: the other end of the rest, no channel) or one of the
 * addon's own requests (`own`: its fd rows were dropped as transient, ownHandles.ts), left out;
 * any other unheld one stays, as ss lists it.
 */
function fillNetlink(ctx: ProbeContext, list: readonly NetlinkChannel[], seen: InodeTable, claimed: Uint8Array, own: ReadonlySet<number>): void {
  const code = SOCKET_FDS.rule.code;
  const g = ctx.index.groups(code);
  for (const ch of list) {
    if (seen.set(ch.inode, 1) >= 0) continue;
    const at = ctx.index.group(code, ch.inode);
    if (at < 0 && (ch.portid === 0 || own.has(ch.inode))) continue;
    if (at >= 0) claimed[at] = 1;
    ch.endpoints = at >= 0 ? ctx.index.endpoints(g.first[at]) : [];
    if (ch.endpoints.length > 0) ch.uid = ctx.processes.get(ch.endpoints[0].pid)?.uid ?? null;
    emit(ctx, ch);
  }
}

/**
 * The Unix channels of every namespace's table (`tables`: how many had any), in canonical order
 * without a sort: one table is emitted in its inode order as it is; several (a container's
 * namespace beside ours) are merged when each is in canonical order — a socket without an inode
 * (an embryo in /proc/net/unix) sorts first in its table but last in the canonical order: then
 * the snapshot's sort orders them.
 */
function emitUnix(ctx: ProbeContext, lists: UnixChannel[][], tables: number): void {
  if (tables <= 1) {
    for (const l of lists) emitAll(ctx, 'unix', l);
    ctx.presorted.add('unix');
    return;
  }
  if (lists.every(isSortedChannels)) {
    emitAll(ctx, 'unix', mergeSortedChannels(lists));
    ctx.presorted.add('unix');
  } else for (const l of lists) emitAll(ctx, 'unix', l);
}

/** The kinds whose tables socketProbe reads (and claimUnwanted for the ones not shown). */
const SOCKET_KINDS = ['unix', 'tcp', 'udp', 'raw', 'packet', 'ping', 'netlink'] as const;

/** One of a namespace's socket tables (UDP and UDP-Lite per family; TCP's families in one dump). */
export type SocketTable = 'unix' | 'tcp' | 'mptcp' | 'udp4' | 'udp6' | 'udplite4' | 'udplite6' | 'raw' | 'packet' | 'ping' | 'netlink';

/**
 * The tables to read for these kinds in a namespace of these protocol counts (null: unknown).
 * MPTCP and UDP-Lite are read only where the namespace may have sockets of them (protocolsInUse.ts).
 * `claim`: the tables are read only for their inodes (claimUnwanted), and an MPTCP socket's inode
 * is its subflows' too: the TCP table claims it, and no MPTCP table is read.
 */
export function tablesToRead(kinds: ReadonlySet<string>, counts: ProtocolsInUse | null, claim: boolean): Set<SocketTable> {
  const out = new Set<SocketTable>();
  if (kinds.has('unix')) out.add('unix');
  if (kinds.has('tcp')) {
    out.add('tcp');
    if (!claim && mayHave(counts, MPTCP_PROTOCOLS)) out.add('mptcp');
  }
  if (kinds.has('udp')) {
    out.add('udp4').add('udp6');
    if (mayHave(counts, ['UDP-Lite'])) out.add('udplite4');
    if (mayHave(counts, ['UDPLITEv6'])) out.add('udplite6');
  }
  for (const k of ['raw', 'packet', 'ping', 'netlink'] as const) if (kinds.has(k)) out.add(k);
  return out;
}

/**
 * A namespace's MPTCP sockets (mptcpSockets.ts): dumped beside the walk for our own namespace (a
 * failed dump is read again here); with the subflows that joined a connection no program has
 * accepted yet (pendingJoins: a dump of its own only where there are such connections).
 */
async function mptcpTable(ctx: ProbeContext, ns: Netns, prefetch: SocketPrefetch | undefined): Promise<MptcpTables | null> {
  const n = ctx.native;
  const dump = (table: 'mptcp' | 'mptcp-subflows') =>
    n && ctx.procRoot === '/proc'
      ? async () => {
          const d = await inNetns(ns, (nsPath) => n.inetDiag(table, 0, nsPath));
          return d === GONE ? null : d;
        }
      : null;
  let table = ns.own && prefetch?.mptcp && prefetch.nsId === ns.id ? await prefetch.mptcp : null;
  if (!table) {
    const d = await mptcpDump(dump('mptcp'), ns.id, ctx.warnings);
    if (d === null) return null;
    table = prepareInet(d, 'tcp', ns.id, 'mptcp');
  }
  const joined = await pendingJoins(table, dump('mptcp-subflows'), (d) => prepareInet(d, 'tcp', ns.id), ns.id, ctx.warnings);
  return { table, joined };
}

/** The tables of `ns` named in `tables` (tablesToRead), read side by side (null: not named, or not readable); failures are said in ctx.warnings. */
async function readTables(ctx: ProbeContext, ns: Netns, tables: ReadonlySet<SocketTable>, prefetch: SocketPrefetch | undefined) {
  const n = ctx.native;
  const rawDiag = n ? (nsPath: string | undefined) => n.inetDiag('raw', 0, nsPath) : null;
  // (an addon built before packet_diag: the /proc file)
  const packetDiag = n && typeof n.packetDiag === 'function' ? (nsPath: string | undefined) => n.packetDiag!(nsPath) : null;
  const netlinkDiag = n && typeof n.netlinkDiag === 'function' ? (nsPath: string | undefined) => n.netlinkDiag!(nsPath) : null;
  const has = (t: SocketTable) => tables.has(t);
  const [unix, tcp, mptcp, udp4, udp6, lite4, lite6, raws, packets, pings, netlinks] = await Promise.all([
    has('unix') ? unixTable(ctx, ns, prefetch) : null,
    has('tcp') ? inetTable(ctx, ns, 'tcp', 0, prefetch) : null,
    has('mptcp') ? mptcpTable(ctx, ns, prefetch) : null,
    has('udp4') ? inetTable(ctx, ns, 'udp', 4, prefetch) : null,
    has('udp6') ? inetTable(ctx, ns, 'udp', 6, prefetch) : null,
    has('udplite4') ? inetTable(ctx, ns, 'udplite', 4, undefined) : null,
    has('udplite6') ? inetTable(ctx, ns, 'udplite', 6, undefined) : null,
    has('raw') ? rawTable(nsReads(ctx, ns), rawDiag, ctx.warnings) : null,
    has('packet') ? packetTable(nsReads(ctx, ns), packetDiag, ctx.warnings) : null,
    has('ping') ? pingTable(nsReads(ctx, ns)) : null,
    has('netlink') ? netlinkTable(nsReads(ctx, ns), netlinkDiag, ctx.warnings) : null,
  ]);
  return { unix, tcp, mptcp, udp4, udp6, lite4, lite6, raws, packets, pings, netlinks };
}

/**
 * Marks the sockets of the kinds this snapshot does not show as claimed, from their namespace's
 * tables (inodes only: no channel, no warning). A socket no table claims is looked up through a
 * pidfd_getfd copy of its holder's fd (hiddenNetns.ts): without these, a snapshot of TCP alone
 * (`--kind tcp`, a peek of one TCP socket) would copy up to 256 of other processes' Unix sockets
 * a scan, and warn that every Unix socket of the machine is in no table. (No protocol counts are
 * read for these: both UDP-Lite tables are asked; no prefetch has tables of kinds not shown.)
 */
async function claimUnwanted(ctx: ProbeContext, ns: Netns, claimed: Uint8Array): Promise<void> {
  const unwanted = new Set(SOCKET_KINDS.filter((k) => !ctx.kinds.has(k)));
  const t = await readTables({ ...ctx, warnings: [] }, ns, tablesToRead(unwanted, null, true), undefined);
  const code = SOCKET_FDS.rule.code;
  const mark = (inode: number): void => {
    const at = inode > 0 ? ctx.index.group(code, inode) : -1;
    if (at >= 0) claimed[at] = 1;
  };
  if (t.unix) for (const inode of t.unix.table.inode) mark(inode);
  for (const p of [t.tcp, t.udp4, t.udp6, t.lite4, t.lite6]) if (p) for (const ch of p.ch) mark(ch.inode);
  for (const list of [t.raws, t.packets, t.pings, t.netlinks]) if (list) for (const ch of list) mark(ch.inode);
}

export const socketProbe: Probe<SocketPrefetch> = {
  prefetch: prefetchSockets,
  async run(ctx, prefetch) {
    const wantUnix = ctx.kinds.has('unix');
    const wantTcp = ctx.kinds.has('tcp');
    const wantUdp = ctx.kinds.has('udp');
    if (!SOCKET_KINDS.some((k) => ctx.kinds.has(k))) return;
    const n = ctx.native;
    let sockDiag = ctx.native !== null;
    const nss = namespaces(ctx);
    const seenUnix = nss.length > 1 ? new InodeTable(ctx.walk.fds.pid.length) : null;
    const seenInet = new InodeTable(1024);
    let unixTables = 0;
    /** Each namespace's Unix channels, in inode order (fillUnix keeps prepareUnix's order). */
    const unixLists: UnixChannel[][] = [];
    /** Socket groups (FdIndex, by position) a table has: the others are in no table (hiddenNetns.ts). */
    const claimed = new Uint8Array(ctx.index.groups(SOCKET_FDS.rule.code).count);
    const protocolsOf = (ns: Netns): ProtocolsInUse | null => {
      const t = netFile(ctx, ns, 'protocols');
      return t === null ? null : parseProtocols(t);
    };
    const fillNs = async (ns: Netns, seenUnix: InodeTable | null): Promise<void> => {
      // (MPTCP and UDP-Lite: only where the namespace counts sockets of them; a hidden namespace's counts are not at hand)
      const counts = !(wantTcp || wantUdp) || ns.path !== undefined ? null : ns.own && prefetch?.nsId === ns.id && prefetch.protocols !== undefined ? prefetch.protocols : protocolsOf(ns);
      const { unix, tcp: tcpOnly, mptcp, udp4, udp6, lite4, lite6, raws, packets, pings, netlinks } = await readTables(ctx, ns, tablesToRead(ctx.kinds, counts, false), prefetch);
      const f0 = performance.now();
      if (unix) {
        if (!unix.native) sockDiag = false;
        if (unix.table.ch.length > 0) unixTables++;
        const list = fillUnix(ctx, unix.table, seenUnix, claimed);
        if (list.length > 0) unixLists.push(list);
      }
      // an MPTCP socket's subflows are TCP rows of its inode: folded under it (mptcpSockets.ts)
      const tcp = withMptcp(tcpOnly, mptcp?.table ?? null, mptcp?.joined);
      const pairs = noCandidates();
      seenInet.reserve((tcp?.ch.length ?? 0) + (udp4?.ch.length ?? 0) + (udp6?.ch.length ?? 0) + (lite4?.ch.length ?? 0) + (lite6?.ch.length ?? 0));
      for (const t of [tcp, udp4, udp6, lite4, lite6]) if (t) fillInet(ctx, t, pairs, seenInet, claimed);
      if (raws) fillHeld(ctx, raws, seenInet, claimed);
      if (packets) fillHeld(ctx, packets, seenInet, claimed);
      if (pings) fillHeld(ctx, pings, seenInet, claimed);
      // (the addon's own sockets: asked after every table of the namespace was read, so each one it opened for them is named)
      if (netlinks) fillNetlink(ctx, netlinks, seenInet, claimed, new Set(n?.ownNetlinkInodes?.() ?? []));
      if (tcp) markAcceptQueues(tcp.ch);
      // found during the walk for these tables, unless an earlier table had some of their sockets
      const pre = ns.own && prefetch?.tcpPairs && prefetch.nsId === ns.id ? await prefetch.tcpPairs : undefined;
      applyLinks(pre && pre.t4 === tcp && pre.t6 === null && pre.candidates === pairs.ch.length ? pre : pairLinks(pairs));
      if (ctx.marks) ctx.marks.socketFillMs = (ctx.marks.socketFillMs ?? 0) + (performance.now() - f0);
    };
    await Promise.all(nss.map((ns) => fillNs(ns, seenUnix)));
    // Sockets of namespaces no process is in: each found through a socket no table had, then dumped.
    const native = ctx.native;
    if (native && ctx.procRoot === '/proc' && claimed.indexOf(0) >= 0 && SOCKET_KINDS.some((k) => !ctx.kinds.has(k))) {
      await Promise.all(nss.map((ns) => claimUnwanted(ctx, ns, claimed)));
    }
    if (native && ctx.procRoot === '/proc' && claimed.indexOf(0) >= 0) {
      const known = new Set(nss.map((ns) => ns.id));
      for await (const h of hiddenNamespaces(ctx, native, claimed, known)) {
        try {
          const ns: Netns = { id: h.id, pid: 0, own: false, others: [], path: `/proc/self/fd/${h.fd}` };
          // (socket inodes are unique machine-wide: no table of another namespace has these)
          await fillNs(ns, null);
          ctx.warnings.push(`network namespace ${h.id} has no process in it: its sockets were found through socket ${h.via.inode} (pid ${h.via.pid} fd ${h.via.fd}) and read by that socket's namespace`);
        } finally {
          native.closeFd(h.fd);
        }
      }
      // inet, ping and netlink sockets in no table of their namespace (never bound, or closed but still held), as lsof lists them
      const g = ctx.index.groups(SOCKET_FDS.rule.code);
      for (let k = 0; k < g.count; k++) {
        if (claimed[k] === 1) continue;
        const u = untabledSocket(ctx.socketLookups, g.inode[k]);
        if (!u || !ctx.kinds.has(u.kind)) continue;
        const endpoints = ctx.index.endpoints(g.first[k]);
        if (u.kind === 'netlink') emit(ctx, { ...u, endpoints, uid: ctx.processes.get(endpoints[0]?.pid)?.uid ?? null });
        else emit(ctx, { ...u, endpoints } as InetChannel | PingChannel);
      }
    }
    if (wantTcp || wantUdp) {
      const l0 = performance.now();
      await linkAcrossNamespaces(ctx, nss);
      if (ctx.marks) ctx.marks.netLinksMs = performance.now() - l0;
    }
    if (wantUnix) ctx.capabilities.sockDiag = sockDiag;
    // when the tables dumped beside the walk were ready (a namespace of the walked processes is ours)
    if (ctx.marks && prefetch?.readyAt !== undefined && nss.some((ns) => ns.own && ns.id === prefetch.nsId)) ctx.marks.socketTablesAt = prefetch.readyAt;
    if (wantUnix) emitUnix(ctx, unixLists, unixTables);
  },
};
