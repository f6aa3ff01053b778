// One table of columns per channel kind (like lsfd's infos[]): id = the model field name,
// label for table headers, JSON type, one-line help. The CLI table, the tree views and the
// webview all read this table; `columnValue` reads a column from a channel.
import type { Channel, ChannelKind } from './model';

export type ColumnType = 'string' | 'number' | 'boolean' | 'number[]' | 'string|null' | 'number|null' | 'number[]|null';

export interface Column {
  /** Field name in the snapshot JSON. */
  id: string;
  label: string;
  type: ColumnType;
  help: string;
}

const c = (id: string, label: string, type: ColumnType, help: string): Column => ({ id, label, type, help });

/** Columns every channel has. */
export const COMMON_COLUMNS: readonly Column[] = [
  c('id', 'ID', 'string', 'Stable id of the kernel object (kind:identity)'),
  c('kind', 'KIND', 'string', 'pipe, fifo, sysv-msg, posix-mq, sysv-shm, posix-shm, anon-shm, sysv-sem, posix-sem, unix, tcp, udp'),
  c('endpoints', 'ENDPOINTS', 'string', 'Processes holding an end: pid, fd or mapping, mode r/w/rw'),
];

const PIPE_MEASURE = [
  c('bufferedBytes', 'BUFFERED', 'number|null', 'Bytes written but not yet read (FIONREAD); null without the native addon'),
  c('capacity', 'CAPACITY', 'number|null', 'Pipe buffer size (F_GETPIPE_SZ)'),
];
const SYSV_OWNER = [
  c('uid', 'UID', 'number', 'Owner uid'),
  c('owner', 'OWNER', 'string', 'Owner user name'),
  c('mode', 'MODE', 'string', 'Permission bits, octal'),
];

export const COLUMNS: Readonly<Record<ChannelKind, readonly Column[]>> = {
  pipe: [c('inode', 'INODE', 'number', 'pipefs inode (the pipe:[N] in /proc/PID/fd)'), ...PIPE_MEASURE],
  fifo: [
    c('path', 'PATH', 'string', 'Filesystem path of the FIFO'),
    c('deleted', 'DELETED', 'boolean', 'The path was unlinked while the FIFO is still open'),
    c('dev', 'DEV', 'string', 'Device (major:minor) of the filesystem holding it'),
    c('inode', 'INODE', 'number', 'Inode of the FIFO'),
    ...PIPE_MEASURE,
  ],
  'sysv-msg': [
    c('key', 'KEY', 'number', 'IPC key (0 = IPC_PRIVATE)'),
    c('msqid', 'MSQID', 'number', 'Queue id'),
    c('messages', 'MESSAGES', 'number', 'Messages queued (msg_qnum)'),
    c('bytes', 'BYTES', 'number', 'Bytes queued (msg_cbytes)'),
    c('maxBytes', 'MAX BYTES', 'number', 'Queue limit in bytes (msg_qbytes; kernel.msgmnb default without the addon)'),
    c('lastSendPid', 'LSPID', 'number', 'Pid of the last msgsnd'),
    c('lastRecvPid', 'LRPID', 'number', 'Pid of the last msgrcv'),
    c('lastSendTime', 'SENT', 'string|null', 'Time of the last msgsnd'),
    c('lastRecvTime', 'RECEIVED', 'string|null', 'Time of the last msgrcv'),
    ...SYSV_OWNER,
  ],
  'posix-mq': [
    c('name', 'NAME', 'string', 'Queue name (without the leading /)'),
    c('messages', 'MESSAGES', 'number|null', 'Messages queued (mq_curmsgs; native addon)'),
    c('maxMessages', 'MAX', 'number|null', 'Queue capacity in messages (mq_maxmsg)'),
    c('messageSize', 'MSG SIZE', 'number|null', 'Maximum message size (mq_msgsize)'),
    c('bytes', 'BYTES', 'number|null', 'Bytes queued (QSIZE in /dev/mqueue/NAME)'),
    c('notifyPid', 'NOTIFY PID', 'number|null', 'Process registered for arrival notification'),
    c('uid', 'UID', 'number|null', 'Owner uid'),
    c('owner', 'OWNER', 'string|null', 'Owner user name'),
    c('mode', 'MODE', 'string|null', 'Permission bits, octal'),
  ],
  'sysv-shm': [
    c('key', 'KEY', 'number', 'IPC key (0 = IPC_PRIVATE)'),
    c('shmid', 'SHMID', 'number', 'Segment id'),
    c('size', 'SIZE', 'number', 'Segment size in bytes'),
    c('attachCount', 'NATTCH', 'number', 'Number of attaches'),
    c('creatorPid', 'CPID', 'number', 'Creator pid'),
    c('lastPid', 'LPID', 'number', 'Pid of the last shmat/shmdt'),
    c('destroyed', 'REMOVED', 'boolean', 'Marked for removal; lives until the last detach'),
    c('orphaned', 'ORPHANED', 'boolean', 'Nothing attached and the creator is gone: probably leaked'),
    ...SYSV_OWNER,
  ],
  'posix-shm': [c('name', 'NAME', 'string', 'Object name in /dev/shm'), c('size', 'SIZE', 'number', 'Size in bytes'), ...SYSV_OWNER],
  'anon-shm': [
    c('name', 'NAME', 'string', '/dev/zero (MAP_SHARED|MAP_ANONYMOUS), anon_hugepage (shared hugetlb) or memfd:NAME'),
    c('size', 'SIZE', 'number', 'Largest mapping length seen, in bytes'),
    c('dev', 'DEV', 'string', 'Device (major:minor) of the shmem/hugetlbfs object, as in /proc/PID/maps'),
    c('inode', 'INODE', 'number', 'Inode of the object (identifies it across processes)'),
  ],
  'sysv-sem': [
    c('key', 'KEY', 'number', 'IPC key (0 = IPC_PRIVATE)'),
    c('semid', 'SEMID', 'number', 'Set id'),
    c('nsems', 'NSEMS', 'number', 'Semaphores in the set'),
    c('values', 'VALUES', 'number[]|null', 'Value of each semaphore (GETALL; native addon)'),
    c('waitingForIncrease', 'NCNT', 'number[]|null', 'Processes waiting for each value to increase'),
    c('waitingForZero', 'ZCNT', 'number[]|null', 'Processes waiting for each value to become zero'),
    c('lastPid', 'LPID', 'number[]|null', 'Last pid that operated on each semaphore'),
    ...SYSV_OWNER,
  ],
  'posix-sem': [c('name', 'NAME', 'string', 'Semaphore name (/dev/shm/sem.NAME)'), c('value', 'VALUE', 'number|null', 'Current value (sem_getvalue)'), ...SYSV_OWNER],
  unix: [
    c('inode', 'INODE', 'number', 'Socket inode (socket:[N] in /proc/PID/fd)'),
    c('type', 'TYPE', 'string', 'stream, dgram or seqpacket'),
    c('state', 'STATE', 'string', 'listen, connected, unconnected, connecting, disconnecting'),
    c('path', 'PATH', 'string', 'Bound filesystem path'),
    c('abstract', 'ABSTRACT', 'string', 'Bound abstract name (shown with a leading @)'),
    c('peer', 'PEER', 'string', 'Channel id of the other end (sock_diag; native addon)'),
    c('recvQueue', 'RECV-Q', 'number|null', 'Bytes/datagrams waiting to be read; pending connections for a listener'),
    c('sendQueue', 'SEND-Q', 'number|null', 'Bytes waiting to be sent; backlog for a listener'),
    c('netns', 'NETNS', 'string', 'Network namespace inode'),
  ],
  tcp: [] as Column[],
  udp: [] as Column[],
};

const INET: Column[] = [
  c('family', 'FAMILY', 'number', 'IP version, 4 or 6'),
  c('state', 'STATE', 'string', 'State as ss prints it (ESTAB, LISTEN, TIME-WAIT, UNCONN, …)'),
  c('local', 'LOCAL', 'string', 'Local address:port'),
  c('remote', 'REMOTE', 'string', 'Remote address:port (port 0 = not connected)'),
  c('recvQueue', 'RECV-Q', 'number', 'Bytes not yet read; for a listener, pending connections'),
  c('sendQueue', 'SEND-Q', 'number', 'Bytes not yet acknowledged; for a listener, the backlog'),
  c('inode', 'INODE', 'number', 'Socket inode (0 for TIME-WAIT)'),
  c('peer', 'PEER', 'string', 'Other end of the connection when both ends were seen (same namespace, another namespace, or through NAT)'),
  c('uid', 'UID', 'number', 'Socket owner uid'),
  c('netns', 'NETNS', 'string', 'Network namespace inode'),
];
(COLUMNS as Record<ChannelKind, Column[]>).tcp = INET;
(COLUMNS as Record<ChannelKind, Column[]>).udp = INET;

/** Columns of one kind, common ones first. */
export function columnsFor(kind: ChannelKind): readonly Column[] {
  return [...COMMON_COLUMNS, ...COLUMNS[kind]];
}

/** Raw value of a column (model field); `endpoints` gives the count. */
export function columnValue(ch: Channel, id: string): unknown {
  if (id === 'endpoints') return ch.endpoints.length;
  return (ch as unknown as Record<string, unknown>)[id];
}
