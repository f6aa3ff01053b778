// The fallback when the tracer cannot run (not privileged, no kernel BTF, not built, turned off):
// rates from how much is queued in each channel, compared between two snapshots. It sees only the
// net change — bytes written and read between two snapshots leave no trace — so every rate here
// is a lower bound, marked `estimated`. What is queued is each kind's own account (core/kinds
// `queue`): a new kind needs no edit here. SysV queues say a little more: their last sender and
// receiver and when each last acted (`last`), which gives one pair per queue.
import type { Channel, Snapshot, SnapshotDiff } from '../model';
import { throughput } from './join';
import { describe } from '../kinds';
import type { QueueFacts } from '../kinds/kind';
import { isActivityKind, type ActivityCounts, type ActivityKind, type ChannelActivity, type PairActivity } from './types';

/**
 * What is queued in a channel that carries traffic: its kind's own account (core/kinds `queue`,
 * the same the map's estimates read: topology/rates.ts); null for kinds without traffic
 * (shared memory, semaphores, eventfds).
 */
function depthOf(c: Channel): QueueFacts | null {
  return isActivityKind(c.kind) ? describe(c).queue(c) : null;
}

/** What went in (a rise) and came out (a fall) between two readings of one quantity. */
function addChange(a: number, b: number, sent: ActivityCounts, received: ActivityCounts, field: keyof ActivityCounts): void {
  const d = b - a;
  if (d > 0) sent[field] += d;
  else received[field] += -d;
}

/**
 * The same, kept up to date from snapshot diffs: only channels the diff says changed are looked
 * at (a depth only moves when the channel changed), so a refresh costs O(changes), not
 * O(channels) — what the extension's main thread can afford at 50,000 channels.
 */
export class DepthTracker {
  private readonly last = new Map<string, Channel>();
  private primed = false;

  /** Channels whose last depth it keeps. */
  get size(): number {
    return this.last.size;
  }

  /** Rates between the previous update and this diff's snapshot (intervalMs apart). */
  update(diff: Pick<SnapshotDiff, 'addedChannels' | 'removedChannels' | 'changedChannels' | 'fromTakenAt'>, intervalMs: number): DepthResult {
    if (diff.fromTakenAt === null) this.last.clear();
    const prev: Channel[] = [];
    const next: Channel[] = [];
    for (const c of diff.changedChannels) {
      const old = this.last.get(c.id);
      if (old && this.primed) {
        prev.push(old);
        next.push(c);
      }
      if (depthOf(c)) this.last.set(c.id, c);
    }
    for (const c of diff.addedChannels) if (depthOf(c)) this.last.set(c.id, c);
    for (const id of diff.removedChannels) this.last.delete(id);
    const had = this.primed;
    this.primed = true;
    if (!had) return { channels: Object.create(null) as Record<string, ChannelActivity>, pairs: [] };
    return depthActivity({ channels: prev }, { channels: next }, intervalMs);
  }
}

export interface DepthResult {
  channels: Record<string, ChannelActivity>;
  pairs: PairActivity[];
}

/** Rates between `prev` and `next` (intervalMs apart) from queue depths. */
export function depthActivity(prev: Pick<Snapshot, 'channels'>, next: Pick<Snapshot, 'channels'>, intervalMs: number): DepthResult {
  const seconds = intervalMs / 1000;
  const before = new Map(prev.channels.map((c) => [c.id, c]));
  const channels: Record<string, ChannelActivity> = Object.create(null) as Record<string, ChannelActivity>;
  const pairs: PairActivity[] = [];
  for (const c of next.channels) {
    const old = before.get(c.id);
    if (!old || old.kind !== c.kind) continue;
    const a = depthOf(old);
    const b = depthOf(c);
    if (!a || !b) continue;
    const sent: ActivityCounts = { bytes: 0, ops: 0 };
    const received: ActivityCounts = { bytes: 0, ops: 0 };
    if (a.bytes !== null && b.bytes !== null) addChange(a.bytes, b.bytes, sent, received, 'bytes');
    // queued messages (a listener's waiting connections): each one in or out is an operation
    if (a.counts && b.counts) for (let i = 0; i < Math.min(a.counts.length, b.counts.length); i++) addChange(a.counts[i], b.counts[i], sent, received, 'ops');
    const kind = c.kind as ActivityKind;
    const processes: ChannelActivity['processes'] = [];
    if (a.last && b.last) {
      // at least one send / receive happened when the time moved, even if the depth did not
      const last = b.last;
      const sentNow = last.sendTime !== null && last.sendTime !== a.last.sendTime;
      const recvNow = last.recvTime !== null && last.recvTime !== a.last.recvTime;
      if (sentNow && sent.ops === 0) sent.ops = 1;
      if (recvNow && received.ops === 0) received.ops = 1;
      if (sentNow && last.sendPid > 0) processes.push({ pid: last.sendPid, sent: { ...sent }, received: { bytes: 0, ops: 0 } });
      if (recvNow && last.recvPid > 0) {
        const same = processes.find((p) => p.pid === last.recvPid);
        if (same) same.received = { ...received };
        else processes.push({ pid: last.recvPid, sent: { bytes: 0, ops: 0 }, received: { ...received } });
      }
      if (sentNow && recvNow && last.sendPid > 0 && last.recvPid > 0) {
        const bytes = Math.max(sent.bytes, received.bytes);
        const ops = Math.max(sent.ops, received.ops);
        pairs.push({
          from: last.sendPid,
          to: last.recvPid,
          channelId: c.id,
          kind,
          bytes,
          ops,
          bytesPerSec: seconds > 0 ? bytes / seconds : 0,
          opsPerSec: seconds > 0 ? ops / seconds : 0,
          receiverFrom: 'last-receiver',
          estimated: true,
        });
      }
    }
    if (sent.bytes === 0 && sent.ops === 0 && received.bytes === 0 && received.ops === 0) continue;
    channels[c.id] = {
      channelId: c.id,
      kind,
      sent,
      received,
      ...throughput(kind, sent, received, seconds),
      processes,
      inSnapshot: true,
      estimated: true,
    };
  }
  return { channels, pairs };
}
