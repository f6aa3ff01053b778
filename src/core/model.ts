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
  /** sem_getvalue; null when unreadable. */
  value: number | null;
  uid: number;
  owner: string;
  mode: string;
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
  /** For loopback pairs where both ends were seen: the other end's channel id. */
  peer?: string;
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
