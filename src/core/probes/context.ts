// Shared state of one snapshot run: the fd index (kernel identity → fd rows), the parsed
// processes, and the helpers every probe uses. One Probe per IPC family (probes/*.ts), named by
// the kinds' descriptors (core/kinds `probe`) and registered in probes/index.ts. This file imports
// no probe: each probe's own types (what it prefetches) live with it (a type of what one keeps
// between scans is imported as a type alone).
import * as fs from 'node:fs';
import type { Capabilities, Channel, ChannelKind, Endpoint, Mode, ProcessInfo } from '../model';
import type { NativeAddon, ProcWalk, ProcWalkProcess } from '../native';
import { sortPositionsBy } from '../sortedPositions';
import type { SocketLookups } from './hiddenNetns';

export interface ProbeContext {
  procRoot: string;
  devRoot: string;
  /** Null when the TS path is forced or the addon is missing. */
  native: NativeAddon | null;
  kinds: ReadonlySet<ChannelKind>;
  /** Only these pids were walked (empty = all). */
  walk: ProcWalk;
  index: FdIndex;
  /** Parsed processes by pid (all walked processes that were readable). */
  processes: Map<number, ProcessInfo>;
  /** Raw walk rows by pid (maps, netns). */
  raw: Map<number, ProcWalkProcess>;
  user(uid: number): string;
  capabilities: Capabilities;
  warnings: string[];
  /** Channels by kind; `presorted` kinds were emitted in canonical order (no sort needed). */
  out: Map<ChannelKind, Channel[]>;
  presorted: Set<ChannelKind>;
  /** Deadline of one call that may block (a native call on one object), ms. */
  itemTimeoutMs: number;
  /** The processes the snapshot is asked about (its `pids`, with their threads' own fd tables), when it is: a probe with a bound on costly reads spends it on their channels first (the others are dropped after the probes). */
  scope?: ReadonlySet<number> | null;
  /** What the lookups of sockets in no table remember between scans (hiddenNetns.ts): the caller's (SnapshotOptions.socketLookups), or this snapshot's own. */
  socketLookups: SocketLookups;
  /** Where a probe's time went, for the benchmark (SnapshotTimings.marks): durations in ms, or `…At` times (performance.now()). */
  marks?: Record<string, number>;
}

/** Reads one family of kernel objects; runs when a wanted kind names it (core/kinds `probe`). */
export interface Probe<P = unknown> {
  /** Work that does not depend on the fd walk (netlink dumps, SysV lists), started before it so it overlaps. */
  prefetch?(native: NativeAddon | null, procRoot: string, kinds: ReadonlySet<ChannelKind>): P;
  /** Emits its channels (`prefetched`: what prefetch returned, when it ran). */
  run(ctx: ProbeContext, prefetched: P | undefined): Promise<void> | void;
}

export function emit(ctx: ProbeContext, ch: Channel): void {
  const list = ctx.out.get(ch.kind);
  if (list) list.push(ch);
  else ctx.out.set(ch.kind, [ch]);
}

/** Adds a whole list of one kind (appended to what is there). */
export function emitAll(ctx: ProbeContext, kind: ChannelKind, list: Channel[]): void {
  const have = ctx.out.get(kind);
  if (have === undefined) ctx.out.set(kind, list);
  else for (let i = 0; i < list.length; i++) have.push(list[i]);
}

const MODES: Mode[] = ['rw', 'r', 'w', 'rw'];
export function modeOf(bits: number): Mode {
  return MODES[bits & 3];
}

/** Per FdKind: the distinct inodes in ascending order and the first row (in `next` order) of each. */
export interface FdGroups {
  /** Distinct inodes, ascending. */
  inode: Float64Array;
  /** First row of each inode's rows; the rest follow through `next`. */
  first: Int32Array;
  count: number;
}

const NO_GROUPS: FdGroups = { inode: new Float64Array(0), first: new Int32Array(0), count: 0 };

/** dst.push(...src) without the spread: another user decides how many endpoints an object has, and a spread of 100k+ overflows the stack. */
export function append<T>(dst: T[], src: readonly T[]): void {
  for (let i = 0; i < src.length; i++) dst.push(src[i]);
}

/**
 * fd rows by kernel identity (FdKind + inode): per kind, the rows sorted by inode (a stable radix
 * sort, sortPositionsBy — no JS comparator, no hash table), cut into groups of equal inode.
 * `head(kind, inode)` is a group's first row, `next[row]` the following one (-1 = end);
 * `groups(kind)` gives every group in inode order, so probes merge-join against other
 * inode-sorted tables instead of probing a hash per row.
 */
/**
 * How many fd rows (fds of the IPC kinds) a snapshot lists for one user's processes, and in all.
 * A user decides how many fds their processes hold — one pipe dup'ed up to RLIMIT_NOFILE (a
 * million on a systemd machine) in each of hundreds of processes costs them 8 bytes a fd — and
 * every row listed becomes an endpoint object in the snapshot, in the worker and again on the
 * extension host's main thread, in every diff and view. Rows past a budget are not listed, and a
 * warning says whose (fds not listed whole); each user's share keeps one user from crowding out
 * another's. The native walks apply the same budget as they read (ProcWalkOptions.rowsPerUser,
 * native/src/rowvalve.h), leaving out only rows this cut would, so that their own columns (~40–110
 * bytes a fd) stay bounded too; what they left out comes back as ProcWalkProcess.fdsPastBudget.
 */
export const FD_ROWS_PER_USER = 1_000_000;
export const FD_ROWS_TOTAL = 4_000_000;

export interface FdRowBudget {
  /** The process's real uid; undefined counts as one more user (-1). */
  uidOf(pid: number): number | undefined;
  perUser: number;
  total: number;
}

export class FdIndex {
  readonly next: Int32Array;
  private readonly byKind: (FdGroups | undefined)[] = [];
  /** Rows are in (pid, fd) order (the walk emits them so): a group's rows are its endpoints' order. */
  private readonly ordered: boolean;
  /** Rows the budget left out, by pid (none without a budget). */
  readonly cut = new Map<number, number>();
  /**
   * `keepPid(pid)` false drops that process's rows (it vanished mid-walk: no half-read endpoints);
   * past `budget`, a process's remaining rows are dropped and counted in `cut`.
   */
  constructor(
    readonly walk: ProcWalk,
    keepPid?: (pid: number) => boolean,
    budget?: FdRowBudget,
  ) {
    const f = walk.fds;
    const n = f.pid.length;
    const next = (this.next = new Int32Array(n).fill(-1));
    const pids = f.pid;
    const fds = f.fd;
    const kinds = f.kind;
    const inodes = f.inode;
    // rows kept (process still there) and their count per kind; (pid, fd) order check
    const keep = new Uint8Array(n);
    const counts = new Int32Array(256);
    let lastPid = -1;
    let keepIt = true;
    let ordered = true;
    // the budget: rows still allowed in all, and to the current process's user
    const users = new Map<number, number>();
    let totalLeft = budget ? budget.total : Infinity;
    let uid = 0;
    let userLeft = Infinity;
    let cutHere = 0;
    for (let i = 0; i < n; i++) {
      const pid = pids[i];
      if (pid !== lastPid) {
        if (pid < lastPid) ordered = false;
        if (budget) {
          if (cutHere > 0) this.cut.set(lastPid, (this.cut.get(lastPid) ?? 0) + cutHere);
          if (lastPid >= 0) users.set(uid, userLeft);
          uid = budget.uidOf(pid) ?? -1;
          userLeft = users.get(uid) ?? budget.perUser;
          cutHere = 0;
        }
        lastPid = pid;
        keepIt = keepPid === undefined || keepPid(pid);
      } else if (fds[i] <= fds[i - 1]) ordered = false;
      if (!keepIt) continue;
      if (userLeft <= 0 || totalLeft <= 0) {
        cutHere++;
        continue;
      }
      userLeft--;
      totalLeft--;
      keep[i] = 1;
      counts[kinds[i]]++;
    }
    if (cutHere > 0) this.cut.set(lastPid, (this.cut.get(lastPid) ?? 0) + cutHere);
    this.ordered = ordered;
    // one pass scatters the kept rows into per-kind slices, each then sorted by inode
    const start = new Int32Array(257);
    for (let k = 0; k < 256; k++) start[k + 1] = start[k] + counts[k];
    const fill = start.slice(0, 256);
    const total = start[256];
    const all = new Int32Array(total);
    for (let i = 0; i < n; i++) if (keep[i] !== 0) all[fill[kinds[i]]++] = i;
    for (let k = 0; k < 256; k++) {
      const c = counts[k];
      if (c === 0) continue;
      // rows in ascending order, sorted stably by inode: ties stay by row
      const rows = all.subarray(start[k], start[k] + c);
      sortPositionsBy(rows, inodes);
      // cut into groups of equal inode, linking rows through next
      const gInode = new Float64Array(c);
      const gFirst = new Int32Array(c);
      let g = -1;
      let prevInode = -1;
      let prevRow = -1;
      for (let i = 0; i < c; i++) {
        const row = rows[i];
        const ino = inodes[row];
        if (ino !== prevInode || g < 0) {
          g++;
          gInode[g] = ino;
          gFirst[g] = row;
          prevInode = ino;
        } else next[prevRow] = row;
        prevRow = row;
      }
      this.byKind[k] = { inode: gInode, first: gFirst, count: g + 1 };
    }
  }
  /** Every distinct inode of this kind with its first row, in ascending inode order. */
  groups(kind: number): FdGroups {
    return this.byKind[kind] ?? NO_GROUPS;
  }
  /** First row of this (kind, inode), or -1 (binary search). */
  head(kind: number, inode: number): number {
    const k = this.group(kind, inode);
    return k < 0 ? -1 : this.byKind[kind]!.first[k];
  }
  /** Position of this (kind, inode)'s group in groups(kind), or -1 (binary search). */
  group(kind: number, inode: number): number {
    const g = this.byKind[kind];
    if (g === undefined) return -1;
    const a = g.inode;
    let lo = 0;
    let hi = g.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = a[mid];
      if (v < inode) lo = mid + 1;
      else if (v > inode) hi = mid - 1;
      else return mid;
    }
    return -1;
  }
  /** First row of every distinct inode of this kind, in ascending inode order. */
  heads(kind: number): readonly number[] {
    const g = this.byKind[kind];
    if (g === undefined) return [];
    return Array.from(g.first.subarray(0, g.count));
  }
  /** Endpoints of the rows starting at `row`, sorted by pid then fd. */
  endpoints(row: number): Endpoint[] {
    if (row < 0) return [];
    const f = this.walk.fds;
    const next = this.next;
    const a: Endpoint = { pid: f.pid[row], fd: f.fd[row], mode: MODES[f.mode[row] & 3] };
    const r2 = next[row];
    if (r2 < 0) return [a];
    const b: Endpoint = { pid: f.pid[r2], fd: f.fd[r2], mode: MODES[f.mode[r2] & 3] };
    let r = next[r2];
    if (r < 0) {
      if (this.ordered || a.pid < b.pid || (a.pid === b.pid && a.fd! < b.fd!)) return [a, b];
      return [b, a];
    }
    const out: Endpoint[] = [a, b];
    for (; r >= 0; r = next[r]) out.push({ pid: f.pid[r], fd: f.fd[r], mode: MODES[f.mode[r] & 3] });
    if (!this.ordered) out.sort(byPidFd);
    return out;
  }
}

export function byPidFd(a: Endpoint, b: Endpoint): number {
  return a.pid - b.pid || (a.fd ?? -1) - (b.fd ?? -1) || ((a.map ?? '') < (b.map ?? '') ? -1 : (a.map ?? '') > (b.map ?? '') ? 1 : 0);
}

export function octalMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/** The bytes (hex) of the walk's path `pi` when they are not UTF-8 (pathHexAt, ascending: a binary search), else undefined. */
export function pathHexOf(walk: Pick<ProcWalk, 'pathHexAt' | 'pathHex'>, pi: number): string | undefined {
  const at = walk.pathHexAt;
  if (at === undefined || walk.pathHex === undefined) return undefined;
  let lo = 0;
  let hi = at.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (at[mid] < pi) lo = mid + 1;
    else if (at[mid] > pi) hi = mid - 1;
    else return walk.pathHex[mid];
  }
  return undefined;
}

/** ` (deleted)` in hex: the end of an unlinked file's link bytes. */
export const DELETED_HEX = Buffer.from(' (deleted)').toString('hex');

/** st_dev → `major:minor` (glibc's encoding). */
export function devName(dev: number): string {
  const lo = dev % 4294967296;
  const hi = Math.floor(dev / 4294967296);
  const major = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const minor = ((lo & 0xff) | ((lo >>> 12) & 0xfff00) | ((hi & 0xfff) << 20)) >>> 0;
  return `${major}:${minor}`;
}

/** A file's identity as `major:minor:inode` (the POSIX kinds' `fileId`: what a removal checks the name still names). */
export function fileIdOf(st: { dev: number; ino: number }): string {
  return `${devName(st.dev)}:${st.ino}`;
}

/** The snapshot's own IPC namespace (its inode, as text, as processes[].ipcns); null on a captured tree or when unreadable. */
export function ownIpcns(ctx: Pick<ProbeContext, 'procRoot'>): string | null {
  return ownNamespace(ctx, 'ipc');
}

/** The snapshot's own mount namespace (as processes[].mntns); null on a captured tree or when unreadable. */
export function ownMntns(ctx: Pick<ProbeContext, 'procRoot'>): string | null {
  return ownNamespace(ctx, 'mnt');
}

function ownNamespace(ctx: Pick<ProbeContext, 'procRoot'>, type: 'ipc' | 'mnt'): string | null {
  if (ctx.procRoot !== '/proc') return null;
  try {
    return netnsId(fs.readlinkSync(`/proc/self/ns/${type}`));
  } catch {
    return null;
  }
}

/** `net:[4026531840]` → `4026531840`. */
export function netnsId(link: string | undefined): string {
  if (!link) return '';
  const m = /\[(\d+)\]/.exec(link);
  return m ? m[1] : link;
}
