// Non-destructive peeks at the data an IPC object holds: one family per file, chosen by the
// kind's descriptor (core/kinds `peek`). Nothing here ever consumes data: SysV queues are copied
// with MSG_COPY, pipes with tee() into a private pipe, sockets with recv(MSG_PEEK) on a
// pidfd_getfd duplicate, shared memory is attached read-only or read as a file, fdinfo facts are
// re-read from procfs. The one consuming read (`receivePosixMq`) is separate and only called after
// the user confirmed. Plain Node: runs in the extension host, the CLI and the tests.
//
// The objects belong to other users, who may swap what a listed fd or mapping refers to between
// the scan and the peek. So every native call names the object it expects (inode, dev, range) and
// fails with ESTALE when the fd or mapping is something else now; files in /dev/shm and
// /dev/mqueue are read through untrustedFiles.ts. Every call that may block runs off this thread
// (the addon's own threads, the libuv pool) and races a deadline (core/deadline.ts): past it the
// peek fails with ETIMEDOUT instead of freezing the extension host.
import type { Channel, ProcessInfo } from '../../model';
import { OTHER_IPCNS_NOTE, type PeekMethod, type PeekTargets } from '../../kinds/kind';
import { describe } from '../../kinds';
import { loadNative } from '../../native';
import { PEEK_DEADLINE_MS } from '../../deadline';
import { ActionError } from '../errors';
import { boundedInt, makeCall, type Peeker } from './common';
import { peekPipe } from './pipe';
import { peekSocket } from './socket';
import { peekSysvMsg } from './sysvMsg';
import { peekAnonShm, peekFileShm, peekPosixShm, peekSysvShm, throughAttacher } from './sharedMemory';
import { peekPosixSem, peekSysvSem } from './semaphores';
import { peekPosixMq } from './posixMq';
import { peekFdinfo } from './fdinfo';
import { peekTty } from './tty';
import { DEFAULT_PEEK_MAX_BYTES, type PeekOptions, type PeekResult } from './types';

export * from './types';
export { posixNameBytes, posixObjectFile, safePosixName, shownFile } from './common';
export { POSIX_MQ_EXPLANATION, receivePosixMq, type ReceivedMqMessage } from './posixMq';

/** Every peek family, by the name kinds refer to it with. */
const PEEKERS: { [M in PeekMethod]: Peeker<PeekTargets[M] & Channel> } = {
  pipe: peekPipe,
  socket: peekSocket,
  'sysv-msg': peekSysvMsg,
  'sysv-shm': peekSysvShm,
  'posix-shm': peekPosixShm,
  'anon-shm': peekAnonShm,
  'file-shm': peekFileShm,
  'sysv-sem': peekSysvSem,
  'posix-sem': peekPosixSem,
  'posix-mq': peekPosixMq,
  fdinfo: peekFdinfo,
  tty: peekTty,
};

function toMap(processes: readonly ProcessInfo[] | ReadonlyMap<number, ProcessInfo> | undefined): ReadonlyMap<number, ProcessInfo> {
  if (!processes) return new Map();
  if (processes instanceof Map) return processes;
  return new Map((processes as readonly ProcessInfo[]).map((p) => [p.pid, p]));
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
  const d = describe(channel);
  if (d.peek === null) throw new ActionError('ENOTSUP', `cannot peek at ${d.title} objects${d.noPeek ? `: ${d.noPeek}` : ''}`);
  // msgrcv(MSG_COPY), shmat and semctl take ids of our IPC namespace: never another's object's
  // id. A segment an attacher of its own namespace maps is read through that mapping instead.
  if ((channel as { ipcns?: string }).ipcns && !throughAttacher(channel)) throw new ActionError('ENOTSUP', `cannot peek at this ${d.title}: ${OTHER_IPCNS_NOTE}`);
  const deadlineMs = boundedInt(opts.deadlineMs, PEEK_DEADLINE_MS, 1, 3_600_000, 'deadlineMs');
  const peeker = PEEKERS[d.peek] as Peeker<Channel>;
  return peeker({
    channel,
    procs: toMap(processes),
    native: opts.native !== undefined ? opts.native : loadNative().addon,
    procRoot: opts.procRoot ?? '/proc',
    devRoot: opts.devRoot ?? '/dev',
    maxBytes: boundedInt(opts.maxBytes, DEFAULT_PEEK_MAX_BYTES, 1, 256 * 1024 * 1024, 'maxBytes'),
    offset: boundedInt(opts.offset, 0, 0, Number.MAX_SAFE_INTEGER, 'offset'),
    maxMessages: opts.maxMessages,
    base: { channelId: channel.id, kind: channel.kind, notes: [] },
    at: () => new Date().toISOString(),
    call: makeCall(deadlineMs),
  });
}
