// takeSnapshot on a small directory tree imitating /proc (TS path): pid dirs with stat, status,
// cmdline, fd symlinks (`pipe:[N]`, `socket:[N]`, a real FIFO) and fdinfo flags for the mode.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { FifoChannel, PipeChannel, PosixSemChannel, PosixShmChannel, SysvShmChannel, UnixChannel } from '../../src/core/model';
import { isSortedChannels } from '../../src/core/diff';
import { takeSnapshot } from '../../src/core/snapshot';

let root = '';
let procRoot = '';
let fifoPath = '';

function proc(pid: number, ppid: number, comm: string, uid: number, fds: Record<number, [string, number]>, extra: Record<string, string> = {}) {
  const d = path.join(procRoot, String(pid));
  fs.mkdirSync(path.join(d, 'fd'), { recursive: true });
  fs.mkdirSync(path.join(d, 'fdinfo'), { recursive: true });
  fs.writeFileSync(path.join(d, 'stat'), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 ${1000 + pid} 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`);
  fs.writeFileSync(
    path.join(d, 'status'),
    `Name:\t${comm}\nState:\tS (sleeping)\nPPid:\t${ppid}\nTracerPid:\t0\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nThreads:\t1\nSigQ:\t0/1000\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000010000\nSigIgn:\t0000000000001000\nSigCgt:\t0000000000004002\n`,
  );
  fs.writeFileSync(path.join(d, 'cmdline'), `${comm}\0--flag\0`);
  for (const [fd, [target, flags]] of Object.entries(fds)) {
    fs.symlinkSync(target, path.join(d, 'fd', fd));
    fs.writeFileSync(path.join(d, 'fdinfo', fd), `pos:\t0\nflags:\t0${flags.toString(8)}\nmnt_id:\t15\n`);
  }
  for (const [name, text] of Object.entries(extra)) fs.writeFileSync(path.join(d, name), text);
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-fakeproc-'));
  procRoot = path.join(root, 'proc');
  fs.mkdirSync(procRoot);
  fifoPath = path.join(root, 'my fifo');
  execFileSync('mkfifo', [fifoPath]);
  proc(1, 0, 'init', 0, {});
  proc(100, 1, 'shell', 1000, { 0: ['/dev/null', 0] });
  // writer → reader over pipe:[123]; 101 also holds a FIFO for writing and a unix socket
  proc(101, 100, 'producer', 1000, { 1: ['pipe:[123]', 1], 3: [fifoPath, 1], 4: ['socket:[555]', 2] }, {
    maps: `7f0000000000-7f0000001000 rw-s 00000000 00:01 65538                      /SYSV0000abcd (deleted)\n7f0000002000-7f0000003000 rw-s 00000000 00:1a 77 /dev/shm/myshm\n`,
  });
  proc(102, 100, 'con) sumer\n<x>', 1000, { 0: ['pipe:[123]', 0], 5: [fifoPath, 0], 6: ['socket:[556]', 2] });
  proc(103, 1, 'idle', 0, { 0: ['/dev/null', 0] });
  // a process that vanished half-way: no status → must be omitted
  fs.mkdirSync(path.join(procRoot, '104'));
  fs.writeFileSync(path.join(procRoot, '104', 'stat'), '104 (gone) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0');
  fs.mkdirSync(path.join(procRoot, 'net'));
  fs.writeFileSync(
    path.join(procRoot, 'net', 'unix'),
    'Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000001: 00000002 00000000 00000000 0001 03 555 @fake\n0000000000000002: 00000002 00000000 00000000 0001 03 556\n0000000000000003: 00000002 00000000 00010000 0001 01 557 /run/nobody.sock\n',
  );
  fs.mkdirSync(path.join(procRoot, 'sysvipc'));
  fs.writeFileSync(
    path.join(procRoot, 'sysvipc', 'shm'),
    '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n     43981      65538   600                  4096   101   101      1  1000  1000  1000  1000          0          0          0                     0                     0\n         0      65539   600                  8192   999   999      0     0     0     0     0          0          0          0                     0                     0\n',
  );
  const dev = path.join(root, 'dev');
  fs.mkdirSync(path.join(dev, 'shm'), { recursive: true });
  fs.writeFileSync(path.join(dev, 'shm', 'myshm'), Buffer.alloc(1234));
  const sem = Buffer.alloc(32);
  sem.writeUInt32LE(3, 0);
  sem.writeUInt32LE(0, 4);
  fs.writeFileSync(path.join(dev, 'shm', 'sem.mysem'), sem);
  fs.mkdirSync(path.join(root, 'etc'));
  fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

const opts = () => ({ procRoot, useNative: false, devRoot: path.join(root, 'dev'), etcRoot: path.join(root, 'etc') });

test('fake /proc: pipe with writer → reader endpoints', async () => {
  const s = await takeSnapshot({ ...opts(), kinds: ['pipe'] });
  const p = s.channels.find((c) => c.id === 'pipe:123') as PipeChannel;
  assert.ok(p, 'pipe:123 found');
  assert.equal(p.kind, 'pipe');
  assert.deepEqual(p.endpoints, [
    { pid: 101, fd: 1, mode: 'w' },
    { pid: 102, fd: 0, mode: 'r' },
  ]);
  assert.equal(p.bufferedBytes, null);
  // processes: holders + ancestors (tree connected), not the idle one, not the vanished one
  assert.deepEqual(s.processes.map((x) => x.pid), [1, 100, 101, 102]);
  const consumer = s.processes.find((x) => x.pid === 102)!;
  assert.equal(consumer.comm, 'con) sumer\n<x>');
  assert.equal(consumer.user, 'alice');
  assert.deepEqual(consumer.cmdline, ['con) sumer\n<x>', '--flag']);
  assert.deepEqual(consumer.signals.caught, ['SIGINT', 'SIGTERM']);
  assert.deepEqual(consumer.signals.blocked, ['SIGCHLD']);
  assert.deepEqual(consumer.signals.ignored, ['SIGPIPE']);
  assert.equal(s.capabilities.native, false);
  assert.ok(!s.channels.some((c) => c.kind !== 'pipe'), 'kinds filter respected');
});

test('fake /proc: FIFO, unix sockets, SysV shm attach, POSIX shm/sem', async () => {
  const s = await takeSnapshot(opts());
  assert.ok(isSortedChannels(s.channels), 'canonical channel order');
  const st = fs.statSync(fifoPath);
  const fifo = s.channels.find((c) => c.kind === 'fifo') as FifoChannel;
  assert.ok(fifo);
  assert.equal(fifo.path, fifoPath);
  assert.equal(fifo.inode, st.ino);
  assert.equal(fifo.id, `fifo:${fifo.dev}:${st.ino}`);
  assert.deepEqual(fifo.endpoints.map((e) => [e.pid, e.fd, e.mode]), [
    [101, 3, 'w'],
    [102, 5, 'r'],
  ]);
  const u555 = s.channels.find((c) => c.id === 'unix:555') as UnixChannel;
  assert.equal(u555.abstract, 'fake');
  assert.equal(u555.state, 'connected');
  assert.deepEqual(u555.endpoints, [{ pid: 101, fd: 4, mode: 'rw' }]);
  const u557 = s.channels.find((c) => c.id === 'unix:557') as UnixChannel;
  assert.equal(u557.state, 'listen');
  assert.deepEqual(u557.endpoints, []);
  assert.equal(s.capabilities.sockDiag, false);
  const shm = s.channels.find((c) => c.id === 'sysv-shm:65538') as SysvShmChannel;
  assert.equal(shm.key, 0xabcd);
  assert.equal(shm.owner, 'alice');
  assert.deepEqual(shm.endpoints, [{ pid: 101, map: '7f0000000000-7f0000001000', mode: 'rw' }]);
  assert.equal(shm.orphaned, false);
  const leaked = s.channels.find((c) => c.id === 'sysv-shm:65539') as SysvShmChannel;
  assert.equal(leaked.orphaned, true);
  const pshm = s.channels.find((c) => c.id === 'posix-shm:myshm') as PosixShmChannel;
  assert.equal(pshm.size, 1234);
  assert.deepEqual(pshm.endpoints, [{ pid: 101, map: '7f0000002000-7f0000003000', mode: 'rw' }]);
  const sem = s.channels.find((c) => c.id === 'posix-sem:mysem') as PosixSemChannel;
  assert.equal(sem.value, 3);
  assert.equal(s.capabilities.mqueueMounted, false);
  assert.ok(s.warnings.some((w) => w.includes('mount -t mqueue none /dev/mqueue')));
});

test('fake /proc: processes all, pids filter', async () => {
  const all = await takeSnapshot({ ...opts(), processes: 'all', kinds: ['pipe'] });
  assert.deepEqual(all.processes.map((x) => x.pid), [1, 100, 101, 102, 103]);
  const only = await takeSnapshot({ ...opts(), pids: [102], kinds: ['pipe', 'fifo'] });
  assert.deepEqual(only.channels.map((c) => c.kind).sort(), ['fifo', 'pipe']);
  // the filter selects 102's channels, but each keeps its other end (101 writes the pipe and the
  // FIFO), and the process list keeps those holders and their ancestors so the tree is connected
  const pipe = only.channels.find((c) => c.kind === 'pipe')!;
  assert.deepEqual(pipe.endpoints.map((e) => [e.pid, e.mode]), [
    [101, 'w'],
    [102, 'r'],
  ]);
  assert.deepEqual(only.processes.map((x) => x.pid), [1, 100, 101, 102]);
});
