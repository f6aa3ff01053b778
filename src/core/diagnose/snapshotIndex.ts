// Lookups the rules share, built once per diagnosis and lazily: processes by pid, channels by id
// (binary search in the snapshot's canonical order — no 50k-entry Map per refresh), and the
// channel behind a (pid, fd) for the few processes whose threads were read.
import { findChannel } from '../diff';
import { CHANNEL_KINDS, type Channel, type ChannelKind, type ProcessInfo, type Snapshot, type SysvMsgChannel, type SysvSemChannel } from '../model';
import { SOCKETS_UNASKED } from '../probes/hiddenNetns';
import { fdsHiddenIn, mapsCutIn } from '../snapshotWarnings';

const KIND_RANK = new Map<string, number>(CHANNEL_KINDS.map((k, i) => [k, i]));

/**
 * Channels by kind. A snapshot is in canonical order (kinds in CHANNEL_KINDS order), so each
 * kind's run is found by binary search (no pass over 50k channels); a list that is not grouped
 * that way (a hand-made snapshot) is bucketed in one pass.
 */
function kindSlices(list: readonly Channel[]): Map<ChannelKind, Channel[]> {
  const m = new Map<ChannelKind, Channel[]>();
  const rank = (i: number) => KIND_RANK.get(list[i].kind)!;
  let covered = 0;
  let grouped = true;
  for (let k = 0; k < CHANNEL_KINDS.length && grouped; k++) {
    // first index whose rank >= k, and first whose rank > k
    const first = (r: number) => {
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (rank(mid) < r) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const a = first(k);
    const b = first(k + 1);
    if (b <= a) continue;
    if (rank(a) !== k || rank(b - 1) !== k || (a > 0 && rank(a - 1) >= k)) grouped = false;
    covered += b - a;
    m.set(CHANNEL_KINDS[k], list.slice(a, b));
  }
  if (grouped && covered === list.length) return m;
  m.clear();
  for (const c of list) {
    const l = m.get(c.kind);
    if (l) l.push(c);
    else m.set(c.kind, [c]);
  }
  return m;
}

/** The channel types whose kind can be K (tcp and udp share InetChannel). */
type OfKind<K extends ChannelKind> = Channel extends infer C ? (C extends { kind: infer CK } ? (K extends CK ? C : never) : never) : never;

function sysvKey(ipcns: string | null | undefined, id: number): string {
  return `${ipcns ?? ''}/${id}`;
}

export class SnapshotIndex {
  readonly procs: ReadonlyMap<number, ProcessInfo>;
  private byId: Map<string, Channel> | null = null;
  private byKind: Map<ChannelKind, Channel[]> | null = null;
  private readonly memo = new Map<string, unknown>();
  private readonly fdMap = new Map<number, Map<number, Channel>>();
  private semById: Map<string, SysvSemChannel> | null = null;
  private msgById: Map<string, SysvMsgChannel> | null = null;

  constructor(readonly snapshot: Snapshot) {
    this.procs = new Map(snapshot.processes.map((p) => [p.pid, p]));
  }

  /** The channels of these kinds (one pass over the snapshot, the first time any kind is asked for). */
  ofKind<K extends ChannelKind>(...kinds: K[]): OfKind<K>[] {
    this.byKind ??= kindSlices(this.snapshot.channels);
    if (kinds.length === 1) return (this.byKind.get(kinds[0]) ?? []) as OfKind<K>[];
    const out: OfKind<K>[] = [];
    for (const k of kinds) for (const c of this.byKind.get(k) ?? []) out.push(c as OfKind<K>);
    return out;
  }

  /** A value computed once per snapshot (and per evidence, when the key says so): rules share their scans through it. */
  cached<T>(key: string, compute: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const v = compute();
    this.memo.set(key, v);
    return v;
  }

  proc(pid: number): ProcessInfo | undefined {
    return this.procs.get(pid);
  }

  channel(id: string | undefined): Channel | undefined {
    if (id === undefined) return undefined;
    // snapshots are in canonical order (takeSnapshot, applyDiff): a binary search; a miss (or a
    // snapshot built some other way) falls back to a map built once
    if (!this.byId) {
      const i = findChannel(this.snapshot.channels, id);
      if (i >= 0) return this.snapshot.channels[i];
      this.byId = new Map(this.snapshot.channels.map((c) => [c.id, c]));
    }
    return this.byId.get(id);
  }

  /** Makes channelAt() work for these pids (one pass over every endpoint for all of them). */
  prepare(pids: Iterable<number>): void {
    const want = new Set<number>();
    for (const p of pids) if (!this.fdMap.has(p)) want.add(p);
    if (want.size === 0) return;
    for (const p of want) this.fdMap.set(p, new Map());
    for (const ch of this.snapshot.channels) {
      const eps = ch.endpoints;
      for (let i = 0; i < eps.length; i++) {
        const e = eps[i];
        if (e.fd !== undefined && want.has(e.pid)) this.fdMap.get(e.pid)!.set(e.fd, ch);
      }
    }
  }

  /** The channel process `pid` holds as `fd` (after prepare()). */
  channelAt(pid: number, fd: number): Channel | undefined {
    return this.fdMap.get(pid)?.get(fd);
  }

  /**
   * The set `semid` names in IPC namespace `ipcns` (null: the snapshot's own). SysV ids are per
   * namespace: a container's semid 0 is not ours.
   */
  sem(semid: number, ipcns: string | null = null): SysvSemChannel | undefined {
    this.semById ??= new Map(this.ofKind('sysv-sem').map((c) => [sysvKey(c.ipcns, c.semid), c]));
    return this.semById.get(sysvKey(ipcns, semid));
  }

  /** The queue `msqid` names in IPC namespace `ipcns` (null: the snapshot's own), as sem(). */
  msg(msqid: number, ipcns: string | null = null): SysvMsgChannel | undefined {
    this.msgById ??= new Map(this.ofKind('sysv-msg').map((c) => [sysvKey(c.ipcns, c.msqid), c]));
    return this.msgById.get(sysvKey(ipcns, msqid));
  }

  /** The other IPC namespaces whose SysV objects the snapshot lists (their objects carry `ipcns`). */
  otherIpcns(): ReadonlySet<string> {
    return this.cached('other-ipcns', () => {
      const out = new Set<string>();
      for (const c of this.ofKind('sysv-msg', 'sysv-sem', 'sysv-shm')) if (c.ipcns) out.add(c.ipcns);
      return out;
    });
  }

  /** Distinct pids holding a channel, in order. */
  holders(ch: Channel | undefined, mode?: 'r' | 'w'): number[] {
    if (!ch) return [];
    // a Set (in insertion order), not out.includes: a pipe thousands of processes hold
    const out = new Set<number>();
    for (const e of ch.endpoints) {
      if (mode === 'r' && e.mode === 'w') continue;
      if (mode === 'w' && e.mode === 'r') continue;
      out.add(e.pid);
    }
    return [...out];
  }

  /** Were some processes' fds unreadable (not root)? Then "nobody holds it" cannot be said for sure. */
  get fdsHidden(): boolean {
    return fdsHiddenIn(this.snapshot.warnings);
  }

  /** Were some processes' maps not read whole (cut at the scan's bounds)? Then "nobody maps it" cannot be said. */
  get mapsCut(): boolean {
    return mapsCutIn(this.snapshot.warnings);
  }

  /** Were some sockets in no table left for later scans (probes/hiddenNetns.ts)? One may be bound in a namespace no process is in. */
  get socketsUnasked(): boolean {
    return this.snapshot.warnings.some((w) => w.startsWith(SOCKETS_UNASKED));
  }
}
