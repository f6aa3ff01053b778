// Non-destructive peeks at the data an IPC object holds, one path per kind. Nothing here ever
// consumes data: SysV queues are copied with MSG_COPY, pipes with tee() into a private pipe,
// sockets with recv(MSG_PEEK) on a pidfd_getfd duplicate, shared memory is attached read-only
// or read as a file. The one consuming read (`receivePosixMq`) is separate and only called after
// the user confirmed. Plain Node: runs in the extension host, the CLI and the tests.
import * as fs from 'node:fs';
import type { Channel, ChannelKind, Endpoint, ProcessInfo } from '../model';
import { loadNative, type NativeAddon } from '../native';
import { ActionError, explain } from './errors';

export const DEFAULT_PEEK_MAX_BYTES = 65536;
/** Upper bound on the number of SysV messages one peek copies. */
export const DEFAULT_PEEK_MAX_MESSAGES = 1024;

export interface PeekOptions {
  /** Upper bound on the bytes read (per message for queues, total for the others). */
  maxBytes?: number;
  /** Byte offset into shared memory (sysv-shm, posix-shm) or into the buffered bytes of a pipe/socket. */
  offset?: number;
  maxMessages?: number;
  /** Override the addon (tests); `null` forces the paths without it. */
  native?: NativeAddon | null;
  /** Root of /proc (tests). */
  procRoot?: string;
  /** Root of /dev (tests): /dev/shm, /dev/mqueue. */
  devRoot?: string;
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
  type: number;
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

export type PeekResult = MessagesPeek | BytesPeek | SemaphoresPeek | MqAttributesPeek;

export const POSIX_MQ_EXPLANATION =
  'Linux has no non-destructive read for POSIX message queues: mq_receive() always removes the message, ' +
  'and /dev/mqueue/NAME only shows the counters (QSIZE, NOTIFY, SIGNO, NOTIFY_PID). ' +
  'The only way to see a message is to receive it, which takes it away from the process that waits for it.';

function nativeOf(opts: PeekOptions): NativeAddon | null {
  return opts.native !== undefined ? opts.native : loadNative().addon;
}

function needNative(native: NativeAddon | null, what: string): NativeAddon {
  if (!native) {
    throw new ActionError(
      'ENOTSUP',
      `${what}: needs the native addon, which is not loaded (${loadNative().error ?? 'disabled'})`,
      'build it with `npm run build:native`',
    );
  }
  return native;
}

function boundedInt(v: number | undefined, def: number, min: number, max: number, name: string): number {
  if (v === undefined) return def;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new ActionError('EINVAL', `${name} must be an integer in [${min}, ${max}]`);
  return v;
}

/** Parses /proc/sysvipc/msg into counters by msqid. */
export function parseSysvipcMsg(text: string): Map<number, QueueCounters> {
  const out = new Map<number, QueueCounters>();
  const lines = text.split('\n');
  const header = (lines.shift() ?? '').trim().split(/\s+/);
  const iId = header.indexOf('msqid');
  const iBytes = header.indexOf('cbytes');
  const iNum = header.indexOf('qnum');
  if (iId < 0 || iBytes < 0 || iNum < 0) return out;
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length <= Math.max(iId, iBytes, iNum)) continue;
    const id = Number(f[iId]);
    if (Number.isInteger(id)) out.set(id, { messages: Number(f[iNum]), bytes: Number(f[iBytes]) });
  }
  return out;
}

/** Current message/byte counters of a SysV queue (addon MSG_STAT walk, else /proc/sysvipc/msg). */
export function sysvMsgCounters(msqid: number, native: NativeAddon | null, procRoot = '/proc'): QueueCounters | null {
  if (native) {
    try {
      const s = native.sysvMsgList().find((q) => q.msqid === msqid);
      return s ? { messages: s.qnum, bytes: s.cbytes } : null;
    } catch {
      /* fall through to /proc */
    }
  }
  try {
    return parseSysvipcMsg(fs.readFileSync(`${procRoot}/sysvipc/msg`, 'utf8')).get(msqid) ?? null;
  } catch {
    return null;
  }
}

function ownerOf(channel: Channel): { owner: string | null; ownerUid: number | null; mode: string | null } {
  const c = channel as { owner?: string | null; uid?: number | null; mode?: unknown };
  return { owner: c.owner ?? null, ownerUid: c.uid ?? null, mode: typeof c.mode === 'string' ? c.mode : null };
}

/** Holders with an fd, the caller's own processes first (more likely permitted), then by pid. */
function fdHolders(channel: Channel, processes: ReadonlyMap<number, ProcessInfo>): Array<Endpoint & { fd: number }> {
  const euid = process.geteuid?.() ?? -1;
  const withFd = channel.endpoints.filter((e): e is Endpoint & { fd: number } => typeof e.fd === 'number');
  const rank = (e: Endpoint): number => (processes.get(e.pid)?.uid === euid ? 0 : 1);
  return withFd.sort((a, b) => rank(a) - rank(b) || a.pid - b.pid);
}

function toMap(processes: readonly ProcessInfo[] | ReadonlyMap<number, ProcessInfo> | undefined): ReadonlyMap<number, ProcessInfo> {
  if (!processes) return new Map();
  if (processes instanceof Map) return processes;
  return new Map((processes as readonly ProcessInfo[]).map((p) => [p.pid, p]));
}

/** Validates a POSIX object name (no slashes, no dot names) so it cannot escape /dev/shm or /dev/mqueue. */
export function safePosixName(name: string): string {
  const n = name.startsWith('/') ? name.slice(1) : name;
  if (n.length === 0 || n.length > 255 || n.includes('/') || n.includes('\0') || n === '.' || n === '..') {
    throw new ActionError('EINVAL', `invalid POSIX IPC name: ${JSON.stringify(name)}`);
  }
  return n;
}

/**
 * Reads what `channel` holds without consuming it. `processes` (the snapshot's) is used to pick
 * a holder whose fd can be opened and to explain permission errors. Throws ActionError.
 */
export async function peekChannel(
  channel: Channel,
  processes?: readonly ProcessInfo[] | ReadonlyMap<number, ProcessInfo>,
  opts: PeekOptions = {},
): Promise<PeekResult> {
  const maxBytes = boundedInt(opts.maxBytes, DEFAULT_PEEK_MAX_BYTES, 1, 256 * 1024 * 1024, 'maxBytes');
  const offset = boundedInt(opts.offset, 0, 0, Number.MAX_SAFE_INTEGER, 'offset');
  const procs = toMap(processes);
  const native = nativeOf(opts);
  const procRoot = opts.procRoot ?? '/proc';
  const devRoot = opts.devRoot ?? '/dev';
  const base = { channelId: channel.id, kind: channel.kind, notes: [] as string[] };
  const at = () => new Date().toISOString();

  switch (channel.kind) {
    case 'sysv-msg': {
      const what = `copy the messages of SysV queue ${channel.msqid}`;
      const addon = needNative(native, what);
      const maxMessages = boundedInt(opts.maxMessages, DEFAULT_PEEK_MAX_MESSAGES, 1, 1 << 20, 'maxMessages');
      const before = sysvMsgCounters(channel.msqid, addon, procRoot);
      let raw;
      try {
        raw = addon.msgPeek(channel.msqid, maxMessages, maxBytes);
      } catch (e) {
        throw explain(e, { what, ...ownerOf(channel) });
      }
      const after = sysvMsgCounters(channel.msqid, addon, procRoot);
      const messages = raw.map((m) => ({ index: m.index, type: m.type, size: m.size, data: Buffer.from(m.data), truncated: m.truncated }));
      const queued = after?.messages ?? before?.messages ?? messages.length;
      const truncated = queued > messages.length;
      if (truncated) base.notes.push(`showing the first ${messages.length} of ${queued} messages`);
      if (messages.some((m) => m.truncated)) base.notes.push(`messages longer than ${maxBytes} bytes are cut`);
      if (before && after && (before.messages !== after.messages || before.bytes !== after.bytes)) {
        base.notes.push('the queue changed while it was read (another process sent or received meanwhile)');
      }
      return { ...base, type: 'messages', at: at(), method: 'msgrcv(MSG_COPY | IPC_NOWAIT)', messages, before, after, truncated };
    }

    case 'pipe':
    case 'fifo': {
      const what = `peek at the ${channel.kind === 'pipe' ? 'pipe' : 'FIFO'}'s buffered bytes`;
      const addon = needNative(native, what);
      const holders = fdHolders(channel, procs);
      if (holders.length === 0) throw new ActionError('ENOENT', `${what}: no process holds it open (nothing to tee from)`);
      let lastErr: unknown;
      for (const h of holders) {
        const fdPath = `${procRoot}/${h.pid}/fd/${h.fd}`;
        try {
          const r = addon.pipePeek(fdPath, Math.min(offset + maxBytes, 256 * 1024 * 1024));
          const data = Buffer.from(r.data).subarray(Math.min(offset, r.data.length));
          const truncated = r.buffered > offset + data.length;
          if (truncated) base.notes.push(`showing ${data.length} of ${r.buffered} buffered bytes`);
          return {
            ...base, type: 'bytes', at: at(), method: `tee() from ${fdPath} into a private pipe`,
            offset, data, total: r.buffered, truncated, capacity: r.capacity, via: { pid: h.pid, fd: h.fd },
          };
        } catch (e) {
          lastErr = e;
        }
      }
      const p = procs.get(holders[0].pid);
      throw explain(lastErr, { what, owner: p?.user, ownerUid: p?.uid, pid: holders[0].pid });
    }

    case 'unix':
    case 'tcp':
    case 'udp': {
      const what = 'peek at the socket receive queue';
      const addon = needNative(native, what);
      if (channel.state === 'listen' || channel.state === 'LISTEN') {
        return {
          ...base, type: 'bytes', at: at(), method: 'none', offset: 0, data: Buffer.alloc(0), total: 0, truncated: false,
          notes: ['a listening socket has no data: its receive queue counts connections waiting for accept()'],
        };
      }
      const holders = fdHolders(channel, procs);
      if (holders.length === 0) throw new ActionError('ENOENT', `${what}: no process holds the socket (nothing to duplicate)`);
      let lastErr: unknown;
      for (const h of holders) {
        try {
          const buf = Buffer.from(addon.socketPeek(h.pid, h.fd, Math.min(offset + maxBytes, 256 * 1024 * 1024)));
          const data = buf.subarray(Math.min(offset, buf.length));
          const total = channel.recvQueue ?? null;
          const dgram = channel.kind === 'udp' || (channel.kind === 'unix' && channel.type !== 'stream');
          if (dgram) base.notes.push('datagram socket: MSG_PEEK shows the first queued datagram only');
          const truncated = total !== null && !dgram ? total > offset + data.length : false;
          if (truncated) base.notes.push(`showing ${data.length} of ${total} queued bytes`);
          return {
            ...base, type: 'bytes', at: at(), method: `pidfd_getfd(${h.pid}, ${h.fd}) + recv(MSG_PEEK | MSG_DONTWAIT)`,
            offset, data, total, truncated, via: { pid: h.pid, fd: h.fd },
          };
        } catch (e) {
          // EAGAIN: nothing queued right now.
          if ((e as { code?: string }).code === 'EAGAIN' || (e as { code?: string }).code === 'EWOULDBLOCK') {
            return {
              ...base, type: 'bytes', at: at(), method: `pidfd_getfd(${h.pid}, ${h.fd}) + recv(MSG_PEEK | MSG_DONTWAIT)`,
              offset, data: Buffer.alloc(0), total: 0, truncated: false, via: { pid: h.pid, fd: h.fd },
            };
          }
          lastErr = e;
        }
      }
      const p = procs.get(holders[0].pid);
      throw explain(lastErr, { what, owner: p?.user, ownerUid: p?.uid, pid: holders[0].pid, ptrace: true });
    }

    case 'sysv-shm': {
      const what = `read SysV shared memory segment ${channel.shmid}`;
      const addon = needNative(native, what);
      const size = channel.size;
      if (offset > size) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${size} bytes)`);
      const length = Math.min(maxBytes, size - offset);
      let data: Buffer;
      try {
        data = Buffer.from(addon.shmRead(channel.shmid, offset, length));
      } catch (e) {
        throw explain(e, { what, ...ownerOf(channel) });
      }
      return {
        ...base, type: 'bytes', at: at(), method: 'shmat(SHM_RDONLY)', offset, data, total: size,
        truncated: offset + data.length < size,
      };
    }

    case 'posix-shm': {
      const name = safePosixName(channel.name);
      const file = `${devRoot}/shm/${name}`;
      const what = `read ${file}`;
      let fd: number | undefined;
      try {
        fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
        const st = fs.fstatSync(fd);
        if (!st.isFile()) throw new ActionError('EINVAL', `${what}: not a regular file`);
        const size = st.size;
        if (offset > size) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${size} bytes)`);
        const buf = Buffer.alloc(Math.min(maxBytes, size - offset));
        let got = 0;
        while (got < buf.length) {
          const n = fs.readSync(fd, buf, got, buf.length - got, offset + got);
          if (n === 0) break;
          got += n;
        }
        return {
          ...base, type: 'bytes', at: at(), method: `pread(${file})`, offset, data: buf.subarray(0, got), total: size,
          truncated: offset + got < size,
        };
      } catch (e) {
        throw explain(e, { what, ...ownerOf(channel) });
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    }

    case 'anon-shm': {
      // No name to open: read through a holder's address space (/proc/PID/mem at the mapping's
      // address). Same permission as ptrace-attach; nothing in the holder changes.
      const ep = channel.endpoints.find((e) => e.map !== undefined && /^[0-9a-f]+-[0-9a-f]+$/.test(e.map));
      if (!ep || ep.map === undefined) throw new ActionError('ENOENT', `no process maps ${channel.id} any more`, 'refresh');
      const [lo, hi] = ep.map.split('-').map((h) => parseInt(h, 16));
      const size = hi - lo;
      const file = `${procRoot}/${ep.pid}/mem`;
      const what = `read ${file} at 0x${ep.map.split('-')[0]}`;
      if (offset > size) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${size} bytes)`);
      let fd: number | undefined;
      try {
        fd = fs.openSync(file, fs.constants.O_RDONLY);
        const buf = Buffer.alloc(Math.min(maxBytes, size - offset));
        let got = 0;
        while (got < buf.length) {
          const n = fs.readSync(fd, buf, got, buf.length - got, lo + offset + got);
          if (n === 0) break;
          got += n;
        }
        return {
          ...base, type: 'bytes', at: at(), method: `pread(${file}) of pid ${ep.pid}'s mapping`, offset, data: buf.subarray(0, got), total: size,
          truncated: offset + got < size,
        };
      } catch (e) {
        throw explain(e, { what });
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    }

    case 'sysv-sem': {
      let values = channel.values;
      let ncnt = channel.waitingForIncrease;
      let zcnt = channel.waitingForZero;
      let pids = channel.lastPid;
      let method = 'snapshot (semctl GETALL at scan time)';
      if (native) {
        try {
          const s = native.sysvSemList().find((x) => x.semid === channel.semid);
          if (!s) throw new ActionError('EIDRM', `semaphore set ${channel.semid} no longer exists`, 'refresh');
          if (s.error) throw new ActionError(s.error, `read semaphore set ${channel.semid}: ${s.error}`);
          values = s.values ?? null;
          ncnt = s.ncnt ?? null;
          zcnt = s.zcnt ?? null;
          pids = s.pids ?? null;
          method = 'semctl(GETALL, GETNCNT, GETZCNT, GETPID)';
        } catch (e) {
          throw explain(e, { what: `read semaphore set ${channel.semid}`, ...ownerOf(channel) });
        }
      } else {
        base.notes.push('native addon not loaded: values are those of the last scan');
      }
      const n = values?.length ?? channel.nsems;
      const semaphores: SemaphoreState[] = [];
      for (let i = 0; i < n; i++) {
        semaphores.push({ index: i, value: values?.[i] ?? null, waitingForIncrease: ncnt?.[i] ?? null, waitingForZero: zcnt?.[i] ?? null, lastPid: pids?.[i] ?? null });
      }
      return { ...base, type: 'semaphores', at: at(), method, semaphores };
    }

    case 'posix-sem': {
      const name = safePosixName(channel.name);
      const what = `read POSIX semaphore /${name}`;
      let value: number | null;
      let method: string;
      if (native) {
        try {
          value = native.semGetValue('/' + name);
          method = 'sem_open + sem_getvalue';
        } catch (e) {
          throw explain(e, { what, ...ownerOf(channel) });
        }
      } else {
        // glibc's sem_t: the value is the low 32 bits of the first 64-bit word.
        try {
          const fd = fs.openSync(`${devRoot}/shm/sem.${name}`, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
          try {
            const b = Buffer.alloc(4);
            if (fs.readSync(fd, b, 0, 4, 0) !== 4) throw new ActionError('EINVAL', `${what}: file too short for a sem_t`);
            value = b.readUInt32LE(0) & 0x7fffffff;
          } finally {
            fs.closeSync(fd);
          }
          method = `read /dev/shm/sem.${name} (glibc sem_t layout)`;
          base.notes.push('native addon not loaded: value read from the glibc sem_t layout');
        } catch (e) {
          throw explain(e, { what, ...ownerOf(channel) });
        }
      }
      return { ...base, type: 'semaphores', at: at(), method, semaphores: [{ index: 0, value, waitingForIncrease: null, waitingForZero: null, lastPid: null }] };
    }

    case 'posix-mq': {
      const name = safePosixName(channel.name);
      let messages = channel.messages;
      let maxMessages = channel.maxMessages;
      let messageSize = channel.messageSize;
      let bytes = channel.bytes;
      let notifyPid = channel.notifyPid;
      const methods: string[] = [];
      try {
        const text = fs.readFileSync(`${devRoot}/mqueue/${name}`, 'utf8');
        const q = parseMqueueFile(text);
        if (q.bytes !== null) bytes = q.bytes;
        if (q.notifyPid !== null) notifyPid = q.notifyPid;
        methods.push(`read /dev/mqueue/${name}`);
      } catch {
        /* not mounted or not permitted */
      }
      if (native) {
        try {
          const a = native.mqGetattr('/' + name);
          messages = a.curmsgs;
          maxMessages = a.maxmsg;
          messageSize = a.msgsize;
          methods.push('mq_getattr');
        } catch (e) {
          base.notes.push(explain(e, { what: `mq_getattr(/${name})`, ...ownerOf(channel) }).message);
        }
      }
      return {
        ...base, type: 'mq-attributes', at: at(), method: methods.join(' + ') || 'snapshot',
        messages, maxMessages, messageSize, bytes, notifyPid, nonDestructiveReadUnavailable: true, explanation: POSIX_MQ_EXPLANATION,
      };
    }
  }
  throw new ActionError('ENOTSUP', `cannot peek at channels of kind ${(channel as { kind: string }).kind}`);
}

/** `QSIZE:129 NOTIFY:2 SIGNO:0 NOTIFY_PID:8260` from /dev/mqueue/NAME. */
export function parseMqueueFile(text: string): { bytes: number | null; notifyPid: number | null; notify: number | null; signo: number | null } {
  const get = (k: string): number | null => {
    const m = new RegExp(`\\b${k}:(\\d+)`).exec(text);
    return m ? Number(m[1]) : null;
  };
  const notifyPid = get('NOTIFY_PID');
  return { bytes: get('QSIZE'), notify: get('NOTIFY'), signo: get('SIGNO'), notifyPid: notifyPid === 0 ? null : notifyPid };
}

export interface ReceivedMqMessage {
  channelId: string;
  at: string;
  priority: number;
  data: Buffer;
}

/** CONSUMING mq_receive of one message. Only call after the user confirmed. */
export function receivePosixMq(channel: Channel, opts: { native?: NativeAddon | null } = {}): ReceivedMqMessage {
  if (channel.kind !== 'posix-mq') throw new ActionError('EINVAL', `${channel.id} is not a POSIX message queue`);
  const name = safePosixName(channel.name);
  const what = `receive one message from /${name}`;
  const addon = needNative(opts.native !== undefined ? opts.native : loadNative().addon, what);
  try {
    const r = addon.mqReceive('/' + name);
    return { channelId: channel.id, at: new Date().toISOString(), priority: r.priority, data: Buffer.from(r.data) };
  } catch (e) {
    if ((e as { code?: string }).code === 'EAGAIN') throw new ActionError('EAGAIN', `${what}: the queue is empty (EAGAIN)`);
    throw explain(e, { what, ...ownerOf(channel) });
  }
}
