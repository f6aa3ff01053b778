// Shared memory without a name in /dev/shm or SysV: shared mappings of shmem/hugetlbfs objects
// that have no path — MAP_SHARED|MAP_ANONYMOUS inherited across fork() (`/dev/zero (deleted)`),
// shared anonymous hugetlb (`/anon_hugepage (deleted)`) and memfds (`/memfd:NAME (deleted)`).
// Pure over the walk's filtered maps text: one channel per dev:inode mapped by ≥ 2 processes.
import type { AnonShmChannel, Endpoint } from '../model';
import { MapsCursor } from '../parsers/procPid';
import { byPidFd, emit, type Probe, type ProbeContext } from './context';
import { keptMaps } from './maps';

/** The channel name of a shared maps path (` (deleted)` already stripped), or null if not unnamed shmem. */
export function anonShmName(path: string): string | null {
  if (path === '/dev/zero') return '/dev/zero';
  if (path === '/anon_hugepage') return 'anon_hugepage';
  if (path.startsWith('/memfd:')) return path.slice(1);
  return null;
}

interface Group {
  name: string;
  dev: string;
  inode: number;
  size: number;
  endpoints: Endpoint[];
  pids: Set<number>;
}

/** What every line anonShmName names contains. */
const ANON_PATHS = [' /dev/zero', ' /anon_hugepage', ' /memfd:'];

/** Channels from per-process maps text (only `s` lines of unnamed shmem count). Exported for tests. */
export function anonShmChannels(maps: Iterable<{ pid: number; maps: string | undefined | null }>): AnonShmChannel[] {
  const groups = new Map<string, Group>();
  const c = new MapsCursor();
  for (const p of maps) {
    // most processes map none of these: one search of the text each, no line read
    if (!p.maps || !ANON_PATHS.some((x) => p.maps!.includes(x))) continue;
    c.reset(p.maps);
    while (c.next()) {
      if (!c.deleted || !c.shared()) continue;
      if (c.pathStartsWith('/dev/shm/')) continue; // most shared lines: no substring for those
      const name = anonShmName(c.path());
      if (name === null) continue;
      const dev = c.dev();
      const key = dev + ':' + c.inode;
      let g = groups.get(key);
      if (!g) {
        g = { name, dev, inode: c.inode, size: 0, endpoints: [], pids: new Set() };
        groups.set(key, g);
      }
      const len = c.length();
      if (len > g.size) g.size = len;
      g.endpoints.push({ pid: p.pid, map: c.range(), mode: c.mode() });
      g.pids.add(p.pid);
    }
  }
  const out: AnonShmChannel[] = [];
  for (const g of groups.values()) {
    if (g.pids.size < 2) continue; // one process alone is not IPC
    out.push({
      id: `anon-shm:${g.dev}:${g.inode}`,
      kind: 'anon-shm',
      endpoints: g.endpoints.sort(byPidFd),
      name: g.name,
      inode: g.inode,
      dev: g.dev,
      size: g.size,
    });
  }
  return out;
}

export const anonShmProbe: Probe = {
  run(ctx: ProbeContext) {
    for (const ch of anonShmChannels(keptMaps(ctx))) emit(ctx, ch);
  },
};
