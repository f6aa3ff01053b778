// The native addon's interface (native/src/*.cc) and its loader. The addon returns facts or
// throws errors carrying the errno name (`code`), `errno` and `syscall`; it never decides policy.
// A missing or broken addon yields `null` plus the reason, and callers degrade (see capabilities).
// Every call that touches one object another user controls (the peeks, mq and semaphore reads)
// returns a promise settled from a thread of its own: such a call may block in the kernel for
// good, and callers race it against a deadline (core/deadline.ts). `ESTALE` from a peek means the
// fd or mapping no longer is the object the caller named (its holder swapped it).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FdRule, MapsRule } from './kinds/kind';

/**
 * Threads with an fd table of their own (unshare(CLONE_FILES)) the native walks list per process,
 * at most: the first ones in tid order (native/src/walkrows.h kMaxThreadTables; a unit test holds
 * the two together). What such a thread still shares with its process is listed under the process
 * only, but each thread can open fresh fds, and any user can start thousands of threads.
 */
export const MAX_THREAD_TABLES = 64;

/** Mode bits as the walk reports them: 1 = read, 2 = write, 3 = both. */
export const MODE_R = 1;
export const MODE_W = 2;
/**
 * A path row's file has no name left (nlink 0: what the ` (deleted)` of its link means). Told by
 * the inode, not the text: a live file may be named `x (deleted)` by whoever made it.
 */
export const MODE_UNLINKED = 4;
/**
 * A pipe's or FIFO's row where the BPF walk read the kernel's pipe state (walkrows.h): MODE_NO_READER
 * / MODE_NO_WRITER then say the kernel counts no open read / write file of it anywhere — fd tables,
 * files in flight over a Unix socket, the kernel's own. The /proc walk cannot know, and sets none.
 */
export const MODE_KERNEL_ENDS = 8;
export const MODE_NO_READER = 16;
export const MODE_NO_WRITER = 32;

export interface ProcWalkOptions {
  /** Root of the proc filesystem (tests point it at captured trees). Default `/proc`. */
  procRoot: string;
  /** Worker threads for the walk; 0 = one per core. */
  threads: number;
  /** Only these pids (empty = all). */
  pids?: number[];
  /** Parallel to `pids`: a thread's process's pid when that pid is a thread with an fd table of its own (see ProcWalkProcess.threadTables), 0 for a process. */
  leaders?: number[];
  /**
   * Which fds are reported, as rules (core/kinds: each kind's and process facet's fd class; the
   * walk knows no kind). First matching rule wins; `kind` of a row is its rule's `code`. Empty or
   * absent: the fd table is not read. A `measure` rule gets FIONREAD + F_GETPIPE_SZ once per
   * distinct inode, opened only through a read-mode fd (so the open never makes a reader appear).
   */
  fdRules?: readonly FdRule[];
  /** Which /proc/PID/maps lines are kept (core/kinds). Empty or absent: maps are not read. */
  mapsRules?: readonly MapsRule[];
  /** `/` links never followed with statx (devpts terminals: never IPC, many). */
  skipLinks?: readonly string[];
  /** Read /proc/PID/timers. */
  readTimers: boolean;
  /** readlink cwd and exe. */
  readLinks: boolean;
  /** Read /proc/PID/cgroup (containers: namespaces.ts), on the walk's threads instead of after it. */
  readCgroup?: boolean;
  /** The BPF walk: Unix sockets' files in flight in `buffered` (BpfWalkOptions.scmFds). The /proc walk reads none. */
  scmFds?: boolean;
  /** The BPF walk: kernel threads' facts from the task iterator alone (BpfWalkOptions.kthreadsFromTask). The /proc walk reads them. */
  kthreadsFromTask?: boolean;
  /**
   * Opt-in, default false: classify fds by duplicating each one into this process with pidfd_getfd
   * (root / ptrace rights, real /proc only). Cheaper in CPU but not passive — on every socket it
   * re-tags the target's socket with our cgroup v1 net_cls classid / net_prio index, each copy holds
   * an extra reference (delayed pipe EOF) and runs LSM file_receive hooks / audit. Never for the
   * periodic walk; the default is readlink-only (see native/src/walk.cc).
   */
  useGetfd?: boolean;
  /** A process (or one range of a large fd table) still being read after this long is given up: its thread is left blocked, the process is reported with error ETIMEDOUT. Default 5000. */
  itemTimeoutMs?: number;
  /** The whole walk: whatever is not done by then is given up the same way. Default 30000. */
  deadlineMs?: number;
  /**
   * Pids the other backend's walk threads are still stuck in (its `stuckWalks()`): skipped and
   * reported like this walk's own stuck pids (error ETIMEDOUT, `stuck` = `what`). The /proc walk
   * applies it on the real /proc only.
   */
  skipStuck?: { pid: number; what: string }[];
  /**
   * The snapshot's fd-row budget (probes/context.ts FdIndex), applied by the native walks as they
   * read so that their own columns stay bounded: rows of a user past `rowsPerUser`, or of anyone
   * past `rowsTotal`, in (pid, fd) order, are not kept (ProcWalkProcess.fdsPastBudget). Absent: no bound.
   */
  rowsPerUser?: number;
  rowsTotal?: number;
}

/** Raw per-process text, parsed in TypeScript (core/parsers). Missing fields = vanished or unreadable. */
export interface ProcWalkProcess {
  pid: number;
  /** A thread with an fd table of its own, walked under its tid (`pid`): its process's pid. */
  leader?: number;
  /** The /proc walk: this process's threads with an fd table of their own (the caller walks them next, with `leaders`). */
  threadTables?: number[];
  /** Threads of this process with an fd table of their own that were not walked: past the first MAX_THREAD_TABLES tables (in tid order). */
  threadTablesSkipped?: number;
  /** errno name when the process vanished (ENOENT/ESRCH) or could not be read (EACCES) at all; ETIMEDOUT when its reads were given up (see `stuck`). */
  error?: string;
  /** With error ETIMEDOUT: the /proc file whose read did not return within itemTimeoutMs (e.g. `/proc/123/cmdline`); absent when the deadline came first. */
  stuck?: string;
  /** Part of the fd table was given up: the file the walk was stuck on, or '' when the deadline came first. */
  fdsCut?: string;
  /**
   * The native walks: fds of this process left out by the fd-row budget (ProcWalkOptions.rowsPerUser):
   * the BPF walk's rows dropped; the /proc walk's open fds of the table parts it did not walk.
   */
  fdsPastBudget?: number;
  /** errno name when the fd directory, or its fd links, could not be read (other users' processes without root; EACCES from a link: ptrace read access refused). */
  fdError?: string;
  /** With fdError: 'readlink' when the directory listed but its fd links were refused (else it could not be opened). */
  fdErrorSyscall?: 'readlink';
  stat?: string;
  status?: string;
  /** NUL-separated, as in the file. */
  cmdline?: string;
  /** comm's bytes in hex (stat's text between its first `(` and last `)`), only when they are not UTF-8 (`stat` then has U+FFFD there). */
  commHex?: string;
  /** cmdline's bytes in hex, only when they are not UTF-8 (`cmdline` then has U+FFFD for the bad bytes). */
  cmdlineHex?: string;
  /** Only the maps lines some `mapsRules` entry keeps, newline-joined. */
  maps?: string;
  /** The kept maps text's bytes in hex, only when they are not UTF-8 (a path in it then has U+FFFD for the bad bytes): probes/maps.ts finds a line's path bytes in them. */
  mapsHex?: string;
  timers?: string;
  /** `readlink /proc/PID/ns/net`, e.g. `net:[4026531840]`. */
  netns?: string;
  /** `readlink /proc/PID/ns/ipc`, e.g. `ipc:[4026531839]`: whose SysV objects and POSIX queues it sees. */
  ipcns?: string;
  /** `readlink /proc/PID/ns/mnt`, e.g. `mnt:[4026531841]`: the mount namespace its fd links and maps paths name files in. */
  mntns?: string;
  cwd?: string;
  exe?: string;
  /** The cwd and exe links' bytes in hex, only when they are not UTF-8 (the text then has U+FFFD for the bad bytes). */
  cwdHex?: string;
  exeHex?: string;
  /** /proc/PID/cgroup, with readCgroup. */
  cgroup?: string;
  /** /proc files of it that could not be read (the value is then absent): file (`maps`, `cwd`, …) and errno name. */
  errors?: Array<{ file: string; code: string }>;
  /** The BPF walk: what stat and status say, read from the task itself (then stat and status are left out). */
  task?: ProcTaskFacts;
}

/** /proc/PID/stat and status fields as the kernel prints them, from the BPF task iterator. */
export interface ProcTaskFacts {
  comm: string;
  /** comm's bytes in hex, only when they are not UTF-8 (`comm` then has U+FFFD for the bad bytes). */
  commHex?: string;
  /** stat's state letter. */
  state: string;
  ppid: number;
  /** Clock ticks since boot (stat field 22). */
  startTime: number;
  threads: number;
  /** Real uid. */
  uid: number;
  /** Effective uid (status's second Uid field); absent from builds before it. */
  euid?: number;
  tracerPid: number;
  /** status's hex masks. */
  sigPnd: string;
  shdPnd: string;
  sigBlk: string;
  sigIgn: string;
  sigCgt: string;
  /** status's "queued/limit". */
  sigQ: string;
  /** status's NSpid: the pid in each nested pid namespace, outermost first. */
  nsPid: number[];
  /** Its root directory is the walker's (the same mount and dentry): /proc/PID/root reads "/". Absent: not known to be. */
  ownRoot?: true;
}

/**
 * The fds some rule reports, in columns (one row per fd), in (pid, fd) order. Every backend (the
 * readlink walk, the TypeScript walk, a BPF iterator) fills the same columns from the same rules.
 */
export interface ProcWalkFds {
  pid: Int32Array;
  fd: Int32Array;
  /** The `code` of the rule that reported it. */
  kind: Uint8Array;
  /** MODE_R | MODE_W, MODE_UNLINKED on path rows whose file has no name left, MODE_KERNEL_ENDS… on pipe rows of the BPF walk */
  mode: Uint8Array;
  inode: Float64Array;
  /** st_dev of the target (FIFOs, mqueue, /dev/shm), 0 otherwise. */
  dev: Float64Array;
  /** Index into `paths` for rows of `/` rules (the link text), -1 otherwise. */
  pathIndex: Int32Array;
  /** Index into `infos` for rows of rules with `fdinfo` keys, -1 otherwise (or when fdinfo was unreadable). */
  infoIndex: Int32Array;
  /** FIONREAD result for rows of `measure` rules when measured; a Unix socket's scm_fds (files in flight) when the BPF walk was asked (`scmFds`); -1 otherwise. */
  buffered: Float64Array;
  /** F_GETPIPE_SZ for rows of `measure` rules when measured, -1 otherwise. */
  capacity: Float64Array;
}

/** lookupNoFollow's answer: the file (dev `major:minor`; with openDir, a directory's O_PATH handle `fd`, the caller's to close), no such path, or why it was not looked up ('mount': a mount not called local; 'symlink': one owned by `uid`; 'deep'; 'changed'; an errno name). */
export type PathLookup =
  | { found: { dev: string; ino: number; mode: number; uid: number; mtimeMs: number }; fd?: number }
  | { missing: true }
  | { skipped: string; mountId?: number; uid?: number };

export interface ProcWalk {
  /** Per process; one given up (a read past itemTimeoutMs, or the deadline) has `error: 'ETIMEDOUT'`. */
  processes: ProcWalkProcess[];
  fds: ProcWalkFds;
  /** readlink text of `/` rows (may end in ` (deleted)`). */
  paths: string[];
  /** The paths that are not UTF-8 (their text has U+FFFD for the bad bytes): indices into `paths`, ascending; absent when none. */
  pathHexAt?: number[];
  /** Their bytes in hex, parallel to pathHexAt. */
  pathHex?: string[];
  /** The fdinfo lines a rule asked for (`key:\tvalue`, newline-joined), by infoIndex. */
  infos: string[];
  /** Wall time inside the walk, ms. */
  elapsedMs: number;
  threads: number;
}

export interface SysvMsgStat {
  msqid: number;
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  mode: number;
  qnum: number;
  cbytes: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
  /** Seconds since the epoch, 0 = never. */
  stime: number;
  rtime: number;
  ctime: number;
}

/** socketNetns: a held socket's family and namespace; for AF_INET/AF_INET6, what ss would print of it (v6only 2: unknown). */
export interface SocketNetns {
  family: number;
  netns: number;
  nsFd?: number;
  inet?: { type: number; protocol: number; localAddr: string; localPort: number; remoteAddr: string; remotePort: number; tcpState: number; rqueue: number; wqueue: number; v6only: number; uid: number };
  /** AF_NETLINK: its protocol, port id and first 32 groups (0 until bound), and where it is connected (getpeername). Absent from older addons. */
  netlink?: { type: number; protocol: number; portid: number; groups: number; dstPortid: number; dstGroups: number };
}

export interface SysvShmStat {
  shmid: number;
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  mode: number;
  size: number;
  nattch: number;
  cpid: number;
  lpid: number;
  atime: number;
  dtime: number;
  ctime: number;
  /** SHM_DEST set: removed, lives until the last detach. */
  dest: boolean;
}

export interface SysvSemStat {
  semid: number;
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  mode: number;
  nsems: number;
  otime: number;
  ctime: number;
  /** GETALL / GETNCNT / GETZCNT / GETPID per semaphore; absent when not permitted (`error`). */
  values?: number[];
  ncnt?: number[];
  zcnt?: number[];
  pids?: number[];
  error?: string;
}

/** What IPC_STAT says of one SysV object now (sysvStat, sysvRemoveIf): its ipc_perm and change time. */
export interface SysvObjectStat {
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** Permission bits. */
  mode: number;
  /** *_ctime, seconds since the epoch. */
  ctime: number;
  /** Segments only: attach count, and SHM_DEST (removed already, freed at the last detach). */
  nattch?: number;
  dest?: boolean;
}

/** The fields sysvRemoveIf may be asked to match: each one given must equal the stat's. */
export type SysvExpect = Partial<Record<'key' | 'uid' | 'gid' | 'cuid' | 'cgid' | 'ctime', number>>;

export interface SysvRemoveIfResult {
  /** IPC_RMID was done: every field of `expect` matched. */
  removed: boolean;
  seen: SysvObjectStat;
  /** The fields of `expect` that did not match (nothing was removed then). */
  differs: Array<keyof SysvExpect>;
}

/** Unix sockets from sock_diag, in columns. */
export interface UnixDiag {
  inode: Float64Array;
  /** SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5 */
  type: Uint8Array;
  /** TCP_* state numbers as the kernel reports them for unix sockets (1 ESTABLISHED, 7 CLOSE, 10 LISTEN, 2 SYN_SENT). */
  state: Uint8Array;
  /** Peer inode, 0 when none; -1 when the kernel names an other end without an inode (a closed end it still references, or an embryo in an accept queue). */
  peer: Float64Array;
  /** sk_shutdown (UNIX_DIAG_SHUTDOWN): 1 no more receiving, 2 no more sending. Absent from /proc/net/unix and older builds. */
  shutdown?: Uint8Array;
  rqueue: Float64Array;
  wqueue: Float64Array;
  /** 0 unnamed, 1 path, 2 abstract */
  nameKind: Uint8Array;
  /** Path or abstract name (without the leading NUL), '' when unnamed. */
  name: string[];
  /** The names that are not UTF-8 (their `name` has U+FFFD for the bad bytes): the rows, and each one's bytes in hex. Absent when none. */
  nameHexAt?: number[];
  nameHex?: string[];
  /**
   * UNIX_DIAG_VFS: inode of the file the socket is bound to and its device in the kernel's
   * internal encoding (MAJOR << 20 | MINOR); 0 when not bound to a path. Absent from /proc/net/unix.
   */
  vfsIno?: Float64Array;
  vfsDev?: Float64Array;
  /**
   * UNIX_DIAG_ICONS: the connections waiting in listeners' accept queues, as pairs — the
   * listener's inode and the connecting socket's. Absent from /proc/net/unix and older builds.
   */
  pendingListener?: Float64Array;
  pendingClient?: Float64Array;
}

/** TCP/UDP sockets from inet_diag, in columns. */
export interface InetDiag {
  family: Uint8Array;
  /** TCP state numbers (1 ESTABLISHED … 10 LISTEN, 12 NEW_SYN_RECV). */
  state: Uint8Array;
  localAddr: string[];
  localPort: Uint16Array;
  remoteAddr: string[];
  remotePort: Uint16Array;
  rqueue: Float64Array;
  wqueue: Float64Array;
  inode: Float64Array;
  uid: Float64Array;
  /** IPV6_V6ONLY of an IPv6 listening or unconnected socket: 0 (dual-stack: takes IPv4 too) or 1; 2 when not said (IPv4, connections). */
  v6only?: Uint8Array;
  /** The device each socket is bound to (SO_BINDTODEVICE, an IPv6 link-local address's scope), by name in its namespace; '' for none. */
  iface?: string[];
  /**
   * Dumps 'mptcp' and 'mptcp-subflows' only: the MPTCP connection's local token (an MPTCP socket's
   * mptcpi_token; a subflow's MPTCP_SUBFLOW_ATTR_TOKEN_LOC — the same number for a connection and
   * each of its subflows), -1 when not said.
   */
  token?: Float64Array;
  /** 'mptcp': bytes of its stream the peer has not acknowledged (mptcpi_write_seq − mptcpi_snd_una), -1 when not said. */
  unacked?: Float64Array;
  /** 'mptcp': its subflows beyond the first (mptcpi_subflows, those that joined with MP_JOIN). */
  joins?: Uint8Array;
}

/** Packet sockets (AF_PACKET) from packet_diag, in columns. */
export interface PacketDiag {
  /** SOCK_RAW 3 or SOCK_DGRAM 2. */
  type: Uint8Array;
  /** The ethertype it receives, host order (3 ETH_P_ALL; 0 none until bound). */
  protocol: Float64Array;
  /** The bound interface's index, 0 for every interface. */
  ifindex: Float64Array;
  /** Its name in the namespace ('' for none). */
  iface: string[];
  /** 1 when it has a PACKET_RX_RING (frames go to a mapped ring, not the receive queue). */
  ring: Uint8Array;
  /** Receive / send buffer memory in use (SK_MEMINFO_RMEM_ALLOC / WMEM_ALLOC); -1 when not said. */
  rqueue: Float64Array;
  wqueue: Float64Array;
  /**
   * The receive buffer's size (SK_MEMINFO_RCVBUF, ss's `rb`: a frame is dropped once the memory in
   * use reaches it) and the frames dropped since it was opened (SK_MEMINFO_DROPS, ss's `d`); -1
   * when not said. Absent from /proc/net/packet, which says neither, and from older addons.
   */
  rcvbuf?: Float64Array;
  drops?: Float64Array;
  inode: Float64Array;
  uid: Float64Array;
  /**
   * packet_diag's pdi_version (0 TPACKET_V1, 1 V2, 2 V3: its rings' frame layout), and its
   * PACKET_RX_RING / TX_RING as packet_diag_ring gives them (block size and count, frame size and
   * count; 0 when it has no such ring). Absent from /proc/net/packet and from older addons.
   */
  version?: Uint8Array;
  rxBlockSize?: Float64Array;
  rxBlocks?: Float64Array;
  rxFrameSize?: Float64Array;
  rxFrames?: Float64Array;
  txBlockSize?: Float64Array;
  txBlocks?: Float64Array;
  txFrameSize?: Float64Array;
  txFrames?: Float64Array;
}

/**
 * Netlink sockets (AF_NETLINK) of a namespace, in columns: from /proc/net/netlink, or from
 * netlink_diag (NETLINK_SOCK_DIAG), which also says the socket's type and where it is connected.
 */
export interface NetlinkDiag {
  /** The netlink protocol (socket()'s third argument: 0 NETLINK_ROUTE, 15 KOBJECT_UEVENT, 16 GENERIC…). */
  protocol: Float64Array;
  /** Its port id (nl_pid), 0 for the kernel's own socket of the protocol. Unsigned: an autobind clash gives values past 2^31. */
  portid: Float64Array;
  /** The multicast groups it is bound to, as a bitmap of 32-bit words (word 0: groups 1–32); /proc/net/netlink shows word 0 only. */
  groups: number[][];
  /** Receive / send buffer memory in use (sk_rmem_alloc / sk_wmem_alloc, ss's Recv-Q / Send-Q). */
  rqueue: Float64Array;
  wqueue: Float64Array;
  /** netlink_diag only: the receive buffer's size (sk_rcvbuf), -1 when the kernel did not say: a message that finds the memory in use past it is dropped. */
  rcvbuf?: Float64Array;
  /** Messages dropped (sk_drops): its receive buffer was full when they came. */
  drops: Float64Array;
  /** 1 while a dump it asked for is running (cb_running): more answers come as it reads. */
  dump: Uint8Array;
  inode: Float64Array;
  /** netlink_diag only: SOCK_RAW 3 or SOCK_DGRAM 2. */
  type?: Uint8Array;
  /** netlink_diag only: connect()ed (NETLINK_CONNECTED), and to which port id and group (0: the kernel). */
  connected?: Uint8Array;
  dstPortid?: Float64Array;
  dstGroup?: Float64Array;
}

export interface MsgCopyMessage {
  index: number;
  /** The sender's mtype; its decimal text when a double cannot hold it exactly (past 2^53). */
  type: number | string;
  size: number;
  data: Buffer;
  truncated: boolean;
}

export interface MsgPeekResult {
  messages: MsgCopyMessage[];
  /** Queue counters (IPC_STAT) before and after the copies: equal ones show nothing was consumed. */
  before: { messages: number; bytes: number };
  after: { messages: number; bytes: number } | null;
  /** Positions of the messages longer than `copyMax`, the most one copy takes: not copied (MSG_COPY copies a message whole or not at all). */
  tooLarge?: number[];
  copyMax?: number;
}

export interface SemStat {
  semid: number;
  nsems: number;
  values: number[];
  ncnt: number[];
  zcnt: number[];
  pids: number[];
}

/** A walk thread given up while blocked in the kernel that has not returned yet. */
export interface StuckWalk {
  pid: number;
  /** The /proc file it is blocked on. */
  what: string;
  /** How long since it was given up. */
  ms: number;
}

export interface PipePeekResult {
  buffered: number;
  capacity: number;
  data: Buffer;
}

/** The C library's heap (mallinfo2 over every arena), bytes. */
export interface MallocInfo {
  /** From the arenas' heaps (sbrk and the threads' heaps). */
  arena: number;
  /** In blocks mmapped on their own. */
  mmap: number;
  inUse: number;
  /** Free but held in the arenas (what a trim may give back). */
  free: number;
}

/** One socket end's tuple, as its (local → remote) reads: the addresses without brackets. */
export interface ConntrackQuery {
  family: 4 | 6;
  proto: 'tcp' | 'udp';
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

export interface ConntrackFlow {
  orig: { src: string; dst: string; sport: number; dport: number };
  reply: { src: string; dst: string; sport: number; dport: number };
  /** IPS_* bits (nf_conntrack_common.h). */
  status: number;
}

/** The bytes a socket peek read, and the whole length of the first message they may cut short. */
export type SocketPeekResult = Buffer & {
  /** Datagram and seqpacket sockets: the whole length of the first queued message (MSG_TRUNC), which the bytes may cut short. */
  firstMessageBytes?: number;
};

export interface NativeAddon {
  walkProc(options: ProcWalkOptions): Promise<ProcWalk>;

  /**
   * Every SysV object the caller may see (*_STAT_ANY), read on the libuv pool: of the caller's IPC
   * namespace, or of `nsPath`'s (e.g. /proc/PID/ns/ipc; needs CAP_SYS_ADMIN over it).
   */
  sysvMsgList(nsPath?: string): Promise<SysvMsgStat[]>;
  sysvShmList(nsPath?: string): Promise<SysvShmStat[]>;
  /** With values/ncnt/zcnt/pids where permitted (else `error`, the errno name of GETALL's failure). */
  sysvSemList(nsPath?: string): Promise<SysvSemStat[]>;
  /** The kinds asked of one IPC namespace, on one thread that entered it once (rejects on the first list that fails). */
  sysvLists?(nsPath: string, kinds: { msg: boolean; shm: boolean; sem: boolean }): Promise<{ msg?: SysvMsgStat[]; shm?: SysvShmStat[]; sem?: SysvSemStat[] }>;

  /** sock_diag in the caller's netns, or in the netns of `nsPath` (e.g. /proc/PID/ns/net; needs CAP_SYS_ADMIN). */
  unixDiag(nsPath?: string): Promise<UnixDiag>;
  /**
   * family 0: both in one table — TCP in one pass over the kernel's tables (its compat request;
   * each per-family request walks the whole established hash, empty buckets included), UDP and
   * kernels refusing that request as the two dumps one after the other.
   * `raw`: raw IP sockets (raw_diag: the local port is the socket's IP protocol; one family at a
   * time), rejecting with ENOENT (syscall `sock_diag`) where the kernel has no raw_diag.
   */
  /** 'mptcp-subflows': the TCP sockets that carry an MPTCP subflow (no others), with `token`. */
  inetDiag(protocol: 'tcp' | 'mptcp' | 'mptcp-subflows' | 'udp' | 'udplite' | 'raw', family: 4 | 6 | 0, nsPath?: string): Promise<InetDiag>;
  /** Packet sockets (packet_diag); rejects with ENOENT (syscall `sock_diag`) where the kernel has none. Absent from older addons. */
  packetDiag?(nsPath?: string): Promise<PacketDiag>;
  /**
   * Netlink sockets (netlink_diag, NDIAG_PROTO_ALL with groups and memory); rejects with ENOENT
   * (syscall `sock_diag`) where the kernel has none. The caller asks only where no module would be
   * loaded for it (probes/netlinkSockets.ts). Absent from older addons.
   */
  netlinkDiag?(nsPath?: string): Promise<NetlinkDiag>;
  /**
   * Inodes of the netlink sockets the addon opened lately (sock_diag dumps, conntrack lookups), the
   * newest last: each lives for one request, and a table read meanwhile lists it with no holder
   * (the walk's own rows of it are dropped, ownHandles.ts). Absent from older addons.
   */
  ownNetlinkInodes?(): number[];

  /**
   * The conntrack flow each tuple belongs to, in either direction (ctnetlink CT_GET: a hash lookup,
   * where a read of /proc/net/nf_conntrack walks the whole table), or null when none has it; in the
   * netns of `nsPath` when given. Rejects (EPERM without CAP_NET_ADMIN, EPROTONOSUPPORT without
   * ctnetlink) when lookups cannot be made there at all. Missing from injected test addons.
   */
  conntrackGet?(queries: readonly ConntrackQuery[], nsPath?: string): Promise<(ConntrackFlow | null)[]>;

  /** Walk threads given up while blocked in the kernel (process-wide); walks skip their pids until they return. */
  stuckWalks(): StuckWalk[];

  /** MSG_COPY | IPC_NOWAIT of up to `maxMessages` from position `first` (default 0; each message's `index` is its position); never consumes. Rejects ENOSYS without CONFIG_CHECKPOINT_RESTORE. */
  msgPeek(msqid: number, maxMessages: number, maxBytesPerMessage: number, first?: number): Promise<MsgPeekResult>;
  /** shmat(SHM_RDONLY), copy [offset, offset+length), shmdt. */
  shmRead(shmid: number, offset: number, length: number): Promise<Buffer>;
  /** IPC_STAT + GETALL/GETNCNT/GETZCNT/GETPID of one semaphore set. */
  semStat(semid: number): Promise<SemStat>;
  /** IPC_STAT of one SysV object of the caller's IPC namespace (rejects EINVAL/EIDRM when the id names none, EACCES without read permission). Absent in older builds. */
  sysvStat?(family: 'msg' | 'shm' | 'sem', id: number): Promise<SysvObjectStat>;
  /**
   * IPC_STAT, then IPC_RMID only when every field of `expect` (at least one) equals the stat's — no
   * syscall between the compare and the remove; `differs` says what did not match. Rejects with
   * either call's errno (EINVAL/EIDRM: no such id; EPERM: not the caller's to remove). Absent in
   * older builds.
   */
  sysvRemoveIf?(family: 'msg' | 'shm' | 'sem', id: number, expect: SysvExpect): Promise<SysvRemoveIfResult>;
  /**
   * tee() of up to maxBytes from the pipe behind /proc/PID/fd/FD into a private pipe. The fd is
   * reached through an O_PATH handle that must be a FIFO of `inode` on device devMajor:devMinor
   * (-1, -1: an anonymous pipe) and must still be a read end (EBADF otherwise: opening a pipe with
   * no reader would create one); only then is that inode reopened O_RDONLY|O_NONBLOCK.
   */
  pipePeek(pid: number, fd: number, inode: number, devMajor: number, devMinor: number, maxBytes: number): Promise<PipePeekResult>;
  /** pidfd_getfd of the fd while its link names socket:[inode]; the copy must be that socket (ESTALE otherwise); recv(MSG_PEEK|MSG_DONTWAIT). */
  socketPeek(pid: number, fd: number, inode: number, maxBytes: number): Promise<SocketPeekResult>;
  /** A pty end's input queue (TIOCINQ) on a pidfd_getfd duplicate checked to be that end (ESTALE otherwise); absent in an addon built before it. */
  ttyQueue?(pid: number, fd: number, master: boolean, index: number, devMajor: number, devMinor: number): Promise<{ inq: number }>;
  /** Family (SO_DOMAIN) and network namespace inode of a held socket (SIOCGSKNS on a pidfd_getfd copy); with keepNsFd, an fd of that namespace the caller must closeFd. */
  socketNetns(pid: number, fd: number, inode: number, keepNsFd?: boolean): Promise<SocketNetns>;
  /**
   * The protocol name sockfs keeps for a held socket (the xattr system.sockprotoname: `TCP`,
   * `UNIX-STREAM`, `AF_VSOCK`…, lsof's `protocol:`), read through a checked O_PATH handle of
   * /proc/PID/fd/N without copying the fd; ESTALE when it is not socket `inode` of sockfs any more.
   * Absent in an addon built before it.
   */
  socketProtocol?(pid: number, fd: number, inode: number): Promise<string>;
  /**
   * Reads [offset, offset+length) of the mapping at `range` (`lo-hi` in hex, as in maps; `offset`
   * counted from `lo`) through /proc/PID/mem, right after checking that the maps line at exactly
   * that range still shows `dev` (`00:01`) and `inode`, is shared, and — when `pgoff` is given —
   * shows that offset into the object (Endpoint.mapOffset, bytes); ESTALE otherwise. startTime -1
   * skips the pid check. (An addon built before `pgoff` ignores it.)
   */
  memRead(pid: number, startTime: number, range: string, dev: string, inode: number, offset: number, length: number, pgoff?: number): Promise<Buffer>;
  /**
   * The size of the regular file `/proc/PID/<link>` refers to — `fd/N` (a holder's fd), or
   * `map_files/LO-HI` (a mapping: the kernel lets only CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE
   * follow these, EPERM otherwise) — through an O_PATH handle (nothing is opened), statx-ed from the
   * attribute cache; ESTALE when it is not a regular file of that dev:inode now. Following a
   * mapping takes the holder's mmap lock: callers race it against a deadline. Absent in an addon
   * built before it.
   */
  heldFileStat?(pid: number, link: string, inode: number, devMajor: number, devMinor: number): Promise<{ size: number }>;

  /**
   * lstat of a path other users control, looked up component by component from handles, entering
   * only mounts in `localMountIds` (statx from the attribute cache first: no request to a FUSE or
   * NFS server, no automount), following only root's symlinks (native/src/pathlookup.cc). Absent
   * in older builds.
   */
  lookupNoFollow?(path: string, localMountIds: number[] | Float64Array, maxComponents: number, openDir?: boolean): PathLookup;

  /** mallinfo2 over every arena, bytes; null without glibc ≥ 2.33. */
  mallocInfo(): MallocInfo | null;
  /**
   * The bytes of freed walk and dump buffers kept for the next walk (native/src/pagealloc.h:
   * reused pages fault in no more). `keep` true: keep them from now on, up to `maxBytes` (none are
   * by default); false: no longer, and give the kept ones back (returns the bytes before). Absent in
   * older builds. The policy: keepWalkBuffers.
   */
  blockPool?(keep?: boolean, maxBytes?: number): number;

  /** Tells the calling thread's V8 isolate memory is wanted back (MemoryPressureNotification, moderate: incremental); false where the runtime's V8 lacks it. Absent in older builds. */
  memoryPressure?(): boolean;

  /** Fixes glibc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD at `bytes` (process-wide); false without glibc. Absent in older builds. */
  mallocThresholds?(bytes: number): boolean;

  /** True when the reader of a pipe (or the peer of a socket) that `fd` of ours writes to is gone (poll POLLERR/POLLHUP); never blocks. Absent in older builds. */
  fdHangup?(fd: number): boolean;

  pidfdOpen(pid: number): number;
  /** pidfd_send_signal; with `value` a siginfo SI_QUEUE carrying sival_int (like sigqueue). */
  pidfdSendSignal(pidfd: number, signal: number, value?: number): void;
  closeFd(fd: number): void;

  /** mq_open(O_RDONLY|O_NONBLOCK) + mq_getattr on `/NAME` (a Buffer: the name's exact bytes, for a name that is not UTF-8). */
  mqGetattr(name: string | Buffer): Promise<{ maxmsg: number; msgsize: number; curmsgs: number; flags: number }>;
  /**
   * The counts of the queue fd `fd` of `pid` holds (its dev:inode checked in fdinfo before, and on
   * the pidfd_getfd duplicate after): a queue no name of ours reaches (unlinked, another IPC
   * namespace's). Absent in an addon built before it.
   */
  mqGetattrFd?(pid: number, fd: number, inode: number, devMajor: number, devMinor: number): Promise<{ maxmsg: number; msgsize: number; curmsgs: number; flags: number }>;
  /** Consuming mq_receive(O_NONBLOCK) — only ever called after the user confirmed. `name` as mqGetattr's. */
  mqReceive(name: string | Buffer): Promise<{ priority: number; data: Buffer }>;
}

export interface NativeLoad {
  addon: NativeAddon | null;
  /** Why the addon is missing, for capabilities.nativeError. */
  error?: string;
  path?: string;
}

let cached: NativeLoad | undefined;

/** Candidate locations: env override, then native/build/Release found by walking up from this bundle. */
function candidates(): string[] {
  const out: string[] = [];
  const env = process.env.IPC_INSPECTOR_NATIVE;
  if (env !== undefined) return env === '' ? [] : [env];
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    out.push(path.join(dir, 'native', 'build', 'Release', 'ipc_inspector.node'));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return out;
}

/** Loads the addon once per thread. `IPC_INSPECTOR_NATIVE=` (empty) forces the pure-TypeScript path. */
export function loadNative(): NativeLoad {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    cached = { addon: null, error: `not supported on ${process.platform}` };
    return cached;
  }
  const list = candidates();
  if (list.length === 0) {
    cached = { addon: null, error: 'disabled (IPC_INSPECTOR_NATIVE is empty)' };
    return cached;
  }
  let lastError = 'not built (run `npm run build:native`)';
  for (const p of list) {
    if (!fs.existsSync(p)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const addon = require(p) as NativeAddon;
      cached = { addon, path: p };
      fixMallocThresholds(addon);
      return cached;
    } catch (e) {
      lastError = `failed to load ${p}: ${(e as Error).message}`;
    }
  }
  cached = { addon: null, error: lastError };
  return cached;
}

/**
 * glibc raises its mmap and trim thresholds each time a large block is freed (up to 32 and 64
 * MiB), after which freed memory stays in the arenas: every thread that mallocs has one, and a
 * snapshot runs on several (the worker, its walk threads, V8's GC helpers, libuv's pool). Measured
 * at 50k fds: 30 MiB of a SnapshotService's 120 MiB were free blocks held in 13 arenas, and they
 * grew from one snapshot to the next. Fixing both at glibc's own defaults (128 KiB) gives freed
 * memory back. It is process-wide — the extension host's other extensions included — and the
 * defaults are what glibc starts every process with; IPC_INSPECTOR_MALLOC=keep leaves them as they
 * are (for measuring the difference).
 */
export const MALLOC_THRESHOLD_BYTES = 128 * 1024;

function fixMallocThresholds(addon: NativeAddon): void {
  if (process.env.IPC_INSPECTOR_MALLOC === 'keep') return;
  try {
    addon.mallocThresholds?.(MALLOC_THRESHOLD_BYTES);
  } catch {
    /* an addon built without it, or a C library that refuses: memory stays as glibc keeps it */
  }
}

/**
 * Bytes of freed walk and dump buffers the addon keeps for the next walk while a caller refreshes
 * (keepWalkBuffers). At 50k fds this takes ~1,700 of ~4,300 page faults off a snapshot, ~11 % of
 * its CPU, for ~2.6 MiB more peak RSS in the bare service and ~5 in VS Code; 48 MiB had added ~10
 * (bench/README, twenty-first session). The walk's own columns and the sock_diag rows at 50k are
 * ~7 MiB. 0 keeps nothing.
 */
export const WALK_BUFFER_POOL_BYTES = 16 * 1024 * 1024;

/**
 * Whether the addon keeps the walks' freed buffers for the next walk: a caller that walks again
 * soon (the snapshot worker, a live command) turns it on; off gives the kept ones back. A one-shot
 * run never turns it on, and keeps nothing. Returns the bytes kept before (undefined without the
 * addon or in an older build).
 */
export function keepWalkBuffers(keep: boolean): number | undefined {
  return loadNative().addon?.blockPool?.(keep, WALK_BUFFER_POOL_BYTES);
}

/** Error shape the addon throws. */
export interface NativeError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  /** The object the call was about, when the addon names one. */
  path?: string;
}

export function errnoName(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as NativeError).code === 'string' ? (e as NativeError).code : undefined;
}

// ---- the BPF addon (native/src/bpf, ipc_inspector_bpf.node) --------------------------------

/**
 * bpfWalk's options: walkProc's (procRoot is always /proc, useGetfd does not apply), with the same
 * deadlines: a process whose /proc reads (cmdline, links, timers, maps, the statx of a row) take
 * longer than itemTimeoutMs is given up and reported with error ETIMEDOUT and `stuck`; at
 * deadlineMs the walk returns what finished (the rest: ETIMEDOUT), and an unfinished iterator
 * pass rejects with ETIMEDOUT.
 */
export interface BpfWalkOptions extends Omit<ProcWalkOptions, 'procRoot' | 'useGetfd' | 'fdRules' | 'mapsRules' | 'skipLinks'> {
  /** Keep the shared-memory lines of /proc/PID/maps (the snapshot filters them by the kinds' rules). */
  readMaps: boolean;
  /** Bytes in use and capacity of pipes and FIFOs, from the kernel's pipe state. */
  measurePipes: boolean;
  /**
   * Each Unix socket row's `buffered` is the socket's scm_fds, as its fdinfo prints it: files sent
   * over it (SCM_RIGHTS) and not received yet; -1 for a listener (its queue holds connections) and
   * on kernels without the count (< 5.7). Read in the pass: ~150 ns more per fd at 51k fds.
   */
  scmFds?: boolean;
  /**
   * Kernel threads' facts from the task iterator alone, no /proc read (~10 files each; most of a
   * quiet machine's processes). What differs from /proc: a workqueue worker's name is its comm
   * (`kworker/1:0H`, where /proc adds its work: `-events_highpri`), a kthread whose comm is cut at
   * 15 bytes keeps the cut name, and cwd (`/`), cmdline (empty), exe (none) and cgroup are not
   * read. For snapshots that show only IPC holders and their ancestors (a kernel thread holds no
   * fd; kthreadd, the parent of a kernel helper's process, has its full name as comm).
   */
  kthreadsFromTask?: boolean;
  /** Kernel BTF the program is relocated against. Default /sys/kernel/btf/vmlinux. */
  btfPath?: string;
  /** Default true: per-process facts from the task iterator instead of stat, status and ns/net (and timers when there are none). */
  taskFacts?: boolean;
  /** Default true: an eventfd's and a signalfd's fdinfo lines written from what the program read of them, where this kernel prints them the same (checked once), instead of read from /proc/PID/fdinfo/N. */
  anonFacts?: boolean;
  /**
   * Builds with `bpfStatus().anonNameMax`: the anon-inode fd rules (exact `anon_inode:NAME` links,
   * NAME at most anonNameMax bytes). Only those anon inodes are emitted; their rows get the rule's
   * code, identity 0, and (rules with `fdinfo` keys) the fdinfo lines in `infos`, as walkProc's.
   */
  anonRules?: BpfAnonRule[];
  /**
   * Builds with `bpfStatus().anonNameMax`: the rule code of each fixed class at its index
   * (1 pipe, 2 socket, 3 FIFO, 4 mqueue, 5 /dev/shm, 7 memfd where bpfStatus().memfd, 8 pty master and 9 pty slave where bpfStatus().pty; 0 = not reported): the kind column is then in
   * rule codes throughout. Without it the kind column is the class (native/bpf/walk.h IPCI_FD_*).
   */
  classCodes?: number[];
}

/** An anon-inode fd rule as bpfWalk takes it (core/kinds/kind.ts FdRule with `exact`). */
export interface BpfAnonRule {
  code: number;
  /** `anon_inode:[eventfd]`. */
  link: string;
  rw?: boolean;
  fdinfo?: readonly string[];
}

/** Where a BPF walk's time went (ms) and what the iterator returned. */
export interface BpfWalkPhases {
  /** Open + verify + attach, paid once per process (the first walk); the same number afterwards. */
  loadMs: number;
  /** The iterator's read() pass over every process's files. */
  iteratorMs: number;
  /** Per-process /proc reads (stat, status, cmdline, maps, timers, links), beside the iterator pass. */
  procFactsMs: number;
  /** Records → columns. */
  rowsMs: number;
  /** The task iterator's pass (before the /proc readers), and the processes whose facts it gave. */
  taskMs: number;
  taskRecords: number;
  /** Of those, kernel threads taken from their record alone (BpfWalkOptions.kthreadsFromTask). */
  kthreadsFromTask?: number;
  /** The maps pass (open-coded VMA iterator, trylock), and the processes whose maps it gave (the rest read /proc/PID/maps). */
  mapsMs: number;
  mapsProcesses: number;
  /** Pids whose /proc/PID/maps was read after the pass (busy mmap lock, an overlay file, kernel threads), at most 4,096. */
  mapsFromProc?: number[];
  /** Why there is no maps pass (kernel < 6.7: no open-coded VMA iterator; a verifier that refuses both variants). */
  mapsUnavailable?: string;
  /** Why the maps pass prints paths of its own (ipci_task_maps_own) instead of bpf_d_path's: the verifier refused the latter. */
  mapsOwnPaths?: string;
  /** Per program loaded, the instructions the verifier processed (bpf_prog_info.verified_insns). */
  verifiedInsns?: Record<string, number>;
  /**
   * Per program loaded, its runs and their time since it was loaded (bpf_prog_info run_cnt,
   * run_time_ns: counted only while kernel.bpf_stats_enabled is 1, so usually 0): callers take
   * differences. The task_file program runs once per fd: its time is our share of the fd pass.
   */
  programStats?: Record<string, { runs: number; runTimeNs: number }>;
  records: number;
  bytes: number;
  /** statx calls for FIFO/mqueue/shm rows on filesystems whose stat numbers are not the inode's. */
  statx: number;
  /** /proc/PID/fdinfo reads for anon rows whose rule asks for fdinfo lines (builds with anonNameMax). */
  fdinfo?: number;
  /** Anon rows whose fdinfo lines were written from the program's facts instead (BpfWalkOptions.anonFacts). */
  anonFacts?: number;
}

export interface BpfWalk extends ProcWalk {
  bpf: BpfWalkPhases;
}

/** Rejections of bpfWalk/bpfProbe that mean "cannot run here" (not privileged, no BTF, load refused) carry `unsupported: true`. */
export interface BpfError extends NativeError {
  unsupported?: boolean;
}

export interface BpfAddon {
  /** What this build embeds: libbpf's version, and per program whether it was compiled in. */
  bpfStatus(): {
    libbpf: string;
    programs: Record<string, boolean>;
    /** Present when bpfWalk takes anonRules and classCodes: the longest anon inode name it can report (bytes). */
    anonNameMax?: number;
    /** Present when bpfWalk reports memfds: class 7 (native/bpf/walk.h IPCI_FD_MEMFD), its code at classCodes[7]. */
    memfd?: boolean;
    /** Present when bpfWalk reports pty masters and slaves: classes 8 and 9 (native/bpf/walk.h IPCI_FD_PTM, IPCI_FD_PTS), their codes at classCodes[8], [9]. */
    pty?: boolean;
  };
  /** Loads the walk program (once per process, on a worker thread) without walking. */
  bpfProbe(options?: { btfPath?: string }): Promise<{ ok: boolean; code?: string; reason?: string; loadMs: number }>;
  /** The fd walk through the task_file iterator: same shape as walkProc's result. */
  bpfWalk(options: BpfWalkOptions): Promise<BpfWalk>;
  /** This module's walk threads given up while blocked in a /proc read (process-wide); BPF walks skip their pids until they return. */
  stuckWalks(): StuckWalk[];
}

export interface BpfLoad {
  addon: BpfAddon | null;
  /** Why there is none: not built (with the build's reason) or failed to load. */
  error?: string;
  path?: string;
}

let bpfCached: BpfLoad | undefined;

/** The build's own account of why the BPF addon is missing (native/build/bpf/report.json). */
function bpfBuildReason(dir: string): string | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(dir, '..', 'bpf', 'report.json'), 'utf8')) as { reason?: string };
    return r.reason || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads the BPF addon once per thread, from beside the main addon. `IPC_INSPECTOR_BPF=0` (or an
 * empty IPC_INSPECTOR_NATIVE) disables it. Never throws: a missing libbpf.so only loses this addon.
 */
export function loadBpf(): BpfLoad {
  if (bpfCached) return bpfCached;
  if (process.env.IPC_INSPECTOR_BPF === '0') return (bpfCached = { addon: null, error: 'disabled (IPC_INSPECTOR_BPF=0)' });
  const main = loadNative();
  if (!main.path) return (bpfCached = { addon: null, error: `no native addon (${main.error ?? 'not loaded'})` });
  const dir = path.dirname(main.path);
  const p = path.join(dir, 'ipc_inspector_bpf.node');
  if (!fs.existsSync(p)) return (bpfCached = { addon: null, error: `not built: ${bpfBuildReason(dir) ?? 'run `npm run build:native`'}` });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (bpfCached = { addon: require(p) as BpfAddon, path: p });
  } catch (e) {
    return (bpfCached = { addon: null, error: `failed to load ${p}: ${(e as Error).message}` });
  }
}
