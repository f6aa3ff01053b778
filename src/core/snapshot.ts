// The snapshot: one call returns every IPC channel on the machine and who holds which end.
//
//   walk (walkBackend.ts: BPF iterator, native walkProc, or procWalk.ts) → per-process text + fd rows
//   parse processes (parsers/procPid.ts)                       → ProcessInfo
//   index fd rows by kernel identity (probes/context.ts)       → O(fds) Maps keyed by inode
//   probes per family (pipes, sysv, posix, sockets)            → channels with endpoints
//   keep processes holding an endpoint + their ancestors       → connected process tree
//
// Deadlines: the native walk gives up a process whose /proc reads do not return (a process in D
// state holding its mmap lock) and everything left at the scan deadline; calls on single objects
// (mq_getattr, the MSG_COPY probe) race a deadline too. What was given up is named in `warnings`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareChannels, markCanonical, sortChannels } from './diff';
import { CHANNEL_KINDS, SNAPSHOT_VERSION, type Capabilities, type Channel, type ChannelKind, type ProcessInfo, type SignalState, type Snapshot } from './model';
import { errnoName, loadBpf, loadNative, type BpfAddon, type BpfWalkPhases, type NativeAddon, type ProcWalk, type ProcWalkOptions, type ProcWalkProcess } from './native';
import { parseCmdline, parseStat, parseStatus, parseTimers } from './parsers/procPid';
import { decodeSigMask } from './signals';
import { FdIndex, netnsId, type Probe, type ProbeContext } from './probes/context';
import { annotateNamespaces } from './namespaces';
import { pipeProbe } from './probes/pipes';
import { posixProbe } from './probes/posix';
import { anonShmProbe } from './probes/anonShm';
import { prefetchSockets, socketProbe } from './probes/sockets';
import { prefetchSysv, sysvProbe } from './probes/sysv';
import { walkProcTs } from './procWalk';
import { withDeadline } from './deadline';
import { runWalk, walkPreference, type WalkPreference } from './walkBackend';
import { activityCapability } from './activity/tracer';
import { userResolver } from './users';

export interface SnapshotOptions {
  /** Root of the proc filesystem (captured trees in tests). Default `/proc`. */
  procRoot?: string;
  /** Only these channel kinds (default: all). Work for other kinds is skipped. */
  kinds?: ChannelKind[];
  /**
   * Only these processes: only their fds/maps are walked, channels are those they hold (plus SysV
   * objects naming them as creator/last pid), and ancestors are not added (they were not read).
   */
  pids?: number[];
  /** Threads for the native walk; 0/undefined = one per core. */
  threads?: number;
  /** false forces the TS path. */
  useNative?: boolean;
  /** default 'ipc': only processes holding at least one channel endpoint, and zombies (unreaped children), plus their ancestors so the tree is connected. */
  processes?: 'ipc' | 'all';
  /** Where passwd lives (user names). Default `/etc`. */
  etcRoot?: string;
  /** Where `mqueue/` and `shm/` live. Default `/dev`. */
  devRoot?: string;
  /** Tests and benchmarks: use this addon (or none) instead of loadNative(). Not for worker options (not cloneable). */
  nativeAddon?: NativeAddon | null;
  /** Root of the container runtimes' state (`var/lib/docker`, `run/containerd`, …). Default `/`. */
  containerStateRoot?: string;
  /** One process (or fd range, or single-object call) still busy after this long is given up and named in `warnings`. Default ITEM_TIMEOUT_MS. */
  itemTimeoutMs?: number;
  /** Whatever the walk has not done by then is given up. Default SCAN_DEADLINE_MS. */
  deadlineMs?: number;
  /** Only the processes in `pids`, no channels: reads just those /proc/PID directories (the inspector panel's process view). */
  processOnly?: boolean;
  /** Which fd walk: 'auto' (default; or IPC_INSPECTOR_WALK) = the BPF iterator where it runs, else the /proc walk. */
  walk?: WalkPreference;
  /** Tests: use this BPF addon (or none) instead of loadBpf(); an injected nativeAddon implies none. */
  bpfAddon?: BpfAddon | null;
  /** Benchmarks: filled with where this snapshot's time went (not cloneable to a worker: in-thread only). */
  timings?: SnapshotTimings;
}

/** Where one snapshot's time went, ms. Probes run side by side; a probe's time includes waiting for its netlink / SysV reads. */
export interface SnapshotTimings {
  walkMs?: number;
  bpf?: BpfWalkPhases;
  indexMs?: number;
  probeMs?: Record<string, number>;
  sortMs?: number;
  finishMs?: number;
}

/** Default per-item timeout of a scan (ms): reading one process normally takes well under 1 ms. */
export const ITEM_TIMEOUT_MS = 5000;
/** Default deadline of the whole walk (ms). */
export const SCAN_DEADLINE_MS = 30000;

export { compareChannels };

const PROFILE = !!process.env.IPC_INSPECTOR_PROFILE;

export const PROBES: readonly Probe[] = [pipeProbe, sysvProbe, posixProbe, anonShmProbe, socketProbe];

function readOpt(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

/** stat's and status's fields of a process, from their text (/proc walks) or from the task (BPF walk). */
function procFields(
  p: ProcWalkProcess,
): { st: ReturnType<typeof parseStat>; uid: number | null; tracerPid: number; signals: SignalState; threads: number | null; nsPid: number[] } | null {
  const t = p.task;
  if (t) {
    const [queued, limit] = t.sigQ.split('/').map(Number);
    return {
      st: { pid: p.pid, ppid: t.ppid, comm: t.comm, state: t.state, startTime: t.startTime, threads: t.threads },
      uid: t.uid,
      tracerPid: t.tracerPid,
      threads: t.threads,
      nsPid: t.nsPid,
      signals: {
        pending: decodeSigMask(t.sigPnd),
        shdPending: decodeSigMask(t.shdPnd),
        blocked: decodeSigMask(t.sigBlk),
        ignored: decodeSigMask(t.sigIgn),
        caught: decodeSigMask(t.sigCgt),
        queued,
        queueLimit: limit,
      },
    };
  }
  if (p.stat === undefined || p.status === undefined) return null;
  const status = parseStatus(p.status);
  return { st: parseStat(p.stat), uid: status.uid, tracerPid: status.tracerPid, signals: status.signals, threads: status.threads, nsPid: status.nsPid };
}

function toProcess(p: ProcWalkProcess, user: (uid: number) => string): ProcessInfo | null {
  if (p.error) return null;
  const f = procFields(p);
  const st = f?.st;
  if (!f || !st) return null;
  if (f.uid === null) return null; // truncated status: never report half-read garbage
  return {
    pid: st.pid,
    ppid: st.ppid,
    comm: st.comm,
    cmdline: parseCmdline(p.cmdline ?? ''),
    uid: f.uid,
    user: user(f.uid),
    startTime: st.startTime,
    state: st.state,
    tracerPid: f.tracerPid,
    signals: f.signals,
    timers: p.timers ? parseTimers(p.timers) : [],
    threads: f.threads ?? st.threads,
    cwd: p.cwd ?? null,
    exe: p.exe ?? null,
    container: null, // filled for the kept processes by annotateNamespaces
    nsPid: f.nsPid,
    pidns: null,
    netns: p.netns ? netnsId(p.netns) : null,
  };
}

/** Names what the walk gave up: processes whose reads did not return, cut fd tables, threads still stuck. */
function reportGivenUp(w: ProcWalk, native: NativeAddon | null, itemTimeoutMs: number, warnings: string[]): void {
  const stuck: string[] = [];
  let notReached = 0;
  const cut: string[] = [];
  for (const p of w.processes) {
    if (!p) continue;
    if (p.error === 'ETIMEDOUT') {
      if (p.stuck) stuck.push(`${p.pid} (${p.stuck})`);
      else notReached++;
    }
    if (p.fdsCut !== undefined) cut.push(`${p.pid}${p.fdsCut ? ` (${p.fdsCut})` : ''}`);
  }
  const list = (a: string[]) => a.slice(0, 5).join(', ') + (a.length > 5 ? `, … ${a.length - 5} more` : '');
  if (stuck.length > 0) {
    warnings.push(
      `scan: ${stuck.length} process${stuck.length === 1 ? '' : 'es'} skipped: a read did not return within ${itemTimeoutMs} ms ` +
        `(a process in D state, e.g. waiting on a hung FUSE or NFS server, blocks reads of its /proc files): ${list(stuck)}`,
    );
  }
  if (notReached > 0) warnings.push(`scan: deadline passed: ${notReached} process${notReached === 1 ? '' : 'es'} not (fully) read`);
  if (cut.length > 0) warnings.push(`scan: fd tables partly skipped (deadline): ${list(cut)}`);
  let threads: { pid: number; what: string; ms: number }[] = [];
  try {
    threads = native?.stuckWalks?.() ?? [];
  } catch {
    /* older addon */
  }
  if (threads.length > 0) {
    warnings.push(
      `scan: ${threads.length} earlier read${threads.length === 1 ? ' is' : 's are'} still blocked in the kernel; those processes are skipped until they return: ` +
        list(threads.map((t) => `${t.pid} (${t.what}, ${Math.round(t.ms / 1000)} s)`)),
    );
  }
}

async function walk(native: NativeAddon | null, o: ProcWalkOptions, warnings: string[]): Promise<ProcWalk> {
  if (native) {
    try {
      return await native.walkProc(o);
    } catch (e) {
      warnings.push(`native fd walk failed (${(e as Error).message}); used the TypeScript walk`);
    }
  }
  return walkProcTs(o);
}

export async function takeSnapshot(opts: SnapshotOptions = {}): Promise<Snapshot> {
  const t0 = performance.now();
  const takenAt = new Date().toISOString();
  const procRoot = opts.procRoot ?? '/proc';
  const kinds = new Set<ChannelKind>(opts.kinds && opts.kinds.length > 0 ? opts.kinds : CHANNEL_KINDS);
  const pidFilter = opts.pids && opts.pids.length > 0 ? new Set(opts.pids) : null;
  const warnings: string[] = [];

  let native: NativeAddon | null = null;
  let nativeError: string | undefined;
  if (opts.useNative === false) nativeError = 'disabled (useNative: false)';
  else if (opts.nativeAddon !== undefined) {
    native = opts.nativeAddon;
    if (!native) nativeError = 'disabled (nativeAddon: null)';
  } else {
    const l = loadNative();
    native = l.addon;
    nativeError = l.error;
  }

  const itemTimeoutMs = opts.itemTimeoutMs ?? ITEM_TIMEOUT_MS;
  const deadlineMs = opts.deadlineMs ?? SCAN_DEADLINE_MS;
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
  const scope = readOpt(path.join(procRoot, 'sys/kernel/yama/ptrace_scope'));
  const capabilities: Capabilities = {
    native: native !== null,
    ...(nativeError && !native ? { nativeError } : {}),
    mqueueMounted: false,
    sockDiag: false,
    msgCopy: native && !opts.processOnly ? await probeMsgCopy(native, itemTimeoutMs) : null,
    pidfd: native !== null && kernelAtLeast(5, 6),
    root: euid === 0,
    euid,
    ptraceScope: scope === null ? null : Number(scope.trim()),
    threads: 1,
  };

  if (opts.processOnly) return processSnapshot(opts, native, capabilities, warnings, t0, takenAt, itemTimeoutMs, deadlineMs);

  // The netlink socket dumps do not depend on the walk: start them now so they overlap it.
  const prefetch = prefetchSockets(native, procRoot, kinds);
  const wantMaps = kinds.has('sysv-shm') || kinds.has('posix-shm') || kinds.has('posix-sem') || kinds.has('anon-shm');
  let bpf: BpfAddon | null = null;
  let bpfError: string | undefined;
  if (opts.bpfAddon !== undefined) bpf = opts.bpfAddon;
  else if (opts.nativeAddon !== undefined || opts.useNative === false) bpfError = 'not with an injected or disabled native addon';
  else ({ addon: bpf, error: bpfError } = loadBpf());
  const walking = runWalk(
    { native, nativeError, bpf, bpfError },
    {
      procRoot,
      threads: opts.threads ?? 0,
      // Always the whole machine: a pid filter selects channels, but each selected channel must
      // still show its other ends (the writer of the reader's pipe, the peer of its socket).
      readMaps: wantMaps,
      readTimers: true,
      readLinks: true,
      measurePipes: kinds.has('pipe') || kinds.has('fifo'),
      itemTimeoutMs,
      deadlineMs,
    },
    walkPreference(opts.walk),
    warnings,
  );
  // SysV lists do not depend on the walk either: read them while its threads run
  const sysvPrefetch = kinds.has('sysv-msg') || kinds.has('sysv-shm') || kinds.has('sysv-sem') ? prefetchSysv(native, procRoot, kinds) : undefined;
  sysvPrefetch?.catch(() => undefined);
  const { walk: w, capability: walkCapability, bpf: bpfPhases } = await walking;
  capabilities.threads = w.threads;
  reportGivenUp(w, native, itemTimeoutMs, warnings);
  capabilities.walk = walkCapability;
  capabilities.activity = activityCapability(bpf, bpfError);

  const user = userResolver(opts.etcRoot ?? '/etc');
  const processes = new Map<number, ProcessInfo>();
  const raw = new Map<number, ProcWalkProcess>();
  let hidden = 0;
  for (const p of w.processes) {
    if (!p) continue;
    const info = toProcess(p, user);
    if (!info) continue; // vanished or unreadable: silently dropped
    processes.set(info.pid, info);
    raw.set(info.pid, p);
    if (p.fdError === 'EACCES' || p.fdError === 'EPERM') hidden++;
  }
  if (hidden > 0) warnings.push(`processes hidden: ${hidden} (permission denied)`);

  const tWalk = performance.now();
  const ctx: ProbeContext = {
    procRoot,
    devRoot: opts.devRoot ?? '/dev',
    native,
    kinds,
    walk: w,
    index: new FdIndex(w, (pid) => processes.has(pid)),
    processes,
    raw,
    user,
    capabilities,
    warnings,
    out: new Map(),
    presorted: new Set(),
    prefetch,
    sysvPrefetch,
    itemTimeoutMs,
  };
  const tIndex = performance.now();
  const probeMs: Record<string, number> = {};
  await Promise.all(
    PROBES.filter((p) => p.kinds.some((k) => kinds.has(k))).map(async (p) => {
      const s0 = performance.now();
      await p.run(ctx);
      probeMs[p.kinds[0]] = performance.now() - s0;
    }),
  );
  const tProbes = performance.now();

  // canonical order: kinds in CHANNEL_KINDS order; presorted kinds as emitted, others sorted
  const parts: Channel[][] = [];
  for (const k of CHANNEL_KINDS) {
    const list = ctx.out.get(k);
    if (!list || list.length === 0) continue;
    parts.push(ctx.presorted.has(k) ? list : sortChannels(list));
  }
  // Array.prototype.concat copies whole backing stores (no per-element push)
  let channels: Channel[] = parts.length === 0 ? [] : parts.length === 1 ? parts[0] : ([] as Channel[]).concat(...parts);
  if (pidFilter) channels = channels.filter((c) => c.endpoints.some((e) => pidFilter.has(e.pid)) || sysvMentions(c, pidFilter));
  markCanonical(channels);
  const tSort = performance.now();

  let procList: ProcessInfo[];
  if (opts.processes === 'all') procList = [...processes.values()];
  else {
    const keep = new Set<number>();
    let last = -1;
    for (let i = 0; i < channels.length; i++) {
      const eps = channels[i].endpoints;
      for (let j = 0; j < eps.length; j++) {
        const pid = eps[j].pid;
        if (pid !== last) {
          keep.add(pid);
          last = pid;
        }
      }
    }
    // Zombies hold no fds but are IPC trouble (a parent that never reaps: SIGCHLD lost or
    // ignored); keep them and, through the ancestor walk below, the parent that should reap.
    for (const p of processes.values()) if (p.state === 'Z' && (!pidFilter || pidFilter.has(p.pid) || pidFilter.has(p.ppid))) keep.add(p.pid);
    for (const pid of [...keep]) {
      let p = processes.get(pid);
      let guard = 0;
      while (p && p.ppid > 0 && !keep.has(p.ppid) && guard++ < 4096) {
        keep.add(p.ppid);
        p = processes.get(p.ppid);
      }
    }
    procList = [];
    for (const p of processes.values()) if (keep.has(p.pid)) procList.push(p);
  }
  procList.sort((a, b) => a.pid - b.pid);
  const tKeep = performance.now();
  await annotateNamespaces(procList, { procRoot, etcRoot: opts.etcRoot, stateRoot: opts.containerStateRoot }, warnings);
  const tNs = performance.now();

  if (opts.timings) {
    Object.assign(opts.timings, { walkMs: tWalk - t0, indexMs: tIndex - tWalk, probeMs, sortMs: tSort - tProbes, finishMs: performance.now() - tSort });
    if (bpfPhases) opts.timings.bpf = bpfPhases;
  }
  if (PROFILE) {
    process.stderr.write(
      `[snapshot] walk ${walkCapability.backend} ${(tWalk - t0).toFixed(1)} (native inner ${w.elapsedMs.toFixed(1)}${bpfPhases ? ` ${JSON.stringify(bpfPhases)}` : ''}) index ${(tIndex - tWalk).toFixed(1)} probes ${(tProbes - tIndex).toFixed(1)} ${JSON.stringify(probeMs)} sort ${(tSort - tProbes).toFixed(1)} keep ${(tKeep - tSort).toFixed(1)} namespaces ${(tNs - tKeep).toFixed(1)} (${procList.length} processes) finish ${(performance.now() - tNs).toFixed(1)} ms; fds ${w.fds.pid.length}\n`,
    );
  }
  const bootId = readOpt(path.join(procRoot, 'sys/kernel/random/boot_id'))?.trim();
  return {
    version: SNAPSHOT_VERSION,
    takenAt,
    durationMs: Math.round((performance.now() - t0) * 100) / 100,
    host: { kernel: os.release(), hostname: os.hostname(), ...(bootId ? { bootId } : {}) },
    capabilities,
    warnings,
    processes: procList,
    channels,
  };
}

/** processOnly: just the given pids' /proc directories, no channels. */
async function processSnapshot(
  opts: SnapshotOptions, native: NativeAddon | null, capabilities: Capabilities, warnings: string[], t0: number, takenAt: string, itemTimeoutMs: number, deadlineMs: number,
): Promise<Snapshot> {
  const procRoot = opts.procRoot ?? '/proc';
  const pids = (opts.pids ?? []).filter((p) => Number.isSafeInteger(p) && p > 0);
  const w = pids.length === 0
    ? null
    : await walk(native, { procRoot, threads: 1, pids, readMaps: false, readTimers: true, readLinks: true, measurePipes: false, itemTimeoutMs, deadlineMs }, warnings);
  const user = userResolver(opts.etcRoot ?? '/etc');
  const processes: ProcessInfo[] = [];
  if (w) {
    capabilities.threads = w.threads;
    reportGivenUp(w, native, itemTimeoutMs, warnings);
    for (const p of w.processes) {
      const info = p ? toProcess(p, user) : null;
      if (info) processes.push(info);
    }
  }
  processes.sort((a, b) => a.pid - b.pid);
  const channels: Channel[] = [];
  markCanonical(channels);
  const bootId = readOpt(path.join(procRoot, 'sys/kernel/random/boot_id'))?.trim();
  return {
    version: SNAPSHOT_VERSION,
    takenAt,
    durationMs: Math.round((performance.now() - t0) * 100) / 100,
    host: { kernel: os.release(), hostname: os.hostname(), ...(bootId ? { bootId } : {}) },
    capabilities,
    warnings,
    processes,
    channels,
  };
}

function sysvMentions(c: Channel, pids: ReadonlySet<number>): boolean {
  switch (c.kind) {
    case 'sysv-msg':
      return pids.has(c.lastSendPid) || pids.has(c.lastRecvPid);
    case 'sysv-shm':
      return pids.has(c.creatorPid) || pids.has(c.lastPid);
    case 'sysv-sem':
      return (c.lastPid ?? []).some((p) => pids.has(p));
    default:
      return false;
  }
}

/**
 * MSG_COPY needs CONFIG_CHECKPOINT_RESTORE: the kernel checks for it before it looks up the
 * queue, so a copy from an id no queue has answers ENOSYS without it and EINVAL with it. (A
 * negative id would be refused with EINVAL before that check.)
 */
const UNUSED_MSQID = 0x7fffffff;
/** The kernel's answer does not change while it runs: asked once per addon (each call is a thread). */
const msgCopyAnswers = new WeakMap<NativeAddon, boolean>();
async function probeMsgCopy(native: NativeAddon, deadlineMs: number): Promise<boolean | null> {
  const known = msgCopyAnswers.get(native);
  if (known !== undefined) return known;
  let answer: boolean | null;
  try {
    await withDeadline('MSG_COPY probe', deadlineMs, () => native.msgPeek(UNUSED_MSQID, 1, 1));
    answer = true;
  } catch (e) {
    const code = errnoName(e);
    answer = code === 'ENOSYS' ? false : code === 'EINVAL' ? true : null;
  }
  if (answer !== null) msgCopyAnswers.set(native, answer);
  return answer;
}

function kernelAtLeast(major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(os.release());
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a > major || (a === major && b >= minor);
}
