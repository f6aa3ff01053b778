// What a socket peek says it read "of": payload bytes, not the queue count ss prints. A UDP
// socket's Recv-Q is the kernel memory its datagrams take (832 for one datagram of 67 bytes), and
// a TCP socket's after the peer's FIN counts the FIN. A child holds both with data queued.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { byteCount } from '../../src/core/text';

const skip = !loadNative().addon ? 'native addon not loaded' : false;

const CHILD = `
import json, os, socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'd' * 67, u.getsockname())
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
c.sendall(b't' * 69); c.close()
time.sleep(0.2)
print(json.dumps({'udp': os.fstat(u.fileno()).st_ino, 'tcp': os.fstat(s.fileno()).st_ino}), flush=True)
sys.stdin.read()
`;

describe('socket peek totals are payload bytes', { skip }, () => {
  const child = spawn('python3', ['-c', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  after(() => child.kill());
  const line = new Promise<{ udp: number; tcp: number }>((resolve) => readline.createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l))));

  it('UDP: the first datagram, no "of" the queue memory, and a note saying what Recv-Q counts', async () => {
    const { udp } = await line;
    const snap = await takeSnapshot({ kinds: ['udp'], pids: [child.pid!] });
    const ch = snap.channels.find((c) => c.kind === 'udp' && c.inode === udp);
    assert.ok(ch && ch.kind === 'udp');
    assert.ok(ch.recvQueue > 67, `Recv-Q is memory: ${ch.recvQueue}`);
    const r = (await peekChannel(ch, snap.processes)) as BytesPeek;
    assert.equal(r.data.length, 67);
    // the first datagram's whole length (MSG_TRUNC), never Recv-Q's kernel memory
    assert.equal(r.total, 67);
    assert.equal(r.truncated, false);
    assert.ok(r.notes.some((n) => n.includes(`${byteCount(ch.recvQueue)} of kernel memory`)), JSON.stringify(r.notes));
  });

  it('TCP in CLOSE-WAIT: 69 bytes of 69, the FIN said apart', async () => {
    const { tcp } = await line;
    const snap = await takeSnapshot({ kinds: ['tcp'], pids: [child.pid!] });
    const ch = snap.channels.find((c) => c.kind === 'tcp' && c.inode === tcp);
    assert.ok(ch && ch.kind === 'tcp');
    assert.deepEqual([ch.state, ch.recvQueue], ['CLOSE-WAIT', 70]);
    const r = (await peekChannel(ch, snap.processes)) as BytesPeek;
    assert.deepEqual([r.data.length, r.total, r.truncated], [69, 69, false]);
    assert.ok(r.notes.some((n) => n.includes('FIN')), JSON.stringify(r.notes));
  });
});
