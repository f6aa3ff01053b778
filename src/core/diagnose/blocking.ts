// Who waits on whom: from the threads the evidence step read, the channel each sleeping thread
// is blocked on (its syscall's fd, semid or msqid), whether that channel really blocks it (a
// write to a full pipe, a read from an empty one), and which processes could end the wait (the
// readers of a full pipe, the writers of an empty one, the peer of a socket — or, for a
// connection no program has accepted yet, the holders of the listener whose accept queue holds
// its other end; for SysV objects the last processes that touched them, presumed). Shared by the
// blocked-writer and wait-cycle rules; pure over the snapshot and the evidence.
import { describe } from '../kinds';
import type { Channel, InetChannel, UnixChannel } from '../model';
import type { Evidence, ProcessFacts, ThreadFacts } from './evidence';
import type { SnapshotIndex } from './snapshotIndex';
import type { WaitOp } from './syscalls';

/** A pipe/FIFO is full when less than one page is free (pipe buffers are pages). */
export const PAGE = 4096;
/**
 * Could a writer block on this channel right now? (Evidence confirms that one does.) The kind's
 * own answer (core/kinds `full`), and for pipes and FIFOs also within a page of capacity: a write
 * larger than the room left blocks too (pipe writes up to PIPE_BUF are atomic).
 */
export function isFull(ch: Channel): boolean {
  if ((ch.kind === 'pipe' || ch.kind === 'fifo') && ch.bufferedBytes !== null && ch.capacity !== null && ch.capacity > 0 && ch.bufferedBytes > 0) {
    return ch.bufferedBytes >= ch.capacity - PAGE;
  }
  return describe(ch).full(ch);
}

/** The kernel function a Unix datagram sender sleeps in while its receiver's queue is full (net.unix.max_dgram_qlen datagrams, 10 by default). */
export const DGRAM_PEER_FULL_WCHAN = 'unix_wait_for_peer';

/** Would a reader block on this channel right now? (core/kinds `empty`) */
export function isEmpty(ch: Channel): boolean {
  return describe(ch).empty(ch);
}

export interface BlockedThread {
  pid: number;
  tid: number;
  op: WaitOp;
  /** The channel the thread is blocked on. */
  channel: Channel;
  thread: ThreadFacts;
  /** Processes that could end the wait; `presumed` when only guessed from SysV last-pid facts. */
  unblockers: number[];
  presumed: boolean;
  /** The other side is unknown (a socket whose peer was not seen, a datagram socket anyone may send to). */
  unknown: boolean;
  /** The listener whose accept queue holds the socket's other end (no program has accepted the connection): `unblockers` are its holders. */
  listener?: UnixChannel | InetChannel;
}

const WRITE_OPS = new Set<WaitOp>(['write', 'msgsnd']);
const READ_OPS = new Set<WaitOp>(['read', 'msgrcv']);

function sleeping(t: ThreadFacts): boolean {
  return t.state === 'S' || t.state === 'D';
}

/** The process lives, as far as the snapshot and the evidence say (a pid they never read counts as alive). */
export function alive(index: SnapshotIndex, ev: Evidence, pid: number): boolean {
  if (pid <= 0) return false;
  if (index.proc(pid)) return true;
  return ev.liveness.get(pid)?.alive ?? ev.processes.get(pid)?.error !== 'ESRCH';
}

/**
 * The other side of a socket channel: the holders of its peer; for a connection not accepted yet
 * (a Unix client's other end in a listener's queue has no inode, so the client names the
 * listener; a TCP server end nobody holds names it), the holders of that listener, since only an
 * accept() lets anyone read it. Null when the other side is not in the snapshot.
 */
export function otherSide(index: SnapshotIndex, ch: Channel): { pids: number[]; listener?: UnixChannel | InetChannel } | null {
  if (ch.kind !== 'unix' && ch.kind !== 'tcp') return null;
  const viaListener = (id: string) => {
    const l = index.channel(id);
    return l?.kind === 'unix' || l?.kind === 'tcp' ? { pids: index.holders(l), listener: l } : null;
  };
  const peer = ch.peer !== undefined ? index.channel(ch.peer) : undefined;
  if (peer) {
    const pids = index.holders(peer);
    const queued = peer.kind === 'unix' || peer.kind === 'tcp' ? peer.acceptQueue : undefined;
    return pids.length === 0 && queued !== undefined ? viaListener(queued) : { pids };
  }
  if (ch.kind === 'unix' && ch.acceptQueue !== undefined) return viaListener(ch.acceptQueue);
  return null;
}

/**
 * The IPC namespace whose SysV ids a process uses: null for the snapshot's own, the namespace for
 * another one the snapshot lists objects of, undefined for one it does not (the process's ids
 * then name none of the listed objects). A process whose namespace is unknown is taken as one of
 * ours, as the snapshot's SysV probe does; one known only to the evidence (a sleeper the
 * snapshot does not keep) is compared with the namespace the evidence saw as its own.
 */
export function sysvNamespace(index: SnapshotIndex, ev: Evidence, pid: number): string | null | undefined {
  const ns = index.proc(pid)?.ipcns ?? ev.sleepers?.found.get(pid)?.ipcns;
  if (!ns) return null;
  if (index.otherIpcns().has(ns)) return ns;
  const own = ev.sleepers?.ownIpcns;
  return own && ns !== own ? undefined : null;
}

/**
 * The channel a thread is blocked on, if the thread sleeps in a channel operation and the
 * channel's state explains the wait; null for every other sleep (poll, futex, a read on a pipe
 * that has data, …).
 */
export function blockedOn(index: SnapshotIndex, ev: Evidence, pid: number, t: ThreadFacts): BlockedThread | null {
  const s = t.syscall;
  if (s.kind !== 'syscall' || !s.op || s.target === undefined || !sleeping(t)) return null;
  const base = { pid, tid: t.tid, op: s.op, thread: t, presumed: false, unknown: false };
  if (s.op === 'semop' || s.op === 'msgsnd' || s.op === 'msgrcv') {
    const ns = sysvNamespace(index, ev, pid);
    if (ns === undefined) return null;
    if (s.op === 'semop') {
      const set = index.sem(s.target, ns);
      if (!set) return null;
      const posters = [...new Set((set.lastPid ?? []).filter((p) => alive(index, ev, p)))];
      return { ...base, channel: set, unblockers: posters, presumed: true };
    }
    const q = index.msg(s.target, ns);
    if (!q) return null;
    const other = s.op === 'msgsnd' ? q.lastRecvPid : q.lastSendPid;
    if (s.op === 'msgrcv' && q.messages > 0) return null; // waiting for a type that is not there: no one to name
    // any process allowed to may receive (send): with no live last one, the other side is unknown, not absent
    const unblockers = alive(index, ev, other) ? [other] : [];
    return { ...base, channel: q, unblockers, presumed: true, unknown: unblockers.length === 0 };
  }
  if (!WRITE_OPS.has(s.op) && !READ_OPS.has(s.op)) return null;
  const ch = index.channelAt(pid, s.target);
  if (!ch) return null;
  const writing = WRITE_OPS.has(s.op);
  // a datagram sender whose receiver's queue is full: the kernel says so by where it sleeps
  const dgramWait = writing && ch.kind === 'unix' && ch.type === 'dgram' && t.wchan === DGRAM_PEER_FULL_WCHAN;
  if (writing ? !isFull(ch) && !dgramWait : !isEmpty(ch)) return null;
  if (ch.kind === 'pipe' || ch.kind === 'fifo') return { ...base, channel: ch, unblockers: index.holders(ch, writing ? 'r' : 'w') };
  if (ch.kind === 'posix-mq') return { ...base, channel: ch, unblockers: index.holders(ch, writing ? 'r' : 'w').filter((p) => p !== pid || ch.endpoints.some((e) => e.pid === p && e.mode === 'rw')) };
  const other = otherSide(index, ch);
  // nobody known on the other side is no one to wait for, not everyone: the wait graph must not
  // take such a thread as stuck behind stuck processes
  if (other === null || other.pids.length === 0) return { ...base, channel: ch, unblockers: [], unknown: true, ...(other?.listener ? { listener: other.listener } : {}) };
  return { ...base, channel: ch, unblockers: other.pids, ...(other.listener ? { listener: other.listener } : {}) };
}

export interface WaitGraph {
  /** Blocked threads by pid (only processes whose threads were read). */
  blocked: Map<number, BlockedThread[]>;
  /** Processes none of whose threads can make progress: every thread is blocked on a channel and everyone who could unblock it is stuck too. */
  stuck: Set<number>;
  /** Distinct cycles among the stuck processes, each as [p0, t0, p1, t1, …] (process, the thread's wait, next process …). */
  cycles: BlockedThread[][];
}

/** Every process a graph is about (for evidence follow-ups): the unblockers of what each blocked thread waits on. */
export function nextToRead(index: SnapshotIndex, ev: Evidence, round: readonly ProcessFacts[]): number[] {
  index.prepare(round.map((f) => f.pid));
  const out = new Set<number>();
  for (const f of round) {
    for (const t of f.threads) {
      const b = blockedOn(index, ev, f.pid, t);
      if (b) for (const p of b.unblockers) out.add(p);
    }
  }
  return [...out];
}

export function waitGraph(index: SnapshotIndex, ev: Evidence): WaitGraph {
  index.prepare(ev.processes.keys());
  const blocked = new Map<number, BlockedThread[]>();
  const candidates = new Set<number>();
  for (const f of ev.processes.values()) {
    const list: BlockedThread[] = [];
    let allBlocked = f.complete && f.threads.length > 0;
    for (const t of f.threads) {
      const b = blockedOn(index, ev, f.pid, t);
      if (b) list.push(b);
      else allBlocked = false;
    }
    if (list.length > 0) blocked.set(f.pid, list);
    // same process as in the snapshot (not a recycled pid)
    const p = index.proc(f.pid);
    if (allBlocked && (!p || f.startTime === null || p.startTime === f.startTime)) candidates.add(f.pid);
  }
  // greatest fixpoint: drop a process while one of its threads has an unknown other side or an
  // unblocker that is not stuck
  const stuck = new Set(candidates);
  for (let changed = true; changed; ) {
    changed = false;
    for (const pid of stuck) {
      const ok = blocked.get(pid)!.every((b) => !b.unknown && b.unblockers.every((q) => stuck.has(q)));
      if (!ok) {
        stuck.delete(pid);
        changed = true;
      }
    }
  }
  // cycles: walk from each stuck process along the first wait whose unblocker is stuck
  const cycles: BlockedThread[][] = [];
  const inCycle = new Set<number>();
  for (const start of [...stuck].sort((a, b) => a - b)) {
    if (inCycle.has(start)) continue;
    const path: BlockedThread[] = [];
    const at = new Map<number, number>();
    let pid = start;
    let closed = false;
    for (;;) {
      if (at.has(pid)) {
        closed = true;
        break;
      }
      at.set(pid, path.length);
      const step = blocked
        .get(pid)!
        .map((b) => ({ b, q: b.unblockers.find((q) => stuck.has(q)) }))
        .find((x) => x.q !== undefined);
      if (!step) break;
      path.push(step.b);
      pid = step.q!;
    }
    if (!closed) continue;
    const cycle = path.slice(at.get(pid)!);
    if (cycle.length === 0 || cycle.some((b) => inCycle.has(b.pid))) continue;
    for (const b of cycle) inCycle.add(b.pid);
    cycles.push(cycle);
  }
  return { blocked, stuck, cycles };
}
