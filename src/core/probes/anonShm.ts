// Shared memory without a name in /dev/shm or SysV: shared mappings of shmem/hugetlbfs objects
// that have no path — MAP_SHARED|MAP_ANONYMOUS inherited across fork() (`/dev/zero (deleted)`),
// shared anonymous hugetlb (`/anon_hugepage (deleted)`) and memfds (`/memfd:NAME (deleted)`).
// Pure over the walk's filtered maps text: one channel per dev:inode mapped by ≥ 2 processes.
import type { AnonShmChannel } from '../model';
import { byPidFd, emit, type Probe, type ProbeContext } from './context';
import { keptMaps, sharedMappings } from './maps';

/** The channel name of a shared maps path (` (deleted)` already stripped), or null if not unnamed shmem. */
export function anonShmName(path: string): string | null {
  if (path === '/dev/zero') return '/dev/zero';
  if (path === '/anon_hugepage') return 'anon_hugepage';
  if (path.startsWith('/memfd:')) return path.slice(1);
  return null;
}

/** What every line anonShmName names contains. */
const ANON_PATHS = [' /dev/zero', ' /anon_hugepage', ' /memfd:'];

/** Channels from per-process maps text (only `s` lines of unnamed shmem count). Exported for tests. */
export function anonShmChannels(maps: Iterable<{ pid: number; maps: string | undefined | null }>): AnonShmChannel[] {
  const out: AnonShmChannel[] = [];
  const named = sharedMappings(
    maps,
    // (most shared lines are /dev/shm's: no substring for those)
    (c) => (c.deleted && !c.pathStartsWith('/dev/shm/') ? anonShmName(c.path()) : null),
    // most processes map none of these: one search of the text each, no line read
    (text) => ANON_PATHS.some((x) => text.includes(x)),
  );
  for (const g of named) {
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
