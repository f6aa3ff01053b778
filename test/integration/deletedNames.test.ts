// " (deleted)" is what the kernel appends to the fd link of a file with no name left — and also a
// name anyone may give a live file. lsof, ls and ss tell them apart by the inode (nlink 0); so
// must the snapshot, on every fd walk: a live FIFO named `x (deleted)` is that path and not
// deleted, an unlinked FIFO is deleted with its old name, and a held POSIX queue named
// `/x (deleted)` is listed with its holders (before, the text decided: the FIFO read as deleted
// under a shortened name and the queue was dropped when /dev/mqueue is not mounted).
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/deletedNames.test.js
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { FifoChannel, PosixMqChannel } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { lineReader } from './childLines';

describe('names that end in " (deleted)"', () => {
  const made: Fixture[] = [];
  const children: ChildProcess[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-deleted-names-'));
  const liveFifo = path.join(dir, 'ffake (deleted)');
  const goneFifo = path.join(dir, 'fgone');
  const mqName = `/ipc-deleted-names-${process.pid} (deleted)`;
  let fifo: Fixture;
  let mq: Fixture;
  let gonePid = 0;

  before(async () => {
    fifo = await makeFixture('fifo', { path: liveFifo });
    made.push(fifo);
    mq = await makeFixture('posix-mq', { name: mqName });
    made.push(mq);
    // a FIFO held open (read-write: no open blocks) and then unlinked: its link reads "…/fgone (deleted)"
    const sh = spawn('sh', ['-c', 'mkfifo "$1" && exec 3<>"$1" && rm "$1" && echo ready && exec sleep 600', 'sh', goneFifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(sh);
    assert.equal(await lineReader(sh).next('the unlinked FIFO'), 'ready');
    gonePid = sh.pid!;
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await closeAll(made);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, loadNative().addon ? false : 'native addon not built'],
    ['TypeScript walk, no addon', { useNative: false }, false],
  ];
  for (const [name, opts, skip] of ways) {
    it(`a live FIFO and queue keep their names; an unlinked FIFO is deleted (${name})`, { skip }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['fifo', 'posix-mq'], pids: [...fifo.pids, ...mq.pids, gonePid] });
      const fifos = snap.channels.filter((c): c is FifoChannel => c.kind === 'fifo');
      const live = fifos.filter((c) => c.endpoints.some((e) => fifo.pids.includes(e.pid)));
      assert.deepEqual(
        live.map((c) => [c.path, c.deleted]),
        [[liveFifo, false]],
        'the live FIFO: its own name, suffix and all, not deleted',
      );
      assert.equal(live[0].inode, fifo.info.inode);
      const gone = fifos.filter((c) => c.endpoints.some((e) => e.pid === gonePid));
      assert.deepEqual(
        gone.map((c) => [c.path, c.deleted]),
        [[goneFifo, true]],
        'the unlinked FIFO: deleted, under the name it had',
      );
      const queues = snap.channels.filter((c): c is PosixMqChannel => c.kind === 'posix-mq' && c.name === mqName.slice(1));
      assert.equal(queues.length, 1, `the queue ${mqName} is listed once (/dev/mqueue ${snap.capabilities.mqueueMounted ? 'mounted' : 'not mounted'})`);
      assert.deepEqual(
        queues[0].endpoints.map((e) => e.pid).sort((a, b) => a - b),
        [...mq.pids].sort((a, b) => a - b),
        'with both of its holders',
      );
    });
  }
});
