// The socket probe's own-namespace tables are dumped beside the fd walk and prepared as channels
// as each dump lands (probes/sockets.ts): with an injected addon whose walk returns late, the
// tables are prepared before the walk returns, and the channels are the same as when the tables
// are read after the walk (another namespace) — peers, loopback pairs, TIME-WAIT ids, endpoints.
// A dump that fails beside the walk is read again after it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import type { Channel, InetChannel, UnixChannel } from '../../src/core/model';
import type { InetDiag, NativeAddon, ProcWalk, UnixDiag } from '../../src/core/native';
import { netnsId } from '../../src/core/probes/context';
import { takeSnapshot, type SnapshotTimings } from '../../src/core/snapshot';
import { fdColumns, walkProcess, type FdRow } from './fakeWalk';

const selfNs = netnsId(fs.readlinkSync('/proc/self/ns/net'));
const otherNs = selfNs === '4026531840' ? '4026531841' : '4026531840';

/** A walk whose processes all live in network namespace `ns`: pid 20 and 21 hold two unix sockets and a TCP pair. */
function walkIn(ns: string): ProcWalk {
  const proc = (pid: number, ppid: number, comm: string) => walkProcess(pid, ppid, comm, { netns: `net:[${ns}]` });
  const rows: FdRow[] = [
    [20, 4, 2, 3, 7001],
    [20, 6, 2, 3, 8001],
    [21, 5, 2, 3, 7002],
    [21, 7, 2, 3, 8002],
  ];
  return {
    processes: [proc(1, 0, 'init'), proc(20, 1, 'client'), proc(21, 1, 'server')],
    fds: fdColumns(rows),
    paths: [],
    infos: [],
    elapsedMs: 1,
    threads: 1,
  };
}

const unix = (): UnixDiag => ({
  // 7001 twice (a table may list a socket twice: one channel), out of inode order
  inode: Float64Array.from([7003, 7002, 7001, 7001]),
  type: Uint8Array.from([2, 1, 1, 1]),
  state: Uint8Array.from([7, 1, 1, 1]),
  peer: Float64Array.from([0, 7001, 7002, 7002]),
  rqueue: Float64Array.from([0, 5, 0, 0]),
  wqueue: Float64Array.from([0, 0, 0, 0]),
  nameKind: Uint8Array.from([2, 0, 1, 1]),
  name: ['abs', '', '/run/app.sock', '/run/app.sock'],
});
const emptyInet = (): InetDiag => ({ family: new Uint8Array(), state: new Uint8Array(), localAddr: [], localPort: new Uint16Array(), remoteAddr: [], remotePort: new Uint16Array(), rqueue: new Float64Array(), wqueue: new Float64Array(), inode: new Float64Array(), uid: new Float64Array() });
const tcp4 = (): InetDiag => ({
  family: Uint8Array.from([4, 4, 4]),
  state: Uint8Array.from([1, 1, 6]),
  localAddr: ['127.0.0.1', '127.0.0.1', '127.0.0.1'],
  localPort: Uint16Array.from([40000, 8080, 40001]),
  remoteAddr: ['127.0.0.1', '127.0.0.1', '127.0.0.1'],
  remotePort: Uint16Array.from([8080, 40000, 8080]),
  rqueue: Float64Array.from([0, 3, 0]),
  wqueue: Float64Array.from([0, 0, 0]),
  inode: Float64Array.from([8001, 8002, 0]),
  uid: Float64Array.from([0, 0, 0]),
});

/** A fake addon: the walk returns after `walkDelayMs`; `failFirst` names dumps whose first call rejects. */
function fakeAddon(ns: string, walkDelayMs: number, failFirst: string[] = []) {
  const calls: string[] = [];
  const failed = new Set<string>();
  const dump = <T>(name: string, make: () => T): Promise<T> => {
    calls.push(name);
    if (failFirst.includes(name) && !failed.has(name)) {
      failed.add(name);
      return Promise.reject(Object.assign(new Error('EBUSY'), { code: 'EBUSY' }));
    }
    return Promise.resolve(make());
  };
  const addon = {
    walkProc: () => new Promise<ProcWalk>((res) => setTimeout(() => res(walkIn(ns)), walkDelayMs)),
    unixDiag: () => dump('unix', unix),
    // TCP is asked for both families at once (family 0), UDP per family
    inetDiag: (p: string, f: number) => dump(`${p}${f}`, () => (p === 'tcp' && (f === 4 || f === 0) ? tcp4() : emptyInet())),
    sysvMsgList: async () => [],
    sysvShmList: async () => [],
    sysvSemList: async () => [],
  } as unknown as NativeAddon;
  return { addon, calls };
}

/** The socket channels as compared: every fact but the namespace id (the two runs differ only there). */
function sockets(channels: Channel[]): unknown[] {
  return channels
    .filter((c) => c.kind === 'unix' || c.kind === 'tcp')
    .map((c) => {
      const { netns: _n, ...rest } = c as UnixChannel | InetChannel;
      return { ...rest, id: rest.id.replace(/^tcp:\d+:/, 'tcp:NS:') };
    });
}

test('own namespace: the socket tables are prepared while the walk runs, and give the channels the after-walk path gives', async () => {
  const own = fakeAddon(selfNs, 50);
  const timings: SnapshotTimings = {};
  const s = await takeSnapshot({ nativeAddon: own.addon, kinds: ['unix', 'tcp'], timings });
  assert.ok(timings.socketTablesMs !== undefined, 'the prefetched tables were used');
  assert.ok(timings.socketTablesMs! < timings.walkMs!, `prepared before the walk returned (${timings.socketTablesMs} vs ${timings.walkMs} ms)`);
  // (MPTCP's table, after the walk, only where this machine's namespace counts MPTCP sockets: protocolsInUse.ts)
  assert.deepEqual(own.calls.filter((c) => c !== 'mptcp0').sort(), ['tcp0', 'unix'], 'each table dumped once (TCP both families in one)');
  assert.ok(own.calls.filter((c) => c === 'mptcp0').length <= 1, 'MPTCP at most once');

  // another namespace: its tables are read after the walk (through the namespace's pid)
  const other = fakeAddon(otherNs, 1);
  const timings2: SnapshotTimings = {};
  const o = await takeSnapshot({ nativeAddon: other.addon, kinds: ['unix', 'tcp'], timings: timings2 });
  assert.equal(timings2.socketTablesMs, undefined, 'no table of this namespace was prefetched');
  assert.deepEqual(sockets(s.channels), sockets(o.channels));

  const a = s.channels.find((c) => c.id === 'unix:7001') as UnixChannel;
  const b = s.channels.find((c) => c.id === 'unix:7002') as UnixChannel;
  assert.equal(s.channels.filter((c) => c.id === 'unix:7001').length, 1, 'a socket listed twice is one channel');
  assert.equal(a.path, '/run/app.sock');
  assert.equal(a.peer, 'unix:7002');
  assert.equal(b.peer, 'unix:7001');
  assert.equal(a.netns, selfNs);
  assert.deepEqual(a.endpoints, [{ pid: 20, fd: 4, mode: 'rw' }]);
  assert.deepEqual(b.endpoints, [{ pid: 21, fd: 5, mode: 'rw' }]);
  assert.deepEqual((s.channels.find((c) => c.id === 'unix:7003') as UnixChannel).endpoints, []);
  const cli = s.channels.find((c) => c.id === 'tcp:8001') as InetChannel;
  const srv = s.channels.find((c) => c.id === 'tcp:8002') as InetChannel;
  assert.equal(cli.peer, 'tcp:8002');
  assert.equal(srv.peer, 'tcp:8001');
  assert.deepEqual(srv.endpoints, [{ pid: 21, fd: 7, mode: 'rw' }]);
  const tw = s.channels.find((c) => (c as InetChannel).state === 'TIME-WAIT') as InetChannel;
  assert.equal(tw.id, `tcp:${selfNs}:127.0.0.1:40001->127.0.0.1:8080`);
  assert.equal(tw.peer, undefined);
});

test('own namespace: a dump that failed beside the walk is read again after it, pairs and peers alike', async () => {
  const f = fakeAddon(selfNs, 10, ['unix', 'tcp0']);
  const s = await takeSnapshot({ nativeAddon: f.addon, kinds: ['unix', 'tcp'] });
  assert.deepEqual(f.calls.filter((c) => c === 'unix' || c === 'tcp0'), ['unix', 'tcp0', 'unix', 'tcp0'], 'the failed dumps were asked for again');
  assert.equal((s.channels.find((c) => c.id === 'unix:7001') as UnixChannel).peer, 'unix:7002');
  assert.equal((s.channels.find((c) => c.id === 'tcp:8001') as InetChannel).peer, 'tcp:8002');
  assert.equal((s.channels.find((c) => c.id === 'tcp:8002') as InetChannel).peer, 'tcp:8001');
  assert.equal(s.capabilities.sockDiag, true);
});
