// POSIX message queues (/dev/mqueue, mqueue fds) and /dev/shm objects: `sem.NAME` named
// semaphores and everything else as POSIX shared memory. Holders come from fds and maps.
// Every entry belongs to whoever made it, any user: entries are lstat-ed (a symlink is not an
// object and is never followed), read only through untrustedFiles.ts (no mapping, no open of a
// FIFO or device, pread of a checked regular file), and a malformed one becomes a row with an
// `error` instead of failing the scan. mq_getattr runs on the addon's own threads with a deadline.
// Names are bytes, listed and reached as such (a name that is not UTF-8 has an id of its bytes:
// core/posixNames.ts); holders are joined to an entry by its file's dev:inode, not by name text.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Endpoint, PosixMqChannel, PosixSemChannel, PosixShmChannel, ReadError } from '../model';
import { errnoName, MODE_UNLINKED, type NativeAddon } from '../native';
import { DEVSHM_FDS, MQUEUE_FDS } from '../kinds/fds';
import { parseMqueueFile } from '../parsers/mqueue';
import { DeadlineError, withDeadline } from '../deadline';
import { decodeSem, fileTypeName, readSemSync, readSmallSync, SEM_T_SIZE, UntrustedFileError } from '../untrustedFiles';
import { append, byPidFd, DELETED_HEX, devName, fileIdOf, modeOf, octalMode, emit, pathHexOf, type Probe, type ProbeContext, ownIpcns } from './context';
import { mapHolders } from './maps';
import { UserBudget } from '../userBudget';
import { mqOpenName, posixIdTail } from '../posixNames';
import { heldObjectKey, sizeThroughHolders, MAP_RANGE, mapsDev, heldRef, mqAttrThroughHolders, readOrder, type HeldSizeBudget, type MqAttr } from '../heldObjects';

/** `/dev/shm/` in hex: the start of a /dev/shm file's link bytes. */
const DEVSHM_HEX = Buffer.from('/dev/shm/').toString('hex');
/** `sem.` in hex: the start of a semaphore's file name. */
const SEM_HEX = Buffer.from('sem.').toString('hex');

/** The mqueue fd rows of one queue: its dev:inode (names can read alike, and inode numbers repeat across IPC namespaces), the link text of its first row (`/NAME`, with ` (deleted)` when unlinked), its rows. */
interface MqFdGroup {
  dev: number;
  ino: number;
  text: string;
  /** The walk's path index of that text (its bytes, when they are not UTF-8: pathHexOf). */
  pathIndex: number;
  /** The walk found its file with no name left (MODE_UNLINKED): mq_unlink-ed while held. */
  unlinked: boolean;
  rows: number[];
}

/** mqueue fd rows grouped by the queue's dev:inode. */
function mqFdGroups(ctx: ProbeContext): Map<string, MqFdGroup> {
  const out = new Map<string, MqFdGroup>();
  const f = ctx.walk.fds;
  for (const row of ctx.index.heads(MQUEUE_FDS.rule.code)) {
    for (let i = row; i >= 0; i = ctx.index.next[i]) {
      const pi = f.pathIndex[i];
      if (pi < 0) continue;
      const key = `${devName(f.dev[i])}:${f.inode[i]}`;
      const g = out.get(key);
      if (g) {
        g.rows.push(i);
        if (f.mode[i] & MODE_UNLINKED) g.unlinked = true;
      } else out.set(key, { dev: f.dev[i], ino: f.inode[i], text: ctx.walk.paths[pi], pathIndex: pi, unlinked: (f.mode[i] & MODE_UNLINKED) !== 0, rows: [i] });
    }
  }
  return out;
}

function endpointsOf(ctx: ProbeContext, rows: readonly number[]): Endpoint[] {
  const f = ctx.walk.fds;
  return rows.map((i) => ({ pid: f.pid[i], fd: f.fd[i], mode: modeOf(f.mode[i]) }));
}

/**
 * The bytes of a queue's name (without the `/`) as its fds show it. The walks give the link as
 * text, decoded lossily where the name is not UTF-8 (U+FFFD, which a name may also hold as itself):
 * then the link is read again as bytes, from this machine's /proc, and kept only if it still reads
 * as that text and the fd (fdinfo `ino:`) is still that queue. Null when no holder's fd is any more
 * (closed or replaced since the walk).
 */
function mqNameBytes(ctx: ProbeContext, g: MqFdGroup): Buffer | null {
  const text = g.text.slice(1);
  if (!text.includes('\ufffd') || ctx.procRoot !== '/proc') return Buffer.from(text);
  const f = ctx.walk.fds;
  for (const i of g.rows) {
    const at = `${ctx.procRoot}/${f.pid[i]}/`;
    try {
      const link = fs.readlinkSync(`${at}fd/${f.fd[i]}`, { encoding: 'buffer' });
      if (link.toString('utf8') !== g.text) continue;
      const ino = /^ino:\s*(\d+)$/m.exec(fs.readFileSync(`${at}fdinfo/${f.fd[i]}`, 'utf8'));
      if (ino && Number(ino[1]) === g.ino) return link.subarray(1);
    } catch {
      /* closed meanwhile: the next holder */
    }
  }
  return null;
}

function isMounted(devRoot: string, dir: string): boolean {
  try {
    const st = fs.statSync(path.join(devRoot, dir));
    if (!st.isDirectory()) return false;
    // On the real /dev the mount shows as a different device; captured trees just need the directory.
    if (devRoot === '/dev') return st.dev !== fs.statSync(devRoot).dev;
    return true;
  } catch {
    return false;
  }
}

/**
 * The entries of `dir` as raw bytes: a name that is not UTF-8 (`\xff`, which any user may put in
 * /dev/shm or /dev/mqueue) decodes lossily, and the decoded text names no file — or another one:
 * lstat must get the bytes.
 */
function* listDirRaw(dir: string): Generator<Buffer> {
  // one entry at a time: any user can put a million files in /dev/shm, and a listing read whole is
  // a million names in memory at once
  let d: fs.Dir;
  try {
    d = fs.opendirSync(dir, { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
  } catch {
    return;
  }
  try {
    for (;;) {
      let e: fs.Dirent | null;
      try {
        e = d.readSync();
      } catch {
        return;
      }
      if (e === null) return;
      yield e.name as unknown as Buffer;
    }
  } finally {
    d.closeSync();
  }
}

/**
 * /dev/shm objects no process holds, listed a snapshot at most: per owner, and in all. Any user
 * may fill /dev/shm (mode 1777) with empty files, ~1 KiB of kernel memory each: 250,000 made one
 * snapshot 2.6 s, 327 MiB and 67 MB of JSON. Held objects are always listed; the rest past the
 * bound are counted, and a warning says whose.
 */
export const UNHELD_SHM_PER_USER = 1000;
export const UNHELD_SHM_TOTAL = 10_000;

/** How a snapshot's warnings begin when some unheld /dev/shm objects were not listed. */
export const SHM_UNLISTED = '/dev/shm objects not listed:';

/** Admits unheld objects within the bounds, by owner; counts the rest. */
class UnheldShmBound {
  private readonly listed = new UserBudget(UNHELD_SHM_TOTAL, UNHELD_SHM_PER_USER);
  readonly skipped = new Map<number, number>();

  admit(uid: number): boolean {
    if (this.listed.spent(uid)) {
      this.skipped.set(uid, (this.skipped.get(uid) ?? 0) + 1);
      return false;
    }
    this.listed.spend(uid, 1);
    return true;
  }

  warning(user: (uid: number) => string): string | null {
    if (this.skipped.size === 0) return null;
    const n = [...this.skipped.values()].reduce((a, b) => a + b, 0);
    const whose = [...this.skipped].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([uid, k]) => `${user(uid)} (uid ${uid}): ${k.toLocaleString('en-US')}`);
    return `${SHM_UNLISTED} ${n.toLocaleString('en-US')} that no process holds, past the scan's bound (${UNHELD_SHM_PER_USER.toLocaleString('en-US')} per owner, ${UNHELD_SHM_TOTAL.toLocaleString('en-US')} in all) — ${whose.join('; ')}${this.skipped.size > 5 ? `; … ${this.skipped.size - 5} more owners` : ''}`;
  }
}

/** mq_getattr of each queue by its name's exact bytes (by id), a few at a time (each call is a thread), each with a deadline; a failure is the errno name (the counts stay null and say why). */
async function mqAttributes(native: NativeAddon, queues: ReadonlyArray<{ id: string; raw: Buffer }>, deadlineMs: number): Promise<Map<string, { curmsgs: number; maxmsg: number; msgsize: number } | string>> {
  const out = new Map<string, { curmsgs: number; maxmsg: number; msgsize: number } | string>();
  let next = 0;
  const lane = async () => {
    while (next < queues.length) {
      const { id, raw } = queues[next++];
      try {
        out.set(id, await withDeadline(`mq_getattr(/${raw.toString('utf8')})`, deadlineMs, () => native.mqGetattr(mqOpenName(raw))));
      } catch (e) {
        out.set(id, e instanceof DeadlineError ? 'ETIMEDOUT' : (errnoName(e) ?? 'EIO'));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, queues.length) }, lane));
  return out;
}

/** At most this many queues per snapshot are read through a holder's fd (each is a pidfd_getfd). */
const MAX_HELD_MQ_READS = 64;

/**
 * mq_getattr of queues no name of ours reaches (unlinked, another IPC namespace's — a
 * container's) through one holder's fd, as peek reads them (heldObjects.ts): a pidfd_getfd
 * duplicate checked for the queue's dev:inode, closed at once. Reading the attributes changes
 * nothing of the queue; closing a duplicate ends a notification registration only for its owner,
 * which we are not. Bounded per snapshot (the rest keep null counts, said as an error).
 */
async function heldMqAttributes(ctx: ProbeContext, native: NativeAddon, queues: readonly MqQueue[]): Promise<Map<string, MqAttr | string>> {
  const out = new Map<string, MqAttr | string>();
  let reads = 0;
  const allow = () => reads++ < MAX_HELD_MQ_READS;
  const deadlineMs = ctx.itemTimeoutMs;
  // the processes asked about first, then users in turn (heldObjects.ts readOrder)
  const ref = (q: MqQueue) => heldRef(q.id, 'posix-mq', ['deleted', 'ns'], q.endpoints, q.ino ?? 0);
  for (const q of readOrder(queues, ref, ctx)) {
    const key = heldObjectKey(q.id, 'posix-mq', ['deleted', 'ns']); // its id names its device
    if (!key || !q.ino) continue;
    const r = await mqAttrThroughHolders(native, q.endpoints, { major: key.major, minor: key.minor, inode: q.ino }, (what, fn) => withDeadline(what, deadlineMs, fn), allow);
    out.set(q.id, typeof r === 'string' ? r : r.attr);
  }
  return out;
}

function errorText(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return e instanceof Error && e.name === 'UntrustedFileError' ? e.message : `${typeof code === 'string' ? code : 'EIO'}: ${(e as Error)?.message ?? String(e)}`;
}

export const posixProbe: Probe = {
  async run(ctx) {
    const n = ctx.native;
    if (ctx.kinds.has('posix-mq')) await emitQueues(ctx, n);
    if (ctx.kinds.has('posix-shm') || ctx.kinds.has('posix-sem')) {
      const shmDir = path.join(ctx.devRoot, 'shm');
      const maps = mapHolders(ctx);
      const realShm = ctx.devRoot === '/dev';
      // dev:inode of every object listed by name: a live object whose name ends in ` (deleted)`
      // has maps lines that read as unlinked (maps lines carry no link count), and must not be
      // listed a second time
      const listed = new Set<string>();
      /** The device of our /dev/shm (its files'): another device is another mount's, a container's. */
      let shmDev: string | null = null;
      if (realShm) {
        try {
          shmDev = devName(fs.statSync(shmDir).dev);
        } catch {
          /* no /dev/shm: every object is another mount's */
        }
      }
      const unheld = new UnheldShmBound();
      for (const raw of listDirRaw(shmDir)) {
        const file = raw.toString('utf8');
        const at = Buffer.concat([Buffer.from(shmDir + '/'), raw]);
        // The id of a name that is not UTF-8 is its bytes (posixIdTail): `x\xff` and `x\xfe` both
        // read `x\ufffd`, and two channels with one id would break every view keyed by it.
        let st: fs.Stats;
        try {
          st = fs.lstatSync(at);
        } catch {
          continue;
        }
        const key = fileIdOf(st);
        listed.add(key);
        const isSem = file.startsWith('sem.') && file.length > 4;
        // A FIFO, symlink, socket or directory is no POSIX object; under a semaphore's name it is
        // shown as a semaphore row with an error (it looks like one to a user), otherwise skipped.
        if (!st.isFile() && !isSem) continue;
        // Holders by inode (names can differ: sem_open's temp file, renamed objects); in a captured
        // tree (devRoot not /dev) inodes do not match the maps, so by name.
        const eps = realShm ? [...shmFdHolders(ctx, st), ...(maps.devShmByKey.get(key)?.endpoints ?? [])] : [...(maps.devShm.get(file) ?? [])];
        if (eps.length === 0 && !unheld.admit(st.uid)) continue;
        eps.sort(byPidFd);
        if (isSem) {
          if (!ctx.kinds.has('posix-sem')) continue;
          const name = file.slice(4);
          const where = path.join(shmDir, file); // for messages; `at` is the file
          let value: number | null = null;
          let error: string | undefined;
          let readError: ReadError | undefined;
          if (!st.isFile()) {
            error = `${where} is ${fileTypeName(st)}, not a semaphore`;
            readError = { field: 'value', syscall: 'lstat', code: 'EFTYPE' };
          } else if (st.size !== SEM_T_SIZE) {
            // told by the lstat already, so also for a file we may not open (another user's, 0600)
            error = `${where} is ${st.size} bytes, not a semaphore (a glibc sem_t file is ${SEM_T_SIZE})`;
            readError = { field: 'value', syscall: 'lstat', code: 'EFTYPE' };
          } else {
            try {
              value = readSemSync(at, { dev: st.dev, ino: st.ino });
            } catch (e) {
              error = errorText(e);
              readError = { field: 'value', syscall: e instanceof UntrustedFileError ? 'fstat' : 'pread', code: e instanceof UntrustedFileError ? e.code : (errnoName(e) ?? 'EIO') };
            }
          }
          const ch: PosixSemChannel = {
            id: 'posix-sem:' + posixIdTail(raw.subarray(4)),
            kind: 'posix-sem',
            endpoints: eps,
            name,
            value,
            uid: st.uid,
            owner: ctx.user(st.uid),
            mode: octalMode(st.mode),
            fileId: key,
            ...(error !== undefined ? { error } : {}),
            ...(readError ? { errors: [readError] } : {}),
          };
          emit(ctx, ch);
        } else {
          if (!ctx.kinds.has('posix-shm')) continue;
          const ch: PosixShmChannel = {
            id: 'posix-shm:' + posixIdTail(raw),
            kind: 'posix-shm',
            endpoints: eps,
            name: file,
            size: st.size,
            uid: st.uid,
            owner: ctx.user(st.uid),
            mode: octalMode(st.mode),
            fileId: key,
            deleted: false,
          };
          emit(ctx, ch);
        }
      }
      const w = unheld.warning(ctx.user);
      if (w !== null) ctx.warnings.push(w);
      if (realShm) {
        const unlisted = emitUnlistedShm(ctx, listed, shmDev);
        if (n) await semValuesThroughMappings(ctx, n, unlisted.sems);
        await shmSizesThroughHolders(ctx, n, unlisted.shms);
      }
    }
  },
};

/** At most this many semaphores per snapshot are read through a holder's mapping (each is a pread of /proc/PID/mem). */
const MAX_MAPPED_SEM_READS = 64;

/**
 * The value of a semaphore no name of ours reaches (unlinked while mapped — Python's
 * multiprocessing locks, Apache's posixsem mutex —, or another /dev/shm's): its glibc sem_t read
 * through a holder's mapping, as peek reads it (/proc/PID/mem at the mapping, the maps line's
 * dev:inode checked by the addon right before; the holder's start time binds it). Reading changes
 * nothing in the holder. Bounded per snapshot; an unread one keeps `value: null` with its error.
 */
async function semValuesThroughMappings(ctx: ProbeContext, native: NativeAddon, sems: readonly PosixSemChannel[]): Promise<void> {
  let reads = 0;
  // a holder whose read ran out of time (its mmap lock held: a page fault on a hung mount) is not
  // asked again in this scan — one deadline per process, not one per semaphore it maps
  const stuck = new Set<number>();
  // the processes asked about first, then users in turn (heldObjects.ts readOrder): one user's
  // thousand mapped semaphores leave the others theirs
  for (const ch of readOrder(sems, (c) => heldRef(c.id, 'posix-sem', ['deleted', 'mount'], c.endpoints), ctx)) {
    const key = heldObjectKey(ch.id, 'posix-sem', ['deleted', 'mount']);
    // the sem_t is the file's first bytes: only a mapping from offset 0 shows it at its start
    const mapped = ch.endpoints.filter((e) => e.map !== undefined && MAP_RANGE.test(e.map) && !e.mapOffset);
    const ep = mapped.find((e) => !stuck.has(e.pid));
    const startTime = ep ? ctx.processes.get(ep.pid)?.startTime : undefined;
    if (!key || key.inode === null || mapped.length === 0) continue; // held only by fds: nothing mapped to read
    let code: string;
    if (!ep) code = 'ETIMEDOUT'; // every holder that maps it timed out on an earlier one
    else if (startTime === undefined) code = 'ESRCH';
    else if (reads >= MAX_MAPPED_SEM_READS) code = 'EAGAIN';
    else {
      reads++;
      const inode = key.inode;
      try {
        const bytes = await withDeadline(`read /proc/${ep.pid}/mem (semaphore)`, ctx.itemTimeoutMs, () =>
          native.memRead(ep.pid, startTime, ep.map!, mapsDev(key.major, key.minor), inode, 0, SEM_T_SIZE, 0),
        );
        ch.value = decodeSem(ch.id, SEM_T_SIZE, Buffer.from(bytes));
        continue;
      } catch (e) {
        if (e instanceof DeadlineError) stuck.add(ep.pid);
        code = e instanceof DeadlineError ? 'ETIMEDOUT' : e instanceof UntrustedFileError ? e.code : (errnoName(e) ?? 'EIO');
      }
    }
    (ch.errors ??= []).push({ field: 'value', syscall: 'pread', code });
  }
}

/**
 * A named semaphore of another /dev/shm, by its holders (sem_open maps the file and closes it).
 * Its name is what the mapping shows: the process that created it mapped glibc's temp file
 * `sem.XXXXXX` before linking it under its name, so it shows that one (deleted).
 */
/** A semaphore no name of ours reaches, by its holders' mappings: another /dev/shm's, or one unlinked (sem_unlink) while still mapped. */
function emitUnnamedSem(ctx: ProbeContext, key: string, g: { name: string; nameHex?: string; endpoints: Endpoint[] }, other: boolean): PosixSemChannel {
  // a name that is not UTF-8: its bytes after `sem.` (ASCII: four bytes)
  const nameBytes = g.nameHex?.startsWith(SEM_HEX) ? g.nameHex.slice(SEM_HEX.length) : undefined;
  const ch: PosixSemChannel = {
    id: `posix-sem:${other ? 'mount' : 'deleted'}/${key}`,
    kind: 'posix-sem',
    endpoints: g.endpoints.sort(byPidFd),
    name: g.name.slice('sem.'.length),
    ...(nameBytes ? { nameBytes } : {}),
    value: null,
    uid: null,
    owner: null,
    mode: null,
    ...(other ? { otherMount: true } : { deleted: true }),
  };
  emit(ctx, ch);
  return ch;
}

/** A POSIX queue being assembled: its name's bytes (null: unlinked, no name left), its file's lstat when listed, its holders. */
interface MqQueue {
  id: string;
  name: string;
  raw: Buffer | null;
  st: fs.Stats | null;
  endpoints: Endpoint[];
  /** Another IPC namespace's queue: its name here is not it. */
  other?: boolean;
  /** Its inode, when only its holders' fds reach it (deleted, another namespace's). */
  ino?: number;
  /** A deleted queue's name's bytes (hex), when they are not UTF-8. */
  nameHex?: string;
  /** The file its holders' fds reach (dev:inode), for a named queue of ours that the listing missed (/dev/mqueue not mounted). */
  heldFile?: string;
}

/**
 * The device of this IPC namespace's queue filesystem (each IPC namespace has one of its own):
 * /dev/mqueue's when it is mounted, else that of a queue a process of this namespace holds. Null
 * when that cannot be told (a captured tree, no holder here): every queue is then taken as this
 * namespace's. (The walk gives each process's IPC namespace.)
 */
function ownQueueDev(ctx: ProbeContext, dir: string | null, groups: ReadonlyMap<string, MqFdGroup>, ownNs: string | null): string | null {
  if (ctx.devRoot !== '/dev' || ctx.procRoot !== '/proc') return null;
  if (dir !== null) {
    try {
      return devName(fs.statSync(dir).dev);
    } catch {
      /* unmounted since: ask the holders */
    }
  }
  if (ownNs === null) return null;
  for (const g of groups.values()) {
    for (const i of g.rows) if (ctx.processes.get(ctx.walk.fds.pid[i])?.ipcns === ownNs) return devName(g.dev);
  }
  return null;
}

/**
 * POSIX message queues: every /dev/mqueue entry by its bytes (a name that is not UTF-8 reads with
 * U+FFFD, alike for `q\xff` and `q\xfe` and equal to a real `q\ufffd`), its fds joined by its
 * file's dev:inode; fds that match no entry — all of them when /dev/mqueue is not mounted, a
 * queue made after the listing, another IPC namespace's — by the name's bytes, and a queue
 * mq_unlink-ed while held once per dev:inode (`posix-mq:deleted/DEV:INODE`). Counts from the file
 * (QSIZE, NOTIFY_PID) and mq_getattr, both reached by the bytes. On a captured tree (devRoot not
 * /dev) inodes are stand-ins: entries and fds are joined by name.
 */
async function emitQueues(ctx: ProbeContext, native: NativeAddon | null): Promise<void> {
  const mounted = isMounted(ctx.devRoot, 'mqueue');
  ctx.capabilities.mqueueMounted = mounted;
  if (!mounted) {
    ctx.warnings.push(
      `POSIX message queues: /dev/mqueue is not mounted, so only the queues a process holds open are listed, without their bytes, owner and mode${native ? ' (their message counts are read all the same)' : ' (and without the addon, without their message counts)'}. ` +
        'Mount it with: mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue',
    );
  }
  const dir = path.join(ctx.devRoot, 'mqueue');
  const fileOf = (raw: Buffer) => Buffer.concat([Buffer.from(dir + '/'), raw]);
  const groups = mqFdGroups(ctx);
  const byInode = ctx.devRoot === '/dev';
  const queues = new Map<string, MqQueue>();
  const named = (raw: Buffer): MqQueue => {
    const id = 'posix-mq:' + posixIdTail(raw);
    let q = queues.get(id);
    if (!q) queues.set(id, (q = { id, name: raw.toString('utf8'), raw, st: null, endpoints: [] }));
    return q;
  };
  if (mounted) {
    for (const raw of listDirRaw(dir)) {
      let st: fs.Stats;
      try {
        st = fs.lstatSync(fileOf(raw));
      } catch {
        continue; // removed since the listing
      }
      const q = named(raw);
      q.st = st;
      if (!byInode) continue;
      const key = fileIdOf(st);
      const g = groups.get(key);
      if (g && !g.unlinked) {
        append(q.endpoints, endpointsOf(ctx, g.rows));
        groups.delete(key);
      }
    }
  }
  const ownNs = ownIpcns(ctx);
  const own = ownQueueDev(ctx, mounted ? dir : null, groups, ownNs);
  // another IPC namespace's queue: on another queue filesystem than ours, or — when ours is not
  // known (not mounted, no holder of ours) — held only by processes of other IPC namespaces
  const elsewhere = (g: MqFdGroup): boolean => {
    if (own !== null) return devName(g.dev) !== own;
    if (ownNs === null) return false;
    const ns = g.rows.map((i) => ctx.processes.get(ctx.walk.fds.pid[i])?.ipcns);
    return ns.some((x) => !!x) && ns.every((x) => !x || x !== ownNs);
  };
  for (const [key, g] of groups) {
    if (g.unlinked) {
      // no name left to list it by or to open it with: one row per inode, its holders, no counts
      const cut = g.text.endsWith(' (deleted)');
      const name = g.text.slice(1, cut ? -' (deleted)'.length : undefined);
      // a name that is not UTF-8 (the link text lossy): its bytes, without the `/` and ` (deleted)`
      const hex = pathHexOf(ctx.walk, g.pathIndex);
      const nameHex = hex?.startsWith('2f') ? hex.slice(2, cut && hex.endsWith(DELETED_HEX) ? -DELETED_HEX.length : undefined) : undefined;
      const other = elsewhere(g);
      queues.set(`posix-mq:deleted/${key}`, { id: `posix-mq:deleted/${key}`, name, raw: null, st: null, endpoints: endpointsOf(ctx, g.rows), other, ino: g.ino, ...(nameHex ? { nameHex } : {}) });
      continue;
    }
    const raw = mqNameBytes(ctx, g);
    if (raw === null || raw.length === 0) continue; // every holder closed or replaced it since the walk
    if (elsewhere(g)) {
      // Another IPC namespace's queue (a container's): joined by name it would merge into this
      // namespace's queue of that name, take its counts, and send peeks and removes to it.
      const id = `posix-mq:ns/${devName(g.dev)}/${posixIdTail(raw)}`;
      const q = queues.get(id) ?? { id, name: raw.toString('utf8'), raw, st: null, endpoints: [], other: true, ino: g.ino };
      append(q.endpoints, endpointsOf(ctx, g.rows));
      queues.set(id, q);
      continue;
    }
    const q = named(raw);
    append(q.endpoints, endpointsOf(ctx, g.rows));
    q.heldFile ??= fileIdOf(g);
  }
  const withName = [...queues.values()].filter((q): q is MqQueue & { raw: Buffer } => q.raw !== null && !q.other);
  const attrs = native ? await mqAttributes(native, withName, ctx.itemTimeoutMs) : new Map<string, never>();
  if (native?.mqGetattrFd) {
    const held = [...queues.values()].filter((q) => q.raw === null || q.other);
    for (const [id, a] of await heldMqAttributes(ctx, native, held)) attrs.set(id, a);
  }
  for (const q of queues.values()) {
    const ch: PosixMqChannel = {
      id: q.id,
      kind: 'posix-mq',
      endpoints: q.endpoints.sort(byPidFd),
      name: q.name,
      messages: null,
      maxMessages: null,
      messageSize: null,
      bytes: null,
      notifyPid: null,
      uid: null,
      owner: null,
      mode: null,
      ...(q.nameHex !== undefined ? { nameBytes: q.nameHex } : {}),
      deleted: q.raw === null,
      otherNamespace: q.other === true,
      ...(q.ino !== undefined ? { inode: q.ino } : {}),
      ...(q.heldFile !== undefined && !q.other ? { fileId: q.heldFile } : {}),
    };
    const errors: ReadError[] = [];
    const failed = (fields: string[], syscall: string, e: unknown) => {
      const code = typeof e === 'string' ? e : e instanceof UntrustedFileError ? e.code : (errnoName(e) ?? 'EIO');
      for (const field of fields) errors.push({ field, syscall, code });
    };
    if (mounted && q.raw !== null && !q.other) {
      const file = fileOf(q.raw);
      let st = q.st;
      if (!st) {
        try {
          st = fs.lstatSync(file);
        } catch (e) {
          failed(['uid', 'owner', 'mode', 'bytes', 'notifyPid'], 'lstat', e); // ENOENT: held only through fds (another IPC namespace, or gone)
        }
      }
      if (st) {
        ch.uid = st.uid;
        ch.owner = ctx.user(st.uid);
        ch.mode = octalMode(st.mode);
        ch.fileId = fileIdOf(st);
        try {
          const info = parseMqueueFile(readSmallSync(file, 4096, { dev: st.dev, ino: st.ino }));
          ch.bytes = info.qsize;
          ch.notifyPid = info.notifyPid;
        } catch (e) {
          failed(['bytes', 'notifyPid'], 'read', e);
        }
      }
    }
    const a = attrs.get(q.id);
    if (typeof a === 'object') {
      ch.messages = a.curmsgs;
      ch.maxMessages = a.maxmsg;
      ch.messageSize = a.msgsize;
    } else if (typeof a === 'string') failed(['messages', 'maxMessages', 'messageSize'], 'mq_getattr', a);
    if (errors.length) ch.errors = errors;
    emit(ctx, ch);
  }
}

/** The fds of /dev/shm files whose dev:inode is `st`'s (the fd index is by inode only). */
function shmFdHolders(ctx: ProbeContext, st: fs.Stats): Endpoint[] {
  const f = ctx.walk.fds;
  const dev = devName(st.dev);
  const out: Endpoint[] = [];
  for (let i = ctx.index.head(DEVSHM_FDS.rule.code, st.ino); i >= 0; i = ctx.index.next[i]) {
    if (devName(f.dev[i]) === dev) out.push({ pid: f.pid[i], fd: f.fd[i], mode: modeOf(f.mode[i]) });
  }
  return out;
}

/**
 * POSIX shared memory held or mapped but not in our /dev/shm listing, one channel per dev:inode
 * from the fds (their link) and the maps lines (`/dev/shm/NAME`):
 * - unlinked while still held or mapped (a creator often calls shm_unlink while others keep using
 *   the object; lsof shows `/dev/shm/NAME (deleted)`): `posix-shm:deleted/DEV:INODE`, deleted —
 *   fds told by the walk's MODE_UNLINKED bit, maps lines by ` (deleted)`, except objects the
 *   listing has (their maps lines only look unlinked when the name ends in ` (deleted)`);
 * - a file of another /dev/shm, another mount's tmpfs (a container's, or a user's own mount
 *   namespace), whose inode numbers start over: `posix-shm:mount/DEV:INODE`, otherMount — never
 *   joined to one of ours by inode or name;
 * - a file under a subdirectory of /dev/shm (the listing reads the top level, where POSIX names
 *   live): `posix-shm:file/DEV:INODE`, subdir — shared memory all the same (lsof lists it); by
 *   dev:inode, so a directory called `deleted` or `sem.x` is neither;
 * - one of ours made after the listing: left to the next snapshot.
 * glibc's sem_open temp files (`sem.XXXXXX (deleted)`, a moment before they get their name) and
 * semaphores are left out. Only on the real /dev (a captured tree's inodes are not these).
 */
/**
 * Emits the /dev/shm objects no listing of ours named; returns the semaphores among them (their
 * values are read after) and the shared memory objects with how far their mappings reach (their sizes
 * are read after: shmSizesThroughHolders).
 */
function emitUnlistedShm(ctx: ProbeContext, listed: ReadonlySet<string>, shmDev: string | null): { sems: PosixSemChannel[]; shms: UnlistedShm[] } {
  const sems: PosixSemChannel[] = [];
  const shms: UnlistedShm[] = [];
  const groups = new Map<string, { name: string; nameHex?: string; size: number | null; deleted: boolean; endpoints: Endpoint[] }>();
  const f = ctx.walk.fds;
  for (const row of ctx.index.heads(DEVSHM_FDS.rule.code)) {
    for (let i = row; i >= 0; i = ctx.index.next[i]) {
      const pi = f.pathIndex[i];
      const link = pi >= 0 ? ctx.walk.paths[pi] : '';
      if (!link.startsWith('/dev/shm/')) continue;
      const key = `${devName(f.dev[i])}:${f.inode[i]}`;
      if (listed.has(key)) continue;
      // unlinked by the inode (the walk's mode bit), not by the text: a live name may end in ` (deleted)`
      const unlinked = (f.mode[i] & MODE_UNLINKED) !== 0;
      const cut = unlinked && link.endsWith(' (deleted)');
      const name = link.slice('/dev/shm/'.length, cut ? -' (deleted)'.length : undefined);
      // a name that is not UTF-8 (its link text lossy): its bytes, without the directory and ` (deleted)`
      const hex = pathHexOf(ctx.walk, pi);
      const nameHex = hex?.startsWith(DEVSHM_HEX) ? hex.slice(DEVSHM_HEX.length, cut && hex.endsWith(DELETED_HEX) ? -DELETED_HEX.length : undefined) : undefined;
      const g = groups.get(key) ?? { name, ...(nameHex ? { nameHex } : {}), size: null, deleted: false, endpoints: [] };
      if (unlinked) g.deleted = true;
      g.endpoints.push({ pid: f.pid[i], fd: f.fd[i], mode: modeOf(f.mode[i]) });
      groups.set(key, g);
    }
  }
  for (const [key, m] of mapHolders(ctx).devShmByKey) {
    if (listed.has(key)) continue;
    const g = groups.get(key) ?? { name: m.name, size: null, deleted: false, endpoints: [] };
    // a name that is not UTF-8 known only from the mappings: their bytes (the fds' first, when they gave the same name)
    if (g.nameHex === undefined && m.nameHex !== undefined && g.name === m.name) g.nameHex = m.nameHex;
    g.size = Math.max(g.size ?? 0, m.size); // only what the file's size falls back to (shmSizesThroughHolders)
    if (m.deleted) g.deleted = true;
    append(g.endpoints, m.endpoints);
    groups.set(key, g);
  }
  for (const [key, g] of groups) {
    const other = shmDev === null || key.slice(0, key.lastIndexOf(':')) !== shmDev;
    // a file under a subdirectory (no POSIX name has a `/`): never a semaphore, whatever its directory is called
    const subdir = g.name.includes('/');
    if (!subdir && g.name.startsWith('sem.')) {
      // Ours with a name are listed by it (the creator's mapping shows glibc's temp file,
      // `sem.XXXXXX (deleted)`, linked under the real name since: the same dev:inode, listed).
      // Ours without one were unlinked while mapped (sem_unlink right after sem_open: Apache's
      // posixsem mutex, Python's multiprocessing); another /dev/shm's, deleted or not, by the mapping.
      if (g.name.length > 4 && ctx.kinds.has('posix-sem') && (other || g.deleted)) sems.push(emitUnnamedSem(ctx, key, g, other));
      continue;
    }
    if (!ctx.kinds.has('posix-shm')) continue;
    if (!g.deleted && !other && !subdir) continue;
    const ch: PosixShmChannel = {
      id: `posix-shm:${g.deleted ? 'deleted' : other ? 'mount' : 'file'}/${key}`,
      kind: 'posix-shm',
      endpoints: g.endpoints.sort(byPidFd),
      name: g.name,
      ...(g.nameHex !== undefined ? { nameBytes: g.nameHex } : {}),
      size: null, // the file's, read through a holder after (shmSizesThroughHolders)
      uid: null,
      owner: null,
      mode: null,
      deleted: g.deleted,
      ...(other ? { otherMount: true } : {}),
      ...(subdir ? { subdir: true } : {}),
    };
    emit(ctx, ch);
    shms.push({ ch, mapped: g.size });
  }
  return { sems, shms };
}

/** An unlisted shared memory object and how far its mappings reach into it (null: only fds hold it). */
interface UnlistedShm {
  ch: PosixShmChannel;
  mapped: number | null;
}

/** At most this many size reads per snapshot (each is a thread; any user can make thousands of such files). */
const MAX_HELD_SIZE_READS = 64;

/**
 * The size of each /dev/shm object no listing of ours named, read through its holders (an fd or a
 * mapping: heldObjects.ts fileSizeThroughHolders) — not its mappings' length, which may be longer
 * than the file or cover part of it. When none answers (their fds and mappings not ours to follow:
 * another user's processes, map_files without root; the scan's bound; no addon), `size` is the
 * furthest the mappings seen reach and `sizeIsMapping` says so, or null when only fds hold it; either way an
 * errors[] entry says why the file's size is missing.
 */
async function shmSizesThroughHolders(ctx: ProbeContext, native: NativeAddon | null, shms: readonly UnlistedShm[]): Promise<void> {
  const budget: HeldSizeBudget = { calls: MAX_HELD_SIZE_READS, skip: new Map() };
  // the processes asked about first, then users in turn, each one's oldest first (heldObjects.ts readOrder)
  for (const { ch, mapped } of readOrder(shms, ({ ch }) => heldRef(ch.id, 'posix-shm', ['deleted', 'mount', 'file'], ch.endpoints), ctx)) {
    const key = heldObjectKey(ch.id, 'posix-shm', ['deleted', 'mount', 'file']);
    await sizeThroughHolders(native, ch, key && key.inode !== null ? { major: key.major, minor: key.minor, inode: key.inode } : null, mapped, ctx.itemTimeoutMs, budget);
  }
}
