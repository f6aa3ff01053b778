// The order a scan spends its bound on reads through holders in (core/heldObjects.ts readOrder):
// the processes asked about first, then users in turn, each user's oldest (dev, inode) first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapsDev, parseMapsDev, readOrder, type HeldObjectRef } from '../../src/core/heldObjects';
import type { Endpoint } from '../../src/core/model';

const obj = (name: string, dev: number, inode: number, ...pids: number[]) => ({ name, ref: { dev, inode, endpoints: pids.map((pid) => ({ pid, fd: 3, mode: 'rw' }) as Endpoint) } as HeldObjectRef });
const processes = new Map<number, { uid: number }>([
  [10, { uid: 0 }],
  [11, { uid: 0 }],
  [20, { uid: 1000 }],
  [30, { uid: 65534 }],
  [31, { uid: 65534 }],
]);
const order = (items: ReturnType<typeof obj>[], scope?: Set<number>) =>
  readOrder(items, (o) => o.ref, { processes, scope }).map((o) => o.name);

test('readOrder: users in turn, by uid; each user\'s by dev then inode; an object is its first holder\'s', () => {
  const items = [
    // the attacker's (65534) hundred, older than everyone else's
    ...Array.from({ length: 100 }, (_, i) => obj(`n${i}`, 1, 100 + i, 30, 31)),
    obj('root-b', 1, 900, 11, 10),
    obj('root-a', 1, 800, 10, 11),
    obj('root-c', 0, 950, 10, 11),
    obj('user', 1, 700, 20, 10),
  ];
  const got = order(items);
  // the first holder of root-b is 11 (endpoints as given: the probes sort them by pid)
  assert.deepEqual(got.slice(0, 9), ['root-c', 'user', 'n0', 'root-a', 'n1', 'root-b', 'n2', 'n3', 'n4']);
  assert.equal(got.length, items.length);
  assert.deepEqual(new Set(got), new Set(items.map((o) => o.name)), 'nothing lost, nothing twice');
});

test('readOrder: the processes asked about first, by dev and inode whoever holds them; then the others in turn', () => {
  const items = [obj('a', 1, 5, 30), obj('b', 1, 3, 20), obj('c', 1, 4, 10), obj('d', 1, 1, 31), obj('e', 1, 2, 30)];
  assert.deepEqual(order(items, new Set([20, 30])), ['e', 'b', 'a', 'c', 'd']);
  // no scope, an empty one: turns only
  assert.deepEqual(order(items), ['c', 'b', 'd', 'e', 'a']);
  assert.deepEqual(order(items, new Set()), ['c', 'b', 'd', 'e', 'a']);
});

test('readOrder: an unknown user (the process gone) or no holder at all is one more user, -1, first in each turn', () => {
  const items = [obj('known', 1, 1, 10), obj('gone', 1, 2, 99), obj('none', 1, 3)];
  assert.deepEqual(order(items), ['gone', 'known', 'none']);
});

test('readOrder: users run out at different turns; the rest keep their turns in uid order', () => {
  const items = [
    ...[1, 2, 3, 4, 5].map((i) => obj(`r${i}`, 1, i, 10)), // root's five
    obj('u1', 1, 50, 20), // the user's one
    ...[1, 2, 3].map((i) => obj(`n${i}`, 1, 100 + i, 30)), // nobody's three
  ];
  assert.deepEqual(order(items.reverse()), ['r1', 'u1', 'n1', 'r2', 'n2', 'r3', 'n3', 'r4', 'r5']);
});

test('parseMapsDev reads back what mapsDev prints; NaN for a part missing or not hex', () => {
  for (const [major, minor] of [[0, 0x1b], [259, 3], [0xfff, 0xfffff]]) assert.deepEqual(parseMapsDev(mapsDev(major, minor)), { major, minor });
  assert.ok(Number.isNaN(parseMapsDev('00').minor));
  assert.ok(Number.isNaN(parseMapsDev('zz:01').major));
});
