// Removing a SysV object by id, only while the id still names the object the user confirmed
// (sysvIdentity.ts says what must match). With the addon: its sysvRemoveIf stats the id, compares
// and does IPC_RMID on a thread of its own, with no syscall between the compare and the remove,
// under a deadline. Without it: the id is checked in /proc/sysvipc and `ipcrm` is run — a
// fork+exec after the check, in which the id may come to name another object; the result says so.
import { execFile } from 'node:child_process';
import type { NativeAddon, SysvExpect } from '../native';
import { PEEK_DEADLINE_MS, DeadlineError, TooManyStuckError, readTextWithin, withDeadline } from '../deadline';
import { parseSysvMsg, parseSysvSem, parseSysvShm } from '../parsers/sysvipc';
import { ActionError, errnoOf, explain } from './errors';
import { differingFields, expectedIdentity, gone, notTheObjectSeen, type SysvRemoval } from './sysvIdentity';

export interface SysvRemoveOptions {
  native: NativeAddon | null;
  /** Why the addon is missing, for the fallback's action text. */
  nativeError?: string;
  ipcrm: string;
  procRoot: string;
  deadlineMs?: number;
}

export interface SysvRemoved {
  action: string;
  note?: string;
}

type Owner = { owner: string | null; ownerUid: number | null };

const CTL: Record<SysvRemoval['family'], string> = { msg: 'msgctl', shm: 'shmctl', sem: 'semctl' };
const FLAG: Record<SysvRemoval['family'], '-q' | '-m' | '-s'> = { msg: '-q', shm: '-m', sem: '-s' };

/** Said of every removal done with ipcrm: what the fallback does not guarantee. */
export function ipcrmRemark(why: string): string {
  return `the native addon is not loaded (${why}): the id was checked in /proc/sysvipc first, but ipcrm removes whatever the id names by the time it runs`;
}

export async function removeSysv(how: SysvRemoval, opts: SysvRemoveOptions, owner: Owner): Promise<SysvRemoved> {
  const { id, noun } = how;
  if (!Number.isInteger(id) || id < 0) throw new ActionError('EINVAL', `invalid ${noun} id ${id}`);
  const what = `remove ${noun} ${id}`;
  const expect = expectedIdentity(how);
  const native = opts.native;
  if (!native?.sysvRemoveIf) return removeWithIpcrm(how, expect, opts, owner, native ? 'an older build without sysvRemoveIf' : (opts.nativeError ?? 'disabled'));
  let r;
  try {
    r = await withDeadline(what, opts.deadlineMs ?? PEEK_DEADLINE_MS, () => native.sysvRemoveIf!(how.family, id, expect));
  } catch (e) {
    throw explainRemoval(e, how, what, owner);
  }
  if (!r.removed) throw notTheObjectSeen(how, r.seen, r.differs);
  const action = `${CTL[how.family]}(${id}, IPC_RMID)`;
  if (how.family !== 'shm') return { action, note: how.note };
  // the segment's attach count now, not the snapshot's
  const attached = r.seen.nattch ?? 0;
  if (r.seen.dest) return { action, note: 'it was marked removed already: it is freed at its last detach' };
  return { action, note: attached > 0 ? `still attached by ${attached}: it is freed after the last detach` : undefined };
}

function explainRemoval(e: unknown, how: SysvRemoval, what: string, owner: Owner): ActionError {
  if (e instanceof DeadlineError) return new ActionError('ETIMEDOUT', `${what}: no answer within ${e.ms} ms (ETIMEDOUT); whether it was removed is not known`, 'refresh and look');
  if (e instanceof TooManyStuckError) return new ActionError('EBUSY', `${what}: ${e.message}`, 'restart the extension host (or the CLI) to free them');
  const code = errnoOf(e);
  if (code === 'EINVAL' || code === 'EIDRM') return gone(how);
  if (code === 'EPERM') {
    return new ActionError(code, `${what}: permission denied (EPERM): only its owner, its creator or root may remove it; nothing removed`, explain(e, { what, ...owner }).hint);
  }
  if (code === 'EACCES') {
    return new ActionError(code, `${what}: cannot read it (EACCES), so nothing says the id still names the object the snapshot saw; nothing removed`, 'run as its owner with read permission, or as root');
  }
  return explain(e, { what, ...owner });
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

/** Each family's /proc/sysvipc list, as id and the fields an expectation may name. */
const SYSV_LIST: Record<SysvRemoval['family'], [file: string, parse: (text: string) => Array<{ id: number; key: number; uid: number; cuid: number; ctime: number }>]> = {
  msg: ['msg', (t) => parseSysvMsg(t).map((o) => ({ id: o.msqid, key: o.key, uid: o.uid, cuid: o.cuid, ctime: o.ctime }))],
  shm: ['shm', (t) => parseSysvShm(t).map((o) => ({ id: o.shmid, key: o.key, uid: o.uid, cuid: o.cuid, ctime: o.ctime }))],
  sem: ['sem', (t) => parseSysvSem(t).map((o) => ({ id: o.semid, key: o.key, uid: o.uid, cuid: o.cuid, ctime: o.ctime }))],
};

/**
 * The fallback: the same identity checked in /proc/sysvipc (when the list cannot be read, ipcrm
 * answers for itself), then `ipcrm FLAG ID`.
 */
async function removeWithIpcrm(how: SysvRemoval, expect: SysvExpect, opts: SysvRemoveOptions, owner: Owner, why: string): Promise<SysvRemoved> {
  const { id, noun } = how;
  const what = `remove ${noun} ${id}`;
  const [file, parse] = SYSV_LIST[how.family];
  let text: string | null = null;
  try {
    text = await readTextWithin(`${opts.procRoot}/sysvipc/${file}`);
  } catch {
    /* ipcrm answers for itself */
  }
  if (text !== null) {
    const now = parse(text).find((o) => o.id === id);
    if (now === undefined) throw gone(how);
    const differs = differingFields(expect, now);
    if (differs.length) throw notTheObjectSeen(how, now, differs);
  }
  const flag = FLAG[how.family];
  try {
    await run(opts.ipcrm, [flag, String(id)]);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' && /spawn/.test((e as Error).message)) {
      throw new ActionError('ENOENT', `${what}: ipcrm is not installed, and the native addon is not loaded (${why})`, 'install util-linux, or build the addon with `npm run build:native`');
    }
    throw explain(e, { what, ...owner });
  }
  return { action: `ipcrm ${flag} ${id} (${ipcrmRemark(why)})`, note: how.note };
}
