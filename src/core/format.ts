// Shared human formatting for the CLI table, the tree views and the webview. Pure functions,
// no vscode, no DOM. Everything that comes from a process (comm, paths, names) goes through
// escapeControl (core/escape.ts) and is bounded (CAPS); nothing here produces markup.
import type { Channel, ChannelKind, Endpoint, ProcessInfo } from './model';

import { escapeControl, truncate } from './escape';

export { escapeControl } from './escape';

/**
 * Bounds on what one label, description or tooltip line carries. Any user may create objects
 * whose facts are huge (a SysV set of 32,000 semaphores, a 4 KiB FIFO path, a 2 MiB command
 * line); the tree and the status bar show a summary, the snapshot JSON keeps everything.
 */
export const CAPS = {
  /** Code points of a name or path in a label. */
  name: 160,
  /** Array items listed before `… N more`. */
  items: 8,
  /** Code points of one tooltip line (command lines included). */
  line: 500,
} as const;

/** Escaped and bounded: what a label shows of a name, path or command line. */
export function shortText(text: string, max: number = CAPS.name): string {
  return truncate(escapeControl(text), max);
}

/** `[0, 1, 2, … 31997 more]`: the first CAPS.items values of a long array. */
export function summarizeList(values: readonly unknown[], max: number = CAPS.items): string {
  const shown = values.slice(0, max).map((v) => escapeControl(String(v)));
  return `[${shown.join(', ')}${values.length > max ? `, … ${values.length - max} more` : ''}]`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || n < 0) return '?';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 10 || Number.isInteger(v) ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

export const KIND_TITLES: Record<ChannelKind, string> = {
  pipe: 'Pipe',
  fifo: 'FIFO (named pipe)',
  'sysv-msg': 'SysV message queue',
  'posix-mq': 'POSIX message queue',
  'sysv-shm': 'SysV shared memory',
  'posix-shm': 'POSIX shared memory',
  'anon-shm': 'Shared anonymous memory',
  'sysv-sem': 'SysV semaphore set',
  'posix-sem': 'POSIX named semaphore',
  unix: 'Unix socket',
  tcp: 'TCP socket',
  udp: 'UDP socket',
};

/** One line per kind that teaches what the object is and how it behaves. */
export const KIND_TEACHING: Record<ChannelKind, string> = {
  pipe: 'Anonymous pipe: a one-way (half-duplex) byte stream in the kernel between related processes (inherited fds); writers block when the buffer is full, readers see EOF when all writers close.',
  fifo: 'FIFO: a named pipe with a path in the filesystem, so unrelated processes can open it; one-way byte stream, open blocks until both a reader and a writer exist.',
  'sysv-msg': 'SysV message queue: a kernel-held linked list of typed messages identified by a key; receivers can pick messages by type; it outlives its creator until removed (ipcrm).',
  'posix-mq': 'POSIX message queue: a named kernel queue of messages with priorities (highest first); can notify a process when a message arrives; lives until mq_unlink.',
  'sysv-shm': 'SysV shared memory: a segment mapped into several address spaces; the fastest IPC, with no built-in synchronisation (pair it with a semaphore); persists until removed and detached.',
  'posix-shm': 'POSIX shared memory: a named file in /dev/shm mapped by several processes; no built-in synchronisation; lives until shm_unlink.',
  'anon-shm': 'Shared anonymous memory: memory shared by mapping the same anonymous region or memfd: inherited across fork() or passed as an fd; no built-in synchronisation.',
  'sysv-sem': 'SysV semaphore set: an array of non-negative counters changed atomically (semop); processes block waiting for a value to rise or to reach zero.',
  'posix-sem': 'POSIX named semaphore: a non-negative counter (sem_t in /dev/shm/sem.NAME); sem_wait decrements or blocks at zero, sem_post increments.',
  unix: 'Unix domain socket: a local bidirectional socket named by a path or an abstract name; stream (connection-oriented bytes) or datagram (record-preserving messages); can pass fds and credentials.',
  tcp: 'TCP socket: a connection-oriented, reliable, ordered byte stream (SOCK_STREAM) between two address:port ends; a listener accepts new connections.',
  udp: 'UDP socket: connectionless datagrams (SOCK_DGRAM): each send is one record, which may be lost or reordered; no listener, no connection state.',
};

export function kindTitle(kind: ChannelKind): string {
  return KIND_TITLES[kind] ?? kind;
}

export function kindTeaching(kind: ChannelKind): string {
  return KIND_TEACHING[kind] ?? '';
}

type ProcLookup = ReadonlyMap<number, ProcessInfo> | ((pid: number) => ProcessInfo | undefined);
function lookup(p: ProcLookup | undefined, pid: number): ProcessInfo | undefined {
  if (!p) return undefined;
  return typeof p === 'function' ? p(pid) : p.get(pid);
}

/** `nginx[812]`, or `[812]` when the process is unknown. */
export function processLabel(pid: number, proc: ProcessInfo | undefined): string {
  return proc ? `${shortText(proc.comm, 64)}[${pid}]` : `[${pid}]`;
}

/** `nginx[812] fd 5 (w)` or `postgres[90] map 7f12…-7f13… (rw)`. */
export function endpointLabel(ep: Endpoint, proc?: ProcessInfo): string {
  const where = ep.fd !== undefined ? `fd ${ep.fd}` : ep.map !== undefined ? `map ${shortText(ep.map, 64)}` : 'no fd';
  return `${processLabel(ep.pid, proc)} ${where} (${ep.mode})`;
}

function sysvKey(key: number): string {
  return '0x' + (key >>> 0).toString(16).padStart(8, '0');
}

/** The object's own name (path, key, address) without endpoints; names longer than `max` end in `…`. */
export function channelName(ch: Channel, max: number = CAPS.name): string {
  const name = (t: string) => shortText(t, max);
  switch (ch.kind) {
    case 'pipe':
      return `pipe:[${ch.inode}]`;
    case 'fifo':
      return name(ch.path) + (ch.deleted ? ' (deleted)' : '');
    case 'sysv-msg':
      return `msqid ${ch.msqid} key ${sysvKey(ch.key)}`;
    case 'sysv-shm':
      return `shmid ${ch.shmid} key ${sysvKey(ch.key)}`;
    case 'sysv-sem':
      return `semid ${ch.semid} key ${sysvKey(ch.key)}`;
    case 'posix-mq':
    case 'posix-shm':
    case 'posix-sem':
      return '/' + name(ch.name);
    case 'anon-shm':
      return name(ch.name) + ` [${ch.dev}:${ch.inode}]`;
    case 'unix':
      return ch.path !== undefined ? name(ch.path) : ch.abstract !== undefined ? '@' + name(ch.abstract) : `unix:[${ch.inode}]`;
    case 'tcp':
    case 'udp':
      return ch.state === 'LISTEN' || ch.remote.endsWith(':*') || ch.remote.endsWith(':0') ? ch.local : `${ch.local} → ${ch.remote}`;
  }
}

function sides(ch: Channel, procs: ProcLookup | undefined): string {
  if (ch.endpoints.length === 0) return '';
  const label = (e: Endpoint) => processLabel(e.pid, lookup(procs, e.pid));
  const uniq = (eps: Endpoint[]) => [...new Set(eps.map(label))];
  const some = (u: string[]) => (u.length > 3 ? `${u.slice(0, 3).join(', ')} +${u.length - 3}` : u.join(', '));
  if (ch.kind === 'pipe' || ch.kind === 'fifo') {
    const w = uniq(ch.endpoints.filter((e) => e.mode !== 'r'));
    const r = uniq(ch.endpoints.filter((e) => e.mode !== 'w'));
    return `${some(w) || '?'} → ${some(r) || '?'}`;
  }
  return some(uniq(ch.endpoints));
}

/** `pipe:[4901] nginx[812] → worker[813]` (at most 3 processes a side, names up to `maxName`). */
export function channelLabel(ch: Channel, processesByPid?: ProcLookup, maxName: number = CAPS.name): string {
  const s = sides(ch, processesByPid);
  return s ? `${channelName(ch, maxName)}  ${s}` : channelName(ch, maxName);
}

/** Short facts: bytes queued, messages, state, size. */
export function channelDescription(ch: Channel): string {
  switch (ch.kind) {
    case 'pipe':
    case 'fifo':
      return ch.bufferedBytes === null ? '' : `${formatBytes(ch.bufferedBytes)} buffered` + (ch.capacity ? ` / ${formatBytes(ch.capacity)}` : '');
    case 'sysv-msg':
      return `${ch.messages} msg, ${formatBytes(ch.bytes)}` + (ch.maxBytes ? ` / ${formatBytes(ch.maxBytes)}` : '');
    case 'posix-mq':
      return (
        (ch.messages !== null ? `${ch.messages}${ch.maxMessages !== null ? '/' + ch.maxMessages : ''} msg` : '') +
        (ch.bytes !== null ? `${ch.messages !== null ? ', ' : ''}${formatBytes(ch.bytes)}` : '')
      );
    case 'sysv-shm':
      return `${formatBytes(ch.size)}, ${ch.attachCount} attached` + (ch.destroyed ? ', removed' : '') + (ch.orphaned ? ', orphaned' : '');
    case 'posix-shm':
      return formatBytes(ch.size);
    case 'anon-shm': {
      const n = new Set(ch.endpoints.map((e) => e.pid)).size;
      return `${formatBytes(ch.size)}, ${n} process${n === 1 ? '' : 'es'}`;
    }
    case 'sysv-sem':
      return ch.values ? (ch.values.length > CAPS.items ? `${ch.nsems} sems, values ${summarizeList(ch.values)}` : `values ${summarizeList(ch.values)}`) : `${ch.nsems} sem`;
    case 'posix-sem':
      return ch.value === null ? '' : `value ${ch.value}`;
    case 'unix':
      return `${ch.type} ${ch.state}` + (ch.recvQueue ? `, ${ch.recvQueue} queued` : '');
    case 'tcp':
    case 'udp':
      return ch.state + (ch.recvQueue ? `, rx ${formatBytes(ch.recvQueue)}` : '') + (ch.sendQueue ? `, tx ${formatBytes(ch.sendQueue)}` : '');
  }
}

/** Tooltip: title, what the object is, then its facts, one per line (plain text). */
export function channelTooltipLines(ch: Channel, processesByPid?: ProcLookup): string[] {
  const lines = [`${kindTitle(ch.kind)}: ${channelName(ch)}`, kindTeaching(ch.kind)];
  const d = channelDescription(ch);
  if (d) lines.push(d);
  switch (ch.kind) {
    case 'sysv-msg':
      lines.push(`owner ${shortText(ch.owner, 64)}, mode ${ch.mode}; last send by pid ${ch.lastSendPid || '—'}, last receive by pid ${ch.lastRecvPid || '—'}`);
      break;
    case 'sysv-shm':
      lines.push(`owner ${shortText(ch.owner, 64)}, mode ${ch.mode}; created by pid ${ch.creatorPid}, last attach/detach by pid ${ch.lastPid}`);
      break;
    case 'sysv-sem':
      lines.push(`owner ${shortText(ch.owner, 64)}, mode ${ch.mode}; ${ch.nsems} semaphore(s)`);
      if (ch.waitingForIncrease) lines.push(`waiting for increase: ${summarizeList(ch.waitingForIncrease)}, for zero: ${summarizeList(ch.waitingForZero ?? [])}`);
      break;
    case 'posix-mq':
      if (ch.notifyPid) lines.push(`notifies pid ${ch.notifyPid} on arrival`);
      if (ch.messageSize !== null) lines.push(`max message size ${formatBytes(ch.messageSize)}`);
      break;
    case 'unix':
      if (ch.peer) lines.push(`peer ${ch.peer}`);
      break;
    case 'tcp':
    case 'udp':
      lines.push(`IPv${ch.family}, netns ${ch.netns}` + (ch.peer ? `, peer ${ch.peer}` : ''));
      break;
    default:
      break;
  }
  if (ch.endpoints.length === 0) lines.push('no process holds it open');
  for (const e of ch.endpoints.slice(0, 20)) lines.push('  ' + endpointLabel(e, lookup(processesByPid, e.pid)));
  if (ch.endpoints.length > 20) lines.push(`  … ${ch.endpoints.length - 20} more`);
  return lines;
}
