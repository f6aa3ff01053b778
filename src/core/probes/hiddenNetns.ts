// Network namespaces no process is in, found through the sockets made in them. The socket tables
// are dumped per namespace, and the namespaces come from the walked processes; a process can make
// a socket in a namespace of its own and leave it (a child that unshares, binds a path, passes the
// socket to its parent over SCM_RIGHTS and exits): the socket then lives, reachable through its
// path, in no table — hidden from every view, and its path would look stale. Socket fds whose
// inode no table had are asked for their family and namespace (native socketNetns: pidfd_getfd +
// SO_DOMAIN + SIOCGSKNS); an IPC family's socket in a namespace not yet dumped gives that
// namespace's fd, which the socket probe dumps like any other. Most such fds are netlink or packet
// sockets, or sockets never bound (in no table of any namespace): remembered by inode, so each
// socket is asked once.
import type { NativeAddon } from '../native';
import { SOCKET_FDS } from '../kinds/fds';
import type { ProbeContext } from './context';
import { TooManyStuckError, withDeadline } from '../deadline';

/** Families with IPC kinds: AF_UNIX, AF_INET, AF_INET6. */
const IPC_FAMILIES: ReadonlySet<number> = new Set([1, 2, 10]);
/** New sockets asked per snapshot (each is a pidfd_getfd): more wait for the next one. */
export const LOOKUPS_PER_SNAPSHOT = 256;
/** Sockets remembered as "not hidden" (other family, or a namespace already dumped). */
const REMEMBERED = 65536;

/** Inode → asked already: not in a namespace of its own (insertion order: the oldest go first). */
const asked = new Map<number, true>();

export function hiddenNetnsCacheSize(): number {
  return asked.size;
}

export interface HiddenNetns {
  /** The namespace's inode, as text (like the walked processes' netns ids). */
  id: string;
  /** An fd of it (nsPath /proc/self/fd/N), to be closed with closeFd. */
  fd: number;
  /** The socket it was found through. */
  via: { pid: number; fd: number; inode: number };
}

/**
 * The namespaces of socket fds whose inode is in no table (`inTables`), other than `known`, one at
 * a time: the caller dumps each before asking for the next, so that its sockets are in a table
 * then and are not asked about. The caller closes each fd. A socket that cannot be asked (closed
 * or swapped since the walk, its process gone) is skipped.
 */
export async function* hiddenNamespaces(ctx: ProbeContext, native: NativeAddon, inTables: (inode: number) => boolean, known: Set<string>): AsyncGenerator<HiddenNetns> {
  const g = ctx.index.groups(SOCKET_FDS.rule.code);
  const f = ctx.walk.fds;
  let lookups = 0;
  for (let k = 0; k < g.count && lookups < LOOKUPS_PER_SNAPSHOT; k++) {
    const inode = g.inode[k];
    if (asked.has(inode) || inTables(inode)) continue;
    const row = g.first[k];
    lookups++;
    let r: { family: number; netns: number; nsFd?: number };
    try {
      // (the item deadline: a copy swapped for a FUSE file between the checks is closed, and a close can hang)
      let late = false;
      const ask = native.socketNetns(f.pid[row], f.fd[row], inode, true);
      ask.then((x) => late && x.nsFd !== undefined && native.closeFd(x.nsFd), () => undefined); // an answer after the deadline: its fd closed
      try {
        r = await withDeadline(`socket ${inode}'s namespace (pidfd_getfd)`, ctx.itemTimeoutMs, () => ask);
      } catch (e) {
        late = true;
        throw e;
      }
    } catch (e) {
      if (e instanceof TooManyStuckError) return;
      continue;
    }
    const id = String(r.netns);
    if (!IPC_FAMILIES.has(r.family) || known.has(id)) {
      if (r.nsFd !== undefined) native.closeFd(r.nsFd);
      remember(inode);
      continue;
    }
    if (r.nsFd === undefined) continue;
    known.add(id);
    yield { id, fd: r.nsFd, via: { pid: f.pid[row], fd: f.fd[row], inode } };
  }
}

function remember(inode: number): void {
  if (asked.size >= REMEMBERED) asked.delete(asked.keys().next().value as number);
  asked.set(inode, true);
}
