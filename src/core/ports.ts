// "What is holding port 3000?": every listener on a port — TCP sockets in LISTEN and bound UDP
// sockets — in every network namespace the snapshot reads, with the processes holding each (pid,
// start time, command line, user, container, namespaces, SIGTERM disposition). Plain data for the
// CLI (`ipc-inspector port`), the Free Port flow (actions/freePort.ts) and, later, the extension,
// which fills `provenance` (the terminal, task or debug session that started the process).
// UDP-Lite sockets (kind udp, protocol udplite) are apart: the kernel keeps their ports in a table
// of their own, so one on port P does not hold UDP's port P (a UDP bind on it succeeds). They are
// listed as information (udpLiteListenersIn), never as a listener Free Port would stop.
import type { Channel, ContainerInfo, InetChannel, ProcessInfo, Snapshot } from './model';
import { takeSnapshot, type SnapshotOptions } from './snapshot';
import { signalNumber } from './signals';
import { cmdlineCut } from './format';
import { takesIpv4Too } from './kinds/inet';
import { droppedByInit, handledElsewhere, namespaceInit } from './signalSets';

export type Protocol = 'tcp' | 'udp';

/** What SIGTERM does to the process, from its signal masks: the first step of stopping it. */
export interface TermDisposition {
  /** `caught`: a handler runs (graceful shutdown, or nothing); `ignored`: SIG_IGN, no effect; `default`: the process terminates. */
  disposition: 'caught' | 'ignored' | 'default';
  /** Blocked: the signal stays pending until the process unblocks it — unless `handledBy` says it reads it itself. */
  blocked: boolean;
  /** Blocked on purpose and read by the process itself: the signal set that says how (`Via signalfd`). */
  handledBy?: string;
  /**
   * Set when `disposition` is `ignored` because the process is the init of a pid namespace (`own`:
   * the snapshot's; `nested`: a container's PID 1) without a handler: the kernel drops SIGTERM.
   */
  init?: 'own' | 'nested';
}

export interface ListenerProcess {
  pid: number;
  /** Binds every action to this exact process (clock ticks since boot). */
  startTime: number;
  ppid: number;
  comm: string;
  /** comm's bytes in hex when they are not UTF-8 (ProcessInfo.commBytes). */
  commBytes?: string;
  cmdline: string[];
  /** Per argument, its bytes in hex where it is not UTF-8 (ProcessInfo.cmdlineBytes). */
  cmdlineBytes?: Array<string | null>;
  /** Present when the scan kept only the command line's first bytes (its bound: the read error `cmdline EFBIG`). */
  cmdlineCut?: true;
  uid: number;
  user: string;
  /** The fds through which it holds the socket. */
  fds: number[];
  container: ContainerInfo | null;
  /** Pid in each nested pid namespace, host first (NSpid). */
  nsPid: number[];
  pidns: string | null;
  netns: string | null;
  sigterm: TermDisposition;
  state: string;
  /** Who started it inside VS Code ("task: npm: dev", "terminal: bash (2)"); filled by the extension, null here. */
  provenance: string | null;
}

export interface PortListener {
  channelId: string;
  protocol: Protocol;
  family: 4 | 6;
  /**
   * Bound address without brackets (`0.0.0.0`, `::`, `127.0.0.1`); an IPv6 link-local one with its
   * scope, `fe80::1%eth0`: a bind to it needs the interface (EINVAL without).
   */
  address: string;
  port: number;
  /** `addr:port` as in the snapshot (IPv6 in brackets). */
  local: string;
  /** LISTEN for TCP; UNCONN for UDP. */
  state: string;
  netns: string;
  inode: number;
  /** Owner of the socket (the uid that created it). */
  uid: number;
  /** The device the socket is bound to (SO_BINDTODEVICE, a link-local scope), in its namespace: `localShown` prints it as ss does. */
  device?: string;
  /** A dual-stack socket bound to `::` (IPV6_V6ONLY off): it takes IPv4 on the port too (ss prints `*:PORT`). */
  ipv4Too?: true;
  /**
   * A Multipath TCP listener (IPPROTO_MPTCP: what Go ≥ 1.24 makes of every net.Listen; ss -lM
   * lists it): its port is TCP's — a TCP bind on it fails the same —, and each connection it
   * accepts may run over several TCP subflows. Absent for plain TCP and UDP.
   */
  mptcp?: true;
  /**
   * A UDP-Lite socket (IPPROTO_UDPLITE; lsof's `UDPLITE`): its port is UDP-Lite's, not UDP's — the
   * kernel keeps a port table for each, and a UDP bind on the port succeeds while it is bound.
   * Only in udpLiteListenersIn's list (information), never in listenersIn's: Free Port does not
   * stop it. Absent otherwise.
   */
  udplite?: true;
  /** Holders; empty when no readable process holds it (another user's, without root). */
  processes: ListenerProcess[];
}

/** An IPv6 link-local address (fe80::/10): it means something only with the interface it is on. */
export function isLinkLocal6(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

/** `addr:port` as people and ss write it: `[fe80::1]%eth0:80` for a scoped IPv6 address, `[::1]:80`, `127.0.0.1:80`. */
export function hostPortShown(family: 4 | 6, address: string, port: number): string {
  if (family !== 6) return `${address}:${port}`;
  const pct = address.indexOf('%');
  return pct < 0 ? `[${address}]:${port}` : `[${address.slice(0, pct)}]${address.slice(pct)}:${port}`;
}

/** `[::1]:80` → {address '::1', port 80}; `0.0.0.0:80` → {…}. */
export function splitHostPort(s: string): { address: string; port: number } | null {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(s) ?? /^([^:[\]]*):(\d+)$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 0 && port <= 65535 ? { address: m[1], port } : null;
}

const SIGTERM = signalNumber('SIGTERM')!;
const hasTerm = (list: readonly string[] | undefined) => !!list && list.some((n) => signalNumber(n) === SIGTERM);

/** SIGTERM's disposition from the snapshot's masks (ignored wins over caught, as in the kernel; a namespace init's unhandled SIGTERM is dropped). */
export function termDisposition(p: Pick<ProcessInfo, 'pid' | 'nsPid' | 'signals'>): TermDisposition {
  const s = p.signals;
  const via = hasTerm(s?.ignored) ? undefined : handledElsewhere(s, 'SIGTERM');
  const init = droppedByInit(p, SIGTERM) ? namespaceInit(p) : null;
  return {
    disposition: hasTerm(s?.ignored) || init ? 'ignored' : hasTerm(s?.caught) || via ? 'caught' : 'default',
    blocked: hasTerm(s?.blocked),
    ...(via ? { handledBy: via.title } : {}),
    ...(init ? { init } : {}),
  };
}

function listenerProcess(p: ProcessInfo, fds: number[]): ListenerProcess {
  return {
    pid: p.pid,
    startTime: p.startTime,
    ppid: p.ppid,
    comm: p.comm,
    ...(p.commBytes !== undefined ? { commBytes: p.commBytes } : {}),
    cmdline: p.cmdline,
    ...(p.cmdlineBytes !== undefined ? { cmdlineBytes: p.cmdlineBytes } : {}),
    ...(cmdlineCut(p) ? { cmdlineCut: true as const } : {}),
    uid: p.uid,
    user: p.user,
    fds,
    container: p.container ?? null,
    nsPid: p.nsPid ?? [],
    pidns: p.pidns ?? null,
    netns: p.netns ?? null,
    sigterm: termDisposition(p),
    state: p.state,
    provenance: null,
  };
}

/**
 * Does this socket serve its port: TCP in LISTEN, or UDP not connected to one peer (UNCONN, as
 * `ss -l` lists them). A connected UDP socket is one flow — typically a client whose ephemeral
 * port happens to equal the one asked about — and is one of othersOn(), not a listener.
 */
function serves(c: InetChannel): boolean {
  return c.kind === 'tcp' ? c.state === 'LISTEN' : c.state !== 'ESTAB';
}

/**
 * A socket on TCP's or UDP's port table, the ports `port` and Free Port speak of. Not a UDP-Lite
 * socket (kind udp): its port is in UDP-Lite's own table, which neither a TCP nor a UDP bind meets.
 */
const onPortTable = (c: Channel): c is InetChannel => (c.kind === 'tcp' || c.kind === 'udp') && c.protocol !== 'udplite';

/** Is this socket a listener on `port` (see serves)? */
function isListenerOn(c: InetChannel, port: number, protocol?: Protocol): boolean {
  if (protocol && c.kind !== protocol) return false;
  return serves(c) && splitHostPort(c.local)?.port === port;
}

/**
 * Is this channel a listener on some port (TCP LISTEN, or an unconnected bound UDP socket)? Its
 * port, else undefined. Not a UDP-Lite socket: Free Port (what this offers) would not free it.
 */
export function listenerPort(c: Channel): number | undefined {
  if (!onPortTable(c) || !serves(c)) return undefined;
  const port = splitHostPort(c.local)?.port;
  return port ? port : undefined;
}

export const isListener = (c: Channel): boolean => listenerPort(c) !== undefined;

/** A listening socket as `port` lists it, with its holders (the snapshot's processes by pid). */
function portListener(c: InetChannel, procs: ReadonlyMap<number, ProcessInfo>): PortListener {
  const hp = splitHostPort(c.local)!;
  const byPid = new Map<number, number[]>();
  for (const e of c.endpoints) if (e.fd !== undefined) byPid.set(e.pid, [...(byPid.get(e.pid) ?? []), e.fd]);
  const processes: ListenerProcess[] = [];
  for (const [pid, fds] of byPid) {
    const p = procs.get(pid);
    if (p) processes.push(listenerProcess(p, fds));
  }
  const address = c.device && c.family === 6 && isLinkLocal6(hp.address) ? `${hp.address}%${c.device}` : hp.address;
  const protocol = c.protocol === 'mptcp' ? { mptcp: true as const } : c.protocol === 'udplite' ? { udplite: true as const } : {};
  return { channelId: c.id, protocol: c.kind, family: c.family, address, port: hp.port, local: c.local, state: c.state, netns: c.netns, inode: c.inode, uid: c.uid, ...(c.device ? { device: c.device } : {}), ...(takesIpv4Too(c) ? { ipv4Too: true as const } : {}), ...protocol, processes };
}

/** The listeners on `port` in a snapshot (taken with kinds tcp/udp), in snapshot order; no UDP-Lite socket (udpLiteListenersIn). */
export function listenersIn(snap: Snapshot, port: number, protocol?: Protocol): PortListener[] {
  const procs = new Map(snap.processes.map((p) => [p.pid, p]));
  return snap.channels.filter((c): c is InetChannel => onPortTable(c) && isListenerOn(c, port, protocol)).map((c) => portListener(c, procs));
}

/**
 * The unconnected UDP-Lite sockets on `port` (as listenersIn's UDP ones, `udplite: true`), for
 * `port` to show what lsof -i :PORT shows: information only, since UDP's port of that number is
 * another port. None when only TCP is asked about.
 */
export function udpLiteListenersIn(snap: Snapshot, port: number, protocol?: Protocol): PortListener[] {
  if (protocol === 'tcp') return [];
  const procs = new Map(snap.processes.map((p) => [p.pid, p]));
  return snap.channels
    .filter((c): c is InetChannel => c.kind === 'udp' && !onPortTable(c) && isListenerOn(c, port))
    .map((c) => portListener(c, procs));
}

/** A listener's protocol as the CLI and the Free Port questions write it: `tcp`, `tcp6`, `udp`, `tcp (MPTCP)`, `tcp6 (MPTCP)`, `udp (UDP-Lite)`. */
export function listenerProtocolText(l: Pick<PortListener, 'protocol' | 'family' | 'mptcp' | 'udplite'>): string {
  return `${l.protocol}${l.family === 6 ? '6' : ''}${l.mptcp ? ' (MPTCP)' : l.udplite ? ' (UDP-Lite)' : ''}`;
}

/**
 * Every other socket still bound to `port` (accepted connections, TCP sockets not listening): why a
 * bind can still fail after the listeners are gone. Not a UDP-Lite socket: it fails no TCP or UDP bind.
 */
export function othersOn(snap: Snapshot, port: number, protocol?: Protocol): InetChannel[] {
  return snap.channels.filter(
    (c): c is InetChannel =>
      onPortTable(c) && (!protocol || c.kind === protocol) && !isListenerOn(c, port) && c.state !== 'TIME-WAIT' && splitHostPort(c.local)?.port === port,
  );
}

export interface FindListenersOptions {
  protocol?: Protocol;
  /** Passed to takeSnapshot (kinds are set here). */
  snapshot?: Omit<SnapshotOptions, 'kinds' | 'pids'>;
  /** Takes the snapshot instead of takeSnapshot on this thread (the extension: a worker). */
  scan?: (opts: SnapshotOptions) => Promise<Snapshot>;
}

/** Takes a TCP/UDP snapshot of the machine (every network namespace) and returns the listeners on `port`, and apart the UDP-Lite sockets on it. */
export async function findListeners(port: number, opts: FindListenersOptions = {}): Promise<{ snapshot: Snapshot; listeners: PortListener[]; udpLite: PortListener[] }> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`port must be 1..65535, got ${port}`);
  const snapshot = await (opts.scan ?? takeSnapshot)({ ...opts.snapshot, kinds: opts.protocol ? [opts.protocol] : ['tcp', 'udp'] });
  return { snapshot, listeners: listenersIn(snapshot, port, opts.protocol), udpLite: udpLiteListenersIn(snapshot, port, opts.protocol) };
}
