// Both ends of TCP/UDP connections that cross network namespaces (containers over veth pairs or
// bridges, published ports), after sockets.ts has linked the pairs inside each namespace.
// Only what kernel data settles is linked; anything ambiguous stays unlinked:
//   1. tuple-netns: a connected socket with no peer in its own namespace, whose swapped
//      (local, remote) pair exists in exactly one other namespace — and that socket's swapped pair
//      only here. Never for loopback addresses (each namespace has its own 127.0.0.1).
//   2. conntrack: a NAT entry (DNAT of a published port, masquerade) of any namespace maps an
//      original tuple (the client's socket) to a reply tuple (the server's socket); linked when
//      each side is the only unpaired socket with that tuple and no other entry claims either.
//      TCP only (a UDP server's socket is rarely connected, so it has no one tuple to match).
//      Asked only for the unpaired TCP ends left after 1 that connected to a loopback or a local
//      address (none on a host whose connections all pair up or go outside): each one's flow is
//      looked up over ctnetlink, or the namespace's whole table is read where that cannot be done.
//   3. relay: docker-proxy (the userland proxy of a published port) holds one socket accepted on
//      the host port and one connected to the container; linked when it holds exactly one of each.
import * as fs from 'node:fs';
import type { InetChannel } from '../model';
import type { ConntrackQuery } from '../native';
import { isNat, origKeyV4, parseConntrackLine, type ConntrackEntry, type ConntrackTuple } from '../parsers/conntrack';
import type { ProbeContext } from './context';
import { hostOf, portOf } from '../kinds/inet';
import { kernelHasModule } from '../kernelModules';

export interface NetnsRef {
  id: string;
  /** A pid inside it, 0 for the reader's own (procRoot/net). */
  pid: number;
  /** The reader's own namespace (its lookups need no setns). */
  own?: boolean;
}

const CONNTRACK_MAX_BYTES = 32 * 1024 * 1024;

/** `[::ffff:10.0.0.1]:80` → `10.0.0.1:80` (a v4 peer of a dual-stack socket); other text unchanged. */
export function normAddrPort(s: string): string {
  return s.startsWith('[::ffff:') && /^\[::ffff:\d+\.\d+\.\d+\.\d+\]:\d+$/.test(s) ? s.slice(8).replace(']', '') : s;
}

export function isLoopback(addrPort: string): boolean {
  const h = hostOf(normAddrPort(addrPort));
  return h.startsWith('127.') || h === '::1';
}

/** A connection end that can have a live partner: TCP neither listening nor in TIME-WAIT (whose partner is gone), or connected UDP. */
function connected(c: InetChannel): boolean {
  if (c.remote.endsWith(':*') || c.remote.endsWith(':0')) return false;
  return c.kind === 'tcp' ? c.state !== 'LISTEN' && c.state !== 'TIME-WAIT' : c.state === 'ESTAB';
}

const key = (kind: string, local: string, remote: string) => `${kind}|${normAddrPort(local)}|${normAddrPort(remote)}`;

/** Links both ways; a same-namespace tuple pair carries `peer` alone, like sockets.ts's TCP pairs. */
function link(a: InetChannel, b: InetChannel, how: 'tuple' | 'tuple-netns' | 'conntrack'): void {
  a.peer = b.id;
  b.peer = a.id;
  if (how === 'tuple') return;
  a.peerNetns = b.netns;
  a.peerMatch = how;
  b.peerNetns = a.netns;
  b.peerMatch = how;
}

/** Reads a /proc text file up to `max` bytes (a busy conntrack table is large); null when unreadable. */
async function readCapped(path: string, max: number): Promise<string | null> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(256 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total >= max) break;
    }
    return Buffer.concat(chunks).toString('latin1');
  } catch {
    return null;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** docker-proxy's flags: `-proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80`. */
export function dockerProxyArgs(cmdline: readonly string[]): { proto: string; hostIp: string | null; hostPort: number; containerIp: string; containerPort: number } | null {
  const flag = (n: string): string | undefined => {
    for (let i = 0; i < cmdline.length; i++) {
      const a = cmdline[i];
      if (a === `-${n}` || a === `--${n}`) return cmdline[i + 1];
      if (a.startsWith(`-${n}=`) || a.startsWith(`--${n}=`)) return a.slice(a.indexOf('=') + 1);
    }
    return undefined;
  };
  const hostPort = Number(flag('host-port'));
  const containerPort = Number(flag('container-port'));
  const containerIp = flag('container-ip');
  if (!Number.isInteger(hostPort) || hostPort <= 0 || hostPort > 65535 || !Number.isInteger(containerPort) || containerPort <= 0 || containerPort > 65535 || !containerIp) return null;
  return { proto: flag('proto') ?? 'tcp', hostIp: flag('host-ip') ?? null, hostPort, containerIp, containerPort };
}

/** A socket end's (local → remote) as a conntrack lookup; null for text that is not address:port. */
export function conntrackQuery(c: InetChannel): ConntrackQuery | null {
  // (UDP-Lite flows are conntrack's protocol IPPROTO_UDPLITE, which these lookups do not ask: none would be a UDP flow's)
  if (c.protocol === 'udplite') return null;
  const l = normAddrPort(c.local);
  const r = normAddrPort(c.remote);
  const src = hostOf(l);
  const dst = hostOf(r);
  const family = src.includes(':') ? 6 : 4;
  if (dst.includes(':') !== (family === 6)) return null;
  const sport = portOf(l);
  const dport = portOf(r);
  if (!Number.isInteger(sport) || !Number.isInteger(dport) || sport < 0 || sport > 65535 || dport < 0 || dport > 65535) return null;
  return { family, proto: c.kind === 'udp' ? 'udp' : 'tcp', src, dst, sport, dport };
}

/**
 * The conntrack flows that may link the candidates, from every namespace's table: each
 * candidate's own tuple looked up over ctnetlink (the kernel hashes both directions of a flow, so
 * the client's and the server's tuple both find it), or — where lookups cannot be made (no
 * addon, a captured tree, no ctnetlink, not permitted) — the namespace's whole /proc table,
 * parsed only where an IPv4 line's original tuple is `wanted`.
 */
async function natFlows(ctx: ProbeContext, nss: readonly NetnsRef[], candidates: readonly InetChannel[], wanted: (key: string) => boolean): Promise<ConntrackEntry[]> {
  const native = ctx.native;
  const lookup = native?.conntrackGet && ctx.procRoot === '/proc' && kernelHasModule('nf_conntrack_netlink') ? native.conntrackGet.bind(native) : null;
  const queries: ConntrackQuery[] = [];
  if (lookup) {
    for (const c of candidates) {
      const q = conntrackQuery(c);
      if (q) queries.push(q);
    }
  }
  const perNs = await Promise.all(
    nss.map(async (ns): Promise<ConntrackEntry[]> => {
      if (lookup) {
        try {
          const flows = await lookup(queries, ns.own || ns.pid <= 0 ? undefined : `/proc/${ns.pid}/ns/net`);
          const out: ConntrackEntry[] = [];
          for (let i = 0; i < flows.length; i++) {
            const f = flows[i];
            if (f) out.push({ family: queries[i].family, proto: queries[i].proto, state: null, orig: f.orig, reply: f.reply });
          }
          return out;
        } catch {
          /* lookups refused in this namespace: its text table below */
        }
      }
      const text = await readCapped(ns.pid > 0 ? `${ctx.procRoot}/${ns.pid}/net/nf_conntrack` : `${ctx.procRoot}/net/nf_conntrack`, CONNTRACK_MAX_BYTES);
      const out: ConntrackEntry[] = [];
      if (!text) return out;
      for (const line of text.split('\n')) {
        // most of a busy table is flows of no socket left unpaired here: skip those unparsed
        if (line.startsWith('ipv4')) {
          const k = origKeyV4(line);
          if (k === null || !wanted(k)) continue;
        }
        const e = parseConntrackLine(line);
        if (e) out.push(e);
      }
      return out;
    }),
  );
  return perNs.flat();
}

/** Links what sockets.ts could not: pairs across namespaces, NAT through conntrack, docker-proxy relays. */
export async function linkAcrossNamespaces(ctx: ProbeContext, nss: readonly NetnsRef[]): Promise<void> {
  const tcp = (ctx.out.get('tcp') ?? []) as InetChannel[];
  const udp = (ctx.out.get('udp') ?? []) as InetChannel[];
  // the unpaired connection ends (on a loopback-only host: none, and nothing below costs anything)
  const open: InetChannel[] = [];
  for (const list of [tcp, udp]) for (let i = 0; i < list.length; i++) if (list[i].peer === undefined && connected(list[i])) open.push(list[i]);

  if (open.length > 0) {
    const byTuple = new Map<string, InetChannel[]>();
    for (const c of open) {
      const k = key(c.kind, c.local, c.remote);
      const l = byTuple.get(k);
      if (l) l.push(c);
      else byTuple.set(k, [c]);
    }
    const unpaired = (k: string) => (byTuple.get(k) ?? []).filter((o) => o.peer === undefined);
    // connected UDP inside one namespace (sockets.ts pairs TCP only)
    for (const c of open) {
      if (c.kind !== 'udp' || c.peer !== undefined) continue;
      const same = unpaired(key(c.kind, c.remote, c.local)).filter((o) => o.netns === c.netns && o !== c);
      const back = same.length === 1 ? unpaired(key(c.kind, c.local, c.remote)).filter((o) => o.netns === c.netns) : [];
      if (same.length === 1 && back.length === 1) link(c, same[0], 'tuple');
    }
    // 1. the swapped pair in exactly one other namespace
    for (const c of open) {
      if (c.peer !== undefined || isLoopback(c.local) || isLoopback(c.remote)) continue;
      const there = unpaired(key(c.kind, c.remote, c.local)).filter((o) => o.netns !== c.netns);
      if (there.length !== 1) continue;
      const o = there[0];
      const back = unpaired(key(o.kind, o.remote, o.local)).filter((x) => x.netns !== o.netns);
      if (back.length === 1 && back[0] === c) link(c, o, 'tuple-netns');
    }
    // 2. NAT entries of every namespace, for the TCP ends left whose partner can be behind a
    // local NAT: connected to a loopback address, or to an address some namespace here owns (a
    // socket's local address). A connection to the outside world is never looked up. In a flow
    // whose two ends are both here, at least one end is such a candidate: the server's remote is
    // the client's own address unless a NAT rewrote the source too, and then the client's remote
    // is a published address of this machine.
    let localHosts: Set<string> | null = null;
    const natCandidate = (c: InetChannel): boolean => {
      if (c.kind !== 'tcp' || c.peer !== undefined) return false;
      if (isLoopback(c.remote)) return true;
      if (localHosts === null) {
        localHosts = new Set<string>();
        for (const list of [tcp, udp]) for (let i = 0; i < list.length; i++) localHosts.add(hostOf(normAddrPort(list[i].local)));
      }
      return localHosts.has(hostOf(normAddrPort(c.remote)));
    };
    const candidates = open.filter(natCandidate);
    if (candidates.length > 0) {
      const proposals = new Map<InetChannel, Set<InetChannel>>();
      const propose = (a: InetChannel, b: InetChannel) => {
        const s = proposals.get(a) ?? new Set<InetChannel>();
        s.add(b);
        proposals.set(a, s);
      };
      const text = (x: ConntrackTuple, family: 4 | 6) => (family === 6 ? [`[${x.src}]:${x.sport}`, `[${x.dst}]:${x.dport}`] : [`${x.src}:${x.sport}`, `${x.dst}:${x.dport}`]);
      for (const e of await natFlows(ctx, nss, candidates, (k) => byTuple.has(k))) {
        if (e.proto !== 'tcp' || !isNat(e)) continue;
        const [cl, cr] = text(e.orig, e.family);
        const [sl, sr] = text(e.reply, e.family);
        const client = unpaired(key(e.proto, cl, cr));
        const server = unpaired(key(e.proto, sl, sr));
        if (client.length !== 1 || server.length !== 1 || client[0] === server[0]) continue;
        propose(client[0], server[0]);
        propose(server[0], client[0]);
      }
      for (const [a, set] of proposals) {
        if (set.size !== 1 || a.peer !== undefined) continue;
        const b = [...set][0];
        if (proposals.get(b)?.size === 1 && b.peer === undefined) link(a, b, 'conntrack');
      }
    }
  }

  // 3. docker-proxy relays
  const proxies = new Map<number, NonNullable<ReturnType<typeof dockerProxyArgs>>>();
  for (const p of ctx.processes.values()) {
    if (p.comm !== 'docker-proxy') continue;
    const a = dockerProxyArgs(p.cmdline);
    if (a && a.proto === 'tcp') proxies.set(p.pid, a);
  }
  if (proxies.size === 0) return;
  const held = new Map<number, InetChannel[]>();
  for (const c of tcp) {
    for (const e of c.endpoints) {
      if (!proxies.has(e.pid)) continue;
      const l = held.get(e.pid) ?? [];
      if (!l.includes(c)) l.push(c);
      held.set(e.pid, l);
    }
  }
  for (const [pid, a] of proxies) {
    const socks = held.get(pid) ?? [];
    const target = normAddrPort(a.containerIp.includes(':') ? `[${a.containerIp}]:${a.containerPort}` : `${a.containerIp}:${a.containerPort}`);
    const inbound = socks.filter((c) => connected(c) && portOf(c.local) === a.hostPort);
    const outbound = socks.filter((c) => connected(c) && normAddrPort(c.remote) === target);
    if (inbound.length === 1 && outbound.length === 1 && inbound[0] !== outbound[0]) {
      inbound[0].relay = outbound[0].id;
      outbound[0].relay = inbound[0].id;
    }
  }
}
