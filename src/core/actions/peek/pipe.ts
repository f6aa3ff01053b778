// Pipes and FIFOs: tee() of the buffered bytes into a private pipe, through a holder's read end
// only (opening a pipe nobody reads would make a reader appear: a FIFO writer blocked in open()
// would be released, a writer would miss its EPIPE). The addon reaches the fd through a checked
// O_PATH handle (native/src/fdhandle.h) and fails with ESTALE when it is something else now.
import type { FifoChannel, PipeChannel } from '../../model';
import { ActionError } from '../errors';
import { devNumbers, explainPeek, fdHolders, isFatal, needNative, type Peeker } from './common';

export const peekPipe: Peeker<PipeChannel | FifoChannel> = async ({ channel, procs, native, maxBytes, offset, base, at, call }) => {
  const noun = channel.kind === 'pipe' ? 'pipe' : 'FIFO'; // in a sentence, not the kind's heading ("Pipe")
  const what = `peek at the ${noun}'s buffered bytes`;
  const addon = needNative(native, what);
  const all = fdHolders(channel, procs);
  if (all.length === 0) throw new ActionError('ENOENT', `${what}: no process holds it open (nothing to tee from)`);
  const holders = all.filter((h) => h.mode !== 'w');
  if (holders.length === 0) {
    throw new ActionError(
      'ENOTSUP',
      `${what}: no process holds its read end, and opening it now would create one (a writer waiting for a reader would be released); it is not peeked`,
    );
  }
  // a FIFO lives on a real device; an anonymous pipe on pipefs (-1, -1)
  const [major, minor] = 'dev' in channel ? devNumbers(channel.dev) : [-1, -1];
  let lastErr: unknown;
  for (const h of holders) {
    const fdPath = `/proc/${h.pid}/fd/${h.fd}`;
    try {
      const r = await call(what, () => addon.pipePeek(h.pid, h.fd, channel.inode, major, minor, Math.min(offset + maxBytes, 256 * 1024 * 1024)));
      // tee() copies the pipe from its first byte: the bytes before the offset are skipped here, only the page is kept (copied off the addon's buffer)
      const data = Buffer.from(r.data.subarray(Math.min(offset, r.data.length)));
      const truncated = r.buffered > offset + data.length;
      if (truncated) base.notes.push(`showing ${data.length} of ${r.buffered} buffered bytes`);
      return {
        ...base, type: 'bytes', at: at(), method: `tee() from ${fdPath} (its read end, checked ${noun} ${channel.inode}) into a private pipe`,
        offset, data, total: r.buffered, truncated, capacity: r.capacity, via: { pid: h.pid, fd: h.fd },
      };
    } catch (e) {
      if (isFatal(e)) throw explainPeek(e, { what });
      lastErr = e;
    }
  }
  const p = procs.get(holders[0].pid);
  throw explainPeek(lastErr, { what, owner: p?.user, ownerUid: p?.uid, pid: holders[0].pid });
};
