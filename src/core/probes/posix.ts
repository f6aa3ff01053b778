// POSIX message queues (/dev/mqueue, mqueue fds) and /dev/shm objects: `sem.NAME` named
// semaphores and everything else as POSIX shared memory. Holders come from fds and maps.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Endpoint, PosixMqChannel, PosixSemChannel, PosixShmChannel } from '../model';
import { FdKind } from '../native';
import { parseMqueueFile } from '../parsers/net';
import { byPidFd, modeOf, octalMode, emit, type Probe, type ProbeContext } from './context';
import { mapHolders } from './maps';

/** fd holders of one FdKind grouped by the name after `prefix` (` (deleted)` links are skipped: the name is gone). */
function fdHoldersByName(ctx: ProbeContext, kind: number, prefix: string): Map<string, Endpoint[]> {
  const out = new Map<string, Endpoint[]>();
  const f = ctx.walk.fds;
  for (const row of ctx.index.heads(kind)) {
    for (let i = row; i >= 0; i = ctx.index.next[i]) {
      const pi = f.pathIndex[i];
      if (pi < 0) continue;
      const link = ctx.walk.paths[pi];
      if (!link.startsWith(prefix) || link.endsWith(' (deleted)')) continue;
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

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** glibc sem_t on 64-bit: a 64-bit word whose low 32 bits are the value (nwaiters in the high half). */
function readSemValue(file: string): number | null {
  let fd = -1;
  try {
    fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(8);
    if (fs.readSync(fd, b, 0, 8, 0) < 4) return null;
    return b.readUInt32LE(0) & 0x7fffffff;
  } catch {
    return null;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

export const posixProbe: Probe = {
  kinds: ['posix-mq', 'posix-shm', 'posix-sem'],
  run(ctx) {
    const n = ctx.native;
    if (ctx.kinds.has('posix-mq')) {
      const mounted = isMounted(ctx.devRoot, 'mqueue');
      ctx.capabilities.mqueueMounted = mounted;
      const holders = fdHoldersByName(ctx, FdKind.Mqueue, '/');
      const names = new Set<string>(mounted ? listDir(path.join(ctx.devRoot, 'mqueue')) : []);
      if (!mounted) {
        ctx.warnings.push(
          'POSIX message queues: /dev/mqueue is not mounted, so queues are only seen through open fds (no counts). ' +
            'Mount it with: mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue',
        );
      }
      for (const name of holders.keys()) names.add(name);
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
        if (mounted) {
          const file = path.join(ctx.devRoot, 'mqueue', name);
          try {
            const st = fs.statSync(file);
            ch.uid = st.uid;
            ch.owner = ctx.user(st.uid);
            ch.mode = octalMode(st.mode);
            const info = parseMqueueFile(fs.readFileSync(file, 'utf8'));
            ch.bytes = info.qsize;
            ch.notifyPid = info.notifyPid;
          } catch {
            /* removed meanwhile or unreadable */
          }
        }
        if (n) {
          try {
            const a = n.mqGetattr('/' + name);
            ch.messages = a.curmsgs;
            ch.maxMessages = a.maxmsg;
            ch.messageSize = a.msgsize;
          } catch {
            /* no permission or gone */
          }
        }
        emit(ctx, ch);
      }
    }
    if (ctx.kinds.has('posix-shm') || ctx.kinds.has('posix-sem')) {
      const shmDir = path.join(ctx.devRoot, 'shm');
      const maps = mapHolders(ctx);
      const realShm = ctx.devRoot === '/dev';
      for (const file of listDir(shmDir)) {
        let st: fs.Stats;
        try {
          st = fs.statSync(path.join(shmDir, file));
        } catch {
          continue;
        }
        if (!st.isFile()) continue;
        // Holders by inode (names can differ: sem_open's temp file, renamed objects); in a captured
        // tree (devRoot not /dev) inodes do not match the maps, so by name.
        const eps = realShm
          ? [...ctx.index.endpoints(ctx.index.head(FdKind.DevShm, st.ino)), ...(maps.devShmByInode.get(st.ino) ?? [])]
          : [...(maps.devShm.get(file) ?? [])];
        eps.sort(byPidFd);
        if (file.startsWith('sem.') && file.length > 4) {
          if (!ctx.kinds.has('posix-sem')) continue;
          const name = file.slice(4);
          let value: number | null = null;
          if (n) {
            try {
              value = n.semGetValue('/' + name);
            } catch {
              value = null;
            }
          }
          if (value === null) value = readSemValue(path.join(shmDir, file));
          const ch: PosixSemChannel = {
            id: 'posix-sem:' + name,
            kind: 'posix-sem',
            endpoints: eps,
            name,
            value,
            uid: st.uid,
            owner: ctx.user(st.uid),
            mode: octalMode(st.mode),
          };
          emit(ctx, ch);
        } else {
          if (!ctx.kinds.has('posix-shm')) continue;
          const ch: PosixShmChannel = {
            id: 'posix-shm:' + file,
            kind: 'posix-shm',
            endpoints: eps,
            name: file,
            size: st.size,
            uid: st.uid,
            owner: ctx.user(st.uid),
            mode: octalMode(st.mode),
          };
          emit(ctx, ch);
        }
      }
    }
  },
};
