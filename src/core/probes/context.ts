// Shared state of one snapshot run: the fd index (kernel identity → fd rows), the parsed
// processes, and the helpers every probe uses. One Probe per IPC family (probes/*.ts).
import type { Capabilities, Channel, ChannelKind, Endpoint, Mode, ProcessInfo } from '../model';
import type { NativeAddon, ProcWalk, ProcWalkProcess } from '../native';
import { InodeTable } from './inodeTable';

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
  /** Own-namespace socket tables requested before the walk (native only). */
  prefetch?: import('./sockets').SocketPrefetch;
}

export interface Probe {
  kinds: readonly ChannelKind[];
  run(ctx: ProbeContext): Promise<void> | void;
}

export function emit(ctx: ProbeContext, ch: Channel): void {
  const list = ctx.out.get(ch.kind);
  if (list) list.push(ch);
  else ctx.out.set(ch.kind, [ch]);
}

const MODES: Mode[] = ['rw', 'r', 'w', 'rw'];
export function modeOf(bits: number): Mode {
  return MODES[bits & 3];
}

/**
 * fd rows by kernel identity (FdKind + inode) as linked lists over row indices: `head(kind,
 * inode)` is the first row, `next[row]` the following one (-1 = end). Built in one O(fds) pass
 * over the walk's columns with typed-array hash tables (no per-fd allocation).
 */
export class FdIndex {
  readonly next: Int32Array;
  private readonly tables: (InodeTable | undefined)[] = [];
  private readonly headRows: number[][] = [];
  /** `keepPid(pid)` false drops that process's rows (it vanished mid-walk: no half-read endpoints). */
  constructor(
    readonly walk: ProcWalk,
    keepPid?: (pid: number) => boolean,
  ) {
    const f = walk.fds;
    const n = f.pid.length;
    const next = (this.next = new Int32Array(n).fill(-1));
    const tail = new Int32Array(n);
    const counts: number[] = [];
    for (let i = 0; i < n; i++) counts[f.kind[i]] = (counts[f.kind[i]] ?? 0) + 1;
    let lastPid = -1;
    let keep = true;
    for (let i = 0; i < n; i++) {
      if (keepPid !== undefined && f.pid[i] !== lastPid) {
        lastPid = f.pid[i];
        keep = keepPid(lastPid);
      }
      if (!keep) continue;
      const k = f.kind[i];
      let t = this.tables[k];
      if (t === undefined) {
        t = this.tables[k] = new InodeTable(counts[k]);
        this.headRows[k] = [];
      }
      const ino = f.inode[i];
      const h = t.get(ino);
      if (h < 0) {
        t.set(ino, i);
        tail[i] = i;
        this.headRows[k].push(i);
      } else {
        next[tail[h]] = i;
        tail[h] = i;
      }
    }
  }
  head(kind: number, inode: number): number {
    const t = this.tables[kind];
    return t === undefined ? -1 : t.get(inode);
  }
  /** First row of every distinct inode of this kind, in walk order. */
  heads(kind: number): readonly number[] {
    return this.headRows[kind] ?? [];
  }
  /** Endpoints of the rows starting at `row`, sorted by pid then fd. */
  endpoints(row: number): Endpoint[] {
    if (row < 0) return [];
    const f = this.walk.fds;
    const out: Endpoint[] = [];
    for (let i = row; i >= 0; i = this.next[i]) out.push({ pid: f.pid[i], fd: f.fd[i], mode: MODES[f.mode[i] & 3] });
    if (out.length === 2) {
      const a = out[0];
      const b = out[1];
      if (a.pid > b.pid || (a.pid === b.pid && a.fd! > b.fd!)) {
        out[0] = b;
        out[1] = a;
      }
    } else if (out.length > 2) out.sort(byPidFd);
    return out;
  }
}

export function byPidFd(a: Endpoint, b: Endpoint): number {
  return a.pid - b.pid || (a.fd ?? -1) - (b.fd ?? -1) || ((a.map ?? '') < (b.map ?? '') ? -1 : (a.map ?? '') > (b.map ?? '') ? 1 : 0);
}

export function octalMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/** st_dev → `major:minor` (glibc's encoding). */
export function devName(dev: number): string {
  const lo = dev % 4294967296;
  const hi = Math.floor(dev / 4294967296);
  const major = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const minor = ((lo & 0xff) | ((lo >>> 12) & 0xfff00) | ((hi & 0xfff) << 20)) >>> 0;
  return `${major}:${minor}`;
}

/** `net:[4026531840]` → `4026531840`. */
export function netnsId(link: string | undefined): string {
  if (!link) return '';
  const m = /\[(\d+)\]/.exec(link);
  return m ? m[1] : link;
}
