// POSIX shared memory (probes/posix.ts): the files of /dev/shm other than `sem.*`, held through
// fds and mappings (joined by inode), and files under its subdirectories that processes hold or map.
import type { ChannelBase } from '../model';
import { col, ownerColumns } from '../columns';
import { formatBytes, shortText } from '../text';
import { defineKind, noMentions, posixNamedTraits, SHARED_MEMORY_STATE, type PosixFileIdentity } from './kind';
import { DEVSHM_FDS } from './fds';

export interface PosixShmChannel extends ChannelBase, PosixFileIdentity {
  kind: 'posix-shm';
  name: string;
  /**
   * For an object named by its holders' fds or mappings (deleted, another mount's, under a subdirectory): the
   * name's bytes in hex, present only when they are not UTF-8 (`name` then has U+FFFD for the bad
   * bytes). Views show the name by its bytes. (A listed object's are in its id: `posix-shm:bytes/HEX`.)
   */
  nameBytes?: string;
  /**
   * Bytes: the file's size — for an object named by its holders (deleted, another mount's, under a
   * subdirectory) read through a holder's fd or mapping, never taken from a mapping's length (a
   * mapping may be longer than the file: Berkeley DB maps 1 MiB over a 280 KiB file). When that
   * cannot be read (no permission to any holder, no addon): how far the mappings seen reach, with
   * `sizeIsMapping`, or null when only fds hold it — and an errors[] entry (field `size`) says why.
   */
  size: number | null;
  /** `size` is how far the mappings seen reach into the file (largest offset + length), not its size (which could not be read: see errors[]). */
  sizeIsMapping?: boolean;
  /** Owner and mode of the file; null for a deleted object (there is no file left to stat). */
  uid: number | null;
  owner: string | null;
  mode: string | null;
  /** The name was unlinked (shm_unlink) while processes still hold or map the object: `posix-shm:deleted/DEV:INODE`. */
  deleted: boolean;
  /**
   * A file of another /dev/shm (another mount's tmpfs: a container's, or a user's own mount
   * namespace), held or mapped by its processes: `posix-shm:mount/DEV:INODE`. Its name here is
   * another file or none: no owner, read through a mapping, not removed by name.
   */
  otherMount?: boolean;
  /**
   * A file under a subdirectory of /dev/shm (`name` is its path there, `app/ring`), held or mapped:
   * shared memory no POSIX name reaches (shm_open names have no `/`), `posix-shm:file/DEV:INODE`.
   * The directories are their creator's: no owner read, read through a mapping, not removed.
   */
  subdir?: boolean;
}

/** Maps lines of /dev/shm files (POSIX shared memory and named semaphores). */
export const DEVSHM_MAPS = [{ text: ' /dev/shm/' }] as const;

/** Where the posix probe finds the /dev/shm kinds (shared memory, named semaphores): their fds and mappings. */
export const DEVSHM_SOURCES = { fds: DEVSHM_FDS, maps: DEVSHM_MAPS } as const;

const c = col<PosixShmChannel>();

export const posixShm = defineKind<PosixShmChannel>({
  kind: 'posix-shm',
  title: 'POSIX shared memory',
  teaching: 'POSIX shared memory: a named file in /dev/shm mapped by several processes; no built-in synchronisation; lives until shm_unlink.',
  icon: 'database',
  group: { id: 'shm', label: 'Shared Memory', sub: 'POSIX' },
  map: { family: 'shm', shared: true },
  ...posixNamedTraits<PosixShmChannel>(),
  ...DEVSHM_SOURCES,
  name: (ch, max) => (ch.subdir ? '/dev/shm/' : '/') + shortText(ch.name, max) + (ch.deleted ? ' (deleted)' : ''),
  longTitle: (ch) => `${ch.subdir ? 'Shared memory file /dev/shm/' : 'POSIX shared memory /'}${shortText(ch.name)}${ch.deleted ? ' (deleted)' : ''}${ch.otherMount ? ' of another /dev/shm' : ''} (${formatBytes(ch.size)}${ch.sizeIsMapping ? ' mapped' : ''})`,
  description: (ch) => formatBytes(ch.size) + (ch.sizeIsMapping ? ' mapped' : '') + (ch.deleted ? ', deleted' : '') + (ch.otherMount ? ', another /dev/shm' : '') + (ch.subdir ? ', in a subdirectory' : ''),
  columns: [
    c('name', 'NAME', 'Name', 'string', 'Object name in /dev/shm', { search: 'text' }),
    c('size', 'SIZE', 'Size', 'number|null', "Size of the file in bytes (when it cannot be read, an object known by its holders shows how far its mappings reach: Size is mapping)", { unit: 'bytes' }),
    c('sizeIsMapping', 'SIZE IS MAPPING', 'Size is mapping', 'boolean', "The file's size could not be read through any holder (no permission, or past the scan's bound on such reads): Size is how far the mappings reach into it (the largest offset + length), which may be past the file's end or short of it", { wide: true }),
    c('deleted', 'DELETED', 'Deleted', 'boolean', 'The name was unlinked (shm_unlink) while processes still hold or map it', { wide: true }),
    c('otherMount', 'OTHER MOUNT', 'Another /dev/shm', 'boolean', "A file of another /dev/shm (a container's tmpfs): its name here is another file", { wide: true }),
    c('subdir', 'SUBDIR', 'In a subdirectory', 'boolean', 'A file under a subdirectory of /dev/shm, held or mapped: no POSIX name reaches it', { wide: true }),
    ...ownerColumns<PosixShmChannel>(true),
  ],
  mentions: noMentions,
  peek: 'posix-shm',
  paged: true,
  remove: (ch) => (ch.deleted || ch.otherMount || ch.subdir ? null : { by: 'unlink', dir: 'shm', file: ch.name, note: 'the name is gone; existing mappings stay valid until unmapped', fileId: ch.fileId }),
  ...SHARED_MEMORY_STATE,
});
