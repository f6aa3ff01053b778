// What the snapshot worker remembers of the previous snapshot: per channel (by id) and per
// process (by pid) a 64-bit fingerprint of its content instead of the object graph. Holding the
// previous snapshot whole doubled the worker's heap (two full snapshots alive while the next one
// is built, ~600 bytes a channel each); a digest is ~60 bytes a channel (its id, sort key and
// fingerprint). diffFromDigest(digest of prev, next) gives the diff diffSnapshots(prev, next)
// gives — same entries, same order, the same two paths (a merge walk over canonical order, else
// by id) — because the fingerprint is a function of exactly what diff.ts compares:
// - a channel: every own/enumerable key whose value is not undefined, in any order (as
//   channelsEqual); top-level primitives compare with `!==` (a NaN field is never equal to
//   itself, so it gets a fresh value every time); endpoints only by pid, fd, mode and map;
// - a process, and nested values of a channel: deepEqual's structure (key order and undefined
//   values ignored, arrays by order, NaN equal to NaN, -0 equal to 0, types told apart).
// The only difference is a fingerprint collision (a change missed): two independent 32-bit
// lanes, different mixing functions, seeded at random per worker, so ≈ 2^-64 per changed entry,
// and not steerable by a local user, who never sees a fingerprint or the seed (a collision would
// at most keep the old text of a channel or process in the views until its next change).
import { randomBytes } from 'node:crypto';
import type { Channel, ProcessInfo, Snapshot, SnapshotDiff } from './model';
import { CHANNEL_KINDS } from './model';
import { diffOf, diffSnapshots, isCanonical } from './diff';

export interface SnapshotDigest {
  takenAt: string;
  /** Channel ids, in the snapshot's order. */
  channelIds: string[];
  /** Two 32-bit lanes per channel, [2i] and [2i+1]. */
  channelFp: Int32Array;
  /** Sort key of each channel (compareChannels): its kind's index in CHANNEL_KINDS, its inode (0: none). */
  channelKind: Uint8Array;
  channelInode: Float64Array;
  /** The channels were in canonical order (diffSnapshots then takes its merge walk, and so does diffFromDigest). */
  canonical: boolean;
  /** Pids, in the snapshot's order. */
  pids: Float64Array;
  /** Two 32-bit lanes per process. */
  processFp: Int32Array;
}

const seeds = randomBytes(8);
const SEED_A = seeds.readInt32LE(0);
const SEED_B = seeds.readInt32LE(4);

// Type tags: a string "1", the number 1, true, null and undefined never hash alike.
const T_STR = 0x51;
const T_INT = 0x52;
const T_F64 = 0x53;
const T_NAN = 0x54;
const T_TRUE = 0x55;
const T_FALSE = 0x56;
const T_NULL = 0x57;
const T_UNDEF = 0x58;
const T_ARR = 0x59;
const T_OBJ = 0x5a;
const T_OTHER = 0x5b;
const T_UNIQUE = 0x5c;

// Lane A: MurmurHash3's block step; lane B: a different multiply-rotate (xxHash32's round), so
// an input pair that collides in one lane whatever the seed does not collide in the other.
function mixA(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
function mixB(h: number, k: number): number {
  h = (h + Math.imul(k, 0x85ebca77)) | 0;
  h = (h << 13) | (h >>> 19);
  return Math.imul(h, 0x9e3779b1);
}
function finA(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
function finB(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae3d);
  return h ^ (h >>> 16);
}

const f64 = new Float64Array(1);
const u32 = new Int32Array(f64.buffer);
/** Values that must never equal anything earlier (a NaN compared with `!==`). */
let unique = 0;

// absorb() leaves the two lanes here (no allocation per value).
let A = 0;
let B = 0;

function absorbNumber(v: number, a: number, b: number): void {
  if ((v | 0) === v) {
    // int32 (also -0, which === 0)
    A = mixA(mixA(a, T_INT), v | 0);
    B = mixB(mixB(b, T_INT), v | 0);
  } else if (v !== v) {
    A = mixA(a, T_NAN);
    B = mixB(b, T_NAN);
  } else {
    f64[0] = v;
    A = mixA(mixA(mixA(a, T_F64), u32[0]), u32[1]);
    B = mixB(mixB(mixB(b, T_F64), u32[0]), u32[1]);
  }
}

function absorbString(s: string, a: number, b: number): void {
  const n = s.length;
  a = mixA(a, T_STR ^ (n << 8));
  b = mixB(b, T_STR ^ (n << 8));
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const w = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    a = mixA(a, w);
    b = mixB(b, w);
  }
  if (i < n) {
    a = mixA(a, s.charCodeAt(i));
    b = mixB(b, s.charCodeAt(i));
  }
  A = a;
  B = b;
}

/**
 * Starts the lanes of one key/value pair with the key (the caller sums pairs: key order does not
 * count). Keys are the model's field names, a few dozen: their lanes are computed once.
 */
const keyLanes = new Map<string, number>();
const keyLanesB = new Map<string, number>();

/** Field names whose lanes are cached (the soak bench's figures). */
export function keyLaneCacheSize(): number {
  return keyLanes.size;
}
function pairKey(k: string): void {
  const a = keyLanes.get(k);
  if (a !== undefined) {
    A = a;
    B = keyLanesB.get(k)!;
    return;
  }
  absorbString(k, SEED_A, SEED_B);
  if (keyLanes.size < 4096) {
    // field names only in practice; the bound keeps odd data from growing the cache
    keyLanes.set(k, A);
    keyLanesB.set(k, B);
  }
}

/** Absorbs a value with deepEqual's notion of equality into lanes (a, b); result in A, B. */
function absorb(v: unknown, a: number, b: number): void {
  switch (typeof v) {
    case 'string':
      absorbString(v, a, b);
      return;
    case 'number':
      absorbNumber(v, a, b);
      return;
    case 'boolean':
      A = mixA(a, v ? T_TRUE : T_FALSE);
      B = mixB(b, v ? T_TRUE : T_FALSE);
      return;
    case 'undefined':
      A = mixA(a, T_UNDEF);
      B = mixB(b, T_UNDEF);
      return;
    case 'object': {
      if (v === null) {
        A = mixA(a, T_NULL);
        B = mixB(b, T_NULL);
        return;
      }
      if (Array.isArray(v)) {
        a = mixA(mixA(a, T_ARR), v.length);
        b = mixB(mixB(b, T_ARR), v.length);
        for (let i = 0; i < v.length; i++) {
          absorb(v[i], a, b);
          a = A;
          b = B;
        }
        A = a;
        B = b;
        return;
      }
      const o = v as Record<string, unknown>;
      let sa = 0;
      let sb = 0;
      let n = 0;
      for (const k in o) {
        const x = o[k];
        if (x === undefined) continue;
        n++;
        pairKey(k);
        absorb(x, A, B);
        sa = (sa + finA(A)) | 0;
        sb = (sb + finB(B)) | 0;
      }
      A = mixA(mixA(mixA(a, T_OBJ), n), sa);
      B = mixB(mixB(mixB(b, T_OBJ), n), sb);
      return;
    }
    default:
      // not in snapshots (plain JSON-like data); a bigint by value, a function or symbol never equal
      if (typeof v === 'bigint') absorbString(String(v), mixA(a, T_OTHER), mixB(b, T_OTHER));
      else absorbUnique(a, b);
  }
}

function absorbUnique(a: number, b: number): void {
  A = mixA(mixA(a, T_UNIQUE), ++unique);
  B = mixB(mixB(b, T_UNIQUE), unique);
}

/** A primitive compared with `!==` (channel fields, endpoint fields): NaN never equals itself. */
function absorbStrict(v: unknown, a: number, b: number): void {
  if (v !== v) absorbUnique(a, b);
  else absorb(v, a, b);
}

/** endpointsEqual's view of an endpoint list: length, then pid, fd, mode, map, mapOffset, role of each. */
function absorbEndpoints(eps: readonly Record<string, unknown>[], a: number, b: number): void {
  a = mixA(mixA(a, T_ARR), eps.length);
  b = mixB(mixB(b, T_ARR), eps.length);
  for (let i = 0; i < eps.length; i++) {
    const e = eps[i];
    absorbStrict(e.pid, a, b);
    absorbStrict(e.fd, A, B);
    absorbStrict(e.mode, A, B);
    absorbStrict(e.map, A, B);
    absorbStrict(e.mapOffset, A, B);
    absorbStrict(e.role, A, B);
    a = A;
    b = B;
  }
  A = a;
  B = b;
}

/** Fingerprint of a channel as channelsEqual sees it; lanes in A, B. */
function channelPrint(c: Channel): void {
  const o = c as unknown as Record<string, unknown>;
  let sa = 0;
  let sb = 0;
  let n = 0;
  for (const k in o) {
    const x = o[k];
    if (x === undefined) continue;
    n++;
    pairKey(k);
    if (k === 'endpoints' && Array.isArray(x)) absorbEndpoints(x as Record<string, unknown>[], A, B);
    else if (typeof x === 'object') absorb(x, A, B);
    else absorbStrict(x, A, B);
    sa = (sa + finA(A)) | 0;
    sb = (sb + finB(B)) | 0;
  }
  A = finA(mixA(mixA(mixA(SEED_A, T_OBJ), n), sa));
  B = finB(mixB(mixB(mixB(SEED_B, T_OBJ), n), sb));
}

/** Fingerprint of a process as deepEqual sees it; lanes in A, B. */
function processPrint(p: ProcessInfo): void {
  absorb(p, SEED_A, SEED_B);
  A = finA(A);
  B = finB(B);
}

/** Two lanes of a channel's fingerprint (tests). */
export function channelFingerprint(c: Channel): [number, number] {
  channelPrint(c);
  return [A, B];
}

/** Two lanes of a process's fingerprint (tests). */
export function processFingerprint(p: ProcessInfo): [number, number] {
  processPrint(p);
  return [A, B];
}

const KIND_ORDER = new Map<string, number>(CHANNEL_KINDS.map((k, i) => [k, i]));

/** The digest of a snapshot: ids/pids in its order and a fingerprint of each. */
export function digestSnapshot(s: Snapshot): SnapshotDigest {
  const nc = s.channels.length;
  const channelIds = new Array<string>(nc);
  const channelFp = new Int32Array(nc * 2);
  const channelKind = new Uint8Array(nc);
  const channelInode = new Float64Array(nc);
  let known = true;
  for (let i = 0; i < nc; i++) {
    const c = s.channels[i];
    channelIds[i] = c.id;
    const k = KIND_ORDER.get(c.kind);
    if (k === undefined) known = false;
    else channelKind[i] = k;
    channelInode[i] = (c as { inode?: number }).inode || 0;
    channelPrint(c);
    channelFp[2 * i] = A;
    channelFp[2 * i + 1] = B;
  }
  const np = s.processes.length;
  const pids = new Float64Array(np);
  const processFp = new Int32Array(np * 2);
  for (let i = 0; i < np; i++) {
    const p = s.processes[i];
    pids[i] = p.pid;
    processPrint(p);
    processFp[2 * i] = A;
    processFp[2 * i + 1] = B;
  }
  // the merge walk needs every channel's sort key (compareChannels has none for an unknown kind)
  const canonical = known && isCanonical(s.channels);
  return { takenAt: s.takenAt, channelIds, channelFp, channelKind, channelInode, canonical, pids, processFp };
}

/**
 * diffSnapshots(prev, next) where only prev's digest is left: `nextDigest` is digestSnapshot(next)
 * (kept by the caller as the next call's `prev`). Entries and their order are those of
 * diffSnapshots: added and changed in next's order, removed in prev's order.
 */
export function diffFromDigest(prev: SnapshotDigest | null, next: Snapshot, nextDigest: SnapshotDigest): SnapshotDiff {
  if (!prev) return diffSnapshots(null, next);
  // the same two paths as diffSnapshots, on fingerprints: a merge walk when both are canonical, by id otherwise
  const addedChannels: Channel[] = [];
  const changedChannels: Channel[] = [];
  const removedChannels: string[] = [];
  const ids = prev.channelIds;
  const pf = prev.channelFp;
  const nf = nextDigest.channelFp;
  const b = next.channels;
  const changed = (i: number, j: number): boolean => pf[2 * i] !== nf[2 * j] || pf[2 * i + 1] !== nf[2 * j + 1];
  if (prev.canonical && nextDigest.canonical) {
    const pk = prev.channelKind;
    const pi = prev.channelInode;
    const nk = nextDigest.channelKind;
    const ni = nextDigest.channelInode;
    let i = 0;
    let j = 0;
    while (i < ids.length && j < b.length) {
      // compareChannels(prev[i], next[j]) from the sort keys
      let c = pk[i] - nk[j];
      if (c === 0) {
        const ai = pi[i];
        const bi = ni[j];
        if (ai !== bi) c = ai === 0 ? 1 : bi === 0 ? -1 : ai - bi;
        else c = ids[i] === b[j].id ? 0 : ids[i] < b[j].id ? -1 : 1;
      }
      if (c < 0) removedChannels.push(ids[i++]);
      else if (c > 0) addedChannels.push(b[j++]);
      else {
        if (changed(i, j)) changedChannels.push(b[j]);
        i++;
        j++;
      }
    }
    while (i < ids.length) removedChannels.push(ids[i++]);
    while (j < b.length) addedChannels.push(b[j++]);
  } else {
    const before = new Map<string, number>();
    for (let i = 0; i < ids.length; i++) before.set(ids[i], i);
    for (let j = 0; j < b.length; j++) {
      const i = before.get(b[j].id);
      if (i === undefined) addedChannels.push(b[j]);
      else {
        before.delete(b[j].id);
        if (changed(i, j)) changedChannels.push(b[j]);
      }
    }
    for (const id of before.keys()) removedChannels.push(id);
  }
  const addedProcesses: ProcessInfo[] = [];
  const changedProcesses: ProcessInfo[] = [];
  const removedProcesses: number[] = [];
  const pb = new Map<number, number>();
  for (let i = 0; i < prev.pids.length; i++) pb.set(prev.pids[i], i);
  const ppf = prev.processFp;
  const npf = nextDigest.processFp;
  for (let j = 0; j < next.processes.length; j++) {
    const p = next.processes[j];
    const i = pb.get(p.pid);
    if (i === undefined) addedProcesses.push(p);
    else {
      pb.delete(p.pid);
      if (ppf[2 * i] !== npf[2 * j] || ppf[2 * i + 1] !== npf[2 * j + 1]) changedProcesses.push(p);
    }
  }
  for (const pid of pb.keys()) removedProcesses.push(pid);
  return diffOf(prev.takenAt, next, { addedChannels, removedChannels, changedChannels, addedProcesses, removedProcesses, changedProcesses });
}
