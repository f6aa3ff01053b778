// Bounds of the /proc texts other users choose the length of, for the TypeScript walk and the
// probes that read such texts: maps lines, command lines, timers lists, mount tables. The native
// walks have the same bounds (native/src/mapsread.h, boundedtext.h, userbudget.h; a unit test
// holds these numbers to those headers): one user's processes cannot spend what another's need,
// and past a user's share each process keeps a head.
import { UserBudget } from './userBudget';

/** A mount table read, at most: ~7,000 mounts (a Kubernetes node has a few thousand). */
export const MOUNTINFO_MAX = 1 << 20;

/** Bounds of maps text, as native/src/mapsread.h has them: read and kept per process, kept per walk (a unit test holds them to the header). */
export const MAPS_READ_MAX = 16 << 20;
export const MAPS_KEEP_MAX = 256 << 10;
export const MAPS_KEEP_LINES = 4096;
export const MAPS_WALK_BUDGET = 64 << 20;
/** Kept maps text per walk for the processes of one user (real uid): a quarter of the walk's. */
export const MAPS_USER_BUDGET = 16 << 20;

/**
 * What a walk may still keep of maps text: MAPS_WALK_BUDGET in all, MAPS_USER_BUDGET of it for
 * the processes of one user (native/src/mapsread.h MapsBudget). Without the second, another
 * user's processes, each at the per-process bound, spent it before root's were read, whose shared
 * memory then had no mappers.
 */
export class MapsBudget extends UserBudget {
  constructor() {
    super(MAPS_WALK_BUDGET, MAPS_USER_BUDGET);
  }
}

/** Bounds of command lines and timers, as native/src/boundedtext.h has them (a unit test holds them to the header). */
export const CMDLINE_MAX = 128 << 10;
export const CMDLINE_HEAD = 4096;
export const CMDLINE_WALK_BUDGET = 16 << 20;
export const CMDLINE_USER_BUDGET = 4 << 20;
export const TIMERS_MAX = 64 << 10;
export const TIMERS_HEAD = 4096;
export const TIMERS_WALK_BUDGET = 4 << 20;
export const TIMERS_USER_BUDGET = 1 << 20;

/**
 * What a walk may still keep of one /proc text another user chooses the length of
 * (native/src/boundedtext.h): a command line (up to 6 MiB, shared by forks at no cost to them),
 * the timers list (up to RLIMIT_SIGPENDING timers). Past a user's share, each of their processes
 * keeps the first `head` bytes.
 */
export class TextBudget extends UserBudget {
  constructor(
    walk: number,
    user: number,
    private readonly most: number,
    private readonly head: number,
  ) {
    super(walk, user);
  }

  /** The bytes a process of `uid` may keep now. */
  max(uid: number): number {
    return this.spent(uid) ? this.head : this.most;
  }

  /**
   * The part of `raw` (read up to max(uid) + 1 bytes) a process of `uid` keeps, spent here; cut
   * short, it ends before the last line that starts with `record` (whole records only).
   */
  keep(raw: Buffer, uid: number, record?: string): { bytes: Buffer; truncated: boolean } {
    const max = this.max(uid);
    let bytes = raw;
    const truncated = raw.length > max;
    if (truncated) {
      bytes = raw.subarray(0, max);
      if (record !== undefined) {
        const r = Buffer.from(record, 'latin1');
        let keep = 0;
        for (let at = bytes.indexOf(r); at >= 0; at = bytes.indexOf(r, at + 1)) if (at === 0 || bytes[at - 1] === 0x0a) keep = at;
        bytes = bytes.subarray(0, keep);
      }
    }
    this.spend(uid, bytes.length);
    return { bytes, truncated };
  }
}

export const cmdlineBudget = (): TextBudget => new TextBudget(CMDLINE_WALK_BUDGET, CMDLINE_USER_BUDGET, CMDLINE_MAX, CMDLINE_HEAD);
export const timersBudget = (): TextBudget => new TextBudget(TIMERS_WALK_BUDGET, TIMERS_USER_BUDGET, TIMERS_MAX, TIMERS_HEAD);

/** The first kept lines within the per-process bounds and what is left of the walk's budget (spent here). */
export function boundMaps(text: string, budget: MapsBudget, uid: number): { text: string; truncated: boolean } {
  if (budget.spent(uid)) return { text: '', truncated: text.length > 0 };
  let end = 0;
  let lines = 0;
  let truncated = false;
  while (end < text.length) {
    let nl = text.indexOf('\n', end);
    if (nl < 0) nl = text.length;
    if (lines >= MAPS_KEEP_LINES || nl > MAPS_KEEP_MAX) {
      truncated = true;
      break;
    }
    lines++;
    end = nl + 1;
  }
  const out = truncated ? text.slice(0, Math.max(0, end - 1)) : text;
  budget.spend(uid, out.length);
  return { text: out, truncated };
}
