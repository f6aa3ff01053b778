// The test fixture's --replace-stale (fixtures/ipc-fixture.c): a fixed POSIX name that a SIGKILLed
// run left behind fails the next run with EEXIST, unless the test asked to replace it. The README
// pictures use fixed names, and a CI run once failed on a queue an interrupted run had left.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/fixtureStale.test.js
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { makeFixture } from '../../fixtures/ipcFixture';

const tag = `ipcstale-${process.pid}-${randomBytes(3).toString('hex')}`;

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe('a fixed-name fixture left by a SIGKILLed run', () => {
  for (const kind of ['posix-mq', 'posix-shm', 'posix-sem'] as const) {
    it(`${kind}: EEXIST by default; replaced, then cleaned up, with replaceStale`, async () => {
      const name = `${tag}-${kind}`;
      const first = await makeFixture(kind, { name });
      for (const pid of first.pids) process.kill(pid, 'SIGKILL');
      const end = Date.now() + 5000;
      while (!first.pids.every(gone) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      await assert.rejects(makeFixture(kind, { name }), /File exists/);
      const second = await makeFixture(kind, { name, replaceStale: true });
      await second.close(); // checks that nothing of it remains
      // Gone for good: a plain run creates it again, and so does one that would replace it.
      const third = await makeFixture(kind, { name });
      await third.close();
      const fourth = await makeFixture(kind, { name, replaceStale: true });
      await fourth.close();
    });
  }
});
