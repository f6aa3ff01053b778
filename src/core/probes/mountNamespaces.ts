// Paths read in another mount namespace. An fd link, a maps line and a bound socket's name are
// names in their process's mount namespace: any user with user namespaces can mount a tmpfs over
// /etc in a namespace of their own and hold a FIFO /etc/shadow, and its row would read like ours.
// The probes mark such a path with the namespace (`mntns` on the channel) unless the path, looked
// up here, leads to the very object (its dev:inode): a systemd service with ProtectSystem= or
// PrivateTmp= has a namespace of its own, and its /run socket is ours all the same.
// The lookups are lstat only, through SafeLstat (never a file system that could hang, never
// another user's symlink, one directory handle at a time), only for paths a process of another
// namespace gave, at most MAX_LOOKUPS_PER_USER a snapshot for the paths of one user's processes
// and MAX_LOOKUPS in all (any user can hold thousands of FIFOs in deep directories: 4,000 in
// chains 1,900 deep added 8 s to a snapshot); past that, they are marked. Per user, so that
// nobody's thousand FIFOs in a namespace of their own cannot use up the lookups a root service
// with PrivateTmp= needs for its sockets to read as what they are.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readMountTable, SafeLstat } from '../diagnose/paths';
import { devName, ownMntns, type ProbeContext } from './context';
import { UserBudget } from '../userBudget';

export interface ForeignPaths {
  /** The process's mount namespace when it is known and not the snapshot's, else undefined (unknown is taken as ours, as ipcns is). */
  of(pid: number): string | undefined;
  /**
   * The namespace to mark `text` with, read from process `pid`: its namespace when that is another
   * one and `text` here does not lead to `object` (dev `major:minor` and inode; null when not
   * known: then a path of another namespace is marked).
   */
  mark(text: string, pid: number, object: { dev: string; inode: number } | null): string | undefined;
  /**
   * A relative name (a socket bound as `private/smtp`, relative to its binder's working directory
   * then): the absolute path it names when the working directory of one of `pids` (ours, first
   * few) joined with it leads here to `object`; undefined when none does. The same lookups and
   * bounds as `mark`.
   */
  relative(text: string, pids: readonly number[], object: { dev: string; inode: number }): string | undefined;
  /**
   * An absolute name given by a chrooted binder of our namespace (`/dev/log` bound in
   * `/srv/jail`): the path as our root reaches it when the root of one of `pids` joined with it
   * leads here to `object`; undefined when no holder is chrooted or none leads there. Each
   * holder's root is read once a snapshot (a readlink: nothing on the way is touched).
   */
  rooted(text: string, pids: readonly number[], object: { dev: string; inode: number }): string | undefined;
}

const NOTHING_FOREIGN: ForeignPaths = { of: () => undefined, mark: () => undefined, relative: () => undefined, rooted: () => undefined };

/** Holders whose working directory is tried for one relative name, at most. */
const RELATIVE_TRIES = 4;

/** Paths looked up a snapshot, at most (each at most MAX_PATH_COMPONENTS directories deep). */
export const MAX_LOOKUPS = 1024;
/** Of those, at most this many for the paths of one user's processes (real uid). */
export const MAX_LOOKUPS_PER_USER = 256;

/** One per snapshot (by its processes), shared by its probes: the lookups' bound is the snapshot's, whatever the number of network namespaces whose Unix tables ask. */
const perSnapshot = new WeakMap<object, ForeignPaths>();

/** What foreignPaths reads of a probe's context (the walk's records: which processes share our root). */
type PathsContext = Pick<ProbeContext, 'procRoot' | 'processes'> & { walk?: Pick<ProbeContext['walk'], 'processes'> };

/** For one snapshot; on a captured tree (no namespace of our own to compare with) nothing is foreign. */
export function foreignPaths(ctx: PathsContext): ForeignPaths {
  let f = perSnapshot.get(ctx.processes);
  if (!f) perSnapshot.set(ctx.processes, (f = make(ctx)));
  return f;
}

function make(ctx: PathsContext): ForeignPaths {
  if (ctx.procRoot !== '/proc') return NOTHING_FOREIGN;
  // (the processes alone, not the context: kept as long as its key is, this must not keep the walk's columns)
  const processes = ctx.processes;
  const own = ownMntns(ctx);
  if (own === null) return NOTHING_FOREIGN;
  // processes whose root the BPF walk saw is ours (the same mount and dentry: their root link reads
  // "/"); the `/proc` walk gives none: each root is read. (Pids, not the walk's records: this lives
  // as long as the snapshot.)
  const ownRoot = new Set<number>();
  for (const p of ctx.walk?.processes ?? []) if (p?.task?.ownRoot) ownRoot.add(p.pid);
  let safe: SafeLstat | undefined;
  const lookups = new UserBudget(MAX_LOOKUPS, MAX_LOOKUPS_PER_USER);
  const of = (pid: number): string | undefined => {
    const ns = processes.get(pid)?.mntns;
    return ns && ns !== own ? ns : undefined;
  };
  const uidOf = (pid: number): number => processes.get(pid)?.uid ?? -1;
  /** Each holder's root as our root names it ('/' unless chrooted; null when unreadable), read once. */
  const roots = new Map<number, string | null>();
  /** One lookup of a path `pid` gave, within the bounds: does it lead here to `object`? undefined past the bounds. */
  const leads = (text: string, pid: number, object: { dev: string; inode: number }): boolean | undefined => {
    const uid = uidOf(pid);
    if (lookups.spent(uid)) return undefined;
    lookups.spend(uid, 1);
    safe ??= new SafeLstat(readMountTable());
    const st = safe.lstat(text).stat;
    return !!st && st.ino === object.inode && devName(st.dev) === object.dev;
  };
  /**
   * `text` joined with a directory of each of `pids` (ours, the first few distinct directories;
   * `dirOf` null: none) until one leads here to `object`: that path; undefined when none does or
   * past the bounds.
   */
  const joined = (text: string, pids: readonly number[], object: { dev: string; inode: number }, dirOf: (pid: number) => string | null): string | undefined => {
    const tried = new Set<string>();
    for (const pid of pids) {
      if (tried.size >= RELATIVE_TRIES) break;
      if (of(pid) !== undefined) continue; // its directories are names in its namespace
      if (lookups.spent(uidOf(pid))) return undefined; // (not even the readlink: a user's thousand names cost the bound, then nothing)
      const dir = dirOf(pid);
      if (dir === null || !dir.startsWith('/') || dir.endsWith(' (deleted)') || tried.has(dir)) continue;
      tried.add(dir);
      const full = path.posix.join(dir, text);
      const hit = leads(full, pid, object);
      if (hit === undefined) return undefined;
      if (hit) return full;
    }
    return undefined;
  };
  return {
    of,
    mark(text, pid, object) {
      const ns = of(pid);
      // a text with U+FFFD names another file than the bytes it came from
      if (ns === undefined || object === null || text.includes('\ufffd')) return ns;
      return leads(text, pid, object) === true ? undefined : ns;
    },
    relative(text, pids, object) {
      if (text === '' || text.startsWith('/') || text.includes('\ufffd')) return undefined;
      // (the link's text is the directory as our root reaches it; not followed, only read)
      return joined(text, pids, object, (pid) => readlinkOrNull(`/proc/${pid}/cwd`));
    },
    rooted(text, pids, object) {
      if (!text.startsWith('/') || text.includes('\ufffd')) return undefined;
      return joined(text, pids, object, (pid) => {
        if (ownRoot.has(pid)) return null;
        let r = roots.get(pid);
        if (r === undefined) roots.set(pid, (r = readlinkOrNull(`/proc/${pid}/root`)));
        return r === '/' ? null : r;
      });
    },
  };
}

function readlinkOrNull(p: string): string | null {
  try {
    return fs.readlinkSync(p);
  } catch {
    return null;
  }
}
