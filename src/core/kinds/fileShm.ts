// Shared memory through a file (probes/fileShm.ts): a file outside /dev mapped MAP_SHARED by two or
// more processes, one of them able to write it — SQLite's WAL index (`DB-shm`), LMDB's lock file,
// journald's journal files, Varnish's shared log. lsof lists such mappings (FD `mem`); no named IPC
// object does.
import type { ChannelBase } from '../model';
import { col, mntnsColumn } from '../columns';
import { formatBytes, shortText, plural } from '../text';
import { defineKind, inodeOfDevId, noOwner, noPeer, noMentions, otherMntns, notRemovable, SHARED_MEMORY_STATE } from './kind';

/**
 * A file mapped shared (`s` in maps) by at least two distinct processes, at least one of them
 * with a writable mapping (only readers share no data: fontconfig and gconv caches). Files under
 * /dev are the device and shm kinds' (a GPU's /dev/dri mappings are no IPC object), SysV, memfd
 * and anonymous shmem the other shared memory kinds'. Grouped by dev:inode.
 */
export interface FileShmChannel extends ChannelBase {
  kind: 'file-shm';
  /** The path its mappings show (` (deleted)` taken off): the mapping process's view, another user's text. */
  path: string;
  /** The file was unlinked while mapped (maps shows ` (deleted)`). */
  deleted: boolean;
  /** Present only when `path` was read from a process of another mount namespace: that namespace (a name there; here it may name another file, or none). */
  mntns?: string;
  /** Inode of the file (the maps line's inode column). */
  inode: number;
  /** Device `major:minor` as in the maps line (e.g. `fe:01`). */
  dev: string;
  /** How far the mappings seen reach into the file, in bytes: the largest offset + length (a process may map only part of it). */
  size: number;
  /** Processes with a writable mapping (the others map it read-only). */
  writers: number;
}

/**
 * Maps lines of shared file mappings outside /dev and the other shared memory kinds' paths (both fd
 * walks keep the same; the BPF program emits them): a process's first 64, so that a server mapping
 * thousands of files read-only (a search index, a time-series store) does not crowd out its other
 * lines (native/bpf/walk.h IPCI_VMA_FILE_LINES: the BPF program's and procfacts.cc's bound).
 */
export const FILE_SHM_MAPS = [{ text: ' /', shared: true, except: [' /dev/', ' /SYSV', ' /anon_hugepage', ' /memfd:'], max: 64 }] as const;

const c = col<FileShmChannel>();

export const fileShm = defineKind<FileShmChannel>({
  kind: 'file-shm',
  title: 'Shared file mapping',
  teaching:
    'Shared file mapping: a file several processes map MAP_SHARED, so a store by one is seen by the others at once (SQLite WAL index, LMDB lock file, journald); no built-in synchronisation.',
  icon: 'file-binary',
  group: { id: 'shm', label: 'Shared Memory', sub: 'Mapped files' },
  map: { family: 'shm', shared: true },
  idShape: /^[0-9a-f]+:[0-9a-f]+:\d+$/,
  inodeOfId: inodeOfDevId,
  name: (ch, max) => shortText(ch.path, max) + (ch.deleted ? ' (deleted)' : '') + otherMntns(ch),
  longTitle: (ch) => `Shared file mapping ${shortText(ch.path)}${ch.deleted ? ' (deleted)' : ''}${otherMntns(ch)} (${ch.dev}:${ch.inode})`,
  description: (ch) => `${formatBytes(ch.size)} mapped, ${plural(new Set(ch.endpoints.map((e) => e.pid)).size, 'process', 'processes')}, ${plural(ch.writers, 'writer', 'writers')}`,
  columns: [
    c('path', 'PATH', 'Path', 'string', 'The mapped file, as its mappings show it', { search: 'text' }),
    mntnsColumn<FileShmChannel>(),
    // not the file's size (lsof's SIZE/OFF): reading that would stat every mapped file of every
    // process on each scan; the peek reads it (`10000 bytes of 10000`)
    c('size', 'MAPPED', 'Mapped', 'number', "How far the mappings seen reach into the file, in bytes (the largest mapping when all start at its beginning): whole pages, so past the file's end when its size is not a multiple of the page size", { unit: 'bytes' }),
    c('writers', 'WRITERS', 'Writers', 'number', 'Processes with a writable mapping of it'),
    // in the table (lsof prints DEL): the path alone reads as a file still there
    c('deleted', 'DELETED', 'Deleted', 'boolean', 'The file was unlinked while mapped'),
    c('dev', 'DEV', 'Device', 'string', 'Device (major:minor) of the file, as in /proc/PID/maps', { search: 'text', wide: true }),
    c('inode', 'INODE', 'Inode', 'number', 'Inode of the file (identifies it across processes)', { search: 'number', wide: true }),
  ],
  ends: 'holders',
  peer: noPeer,
  owner: noOwner,
  mentions: noMentions,
  probe: 'fileShm',
  maps: FILE_SHM_MAPS,
  peek: 'file-shm',
  paged: true,
  remove: notRemovable,
  ...SHARED_MEMORY_STATE,
});
