// The snapshot contract: the plain data every layer (CLI JSON, views, webview) exchanges.
// Field names here are public interface (documented in the README); change them only with a
// version bump. No behaviour lives in this file.

export const SNAPSHOT_VERSION = 1;

// The channel kinds, their channel types and everything else known about each kind live in
// core/kinds/<kind>.ts, registered in core/kinds/index.ts (the canonical order of CHANNEL_KINDS).
export { CHANNEL_KINDS, isChannelKind } from './kinds';
export type * from './kinds';
import type { Channel, ChannelKind } from './kinds';

/**
 * A value that could not be read: which field of its channel or process is missing (null), and
 * the call that failed with its errno name — `{field: 'values', syscall: 'semctl', code: 'EACCES'}`.
 * The views say why a value is missing instead of leaving it blank (lsfd's error rows).
 */
export interface ReadError {
  field: string;
  syscall: string;
  code: string;
}

/** How a process holds an end: read, write or both (from the fd link's mode bits or fdinfo flags). */
export type Mode = 'r' | 'w' | 'rw';

/** Which end of a two-sided channel an fd is (kinds with `ends: 'sides'`): a pty's master or slave. */
export type EndpointRole = 'master' | 'slave';

/** One process's hold on a channel: through an fd, or through a memory mapping (`map` = the maps line's address range). */
export interface Endpoint {
  pid: number;
  fd?: number;
  map?: string;
  /**
   * A mapping's: the byte of the object at its first address (the maps line's offset column, as
   * mmap's offset argument set it); absent when 0. A mapping shows the object from there on, so
   * byte N of the object is at `lo + N - mapOffset`, and only there when the mapping reaches it.
   */
  mapOffset?: number;
  mode: Mode;
  /** Present only on kinds whose two ends are different files (a pty: `master` or `slave`). */
  role?: EndpointRole;
}

export interface SignalState {
  /** Thread-directed pending (SigPnd). */
  pending: string[];
  /** Process-wide pending (ShdPnd). */
  shdPending: string[];
  blocked: string[];
  ignored: string[];
  caught: string[];
  /**
   * Signals the process reads through a signalfd (fdinfo `sigmask` of its signalfds): blocked on
   * purpose and handled. Always present in snapshots ([] when none); optional in the type only so
   * that hand-made values compile.
   */
  signalfd?: string[];
  /** SigQ: queued signals / limit for the real uid. */
  queued: number | null;
  queueLimit: number | null;
}

export interface PosixTimer {
  id: number;
  /** Signal the timer delivers, e.g. `SIGALRM`, or null for SIGEV_NONE/THREAD_ID without a signal. */
  signal: string | null;
  /** e.g. `CLOCK_REALTIME`, `CLOCK_MONOTONIC` or the raw number as text. */
  clock: string;
  /** `signal`, `thread`, `none` (the kernel's notify word). */
  notify: string;
  /** Target of the notification: the pid/tid (kernel's `notify: signal/pid.N`). */
  notifyPid: number | null;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** /proc/PID/comm — attacker-controlled text, never interpret as markup. */
  comm: string;
  /**
   * comm's bytes in hex, present only when they are not UTF-8: `comm` then has U+FFFD for the bad
   * bytes (lossy: two names differing only there read the same). Views show it by its bytes
   * (shownComm: `bad\xff\xfe`).
   */
  commBytes?: string;
  cmdline: string[];
  /**
   * Present only when some argument is not UTF-8: parallel to `cmdline`, each such argument's bytes
   * in hex, null for an argument that is UTF-8 (shown as it is). Views show it by its bytes (shownCmdline).
   */
  cmdlineBytes?: Array<string | null>;
  /** Real uid (who started it); `user` is its name. */
  uid: number;
  /**
   * Effective uid: what the kernel checks its access with. Differs from `uid` in a setuid program
   * (`mount`, `passwd` run by a user) or one that changed its ids. Always present in snapshots;
   * optional in the type only so that hand-made values compile.
   */
  euid?: number;
  user: string;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat): binds actions to this exact process. */
  startTime: number;
  /** One-letter state from /proc/PID/stat (R, S, D, T, t, Z, …). */
  state: string;
  /** 0 when not traced; otherwise the pid of the tracer (a debugger, strace). */
  tracerPid: number;
  signals: SignalState;
  timers: PosixTimer[];
  /** Number of threads (Threads: in status). */
  threads: number;
  /** cwd/exe links where readable (null without permission); used for workspace scoping. */
  cwd: string | null;
  exe: string | null;
  /** The cwd and exe paths' bytes in hex, present only when they are not UTF-8 (the text then has U+FFFD for the bad bytes); shown by them. */
  cwdBytes?: string;
  exeBytes?: string;
  // The four fields below are always present in snapshots (null / [] when unknown); they are
  // optional in the type only so that hand-made ProcessInfo values (tests, older producers) compile.
  /** The container this process runs in (from /proc/PID/cgroup and the runtime's state on disk); null when none is recognised or the cgroup was unreadable. */
  container?: ContainerInfo | null;
  /**
   * NSpid from /proc/PID/status: this process's pid in each nested pid namespace, outermost (as
   * seen from the snapshot's own namespace, = `pid`) first, innermost (the pid inside the
   * container) last. One element when the process is in the snapshot's pid namespace; [] when unknown.
   */
  nsPid?: number[];
  /** Pid namespace inode (`readlink /proc/PID/ns/pid`), as text; null when unreadable. */
  pidns?: string | null;
  /** Network namespace inode (`readlink /proc/PID/ns/net`), as text; null when unreadable. */
  netns?: string | null;
  /** IPC namespace inode (`readlink /proc/PID/ns/ipc`), as text: whose SysV objects and POSIX queues it uses; null when unreadable. */
  ipcns?: string | null;
  /**
   * Mount namespace inode (`readlink /proc/PID/ns/mnt`), as text: the namespace its fd links and
   * maps paths are names in (a path read from a process of another one may name another file, or
   * none, here); null when unreadable.
   */
  mntns?: string | null;
  /**
   * Present only on a thread with an fd table of its own (unshare(CLONE_FILES)), which is listed
   * as a process under its tid (`pid`), because /proc/PID/fd does not show its fds: the pid of
   * the process it is a thread of. lsof lists such fds with PID = threadOf and TID = pid. Its
   * mappings and POSIX timers are the process's, listed there. A signal sent to it goes to the
   * thread (pidfd of a thread), and a fatal one ends the whole process.
   */
  threadOf?: number;
  /** What could not be read of it (its fds without permission, its maps): present only when something failed. */
  errors?: ReadError[];
}

/**
 * Container runtimes recognised from cgroup paths. `kubernetes`: a kubepods path whose engine
 * (containerd, CRI-O, docker) neither the path nor the state on disk names; `machined`: a
 * systemd-machined machine (machine.slice) whose registering service could not be read.
 */
export type ContainerRuntime = 'docker' | 'containerd' | 'cri-o' | 'kubernetes' | 'podman' | 'nspawn' | 'machined' | 'lxc';

export interface ContainerInfo {
  runtime: ContainerRuntime;
  /** The runtime's id: 64 hex digits (docker, containerd, CRI-O, podman), the machine name (nspawn, machined) or the container name (LXC). */
  id: string;
  /** Name from the runtime's state on disk (docker `Name`, podman `names`, Kubernetes/containerd annotations) or the cgroup path (nspawn, LXC); null when not found. Runtime users choose it: escape at display. */
  name: string | null;
  /** Kubernetes pod: uid from the kubepods cgroup path; name and namespace from the runtime's annotations when readable. null outside Kubernetes. */
  pod: { uid: string; name: string | null; namespace: string | null } | null;
  /** Set for rootless containers: the uid whose delegated cgroup tree (user@UID.service) holds it. */
  rootlessUid: number | null;
  /** The cgroup path it was recognised from (v2 line, else the name=systemd line, else a controller's). */
  cgroup: string;
}

export interface ChannelBase {
  /** Stable across snapshots for the same kernel object. */
  id: string;
  kind: ChannelKind;
  endpoints: Endpoint[];
  /** Values of it that could not be read (they are null): present only when something failed. */
  errors?: ReadError[];
}

export interface Capabilities {
  /** The native addon loaded; `nativeError` says why not. */
  native: boolean;
  nativeError?: string;
  /** /dev/mqueue is mounted, so POSIX queues are listable. */
  mqueueMounted: boolean;
  /** sock_diag netlink answered (Unix peers and queues). */
  sockDiag: boolean;
  /** MSG_COPY peeks are possible (CONFIG_CHECKPOINT_RESTORE); null when not probed. */
  msgCopy: boolean | null;
  /** pidfd_open/pidfd_send_signal available. */
  pidfd: boolean;
  /** Running as root (or with CAP_SYS_PTRACE): every process visible. */
  root: boolean;
  euid: number;
  /** kernel.yama.ptrace_scope, null when Yama is absent. */
  ptraceScope: number | null;
  /** Worker threads used for the fd walk. */
  threads: number;
  /** Which fd walk ran and why a faster one did not. */
  walk?: WalkCapability;
  /** Live activity (rates, signal log): whether the tracer runs in this process, could run, and why not. */
  activity?: ActivityCapability;
}

/** Where live-activity rates come from. */
export type ActivitySource = 'bpf' | 'queue-depth';

/** One tracer program (an attach point) and whether it runs. */
export interface ActivityProgram {
  /** e.g. `tp_btf/sys_exit`. */
  attachPoint: string;
  /** What it counts: `pipes` (pipes, FIFOs, SysV and POSIX queues), `sockets`, `signals`. */
  part: 'pipes' | 'sockets' | 'signals';
  attached: boolean;
  /** Why it did not load or attach (this kernel lacks the tracepoint, the verifier refused it). */
  error?: string;
}

export interface ActivityCapability {
  /**
   * `bpf`: the live-activity tracer is attached in this process (counts every write, send and
   * signal); `queue-depth`: rates are derived from queue-depth changes between snapshots (a lower
   * bound) and there is no signal log.
   */
  source: ActivitySource;
  /** The tracer could run here: privileged (root or CAP_BPF+CAP_PERFMON), kernel BTF, built. */
  tracerAvailable: boolean;
  /** Why the source is not `bpf` (not privileged, no BTF, not built, turned off, not started), or what part of the tracer is missing. */
  reason?: string;
  /** Per tracer program, once a load was tried. */
  programs?: Record<string, ActivityProgram>;
}

/** The fd-walk backends, fastest first: the BPF task_file iterator, the native /proc walk, the TypeScript /proc walk. */
export type WalkBackend = 'bpf-iter' | 'proc' | 'proc-ts';

export interface WalkCapability {
  backend: WalkBackend;
  /** Why the backends before it did not run (e.g. "bpf-iter: not privileged: …"); absent for bpf-iter. */
  reason?: string;
  /** bpf-iter only: why its maps pass did not run (the mappings then come from /proc/PID/maps, as the /proc walk reads them). */
  mapsPassOff?: string;
}

export interface Snapshot {
  version: number;
  takenAt: string;
  durationMs: number;
  host: { kernel: string; hostname: string; bootId?: string };
  capabilities: Capabilities;
  warnings: string[];
  processes: ProcessInfo[];
  channels: Channel[];
}

/** What changed between two snapshots; ids are the channel ids / pids. */
export interface SnapshotDiff {
  fromTakenAt: string | null;
  toTakenAt: string;
  addedChannels: Channel[];
  removedChannels: string[];
  changedChannels: Channel[];
  addedProcesses: ProcessInfo[];
  removedProcesses: number[];
  changedProcesses: ProcessInfo[];
  /** Snapshot-level facts that replace the previous ones wholesale. */
  capabilities: Capabilities;
  warnings: string[];
  durationMs: number;
  /** Snapshot-level host facts (so applyDiff(null, diff) can build a whole snapshot). */
  host?: Snapshot['host'];
  version?: number;
}
