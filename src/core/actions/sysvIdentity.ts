// Which facts of a SysV object must still be what the snapshot saw for a removal by id to go ahead,
// and how a difference is told. An id carries a sequence number, so it names one object until the
// kernel's sequence wraps (65,536 creations at one slot: seconds for a loop of any user); past that,
// the id may name anyone's new object. What tells them apart, of what IPC_STAT shows:
// - the creator's uid (cuid): set at creation and changed by nothing — an object another user
//   makes cannot show ours, even when its owner (uid, which IPC_SET may give to anyone) and key
//   (anyone may pick any key) are made to look like it;
// - the key and the owner: what the user was shown and confirmed;
// - the change time (ctime, seconds) of queues and segments: set at creation and by IPC_SET only,
//   so the same creator's re-creation a second later differs too. Not of semaphore sets, where
//   SETVAL/SETALL move it in ordinary use: a set whose program sets a value every second could
//   never be removed.
// A re-creation by the same creator, with the same key and owner, within the same second (and, for
// a set, any time) still passes: nothing IPC_STAT shows tells it apart, and it removes only an
// object of the user who made both.
import { ActionError } from './errors';
import { sysvKeyText } from '../columns';
import type { Removal } from '../kinds/kind';
import type { SysvExpect, SysvObjectStat } from '../native';

export type SysvRemoval = Extract<Removal, { by: 'sysv' }>;

/** What the id must still show for `how` to remove it: the policy above, as data the addon compares. */
export function expectedIdentity(how: SysvRemoval): SysvExpect {
  const e: SysvExpect = { key: how.key, uid: how.uid };
  // absent from channels made by hand (tests) or by an older snapshot: key and owner then
  if (how.creatorUid !== undefined) e.cuid = how.creatorUid;
  if (how.changed !== undefined && how.family !== 'sem') e.ctime = how.changed;
  return e;
}

/** The fields of `expect` that `seen` does not show (the comparison the addon makes, for the /proc path). */
export function differingFields(expect: SysvExpect, seen: Partial<Record<keyof SysvExpect, number>>): Array<keyof SysvExpect> {
  return (Object.keys(expect) as Array<keyof SysvExpect>).filter((f) => expect[f] !== seen[f]);
}

const LABEL: Record<keyof SysvExpect, string> = { key: 'key', uid: 'owner uid', gid: 'group', cuid: 'creator uid', cgid: 'creator group', ctime: 'changed' };

function fieldText(f: keyof SysvExpect, v: number | undefined): string {
  if (v === undefined) return `${LABEL[f]} unknown`;
  if (f === 'key') return `key ${sysvKeyText(v)}`;
  if (f === 'ctime') return `changed ${v > 0 ? new Date(v * 1000).toISOString() : 'never'}`;
  return `${LABEL[f]} ${v}`;
}

/**
 * The error of a removal refused because the id no longer shows what the snapshot saw (nothing was
 * removed): ESTALE, naming what differs; a segment marked removed since is said to be gone.
 */
export function notTheObjectSeen(how: SysvRemoval, seen: Partial<SysvObjectStat>, differs: ReadonlyArray<keyof SysvExpect>): ActionError {
  if (seen.dest) return gone(how, ' (marked removed; it is freed at its last detach)');
  const expect = expectedIdentity(how);
  const was = differs.map((f) => fieldText(f, expect[f])).join(', ');
  const now = differs.map((f) => fieldText(f, seen[f])).join(', ');
  const moved = differs.length === 1 && differs[0] === 'ctime' ? ' — re-created, or its owner changed it (IPC_SET)' : '';
  return new ActionError('ESTALE', `${how.noun} ${how.id} is another object than the snapshot saw (${was}; now ${now})${moved}; nothing removed — refresh and look again`);
}

/** The error of a removal whose id names no object any more. */
export function gone(how: SysvRemoval, why = ''): ActionError {
  return new ActionError('ENOENT', `${how.noun} ${how.id} is gone: removed since the snapshot${why}; nothing to do`);
}
