// Peeks where the bytes are not in the socket peeked (seventeenth pass, docs/real-software.md):
// a client of a server that does not accept (rec_control of a stopped pdns_recursor, requests
// queued behind busy unicorn workers) has sent its request, and ss shows it as the client's
// Send-Q, but the bytes wait in the other end, an embryo in the listener's accept queue that no
// process holds. Peeking the client said "0 bytes of 0" and nothing else; peeking a TCP server end
// in a queue said only "no process holds the socket". A child holds each shape with bytes sent.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/peekNotAccepted.test.js
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { InetChannel, UnixChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';

const skip = !loadNative().addon ? 'native addon not loaded (no sock_diag, no pidfd peek)' : false;

const CHILD = `
import json, os, socket, sys, time
path = sys.argv[1]
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); l.bind(path); l.listen(8)  # never accepts
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(path); c.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')
a, b = socket.socketpair(); a.sendall(b'x' * 10)  # b never reads
t = socket.socket(); t.bind(('127.0.0.1', 0)); t.listen(8)  # never accepts
tc = socket.create_connection(t.getsockname()); tc.sendall(b'hello')
time.sleep(0.2)
ino = lambda s: os.fstat(s.fileno()).st_ino
print(json.dumps({'l': ino(l), 'c': ino(c), 'a': ino(a), 'b': ino(b), 't': ino(t), 'tc': ino(tc)}), flush=True)
sys.stdin.read()
`;

describe('a socket peek says where the bytes it sent wait', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-peeknotacc-'));
  const child = spawn('python3', ['-c', CHILD, path.join(dir, 'l.sock')], { stdio: ['pipe', 'pipe', 'inherit'] });
  after(() => {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const line = new Promise<Record<'l' | 'c' | 'a' | 'b' | 't' | 'tc', number>>((resolve) =>
    readline.createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l))),
  );
  const unixOf = (channels: readonly { kind: string }[], inode: number) => channels.find((c): c is UnixChannel => c.kind === 'unix' && (c as UnixChannel).inode === inode);

  it('a Unix client not accepted yet: nothing in its own queue, and a note naming the listener whose queue holds its bytes', async () => {
    const ino = await line;
    const snap = await takeSnapshot({ kinds: ['unix'], pids: [child.pid!] });
    const c = unixOf(snap.channels, ino.c)!;
    const l = unixOf(snap.channels, ino.l)!;
    assert.equal(c.acceptQueue, l.id);
    assert.ok((c.sendQueue ?? 0) > 0, `its Send-Q counts the request: ${c.sendQueue}`);
    const r = (await peekChannel(c, snap.processes)) as BytesPeek;
    assert.equal(r.data.length, 0, 'its own receive queue is empty');
    const note = r.notes.find((n) => n.includes('not accepted yet'));
    assert.ok(note, JSON.stringify(r.notes));
    assert.ok(note.includes(`accept queue of ${l.id}`) && note.includes(`Send-Q: ${c.sendQueue} bytes`), note);
  });

  it('a connected Unix socket whose peer has not read: the note points to the peer, whose peek has the bytes', async () => {
    const ino = await line;
    const snap = await takeSnapshot({ kinds: ['unix'], pids: [child.pid!] });
    const a = unixOf(snap.channels, ino.a)!;
    const b = unixOf(snap.channels, ino.b)!;
    assert.equal(a.peer, b.id);
    const r = (await peekChannel(a, snap.processes)) as BytesPeek;
    assert.equal(r.data.length, 0);
    assert.ok(r.notes.some((n) => n.includes(`peek ${b.id}`)), JSON.stringify(r.notes));
    const rb = (await peekChannel(b, snap.processes)) as BytesPeek;
    assert.equal(rb.data.toString(), 'x'.repeat(10));
    assert.ok(!rb.notes.some((n) => n.includes('Send-Q')), `the reader sent nothing: ${JSON.stringify(rb.notes)}`);
  });

  it("a TCP server end in a listener's queue: the refusal names the listener and the bytes waiting", async () => {
    const ino = await line;
    const snap = await takeSnapshot({ kinds: ['tcp'] });
    const t = snap.channels.find((c): c is InetChannel => c.kind === 'tcp' && c.inode === ino.t)!;
    const client = snap.channels.find((c): c is InetChannel => c.kind === 'tcp' && c.inode === ino.tc)!;
    const end = snap.channels.find((c): c is InetChannel => c.kind === 'tcp' && c.inode === 0 && c.peer === client.id);
    assert.ok(end, 'the server end is listed');
    assert.equal(end.acceptQueue, t.id);
    await assert.rejects(peekChannel(end, snap.processes), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ENOENT');
      assert.match(e.message, /not accepted yet/);
      assert.ok(e.message.includes(`accept queue of ${t.id}`) && e.message.includes('5 queued bytes'), e.message);
      return true;
    });
  });
});
