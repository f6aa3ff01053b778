// Channel rates for the map when no tracer measures them: estimated from how each channel's
// queue changed between snapshots (pipe/FIFO bytes buffered, socket receive/send queues, SysV
// and POSIX queue bytes and message counts, semaphore values, a SysV queue's last send/receive
// times). It is a lower bound: a pipe whose reader keeps up never shows a queue, so it reads as
// idle. Averaged over a sliding window so a channel that moved once does not flicker. The tracer's
// rates (src/core/activity, source 'tracer') replace these per channel (mergeRates).
import type { Channel } from '../model';
import { describe } from '../kinds';
import type { QueueFacts } from '../kinds/kind';
import type { ChannelRate, RateMap } from './types';

/** Window the queue-depth rates are averaged over (ms). */
export const RATE_WINDOW_MS = 5000;

/** What is compared between two snapshots of one channel: the kind's own account (core/kinds `queue`). */
export function queueFacts(ch: Channel): QueueFacts {
  return describe(ch).queue(ch);
}

/** Bytes and operations between two observations of one channel (at least what the queue shows). */
export function movement(prev: QueueFacts, next: QueueFacts): { bytes: number; ops: number } {
  const bytes = prev.bytes !== null && next.bytes !== null ? Math.abs(next.bytes - prev.bytes) : 0;
  let ops = 0;
  if (prev.counts && next.counts) {
    const n = Math.min(prev.counts.length, next.counts.length);
    for (let i = 0; i < n; i++) ops += Math.abs(next.counts[i] - prev.counts[i]);
  }
  // the queue ended where it began, but its last send/receive moved: at least one operation
  if (ops === 0 && prev.stamp !== null && next.stamp !== null && prev.stamp !== next.stamp) ops = 1;
  return { bytes, ops };
}

interface Move {
  at: number;
  bytes: number;
  ops: number;
}

/**
 * Keeps the last facts of every channel and the movements of the last RATE_WINDOW_MS. Feed it
 * the whole first snapshot (`reset` + `observe`), then only the channels a diff added or changed
 * (unchanged channels did not move) and the removed ids. O(changed) per refresh.
 */
export class QueueDepthRates {
  private last = new Map<string, QueueFacts>();
  private moves = new Map<string, Move[]>();
  private firstAt: number | null = null;

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  reset(): void {
    this.last.clear();
    this.moves.clear();
    this.firstAt = null;
  }

  /** Channels as seen at `at` (ms): the first snapshot's all, later the added and changed ones. */
  observe(at: number, channels: Iterable<Channel>, removed: Iterable<string> = []): void {
    if (this.firstAt === null) this.firstAt = at;
    for (const id of removed) {
      this.last.delete(id);
      this.moves.delete(id);
    }
    for (const ch of channels) {
      const next = queueFacts(ch);
      const prev = this.last.get(ch.id);
      this.last.set(ch.id, next);
      if (!prev) continue;
      const m = movement(prev, next);
      if (m.bytes === 0 && m.ops === 0) continue;
      let list = this.moves.get(ch.id);
      if (!list) this.moves.set(ch.id, (list = []));
      list.push({ at, bytes: m.bytes, ops: m.ops });
    }
  }

  /** Rates at `now` (ms): movements in the window divided by the window (or by the time observed so far, when shorter). */
  rates(now: number): RateMap {
    const out: RateMap = new Map();
    if (this.firstAt === null) return out;
    const span = Math.max(250, Math.min(this.windowMs, now - this.firstAt)) / 1000;
    const from = now - this.windowMs;
    for (const [id, list] of this.moves) {
      let drop = 0;
      while (drop < list.length && list[drop].at <= from) drop++;
      if (drop) list.splice(0, drop);
      if (list.length === 0) {
        this.moves.delete(id);
        continue;
      }
      let bytes = 0;
      let ops = 0;
      for (const m of list) {
        bytes += m.bytes;
        ops += m.ops;
      }
      out.set(id, { bytesPerSec: bytes / span, opsPerSec: ops / span, source: 'queue-depth' });
    }
    return out;
  }
}

/** The tracer's rates where it has them, the queue-depth estimate elsewhere. */
export function mergeRates(tracer: ReadonlyMap<string, ChannelRate> | null, fallback: RateMap): RateMap {
  if (!tracer || tracer.size === 0) return fallback;
  const out: RateMap = new Map(fallback);
  for (const [id, r] of tracer) out.set(id, r);
  return out;
}

/**
 * Drawn width (CSS px) of an edge carrying these rates: 1 px idle, growing with the logarithm of
 * bytes/s (1 KiB/s ≈ 3.5 px, 64 KiB/s ≈ 7 px, 1 MiB/s ≈ 9.4 px, at most 10 px); operations
 * without bytes (semaphores, an emptied queue) widen it a little; any traffic is at least 1.5 px.
 */
export function edgeWidth(bytesPerSec: number, opsPerSec: number): number {
  if (!(bytesPerSec > 0) && !(opsPerSec > 0)) return 1;
  const byBytes = bytesPerSec > 0 ? Math.min(10, 1 + 0.6 * Math.log2(1 + bytesPerSec / 64)) : 0;
  const byOps = opsPerSec > 0 ? Math.min(3.5, 1.5 + 0.5 * Math.log2(1 + opsPerSec)) : 0;
  // any traffic at all is visibly wider than an idle edge
  return Math.round(Math.max(1.5, byBytes, byOps) * 100) / 100;
}
