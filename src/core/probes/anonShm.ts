// Shared memory without a name in /dev/shm or SysV: shared mappings of shmem/hugetlbfs objects
// that have no path — MAP_SHARED|MAP_ANONYMOUS inherited across fork() (`/dev/zero (deleted)`),
// shared anonymous hugetlb (`/anon_hugepage (deleted)`) and memfds (`/memfd:NAME (deleted)`).
// Pure over the walk's filtered maps text: one channel per dev:inode mapped by ≥ 2 processes.
import type { AnonShmChannel, Endpoint } from '../model';
import { mapMode, parseMapsText } from '../parsers/procPid';
import { byPidFd, emit, type Probe, type ProbeContext } from './context';
import { parsedMaps, type ProcessMaps } from './maps';

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

/** Length in bytes of a `start-end` hex range (addresses fit a double exactly: ≤ 2^57). */
function rangeLength(range: string): number {
  const dash = range.indexOf('-');
  return parseInt(range.slice(dash + 1), 16) - parseInt(range.slice(0, dash), 16);
}

/** Channels from per-process maps text (only `s` lines of unnamed shmem count). Exported for tests. */
export function anonShmChannels(maps: Iterable<{ pid: number; maps: string | undefined | null }>): AnonShmChannel[] {
  const parsed: ProcessMaps[] = [];
  for (const p of maps) if (p.maps) parsed.push({ pid: p.pid, lines: parseMapsText(p.maps) });
  return anonShmFromLines(parsed);
}

/** Channels from parsed maps lines (the snapshot's, parsed once for every probe that reads maps). */
function anonShmFromLines(maps: readonly ProcessMaps[]): AnonShmChannel[] {
  const groups = new Map<string, Group>();
  for (const p of maps) {
    for (const m of p.lines) {
      if (!m.deleted || m.perms[3] !== 's') continue;
      const name = anonShmName(m.path);
      if (name === null) continue;
      const key = m.dev + ':' + m.inode;
      let g = groups.get(key);
      if (!g) {
        g = { name, dev: m.dev, inode: m.inode, size: 0, endpoints: [], pids: new Set() };
        groups.set(key, g);
      }
      const len = rangeLength(m.range);
      if (len > g.size) g.size = len;
      g.endpoints.push({ pid: p.pid, map: m.range, mode: mapMode(m.perms) });
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
    for (const ch of anonShmFromLines(parsedMaps(ctx))) emit(ctx, ch);
  },
};
