// The pure-TypeScript fd walk: same ProcWalk shape as the native addon's walkProc, built from
// readdir/readlink/lstat/stat, applying the same rules (core/kinds FdRule, MapsRule). Used when
// the addon is missing or fails. Pipes are never measured here (no FIONREAD without the addon).
//
// Cost per fd: one readlink; an lstat only for fds a rule reports (mode bits of the /proc link:
// r-x read, -wx write, rwx both); a stat only for path links when a `/` rule exists; an fdinfo
// read only for rules with fdinfo keys.
// The calls are synchronous (2-3× cheaper than fs.promises here); on the main thread the walk
// yields to the event loop (setImmediate) every few milliseconds so it never blocks for long.
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { MODE_R, MODE_UNLINKED, MODE_W, type ProcWalk, type ProcWalkOptions, type ProcWalkProcess } from './native';
import type { FdRule } from './kinds/kind';
import { filterMaps, parseFdinfo, parseStatus, statCommHex } from './parsers/procPid';
import { fdExhaustionError, isFdExhaustion } from './fdLimit';
import { UserBudget } from './userBudget';
import { boundMaps, cmdlineBudget, MapsBudget, MAPS_READ_MAX, MOUNTINFO_MAX, timersBudget, type TextBudget } from './textBounds';

interface Io {
  readFile(p: string): string | Promise<string>;
  /** The file's bytes (stat, cmdline: texts a process chooses, which need not be UTF-8). */
  readBytes(p: string): Buffer | Promise<Buffer>;
  /** The link's bytes (read again only for a link whose text shows U+FFFD). */
  readlinkBytes(p: string): Buffer | Promise<Buffer>;
  /** The first `max` bytes of a file (maps: another user decides how long it is). */
  readHead?(p: string, max: number): Buffer;
  readlink(p: string): string | Promise<string>;
  readdir(p: string): string[] | Promise<string[]>;
  lstatMode(p: string): number | Promise<number>;
  stat(p: string): fs.Stats | Promise<fs.Stats>;
  /** f_type of the filesystem p is on. */
  statfsType(p: string): number | Promise<number>;
}

const syncIo: Io = {
  readFile: (p) => fs.readFileSync(p, 'utf8'),
  readBytes: (p) => fs.readFileSync(p),
  readlinkBytes: (p) => fs.readlinkSync(p, { encoding: 'buffer' }),
  readHead: (p, max) => {
    const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOCTTY);
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      while (total < max) {
        const b = Buffer.allocUnsafe(Math.min(65536, max - total));
        const n = fs.readSync(fd, b, 0, b.length, null);
        if (n === 0) break;
        chunks.push(n === b.length ? b : b.subarray(0, n));
        total += n;
      }
      return Buffer.concat(chunks);
    } finally {
      fs.closeSync(fd);
    }
  },
  readlink: (p) => fs.readlinkSync(p),
  readdir: (p) => fs.readdirSync(p),
  lstatMode: (p) => fs.lstatSync(p).mode,
  stat: (p) => fs.statSync(p),
  statfsType: (p) => fs.statfsSync(p).type,
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
  /** Paths that are not UTF-8: their index in `paths` and their bytes in hex (as the native walks give them). */
  pathHexAt: number[] = [];
  pathHex: string[] = [];
  infoIndex: number[] = [];
  infos: string[] = [];
  /**
   * Paths stored, by their text (or bytes): rows of one path share it. Another user can dup one
   * FIFO fd at a 4,094-byte path to the fd limit in as many processes as they like.
   */
  private readonly pathAt = new Map<string, number>();
  /**
   * The fd-row budget (ProcWalkOptions.rowsPerUser), as the native walks apply it: the current
   * process's rows past it are not kept, only counted in `refused`.
   */
  admit: (() => boolean) | null = null;
  refused = 0;
  push(pid: number, fd: number, kind: number, mode: number, inode: number, dev: number, p: string | null, info: string | null, pathHex?: string) {
    if (this.admit !== null && !this.admit()) {
      this.refused++;
      return;
    }
    this.pid.push(pid);
    this.fd.push(fd);
    this.kind.push(kind);
    this.mode.push(mode);
    this.inode.push(inode);
    this.dev.push(dev);
    if (p === null) this.pathIndex.push(-1);
    else {
      const key = pathHex !== undefined ? 'x' + pathHex : 't' + p;
      const at = this.pathAt.get(key);
      if (at !== undefined) this.pathIndex.push(at);
      else {
        if (pathHex !== undefined) {
          this.pathHexAt.push(this.paths.length);
          this.pathHex.push(pathHex);
        }
        if (this.pathAt.size < 65536) this.pathAt.set(key, this.paths.length);
        this.pathIndex.push(this.paths.length);
        this.paths.push(p);
      }
    }
    if (info === null) this.infoIndex.push(-1);
    else {
      this.infoIndex.push(this.infos.length);
      this.infos.push(info);
    }
  }
}

/** Read/write mode of an fd: from its /proc link's owner bits, or from fdinfo flags when the link is not a /proc magic link (captured trees). */
async function fdMode(io: Io, fdPath: string, fdinfoPath: string): Promise<number> {
  let m = 0o700;
  try {
    m = await io.lstatMode(fdPath);
  } catch {
    /* the fd closed meanwhile: its row is dropped with it; the default mode stands */
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
      /* no fdinfo (a captured tree without it): read-write, the default below */
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

/** The file a read failed on, for the process's `errors`. */
function noteError(p: ProcWalkProcess, file: string, e: unknown): void {
  (p.errors ??= []).push({ file, code: code(e) });
}

/** The identity of a bracketed link (`pipe:[123]` after the prefix) as the native walk parses it. */
function bracketAfter(link: string, prefixLen: number): number {
  if (link.charCodeAt(link.length - 1) !== 93 /* ] */) return -1;
  const t = link.slice(prefixLen, -1);
  if (!/^\d{1,19}$/.test(t)) return -1;
  return Number(t);
}

/** A device number (glibc's encoding, as stat gives it) within a rule's major and minor ranges. */
function rdevIn(rdev: number, r: FdRule): boolean {
  if (!r.rdev) return true;
  // glibc's encoding (probes/context.ts devName)
  const low = rdev % 4294967296;
  const high = Math.floor(rdev / 4294967296);
  const major = ((low >>> 8) & 0xfff) | ((high & 0xfffff000) >>> 0);
  const minor = ((low & 0xff) | ((low >>> 12) & 0xfff00) | ((high & 0xfff) << 20)) >>> 0;
  const [lo, hi] = r.rdev.major;
  if (major < lo || major > hi) return false;
  return !r.rdev.minor || (minor >= r.rdev.minor[0] && minor <= r.rdev.minor[1]);
}

/** One fd against the rules (first match wins); pushes its row, or nothing. */
/** One fd: `link` null when the link has no text (ENAMETOOLONG), which only the path rules that need no text match. */
async function visit(io: Io, opts: ProcWalkOptions, rules: readonly FdRule[], pid: number, base: string, fdDir: string, name: string, link: string | null, cols: FdColumns): Promise<void> {
  let st: fs.Stats | null | undefined;
  for (const r of rules) {
    if (link === null) {
      if (r.link !== '/' || r.under || r.mqueue || r.memfd) continue;
    } else if (r.exact ? link !== r.link : !link.startsWith(r.link)) continue;
    let ino = 0;
    let dev = 0;
    if (r.bracket) {
      ino = bracketAfter(link ?? '', r.link.length);
      if (ino < 0) return;
    } else if (r.link === '/') {
      if (st === undefined) {
        if (link !== null && (opts.skipLinks ?? []).some((p) => link.startsWith(p))) return;
        try {
          st = await io.stat(fdDir + name);
        } catch {
          return; // closed meanwhile
        }
      }
      if (st === null) return;
      if (r.type === 'fifo' && !st.isFIFO()) continue;
      if (r.type === 'reg' && !st.isFile()) continue;
      if (r.type === 'chr' && (!st.isCharacterDevice() || !rdevIn(st.rdev, r))) continue;
      if (r.under && (link === null || !link.startsWith(r.under))) continue;
      if (r.mqueue && (link === null || link.indexOf('/', 1) >= 0 || !(await isMqueue(io, opts, fdDir + name, st, link)))) continue;
      if (r.memfd && (link === null || !link.endsWith(' (deleted)') || link.length < (r.under ?? '').length + 10 || !(await isMemfd(io, opts, base, name, st)))) continue;
      ino = r.type === 'chr' ? st.rdev : st.ino; // a device node: which device it is (kinds/kind.ts FdRule)
      dev = st.dev;
    }
    let mode = r.rw ? MODE_R | MODE_W : await fdMode(io, fdDir + name, base + '/fdinfo/' + name);
    // unlinked: the inode says so on this machine's /proc; a captured tree's targets are stand-ins,
    // whose link text is all there is
    if (r.link === '/' && st && (opts.procRoot === '/proc' ? st.nlink === 0 : link !== null && link.endsWith(' (deleted)'))) mode |= MODE_UNLINKED;
    let info: string | null = null;
    if (r.fdinfo && r.fdinfo.length > 0) {
      try {
        const kept = parseFdinfo(await io.readFile(base + '/fdinfo/' + name), r.fdinfo);
        info = [...kept].map(([k, v]) => `${k}:\t${v}`).join('\n');
      } catch {
        info = null; // closed meanwhile: the row carries no fdinfo (infoIndex -1), as the native walk's
      }
    }
    const shown = r.link === '/' ? link : null;
    cols.push(pid, Number(name), r.code, mode, ino, dev, shown, info, shown !== null && shown.includes('\ufffd') ? await linkHex(io, fdDir + name, shown) : undefined);
    return;
  }
}

/**
 * A link whose text shows U+FFFD: its bytes in hex when they are not UTF-8 (the text is then
 * lossy), read again as bytes and kept only if they still decode to that text (the fd was not
 * replaced meanwhile). Undefined for a name that holds U+FFFD itself.
 */
async function linkHex(io: Io, fdPath: string, text: string): Promise<string | undefined> {
  try {
    const b = await io.readlinkBytes(fdPath);
    return !isUtf8(b) && b.toString('utf8') === text ? b.toString('hex') : undefined;
  } catch {
    return undefined; // closed meanwhile: the text is all there is
  }
}

/** A /proc text a process chooses (stat's comm, cmdline): the text, and its bytes in hex when they are not UTF-8. */
async function readChosen(io: Io, file: string): Promise<{ text: string; hex?: string }> {
  return chosen(await io.readBytes(file));
}

/** A /proc text another user chooses the length of, bounded as the native walks bound it: one byte past the bound tells a text cut short. */
async function readBounded(io: Io, file: string, budget: TextBudget, uid: number, record?: string): Promise<{ bytes: Buffer; truncated: boolean }> {
  const max = budget.max(uid);
  return budget.keep(io.readHead ? io.readHead(file, max + 1) : await io.readBytes(file), uid, record);
}

function chosen(b: Buffer): { text: string; hex?: string } {
  return isUtf8(b) ? { text: b.toString('utf8') } : { text: b.toString('utf8'), hex: b.toString('hex') };
}

const MQUEUE_MAGIC = 0x19800202;

/**
 * A queue: on this machine's /proc, a file of a mqueue filesystem — the one mounted on /dev/mqueue
 * or any other IPC namespace's (a container's queues are on their own), told by the filesystem's
 * magic. In a captured tree: on the mqueue mount, or without one a name that is no file here.
 */
async function isMqueue(io: Io, opts: ProcWalkOptions, fdPath: string, st: fs.Stats, link: string): Promise<boolean> {
  const mq = getMqueueDev();
  if (mq !== null && st.dev === mq) return true;
  if (opts.procRoot === '/proc') {
    try {
      return (await io.statfsType(fdPath)) === MQUEUE_MAGIC;
    } catch {
      return false; // closed meanwhile
    }
  }
  return mq === null && !fs.existsSync(link.endsWith(' (deleted)') ? link.slice(0, -10) : link);
}

const TMPFS_MAGIC = 0x01021994;
/** Per device: files on it are memfds (the kernel's internal shmem mount), or not. */
const memfdDevs = new Map<number, boolean>();

/**
 * A memfd: on this machine's /proc, a file of a tmpfs on a mount the holder's mountinfo does not
 * list (its fdinfo's mnt_id) — the kernel's internal shmem mount memfd_create puts its files on
 * (the native walks compare the device with a memfd of their own; Node cannot make one). Decided
 * once per device. In a captured tree: the link text is all there is.
 */
async function isMemfd(io: Io, opts: ProcWalkOptions, base: string, name: string, st: fs.Stats): Promise<boolean> {
  if (opts.procRoot !== '/proc') return true;
  const known = memfdDevs.get(st.dev);
  if (known !== undefined) return known;
  let memfd = false;
  try {
    if ((await io.statfsType(base + '/fd/' + name)) === TMPFS_MAGIC) {
      const mnt = /^mnt_id:\s*(\d+)$/m.exec(await io.readFile(base + '/fdinfo/' + name));
      // (another user decides how long their namespace's table is: read at most MOUNTINFO_MAX of
      // it, and a table cut short tells nothing is missing from it)
      const raw = io.readHead ? io.readHead(base + '/mountinfo', MOUNTINFO_MAX + 1) : await io.readBytes(base + '/mountinfo');
      const mounts = raw.toString('latin1', 0, Math.min(raw.length, MOUNTINFO_MAX));
      memfd = mnt !== null && raw.length <= MOUNTINFO_MAX && !mounts.split('\n').some((l) => l.startsWith(mnt[1] + ' '));
    }
  } catch {
    return false; // closed meanwhile: decided on the next one
  }
  if (memfdDevs.size < 64) memfdDevs.set(st.dev, memfd);
  return memfd;
}


async function walkOne(
  io: Io, opts: ProcWalkOptions, pid: number, cols: FdColumns, budgets: { maps: MapsBudget; cmdline: TextBudget; timers: TextBudget; rows: UserBudget | null },
): Promise<ProcWalkProcess> {
  const base = path.join(opts.procRoot, String(pid));
  const p: ProcWalkProcess = { pid };
  try {
    const stat = await readChosen(io, base + '/stat');
    p.stat = stat.text;
    if (stat.hex !== undefined) {
      // comm's bytes, as the native walks give them
      const hex = statCommHex(Buffer.from(stat.hex, 'hex'));
      if (hex !== undefined) p.commHex = hex;
    }
    p.status = await io.readFile(base + '/status');
  } catch (e) {
    return { pid, error: code(e) };
  }
  const uid = parseStatus(p.status).uid ?? -1;
  try {
    const kept = await readBounded(io, base + '/cmdline', budgets.cmdline, uid);
    const cmdline = chosen(kept.bytes);
    p.cmdline = cmdline.text;
    if (cmdline.hex !== undefined) p.cmdlineHex = cmdline.hex;
    if (kept.truncated) (p.errors ??= []).push({ file: 'cmdline', code: 'EFBIG' });
  } catch (e) {
    p.cmdline = '';
    noteError(p, 'cmdline', e);
  }
  if (opts.readTimers) {
    try {
      const kept = await readBounded(io, base + '/timers', budgets.timers, uid, 'ID: ');
      p.timers = kept.bytes.toString('utf8');
      if (kept.truncated) (p.errors ??= []).push({ file: 'timers', code: 'EFBIG' });
    } catch (e) {
      noteError(p, 'timers', e);
    }
  }
  if (opts.readCgroup) {
    try {
      p.cgroup = await io.readFile(base + '/cgroup');
    } catch (e) {
      noteError(p, 'cgroup', e);
    }
  }
  const mapsRules = opts.mapsRules ?? [];
  if (mapsRules.length > 0) {
    try {
      // the native walks' bounds (native/src/mapsread.h): read, kept per process, kept per walk
      const raw = io.readHead ? io.readHead(base + '/maps', MAPS_READ_MAX) : await io.readBytes(base + '/maps');
      // a path that is not UTF-8 (a /dev/shm name of any bytes): filtered and bounded byte for byte
      // (latin1, one character a byte), then given as the native walks give it, text and bytes
      const utf8 = isUtf8(raw);
      const text = raw.toString(utf8 ? 'utf8' : 'latin1');
      const kept = boundMaps(filterMaps(text, mapsRules), budgets.maps, uid);
      const keptBytes = utf8 ? null : Buffer.from(kept.text, 'latin1');
      p.maps = keptBytes ? keptBytes.toString('utf8') : kept.text;
      if (keptBytes && !isUtf8(keptBytes)) p.mapsHex = keptBytes.toString('hex');
      if (kept.truncated || raw.length >= MAPS_READ_MAX) (p.errors ??= []).push({ file: 'maps', code: 'EFBIG' });
    } catch (e) {
      noteError(p, 'maps', e);
    }
  }
  try {
    p.netns = await io.readlink(base + '/ns/net');
  } catch (e) {
    if (code(e) !== 'ENOENT') noteError(p, 'ns/net', e); // a zombie has no namespaces (as the native walks)
  }
  try {
    p.ipcns = await io.readlink(base + '/ns/ipc');
  } catch {
    /* refused as ns/net was (noted there): the process is taken as one of ours */
  }
  try {
    p.mntns = await io.readlink(base + '/ns/mnt');
  } catch {
    /* as ns/ipc */
  }
  if (opts.readLinks) {
    for (const link of ['cwd', 'exe'] as const) {
      try {
        const text = await io.readlink(base + '/' + link);
        p[link] = text;
        if (text.includes('\ufffd')) {
          const hex = await linkHex(io, base + '/' + link, text);
          if (hex !== undefined) p[link === 'cwd' ? 'cwdHex' : 'exeHex'] = hex;
        }
      } catch (e) {
        if (code(e) !== 'ENOENT') noteError(p, link, e); // a kernel thread or a zombie has none
      }
    }
  }
  const rules = opts.fdRules ?? [];
  if (rules.length === 0) return p;
  const rows = budgets.rows;
  // the snapshot's fd-row budget, row by row in this walk's order (FdIndex counts the same way)
  cols.admit = rows && (() => {
    if (rows.spent(uid)) return false;
    rows.spend(uid, 1);
    return true;
  });
  cols.refused = 0;
  try {
    const out = await walkFds(io, opts, rules, pid, base, p, cols);
    if (cols.refused > 0) out.fdsPastBudget = cols.refused;
    return out;
  } finally {
    cols.admit = null;
  }
}

async function walkFds(io: Io, opts: ProcWalkOptions, rules: readonly FdRule[], pid: number, base: string, p: ProcWalkProcess, cols: FdColumns): Promise<ProcWalkProcess> {
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
    let link: string | null;
    try {
      link = await io.readlink(fdDir + name);
    } catch (e) {
      const c = code(e);
      // listed, but its link refused (no ptrace read access to the process: an LSM, a process of
      // a user namespace above ours): none of its fds can be seen — a read error of the process,
      // as an unreadable fd directory is, not an fd closed meanwhile (the snapshot then says
      // processes are hidden, and the diagnosis cannot say nobody holds a pipe's other end)
      if (c === 'EACCES' || c === 'EPERM') {
        p.fdError = c;
        p.fdErrorSyscall = 'readlink';
        return p;
      }
      // a path longer than a page has no link text: the fd is still a file of its type (a FIFO),
      // seen without a path, as the native walks see it — nothing hides by a long name
      if (c !== 'ENAMETOOLONG') continue; // closed meanwhile
      link = null;
    }
    if (yieldEveryMs > 0 && (i & 63) === 63) await maybeYield();
    await visit(io, opts, rules, pid, base, fdDir, name, link, cols);
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
  let pids: number[];
  try {
    pids = listPids(opts.procRoot, opts.pids);
  } catch (e) {
    throw isFdExhaustion(code(e)) ? fdExhaustionError(code(e), opts.procRoot) : e;
  }
  const cols = new FdColumns();
  const budgets = {
    maps: new MapsBudget(), cmdline: cmdlineBudget(), timers: timersBudget(),
    rows: opts.rowsPerUser || opts.rowsTotal ? new UserBudget(opts.rowsTotal || Infinity, opts.rowsPerUser || Infinity) : null,
  };
  const processes: ProcWalkProcess[] = new Array(pids.length);
  lastYield = performance.now();
  for (let i = 0; i < pids.length; i++) {
    processes[i] = await walkOne(io, opts, pids[i], cols, budgets);
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
      infoIndex: Int32Array.from(cols.infoIndex),
      buffered: new Float64Array(n).fill(-1),
      capacity: new Float64Array(n).fill(-1),
    },
    paths: cols.paths,
    ...(cols.pathHexAt.length ? { pathHexAt: cols.pathHexAt, pathHex: cols.pathHex } : {}),
    infos: cols.infos,
    elapsedMs: performance.now() - t0,
    threads: 1,
  };
}
