// Non-destructive peeks at the data an IPC object holds, one path per kind. Nothing here ever
// consumes data: SysV queues are copied with MSG_COPY, pipes with tee() into a private pipe,
// sockets with recv(MSG_PEEK) on a pidfd_getfd duplicate, shared memory is attached read-only
// or read as a file. The one consuming read (`receivePosixMq`) is separate and only called after
// the user confirmed. Plain Node: runs in the extension host, the CLI and the tests.
//
// The objects belong to other users, who may swap what a listed fd or mapping refers to between
// the scan and the peek. So every native call names the object it expects (inode, dev, range) and
// fails with ESTALE when the fd or mapping is something else now; pipes are only peeked through a
// read-mode holder (opening a pipe nobody reads would make a reader appear); files in /dev/shm and
// /dev/mqueue are read through untrustedFiles.ts. Every call that may block runs off this thread
// (the addon's own threads, the libuv pool) and races a deadline (core/deadline.ts): past it the
// peek fails with ETIMEDOUT instead of freezing the extension host.
import type { Channel, ChannelKind, Endpoint, ProcessInfo } from '../model';
import { loadNative, type NativeAddon } from '../native';
import { DeadlineError, PEEK_DEADLINE_MS, TooManyStuckError, withDeadline } from '../deadline';
import { openRegular, readSem, readSmall, UntrustedFileError } from '../untrustedFiles';
import { ActionError, explain, type PermissionContext } from './errors';

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

/** Errors of a peek's calls, explained: missed deadlines, swapped objects, files that are not what they must be. */
function explainPeek(e: unknown, ctx: PermissionContext): ActionError {
  if (e instanceof DeadlineError) {
    return new ActionError('ETIMEDOUT', `${ctx.what}: no answer within ${e.ms} ms (ETIMEDOUT)`,
      'the object is probably backed by a hung FUSE or NFS server, or its process is stuck in D state; the blocked call was left behind');
  }
  if (e instanceof TooManyStuckError) return new ActionError('EBUSY', `${ctx.what}: ${e.message}`, 'restart the extension host (or the CLI) to free them');
  if (e instanceof UntrustedFileError) return new ActionError(e.code, `${ctx.what}: ${e.message}`, e.code === 'ESTALE' ? 'refresh and try again' : undefined);
  if ((e as { code?: unknown })?.code === 'ESTALE') {
    return new ActionError('ESTALE', `${ctx.what}: the fd or mapping no longer refers to the object shown (its holder replaced it)`, 'refresh and try again');
  }
  return explain(e, ctx);
}

/** `8:1` → [8, 1]. */
function devNumbers(dev: string): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(dev);
  if (!m) throw new ActionError('EINVAL', `bad device number ${JSON.stringify(dev)}`);
  return [Number(m[1]), Number(m[2])];
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
  const deadlineMs = boundedInt(opts.deadlineMs, PEEK_DEADLINE_MS, 1, 3_600_000, 'deadlineMs');
  const procs = toMap(processes);
  const native = nativeOf(opts);
  const devRoot = opts.devRoot ?? '/dev';
  const base = { channelId: channel.id, kind: channel.kind, notes: [] as string[] };
  const at = () => new Date().toISOString();
  /** One blocking call, off this thread, with the peek's deadline. */
  const call = <T>(what: string, start: () => Promise<T>): Promise<T> => withDeadline(what, deadlineMs, start);

  switch (channel.kind) {
    case 'sysv-msg': {
      const what = `copy the messages of SysV queue ${channel.msqid}`;
      const addon = needNative(native, what);
      const maxMessages = boundedInt(opts.maxMessages, DEFAULT_PEEK_MAX_MESSAGES, 1, 1 << 20, 'maxMessages');
      let raw;
      try {
        raw = await call(what, () => addon.msgPeek(channel.msqid, maxMessages, maxBytes));
      } catch (e) {
        throw explainPeek(e, { what, ...ownerOf(channel) });
      }
      const { before, after } = raw;
      const messages = raw.messages.map((m) => ({ index: m.index, type: m.type, size: m.size, data: Buffer.from(m.data), truncated: m.truncated }));
      const queued = after?.messages ?? before.messages;
      const truncated = queued > messages.length;
      if (truncated) base.notes.push(`showing the first ${messages.length} of ${queued} messages`);
      if (messages.some((m) => m.truncated)) base.notes.push(`messages longer than ${maxBytes} bytes are cut`);
      if (after && (before.messages !== after.messages || before.bytes !== after.bytes)) {
        base.notes.push('the queue changed while it was read (another process sent or received meanwhile)');
      }
      return { ...base, type: 'messages', at: at(), method: 'msgrcv(MSG_COPY | IPC_NOWAIT)', messages, before, after, truncated };
    }

    case 'pipe':
    case 'fifo': {
      const noun = channel.kind === 'pipe' ? 'pipe' : 'FIFO';
      const what = `peek at the ${noun}'s buffered bytes`;
      const addon = needNative(native, what);
      const all = fdHolders(channel, procs);
      if (all.length === 0) throw new ActionError('ENOENT', `${what}: no process holds it open (nothing to tee from)`);
      // Only through a read end: opening a pipe that nobody reads would make a reader appear (a
      // FIFO writer blocked in open() would be released, a writer would miss its EPIPE).
      const holders = all.filter((h) => h.mode !== 'w');
      if (holders.length === 0) {
        throw new ActionError(
          'ENOTSUP',
          `${what}: no process holds its read end, and opening it now would create one (a writer waiting for a reader would be released); it is not peeked`,
        );
      }
      const [major, minor] = channel.kind === 'fifo' ? devNumbers(channel.dev) : [-1, -1];
      let lastErr: unknown;
      for (const h of holders) {
        const fdPath = `/proc/${h.pid}/fd/${h.fd}`;
        try {
          const r = await call(what, () => addon.pipePeek(h.pid, h.fd, channel.inode, major, minor, Math.min(offset + maxBytes, 256 * 1024 * 1024)));
          const data = Buffer.from(r.data).subarray(Math.min(offset, r.data.length));
          const truncated = r.buffered > offset + data.length;
          if (truncated) base.notes.push(`showing ${data.length} of ${r.buffered} buffered bytes`);
          return {
            ...base, type: 'bytes', at: at(), method: `tee() from ${fdPath} (its read end, checked ${noun} ${channel.inode}) into a private pipe`,
            offset, data, total: r.buffered, truncated, capacity: r.capacity, via: { pid: h.pid, fd: h.fd },
          };
        } catch (e) {
          if (e instanceof DeadlineError || e instanceof TooManyStuckError) throw explainPeek(e, { what });
          lastErr = e;
        }
      }
      const p = procs.get(holders[0].pid);
      throw explainPeek(lastErr, { what, owner: p?.user, ownerUid: p?.uid, pid: holders[0].pid });
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
        const method = `pidfd_getfd(${h.pid}, ${h.fd}) of socket ${channel.inode} + recv(MSG_PEEK | MSG_DONTWAIT)`;
        try {
          const buf = Buffer.from(await call(what, () => addon.socketPeek(h.pid, h.fd, channel.inode, Math.min(offset + maxBytes, 256 * 1024 * 1024))));
          const data = buf.subarray(Math.min(offset, buf.length));
          const total = channel.recvQueue ?? null;
          const dgram = channel.kind === 'udp' || (channel.kind === 'unix' && channel.type !== 'stream');
          if (dgram) base.notes.push('datagram socket: MSG_PEEK shows the first queued datagram only');
          const truncated = total !== null && !dgram ? total > offset + data.length : false;
          if (truncated) base.notes.push(`showing ${data.length} of ${total} queued bytes`);
          return { ...base, type: 'bytes', at: at(), method, offset, data, total, truncated, via: { pid: h.pid, fd: h.fd } };
        } catch (e) {
          // EAGAIN: nothing queued right now.
          if ((e as { code?: string }).code === 'EAGAIN' || (e as { code?: string }).code === 'EWOULDBLOCK') {
            return { ...base, type: 'bytes', at: at(), method, offset, data: Buffer.alloc(0), total: 0, truncated: false, via: { pid: h.pid, fd: h.fd } };
          }
          if (e instanceof DeadlineError || e instanceof TooManyStuckError) throw explainPeek(e, { what });
          lastErr = e;
        }
      }
      const p = procs.get(holders[0].pid);
      throw explainPeek(lastErr, { what, owner: p?.user, ownerUid: p?.uid, pid: holders[0].pid, ptrace: true });
    }

    case 'sysv-shm': {
      const what = `read SysV shared memory segment ${channel.shmid}`;
      const addon = needNative(native, what);
      const size = channel.size;
      if (offset > size) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${size} bytes)`);
      const length = Math.min(maxBytes, size - offset);
      let data: Buffer;
      try {
        data = Buffer.from(await call(what, () => addon.shmRead(channel.shmid, offset, length)));
      } catch (e) {
        throw explainPeek(e, { what, ...ownerOf(channel) });
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
      try {
        return await call(what, async () => {
          const { handle, stat } = await openRegular(file);
          try {
            const size = stat.size;
            if (offset > size) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${size} bytes)`);
            const buf = Buffer.alloc(Math.min(maxBytes, size - offset));
            let got = 0;
            while (got < buf.length) {
              const { bytesRead } = await handle.read(buf, got, buf.length - got, offset + got);
              if (bytesRead === 0) break;
              got += bytesRead;
            }
            return {
              ...base, type: 'bytes' as const, at: at(), method: `pread(${file})`, offset, data: buf.subarray(0, got), total: size,
              truncated: offset + got < size,
            };
          } finally {
            await handle.close();
          }
        });
      } catch (e) {
        throw explainPeek(e, { what, ...ownerOf(channel) });
      }
    }

    case 'anon-shm': {
      // No name to open: read through a holder's address space (/proc/PID/mem at the mapping's
      // address). Same permission as ptrace-attach; nothing in the holder changes. The addon
      // re-checks the maps line (same dev:inode at that range) right before reading.
      const ep = channel.endpoints.find((e) => e.map !== undefined && /^[0-9a-f]+-[0-9a-f]+$/.test(e.map));
      if (!ep || ep.map === undefined) throw new ActionError('ENOENT', `no process maps ${channel.id} any more`, 'refresh');
      const range = ep.map;
      const [lo, hi] = range.split('-').map((h) => parseInt(h, 16));
      const size = hi - lo;
      const what = `read /proc/${ep.pid}/mem at 0x${range.split('-')[0]}`;
      const addon = needNative(native, what);
      if (offset > size) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${size} bytes)`);
      const startTime = procs.get(ep.pid)?.startTime ?? -1;
      let data: Buffer;
      try {
        data = Buffer.from(await call(what, () => addon.memRead(ep.pid, startTime, range, channel.dev, channel.inode, offset, Math.min(maxBytes, size - offset))));
      } catch (e) {
        throw explainPeek(e, { what, pid: ep.pid, ptrace: true });
      }
      return {
        ...base, type: 'bytes', at: at(), method: `pread(/proc/${ep.pid}/mem) of the mapping ${range} (checked ${channel.dev}:${channel.inode} in maps)`,
        offset, data, total: size, truncated: offset + data.length < size,
      };
    }

    case 'sysv-sem': {
      let values = channel.values;
      let ncnt = channel.waitingForIncrease;
      let zcnt = channel.waitingForZero;
      let pids = channel.lastPid;
      let method = 'snapshot (semctl GETALL at scan time)';
      const what = `read semaphore set ${channel.semid}`;
      if (native) {
        try {
          const s = await call(what, () => native.semStat(channel.semid));
          values = s.values;
          ncnt = s.ncnt;
          zcnt = s.zcnt;
          pids = s.pids;
          method = 'semctl(GETALL, GETNCNT, GETZCNT, GETPID)';
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code === 'EINVAL' || code === 'EIDRM') throw new ActionError('EIDRM', `semaphore set ${channel.semid} no longer exists`, 'refresh');
          throw explainPeek(e, { what, ...ownerOf(channel) });
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
      // Never sem_open: it maps the file, and a short one (any user can make one) faults with
      // SIGBUS. The checked file is pread and decoded as glibc's sem_t.
      const name = safePosixName(channel.name);
      const file = `${devRoot}/shm/sem.${name}`;
      const what = `read POSIX semaphore /${name}`;
      let value: number;
      try {
        value = await call(what, () => readSem(file));
      } catch (e) {
        throw explainPeek(e, { what, ...ownerOf(channel) });
      }
      return {
        ...base, type: 'semaphores', at: at(), method: `pread(${file}) of its glibc sem_t`,
        semaphores: [{ index: 0, value, waitingForIncrease: null, waitingForZero: null, lastPid: null }],
      };
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
        const text = await call(`read ${devRoot}/mqueue/${name}`, () => readSmall(`${devRoot}/mqueue/${name}`));
        const q = parseMqueueFile(text);
        if (q.bytes !== null) bytes = q.bytes;
        if (q.notifyPid !== null) notifyPid = q.notifyPid;
        methods.push(`read /dev/mqueue/${name}`);
      } catch {
        /* not mounted or not permitted */
      }
      if (native) {
        const what = `mq_getattr(/${name})`;
        try {
          const a = await call(what, () => native.mqGetattr('/' + name));
          messages = a.curmsgs;
          maxMessages = a.maxmsg;
          messageSize = a.msgsize;
          methods.push('mq_getattr');
        } catch (e) {
          base.notes.push(explainPeek(e, { what, ...ownerOf(channel) }).message);
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
export async function receivePosixMq(channel: Channel, opts: { native?: NativeAddon | null; deadlineMs?: number } = {}): Promise<ReceivedMqMessage> {
  if (channel.kind !== 'posix-mq') throw new ActionError('EINVAL', `${channel.id} is not a POSIX message queue`);
  const name = safePosixName(channel.name);
  const what = `receive one message from /${name}`;
  const addon = needNative(opts.native !== undefined ? opts.native : loadNative().addon, what);
  try {
    const r = await withDeadline(what, opts.deadlineMs ?? PEEK_DEADLINE_MS, () => addon.mqReceive('/' + name));
    return { channelId: channel.id, at: new Date().toISOString(), priority: r.priority, data: Buffer.from(r.data) };
  } catch (e) {
    if ((e as { code?: string }).code === 'EAGAIN') throw new ActionError('EAGAIN', `${what}: the queue is empty (EAGAIN)`);
    throw explainPeek(e, { what, ...ownerOf(channel) });
  }
}
