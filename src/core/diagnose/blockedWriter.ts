// Rule 1 — blocked writer: a pipe, FIFO, stream socket or message queue is full and a writer
// thread sleeps in write()/sendmsg()/mq_send() on it (its /proc/PID/task/TID/syscall names that
// fd), while no reader thread runs. A connection no program has accepted yet has the listener's
// holders as its readers; a Unix datagram sender is blocked when it sleeps in unix_wait_for_peer
// (its receiver's queue is full, which sock_diag cannot count). Raised once the channel was full
// at the previous refresh too (momentary backpressure in a busy pipeline is normal), with the
// writer, the reader that is not draining, and for how long. Processes caught in a wait cycle are left to the wait-cycle rule.
// A SysV message queue, which no fd holds, has its own side (who sleeps in msgsnd() on it, and
// when it stalls): sysvSenders.ts.
import { formatBytes } from '../format';
import type { Channel } from '../model';
import { unackedBytes } from '../kinds/tcp';
import { DGRAM_PEER_FULL_WCHAN, nextToRead, otherSide, type BlockedThread } from './blocking';
import { scan } from './scan';
import { emptyEvidence } from './evidence';
import type { EvidenceItem, Explanation, ProblemDraft } from './problem';
import {
  activity, chanLabel, chanNode, defineRule, isRunning, iso, listLabel, peek, procLabel, procNode, revealChannel, revealProcess, signal,
  streakStart, type RuleContext,
} from './rule';
import { blockedSender, queueStamp, scanRound, sendCandidates, senderRequest, sendersNow, type WriterMemo } from './sysvSenders';
import { describeSyscall } from './syscalls';
import { TROUBLES } from './troubles';

/** The channels a writer could sleep on at that refresh (isFull; SysV queues: sendMayBlock), and where the msgsnd search goes on. */
type Memo = WriterMemo;

/** Channels a writer could be blocked on now, and the processes on both sides of each. */
export function fullChannels(ctx: RuleContext): { channels: Channel[]; pids: Set<number> } {
  return ctx.index.cached('full-channels', () => {
    const channels = scan(ctx).full;
    const pids = new Set<number>();
    for (const ch of channels) {
      for (const e of ch.endpoints) pids.add(e.pid);
      for (const p of otherSide(ctx.index, ch)?.pids ?? []) pids.add(p);
    }
    return { channels, pids };
  });
}

function teach(ch: Channel, o: { listener?: Channel; dgram: boolean }): Explanation {
  if (o.listener) {
    return {
      what: `The connection was made, but no program has accepted it yet: its other end waits in the accept queue of ${chanLabel(o.listener)}. Until accept() takes it out nobody reads it; the kernel buffers what is sent up to the socket buffers' size, then send()/write() blocks.`,
      why: 'The process holding the listener does not call accept(): it is stopped, busy, blocked on something else, or its accept loop stalled (a full worker pool, a paused event loop).',
      next: 'The writer sleeps until the connection is accepted and read. If the listener is closed, the connection is reset: the write fails with ECONNRESET or EPIPE.',
      fix: "Make the listener's holder accept connections (its accept backlog shows how many wait), or give the client a timeout: a connect() that succeeded only means the kernel queued the connection.",
    };
  }
  if (o.dgram) {
    return {
      what: `A Unix datagram receiver queues at most net.unix.max_dgram_qlen datagrams (10 by default); a sender to a full receiver blocks in ${DGRAM_PEER_FULL_WCHAN}() until the receiver takes one out, however empty its own buffer is.`,
      why: 'The receiver stopped reading: it is stopped, busy, or blocked on something else. A stalled syslog daemon behind /dev/log makes every process that logs hang this way.',
      next: 'The sender sleeps until the receiver reads a datagram; a non-blocking sender (MSG_DONTWAIT) gets EAGAIN instead. If the receiver closes, the send fails with ECONNREFUSED.',
      fix: 'Make the receiver read (continue it if it is stopped); a sender that must never hang sends non-blocking and drops what does not fit. A larger max_dgram_qlen only postpones the stall.',
    };
  }
  if (ch.kind === 'pipe' || ch.kind === 'fifo') {
    return {
      what: `A ${ch.kind === 'pipe' ? 'pipe' : 'FIFO'} holds at most its capacity (${formatBytes(ch.capacity)} here); when it is full, write() blocks until a reader takes data out.`,
      why: 'The reader stopped reading: it is busy with something else, waits on another fd, is stopped, or keeps this end open without ever reading it (a parent that forgot to close the read end it gave a child).',
      next: 'The writer sleeps in the kernel (pipe_write) until a reader drains at least a page. If every reader closes its end, the write fails with EPIPE and the writer gets SIGPIPE.',
      fix: 'Make the reader read this fd (poll it with the others), or close the ends nobody reads. A bigger buffer (F_SETPIPE_SZ) or a non-blocking writer only postpones the stall.',
    };
  }
  if (ch.kind === 'posix-mq') {
    return {
      what: `A POSIX message queue holds at most mq_maxmsg messages (${ch.maxMessages ?? '?'} here); mq_send() on a full queue blocks (unless O_NONBLOCK) until a receiver takes one out.`,
      why: 'Nobody receives: the processes that opened it for reading are busy with something else, stopped, wait on another queue or fd, or only keep it open (a process that opened it O_RDWR to send counts as a reader without ever receiving).',
      next: 'The sender sleeps in the kernel until mq_receive() frees a slot; a signal interrupts it with EINTR (mq_timedsend gives up with ETIMEDOUT). The messages stay in the queue until received or the queue is unlinked and closed.',
      fix: 'Make a reader call mq_receive on this queue (mq_notify or a thread can wake it), or close the reading ends nobody uses. A larger mq_maxmsg or O_NONBLOCK in the sender only postpones the stall.',
    };
  }
  return {
    what:
      ch.kind === 'unix'
        ? // a Unix socket's send queue is the buffers its unread data holds, not the data (kinds/unix.ts)
          `The socket's send buffer is full (${formatBytes(ch.sendQueue)} of buffer memory held by data the other end has not read); send()/write() blocks until the peer reads.`
        : // (an MPTCP socket's: its stream's unacknowledged bytes, not its Send-Q, which is memory — kinds/tcp.ts)
          `The socket's send buffer is full (${formatBytes(ch.kind === 'tcp' ? unackedBytes(ch) : null)} not yet read by the other end); send()/write() blocks until the peer reads.`,
    why: 'The peer stopped reading this connection: it is busy, blocked on something else, stopped, or no longer polls this socket.',
    next: 'The writer sleeps in the kernel until the peer reads enough to free buffer space. If the peer closes, the write fails with EPIPE (and SIGPIPE unless MSG_NOSIGNAL) or ECONNRESET.',
    fix: 'Make the peer read (it must poll this socket), or let the writer use non-blocking I/O with a bounded queue of its own. SO_SNDBUF only postpones the stall.',
  };
}

export const blockedWriter = defineRule<Memo>({
  id: 'blocked-writer',
  title: 'Blocked writer',
  wants(ctx, history) {
    const { pids } = fullChannels(ctx);
    const sysv = senderRequest(ctx, history[history.length - 1]?.memo);
    if (pids.size === 0 && !sysv) return null;
    // follow the waits one step further: what the readers of a full channel are blocked on (wait cycles)
    return { ...sysv, threads: [...pids, ...(sysv?.threads ?? [])], follow: (round) => nextToRead(ctx.index, emptyEvidence(), round) };
  },
  remember(input) {
    const channels = new Map<string, string>();
    for (const c of fullChannels(input).channels) channels.set(c.id, '');
    for (const q of sendCandidates(input)) channels.set(q.id, queueStamp(q));
    const scan = scanRound(input.evidence.sleepers);
    return { channels, senders: sendersNow(input, input.evidence), ...(scan ? { scan } : {}) };
  },
  run(input) {
    const { index, evidence: ev, history, now } = input;
    const graph = input.waits();
    const byChannel = new Map<string, BlockedThread[]>();
    for (const [pid, list] of graph.blocked) {
      if (graph.stuck.has(pid)) continue; // part of a wait cycle: that rule reports it
      for (const b of list) {
        if (b.op !== 'write' && !(b.op === 'msgsnd' && b.channel.kind === 'sysv-msg')) continue;
        const l = byChannel.get(b.channel.id);
        if (l) l.push(b);
        else byChannel.set(b.channel.id, [b]);
      }
    }
    const out: ProblemDraft[] = [];
    for (const [id, writers] of byChannel) {
      const ch = writers[0].channel;
      if (ch.kind === 'sysv-msg') {
        const p = blockedSender(input, ch, writers);
        if (p) out.push(p);
        continue;
      }
      // full at the previous refresh too: not a momentary backpressure
      if (history.length === 0 || !history[history.length - 1].memo.channels.has(id)) continue;
      const readers = writers[0].unblockers;
      if (readers.some((r) => isRunning(ev, r))) continue; // a reader is running: it may be draining
      const since = streakStart(history, now, (m) => m.channels.has(id));
      const wpids = [...new Set(writers.map((w) => w.pid))];
      const wl = listLabel(wpids.map((p) => procLabel(index, p, ev)));
      const rl = readers.length ? listLabel(readers.map((p) => procLabel(index, p, ev))) : 'an unknown reader';
      const listener = writers[0].listener;
      const dgram = ch.kind === 'unix' && ch.type === 'dgram' && writers.some((w) => w.thread.wchan === DGRAM_PEER_FULL_WCHAN);
      const receiver = dgram && ch.kind === 'unix' && ch.peer !== undefined ? index.channel(ch.peer) : undefined;
      const plural = readers.length > 1;
      const verdict = listener && readers.length ? `${plural ? 'have' : 'has'} not accepted the connection` : `${plural ? 'are' : 'is'} not reading it`;
      const evidence: EvidenceItem[] = [];
      if (ch.kind === 'pipe' || ch.kind === 'fifo') {
        evidence.push({ label: 'buffered', text: `${formatBytes(ch.bufferedBytes)} of ${formatBytes(ch.capacity)}`, source: 'FIONREAD / F_GETPIPE_SZ (snapshot)' });
      } else if (ch.kind === 'unix' || ch.kind === 'tcp') {
        if (ch.kind === 'tcp' && ch.protocol === 'mptcp') evidence.push({ label: 'not acknowledged', text: formatBytes(unackedBytes(ch)), source: 'mptcp_diag: write_seq − snd_una (snapshot)' });
        else evidence.push({ label: ch.kind === 'unix' ? 'send queue (buffer memory)' : 'send queue', text: formatBytes(ch.sendQueue), source: 'sock_diag (snapshot)' });
        if (listener) evidence.push({ label: 'not accepted', text: `the other end waits in the accept queue of ${chanLabel(listener)}`, source: 'sock_diag (snapshot)' });
        if (receiver) evidence.push({ label: 'receiver', text: `${chanLabel(receiver)} has datagrams queued (sock_diag gives no count: a sender sleeps in ${DGRAM_PEER_FULL_WCHAN}() only while it is full)`, source: 'sock_diag (snapshot)' });
      } else if (ch.kind === 'posix-mq') {
        evidence.push({ label: 'queue', text: `${ch.messages ?? '?'} of ${ch.maxMessages ?? '?'} messages, ${formatBytes(ch.bytes)} (messages of ${formatBytes(ch.messageSize)} at most)`, source: 'mq_getattr, /dev/mqueue QSIZE (snapshot)' });
      }
      for (const w of writers) {
        evidence.push({
          label: 'writer',
          text: `${procLabel(index, w.pid, ev)} thread ${w.tid} sleeps in ${describeSyscall(w.thread.syscall)}${w.thread.wchan ? ` [wchan ${w.thread.wchan}]` : ''}`,
          source: `/proc/${w.pid}/task/${w.tid}/syscall`,
        });
      }
      for (const r of readers) evidence.push({ label: 'reader', text: `${procLabel(index, r, ev)} is ${activity(ev, index, r)}`, source: `/proc/${r}/task` });
      const chain = [procNode(index, wpids[0], ev), chanNode(ch), ...(readers.length ? [procNode(index, readers[0], ev)] : [])];
      const stopped = readers.filter((r) => ev.processes.get(r)?.state === 'T' || index.proc(r)?.state === 'T');
      const T = TROUBLES['blocked-writer'];
      const trouble = listener ? T.notAccepted : dgram ? T.receiverFull : ch.kind === 'pipe' ? T.pipeFull : ch.kind === 'fifo' ? T.fifoFull : ch.kind === 'unix' || ch.kind === 'tcp' ? T.socketFull : T.queueFull;
      out.push({
        id: `blocked-writer:${id}`,
        rule: 'blocked-writer',
        severity: 'warning',
        title: `${wl} blocked writing to ${chanLabel(ch)}: ${rl} ${verdict}`,
        trouble,
        subject: `${wl} → ${chanLabel(ch)}`,
        explanation: teach(ch, { listener, dgram }),
        evidence,
        channels: [id, ...((ch.kind === 'unix' || ch.kind === 'tcp') && ch.peer ? [ch.peer] : []), ...(listener ? [listener.id] : [])],
        pids: [...wpids, ...readers.filter((r) => !wpids.includes(r))],
        chain,
        actions: [
          revealChannel(ch),
          ...(listener ? [revealChannel(listener, `Reveal the listener ${chanLabel(listener)}`)] : []),
          ...readers.slice(0, 3).map((r) => revealProcess(index, r, `Reveal the reader ${procLabel(index, r, ev)}`)),
          ...peek(ch),
          ...stopped.flatMap((r) => signal(index, r, 'SIGCONT', 'it is stopped; continuing it lets it read')),
        ],
        since: iso(since),
      });
    }
    return out;
  },
});
