// A Unix stream connection nobody has accepted yet: the client is `connected`, but its other end
// is an embryo in the listener's accept queue with no inode (ss prints its peer as `* 0`, lsof
// gives nothing). A server that stopped calling accept() looks like that to its clients. The
// listener's queue names the client (sock_diag UNIX_DIAG_ICONS), so the client channel carries
// `acceptQueue` (the listener's id), says `not accepted yet`, and its peer, for Reveal Peer, is
// the listener; once accepted, `peer` is the accepted socket and `acceptQueue` is gone.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/unixAcceptQueue.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Snapshot, UnixChannel } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { describe as kindOf } from '../../src/core/kinds';

const PY = `
import os, socket, sys
path = sys.argv[1]
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); l.bind(path); l.listen(8)
c1 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c1.connect(path)
c2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c2.connect(path)
ino = lambda s: os.fstat(s.fileno()).st_ino
print(ino(l), ino(c1), ino(c2), flush=True)
sys.stdin.readline()
a, _ = l.accept()  # takes the first in the queue: c1's
print(ino(a), flush=True)
sys.stdin.readline()
`;

const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p));

describe('a Unix connection not accepted yet names the listener whose queue holds it', { skip: loadNative().addon ? (python ? false : 'python3 not installed') : 'native addon not built (no sock_diag)' }, () => {
  let dir = '';
  let child: ChildProcessWithoutNullStreams;
  let next: () => Promise<string>;
  let listener = 0;
  let c1 = 0;
  let c2 = 0;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-acceptq-'));
    child = spawn(python!, ['-c', PY, path.join(dir, 'l.sock')]);
    const lines = readline.createInterface({ input: child.stdout });
    const queue: string[] = [];
    const waiting: Array<(l: string) => void> = [];
    lines.on('line', (l) => (waiting.length ? waiting.shift()!(l) : queue.push(l)));
    next = () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r)));
    [listener, c1, c2] = (await next()).split(' ').map(Number);
  });
  after(() => {
    child?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, false],
  ];
  const unixOf = (snap: Snapshot, inode: number) => snap.channels.find((c): c is UnixChannel => c.kind === 'unix' && c.inode === inode);

  for (const [way, opts, skip] of ways) {
    it(`both clients say the listener; ss has no peer for them (${way})`, { skip }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['unix'], pids: [child.pid!] });
      const l = unixOf(snap, listener);
      assert.equal(l?.state, 'listen');
      assert.equal(l?.recvQueue, 2, 'two connections wait for accept()');
      for (const inode of [c1, c2]) {
        const c = unixOf(snap, inode)!;
        assert.equal(c.state, 'connected');
        assert.equal(c.peer, undefined, 'no other end with an inode yet');
        assert.equal(c.acceptQueue, l!.id);
        assert.equal(kindOf(c).peer(c), l!.id, 'Reveal Peer goes to the listener');
        assert.match(kindOf(c).description(c), /not accepted yet/);
      }
      // what ss says of the same client: a peer of inode 0
      const ss = spawnSync('ss', ['-x', '-n', '-a'], { encoding: 'utf8' });
      if (ss.status === 0) {
        const row = ss.stdout.split('\n').map((r) => r.trim().split(/\s+/)).find((f) => f[5] === String(c1));
        assert.deepEqual(row?.slice(6, 8), ['*', '0'], `ss's row for the client: ${row?.join(' ')}`);
      }
    });
  }

  it('once accepted, the client has the accepted socket as its peer and no accept queue; the other still waits', async () => {
    child.stdin.write('\n');
    const accepted = Number(await next());
    const snap = await takeSnapshot({ kinds: ['unix'], pids: [child.pid!] });
    const first = unixOf(snap, c1)!;
    assert.equal(first.peerInode, accepted);
    assert.equal(first.acceptQueue, undefined);
    assert.equal(unixOf(snap, accepted)?.peerInode, c1);
    assert.equal(unixOf(snap, c2)?.acceptQueue, unixOf(snap, listener)!.id);
    assert.equal(unixOf(snap, listener)?.recvQueue, 1);
  });
});
