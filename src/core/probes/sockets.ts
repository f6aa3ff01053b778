// Unix, TCP and UDP sockets, read once per distinct network namespace among the walked
// processes: natively through sock_diag (nsPath = /proc/PID/ns/net for foreign namespaces),
// else /proc/PID/net/{unix,tcp,tcp6,udp,udp6}. Socket fds (inode) become endpoints; sockets no
// process holds are still channels (endpoints []), as ss shows them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InetChannel, UnixChannel, UnixType } from '../model';
import { FdKind, type InetDiag, type NativeAddon, type UnixDiag } from '../native';
import { hostPort, inetStateName, parseProcNetInet, parseProcNetUnix, unixStateName } from '../parsers/net';
import { netnsId, emit, type Probe, type ProbeContext } from './context';
import { InodeTable, orderByInode } from './inodeTable';

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
      /* ignore */
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
      /* keep */
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

async function unixTable(ctx: ProbeContext, ns: Netns): Promise<{ diag: UnixDiag; native: boolean } | null> {
  const n = ctx.native;
  if (ns.own && ctx.prefetch?.unix) {
    const d = await ctx.prefetch.unix;
    if (d) return { diag: d, native: true };
  }
  if (n && ctx.procRoot === '/proc') {
    try {
      return { diag: await n.unixDiag(ns.own ? undefined : `/proc/${ns.pid}/ns/net`), native: true };
    } catch {
      /* fall back to text */
    }
  }
  const t = netFile(ctx, ns, 'unix');
  return t === null ? null : { diag: parseProcNetUnix(t), native: false };
}

async function inetTable(ctx: ProbeContext, ns: Netns, proto: 'tcp' | 'udp', family: 4 | 6): Promise<InetDiag | null> {
  const n = ctx.native;
  const pre = ns.own && ctx.prefetch ? ctx.prefetch[`${proto}${family}`] : undefined;
  if (pre) {
    const d = await pre;
    if (d) return d;
  }
  if (n && ctx.procRoot === '/proc') {
    try {
      return await n.inetDiag(proto, family, ns.own ? undefined : `/proc/${ns.pid}/ns/net`);
    } catch {
      /* fall back */
    }
  }
  const t = netFile(ctx, ns, family === 6 ? proto + '6' : proto);
  return t === null ? null : parseProcNetInet(t);
}

function addUnix(ctx: ProbeContext, ns: Netns, d: UnixDiag, seen: InodeTable) {
  const n = d.inode.length;
  const order = orderByInode(n, (i) => d.inode[i]);
  for (let o = 0; o < n; o++) {
    const i = order[o];
    const raw = d.inode[i];
    const inode = raw <= 0x7fffffff ? raw | 0 : raw; // small integer: cheaper keys and id strings
    // socket inodes are unique machine-wide: a table read twice (namespace fallback) adds nothing
    if (seen.set(inode, 1) >= 0) continue;
    const ch: UnixChannel = {
      id: 'unix:' + inode,
      kind: 'unix',
      endpoints: ctx.index.endpoints(ctx.index.head(FdKind.Socket, inode)),
      inode,
      type: UNIX_TYPES[d.type[i]] ?? ('stream' as UnixType),
      state: unixStateName(d.state[i]),
      recvQueue: d.rqueue[i] >= 0 ? d.rqueue[i] : null,
      sendQueue: d.wqueue[i] >= 0 ? d.wqueue[i] : null,
      netns: ns.id,
    };
    if (d.nameKind[i] === 1) ch.path = d.name[i];
    else if (d.nameKind[i] === 2) ch.abstract = d.name[i];
    const peerRaw = d.peer[i];
    const peer = peerRaw <= 0x7fffffff ? peerRaw | 0 : peerRaw;
    if (peer > 0) {
      ch.peerInode = peer;
      ch.peer = 'unix:' + peer;
    }
    emit(ctx, ch);
  }
}

function addInet(ctx: ProbeContext, ns: Netns, proto: 'tcp' | 'udp', d: InetDiag, byPair: Map<string, InetChannel>, seen: InodeTable) {
  const n = d.inode.length;
  for (let i = 0; i < n; i++) {
    const fam = d.family[i] === 6 ? 6 : 4;
    const local = hostPort(fam, d.localAddr[i], d.localPort[i]);
    const remote = hostPort(fam, d.remoteAddr[i], d.remotePort[i]);
    const raw = d.inode[i];
    const inode = raw <= 0x7fffffff ? raw | 0 : raw;
    if (inode > 0 && seen.set(inode, 1) >= 0) continue;
    let state = inetStateName(d.state[i]);
    if (proto === 'udp' && d.state[i] !== 1) state = 'UNCONN';
    const ch: InetChannel = {
      id: inode > 0 ? `${proto}:${inode}` : `${proto}:${ns.id}:${local}->${remote}`,
      kind: proto,
      endpoints: inode > 0 ? ctx.index.endpoints(ctx.index.head(FdKind.Socket, inode)) : [],
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
    if (proto === 'tcp' && d.remotePort[i] !== 0 && d.state[i] !== 10) byPair.set(local + '|' + remote, ch);
    emit(ctx, ch);
  }
}

export const socketProbe: Probe = {
  kinds: ['unix', 'tcp', 'udp'],
  async run(ctx) {
    const wantUnix = ctx.kinds.has('unix');
    const wantTcp = ctx.kinds.has('tcp');
    const wantUdp = ctx.kinds.has('udp');
    if (!wantUnix && !wantTcp && !wantUdp) return;
    let sockDiag = ctx.native !== null;
    const seenUnix = new InodeTable(ctx.walk.fds.pid.length);
    const seenInet = new InodeTable(1024);
    let unixTables = 0;
    await Promise.all(
      namespaces(ctx).map(async (ns) => {
        const [unix, tcp4, tcp6, udp4, udp6] = await Promise.all([
          wantUnix ? unixTable(ctx, ns) : null,
          wantTcp ? inetTable(ctx, ns, 'tcp', 4) : null,
          wantTcp ? inetTable(ctx, ns, 'tcp', 6) : null,
          wantUdp ? inetTable(ctx, ns, 'udp', 4) : null,
          wantUdp ? inetTable(ctx, ns, 'udp', 6) : null,
        ]);
        if (unix) {
          if (!unix.native) sockDiag = false;
          if (unix.diag.inode.length > 0) unixTables++;
          addUnix(ctx, ns, unix.diag, seenUnix);
        }
        const pairs = new Map<string, InetChannel>();
        if (tcp4) addInet(ctx, ns, 'tcp', tcp4, pairs, seenInet);
        if (tcp6) addInet(ctx, ns, 'tcp', tcp6, pairs, seenInet);
        if (udp4) addInet(ctx, ns, 'udp', udp4, pairs, seenInet);
        if (udp6) addInet(ctx, ns, 'udp', udp6, pairs, seenInet);
        // loopback pairs: both ends in this namespace, local↔remote swapped
        for (const [key, ch] of pairs) {
          const bar = key.indexOf('|');
          const other = pairs.get(key.slice(bar + 1) + '|' + key.slice(0, bar));
          if (other && other !== ch) ch.peer = other.id;
        }
      }),
    );
    if (wantUnix) ctx.capabilities.sockDiag = sockDiag;
    if (unixTables <= 1) ctx.presorted.add('unix'); // one table, emitted in inode order
  },
};
