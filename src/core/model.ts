// The snapshot contract: the plain data every layer (CLI JSON, views, webview) exchanges.
// Field names here are public interface (documented in the README); change them only with a
// version bump. No behaviour lives in this file.

export const SNAPSHOT_VERSION = 1;

export const CHANNEL_KINDS = [
  'pipe',
  'fifo',
  'sysv-msg',
  'posix-mq',
  'sysv-shm',
  'posix-shm',
  'anon-shm',
  'sysv-sem',
  'posix-sem',
  'unix',
  'tcp',
  'udp',
] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export function isChannelKind(v: unknown): v is ChannelKind {
  return typeof v === 'string' && (CHANNEL_KINDS as readonly string[]).includes(v);
}

/** How a process holds an end: read, write or both (from the fd link's mode bits or fdinfo flags). */
export type Mode = 'r' | 'w' | 'rw';

/** One process's hold on a channel: through an fd, or through a memory mapping (`map` = the maps line's address range). */
export interface Endpoint {
  pid: number;
  fd?: number;
  map?: string;
  mode: Mode;
}

export interface SignalState {
  /** Thread-directed pending (SigPnd). */
  pending: string[];
  /** Process-wide pending (ShdPnd). */
  shdPending: string[];
  blocked: string[];
  ignored: string[];
  caught: string[];
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
  cmdline: string[];
  uid: number;
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

interface ChannelBase {
  /** Stable across snapshots for the same kernel object. */
  id: string;
  kind: ChannelKind;
  endpoints: Endpoint[];
}

export interface PipeChannel extends ChannelBase {
  kind: 'pipe';
  inode: number;
  /** FIONREAD on the pipe; null when it could not be opened (no native addon, no permission). */
  bufferedBytes: number | null;
  /** F_GETPIPE_SZ; null when unknown. */
  capacity: number | null;
}

export interface FifoChannel extends ChannelBase {
  kind: 'fifo';
  inode: number;
  /** Device of the filesystem holding the FIFO, `major:minor`. */
  dev: string;
  path: string;
  /** The FIFO's name was unlinked while still open. */
  deleted: boolean;
  bufferedBytes: number | null;
  capacity: number | null;
}

export interface SysvMsgChannel extends ChannelBase {
  kind: 'sysv-msg';
  key: number;
  msqid: number;
  messages: number;
  bytes: number;
  maxBytes: number;
  lastSendPid: number;
  lastRecvPid: number;
  uid: number;
  owner: string;
  /** Permission bits as octal text, e.g. `0660`. */
  mode: string;
  lastSendTime: string | null;
  lastRecvTime: string | null;
}

export interface PosixMqChannel extends ChannelBase {
  kind: 'posix-mq';
  /** Name without the leading slash, as in /dev/mqueue. */
  name: string;
  messages: number | null;
  maxMessages: number | null;
  messageSize: number | null;
  /** QSIZE: bytes queued. */
  bytes: number | null;
  notifyPid: number | null;
  uid: number | null;
  owner: string | null;
  mode: string | null;
}

export interface SysvShmChannel extends ChannelBase {
  kind: 'sysv-shm';
  key: number;
  shmid: number;
  size: number;
  attachCount: number;
  creatorPid: number;
  lastPid: number;
  uid: number;
  owner: string;
  mode: string;
  /** Marked for removal (IPC_RMID done, still attached). */
  destroyed: boolean;
  /** Creator gone and nothing attached: probably leaked. */
  orphaned: boolean;
}

export interface PosixShmChannel extends ChannelBase {
  kind: 'posix-shm';
  name: string;
  size: number;
  uid: number;
  owner: string;
  mode: string;
}

/**
 * Shared memory with no name in /dev/shm or SysV: a MAP_SHARED|MAP_ANONYMOUS region inherited
 * across fork() (maps path `/dev/zero (deleted)`, e.g. PostgreSQL's shared buffers), a shared
 * anonymous hugetlb mapping (`/anon_hugepage (deleted)`) or a memfd (`/memfd:NAME (deleted)`,
 * often passed over a Unix socket). Only shared (`s`) mappings count, grouped by dev:inode; it is
 * a channel only when at least two distinct processes map it.
 */
export interface AnonShmChannel extends ChannelBase {
  kind: 'anon-shm';
  /** `/dev/zero`, `anon_hugepage` or `memfd:NAME` (NAME is program-chosen text: escape at display). */
  name: string;
  /** Inode of the shmem/hugetlbfs object (the maps line's inode column). */
  inode: number;
  /** Device `major:minor` as in the maps line (e.g. `00:01` for shmem). */
  dev: string;
  /** Largest mapping length seen in bytes (a process may map only part of the object). */
  size: number;
}

export interface SysvSemChannel extends ChannelBase {
  kind: 'sysv-sem';
  key: number;
  semid: number;
  nsems: number;
  /** Per semaphore (GETALL); null without the native addon or read permission. */
  values: number[] | null;
  /** Processes waiting for each value to increase (GETNCNT). */
  waitingForIncrease: number[] | null;
  /** Processes waiting for each value to become zero (GETZCNT). */
  waitingForZero: number[] | null;
  /** Last pid that operated on each semaphore (GETPID). */
  lastPid: number[] | null;
  uid: number;
  owner: string;
  mode: string;
}

export interface PosixSemChannel extends ChannelBase {
  kind: 'posix-sem';
  name: string;
  /** The counter (read from the file's glibc sem_t); null when unreadable or not a semaphore. */
  value: number | null;
  uid: number;
  owner: string;
  mode: string;
  /** Present when /dev/shm/sem.NAME is not a readable semaphore: what is wrong (wrong size or type, unreadable). Text built from a name another user chose: escape at display. */
  error?: string;
}

export type UnixType = 'stream' | 'dgram' | 'seqpacket';

export interface UnixChannel extends ChannelBase {
  kind: 'unix';
  inode: number;
  type: UnixType;
  /** Filesystem path when bound to one. */
  path?: string;
  /** Abstract name (without the leading NUL / `@`) when bound in the abstract namespace. */
  abstract?: string;
  /** `listen`, `connected`, `unconnected`, `connecting`, `disconnecting`. */
  state: string;
  /** Channel id of the other end (`unix:INODE`), when connected. */
  peer?: string;
  peerInode?: number;
  /** Bytes (stream) or datagrams waiting to be read; for a listener, pending connections. */
  recvQueue: number | null;
  sendQueue: number | null;
  netns: string;
  /**
   * The file the socket is bound to, as the kernel keeps it (sock_diag UNIX_DIAG_VFS, native
   * only): its inode and device `major:minor`. Compared with what `path` names now, it tells a
   * socket whose path was unlinked or taken over by another socket.
   */
  boundInode?: number;
  boundDev?: string;
}

export interface InetChannel extends ChannelBase {
  kind: 'tcp' | 'udp';
  family: 4 | 6;
  /** `addr:port`, IPv6 in brackets: `[::1]:8080`. */
  local: string;
  remote: string;
  /** TCP state names as ss prints them (ESTAB, LISTEN, TIME-WAIT, …); UDP: UNCONN or ESTAB. */
  state: string;
  recvQueue: number;
  sendQueue: number;
  inode: number;
  /** Network namespace inode (`readlink /proc/PID/ns/net`), as text. */
  netns: string;
  /** The other end's channel id when both ends were seen (see `peerMatch`); absent when unknown or ambiguous. */
  peer?: string;
  /**
   * Set with `peer` when the other end is NOT a plain pair in this namespace: its network
   * namespace (differs from `netns` across namespaces). Absent for same-namespace pairs: `netns`.
   */
  peerNetns?: string;
  /**
   * How `peer` was found, when not the swapped (local, remote) pair in this same namespace
   * (absent then): `tuple-netns` — the swapped pair in another namespace, the only such socket
   * machine-wide and not a loopback address (veth, bridges); `conntrack` — a NAT entry (DNAT of a
   * published port) of the namespace that translated it maps one end's tuple onto the other's.
   */
  peerMatch?: 'tuple-netns' | 'conntrack';
  /**
   * A user-space port proxy (docker-proxy) relays this connection: the channel id of the proxy's
   * other socket for the same connection, when the proxy holds exactly one connection on each side.
   */
  relay?: string;
  uid: number;
}

export type Channel =
  | PipeChannel
  | FifoChannel
  | SysvMsgChannel
  | PosixMqChannel
  | SysvShmChannel
  | PosixShmChannel
  | AnonShmChannel
  | SysvSemChannel
  | PosixSemChannel
  | UnixChannel
  | InetChannel;

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
