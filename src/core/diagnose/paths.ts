// lstat of paths other users control (FIFO paths, socket paths, runtime directories), without
// ever opening them and without touching file systems that can hang: a path is looked at only
// when every directory on the way is on a local file system (the mount table says so before the
// mount point is touched — a stuck FUSE or NFS server would block any stat of it) and is not a
// symlink, except symlinks owned by root (`/var/run → /run`), which are followed a few times.
// With the addon, on this process's own mount table, lstat goes through lookupNoFollow: checked
// and looked up one directory handle at a time, so that no directory swapped for a symlink into
// a FUSE mount between the check and the lookup is followed (a path string checked, then stat'ed
// whole, was: the stat hung for good). Without it, the check and the stat are apart, as before.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadNative, type PathLookup } from '../native';
import { devName } from '../probes/context';
import { parseMountinfo } from '../parsers/mountinfo';

/** File systems that answer stat from memory or a local disk. */
const LOCAL_FS = new Set(['tmpfs', 'ramfs', 'devtmpfs', 'ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'overlay', 'zfs', 'f2fs', 'jfs', 'reiserfs', 'squashfs', 'vfat', 'exfat', 'erofs', 'bcachefs', 'rootfs']);

export interface MountTable {
  /** Mount point → file system type (the last mount of a point wins, as the kernel shows it). */
  types: Map<string, string>;
  /** Mount id → file system type: only for this process's own table (readMountTable of /proc), what lookupNoFollow checks. */
  ids?: Map<number, string>;
}

/** A path more directories deep than this is not looked at (each costs a lookup; any user can nest thousands). */
export const MAX_PATH_COMPONENTS = 64;

/** A mount table (parsers/mountinfo.ts) as the lookups ask it: each mount point's and mount id's file system type. */
export function parseMountInfo(text: string): MountTable {
  const types = new Map<string, string>();
  const ids = new Map<number, string>();
  for (const m of parseMountinfo(text)) {
    types.set(m.mountPoint, m.fstype);
    ids.set(m.id, m.fstype);
  }
  return { types, ids };
}

/** The last mount table read and the text it was parsed from (kept by the Diagnoser between refreshes). */
export interface MountCache {
  text: string | null;
  table: MountTable | null;
}

/** `cache`: the table is parsed again only when the text changed (every refresh reads it; mounts seldom change). */
export function readMountTable(procRoot = '/proc', cache?: MountCache): MountTable {
  try {
    const text = fs.readFileSync(path.join(procRoot, 'self/mountinfo'), 'utf8');
    if (cache && cache.table && cache.text === text) return cache.table;
    const t = parseMountInfo(text);
    // mount ids mean something to lookupNoFollow only in this process's own table
    const table = procRoot === '/proc' ? t : { types: t.types };
    if (cache) {
      cache.text = text;
      cache.table = table;
    }
    return table;
  } catch {
    return { types: new Map() };
  }
}

export type FileType = 'socket' | 'fifo' | 'file' | 'dir' | 'symlink' | 'other';

/** What the callers read of an lstat (fs.Stats has it; lookupNoFollow's answer is made into it). */
export interface PathStat {
  dev: number;
  ino: number;
  uid: number;
  mode: number;
  mtimeMs: number;
  isSocket(): boolean;
  isFIFO(): boolean;
  isSymbolicLink(): boolean;
  isDirectory(): boolean;
  isFile(): boolean;
}

/** `major:minor` as glibc's st_dev number (what devName reads back). */
function makeDev(major: number, minor: number): number {
  const lo = (((major & 0xfff) << 8) | (minor & 0xff) | ((minor & 0xfff00) << 12)) >>> 0;
  const hi = ((major & 0xfffff000) | ((minor >>> 20) & 0xfff)) >>> 0;
  return hi * 4294967296 + lo;
}

function pathStat(f: { dev: string; ino: number; mode: number; uid: number; mtimeMs: number }): PathStat {
  const [major, minor] = f.dev.split(':').map(Number);
  const type = f.mode & 0o170000;
  return {
    dev: makeDev(major, minor),
    ino: f.ino,
    uid: f.uid,
    mode: f.mode,
    mtimeMs: f.mtimeMs,
    isSocket: () => type === 0o140000,
    isFIFO: () => type === 0o010000,
    isSymbolicLink: () => type === 0o120000,
    isDirectory: () => type === 0o040000,
    isFile: () => type === 0o100000,
  };
}

export function fileType(st: PathStat): FileType {
  return st.isSocket() ? 'socket' : st.isFIFO() ? 'fifo' : st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
}

/** `major:minor` of a stat's st_dev (userspace encoding), as the snapshot writes devices. */
export function devText(dev: number): string {
  return devName(dev);
}

export interface LstatResult {
  /** lstat's answer, or null when the path does not exist (`missing`) or was not looked at. */
  stat: PathStat | null;
  /** Why it was not looked at (`on a fuse file system`, `goes through a symlink owned by uid 1000`, …), or the errno. */
  skipped?: string;
  missing?: boolean;
}

/**
 * Checks directories once per run (cached): each component must be on a local file system and
 * be a directory, or a root-owned symlink (followed, at most 8 times in all).
 */
export class SafeLstat {
  private readonly dirs = new Map<string, { real: string } | { skipped: string }>();
  /** lookupNoFollow and the mount ids it may enter, on this process's own table with the addon. */
  private readonly lookup?: { find: (p: string, local: Float64Array, max: number, openDir?: boolean) => PathLookup; close: (fd: number) => void; local: Float64Array };
  constructor(private readonly mounts: MountTable) {
    const addon = loadNative().addon;
    const find = mounts.ids && mounts.ids.size > 0 ? addon?.lookupNoFollow : undefined;
    if (!find || !addon || !mounts.ids) return;
    // ascending, in a typed array: the addon searches it in place on every lookup
    const local = Float64Array.from([...mounts.ids].filter(([, t]) => LOCAL_FS.has(t)).map(([id]) => id)).sort();
    // a kernel before 5.8 gives no mount id (STATX_MNT_ID): every path would read as another mount's
    const root = find('/', local, MAX_PATH_COMPONENTS);
    // the addon opened the handles lookupNoFollow gives: closed by it too (fs.closeSync of an fd fs
    // did not open warns, in a worker thread, once a directory: the socket-file scan's every refresh)
    if ('found' in root) this.lookup = { find, close: (fd) => addon.closeFd(fd), local };
  }

  /** lookupNoFollow's answer as an lstat's. */
  private looked(p: string): LstatResult {
    const r = this.lookup!.find(p, this.lookup!.local, MAX_PATH_COMPONENTS);
    if ('found' in r) return { stat: pathStat(r.found) };
    if ('missing' in r) return { stat: null, missing: true };
    return { stat: null, skipped: this.skipReason(r.skipped, r) };
  }

  /** lookupNoFollow's reason for not looking, as the text the diagnosis shows. */
  private skipReason(reason: string, r: { mountId?: number; uid?: number }): string {
    switch (reason) {
      case 'mount':
        return `on a ${this.mounts.ids?.get(r.mountId ?? -1) ?? 'non-local'} file system (not looked at: it could hang)`;
      case 'symlink':
        return `goes through a symlink owned by uid ${r.uid}`;
      case 'deep':
        return `deeper than ${MAX_PATH_COMPONENTS} directories`;
      case 'changed':
        return 'a directory on the way changed while it was looked up';
      default:
        return reason;
    }
  }

  private fsTypeAt(p: string): string | undefined {
    return this.mounts.types.get(p);
  }

  /** Resolves a directory to a path with no symlinks, or says why not. */
  dir(dir: string, hops = 0): { real: string } | { skipped: string } {
    const cached = this.dirs.get(dir);
    if (cached) return cached;
    const r = this.resolveDir(dir, hops);
    this.dirs.set(dir, r);
    return r;
  }

  private resolveDir(dir: string, hops: number): { real: string } | { skipped: string } {
    if (!path.isAbsolute(dir)) return { skipped: 'not an absolute path' };
    const norm = path.normalize(dir);
    if (norm.split('/').length > MAX_PATH_COMPONENTS + 1) return { skipped: `deeper than ${MAX_PATH_COMPONENTS} directories` };
    if (norm === '/') return { real: '/' };
    const parent = this.dir(path.dirname(norm), hops);
    if ('skipped' in parent) return parent;
    const here = parent.real === '/' ? '/' + path.basename(norm) : parent.real + '/' + path.basename(norm);
    const t = this.fsTypeAt(here);
    if (t !== undefined && !LOCAL_FS.has(t)) return { skipped: `on a ${t} file system (not looked at: it could hang)` };
    let st: fs.Stats;
    try {
      st = fs.lstatSync(here);
    } catch (e) {
      return { skipped: (e as NodeJS.ErrnoException).code ?? 'lstat failed' };
    }
    if (st.isDirectory()) return { real: here };
    if (st.isSymbolicLink()) {
      if (st.uid !== 0) return { skipped: `goes through a symlink owned by uid ${st.uid}` };
      if (hops >= 8) return { skipped: 'too many symlinks' };
      let target: string;
      try {
        target = fs.readlinkSync(here);
      } catch (e) {
        return { skipped: (e as NodeJS.ErrnoException).code ?? 'readlink failed' };
      }
      return this.dir(path.resolve(parent.real, target), hops + 1);
    }
    return { skipped: 'not a directory' };
  }

  /** lstat of `p` itself (never followed), when every directory above it is safe. */
  lstat(p: string): LstatResult {
    if (!path.isAbsolute(p)) return { stat: null, skipped: 'not an absolute path' };
    if (this.lookup) return this.looked(p);
    const d = this.dir(path.dirname(p));
    if ('skipped' in d) return { stat: null, skipped: d.skipped };
    const full = (d.real === '/' ? '/' : d.real + '/') + path.basename(p);
    const t = this.fsTypeAt(full);
    if (t !== undefined && !LOCAL_FS.has(t)) return { stat: null, skipped: `on a ${t} file system (not looked at: it could hang)` };
    try {
      return { stat: fs.lstatSync(full) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { stat: null, missing: true };
      return { stat: null, skipped: code ?? 'lstat failed' };
    }
  }

  /**
   * Opens a directory to read it (opendir's errors thrown). With lookupNoFollow: the very directory
   * looked up, through its handle (/proc/self/fd/N), never its path again — a directory swapped
   * for a symlink into a FUSE mount after the check would have been read there, and waited.
   */
  openDir(dir: string): fs.Dir {
    if (!this.lookup) return fs.opendirSync(dir, { bufferSize: 128 });
    const r = this.lookup.find(dir, this.lookup.local, MAX_PATH_COMPONENTS, true);
    if (!('found' in r) || r.fd === undefined) {
      const code = 'found' in r ? 'ENOTDIR' : 'missing' in r ? 'ENOENT' : this.looked(dir).skipped;
      throw Object.assign(new Error(`${dir}: ${code}`), { code });
    }
    try {
      return fs.opendirSync(`/proc/self/fd/${r.fd}`, { bufferSize: 128 });
    } finally {
      this.lookup.close(r.fd);
    }
  }

  /** Modification time of a directory (changes with every unlink, create or rename in it), or null. */
  dirMtime(dir: string): number | null {
    if (this.lookup && path.isAbsolute(dir)) {
      const l = this.looked(dir);
      // (a root-owned symlink to a directory: its target's, as lstat of the resolved path gave)
      if (!l.stat?.isSymbolicLink()) return l.stat?.isDirectory() ? l.stat.mtimeMs : null;
    }
    const d = this.dir(dir);
    if ('skipped' in d) return null;
    try {
      return fs.lstatSync(d.real).mtimeMs;
    } catch {
      return null;
    }
  }

  /** Is this directory (already resolved) a mount point of a file system that could hang? */
  unsafeMount(realDir: string): string | undefined {
    const t = this.fsTypeAt(realDir);
    return t !== undefined && !LOCAL_FS.has(t) ? t : undefined;
  }
}
