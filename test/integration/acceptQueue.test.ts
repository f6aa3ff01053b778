// Connections nobody has accepted yet. A server that stopped calling accept() looks like this to
// its clients. Unix: the client is `connected`, but its other end is an embryo in the listener's
// accept queue with no inode (ss prints its peer as `* 0`, lsof gives nothing); the listener's
// queue names the client (sock_diag UNIX_DIAG_ICONS), so the client carries `acceptQueue` (the
// listener's id), says `not accepted yet`, and its peer, for Reveal Peer, is the listener; once
// accepted, `peer` is the accepted socket. TCP: the server end exists, established and held by no
// process (no inode); it carries `acceptQueue` when exactly one listener has its address and port,
// and none when SO_REUSEPORT listeners share them (which queue holds it is not said).
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/acceptQueue.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { InetChannel, Snapshot, UnixChannel } from '../../src/core/model';
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
t = socket.socket(); t.bind(('127.0.0.1', 0)); t.listen(8)
tc = socket.socket(); tc.connect(t.getsockname()); tc.send(b'hello')
gone = socket.socket(); gone.connect(t.getsockname()); gone.close()  # its server end: CLOSE-WAIT
r1 = socket.socket(); r1.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1); r1.bind(('127.0.0.1', 0)); r1.listen(8)
r2 = socket.socket(); r2.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1); r2.bind(r1.getsockname()); r2.listen(8)
rc = socket.socket(); rc.connect(r1.getsockname())
print(ino(l), ino(c1), ino(c2), ino(t), ino(tc), ino(r1), ino(rc), flush=True)
sys.stdin.readline()
a, _ = l.accept()  # takes the first in the queue: c1's
print(ino(a), flush=True)
sys.stdin.readline()
`;

const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p));

describe("connections not accepted yet name the listener whose queue holds them", { skip: loadNative().addon ? (python ? false : 'python3 not installed') : 'native addon not built (no sock_diag)' }, () => {
  let dir = '';
  let child: ChildProcessWithoutNullStreams;
  let next: () => Promise<string>;
  let listener = 0;
  let c1 = 0;
  let c2 = 0;
  let tcpListener = 0;
  let tcpClient = 0;
  let reusePort = 0;
  let reuseClient = 0;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-acceptq-'));
    child = spawn(python!, ['-c', PY, path.join(dir, 'l.sock')]);
    const lines = readline.createInterface({ input: child.stdout });
    const queue: string[] = [];
    const waiting: Array<(l: string) => void> = [];
    lines.on('line', (l) => (waiting.length ? waiting.shift()!(l) : queue.push(l)));
    next = () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r)));
    [listener, c1, c2, tcpListener, tcpClient, reusePort, reuseClient] = (await next()).split(' ').map(Number);
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
  const tcpOf = (snap: Snapshot, inode: number) => snap.channels.find((c): c is InetChannel => c.kind === 'tcp' && c.inode === inode);

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
      // TCP: the server ends in the listener's queue, held by nobody: the connected client's and the closed one's
      const all = await takeSnapshot({ ...opts, kinds: ['tcp'] });
      const t = tcpOf(all, tcpListener)!;
      const client = tcpOf(all, tcpClient)!;
      const ends = all.channels.filter((c): c is InetChannel => c.kind === 'tcp' && c.inode === 0 && c.local === t.local);
      assert.deepEqual(ends.map((c) => c.state).sort(), ['CLOSE-WAIT', 'ESTAB'], JSON.stringify(ends));
      for (const e of ends) assert.equal(e.acceptQueue, t.id, JSON.stringify(e));
      const served = ends.find((c) => c.state === 'ESTAB')!;
      assert.equal(served.peer, client.id, "the server end's peer is the client");
      assert.equal(served.recvQueue, 5, 'what the client sent waits there');
      assert.match(kindOf(served).description(served), /not accepted yet/);
      assert.equal(client.acceptQueue, undefined, 'the client end is held: not in a queue');
      // two SO_REUSEPORT listeners on one address: which queue holds the connection is not said
      const shared = tcpOf(all, reusePort)!;
      const reuseEnd = all.channels.find((c): c is InetChannel => c.kind === 'tcp' && c.inode === 0 && c.local === shared.local && c.remote === tcpOf(all, reuseClient)!.local);
      assert.ok(reuseEnd, 'the SO_REUSEPORT connection has its server end');
      assert.equal(reuseEnd.acceptQueue, undefined);
      // what ss says of the Unix client: a peer of inode 0
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
