// Rule 5 — queue not draining: a receive queue (Unix, TCP, UDP socket) or a message count (SysV,
// POSIX queue) that rose at each of the last refreshes, with how fast and what the consumer is
// doing: dead, stopped, sleeping on something else, or running but slower than the producer.
// For SysV queues the last-receive time tells whether anyone received at all in the window.
// Once raised, a queue stays raised while it does not go down: one that filled to its limit stops
// rising (its senders block or get EAGAIN), and that is when it matters most.
import type { Channel } from '../model';
import type { Evidence } from './evidence';
import { scan, type Depth } from './scan';
import type { EvidenceItem, Explanation, ProblemDraft, Severity } from './problem';
import { activity, chanLabel, defineRule, duration, isRunning, iso, listLabel, peek, procLabel, revealChannel, revealProcess, signal, type HistoryEntry, type RuleContext } from './rule';
import { TROUBLES } from './troubles';

const T = TROUBLES['queue-not-draining'];
import type { SnapshotIndex } from './snapshotIndex';

/** Per refresh: channel id → depth, for channels with something queued; and the raised ones, since when (ms). */
interface Memo {
  depths: ReadonlyMap<string, Depth>;
  raised: ReadonlyMap<string, number>;
}

/** A queue to raise: rising at each of the last refreshes, or raised before and not lower since (`stalledSince`). */
interface Found {
  ch: Channel;
  depths: { at: number; d: Depth }[];
  stalledSince?: number;
  /** Raised since (ms): the first refresh of its streak of refreshes raised. */
  since: number;
}

/** Refreshes (this one included) over which a queue must have risen at every step. */
export const RISING_SAMPLES = 3;

/** Every channel with something queued now (the memo). */
function depths(ctx: RuleContext): Map<string, { ch: Channel; d: Depth }> {
  return scan(ctx).depths;
}

/** Channels whose depth rose at each of the last RISING_SAMPLES refreshes. */
function rising(ctx: RuleContext, history: readonly HistoryEntry<Memo>[]): { ch: Channel; depths: { at: number; d: Depth }[] }[] {
  const need = RISING_SAMPLES - 1;
  if (history.length < need) return [];
  const out: { ch: Channel; depths: { at: number; d: Depth }[] }[] = [];
  const last = history[history.length - 1].memo.depths;
  if (last.size === 0) return out;
  for (const { ch, d } of depths(ctx).values()) {
    const prev = last.get(ch.id);
    if (!prev || prev.depth >= d.depth) continue;
    const depths = [{ at: ctx.now, d }];
    let ok = true;
    for (let i = 0; i < need; i++) {
      const h = history[history.length - 1 - i];
      const x = h.memo.depths.get(ch.id);
      if (!x || x.depth >= depths[depths.length - 1].d.depth) {
        ok = false;
        break;
      }
      depths.push({ at: h.at, d: x });
    }
    if (ok) out.push({ ch, depths: depths.reverse() });
  }
  return out;
}

/** Rising queues, and those raised at the last refresh that are not lower now (nor received from, for SysV). */
function found(ctx: RuleContext, history: readonly HistoryEntry<Memo>[]): Found[] {
  return ctx.index.cached('queue-not-draining', () => {
    const last = history[history.length - 1];
    const out: Found[] = rising(ctx, history).map((r) => ({ ...r, since: last?.memo.raised.get(r.ch.id) ?? r.depths[0].at }));
    if (!last || last.memo.raised.size === 0) return out;
    const now = depths(ctx);
    const seen = new Set(out.map((f) => f.ch.id));
    for (const [id, since] of last.memo.raised) {
      const cur = now.get(id);
      const prev = last.memo.depths.get(id);
      if (seen.has(id) || !cur || !prev || cur.d.depth < prev.depth) continue;
      if (cur.ch.kind === 'sysv-msg' && cur.d.recvTime !== prev.recvTime) continue; // someone received
      out.push({ ch: cur.ch, depths: [{ at: last.at, d: prev }, { at: ctx.now, d: cur.d }], stalledSince: last.at, since });
    }
    return out;
  });
}

/** Who should be consuming: the socket's holders, the queue's readers, or a SysV queue's last receiver. */
function consumers(index: SnapshotIndex, ch: Channel): number[] {
  if (ch.kind === 'sysv-msg') return ch.lastRecvPid > 0 ? [ch.lastRecvPid] : [];
  if (ch.kind === 'posix-mq') return index.holders(ch, 'r');
  return index.holders(ch);
}

function aliveIn(index: SnapshotIndex, ev: Evidence, pid: number): boolean {
  return !!index.proc(pid) || !!ev.liveness.get(pid)?.alive;
}

function stateOf(index: SnapshotIndex, ev: Evidence, pid: number): string | undefined {
  return ev.processes.get(pid)?.state ?? ev.liveness.get(pid)?.state ?? index.proc(pid)?.state;
}

function teach(ch: Channel): Explanation {
  const queue = ch.kind === 'sysv-msg' || ch.kind === 'posix-mq';
  return {
    what: queue ? 'Messages are added to this queue faster than anyone takes them out.' : "Data arrives on this socket faster than its owner reads it: the receive queue grows.",
    why: 'The consumer is gone, stopped, stuck on something else, waiting for another message type, or simply slower than the producer.',
    next: queue
      ? 'When the queue reaches its limit (msg_qbytes / mq_maxmsg) senders block in msgsnd()/mq_send() or get EAGAIN; the kernel keeps the messages until someone receives them or the queue is removed.'
      : ch.kind === 'udp' || (ch.kind === 'unix' && ch.type === 'dgram')
        ? 'When the receive buffer is full the kernel drops new datagrams (UDP: RcvbufErrors) or blocks the senders (Unix datagrams).'
        : 'When the receive buffer is full the kernel stops accepting data: the sender blocks (TCP advertises a zero window).',
    fix: 'Look at what the consumer is doing (below); continue it if stopped, restart it if gone, or add consumers if it is only too slow.',
  };
}

export const queueDrain = defineRule<Memo>({
  id: 'queue-not-draining',
  title: 'Queue not draining',
  wants(ctx, history) {
    const pids = new Set<number>();
    const live = new Set<number>();
    for (const r of found(ctx, history)) {
      for (const p of consumers(ctx.index, r.ch)) {
        pids.add(p);
        live.add(p);
      }
    }
    return pids.size ? { threads: pids, liveness: live } : null;
  },
  remember(input) {
    const m = new Map<string, Depth>();
    for (const [id, x] of depths(input)) m.set(id, x.d);
    const raised = new Map<string, number>();
    for (const f of found(input, input.history)) raised.set(f.ch.id, f.since);
    return { depths: m, raised };
  },
  run(input) {
    const { index, evidence: ev, history } = input;
    const out: ProblemDraft[] = [];
    for (const { ch, depths, stalledSince, since } of found(input, history)) {
      const first = depths[0];
      const last = depths[depths.length - 1];
      const secs = Math.max(0.001, (last.at - first.at) / 1000);
      const unit = ch.kind === 'sysv-msg' || ch.kind === 'posix-mq' ? 'messages' : 'bytes';
      const rate = (last.d.depth - first.d.depth) / secs;
      const cons = consumers(index, ch);
      const live = cons.filter((p) => aliveIn(index, ev, p));
      const evidence: EvidenceItem[] =
        stalledSince === undefined
          ? [
              { label: 'depth', text: depths.map((x) => x.d.depth).join(' → ') + ` ${unit} over ${duration(last.at - first.at)}`, source: 'earlier snapshots' },
              { label: 'rate', text: `+${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} ${unit}/s`, source: 'earlier snapshots' },
            ]
          : [{ label: 'depth', text: `${first.d.depth} → ${last.d.depth} ${unit}: it rose, and has not gone down since (a queue at its limit rises no more: its senders block or fail)`, source: 'earlier snapshots' }];
      let severity: Severity = 'warning';
      let doing: string;
      if (live.length === 0) {
        doing = ch.kind === 'sysv-msg' ? (ch.lastRecvPid > 0 ? `its last receiver [${ch.lastRecvPid}] is gone` : 'nobody has ever received from it') : 'nobody holds it to read';
      } else {
        const states = live.map((p) => `${procLabel(index, p, ev)} is ${activity(ev, index, p)}`);
        doing = listLabel(states, 3);
        for (const s of states) evidence.push({ label: 'consumer', text: s, source: '/proc/PID/task' });
        const stopped = live.some((p) => ['T', 't', 'Z'].includes(stateOf(index, ev, p) ?? ''));
        let receiving = live.some((p) => isRunning(ev, p));
        if (ch.kind === 'sysv-msg') {
          receiving = first.d.recvTime !== last.d.recvTime;
          evidence.push({ label: 'last receive', text: `${last.d.recvTime ?? 'never'}${receiving ? '' : ' (unchanged over the window)'}`, source: 'msgctl IPC_STAT (snapshot)' });
        }
        if (!stopped && receiving) severity = 'info';
      }
      const title =
        stalledSince === undefined
          ? `${chanLabel(ch)} is not draining (+${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} ${unit}/s, now ${last.d.depth}): ${doing}`
          : `${chanLabel(ch)} is not draining (now ${last.d.depth} ${unit}, rising no more and no lower): ${doing}`;
      const stoppedPids = live.filter((p) => stateOf(index, ev, p) === 'T');
      out.push({
        id: `queue-not-draining:${ch.id}`,
        rule: 'queue-not-draining',
        severity,
        title,
        trouble: stalledSince === undefined ? T.rising : T.stalled,
        subject: chanLabel(ch),
        explanation: teach(ch),
        evidence,
        channels: [ch.id],
        pids: cons,
        actions: [
          revealChannel(ch),
          ...live.slice(0, 2).map((p) => revealProcess(index, p, `Reveal the consumer ${procLabel(index, p, ev)}`)),
          ...peek(ch),
          ...stoppedPids.flatMap((p) => signal(index, p, 'SIGCONT', 'it is stopped; continuing it lets it consume', ev)),
        ],
        since: iso(since),
      });
    }
    return out;
  },
});
