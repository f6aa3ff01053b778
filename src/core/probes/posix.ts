// POSIX message queues (/dev/mqueue, mqueue fds) and /dev/shm objects: `sem.NAME` named
// semaphores and everything else as POSIX shared memory. Holders come from fds and maps.
// Every entry belongs to whoever made it, any user: entries are lstat-ed (a symlink is not an
// object and is never followed), read only through untrustedFiles.ts (no mapping, no open of a
// FIFO or device, pread of a checked regular file), and a malformed one becomes a row with an
// `error` instead of failing the scan. mq_getattr runs on the addon's own threads with a deadline.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Endpoint, PosixMqChannel, PosixSemChannel, PosixShmChannel, ReadError } from '../model';
import { errnoName, MODE_UNLINKED, type NativeAddon } from '../native';
import { DEVSHM_FDS, MQUEUE_FDS } from '../kinds/fds';
import { parseMqueueFile } from '../parsers/mqueue';
import { DeadlineError, withDeadline } from '../deadline';
import { fileTypeName, readSemSync, readSmallSync, UntrustedFileError } from '../untrustedFiles';
import { byPidFd, devName, modeOf, octalMode, emit, type Probe, type ProbeContext } from './context';
import { mapHolders } from './maps';

/** fd holders of one fd class grouped by the name after `prefix` (unlinked files are skipped: the name is gone; a live name may end in ` (deleted)`). */
function fdHoldersByName(ctx: ProbeContext, kind: number, prefix: string): Map<string, Endpoint[]> {
  const out = new Map<string, Endpoint[]>();
  const f = ctx.walk.fds;
  for (const row of ctx.index.heads(kind)) {
    for (let i = row; i >= 0; i = ctx.index.next[i]) {
      const pi = f.pathIndex[i];
      if (pi < 0) continue;
      const link = ctx.walk.paths[pi];
      if (!link.startsWith(prefix) || f.mode[i] & MODE_UNLINKED) continue;
      const name = link.slice(prefix.length);
      const ep: Endpoint = { pid: f.pid[i], fd: f.fd[i], mode: modeOf(f.mode[i]) };
      const l = out.get(name);
      if (l) l.push(ep);
      else out.set(name, [ep]);
    }
  }
  return out;
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

/** A name mq_open accepts as one component (readdir of /dev/mqueue gives only those; fd links may not). */
function safeName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !name.includes('/') && !name.includes('\0') && name !== '.' && name !== '..';
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The entries of `dir` as raw bytes: a name that is not UTF-8 (`\xff`, which any user may put in
 * /dev/shm) decodes lossily, and the decoded text names no file — lstat must get the bytes.
 */
function listDirRaw(dir: string): Buffer[] {
  try {
    return fs.readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return [];
  }
}

/** mq_getattr of each name, a few at a time (each call is a thread), each with a deadline; a failure is the errno name (the counts stay null and say why). */
async function mqAttributes(native: NativeAddon, names: string[], deadlineMs: number): Promise<Map<string, { curmsgs: number; maxmsg: number; msgsize: number } | string>> {
  const out = new Map<string, { curmsgs: number; maxmsg: number; msgsize: number } | string>();
  let next = 0;
  const lane = async () => {
    while (next < names.length) {
      const name = names[next++];
      try {
        out.set(name, await withDeadline(`mq_getattr(/${name})`, deadlineMs, () => native.mqGetattr('/' + name)));
      } catch (e) {
        out.set(name, e instanceof DeadlineError ? 'ETIMEDOUT' : (errnoName(e) ?? 'EIO'));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, names.length) }, lane));
  return out;
}

function errorText(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return e instanceof Error && e.name === 'UntrustedFileError' ? e.message : `${typeof code === 'string' ? code : 'EIO'}: ${(e as Error)?.message ?? String(e)}`;
}

export const posixProbe: Probe = {
  async run(ctx) {
    const n = ctx.native;
    if (ctx.kinds.has('posix-mq')) {
      const mounted = isMounted(ctx.devRoot, 'mqueue');
      ctx.capabilities.mqueueMounted = mounted;
      const holders = fdHoldersByName(ctx, MQUEUE_FDS.rule.code, '/');
      const names = new Set<string>(mounted ? listDir(path.join(ctx.devRoot, 'mqueue')) : []);
      if (!mounted) {
        ctx.warnings.push(
          'POSIX message queues: /dev/mqueue is not mounted, so queues are only seen through open fds (no counts). ' +
            'Mount it with: mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue',
        );
      }
      for (const name of holders.keys()) names.add(name);
      const attrs = n ? await mqAttributes(n, [...names].filter(safeName), ctx.itemTimeoutMs) : new Map();
      for (const name of names) {
        const ch: PosixMqChannel = {
          id: 'posix-mq:' + name,
          kind: 'posix-mq',
          endpoints: (holders.get(name) ?? []).sort(byPidFd),
          name,
          messages: null,
          maxMessages: null,
          messageSize: null,
          bytes: null,
          notifyPid: null,
          uid: null,
          owner: null,
          mode: null,
        };
        const errors: ReadError[] = [];
        const failed = (fields: string[], syscall: string, e: unknown) => {
          const code = typeof e === 'string' ? e : e instanceof UntrustedFileError ? e.code : (errnoName(e) ?? 'EIO');
          for (const field of fields) errors.push({ field, syscall, code });
        };
        if (mounted) {
          const file = path.join(ctx.devRoot, 'mqueue', name);
          let st: fs.Stats | null = null;
          try {
            st = fs.lstatSync(file);
            ch.uid = st.uid;
            ch.owner = ctx.user(st.uid);
            ch.mode = octalMode(st.mode);
          } catch (e) {
            failed(['uid', 'owner', 'mode', 'bytes', 'notifyPid'], 'lstat', e); // ENOENT: held only through fds (unlinked)
          }
          if (st) {
            try {
              const info = parseMqueueFile(readSmallSync(file));
              ch.bytes = info.qsize;
              ch.notifyPid = info.notifyPid;
            } catch (e) {
              failed(['bytes', 'notifyPid'], 'read', e);
            }
          }
        }
        const a = attrs.get(name);
        if (typeof a === 'object') {
          ch.messages = a.curmsgs;
          ch.maxMessages = a.maxmsg;
          ch.messageSize = a.msgsize;
        } else if (typeof a === 'string') failed(['messages', 'maxMessages', 'messageSize'], 'mq_getattr', a);
        if (errors.length) ch.errors = errors;
        emit(ctx, ch);
      }
    }
    if (ctx.kinds.has('posix-shm') || ctx.kinds.has('posix-sem')) {
      const shmDir = path.join(ctx.devRoot, 'shm');
      const maps = mapHolders(ctx);
      const realShm = ctx.devRoot === '/dev';
      // dev:inode of every object listed by name: a live object whose name ends in ` (deleted)`
      // has maps lines that read as unlinked (maps lines carry no link count), and must not be
      // listed a second time
      const listed = new Set<string>();
      for (const raw of listDirRaw(shmDir)) {
        const file = raw.toString('utf8');
        const at = Buffer.concat([Buffer.from(shmDir + '/'), raw]);
        // The id of a name that is not UTF-8 is its bytes: `x\xff` and `x\xfe` both read `x\ufffd`,
        // and two channels with one id would break every view keyed by it. `/` is in no file name,
        // so `bytes/HEX` is no other object's id.
        const exact = Buffer.from(file).equals(raw);
        let st: fs.Stats;
        try {
          st = fs.lstatSync(at);
        } catch {
          continue;
        }
        listed.add(`${devName(st.dev)}:${st.ino}`);
        const isSem = file.startsWith('sem.') && file.length > 4;
        // A FIFO, symlink, socket or directory is no POSIX object; under a semaphore's name it is
        // shown as a semaphore row with an error (it looks like one to a user), otherwise skipped.
        if (!st.isFile() && !isSem) continue;
        // Holders by inode (names can differ: sem_open's temp file, renamed objects); in a captured
        // tree (devRoot not /dev) inodes do not match the maps, so by name.
        const eps = realShm
          ? [...ctx.index.endpoints(ctx.index.head(DEVSHM_FDS.rule.code, st.ino)), ...(maps.devShmByInode.get(st.ino) ?? [])]
          : [...(maps.devShm.get(file) ?? [])];
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
          } else {
            try {
              value = readSemSync(at, { dev: st.dev, ino: st.ino });
            } catch (e) {
              error = errorText(e);
              readError = { field: 'value', syscall: e instanceof UntrustedFileError ? 'fstat' : 'pread', code: e instanceof UntrustedFileError ? e.code : (errnoName(e) ?? 'EIO') };
            }
          }
          const ch: PosixSemChannel = {
            id: 'posix-sem:' + (exact ? name : `bytes/${raw.subarray(4).toString('hex')}`),
            kind: 'posix-sem',
            endpoints: eps,
            name,
            value,
            uid: st.uid,
            owner: ctx.user(st.uid),
            mode: octalMode(st.mode),
            ...(error !== undefined ? { error } : {}),
            ...(readError ? { errors: [readError] } : {}),
          };
          emit(ctx, ch);
        } else {
          if (!ctx.kinds.has('posix-shm')) continue;
          const ch: PosixShmChannel = {
            id: 'posix-shm:' + (exact ? file : `bytes/${raw.toString('hex')}`),
            kind: 'posix-shm',
            endpoints: eps,
            name: file,
            size: st.size,
            uid: st.uid,
            owner: ctx.user(st.uid),
            mode: octalMode(st.mode),
            deleted: false,
          };
          emit(ctx, ch);
        }
      }
      if (ctx.kinds.has('posix-shm') && realShm) emitDeletedShm(ctx, listed);
    }
  },
};

/**
 * POSIX shared memory unlinked while still held or mapped (a creator often calls shm_unlink while
 * others keep using the object; lsof shows `/dev/shm/NAME (deleted)`): from fds whose file the walk
 * found unlinked and `/dev/shm/NAME (deleted)` maps lines, one channel per dev:inode, marked deleted.
 * glibc's sem_open temp files (`sem.XXXXXX (deleted)`, a moment before they get their name) and
 * unlinked semaphores are left out, and so are objects the directory listing has (`listed`,
 * dev:inode): their maps lines only look unlinked because their name ends in ` (deleted)` (fd rows
 * are told by the walk's MODE_UNLINKED bit). Only on the real /dev (a captured tree's inodes are
 * not these).
 */
function emitDeletedShm(ctx: ProbeContext, listed: ReadonlySet<string>): void {
  const groups = new Map<string, { name: string; size: number | null; endpoints: Endpoint[] }>();
  const f = ctx.walk.fds;
  for (const row of ctx.index.heads(DEVSHM_FDS.rule.code)) {
    for (let i = row; i >= 0; i = ctx.index.next[i]) {
      const pi = f.pathIndex[i];
      const link = pi >= 0 ? ctx.walk.paths[pi] : '';
      // unlinked by the inode (the walk's mode bit), not by the text: a live name may end in ` (deleted)`
      if (!link.startsWith('/dev/shm/') || !(f.mode[i] & MODE_UNLINKED)) continue;
      const key = `${devName(f.dev[i])}:${f.inode[i]}`;
      const name = link.slice('/dev/shm/'.length, link.endsWith(' (deleted)') ? -' (deleted)'.length : undefined);
      const g = groups.get(key) ?? { name, size: null, endpoints: [] };
      g.endpoints.push({ pid: f.pid[i], fd: f.fd[i], mode: modeOf(f.mode[i]) });
      groups.set(key, g);
    }
  }
  for (const [key, m] of mapHolders(ctx).devShmDeleted) {
    const g = groups.get(key) ?? { name: m.name, size: null, endpoints: [] };
    g.size = Math.max(g.size ?? 0, m.size);
    g.endpoints.push(...m.endpoints);
    groups.set(key, g);
  }
  for (const [key, g] of groups) {
    if (g.name.startsWith('sem.') || listed.has(key)) continue;
    const ch: PosixShmChannel = {
      id: `posix-shm:deleted/${key}`,
      kind: 'posix-shm',
      endpoints: g.endpoints.sort(byPidFd),
      name: g.name,
      size: g.size,
      uid: null,
      owner: null,
      mode: null,
      deleted: true,
    };
    emit(ctx, ch);
  }
}
