// Unix, TCP and UDP sockets, read once per distinct network namespace among the walked
// processes: natively through sock_diag (nsPath = /proc/PID/ns/net for foreign namespaces),
// else /proc/PID/net/{unix,tcp,tcp6,udp,udp6}. Socket fds (inode) become endpoints; sockets no
// process holds are still channels (endpoints []), as ss shows them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Endpoint, InetChannel, UnixChannel, UnixType } from '../model';
import { errnoName, type InetDiag, type NativeAddon, type UnixDiag } from '../native';
import { SOCKET_FDS } from '../kinds/fds';
import { hostPort, inetStateName, remoteHostPort, parseProcNetInet, parseProcNetUnix, unixStateName } from '../parsers/net';
import { netnsId, emit, emitAll, type Probe, type ProbeContext } from './context';
import { InodeTable } from './inodeTable';
import { linkAcrossNamespaces } from './netLinks';

interface Netns {
  id: string;
  /** A pid inside it, or 0 for "the caller's own" (read procRoot/net/*). */
  pid: number;
  own: boolean;
}

function namespaces(ctx: ProbeContext): Netns[] {
  let self = '';
  if (ctx.procRoot === '/proc') {
    try {
      self = netnsId(fs.readlinkSync('/proc/self/ns/net'));
    } catch {
      /* our own ns link unreadable (no /proc/self?): no namespace counts as ours, each is read by a pid in it */
    }
  }
  const seen = new Map<string, Netns>();
  for (const p of ctx.raw.values()) {
    if (!p.netns || !ctx.processes.has(p.pid)) continue;
    const id = netnsId(p.netns);
    if (!seen.has(id)) seen.set(id, { id, pid: p.pid, own: id === self });
  }
  if (seen.size === 0) {
    // nothing readable (captured tree without ns links): the tree's own net/ files
    let id = self;
    try {
      id = netnsId(fs.readlinkSync(path.join(ctx.procRoot, 'self/ns/net')));
    } catch {
      /* a captured tree without self/ns: the caller's namespace id stands for it */
    }
    seen.set(id, { id, pid: 0, own: true });
  }
  return [...seen.values()];
}

function netFile(ctx: ProbeContext, ns: Netns, name: string): string | null {
  const p = ns.pid > 0 ? path.join(ctx.procRoot, String(ns.pid), 'net', name) : path.join(ctx.procRoot, 'net', name);
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

const UNIX_TYPES: Record<number, UnixType> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };

/** Socket tables of the caller's own namespace, requested before the fd walk so the netlink dumps overlap it. */
export interface SocketPrefetch {
  unix?: Promise<UnixDiag | null>;
  tcp4?: Promise<InetDiag | null>;
  tcp6?: Promise<InetDiag | null>;
  udp4?: Promise<InetDiag | null>;
  udp6?: Promise<InetDiag | null>;
}

export function prefetchSockets(native: NativeAddon | null, procRoot: string, kinds: ReadonlySet<string>): SocketPrefetch {
  const out: SocketPrefetch = {};
  if (!native || procRoot !== '/proc') return out;
  const safe = <T>(f: () => Promise<T>): Promise<T | null> => {
    try {
      return f().catch(() => null);
    } catch {
      return Promise.resolve(null);
    }
  };
  if (kinds.has('unix')) out.unix = safe(() => native.unixDiag());
  if (kinds.has('tcp')) {
    out.tcp4 = safe(() => native.inetDiag('tcp', 4));
    out.tcp6 = safe(() => native.inetDiag('tcp', 6));
  }
  if (kinds.has('udp')) {
    out.udp4 = safe(() => native.inetDiag('udp', 4));
    out.udp6 = safe(() => native.inetDiag('udp', 6));
  }
  return out;
}

async function unixTable(ctx: ProbeContext, ns: Netns, prefetch: SocketPrefetch | undefined): Promise<{ diag: UnixDiag; native: boolean } | null> {
  const n = ctx.native;
  if (ns.own && prefetch?.unix) {
    const d = await prefetch.unix;
    if (d) return { diag: d, native: true };
  }
  if (n && ctx.procRoot === '/proc') {
    try {
      return { diag: await n.unixDiag(ns.own ? undefined : `/proc/${ns.pid}/ns/net`), native: true };
    } catch (e) {
      ctx.warnings.push(`sock_diag (unix) in network namespace ${ns.id} failed (${errnoName(e) ?? 'EIO'}): read /proc/${ns.pid || 'self'}/net/unix instead (no peers or queues there)`);
    }
  }
  const t = netFile(ctx, ns, 'unix');
  return t === null ? null : { diag: parseProcNetUnix(t), native: false };
}

async function inetTable(ctx: ProbeContext, ns: Netns, proto: 'tcp' | 'udp', family: 4 | 6, prefetch: SocketPrefetch | undefined): Promise<InetDiag | null> {
  const n = ctx.native;
  const pre = ns.own && prefetch ? prefetch[`${proto}${family}`] : undefined;
  if (pre) {
    const d = await pre;
    if (d) return d;
  }
  if (n && ctx.procRoot === '/proc') {
    try {
      return await n.inetDiag(proto, family, ns.own ? undefined : `/proc/${ns.pid}/ns/net`);
    } catch (e) {
      ctx.warnings.push(`sock_diag (${proto}${family}) in network namespace ${ns.id} failed (${errnoName(e) ?? 'EIO'}): read its /proc/net file instead`);
    }
  }
  const t = netFile(ctx, ns, family === 6 ? proto + '6' : proto);
  return t === null ? null : parseProcNetInet(t);
}

const SHIFT = 1048576; // 2^20: packed sort keys `inode * 2^20 + position`

/** Positions 0..n-1 of a sock_diag table by ascending inode (packed Float64Array sort, no comparator). */
function unixOrder(inodes: Float64Array): Int32Array {
  const n = inodes.length;
  const order = new Int32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) if (inodes[i] > max) max = inodes[i];
  if (n < SHIFT && max * SHIFT + SHIFT <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = inodes[i] * SHIFT + i;
    keys.sort();
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      order[i] = k - Math.floor(k / SHIFT) * SHIFT;
    }
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => inodes[a] - inodes[b] || a - b);
  return order;
}

function unixChannel(id: string, endpoints: Endpoint[], inode: number, type: UnixType, state: string, rq: number | null, sq: number | null, netns: string): UnixChannel {
  // one literal: every unnamed, unpaired channel has the same hidden class
  return { id, kind: 'unix', endpoints, inode, type, state, recvQueue: rq, sendQueue: sq, netns };
}

/**
 * One sock_diag (or /proc/net/unix) table → channels, in inode order: the table is sorted once
 * and merge-joined with the fd index's socket groups (also inode-sorted) — no hash lookups.
 * `seen` (several namespaces only) skips sockets an earlier table already produced.
 */
function addUnix(ctx: ProbeContext, ns: Netns, d: UnixDiag, seen: InodeTable | null): UnixChannel[] {
  const n = d.inode.length;
  const order = unixOrder(d.inode);
  const index = ctx.index;
  const g = index.groups(SOCKET_FDS.rule.code);
  const gInode = g.inode;
  const gFirst = g.first;
  const gCount = g.count;
  const out: UnixChannel[] = [];
  const nsId = ns.id;
  const dInode = d.inode;
  const dType = d.type;
  const dState = d.state;
  const dRq = d.rqueue;
  const dWq = d.wqueue;
  const dPeer = d.peer;
  const dNameKind = d.nameKind;
  const dVfsIno = d.vfsIno;
  const dVfsDev = d.vfsDev;
  /** Inode and peer inode of out[k]. */
  const sorted = new Float64Array(n);
  const peers = new Float64Array(n);
  let j = 0;
  let lastInode = -1;
  for (let o = 0; o < n; o++) {
    const i = order[o];
    const raw = dInode[i];
    if (raw === lastInode) continue; // a table listing a socket twice
    lastInode = raw;
    const inode = raw <= 0x7fffffff ? raw | 0 : raw; // small integer: cheaper keys and id strings
    // socket inodes are unique machine-wide: a table read twice (namespace fallback) adds nothing
    if (seen !== null && seen.set(inode, 1) >= 0) continue;
    while (j < gCount && gInode[j] < raw) j++;
    const endpoints = j < gCount && gInode[j] === raw ? index.endpoints(gFirst[j]) : [];
    const t = dType[i];
    const rq = dRq[i];
    const wq = dWq[i];
    const ch = unixChannel(
      'unix:' + inode,
      endpoints,
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
    sorted[out.length] = raw;
    peers[out.length] = dPeer[i];
    out.push(ch);
  }
  // peers: the other end's id string is already built when it is in this table (binary search)
  const m = out.length;
  for (let k = 0; k < m; k++) {
    const peerRaw = peers[k];
    if (!(peerRaw > 0)) continue;
    const peer = peerRaw <= 0x7fffffff ? peerRaw | 0 : peerRaw;
    let lo = 0;
    let hi = m - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = sorted[mid];
      if (v < peerRaw) lo = mid + 1;
      else if (v > peerRaw) hi = mid - 1;
      else {
        at = mid;
        break;
      }
    }
    const ch = out[k];
    ch.peerInode = peer;
    ch.peer = at >= 0 ? out[at].id : 'unix:' + peer;
  }
  return out;
}

/** Connected TCP channels of one namespace and their `localPort * 65536 + remotePort` keys (loopback pairing). */
interface PairCandidates {
  ch: InetChannel[];
  key: number[];
}

/** Pairs inside this namespace, local↔remote swapped (numeric port keys, addresses compared on a hit); across namespaces: netLinks.ts. */
function linkPairs(p: PairCandidates): void {
  const n = p.ch.length;
  const last = new Map<number, number>();
  const prev = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const h = last.get(p.key[i]);
    if (h !== undefined) prev[i] = h;
    last.set(p.key[i], i);
  }
  for (let i = 0; i < n; i++) {
    const c = p.ch[i];
    const k = p.key[i];
    const hi = Math.floor(k / 65536);
    const swapped = (k - hi * 65536) * 65536 + hi;
    for (let j = last.get(swapped) ?? -1; j >= 0; j = prev[j]) {
      const o = p.ch[j];
      if (o !== c && o.local === c.remote && o.remote === c.local) {
        c.peer = o.id; // same namespace: no peerNetns/peerMatch (the common case stays as cheap as before)
        break;
      }
    }
  }
}

function addInet(ctx: ProbeContext, ns: Netns, proto: 'tcp' | 'udp', d: InetDiag, pairs: PairCandidates, seen: InodeTable) {
  const n = d.inode.length;
  for (let i = 0; i < n; i++) {
    const fam = d.family[i] === 6 ? 6 : 4;
    const local = hostPort(fam, d.localAddr[i], d.localPort[i]);
    const remote = remoteHostPort(fam, d.remoteAddr[i], d.remotePort[i]);
    const raw = d.inode[i];
    const inode = raw <= 0x7fffffff ? raw | 0 : raw;
    if (inode > 0 && seen.set(inode, 1) >= 0) continue;
    let state = inetStateName(d.state[i]);
    if (proto === 'udp' && d.state[i] !== 1) state = 'UNCONN';
    const ch: InetChannel = {
      id: inode > 0 ? `${proto}:${inode}` : `${proto}:${ns.id}:${local}->${remote}`,
      kind: proto,
      endpoints: inode > 0 ? ctx.index.endpoints(ctx.index.head(SOCKET_FDS.rule.code, inode)) : [],
      family: fam,
      local,
      remote,
      state,
      recvQueue: d.rqueue[i],
      sendQueue: d.wqueue[i],
      inode,
      netns: ns.id,
      uid: d.uid[i],
    };
    if (proto === 'tcp' && d.remotePort[i] !== 0 && d.state[i] !== 10) {
      pairs.ch.push(ch);
      pairs.key.push(d.localPort[i] * 65536 + d.remotePort[i]);
    }
    emit(ctx, ch);
  }
}

export const socketProbe: Probe<SocketPrefetch> = {
  prefetch: prefetchSockets,
  async run(ctx, prefetch) {
    const wantUnix = ctx.kinds.has('unix');
    const wantTcp = ctx.kinds.has('tcp');
    const wantUdp = ctx.kinds.has('udp');
    if (!wantUnix && !wantTcp && !wantUdp) return;
    let sockDiag = ctx.native !== null;
    const nss = namespaces(ctx);
    const seenUnix = nss.length > 1 ? new InodeTable(ctx.walk.fds.pid.length) : null;
    const seenInet = new InodeTable(1024);
    let unixTables = 0;
    await Promise.all(
      nss.map(async (ns) => {
        const [unix, tcp4, tcp6, udp4, udp6] = await Promise.all([
          wantUnix ? unixTable(ctx, ns, prefetch) : null,
          wantTcp ? inetTable(ctx, ns, 'tcp', 4, prefetch) : null,
          wantTcp ? inetTable(ctx, ns, 'tcp', 6, prefetch) : null,
          wantUdp ? inetTable(ctx, ns, 'udp', 4, prefetch) : null,
          wantUdp ? inetTable(ctx, ns, 'udp', 6, prefetch) : null,
        ]);
        if (unix) {
          if (!unix.native) sockDiag = false;
          if (unix.diag.inode.length > 0) unixTables++;
          emitAll(ctx, 'unix', addUnix(ctx, ns, unix.diag, seenUnix));
        }
        const pairs: PairCandidates = { ch: [], key: [] };
        if (tcp4) addInet(ctx, ns, 'tcp', tcp4, pairs, seenInet);
        if (tcp6) addInet(ctx, ns, 'tcp', tcp6, pairs, seenInet);
        if (udp4) addInet(ctx, ns, 'udp', udp4, pairs, seenInet);
        if (udp6) addInet(ctx, ns, 'udp', udp6, pairs, seenInet);
        linkPairs(pairs);
      }),
    );
    if (wantTcp || wantUdp) await linkAcrossNamespaces(ctx, nss);
    if (wantUnix) ctx.capabilities.sockDiag = sockDiag;
    if (unixTables <= 1) ctx.presorted.add('unix'); // one table, emitted in inode order
  },
};
