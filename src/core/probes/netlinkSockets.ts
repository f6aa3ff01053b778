// Netlink sockets of one network namespace (the socket probe, sockets.ts, reads them per namespace
// beside its other tables): /proc/PID/net/netlink of a process inside it, which needs no kernel
// module and lists every bound socket with its protocol, port id, first 32 groups, memory, drops
// and dump state; or netlink_diag (NETLINK_SOCK_DIAG, as ss asks), which also says where a socket
// is connect()ed and every group — asked only where the kernel has it already (built in, loaded,
// or no modules at all): on a kernel where it is a module not loaded, the request would make the
// kernel load it, and a tool that only looks must not change what is loaded (the conntrack lookups
// hold back for the same reason, kernelModules.ts). Port ids pair connect()ed sockets: a socket
// connected to a port id that another socket of its namespace and protocol has is that one's peer;
// every other netlink socket talks to the kernel, whose own socket (port id 0) is no channel.
import type { Endpoint, NetlinkChannel } from '../model';
import { errnoName, type NativeError, type NetlinkDiag } from '../native';
import { parseProcNetNetlink } from '../parsers/net';
import { DiagHandler } from '../kernelModules';
import type { NsReads } from './rawSockets';

const NO_ENDPOINTS: Endpoint[] = [];

const small = (n: number): number => (n <= 0x7fffffff ? n | 0 : n);

/** Group numbers (1-based) of a bitmap of 32-bit words; at most `max` of them. */
export function groupNumbers(words: readonly number[], max = 1024): number[] {
  const out: number[] = [];
  for (let w = 0; w < words.length && out.length < max; w++) {
    const v = words[w] >>> 0;
    if (v === 0) continue;
    for (let b = 0; b < 32 && out.length < max; b++) if ((v >>> b) & 1) out.push(w * 32 + b + 1);
  }
  return out;
}

/**
 * /proc/net/netlink or netlink_diag rows → channels without endpoints, one per inode (netlink_diag
 * lists a socket that is both bound and in a group twice, as ss then prints it), each connect()ed
 * one's `peer` set when a socket of its namespace and protocol has the port id it is connected to.
 * The kernel's own sockets (port id 0) stay in: only a fill that finds no holder of one drops it.
 */
export function prepareNetlink(d: NetlinkDiag, nsId: string): NetlinkChannel[] {
  const out: NetlinkChannel[] = [];
  const seen = new Set<number>();
  /** `protocol:portid` → the channel that has it (user sockets only: port id 0 is the kernel's). */
  const byPort = new Map<string, NetlinkChannel>();
  const fromDiag = d.connected !== undefined;
  for (let i = 0; i < d.inode.length; i++) {
    const inode = small(d.inode[i]);
    if (seen.has(inode)) continue;
    seen.add(inode);
    const ch: NetlinkChannel = {
      id: `netlink:${inode}`,
      kind: 'netlink',
      endpoints: NO_ENDPOINTS,
      protocol: d.protocol[i],
      portid: d.portid[i],
      groups: groupNumbers(d.groups[i] ?? []),
      recvQueue: d.rqueue[i],
      sendQueue: d.wqueue[i],
      drops: d.drops[i],
      dumping: d.dump[i] === 1,
      inode,
      netns: nsId,
      uid: null,
    };
    if (!fromDiag) ch.groupsUpTo = 32;
    if (d.rcvbuf && d.rcvbuf[i] >= 0) ch.rcvbuf = d.rcvbuf[i];
    if (d.type) ch.type = d.type[i] === 2 ? 'dgram' : 'raw';
    if (d.connected?.[i] === 1) {
      ch.dstPortid = d.dstPortid![i];
      ch.dstGroup = d.dstGroup![i];
    }
    if (ch.portid !== 0) byPort.set(`${ch.protocol}:${ch.portid}`, ch);
    out.push(ch);
  }
  for (const ch of out) {
    if (!ch.dstPortid) continue;
    const other = byPort.get(`${ch.protocol}:${ch.dstPortid}`);
    if (other && other !== ch) ch.peer = other.id;
  }
  return out;
}

/**
 * netlink_diag: whether the kernel has it (read from /sys and /proc/modules once a minute, not per
 * namespace and refresh), and that a kernel without it answered ENOENT (not asked again meanwhile:
 * the /proc file read at once, as rawSockets.ts does).
 */
const NETLINK_DIAG = new DiagHandler('netlink_diag');

/**
 * Whether netlink_diag can be asked without the kernel loading a module for it (the sock_diag
 * request for AF_NETLINK makes the kernel request `net-pf-16-proto-4-type-16` when no handler is
 * registered).
 */
export function netlinkDiagPresent(): boolean {
  return NETLINK_DIAG.state() === 'ok';
}

/** A namespace's netlink sockets; null when neither source could be read. */
export async function netlinkTable(ns: NsReads, netlinkDiag: ((nsPath: string | undefined) => Promise<NetlinkDiag>) | null, warnings: string[]): Promise<NetlinkChannel[] | null> {
  if (ns.native && netlinkDiag && netlinkDiagPresent()) {
    try {
      const d = await ns.diag(netlinkDiag);
      return d === null ? null : prepareNetlink(d, ns.id);
    } catch (e) {
      // (a kernel without netlink_diag, no modules to load it from: its DONE carries ENOENT)
      if (errnoName(e) === 'ENOENT' && (e as NativeError).syscall === 'sock_diag') NETLINK_DIAG.missing();
      else warnings.push(`sock_diag (netlink) in network namespace ${ns.id} failed (${errnoName(e) ?? 'EIO'}): read its /proc/net/netlink instead (no connected port ids there)`);
    }
  }
  const t = ns.file('netlink');
  return t === null ? null : prepareNetlink(parseProcNetNetlink(t), ns.id);
}
