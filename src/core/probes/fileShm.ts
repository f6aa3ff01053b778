// Shared file mappings: files outside /dev mapped MAP_SHARED by two or more processes, one of them
// writable (SQLite's `-shm` WAL index, LMDB's lock file, journald's journals). Pure over the
// walk's filtered maps text: one channel per dev:inode.
import type { Endpoint, FileShmChannel } from '../model';
import { MapsCursor } from '../parsers/procPid';
import { byPidFd, emit, type Probe, type ProbeContext } from './context';
import { keptMaps } from './maps';

/** Paths of the other shared memory kinds (SysV, anonymous hugetlb, memfd) that do not start with /dev/. */
const OTHER_KINDS = ['/SYSV', '/anon_hugepage', '/memfd:'];

interface Group {
  path: string;
  deleted: boolean;
  dev: string;
  inode: number;
  size: number;
  endpoints: Endpoint[];
  pids: Set<number>;
  writers: Set<number>;
}

/** Channels from per-process maps text (shared lines of files outside /dev). Exported for tests. */
export function fileShmChannels(maps: Iterable<{ pid: number; maps: string | undefined | null }>): FileShmChannel[] {
  const groups = new Map<string, Group>();
  const c = new MapsCursor();
  for (const p of maps) {
    if (!p.maps) continue;
    c.reset(p.maps);
    while (c.next()) {
      if (!c.shared() || !c.pathStartsWith('/') || c.pathStartsWith('/dev/') || OTHER_KINDS.some((x) => c.pathStartsWith(x))) continue;
      const dev = c.dev();
      const key = dev + ':' + c.inode;
      let g = groups.get(key);
      if (!g) {
        g = { path: c.path(), deleted: c.deleted, dev, inode: c.inode, size: 0, endpoints: [], pids: new Set(), writers: new Set() };
        groups.set(key, g);
      }
      const len = c.length();
      if (len > g.size) g.size = len;
      const mode = c.mode();
      g.endpoints.push({ pid: p.pid, map: c.range(), mode });
      g.pids.add(p.pid);
      if (mode !== 'r') g.writers.add(p.pid);
    }
  }
  const out: FileShmChannel[] = [];
  for (const g of groups.values()) {
    // one process alone is not IPC, and readers alone share no data (fontconfig's and gconv's caches)
    if (g.pids.size < 2 || g.writers.size === 0) continue;
    out.push({
      id: `file-shm:${g.dev}:${g.inode}`,
      kind: 'file-shm',
      endpoints: g.endpoints.sort(byPidFd),
      path: g.path,
      deleted: g.deleted,
      inode: g.inode,
      dev: g.dev,
      size: g.size,
      writers: g.writers.size,
    });
  }
  return out;
}

export const fileShmProbe: Probe = {
  run(ctx: ProbeContext) {
    for (const ch of fileShmChannels(keptMaps(ctx))) emit(ctx, ch);
  },
};
