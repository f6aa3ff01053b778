// POSIX message queues: Linux has no non-destructive read, so the "peek" is the queue's
// attributes (its /dev/mqueue file, mq_getattr) and the explanation; `receivePosixMq` is the one
// consuming read, only ever called after the user confirmed.
import type { Channel, PosixMqChannel } from '../../model';
import { loadNative, type NativeAddon } from '../../native';
import { PEEK_DEADLINE_MS, withDeadline } from '../../deadline';
import { readSmall } from '../../untrustedFiles';
import { parseMqueueFile } from '../../parsers/mqueue';
import { mqOpenName } from '../../posixNames';
import { heldObjectKey, mqAttrThroughHolders, type MqAttr } from '../../heldObjects';
import { describe } from '../../kinds';
import { ActionError } from '../errors';
import { explainPeek, needNative, ownerOf, posixNameBytes, type Peeker } from './common';
import { shownName } from '../../format';

export const POSIX_MQ_EXPLANATION =
  'Linux has no non-destructive read for POSIX message queues: mq_receive() always removes the message, ' +
  'and /dev/mqueue/NAME only shows the counters (QSIZE, NOTIFY, SIGNO, NOTIFY_PID). ' +
  'The only way to see a message is to receive it, which takes it away from the process that waits for it.';

export const peekPosixMq: Peeker<PosixMqChannel> = async ({ channel, native, devRoot, base, at, call }) => {
  let { messages, maxMessages, messageSize, bytes, notifyPid } = channel;
  const methods: string[] = [];
  if (channel.otherNamespace || channel.deleted) {
    // No name of ours reaches it (unlinked: its name now names nothing or a newer queue; another
    // IPC namespace's: its name opens a different queue here): only its holders' fds do.
    const why = channel.deleted
      ? `/${shownName(channel)} was unlinked (mq_unlink) while processes hold it: there is no name left to open it by`
      : `/${shownName(channel)} is a queue of another IPC namespace (a container's): its name opens a different queue here`;
    const a = await throughHolder(channel, native, call);
    if (typeof a === 'string') {
      // the snapshot's counts (read through the same kind of fd, earlier) are not shown as current
      messages = maxMessages = messageSize = null;
      base.notes.push(`${why}, and no holder's fd could be read (${a}): no attributes`);
    } else {
      ({ curmsgs: messages, maxmsg: maxMessages, msgsize: messageSize } = a.attr);
      methods.push(`pidfd_getfd(${a.pid}, fd ${a.fd}) + mq_getattr`);
      base.notes.push(`${why}: read through fd ${a.fd} of process ${a.pid}, which holds it`);
    }
    return {
      ...base, type: 'mq-attributes', at: at(), method: methods.join(' + ') || 'snapshot',
      messages, maxMessages, messageSize, bytes, notifyPid, nonDestructiveReadUnavailable: true, explanation: POSIX_MQ_EXPLANATION,
    };
  }
  // by the name's exact bytes: a name that is not UTF-8 shows U+FFFD, and that text names another queue (or none)
  const raw = posixNameBytes(channel);
  const shown = `/dev/mqueue/${shownName(channel)}`;
  const file = Buffer.concat([Buffer.from(`${devRoot}/mqueue/`), raw]);
  try {
    const q = parseMqueueFile(await call(`read ${shown}`, () => readSmall(file)));
    if (q.qsize !== null) bytes = q.qsize;
    if (q.notifyPid !== null) notifyPid = q.notifyPid;
    methods.push(`read ${shown}`);
  } catch (e) {
    base.notes.push(`${shown} unreadable (${(e as { code?: string }).code ?? 'EIO'}): /dev/mqueue not mounted, or no permission`);
  }
  if (native) {
    const what = `mq_getattr(/${shownName(channel)})`;
    try {
      const a = await call(what, () => native.mqGetattr(mqOpenName(raw)));
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
};

/** mq_getattr of a queue no name of ours reaches, through one of its holders' fds (heldObjects.ts). */
async function throughHolder(
  channel: PosixMqChannel,
  native: NativeAddon | null,
  call: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
): Promise<{ attr: MqAttr; pid: number; fd: number } | string> {
  const key = heldObjectKey(channel.id, 'posix-mq', ['deleted', 'ns']);
  if (!native?.mqGetattrFd) return 'needs the native addon';
  if (!key || !channel.inode) return 'EINVAL';
  return mqAttrThroughHolders(native, channel.endpoints, { major: key.major, minor: key.minor, inode: channel.inode }, call);
}

export interface ReceivedMqMessage {
  channelId: string;
  at: string;
  priority: number;
  data: Buffer;
}

/** CONSUMING mq_receive of one message. Only call after the user confirmed. */
export async function receivePosixMq(channel: Channel, opts: { native?: NativeAddon | null; deadlineMs?: number } = {}): Promise<ReceivedMqMessage> {
  // the kinds whose peek is this family's are POSIX queues
  if (describe(channel).peek !== 'posix-mq' || !('name' in channel)) throw new ActionError('EINVAL', `${channel.id} is not a POSIX message queue`);
  if ((channel as PosixMqChannel).deleted) throw new ActionError('ENOTSUP', `/${shownName(channel)} was unlinked (mq_unlink): there is no name left to open it by`);
  if ((channel as PosixMqChannel).otherNamespace) throw new ActionError('ENOTSUP', `/${shownName(channel)} is a queue of another IPC namespace: its name opens a different queue here`);
  const raw = posixNameBytes(channel); // its exact bytes, as the peek's
  const what = `receive one message from /${shownName(channel)}`;
  const addon = needNative(opts.native !== undefined ? opts.native : loadNative().addon, what);
  try {
    const r = await withDeadline(what, opts.deadlineMs ?? PEEK_DEADLINE_MS, () => addon.mqReceive(mqOpenName(raw)));
    return { channelId: channel.id, at: new Date().toISOString(), priority: r.priority, data: Buffer.from(r.data) };
  } catch (e) {
    if ((e as { code?: string }).code === 'EAGAIN') throw new ActionError('EAGAIN', `${what}: the queue is empty (EAGAIN)`);
    throw explainPeek(e, { what, ...ownerOf(channel) });
  }
}
