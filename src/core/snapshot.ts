// The snapshot: one call returns every IPC channel on the machine and who holds which end.
//
//   walk (walkBackend.ts: BPF iterator, native walkProc, or procWalk.ts) → per-process text + fd rows
//   parse processes (parsers/procPid.ts)                       → ProcessInfo
//   index fd rows by kernel identity (probes/context.ts)       → O(fds) Maps keyed by inode
//   probes per family (pipes, sysv, posix, sockets)            → channels with endpoints
//   keep processes holding an endpoint + their ancestors       → connected process tree
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareChannels, markCanonical, sortChannels } from './diff';
import { CHANNEL_KINDS, SNAPSHOT_VERSION, type Capabilities, type Channel, type ChannelKind, type ProcessInfo, type SignalState, type Snapshot } from './model';
import { errnoName, loadBpf, loadNative, type BpfAddon, type BpfWalkPhases, type NativeAddon, type ProcWalkProcess } from './native';
import { parseCmdline, parseStat, parseStatus, parseTimers } from './parsers/procPid';
import { decodeSigMask } from './signals';
import { FdIndex, netnsId, type Probe, type ProbeContext } from './probes/context';
import { annotateNamespaces } from './namespaces';
import { pipeProbe } from './probes/pipes';
import { posixProbe } from './probes/posix';
import { anonShmProbe } from './probes/anonShm';
import { prefetchSockets, socketProbe } from './probes/sockets';
import { prefetchSysv, sysvProbe } from './probes/sysv';
import { runWalk, walkPreference, type WalkPreference } from './walkBackend';
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

  const euid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
  const scope = readOpt(path.join(procRoot, 'sys/kernel/yama/ptrace_scope'));
  const capabilities: Capabilities = {
    native: native !== null,
    ...(nativeError && !native ? { nativeError } : {}),
    mqueueMounted: false,
    sockDiag: false,
    msgCopy: native ? probeMsgCopy(native) : null,
    pidfd: native !== null && kernelAtLeast(5, 6),
    root: euid === 0,
    euid,
    ptraceScope: scope === null ? null : Number(scope.trim()),
    threads: 1,
  };

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
    },
    walkPreference(opts.walk),
    warnings,
  );
  // SysV lists do not depend on the walk either: read them while its threads run
  const sysvPrefetch = kinds.has('sysv-msg') || kinds.has('sysv-shm') || kinds.has('sysv-sem') ? prefetchSysv(native, procRoot, kinds) : undefined;
  sysvPrefetch?.catch(() => undefined);
  const { walk: w, capability: walkCapability, bpf: bpfPhases } = await walking;
  capabilities.threads = w.threads;
  capabilities.walk = walkCapability;

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
function probeMsgCopy(native: NativeAddon): boolean | null {
  try {
    native.msgPeek(UNUSED_MSQID, 1, 1);
    return true;
  } catch (e) {
    const code = errnoName(e);
    return code === 'ENOSYS' ? false : code === 'EINVAL' ? true : null;
  }
}

function kernelAtLeast(major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(os.release());
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a > major || (a === major && b >= minor);
}
