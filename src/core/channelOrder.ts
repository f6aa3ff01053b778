// Which channels a person wants to see first in a list (issue 11): full ones (a writer blocks),
// then busy ones (data queued, or traffic per second when live activity measures it), then quiet
// ones; a process's own self-pipes and socketpairs (every end in one process) last — they are
// plumbing (event loops wake themselves through them) and bury the interesting channels. Pure.
import type { Channel } from './model';
import { describe } from './kinds';

/** 0 full, 1 busy, 2 quiet, 3 internal. */
export type ChannelRank = 0 | 1 | 2 | 3;

/** Every end of it is held by one process, and it has at least two ends (a self-pipe, a socketpair kept by one process). */
export function isInternal(ch: Channel): boolean {
  const eps = ch.endpoints;
  if (eps.length < 2) return false;
  const pid = eps[0].pid;
  return eps.every((e) => e.pid === pid);
}

/** Data is queued in it: bytes waiting to be read (its kind's `queue`: pipes, FIFOs, sockets, message queues). */
export function hasQueued(ch: Channel): boolean {
  return (describe(ch).queue(ch).bytes ?? 0) > 0;
}

/**
 * Where it sorts: `rate` is its bytes/s from live activity when that runs (undefined otherwise).
 * Internal channels sort last even when busy: a full self-pipe still shows its warning icon.
 */
export function channelRank(ch: Channel, rate?: number): ChannelRank {
  if (describe(ch).full(ch)) return 0;
  if (isInternal(ch)) return 3;
  if (hasQueued(ch) || (rate !== undefined && rate > 0)) return 1;
  return 2;
}
