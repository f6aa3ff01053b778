// What one IPC kind is, in one place (the lsfd `struct file_class` idea, typed): each
// core/kinds/<kind>.ts exports one KindDescriptor, and core/kinds/index.ts registers them in a
// record keyed by kind, so a kind without an entry, or an entry without a field, is a compile
// error. Everything that used to switch on `kind` (labels, columns, search, tree groups and icons,
// peers, the protocol's id check, the webview's paging, the depth chart, the diagnosis's full and
// empty tests, removal, the walk's fd and maps patterns) reads the descriptor instead.
//
// Descriptors are pure data and pure functions (no Node, no DOM): the webview bundles them. What
// needs the machine (the probe that reads the kernel, the peek, the removal) is named here by
// reference and implemented per family (probes/, actions/peek/), each behind a Record keyed by
// these names, so a reference to nothing is a compile error too; a removal is described as data.
import type { Capabilities, ChannelBase, EndpointRole, Mode, ProcessInfo } from '../model';
import type { Column } from '../columns';
import type { KindFamily } from '../topology/types';
import type { AnonShmChannel, FifoChannel, FileShmChannel, InetChannel, PipeChannel, PosixMqChannel, PosixSemChannel, PosixShmChannel, SysvMsgChannel, SysvSemChannel, SysvShmChannel, UnixChannel, PtyChannel, RawChannel, PacketChannel, PingChannel, NetlinkChannel } from './index';

/** The tree group a kind is listed under; kinds of one group with `sub` get a sub-group each. */
export interface TreeGroup {
  id: string;
  label: string;
  /** Label of this kind's sub-group when the group holds several kinds. */
  sub?: string;
}

/** The probes (core/probes): each reads one family of kernel objects and emits their channels. */
export type ProbeId = 'pipes' | 'sysv' | 'posix' | 'anonShm' | 'fileShm' | 'sockets' | 'fdinfo' | 'ptys';

/**
 * Non-destructive peeks (core/actions/peek/<family>.ts) and the channels each can read: a kind
 * may only name a peek that takes its channel type (compile error otherwise). `fdinfo` re-reads a
 * holder's /proc/PID/fdinfo/N: any kind whose facts come from there.
 */
export interface PeekTargets {
  pipe: PipeChannel | FifoChannel;
  socket: UnixChannel | InetChannel | RawChannel | PacketChannel | PingChannel | NetlinkChannel;
  'sysv-msg': SysvMsgChannel;
  'sysv-shm': SysvShmChannel;
  'posix-shm': PosixShmChannel;
  'anon-shm': AnonShmChannel;
  'file-shm': FileShmChannel;
  'sysv-sem': SysvSemChannel;
  'posix-sem': PosixSemChannel;
  'posix-mq': PosixMqChannel;
  fdinfo: ChannelBase;
  tty: PtyChannel;
}
export type PeekMethod = keyof PeekTargets;
/** The peeks that can read channels of type C. */
export type PeekMethodFor<C> = { [M in PeekMethod]: C extends PeekTargets[M] ? M : never }[PeekMethod];

/**
 * How an object is removed (core/actions/remove.ts runs it, after asking): IPC_RMID of a SysV id
 * (only while the id still names an object of the identity the snapshot saw:
 * core/actions/sysvIdentity.ts; `ipcrm FLAG ID` without the addon), or an unlink of its name in
 * /dev/shm or /dev/mqueue (the name is checked there, and `fileId` — the file the snapshot saw it
 * name — must still be the file it names).
 */
export type Removal =
  | ({ by: 'sysv'; family: 'msg' | 'shm' | 'sem'; id: number; noun: string; note?: string; key: number; uid: number } & SysvIdentity)
  | { by: 'unlink'; dir: 'shm' | 'mqueue'; file: string; note: string; fileId?: string };

/**
 * What a SysV object carries of its identity beyond id, key and owner (probes/sysv.ts fills it from
 * the addon's stat or /proc/sysvipc): a removal compares it with what the id names by then
 * (core/actions/sysvIdentity.ts says which fields, and why).
 */
export interface SysvIdentity {
  /** Its creator's uid (ipc_perm.cuid): set at creation, changed by nothing — no user can make an object that shows another's. */
  creatorUid?: number;
  /** Its last change time (*_ctime, seconds): creation and IPC_SET; for a semaphore set also SETVAL/SETALL. */
  changed?: number;
}

// ------------------------------------------------------------------ what the walk reports

/**
 * One class of fds the walk reports, as data the walk applies (native/src/walk.cc and
 * core/procWalk.ts do the same): which readlink targets count, how the row gets its identity, and
 * which fdinfo lines come with it. The walk knows no kind; this is the only place that says what
 * an IPC fd is. First matching rule wins; fds no rule matches cost one readlink and are skipped.
 */
export interface FdRule {
  /** The value of the walk's `kind` column for these rows (1–255, unique). */
  code: number;
  /** readlink text starts with this (`pipe:[`, `socket:[`, `anon_inode:[eventfd]`), or `/` for files. */
  link: string;
  /** The whole link text is `link` (anon inodes). */
  exact?: boolean;
  /**
   * The identity is the number in `[N]` at the end of the link (pipes, sockets); otherwise the
   * target's inode (statx) for `/` links — for `chr` targets its device number (st_rdev, glibc's
   * encoding), which says which terminal it is —, 0 for the rest.
   */
  bracket?: boolean;
  /** `/` links: the target's type (statx through the link; a stat of a device node opens nothing). */
  type?: 'fifo' | 'reg' | 'chr';
  /** `chr` targets: the device number's major (and minor) within these inclusive ranges. */
  rdev?: { major: readonly [number, number]; minor?: readonly [number, number] };
  /** `/` links: the link text starts with this directory (`/dev/shm/`). */
  under?: string;
  /** `/` links: one path component on an mqueue filesystem (an mq_open fd). */
  mqueue?: boolean;
  /**
   * `/` links: a memfd — the link is `/memfd:NAME (deleted)` (the kernel's own suffix last; NAME is
   * the creator's text and may hold anything, ` (deleted)` too) and the file is on the kernel's
   * internal shmem mount (the device of a memfd of our own), where no path of a mounted tmpfs leads.
   */
  memfd?: boolean;
  /** Always opened read-write (sockets): no lstat of the link for the mode. */
  rw?: boolean;
  /** FIONREAD + F_GETPIPE_SZ once per distinct inode, through a read-mode fd only (pipes, FIFOs). */
  measure?: boolean;
  /** These lines of /proc/PID/fdinfo/N (by key), read for these fds only. */
  fdinfo?: readonly string[];
}

/** A class of fds: a rule and a name. Kinds (and process facets) that read the same fds share one. */
export interface FdClass {
  id: string;
  rule: FdRule;
}

/**
 * A /proc/PID/maps line the walk keeps: it contains `text` (and is a shared `s` mapping when
 * `shared`). A text starting with a space is matched at the start of the path field, and then
 * `except` (each also starting with a space) are path starts the rule does not match. `max`
 * bounds the lines of one process the rule keeps, in address order (the native walks and the BPF
 * program apply the same bound).
 */
export interface MapsRule {
  text: string;
  shared?: boolean;
  except?: readonly string[];
  max?: number;
}

/** One fd row of a class with fdinfo lines, as the fdinfo probe and process facets get it. */
export interface FdInfoRow {
  pid: number;
  fd: number;
  mode: Mode;
  /** The fdinfo lines the rule asked for, parsed: key → value text. */
  info: ReadonlyMap<string, string>;
}

// ------------------------------------------------------------------ the descriptor

/**
 * The leftovers a group folds into one row (tree: views/nodes/foldNode.ts), so that what
 * processes hold stays in sight: a web server's thousands of TIME-WAIT connections.
 */
export interface KindFold<C extends ChannelBase = ChannelBase> {
  /** Does this channel go under the fold? */
  holds(ch: C): boolean;
  /** The row's label for n folded channels (`12 of 3,688 …` under a filter: `total` given). */
  label(n: number, total?: number): string;
  /** The folded ones in the group's count, after the others: `17 + 3,688 closed`. */
  readonly counted: string;
  /** The row's short facts from its channels (`TIME-WAIT 312 · FIN-WAIT-2 3`). */
  description(chs: readonly C[]): string;
  /** What they are and why they are folded. */
  readonly tooltip: string;
}

export interface KindDescriptor<C extends ChannelBase = ChannelBase> {
  readonly kind: C['kind'];
  /** `SysV message queue`. */
  readonly title: string;
  /** What the object is and how it behaves: every tooltip and the panel teach it. */
  readonly teaching: string;
  /** Codicon of its tree items. */
  readonly icon: string;
  readonly group: TreeGroup;
  /**
   * How the topology map draws it: its family (colour and legend), and whether every holder
   * connects to one node of the object (queues, shared memory, semaphores, eventfds) rather than
   * end to end (pipes, sockets).
   */
  readonly map: { readonly family: KindFamily; readonly shared: boolean };

  // ids
  /** The part of an id after `kind:` (the webview protocol checks the shape of ids it gets with it). */
  readonly idShape: RegExp;
  /** The inode an id names (for kinds whose channels carry `inode`, their sort key), 0 otherwise. */
  inodeOfId(rest: string): number;

  // labels
  /** The object's own name (path, key, address), control characters escaped, at most `max` code points. */
  name(ch: C, max: number): string;
  /** A title for the panel and confirmations: `SysV message queue 3 (key 0x…)`. Escaped. */
  longTitle(ch: C): string;
  /** Its name already says what it is (`pipe:[4901]`): sentences use the name alone, not `title name`. */
  readonly nameSaysKind?: boolean;
  /**
   * The tree's label, leading with what the object means to a person (`nginx[812] → worker[813]`
   * for a pipe, `key 0x49500001` for a SysV queue); `ends` is the holders text (`w → r` for a
   * flow, a list otherwise), empty when nobody holds it. Default: the name, then the ends. The
   * inode and ids it leaves out are in the tooltip (the columns).
   */
  label?(ch: C, ends: string): string;
  /** Short facts for the tree and `watch`, fill level first: `16 msg · 576 bytes / 16 KiB`. */
  description(ch: C): string;
  /** The columns after the common ones (core/columns). */
  readonly columns: readonly Column<C>[];
  /** What a search also matches beyond the searchable columns (`/name`, ports); `addrs`: addresses an address-shaped query matches (`0.0.0.0:112`). */
  search?(ch: C): { texts?: string[]; numbers?: number[]; addrs?: string[] };

  // ends
  /**
   * `flow`: one-way, shown writers → readers (pipes); `holders`: a list of holders; `sides`: two
   * different ends, each endpoint's `role` says which (a pty's master and slave), shown
   * `roles[0] ⇄ roles[1]`.
   */
  readonly ends: 'flow' | 'holders' | 'sides';
  /** `sides`: the two roles, in the order shown. */
  readonly roles?: readonly [EndpointRole, EndpointRole];
  /** What it means that no process holds it (default: `No process holds it.`). */
  readonly unheld?: string;
  /** Channels of this kind its group lists under one folded row, after the others (TCP: connections their processes closed). */
  readonly fold?: KindFold<C>;
  /** The id of the other end of a connected socket, when the kernel data settles it. */
  peer(ch: C): string | undefined;
  /** A listening socket: it holds connections waiting for accept(), no data. */
  listening?(ch: C): boolean;
  /** Reads return one record at a time (datagrams): a peek shows the first one only. */
  datagrams?(ch: C): boolean;
  /**
   * Its `recvQueue` is the kernel memory its queued data takes (sk_rmem_alloc with the buffers'
   * overhead: 832 for one UDP datagram of 67 bytes), as ss's Recv-Q says it, not bytes to read: a
   * peek claims no byte total from it and says so. UDP, raw IP, packet, ping and netlink sockets,
   * and an MPTCP socket (mptcp_diag reports its memory).
   */
  recvQueueIsMemory?(ch: C): boolean;
  /** The creator's uid, null when unknown or the kind has no owner. */
  owner(ch: C): number | null;
  /** Pids the object's facts name besides its holders (SysV last sender, creator, last semop). */
  mentions(ch: C): number[];

  // where it comes from
  readonly probe: ProbeId;
  /** The fds its probe reads (the walk reports them only when some wanted kind asks). */
  readonly fds?: FdClass;
  /** More classes of fds it is held through, when its ends are different files (a pty's master and slave). */
  readonly moreFds?: readonly FdClass[];
  /** The maps lines its probe reads. */
  readonly maps?: readonly MapsRule[];
  /**
   * probe `fdinfo`: the key of the fdinfo line that identifies the object, and the channel of the
   * rows that share one (null when they are no channel, e.g. held by one process only). Its id is
   * `kind:IDENTITY` (the fdinfo peek re-reads the line to check a holder's fd is still the object).
   */
  readonly fdinfo?: {
    identity: string;
    channel(identity: string, rows: readonly FdInfoRow[]): C | null;
  };

  // what can be done with it
  readonly peek: PeekMethodFor<C> | null;
  /** Why it cannot be peeked (said instead of a Peek button) when `peek` is null. */
  readonly noPeek?: string;
  /** Why this object cannot be peeked though its kind can (said instead of the Peek button), null when it can. */
  noPeekFor?(ch: C): string | null;
  /**
   * What a peek of this object would change in it, when it would (never its data: facts the kernel
   * keeps about its users). The panel then peeks only when asked, and says this beside the button.
   */
  peekAlters?(ch: C): string | null;
  /**
   * Peeks read a page at an offset (shared memory; the bytes queued in a pipe or a socket): the
   * panel pages through it (First, Previous, Next, an offset).
   */
  readonly paged: boolean;
  /**
   * What paging this object means, said beside the page buttons when it is not plain: a queue's
   * offsets count from its oldest unread byte, a datagram socket pages within its first datagram.
   */
  pagedNote?(ch: C): string | null;
  /** How to remove this object, null when it cannot be (a kind without removal, or an object already unlinked). */
  remove(ch: C): Removal | null;

  // state
  /**
   * What is queued in it, as compared between two snapshots to estimate rates without a tracer:
   * bytes, counts (messages, semaphore values: each unit of change is an operation) and a stamp
   * that changes on every operation (a SysV queue's last send/receive). Nulls where unknown.
   */
  queue(ch: C): QueueFacts;
  /** Named series of the panel's depth chart (queued messages, bytes, values), or undefined. */
  depth(ch: C): Record<string, number> | undefined;
  /** The most some of those series can reach (a pipe's capacity, a queue's limit): the chart's scale, so a level reads as how full. */
  depthLimits?(ch: C): Record<string, number> | undefined;
  /** A writer could block on it right now (a full pipe, queue or send buffer). */
  full(ch: C): boolean;
  /** A reader would block on it right now (nothing queued). */
  empty(ch: C): boolean;
  /** Problems worth a warning icon and the status bar (the diagnosis explains them at length). */
  warnings(ch: C): string[];
  /** What a missing capability hides for this kind (its tree group says so), or undefined. */
  missing(caps: Capabilities): string | undefined;
}

export interface QueueFacts {
  /** Bytes queued, or null when unknown (no native addon, a listener's backlog). */
  bytes: number | null;
  /** Messages queued / semaphore values / a listener's waiting connections. */
  counts: number[] | null;
  /** Changes on every operation (SysV queue last send / receive), or null. */
  stamp: string | null;
  /**
   * Who last sent and received, and when (a SysV queue's msg_lspid / msg_stime, msg_lrpid /
   * msg_rtime): a time that moved is at least one operation by that process. Absent when the kind
   * does not say.
   */
  last?: { sendPid: number; sendTime: string | null; recvPid: number; recvTime: string | null };
}

/** Nothing a snapshot can see move (shared memory). */
export const NOTHING_QUEUED: QueueFacts = Object.freeze({ bytes: null, counts: null, stamp: null }) as QueueFacts;

/** Declares a kind (checks it against its channel type). */
export function defineKind<C extends ChannelBase>(d: KindDescriptor<C>): KindDescriptor<C> {
  return d;
}

/**
 * Knowledge about processes that comes from their fds but is no channel (a signalfd: the signals
 * a process reads through it). Registered beside the kinds; the walk always reports its fds.
 */
export interface ProcessFacet {
  readonly id: string;
  readonly fds: FdClass;
  /** Fills its part of the process from its fd rows (called for every process; rows may be empty). */
  annotate(p: ProcessInfo, rows: readonly FdInfoRow[]): void;
  /**
   * A named set of signals it adds to the signal state (core/signalSets.ts): the SignalState field,
   * how it is shown, and whether a signal in it is handled by the process (not stuck when blocked).
   */
  readonly signalSet?: { key: string; title: string; help: string; handled: boolean };
}

// ------------------------------------------------------------------ helpers shared by kind files

/** The inode of ids `kind:INODE` (one colon). */
export function inodeOfSimpleId(rest: string): number {
  if (rest.includes(':')) return 0;
  const n = Number(rest);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** The inode of ids `kind:DEV:INODE`. */
export function inodeOfDevId(rest: string): number {
  const n = Number(rest.slice(rest.lastIndexOf(':') + 1));
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export const noInode = (): number => 0;
export const noPeer = (): undefined => undefined;
export const noOwner = (): null => null;
export const noMentions = (): number[] => [];
export const never = (): boolean => false;
export const noWarnings = (): string[] => [];
export const noneMissing = (): undefined => undefined;
export const notRemovable = (): null => null;

/**
 * Sockets' noPeekFor: a socket's queue is read through a holder's fd (pidfd_getfd + MSG_PEEK);
 * with none (a connection its process closed, or holders this scan could not see) there is
 * nothing to read it through.
 */
export function unheldSocket(ch: ChannelBase): string | null {
  return ch.endpoints.length
    ? null
    : 'No process this scan can see holds this socket, so there is no fd to read its queue through (a TCP connection its process closed, in TIME-WAIT or FIN-WAIT, holds no data either).';
}

/**
 * A socket that faces the network rather than another process here (raw IP, packet): no other
 * end, its holders only; its queue is datagrams or frames, peeked one at a time (MSG_PEEK), its
 * depth the receive buffer memory; never removed (it goes when its holders close it).
 */
export const NETWORK_FACING_SOCKET = {
  ends: 'holders',
  peer: noPeer,
  datagrams: () => true,
  recvQueueIsMemory: () => true,
  owner: (ch: { uid: number }) => ch.uid,
  mentions: noMentions,
  probe: 'sockets',
  peek: 'socket',
  paged: true,
  pagedNote: () => DATAGRAM_PAGES,
  remove: notRemovable,
  depth: (ch: { recvQueue: number }) => ({ bytes: ch.recvQueue }),
  full: never,
  empty: (ch: { recvQueue: number }) => ch.recvQueue === 0,
  warnings: noWarnings,
  missing: noneMissing,
} as const;

/** Neither full nor empty, no warning, nothing a missing capability hides: an object a snapshot sees no traffic in. */
export const NO_STATE_TRAITS = { full: never, empty: never, warnings: noWarnings, missing: noneMissing } as const;

/** Shared memory moves data without the kernel seeing it: nothing queued, no depth, no state. */
export const SHARED_MEMORY_STATE = { queue: (): QueueFacts => NOTHING_QUEUED, depth: (): undefined => undefined, ...NO_STATE_TRAITS } as const;

/**
 * What POSIX named objects (message queues, shared memory, named semaphores) share: an id and a
 * search by the name (`/NAME`, any byte but NUL), held rather than one-way, owned by their file's
 * uid, found by the posix probe.
 */
/** A SysV object's id after `kind:`: its id, after `ns/NS/` for another IPC namespace's. */
export const SYSV_ID_SHAPE = /^(?:ns\/\d{1,12}\/)?\d{1,10}$/;

/** ` in IPC namespace NS` for another namespace's SysV object (its id means nothing in ours), else ''. */
export function otherIpcns(ch: { ipcns?: string }): string {
  return ch.ipcns ? ` in IPC namespace ${ch.ipcns}` : '';
}

/** `, IPC ns NS` after a description: two objects of one id and key in two namespaces look alike otherwise. */
export function ipcnsNote(ch: { ipcns?: string }): string {
  return ch.ipcns ? `, IPC ns ${ch.ipcns}` : '';
}

/** ` (mount ns NS)` after a path read in another mount namespace: its name there, which may name another file here, or none. */
export function otherMntns(ch: { mntns?: string }): string {
  return ch.mntns ? ` (mount ns ${ch.mntns})` : '';
}

/** What a POSIX object listed by name (shared memory, a named semaphore, a queue) carries of its file. */
export interface PosixFileIdentity {
  /**
   * Its file's `MAJ:MIN:INODE` when the snapshot listed it by name: a removal unlinks the name only
   * while it still names this file (any user may reuse a freed name between the snapshot and the
   * confirmation, and root's unlink would then remove their new object).
   */
  fileId?: string;
}

/** Why another IPC namespace's SysV object is not acted on by id: ipcrm, msgrcv and shmat take ids of the caller's namespace. */
export const OTHER_IPCNS_NOTE = 'an object of another IPC namespace (a container\'s): its id names another object here, or none';

export function posixNamedTraits<C extends ChannelBase & { name: string; uid: number | null }>(): Pick<
  KindDescriptor<C>,
  'idShape' | 'inodeOfId' | 'search' | 'ends' | 'peer' | 'owner' | 'probe'
> {
  return {
    // a name (any byte but NUL), or the bytes of one that is not UTF-8 (core/posixNames.ts): 255 bytes are 510 hex digits;
    // `ns/DEV/` first for another IPC namespace's queue (a name has no '/', so none starts so)
    idShape: /^(?:ns\/\d{1,10}:\d{1,10}\/)?(?:bytes\/(?:[0-9a-f]{2}){1,255}|[^\0]{1,500})$/s,
    inodeOfId: noInode,
    search: (ch) => ({ texts: ['/' + ch.name] }),
    ends: 'holders',
    peer: noPeer,
    owner: (ch) => ch.uid,
    probe: 'posix',
  };
}

/** How a SysV object leads its tree label: its key, or `private` (IPC_PRIVATE) with its id. */
/** A SysV object's key in its name: `key 0x0000abcd`, or `(private)` for IPC_PRIVATE, as the trees say it (no key to find it by). */
export function sysvKeyName(key: number, keyText: string): string {
  return key === 0 ? '(private)' : `key ${keyText}`;
}

export function sysvKeyLabel(key: number, idName: string, id: number, keyText: string): string {
  return key === 0 ? `private ${idName} ${id}` : `key ${keyText}`;
}

/**
 * Paging a queue of bytes (a pipe's, a FIFO's, a stream socket's): each peek copies the queue up
 * to the page's end without consuming it (tee into a pipe of ours, recv MSG_PEEK) and shows the
 * page; offsets count from the oldest byte still queued, which moves as the reader reads.
 */
export const QUEUE_PAGES =
  'Offsets count from the oldest byte still queued; nothing is consumed. When a process reads meanwhile, the queue moves: the same offset then shows later bytes.';

/** A datagram socket's pages: MSG_PEEK reads its first datagram (or record) and no further. */
export const DATAGRAM_PAGES =
  'Pages move within the first queued datagram only: a peek (MSG_PEEK) cannot reach the datagrams queued behind it without consuming the first, so they are not shown.';
