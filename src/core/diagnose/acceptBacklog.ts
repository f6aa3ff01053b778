// Rule 4 — full accept backlog: a listener whose queue of connections waiting for accept() is
// at its backlog. sock_diag reports both for a listener (rqueue = waiting connections, wqueue =
// the backlog given to listen(), capped by somaxconn); the kernel refuses new ones once the
// queue holds more than the backlog. Without the native addon /proc/net/tcp gives the waiting
// count (rx_queue) but not the backlog (tx_queue is 0 for a listener), and /proc/net/unix gives
// neither: then only a queue that stays non-empty is reported, as info.
import type { Channel, InetChannel, UnixChannel } from '../model';
import type { EvidenceItem, Explanation, ProblemDraft } from './problem';
import { scan } from './scan';
import { activity, chanLabel, defineRule, iso, listLabel, procLabel, revealChannel, revealProcess, signal, streak, streakStart, type RuleContext } from './rule';
import { TROUBLES, type TroubleOf } from './troubles';
import { plural } from '../text';

const T = TROUBLES['accept-backlog'];

/** Listener id → waiting connections, at that refresh (only listeners with some waiting). */
type Memo = ReadonlyMap<string, number>;

type Listener = UnixChannel | InetChannel;

function listeners(ctx: RuleContext): Listener[] {
  return scan(ctx).busyListeners;
}

/** The backlog when the snapshot knows it (sock_diag), else null. */
function backlog(ctx: RuleContext, c: Listener): number | null {
  if (c.kind === 'unix') return c.sendQueue;
  // (null from /proc/net/tcp, which has no backlog; 0 from a native table too old to say it)
  return ctx.snapshot.capabilities.native && c.sendQueue ? c.sendQueue : null;
}

function teach(c: Channel): Explanation {
  const tcp = c.kind === 'tcp';
  return {
    what: 'A listening socket keeps connections that completed their handshake in an accept queue until the program calls accept(); the queue is bounded by the backlog passed to listen() (capped by net.core.somaxconn).',
    why: 'The program does not call accept() fast enough: it is stuck, stopped, overloaded, or its backlog is too small for the burst of clients.',
    next: tcp
      ? 'Once the queue is over the backlog the kernel drops new SYNs (or the final ACK); clients retransmit after 1 s, 3 s, 7 s … so connects are delayed by seconds or time out (with tcp_abort_on_overflow=1 they get a RST instead). ListenOverflows in nstat counts them.'
      : 'Once the queue is over the backlog, connect() blocks in the client (or fails with EAGAIN if it is non-blocking) until the server accepts.',
    fix: 'Find out why the server is not accepting (see what it is doing); raise the backlog in listen() and net.core.somaxconn if it is only bursts; accept in a loop until EAGAIN.',
  };
}

export const acceptBacklog = defineRule<Memo>({
  id: 'accept-backlog',
  title: 'Full accept backlog',
  wants(ctx) {
    const pids = new Set<number>();
    for (const l of listeners(ctx)) {
      const b = backlog(ctx, l);
      if (b !== null && l.recvQueue! >= b) for (const e of l.endpoints) pids.add(e.pid);
    }
    return pids.size ? { threads: pids } : null;
  },
  remember(input) {
    return new Map(listeners(input).map((l) => [l.id, l.recvQueue!]));
  },
  run(input) {
    const { index, evidence: ev, history, now } = input;
    const out: ProblemDraft[] = [];
    for (const l of listeners(input)) {
      const waiting = l.recvQueue!;
      const b = backlog(input, l);
      const prev = history.length ? history[history.length - 1].memo.get(l.id) : undefined;
      const holders = index.holders(l);
      const hl = listLabel(holders.map((p) => procLabel(index, p, ev))) || 'nobody';
      const evidence: EvidenceItem[] = [];
      let severity: 'warning' | 'info';
      let title: string;
      let trouble: TroubleOf<'accept-backlog'>;
      if (b !== null) {
        if (waiting < b || prev === undefined || prev < b) continue; // not at the backlog at both refreshes
        severity = 'warning';
        const over = waiting > b;
        trouble = over ? T.full : T.atBacklog;
        title = `${chanLabel(l)} accept queue ${over ? 'is full' : 'is at its backlog'} (${waiting} waiting, backlog ${b}): ${hl} ${holders.length > 1 ? 'are' : 'is'} not accepting${over ? ' — new connections are refused or delayed' : ''}`;
        evidence.push({ label: 'accept queue', text: `${plural(waiting, 'connection')} waiting, backlog ${b}`, source: 'sock_diag (snapshot)' });
      } else {
        // backlog unknown: report only a queue that stayed non-empty for three refreshes
        const n = streak(history, (m) => (m.get(l.id) ?? 0) > 0);
        if (n < 2) continue;
        severity = 'info';
        trouble = T.waiting;
        title = `${chanLabel(l)} keeps ${plural(waiting, 'connection')} waiting to be accepted (backlog unknown without sock_diag)`;
        evidence.push({ label: 'accept queue', text: `${waiting} waiting; the backlog needs the native addon (sock_diag)`, source: '/proc/net (snapshot)' });
      }
      const since = streakStart(history, now, (m) => (m.get(l.id) ?? 0) > 0);
      for (const p of holders.slice(0, 4)) evidence.push({ label: 'listener', text: `${procLabel(index, p, ev)} is ${activity(ev, index, p)}`, source: `/proc/${p}/task` });
      // who waits: a Unix listener's queue names its clients; a TCP one's server ends have the client as their peer
      const waitingIn = scan(input).notAccepted.get(l.id) ?? [];
      if (waitingIn.length > 0) {
        const who = waitingIn.slice(0, 4).map((c) => {
          const client = c.kind === 'unix' ? c : index.channel(c.peer);
          const holders = listLabel((client?.endpoints ?? []).map((e) => procLabel(index, e.pid, ev)));
          return c.kind === 'unix' ? `${holders || 'nobody'} (${c.id})` : `${holders || 'a client not on this machine or not seen'} (${c.remote})`;
        });
        evidence.push({
          label: 'waiting clients',
          text: who.join(', ') + (waitingIn.length > 4 ? `, … ${waitingIn.length - 4} more` : ''),
          source: l.kind === 'unix' ? 'sock_diag UNIX_DIAG_ICONS (snapshot)' : 'the server ends with no inode on its address and port (snapshot)',
        });
      }
      const stopped = holders.filter((p) => index.proc(p)?.state === 'T');
      out.push({
        id: `accept-backlog:${l.id}`,
        rule: 'accept-backlog',
        severity,
        title,
        trouble,
        subject: chanLabel(l),
        explanation: teach(l),
        evidence,
        channels: [l.id],
        pids: holders,
        actions: [revealChannel(l), ...holders.slice(0, 2).map((p) => revealProcess(index, p)), ...stopped.flatMap((p) => signal(index, p, 'SIGCONT', 'it is stopped and cannot accept'))],
        since: iso(since),
      });
    }
    return out;
  },
});
