// `doctor`'s leftover rule on /dev/shm/sem.* entries: a leftover named semaphore is a regular file
// of glibc's sem_t size (32 bytes) that no process maps — made here by a python3 that sem_open()s
// it and exits without sem_unlink. A symlink, a FIFO and a 0-byte file under sem.* are not
// semaphores (any user can make them): the snapshot keeps their rows, each saying what it is, but
// doctor reports none of them as a leftover and none is removable as a semaphore — as a FIFO or a
// symlink under any other /dev/shm name is not listed as shared memory at all.
//
//   node scripts/build.mjs && node --test dist/test/integration/semLeftovers.test.js
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { isRemovable } from '../../src/core/actions';
import type { Problem } from '../../src/core/diagnose';
import type { PosixSemChannel } from '../../src/core/model';
import { takeSnapshot } from '../../src/core/snapshot';
import { cliNotBuilt, runCli } from './cliRunner';

const root = process.geteuid?.() === 0;
const tag = `ipcsem-${process.pid}`;
const names = { real: `${tag}-real`, link: `${tag}-link`, fifo: `${tag}-fifo`, empty: `${tag}-empty` };
const file = (n: string) => `/dev/shm/sem.${n}`;

describe('doctor: only a real semaphore under /dev/shm/sem.* is a leftover one', { skip: cliNotBuilt || (root ? false : 'other users may map /dev/shm objects we cannot see') }, () => {
  after(() => {
    for (const n of Object.values(names)) fs.rmSync(file(n), { force: true });
  });

  test('a symlink, a FIFO and a 0-byte sem.* file are rows saying what they are, not leftovers, not removable; the sem_open()ed one is', async () => {
    // a real semaphore, left behind: sem_open, then exit without sem_unlink
    execFileSync('python3', ['-c', `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.sem_open.restype = ctypes.c_void_p
if not libc.sem_open(b'/${names.real}', os.O_CREAT | os.O_EXCL, 0o600, 1): sys.exit('sem_open: errno %d' % ctypes.get_errno())
`]);
    assert.equal(fs.statSync(file(names.real)).size, 32, 'glibc sem_t file');
    fs.symlinkSync(file(names.real), file(names.link));
    execFileSync('mkfifo', ['-m', '0600', file(names.fifo)]);
    fs.writeFileSync(file(names.empty), '');

    const snap = await takeSnapshot({ kinds: ['posix-sem'] });
    const row = (n: string) => snap.channels.find((c): c is PosixSemChannel => c.id === `posix-sem:${n}`);
    const what: Record<string, RegExp> = { link: /is a symbolic link, not a semaphore/, fifo: /is a FIFO, not a semaphore/, empty: /is 0 bytes, not a semaphore/ };
    for (const [k, re] of Object.entries(what)) {
      const r = row(names[k as keyof typeof names]);
      assert.ok(r, `a row for sem.${names[k as keyof typeof names]}`);
      assert.match(r.error ?? '', re);
      assert.equal(r.value, null);
      assert.equal(isRemovable(r), false, `${r.id} is not removed as a semaphore`);
    }
    const real = row(names.real);
    assert.ok(real && real.error === undefined && real.value === 1, JSON.stringify(real));
    assert.equal(isRemovable(real), true);

    const r = runCli(['doctor', '--json', '--all', '--samples', '2', '--interval', '200']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const problems = (JSON.parse(r.stdout) as { problems: Problem[] }).problems.filter((p) => p.channels.some((c) => c.startsWith(`posix-sem:${tag}-`)));
    assert.deepEqual(
      problems.map((p) => p.id),
      [`leftover:posix:posix-sem:${names.real}`],
      `only the real semaphore is a leftover: ${problems.map((p) => p.title).join('; ')}`,
    );
    assert.ok(problems[0].actions.some((a) => a.kind === 'remove'), 'offered for removal');
  });
});
