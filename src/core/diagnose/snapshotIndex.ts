// Lookups the rules share, built once per diagnosis and lazily: processes by pid, channels by id
// (binary search in the snapshot's canonical order — no 50k-entry Map per refresh), and the
// channel behind a (pid, fd) for the few processes whose threads were read.
import { findChannel, isSortedChannels } from '../diff';
import type { Channel, ProcessInfo, Snapshot, SysvMsgChannel, SysvSemChannel, UnixChannel } from '../model';

export class SnapshotIndex {
  readonly procs: ReadonlyMap<number, ProcessInfo>;
  private byId: Map<string, Channel> | null = null;
  private readonly sorted: boolean;
  private readonly fdMap = new Map<number, Map<number, Channel>>();
  private semById: Map<number, SysvSemChannel> | null = null;
  private msgById: Map<number, SysvMsgChannel> | null = null;
  private boundByInode: Map<string, UnixChannel[]> | null = null;

  constructor(readonly snapshot: Snapshot) {
    this.procs = new Map(snapshot.processes.map((p) => [p.pid, p]));
    this.sorted = isSortedChannels(snapshot.channels);
  }

  proc(pid: number): ProcessInfo | undefined {
    return this.procs.get(pid);
  }

  channel(id: string | undefined): Channel | undefined {
    if (id === undefined) return undefined;
    if (this.sorted) {
      const i = findChannel(this.snapshot.channels, id);
      return i >= 0 ? this.snapshot.channels[i] : undefined;
    }
    this.byId ??= new Map(this.snapshot.channels.map((c) => [c.id, c]));
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

  sem(semid: number): SysvSemChannel | undefined {
    if (!this.semById) {
      this.semById = new Map();
      for (const c of this.snapshot.channels) if (c.kind === 'sysv-sem') this.semById.set(c.semid, c);
    }
    return this.semById.get(semid);
  }

  msg(msqid: number): SysvMsgChannel | undefined {
    if (!this.msgById) {
      this.msgById = new Map();
      for (const c of this.snapshot.channels) if (c.kind === 'sysv-msg') this.msgById.set(c.msqid, c);
    }
    return this.msgById.get(msqid);
  }

  /** Path-bound unix sockets by the `dev:inode` of the file they are bound to (native snapshots only). */
  boundTo(dev: string, inode: number): UnixChannel[] {
    if (!this.boundByInode) {
      this.boundByInode = new Map();
      for (const c of this.snapshot.channels) {
        if (c.kind !== 'unix' || c.boundInode === undefined) continue;
        const k = `${c.boundDev}:${c.boundInode}`;
        const l = this.boundByInode.get(k);
        if (l) l.push(c);
        else this.boundByInode.set(k, [c]);
      }
    }
    return this.boundByInode.get(`${dev}:${inode}`) ?? [];
  }

  /** Distinct pids holding a channel, in order. */
  holders(ch: Channel | undefined, mode?: 'r' | 'w'): number[] {
    if (!ch) return [];
    const out: number[] = [];
    for (const e of ch.endpoints) {
      if (mode === 'r' && e.mode === 'w') continue;
      if (mode === 'w' && e.mode === 'r') continue;
      if (!out.includes(e.pid)) out.push(e.pid);
    }
    return out;
  }

  /** Were some processes' fds unreadable (not root)? Then "nobody holds it" cannot be said for sure. */
  get fdsHidden(): boolean {
    return this.snapshot.warnings.some((w) => w.startsWith('processes hidden'));
  }
}
