// The fallback when the tracer cannot run (not privileged, no kernel BTF, not built, turned off):
// rates from how much is queued in each channel, compared between two snapshots. It sees only the
// net change — bytes written and read between two snapshots leave no trace — so every rate here
// is a lower bound, marked `estimated`. SysV queues say a little more: their last sender and
// receiver and when each last acted, which gives one pair per queue.
import type { Channel, Snapshot, SnapshotDiff } from '../model';
import { throughput } from './join';
import type { ActivityCounts, ActivityKind, ChannelActivity, PairActivity } from './types';

interface Depth {
  bytes: number | null;
  /** Messages queued (queues only). */
  messages: number | null;
}

function depthOf(c: Channel): Depth | null {
  switch (c.kind) {
    case 'pipe':
    case 'fifo':
      return { bytes: c.bufferedBytes, messages: null };
    case 'unix':
      return { bytes: c.recvQueue, messages: null };
    case 'tcp':
    case 'udp':
      return { bytes: c.recvQueue, messages: null };
    case 'sysv-msg':
      return { bytes: c.bytes, messages: c.messages };
    case 'posix-mq':
      return { bytes: c.bytes, messages: c.messages };
    default:
      return null;
  }
}

/**
 * The same, kept up to date from snapshot diffs: only channels the diff says changed are looked
 * at (a depth only moves when the channel changed), so a refresh costs O(changes), not
 * O(channels) — what the extension's main thread can afford at 50,000 channels.
 */
export class DepthTracker {
  private readonly last = new Map<string, Channel>();
  private primed = false;

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
    if (a.bytes !== null && b.bytes !== null) {
      const d = b.bytes - a.bytes;
      if (d > 0) sent.bytes = d;
      else received.bytes = -d;
    }
    if (a.messages !== null && b.messages !== null) {
      const d = b.messages - a.messages;
      if (d > 0) sent.ops = d;
      else received.ops = -d;
    }
    const kind = c.kind as ActivityKind;
    const processes: ChannelActivity['processes'] = [];
    if (c.kind === 'sysv-msg' && old.kind === 'sysv-msg') {
      // at least one msgsnd / msgrcv happened when the time moved, even if the depth did not
      const sentNow = c.lastSendTime !== null && c.lastSendTime !== old.lastSendTime;
      const recvNow = c.lastRecvTime !== null && c.lastRecvTime !== old.lastRecvTime;
      if (sentNow && sent.ops === 0) sent.ops = 1;
      if (recvNow && received.ops === 0) received.ops = 1;
      if (sentNow && c.lastSendPid > 0) processes.push({ pid: c.lastSendPid, sent: { ...sent }, received: { bytes: 0, ops: 0 } });
      if (recvNow && c.lastRecvPid > 0) {
        const same = processes.find((p) => p.pid === c.lastRecvPid);
        if (same) same.received = { ...received };
        else processes.push({ pid: c.lastRecvPid, sent: { bytes: 0, ops: 0 }, received: { ...received } });
      }
      if (sentNow && recvNow && c.lastSendPid > 0 && c.lastRecvPid > 0) {
        const bytes = Math.max(sent.bytes, received.bytes);
        const ops = Math.max(sent.ops, received.ops);
        pairs.push({
          from: c.lastSendPid,
          to: c.lastRecvPid,
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
