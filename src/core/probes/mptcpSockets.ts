// Multipath TCP sockets (IPPROTO_MPTCP; every net.Listen of Go ≥ 1.24 on Linux): one channel of
// kind tcp each (protocol 'mptcp'), from the namespace's mptcp_diag dump, with the TCP
// connections that carry its stream — its subflows — under it. The kernel grafts each subflow onto
// the MPTCP socket's own struct socket, so the TCP table lists every subflow with the MPTCP
// socket's inode (ss -t shows them as TCP sockets with its pid and fd, lsof calls the socket TCP):
// read alone, the TCP table made the first subflow a TCP channel of that id, with the subflow's
// empty queue where the data waits in the MPTCP socket's, and dropped the others as repeats of it.
// A subflow that joined (MP_JOIN) a connection no program has accepted yet has neither inode nor
// the connection's addresses: it is tied to its MPTCP socket by the connection's token, which
// mptcp_diag gives the socket (mptcp_info) and tcp_diag each subflow (INET_DIAG_ULP_INFO, with
// INET_DIAG_INFO only: asked in a dump of its own, and only when such a connection has joins).
// Only from sock_diag: /proc/net has no MPTCP table, so without it the TCP table stands as it is.
import type { InetChannel, TcpSubflow } from '../kinds/inet';
import type { InetDiag } from '../native';
import { errnoName } from '../native';
import { DiagHandler } from '../kernelModules';
import type { PreparedInet } from './sockets';

/** mptcp_diag: whether the kernel has it, and that a kernel without it said so (each for a minute). */
const MPTCP_DIAG = new DiagHandler('mptcp_diag');

/**
 * Whether mptcp_diag can be asked without the kernel loading a module for it (a sock_diag request
 * for IPPROTO_MPTCP makes the kernel request its module when no handler is registered): `ok`;
 * `not-loaded` when it is a module not loaded; `no-handler` for a while after the kernel answered
 * that it has none (built without it).
 */
export function mptcpDiagState(): 'ok' | 'not-loaded' | 'no-handler' {
  return MPTCP_DIAG.state();
}

/**
 * A namespace's MPTCP sockets (both families), null when they cannot be read: no addon, no
 * mptcp_diag (said in a warning: the caller asks only where the namespace counts MPTCP sockets,
 * so they are there, and shown as TCP sockets), or a kernel without its handler (ENOENT: not asked
 * again for a while). Other failures are warned about too; the TCP table then stands alone.
 */
export async function mptcpDump(read: (() => Promise<InetDiag | null>) | null, nsId: string, warnings: string[], state = mptcpDiagState()): Promise<InetDiag | null> {
  if (read === null) return null;
  const amiss = (why: string) =>
    warnings.push(`network namespace ${nsId} has MPTCP sockets, but ${why}: each is listed as a TCP socket by its first subflow, without the MPTCP socket's queues`);
  if (state !== 'ok') {
    amiss(state === 'not-loaded' ? "the kernel's mptcp_diag is not loaded (a request would load it; modprobe mptcp_diag shows them whole)" : 'the kernel answers no MPTCP sock_diag request (no mptcp_diag)');
    return null;
  }
  try {
    return await read();
  } catch (e) {
    const code = errnoName(e);
    if (code === 'ENOENT' || code === 'EOPNOTSUPP' || code === 'EPROTONOSUPPORT') {
      MPTCP_DIAG.missing();
      amiss('the kernel answers no MPTCP sock_diag request (no mptcp_diag)');
    } else amiss(`sock_diag (mptcp) failed (${code ?? 'EIO'})`);
    return null;
  }
}

/** A namespace's MPTCP table, and the inode-less subflows that joined its connections not accepted yet (their 4-tuple → the connection's token). */
export interface MptcpTables {
  table: PreparedInet;
  joined?: ReadonlyMap<string, number>;
}

/**
 * The subflows that joined MPTCP connections no program has accepted yet (tuple → token), read
 * only when the table has such a connection with joins (mptcpi_subflows): the kernel grafts a
 * subflow onto its socket's inode at accept, and gives the TCP dump its token only with each
 * socket's tcp_info. Undefined when there are none, or they cannot be read (warned: each is then
 * a TCP channel of its own).
 */
export async function pendingJoins(
  mptcp: PreparedInet,
  read: (() => Promise<InetDiag | null>) | null,
  prepare: (d: InetDiag) => PreparedInet,
  nsId: string,
  warnings: string[],
): Promise<Map<string, number> | undefined> {
  const joins = mptcp.mptcp?.joins;
  if (read === null || joins === undefined) return undefined;
  let wanted = false;
  for (let i = 0; i < mptcp.ch.length && !wanted; i++) wanted = mptcp.ch[i].inode === 0 && joins[i] > 0 && mptcp.ch[i].state !== 'TIME-WAIT' && mptcp.ch[i].state !== 'LISTEN';
  if (!wanted) return undefined;
  let d: InetDiag | null;
  try {
    d = await read();
  } catch (e) {
    warnings.push(`network namespace ${nsId}: the subflows that joined MPTCP connections not accepted yet could not be read (sock_diag ${errnoName(e) ?? 'EIO'}): each is listed as a TCP socket of its own`);
    return undefined;
  }
  if (d === null) return undefined;
  const sub = prepare(d);
  const token = sub.mptcp?.token;
  if (token === undefined) return undefined;
  const out = new Map<string, number>();
  for (let i = 0; i < sub.ch.length; i++) if (sub.ch[i].inode === 0 && token[i] >= 0) out.set(tupleOf(sub.ch[i]), token[i]);
  return out;
}

/** A subflow row of the TCP table. */
function subflowOf(c: InetChannel): TcpSubflow {
  const f: TcpSubflow = { family: c.family, local: c.local, remote: c.remote, state: c.state, recvQueue: c.recvQueue, sendQueue: c.sendQueue };
  if (c.device !== undefined) f.device = c.device;
  return f;
}

/** The 4-tuple of an end with no inode: an MPTCP connection not accepted yet shares it with its first subflow. */
const tupleOf = (c: InetChannel): string => `${c.local}>${c.remote}`;

/**
 * The TCP table with the MPTCP table's sockets in it, each in place of its subflows: a TCP row of
 * an MPTCP socket's inode is a subflow of it. An MPTCP connection no program has accepted yet has
 * no inode, nor has its subflow: its subflow is the inode-less TCP row of its very addresses
 * (never a closed connection's: TIME-WAIT keeps a 4-tuple the new one may reuse), and the
 * subflows that joined it are the inode-less rows `joined` gives its token (pendingJoins). `tcp`
 * itself is returned when there are no MPTCP sockets (the pairs found during the walk then still apply).
 */
export function withMptcp(tcp: PreparedInet | null, mptcp: PreparedInet | null, joined?: ReadonlyMap<string, number>): PreparedInet | null {
  if (mptcp === null || mptcp.ch.length === 0) return tcp;
  const byInode = new Map<number, InetChannel>();
  const byTuple = new Map<string, InetChannel>();
  const byToken = new Map<number, InetChannel>();
  const token = mptcp.mptcp?.token;
  for (let i = 0; i < mptcp.ch.length; i++) {
    const m = mptcp.ch[i];
    m.subflows = [];
    if (m.inode > 0) byInode.set(m.inode, m);
    else if (m.state !== 'TIME-WAIT') {
      byTuple.set(tupleOf(m), m);
      if (joined !== undefined && token !== undefined && token[i] >= 0) byToken.set(token[i], m);
    }
  }
  const joinedTo = (c: InetChannel): InetChannel | undefined => {
    const t = joined?.get(tupleOf(c));
    return t === undefined ? undefined : byToken.get(t);
  };
  const ch: InetChannel[] = [];
  const key: number[] = [];
  const fam: number[] = [];
  const la: string[] = [];
  const ra: string[] = [];
  const add = (t: PreparedInet, i: number): void => {
    ch.push(t.ch[i]);
    key.push(t.key[i]);
    fam.push(t.addr ? t.addr.family[i] : t.ch[i].family);
    la.push(t.addr ? t.addr.local[i] : '');
    ra.push(t.addr ? t.addr.remote[i] : '');
  };
  const withAddr = tcp === null || tcp.addr !== undefined;
  if (tcp !== null) {
    for (let i = 0; i < tcp.ch.length; i++) {
      const c = tcp.ch[i];
      const m = c.inode > 0 ? byInode.get(c.inode) : c.state !== 'TIME-WAIT' ? (byTuple.get(tupleOf(c)) ?? joinedTo(c)) : undefined;
      if (m !== undefined) m.subflows!.push(subflowOf(c));
      else add(tcp, i);
    }
  }
  for (let i = 0; i < mptcp.ch.length; i++) {
    // the subflow of the socket's own addresses (its initial one, which mptcp_diag reports them from) first
    const m = mptcp.ch[i];
    const f = m.subflows!;
    const own = f.findIndex((x) => x.local === m.local && x.remote === m.remote);
    if (own > 0) f.unshift(...f.splice(own, 1));
    add(mptcp, i);
  }
  const out: PreparedInet = { ch, key: Float64Array.from(key) };
  if (withAddr) out.addr = { family: Uint8Array.from(fam), local: la, remote: ra };
  return out;
}
