// The snapshot: one call returns every IPC channel on the machine and who holds which end. In
// named phases (takeSnapshot reads top to bottom):
//
//   openNative / capabilitiesOf   the addon (or why not), what this run can see
//   startWalk                     the fd walk (walkBackend.ts: the BPF iterator, native walkProc
//                                 on worker threads, or procWalk.ts),
//                                 with the rules of the wanted kinds (core/kinds); the probes'
//                                 prefetches (netlink dumps, SysV lists) start beside it
//   readProcesses                 raw per-process text → ProcessInfo (parsers/procPid.ts), with
//                                 what could not be read as `errors`
//   runProbes                     the fd index by kernel identity (probes/context.ts), then each
//                                 family's probe (probes/index.ts) → channels with endpoints
//   annotateFacets                process facets (a signalfd's signals) from their fd rows
//   orderChannels                 canonical order; the pid filter
//   keepProcesses                 processes holding an endpoint, zombies, and their ancestors
//   annotateNamespaces            containers and namespaces of the kept processes
//
// Deadlines: both native walks (BPF and /proc) give up a process whose /proc reads do not return
// (a process in D state holding its mmap lock) and everything left at the scan deadline; calls on
// single objects (mq_getattr, the MSG_COPY probe) race a deadline too. What was given up is named
// in `warnings`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareChannels, markCanonical, sortChannels } from './diff';
import { CHANNEL_KINDS, SNAPSHOT_VERSION, type Capabilities, type Channel, type ChannelKind, type ProcessInfo, type ReadError, type SignalState, type Snapshot } from './model';
import { MAX_THREAD_TABLES, errnoName, loadBpf, loadNative, type BpfAddon, type BpfWalkPhases, type NativeAddon, type ProcWalk, type ProcWalkOptions, type ProcWalkProcess, type StuckWalk } from './native';
import { cmdlineBytes, commBytes, parseCmdline, parseStat, parseStatus, parseTimers } from './parsers/procPid';
import { decodeSigMask } from './signals';
import { FD_ROWS_PER_USER, FD_ROWS_TOTAL, FdIndex, netnsId, type FdRowBudget, type ProbeContext } from './probes/context';
import { PROBES } from './probes';
import { SocketLookups } from './probes/hiddenNetns';
import { fdInfoRows } from './probes/fdinfo';
import { addTo } from './collections';
import { processLabel } from './format';
import { isKernelThread } from './processState';
import { fdsCutWarning, mapsCutWarning, pidUnreadableWarning, processesHiddenWarning, textsCutWarning } from './snapshotWarnings';
import { annotateNamespaces } from './namespaces';
import { describe, kindOf, PROCESS_FACETS, walkRulesFor } from './kinds';
import { SOCKET_FDS } from './kinds/fds';
import type { FdInfoRow, ProbeId } from './kinds/kind';
import { walkProcTs } from './procWalk';
import { dropOwnHandles, ownFds } from './ownHandles';
import { withDeadline } from './deadline';
import { fdExhaustionError, isFdExhaustion } from './fdLimit';
import { runWalk, stuckWalks, walkPreference, walkProcAndThreads, type WalkBackends, type WalkPreference, type WalkRun } from './walkBackend';
import { activityCapability } from './activity/tracer';
import { userResolver } from './users';
import type { FilesInFlight } from './filesInFlight';
import { plural } from './text';

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
  /** Fd rows (fds of the IPC kinds) listed at most for one user's processes, and in all; the rest are said in `warnings`. Default FD_ROWS_PER_USER, FD_ROWS_TOTAL (probes/context.ts). */
  fdRowsPerUser?: number;
  fdRowsTotal?: number;
  /** Only the processes in `pids`, no channels: reads just those /proc/PID directories (the inspector panel's process view). */
  processOnly?: boolean;
  /** Which fd walk: 'auto' (default; or IPC_INSPECTOR_WALK) = the BPF iterator where it runs, else the /proc walk. */
  walk?: WalkPreference;
  /** The caller takes this one snapshot and exits (a CLI command): with 'auto', few open files on the machine choose the /proc walk (runWalk). */
  oneShot?: boolean;
  /** Tests: use this BPF addon (or none) instead of loadBpf(); an injected nativeAddon implies none. */
  bpfAddon?: BpfAddon | null;
  /** Benchmarks: filled with where this snapshot's time went (not cloneable to a worker: in-thread only). */
  timings?: SnapshotTimings;
  /**
   * The diagnosis (in-thread only, as `timings`): has the BPF walk read each Unix socket's files in
   * flight in its pass (fdinfo's scm_fds: files sent over it with SCM_RIGHTS and not received
   * yet), and fills this in. Left as it was by the /proc walk, which reads none.
   */
  filesInFlight?: FilesInFlight;
  /**
   * What the lookups of sockets in no table remember (probes/hiddenNetns.ts): a caller that takes
   * snapshots again and again keeps one and passes it to each, so that each socket is looked up
   * once and a scan's budget of lookups goes on to the next ones; without, each snapshot starts
   * afresh. In-thread only (the snapshot worker keeps its own).
   */
  socketLookups?: SocketLookups;
}

/** Where one snapshot's time went, ms. Probes run side by side; a probe's time includes waiting for its netlink / SysV reads. */
export interface SnapshotTimings {
  walkMs?: number;
  bpf?: BpfWalkPhases;
  indexMs?: number;
  /** Each probe from its start until it resolved (includes waiting for its native calls and for the other probes' synchronous parts). */
  probeMs?: Record<string, number>;
  /** Each probe's synchronous part (the work on the main thread before its first await). */
  probeSyncMs?: Record<string, number>;
  /** From the snapshot's start until the own namespace's socket tables were dumped and prepared (during the walk, when earlier than walkMs). */
  socketTablesMs?: number;
  /** The socket probe's endpoint fill and pairing after the walk. */
  socketFillMs?: number;
  /** Linking across namespaces after the fill (conntrack lookups or table reads, when NAT candidates are left). */
  netLinksMs?: number;
  sortMs?: number;
  finishMs?: number;
}


/** Default per-item timeout of a scan (ms): reading one process normally takes well under 1 ms. */
export const ITEM_TIMEOUT_MS = 5000;
/** Default deadline of the whole walk (ms). */
export const SCAN_DEADLINE_MS = 30000;

export { compareChannels, SocketLookups };

const PROFILE = !!process.env.IPC_INSPECTOR_PROFILE;

function readOpt(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

/** What the walk could not read of a process, as read errors of its fields. */
function readErrors(p: ProcWalkProcess): ReadError[] {
  const out: ReadError[] = [];
  if (p.fdError) out.push({ field: 'fds', syscall: p.fdErrorSyscall ?? 'opendir', code: p.fdError });
  for (const e of p.errors ?? []) {
    // the cgroup is no field of its own: namespaces.ts reads it again, and a process it cannot be
    // read for has no container
    if (e.file === 'cgroup') continue;
    out.push({ field: e.file, syscall: e.file === 'cwd' || e.file === 'exe' || e.file === 'ns/net' ? 'readlink' : 'read', code: e.code });
  }
  return out;
}

/** stat's and status's fields of a process, from their text (/proc walks) or from the task (BPF walk). */
function procFields(
  p: ProcWalkProcess,
): { st: ReturnType<typeof parseStat>; uid: number | null; euid: number | null; tracerPid: number; signals: SignalState; threads: number | null; nsPid: number[] } | null {
  const t = p.task;
  if (t) {
    const [queued, limit] = t.sigQ.split('/').map(Number);
    return {
      st: { pid: p.pid, ppid: t.ppid, comm: t.comm, state: t.state, startTime: t.startTime, threads: t.threads },
      uid: t.uid,
      euid: t.euid ?? null,
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
  return { st: parseStat(p.stat), uid: status.uid, euid: status.euid, tracerPid: status.tracerPid, signals: status.signals, threads: status.threads, nsPid: status.nsPid };
}

function toProcess(p: ProcWalkProcess, user: (uid: number) => string): ProcessInfo | null {
  if (p.error) return null;
  const f = procFields(p);
  const st = f?.st;
  if (!f || !st) return null;
  if (f.uid === null) return null; // truncated status: never report half-read garbage
  const errors = readErrors(p);
  // the bytes of a comm and command line that are not UTF-8 (the walks give them only then)
  const cb = commBytes(p.task ? p.task.commHex : p.commHex);
  const ab = p.cmdlineHex !== undefined ? cmdlineBytes(p.cmdlineHex) : null;
  return {
    pid: st.pid,
    ppid: st.ppid,
    comm: st.comm,
    ...(cb !== undefined ? { commBytes: cb } : {}),
    cmdline: parseCmdline(p.cmdline ?? ''),
    ...(ab !== null ? { cmdlineBytes: ab } : {}),
    uid: f.uid,
    euid: f.euid ?? f.uid,
    user: user(f.uid),
    startTime: st.startTime,
    state: st.state,
    tracerPid: f.tracerPid,
    signals: f.signals,
    timers: p.timers ? parseTimers(p.timers) : [],
    threads: f.threads ?? st.threads,
    cwd: p.cwd ?? null,
    exe: p.exe ?? null,
    ...(p.cwd !== undefined && p.cwdHex !== undefined ? { cwdBytes: p.cwdHex } : {}),
    ...(p.exe !== undefined && p.exeHex !== undefined ? { exeBytes: p.exeHex } : {}),
    container: null, // filled for the kept processes by annotateNamespaces
    nsPid: f.nsPid,
    pidns: null,
    netns: p.netns ? netnsId(p.netns) : null,
    ipcns: p.ipcns ? netnsId(p.ipcns) : null,
    mntns: p.mntns ? netnsId(p.mntns) : null,
    ...(p.leader ? { threadOf: p.leader } : {}),
    ...(errors.length ? { errors } : {}),
  };
}

/** Names what the walk gave up: processes whose reads did not return, cut fd tables, threads still stuck. */
/** The first five of a warning's list, then how many more. */
function firstFive(a: string[], sep = ', ', noun = ''): string {
  return a.slice(0, 5).join(sep) + (a.length > 5 ? `${sep}… ${a.length - 5} more${noun}` : '');
}

function reportGivenUp(w: ProcWalk, stuckNow: StuckWalk[], itemTimeoutMs: number, warnings: string[]): void {
  const stuck: string[] = [];
  let notReached = 0;
  const cut: string[] = [];
  const skippedTables: string[] = [];
  let skippedThreads = 0;
  for (const p of w.processes) {
    if (!p) continue;
    if (p.threadTablesSkipped) {
      skippedTables.push(`${p.pid} (${p.threadTablesSkipped})`);
      skippedThreads += p.threadTablesSkipped;
    }
    if (p.error === 'ETIMEDOUT') {
      if (p.stuck) stuck.push(`${p.pid} (${p.stuck})`);
      else notReached++;
    }
    if (p.fdsCut !== undefined) cut.push(`${p.pid}${p.fdsCut ? ` (${p.fdsCut})` : ''}`);
  }
  if (stuck.length > 0) {
    warnings.push(
      `scan: ${plural(stuck.length, 'process', 'processes')} skipped: a read did not return within ${itemTimeoutMs} ms ` +
        `(a process in D state, e.g. waiting on a hung FUSE or NFS server, blocks reads of its /proc files): ${firstFive(stuck)}`,
    );
  }
  if (notReached > 0) warnings.push(`scan: deadline passed: ${plural(notReached, 'process', 'processes')} not (fully) read`);
  if (cut.length > 0) warnings.push(fdsCutWarning(`fd tables partly skipped at the scan's deadline: ${firstFive(cut)}`));
  if (skippedThreads > 0) {
    warnings.push(
      `scan: ${plural(skippedThreads, 'thread')} with an fd table of ${skippedThreads === 1 ? 'its' : 'their'} own not walked ` +
        `(at most ${MAX_THREAD_TABLES} per process; what they share with their process is listed under it): ${firstFive(skippedTables)}`,
    );
  }
  const threads = stuckNow;
  if (threads.length > 0) {
    warnings.push(
      `scan: ${plural(threads.length, 'earlier read is', 'earlier reads are')} still blocked in the kernel; those processes are skipped until they return: ` +
        firstFive(threads.map((t) => `${t.pid} (${t.what}, ${Math.round(t.ms / 1000)} s)`)),
    );
  }
}

async function walk(native: NativeAddon | null, bpf: BpfAddon | null, o: ProcWalkOptions, warnings: string[]): Promise<ProcWalk> {
  if (native) {
    try {
      // the pids the BPF walk is stuck in are skipped here too
      return await walkProcAndThreads(native, { ...o, skipStuck: stuckWalks({ native: null, bpf }).map(({ pid, what }) => ({ pid, what })) });
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
  const itemTimeoutMs = opts.itemTimeoutMs ?? ITEM_TIMEOUT_MS;
  const deadlineMs = opts.deadlineMs ?? SCAN_DEADLINE_MS;
  const { native, nativeError } = openNative(opts);
  const capabilities = await capabilitiesOf(native, nativeError, procRoot, opts.processOnly ? null : itemTimeoutMs);
  const { bpf, bpfError } = bpfBackend(opts);
  if (opts.processOnly) return processSnapshot(opts, native, bpf, capabilities, warnings, t0, takenAt, itemTimeoutMs, deadlineMs);

  // our own fds before anything of this scan opens one, and again after the walk (ownHandles.ts)
  const ownBefore = ownFds(procRoot);
  const { walking, prefetched } = startWalk({ native, nativeError, bpf, bpfError }, opts, procRoot, kinds, itemTimeoutMs, deadlineMs, warnings);
  const { walk: walked, capability: walkCapability, bpf: bpfPhases } = await walking;
  const w = dropOwnHandles(walked, ownBefore, ownFds(procRoot));
  capabilities.threads = w.threads;
  capabilities.walk = walkCapability;
  reportGivenUp(w, stuckWalks({ native, bpf }), itemTimeoutMs, warnings);
  const tWalk = performance.now();
  capabilities.activity = activityCapability(bpf, bpfError);
  if (opts.filesInFlight && walkCapability.backend === 'bpf-iter') filesInFlightOf(w, opts.filesInFlight);

  const user = userResolver(opts.etcRoot ?? '/etc');
  const { processes, raw } = readProcesses(w, user, warnings);
  if (pidFilter) {
    for (const pid of pidFilter) {
      const e = raw.get(pid)?.fdError;
      if (e === 'EACCES' || e === 'EPERM') warnings.push(pidUnreadableWarning(pid, e, process.geteuid?.() === 0));
    }
  }
  const budget: FdRowBudget = { uidOf: (pid) => processes.get(pid)?.uid, perUser: opts.fdRowsPerUser ?? FD_ROWS_PER_USER, total: opts.fdRowsTotal ?? FD_ROWS_TOTAL };
  const index = new FdIndex(w, (pid) => processes.has(pid), budget);
  // what the walk itself left out by the same budget
  for (const p of w.processes) if (p?.fdsPastBudget && processes.has(p.pid)) index.cut.set(p.pid, (index.cut.get(p.pid) ?? 0) + p.fdsPastBudget);
  if (index.cut.size > 0) reportFdRowsCut(index.cut, processes, budget, user, warnings);
  // a process asked for brings its threads that have an fd table of their own (listed under their tids)
  const pidScope = pidFilter && new Set([...pidFilter, ...[...processes.values()].filter((p) => p.threadOf !== undefined && pidFilter.has(p.threadOf)).map((p) => p.pid)]);
  const ctx: ProbeContext = {
    procRoot, devRoot: opts.devRoot ?? '/dev', native, kinds, walk: w, index,
    processes, raw, user, capabilities, warnings, out: new Map(), presorted: new Set(), itemTimeoutMs, marks: {}, scope: pidScope,
    socketLookups: opts.socketLookups ?? new SocketLookups(),
  };
  const tIndex = performance.now();
  const { probeMs, probeSyncMs } = await runProbes(ctx, prefetched);
  annotateFacets(ctx);
  const tProbes = performance.now();
  const channels = orderChannels(ctx, pidScope);
  const tSort = performance.now();
  const procList = keepProcesses(channels, processes, opts.processes === 'all', pidScope);
  const tKeep = performance.now();
  await annotateNamespaces(procList, { procRoot, etcRoot: opts.etcRoot, stateRoot: opts.containerStateRoot, cgroupOf: (pid) => raw.get(pid)?.cgroup }, warnings);
  const tNs = performance.now();

  if (opts.timings) {
    Object.assign(opts.timings, { walkMs: tWalk - t0, indexMs: tIndex - tWalk, probeMs, probeSyncMs, sortMs: tSort - tProbes, finishMs: performance.now() - tSort });
    const marks = ctx.marks ?? {};
    if (marks.socketTablesAt !== undefined) opts.timings.socketTablesMs = marks.socketTablesAt - t0;
    if (marks.socketFillMs !== undefined) opts.timings.socketFillMs = marks.socketFillMs;
    if (marks.netLinksMs !== undefined) opts.timings.netLinksMs = marks.netLinksMs;
    if (bpfPhases) opts.timings.bpf = bpfPhases;
  }
  if (PROFILE) {
    process.stderr.write(
      `[snapshot] walk ${walkCapability.backend} ${(tWalk - t0).toFixed(1)} (native inner ${w.elapsedMs.toFixed(1)}${bpfPhases ? ` ${JSON.stringify(bpfPhases)}` : ''}) index ${(tIndex - tWalk).toFixed(1)} probes ${(tProbes - tIndex).toFixed(1)} ${JSON.stringify(probeMs)} sort ${(tSort - tProbes).toFixed(1)} keep ${(tKeep - tSort).toFixed(1)} namespaces ${(tNs - tKeep).toFixed(1)} (${procList.length} processes) finish ${(performance.now() - tNs).toFixed(1)} ms; fds ${w.fds.pid.length}\n`,
    );
  }
  return assemble(procRoot, takenAt, t0, capabilities, warnings, procList, channels);
}

/**
 * The BPF walk's scm_fds of Unix socket rows (`buffered`: -1 where not read). Every Unix socket but
 * a listener has one where the kernel keeps the count, so any row read says the pass read them all.
 */
function filesInFlightOf(w: ProcWalk, out: FilesInFlight): void {
  const f = w.fds;
  const code = SOCKET_FDS.rule.code;
  for (let i = 0; i < f.pid.length; i++) {
    if (f.kind[i] !== code || f.buffered[i] < 0) continue;
    out.complete = true;
    if (f.buffered[i] > 0) out.counts.set(f.inode[i], f.buffered[i]);
  }
}

/** The addon to use (or none) and why not. */
function openNative(opts: SnapshotOptions): { native: NativeAddon | null; nativeError?: string } {
  if (opts.useNative === false) return { native: null, nativeError: 'disabled (useNative: false)' };
  if (opts.nativeAddon !== undefined) return { native: opts.nativeAddon, nativeError: opts.nativeAddon ? undefined : 'disabled (nativeAddon: null)' };
  const l = loadNative();
  return { native: l.addon, nativeError: l.error };
}

/** The BPF addon for the walk: injected, none (with an injected or disabled native addon), or loaded. */
function bpfBackend(opts: SnapshotOptions): { bpf: BpfAddon | null; bpfError?: string } {
  if (opts.bpfAddon !== undefined) return { bpf: opts.bpfAddon };
  if (opts.nativeAddon !== undefined || opts.useNative === false) return { bpf: null, bpfError: 'not with an injected or disabled native addon' };
  const l = loadBpf();
  return { bpf: l.addon, bpfError: l.error };
}

/** What this run can see; `threads` is filled after the walk. `msgCopyTimeoutMs` null: do not probe MSG_COPY. */
async function capabilitiesOf(native: NativeAddon | null, nativeError: string | undefined, procRoot: string, msgCopyTimeoutMs: number | null): Promise<Capabilities> {
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
  const scope = readOpt(path.join(procRoot, 'sys/kernel/yama/ptrace_scope'));
  return {
    native: native !== null,
    ...(nativeError && !native ? { nativeError } : {}),
    mqueueMounted: false,
    sockDiag: false,
    msgCopy: native && msgCopyTimeoutMs !== null ? await probeMsgCopy(native, msgCopyTimeoutMs) : null,
    pidfd: native !== null && kernelAtLeast(5, 6),
    root: euid === 0,
    euid,
    ptraceScope: scope === null ? null : Number(scope.trim()),
    threads: 1,
  };
}

/** The probes the wanted kinds name. */
function probesFor(kinds: ReadonlySet<ChannelKind>): ProbeId[] {
  const ids: ProbeId[] = [];
  for (const k of kinds) {
    const id = kindOf(k).probe;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/**
 * The fd walk with the wanted kinds' rules — always the whole machine: a pid filter selects
 * channels, but each selected channel must still show its other ends (the writer of the reader's
 * pipe, the peer of its socket) — and the probes' prefetches beside it (they do not depend on it).
 */
function startWalk(
  backends: WalkBackends, opts: SnapshotOptions, procRoot: string, kinds: ReadonlySet<ChannelKind>, itemTimeoutMs: number, deadlineMs: number, warnings: string[],
): { walking: Promise<WalkRun>; prefetched: Map<ProbeId, unknown> } {
  // all asynchronous (the addon's threads, the libuv pool): they run while the walk does. The walk
  // is queued first: it is the longest, and the pool (4 threads) would otherwise start it only
  // after the first netlink dumps.
  const walking = runWalk(
    backends,
    { procRoot, threads: opts.threads ?? 0, ...walkRulesFor(kinds), readTimers: true, readLinks: true, readCgroup: true, itemTimeoutMs, deadlineMs,
      // the budget FdIndex applies, applied by the walk as it reads too: its own rows stay bounded
      rowsPerUser: opts.fdRowsPerUser ?? FD_ROWS_PER_USER, rowsTotal: opts.fdRowsTotal ?? FD_ROWS_TOTAL,
      ...(opts.filesInFlight ? { scmFds: true } : {}),
      // kernel threads are shown only with processes: 'all' (one holds no fd)
      ...(opts.processes === 'all' ? {} : { kthreadsFromTask: true }) },
    walkPreference(opts.walk, warnings),
    warnings,
    opts.oneShot === true,
  );
  const prefetched = new Map<ProbeId, unknown>();
  for (const id of probesFor(kinds)) {
    const probe = PROBES[id];
    if (probe.prefetch) prefetched.set(id, probe.prefetch(backends.native, procRoot, kinds));
  }
  return { walking, prefetched };
}

/**
 * A process whose read failed for want of a descriptor — ours, not its (EMFILE/ENFILE) — is not
 * gone: dropped, its channels would read as nobody's. The snapshot fails instead, naming the limit.
 */
function throwIfOutOfFds(p: ProcWalkProcess): void {
  const code = [p.error, p.fdError, ...(p.errors ?? []).map((e) => e.code)].find(isFdExhaustion);
  if (code) throw fdExhaustionError(code, `process ${p.pid}'s /proc files`);
}

/** The processes the fd-row budget cut: an `fds` read error on each (EFBIG), and one warning naming the users. */
function reportFdRowsCut(cut: ReadonlyMap<number, number>, processes: ReadonlyMap<number, ProcessInfo>, budget: FdRowBudget, user: (uid: number) => string, warnings: string[]): void {
  const byUser = new Map<number, { pids: number[]; rows: number }>();
  let rows = 0;
  for (const [pid, n] of cut) {
    const p = processes.get(pid);
    if (p) (p.errors ??= []).push({ field: 'fds', syscall: 'scan budget', code: 'EFBIG' });
    const uid = budget.uidOf(pid) ?? -1;
    const u = byUser.get(uid) ?? { pids: [], rows: 0 };
    u.pids.push(pid);
    u.rows += n;
    byUser.set(uid, u);
    rows += n;
  }
  const whose = [...byUser]
    .sort((a, b) => b[1].rows - a[1].rows)
    .map(([uid, u]) => `${uid < 0 ? 'unknown user' : `${user(uid)} (uid ${uid})`}: ${plural(u.rows, 'fd')} of ${plural(u.pids.length, 'process', 'processes')}, ${firstFive(u.pids.map(String))}`);
  const n = (k: number) => k.toLocaleString('en-US');
  warnings.push(
    fdsCutWarning(
      `${plural(rows, 'fd')} of ${plural(cut.size, 'process', 'processes')} past the scan's budget (${n(budget.perUser)} fds of IPC kinds per user, ${n(budget.total)} in all) not listed — ` +
        firstFive(whose, '; ', ' users'),
    ),
  );
}

/** The walked processes, parsed; vanished or half-read ones are dropped, those whose fds were unreadable counted. */
function readProcesses(w: ProcWalk, user: (uid: number) => string, warnings: string[]): { processes: Map<number, ProcessInfo>; raw: Map<number, ProcWalkProcess> } {
  const processes = new Map<number, ProcessInfo>();
  const raw = new Map<number, ProcWalkProcess>();
  let hidden = 0;
  const hiddenFirst: string[] = [];
  const mapsCut = new Map<string, number>();
  /** Processes whose command line or timers list a bound cut, by uid. */
  const textsCut = { cmdline: new Map<number, number[]>(), timers: new Map<number, number[]>() };
  for (const p of w.processes) {
    if (!p) continue;
    throwIfOutOfFds(p);
    const info = toProcess(p, user);
    if (!info) continue; // vanished mid-walk or unreadable: never half a process
    processes.set(info.pid, info);
    raw.set(info.pid, p);
    // a kernel thread holds no fd: its table unread hides nothing
    if ((p.fdError === 'EACCES' || p.fdError === 'EPERM') && !isKernelThread(info)) {
      if (hidden++ < 5) hiddenFirst.push(processLabel(info.pid, info));
    }
    // cut short (at the walk's bounds, or its deadline): not refused — a process whose maps are
    // refused is one whose fds are too, counted as hidden above
    const m = p.errors?.find((e) => e.file === 'maps' && (e.code === 'EFBIG' || e.code === 'ETIMEDOUT'));
    if (m) mapsCut.set(m.code, (mapsCut.get(m.code) ?? 0) + 1);
    for (const file of ['cmdline', 'timers'] as const) if (p.errors?.some((e) => e.file === file && e.code === 'EFBIG')) addTo(textsCut[file], info.uid, info.pid);
  }
  if (hidden > 0) warnings.push(processesHiddenWarning(hidden, hiddenFirst));
  for (const file of ['cmdline', 'timers'] as const) {
    const cut = textsCut[file];
    if (cut.size === 0) continue;
    const whose = [...cut].sort((a, b) => b[1].length - a[1].length).map(([uid, pids]) => `${user(uid)} (uid ${uid}): ${plural(pids.length, 'process', 'processes')}, ${firstFive(pids.map(String))}`);
    warnings.push(textsCutWarning(file, [...cut.values()].reduce((a, b) => a + b.length, 0), firstFive(whose, '; ', ' users')));
  }
  // a mapping in a maps text not read whole is a holder nobody sees: said, as hidden fds are (the
  // diagnosis then calls no mapped object unheld, diagnose/leftovers.ts)
  if (mapsCut.size > 0) warnings.push(mapsCutWarning(mapsCut));
  return { processes, raw };
}

/** Each probe the wanted kinds name, concurrently; returns each one's time (ms) until it resolved, and its synchronous part's. */
async function runProbes(ctx: ProbeContext, prefetched: ReadonlyMap<ProbeId, unknown>): Promise<{ probeMs: Record<string, number>; probeSyncMs: Record<string, number> }> {
  const probeMs: Record<string, number> = {};
  const probeSyncMs: Record<string, number> = {};
  await Promise.all(
    probesFor(ctx.kinds).map(async (id) => {
      const s0 = performance.now();
      const running = PROBES[id].run(ctx, prefetched.get(id));
      probeSyncMs[id] = performance.now() - s0;
      await running;
      probeMs[id] = performance.now() - s0;
    }),
  );
  return { probeMs, probeSyncMs };
}

/** Process facets (core/kinds: a signalfd's signals) fill their part of every process from its fd rows. */
function annotateFacets(ctx: Pick<ProbeContext, 'walk' | 'processes'> & { index?: FdIndex }): void {
  for (const facet of PROCESS_FACETS) {
    const byPid = new Map<number, FdInfoRow[]>();
    for (const row of fdInfoRows(ctx, facet.fds)) {
      const l = byPid.get(row.pid);
      if (l) l.push(row);
      else byPid.set(row.pid, [row]);
    }
    for (const p of ctx.processes.values()) facet.annotate(p, byPid.get(p.pid) ?? []);
  }
}

/** Canonical order (kinds in CHANNEL_KINDS order; presorted kinds as emitted, others sorted), then the pid filter. */
function orderChannels(ctx: ProbeContext, pidFilter: ReadonlySet<number> | null): Channel[] {
  const parts: Channel[][] = [];
  for (const k of CHANNEL_KINDS) {
    const list = ctx.out.get(k);
    if (!list || list.length === 0) continue;
    parts.push(ctx.presorted.has(k) ? list : sortChannels(list));
  }
  // Array.prototype.concat copies whole backing stores (no per-element push)
  let channels: Channel[] = parts.length === 0 ? [] : parts.length === 1 ? parts[0] : ([] as Channel[]).concat(...parts);
  if (pidFilter) channels = channels.filter((c) => c.endpoints.some((e) => pidFilter.has(e.pid)) || describe(c).mentions(c).some((p) => pidFilter.has(p)));
  markCanonical(channels);
  return channels;
}

/**
 * The processes a snapshot keeps: all, or (default) those holding an endpoint, zombies (unreaped
 * children: IPC trouble, a parent that never reaps) and every ancestor of those, so the process
 * tree is connected. By pid.
 */
function keepProcesses(channels: readonly Channel[], processes: ReadonlyMap<number, ProcessInfo>, all: boolean, pidFilter: ReadonlySet<number> | null): ProcessInfo[] {
  let procList: ProcessInfo[];
  if (all) procList = [...processes.values()];
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
  return procList;
}

function assemble(procRoot: string, takenAt: string, t0: number, capabilities: Capabilities, warnings: string[], processes: ProcessInfo[], channels: Channel[]): Snapshot {
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

/** processOnly: just the given pids' /proc directories (and their facets' fds), no channels. */
async function processSnapshot(
  opts: SnapshotOptions, native: NativeAddon | null, bpf: BpfAddon | null, capabilities: Capabilities, warnings: string[], t0: number, takenAt: string, itemTimeoutMs: number, deadlineMs: number,
): Promise<Snapshot> {
  const procRoot = opts.procRoot ?? '/proc';
  const pids = (opts.pids ?? []).filter((p) => Number.isSafeInteger(p) && p > 0);
  const w = pids.length === 0
    ? null
    : await walk(native, bpf, { procRoot, threads: 1, pids, ...walkRulesFor([]), readTimers: true, readLinks: true, itemTimeoutMs, deadlineMs }, warnings);
  const user = userResolver(opts.etcRoot ?? '/etc');
  let processes: ProcessInfo[] = [];
  if (w) {
    capabilities.threads = w.threads;
    reportGivenUp(w, stuckWalks({ native, bpf }), itemTimeoutMs, warnings);
    const read = readProcesses(w, user, []);
    annotateFacets({ walk: w, processes: read.processes });
    processes = [...read.processes.values()].sort((a, b) => a.pid - b.pid);
  }
  const channels: Channel[] = [];
  markCanonical(channels);
  return assemble(procRoot, takenAt, t0, capabilities, warnings, processes, channels);
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
