// POSIX named semaphores (probes/posix.ts): `/dev/shm/sem.NAME`, a glibc sem_t read without
// mapping it (untrustedFiles.ts); a file there that is no semaphore stays a row with `error`.
import type { ChannelBase } from '../model';
import { col, ownerColumns } from '../columns';
import { shortText } from '../text';
import { defineKind, noMentions, NO_STATE_TRAITS, posixNamedTraits, type PosixFileIdentity } from './kind';
import { DEVSHM_SOURCES } from './posixShm';

export interface PosixSemChannel extends ChannelBase, PosixFileIdentity {
  kind: 'posix-sem';
  name: string;
  /**
   * For a semaphore named by its holders' mappings (deleted, another mount's): the name's bytes
   * in hex, present only when they are not UTF-8 (`name` then has U+FFFD for the bad bytes). Views
   * show the name by its bytes. (A listed semaphore's are in its id: `posix-sem:bytes/HEX`.)
   */
  nameBytes?: string;
  /** The counter (read from the file's glibc sem_t); null when unreadable or not a semaphore. */
  value: number | null;
  /** The file's owner and mode; null for another /dev/shm's semaphore (no name of ours reaches its file). */
  uid: number | null;
  owner: string | null;
  mode: string | null;
  /**
   * A semaphore of another /dev/shm (a container's tmpfs, or any user's own mount namespace), by
   * its holders' mappings: `posix-sem:mount/DEV:INODE`. Its name here would be another file, ours
   * or nobody's: it is never joined to ours, its value is read through a holder's mapping, and it
   * cannot be removed from here. `name` is what the mapping shows (its creator's mapping shows
   * glibc's temp name, `XXXXXX` of `sem.XXXXXX`).
   */
  otherMount?: boolean;
  /**
   * Unlinked (sem_unlink) while processes still map it — Apache's `Mutex posixsem`, Python's
   * multiprocessing locks: `posix-sem:deleted/DEV:INODE`, listed by its holders' mappings, its
   * value read through one of them; `name` is what the mapping shows (possibly glibc's temp name).
   */
  deleted?: boolean;
  /** Present when /dev/shm/sem.NAME is not a readable semaphore: what is wrong (wrong size or type, unreadable). Text built from a name another user chose: escape at display. */
  error?: string;
}

const c = col<PosixSemChannel>();

/**
 * `/dev/shm/sem.NAME` is no semaphore: a FIFO, a symlink, a directory, or a regular file of
 * another size than glibc's sem_t (or holding no valid value) — any user can put one there. The
 * row stays (it reads as a semaphore to a user, and says what it is), but it is neither a leftover
 * semaphore nor removed as one.
 */
export function notASemaphore(ch: PosixSemChannel): boolean {
  return ch.errors?.some((e) => e.field === 'value' && e.code === 'EFTYPE') === true;
}

export const posixSem = defineKind<PosixSemChannel>({
  kind: 'posix-sem',
  title: 'POSIX named semaphore',
  teaching: 'POSIX named semaphore: a non-negative counter (sem_t in /dev/shm/sem.NAME); sem_wait decrements or blocks at zero, sem_post increments.',
  icon: 'symbol-numeric',
  group: { id: 'sem', label: 'Semaphores', sub: 'POSIX' },
  map: { family: 'sem', shared: true },
  ...posixNamedTraits<PosixSemChannel>(),
  ...DEVSHM_SOURCES,
  name: (ch, max) => '/' + shortText(ch.name, max) + (ch.deleted ? ' (deleted)' : ''),
  longTitle: (ch) => `POSIX semaphore /${shortText(ch.name)}${ch.deleted ? ' (deleted)' : ''}${ch.otherMount ? ' of another /dev/shm' : ''}`,
  description: (ch) => [ch.value === null ? '' : `value ${ch.value}`, ch.deleted ? 'deleted' : '', ch.otherMount ? 'another /dev/shm' : ''].filter(Boolean).join(', '),
  columns: [
    c('name', 'NAME', 'Name', 'string', 'Semaphore name (/dev/shm/sem.NAME)', { search: 'text' }),
    c('value', 'VALUE', 'Value', 'number|null', 'Current value (the glibc sem_t in the file)'),
    ...ownerColumns<PosixSemChannel>(),
    c('error', 'ERROR', 'Error', 'string|null', 'Why the value is missing: the file is not a semaphore (wrong size or type) or unreadable'),
    c('deleted', 'DELETED', 'Deleted', 'boolean', 'The name was unlinked (sem_unlink) while processes still map it', { wide: true }),
    c('otherMount', 'OTHER MOUNT', 'Another /dev/shm', 'boolean', "A semaphore of another /dev/shm (a container's tmpfs): its name here is another file", { wide: true }),
  ],
  mentions: noMentions,
  peek: 'posix-sem',
  paged: false,
  remove: (ch) => (ch.otherMount || ch.deleted || notASemaphore(ch) ? null : { by: 'unlink', dir: 'shm', file: 'sem.' + ch.name, note: 'the name is gone; processes that opened it keep it until sem_close', fileId: ch.fileId }),
  queue: (ch) => ({ bytes: null, counts: ch.value === null ? null : [ch.value], stamp: null }),
  depth: (ch) => (ch.value !== null ? { value: ch.value } : undefined),
  ...NO_STATE_TRAITS,
});
