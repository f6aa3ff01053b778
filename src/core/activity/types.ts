// The live-activity API (public: the views, the topology map, the CLI and diagnosis read these).
// Rates are keyed by the snapshot's channel ids (`pipe:4901`, `unix:12345`, `sysv-msg:32768`, …),
// per process and per process pair; signals are log entries. Plain data: JSON-able, no classes.
import type { ActivityCapability, ChannelKind } from '../model';

export type { ActivityCapability, ActivitySource, ActivityProgram } from '../model';

/** Traffic the channels can carry and the tracer counts. */
export const ACTIVITY_KINDS = ['pipe', 'fifo', 'unix', 'tcp', 'udp', 'sysv-msg', 'posix-mq'] as const satisfies readonly ChannelKind[];
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export function isActivityKind(kind: ChannelKind): kind is ActivityKind {
  return (ACTIVITY_KINDS as readonly ChannelKind[]).includes(kind);
}

export interface ActivityCounts {
  bytes: number;
  /** Syscalls (writes, sends, msgsnd…) or, for queues, messages. */
  ops: number;
}

/** One process's traffic on one channel over the sample's interval. */
export interface ProcessActivity {
  pid: number;
  /** Written / sent into the channel (pipes: writes; sockets: sent from this end; queues: messages sent). */
  sent: ActivityCounts;
  /** Read / received out of it (sockets: received at this end). */
  received: ActivityCounts;
}

/** One channel's traffic over the sample's interval. */
export interface ChannelActivity {
  /** The snapshot's channel id. */
  channelId: string;
  kind: ActivityKind;
  sent: ActivityCounts;
  received: ActivityCounts;
  /**
   * The channel's throughput per second. One-way channels (pipes, FIFOs, queues): the larger of
   * what went in and what came out (the same bytes counted once). A socket (one end of a
   * connection): what it sent plus what it received.
   */
  bytesPerSec: number;
  opsPerSec: number;
  /** Per process (tracer only; the queue-depth fallback knows processes only for SysV queues). */
  processes: ProcessActivity[];
  /** The snapshot the sample was joined with has this channel (false: closed meanwhile, or one the snapshot was not asked for). */
  inSnapshot: boolean;
  /**
   * Queue-depth fallback: only the net change of what is queued was seen between two snapshots —
   * a lower bound (a pipe that is written and drained between two snapshots shows nothing).
   */
  estimated?: boolean;
}

/** Traffic from one process to another over one channel. */
export interface PairActivity {
  /** The sender's pid. */
  from: number;
  /** The receiver's pid. */
  to: number;
  /** The channel the sender wrote to (for sockets: the sender's end). */
  channelId: string;
  /** Sockets: the receiving end's channel id (the peer). Absent for pipes, FIFOs and queues. */
  peerChannelId?: string;
  kind: ActivityKind;
  bytes: number;
  ops: number;
  bytesPerSec: number;
  opsPerSec: number;
  /**
   * How the receiver is known: `traced` — it read from the channel in this interval; `holders` —
   * nobody read yet, so the processes holding the receiving end (snapshot); `last-receiver` — a
   * SysV queue's last receiver (queue-depth fallback).
   */
  receiverFrom: 'traced' | 'holders' | 'last-receiver';
  /** Several senders and several receivers on one channel: bytes split by each receiver's share (an estimate). */
  estimated?: boolean;
}

/** Events the tracer could not record in this interval (and since the monitor started). Never hidden. */
export interface LostEvents {
  /** Writes/sends not counted: the counter map of one interval was full. */
  counterMapFull: number;
  /** Signals not logged: the kernel ring buffer was full. */
  signalRingFull: number;
  /** Signals not logged: the reader's queue was full (nobody read the tracer for a long time). */
  signalQueueFull: number;
  /** POSIX queues counted without a name (the name map was full): their traffic is in `unmatched`. */
  mqNameMapFull: number;
  /** Program runs the kernel skipped (a program already running on that CPU). */
  recursion: number;
  total: number;
}

export interface ActivitySample {
  /** When the counters were read (ISO). */
  at: string;
  /** The interval the counts cover, ms (between this read and the previous). */
  intervalMs: number;
  /** `bpf` = counted by the tracer; `queue-depth` = derived from two snapshots (estimates). */
  source: 'bpf' | 'queue-depth';
  /** By the snapshot's channel id (a null-prototype object). */
  channels: Record<string, ChannelActivity>;
  pairs: PairActivity[];
  /**
   * Traffic the tracer counted that has no channel id here: SysV/POSIX queues of another IPC
   * namespace, POSIX queues whose name was not kept. Counted, never dropped silently.
   */
  unmatched: ActivityCounts & { counters: number };
  /** Over this interval. */
  lost: LostEvents;
  /** Since the monitor started. */
  lostTotal: LostEvents;
  capability: ActivityCapability;
  /** The tracer read failed this time (e.g. ETIMEDOUT): the counts are what was read before. */
  error?: string;
}

/** How a signal came to be, from its si_code. */
export type SignalVia =
  | 'kill' // SI_USER: kill(), pidfd_send_signal() without siginfo, raise()
  | 'tkill' // SI_TKILL: tgkill(), pthread_kill()
  | 'sigqueue' // SI_QUEUE: sigqueue(), pidfd_send_signal() with a value
  | 'timer' // SI_TIMER: a POSIX timer expired
  | 'mq-notify' // SI_MESGQ: a message arrived on an empty POSIX queue (mq_notify)
  | 'aio' // SI_ASYNCIO
  | 'sigio' // SI_SIGIO, POLL_*: I/O became possible (F_SETSIG, O_ASYNC)
  | 'exec' // SI_DETHREAD: another thread exec()ed
  | 'kernel' // SI_KERNEL: from the kernel (alarm/itimer, OOM killer, hangup, …)
  | 'child' // CLD_*: a child exited, was killed, stopped or continued
  | 'fault' // SEGV_*, BUS_*, ILL_*, FPE_*, TRAP_*: a fault of the receiver itself
  | 'seccomp' // SYS_SECCOMP
  | 'other';

export type SignalResult = 'delivered' | 'ignored' | 'already-pending' | 'queue-overflow' | 'lost-info' | 'unknown';

export interface SignalParty {
  pid: number;
  /** The thread (tid) involved; equals pid for the main thread. */
  tid: number;
  comm: string;
  /** comm's bytes in hex, only when they are not UTF-8 (comm then has U+FFFD for the bad bytes): shown by them (shownComm, `bad\xff`). */
  commBytes?: string;
  /** Clock ticks since boot (as /proc/PID/stat field 22 and the snapshot's `startTime`): pid + startTime name one process even after the pid is reused. */
  startTime: number;
}

/** One generated signal (signal:signal_generate). */
export interface SignalEvent {
  /** Increasing in this process (a stable key). */
  seq: number;
  /** Wall clock, epoch ms (from the kernel's boot-time stamp). */
  timeMs: number;
  signal: number;
  /** `SIGTERM`, `SIGRTMIN+3`, … */
  signalName: string;
  /** `process` — `sender` sent it; `kernel` / `timer` — the kernel did (`context` is whichever task was running then). */
  senderKind: 'process' | 'kernel' | 'timer';
  /** The sending process (senderKind `process`), else null. */
  sender: (SignalParty & { uid: number }) | null;
  /** The task that was running when the kernel generated it (senderKind `kernel`/`timer`): informative, not the sender. */
  context?: SignalParty;
  receiver: SignalParty;
  /** Raw si_code and its name (`SI_USER`, `SI_QUEUE`, `SI_TIMER`, `CLD_EXITED`, …). */
  code: number;
  codeName: string;
  via: SignalVia;
  /** Sent to the whole process (kill) rather than one thread (tgkill). */
  group: boolean;
  /** sigqueue()'s / a timer's value (sival_int). */
  value?: number;
  /** The pid the siginfo claims as sender (kill/sigqueue), when it differs from the tracer's sender (another pid namespace). */
  claimedPid?: number;
  result: SignalResult;
}
