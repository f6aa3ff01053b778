// SysV message queues, shared memory and semaphore sets: the addon's *_STAT walk when present
// (sem values need it), else /proc/sysvipc/*. SysV objects have no fds: shm attachers come from
// maps (`/SYSV%08x (deleted)`, inode = shmid); msg/sem carry last-pid facts only.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SysvMsgChannel, SysvSemChannel, SysvShmChannel } from '../model';
import type { NativeAddon, SysvMsgStat, SysvSemStat, SysvShmStat } from '../native';
import { parseSysvMsg, parseSysvSem, parseSysvShm } from '../parsers/sysvipc';
import { byPidFd, octalMode, emit, type Probe, type ProbeContext } from './context';
import { mapHolders } from './maps';

function readText(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

/** SysV lists read while the fd walk runs (they do not depend on it); a missing entry is read by the probe. */
export interface SysvPrefetch {
  msg?: SysvMsgStat[];
  shm?: SysvShmStat[];
  sem?: SysvSemStat[];
  /** Warnings of the prefetch (a failed native list that fell back to text). */
  warnings: string[];
}

async function readTextAsync(p: string): Promise<string | null> {
  try {
    return await fs.promises.readFile(p, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Lists the SysV objects now, to overlap the walk: natively (on the libuv pool) or by reading
 * /proc/sysvipc/* asynchronously; a failed native list falls back to the text, saying so.
 */
export async function prefetchSysv(native: NativeAddon | null, procRoot: string, kinds: ReadonlySet<string>): Promise<SysvPrefetch> {
  const out: SysvPrefetch = { warnings: [] };
  const one = async <T>(file: string, call: (() => Promise<T[]>) | null, parse: (t: string) => T[]): Promise<T[]> => {
    if (call) {
      try {
        return await call();
      } catch (e) {
        out.warnings.push(`native ${file} listing failed (${(e as Error).message}); using /proc/sysvipc/${file}`);
      }
    }
    const text = await readTextAsync(path.join(procRoot, 'sysvipc', file));
    return text === null ? [] : parse(text);
  };
  const [msg, shm, sem] = await Promise.all([
    kinds.has('sysv-msg') ? one('msg', native ? () => native.sysvMsgList() : null, parseSysvMsg) : undefined,
    kinds.has('sysv-shm') ? one('shm', native ? () => native.sysvShmList() : null, parseSysvShm) : undefined,
    kinds.has('sysv-sem') ? one('sem', native ? () => native.sysvSemList() : null, parseSysvSem) : undefined,
  ]);
  out.msg = msg;
  out.shm = shm;
  out.sem = sem;
  return out;
}

const time = (s: number) => (s > 0 ? new Date(s * 1000).toISOString() : null);

function alive(ctx: ProbeContext, pid: number): boolean {
  if (pid <= 0) return false;
  if (ctx.processes.has(pid)) return true;
  if (ctx.raw.size > 0) return false; // the walk saw every process: not seen = gone (or hidden)
  return fs.existsSync(path.join(ctx.procRoot, String(pid)));
}

export const sysvProbe: Probe<Promise<SysvPrefetch> | undefined> = {
  prefetch(native, procRoot, kinds) {
    if (!kinds.has('sysv-msg') && !kinds.has('sysv-shm') && !kinds.has('sysv-sem')) return undefined;
    return prefetchSysv(native, procRoot, kinds); // never rejects: a failed list falls back to /proc/sysvipc
  },
  async run(ctx, prefetched) {
    const pre = await (prefetched ?? prefetchSysv(ctx.native, ctx.procRoot, ctx.kinds));
    for (const w of pre.warnings) ctx.warnings.push(w);
    if (ctx.kinds.has('sysv-msg')) {
      const rows: SysvMsgStat[] = pre.msg ?? [];
      let msgmnb: number | null = null;
      for (const r of rows) {
        let maxBytes = r.qbytes;
        if (!maxBytes) {
          // /proc/sysvipc/msg has no msg_qbytes: the creation-time default is kernel.msgmnb
          if (msgmnb === null) msgmnb = Number(readText(path.join(ctx.procRoot, 'sys/kernel/msgmnb')) ?? 0) || 0;
          maxBytes = msgmnb;
        }
        const ch: SysvMsgChannel = {
          id: 'sysv-msg:' + r.msqid,
          kind: 'sysv-msg',
          endpoints: [],
          key: r.key,
          msqid: r.msqid,
          messages: r.qnum,
          bytes: r.cbytes,
          maxBytes,
          lastSendPid: r.lspid,
          lastRecvPid: r.lrpid,
          uid: r.uid,
          owner: ctx.user(r.uid),
          mode: octalMode(r.mode),
          lastSendTime: time(r.stime),
          lastRecvTime: time(r.rtime),
        };
        emit(ctx, ch);
      }
    }
    if (ctx.kinds.has('sysv-shm')) {
      const rows: SysvShmStat[] = pre.shm ?? [];
      const holders = mapHolders(ctx);
      for (const r of rows) {
        let eps = holders.sysvByInode.get(r.shmid);
        if (!eps && r.key !== 0) eps = holders.sysvByKey.get(r.key);
        const endpoints = eps ? eps.slice().sort(byPidFd) : [];
        const ch: SysvShmChannel = {
          id: 'sysv-shm:' + r.shmid,
          kind: 'sysv-shm',
          endpoints,
          key: r.key,
          shmid: r.shmid,
          size: r.size,
          attachCount: r.nattch,
          creatorPid: r.cpid,
          lastPid: r.lpid,
          uid: r.uid,
          owner: ctx.user(r.uid),
          mode: octalMode(r.mode),
          destroyed: r.dest,
          orphaned: r.nattch === 0 && !alive(ctx, r.cpid),
        };
        emit(ctx, ch);
      }
    }
    if (ctx.kinds.has('sysv-sem')) {
      const rows: SysvSemStat[] = pre.sem ?? [];
      for (const r of rows) {
        const ch: SysvSemChannel = {
          id: 'sysv-sem:' + r.semid,
          kind: 'sysv-sem',
          endpoints: [],
          key: r.key,
          semid: r.semid,
          nsems: r.nsems,
          values: r.values ?? null,
          waitingForIncrease: r.ncnt ?? null,
          waitingForZero: r.zcnt ?? null,
          lastPid: r.pids ?? null,
          uid: r.uid,
          owner: ctx.user(r.uid),
          mode: octalMode(r.mode),
        };
        // GETALL refused (no read permission): the values are missing, and say why
        if (r.error) ch.errors = ['values', 'waitingForIncrease', 'waitingForZero', 'lastPid'].map((field) => ({ field, syscall: 'semctl', code: r.error! }));
        emit(ctx, ch);
      }
    }
  },
};
