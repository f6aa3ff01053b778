// Parsers for /proc/net/unix, /proc/net/{tcp,tcp6,udp,udp6,raw,raw6}, /proc/net/packet and /proc/net/netlink (per network namespace:
// /proc/PID/net/*). Output uses the native addon's column shapes (UnixDiag / InetDiag) so the
// snapshot has one join for both paths.
import type { InetDiag, NetlinkDiag, PacketDiag, UnixDiag } from '../native';

const HEX_ROW = /^[0-9a-fA-F]+:/;
const HEX_FIELD = /^[0-9a-fA-F]+$/;

/**
 * /proc/net/unix: `Num RefCount Protocol Flags Type St Inode Path`. Abstract names start with
 * `@` (the kernel prints NULs as `@`). A path containing a newline continues on the next line:
 * a line that does not start with `HEX:` is appended to the previous row's name.
 * The state is mapped to the sock_diag numbers: LISTEN 10 (flag __SO_ACCEPTCON), ESTABLISHED 1
 * (SS_CONNECTED), SYN_SENT 2 (SS_CONNECTING), CLOSE 7 (unconnected), 4 disconnecting → FIN_WAIT1.
 */
export function parseProcNetUnix(text: string): UnixDiag {
  const inode: number[] = [];
  const type: number[] = [];
  const state: number[] = [];
  const nameKind: number[] = [];
  const name: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (i === 0 && line.startsWith('Num')) continue;
    if (!HEX_ROW.test(line)) {
      // continuation of a path with a newline in it
      if (name.length > 0 && nameKind[nameKind.length - 1] !== 0 && i < lines.length - 1) name[name.length - 1] += '\n' + line;
      continue;
    }
    const f = line.trim().split(/\s+/);
    if (f.length < 7) continue;
    if (!HEX_FIELD.test(f[3]) || !HEX_FIELD.test(f[4]) || !HEX_FIELD.test(f[5])) continue;
    const flags = parseInt(f[3], 16);
    const t = parseInt(f[4], 16);
    const st = parseInt(f[5], 16);
    const ino = Number(f[6]);
    if (!Number.isFinite(flags) || !Number.isFinite(t) || !Number.isFinite(st) || !Number.isInteger(ino)) continue;
    // path: everything after the inode column (may contain spaces)
    let p = '';
    const m = /^\s*\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+ ?(.*)$/.exec(line);
    if (m) p = m[1];
    inode.push(ino);
    type.push(t);
    state.push(flags & 0x10000 ? 10 : st === 3 ? 1 : st === 2 ? 2 : st === 4 ? 4 : 7);
    if (p.startsWith('@')) {
      nameKind.push(2);
      name.push(p.slice(1));
    } else if (p.length > 0) {
      nameKind.push(1);
      name.push(p);
    } else {
      nameKind.push(0);
      name.push('');
    }
  }
  const n = inode.length;
  return {
    inode: Float64Array.from(inode),
    type: Uint8Array.from(type),
    state: Uint8Array.from(state),
    peer: new Float64Array(n),
    rqueue: new Float64Array(n).fill(-1),
    wqueue: new Float64Array(n).fill(-1),
    nameKind: Uint8Array.from(nameKind),
    name,
  };
}

/** `0100007F` (host-order u32 of a network-order address, little-endian host) → `127.0.0.1`. */
export function hexToIPv4(hex: string): string {
  const v = parseInt(hex, 16) >>> 0;
  return `${v & 255}.${(v >>> 8) & 255}.${(v >>> 16) & 255}.${v >>> 24}`;
}

/** 32 hex digits as four host-order u32 words → canonical IPv6 text (RFC 5952, v4-mapped as ::ffff:a.b.c.d). */
export function hexToIPv6(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const v = parseInt(hex.slice(w * 8, w * 8 + 8), 16) >>> 0;
    bytes.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24);
  }
  return formatIPv6(bytes);
}

export function formatIPv6(bytes: number[]): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i] << 8) | bytes[i + 1]);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  // longest run of zero groups (length ≥ 2)
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hx = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hx(g);
  return hx(g.slice(0, bestStart)) + '::' + hx(g.slice(bestStart + bestLen));
}

/** The kernel's TCP_LISTEN, as the st column writes it (0A). */
export const TCP_LISTEN = 10;

/**
 * /proc/net/tcp|tcp6|udp|udp6: `sl local rem st tx:rx tr tm retrnsmt uid timeout inode …`.
 * Addresses are hex; family is taken from the address width (8 or 32 digits).
 */
export function parseProcNetInet(text: string): InetDiag {
  const family: number[] = [];
  const state: number[] = [];
  const localAddr: string[] = [];
  const localPort: number[] = [];
  const remoteAddr: string[] = [];
  const remotePort: number[] = [];
  const rq: number[] = [];
  const wq: number[] = [];
  const inode: number[] = [];
  const uid: number[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+:$/.test(f[0])) continue;
    const l = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(f[1]);
    const r = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(f[2]);
    const q = /^([0-9A-Fa-f]+):([0-9A-Fa-f]+)$/.exec(f[4]);
    if (!l || !r || !q || l[1].length !== r[1].length) continue;
    const st = parseInt(f[3], 16);
    const ino = Number(f[9]);
    const u = Number(f[7]);
    if (!Number.isFinite(st) || !Number.isInteger(ino)) continue;
    const v6 = l[1].length === 32;
    family.push(v6 ? 6 : 4);
    state.push(st);
    localAddr.push(v6 ? hexToIPv6(l[1]) : hexToIPv4(l[1]));
    localPort.push(parseInt(l[2], 16));
    remoteAddr.push(v6 ? hexToIPv6(r[1]) : hexToIPv4(r[1]));
    remotePort.push(parseInt(r[2], 16));
    // a listener's tx_queue is 0 here, not its backlog (sock_diag's wqueue): unknown
    wq.push(st === TCP_LISTEN ? -1 : parseInt(q[1], 16));
    rq.push(parseInt(q[2], 16));
    inode.push(ino);
    uid.push(Number.isFinite(u) ? u : 0);
  }
  return {
    family: Uint8Array.from(family),
    state: Uint8Array.from(state),
    localAddr,
    localPort: Uint16Array.from(localPort),
    remoteAddr,
    remotePort: Uint16Array.from(remotePort),
    rqueue: Float64Array.from(rq),
    wqueue: Float64Array.from(wq),
    inode: Float64Array.from(inode),
    uid: Float64Array.from(uid),
  };
}

/**
 * /proc/net/packet: `sk RefCnt Type Proto Iface R Rmem User Inode` (net/packet/af_packet.c
 * packet_seq_show: Proto is the ethertype in hex, host order; Iface the bound interface's index,
 * 0 for every one). It says nothing of send memory (wqueue -1) or rings; interface names are
 * another table's (left to the caller: '' here).
 */
export function parseProcNetPacket(text: string): PacketDiag {
  const type: number[] = [];
  const protocol: number[] = [];
  const ifindex: number[] = [];
  const rq: number[] = [];
  const inode: number[] = [];
  const uid: number[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9 || !HEX_FIELD.test(f[0]) || !HEX_FIELD.test(f[3])) continue;
    const nums = [f[2], f[4], f[6], f[7], f[8]].map(Number);
    if (!nums.every((n) => Number.isInteger(n) && n >= 0)) continue;
    type.push(nums[0]);
    protocol.push(parseInt(f[3], 16));
    ifindex.push(nums[1]);
    rq.push(nums[2]);
    uid.push(nums[3]);
    inode.push(nums[4]);
  }
  return {
    type: Uint8Array.from(type),
    protocol: Float64Array.from(protocol),
    ifindex: Float64Array.from(ifindex),
    iface: ifindex.map(() => ''),
    ring: new Uint8Array(type.length),
    rqueue: Float64Array.from(rq),
    wqueue: new Float64Array(type.length).fill(-1),
    inode: Float64Array.from(inode),
    uid: Float64Array.from(uid),
  };
}

const DECIMAL_FIELD = /^\d{1,10}$/;
const U32 = 0xffffffff;

/**
 * /proc/net/netlink: `sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode` (net/netlink/af_netlink.c
 * netlink_seq_show: Eth is the protocol, Pid the port id printed unsigned, Groups the first 32
 * groups' bitmap in hex, Dump 1 while a dump runs). Only bound sockets are in it (the kernel's
 * hash of port ids), as in ss's own fallback; a line that is not ten fields of these shapes is
 * skipped, not guessed at.
 */
export function parseProcNetNetlink(text: string): NetlinkDiag {
  const protocol: number[] = [];
  const portid: number[] = [];
  const groups: number[][] = [];
  const rq: number[] = [];
  const wq: number[] = [];
  const drops: number[] = [];
  const dump: number[] = [];
  const inode: number[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 10 || !HEX_FIELD.test(f[0]) || !/^[0-9a-fA-F]{1,8}$/.test(f[3])) continue;
    const nums = [f[1], f[2], f[6], f[8], f[9]];
    // (memory is printed signed: a negative count, which the kernel never means, reads as 0)
    if (!nums.every((t) => DECIMAL_FIELD.test(t)) || !/^-?\d{1,10}$/.test(f[4]) || !/^-?\d{1,10}$/.test(f[5])) continue;
    const [proto, pid, d, dr, ino] = nums.map(Number);
    const r = Math.max(0, Number(f[4]));
    const w = Math.max(0, Number(f[5]));
    if (proto > 255 || pid > U32 || ino === 0 || ino > U32) continue;
    protocol.push(proto);
    portid.push(pid);
    const g = parseInt(f[3], 16);
    groups.push(g ? [g] : []);
    rq.push(r);
    wq.push(w);
    dump.push(d ? 1 : 0);
    drops.push(dr);
    inode.push(ino);
  }
  return {
    protocol: Float64Array.from(protocol),
    portid: Float64Array.from(portid),
    groups,
    rqueue: Float64Array.from(rq),
    wqueue: Float64Array.from(wq),
    drops: Float64Array.from(drops),
    dump: Uint8Array.from(dump),
    inode: Float64Array.from(inode),
  };
}

const TCP_STATES = [
  '',
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'UNCONN',
  'CLOSE-WAIT',
  'LAST-ACK',
  'LISTEN',
  'CLOSING',
  'SYN-RECV',
];

/** Kernel TCP state number → the name ss prints (7 CLOSE → UNCONN, as ss shows unbound/unconnected sockets). */
export function inetStateName(n: number): string {
  return n > 0 && n < TCP_STATES.length ? TCP_STATES[n] : `UNKNOWN-${n}`;
}

/** Unix socket state (sock_diag numbering) → model text. */
export function unixStateName(n: number): string {
  switch (n) {
    case 10:
      return 'listen';
    case 1:
      return 'connected';
    case 2:
      return 'connecting';
    case 4:
    case 8:
    case 9:
      return 'disconnecting';
    case 7:
      return 'unconnected';
    default:
      return `unknown-${n}`;
  }
}

/** `addr:port`, IPv6 in brackets. */
export function hostPort(family: number, addr: string, port: number): string {
  return family === 6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/**
 * A remote (peer) address as `ss -n` prints it: port 0 (not connected: listeners, unconnected
 * UDP) as `*`, so `0.0.0.0:*`; the IPv6 wildcard as `*` (`*:*`) unless the socket is IPv6-only,
 * then `[::]:*` — as ss does with sock_diag's INET_DIAG_SKV6ONLY (`v6only`: IPV6_V6ONLY, which the
 * kernel also sets when a socket binds a specific IPv6 address such as ::1). Unknown (`undefined`,
 * /proc/net/tcp6 does not say): `*:*`. Connected ends: hostPort().
 */
export function remoteHostPort(family: number, addr: string, port: number, v6only?: boolean): string {
  if (port !== 0) return hostPort(family, addr, port);
  if (family !== 6) return addr + ':*';
  return addr === '::' && v6only !== true ? '*:*' : `[${addr}]:*`;
}
