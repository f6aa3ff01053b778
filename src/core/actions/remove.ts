// Removing stale IPC objects, as ipcrm/rm would: SysV objects by id (removeSysv.ts: the addon's
// checked IPC_RMID, `ipcrm` without it), POSIX objects by unlinking their file in /dev/mqueue or
// /dev/shm — each kind's descriptor says which (core/kinds). Removal is destructive: callers
// confirm first.
import * as fs from 'node:fs';
import type { Channel } from '../model';
import { describe } from '../kinds';
import { shownChannel } from '../format';
import { ActionError, explain } from './errors';
import { posixObjectFile, shownFile } from './peek';
import { fileIdOf } from '../probes/context';
import { fileTypeName } from '../untrustedFiles';
import { loadNative, type NativeAddon } from '../native';
import { removeSysv } from './removeSysv';

export interface RemoveOptions {
  devRoot?: string;
  /** ipcrm binary (tests): SysV removals run it only without the addon. */
  ipcrm?: string;
  /** Where /proc is (tests): without the addon, its sysvipc lists say whether a SysV id is still the object seen. */
  procRoot?: string;
  /** The addon (tests: null for the ipcrm fallback); loaded when absent. */
  native?: NativeAddon | null;
  /** Deadline of the addon's removal (ms); default PEEK_DEADLINE_MS. */
  deadlineMs?: number;
}

export interface RemoveResult {
  channelId: string;
  /** What was done, e.g. `msgctl(32768, IPC_RMID)`, `unlink /dev/shm/foo`; `ipcrm -q 32768 (…)` without the addon, saying what that does not guarantee. */
  action: string;
  /** Extra remark: SysV shm lives until the last detach, POSIX objects until the last close. */
  note?: string;
}

/** What a removal calls the object: kind, id or name (escaped, bounded), and its key facts (the kind's long title). */
export function objectTitle(ch: Channel): string {
  return describe(ch).longTitle(shownChannel(ch));
}

/** Can it be removed (its kind has a removal, and this object still has a name or id to remove)? */
export function isRemovable(channel: Channel): boolean {
  return describe(channel).remove(channel) !== null;
}

/**
 * The name still names the file the snapshot saw (dev:inode, a regular file), or an ActionError:
 * between the snapshot and the user's yes its owner — any user — may have removed it and made
 * another object, a FIFO or a symlink under the name, and root's unlink would remove that. Linux
 * has no unlink-if-inode, so a swap between this lstat and the unlink stays possible; it is the
 * user's own confirmation window that this closes.
 */
function sameFileOrThrow(file: string | Buffer, fileId: string | undefined, owner: { owner: string | null; ownerUid: number | null }): void {
  const shown = shownFile(file);
  if (fileId === undefined) throw new ActionError('ESTALE', `${shown}: the snapshot did not see its file, so nothing says the name still names this object; refresh and try again`);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    throw explain(e, { what: `look at ${shown}`, ...owner });
  }
  if (!st.isFile() || fileIdOf(st) !== fileId) {
    throw new ActionError('ESTALE', `${shown} names another file than the snapshot saw (the name was reused since: now ${st.isFile() ? `a file of inode ${st.ino}` : fileTypeName(st)}); nothing removed — refresh and look again`);
  }
}

export async function removeObject(channel: Channel, opts: RemoveOptions = {}): Promise<RemoveResult> {
  const devRoot = opts.devRoot ?? '/dev';
  const ipcrm = opts.ipcrm ?? 'ipcrm';
  const owner = { owner: (channel as { owner?: string | null }).owner ?? null, ownerUid: (channel as { uid?: number | null }).uid ?? null };
  const how = describe(channel).remove(channel);
  if (how === null) throw new ActionError('ENOTSUP', `${channel.id}: ${channel.kind} objects cannot be removed (close the processes holding them instead)`);
  if (how.by === 'sysv') {
    const load = opts.native === undefined ? loadNative() : { addon: opts.native, error: 'disabled by the caller' };
    const done = await removeSysv(how, { native: load.addon, nativeError: load.error, ipcrm, procRoot: opts.procRoot ?? '/proc', deadlineMs: opts.deadlineMs }, owner);
    return { channelId: channel.id, ...done };
  }
  // A POSIX object (queue, shared memory, semaphore): `how.file` is its shown name after its kind's
  // prefix (`sem.`). Unlinked by its exact bytes (posixObjectFile): a name that is not UTF-8 shows
  // U+FFFD there, and unlinking that text would remove another object.
  const name = 'name' in channel ? channel.name : null;
  if (typeof name !== 'string' || !how.file.endsWith(name)) throw new ActionError('EINVAL', `${channel.id}: no POSIX name to unlink`);
  const file = posixObjectFile({ id: channel.id, kind: channel.kind, name }, devRoot, how.dir, how.file.slice(0, how.file.length - name.length));
  sameFileOrThrow(file, how.fileId, owner);
  try {
    fs.unlinkSync(file);
  } catch (e) {
    throw explain(e, { what: `unlink ${shownFile(file)}`, ...owner });
  }
  return { channelId: channel.id, action: `unlink ${shownFile(file)}`, note: how.note };
}
