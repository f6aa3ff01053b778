// The native join path with an injected fake addon: walk rows → channels, unix peers from
// sock_diag, loopback TCP pairs, TIME-WAIT ids, vanished processes dropped, SysV sem values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSortedChannels } from '../../src/core/diff';
import type { InetChannel, PipeChannel, SysvSemChannel, UnixChannel } from '../../src/core/model';
import type { InetDiag, NativeAddon, ProcWalk, UnixDiag } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { fdColumns, walkProcess, type FdRow } from './fakeWalk';

const proc = (pid: number, ppid: number, comm: string) => walkProcess(pid, ppid, comm, { netns: 'net:[4026531840]', statusTail: 'Threads:\t2\nSigCgt:\t0000000000004000\n' });

// rows: pid, fd, kind, mode, inode
const rows: FdRow[] = [
  [20, 3, 1, 2, 9001], // pipe writer
  [21, 0, 1, 1, 9001], // pipe reader
  [20, 4, 2, 3, 7001], // unix a
  [21, 5, 2, 3, 7002], // unix b (peer of a)
  [20, 6, 2, 3, 8001], // tcp client
  [21, 7, 2, 3, 8002], // tcp server side
  [22, 1, 1, 2, 9001], // vanished process: must not appear
];
const walk: ProcWalk = {
  processes: [proc(1, 0, 'init'), proc(20, 1, 'client'), proc(21, 1, 'server'), { pid: 22, error: 'ENOENT' }],
  fds: fdColumns(rows, { buffered: (r) => (r[4] === 9001 && r[0] === 21 ? 17 : -1), capacity: (r) => (r[4] === 9001 ? 65536 : -1) }),
  paths: [],
  infos: [],
  elapsedMs: 1,
  threads: 2,
};
const unix: UnixDiag = {
  inode: Float64Array.from([7002, 7001, 7003]),
  type: Uint8Array.from([1, 1, 2]),
  state: Uint8Array.from([1, 1, 7]),
  peer: Float64Array.from([7001, 7002, 0]),
  rqueue: Float64Array.from([5, 0, 0]),
  wqueue: Float64Array.from([0, 0, 0]),
  nameKind: Uint8Array.from([0, 1, 2]),
  name: ['', '/run/app.sock', 'abs\nname'],
};
const emptyInet = (): InetDiag => ({ family: new Uint8Array(), state: new Uint8Array(), localAddr: [], localPort: new Uint16Array(), remoteAddr: [], remotePort: new Uint16Array(), rqueue: new Float64Array(), wqueue: new Float64Array(), inode: new Float64Array(), uid: new Float64Array() });
const tcp4: InetDiag = {
  family: Uint8Array.from([4, 4, 4, 4]),
  state: Uint8Array.from([1, 1, 10, 6]),
  localAddr: ['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1'],
  localPort: Uint16Array.from([40000, 8080, 8080, 40001]),
  remoteAddr: ['127.0.0.1', '127.0.0.1', '0.0.0.0', '127.0.0.1'],
  remotePort: Uint16Array.from([8080, 40000, 0, 8080]),
  rqueue: Float64Array.from([0, 3, 0, 0]),
  wqueue: Float64Array.from([0, 0, 128, 0]),
  inode: Float64Array.from([8001, 8002, 8003, 0]),
  uid: Float64Array.from([0, 0, 0, 0]),
};
const fake = {
  walkProc: async () => walk,
  unixDiag: async () => unix,
  inetDiag: async (p: string, f: number) => (p === 'tcp' && (f === 4 || f === 0) ? tcp4 : emptyInet()), // TCP: both families at once (0)
  sysvMsgList: async () => [],
  sysvShmList: async () => [],
  sysvSemList: async () => [{ semid: 5, key: 0x10, uid: 0, gid: 0, cuid: 0, mode: 0o600, nsems: 2, otime: 0, ctime: 0, values: [1, 0], ncnt: [0, 1], zcnt: [0, 0], pids: [20, 0] }],
  mqGetattr: () => {
    throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  },
} as unknown as NativeAddon;

test('native join: pipes with measured bytes, unix peers, loopback TCP pairs, TIME-WAIT, sem values', async () => {
  const s = await takeSnapshot({ nativeAddon: fake, kinds: ['pipe', 'unix', 'tcp', 'sysv-sem'] });
  assert.equal(s.capabilities.native, true);
  assert.equal(s.capabilities.threads, 2);
  assert.ok(isSortedChannels(s.channels));
  const pipe = s.channels.find((c) => c.id === 'pipe:9001') as PipeChannel;
  assert.deepEqual(pipe.endpoints, [
    { pid: 20, fd: 3, mode: 'w' },
    { pid: 21, fd: 0, mode: 'r' },
  ]);
  assert.equal(pipe.bufferedBytes, 17);
  assert.equal(pipe.capacity, 65536);
  const a = s.channels.find((c) => c.id === 'unix:7001') as UnixChannel;
  const b = s.channels.find((c) => c.id === 'unix:7002') as UnixChannel;
  assert.equal(a.path, '/run/app.sock');
  assert.equal(a.peer, 'unix:7002');
  assert.equal(b.peer, 'unix:7001');
  assert.equal(b.recvQueue, 5);
  assert.deepEqual(b.endpoints, [{ pid: 21, fd: 5, mode: 'rw' }]);
  const lonely = s.channels.find((c) => c.id === 'unix:7003') as UnixChannel;
  assert.equal(lonely.abstract, 'abs\nname');
  assert.equal(lonely.type, 'dgram');
  assert.deepEqual(lonely.endpoints, []);
  const cli = s.channels.find((c) => c.id === 'tcp:8001') as InetChannel;
  const srv = s.channels.find((c) => c.id === 'tcp:8002') as InetChannel;
  assert.equal(cli.peer, 'tcp:8002');
  assert.equal(srv.peer, 'tcp:8001');
  assert.equal(cli.local, '127.0.0.1:40000');
  assert.equal(cli.state, 'ESTAB');
  const listen = s.channels.find((c) => c.id === 'tcp:8003') as InetChannel;
  assert.equal(listen.state, 'LISTEN');
  assert.equal(listen.remote, '0.0.0.0:*');
  assert.equal(cli.remote, '127.0.0.1:8080');
  assert.equal(listen.peer, undefined);
  const tw = s.channels.find((c) => (c as InetChannel).state === 'TIME-WAIT') as InetChannel;
  assert.equal(tw.id, 'tcp:4026531840:127.0.0.1:40001->127.0.0.1:8080');
  assert.equal(tw.peer, undefined, 'TIME-WAIT has no peer socket');
  const sem = s.channels.find((c) => c.id === 'sysv-sem:5') as SysvSemChannel;
  assert.deepEqual(sem.values, [1, 0]);
  assert.deepEqual(sem.waitingForIncrease, [0, 1]);
  assert.deepEqual(sem.lastPid, [20, 0]);
  // vanished pid 22 appears nowhere
  assert.ok(s.channels.every((c) => c.endpoints.every((e) => e.pid !== 22)));
  assert.deepEqual(s.processes.map((p) => p.pid), [1, 20, 21]);
  assert.equal(s.processes[1].threads, 2);
});

test('capabilities.msgCopy comes from what MSG_COPY answers on an id no queue has', async () => {
  const answering = (code: string, seen: number[]) =>
    ({
      ...fake,
      msgPeek: (id: number) => {
        seen.push(id);
        throw Object.assign(new Error(code), { code, syscall: 'msgrcv' });
      },
    }) as unknown as NativeAddon;
  const ids: number[] = [];
  const without = await takeSnapshot({ nativeAddon: answering('ENOSYS', ids), kinds: ['sysv-msg'] });
  assert.equal(without.capabilities.msgCopy, false, 'ENOSYS: kernel built without CONFIG_CHECKPOINT_RESTORE');
  const withIt = await takeSnapshot({ nativeAddon: answering('EINVAL', ids), kinds: ['sysv-msg'] });
  assert.equal(withIt.capabilities.msgCopy, true, 'EINVAL: MSG_COPY accepted, the queue does not exist');
  const unknown = await takeSnapshot({ nativeAddon: answering('EPERM', ids), kinds: ['sysv-msg'] });
  assert.equal(unknown.capabilities.msgCopy, null);
  // a negative id would be refused before the kernel's MSG_COPY check, proving nothing
  assert.ok(ids.every((id) => id >= 0));
});

test('errors as data: a semaphore set whose values GETALL refused says why they are missing', async () => {
  const denied = { ...fake, sysvSemList: async () => [{ semid: 6, key: 0, uid: 1000, gid: 1000, cuid: 1000, mode: 0o600, nsems: 3, otime: 0, ctime: 0, error: 'EACCES' }] } as unknown as NativeAddon;
  const s = await takeSnapshot({ nativeAddon: denied, kinds: ['sysv-sem'] });
  const sem = s.channels.find((c) => c.id === 'sysv-sem:6') as SysvSemChannel;
  assert.equal(sem.values, null);
  assert.deepEqual(sem.errors?.find((e) => e.field === 'values'), { field: 'values', syscall: 'semctl', code: 'EACCES' });
  assert.deepEqual(sem.errors?.map((e) => e.field).sort(), ['lastPid', 'values', 'waitingForIncrease', 'waitingForZero']);
});

test('errors as data: a process whose fd table was unreadable carries the error', async () => {
  const hidden: ProcWalk = { ...walk, processes: [...walk.processes.slice(0, 3).map((p) => (p.pid === 21 ? { ...p, fdError: 'EACCES', errors: [{ file: 'maps', code: 'EACCES' }] } : p))] };
  const s = await takeSnapshot({ nativeAddon: { ...fake, walkProc: async () => hidden } as unknown as NativeAddon, kinds: ['pipe'], processes: 'all' });
  const p = s.processes.find((x) => x.pid === 21);
  assert.deepEqual(p?.errors, [{ field: 'fds', syscall: 'opendir', code: 'EACCES' }, { field: 'maps', syscall: 'read', code: 'EACCES' }]);
  assert.equal(s.processes.find((x) => x.pid === 20)?.errors, undefined, 'nothing failed: no errors field');
});

test('unix channels of several network namespaces: one list in canonical order, each table merged in (an embryo without an inode last)', async () => {
  // pids 20 and 21 in two namespaces, neither ours: each table read by its pid's ns link, their inodes interleaved
  const ns = (pid: number, id: number) => walkProcess(pid, 1, 'p' + pid, { netns: `net:[${id}]` });
  const rowsNs: FdRow[] = [
    [20, 3, 2, 3, 7005], [20, 4, 2, 3, 7001], [20, 5, 2, 3, 7003],
    [21, 3, 2, 3, 7002], [21, 4, 2, 3, 7006], [21, 5, 2, 3, 7004],
  ];
  const w: ProcWalk = { ...walk, processes: [proc(1, 0, 'init'), ns(20, 4026530001), ns(21, 4026530002)], fds: fdColumns(rowsNs) };
  const table = (inodes: number[]): UnixDiag => ({
    inode: Float64Array.from(inodes),
    type: new Uint8Array(inodes.length).fill(1),
    state: new Uint8Array(inodes.length).fill(7),
    peer: new Float64Array(inodes.length),
    rqueue: new Float64Array(inodes.length),
    wqueue: new Float64Array(inodes.length),
    nameKind: new Uint8Array(inodes.length),
    name: inodes.map(() => ''),
  });
  for (const embryo of [false, true]) {
    const tables: Record<string, UnixDiag> = { '/proc/20/ns/net': table([7005, 7001, 7003]), '/proc/21/ns/net': table(embryo ? [7006, 0, 7002, 7004] : [7006, 7002, 7004]) };
    const addon = { ...fake, walkProc: async () => w, unixDiag: async (nsPath?: string) => tables[nsPath ?? ''] ?? table([]) } as unknown as NativeAddon;
    const s = await takeSnapshot({ nativeAddon: addon, kinds: ['unix'] });
    assert.ok(isSortedChannels(s.channels));
    assert.deepEqual(
      s.channels.map((c) => c.id),
      ['unix:7001', 'unix:7002', 'unix:7003', 'unix:7004', 'unix:7005', 'unix:7006', ...(embryo ? ['unix:0'] : [])],
    );
    assert.deepEqual(s.channels.map((c) => (c as UnixChannel).netns), ['4026530001', '4026530002', '4026530001', '4026530002', '4026530001', '4026530002', ...(embryo ? ['4026530002'] : [])]);
  }
});
