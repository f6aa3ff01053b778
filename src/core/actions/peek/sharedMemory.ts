// Shared memory, a page at an offset: SysV segments attached read-only (shmat SHM_RDONLY), POSIX
// objects pread from /dev/shm through a checked handle (untrustedFiles.ts: never mapped), unnamed
// shared memory and shared file mappings read through a holder's /proc/PID/mem at the mapping's
// address (ptrace-read permission; the addon re-checks the maps line's dev:inode right before reading).
import type { AnonShmChannel, Endpoint, FileShmChannel, PosixShmChannel, SysvShmChannel } from '../../model';
import type { NativeAddon } from '../../native';
import { openRegular } from '../../untrustedFiles';
import { ActionError } from '../errors';
import { explainPeek, isFatal, needNative, ownerOf, posixObjectFile, shownFile, type PeekContext, type Peeker } from './common';
import { shownName } from '../../format';
import type { BytesPeek } from './types';
import { fileSizeThroughHolders, heldObjectKey, MAP_RANGE, mapsDev } from '../../heldObjects';
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
  if (offset > size) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${size} bytes)`);
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
        if (offset > size) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${size} bytes)`);
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

/**
 * No name to open: read through a holder's address space (/proc/PID/mem at the mapping's address).
 * Same permission as ptrace-attach; nothing in the holder changes. `dev` as in maps (`00:01`).
 * The read stops at the object's end, not the mapping's: a mapping may be longer than its file
 * (mmap past the end is allowed: Berkeley DB maps 1 MiB over a 280 KiB file), and the pages past
 * the file's last one fault — /proc/PID/mem gives EIO there. `size.fixed`: the object's own size
 * (a SysV segment's shm_segsz; it is mapped in whole pages); `size.mappingIsObject`: the mapping is
 * all there is (shared anonymous memory). Otherwise the file's size is read now,
 * through a holder (heldObjects.ts fileSizeThroughHolders), else `size.known` (the snapshot's
 * reading of it), else the mapping's length bounds the read, and a note says so.
 */
async function readMapping(ctx: PeekContext, dev: string, inode: number, what0: string, size: { fixed?: number; known?: number; mappingIsObject?: boolean } = {}): Promise<BytesPeek> {
  const { channel, procs, native, maxBytes, offset, base, at, call } = ctx;
  const ep = channel.endpoints.find((e) => e.map !== undefined && MAP_RANGE.test(e.map));
  if (!ep || ep.map === undefined) throw new ActionError('ENOENT', `${what0}: no process maps it (only fds hold it), and it has no name to open`, 'refresh');
  const range = ep.map;
  const [lo, hi] = range.split('-').map((h) => parseInt(h, 16));
  // the address read, not the mapping's start: lo + offset
  const what = `read /proc/${ep.pid}/mem at 0x${(lo + offset).toString(16)}`;
  const addon = needNative(native, what);
  let total = hi - lo;
  let sizeNote: string | undefined;
  if (size.fixed !== undefined) {
    if (size.fixed >= 0 && size.fixed < total) total = size.fixed;
  } else if (!size.mappingIsObject) {
    const file = await objectFileSize(ctx, addon, ep, dev, inode, what);
    if (typeof file === 'number') total = file;
    else if (size.known !== undefined) {
      total = size.known;
      sizeNote = `its size could not be read now (${file}): the snapshot's, ${size.known} bytes`;
    } else sizeNote = `its size could not be read (${file}): the read is bounded by the mapping (${hi - lo} bytes), which may run past the file's end`;
    if (total > hi - lo) {
      // a mapping of part of the file shows that part: the read stays inside it
      base.notes.push(`the mapping covers ${hi - lo} of the file's ${total} bytes: only those are read`);
      total = hi - lo;
    }
  }
  if (sizeNote) base.notes.push(sizeNote);
  if (offset > total) throw new ActionError('EINVAL', `${what}: offset ${offset} is past the end (${total} bytes)`);
  const startTime = procs.get(ep.pid)?.startTime ?? -1;
  let data: Buffer;
  try {
    data = Buffer.from(await call(what, () => addon.memRead(ep.pid, startTime, range, dev, inode, offset, Math.min(maxBytes, total - offset))));
  } catch (e) {
    const code = (e as { code?: unknown })?.code;
    if (sizeNote && (code === 'EIO' || code === 'EFAULT')) {
      throw new ActionError(code, `${what}: nothing readable there (${code}): probably past the end of the file, which the mapping outruns`, 'peek at a lower offset');
    }
    throw explainPeek(e, { what, pid: ep.pid, ptrace: true });
  }
  return {
    ...base, type: 'bytes', at: at(), method: `pread(/proc/${ep.pid}/mem) of the mapping ${range} (checked ${dev}:${inode} in maps)`,
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
  const [major, minor] = dev.split(':').map((h) => parseInt(h, 16));
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
