// withDeadline (src/core/deadline.ts): settles like the call, or rejects with ETIMEDOUT at the
// deadline; calls left behind are counted until they settle, and new ones are refused while too
// many are still stuck. Promises stand in for the addon's calls (the real blocked calls are in
// test/integration/attacker.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineError, MAX_STUCK_CALLS, stuckCalls, TooManyStuckError, withDeadline } from '../../src/core/deadline';

function controlled<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('withDeadline passes results and errors through, including a synchronous throw', async () => {
  assert.equal(await withDeadline('x', 1000, () => Promise.resolve(7)), 7);
  await assert.rejects(withDeadline('x', 1000, () => Promise.reject(Object.assign(new Error('no'), { code: 'EPERM' }))), { code: 'EPERM' });
  await assert.rejects(withDeadline('x', 1000, () => {
    throw Object.assign(new Error('bad'), { code: 'EINVAL' });
  }), { code: 'EINVAL' });
  assert.equal(stuckCalls(), 0);
});

test('a call past its deadline rejects with ETIMEDOUT and is counted until it settles; too many stuck refuse new calls', async () => {
  const calls = Array.from({ length: MAX_STUCK_CALLS }, () => controlled<number>());
  const raced = calls.map((c, i) => withDeadline(`call ${i}`, 5, () => c.promise));
  for (const r of raced) {
    await assert.rejects(r, (e: DeadlineError) => {
      assert.ok(e instanceof DeadlineError);
      assert.equal(e.code, 'ETIMEDOUT');
      assert.match(e.message, /no answer within 5 ms/);
      return true;
    });
  }
  assert.equal(stuckCalls(), MAX_STUCK_CALLS);
  let started = false;
  await assert.rejects(
    withDeadline('one more', 1000, () => {
      started = true;
      return Promise.resolve(1);
    }),
    (e: TooManyStuckError) => e instanceof TooManyStuckError && e.code === 'EBUSY',
  );
  assert.equal(started, false, 'a refused call is never started');
  // the stuck calls return at last (one with an error): the count goes back down
  calls.forEach((c, i) => (i === 0 ? c.reject(new Error('late')) : c.resolve(i)));
  await new Promise((r) => setImmediate(r));
  assert.equal(stuckCalls(), 0);
  assert.equal(await withDeadline('again', 1000, () => Promise.resolve(2)), 2);
});
