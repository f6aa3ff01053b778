// SysV message queues, shared memory and semaphore sets: the addon's *_STAT walk when present
// (sem values need it), else /proc/sysvipc/*. SysV objects have no fds: shm attachers come from
// maps (`/SYSV%08x (deleted)`, inode = shmid); msg/sem carry last-pid facts only.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Endpoint, SysvMsgChannel, SysvSemChannel, SysvShmChannel } from '../model';
import { errnoName, type NativeAddon, type SysvMsgStat, type SysvSemStat, type SysvShmStat } from '../native';
import { parseSysvMsg, parseSysvSem, parseSysvShm } from '../parsers/sysvipc';
import { byPidFd, octalMode, emit, type Probe, type ProbeContext, ownIpcns } from './context';
import { mapHolders } from './maps';
import { plural } from '../text';

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
    const own = ownIpcns(ctx);
    // a process whose namespace is unknown (not ours to read) is taken as one of ours, as before
    const nsOf = (pid: number) => ctx.processes.get(pid)?.ipcns || own;
    emitLists(ctx, pre, null, (pid) => own === null || nsOf(pid) === own);
    if (own === null) return;
    // Other IPC namespaces (containers, sandboxes, a user's own `unshare --ipc`) have SysV objects
    // of their own, under ids and keys that may equal ours: listed from inside each namespace, and
    // joined only to that namespace's processes.
    const others = new Map<string, number[]>();
    for (const p of ctx.processes.values()) {
      if (!p.ipcns || p.ipcns === own) continue;
      const pids = others.get(p.ipcns) ?? [];
      if (pids.length < ENTRY_PIDS) pids.push(p.pid);
      others.set(p.ipcns, pids);
    }
    if (others.size === 0) return;
    // (own is known only on this machine's /proc: what is left to need is the addon)
    const native = ctx.native;
    if (!native) {
      ctx.warnings.push(`SysV IPC: the objects of ${plural(others.size, 'other IPC namespace')} (containers) are not listed: that needs the native addon`);
      return;
    }
    const failed: string[] = [];
    // all namespaces at once (each list is a thread of its own on the pool), emitted in order
    const sorted = [...others].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const lists = await Promise.all(sorted.map(([, pids]) => listIn(native, ctx.kinds, pids)));
    sorted.forEach(([ns], k) => {
      const l = lists[k];
      if (typeof l !== 'string') emitLists(ctx, l, ns, (pid) => nsOf(pid) === ns);
      else if (l !== 'GONE') failed.push(`${ns} (${l})`);
    });
    if (failed.length) ctx.warnings.push(`SysV IPC: could not list the objects of ${failed.length === 1 ? 'IPC namespace' : 'IPC namespaces'} ${failed.join(', ')}`);
  },
};

/**
 * Emits the objects of one IPC namespace's lists: the snapshot's own (`ns` null, ids `KIND:ID`)
 * or another's (ids `KIND:ns/NS/ID`, `ipcns` set). Segment attachers come from the maps lines of
 * the processes `inNs` says are in that namespace: ids and keys are per namespace, and another
 * namespace's segment may carry the same shmid (an unprivileged user sets it with shm_next_id in
 * its own) or key as one of ours.
 */
function emitLists(ctx: ProbeContext, pre: SysvPrefetch, ns: string | null, inNs: (pid: number) => boolean): void {
  const prefix = ns === null ? '' : `ns/${ns}/`;
  const where = ns === null ? {} : { ipcns: ns };
  const attachers = (eps: Endpoint[] | undefined) => eps?.filter((e) => inNs(e.pid));
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
        id: `sysv-msg:${prefix}${r.msqid}`,
        kind: 'sysv-msg',
        endpoints: [],
        key: r.key,
        msqid: r.msqid,
        creatorUid: r.cuid,
        changed: r.ctime,
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
        ...where,
      };
      emit(ctx, ch);
    }
  }
  if (ctx.kinds.has('sysv-shm')) {
    const rows: SysvShmStat[] = pre.shm ?? [];
    const holders = mapHolders(ctx);
    for (const r of rows) {
      let eps = attachers(holders.sysvByInode.get(r.shmid));
      const mapDev = eps?.length ? holders.sysvDev.get(r.shmid) : undefined;
      if (!eps?.length && r.key !== 0) eps = attachers(holders.sysvByKey.get(r.key));
      const endpoints = eps ? eps.slice().sort(byPidFd) : [];
      const ch: SysvShmChannel = {
        id: `sysv-shm:${prefix}${r.shmid}`,
        kind: 'sysv-shm',
        endpoints,
        key: r.key,
        shmid: r.shmid,
        creatorUid: r.cuid,
        changed: r.ctime,
        size: r.size,
        attachCount: r.nattch,
        creatorPid: r.cpid,
        lastPid: r.lpid,
        uid: r.uid,
        owner: ctx.user(r.uid),
        mode: octalMode(r.mode),
        destroyed: r.dest,
        orphaned: r.nattch === 0 && !alive(ctx, r.cpid),
        ...(mapDev !== undefined ? { mapDev } : {}),
        ...where,
      };
      emit(ctx, ch);
    }
  }
  if (ctx.kinds.has('sysv-sem')) {
    const rows: SysvSemStat[] = pre.sem ?? [];
    for (const r of rows) {
      const ch: SysvSemChannel = {
        id: `sysv-sem:${prefix}${r.semid}`,
        kind: 'sysv-sem',
        endpoints: [],
        key: r.key,
        semid: r.semid,
        creatorUid: r.cuid,
        changed: r.ctime,
        nsems: r.nsems,
        values: r.values ?? null,
        waitingForIncrease: r.ncnt ?? null,
        waitingForZero: r.zcnt ?? null,
        lastPid: r.pids ?? null,
        uid: r.uid,
        owner: ctx.user(r.uid),
        mode: octalMode(r.mode),
        ...where,
      };
      // GETALL refused (no read permission): the values are missing, and say why
      if (r.error) ch.errors = ['values', 'waitingForIncrease', 'waitingForZero', 'lastPid'].map((field) => ({ field, syscall: 'semctl', code: r.error! }));
      emit(ctx, ch);
    }
  }
}

/** At most this many processes of a namespace are kept to enter it by (the next when one exited). */
const ENTRY_PIDS = 4;


/**
 * Another IPC namespace's lists, read from inside it through one of its processes (the next one
 * when that one exited: ENOENT/ESRCH), or the errno name of the failure; 'GONE' when every one of
 * them exited (the namespace went away with them: no failure).
 */
async function listIn(native: NativeAddon, kinds: ReadonlySet<string>, pids: readonly number[]): Promise<SysvPrefetch | string> {
  for (const pid of pids) {
    const nsPath = `/proc/${pid}/ns/ipc`;
    try {
      const want = { msg: kinds.has('sysv-msg'), shm: kinds.has('sysv-shm'), sem: kinds.has('sysv-sem') };
      // one thread enters the namespace for the three lists (each entering thread is made for it)
      const [msg, shm, sem] = native.sysvLists
        ? await native.sysvLists(nsPath, want).then((r) => [r.msg, r.shm, r.sem] as const)
        : await Promise.all([
            want.msg ? native.sysvMsgList(nsPath) : undefined,
            want.shm ? native.sysvShmList(nsPath) : undefined,
            want.sem ? native.sysvSemList(nsPath) : undefined,
          ]);
      return { msg, shm, sem, warnings: [] };
    } catch (e) {
      const code = errnoName(e) ?? 'EIO';
      if (code !== 'ENOENT' && code !== 'ESRCH') return code;
    }
  }
  return 'GONE';
}
