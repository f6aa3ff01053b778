// Snapshot diff: added / removed / changed channels (by id) and processes (by pid), deep-equal
// per object. applyDiff(prev, diffSnapshots(prev, next)) deep-equals next when next is in the
// canonical order takeSnapshot produces (channels by kind then id, processes by pid).
import type { Channel, Endpoint, ProcessInfo, Snapshot, SnapshotDiff } from './model';
import { CHANNEL_KINDS, SNAPSHOT_VERSION } from './model';
import { KINDS, kindOfId } from './kinds';
import { sortedPositions } from './sortedPositions';

const KIND_ORDER = new Map<string, number>(CHANNEL_KINDS.map((k, i) => [k, i]));

/**
 * Canonical channel order (kind, then inode / id) shared by takeSnapshot and applyDiff. Channels
 * that carry an `inode` sort by it (a kind's `inodeOfId` says which ids name one), the rest by id.
 */
export function compareChannels(a: Channel, b: Channel): number {
  if (a.kind !== b.kind) return KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)!;
  // inode-keyed channels first, by inode (numeric); then the rest (TIME-WAIT, SysV, POSIX) by id
  const ai = (a as { inode?: number }).inode || 0;
  const bi = (b as { inode?: number }).inode || 0;
  if (ai !== bi) return ai === 0 ? 1 : bi === 0 ? -1 : ai - bi;
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1;
}

/** A stand-in with the sort key of the channel whose id this is (for binary search by id): its kind says which ids name an inode. */
function probeFor(id: string): Channel {
  const kind = kindOfId(id);
  const inode = kind ? KINDS[kind].inodeOfId(id.slice(kind.length + 1)) : 0;
  return { id, kind: kind ?? id.slice(0, id.indexOf(':')), inode } as unknown as Channel;
}

/** Index of the channel with this id in a canonically sorted array, or -1. */
export function findChannel(sorted: readonly Channel[], id: string): number {
  const probe = probeFor(id);
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareChannels(sorted[mid], probe);
    if (c === 0) return sorted[mid].id === id ? mid : -1;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Channel arrays known to be in canonical order (built here), so applyDiff need not re-check them. */
const canonical = new WeakSet<readonly Channel[]>();

/** Marks a channel array as canonical (takeSnapshot output). */
export function markCanonical(list: readonly Channel[]): void {
  canonical.add(list);
}

/** First index whose channel sorts after `c` (binary search). */
function insertionPoint(sorted: readonly Channel[], c: Channel): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareChannels(sorted[mid], c) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when the array is in canonical order. */
export function isSortedChannels(list: readonly Channel[]): boolean {
  for (let i = 1; i < list.length; i++) if (compareChannels(list[i - 1], list[i]) >= 0) return false;
  return true;
}

/** True when diffSnapshots takes its merge walk for this array (built canonical here, or found sorted). */
export function isCanonical(list: readonly Channel[]): boolean {
  return canonical.has(list) || isSortedChannels(list);
}

/**
 * Sorts channels into the canonical order (same result as sort(compareChannels)) without a JS
 * comparator for the bulk: bucket by kind, then inode channels by a stable radix sort of their
 * inodes (sortedPositions); the rest (SysV, POSIX, TIME-WAIT) by comparator.
 */
export function sortChannels(channels: Channel[]): Channel[] {
  const n = channels.length;
  if (n < 64) return channels.sort(compareChannels);
  const buckets: Channel[][] = CHANNEL_KINDS.map(() => []);
  for (let i = 0; i < n; i++) buckets[KIND_ORDER.get(channels[i].kind)!].push(channels[i]);
  const out: Channel[] = [];
  for (const b of buckets) {
    if (b.length === 0) continue;
    const keyed: Channel[] = [];
    const rest: Channel[] = [];
    for (let i = 0; i < b.length; i++) {
      if (((b[i] as { inode?: number }).inode || 0) > 0) keyed.push(b[i]);
      else rest.push(b[i]);
    }
    const inodes = new Float64Array(keyed.length);
    for (let j = 0; j < keyed.length; j++) inodes[j] = (keyed[j] as { inode: number }).inode;
    // by inode, ties by position (compareChannels orders equal inodes by id: mended below)
    const order = sortedPositions(inodes);
    const start = out.length;
    for (let j = 0; j < order.length; j++) out.push(keyed[order[j]]);
    // equal inodes (FIFOs on different devices): order those runs by id
    for (let j = start + 1; j < out.length; j++) {
      if ((out[j] as { inode: number }).inode === (out[j - 1] as { inode: number }).inode) {
        let k = j;
        while (k > start && compareChannels(out[k - 1], out[k]) > 0) {
          const t = out[k];
          out[k] = out[k - 1];
          out[k - 1] = t;
          k--;
        }
      }
    }
    if (rest.length > 0) for (const c of rest.sort(compareChannels)) out.push(c);
  }
  return out;
}

/**
 * Lists each in canonical order (isSortedChannels) merged into one, as sortChannels would order
 * their concatenation (stable: on a tie the earlier list's channel first) — in linear time, where
 * a sort of the whole would redo what each list's producer already did (one socket table per
 * network namespace, each prepared in inode order). Pairwise, balanced: many lists stay n·log k.
 */
export function mergeSortedChannels<T extends Channel>(lists: T[][]): T[] {
  if (lists.length === 0) return [];
  let level = lists;
  while (level.length > 1) {
    const next: T[][] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? merge(level[i], level[i + 1], compareChannels) : level[i]);
    level = next;
  }
  return level[0];
}

/** Merges two arrays each sorted by cmp. */
function merge<T>(a: T[], b: T[], cmp: (x: T, y: T) => number): T[] {
  // b entirely after a (a big diff applied in parts, each part after the previous): append
  if (a.length === 0 || b.length === 0 || cmp(a[a.length - 1], b[0]) <= 0) return a.concat(b);
  const out: T[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = cmp(a[i], b[j]) <= 0 ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}

const byPid = (a: ProcessInfo, b: ProcessInfo) => a.pid - b.pid;

/** Structural equality for plain JSON-like data (objects, arrays, primitives, typed arrays not expected). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a !== a && b !== b; // NaN
  const aa = Array.isArray(a);
  if (aa !== Array.isArray(b)) return false;
  if (aa) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let nx = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    nx++;
    if (!deepEqual(x[k], y[k])) return false;
  }
  let ny = 0;
  for (const k in y) if (y[k] !== undefined) ny++;
  return nx === ny;
}

function endpointsEqual(a: Endpoint[], b: Endpoint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.pid !== y.pid || x.fd !== y.fd || x.mode !== y.mode || x.map !== y.map || x.mapOffset !== y.mapOffset || x.role !== y.role) return false;
  }
  return true;
}

/** Channel equality: endpoints compared field by field (monomorphic), other fields generically. */
export function channelsEqual(a: Channel, b: Channel): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind || !endpointsEqual(a.endpoints, b.endpoints)) return false;
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  let nx = 0;
  for (const k in x) {
    const v = x[k];
    if (v === undefined) continue;
    nx++;
    if (k === 'endpoints') continue;
    const w = y[k];
    if (v !== w && (typeof v !== 'object' || !deepEqual(v, w))) return false;
  }
  let ny = 0;
  for (const k in y) if (y[k] !== undefined) ny++;
  return nx === ny;
}

export function diffSnapshots(prev: Snapshot | null, next: Snapshot): SnapshotDiff {
  const addedChannels: Channel[] = [];
  const changedChannels: Channel[] = [];
  const removedChannels: string[] = [];
  const addedProcesses: ProcessInfo[] = [];
  const changedProcesses: ProcessInfo[] = [];
  const removedProcesses: number[] = [];
  if (!prev) {
    // copies, not push(...): a spread of ~120k+ channels overflows the stack
    for (const c of next.channels) addedChannels.push(c);
    for (const p of next.processes) addedProcesses.push(p);
  } else {
    const a = prev.channels;
    const b = next.channels;
    if ((canonical.has(a) || isSortedChannels(a)) && (canonical.has(b) || isSortedChannels(b))) {
      // both canonical (as takeSnapshot makes them): one merge walk, no id hashing
      let i = 0;
      let j = 0;
      while (i < a.length && j < b.length) {
        const c = compareChannels(a[i], b[j]);
        if (c < 0) removedChannels.push(a[i++].id);
        else if (c > 0) addedChannels.push(b[j++]);
        else {
          if (!channelsEqual(a[i], b[j])) changedChannels.push(b[j]);
          i++;
          j++;
        }
      }
      while (i < a.length) removedChannels.push(a[i++].id);
      while (j < b.length) addedChannels.push(b[j++]);
    } else {
      const before = new Map<string, Channel>();
      for (const c of a) before.set(c.id, c);
      for (const c of b) {
        const old = before.get(c.id);
        if (old === undefined) addedChannels.push(c);
        else {
          before.delete(c.id);
          if (!channelsEqual(old, c)) changedChannels.push(c);
        }
      }
      for (const id of before.keys()) removedChannels.push(id);
    }
    const pb = new Map<number, ProcessInfo>();
    for (const p of prev.processes) pb.set(p.pid, p);
    for (const p of next.processes) {
      const old = pb.get(p.pid);
      if (old === undefined) addedProcesses.push(p);
      else {
        pb.delete(p.pid);
        if (!deepEqual(old, p)) changedProcesses.push(p);
      }
    }
    for (const pid of pb.keys()) removedProcesses.push(pid);
  }
  return diffOf(prev ? prev.takenAt : null, next, { addedChannels, removedChannels, changedChannels, addedProcesses, removedProcesses, changedProcesses });
}

export type DiffChanges = Pick<SnapshotDiff, 'addedChannels' | 'removedChannels' | 'changedChannels' | 'addedProcesses' | 'removedProcesses' | 'changedProcesses'>;

/** The changes that lead to `next`, with `next`'s own facts: one shape for both ways of diffing (here and snapshotDigest.ts). */
export function diffOf(fromTakenAt: string | null, next: Snapshot, c: DiffChanges): SnapshotDiff {
  return {
    fromTakenAt,
    toTakenAt: next.takenAt,
    addedChannels: c.addedChannels,
    removedChannels: c.removedChannels,
    changedChannels: c.changedChannels,
    addedProcesses: c.addedProcesses,
    removedProcesses: c.removedProcesses,
    changedProcesses: c.changedProcesses,
    capabilities: next.capabilities,
    warnings: next.warnings,
    durationMs: next.durationMs,
    host: next.host,
    version: next.version,
  };
}

/** True when the diff carries no channel or process change. */
export function isEmptyDiff(d: SnapshotDiff): boolean {
  return (
    d.addedChannels.length === 0 &&
    d.removedChannels.length === 0 &&
    d.changedChannels.length === 0 &&
    d.addedProcesses.length === 0 &&
    d.removedProcesses.length === 0 &&
    d.changedProcesses.length === 0
  );
}

/**
 * Builds the next snapshot from prev + diff. Unchanged channel/process objects are reused
 * (identity preserved, so views can skip them); the order is the canonical one.
 */
export function applyDiff(prev: Snapshot | null, diff: SnapshotDiff): Snapshot {
  let channels: Channel[];
  let processes: ProcessInfo[];
  if (!prev) {
    channels = diff.addedChannels.slice();
    if (!isSortedChannels(channels)) channels = sortChannels(channels);
    processes = diff.addedProcesses.slice().sort(byPid);
  } else {
    // Changed channels keep their place (the id fixes kind and inode, hence the sort key):
    // find them (and removed ones) by binary search instead of hashing every id. Small
    // insertions/removals splice (memmove); large ones merge/filter in one pass.
    channels = prev.channels.slice();
    const touched = diff.changedChannels.length + diff.removedChannels.length + diff.addedChannels.length > 0;
    const sorted = touched && (canonical.has(prev.channels) || isSortedChannels(channels));
    if (!touched) {
      /* nothing to do */
    } else if (sorted) {
      for (const c of diff.changedChannels) {
        const at = findChannel(channels, c.id);
        if (at >= 0) channels[at] = c;
      }
      if (diff.removedChannels.length > 0) {
        if (diff.removedChannels.length <= 64) {
          for (const id of diff.removedChannels) {
            const at = findChannel(channels, id);
            if (at >= 0) channels.splice(at, 1);
          }
        } else {
          const drop = new Uint8Array(channels.length);
          for (const id of diff.removedChannels) {
            const at = findChannel(channels, id);
            if (at >= 0) drop[at] = 1;
          }
          channels = channels.filter((_, i) => drop[i] === 0);
        }
      }
      if (diff.addedChannels.length > 0) {
        const added = diff.addedChannels.slice().sort(compareChannels);
        if (added.length <= 64) for (const c of added) channels.splice(insertionPoint(channels, c), 0, c);
        else channels = merge(channels, added, compareChannels);
      }
    } else {
      const removed = new Set(diff.removedChannels);
      const changed = new Map<string, Channel>();
      for (const c of diff.changedChannels) changed.set(c.id, c);
      channels = [];
      for (const c of prev.channels) if (!removed.has(c.id)) channels.push(changed.get(c.id) ?? c);
      channels = sortChannels(channels.concat(diff.addedChannels));
    }
    const gone = diff.removedProcesses.length > 0 ? new Set(diff.removedProcesses) : null;
    const pchanged = new Map<number, ProcessInfo>();
    for (const p of diff.changedProcesses) pchanged.set(p.pid, p);
    processes = [];
    for (const p of prev.processes) {
      if (gone !== null && gone.has(p.pid)) continue;
      processes.push(pchanged.get(p.pid) ?? p);
    }
    if (diff.addedProcesses.length > 0) processes = merge(processes, diff.addedProcesses.slice().sort(byPid), byPid);
  }
  canonical.add(channels);
  return {
    version: diff.version ?? prev?.version ?? SNAPSHOT_VERSION,
    takenAt: diff.toTakenAt,
    durationMs: diff.durationMs,
    host: diff.host ?? prev?.host ?? { kernel: '', hostname: '' },
    capabilities: diff.capabilities,
    warnings: diff.warnings,
    processes,
    channels,
  };
}
