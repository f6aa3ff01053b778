// Objects no name of ours reaches — unlinked while held, another /dev/shm's, another IPC
// namespace's — are read through their holders: a mapping (/proc/PID/mem, by the maps line's
// dev:inode) or a duplicate of an fd (pidfd_getfd, by the fd's dev:inode). Their ids carry the
// device they live on (`KIND:deleted/MAJOR:MINOR:INODE`, `posix-mq:ns/MAJOR:MINOR/NAME`); the
// snapshot's probes and the peeks read them back here, and ask a queue's holders alike.
import type { Endpoint, ReadError } from './model';
import { DeadlineError, withDeadline } from './deadline';
import { errnoName, type NativeAddon } from './native';

/** The device (and inode, in the `DEV:INODE` form) an id of one of `forms` names, or null. */
export function heldObjectKey(id: string, kind: string, forms: readonly string[]): { major: number; minor: number; inode: number | null } | null {
  const m = /^([a-z]+)\/(\d+):(\d+)(?::(\d+)$|\/)/.exec(id.slice(kind.length + 1));
  if (!m || !id.startsWith(kind + ':') || !forms.includes(m[1])) return null;
  return { major: Number(m[2]), minor: Number(m[3]), inode: m[4] !== undefined ? Number(m[4]) : null };
}

/** A device as /proc/PID/maps prints it: `00:1b`. */
export function mapsDev(major: number, minor: number): string {
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

/** mapsDev's inverse: a device as maps prints it (`00:1b`, hex) as its numbers, NaN for a part that is not there or not hex. */
export function parseMapsDev(dev: string): { major: number; minor: number } {
  const [major, minor] = dev.split(':').map((h) => parseInt(h, 16));
  return { major: major ?? NaN, minor: minor ?? NaN };
}

export type MqAttr = { maxmsg: number; msgsize: number; curmsgs: number };

/**
 * mq_getattr of a queue through a duplicate of one of its holders' fds (each tried in turn: one may
 * have closed it since the snapshot); the addon checks the queue's dev:inode on the fd before and
 * on the duplicate after. `attempt` runs each call (under a deadline); `allow` says whether one
 * more may be made (a scan's budget). The errno name of the last failure when none could be read.
 */
export async function mqAttrThroughHolders(
  native: NativeAddon,
  endpoints: readonly Endpoint[],
  key: { major: number; minor: number; inode: number },
  attempt: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
  allow: () => boolean = () => true,
): Promise<{ attr: MqAttr; pid: number; fd: number } | string> {
  if (!native.mqGetattrFd) return 'needs the native addon';
  let last = 'ENOENT';
  for (const e of endpoints) {
    if (e.fd === undefined) continue;
    if (!allow()) return 'EAGAIN'; // over the scan's budget
    try {
      const attr = await attempt(`mq_getattr through fd ${e.fd} of ${e.pid}`, () => native.mqGetattrFd!(e.pid, e.fd!, key.inode, key.major, key.minor));
      return { attr, pid: e.pid, fd: e.fd };
    } catch (err) {
      last = err instanceof DeadlineError ? 'ETIMEDOUT' : (errnoName(err) ?? 'EIO');
    }
  }
  return last;
}

/** An endpoint's `map` that is an address range (`LO-HI` in hex, as maps prints it): what /proc/PID/mem and map_files are read at. */
export const MAP_RANGE = /^[0-9a-f]+-[0-9a-f]+$/;

/** What a search for a held file's size may still do: shared by the objects of one scan, or fresh for one peek. */
export interface HeldSizeBudget {
  /** Calls still allowed (a scan's bound: each is a thread). */
  calls: number;
  /**
   * Holders not asked again, and why: their call ran out of time (ETIMEDOUT: the mmap lock held for
   * good), or their links were refused (EACCES: not ours to follow, nor any other link of theirs).
   */
  skip: Map<number, string>;
  /** Following a mapping was refused (EPERM: no CAP_SYS_ADMIN): every other one would be too. */
  noMapFiles?: boolean;
}

/** The size, and the /proc link of the holder it was read through (`fd/N`, `map_files/LO-HI`). */
export interface HeldSize {
  size: number;
  pid: number;
  link: string;
}

/** Holders one object's size is asked of at most (any of them answers for all: the dev:inode is checked). */
const MAX_SIZE_TRIES = 4;

/**
 * The size of a file no name of ours reaches (unlinked, under another user's directories, another
 * /dev/shm's) through its holders, as the addon reaches it (heldFileStat: an O_PATH handle, its
 * dev:inode checked): their fds first — no lock of the holder is taken, and any user may follow
 * their own processes' fd links — then their mappings (/proc/PID/map_files, root only). Its
 * mappings cannot say it: a mapping may be longer than the file (mmap past the end is allowed;
 * Berkeley DB maps 1 MiB over a 280 KiB file) or cover only part of it. `attempt` runs each call
 * (under a deadline). The errno name and call of the last failure when none answered.
 */
export async function fileSizeThroughHolders(
  native: NativeAddon,
  endpoints: readonly Endpoint[],
  key: { major: number; minor: number; inode: number },
  attempt: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
  budget: HeldSizeBudget,
): Promise<HeldSize | { code: string; syscall: string }> {
  if (!native.heldFileStat) return { code: 'ENOSYS', syscall: 'statx' }; // an addon built before it
  const links: Array<{ pid: number; link: string }> = [];
  for (const e of endpoints) if (e.fd !== undefined) links.push({ pid: e.pid, link: `fd/${e.fd}` });
  for (const e of endpoints) if (e.map !== undefined && MAP_RANGE.test(e.map)) links.push({ pid: e.pid, link: `map_files/${e.map}` });
  let last = { code: 'ENOENT', syscall: 'open' };
  let tries = 0;
  for (const { pid, link } of links) {
    const mapping = link.startsWith('map_files/');
    // skipped, not asked: the reason it would have failed is the object's too
    const skipped = budget.skip.get(pid);
    if (skipped !== undefined) {
      last = { code: skipped, syscall: 'open' };
      continue;
    }
    if (mapping && budget.noMapFiles) {
      last = { code: 'EPERM', syscall: 'open' };
      continue;
    }
    if (tries++ >= MAX_SIZE_TRIES) break;
    if (budget.calls <= 0) return { code: 'EAGAIN', syscall: 'statx' }; // over the scan's bound
    budget.calls--;
    try {
      const r = await attempt(`statx /proc/${pid}/${link}`, () => native.heldFileStat!(pid, link, key.inode, key.major, key.minor));
      return { size: r.size, pid, link };
    } catch (e) {
      const code = e instanceof DeadlineError ? 'ETIMEDOUT' : (errnoName(e) ?? 'EIO');
      if (code === 'ETIMEDOUT' || code === 'EACCES') budget.skip.set(pid, code);
      if (mapping && code === 'EPERM') budget.noMapFiles = true;
      last = { code, syscall: (e as { syscall?: unknown }).syscall === 'statx' ? 'statx' : 'open' };
    }
  }
  return last;
}

/**
 * A scan's size of one object no name of ours reaches, onto its channel: the file's size through
 * its holders (fileSizeThroughHolders, each call under `timeoutMs`); when none answers (or no
 * addon, or no key), how far its mappings reach (`mapped`, said by `sizeIsMapping`; null when only
 * fds hold it) and an errors[] entry saying why the file's size is missing.
 */
export async function sizeThroughHolders(
  native: NativeAddon | null,
  ch: { endpoints: readonly Endpoint[]; size: number | null; sizeIsMapping?: boolean; errors?: ReadError[] },
  key: { major: number; minor: number; inode: number } | null,
  mapped: number | null,
  timeoutMs: number,
  budget: HeldSizeBudget,
): Promise<void> {
  let failed = { code: 'ENOSYS', syscall: 'statx' }; // no addon
  if (native && key) {
    const r = await fileSizeThroughHolders(native, ch.endpoints, key, (what, fn) => withDeadline(what, timeoutMs, fn), budget);
    if ('size' in r) {
      ch.size = r.size;
      return;
    }
    failed = r;
  }
  if (mapped !== null) {
    ch.size = mapped;
    ch.sizeIsMapping = true;
  }
  (ch.errors ??= []).push({ field: 'size', ...failed });
}

/** An object a scan may read the size or value of through its holders: where it lives and who holds it. */
export interface HeldObjectRef {
  dev: number;
  inode: number;
  /** Its holders (endpoints, or fd rows), the first one's user the object's. */
  endpoints: readonly { pid: number }[];
}

/** A device as one number that orders devices (readOrder's `dev`). */
export const devOrder = (major: number, minor: number): number => major * 0x100000 + minor;

/** readOrder's view of an object whose id names its device (heldObjectKey), `inode` where the id does not hold it; 0:0 for an id of none of `forms`. */
export function heldRef(id: string, kind: string, forms: readonly string[], endpoints: readonly { pid: number }[], inode?: number): HeldObjectRef {
  const key = heldObjectKey(id, kind, forms);
  return { dev: key ? devOrder(key.major, key.minor) : 0, inode: inode ?? key?.inode ?? 0, endpoints };
}

/**
 * The order a scan spends a bound on such reads in (HeldSizeBudget.calls, the semaphore reads):
 * the objects of the processes asked about (the probes' `scope`) first; then the users' in turn — one object
 * of each user, users by uid, then a second of each — an object counted as its first holder's
 * (lowest pid). Each user's oldest first, by dev then inode: an object's number never changes and
 * new ones mostly get higher numbers, so past the bound the same ones are read snapshot after
 * snapshot. Any user can make thousands of shared memfds or /dev/shm files; in turn, theirs take
 * only their own share of the bound, never another user's.
 */
export function readOrder<T>(
  items: readonly T[],
  ref: (t: T) => HeldObjectRef,
  { processes, scope }: { processes: ReadonlyMap<number, { uid: number }>; scope?: ReadonlySet<number> | null },
): T[] {
  // (columns and index lists, no object per item: the socket lookups order every socket in no
  // table, and a user can hold a hundred thousand — object comparators took 100–360 ms there)
  const n = items.length;
  const dev = new Float64Array(n);
  const inode = new Float64Array(n);
  const uid = new Float64Array(n);
  const asked: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = ref(items[i]);
    dev[i] = r.dev;
    inode[i] = r.inode;
    uid[i] = r.endpoints.length > 0 ? (processes.get(r.endpoints[0].pid)?.uid ?? -1) : -1;
    (scope && r.endpoints.some((e) => scope.has(e.pid)) ? asked : rest).push(i);
  }
  const byAge = (a: number, b: number) => dev[a] - dev[b] || inode[a] - inode[b];
  // (stable; most callers' lists come in this order already)
  const oldestFirst = (list: number[]) => {
    for (let k = 1; k < list.length; k++) if (byAge(list[k - 1], list[k]) > 0) return list.sort(byAge);
    return list;
  };
  const out = oldestFirst(asked).map((i) => items[i]);
  const mine = new Map<number, number[]>();
  for (const i of oldestFirst(rest)) {
    const list = mine.get(uid[i]);
    if (list) list.push(i);
    else mine.set(uid[i], [i]);
  }
  // turn by turn, one of each user who has one left, users by uid
  let left = [...mine.keys()].sort((a, b) => a - b).map((u) => mine.get(u)!);
  for (let turn = 0; left.length > 0; turn++) {
    for (const list of left) out.push(items[list[turn]]);
    left = left.filter((list) => list.length > turn + 1);
  }
  return out;
}
