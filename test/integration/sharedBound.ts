// The tests of a bound shared by users in turn (core/heldObjects.ts readOrder): an attacker
// (nobody) holds more objects than a snapshot reads, all older than a second user's (LONE_UID);
// the snapshot must read every one of the second user's, and the attacker's only in part.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { pythonAs } from '../harness/otherUser';
import { lineReader } from './childLines';

/** `python3 -c script pre n` as `uid` (pinned: pythonAs), once it printed its ready line; its pid. */
export async function holdAs(uid: number, script: string, pre: string, n: number, children: ChildProcess[]): Promise<number> {
  const c = pythonAs(uid, script, [pre, String(n)]);
  children.push(c);
  await lineReader(c).next(`${pre}: ready`);
  return c.pid!;
}

/** Every one of `mine` read, some but not all of `theirs` (`read` tells; `shown` is what a failure prints of one). */
export function assertReadInTurns<C>(what: string, theirs: C[], mine: C[], counts: [number, number], read: (c: C) => boolean, shown: (c: C) => unknown): void {
  assert.equal(theirs.length, counts[0], what);
  assert.equal(mine.length, counts[1], what);
  assert.ok(mine.every(read), `${what}: the other user's read: ${JSON.stringify(mine.map(shown))}`);
  const n = theirs.filter(read).length;
  assert.ok(n > 0 && n < theirs.length, `${what}: the attacker's read in part: ${n} of ${theirs.length}`);
}
