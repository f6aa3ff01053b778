// Sockets (Unix, TCP, UDP, raw IP, packet, ICMP ping, netlink): pidfd_getfd of a holder's fd while it still names the socket's inode,
// then recv(MSG_PEEK | MSG_DONTWAIT) on the copy, closed at once. Needs ptrace-attach rights.
import type { InetChannel, NetlinkChannel, PacketChannel, PingChannel, RawChannel, UnixChannel } from '../../model';
import { describe } from '../../kinds';
import { byteCount } from '../../text';
import { ActionError } from '../errors';
import { explainPeek, fdHolders, isFatal, needNative, type Peeker } from './common';

/** TCP states after the peer's FIN arrived (and before it is read): the kernel's queue count (rcv_nxt - copied_seq, ss's Recv-Q) includes the FIN. */
const AFTER_FIN = new Set(['CLOSE-WAIT', 'LAST-ACK', 'CLOSING']);

type SocketChannel = UnixChannel | InetChannel | RawChannel | PacketChannel | PingChannel | NetlinkChannel;

/** The queue count is kernel memory, not bytes (the kind's recvQueueIsMemory: UDP, raw, packet, ping, netlink, MPTCP). */
function queueIsMemory(c: SocketChannel): boolean {
  return describe(c).recvQueueIsMemory?.(c) ?? false;
}

function finQueued(c: SocketChannel): boolean {
  return c.kind === 'tcp' && !queueIsMemory(c) && AFTER_FIN.has(c.state) && (c.recvQueue ?? 0) > 0;
}

/**
 * Payload bytes queued, when the queue count says so: a UDP socket's Recv-Q is the kernel memory
 * its datagrams take (sk_rmem_alloc: 832 for one datagram of 67 bytes), not bytes to read; a TCP
 * socket's after FIN counts the FIN.
 */
function payloadQueued(c: SocketChannel): number | null {
  if (queueIsMemory(c)) return null;
  const q = c.recvQueue ?? null;
  return q !== null && finQueued(c) ? q - 1 : q;
}

/**
 * Where a Unix socket's unread sends are: its Send-Q is the buffer memory of what it sent that the
 * other end has not read, and those bytes wait in the other end's receive queue, never in its own
 * (a client whose request sits unread shows "0 bytes of 0"). When the other end is an embryo in a
 * listener's accept queue, no process holds it: nobody can peek it before a program accepts it.
 */
function sentElsewhere(c: SocketChannel): string[] {
  if (c.kind !== 'unix' || c.state === 'listen' || !c.sendQueue) return [];
  const sent = `what this socket sent and the other end has not read yet (Send-Q: ${byteCount(c.sendQueue)} of buffer memory)`;
  if (c.acceptQueue !== undefined) {
    return [`not accepted yet: ${sent} waits in its other end, in the accept queue of ${c.acceptQueue}; no process holds that end, so it cannot be peeked until a program accepts the connection`];
  }
  if (c.peer !== undefined) return [`${sent} waits in its peer's receive queue, not in this one's: peek ${c.peer}`];
  return [];
}

export const peekSocket: Peeker<SocketChannel> = async ({ channel, procs, native, maxBytes, offset, base, at, call }) => {
  const what = 'peek at the socket receive queue';
  const d = describe(channel);
  const addon = needNative(native, what);
  if (d.listening?.(channel)) {
    return {
      ...base, type: 'bytes', at: at(), method: 'none', offset: 0, data: Buffer.alloc(0), total: 0, truncated: false,
      notes: ['a listening socket has no data: its receive queue counts connections waiting for accept()'],
    };
  }
  const holders = fdHolders(channel, procs);
  if (holders.length === 0) {
    // a TCP server end in a listener's accept queue: an established socket no fd holds yet
    const q = channel.kind === 'raw' || channel.kind === 'packet' || channel.kind === 'ping' || channel.kind === 'netlink' ? undefined : channel.acceptQueue;
    const queued = channel.recvQueue ? ` (its ${payloadQueued(channel) ?? channel.recvQueue} queued bytes with it)` : '';
    throw new ActionError(
      'ENOENT',
      q !== undefined
        ? `${what}: not accepted yet: the connection waits in the accept queue of ${q}, and no process holds this end until a program accepts it${queued}; nothing can be peeked before`
        : `${what}: no process holds the socket (nothing to duplicate)`,
    );
  }
  base.notes.push(...sentElsewhere(channel));
  if (channel.kind === 'packet' && channel.ring) base.notes.push('this packet socket receives into a memory-mapped ring (PACKET_RX_RING), not its receive queue: the frames are in its process\'s memory, and the queue peeked here is usually empty');
  const dgram = d.datagrams?.(channel) ?? false;
  let lastErr: unknown;
  for (const h of holders) {
    const method = `pidfd_getfd(${h.pid}, ${h.fd}) of socket ${channel.inode} + recv(MSG_PEEK | MSG_DONTWAIT)`;
    try {
      const got = await call(what, () => addon.socketPeek(h.pid, h.fd, channel.inode, Math.min(offset + maxBytes, 256 * 1024 * 1024)));
      const first = got.firstMessageBytes;
      // MSG_PEEK reads the queue from its start: the bytes before the offset are left here, only the page is kept (copied off the addon's buffer)
      const data = Buffer.from(got.subarray(Math.min(offset, got.length)));
      // a datagram socket's queue count is its first datagram's length (Unix) or kernel memory (UDP),
      // never the queue's bytes: the total is the first datagram's, when the kernel said it
      const total = dgram || first !== undefined ? (first ?? null) : payloadQueued(channel);
      // a SOCK_SEQPACKET socket's records are datagrams to MSG_PEEK, and its queue count is every record's bytes
      // (a packet socket's are link-layer frames)
      const record = channel.kind === 'unix' && channel.type === 'seqpacket' ? 'record' : channel.kind === 'packet' ? 'frame' : channel.kind === 'netlink' ? 'message' : 'datagram';
      if (record === 'record') {
        const all = channel.recvQueue ?? null;
        base.notes.push(`seqpacket socket: MSG_PEEK shows the first queued record only${all !== null && first !== undefined && all > first ? `; ${byteCount(all)} are queued in all, in records` : ''}`);
      } else if (channel.kind === 'packet') base.notes.push('packet socket: MSG_PEEK shows the first queued frame only');
      else if (channel.kind === 'netlink') base.notes.push('netlink socket: MSG_PEEK shows the first queued message only (one skb: a dump\'s part may hold several netlink messages)');
      else if (dgram) base.notes.push('datagram socket: MSG_PEEK shows the first queued datagram only');
      // (an IPv6 raw socket's come without theirs: the kernel keeps IPv6 headers out, as RFC 3542 says)
      if (channel.kind === 'raw' && channel.family === 4) base.notes.push('IPv4 raw socket: each datagram is read with its IP header (20 bytes or more) before the payload');
      if (dgram && offset > 0 && total !== null && offset >= total) base.notes.push(`the offset ${offset} is past the first ${record}'s ${byteCount(total)}: a peek reads the first ${record} only`);
      if (first === 0) base.notes.push(`the first queued ${record} is empty (zero bytes); more may be queued behind it`);
      if (channel.kind === 'ping') base.notes.push('ICMP ping socket: each echo reply is read from its ICMP header on (type, code, checksum, identifier, sequence: 8 bytes) before the payload');
      if (queueIsMemory(channel) && channel.recvQueue) {
        base.notes.push(
          dgram
            ? `the receive queue holds ${byteCount(channel.recvQueue)} of kernel memory for its ${channel.kind === 'packet' ? 'frames' : channel.kind === 'netlink' ? 'messages' : 'datagrams'} (${channel.kind === 'ping' ? "/proc/net/icmp's rx_queue" : "ss's Recv-Q"}), headers and buffers included`
            : // (a stream whose count is memory: an MPTCP socket)
              `MPTCP socket: its Recv-Q (${byteCount(channel.recvQueue)}) is the kernel memory its queued data takes, not a count of bytes; the peek reads its stream as the program would, whichever subflow carried each byte`,
        );
      }
      if (finQueued(channel)) base.notes.push('the peer has closed its side: its FIN counts as one more byte in Recv-Q');
      const truncated = total !== null && total > offset + data.length;
      if (truncated && first !== undefined) base.notes.push(`showing ${data.length.toLocaleString('en-US')} of the first ${dgram ? record : 'packet'}'s ${byteCount(total)}`);
      else if (truncated) {
        // a stream's peek stops short of the queue without the bound being reached: the kernel's
        // MSG_PEEK reads one run of one sender's data, up to a message carrying passed file
        // descriptors or another sender's bytes (Unix), or up to an out-of-band byte (Unix, TCP's
        // urgent data), and no further
        const stopped = (channel.kind === 'unix' || channel.kind === 'tcp') && got.length < Math.min(total!, offset + maxBytes);
        const where =
          channel.kind === 'unix'
            ? 'where the next bytes came with passed file descriptors (SCM_RIGHTS), with credentials of another sender, or after an out-of-band byte (MSG_OOB)'
            : 'at urgent data (an out-of-band byte, MSG_OOB)';
        base.notes.push(
          stopped
            ? `showing ${data.length.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} queued bytes: the kernel's peek stops ${where}; the rest cannot be peeked, and nothing was consumed`
            : `showing ${data.length.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} queued bytes`,
        );
      }
      return { ...base, type: 'bytes', at: at(), method, offset, data, total, truncated, via: { pid: h.pid, fd: h.fd } };
    } catch (e) {
      // Not read, so that the owner finds its socket as it was (native/src/peek.cc): a fact of the socket, not of this holder.
      const sc = (e as { code?: string; syscall?: string }).code === 'EBUSY' ? (e as { syscall?: string }).syscall : undefined;
      if (sc === 'SO_PEEK_OFF' || sc === 'POLLERR') {
        const why =
          sc === 'SO_PEEK_OFF'
            ? 'its owner has set SO_PEEK_OFF, and every MSG_PEEK would move the owner\'s peek offset (its own peeks would then skip these bytes)'
            : channel.kind === 'netlink'
              ? 'an error is pending on it (POLLERR: a netlink socket whose receive buffer overflowed has ENOBUFS pending, its owner\'s sign that it missed messages), and recv() takes a pending error from its owner even with MSG_PEEK'
              : 'an error is pending on it (POLLERR), and recv() takes a pending error from its owner even with MSG_PEEK';
        return {
          ...base, type: 'bytes', at: at(), method: 'none', offset, data: Buffer.alloc(0), total: payloadQueued(channel), truncated: false, via: { pid: h.pid, fd: h.fd },
          notes: [...base.notes, `not peeked: ${why}`],
        };
      }
      // EAGAIN: nothing queued right now.
      if ((e as { code?: string }).code === 'EAGAIN' || (e as { code?: string }).code === 'EWOULDBLOCK') {
        return { ...base, type: 'bytes', at: at(), method, offset, data: Buffer.alloc(0), total: 0, truncated: false, via: { pid: h.pid, fd: h.fd } };
      }
      if (isFatal(e)) throw explainPeek(e, { what });
      lastErr = e;
    }
  }
  const p = procs.get(holders[0].pid);
  throw explainPeek(lastErr, { what, owner: p?.user, ownerUid: p?.uid, pid: holders[0].pid, ptrace: true });
};
