// Which Unix sockets the in-flight check reads (diagnose/inFlight.ts), in which order, and when it
// cannot answer "none"; the fdinfo line it reads, and the counts a BPF walk read instead. Real sockets:
// test/integration/diagnose.test.ts, filesInFlight.test.ts.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { askInFlight, inFlightRequest, parseScmFds, readInFlight } from '../../src/core/diagnose/inFlight';
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
    assert.match(r.unknown[0], /^2 Unix sockets that may hold a message are held by no process/);
    assert.match(r.unknown[1], /^1 Unix listener has connections not accepted yet/);
  });

  test('past the limit of fdinfo reads the rest is unknown; counts a walk read have no limit', () => {
    const r = inFlightRequest([1, 2, 3, 4, 5].map((i) => unix(i, { type: 'dgram' }, [{ pid: 100, fd: i, mode: 'rw' }])), new Set(), 3);
    assert.deepEqual(r.probes.map((p) => p.inode), [1, 2, 3, 4, 5]);
    assert.deepEqual(r.unknown, []);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-inflight-max-'));
    fs.mkdirSync(path.join(root, '100', 'fdinfo'), { recursive: true });
    for (const i of [1, 2, 3, 4, 5]) fs.writeFileSync(path.join(root, '100', 'fdinfo', String(i)), `ino:\t${i}\nscm_fds: 0\n`);
    const read = readInFlight(root, r, () => false, 1000);
    assert.equal(read.read, 3);
    assert.deepEqual(read.unknown, ['2 more Unix sockets than the 3 read per refresh']);
    // the walk counted two of them: the three others are read, none left over
    const mixed = readInFlight(root, r, () => false, 1000, { complete: false, counts: new Map([[1, 1], [5, 2]]) });
    assert.equal(mixed.read, 5);
    assert.equal(mixed.fromWalk, 2);
    assert.deepEqual(mixed.unknown, []);
    const walk = readInFlight(path.join(root, 'none'), r, () => false, 1000, { complete: true, counts: new Map() });
    assert.equal(walk.read, 5);
    assert.deepEqual(walk.unknown, []);
    // whose answer it is: the walk's where it answered for all, even with no socket to ask about
    assert.deepEqual([read.walked, mixed.walked, walk.walked], [false, false, true]);
    const none = readInFlight(path.join(root, 'none'), { probes: [], unknown: [] }, () => false, 1000, { complete: true, counts: new Map() });
    assert.deepEqual([none.read, none.fromWalk, none.walked], [0, 0, true]);
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

/**
 * The order by its definition, written plainly: a socket's rank is the fewest Unix sockets held by
 * a `first` process that holds it or its peer; ranked sockets first, by rank then list order, then
 * the rest in list order; each read through a `first` holder if it has one, else its first holder.
 */
function expectedOrder(unix: UnixChannel[], first: Set<number>): Array<[number, number, number]> {
  const held = new Map<number, number>();
  for (const u of unix) for (const e of u.endpoints) if (first.has(e.pid)) held.set(e.pid, (held.get(e.pid) ?? 0) + 1);
  const rankOf = (u: UnixChannel): number => {
    let best = Infinity;
    for (const v of unix) {
      if (v.inode !== u.inode && v.peerInode !== u.inode) continue;
      for (const e of v.endpoints) best = Math.min(best, held.get(e.pid) ?? Infinity);
    }
    return best;
  };
  const cands = unix.filter((u) => !(u.type === 'stream' && (u.state === 'listen' || u.recvQueue === 0)) && u.endpoints.some((e) => e.fd !== undefined));
  const keyed = cands.map((u, k) => ({ u, k, r: rankOf(u) }));
  keyed.sort((a, b) => (a.r === b.r ? a.k - b.k : a.r - b.r));
  return keyed.map(({ u }) => {
    const withFd = u.endpoints.filter((e) => e.fd !== undefined);
    const e = withFd.find((x) => first.has(x.pid)) ?? withFd[0];
    return [u.inode, e.pid, e.fd!];
  });
}

describe('in-flight check: the order on random machines', () => {
  test('matches its definition: pairs, shared sockets, many holders, sockets whose peer is not in the list', () => {
    let seed = 7;
    const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
    for (let round = 0; round < 40; round++) {
      const n = 1 + rnd(120);
      const chans: UnixChannel[] = [];
      for (let i = 0; i < n; i++) {
        const inode = 1000 + i * 3 + rnd(3);
        const holders: Endpoint[] = [];
        const count = rnd(4);
        for (let h = 0; h < count; h++) holders.push({ pid: 100 + rnd(8), fd: 3 + rnd(50), mode: 'rw' });
        const type = (['stream', 'dgram', 'seqpacket'] as const)[rnd(3)];
        chans.push(unix(inode, { type, state: rnd(6) === 0 ? 'listen' : 'connected', recvQueue: rnd(2) }, holders));
      }
      // peers: within the list, and some outside it
      for (const c of chans) {
        if (rnd(2) === 0) continue;
        const peer = rnd(5) === 0 ? 999999 + rnd(10) : chans[rnd(chans.length)].inode;
        c.peerInode = peer;
        c.peer = `unix:${peer}`;
      }
      const first = new Set<number>();
      for (let k = rnd(4); k > 0; k--) first.add(100 + rnd(8));
      const got = inFlightRequest(chans, first).probes.map((p) => [p.inode, p.pid, p.fd]);
      assert.deepEqual(got, expectedOrder(chans, first), `round ${round}`);
    }
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

describe('in-flight check: counts the walk read', () => {
  // a captured /proc with the fdinfo of socket 2 only (pid 100, fd 2)
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-inflight-unit-'));
  fs.mkdirSync(path.join(root, '100', 'fdinfo'), { recursive: true });
  fs.writeFileSync(path.join(root, '100', 'fdinfo', '2'), 'pos:\t0\nflags:\t02\nmnt_id:\t10\nino:\t2\nscm_fds: 4\n');
  const probes = [1, 2, 3].map((inode) => ({ inode, pid: 100, fd: inode }));

  test('sockets the walk counted are not read again; the others are, within the budget; "read" counts both, "fromWalk" the walk\'s', () => {
    const f = readInFlight(root, { probes, unknown: [] }, () => false, 1000, { complete: false, counts: new Map([[1, 0], [3, 2]]) });
    assert.deepEqual(f.sockets, [{ inode: 3, pid: 100, fd: 3, count: 2 }, { inode: 2, pid: 100, fd: 2, count: 4 }]);
    assert.equal(f.read, 3);
    assert.equal(f.fromWalk, 2);
    assert.equal(f.total, 3);
    assert.deepEqual(f.unknown, []);
  });

  test('with no budget left, only the sockets the walk did not count are cut', () => {
    const f = readInFlight(root, { probes, unknown: ['a reason of the request'] }, () => true, 1000, { complete: false, counts: new Map([[1, 1], [3, 0]]) });
    assert.deepEqual(f.sockets, [{ inode: 1, pid: 100, fd: 1, count: 1 }]);
    assert.equal(f.read, 2);
    assert.deepEqual(f.unknown, ['a reason of the request', 'time budget reached with 1 Unix socket still to read']);
  });

  test('a complete pass answers for every socket: one it does not list holds none, and nothing is read', () => {
    const f = readInFlight(path.join(root, 'none'), { probes, unknown: [] }, () => false, 1000, { complete: true, counts: new Map([[3, 5]]) });
    assert.deepEqual(f.sockets, [{ inode: 3, pid: 100, fd: 3, count: 5 }]);
    assert.equal(f.read, 3);
    assert.equal(f.fromWalk, 3);
    assert.deepEqual(f.unknown, []);
  });
});

describe('in-flight check: what the rule asks', () => {
  test('askInFlight gives the facts of reading the full request, on random machines: a walk that found no file anywhere (its short way), one that found some, one that read none', () => {
    let seed = 11;
    const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
    const none = path.join(os.tmpdir(), 'ipci-inflight-ask-none'); // no fdinfo to read: a read is "gone"
    let short = 0;
    for (let round = 0; round < 40; round++) {
      const chans: UnixChannel[] = [];
      for (let i = 0, n = 1 + rnd(80); i < n; i++) {
        const holders: Endpoint[] = [];
        for (let h = rnd(3); h > 0; h--) holders.push(rnd(6) === 0 ? { pid: 100 + rnd(6), map: '1-2', mode: 'rw' } : { pid: 100 + rnd(6), fd: 3 + rnd(50), mode: 'rw' });
        const type = (['stream', 'dgram', 'seqpacket'] as const)[rnd(3)];
        chans.push(unix(1000 + i, { type, state: rnd(6) === 0 ? 'listen' : 'connected', recvQueue: rnd(3) === 0 ? null : rnd(2) }, holders));
      }
      for (const c of chans) if (rnd(2) === 0) c.peer = `unix:${(c.peerInode = chans[rnd(chans.length)].inode)}`;
      const first = new Set<number>();
      for (let k = rnd(3); k > 0; k--) first.add(100 + rnd(6));
      const counts = new Map<number, number>();
      for (let k = rnd(3) === 0 ? 1 + rnd(3) : 0; k > 0; k--) counts.set(chans[rnd(chans.length)].inode, rnd(3));
      const known = rnd(4) === 0 ? undefined : { complete: rnd(3) > 0, counts };
      if (known?.complete && ![...counts.values()].some((c) => c > 0)) short++;
      const want = readInFlight(none, inFlightRequest(chans, first), () => false, 10_000, known);
      assert.deepEqual(askInFlight(none, { unix: chans, first }, known, 10_000), want, `round ${round}`);
    }
    assert.ok(short >= 5, `the short way taken ${short} times`);
  });
});

