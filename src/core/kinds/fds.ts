// The fd classes several kinds share (a socket fd is unix, tcp or udp; a /dev/shm fd is shared
// memory or a named semaphore), as walk rules (kinds/kind.ts FdRule). A kind with fds of its own
// (eventfd) declares its class in its own file. Codes are the walk's `kind` column values; the
// registry checks they are unique.
import type { FdClass } from './kind';

/** `pipe:[INODE]`: an anonymous pipe end; measured (FIONREAD) through read-mode fds. */
export const PIPE_FDS: FdClass = { id: 'pipe', rule: { code: 1, link: 'pipe:[', bracket: true, measure: true } };

/** `socket:[INODE]`: always read-write. */
export const SOCKET_FDS: FdClass = { id: 'socket', rule: { code: 2, link: 'socket:[', bracket: true, rw: true } };

/** A path whose target is a FIFO, anywhere. */
export const FIFO_FDS: FdClass = { id: 'fifo', rule: { code: 3, link: '/', type: 'fifo', measure: true } };

/** `/NAME` on an mqueue filesystem (mq_open). */
export const MQUEUE_FDS: FdClass = { id: 'mqueue', rule: { code: 4, link: '/', type: 'reg', mqueue: true } };

/** A regular file under /dev/shm (POSIX shared memory, or a named semaphore `sem.NAME`). */
export const DEVSHM_FDS: FdClass = { id: 'devshm', rule: { code: 5, link: '/', type: 'reg', under: '/dev/shm/' } };

/** `/memfd:NAME (deleted)` on the kernel's internal shmem mount: a memfd held through an fd (memfd_create, or passed over SCM_RIGHTS). */
export const MEMFD_FDS: FdClass = { id: 'memfd', rule: { code: 8, link: '/', type: 'reg', under: '/memfd:', memfd: true } };

/** `/` links the walk never follows when no wanted kind reads terminals (devpts holds only terminals, and every shell has some): walkRulesFor drops it for ptys. */
export const SKIP_LINKS: readonly string[] = ['/dev/pts/'];
