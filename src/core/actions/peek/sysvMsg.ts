// SysV message queues: msgrcv(MSG_COPY | IPC_NOWAIT) of each message by position (an offset counts
// messages), with the queue's counters before and after (equal ones show nothing was consumed). Needs
// CONFIG_CHECKPOINT_RESTORE; without it ENOSYS is reported, never a consuming read.
import type { SysvMsgChannel } from '../../model';
import { boundedInt, explainPeek, needNative, ownerOf, type Peeker } from './common';
import { DEFAULT_PEEK_MAX_MESSAGES } from './types';
import { byteCount, formatBytes, plural } from '../../text';

export const peekSysvMsg: Peeker<SysvMsgChannel> = async ({ channel, native, maxBytes, maxMessages: max, offset, base, at, call }) => {
  const what = `copy the messages of SysV queue ${channel.msqid}`;
  const addon = needNative(native, what);
  const maxMessages = boundedInt(max, DEFAULT_PEEK_MAX_MESSAGES, 1, 1 << 20, 'maxMessages');
  // a queue's offset counts messages (MSG_COPY reads by position): `peek --offset 1024` pages on
  const first = boundedInt(offset, 0, 0, 2 ** 31 - 1 - maxMessages, 'offset');
  let raw;
  try {
    raw = await call(what, () => addon.msgPeek(channel.msqid, maxMessages, maxBytes, first));
  } catch (e) {
    throw explainPeek(e, { what, ...ownerOf(channel) });
  }
  const { before, after } = raw;
  const messages = raw.messages.map((m) => ({ index: m.index, type: m.type, size: m.size, data: Buffer.from(m.data), truncated: m.truncated }));
  const queued = after?.messages ?? before.messages;
  // positions read: the messages copied and those too long to copy (raw.tooLarge)
  const tooLarge = raw.tooLarge ?? [];
  const read = messages.length + tooLarge.length;
  const truncated = queued > first + read;
  // counts written as every view writes one (`1,030 messages`); positions as the table and `--offset` name them (`message 1024`)
  if (first > 0 && read === 0) base.notes.push(`the queue holds ${plural(queued, 'message')}: none from message ${first} on (the first is message 0)`);
  // where the rest is: `next` (the CLI names its --offset, the panel pages with it)
  else if (first > 0) base.notes.push(`showing messages ${first}–${first + read - 1} of ${queued.toLocaleString('en-US')} (the first is message 0)`);
  else if (truncated) base.notes.push(`showing the first ${read.toLocaleString('en-US')} of ${plural(queued, 'message')}`);
  if (messages.some((m) => m.truncated)) base.notes.push(`messages longer than ${byteCount(maxBytes)} are cut`);
  if (tooLarge.length) {
    const list = tooLarge.length > 8 ? `${tooLarge.slice(0, 8).join(', ')} and ${(tooLarge.length - 8).toLocaleString('en-US')} more` : tooLarge.join(', ');
    base.notes.push(`${tooLarge.length === 1 ? 'message' : 'messages'} ${list} ${tooLarge.length === 1 ? 'is' : 'are'} longer than ${formatBytes(raw.copyMax ?? 16 << 20)}, the most a peek copies of one message, and not shown (MSG_COPY copies a message whole or not at all)`);
  }
  if (after && (before.messages !== after.messages || before.bytes !== after.bytes)) {
    base.notes.push('the queue changed while it was read (another process sent or received meanwhile)');
  }
  return { ...base, type: 'messages', at: at(), method: 'msgrcv(MSG_COPY | IPC_NOWAIT)', messages, before, after, truncated, first, next: truncated ? first + read : null };
};
