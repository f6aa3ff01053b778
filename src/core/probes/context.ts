// Shared state of one snapshot run: the fd index (kernel identity → fd rows), the parsed
// processes, and the helpers every probe uses. One Probe per IPC family (probes/*.ts).
import type { Capabilities, Channel, ChannelKind, Endpoint, Mode, ProcessInfo } from '../model';
import type { NativeAddon, ProcWalk, ProcWalkProcess } from '../native';

export interface ProbeContext {
  procRoot: string;
  devRoot: string;
  /** Null when the TS path is forced or the addon is missing. */
  native: NativeAddon | null;
  kinds: ReadonlySet<ChannelKind>;
  /** Only these pids were walked (empty = all). */
  pidFilter: ReadonlySet<number> | null;
  walk: ProcWalk;
  index: FdIndex;
  /** Parsed processes by pid (all walked processes that were readable). */
  processes: Map<number, ProcessInfo>;
  /** Raw walk rows by pid (maps, netns). */
  raw: Map<number, ProcWalkProcess>;
  user(uid: number): string;
  capabilities: Capabilities;
  warnings: string[];
  out: Channel[];
}

export interface Probe {
  kinds: readonly ChannelKind[];
  run(ctx: ProbeContext): Promise<void> | void;
}

const MODES: Mode[] = ['rw', 'r', 'w', 'rw'];
export function modeOf(bits: number): Mode {
  return MODES[bits & 3];
}

/**
 * fd rows by kernel identity, as linked lists over row indices (no per-fd arrays):
 * `head.get(inode)` is the first row, `next[row]` the following one (-1 = end).
 */
export class FdIndex {
  readonly next: Int32Array;
  readonly byKind = new Map<number, Map<number, number>>();
  constructor(readonly walk: ProcWalk) {
    const f = walk.fds;
    const n = f.pid.length;
    this.next = new Int32Array(n);
    // build in reverse so each list is in walk order
    for (let i = n - 1; i >= 0; i--) {
      const k = f.kind[i];
      let m = this.byKind.get(k);
      if (!m) {
        m = new Map();
        this.byKind.set(k, m);
      }
      const ino = f.inode[i];
      const h = m.get(ino);
      this.next[i] = h === undefined ? -1 : h;
      m.set(ino, i);
    }
  }
  head(kind: number, inode: number): number {
    const m = this.byKind.get(kind);
    const h = m === undefined ? undefined : m.get(inode);
    return h === undefined ? -1 : h;
  }
  /** Endpoints of the rows starting at `row`, sorted by pid then fd. */
  endpoints(row: number): Endpoint[] {
    const f = this.walk.fds;
    const out: Endpoint[] = [];
    for (let i = row; i >= 0; i = this.next[i]) out.push({ pid: f.pid[i], fd: f.fd[i], mode: MODES[f.mode[i] & 3] });
    if (out.length > 1) out.sort(byPidFd);
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
