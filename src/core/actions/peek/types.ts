// What a peek returns, by the shape of the data (the panel renders each shape), and its options.
import type { ChannelKind } from '../../model';
import type { NativeAddon } from '../../native';

export const DEFAULT_PEEK_MAX_BYTES = 65536;
/** Upper bound on the number of SysV messages one peek copies. */
export const DEFAULT_PEEK_MAX_MESSAGES = 1024;

export interface PeekOptions {
  /** Upper bound on the bytes read (per message for queues, total for the others). */
  maxBytes?: number;
  /** Byte offset into shared memory (paged kinds) or into the buffered bytes of a pipe/socket; for a SysV queue, the first message's position. */
  offset?: number;
  maxMessages?: number;
  /** Override the addon (tests); `null` forces the paths without it. */
  native?: NativeAddon | null;
  /** Root of /proc (tests). */
  procRoot?: string;
  /** Root of /dev (tests): /dev/shm, /dev/mqueue. */
  devRoot?: string;
  /** Deadline of each blocking call (ms); default PEEK_DEADLINE_MS. */
  deadlineMs?: number;
}

interface PeekBase {
  channelId: string;
  kind: ChannelKind;
  /** ISO time the data was read. */
  at: string;
  /** How it was read, e.g. `msgrcv(MSG_COPY)`, `tee()` on /proc/123/fd/4. */
  method: string;
  /** Remarks for the user (truncation, datagram boundaries, weaker paths). */
  notes: string[];
}

export interface QueueCounters {
  messages: number;
  bytes: number;
}

export interface PeekedMessage {
  index: number;
  /** The sender's mtype; its decimal text past 2^53, which a number cannot hold exactly. */
  type: number | string;
  /** Size of the message in the queue. */
  size: number;
  /** The copied bytes (at most maxBytes). */
  data: Buffer;
  truncated: boolean;
}

export interface MessagesPeek extends PeekBase {
  type: 'messages';
  messages: PeekedMessage[];
  /** Queue counters before and after the copy: equal ones show nothing was consumed. */
  before: QueueCounters | null;
  after: QueueCounters | null;
  /** More messages are queued than were copied. */
  truncated: boolean;
  /** The position (0 = the queue's first message) this peek read from: its offset. */
  first: number;
  /** The position the following page starts at, while messages after this page are queued; else null. */
  next: number | null;
}

export interface BytesPeek extends PeekBase {
  type: 'bytes';
  offset: number;
  data: Buffer;
  /** Bytes available in total (buffered in the pipe/socket, size of the segment), when known. */
  total: number | null;
  /** Fewer bytes than available were read (bounded by maxBytes). */
  truncated: boolean;
  /** Pipe capacity (F_GETPIPE_SZ) when known. */
  capacity?: number | null;
  /** Which holder's fd was used: pid and fd. */
  via?: { pid: number; fd: number };
}

export interface SemaphoreState {
  index: number;
  value: number | null;
  waitingForIncrease: number | null;
  waitingForZero: number | null;
  lastPid: number | null;
}

export interface SemaphoresPeek extends PeekBase {
  type: 'semaphores';
  semaphores: SemaphoreState[];
}

export interface MqAttributesPeek extends PeekBase {
  type: 'mq-attributes';
  messages: number | null;
  maxMessages: number | null;
  messageSize: number | null;
  bytes: number | null;
  notifyPid: number | null;
  /** Linux has no way to read a POSIX message queue without removing the message. */
  nonDestructiveReadUnavailable: true;
  explanation: string;
}

/** Fresh facts of the object read without touching it (an eventfd's counter from fdinfo), as its columns show them. */
export interface FactsPeek extends PeekBase {
  type: 'facts';
  facts: Array<{ id: string; title: string; text: string; help: string }>;
}

export type PeekResult = MessagesPeek | BytesPeek | SemaphoresPeek | MqAttributesPeek | FactsPeek;
