// SysV message queues (probes/sysv.ts): listed by msqid from the addon's MSG_STAT walk or
// /proc/sysvipc/msg. No fd holds them; their facts name the last sender and receiver.
import type { ChannelBase } from '../model';
import { col, keyColumn, ownerColumns, sysvKeyText, ipcnsColumn } from '../columns';
import { formatBytes, plural } from '../text';
import { defineKind, sysvKeyLabel, noInode, noneMissing, noPeer, SYSV_ID_SHAPE, ipcnsNote, otherIpcns, sysvKeyName, type SysvIdentity } from './kind';

export interface SysvMsgChannel extends ChannelBase, SysvIdentity {
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
  /** Another IPC namespace's object (a container's): that namespace's inode; its id is then `ns/NS/ID`, and the id means nothing in ours. Absent for this namespace's. */
  ipcns?: string;
  lastSendTime: string | null;
  lastRecvTime: string | null;
}

/** What it means that no process holds a SysV object. */
export const SYSV_UNHELD = 'No process holds it open (SysV objects live in the kernel until removed).';

const c = col<SysvMsgChannel>();

export const sysvMsg = defineKind<SysvMsgChannel>({
  kind: 'sysv-msg',
  title: 'SysV message queue',
  teaching:
    'SysV message queue: a kernel-held linked list of typed messages identified by a key; receivers can pick messages by type; it outlives its creator until removed (ipcrm).',
  icon: 'mail',
  group: { id: 'mq', label: 'Message Queues', sub: 'SysV' },
  map: { family: 'queue', shared: true },
  idShape: SYSV_ID_SHAPE,
  inodeOfId: noInode,
  name: (ch) => `msqid ${ch.msqid} ${sysvKeyName(ch.key, sysvKeyText(ch.key))}`,
  label: (ch, ends) => sysvKeyLabel(ch.key, 'msqid', ch.msqid, sysvKeyText(ch.key)) + (ends ? `  ${ends}` : ''),
  longTitle: (ch) => `SysV message queue ${ch.msqid} (key ${sysvKeyText(ch.key)}, ${plural(ch.messages, 'message')} queued)${otherIpcns(ch)}`,
  description: (ch) => `${ch.messages} msg · ${formatBytes(ch.bytes)}` + (ch.maxBytes ? ` / ${formatBytes(ch.maxBytes)}` : '') + ipcnsNote(ch),
  columns: [
    keyColumn<SysvMsgChannel>(),
    c('msqid', 'MSQID', 'Queue id', 'number', 'Queue id', { search: 'number' }),
    c('messages', 'MESSAGES', 'Messages', 'number', 'Messages queued (msg_qnum)', { unit: 'messages' }),
    c('bytes', 'BYTES', 'Bytes queued', 'number', 'Bytes queued (msg_cbytes)', { unit: 'bytes' }),
    c('maxBytes', 'MAX BYTES', 'Capacity', 'number', 'Queue limit in bytes (msg_qbytes; kernel.msgmnb default without the addon)', { unit: 'bytes' }),
    c('lastSendPid', 'LSPID', 'Last sender', 'number', 'Pid of the last msgsnd (0: never)', { search: 'number', refers: 'pid' }),
    c('lastRecvPid', 'LRPID', 'Last receiver', 'number', 'Pid of the last msgrcv (0: never)', { search: 'number', refers: 'pid' }),
    c('lastSendTime', 'SENT', 'Last sent', 'string|null', 'Time of the last msgsnd', { wide: true, refers: 'time' }),
    c('lastRecvTime', 'RECEIVED', 'Last received', 'string|null', 'Time of the last msgrcv', { wide: true, refers: 'time' }),
    ...ownerColumns<SysvMsgChannel>(),
    ipcnsColumn<SysvMsgChannel>(),
  ],
  ends: 'holders',
  unheld: SYSV_UNHELD,
  peer: noPeer,
  owner: (ch) => ch.uid,
  mentions: (ch) => [ch.lastSendPid, ch.lastRecvPid].filter((p) => p > 0),
  probe: 'sysv',
  peek: 'sysv-msg',
  paged: false,
  remove: (ch) => (ch.ipcns ? null : { by: 'sysv', family: 'msg', id: ch.msqid, noun: 'message queue', note: 'queued messages are discarded; processes using it get EIDRM', key: ch.key, uid: ch.uid, creatorUid: ch.creatorUid, changed: ch.changed }),
  queue: (ch) => ({
    bytes: ch.bytes,
    counts: [ch.messages],
    stamp: `${ch.lastSendTime ?? ''}|${ch.lastRecvTime ?? ''}|${ch.lastSendPid}|${ch.lastRecvPid}`,
    last: { sendPid: ch.lastSendPid, sendTime: ch.lastSendTime, recvPid: ch.lastRecvPid, recvTime: ch.lastRecvTime },
  }),
  depth: (ch) => ({ messages: ch.messages, bytes: ch.bytes }),
  // msgsnd blocks at msg_qbytes
  depthLimits: (ch) => (ch.maxBytes > 0 ? { bytes: ch.maxBytes } : undefined),
  full: (ch) => ch.maxBytes > 0 && ch.bytes > 0 && ch.bytes >= ch.maxBytes,
  empty: (ch) => ch.messages === 0,
  warnings: (ch) => (ch.maxBytes > 0 && ch.bytes >= ch.maxBytes ? [`queue full (${formatBytes(ch.bytes)} of ${formatBytes(ch.maxBytes)}): senders block`] : []),
  missing: noneMissing,
});

