// Rule 5 — queue not draining: a receive queue (Unix, TCP, UDP socket) or a message count (SysV,
// POSIX queue) that rose at each of the last refreshes, with how fast and what the consumer is
// doing: dead, stopped, sleeping on something else, or running but slower than the producer.
// For SysV queues the last-receive time tells whether anyone received at all in the window.
// Once raised, a queue stays raised while it does not go down: one that filled to its limit stops
// rising (its senders block or get EAGAIN), and that is when it matters most. A packet socket says
// its buffer's size (sock_diag): one whose receive memory has reached it drops every frame it should
// receive, which one refresh shows (doctor's few snapshots included), risen or not.
// A netlink listener that falls behind shows no full queue: the kernel drops a broadcast once the
// memory in use plus the message would pass the buffer (1,664 of 2,304 bytes in use, 62 dropped),
// and counts it in the socket's drops. So drops that rose since the last refresh are raised, for
// netlink sockets and for packet sockets without a receive ring (whose drops sock_diag gives).
import type { Channel, NetlinkChannel, PacketChannel } from '../model';
import type { Evidence } from './evidence';
import { scan, type Depth } from './scan';
import type { EvidenceItem, Explanation, ProblemDraft, Severity } from './problem';
import { activity, chanLabel, defineRule, duration, isRunning, iso, listLabel, peek, procLabel, revealChannel, revealProcess, signal, type HistoryEntry, type RuleContext } from './rule';
import { plural } from '../text';
import { TROUBLES } from './troubles';

/** A count with its digits grouped, as sizes are written everywhere (text.ts formatBytes); exact here: a full buffer can hold a little more than its size. */
const grouped = (n: number): string => n.toLocaleString('en-US');

const T = TROUBLES['queue-not-draining'];
import type { SnapshotIndex } from './snapshotIndex';

/** Per refresh: channel id → depth, for channels with something queued; the raised ones, since when (ms); each netlink and packet socket's drops (scan's `drops`). */
interface Memo {
  depths: ReadonlyMap<string, Depth>;
  raised: ReadonlyMap<string, number>;
  drops: ReadonlyMap<string, number>;
}

/** Drops that rose since the last refresh (at `at`, ms): `before` then, `now` in this snapshot. */
interface Dropped {
  ch: NetlinkChannel | PacketChannel;
  before: number;
  now: number;
  at: number;
}

/** A queue to raise: rising at each of the last refreshes, or raised before and not lower since (`stalledSince`). */
interface Found {
  ch: Channel;
  depths: { at: number; d: Depth }[];
  stalledSince?: number;
  /** Raised since (ms): the first refresh of its streak of refreshes raised. */
  since: number;
  /** A packet socket whose receive memory has reached its buffer now: each frame it should receive is dropped. */
  full?: PacketChannel;
  /** Its drops rose since the last refresh: said beside its queue's rise or fullness, or alone (`onlyDrops`). */
  dropped?: Dropped;
  /** Raised only for its drops: its queue neither rose nor is full (nor was raised before). */
  onlyDrops?: true;
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

/**
 * Packet sockets whose receive memory has reached their buffer (sk_rmem_alloc ≥ sk_rcvbuf: packet_rcv
 * drops the frame then), a receive ring aside (scan keeps no depth for those).
 */
function fullPackets(ctx: RuleContext): Map<string, PacketChannel> {
  const out = new Map<string, PacketChannel>();
  for (const { ch } of depths(ctx).values()) if (ch.kind === 'packet' && ch.rcvbuf !== undefined && ch.rcvbuf > 0 && ch.recvQueue >= ch.rcvbuf) out.set(ch.id, ch);
  return out;
}

/** Netlink and packet sockets whose drops are higher than at the last refresh (one that was not there then is not compared). */
function droppedSince(ctx: RuleContext, last: HistoryEntry<Memo> | undefined): Map<string, Dropped> {
  const out = new Map<string, Dropped>();
  // (a memo of before drops were remembered has none)
  const before = last?.memo.drops;
  if (!last || !before || before.size === 0) return out;
  for (const [id, { ch, drops }] of scan(ctx).drops) {
    const b = before.get(id);
    if (b !== undefined && drops > b) out.set(id, { ch, before: b, now: drops, at: last.at });
  }
  return out;
}

/** Rising queues, those raised at the last refresh that are not lower now (nor received from, for SysV), full packet sockets, and sockets whose drops rose. */
function found(ctx: RuleContext, history: readonly HistoryEntry<Memo>[]): Found[] {
  return ctx.index.cached('queue-not-draining', () => {
    const last = history[history.length - 1];
    const full = fullPackets(ctx);
    const dropped = droppedSince(ctx, last);
    const out: Found[] = rising(ctx, history).map((r) => ({ ...r, since: last?.memo.raised.get(r.ch.id) ?? r.depths[0].at, full: full.get(r.ch.id), dropped: dropped.get(r.ch.id) }));
    const seen = new Set(out.map((f) => f.ch.id));
    const now = depths(ctx);
    for (const [id, ch] of full) {
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ ch, depths: [{ at: ctx.now, d: now.get(id)!.d }], since: last?.memo.raised.get(id) ?? ctx.now, full: ch, dropped: dropped.get(id) });
    }
    if (last && last.memo.raised.size > 0) stalled(ctx, last, now, seen, dropped, out);
    for (const [id, d] of dropped) {
      if (seen.has(id)) continue;
      const depth = now.get(id)?.d ?? { depth: d.ch.recvQueue };
      out.push({ ch: d.ch, depths: [{ at: ctx.now, d: depth }], since: d.at, dropped: d, onlyDrops: true });
    }
    return out;
  });
}

/** Raised at the last refresh and not lower now (nor received from, for SysV): added to `out`. */
function stalled(ctx: RuleContext, last: HistoryEntry<Memo>, now: Map<string, { ch: Channel; d: Depth }>, seen: Set<string>, dropped: Map<string, Dropped>, out: Found[]): void {
  for (const [id, since] of last.memo.raised) {
    const cur = now.get(id);
    const prev = last.memo.depths.get(id);
    if (seen.has(id) || !cur || !prev || cur.d.depth < prev.depth) continue;
    if (cur.ch.kind === 'sysv-msg' && cur.d.recvTime !== prev.recvTime) continue; // someone received
    seen.add(id);
    out.push({ ch: cur.ch, depths: [{ at: last.at, d: prev }, { at: ctx.now, d: cur.d }], stalledSince: last.at, since, dropped: dropped.get(id) });
  }
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

function teach(ch: Channel, full: boolean, dropped: boolean): Explanation {
  if (dropped && ch.kind === 'netlink') {
    return {
      what: 'The kernel dropped messages meant for this netlink socket since the last refresh: its receive buffer had no room for them. Its queue need not look full: a broadcast is dropped once the memory in use plus the message would pass the buffer.',
      why: 'Its holder does not read as fast as messages come: a burst of events (many links, addresses or routes changing at once, a flood of device events), a holder busy elsewhere or stopped, or a receive buffer too small for the bursts it gets.',
      next: "The dropped messages are lost: the holder never sees those events, and what it knows (links, routes, devices) may now be wrong. Its next read fails with ENOBUFS (once, unless it set NETLINK_NO_ENOBUFS): that is how it learns it missed some, and it should then dump the state again to resynchronise.",
      fix: 'Read faster (a thread of its own for this socket, no slow work between reads), or give it a bigger receive buffer (SO_RCVBUF, up to net.core.rmem_max; SO_RCVBUFFORCE as root); continue it if it is stopped.',
    };
  }
  if (dropped) {
    return {
      what: 'The kernel dropped frames meant for this packet socket since the last refresh: its receive buffer had no room for them.',
      why: 'Its holder does not read as fast as frames come: it is stopped or busy, or never reads it at all — a program that opened it only to send frames (libnet, as arping uses it) still receives every frame of its protocol on its interfaces.',
      next: 'Those frames are lost to it; nothing tells the holder but the drop count (PACKET_STATISTICS). Frames keep being dropped while it reads slower than they come.',
      fix: 'A program that only sends should open the socket with protocol 0 or attach a filter that drops everything; one that reads should read faster (a receive ring, PACKET_RX_RING, as tcpdump uses), use a bigger receive buffer (SO_RCVBUF), or be continued if stopped.',
    };
  }
  if (full) {
    return {
      what: "This packet socket's receive buffer is full: every frame it should receive now is dropped, and counted in its drops.",
      why: 'Its holder does not read it fast enough: it is stopped or busy, or never reads it at all — a program that opened it only to send frames (libnet, as arping uses it) still receives every frame of its protocol on its interfaces, until the buffer is full.',
      next: 'Frames keep being dropped while the buffer stays full; the kernel still hands each matching frame to the socket (its filter runs) and drops it there; the queued ones hold kernel memory until read or closed.',
      fix: 'A program that only sends should open the socket with protocol 0 (it then receives nothing) or attach a filter that drops everything; one that reads should read faster (a receive ring, PACKET_RX_RING, as tcpdump uses) or be continued if stopped.',
    };
  }
  const queue = ch.kind === 'sysv-msg' || ch.kind === 'posix-mq';
  return {
    what: queue ? 'Messages are added to this queue faster than anyone takes them out.' : "Data arrives on this socket faster than its owner reads it: the receive queue grows.",
    why: 'The consumer is gone, stopped, stuck on something else, waiting for another message type, or simply slower than the producer.',
    next: queue
      ? 'When the queue reaches its limit (msg_qbytes / mq_maxmsg) senders block in msgsnd()/mq_send() or get EAGAIN; the kernel keeps the messages until someone receives them or the queue is removed.'
      : ch.kind === 'udp' || (ch.kind === 'unix' && ch.type === 'dgram')
        ? `When the receive buffer is full the kernel drops new datagrams (${ch.kind === 'udp' && ch.protocol === 'udplite' ? 'UDP-Lite: UdpLite RcvbufErrors' : 'UDP: RcvbufErrors'}) or blocks the senders (Unix datagrams).`
        : ch.kind === 'raw' || ch.kind === 'packet' || ch.kind === 'ping'
          ? 'When the receive buffer is full the kernel drops each new datagram or frame for this socket.'
          : ch.kind === 'netlink'
            ? 'When the receive buffer is full the kernel drops each new message for this socket (counted in its drops): events it never sees; its next read then fails with ENOBUFS (unless it set NETLINK_NO_ENOBUFS).'
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
    // (drops that rose are news of this refresh only: such a socket's queue did not rise, and is
    // not held to go down at the next)
    for (const f of found(input, input.history)) if (!f.onlyDrops) raised.set(f.ch.id, f.since);
    const drops = new Map<string, number>();
    for (const [id, x] of scan(input).drops) drops.set(id, x.drops);
    return { depths: m, raised, drops };
  },
  run(input) {
    const { index, evidence: ev, history, now } = input;
    const out: ProblemDraft[] = [];
    for (const { ch, depths, stalledSince, since, full, dropped, onlyDrops: dropsOnly = false } of found(input, history)) {
      const first = depths[0];
      const last = depths[depths.length - 1];
      const secs = Math.max(0.001, (last.at - first.at) / 1000);
      const unit = ch.kind === 'sysv-msg' || ch.kind === 'posix-mq' ? 'messages' : 'bytes';
      const rate = (last.d.depth - first.d.depth) / secs;
      const cons = consumers(index, ch);
      const live = cons.filter((p) => aliveIn(index, ev, p));
      const unitDropped = ch.kind === 'netlink' ? 'message' : 'frame';
      const nDropped = dropped ? dropped.now - dropped.before : 0;
      const droppedItem: EvidenceItem[] = dropped
        ? [
            {
              label: 'dropped',
              text: `${plural(nDropped, unitDropped)} since the last refresh ${duration(now - dropped.at)} ago: ${grouped(dropped.before)} → ${grouped(dropped.now)} since it was opened`,
              source: ch.kind === 'netlink' ? 'netlink_diag or /proc/net/netlink (Drops), earlier snapshots' : "sock_diag (ss -0 -m's d), earlier snapshots",
            },
          ]
        : [];
      const evidence: EvidenceItem[] = dropsOnly
        ? [
            ...droppedItem,
            { label: 'depth', text: `${grouped(dropped!.ch.recvQueue)} bytes of receive memory in use${dropped!.ch.rcvbuf !== undefined ? `, its buffer ${grouped(dropped!.ch.rcvbuf)}` : ''}`, source: ch.kind === 'netlink' ? 'netlink_diag or /proc/net/netlink (Rmem)' : "sock_diag (ss -0 -m's r and rb)" },
          ]
        : full
        ? [
            { label: 'depth', text: `${grouped(full.recvQueue)} bytes of receive memory in use, its buffer ${grouped(full.rcvbuf!)}: full`, source: "sock_diag (ss -0 -m's r and rb)" },
            ...(dropped ? droppedItem : full.drops !== undefined ? [{ label: 'dropped', text: `${full.drops} frames since it was opened`, source: "sock_diag (ss -0 -m's d)" }] : []),
          ]
        : stalledSince === undefined
          ? [
              { label: 'depth', text: depths.map((x) => x.d.depth).join(' → ') + ` ${unit} over ${duration(last.at - first.at)}`, source: 'earlier snapshots' },
              { label: 'rate', text: `+${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} ${unit}/s`, source: 'earlier snapshots' },
            ]
          : [{ label: 'depth', text: `${first.d.depth} → ${last.d.depth} ${unit}: it rose, and has not gone down since (a queue at its limit rises no more: its senders block or fail)`, source: 'earlier snapshots' }];
      if (dropped && !dropsOnly && !full) evidence.push(...droppedItem);
      let severity: Severity = 'warning';
      let stopped = false;
      let doing: string;
      if (live.length === 0) {
        doing = ch.kind === 'sysv-msg' ? (ch.lastRecvPid > 0 ? `its last receiver [${ch.lastRecvPid}] is gone` : 'nobody has ever received from it') : 'nobody holds it to read';
      } else {
        const states = live.map((p) => `${procLabel(index, p, ev)} is ${activity(ev, index, p)}`);
        doing = listLabel(states, 3);
        for (const s of states) evidence.push({ label: 'consumer', text: s, source: '/proc/PID/task' });
        stopped = live.some((p) => ['T', 't', 'Z'].includes(stateOf(index, ev, p) ?? ''));
        let receiving = live.some((p) => isRunning(ev, p));
        if (ch.kind === 'sysv-msg') {
          receiving = first.d.recvTime !== last.d.recvTime;
          evidence.push({ label: 'last receive', text: `${last.d.recvTime ?? 'never'}${receiving ? '' : ' (unchanged over the window)'}`, source: 'msgctl IPC_STAT (snapshot)' });
        }
        if (!stopped && receiving) severity = 'info';
      }
      // full whatever its holder does; a warning when it is stopped (continuing it drains the queue),
      // otherwise information: a socket opened only to send fills so by design of its program
      if (full && live.length > 0 && !stopped) severity = 'info';
      // a packet socket's drops as its fullness; a netlink listener's are events it never sees,
      // whatever its holder does
      if (dropsOnly) severity = ch.kind === 'packet' && live.length > 0 && !stopped ? 'info' : 'warning';
      const title = dropsOnly
        ? `The kernel dropped ${plural(nDropped, unitDropped)} for ${chanLabel(ch)} since the last refresh (its receive buffer had no room): ${doing}`
        : full
        ? `${chanLabel(ch)} is full (${grouped(full.recvQueue)} of ${grouped(full.rcvbuf!)} bytes of receive buffer${full.drops !== undefined ? `; ${grouped(full.drops)} frames dropped since it was opened` : ''}): ${doing}`
        : stalledSince === undefined
          ? `${chanLabel(ch)} is not draining (+${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} ${unit}/s, now ${last.d.depth}): ${doing}`
          : `${chanLabel(ch)} is not draining (now ${last.d.depth} ${unit}, rising no more and no lower): ${doing}`;
      const stoppedPids = live.filter((p) => stateOf(index, ev, p) === 'T');
      out.push({
        id: `queue-not-draining:${ch.id}`,
        rule: 'queue-not-draining',
        severity,
        title,
        trouble: dropsOnly ? (ch.kind === 'netlink' ? T.dropped : T.framesDropped) : full ? T.full : stalledSince === undefined ? T.rising : T.stalled,
        subject: chanLabel(ch),
        explanation: teach(ch, full !== undefined, dropsOnly),
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
