// Shared file mappings: files outside /dev mapped MAP_SHARED by two or more processes, one of them
// writable (SQLite's `-shm` WAL index, LMDB's lock file, journald's journals). Pure over the
// walk's filtered maps text: one channel per dev:inode.
import type { FileShmChannel } from '../model';
import { byPidFd, emit, type Probe, type ProbeContext } from './context';
import { foreignPaths, type ForeignPaths } from './mountNamespaces';
import { mapHolders, mapHoldersOf, mapsDevName, type SharedMapping } from './maps';

/** Channels from per-process maps text (shared lines of files outside /dev), as the probe finds them. Exported for tests. */
export function fileShmChannels(maps: Iterable<{ pid: number; maps: string | undefined | null }>, paths?: ForeignPaths): FileShmChannel[] {
  const texts = [...maps].filter((p): p is { pid: number; maps: string } => !!p.maps);
  return fileShmChannelsOf(mapHoldersOf(texts).sharedFiles, paths);
}

function fileShmChannelsOf(named: readonly SharedMapping[], paths: ForeignPaths | undefined): FileShmChannel[] {
  const out: FileShmChannel[] = [];
  for (const g of named) {
    // one process alone is not IPC, and readers alone share no data (fontconfig's and gconv's caches)
    if (g.pids.size < 2 || g.writers.size === 0) continue;
    // (maps writes the device in hex, `fe:01`; stat's is 254:1)
    const mntns = paths?.mark(g.deleted ? '' : g.name, g.namePid, { dev: mapsDevName(g.dev), inode: g.inode });
    out.push({
      id: `file-shm:${g.dev}:${g.inode}`,
      kind: 'file-shm',
      endpoints: g.endpoints.sort(byPidFd),
      path: g.name,
      deleted: g.deleted,
      ...(mntns !== undefined ? { mntns } : {}),
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
    // the lines the holders' pass grouped already (maps.ts): each maps line is parsed once a snapshot
    for (const ch of fileShmChannelsOf(mapHolders(ctx).sharedFiles, foreignPaths(ctx))) emit(ctx, ch);
  },
};
