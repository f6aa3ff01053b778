// Socket files on disk, for the stale-socket rule: the directories bound listeners report plus
// the usual runtime directories (/tmp, /run, /var/run, $XDG_RUNTIME_DIR), a few levels deep and
// a bounded number of entries. readdir's d_type finds the sockets; each one is lstat'ed for its
// inode. Nothing is opened or connected to, symlinks are never followed, and no directory on a
// file system that could hang (FUSE, NFS) is entered (paths.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { devText, type SafeLstat } from './paths';

export interface SocketFile {
  path: string;
  dev: string;
  inode: number;
  uid: number;
  /** Last modification (bind time, for a socket file), ms since the epoch. */
  mtimeMs: number;
}

export interface ScanRoot {
  dir: string;
  /** Levels of subdirectories entered below it. */
  depth: number;
}

export interface SocketScanOptions {
  /** Directories scanned with their own depth below them. */
  roots: readonly ScanRoot[];
  /** Directories scanned on their own (depth 0): the parents of bound socket paths. */
  dirs: readonly string[];
  /** Entries read in all (directory entries, not only sockets). */
  maxEntries: number;
  /**
   * Entries read of any one directory (default a quarter of maxEntries): any user can crowd /tmp
   * or a directory of their own, which would otherwise take the whole budget and keep every other
   * directory (/run's) out of reach, on every scan, without a word.
   */
  maxPerDir?: number;
  /** Give up (and say so) past this time (performance.now() ms); at least one directory is read. */
  deadline: number;
  /** Go on from where a scan cut short by its deadline stopped (its files are checked again). */
  resume?: SocketScanProgress;
}

/**
 * Where a scan cut short by its deadline stopped. A crowded /tmp (VS Code alone leaves hundreds
 * of stale `vscode-ipc-*.sock` files) can take longer than a diagnosis's whole budget: started
 * again from the top each time, the scan would never reach the directories below it.
 */
export interface SocketScanProgress {
  /** What was read so far. */
  read: Omit<SocketScan, 'progress'>;
  queue: { dir: string; depth: number }[];
  seenDirs: Map<string, number>;
  seenFiles: Set<string>;
  entries: number;
}

export interface SocketScan {
  files: SocketFile[];
  /** Directories read (resolved paths). */
  scanned: string[];
  /** Their modification times when read: a directory whose mtime is unchanged had nothing removed or added. */
  mtimes: Map<string, number>;
  /** Why the scan is incomplete, if it is (the count limit, a crowded directory, the deadline). */
  truncated?: string;
  /** Directories read only in part: more entries than maxPerDir. */
  crowded?: string[];
  skipped: string[];
  /** When the deadline cut it short: where the next scan goes on (options.resume). */
  progress?: SocketScanProgress;
}

/**
 * Where programs put their sockets: /tmp and one level below (`/tmp/.X11-unix/X0`,
 * `/tmp/app-1000/sock`), /run three levels (`/run/user/1000/pulse/native`), $XDG_RUNTIME_DIR two.
 * Deeper trees (build directories under /tmp) cost more than they find.
 */
export function defaultSocketRoots(env: NodeJS.ProcessEnv = process.env): ScanRoot[] {
  const roots: ScanRoot[] = [
    { dir: '/tmp', depth: 1 },
    { dir: '/run', depth: 3 },
    { dir: '/var/run', depth: 3 },
  ];
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && path.isAbsolute(xdg)) roots.push({ dir: xdg, depth: 2 });
  return roots;
}

/** The last full scan, reused for a while: between scans only its files are lstat'ed again. */
export interface SocketScanCache {
  at: number;
  scan: SocketScan | null;
  /** The directories the scan was asked for (as given). */
  dirs: ReadonlySet<string>;
  /** A scan the deadline cut short, to go on with next time. */
  partial?: SocketScanProgress;
}

/**
 * The cached scan's files that are still the same socket files: a file in a directory whose
 * mtime did not change is still there; in a changed directory each file is lstat'ed again.
 */
export function recheckSocketFiles(safe: SafeLstat, scan: SocketScan): SocketFile[] {
  const out: SocketFile[] = [];
  const changed = new Map<string, boolean>();
  for (const f of scan.files) {
    const dir = path.dirname(f.path);
    let c = changed.get(dir);
    if (c === undefined) {
      const m = safe.dirMtime(dir);
      c = m === null || m !== scan.mtimes.get(dir);
      changed.set(dir, c);
    }
    if (!c) {
      out.push(f);
      continue;
    }
    const l = safe.lstat(f.path);
    if (l.stat && l.stat.isSocket() && l.stat.ino === f.inode && devText(l.stat.dev) === f.dev) out.push(f);
  }
  return out;
}

export function scanSocketFiles(safe: SafeLstat, o: SocketScanOptions): SocketScan {
  const r0 = o.resume;
  // a resumed scan's files are checked again: one may have gone since it was read
  const out: SocketScan = r0
    ? { files: recheckSocketFiles(safe, r0.read as SocketScan), scanned: [...r0.read.scanned], mtimes: new Map(r0.read.mtimes), skipped: [...r0.read.skipped], ...(r0.read.crowded ? { crowded: [...r0.read.crowded] } : {}) }
    : { files: [], scanned: [], mtimes: new Map(), skipped: [] };
  const seenDirs = r0 ? new Map(r0.seenDirs) : new Map<string, number>();
  const seenFiles = r0 ? new Set(r0.seenFiles) : new Set<string>();
  let entries = r0?.entries ?? 0;
  const perDir = Math.max(1, o.maxPerDir ?? Math.ceil(o.maxEntries / 4));
  // the listeners' own directories first: the count limit must not starve them (on a resumed
  // scan too: those already read are skipped below)
  const queue: { dir: string; depth: number }[] = o.dirs.map((d) => ({ dir: d, depth: 0 }));
  if (r0) queue.push(...r0.queue);
  else for (const r of o.roots) queue.push({ dir: r.dir, depth: r.depth });
  for (let read = 0; queue.length > 0; read++) {
    // at least one directory per call, so a scan resumed with no time left still moves on
    if (read > 0 && performance.now() > o.deadline) {
      out.truncated = 'deadline reached';
      out.progress = { read: { files: out.files, scanned: out.scanned, mtimes: out.mtimes, skipped: out.skipped, ...(out.crowded ? { crowded: out.crowded } : {}) }, queue, seenDirs, seenFiles, entries };
      break;
    }
    if (entries >= o.maxEntries) {
      out.truncated = `more than ${o.maxEntries} directory entries`;
      break;
    }
    const { dir, depth } = queue.shift()!;
    const r = safe.dir(dir);
    if ('skipped' in r) {
      if (r.skipped !== 'ENOENT') out.skipped.push(`${dir}: ${r.skipped}`);
      continue;
    }
    const real = r.real;
    const seenDepth = seenDirs.get(real);
    if (seenDepth !== undefined && seenDepth >= depth) continue;
    seenDirs.set(real, depth);
    let list: fs.Dirent[];
    try {
      list = readSome(safe, real, perDir + 1);
    } catch (e) {
      out.skipped.push(`${dir}: ${(e as NodeJS.ErrnoException).code ?? 'readdir failed'}`);
      continue;
    }
    out.scanned.push(real);
    const m = safe.dirMtime(real);
    if (m !== null) out.mtimes.set(real, m);
    let here = 0;
    for (const ent of list) {
      if (++here > perDir) {
        (out.crowded ??= []).push(real);
        break;
      }
      if (++entries > o.maxEntries) break;
      const p = (real === '/' ? '/' : real + '/') + ent.name;
      if (ent.isSocket()) {
        if (seenFiles.has(p)) continue;
        seenFiles.add(p);
        const l = safe.lstat(p);
        if (l.stat && l.stat.isSocket()) {
          out.files.push({ path: p, dev: devText(l.stat.dev), inode: l.stat.ino, uid: l.stat.uid, mtimeMs: l.stat.mtimeMs });
        }
      } else if (ent.isDirectory() && depth > 0) {
        // mount points of file systems that could hang are never entered
        if (safe.unsafeMount(p) !== undefined) continue;
        queue.push({ dir: p, depth: depth - 1 });
      }
    }
  }
  // (a scan the deadline cut says so alone: it goes on next time, and evidence.ts tells it by that reason)
  if (out.crowded && out.truncated !== 'deadline reached') out.truncated = (out.truncated ? `${out.truncated}; ` : '') + crowdedReason(out.crowded, perDir);
  return out;
}

/** Why a scan is incomplete when only crowded directories cut it: they are named (doctor escapes notes). */
function crowdedReason(dirs: readonly string[], perDir: number): string {
  const shown = dirs.slice(0, 3).join(', ') + (dirs.length > 3 ? ` and ${dirs.length - 3} more` : '');
  return `more than ${perDir} entries in ${shown}: the rest of ${dirs.length === 1 ? 'it' : 'them'} not read`;
}

/** Up to `max` entries of a directory, read incrementally: a directory of a million entries costs its first `max` only. */
function readSome(safe: SafeLstat, dir: string, max: number): fs.Dirent[] {
  const d = safe.openDir(dir);
  const out: fs.Dirent[] = [];
  try {
    for (let ent = d.readSync(); ent !== null && out.length < max; ent = d.readSync()) out.push(ent);
  } finally {
    d.closeSync();
  }
  return out;
}
