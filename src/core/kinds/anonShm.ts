// Shared memory without a name (probes/anonShm.ts): shared (`s`) mappings of shmem/hugetlbfs
// objects that have no path — MAP_SHARED|MAP_ANONYMOUS inherited across fork() (`/dev/zero
// (deleted)`), shared anonymous hugetlb and memfds — and the fds that hold memfds, grouped by
// dev:inode, a channel when at least two processes map or hold it.
import type { ChannelBase } from '../model';
import { col } from '../columns';
import { formatBytes, shortText, plural } from '../text';
import { MEMFD_FDS } from './fds';
import { defineKind, inodeOfDevId, noOwner, noPeer, noMentions, notRemovable, SHARED_MEMORY_STATE } from './kind';

/**
 * Shared memory with no name in /dev/shm or SysV: a MAP_SHARED|MAP_ANONYMOUS region inherited
 * across fork() (maps path `/dev/zero (deleted)`, e.g. PostgreSQL's shared buffers), a shared
 * anonymous hugetlb mapping (`/anon_hugepage (deleted)`) or a memfd (`/memfd:NAME (deleted)`,
 * often passed over a Unix socket). Only shared (`s`) mappings count, and the fds on a memfd (its
 * creator's, or one received over SCM_RIGHTS: endpoints with `fd`), grouped by dev:inode; it is a
 * channel only when at least two distinct processes map or hold it.
 */
export interface AnonShmChannel extends ChannelBase {
  kind: 'anon-shm';
  /**
   * `/dev/zero`, `anon_hugepage` or `memfd:NAME` (NAME is program-chosen text: escape at display):
   * as a mapping's maps line shows it (a newline as `\012`), else as a holder's fd link.
   */
  name: string;
  /** Inode of the shmem/hugetlbfs object (the maps line's inode column). */
  inode: number;
  /** Device `major:minor` as in the maps line (e.g. `00:01` for shmem). */
  dev: string;
  /**
   * The object's size in bytes, read through a holder (an fd, or for root a mapping's map_files
   * link: fstat, dev:inode checked) — a memfd's file size, which its page-rounded mappings outrun.
   * When no holder answers (another user's, the scan's bound): how far the mappings seen reach
   * (the largest offset + length) and `sizeIsMapping`, or null when only fds hold it.
   */
  size: number | null;
  /** `size` is how far the mappings reach, not the object's size (no holder answered: see errors[]). */
  sizeIsMapping?: boolean;
}

/** The channel name of a shared maps path (` (deleted)` already stripped), or null if not unnamed shmem. */
export function anonShmName(path: string): string | null {
  if (path === '/dev/zero') return '/dev/zero';
  if (path === '/anon_hugepage') return 'anon_hugepage';
  if (path.startsWith('/memfd:')) return path.slice(1);
  return null;
}

const c = col<AnonShmChannel>();

export const anonShm = defineKind<AnonShmChannel>({
  kind: 'anon-shm',
  title: 'Shared anonymous memory',
  teaching:
    'Shared anonymous memory: memory shared by mapping the same anonymous region or memfd: inherited across fork() or passed as an fd; no built-in synchronisation.',
  icon: 'database',
  group: { id: 'shm', label: 'Shared Memory', sub: 'Anonymous/memfd' },
  map: { family: 'shm', shared: true },
  idShape: /^[0-9a-f]+:[0-9a-f]+:\d+$/,
  inodeOfId: inodeOfDevId,
  name: (ch, max) => shortText(ch.name, max) + ` [${ch.dev}:${ch.inode}]`,
  longTitle: (ch) => `Shared anonymous memory ${shortText(ch.name)} (${ch.dev}:${ch.inode})`,
  description: (ch) => `${ch.size === null ? 'size unknown' : formatBytes(ch.size) + (ch.sizeIsMapping ? ' mapped' : '')}, ${plural(new Set(ch.endpoints.map((e) => e.pid)).size, 'process', 'processes')}`,
  columns: [
    c('name', 'NAME', 'Name', 'string', '/dev/zero (MAP_SHARED|MAP_ANONYMOUS), anon_hugepage (shared hugetlb) or memfd:NAME', { search: 'text' }),
    c('size', 'SIZE', 'Size', 'number|null', "The object's size in bytes, read through a holder's fd or mapping (fstat); else how far the mappings reach (Size is mapping)", { unit: 'bytes' }),
    c('sizeIsMapping', 'SIZE IS MAPPING', 'Size is mapping', 'boolean', "No holder answered (another user's, or past the scan's bound): Size is how far the mappings reach into the object, which may be past a memfd's end", { wide: true }),
    c('dev', 'DEV', 'Device', 'string', 'Device (major:minor) of the shmem/hugetlbfs object, as in /proc/PID/maps', { search: 'text', wide: true }),
    c('inode', 'INODE', 'Inode', 'number', 'Inode of the object (identifies it across processes)', { search: 'number', wide: true }),
  ],
  ends: 'holders',
  peer: noPeer,
  owner: noOwner,
  mentions: noMentions,
  probe: 'anonShm',
  fds: MEMFD_FDS,
  maps: [
    { text: ' /dev/zero', shared: true },
    { text: ' /anon_hugepage', shared: true },
    { text: ' /memfd:', shared: true },
  ],
  peek: 'anon-shm',
  paged: true,
  remove: notRemovable,
  ...SHARED_MEMORY_STATE,
});
