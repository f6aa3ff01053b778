// takeSnapshot() against REAL objects of every kind made by fixtures/ipc-fixture.c: each must be
// found with exactly the endpoints (pid/fd/mode or pid/map/mode) its holders have, the right
// peers, counts and per-kind facts; signal masks and POSIX timers of the signal fixtures; then,
// after the fixtures are closed, nothing of them may remain (second snapshot and `ipcs`).
// Two suites on the same objects: with the native addon (skipped, with the reason, when it is not
// built/loadable) and with useNative:false (pure /proc reads). Only objects made here are
// asserted on — never anything else on the machine.
//
//   node scripts/build.mjs test/integration cli && node --test --test-concurrency=1 dist/test/integration/snapshot.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAll, makeFixture, type Fixture, type FixtureKind, type FixtureOptions } from '../../fixtures/ipcFixture';
import type { Channel, Endpoint, InetChannel, ProcessInfo, Snapshot, UnixChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { readStartTime } from '../../src/core/actions/signal';

const HOSTILE = '<img src=x onerror=alert(1)>';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-snap-'));
const tag = `ipcfx${process.pid}`;

// Every object this file makes: name → [kind, options].
const SPECS: Record<string, [FixtureKind, FixtureOptions]> = {
  pipe: ['pipe', { bytes: 100 }],
  hostileComm: ['pipe', { comm: 'ev\n<script>' }],
  fifo: ['fifo', { path: path.join(tmp, `fifo with space\nand newline ${HOSTILE}`), bytes: 10 }],
  socketpair: ['socketpair', { bytes: 7 }],
  unixPath: ['unix-stream', { path: path.join(tmp, `s p\n${HOSTILE}.sock`), bytes: 11 }],
  unixAbstract: ['unix-seqpacket', { abstract: `${tag} abstract\n${HOSTILE}`, bytes: 13 }],
  unixDgram: ['unix-dgram', { path: path.join(tmp, 'dgram.sock'), bytes: 5, datagrams: 1 }],
  tcp4: ['tcp4', { bytes: 1000 }],
  tcp6: ['tcp6', { bytes: 600 }],
  udp4: ['udp4', { bytes: 20, datagrams: 2 }],
  udp6: ['udp6', { bytes: 30, datagrams: 3 }],
  sysvMsg: ['sysv-msg', { msgs: [{ type: 1, text: 'hello' }, { type: 7, text: `${HOSTILE}\n` }] }],
  sysvShm: ['sysv-shm', { size: 8192, attach: 2 }],
  sysvSem: ['sysv-sem', { values: [0, 2, 5], waitIncrease: 0, waitZero: 1 }],
  posixMq: ['posix-mq', { name: `${tag} mq ${HOSTILE}\n`, msgs: [{ priority: 1, text: 'one' }, { priority: 5, text: 'three' }], maxmsg: 8, msgsize: 64 }],
  posixShm: ['posix-shm', { name: `${tag} shm ${HOSTILE}`, size: 8192 }],
  posixSem: ['posix-sem', { name: `${tag} sem ${HOSTILE}`, value: 3 }],
  signals: ['signals', { record: path.join(tmp, 'signals.log') }],
  timer: ['timer', { count: 2 }],
};

const fx: Record<string, Fixture> = {};
let closed = false;

before(async () => {
  const made = await Promise.allSettled(Object.entries(SPECS).map(async ([name, [kind, opts]]) => (fx[name] = await makeFixture(kind, opts))));
  const failed = made.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length) throw new Error('fixtures failed: ' + failed.map((r) => r.reason?.message).join('; '));
});

after(async () => {
  try {
    if (!closed) await closeAll(Object.values(fx));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ helpers

const epKey = (e: Endpoint) => `${e.pid}/${e.fd ?? ''}/${e.map ?? ''}/${e.mode}`;
const sortEps = (eps: readonly Endpoint[]) => [...eps].map(epKey).sort();
/** Endpoints of `ch` that belong to processes of the given fixtures. */
const epsOf = (ch: Channel, pids: readonly number[]) => sortEps(ch.endpoints.filter((e) => pids.includes(e.pid)));

function one<T extends Channel>(snap: Snapshot, what: string, pred: (c: Channel) => boolean): T {
  const found = snap.channels.filter(pred);
  assert.equal(found.length, 1, `${what}: expected exactly one channel, found ${found.length}: ${JSON.stringify(found.map((c) => c.id))}`);
  return found[0] as T;
}
const byInode = <T extends Channel>(snap: Snapshot, kind: string, inode: number) =>
  one<T>(snap, `${kind} inode ${inode}`, (c) => c.kind === kind && (c as { inode?: number }).inode === inode);

function proc(snap: Snapshot, pid: number): ProcessInfo {
  const p = snap.processes.find((x) => x.pid === pid);
  assert.ok(p, `process ${pid} missing from the snapshot`);
  return p;
}

function allFixturePids(): number[] {
  return Object.values(fx).flatMap((f) => f.pids);
}

// ------------------------------------------------------------------ the two suites

const nativeLoad = loadNative();
const MODES: { name: string; useNative: boolean; skip: string | false }[] = [
  { name: 'native addon', useNative: true, skip: nativeLoad.addon ? false : `native addon not available: ${nativeLoad.error}` },
  { name: 'pure /proc (useNative: false)', useNative: false, skip: false },
];

for (const mode of MODES) {
  describe(`takeSnapshot — ${mode.name}`, { skip: mode.skip }, () => {
    let snap: Snapshot;
    const isNative = mode.useNative;
    before(async () => {
      snap = await takeSnapshot({ useNative: mode.useNative, processes: 'all' });
    });

    test('capabilities say which path ran', () => {
      assert.equal(snap.capabilities.native, isNative);
      if (!isNative) assert.equal(typeof snap.capabilities.nativeError, 'string');
      assert.equal(snap.version, 1);
      assert.ok(!Number.isNaN(Date.parse(snap.takenAt)));
    });

    test('every fixture process is listed with its comm', () => {
      for (const f of Object.values(fx)) for (const pid of f.pids) assert.equal(proc(snap, pid).comm, f.info.comm, `comm of ${pid}`);
      const h = fx.hostileComm.info;
      assert.equal(h.comm, 'ev\n<script>');
      assert.equal(proc(snap, h.reader.pid).comm, 'ev\n<script>');
      assert.equal(proc(snap, h.writer.pid).ppid, process.pid);
      assert.equal(proc(snap, h.reader.pid).ppid, h.writer.pid);
    });

    test('pipe: both ends in distinct processes, buffered bytes', () => {
      const i = fx.pipe.info;
      const ch = byInode<Extract<Channel, { kind: 'pipe' }>>(snap, 'pipe', i.inode);
      assert.deepEqual(sortEps(ch.endpoints), sortEps([i.writer, i.reader]));
      if (isNative) {
        assert.equal(ch.bufferedBytes, 100);
        assert.equal(ch.capacity, i.capacity);
      } else {
        assert.ok(ch.bufferedBytes === null || ch.bufferedBytes === 100, `bufferedBytes ${ch.bufferedBytes}`);
      }
      const h = fx.hostileComm.info;
      assert.deepEqual(sortEps(byInode(snap, 'pipe', h.inode).endpoints), sortEps([h.writer, h.reader]));
    });

    test('fifo: hostile path, reader and writer, buffered bytes', () => {
      const i = fx.fifo.info;
      const ch = byInode<Extract<Channel, { kind: 'fifo' }>>(snap, 'fifo', i.inode);
      assert.equal(ch.path, i.path);
      assert.equal(ch.deleted, false);
      assert.equal(ch.dev, i.dev);
      assert.deepEqual(sortEps(ch.endpoints), sortEps([i.reader, i.writer]));
      if (isNative) assert.equal(ch.bufferedBytes, 10);
      else assert.ok(ch.bufferedBytes === null || ch.bufferedBytes === 10, `bufferedBytes ${ch.bufferedBytes}`);
    });

    test('socketpair: two connected unix sockets whose peers point at each other', () => {
      const { a, b } = fx.socketpair.info;
      const ca = byInode<UnixChannel>(snap, 'unix', a.inode);
      const cb = byInode<UnixChannel>(snap, 'unix', b.inode);
      assert.deepEqual(sortEps(ca.endpoints), sortEps([a]));
      assert.deepEqual(sortEps(cb.endpoints), sortEps([b]));
      assert.equal(ca.type, 'stream');
      assert.equal(ca.state, 'connected');
      assert.equal(ca.path, undefined);
      assert.equal(ca.abstract, undefined);
      if (snap.capabilities.sockDiag) {
        assert.equal(ca.peer, cb.id);
        assert.equal(cb.peer, ca.id);
        assert.equal(cb.recvQueue, 7);
        assert.equal(ca.recvQueue, 0);
      } else {
        // /proc/net/unix has no peers and no queue sizes: nothing may be invented.
        assert.equal(isNative, false, 'sock_diag must work when the addon is loaded');
        assert.equal(ca.peer, undefined);
      }
    });

    const unixCases: [string, 'stream' | 'seqpacket'][] = [
      ['unixPath', 'stream'],
      ['unixAbstract', 'seqpacket'],
    ];
    for (const [name, type] of unixCases) {
      test(`unix ${type} (${name}): listener, accepted end and client in another process`, () => {
        const i = fx[name].info;
        const lis = byInode<UnixChannel>(snap, 'unix', i.listener.inode);
        const acc = byInode<UnixChannel>(snap, 'unix', i.accepted.inode);
        const cli = byInode<UnixChannel>(snap, 'unix', i.client.inode);
        assert.equal(lis.type, type);
        assert.equal(lis.state, 'listen');
        if (i.path !== undefined) assert.equal(lis.path, i.path);
        else assert.equal(lis.abstract, i.abstract);
        assert.deepEqual(sortEps(lis.endpoints), sortEps([i.listener]));
        assert.deepEqual(sortEps(acc.endpoints), sortEps([i.accepted]));
        assert.deepEqual(sortEps(cli.endpoints), sortEps([i.client]));
        assert.notEqual(i.client.pid, i.accepted.pid);
        assert.equal(acc.state, 'connected');
        assert.equal(cli.state, 'connected');
        if (snap.capabilities.sockDiag) {
          assert.equal(acc.peer, cli.id);
          assert.equal(cli.peer, acc.id);
          assert.equal(acc.peerInode, i.client.inode);
          assert.equal(acc.recvQueue, i.bytes);
          assert.equal(cli.recvQueue, 0);
          assert.equal(lis.recvQueue, 0, 'no pending connection on the listener');
        }
      });
    }

    test('unix dgram: client connected to a path-bound server, datagram queued', () => {
      const i = fx.unixDgram.info;
      const srv = byInode<UnixChannel>(snap, 'unix', i.server.inode);
      const cli = byInode<UnixChannel>(snap, 'unix', i.client.inode);
      assert.equal(srv.type, 'dgram');
      assert.equal(srv.path, i.path);
      assert.deepEqual(sortEps(srv.endpoints), sortEps([i.server]));
      assert.deepEqual(sortEps(cli.endpoints), sortEps([i.client]));
      if (snap.capabilities.sockDiag) {
        assert.equal(cli.peer, srv.id);
        assert.ok((srv.recvQueue ?? 0) > 0, `server recvQueue ${srv.recvQueue}`);
      }
    });

    for (const name of ['tcp4', 'tcp6'] as const) {
      test(`${name}: listener and a loopback pair linked as peers, unread bytes`, () => {
        const i = fx[name].info;
        const lis = byInode<InetChannel>(snap, 'tcp', i.listener.inode);
        const acc = byInode<InetChannel>(snap, 'tcp', i.accepted.inode);
        const cli = byInode<InetChannel>(snap, 'tcp', i.client.inode);
        for (const c of [lis, acc, cli]) assert.equal(c.family, i.family);
        assert.equal(lis.state, 'LISTEN');
        assert.equal(lis.local, i.listener.local);
        assert.equal(acc.state, 'ESTAB');
        assert.equal(cli.state, 'ESTAB');
        assert.equal(acc.local, i.accepted.local);
        assert.equal(acc.remote, i.accepted.remote);
        assert.equal(cli.local, i.client.local);
        assert.equal(cli.remote, i.client.remote);
        assert.equal(acc.recvQueue, i.bytes);
        assert.equal(cli.recvQueue, 0);
        assert.equal(acc.peer, cli.id);
        assert.equal(cli.peer, acc.id);
        assert.equal(lis.peer, undefined);
        assert.deepEqual(sortEps(lis.endpoints), sortEps([i.listener]));
        assert.deepEqual(sortEps(acc.endpoints), sortEps([i.accepted]));
        assert.deepEqual(sortEps(cli.endpoints), sortEps([i.client]));
        assert.equal(acc.uid, process.getuid!());
      });
    }

    for (const name of ['udp4', 'udp6'] as const) {
      test(`${name}: bound server with queued datagrams, connected client`, () => {
        const i = fx[name].info;
        const srv = byInode<InetChannel>(snap, 'udp', i.server.inode);
        const cli = byInode<InetChannel>(snap, 'udp', i.client.inode);
        assert.equal(srv.family, i.family);
        assert.equal(srv.local, i.server.local);
        assert.equal(srv.state, 'UNCONN');
        assert.equal(cli.state, 'ESTAB');
        assert.equal(cli.local, i.client.local);
        assert.equal(cli.remote, i.client.remote);
        // The kernel reports receive memory (skb truesize), not payload bytes: only "> payload".
        assert.ok(srv.recvQueue >= i.bytes, `udp recvQueue ${srv.recvQueue} < ${i.bytes}`);
        assert.equal(cli.recvQueue, 0);
        assert.deepEqual(sortEps(srv.endpoints), sortEps([i.server]));
        assert.deepEqual(sortEps(cli.endpoints), sortEps([i.client]));
      });
    }

    test('sysv-msg: message count, bytes, last sender, no endpoints', () => {
      const i = fx.sysvMsg.info;
      const ch = one<Extract<Channel, { kind: 'sysv-msg' }>>(snap, 'msqid', (c) => c.kind === 'sysv-msg' && c.msqid === i.msqid);
      assert.equal(ch.key, 0);
      assert.equal(ch.messages, 2);
      assert.equal(ch.bytes, i.bytes);
      assert.equal(ch.maxBytes, i.maxBytes);
      assert.equal(ch.lastSendPid, fx.sysvMsg.pid);
      assert.equal(ch.lastRecvPid, 0);
      assert.equal(ch.mode, '0600');
      assert.equal(ch.uid, process.getuid!());
      assert.equal(ch.owner, os.userInfo().username);
      assert.deepEqual(ch.endpoints, []);
      assert.equal(typeof ch.lastSendTime, 'string');
      assert.equal(ch.lastRecvTime, null);
    });

    test('sysv-shm: size, attach count, one map endpoint per attached process', () => {
      const i = fx.sysvShm.info;
      const ch = one<Extract<Channel, { kind: 'sysv-shm' }>>(snap, 'shmid', (c) => c.kind === 'sysv-shm' && c.shmid === i.shmid);
      assert.equal(ch.size, 8192);
      assert.equal(ch.attachCount, 2);
      assert.equal(ch.creatorPid, fx.sysvShm.pid);
      assert.equal(ch.destroyed, false);
      assert.equal(ch.orphaned, false);
      assert.deepEqual(sortEps(ch.endpoints), sortEps(i.attachers));
    });

    test('sysv-sem: values and waiters per semaphore', () => {
      const i = fx.sysvSem.info;
      const ch = one<Extract<Channel, { kind: 'sysv-sem' }>>(snap, 'semid', (c) => c.kind === 'sysv-sem' && c.semid === i.semid);
      assert.equal(ch.nsems, 3);
      if (isNative) {
        assert.deepEqual(ch.values, [0, 2, 5]);
        assert.deepEqual(ch.waitingForIncrease, [1, 0, 0]);
        assert.deepEqual(ch.waitingForZero, [0, 1, 0]);
        assert.deepEqual(ch.lastPid, i.lastPid);
      } else {
        // /proc/sysvipc/sem has no per-semaphore values: null, never zeros.
        for (const k of ['values', 'waitingForIncrease', 'waitingForZero'] as const) {
          assert.ok(ch[k] === null || JSON.stringify(ch[k]) === JSON.stringify(i[k]), `${k}: ${JSON.stringify(ch[k])}`);
        }
      }
    });

    test('posix-mq: hostile name, writer and reader fds, counts when /dev/mqueue is mounted', () => {
      const i = fx.posixMq.info;
      const ch = one<Extract<Channel, { kind: 'posix-mq' }>>(snap, 'mq', (c) => c.kind === 'posix-mq' && c.name === i.name);
      assert.deepEqual(sortEps(ch.endpoints), sortEps([i.writer, i.reader]));
      // Counts and limits come only from mq_getattr (the addon); /dev/mqueue/NAME holds QSIZE (bytes)
      // and the notify fields, nothing else. What neither source gives stays null, never guessed.
      if (isNative) {
        assert.equal(ch.messages, 2);
        assert.equal(ch.maxMessages, 8);
        assert.equal(ch.messageSize, 64);
      } else {
        assert.equal(ch.messages, null, 'without the addon the message count is not known');
        assert.equal(ch.maxMessages, null);
        assert.equal(ch.messageSize, null);
      }
      assert.equal(ch.bytes, snap.capabilities.mqueueMounted ? i.bytes : null, 'QSIZE only when /dev/mqueue is mounted');
    });

    test('posix-shm: size, holder fd and mapping', () => {
      const i = fx.posixShm.info;
      const ch = one<Extract<Channel, { kind: 'posix-shm' }>>(snap, 'shm', (c) => c.kind === 'posix-shm' && c.name === i.name);
      assert.equal(ch.size, 8192);
      assert.equal(ch.mode, '0600');
      assert.deepEqual(sortEps(ch.endpoints), sortEps([i.holder, i.mapper]));
    });

    test('posix-sem: value and the processes that mapped it', () => {
      const i = fx.posixSem.info;
      const ch = one<Extract<Channel, { kind: 'posix-sem' }>>(snap, 'sem', (c) => c.kind === 'posix-sem' && c.name === i.name);
      assert.equal(ch.value, 3);
      assert.deepEqual(sortEps(ch.endpoints), sortEps(i.holders));
    });

    test('signals: SIGTERM ignored, SIGUSR1/SIGRTMIN caught, SIGUSR2 blocked and pending', () => {
      const i = fx.signals.info;
      const s = proc(snap, i.target).signals;
      assert.ok(s.ignored.includes('SIGTERM'), `ignored ${s.ignored}`);
      for (const c of i.caught as string[]) assert.ok(s.caught.includes(c), `caught ${s.caught} lacks ${c}`);
      assert.ok(!s.caught.includes('SIGTERM'));
      assert.deepEqual(s.blocked, ['SIGUSR2']);
      assert.deepEqual(s.pending, ['SIGUSR2']);
      assert.deepEqual(s.shdPending, ['SIGUSR2']);
      assert.ok(s.queued !== null && s.queued >= 2, `SigQ ${s.queued}`);
      // The fixture's main process has the default dispositions for these.
      const main = proc(snap, fx.signals.pid).signals;
      assert.ok(!main.ignored.includes('SIGTERM'));
      assert.ok(main.caught.includes('SIGTERM'));
      assert.deepEqual(main.pending, []);
    });

    test('timers: two POSIX timers delivering SIGALRM on CLOCK_MONOTONIC', () => {
      const i = fx.timer.info;
      const p = proc(snap, i.target);
      const got = [...p.timers].sort((a, b) => a.id - b.id).map((t) => ({ id: t.id, signal: t.signal, clock: t.clock, notify: t.notify, notifyPid: t.notifyPid }));
      assert.deepEqual(got, i.timers);
      assert.deepEqual(proc(snap, fx.timer.pid).timers, []);
    });

    test('channel ids are stable across snapshots, filters by kind and pid work', async () => {
      const again = await takeSnapshot({ useNative: mode.useNative });
      const pids = allFixturePids();
      const mine = (s: Snapshot) =>
        s.channels
          .filter((c) => c.endpoints.some((e) => pids.includes(e.pid)))
          .map((c) => c.id)
          .sort();
      assert.deepEqual(mine(again), mine(snap));
      const fifoOnly = await takeSnapshot({ useNative: mode.useNative, kinds: ['fifo'] });
      assert.ok(fifoOnly.channels.some((c) => c.kind === 'fifo' && c.path === fx.fifo.info.path), 'the fixture FIFO is there');
      assert.ok(fifoOnly.channels.every((c) => c.kind === 'fifo'));
      assert.ok(fifoOnly.channels.some((c) => c.kind === 'fifo' && c.inode === fx.fifo.info.inode));
      const r = fx.pipe.info.reader.pid;
      const onePid = await takeSnapshot({ useNative: mode.useNative, pids: [r] });
      const pipeCh = onePid.channels.find((c) => c.kind === 'pipe' && c.inode === fx.pipe.info.inode);
      assert.ok(pipeCh, 'pid filter lost the pipe the pid holds');
      for (const c of onePid.channels) {
        assert.ok(c.endpoints.some((e) => e.pid === r) || c.kind.startsWith('sysv'), `${c.id} is not held by ${r}`);
      }
      assert.ok(!onePid.channels.some((c) => c.kind === 'fifo' && c.inode === fx.fifo.info.inode));
    });

    test('endpoints of fixture processes all resolve to channels, modes are consistent', () => {
      for (const c of snap.channels) {
        for (const e of c.endpoints) {
          assert.ok(e.fd !== undefined || e.map !== undefined, `${c.id}: endpoint without fd or map`);
          assert.ok(['r', 'w', 'rw'].includes(e.mode));
        }
      }
      const fifo = byInode(snap, 'fifo', fx.fifo.info.inode);
      assert.deepEqual(epsOf(fifo, fx.fifo.pids), sortEps([fx.fifo.info.reader, fx.fifo.info.writer]));
    });
  });
}

// ------------------------------------------------------------------ teardown must leave nothing

describe('after the fixtures are closed', () => {
  let pids: number[] = [];
  /** pid → its start time while the fixtures ran: a process given one of these pids since is another one. */
  const starts = new Map<number, number>();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let infos: any[] = [];
  before(async () => {
    pids = allFixturePids();
    for (const pid of pids) {
      try {
        starts.set(pid, readStartTime(pid));
      } catch {
        /* already gone */
      }
    }
    infos = Object.values(fx).map((f) => f.info);
    closed = true;
    await closeAll(Object.values(fx));
  });

  for (const mode of MODES) {
    test(`nothing of them is in a new snapshot — ${mode.name}`, { skip: mode.skip }, async () => {
      const snap = await takeSnapshot({ useNative: mode.useNative, processes: 'all' });
      // the pids the machine gave to newcomers since (it wraps every few minutes under the tests) aside
      const same = (pid: number): boolean => snap.processes.some((p) => p.pid === pid && (!starts.has(pid) || p.startTime === starts.get(pid)));
      for (const pid of pids) assert.ok(!same(pid), `process ${pid} still listed`);
      for (const c of snap.channels) for (const e of c.endpoints) assert.ok(!pids.includes(e.pid) || !same(e.pid), `${c.id} still held by ${e.pid}`);
      const inodes = new Set<number>();
      for (const i of infos) {
        for (const k of ['inode']) if (typeof i[k] === 'number') inodes.add(i[k]);
        for (const k of ['listener', 'accepted', 'client', 'server', 'a', 'b']) if (i[k]?.inode) inodes.add(i[k].inode);
      }
      for (const c of snap.channels) {
        const ino = (c as { inode?: number }).inode;
        if (ino && ['pipe', 'fifo', 'unix', 'tcp', 'udp'].includes(c.kind)) assert.ok(!inodes.has(ino), `${c.id} (inode ${ino}) still there`);
      }
      const ids = (k: string) => infos.map((i) => i[k]).filter((x) => typeof x === 'number');
      assert.ok(!snap.channels.some((c) => c.kind === 'sysv-msg' && ids('msqid').includes(c.msqid)));
      assert.ok(!snap.channels.some((c) => c.kind === 'sysv-shm' && ids('shmid').includes(c.shmid)));
      assert.ok(!snap.channels.some((c) => c.kind === 'sysv-sem' && ids('semid').includes(c.semid)));
      const names = infos.filter((i) => i.kind.startsWith('posix-')).map((i) => i.name);
      assert.ok(!snap.channels.some((c) => 'name' in c && names.includes(c.name)), 'a POSIX object is still listed');
    });
  }

  test('nothing of them is in ipcs', { skip: hasTool('ipcs') ? false : 'ipcs not installed' }, () => {
    for (const [flag, key] of [['-q', 'msqid'], ['-m', 'shmid'], ['-s', 'semid']] as const) {
      const listed = ipcsIds(flag);
      for (const i of infos) if (typeof i[key] === 'number') assert.ok(!listed.includes(i[key]), `ipcs ${flag} still lists ${i[key]}`);
    }
  });
});

function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ipcsIds(flag: string): number[] {
  const out = execFileSync('ipcs', [flag], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => /^0x[0-9a-f]+\s+\d+/.test(l))
    .map((l) => Number(l.split(/\s+/)[1]));
}
