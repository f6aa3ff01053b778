// The pure-TypeScript fd walk: same ProcWalk shape as the native addon's walkProc, built from
// readdir/readlink/lstat/stat. Used when the addon is missing or fails.
//
// Cost per fd: one readlink; an lstat only for IPC fds (mode bits of the /proc link: r-x read,
// -wx write, rwx both); a stat only for fds whose link is a path (FIFO / mqueue detection).
// The calls are synchronous (2-3× cheaper than fs.promises here); on the main thread the walk
// yields to the event loop (setImmediate) every few milliseconds so it never blocks for long.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { FdKind, MODE_R, MODE_W, type ProcWalk, type ProcWalkOptions, type ProcWalkProcess } from './native';
import { filterMaps } from './parsers/procPid';

interface Io {
  readFile(p: string): string | Promise<string>;
  readlink(p: string): string | Promise<string>;
  readdir(p: string): string[] | Promise<string[]>;
  lstatMode(p: string): number | Promise<number>;
  stat(p: string): fs.Stats | Promise<fs.Stats>;
}

const syncIo: Io = {
  readFile: (p) => fs.readFileSync(p, 'utf8'),
  readlink: (p) => fs.readlinkSync(p),
  readdir: (p) => fs.readdirSync(p),
  lstatMode: (p) => fs.lstatSync(p).mode,
  stat: (p) => fs.statSync(p),
};

const code = (e: unknown) => ((e as NodeJS.ErrnoException)?.code ?? 'EIO') as string;

class FdColumns {
  pid: number[] = [];
  fd: number[] = [];
  kind: number[] = [];
  mode: number[] = [];
  inode: number[] = [];
  dev: number[] = [];
  pathIndex: number[] = [];
  paths: string[] = [];
  push(pid: number, fd: number, kind: number, mode: number, inode: number, dev: number, p: string | null) {
    this.pid.push(pid);
    this.fd.push(fd);
    this.kind.push(kind);
    this.mode.push(mode);
    this.inode.push(inode);
    this.dev.push(dev);
    if (p === null) this.pathIndex.push(-1);
    else {
      this.pathIndex.push(this.paths.length);
      this.paths.push(p);
    }
  }
}

/** Parses `pipe:[123]` / `socket:[123]` → inode, or -1. */
function bracketInode(link: string, prefixLen: number): number {
  if (link.charCodeAt(prefixLen) !== 91 /* [ */ || link.charCodeAt(link.length - 1) !== 93) return -1;
  const n = Number(link.slice(prefixLen + 1, -1));
  return Number.isInteger(n) ? n : -1;
}

/** Read/write mode of an fd: from its /proc link's owner bits, or from fdinfo flags when the link is not a /proc magic link (captured trees). */
async function fdMode(io: Io, fdPath: string, fdinfoPath: string): Promise<number> {
  let m = 0o700;
  try {
    m = await io.lstatMode(fdPath);
  } catch {
    /* vanished: keep default */
  }
  if ((m & 0o777) === 0o777) {
    // an ordinary symlink (captured or fake tree): fall back to fdinfo flags, default rw
    try {
      const info = await io.readFile(fdinfoPath);
      const mm = /flags:\s*([0-7]+)/.exec(info);
      if (mm) {
        const acc = parseInt(mm[1], 8) & 3;
        return acc === 0 ? MODE_R : acc === 1 ? MODE_W : MODE_R | MODE_W;
      }
    } catch {
      /* no fdinfo */
    }
    return MODE_R | MODE_W;
  }
  return (m & 0o400 ? MODE_R : 0) | (m & 0o200 ? MODE_W : 0);
}

/** On the main thread: yield to the event loop after this much synchronous work. */
const yieldEveryMs = isMainThread ? 8 : 0;
let lastYield = 0;
async function maybeYield(): Promise<void> {
  const now = performance.now();
  if (now - lastYield < yieldEveryMs) return;
  await new Promise<void>((r) => setImmediate(r));
  lastYield = performance.now();
}

let mqueueDev: number | null | undefined;
function getMqueueDev(): number | null {
  if (mqueueDev === undefined) {
    try {
      mqueueDev = fs.statSync('/dev/mqueue').dev;
      // only trust it if it is a mqueue mount (its dev differs from /dev's)
      if (mqueueDev === fs.statSync('/dev').dev) mqueueDev = null;
    } catch {
      mqueueDev = null;
    }
  }
  return mqueueDev;
}

async function walkOne(io: Io, opts: ProcWalkOptions, pid: number, cols: FdColumns): Promise<ProcWalkProcess> {
  const base = path.join(opts.procRoot, String(pid));
  const p: ProcWalkProcess = { pid };
  try {
    p.stat = await io.readFile(base + '/stat');
    p.status = await io.readFile(base + '/status');
  } catch (e) {
    return { pid, error: code(e) };
  }
  try {
    p.cmdline = await io.readFile(base + '/cmdline');
  } catch {
    p.cmdline = '';
  }
  if (opts.readTimers) {
    try {
      p.timers = await io.readFile(base + '/timers');
    } catch {
      /* no timers file (old kernel) or unreadable */
    }
  }
  if (opts.readMaps) {
    try {
      p.maps = filterMaps(await io.readFile(base + '/maps'));
    } catch {
      /* unreadable */
    }
  }
  try {
    p.netns = await io.readlink(base + '/ns/net');
  } catch {
    /* unreadable */
  }
  if (opts.readLinks) {
    try {
      p.cwd = await io.readlink(base + '/cwd');
    } catch {
      /* unreadable */
    }
    try {
      p.exe = await io.readlink(base + '/exe');
    } catch {
      /* unreadable */
    }
  }
  const fdDir = base + '/fd/';
  let names: string[];
  try {
    names = await io.readdir(fdDir);
  } catch (e) {
    const c = code(e);
    if (c === 'ENOENT' || c === 'ESRCH') return { pid, error: c };
    p.fdError = c;
    return p;
  }
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const fd = Number(name);
    if (!Number.isInteger(fd)) continue;
    let link: string;
    try {
      link = await io.readlink(fdDir + name);
    } catch {
      continue; // closed meanwhile
    }
    if (yieldEveryMs > 0 && (i & 63) === 63) await maybeYield();
    const c0 = link.charCodeAt(0);
    if (c0 === 112 /* p */ && link.startsWith('pipe:')) {
      const ino = bracketInode(link, 5);
      if (ino < 0) continue;
      cols.push(pid, fd, FdKind.Pipe, await fdMode(io, fdDir + name, base + '/fdinfo/' + name), ino, 0, null);
    } else if (c0 === 115 /* s */ && link.startsWith('socket:')) {
      const ino = bracketInode(link, 7);
      if (ino < 0) continue;
      // socket fds are always O_RDWR (socket/accept/socketpair): no lstat needed
      cols.push(pid, fd, FdKind.Socket, MODE_R | MODE_W, ino, 0, null);
    } else if (c0 === 47 /* / */) {
      if (link.startsWith('/dev/pts/') || link === '/dev/null' || link.startsWith('/dev/tty')) continue;
      let st: fs.Stats;
      try {
        st = await io.stat(fdDir + name);
      } catch {
        continue;
      }
      let kind = 0;
      if (link.startsWith('/dev/shm/')) kind = FdKind.DevShm;
      else if (st.isFIFO()) kind = FdKind.Fifo;
      else if (st.isFile() && link.indexOf('/', 1) < 0) {
        const mq = getMqueueDev();
        if (mq !== null ? st.dev === mq : !fs.existsSync(link.endsWith(' (deleted)') ? link.slice(0, -10) : link)) kind = FdKind.Mqueue;
      }
      if (kind === 0) continue;
      cols.push(pid, fd, kind, await fdMode(io, fdDir + name, base + '/fdinfo/' + name), st.ino, st.dev, link);
    }
  }
  return p;
}

/** Lists numeric pid directories of procRoot (or the given pids). */
export function listPids(procRoot: string, pids?: number[]): number[] {
  if (pids && pids.length > 0) return [...new Set(pids)].filter((p) => Number.isInteger(p) && p > 0).sort((a, b) => a - b);
  const out: number[] = [];
  for (const name of fs.readdirSync(procRoot)) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const n = Number(name);
    if (Number.isInteger(n) && n > 0) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

export async function walkProcTs(opts: ProcWalkOptions): Promise<ProcWalk> {
  const t0 = performance.now();
  const io = syncIo;
  const pids = listPids(opts.procRoot, opts.pids);
  const cols = new FdColumns();
  const processes: ProcWalkProcess[] = new Array(pids.length);
  lastYield = performance.now();
  for (let i = 0; i < pids.length; i++) {
    processes[i] = await walkOne(io, opts, pids[i], cols);
    if (yieldEveryMs > 0) await maybeYield();
  }
  const n = cols.pid.length;
  return {
    processes,
    fds: {
      pid: Int32Array.from(cols.pid),
      fd: Int32Array.from(cols.fd),
      kind: Uint8Array.from(cols.kind),
      mode: Uint8Array.from(cols.mode),
      inode: Float64Array.from(cols.inode),
      dev: Float64Array.from(cols.dev),
      pathIndex: Int32Array.from(cols.pathIndex),
      buffered: new Float64Array(n).fill(-1),
      capacity: new Float64Array(n).fill(-1),
    },
    paths: cols.paths,
    elapsedMs: performance.now() - t0,
    threads: 1,
  };
}
