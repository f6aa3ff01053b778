// Shared file mappings: files outside /dev mapped MAP_SHARED by two or more processes, one of them
// writable (SQLite's `-shm` WAL index, LMDB's lock file, journald's journals). Pure over the
// walk's filtered maps text: one channel per dev:inode.
import type { FileShmChannel } from '../model';
import { FILE_SHM_MAPS } from '../kinds/fileShm';
import { byPidFd, emit, type Probe, type ProbeContext } from './context';
import { keptMaps, sharedMappings } from './maps';

/** Path starts that are not this kind's (/dev, and the other shared memory kinds'): the maps rule's excepts. */
const NOT_FILES = FILE_SHM_MAPS[0].except.map((e) => e.slice(1));

/** Channels from per-process maps text (shared lines of files outside /dev). Exported for tests. */
export function fileShmChannels(maps: Iterable<{ pid: number; maps: string | undefined | null }>): FileShmChannel[] {
  const out: FileShmChannel[] = [];
  const named = sharedMappings(maps, (c) => (c.pathStartsWith('/') && !NOT_FILES.some((x) => c.pathStartsWith(x)) ? c.path() : null));
  for (const g of named) {
    // one process alone is not IPC, and readers alone share no data (fontconfig's and gconv's caches)
    if (g.pids.size < 2 || g.writers.size === 0) continue;
    out.push({
      id: `file-shm:${g.dev}:${g.inode}`,
      kind: 'file-shm',
      endpoints: g.endpoints.sort(byPidFd),
      path: g.name,
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
