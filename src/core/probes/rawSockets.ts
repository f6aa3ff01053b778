// Raw IP and packet sockets of one network namespace (the socket probe, sockets.ts, calls these
// per namespace beside its Unix, TCP and UDP tables): through sock_diag as ss does — raw_diag
// (inet_diag with IPPROTO_RAW) and packet_diag —, else /proc/PID/net/{raw,raw6,packet}, which
// give the same sockets with fewer facts (no bound device, no send memory for packet sockets, no
// rings). A kernel built without raw_diag or packet_diag (CONFIG_INET_RAW_DIAG is often off)
// answers the dump with ENOENT: the /proc file is then the source, without a warning, since it
// is as complete as ss's own fallback. Endpoints come from the fd index by inode, as for TCP.
import type { Endpoint, PacketChannel, PacketRing, RawChannel } from '../model';
import { errnoName, type InetDiag, type NativeError, type PacketDiag } from '../native';
import { parseProcNetInet, parseProcNetPacket } from '../parsers/net';
import { DiagHandler } from '../kernelModules';

/** How the socket probe reads one namespace: a sock_diag call inside it (null when every process it was entered by is gone), or its /proc/net file (null when unreadable). */
export interface NsReads {
  readonly id: string;
  diag<T>(read: (nsPath: string | undefined) => Promise<T>): Promise<T | null>;
  file(name: string): string | null;
  /** May the addon be used (a live /proc, an addon loaded)? */
  readonly native: boolean;
}

const NO_ENDPOINTS: Endpoint[] = [];

/**
 * raw_diag and packet_diag are modules on most distribution kernels (Debian's), loaded by the
 * kernel on the first request that needs them: they are asked only where the kernel has them
 * already, as netlink_diag is (a tool that only looks must not load modules), and the /proc file
 * read otherwise. A kernel without the handler keeps lacking it (a module loaded later is the
 * exception): the dump is not tried again for a minute after it answered so, in any namespace, and
 * the /proc file read straight away — one netlink round trip less per namespace and refresh.
 */
const DIAG = { raw: new DiagHandler('raw_diag'), packet: new DiagHandler('packet_diag') };

/** The kernel has no diag handler for it (a DONE carrying -ENOENT: raw_diag or packet_diag not built or not loaded). */
function noHandler(e: unknown): boolean {
  return errnoName(e) === 'ENOENT' && (e as NativeError).syscall === 'sock_diag';
}

/** What a failed dump leaves to say: nothing when the kernel simply has no handler for it. */
function failed(warnings: string[], what: 'raw' | 'packet', ns: string, file: string, e: unknown): void {
  if (noHandler(e)) DIAG[what].missing();
  else warnings.push(`sock_diag (${what}) in network namespace ${ns} failed (${errnoName(e) ?? 'EIO'}): read its /proc/net/${file} instead`);
}

const small = (n: number): number => (n <= 0x7fffffff ? n | 0 : n);

/** raw_diag or /proc/net/raw{,6} rows → channels without endpoints. The local port of a raw socket is its IP protocol (inet_num). */
export function prepareRaw(d: InetDiag, nsId: string): RawChannel[] {
  const out: RawChannel[] = [];
  for (let i = 0; i < d.inode.length; i++) {
    const inode = small(d.inode[i]);
    const fam = d.family[i] === 6 ? 6 : 4;
    const connected = d.state[i] === 1;
    const ch: RawChannel = {
      id: `raw:${inode}`,
      kind: 'raw',
      endpoints: NO_ENDPOINTS,
      family: fam,
      protocol: d.localPort[i],
      local: d.localAddr[i],
      remote: connected ? d.remoteAddr[i] : '*',
      state: connected ? 'ESTAB' : 'UNCONN',
      recvQueue: d.rqueue[i],
      sendQueue: Math.max(0, d.wqueue[i]),
      inode,
      netns: nsId,
      uid: d.uid[i],
    };
    const dev = d.iface?.[i];
    if (dev) ch.device = dev;
    out.push(ch);
  }
  return out;
}

const TPACKET_VERSIONS = ['TPACKET_V1', 'TPACKET_V2', 'TPACKET_V3'] as const;

/** Row i's receive or transmit ring, when packet_diag described one (a block count of 0: none). */
function ringOf(d: PacketDiag, i: number, which: 'rx' | 'tx'): PacketRing | null {
  const blocks = d[`${which}Blocks`]?.[i] ?? 0;
  const version = TPACKET_VERSIONS[d.version?.[i] ?? -1];
  if (!(blocks > 0) || version === undefined) return null;
  return { version, blockSize: d[`${which}BlockSize`]![i], blocks, frameSize: d[`${which}FrameSize`]![i], frames: d[`${which}Frames`]![i] };
}

/** packet_diag or /proc/net/packet rows → channels without endpoints. */
export function preparePacket(d: PacketDiag, nsId: string): PacketChannel[] {
  const out: PacketChannel[] = [];
  for (let i = 0; i < d.inode.length; i++) {
    const inode = small(d.inode[i]);
    const ch: PacketChannel = {
      id: `packet:${inode}`,
      kind: 'packet',
      endpoints: NO_ENDPOINTS,
      type: d.type[i] === 2 ? 'dgram' : 'raw',
      protocol: d.protocol[i],
      ifindex: d.ifindex[i],
      recvQueue: Math.max(0, d.rqueue[i]),
      sendQueue: d.wqueue[i] < 0 ? null : d.wqueue[i],
      inode,
      netns: nsId,
      uid: d.uid[i],
    };
    if (d.iface[i]) ch.device = d.iface[i];
    if (d.wqueue[i] >= 0) ch.ring = d.ring[i] === 1; // (sock_diag said; /proc/net/packet does not)
    if (d.rcvbuf && d.rcvbuf[i] >= 0) ch.rcvbuf = d.rcvbuf[i];
    if (d.drops && d.drops[i] >= 0) ch.drops = d.drops[i];
    const rx = ringOf(d, i, 'rx');
    if (rx) ch.rxRing = rx;
    const tx = ringOf(d, i, 'tx');
    if (tx) ch.txRing = tx;
    out.push(ch);
  }
  return out;
}

/** A namespace's raw IP sockets, both families. */
export async function rawTable(ns: NsReads, inetDiag: ((nsPath: string | undefined) => Promise<InetDiag>) | null, warnings: string[]): Promise<RawChannel[] | null> {
  if (ns.native && inetDiag && DIAG.raw.state() === 'ok') {
    try {
      const d = await ns.diag(inetDiag);
      return d === null ? null : prepareRaw(d, ns.id);
    } catch (e) {
      failed(warnings, 'raw', ns.id, 'raw and raw6', e);
    }
  }
  const t4 = ns.file('raw');
  const t6 = ns.file('raw6');
  if (t4 === null && t6 === null) return null;
  return [...(t4 === null ? [] : prepareRaw(parseProcNetInet(t4), ns.id)), ...(t6 === null ? [] : prepareRaw(parseProcNetInet(t6), ns.id))];
}

/** A namespace's packet sockets. */
export async function packetTable(ns: NsReads, packetDiag: ((nsPath: string | undefined) => Promise<PacketDiag>) | null, warnings: string[]): Promise<PacketChannel[] | null> {
  if (ns.native && packetDiag && DIAG.packet.state() === 'ok') {
    try {
      const d = await ns.diag(packetDiag);
      return d === null ? null : preparePacket(d, ns.id);
    } catch (e) {
      failed(warnings, 'packet', ns.id, 'packet', e);
    }
  }
  const t = ns.file('packet');
  return t === null ? null : preparePacket(parseProcNetPacket(t), ns.id);
}
