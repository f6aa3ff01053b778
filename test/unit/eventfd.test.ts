// eventfds on a captured /proc tree: every eventfd is `anon_inode:[eventfd]` (one inode), so
// holders are joined by fdinfo's eventfd-id; the counter is fdinfo's hex eventfd-count. Both walk
// backends (TypeScript, and the addon's when built) read fdinfo for these fds only.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { EventfdChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { channelFacts } from '../../src/core/columns';
import { KINDS } from '../../src/core/kinds';

let root = '';

function proc(pid: number, fds: Record<number, [string, string]>) {
  const d = path.join(root, String(pid));
  fs.mkdirSync(path.join(d, 'fd'), { recursive: true });
  fs.mkdirSync(path.join(d, 'fdinfo'), { recursive: true });
  fs.writeFileSync(path.join(d, 'stat'), `${pid} (p${pid}) S 1 ${pid} ${pid} 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 ${1000 + pid} 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`);
  fs.writeFileSync(path.join(d, 'status'), `Name:\tp${pid}\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nThreads:\t1\nSigBlk:\t0000000000000000\n`);
  fs.writeFileSync(path.join(d, 'cmdline'), `p${pid}\0`);
  for (const [fd, [target, info]] of Object.entries(fds)) {
    fs.symlinkSync(target, path.join(d, 'fd', fd));
    fs.writeFileSync(path.join(d, 'fdinfo', fd), `pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t1038\n${info}`);
  }
}

const efd = (id: number, count: string, sem = 0) => ['anon_inode:[eventfd]', `eventfd-count:               ${count}\neventfd-id: ${id}\neventfd-semaphore: ${sem}\n`] as [string, string];

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-eventfd-'));
  proc(1, {});
  proc(20, { 3: efd(7, 'ff'), 4: efd(9, '0') }); // producer of 7; 9 is its own
  proc(21, { 5: efd(7, 'ff') }); // consumer of 7
  proc(22, { 3: efd(8, '2', 1), 6: efd(8, '2', 1), 7: ['anon_inode:[eventpoll]', 'tfd: 3\n'] }); // one process, twice: no IPC
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

async function eventfds(useNative: boolean): Promise<EventfdChannel[]> {
  const s = await takeSnapshot({ procRoot: root, useNative, kinds: ['eventfd'] });
  return s.channels.filter((c): c is EventfdChannel => c.kind === 'eventfd');
}

for (const useNative of [false, true]) {
  test(`eventfd: holders joined by eventfd-id, counter from hex fdinfo (${useNative ? 'native' : 'TypeScript'} walk)`, { skip: useNative && !loadNative().addon ? 'native addon not built' : false }, async () => {
    const chs = await eventfds(useNative);
    assert.deepEqual(chs.map((c) => c.id), ['eventfd:7'], 'one channel: eventfd 7 is held by two processes; 8 and 9 by one each');
    const c = chs[0];
    assert.equal(c.count, 255);
    assert.equal(c.semaphore, false);
    assert.deepEqual(c.endpoints.map((e) => [e.pid, e.fd]), [[20, 3], [21, 5]]);
    const facts = channelFacts(c, KINDS.eventfd.columns);
    assert.deepEqual(facts.map((f) => `${f.title}=${f.text}`), ['eventfd id=42'.replace('42', '7'), 'Counter=255', 'Semaphore mode=no']);
  });
}
