// Rule 1 for SysV message queues: a process asleep in msgsnd() on a queue with no room for its
// message. No fd holds a SysV queue, and its last-sender pid (lspid) is the last msgsnd that
// succeeded, not the one that sleeps: the sender is found by its syscall (msgsnd, msqid first).
// Which threads to read without reading every thread of the machine on each refresh: the last
// sender's (a producer blocks where it sent before), and every process whose main thread sleeps
// in msgsnd by its wchan (sleepers.ts: one small read per process) — only while some queue could
// make a sender sleep. Raised once the queue stood still (nothing sent, nothing received) since the
// previous refresh; a consumer that receives, however slowly, is backpressure, not a stall.
// A consumer waiting on an empty queue is normal and raises nothing here.
import type { SysvMsgChannel } from '../model';
import { byteCount, formatBytes, plural } from '../text';
import { alive, type BlockedThread } from './blocking';
import type { Evidence, EvidenceRequest } from './evidence';
import type { Sleepers } from './sleepers';
import type { EvidenceItem, Explanation, ProblemDraft } from './problem';
import {
  activity, chanLabel, chanNode, duration, iso, listLabel, peek, procLabel, procNode, revealChannel, revealProcess, signal, streak, streakStart,
  type HistoryEntry, type RuleContext, type RuleInput,
} from './rule';
import { describeSyscall } from './syscalls';
import { TROUBLES } from './troubles';

/** What rule 1 remembers of a refresh. */
export interface WriterMemo {
  /** Channel id → '' for a full fd channel, queueStamp() for a SysV queue a sender could sleep on. */
  channels: ReadonlyMap<string, string>;
  /** Processes found asleep in msgsnd(): read again at the next refresh, whose wchan scan may not reach them. */
  senders: readonly number[];
  /**
   * The wchan scan's round (sleepers.ts): where the next scan goes on (absent: from the lowest pid),
   * how many processes this round read, and whether a round ever read every process; absent when
   * no scan ran.
   */
  scan?: { after?: number; read: number; covered: boolean };
}

/** Processes found asleep in msgsnd at most per refresh (their threads are read; a flood of them must not use up the evidence's process limit). */
export const MAX_MSGSND_SLEEPERS = 16;

/** Time the wchan scan may take per refresh, ms (sleepers.ts: the next goes on where it stopped). */
export const WCHAN_BUDGET_MS = 10;

/** A main thread asleep in msgsnd: do_msgsnd (ipc/msg.c), or its wrappers should a kernel inline it. */
const inMsgsnd = (wchan: string) => wchan.includes('msgsnd');

/**
 * Could a msgsnd() sleep on this queue now? When a message of the queue's own average size no
 * longer fits (msg_cbytes + size > msg_qbytes), or the count is at its limit (msg_qnum reaches
 * msg_qbytes). A sender of a message larger than the average may sleep earlier: not looked for.
 */
export function sendMayBlock(q: SysvMsgChannel): boolean {
  if (!(q.maxBytes > 0) || !(q.messages > 0)) return false;
  if (q.messages >= q.maxBytes) return true;
  return q.maxBytes - q.bytes < Math.max(1, q.bytes / q.messages);
}

/** The snapshot's queues a sender could sleep on (once per snapshot). */
export function sendCandidates(ctx: RuleContext): SysvMsgChannel[] {
  return ctx.index.cached('msgsnd-candidates', () => ctx.index.ofKind('sysv-msg').filter(sendMayBlock));
}

/**
 * What to read to find the queues' sleeping senders: the machine's msgsnd sleepers (going on where
 * the last scan stopped), those found before, and the queues' last senders' threads; null when no
 * queue could hold one.
 */
export function senderRequest(ctx: RuleContext, last: WriterMemo | undefined): Pick<EvidenceRequest, 'threads' | 'sleepers'> | null {
  const queues = sendCandidates(ctx);
  if (queues.length === 0) return null;
  const threads = new Set([...(last?.senders ?? []), ...queues.map((q) => q.lastSendPid).filter((p) => p > 0)]);
  return {
    threads,
    sleepers: {
      in: inMsgsnd,
      what: 'processes asleep in msgsnd()',
      max: MAX_MSGSND_SLEEPERS,
      budgetMs: WCHAN_BUDGET_MS,
      ...(last?.scan?.after !== undefined ? { after: last.scan.after, readBefore: last.scan.read } : {}),
      covered: last?.scan?.covered ?? false,
    },
  };
}

/** The wchan scan's round after this refresh's scan (WriterMemo.scan). */
export function scanRound(s: Sleepers | undefined): WriterMemo['scan'] {
  if (!s) return undefined;
  const covered = s.covered || s.next === undefined;
  return s.next !== undefined ? { after: s.next, read: s.readBefore + s.read, covered } : { read: 0, covered };
}

/** The processes to read again next time: their threads sleep in msgsnd on a queue that could hold a sender (its msqid, in whichever namespace). */
export function sendersNow(ctx: RuleContext, ev: Evidence): number[] {
  const ids = new Set(sendCandidates(ctx).map((q) => q.msqid));
  const out: number[] = [];
  for (const f of ev.processes.values()) {
    if (out.length >= MAX_MSGSND_SLEEPERS) break;
    if (f.threads.some((t) => t.syscall.op === 'msgsnd' && t.state === 'S' && ids.has(t.syscall.target!))) out.push(f.pid);
  }
  return out;
}

/** Everything a send or a receive changes (kernel times are seconds: see stoodStill). */
export function queueStamp(q: SysvMsgChannel): string {
  return `${q.messages}|${q.bytes}|${q.lastSendPid}|${q.lastRecvPid}|${q.lastSendTime ?? ''}|${q.lastRecvTime ?? ''}`;
}

/**
 * Nothing was sent or received since the previous refresh at `prevAt`: the same counts, pids and
 * times. msg_rtime has whole seconds, so a receive in the second of that refresh leaves it as it
 * was; the last receive must lie in an earlier second for a later one to have shown.
 */
export function stoodStill(q: SysvMsgChannel, prev: HistoryEntry<WriterMemo>): boolean {
  if (prev.memo.channels.get(q.id) !== queueStamp(q)) return false;
  return q.lastRecvTime === null || Date.parse(q.lastRecvTime) < Math.floor(prev.at / 1000) * 1000;
}

function teach(q: SysvMsgChannel): Explanation {
  return {
    what: `A SysV message queue holds at most msg_qbytes bytes of messages (${formatBytes(q.maxBytes)} here); msgsnd() without IPC_NOWAIT sleeps while the message does not fit, until a receiver takes messages out.`,
    why: 'Nobody receives from it: the consumer exited, is stopped or busy elsewhere, waits for a message type nobody sends, or was never started. SysV does not say who is meant to receive (any process with read permission may): the last receiver is named as a presumption.',
    next: 'The sender sleeps in the kernel (do_msgsnd) until msgrcv() frees room for its message; removing the queue wakes it with EIDRM, a signal with EINTR. The queued messages stay in the kernel until received or removed.',
    fix: 'Start or fix the consumer (msgrcv on this msqid), or continue it if it is stopped. A larger msg_qbytes (msgctl IPC_SET) or IPC_NOWAIT in the sender only postpones the stall; `ipcrm -q` discards the messages and fails the sender with EIDRM.',
  };
}

/** `never`, `reader[12] at 2026-…`, `[12] (exited) at …`. */
function lastOp(input: RuleInput<WriterMemo>, pid: number, time: string | null, live: boolean): string {
  if (pid <= 0) return 'never (pid 0): no process has done it yet';
  return `${procLabel(input.index, pid, input.evidence)}${live ? '' : ' (exited)'}${time ? ` at ${time}` : ''}`;
}

/**
 * The problem for queue `q` and the threads asleep in msgsnd on it, or null unless the queue
 * stood still since the previous refresh. `receivers`: its last receiver when alive (blocking.ts).
 */
export function blockedSender(input: RuleInput<WriterMemo>, q: SysvMsgChannel, senders: BlockedThread[]): ProblemDraft | null {
  const { index, evidence: ev, history, now } = input;
  const prev = history[history.length - 1];
  if (!prev || !stoodStill(q, prev)) return null;
  const stamp = queueStamp(q);
  const since = streakStart(history, now, (m) => m.channels.get(q.id) === stamp);
  const refreshes = streak(history, (m) => m.channels.get(q.id) === stamp) + 1;
  const receivers = senders[0].unblockers;
  const spids = [...new Set(senders.map((s) => s.pid))];
  const wl = listLabel(spids.map((p) => procLabel(index, p, ev)));
  const r = q.lastRecvPid;
  const why =
    r <= 0
      ? 'nobody has ever received from it'
      : receivers.includes(r)
        ? `its last receiver ${procLabel(index, r, ev)} is not receiving`
        : `its last receiver [${r}] has exited`;
  const evidence: EvidenceItem[] = [
    { label: 'queue', text: `${plural(q.messages, 'message')}, ${q.bytes.toLocaleString('en-US')} of ${byteCount(q.maxBytes)}`, source: 'msgctl IPC_STAT (snapshot)' },
    { label: 'last receive', text: lastOp(input, r, q.lastRecvTime, receivers.includes(r)), source: 'msgctl IPC_STAT: msg_lrpid, msg_rtime (snapshot)' },
    {
      label: 'last send',
      text: `${lastOp(input, q.lastSendPid, q.lastSendTime, alive(index, ev, q.lastSendPid))} (the last msgsnd that went through)`,
      source: 'msgctl IPC_STAT: msg_lspid, msg_stime (snapshot)',
    },
    { label: 'unchanged', text: `nothing sent or received for ${duration(now - since)} (${refreshes} refreshes)`, source: 'earlier snapshots' },
  ];
  for (const s of senders) {
    const size = s.thread.syscall.args?.[2];
    const fits = size !== undefined ? `: a message of ${byteCount(size)}, ${byteCount(Math.max(0, q.maxBytes - q.bytes))} free` : '';
    evidence.push({
      label: 'writer',
      text: `${procLabel(index, s.pid, ev)} thread ${s.tid} sleeps in ${describeSyscall(s.thread.syscall)}${s.thread.wchan ? ` [wchan ${s.thread.wchan}]` : ''}${fits}`,
      source: `/proc/${s.pid}/task/${s.tid}/syscall`,
    });
  }
  for (const p of receivers) evidence.push({ label: 'reader', text: `${procLabel(index, p, ev)} (its last receiver) is ${activity(ev, index, p)}`, source: `/proc/${p}/task` });
  const stopped = receivers.filter((p) => ev.processes.get(p)?.state === 'T' || index.proc(p)?.state === 'T');
  return {
    id: `blocked-writer:${q.id}`,
    rule: 'blocked-writer',
    severity: 'warning',
    title: `${wl} blocked writing to ${chanLabel(q)}: ${why}`,
    trouble: TROUBLES['blocked-writer'].queueFull,
    subject: `${wl} → ${chanLabel(q)}`,
    explanation: teach(q),
    evidence,
    channels: [q.id],
    pids: [...spids, ...receivers.filter((p) => !spids.includes(p))],
    chain: [procNode(index, spids[0], ev), chanNode(q), ...(receivers.length ? [procNode(index, receivers[0], ev)] : [])],
    actions: [
      revealChannel(q),
      // (a receiver that holds no channel is not in the views' trees)
      ...receivers.filter((p) => index.proc(p)).map((p) => revealProcess(index, p, `Reveal the last receiver ${procLabel(index, p, ev)}`)),
      ...peek(q),
      ...stopped.flatMap((p) => signal(index, p, 'SIGCONT', 'it is stopped; continuing it lets it receive', ev)),
    ],
    since: iso(since),
  };
}
