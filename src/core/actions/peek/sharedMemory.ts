// Shared memory, a page at an offset: SysV segments attached read-only (shmat SHM_RDONLY), POSIX
// objects pread from /dev/shm through a checked handle (untrustedFiles.ts: never mapped), unnamed
// shared memory and shared file mappings read through a holder's /proc/PID/mem, through a mapping
// that covers the offset asked for (ptrace-read permission; the addon re-checks the maps line's
// dev:inode and offset right before reading). Every offset is the object's, as pread counts it.
import type { AnonShmChannel, Endpoint, FileShmChannel, PosixShmChannel, SysvShmChannel } from '../../model';
import type { NativeAddon } from '../../native';
import { openRegular } from '../../untrustedFiles';
import { byteCount } from '../../text';
import { ActionError } from '../errors';
import { explainPeek, isFatal, needNative, ownerOf, posixObjectFile, shownFile, type PeekContext, type Peeker } from './common';
import { shownName } from '../../format';
import type { BytesPeek } from './types';
import { fileSizeThroughHolders, heldObjectKey, MAP_RANGE, mapsDev, parseMapsDev } from '../../heldObjects';
import { DeadlineError, TooManyStuckError } from '../../deadline';

/**
 * Another IPC namespace's segment (a container's) can be read only through an attacher of its
 * own namespace (the probe joins attachers within it): its shmid names another segment here, or
 * none, so shmat is never an option for it.
 */
export function throughAttacher(channel: { kind: string }): boolean {
  const c = channel as Partial<SysvShmChannel> & { kind: string };
  return c.kind === 'sysv-shm' && c.mapDev !== undefined && (c.endpoints ?? []).some((e) => e.map !== undefined);
}

export const peekSysvShm: Peeker<SysvShmChannel> = async (ctx) => {
  const { channel, native, maxBytes, offset, base, at, call } = ctx;
  const what = `read SysV shared memory segment ${channel.shmid}${channel.ipcns ? ` of IPC namespace ${channel.ipcns}` : ''}`;
  if (channel.ipcns) {
    // only ever through its attacher's mapping (peekChannel lets nothing else through)
    base.notes.push(`a segment of another IPC namespace (a container's): read through the mapping of a process of that namespace, never by its id`);
    return readMapping(ctx, channel.mapDev!, channel.shmid, what, { fixed: channel.size });
  }
  // Through an attacher's mapping when one is known: shmat would set the segment's shm_lpid and
  // shm_atime/shm_dtime and raise shm_nattch while it reads (a starting PostgreSQL takes an
  // attached segment for a live postmaster's).
  if (channel.mapDev !== undefined && channel.endpoints.some((e) => e.map !== undefined)) {
    try {
      return await readMapping(ctx, channel.mapDev, channel.shmid, what, { fixed: channel.size });
    } catch (e) {
      if (isFatal(e)) throw e;
      base.notes.push(`read through a mapping failed (${(e as Error).message}): attached instead`);
    }
  }
  const addon = needNative(native, what);
  const size = channel.size;
  if (offset > size) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${byteCount(size)})`);
  const length = Math.min(maxBytes, size - offset);
  let data: Buffer;
  try {
    data = Buffer.from(await call(what, () => addon.shmRead(channel.shmid, offset, length)));
  } catch (e) {
    throw explainPeek(e, { what, ...ownerOf(channel) });
  }
  base.notes.push('read by attaching it (no process of the snapshot maps it): shmat sets its last pid and attach time, shmdt its detach time');
  return { ...base, type: 'bytes', at: at(), method: 'shmat(SHM_RDONLY)', offset, data, total: size, truncated: offset + data.length < size };
};

export const peekPosixShm: Peeker<PosixShmChannel> = async (ctx) => {
  const { channel, devRoot, maxBytes, offset, base, at, call } = ctx;
  if (channel.deleted || channel.otherMount || channel.subdir) {
    // a subdirectory's file is not opened by its path: its directories are their creator's to swap
    const what = channel.deleted ? `an unlinked POSIX shared memory object (/dev/shm/${shownName(channel)} (deleted))` : channel.otherMount ? `a POSIX shared memory object of another /dev/shm (${shownName(channel)})` : `a shared memory file under a subdirectory of /dev/shm (${shownName(channel)})`;
    return readUnnamed(ctx, what);
  }
  const file = posixObjectFile(channel, devRoot, 'shm');
  const what = `read ${shownFile(file)}`;
  try {
    return await call(what, async () => {
      const { handle, stat } = await openRegular(file);
      try {
        const size = stat.size;
        if (offset > size) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${byteCount(size)})`);
        const buf = Buffer.alloc(Math.min(maxBytes, size - offset));
        let got = 0;
        while (got < buf.length) {
          const { bytesRead } = await handle.read(buf, got, buf.length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return { ...base, type: 'bytes' as const, at: at(), method: `pread(${shownFile(file)})`, offset, data: buf.subarray(0, got), total: size, truncated: offset + got < size };
      } finally {
        await handle.close();
      }
    });
  } catch (e) {
    throw explainPeek(e, { what, ...ownerOf(channel) });
  }
};

/**
 * An unlinked object, another /dev/shm's, or a file under a subdirectory of it
 * (`KIND:deleted/DEV:INODE`, `KIND:mount/DEV:INODE`, `posix-shm:file/DEV:INODE`): no name of ours opens it. Through a mapping, as unnamed shared memory is read; the id carries its
 * dev:inode (decimal), the maps line its dev in hex.
 */
export function readUnnamed(ctx: PeekContext, what: string): Promise<BytesPeek> {
  const { channel } = ctx;
  const key = heldObjectKey(channel.id, channel.kind, ['deleted', 'mount', 'file']);
  if (!key || key.inode === null) throw new ActionError('EINVAL', `${channel.id}: not an id of an unlinked or another /dev/shm's object`);
  // the snapshot's reading of the file's size, for when none can be read now (not a mapping's length)
  const c = channel as Partial<PosixShmChannel>;
  const known = channel.kind === 'posix-shm' && typeof c.size === 'number' && !c.sizeIsMapping ? c.size : undefined;
  return readMapping(ctx, mapsDev(key.major, key.minor), key.inode, what, { known });
}

// Shared anonymous memory (/dev/zero, anon_hugepage) is as long as its mapping; a memfd is a file,
// which a mapping may outrun like any other.
export const peekAnonShm: Peeker<AnonShmChannel> = (ctx) =>
  readMapping(ctx, ctx.channel.dev, ctx.channel.inode, ctx.channel.name, { mappingIsObject: !ctx.channel.name.startsWith('memfd:') });

// Through a mapping, not by the path: the path is the mapping process's view (another mount
// namespace's, or a file since replaced), and its directories are someone else's.
export const peekFileShm: Peeker<FileShmChannel> = (ctx) => readMapping(ctx, ctx.channel.dev, ctx.channel.inode, ctx.channel.path);

/** A holder's mapping as a window of the object: bytes [from, to) of it, byte `from` at address `lo`. */
interface MapWindow {
  ep: Endpoint & { map: string };
  lo: number;
  from: number;
  to: number;
}

/** The windows the channel's mappings show of the object (Endpoint.mapOffset: where each starts in it). */
function mapWindows(endpoints: readonly Endpoint[]): MapWindow[] {
  const out: MapWindow[] = [];
  for (const e of endpoints) {
    if (e.map === undefined || !MAP_RANGE.test(e.map)) continue;
    const [lo, hi] = e.map.split('-').map((h) => parseInt(h, 16));
    const from = e.mapOffset ?? 0;
    // a window past 2^53 cannot be asked for exactly (offsets are JS numbers): left out
    if (!(hi > lo) || !Number.isSafeInteger(from) || !Number.isSafeInteger(from + hi - lo)) continue;
    out.push({ ep: e as Endpoint & { map: string }, lo, from, to: from + hi - lo });
  }
  return out;
}

/** `bytes 0–8191 (pid 12), bytes 16384–20479 (pids 13, 14)`: the distinct windows, by where they start, at most `max`. */
function windowsText(windows: readonly MapWindow[], max = 6): string {
  const byRange = new Map<string, { from: number; to: number; pids: Set<number> }>();
  for (const w of windows) {
    const k = `${w.from}-${w.to}`;
    const r = byRange.get(k) ?? { from: w.from, to: w.to, pids: new Set<number>() };
    r.pids.add(w.ep.pid);
    byRange.set(k, r);
  }
  const all = [...byRange.values()].sort((a, b) => a.from - b.from || a.to - b.to);
  const shown = all.slice(0, max).map((r) => {
    const pids = [...r.pids];
    return `bytes ${r.from}\u2013${r.to - 1} (pid${pids.length > 1 ? 's' : ''} ${pids.slice(0, 4).join(', ')}${pids.length > 4 ? ', \u2026' : ''})`;
  });
  return shown.join(', ') + (all.length > max ? `, \u2026 ${all.length - max} more` : '');
}

/**
 * The window to read byte `offset` through (`atEnd`: one that ends there will do, for a read of
 * nothing at the object's end): the caller's own processes first (ptrace-read is likelier to be
 * allowed), then the one that reaches furthest, then the snapshot's order.
 */
function windowAt(windows: readonly MapWindow[], offset: number, procs: PeekContext['procs'], atEnd = false): MapWindow | undefined {
  const euid = process.geteuid?.() ?? -1;
  const rank = (w: MapWindow) => (procs.get(w.ep.pid)?.uid === euid ? 0 : 1);
  let best: MapWindow | undefined;
  for (const w of windows) {
    if (w.from > offset || (atEnd ? w.to < offset : w.to <= offset)) continue;
    if (!best || rank(w) < rank(best) || (rank(w) === rank(best) && w.to > best.to)) best = w;
  }
  return best;
}

/**
 * No name to open: read through a holder's address space (/proc/PID/mem at the mapping's address).
 * Same permission as ptrace-attach; nothing in the holder changes. `dev` as in maps (`00:01`).
 * The offset is the object's, as pread on the file or shmat of a segment count it: a mapping shows
 * the object from its maps offset on (mmap(fd, len, offset), a segment whose first pages were
 * unmapped), and holders may map different windows of it — byte N is read through a mapping that
 * covers it, at lo + N - its offset, and the read stops at that mapping's end.
 * The read stops at the object's end too: a mapping may be longer than its file
 * (mmap past the end is allowed: Berkeley DB maps 1 MiB over a 280 KiB file), and the pages past
 * the file's last one fault — /proc/PID/mem gives EIO there. `size.fixed`: the object's own size
 * (a SysV segment's shm_segsz; it is mapped in whole pages); `size.mappingIsObject`: the mappings
 * are all there is (shared anonymous memory: as long as the furthest they reach). Otherwise the
 * file's size is read now, through a holder (heldObjects.ts fileSizeThroughHolders), else
 * `size.known` (the snapshot's reading of it), else the furthest the mappings reach bounds the
 * read, and a note says so.
 */
async function readMapping(ctx: PeekContext, dev: string, inode: number, what0: string, size: { fixed?: number; known?: number; mappingIsObject?: boolean } = {}): Promise<BytesPeek> {
  const { channel, procs, native, maxBytes, offset, base, at, call } = ctx;
  const windows = mapWindows(channel.endpoints);
  if (windows.length === 0) throw new ActionError('ENOENT', `${what0}: no process maps it (only fds hold it), and it has no name to open`, 'refresh');
  let win = windowAt(windows, offset, procs);
  const readAt = (w: MapWindow) => `read /proc/${w.ep.pid}/mem at 0x${(w.lo + offset - w.from).toString(16)}`;
  // the address read, not the mapping's start: lo + (offset - the mapping's offset into the object)
  const what = win ? readAt(win) : what0;
  const addon = needNative(native, what);
  let reach = 0;
  for (const w of windows) if (w.to > reach) reach = w.to;
  let total = reach;
  let sizeNote: string | undefined;
  if (size.fixed !== undefined) {
    if (size.fixed >= 0) total = size.fixed;
  } else if (!size.mappingIsObject) {
    const file = await objectFileSize(ctx, addon, (win ?? windows[0]).ep, dev, inode, what);
    if (typeof file === 'number') total = file;
    else if (size.known !== undefined) {
      total = size.known;
      sizeNote = `its size could not be read now (${file}): the snapshot's, ${byteCount(size.known)}`;
    } else sizeNote = `its size could not be read (${file}): the read is bounded by the mappings, which reach ${byteCount(reach)} into it and may run past the file's end`;
  }
  if (sizeNote) base.notes.push(sizeNote);
  if (offset > total) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${byteCount(total)})`);
  // at the end exactly: nothing to read, through a mapping that ends there as well as one past it
  if (!win && offset === total) win = windowAt(windows, offset, procs, true);
  if (!win) {
    throw new ActionError('ENXIO', `${what0}: no process maps byte ${offset} of it; the mappings show ${windowsText(windows)} of its ${byteCount(total)}`, 'peek at an offset inside one of those windows');
  }
  const w = win;
  const where = readAt(w);
  const end = Math.min(total, w.to);
  const length = Math.max(0, Math.min(maxBytes, end - offset));
  if (end < total && offset + maxBytes > end) {
    // a mapping of part of the object shows that part: the read stops at its end, and says where the rest is
    const next = windowAt(windows, end, procs);
    base.notes.push(`the mapping read (pid ${w.ep.pid}) shows bytes ${w.from}\u2013${w.to - 1} of the object: the read stops at its end; ${next ? `byte ${end} on is mapped by pid ${next.ep.pid}: peek at offset ${end}` : `no process maps byte ${end}`}`);
  }
  const startTime = procs.get(w.ep.pid)?.startTime ?? -1;
  let data: Buffer;
  try {
    data = Buffer.from(await call(where, () => addon.memRead(w.ep.pid, startTime, w.ep.map, dev, inode, offset - w.from, length, w.from)));
  } catch (e) {
    const code = (e as { code?: unknown })?.code;
    if (sizeNote && (code === 'EIO' || code === 'EFAULT')) {
      throw new ActionError(code, `${where}: nothing readable there (${code}): probably past the end of the file, which the mapping outruns`, 'peek at a lower offset');
    }
    throw explainPeek(e, { what: where, pid: w.ep.pid, ptrace: true });
  }
  return {
    ...base, type: 'bytes', at: at(), method: `pread(/proc/${w.ep.pid}/mem) of the mapping ${w.ep.map}, bytes ${w.from}\u2013${w.to - 1} of the object (checked ${dev}:${inode} and the offset in maps)`,
    offset, data, total, truncated: offset + data.length < total,
  };
}

/**
 * The size of the file a mapping shows, read now through its holders (their fds, then their
 * mappings, the one about to be read first; the dev:inode is checked on each), or why not
 * (`EPERM from open`). A deadline or a full set of stuck calls ends the peek: the read itself
 * would wait the same way.
 */
async function objectFileSize(ctx: PeekContext, addon: NativeAddon, ep: Endpoint, dev: string, inode: number, what: string): Promise<number | string> {
  const { major, minor } = parseMapsDev(dev);
  if (!Number.isInteger(major) || !Number.isInteger(minor)) return 'EINVAL from maps';
  let fatal: unknown;
  const attempt = async <T>(w: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await ctx.call(w, fn);
    } catch (e) {
      if (e instanceof DeadlineError || e instanceof TooManyStuckError) fatal ??= e;
      throw e;
    }
  };
  const holders = [ep, ...ctx.channel.endpoints.filter((e) => e !== ep)];
  const r = await fileSizeThroughHolders(addon, holders, { major, minor, inode }, attempt, { calls: 4, skip: new Map() });
  if (fatal) throw explainPeek(fatal, { what, pid: ep.pid, ptrace: true });
  return 'size' in r ? r.size : `${r.code} from ${r.syscall}`;
}
