// Which holders a peek tries (core/actions/peek/common.ts fdHolders): a few fds of each process
// and mode, not every one — one pipe end dup'd 20,000 times in a process that refuses us would
// otherwise be tried 20,000 times, bounded only by the peek's deadline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FDS_TRIED_PER_HOLDER, fdHolders } from '../../src/core/actions/peek/common';
import type { Channel, Endpoint, ProcessInfo } from '../../src/core/model';

test('fdHolders: at most FDS_TRIED_PER_HOLDER fds of a process and mode, every process and mode kept, ours first', () => {
  const uid = process.geteuid?.() ?? 0;
  const endpoints: Endpoint[] = [];
  for (let fd = 4; fd < 20_004; fd++) endpoints.push({ pid: 100, fd, mode: 'w' } as Endpoint);
  endpoints.push({ pid: 100, fd: 3, mode: 'r' } as Endpoint, { pid: 50, fd: 7, mode: 'r' } as Endpoint, { pid: 60, mode: 'r' } as Endpoint);
  const channel = { kind: 'pipe', id: 'pipe:1', endpoints } as unknown as Channel;
  const procs = new Map<number, ProcessInfo>([
    [100, { pid: 100, uid } as ProcessInfo],
    [50, { pid: 50, uid: uid + 1 } as ProcessInfo],
  ]);
  const got = fdHolders(channel, procs).map((e) => `${e.pid}:${e.fd}:${e.mode}`);
  assert.deepEqual(got, ['100:4:w', '100:5:w', '100:3:r', '50:7:r'], 'two of the dup\'d write end, the read end, then the other user\'s; no fd-less endpoint');
  assert.equal(FDS_TRIED_PER_HOLDER, 2);
});
