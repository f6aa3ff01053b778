// The TypeScript walk bounds the texts other users choose (maps lines, command lines) as the native
// walks do: the same constants, read here from the C headers rather than copied by hand, and the
// same budgets, of which one user's processes cannot spend what another's need.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  boundMaps,
  cmdlineBudget,
  CMDLINE_HEAD,
  CMDLINE_MAX,
  CMDLINE_USER_BUDGET,
  CMDLINE_WALK_BUDGET,
  MapsBudget,
  MAPS_KEEP_LINES,
  MAPS_KEEP_MAX,
  MAPS_READ_MAX,
  MAPS_USER_BUDGET,
  MAPS_WALK_BUDGET,
  timersBudget,
  TIMERS_HEAD,
  TIMERS_MAX,
  TIMERS_USER_BUDGET,
  TIMERS_WALK_BUDGET,
} from '../../src/core/textBounds';

/** A header's `constexpr T name = 16u << 20;`: a decimal, optionally shifted left. */
function constexpr(header: string, name: string): number {
  const h = fs.readFileSync(path.resolve(__dirname, '../../../native/src', header), 'utf8');
  const m = new RegExp(`constexpr\\s+\\w+\\s+${name}\\s*=\\s*(\\d+)[uUlL]*(?:\\s*<<\\s*(\\d+))?\\s*;`).exec(h);
  assert.ok(m, `${name} in ${header}`);
  return Number(m[1]) * 2 ** Number(m[2] ?? 0);
}

test('the TypeScript walk bounds maps text as native/src/mapsread.h does', () => {
  const v = (name: string) => constexpr('mapsread.h', name);
  assert.deepEqual(
    { read: MAPS_READ_MAX, keep: MAPS_KEEP_MAX, lines: MAPS_KEEP_LINES, budget: MAPS_WALK_BUDGET, user: MAPS_USER_BUDGET },
    { read: v('kMapsReadMax'), keep: v('kMapsKeepMax'), lines: v('kMapsKeepLines'), budget: v('kMapsWalkBudget'), user: v('kMapsUserBudget') },
  );
});

test('the TypeScript walk bounds command lines and timers as native/src/boundedtext.h does', () => {
  const v = (name: string) => constexpr('boundedtext.h', name);
  assert.deepEqual(
    { max: CMDLINE_MAX, head: CMDLINE_HEAD, budget: CMDLINE_WALK_BUDGET, user: CMDLINE_USER_BUDGET },
    { max: v('kCmdlineMax'), head: v('kCmdlineHead'), budget: v('kCmdlineWalkBudget'), user: v('kCmdlineUserBudget') },
  );
  assert.deepEqual(
    { max: TIMERS_MAX, head: TIMERS_HEAD, budget: TIMERS_WALK_BUDGET, user: TIMERS_USER_BUDGET },
    { max: v('kTimersMax'), head: v('kTimersHead'), budget: v('kTimersWalkBudget'), user: v('kTimersUserBudget') },
  );
});

test("the TypeScript walk's maps budget: a quarter of it per user, so that one user's processes cannot spend what another's need", () => {
  const b = new MapsBudget();
  const nobody = 65534;
  for (let i = 0; i < 64 && !b.spent(nobody); i++) b.spend(nobody, MAPS_KEEP_MAX);
  assert.ok(b.spent(nobody), "nobody's share is spent");
  assert.ok(!b.spent(0), "root's is not");
  const line = '7f00-7f01 rw-s 00000000 00:1a 5 /dev/shm/x';
  assert.deepEqual(boundMaps(line, b, nobody), { text: '', truncated: true });
  assert.deepEqual(boundMaps(line, b, 0), { text: line, truncated: false });
  // the walk's own bound still holds over every user
  for (let uid = 1; uid < 4; uid++) b.spend(uid, MAPS_USER_BUDGET);
  assert.ok(b.spent(0), 'the walk spent in all');
});

test("the command-line budget: the per-process bound until a user's share is spent, then a page each; other users keep theirs", () => {
  const b = cmdlineBudget();
  const nobody = 65534;
  let processes = 0;
  while (b.max(nobody) === CMDLINE_MAX) {
    b.spend(nobody, CMDLINE_MAX);
    processes++;
  }
  assert.equal(processes, CMDLINE_USER_BUDGET / CMDLINE_MAX, 'a user\'s share is so many command lines at the bound');
  assert.equal(b.max(nobody), CMDLINE_HEAD);
  assert.equal(b.max(0), CMDLINE_MAX, "root's share is whole");
  for (let uid = 1; uid < 4; uid++) b.spend(uid, CMDLINE_USER_BUDGET);
  assert.equal(b.max(0), CMDLINE_HEAD, 'the walk spent in all');
});

test('a timers list cut short keeps whole timers only: it ends before the last `ID:` that starts a line', () => {
  const timer = (id: number) => `ID: ${id}\nsignal: 10/0000000000000000\nnotify: signal/pid.4242\nClockID: 1\n`;
  const text = Array.from({ length: 2000 }, (_, i) => timer(i)).join('');
  assert.ok(text.length > TIMERS_MAX);
  const b = timersBudget();
  const { bytes, truncated } = b.keep(Buffer.from(text.slice(0, TIMERS_MAX + 1), 'latin1'), 0, 'ID: ');
  assert.ok(truncated);
  const kept = bytes.toString('latin1');
  assert.ok(text.startsWith(kept) && kept.endsWith('ClockID: 1\n'), 'whole timers');
  const n = (kept.match(/^ID: /gm) ?? []).length;
  assert.equal(kept, Array.from({ length: n }, (_, i) => timer(i)).join(''));
  assert.ok(kept.length <= TIMERS_MAX && kept.length + timer(n).length > TIMERS_MAX, `${n} timers kept: as many as fit whole`);
  // (an `ID: ` inside a line is no record's start)
  assert.deepEqual(b.keep(Buffer.from('xID: 1\n'.repeat(20000)), 1, 'ID: ').bytes.length, 0);
  // not cut: all of it
  assert.deepEqual(b.keep(Buffer.from(timer(7)), 2, 'ID: '), { bytes: Buffer.from(timer(7)), truncated: false });
});
