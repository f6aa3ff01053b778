// Evidence the snapshot does not carry, gathered by one cheap step after each snapshot, only for
// the candidates the rules ask about (never every process's threads): each candidate thread's
// state, system call and wchan (/proc/PID/task/TID/{stat,syscall,wchan}), the processes asleep in
// a given kernel function (one /proc/PID/wchan read each: sleepers.ts), liveness of pids SysV
// objects name, lstat of FIFO and socket paths, and the socket files in the usual runtime directories.
// What a path names depends on who looks: each path request gets its own verdict for its holder
// (keyed by pathKey), so a container's or a chrooted process's name is never judged by what the
// same text names for us.
// Everything is bounded: a deadline, a number of processes, threads per process and directory
// entries; what was cut short is said in `notes`. The rules decide what to ask for and what the
// facts mean; this file only reads.
import type { FilesInFlight } from '../filesInFlight';
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commBytes, parseStat, statCommHex } from '../parsers/procPid';
import { devText, readMountTable, SafeLstat, fileType, type FileType, type MountCache } from './paths';
import { findSleepers, sleepersNote, type SleeperRequest, type Sleepers } from './sleepers';
import { askInFlight, type InFlightAsk, type InFlightFacts } from './inFlight';
import { defaultSocketRoots, recheckSocketFiles, scanSocketFiles, type ScanRoot, type SocketFile, type SocketScanCache } from './socketFiles';
import { parseSyscall, type SyscallState } from './syscalls';
import { plural } from '../text';

export interface ThreadFacts {
  tid: number;
  /** One-letter state of the thread (R, S, D, T, t, Z …), '?' when unreadable. */
  state: string;
  syscall: SyscallState;
  /** Kernel function the thread sleeps in (`anon_pipe_write`, `do_semtimedop`, …); null when unreadable or '0'. */
  wchan: string | null;
}

export interface ProcessFacts {
  pid: number;
  startTime: number | null;
  state: string;
  comm: string;
  /** comm's bytes in hex, only when they are not UTF-8 (comm then has U+FFFD for the bad bytes), as ProcessInfo.commBytes. */
  commBytes?: string;
  threads: ThreadFacts[];
  /** Threads the process had (every entry of /proc/PID/task, also those past maxThreads); absent when not listed. */
  threadCount?: number;
  /** Every thread was read (not cut by maxThreads or the deadline, none unreadable). */
  complete: boolean;
  /** Why the threads could not be read (EACCES without ptrace rights, ESRCH when gone). */
  error?: string;
}

export interface Liveness {
  alive: boolean;
  startTime?: number;
  state?: string;
  comm?: string;
  /** comm's bytes in hex, only when they are not UTF-8. */
  commBytes?: string;
}

export interface PathFacts {
  path: string;
  /** What lstat saw; `missing` = no such file; `unchecked` = not looked at (see reason). */
  type: FileType | 'missing' | 'unchecked';
  dev?: string;
  inode?: number;
  uid?: number;
  reason?: string;
}

export interface Evidence {
  /** performance.now()-free wall time of the gathering, ms since the epoch. */
  takenAt: number;
  ms: number;
  processes: Map<number, ProcessFacts>;
  liveness: Map<number, Liveness>;
  /** Each path request's verdict, by pathKey(path, pid): the same text may name different files for different holders. */
  paths: Map<string, PathFacts>;
  socketFiles: SocketFile[] | null;
  /** Processes found asleep in a kernel function a rule asked about (EvidenceRequest.sleepers); absent when none asked. */
  sleepers?: Sleepers;
  /** Files in flight over Unix sockets (EvidenceRequest.inFlight); absent when none asked. */
  inFlight?: InFlightFacts;
  /** Directories read for socket files. */
  scanned: string[];
  notes: string[];
  deadlineHit: boolean;
  /** Time per step (threads, pids, paths, socket files), ms. */
  phaseMs: Record<string, number>;
}

export interface PathRequest {
  path: string;
  /** A process that holds the object: its mount namespace must be ours for the path to mean the same file. */
  pid: number;
  /** What the path named when the object was made (dev `major:minor`, inode): when lstat agrees, the namespace check is skipped. */
  expect?: { dev: string; inode: number };
  /**
   * The path is a name as its process gave it (a socket's bind address), resolved from that
   * process's root — not a path the kernel rendered from ours (an fd link): it means the same
   * file only when the holder's root is ours too (a chroot, which any user can enter through a
   * user namespace, gives the same text another meaning).
   */
  asNamed?: boolean;
}

/** Where a path request's verdict is kept in Evidence.paths. */
export function pathKey(p: string, pid: number): string {
  return `${pid}:${p}`;
}

/**
 * Text that was not UTF-8 reaches us decoded, each bad byte as U+FFFD: lstat of that text
 * names another file (or none), so such a path is not compared at all.
 */
const LOSSY = '\ufffd';

/**
 * Directory entries the socket-file scan reads at most, a quarter of them of any one directory: a
 * busy /tmp has a few thousand (this machine's 1,665; VS Code alone leaves hundreds of sockets),
 * and reading an entry costs well under a microsecond — the scan's deadline is what bounds it.
 */
export const SOCKET_SCAN_MAX_ENTRIES = 20_000;

/** lstat results kept between refreshes, per directory: reused while the directory's mtime is unchanged. */
export interface PathCache {
  dirs: Map<string, { mtimeMs: number; at: number }>;
  paths: Map<string, PathFacts>;
}

/** What one rule wants looked at. */
export interface EvidenceRequest {
  /** Processes whose threads to read. */
  threads?: Iterable<number>;
  /**
   * Called after each round of thread reads with the facts of that round: more pids to read (to
   * follow a wait chain). Rounds stop at maxProcesses or the deadline.
   */
  follow?: (round: readonly ProcessFacts[]) => Iterable<number>;
  /** Processes of the machine whose main thread sleeps in one of these kernel functions: their threads are read too (sleepers.ts: within a budget, going on where the last scan stopped). */
  sleepers?: SleeperRequest;
  liveness?: Iterable<number>;
  /** Unix sockets whose fdinfo (or the BPF walk's pass) says how many files wait in them (inFlight.ts). */
  inFlight?: InFlightAsk;
  paths?: Iterable<PathRequest>;
  /** Scan for socket files: the usual runtime directories plus these. */
  socketDirs?: Iterable<string>;
}

export interface EvidenceOptions {
  procRoot?: string;
  /** Whole step, ms (default 60). */
  deadlineMs?: number;
  /** What each phase may still use past the deadline, ms (default 5; see gatherEvidence's `late`). */
  minPhaseMs?: number;
  /** Processes whose threads are read (default 64). */
  maxProcesses?: number;
  /** Threads read per process (default 64). */
  maxThreads?: number;
  /** Socket-file scan: roots with depths (default defaultSocketRoots()), entries read at most (SOCKET_SCAN_MAX_ENTRIES; a quarter of them of any one directory). */
  socketRoots?: readonly ScanRoot[];
  socketMaxEntries?: number;
  /** Reuse a directory scan this young (ms, default 10000; 0 = scan every time); its files are lstat'ed again. */
  socketScanMaxAgeMs?: number;
  /** Where the last scan is kept between calls (the Diagnoser's). */
  socketCache?: SocketScanCache;
  /** Where path lstat results are kept between calls (the Diagnoser's); each is at most `socketScanMaxAgeMs` old. */
  pathCache?: PathCache;
  /** The mount table of the last call (the Diagnoser's): parsed again only when /proc/self/mountinfo's text changed. */
  mountCache?: MountCache;
  /**
   * The socket-file scan's own time budget, ms from its start (default: what is left of
   * `deadlineMs`, at least `minPhaseMs`). A run that refreshes (the views) keeps to the refresh's
   * budget and goes on next time; a one-shot run (the CLI's doctor: ONE_SHOT_EVIDENCE) gives the
   * scan time to finish, still bounded.
   */
  socketScanMs?: number;
  /** No refresh follows this run's last diagnosis (the CLI's doctor): its notes must not promise one. */
  oneShot?: boolean;
  /** Unix sockets' files in flight as the snapshot's BPF walk read them (SnapshotOptions.filesInFlight): those are not read again. */
  filesInFlight?: FilesInFlight;
}

/**
 * What a one-shot run (the CLI's `doctor`) gives the evidence: no refresh goes on with a
 * socket-file scan its deadline cut, so the scan gets seconds instead of the views' shared 60 ms
 * (at most 3 s; /tmp, /run and the runtime directories take a few ms to a few hundred on a
 * loaded machine), and the notes say what was left out without promising a next refresh. The
 * other phases (threads' wait states, …) get 1 s instead of 60 ms: the doctor's answer is its last
 * snapshot's, and on a loaded machine 60 ms could cut the thread reads of that one, which drops
 * what lasts (a wait cycle needs two sightings in a row) and turned a deadlock's exit 1 into 0.
 */
export const ONE_SHOT_EVIDENCE = { socketScanMs: 3000, deadlineMs: 1000, oneShot: true } as const satisfies EvidenceOptions;

/** The note of a socket-file scan cut short: a refreshing run goes on next time (`progress`), a one-shot run does not. */
export function socketScanNote(truncated: string, progress: boolean, oneShot: boolean): string {
  const head = `socket-file scan stopped early (${truncated}): stale sockets beyond it are not reported`;
  if (!progress) return head;
  return oneShot ? `${head} in this run` : `${head} yet (the next refresh goes on)`;
}

function read(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

/**
 * /proc/PID/stat parsed, with comm's bytes (between the first `(` and the last `)`, as the walks
 * take them) when they are not UTF-8: the text has U+FFFD there, which two such names share.
 */
function readStat(file: string): { ps: ReturnType<typeof parseStat>; commBytes?: string } {
  let b: Buffer;
  try {
    b = fs.readFileSync(file);
  } catch {
    return { ps: null };
  }
  const ps = parseStat(b.toString('utf8'));
  if (!ps || isUtf8(b)) return { ps };
  const hex = commBytes(statCommHex(b));
  return hex !== undefined ? { ps, commBytes: hex } : { ps };
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'EIO';
}

/** `late`: true once the thread reads must stop (the evidence's deadline); a cut leaves `complete` false. */
export function readThreads(procRoot: string, pid: number, maxThreads: number, late: () => boolean): ProcessFacts {
  const base = path.join(procRoot, String(pid));
  const { ps, commBytes } = readStat(path.join(base, 'stat'));
  const facts: ProcessFacts = { pid, startTime: ps?.startTime ?? null, state: ps?.state ?? '?', comm: ps?.comm ?? '', ...(commBytes !== undefined ? { commBytes } : {}), threads: [], complete: false };
  if (!ps) {
    facts.error = 'ESRCH';
    return facts;
  }
  let tids: number[];
  try {
    tids = fs
      .readdirSync(path.join(base, 'task'))
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0)
      .sort((a, b) => a - b);
  } catch (e) {
    facts.error = errCode(e);
    return facts;
  }
  facts.threadCount = tids.length;
  let complete = tids.length <= maxThreads;
  for (const tid of tids.slice(0, maxThreads)) {
    if (late()) {
      complete = false;
      break;
    }
    const tdir = path.join(base, 'task', String(tid));
    const tstat = read(path.join(tdir, 'stat'));
    if (tstat === null) continue; // thread exited meanwhile
    const tps = parseStat(tstat);
    let syscall: SyscallState;
    try {
      syscall = parseSyscall(fs.readFileSync(path.join(tdir, 'syscall'), 'utf8'));
    } catch (e) {
      syscall = { kind: 'unknown' };
      if (!facts.error) facts.error = errCode(e);
      complete = false;
    }
    const w = read(path.join(tdir, 'wchan'));
    facts.threads.push({ tid, state: tps?.state ?? '?', syscall, wchan: w && w !== '0' ? w.trim() : null });
  }
  facts.complete = complete && facts.threads.length > 0;
  return facts;
}

export function readLiveness(procRoot: string, pid: number): Liveness {
  if (!(pid > 0)) return { alive: false };
  const { ps, commBytes } = readStat(path.join(procRoot, String(pid), 'stat'));
  if (!ps) return { alive: false };
  return { alive: true, startTime: ps.startTime, state: ps.state, comm: ps.comm, ...(commBytes !== undefined ? { commBytes } : {}) };
}

function nsOf(procRoot: string, pid: number | 'self', cache: Map<number | 'self', string | null>): string | null {
  if (cache.has(pid)) return cache.get(pid)!;
  let v: string | null = null;
  try {
    v = fs.readlinkSync(path.join(procRoot, String(pid), 'ns', 'mnt'));
  } catch {
    v = null;
  }
  cache.set(pid, v);
  return v;
}

/**
 * The process's root as our root names it: '/' unless it is chrooted (readlink renders the
 * path without touching the file system, so a hung mount cannot block it); null when unreadable.
 */
function rootOf(procRoot: string, pid: number, cache: Map<number, string | null>): string | null {
  if (cache.has(pid)) return cache.get(pid)!;
  let v: string | null = null;
  try {
    v = fs.readlinkSync(path.join(procRoot, String(pid), 'root'));
  } catch {
    v = null;
  }
  cache.set(pid, v);
  return v;
}

/** Why SafeLstat did not look at a path, in our words (its reason may carry a mount's type, which a FUSE mounter names). */
function skipKind(reason: string | undefined): string {
  if (reason?.startsWith('on a ')) return 'on a file system that could hang (FUSE, network)';
  if (reason?.includes('symlink owned')) return "through another user's symlink";
  return 'unreadable';
}

/** Reads what the requests ask for, within the options' bounds. */
/**
 * Keeps the path cache to what is asked about now: the directories this call looked at (all of
 * them when it ran to the end; when the deadline cut it short, the others stay until a call that
 * does) and none older than maxAge (they would be re-read anyway); paths only under a kept
 * directory. Without this every socket or FIFO directory ever seen stayed (a tmux, ssh-agent or
 * test-suite directory made and removed per session: hundreds an hour on a busy machine).
 */
function prunePathCache(pc: PathCache, looked: ReadonlyMap<string, number | null>, cut: boolean, now: number, maxAge: number): void {
  for (const [dir, d] of pc.dirs) if ((!cut && !looked.has(dir)) || now - d.at > maxAge) pc.dirs.delete(dir);
  for (const p of pc.paths.keys()) if (!pc.dirs.has(path.dirname(p))) pc.paths.delete(p);
}

export function gatherEvidence(requests: readonly EvidenceRequest[], opts: EvidenceOptions = {}): Evidence {
  const t0 = performance.now();
  const deadline = t0 + (opts.deadlineMs ?? 60);
  const minPhaseMs = opts.minPhaseMs ?? 5;
  const procRoot = opts.procRoot ?? '/proc';
  const maxProcesses = opts.maxProcesses ?? 64;
  const maxThreads = opts.maxThreads ?? 64;
  const ev: Evidence = { takenAt: Date.now(), ms: 0, processes: new Map(), liveness: new Map(), paths: new Map(), socketFiles: null, scanned: [], notes: [], deadlineHit: false, phaseMs: {} };
  let mark = t0;
  const phase = (name: string) => {
    const t = performance.now();
    ev.phaseMs[name] = t - mark;
    mark = t;
  };
  // Each phase may go on for minPhaseMs past the deadline: on a busy machine the thread reads
  // alone can use the whole budget on every refresh, and the phases after them (the paths, the
  // stale-socket scan) would then never run at all, refresh after refresh.
  const late = (what: string): boolean => {
    const now = performance.now();
    if (now <= deadline || now - mark <= minPhaseMs) return false;
    if (!ev.deadlineHit) ev.notes.push(`evidence deadline (${opts.deadlineMs ?? 60} ms) reached while reading ${what}: some problems may be missing`);
    ev.deadlineHit = true;
    return true;
  };

  // 1. threads, in rounds: each round's facts may ask for more (wait chains)
  let round = new Set<number>();
  for (const r of requests) for (const pid of r.threads ?? []) round.add(pid);
  const sleepers = requests.flatMap((r) => (r.sleepers ? [r.sleepers] : []));
  if (sleepers.length > 0) {
    ev.sleepers = findSleepers(procRoot, sleepers, () => late('wchan'));
    for (const pid of ev.sleepers.found.keys()) round.add(pid);
    const note = sleepersNote(ev.sleepers, opts.oneShot === true);
    if (note) ev.notes.push(note);
    phase('wchan');
  }
  const follows = requests.map((r) => r.follow).filter((f): f is NonNullable<EvidenceRequest['follow']> => !!f);
  let capped = false;
  let denied = 0;
  while (round.size > 0 && !late('threads')) {
    const facts: ProcessFacts[] = [];
    for (const pid of round) {
      if (ev.processes.has(pid)) continue;
      if (ev.processes.size >= maxProcesses) {
        capped = true;
        break;
      }
      if (late('threads')) break;
      // the same stop as the phase's (its grace past the deadline included), so a cut marks the diagnosis partial
      const f = readThreads(procRoot, pid, maxThreads, () => late('threads'));
      if (f.error === 'EACCES' || f.error === 'EPERM') denied++;
      ev.processes.set(pid, f);
      facts.push(f);
    }
    const next = new Set<number>();
    if (facts.length > 0) for (const follow of follows) for (const pid of follow(facts)) if (!ev.processes.has(pid)) next.add(pid);
    round = next;
  }
  if (capped) ev.notes.push(`threads read for ${maxProcesses} processes only (limit): some wait chains may be cut`);
  if (denied > 0) ev.notes.push(`could not read the threads of ${plural(denied, 'process', 'processes')} (no ptrace permission: run as root to see what they wait on)`);
  phase('threads');

  // 2. liveness of pids named by SysV objects
  for (const r of requests) {
    for (const pid of r.liveness ?? []) {
      if (ev.liveness.has(pid)) continue;
      if (late('pids')) break;
      ev.liveness.set(pid, readLiveness(procRoot, pid));
    }
  }

  phase('pids');
  // 3. files in flight over Unix sockets (one request: the rule that asks builds it from the whole
  // snapshot). Its own budget, past the deadline too: cut at a fixed point every time, the same
  // sockets would go unread at every refresh (it runs only while a pipe misses an end)
  const inFlight = requests.find((r) => r.inFlight)?.inFlight;
  if (inFlight) {
    ev.inFlight = askInFlight(procRoot, inFlight, opts.filesInFlight);
    phase('in flight');
  }
  // 4. paths (FIFOs, bound sockets): lstat only, in our own mount namespace only
  const mounts = readMountTable(procRoot, opts.mountCache);
  const safe = new SafeLstat(mounts);
  const ns = new Map<number | 'self', string | null>();
  const roots = new Map<number, string | null>();
  const selfNs = nsOf(procRoot, 'self', ns);
  // the mount table is ours to read, not the paths' grace to spend
  phase('mounts');
  /** lstat of each path in our own view, shared by every holder that asks about it. */
  const ours = new Map<string, PathFacts>();
  // a directory whose mtime did not change had nothing unlinked, created or renamed in it: its
  // paths' last answers still hold (re-read at least every maxAge)
  const pc = opts.pathCache;
  const maxAge = opts.socketScanMaxAgeMs ?? 10000;
  const now = Date.now();
  const dirState = new Map<string, number | null>();
  const dirOk = (dir: string): boolean => {
    if (!pc) return false;
    let m = dirState.get(dir);
    if (m === undefined) {
      m = safe.dirMtime(dir);
      dirState.set(dir, m);
      const old = pc.dirs.get(dir);
      if (m === null || !old || old.mtimeMs !== m || now - old.at > maxAge) {
        if (m === null) pc.dirs.delete(dir);
        else pc.dirs.set(dir, { mtimeMs: m, at: now });
        for (const p of pc.paths.keys()) if (path.dirname(p) === dir) pc.paths.delete(p);
        return false;
      }
    }
    return m !== null;
  };
  let pathsCut = false;
  /** Paths lstat was not tried on, by why (a file system that could hang, another user's symlink): said in the notes, or "no problems" would read as "all checked". */
  const notLooked = new Map<string, number>();
  for (const r of requests) {
    for (const req of r.paths ?? []) {
      const key = pathKey(req.path, req.pid);
      if (ev.paths.has(key)) continue;
      if (req.path.includes(LOSSY)) {
        ev.paths.set(key, { path: req.path, type: 'unchecked', reason: 'the name is not UTF-8: its text names another file' });
        continue;
      }
      let facts = ours.get(req.path);
      if (!facts) {
        // at least one path a call, as the socket scan reads at least one directory: a machine
        // busy enough to spend the grace before the first lstat must not starve the phase
        if (ours.size > 0 && late('paths')) {
          pathsCut = true;
          break;
        }
        const dir = path.dirname(req.path);
        const cached = dirOk(dir) ? pc!.paths.get(req.path) : undefined;
        if (cached) facts = cached;
        else {
          const l = safe.lstat(req.path);
          if (l.missing) facts = { path: req.path, type: 'missing' };
          else if (!l.stat) {
            facts = { path: req.path, type: 'unchecked', reason: l.skipped };
            notLooked.set(skipKind(l.skipped), (notLooked.get(skipKind(l.skipped)) ?? 0) + 1);
          }
          else facts = { path: req.path, type: fileType(l.stat), dev: devText(l.stat.dev), inode: l.stat.ino, uid: l.stat.uid };
          if (pc && facts.type !== 'unchecked') pc.paths.set(req.path, facts);
        }
        ours.set(req.path, facts);
      }
      // what the path names means the same only in the holder's mount namespace, and a name it
      // gave only from its own root (checked unless it agrees)
      const agrees = req.expect && facts.dev === req.expect.dev && facts.inode === req.expect.inode;
      if (!agrees && facts.type !== 'unchecked') {
        const theirs = nsOf(procRoot, req.pid, ns);
        const root = req.asNamed ? rootOf(procRoot, req.pid, roots) : '/';
        if (selfNs === null || theirs === null || theirs !== selfNs) {
          facts = { path: req.path, type: 'unchecked', reason: theirs === null ? 'mount namespace of the holder unreadable' : 'the holder is in another mount namespace' };
        } else if (root !== '/') {
          facts = { path: req.path, type: 'unchecked', reason: root === null ? 'root of the holder unreadable' : 'the holder runs in a chroot: the name is resolved from its root, not ours' };
        }
      }
      ev.paths.set(key, facts);
    }
  }
  if (pc) prunePathCache(pc, dirState, pathsCut, now, maxAge);
  if (notLooked.size > 0) {
    const n = [...notLooked.values()].reduce((a, b) => a + b, 0);
    ev.notes.push(`${plural(n, 'socket or FIFO path')} ${n === 1 ? 'was' : 'were'} not looked at (${[...notLooked].map(([why, k]) => `${k} ${why}`).join(', ')}): whether they are stale or taken over is not known`);
  }

  phase('paths');
  // 5. socket files
  const dirs = new Set<string>();
  let wantScan = false;
  for (const r of requests) {
    if (!r.socketDirs) continue;
    wantScan = true;
    for (const d of r.socketDirs) dirs.add(d);
  }
  // The scan runs whatever the phases before it used: it reads at least one directory a call
  // (the listeners' own first), and past its deadline no more; a scan with a budget of its own
  // (socketScanMs) has that budget.
  if (wantScan) {
    const cache = opts.socketCache;
    const maxAge = opts.socketScanMaxAgeMs ?? 10000;
    const fresh = cache?.scan && Date.now() - cache.at < maxAge && [...dirs].every((d) => cache.dirs.has(d));
    if (fresh) {
      ev.socketFiles = recheckSocketFiles(safe, cache!.scan!);
      ev.scanned = cache!.scan!.scanned;
      // a scan a count limit cut is reused as it is: its note with it, on every run that uses it
      const cut = cache!.scan!.truncated;
      if (cut) ev.notes.push(socketScanNote(cut, false, opts.oneShot === true));
    } else {
      const scan = scanSocketFiles(safe, {
        roots: opts.socketRoots ?? defaultSocketRoots(),
        dirs: [...dirs],
        maxEntries: opts.socketMaxEntries ?? SOCKET_SCAN_MAX_ENTRIES,
        deadline: opts.socketScanMs !== undefined ? mark + opts.socketScanMs : Math.max(deadline, mark + minPhaseMs),
        resume: cache?.partial,
      });
      ev.socketFiles = scan.files;
      ev.scanned = scan.scanned;
      if (scan.truncated) ev.notes.push(socketScanNote(scan.truncated, scan.progress !== undefined, opts.oneShot === true));
      if (scan.truncated === 'deadline reached') {
        ev.deadlineHit = true;
        if (cache) cache.partial = scan.progress;
      } else if (cache) {
        cache.at = Date.now();
        cache.scan = scan;
        cache.dirs = dirs;
        cache.partial = undefined;
      }
    }
  }
  phase('socket files');
  ev.ms = performance.now() - t0;
  return ev;
}

/** Evidence with nothing in it (a rule run with no I/O, e.g. on a captured snapshot). */
export function emptyEvidence(): Evidence {
  return { takenAt: Date.now(), ms: 0, processes: new Map(), liveness: new Map(), paths: new Map(), socketFiles: null, scanned: [], notes: [], deadlineHit: false, phaseMs: {} };
}
