// Shared memory without a name in /dev/shm or SysV: shared mappings of shmem/hugetlbfs objects
// that have no path — MAP_SHARED|MAP_ANONYMOUS inherited across fork() (`/dev/zero (deleted)`),
// shared anonymous hugetlb (`/anon_hugepage (deleted)`) and memfds (`/memfd:NAME (deleted)`) —
// and the fds that hold memfds (the walk's MEMFD_FDS rows: a creator that only writes through its
// fd, a server that passes its pool's fd over SCM_RIGHTS). Pure over the walk's filtered maps text
// and fd rows: one channel per dev:inode mapped or held by ≥ 2 processes.
import type { AnonShmChannel, Endpoint } from '../model';
import { MEMFD_FDS } from '../kinds/fds';
import { devOrder, mapsDev, parseMapsDev, readOrder, sizeThroughHolders, type HeldSizeBudget } from '../heldObjects';
import type { NativeAddon } from '../native';
import { byPidFd, devName, emit, modeOf, type Probe, type ProbeContext } from './context';
import { mapHolders, mapHoldersOf, type SharedMapping } from './maps';


const DELETED = ' (deleted)';

/** The fds on one memfd (dev as maps shows it, `00:01`). */
export interface MemfdFds {
  dev: string;
  inode: number;
  /** `memfd:NAME`: the link without its `/` and the kernel's ` (deleted)` (the last one: NAME may end in it too). */
  name: string;
  endpoints: Endpoint[];
}

/** The name of a memfd fd's link `/memfd:NAME (deleted)`, or null for any other text. Exported for tests. */
export function memfdLinkName(link: string): string | null {
  if (!link.startsWith('/memfd:') || !link.endsWith(DELETED) || link.length < '/memfd:'.length + DELETED.length) return null;
  return link.slice(1, -DELETED.length);
}

/** The walk's memfd fd rows, grouped by dev:inode. */
export function memfdFds(ctx: Pick<ProbeContext, 'walk' | 'index'>): MemfdFds[] {
  const f = ctx.walk.fds;
  const out = new Map<string, MemfdFds>();
  for (const row of ctx.index.heads(MEMFD_FDS.rule.code)) {
    for (let i = row; i >= 0; i = ctx.index.next[i]) {
      const pi = f.pathIndex[i];
      const name = pi >= 0 ? memfdLinkName(ctx.walk.paths[pi]) : null;
      if (name === null) continue;
      const [major, minor] = devName(f.dev[i]).split(':').map(Number);
      const dev = mapsDev(major, minor);
      const key = `${dev}:${f.inode[i]}`;
      let g = out.get(key);
      if (!g) out.set(key, (g = { dev, inode: f.inode[i], name, endpoints: [] }));
      g.endpoints.push({ pid: f.pid[i], fd: f.fd[i], mode: modeOf(f.mode[i]) });
    }
  }
  return [...out.values()];
}

/**
 * Channels from per-process maps text (only `s` lines of unnamed shmem count) and the fds on
 * memfds, joined by dev:inode: a memfd's mappers (endpoints with `map`) and holders (with `fd`).
 * Exported for tests.
 */
export function anonShmChannels(maps: Iterable<{ pid: number; maps: string | undefined | null }>, fds: Iterable<MemfdFds> = []): AnonShmChannel[] {
  const texts = [...maps].filter((p): p is { pid: number; maps: string } => !!p.maps);
  return anonShmChannelsOf(mapHoldersOf(texts).anonShm, fds);
}

function anonShmChannelsOf(named: readonly SharedMapping[], fds: Iterable<MemfdFds>): AnonShmChannel[] {
  const out: AnonShmChannel[] = [];
  const groups = new Map<string, { name: string; dev: string; inode: number; size: number | null; endpoints: Endpoint[]; pids: Set<number> }>();
  for (const g of named) groups.set(`${g.dev}:${g.inode}`, { name: g.name, dev: g.dev, inode: g.inode, size: g.size, endpoints: g.endpoints, pids: g.pids });
  for (const m of fds) {
    const key = `${m.dev}:${m.inode}`;
    let g = groups.get(key);
    // mapped: the name its maps line shows, as without fds; held by fds only: the link's
    if (!g) groups.set(key, (g = { name: m.name, dev: m.dev, inode: m.inode, size: null, endpoints: [], pids: new Set() }));
    for (const e of m.endpoints) {
      g.endpoints.push(e);
      g.pids.add(e.pid);
    }
  }
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

/** At most this many size reads per snapshot (each is a native call on a thread, ~40 µs; a desktop shares hundreds of memfds). */
const MAX_SIZE_READS = 64;

/**
 * Each memfd's size read through its holders (heldObjects.ts fileSizeThroughHolders: an fd, or a
 * mapping's map_files link for root; dev:inode checked): its mappings are page-rounded and may
 * cover part of it. /dev/zero and anon_hugepage regions are as long as their mapping. What no
 * holder answers keeps the mappings' reach, said by `sizeIsMapping` and an errors[] entry.
 */
async function memfdSizes(ctx: ProbeContext, native: NativeAddon | null, chans: readonly AnonShmChannel[]): Promise<void> {
  const budget: HeldSizeBudget = { calls: MAX_SIZE_READS, skip: new Map() };
  // In readOrder's order (heldObjects.ts): by inode within a user, so that past the bound the same
  // memfds get their size snapshot after snapshot — in the walk's order (pid, then mapping address,
  // and the kernel places new mappings below the old) a memfd made since took the place of one read
  // the last time: a desktop's ~175 memfds changed between exact and mapping-sized from one
  // snapshot to the next. The processes asked about (`pids`) first: the others are dropped. Users
  // in turn: one user's thousand shared memfds leave the others theirs.
  const memfds = readOrder(
    chans.filter((ch) => ch.name.startsWith('memfd:')),
    (ch) => {
      const { major, minor } = parseMapsDev(ch.dev);
      return { dev: devOrder(major, minor), inode: ch.inode, endpoints: ch.endpoints };
    },
    ctx,
  );
  for (const ch of memfds) {
    // (its size so far is the mappings' reach)
    await sizeThroughHolders(native, ch, { ...parseMapsDev(ch.dev), inode: ch.inode }, ch.size, ctx.itemTimeoutMs, budget);
  }
}

export const anonShmProbe: Probe = {
  async run(ctx: ProbeContext) {
    const chans = anonShmChannelsOf(mapHolders(ctx).anonShm, memfdFds(ctx));
    if (ctx.procRoot === '/proc') await memfdSizes(ctx, ctx.native, chans);
    for (const ch of chans) emit(ctx, ch);
  },
};
