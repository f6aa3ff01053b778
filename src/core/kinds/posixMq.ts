// POSIX message queues (probes/posix.ts): listed from /dev/mqueue when it is mounted, and from the
// mq_open fds that hold them; counts from mq_getattr (addon) and the queue file's QSIZE line.
import type { ChannelBase } from '../model';
import { col, ownerColumns } from '../columns';
import { formatBytes, plural, shortText } from '../text';
import { defineKind, posixNamedTraits, type PosixFileIdentity } from './kind';
import { MQUEUE_FDS } from './fds';

export interface PosixMqChannel extends ChannelBase, PosixFileIdentity {
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
  /**
   * For a queue known by its holders' fds alone (deleted): the name's bytes in hex, present only
   * when they are not UTF-8 (`name` then has U+FFFD for the bad bytes). Views show the name by its
   * bytes. (A listed queue's are in its id: `posix-mq:bytes/HEX`.)
   */
  nameBytes?: string;
  /** The name was unlinked (mq_unlink) while processes still hold the queue: `posix-mq:deleted/DEV:INODE`, no counts (nothing left to open it by). */
  deleted: boolean;
  /**
   * Held in another IPC namespace than the snapshot's (a container's): its name here opens this
   * namespace's queue of that name, or none, so it has no counts and is not peeked, received from
   * or removed by name. Id `posix-mq:ns/DEV/NAME` (DEV: that namespace's queue filesystem).
   */
  otherNamespace?: boolean;
  /** The queue file's inode, for a queue known only through its holders' fds (deleted, another namespace's): peek reaches it through one of them. */
  inode?: number;
}

const c = col<PosixMqChannel>();

export const posixMq = defineKind<PosixMqChannel>({
  kind: 'posix-mq',
  title: 'POSIX message queue',
  teaching:
    'POSIX message queue: a named kernel queue of messages with priorities (highest first); can notify a process when a message arrives; lives until mq_unlink.',
  icon: 'mail',
  group: { id: 'mq', label: 'Message Queues', sub: 'POSIX' },
  map: { family: 'queue', shared: true },
  ...posixNamedTraits<PosixMqChannel>(),
  name: (ch, max) => '/' + shortText(ch.name, max) + (ch.deleted ? ' (deleted)' : ''),
  longTitle: (ch) => `POSIX message queue /${shortText(ch.name)}${ch.deleted ? ' (deleted)' : ''}${ch.otherNamespace ? ' of another IPC namespace' : ''}`,
  description: (ch) =>
    [
      (ch.messages !== null ? `${ch.messages}${ch.maxMessages !== null ? '/' + ch.maxMessages : ''} msg` : '') +
        (ch.bytes !== null ? `${ch.messages !== null ? ' · ' : ''}${formatBytes(ch.bytes)}` : ''),
      ch.deleted ? 'deleted' : '',
      ch.otherNamespace ? 'other IPC namespace' : '',
    ]
      .filter(Boolean)
      .join(', '),
  columns: [
    c('name', 'NAME', 'Name', 'string', 'Queue name (without the leading /)', { search: 'text' }),
    c('messages', 'MESSAGES', 'Messages', 'number|null', 'Messages queued (mq_curmsgs; native addon)', { unit: 'messages' }),
    c('maxMessages', 'MAX', 'Capacity', 'number|null', 'Queue capacity in messages (mq_maxmsg)', { unit: 'messages' }),
    c('messageSize', 'MSG SIZE', 'Max message size', 'number|null', 'Maximum message size (mq_msgsize)', { unit: 'bytes' }),
    c('bytes', 'BYTES', 'Bytes queued', 'number|null', 'Bytes queued (QSIZE in /dev/mqueue/NAME)', { unit: 'bytes' }),
    c('notifyPid', 'NOTIFY PID', 'Notifies', 'number|null', 'Process registered for arrival notification (mq_notify)', { search: 'number', refers: 'pid' }),
    c('deleted', 'DELETED', 'Deleted', 'boolean', 'The name was unlinked (mq_unlink) while processes still hold the queue', { wide: true }),
    c('otherNamespace', 'OTHER NS', 'Other IPC namespace', 'boolean', "Held in another IPC namespace (a container's): no counts, and its name here is another queue", { wide: true }),
    ...ownerColumns<PosixMqChannel>(true),
  ],
  mentions: (ch) => (ch.notifyPid ? [ch.notifyPid] : []),
  fds: MQUEUE_FDS,
  peek: 'posix-mq',
  paged: false,
  remove: (ch) =>
    ch.deleted || ch.otherNamespace ? null : { by: 'unlink', dir: 'mqueue', file: ch.name, note: 'the name is gone; processes that have it open keep using it until they close it', fileId: ch.fileId },
  queue: (ch) => ({ bytes: ch.bytes, counts: ch.messages === null ? null : [ch.messages], stamp: null }),
  depth: (ch) => {
    const v: Record<string, number> = {};
    if (ch.messages !== null) v.messages = ch.messages;
    if (ch.bytes !== null) v.bytes = ch.bytes;
    return Object.keys(v).length ? v : undefined;
  },
  // mq_send blocks at maxmsg messages, whatever their size; the bytes a queue can hold follow
  depthLimits: (ch) => (ch.maxMessages ? { messages: ch.maxMessages, ...(ch.messageSize ? { bytes: ch.maxMessages * ch.messageSize } : {}) } : undefined),
  full: (ch) => ch.messages !== null && ch.maxMessages !== null && ch.maxMessages > 0 && ch.messages >= ch.maxMessages,
  empty: (ch) => ch.messages === 0,
  warnings: (ch) =>
    ch.messages !== null && ch.maxMessages !== null && ch.maxMessages > 0 && ch.messages >= ch.maxMessages
      ? [`queue full (${ch.messages.toLocaleString('en-US')} of ${plural(ch.maxMessages, 'message')}): senders block`]
      : [],
  missing: (caps) => (caps.mqueueMounted ? undefined : '/dev/mqueue is not mounted — run `mount -t mqueue none /dev/mqueue` to list POSIX queues'),
});
