// Objects no name of ours reaches — unlinked while held, another /dev/shm's, another IPC
// namespace's — are read through their holders: a mapping (/proc/PID/mem, by the maps line's
// dev:inode) or a duplicate of an fd (pidfd_getfd, by the fd's dev:inode). Their ids carry the
// device they live on (`KIND:deleted/MAJOR:MINOR:INODE`, `posix-mq:ns/MAJOR:MINOR/NAME`); the
// snapshot's probes and the peeks read them back here, and ask a queue's holders alike.
import type { Endpoint } from './model';
import { DeadlineError } from './deadline';
import { errnoName, type NativeAddon } from './native';

/** The device (and inode, in the `DEV:INODE` form) an id of one of `forms` names, or null. */
export function heldObjectKey(id: string, kind: string, forms: readonly string[]): { major: number; minor: number; inode: number | null } | null {
  const m = /^([a-z]+)\/(\d+):(\d+)(?::(\d+)$|\/)/.exec(id.slice(kind.length + 1));
  if (!m || !id.startsWith(kind + ':') || !forms.includes(m[1])) return null;
  return { major: Number(m[2]), minor: Number(m[3]), inode: m[4] !== undefined ? Number(m[4]) : null };
}

/** A device as /proc/PID/maps prints it: `00:1b`. */
export function mapsDev(major: number, minor: number): string {
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

export type MqAttr = { maxmsg: number; msgsize: number; curmsgs: number };

/**
 * mq_getattr of a queue through a duplicate of one of its holders' fds (each tried in turn: one may
 * have closed it since the snapshot); the addon checks the queue's dev:inode on the fd before and
 * on the duplicate after. `attempt` runs each call (under a deadline); `allow` says whether one
 * more may be made (a scan's budget). The errno name of the last failure when none could be read.
 */
export async function mqAttrThroughHolders(
  native: NativeAddon,
  endpoints: readonly Endpoint[],
  key: { major: number; minor: number; inode: number },
  attempt: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
  allow: () => boolean = () => true,
): Promise<{ attr: MqAttr; pid: number; fd: number } | string> {
  if (!native.mqGetattrFd) return 'needs the native addon';
  let last = 'ENOENT';
  for (const e of endpoints) {
    if (e.fd === undefined) continue;
    if (!allow()) return 'EAGAIN'; // over the scan's budget
    try {
      const attr = await attempt(`mq_getattr through fd ${e.fd} of ${e.pid}`, () => native.mqGetattrFd!(e.pid, e.fd!, key.inode, key.major, key.minor));
      return { attr, pid: e.pid, fd: e.fd };
    } catch (err) {
      last = err instanceof DeadlineError ? 'ETIMEDOUT' : (errnoName(err) ?? 'EIO');
    }
  }
  return last;
}
