// What every peek family shares: the bounded options, the deadline of each blocking call, the
// holders to try (the caller's own processes first), the explanations of failures, the checks of
// names and device numbers that come from the snapshot.
import type { Channel, Endpoint, ProcessInfo } from '../../model';
import { loadNative, type NativeAddon } from '../../native';
import { DeadlineError, TooManyStuckError, withDeadline } from '../../deadline';
import { UntrustedFileError } from '../../untrustedFiles';
import { posixIdBytes } from '../../posixNames';
import { bytesText } from '../../text';
import { ActionError, errnoOf, explain, type PermissionContext } from '../errors';
import { isFdExhaustion } from '../../fdLimit';
import type { PeekResult } from './types';

/** Everything one peek needs, checked and bounded (core/actions/peek/index.ts builds it). */
export interface PeekContext<C extends Channel = Channel> {
  channel: C;
  procs: ReadonlyMap<number, ProcessInfo>;
  native: NativeAddon | null;
  procRoot: string;
  devRoot: string;
  maxBytes: number;
  offset: number;
  maxMessages: number | undefined;
  /** The common fields of the result; push remarks to `notes`. */
  base: { channelId: string; kind: Channel['kind']; notes: string[] };
  /** Now, as an ISO time. */
  at(): string;
  /** One blocking call, off this thread, with the peek's deadline. */
  call<T>(what: string, start: () => Promise<T>): Promise<T>;
}

export type Peeker<C extends Channel = Channel> = (ctx: PeekContext<C>) => Promise<PeekResult>;

export function makeCall(deadlineMs: number) {
  return <T>(what: string, start: () => Promise<T>): Promise<T> => withDeadline(what, deadlineMs, start);
}

export function needNative(native: NativeAddon | null, what: string): NativeAddon {
  if (!native) {
    throw new ActionError(
      'ENOTSUP',
      `${what}: needs the native addon, which is not loaded (${loadNative().error ?? 'disabled'})`,
      'build it with `npm run build:native`',
    );
  }
  return native;
}

export function boundedInt(v: number | undefined, def: number, min: number, max: number, name: string): number {
  if (v === undefined) return def;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new ActionError('EINVAL', `${name} must be an integer in [${min}, ${max}]`);
  return v;
}

export function ownerOf(channel: Channel): { owner: string | null; ownerUid: number | null; mode: string | null } {
  const c = channel as { owner?: string | null; uid?: number | null; mode?: unknown };
  return { owner: c.owner ?? null, ownerUid: c.uid ?? null, mode: typeof c.mode === 'string' ? c.mode : null };
}

/** Holders with an fd, the caller's own processes first (more likely permitted), then by pid. */
export function fdHolders(channel: Channel, processes: ReadonlyMap<number, ProcessInfo>): Array<Endpoint & { fd: number }> {
  const euid = process.geteuid?.() ?? -1;
  // A process's fds of one mode are mostly dups of one open file, and what refuses one (another
  // user's process, no ptrace access) refuses the next: a few of each are tried, not every one —
  // one pipe end dup'd 20,000 times would otherwise be 20,000 tries, bounded only by the deadline.
  const perHolder = new Map<string, number>();
  const withFd = channel.endpoints.filter((e): e is Endpoint & { fd: number } => {
    if (typeof e.fd !== 'number') return false;
    const key = `${e.pid}/${e.mode}/${e.role ?? ''}`; // (a pty's master and slave in one process are two)
    const n = perHolder.get(key) ?? 0;
    perHolder.set(key, n + 1);
    return n < FDS_TRIED_PER_HOLDER;
  });
  const rank = (e: Endpoint): number => (processes.get(e.pid)?.uid === euid ? 0 : 1);
  return withFd.sort((a, b) => rank(a) - rank(b) || a.pid - b.pid);
}

/** fds of one process and mode a peek tries at most (fdHolders). */
export const FDS_TRIED_PER_HOLDER = 2;

/** Errors of a peek's calls, explained: missed deadlines, swapped objects, files that are not what they must be. */
export function explainPeek(e: unknown, ctx: PermissionContext): ActionError {
  if (e instanceof DeadlineError) {
    return new ActionError('ETIMEDOUT', `${ctx.what}: no answer within ${e.ms} ms (ETIMEDOUT)`,
      'the object is probably backed by a hung FUSE or NFS server, or its process is stuck in D state; the blocked call was left behind');
  }
  if (e instanceof TooManyStuckError) return new ActionError('EBUSY', `${ctx.what}: ${e.message}`, 'restart the extension host (or the CLI) to free them');
  if (e instanceof UntrustedFileError) return new ActionError(e.code, `${ctx.what}: ${e.message}`, e.code === 'ESTALE' ? 'refresh and try again' : undefined);
  if ((e as { code?: unknown })?.code === 'ESTALE') {
    return new ActionError('ESTALE', `${ctx.what}: the fd or mapping no longer refers to the object shown (its holder replaced it)`, 'refresh and try again');
  }
  return explain(e, ctx);
}

/**
 * A deadline, a full set of stuck threads or no descriptor left (EMFILE/ENFILE: the next holder
 * would fail alike, and its "gone" must not stand for it) ends the peek; any other failure lets it
 * try the next holder.
 */
export function isFatal(e: unknown): boolean {
  return e instanceof DeadlineError || e instanceof TooManyStuckError || isFdExhaustion(errnoOf(e));
}

/** `8:1` → [8, 1]. */
export function devNumbers(dev: string): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(dev);
  if (!m) throw new ActionError('EINVAL', `bad device number ${JSON.stringify(dev)}`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * The exact bytes of a POSIX object's name: from its id when that is `KIND:bytes/HEX` (a name that
 * is not UTF-8: its shown name has U+FFFD where those bytes were, and the text would reach another
 * object — perhaps another user's, named with exactly that text), else its name's UTF-8. Checked
 * like safePosixName, so it cannot escape /dev/shm or /dev/mqueue.
 */
export function posixNameBytes(channel: { id: string; kind: string; name: string }): Buffer {
  const raw = posixIdBytes(channel.id, channel.kind);
  if (raw === null) return Buffer.from(safePosixName(channel.name));
  if (raw.length > 255 || raw.includes(0x2f) || raw.includes(0) || raw.equals(Buffer.from('.')) || raw.equals(Buffer.from('..'))) {
    throw new ActionError('EINVAL', `invalid POSIX IPC name in ${JSON.stringify(channel.id)}`);
  }
  return raw;
}

/** The file of a POSIX object under devRoot/dir (`prefix`: `sem.` for a semaphore), by its exact bytes (posixNameBytes): a string when its name is UTF-8. */
export function posixObjectFile(channel: { id: string; kind: string; name: string }, devRoot: string, dir: string, prefix = ''): string | Buffer {
  const raw = posixNameBytes(channel);
  if (posixIdBytes(channel.id, channel.kind) === null) return `${devRoot}/${dir}/${prefix}${raw.toString('utf8')}`;
  return Buffer.concat([Buffer.from(`${devRoot}/${dir}/${prefix}`), raw]);
}

/** A posixObjectFile as messages show it: a name that is not UTF-8 by its bytes (`/dev/shm/q\xff`), never its lossy text. */
export function shownFile(file: string | Buffer): string {
  return typeof file === 'string' ? file : bytesText(file);
}

/** Validates a POSIX object name (no slashes, no dot names) so it cannot escape /dev/shm or /dev/mqueue. */
export function safePosixName(name: string): string {
  const n = name.startsWith('/') ? name.slice(1) : name;
  if (n.length === 0 || n.length > 255 || n.includes('/') || n.includes('\0') || n === '.' || n === '..') {
    throw new ActionError('EINVAL', `invalid POSIX IPC name: ${JSON.stringify(name)}`);
  }
  return n;
}
