// Which Unix sockets the in-flight check reads (diagnose/inFlight.ts), in which order, and when it
// cannot answer "none"; and the fdinfo line it reads. Real sockets: test/integration/diagnose.test.ts.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { inFlightRequest, parseScmFds } from '../../src/core/diagnose/inFlight';
import type { Endpoint, UnixChannel } from '../../src/core/model';

function unix(inode: number, o: Partial<UnixChannel> = {}, endpoints: Endpoint[] = [{ pid: 100, fd: inode % 1000, mode: 'rw' }]): UnixChannel {
  return { id: `unix:${inode}`, kind: 'unix', inode, type: 'stream', state: 'connected', recvQueue: 0, sendQueue: 0, netns: '1', endpoints, ...o };
}

describe('in-flight check: the sockets it reads', () => {
  test('a stream socket with nothing queued cannot hold a file and is not read; one with bytes queued, and every datagram and seqpacket socket (a message may be 0 bytes), is', () => {
    const r = inFlightRequest([
      unix(1),
      unix(2, { recvQueue: 7 }),
      unix(3, { type: 'dgram', recvQueue: 0 }),
      unix(4, { type: 'seqpacket', recvQueue: 0 }),
      unix(5, { recvQueue: null }),
    ]);
    assert.deepEqual(r.probes.map((p) => p.inode), [2, 3, 4, 5]);
    assert.deepEqual(r.unknown, []);
  });

  test('"none" cannot be said of a socket no process holds, nor of a listener with connections not accepted; a listener with none is skipped', () => {
    const r = inFlightRequest([
      unix(1, { type: 'dgram' }, []),
      unix(2, { state: 'listen', recvQueue: 2 }),
      unix(3, { state: 'listen', recvQueue: 0 }),
      unix(4, { recvQueue: 0 }, []), // a stream socket with nothing queued: no holder needed
      unix(5, { type: 'dgram' }, [{ pid: 7, map: '1-2', mode: 'rw' }]), // no fd to read it through
    ]);
    assert.deepEqual(r.probes, []);
    assert.equal(r.unknown.length, 2, r.unknown.join('\n'));
    assert.match(r.unknown[0], /^2 Unix socket\(s\) that may hold a message are held by no process/);
    assert.match(r.unknown[1], /^1 Unix listener\(s\) have connections not accepted yet/);
  });

  test('past the limit the rest is unknown', () => {
    const r = inFlightRequest([1, 2, 3, 4, 5].map((i) => unix(i, { type: 'dgram' })), new Set(), 3);
    assert.deepEqual(r.probes.map((p) => p.inode), [1, 2, 3]);
    assert.deepEqual(r.unknown, ['2 more Unix socket(s) than the 3 read per refresh']);
  });

  test("sockets of the pipe's holders and their peers come first, those of a process of few sockets before one of many; each is read through such a holder's fd", () => {
    const many = [10, 11, 12].map((i) => unix(i, { type: 'dgram' }, [{ pid: 300, fd: i, mode: 'rw' }]));
    const chans = [
      unix(1, { type: 'dgram' }, [{ pid: 100, fd: 3, mode: 'rw' }]),
      ...many,
      unix(20, { type: 'dgram', peer: 'unix:21' }, [{ pid: 200, fd: 4, mode: 'rw' }]),
      // the peer, held by another process and by the holder itself (read through the holder)
      unix(21, { type: 'dgram', peer: 'unix:20' }, [{ pid: 101, fd: 9, mode: 'rw' }]),
      unix(22, { type: 'dgram' }, [
        { pid: 101, fd: 5, mode: 'rw' },
        { pid: 200, fd: 6, mode: 'rw' },
      ]),
    ];
    const r = inFlightRequest(chans, new Set([200, 300]));
    assert.deepEqual(
      r.probes.map((p) => [p.inode, p.pid, p.fd]),
      [
        [20, 200, 4],
        [21, 101, 9],
        [22, 200, 6],
        [10, 300, 10],
        [11, 300, 11],
        [12, 300, 12],
        [1, 100, 3],
      ],
    );
  });
});

describe('in-flight check: fdinfo', () => {
  test('scm_fds is read, an fd that names another inode is not trusted, a kernel without the line gives null', () => {
    const info = (ino: number, scm?: number) => `pos:\t0\nflags:\t02000002\nmnt_id:\t10\nino:\t${ino}\n${scm === undefined ? '' : `scm_fds: ${scm}\n`}`;
    assert.equal(parseScmFds(info(42, 3), 42), 3);
    assert.equal(parseScmFds(info(42, 0), 42), 0);
    assert.equal(parseScmFds(info(43, 3), 42), 'other');
    assert.equal(parseScmFds(info(42), 42), null);
  });
});
