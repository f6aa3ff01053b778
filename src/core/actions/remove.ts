// Removing stale IPC objects, as ipcrm/rm would: SysV objects through `ipcrm` (the addon has no
// IPC_RMID entry point), POSIX objects by unlinking their file in /dev/mqueue or /dev/shm — each
// kind's descriptor says which (core/kinds). Removal is destructive: callers confirm first.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import type { Channel } from '../model';
import { describe } from '../kinds';
import { shownChannel } from '../format';
import { ActionError, explain } from './errors';
import { posixObjectFile, shownFile } from './peek';
import { fileIdOf } from '../probes/context';
import { fileTypeName } from '../untrustedFiles';
import { parseSysvMsg, parseSysvSem, parseSysvShm } from '../parsers/sysvipc';
import type { Removal } from '../kinds/kind';
import { sysvKeyText } from '../columns';

export interface RemoveOptions {
  devRoot?: string;
  /** ipcrm binary (tests). */
  ipcrm?: string;
  /** Where /proc is (tests): its sysvipc lists say whether a SysV id is still the object seen. */
  procRoot?: string;
}

export interface RemoveResult {
  channelId: string;
  /** What was done, e.g. `ipcrm -q 32768`, `unlink /dev/shm/foo`. */
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

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const text = String(stderr).trim();
      const code = /permission denied|not permitted/i.test(text) ? 'EPERM' : /invalid|not found|no such/i.test(text) ? 'EINVAL' : ((err as { code?: unknown }).code === 'ENOENT' ? 'ENOENT' : 'EIO');
      reject(Object.assign(new Error(text || err.message), { code }));
    });
  });
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

/** Each ipcrm flag's /proc/sysvipc list, as id, key and owner. */
const SYSV_LIST: Record<'-q' | '-m' | '-s', [file: string, parse: (text: string) => Array<{ id: number; key: number; uid: number }>]> = {
  '-q': ['msg', (t) => parseSysvMsg(t).map((o) => ({ id: o.msqid, key: o.key, uid: o.uid }))],
  '-m': ['shm', (t) => parseSysvShm(t).map((o) => ({ id: o.shmid, key: o.key, uid: o.uid }))],
  '-s': ['sem', (t) => parseSysvSem(t).map((o) => ({ id: o.semid, key: o.key, uid: o.uid }))],
};

/**
 * The SysV id still names an object with the key and owner the snapshot saw, or an ActionError: ids
 * come back once the kernel's sequence wraps (65,536 creations, seconds for a loop of any user), and
 * between the snapshot and the user's yes the id may name someone else's new object. When the list
 * cannot be read, ipcrm answers for itself.
 */
async function sameSysvObjectOrThrow(how: Extract<Removal, { by: 'ipcrm' }>, procRoot: string): Promise<void> {
  const [file, parse] = SYSV_LIST[how.flag];
  let text: string;
  try {
    text = await fs.promises.readFile(`${procRoot}/sysvipc/${file}`, 'utf8');
  } catch {
    return;
  }
  const now = parse(text).find((o) => o.id === how.id);
  if (now === undefined) throw new ActionError('ENOENT', `${how.noun} ${how.id} is gone: removed since the snapshot; nothing to do`);
  if (now.key !== how.key || now.uid !== how.uid) {
    const seen = (key: number, uid: number) => `key ${sysvKeyText(key)}, owner uid ${uid}`;
    throw new ActionError('ESTALE', `${how.noun} ${how.id} is another object than the snapshot saw (${seen(how.key, how.uid)}; now ${seen(now.key, now.uid)}); nothing removed — refresh and look again`);
  }
}

export async function removeObject(channel: Channel, opts: RemoveOptions = {}): Promise<RemoveResult> {
  const devRoot = opts.devRoot ?? '/dev';
  const ipcrm = opts.ipcrm ?? 'ipcrm';
  const owner = { owner: (channel as { owner?: string | null }).owner ?? null, ownerUid: (channel as { uid?: number | null }).uid ?? null };
  const how = describe(channel).remove(channel);
  if (how === null) throw new ActionError('ENOTSUP', `${channel.id}: ${channel.kind} objects cannot be removed (close the processes holding them instead)`);
  if (how.by === 'ipcrm') {
    const { flag, id, noun } = how;
    if (!Number.isInteger(id) || id < 0) throw new ActionError('EINVAL', `invalid ${noun} id ${id}`);
    const what = `remove ${noun} ${id}`;
    await sameSysvObjectOrThrow(how, opts.procRoot ?? '/proc');
    try {
      await run(ipcrm, [flag, String(id)]);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT' && /spawn/.test((e as Error).message)) {
        throw new ActionError('ENOENT', `${what}: ipcrm is not installed`, 'install util-linux');
      }
      throw explain(e, { what, ...owner });
    }
    return { channelId: channel.id, action: `ipcrm ${flag} ${id}`, note: how.note };
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
