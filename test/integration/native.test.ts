// Integration tests of the native addon on real kernel objects: pipes, FIFOs, sockets, SysV and
// POSIX IPC made by child processes; `ss`, `ipcs` and readlink(/proc/PID/fd/N) are the oracles.
// Run: node scripts/build.mjs test/integration/native && node --test dist/test/integration/native.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { SnapshotService, findWorkerScript } from '../../src/core/snapshotService';
import { loadNative, MODE_R, MODE_W, NativeAddon, NativeError, ProcWalk } from '../../src/core/native';
import { fdLinks } from '../procFds';
import { CHANNEL_KINDS } from '../../src/core/model';
import { walkRulesFor } from '../../src/core/kinds';
import { toolBinary } from '../../fixtures/ipcFixture';
import { DEVSHM_FDS, FIFO_FDS, MQUEUE_FDS, PIPE_FDS, SOCKET_FDS } from '../../src/core/kinds/fds';

/** The walk rules of every kind, as takeSnapshot passes them; UNMEASURED: the same without pipe measurement. */
const ALL = walkRulesFor(CHANNEL_KINDS);
const UNMEASURED = ALL.fdRules.map((r) => ({ ...r, measure: false }));
const FD = { Pipe: PIPE_FDS.rule.code, Socket: SOCKET_FDS.rule.code, Fifo: FIFO_FDS.rule.code, Mqueue: MQUEUE_FDS.rule.code, DevShm: DEVSHM_FDS.rule.code };
import { cannotActAsNobody, nodeAsNobody, stageForOtherUsers } from '../harness/otherUser';
import { devName } from '../../src/core/probes/context';
import { readSemSync, SEM_T_SIZE } from '../../src/core/untrustedFiles';
import { lineReader } from './childLines';
import { runCli } from './cliRunner';

const load = loadNative();
const addon = load.addon as NativeAddon;
const skipAll = addon ? false : `native addon not loaded: ${load.error}`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-native-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true })); // also when the suite is skipped
const tag = `ipci${process.pid}`;
const children: ChildProcess[] = [];
const cleanups: Array<() => void> = [];

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Reads lines from a child's stdout; `next()` resolves with the next line. */
function lines(child: ChildProcess): () => Promise<string> {
  const r = lineReader(child);
  return () => r.next('child output');
}

function start(cmd: string, args: string[]): { child: ChildProcess; next: () => Promise<string> } {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return { child, next: lines(child) };
}

function rows(w: ProcWalk, pid: number) {
  const out: Array<{ fd: number; kind: number; mode: number; inode: number; dev: number; path?: string; buffered: number; capacity: number }> = [];
  const f = w.fds;
  for (let i = 0; i < f.pid.length; i++) {
    if (f.pid[i] !== pid) continue;
    out.push({
      fd: f.fd[i],
      kind: f.kind[i],
      mode: f.mode[i],
      inode: f.inode[i],
      dev: f.dev[i],
      path: f.pathIndex[i] >= 0 ? w.paths[f.pathIndex[i]] : undefined,
      buffered: f.buffered[i],
      capacity: f.capacity[i],
    });
  }
  return out;
}

function linkInode(pid: number, fd: number): number {
  const l = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
  const m = /\[(\d+)\]$/.exec(l);
  assert.ok(m, `unexpected link ${l}`);
  return Number(m[1]);
}

async function expectReject(p: Promise<unknown>, code: string, syscall?: string): Promise<void> {
  await assert.rejects(p, (e: NativeError) => {
    assert.equal(e.code, code, `code of ${e.message}`);
    assert.equal(typeof e.errno, 'number');
    if (syscall) assert.equal(e.syscall, syscall);
    return true;
  });
}

function expectCode(fn: () => unknown, code: string, syscall?: string): void {
  assert.throws(fn, (e: NativeError) => {
    assert.equal(e.code, code, `code of ${e.message}`);
    assert.equal(typeof e.errno, 'number');
    if (syscall) assert.equal(e.syscall, syscall);
    return true;
  });
}

// Python fixture: a pipe and a socketpair with queued bytes, a FIFO opened three ways, a /dev/shm file.
const FIXTURE_PY = String.raw`
import json, os, socket, sys
fifo, shm = sys.argv[1], sys.argv[2]
r, w = os.pipe()
os.write(w, b'pipe-bytes-123')
a, b = socket.socketpair()
a.send(b'sock-bytes-456')
frw = os.open(fifo, os.O_RDWR)
fr = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
fw = os.open(fifo, os.O_WRONLY)
os.write(fw, b'fifo-data')
sfd = os.open(shm, os.O_RDWR | os.O_CREAT, 0o600)
print(json.dumps(dict(r=r, w=w, a=a.fileno(), b=b.fileno(), frw=frw, fr=fr, fw=fw, shm=sfd)), flush=True)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    if line.strip() == 'read':
        print(json.dumps(dict(pipe=os.read(r, 100).decode(), sock=b.recv(100).decode())), flush=True)
`;

const haveCc = has('cc');
// fixtures/ipc-tool.c: msgsnd, shm write, sigwaitinfo, POSIX mq and sem
let fixtureBin = '';
function fixture(...args: string[]): string {
  return execFileSync(fixtureBin, args, { encoding: 'utf8' });
}

describe('native addon', { skip: skipAll }, () => {
  before(async () => {
    if (haveCc) fixtureBin = await toolBinary('ipc-tool');
  });

  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const f of cleanups.reverse()) {
      try {
        f();
      } catch {
        /* already gone */
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('walkProc', () => {
    let pid = 0;
    let fds: Record<string, number> = {};
    let next: () => Promise<string>;
    let child: ChildProcess;
    const fifo = path.join(tmp, 'walk.fifo');
    const shm = `/dev/shm/${tag}-walk`;

    before(async () => {
      execFileSync('mkfifo', [fifo]);
      cleanups.push(() => fs.unlinkSync(shm));
      ({ child, next } = start('python3', ['-c', FIXTURE_PY, fifo, shm]));
      fds = JSON.parse(await next());
      pid = child.pid!;
    });

    it('finds pipes, FIFOs, sockets and /dev/shm fds with inode, dev, mode and path', async () => {
      const w = await addon.walkProc({ procRoot: '/proc', threads: 0, pids: [pid], ...ALL, readTimers: true, readLinks: true });
      assert.equal(w.processes.length, 1);
      const p = w.processes[0];
      assert.equal(p.pid, pid);
      assert.equal(p.error, undefined);
      assert.match(p.stat!, new RegExp(`^${pid} \\(python3?[^)]*\\) `));
      assert.match(p.status!, /^Name:\s/m);
      assert.ok(p.cmdline!.split('\0').includes('-c'), 'cmdline keeps NUL separators');
      assert.equal(p.netns, fs.readlinkSync(`/proc/${pid}/ns/net`));
      assert.equal(p.cwd, process.cwd());
      assert.equal(p.exe, fs.readlinkSync(`/proc/${pid}/exe`));
      assert.equal(typeof p.timers, 'string');
      assert.equal(typeof p.maps, 'string');

      const byFd = new Map(rows(w, pid).map((r) => [r.fd, r]));
      const pipeIno = linkInode(pid, fds.r);
      for (const [fd, mode] of [[fds.r, MODE_R], [fds.w, MODE_W]] as const) {
        const r = byFd.get(fd);
        assert.ok(r, `pipe fd ${fd} found`);
        assert.equal(r.kind, FD.Pipe);
        assert.equal(r.inode, pipeIno);
        assert.equal(r.mode, mode);
        assert.equal(r.dev, 0);
        assert.equal(r.path, undefined);
        assert.equal(r.buffered, 'pipe-bytes-123'.length);
        assert.equal(r.capacity, 65536);
      }
      for (const fd of [fds.a, fds.b]) {
        const r = byFd.get(fd)!;
        assert.equal(r.kind, FD.Socket);
        assert.equal(r.inode, linkInode(pid, fd));
        assert.equal(r.mode, MODE_R | MODE_W);
      }
      const st = fs.statSync(fifo);
      for (const [fd, mode] of [[fds.frw, MODE_R | MODE_W], [fds.fr, MODE_R], [fds.fw, MODE_W]] as const) {
        const r = byFd.get(fd)!;
        assert.ok(r, `fifo fd ${fd} found`);
        assert.equal(r.kind, FD.Fifo);
        assert.equal(r.path, fifo);
        assert.equal(r.inode, st.ino);
        assert.equal(r.dev, st.dev);
        assert.equal(r.mode, mode);
        // measured through a read-mode fd; every row of the inode carries the numbers
        assert.equal(r.buffered, 'fifo-data'.length);
      }
      const s = byFd.get(fds.shm)!;
      assert.equal(s.kind, FD.DevShm);
      assert.equal(s.path, shm);
      assert.equal(s.inode, fs.statSync(shm).ino);
      assert.equal(s.mode, MODE_R | MODE_W);
      // the child's stdio (from node: socketpairs) shows as sockets
      assert.equal(byFd.get(0)?.kind, FD.Socket);
      // everything found agrees with readlink; nothing else is reported
      for (const r of byFd.values()) {
        const l = fs.readlinkSync(`/proc/${pid}/fd/${r.fd}`);
        if (r.kind === FD.Pipe) assert.equal(l, `pipe:[${r.inode}]`);
        if (r.kind === FD.Socket) assert.equal(l, `socket:[${r.inode}]`);
      }
    });

    it('the passive default and the opt-in pidfd_getfd path (useGetfd) agree row for row', async () => {
      const base = { procRoot: '/proc', threads: 2, pids: [pid], ...ALL, mapsRules: [], readTimers: false, readLinks: false };
      const passive = await addon.walkProc(base);
      const getfd = await addon.walkProc({ ...base, useGetfd: true });
      const key = (w: ProcWalk) => rows(w, pid).map((r) => JSON.stringify(r));
      assert.deepEqual(key(passive), key(getfd));
      assert.ok(key(passive).length >= 8);
    });

    it('the default walk leaves our fd table as it was', async () => {
      const before = fs.readdirSync('/proc/self/fd').length;
      const opts = { procRoot: '/proc', threads: 0, ...ALL, readTimers: true, readLinks: true };
      for (let i = 0; i < 3; i++) await addon.walkProc(opts);
      assert.equal(fs.readdirSync('/proc/self/fd').length, before, 'no fd left behind');
    });

    it('the default walk is passive: no pidfd_getfd (strace)', { skip: has('strace') ? false : 'strace not installed (apt-get install strace)' }, async () => {
      const opts = { procRoot: '/proc', threads: 0, ...ALL, readTimers: true, readLinks: true };
      // A child that loads the addon and walks once: the fixture child (pipes, FIFOs, sockets, shm),
      // init and this process (the whole machine under strace -f takes seconds on a loaded box).
      const calls = (extra: object): number => {
        const out = path.join(tmp, `strace-${Object.keys(extra).join('')}.txt`);
        const o = { ...opts, pids: [pid, 1, process.pid], ...extra };
        const script = `require(${JSON.stringify(load.path)}).walkProc(${JSON.stringify(o)}).then((w) => console.log(w.fds.pid.length))`;
        const r = spawnSync('strace', ['-f', '-qq', '-c', '-e', 'trace=pidfd_getfd', '-o', out, process.execPath, '-e', script], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(Number(r.stdout) > 0, 'the walk found fds');
        const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?pidfd_getfd$/m.exec(fs.readFileSync(out, 'utf8'));
        return m ? Number(m[1]) : 0;
      };
      assert.equal(calls({}), 0, 'default walk: zero pidfd_getfd calls');
      assert.ok(calls({ useGetfd: true }) > 0, 'useGetfd: true does call pidfd_getfd (the strace count works)');
    });

    it('splits a large fd table across threads and keeps fd order', async () => {
      const big = start('python3', ['-c', [
        'import os, resource, sys',
        'h = resource.getrlimit(resource.RLIMIT_NOFILE)[1]',
        'resource.setrlimit(resource.RLIMIT_NOFILE, (min(h, 20000), h))',
        'ps = [os.pipe() for _ in range(3000)]',
        'print(len(ps), flush=True)',
        'sys.stdin.readline()',
      ].join('\n')]);
      assert.equal(await big.next(), '3000');
      const bpid = big.child.pid!;
      const expected = fdLinks(bpid).filter((l) => l.link.startsWith('pipe:')).map((l) => l.fd);
      assert.ok(expected.length >= 6000);
      for (const extra of [{}, { useGetfd: true }]) {
        const w = await addon.walkProc({ procRoot: '/proc', threads: 2, pids: [bpid], ...ALL, mapsRules: [], readTimers: false, readLinks: false, ...extra });
        const got = rows(w, bpid).filter((r) => r.kind === FD.Pipe);
        assert.deepEqual(got.map((r) => r.fd), expected);
        for (const r of got.filter((_, i) => i % 397 === 0)) assert.equal(r.inode, linkInode(bpid, r.fd));
        // The 3000 pipes have both ends here; an inherited write end (stderr of the test runner …) has
        // its reader elsewhere, and pipes are measured only through a read-mode fd: -1 there.
        const ends = new Map<number, number>();
        for (const r of got) ends.set(r.inode, (ends.get(r.inode) ?? 0) + 1);
        const own = got.filter((r) => ends.get(r.inode) === 2);
        assert.ok(own.length >= 6000);
        assert.ok(own.every((r) => r.buffered === 0 && r.capacity === 65536 && (r.mode === MODE_R || r.mode === MODE_W)));
        assert.ok(got.filter((r) => r.mode === MODE_W && ends.get(r.inode) === 1).every((r) => r.buffered === -1), 'write-only ends alone are not measured');
      }
      big.child.kill();
    });

    it('without privileges: fdError EACCES for other users, own fds through the readlink path', { skip: cannotActAsNobody() }, async () => {
      // A copy of the addon nobody can read: the checkout itself may be in a directory it cannot enter.
      const staged = stageForOtherUsers([[load.path!, 'ipc_inspector.node']]);
      cleanups.push(() => staged.remove());
      const src = `
        const a = require(${JSON.stringify(staged.path('ipc_inspector.node'))});
        a.walkProc({ procRoot: '/proc', threads: 2, pids: [1, process.pid], ...${JSON.stringify(ALL)}, readTimers: true, readLinks: true })
          .then((x) => { console.log(JSON.stringify({ procs: x.processes.map((p) => ({ pid: p.pid, error: p.error, fdError: p.fdError, stat: !!p.stat, maps: p.maps !== undefined })), kinds: Array.from(x.fds.kind), pids: Array.from(x.fds.pid), buffered: Array.from(x.fds.buffered) })); })
          .catch((e) => { console.log(JSON.stringify({ error: e.code })); });`;
      const out = nodeAsNobody(src);
      assert.equal(out.status, 0, out.stderr);
      const res = JSON.parse(out.stdout);
      const [init, self] = res.procs;
      assert.deepEqual(init, { pid: 1, fdError: 'EACCES', stat: true, maps: false });
      assert.equal(self.error, undefined);
      assert.equal(self.fdError, undefined);
      assert.ok(res.pids.every((p: number) => p !== 1));
      assert.ok(res.kinds.includes(FD.Socket) || res.kinds.includes(FD.Pipe), 'own stdio pipes found');
    });

    it('a pipe whose claiming fd changes before it is measured is measured through another read-mode fd of it', async () => {
      // fd `flip` turns from the pipe's read end to /dev/null and back, as fast as Python goes: the
      // walk claims the pipe there about half the time, and finds /dev/null there at the measurement
      // about half the time. The copy at fd 200 (walked later) never changes.
      const h = start('python3', ['-c', [
        'import os, sys',
        'r, w = os.pipe()',
        "os.write(w, b'7 bytes')",
        'os.dup2(r, 200)',
        'os.close(r)',
        "null = os.open('/dev/null', os.O_RDONLY)",
        'flip = os.dup(null)',
        'print(flip, flush=True)',
        'while True:',
        '  os.dup2(200, flip)',
        '  os.dup2(null, flip)',
      ].join('\n')]);
      const flip = Number(await h.next());
      const hpid = h.child.pid!;
      try {
        for (const extra of [{}, { useGetfd: true }]) {
          for (let k = 0; k < 40; k++) {
            const w = await addon.walkProc({ procRoot: '/proc', threads: 1, pids: [hpid], ...ALL, mapsRules: [], readTimers: false, readLinks: false, ...extra });
            const got = rows(w, hpid).filter((r) => r.kind === FD.Pipe && r.mode === MODE_R);
            const stable = got.find((r) => r.fd === 200);
            assert.ok(stable, `scan ${k} ${JSON.stringify(extra)}: fd 200 listed`);
            assert.deepEqual([stable.buffered, stable.capacity], [7, 65536], `scan ${k} ${JSON.stringify(extra)}: measured`);
            for (const r of got) assert.ok(r.fd === 200 || r.fd === flip, `fd ${r.fd}`);
          }
        }
      } finally {
        h.child.kill();
      }
    });

    it('leaves pipes unmeasured (-1) unless asked', async () => {
      const w = await addon.walkProc({ procRoot: '/proc', threads: 1, pids: [pid], ...ALL, fdRules: UNMEASURED, mapsRules: [], readTimers: false, readLinks: false });
      const r = rows(w, pid).find((x) => x.fd === fds.r)!;
      assert.equal(r.buffered, -1);
      assert.equal(r.capacity, -1);
      assert.equal(w.processes[0].maps, undefined);
      assert.equal(w.processes[0].cwd, undefined);
      assert.equal(w.threads, 1);
    });

    it('reports vanished processes and honours procRoot', async () => {
      const gone = 0x3ffffe;
      const w = await addon.walkProc({ procRoot: '/proc', threads: 2, pids: [gone, pid], ...ALL, fdRules: UNMEASURED, mapsRules: [], readTimers: false, readLinks: false });
      assert.equal(w.processes[0].pid, gone);
      assert.equal(w.processes[0].error, 'ENOENT');
      assert.equal(w.processes[1].error, undefined);
      await assert.rejects(addon.walkProc({ procRoot: path.join(tmp, 'nope'), threads: 1, ...ALL, fdRules: UNMEASURED, mapsRules: [], readTimers: false, readLinks: false }), { code: 'ENOENT' });
      // a captured tree: a plain directory with stat and fd symlinks
      const root = path.join(tmp, 'proc');
      fs.mkdirSync(path.join(root, '42', 'fd'), { recursive: true });
      fs.writeFileSync(path.join(root, '42', 'stat'), '42 (x) S 1');
      fs.symlinkSync('pipe:[777]', path.join(root, '42', 'fd', '3'));
      fs.symlinkSync('socket:[888]', path.join(root, '42', 'fd', '4'));
      fs.symlinkSync('/dev/null', path.join(root, '42', 'fd', '5'));
      fs.mkdirSync(path.join(root, 'self'));
      const c = await addon.walkProc({ procRoot: root, threads: 0, ...ALL, fdRules: UNMEASURED, readTimers: true, readLinks: true });
      assert.deepEqual(c.processes.map((p) => [p.pid, p.stat]), [[42, '42 (x) S 1']]);
      assert.deepEqual(Array.from(c.fds.inode), [777, 888]);
      assert.deepEqual(Array.from(c.fds.kind), [FD.Pipe, FD.Socket]);
    });

    it('walks cut by their deadline at any point, while their walkers are still appending rows, never crash the process (in a child: a crash is its exit signal)', async () => {
      // A walker given up at the deadline is left running; its published rows are copied while it
      // appends more. Cutting hundreds of walks at deadlines from 0.5 to 5 ms lands the cut inside
      // a row's append (it once moved the columns out from under the walker: SIGSEGV about one
      // walk in a few hundred on a loaded machine).
      const script = `
        const addon = require(${JSON.stringify(load.path)});
        const opts = JSON.parse(process.argv[1]);
        (async () => {
          let cut = 0;
          for (let i = 0; i < 400; i++) {
            const w = await addon.walkProc({ ...opts, deadlineMs: 0.5 + (i % 10) * 0.5 });
            cut += w.processes.filter((p) => p.error === 'ETIMEDOUT').length;
            for (const p of w.processes) if (p.error === 'ETIMEDOUT' && p.stat !== undefined) throw new Error('half-read process ' + p.pid);
          }
          console.log(JSON.stringify({ cut }));
        })().catch((e) => { console.error(e); process.exit(3); });`;
      const r = spawnSync(process.execPath, ['-e', script, JSON.stringify({ procRoot: '/proc', threads: 2, ...ALL, readTimers: true, readLinks: true })], { encoding: 'utf8', timeout: 240_000 });
      assert.equal(r.signal, null, `the walking process died of ${r.signal}: ${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(JSON.parse(r.stdout.trim()).cut > 0, `some walk was cut: ${r.stdout}`);
    });

    it('a walk past its deadline returns what it finished and marks the rest ETIMEDOUT, never half-read', async () => {
      const opts = { procRoot: '/proc', threads: 2, ...ALL, readTimers: true, readLinks: true };
      // the deadline is checked by the thread that started the walkers: on a busy machine it may
      // get the CPU back only after they read every process (76 here, 4 ms) — then the walk simply
      // finished, which is no failure; the cut is looked for over a few walks
      let w = await addon.walkProc({ ...opts, deadlineMs: 0.01 });
      for (let i = 0; i < 9 && !w.processes.some((p) => p.error === 'ETIMEDOUT'); i++) w = await addon.walkProc({ ...opts, deadlineMs: 0.01 });
      const late = w.processes.filter((p) => p.error === 'ETIMEDOUT');
      assert.ok(late.length > 0, 'a 10 µs deadline leaves processes unread (in one of ten walks)');
      for (const p of late) {
        assert.equal(p.stuck, undefined, `pid ${p.pid}: cut by the deadline, not stuck (${p.stuck})`);
        assert.equal(p.stat, undefined, 'no half-read process');
        assert.equal(rows(w, p.pid).length, 0, 'no fd rows of a process given up');
      }
      for (const p of w.processes.filter((x) => !x.error)) assert.ok(p.stat && p.status, `pid ${p.pid} complete`);
      assert.deepEqual(addon.stuckWalks(), [], 'walkers given up at the deadline were busy, not stuck: nothing is skipped later');
      // the given-up walkers finish in the background on memory the walk keeps alive; walks go on
      const full = await addon.walkProc(opts);
      assert.ok(full.processes.some((p) => p.pid === process.pid && !p.error));
    });

    it('walks the whole machine (timing printed, not asserted)', async () => {
      const opts = { procRoot: '/proc', threads: 0, ...ALL, readTimers: true, readLinks: true };
      await addon.walkProc(opts);
      const t0 = process.hrtime.bigint();
      const w = await addon.walkProc(opts);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const one = await addon.walkProc({ ...opts, threads: 1 });
      console.log(`# walkProc: ${w.processes.length} processes, ${w.fds.pid.length} fds in ${ms.toFixed(1)} ms (inner ${w.elapsedMs.toFixed(1)} ms, ${w.threads} threads; 1 thread: ${one.elapsedMs.toFixed(1)} ms)`);
      assert.ok(w.processes.some((p) => p.pid === process.pid));
      assert.ok(w.threads >= 1);
    });

    it('pipePeek returns the buffered bytes without consuming them, only through a checked read end', async () => {
      const ino = linkInode(pid, fds.r);
      const r = await addon.pipePeek(pid, fds.r, ino, -1, -1, 1 << 20);
      assert.equal(r.buffered, 14);
      assert.equal(r.capacity, 65536);
      assert.equal(r.data.toString(), 'pipe-bytes-123');
      assert.equal((await addon.pipePeek(pid, fds.r, ino, -1, -1, 4)).data.toString(), 'pipe');
      // the write end is refused: opening through it could make a reader appear
      await expectReject(addon.pipePeek(pid, fds.w, ino, -1, -1, 10), 'EBADF', 'lstat');
      // another inode than the one named, or a FIFO's device given for a pipe: the fd is not that object
      await expectReject(addon.pipePeek(pid, fds.r, ino + 1, -1, -1, 10), 'ESTALE', 'statx');
      const st = fs.statSync(fifo);
      const [major, minor] = devName(st.dev).split(':').map(Number);
      await expectReject(addon.pipePeek(pid, fds.r, ino, major, minor, 10), 'ESTALE', 'statx');
      const f = await addon.pipePeek(pid, fds.fr, st.ino, major, minor, 100); // a FIFO through its read-only holder
      assert.equal(f.data.toString(), 'fifo-data');
      await expectReject(addon.pipePeek(pid, fds.a, ino, -1, -1, 10), 'ESTALE', 'statx'); // a socket is no pipe
      await expectReject(addon.pipePeek(pid, 9999, ino, -1, -1, 10), 'ENOENT', 'open');
    });

    it('socketPeek returns queued bytes without consuming them, only from the socket named', async () => {
      const ib = linkInode(pid, fds.b);
      for (let i = 0; i < 3; i++) assert.equal((await addon.socketPeek(pid, fds.b, ib, 100)).toString(), 'sock-bytes-456');
      assert.equal((await addon.socketPeek(pid, fds.b, ib, 4)).toString(), 'sock');
      assert.equal((await addon.socketPeek(pid, fds.a, linkInode(pid, fds.a), 100)).length, 0, 'empty queue → empty buffer');
      await expectReject(addon.socketPeek(pid, fds.a, ib, 100), 'ESTALE', 'readlink');
      await expectReject(addon.socketPeek(pid, fds.r, ib, 100), 'ESTALE', 'readlink'); // a pipe is never duplicated
      child.stdin!.write('read\n');
      const got = JSON.parse(await next());
      assert.deepEqual(got, { pipe: 'pipe-bytes-123', sock: 'sock-bytes-456' }, 'the peeked bytes were still there');
      assert.equal((await addon.pipePeek(pid, fds.r, linkInode(pid, fds.r), -1, -1, 100)).data.length, 0);
      await expectReject(addon.socketPeek(pid, 9999, ib, 10), 'ENOENT', 'readlink');
      await expectReject(addon.socketPeek(0x3ffffe, 0, ib, 10), 'ENOENT', 'readlink');
    });

    it('socketNetns answers only for the socket named: gone, swapped or not a socket since the walk, it refuses (the probe skips it)', async () => {
      const ia = linkInode(pid, fds.a);
      const ours = fs.readlinkSync('/proc/self/ns/net').replace(/\D/g, '');
      for (const keep of [false, true]) {
        const r = await addon.socketNetns(pid, fds.a, ia, keep);
        assert.equal(r.family, 1, 'AF_UNIX');
        assert.equal(String(r.netns), ours);
        assert.equal(r.inet, undefined, 'inet facts for AF_INET/AF_INET6 only');
        if (keep) {
          assert.ok(typeof r.nsFd === 'number' && r.nsFd >= 0, 'the namespace fd was kept');
          assert.equal(fs.readlinkSync(`/proc/self/fd/${r.nsFd}`), `net:[${ours}]`);
          addon.closeFd(r.nsFd!);
        } else assert.equal(r.nsFd, undefined);
      }
      await expectReject(addon.socketNetns(pid, fds.b, ia, true), 'ESTALE', 'readlink'); // another socket at that fd now
      await expectReject(addon.socketNetns(pid, fds.r, ia, true), 'ESTALE', 'readlink'); // a pipe is never duplicated
      await expectReject(addon.socketNetns(pid, 9999, ia, true), 'ENOENT', 'readlink'); // closed since
      await expectReject(addon.socketNetns(0x3ffffe, 0, ia, true), 'ENOENT', 'readlink'); // its process gone
    });

    it('socketProtocol names a held socket\'s protocol only for the socket named, and never asks a socket file of a filesystem', async () => {
      const ia = linkInode(pid, fds.a);
      assert.equal(await addon.socketProtocol!(pid, fds.a, ia), 'UNIX-STREAM', 'a socketpair() stream end (lsof: protocol: UNIX-STREAM)');
      await expectReject(addon.socketProtocol!(pid, fds.b, ia), 'ESTALE', 'statx'); // another socket at that fd now
      await expectReject(addon.socketProtocol!(pid, fds.r, ia), 'ESTALE', 'statx'); // a pipe
      await expectReject(addon.socketProtocol!(pid, 9999, ia), 'ENOENT', 'open'); // closed since
      await expectReject(addon.socketProtocol!(0x3ffffe, 0, ia), 'ENOENT', 'open'); // its process gone
      // an O_PATH fd of a bound socket's file is S_ISSOCK with that file's inode, but not on sockfs:
      // its getxattr would go to that filesystem (a FUSE daemon's, which may never answer)
      const file = path.join(tmp, 'proto.sock');
      const srv = net.createServer().listen(file);
      await once(srv, 'listening');
      const O_PATH = 0o10000000;
      const h = fs.openSync(file, O_PATH);
      try {
        await expectReject(addon.socketProtocol!(process.pid, h, fs.fstatSync(h).ino), 'ESTALE', 'statx');
      } finally {
        fs.closeSync(h);
        srv.close();
      }
    });
  });

  describe('sock_diag', () => {
    const servers: net.Server[] = [];
    const sockets: net.Socket[] = [];
    const sockPath = path.join(tmp, 'diag.sock');
    const abstract = `${tag}-abstract`;

    async function listen(s: net.Server, ...args: unknown[]): Promise<void> {
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        (s.listen as (...a: unknown[]) => void)(...args, () => resolve());
      });
    }
    async function connect(opts: net.NetConnectOpts): Promise<net.Socket> {
      const c = net.connect(opts);
      sockets.push(c);
      await new Promise<void>((resolve, reject) => c.once('connect', resolve).once('error', reject));
      return c;
    }
    after(() => {
      for (const s of sockets) s.destroy();
      for (const s of servers) s.close();
    });

    it('unixDiag finds path and abstract listeners and connected pairs with peers', async () => {
      const accepted: net.Socket[] = [];
      const srv = net.createServer((c) => accepted.push(c));
      await listen(srv, sockPath);
      const asrv = net.createServer((c) => accepted.push(c));
      await listen(asrv, `\0${abstract}`);
      const client = await connect({ path: sockPath });
      client.write('x'.repeat(10));
      await connect({ path: `\0${abstract}` });
      await new Promise((r) => setTimeout(r, 50));
      sockets.push(...accepted);

      const u = await addon.unixDiag();
      const n = u.inode.length;
      assert.ok(n > 0);
      for (const col of [u.type, u.state, u.peer, u.rqueue, u.wqueue, u.nameKind, u.name]) assert.equal(col.length, n);
      const find = (name: string, kind: number) => {
        // Node binds abstract names with the whole sun_path (NUL-padded): the kernel's bytes are kept.
        for (let i = 0; i < n; i++) if (u.name[i].replace(/\0+$/, '') === name && u.nameKind[i] === kind && u.state[i] === 10) return i;
        return -1;
      };
      const li = find(sockPath, 1);
      const ai = find(abstract, 2);
      assert.ok(li >= 0, 'path listener found');
      assert.ok(ai >= 0, 'abstract listener found (name without the leading NUL)');
      assert.equal(u.type[li], 1);

      // the client fd in this process: its inode (readlink) has a peer that points back at it
      const self = await addon.walkProc({ procRoot: '/proc', threads: 1, pids: [process.pid], ...ALL, fdRules: UNMEASURED, mapsRules: [], readTimers: false, readLinks: false });
      const mine = new Set(Array.from(self.fds.inode).filter((_, i) => self.fds.kind[i] === FD.Socket));
      const clientFd = (client as unknown as { _handle: { fd: number } })._handle.fd;
      const clientIno = linkInode(process.pid, clientFd);
      assert.ok(mine.has(clientIno));
      const ci = Array.from(u.inode).indexOf(clientIno);
      assert.ok(ci >= 0, 'client socket in the dump');
      assert.equal(u.state[ci], 1);
      const peer = u.peer[ci];
      const pi = Array.from(u.inode).indexOf(peer);
      assert.ok(pi >= 0, 'peer in the dump');
      assert.equal(u.peer[pi], clientIno, 'peers point at each other');
      assert.equal(u.name[pi], sockPath, 'the accepted end carries the listener name');

      if (has('ss')) {
        const ss = execFileSync('ss', ['-xa'], { encoding: 'utf8', maxBuffer: 1 << 30 });
        const line = ss.split('\n').find((l) => l.includes(` ${sockPath} `) && l.includes('LISTEN'));
        assert.ok(line, 'ss sees the listener');
        const tok = line.trim().split(/\s+/);
        assert.equal(Number(tok[5]), u.inode[li], 'ss and sock_diag agree on the listener inode');
        const pair = ss.split('\n').find((l) => l.includes(` ${clientIno} `));
        assert.ok(pair && pair.includes(` ${peer} `), 'ss agrees on the peer');
      }
    });

    it('unixDiag gives the bytes of names that are not UTF-8; the views show them by their bytes', { skip: has('python3') ? false : 'needs python3' }, async () => {
      const tag = `ipci-nb-${process.pid}`;
      const py = spawn('python3', ['-c', `import socket,sys\nk=[]\nfor n in (b"\\0${tag}q\\xff", b"\\0${tag}q\\xfe", b"\\0${tag}ok"):\n  s=socket.socket(socket.AF_UNIX); s.bind(n); s.listen(1); k.append(s)\nprint("READY",flush=True)\nsys.stdin.read()`], { stdio: ['pipe', 'pipe', 'inherit'] });
      try {
        await new Promise<void>((resolve, reject) => {
          py.stdout!.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
          py.once('exit', (c) => reject(new Error(`python3 exited ${c}`)));
        });
        const u = await addon.unixDiag();
        const hex = new Map((u.nameHexAt ?? []).map((row, k) => [row, u.nameHex![k]]));
        const rows = Array.from(u.inode.keys()).filter((i) => u.name[i].startsWith(tag));
        assert.equal(rows.length, 3);
        const tagHex = Buffer.from(tag).toString('hex');
        assert.deepEqual(rows.map((i) => hex.get(i)).sort(), [`${tagHex}71fe`, `${tagHex}71ff`, undefined].sort(), 'the two bad names by their bytes, the good one not');
        const { takeSnapshot } = await import('../../src/core/snapshot');
        const { shownChannel } = await import('../../src/core/format');
        const snap = await takeSnapshot({ kinds: ['unix'], pids: [py.pid!] });
        const shown = snap.channels.filter((c) => c.kind === 'unix' && c.abstract?.startsWith(tag)).map((c) => (shownChannel(c) as { abstract?: string }).abstract).sort();
        assert.deepEqual(shown, [`${tag}ok`, `${tag}q\\xfe`, `${tag}q\\xff`]);
      } finally {
        py.kill();
      }
    });

    it('unixDiag in a netns by path; bad paths fail with an errno code', async () => {
      const u = await addon.unixDiag(`/proc/${process.pid}/ns/net`);
      assert.ok(u.inode.length > 0);
      await assert.rejects(addon.unixDiag(path.join(tmp, 'no-such-ns')), { code: 'ENOENT', syscall: 'open' });
      await assert.rejects(addon.unixDiag('/dev/null'), { code: 'EINVAL', syscall: 'setns' });
    });

    it('inetDiag finds 127.0.0.1 and ::1 listeners, connections and UDP sockets', async () => {
      const s4 = net.createServer((c) => sockets.push(c));
      await listen(s4, 0, '127.0.0.1');
      const port4 = (s4.address() as net.AddressInfo).port;
      const c4 = await connect({ host: '127.0.0.1', port: port4 });
      const t4 = await addon.inetDiag('tcp', 4);
      const li = t4.localPort.findIndex((p, i) => p === port4 && t4.state[i] === 10);
      assert.ok(li >= 0, 'tcp4 listener');
      assert.equal(t4.localAddr[li], '127.0.0.1');
      assert.equal(t4.family[li], 4);
      assert.ok(t4.inode[li] > 0);
      const ci = t4.localPort.findIndex((p, i) => p === c4.localPort && t4.remotePort[i] === port4);
      assert.ok(ci >= 0, 'client connection');
      assert.equal(t4.state[ci], 1);
      assert.equal(t4.inode[ci], linkInode(process.pid, (c4 as unknown as { _handle: { fd: number } })._handle.fd));

      const u4 = dgram.createSocket('udp4');
      await new Promise<void>((r) => u4.bind(0, '127.0.0.1', r));
      cleanups.push(() => u4.close());
      const ud = await addon.inetDiag('udp', 4);
      assert.ok(ud.localPort.some((p, i) => p === u4.address().port && ud.localAddr[i] === '127.0.0.1'), 'udp4 socket');

      const s6 = net.createServer();
      let have6 = true;
      await listen(s6, 0, '::1').catch(() => (have6 = false));
      if (have6) {
        const port6 = (s6.address() as net.AddressInfo).port;
        const t6 = await addon.inetDiag('tcp', 6);
        const i6 = t6.localPort.findIndex((p, i) => p === port6 && t6.state[i] === 10);
        assert.ok(i6 >= 0, 'tcp6 listener');
        assert.equal(t6.localAddr[i6], '::1');
        assert.equal(t6.family[i6], 6);
      }
      if (has('ss')) {
        const ss = execFileSync('ss', ['-tlnH'], { encoding: 'utf8' });
        assert.ok(ss.includes(`127.0.0.1:${port4}`), 'ss sees the tcp4 listener');
      }
      assert.throws(() => addon.inetDiag('sctp' as 'tcp', 4), TypeError);
      assert.throws(() => addon.inetDiag('tcp', 5 as 4), TypeError);

      // family 0: both families in one table, every socket once (TCP in one pass: the compat request)
      for (const proto of ['tcp', 'udp'] as const) {
        const [both, a, b] = await Promise.all([addon.inetDiag(proto, 0), addon.inetDiag(proto, 4), addon.inetDiag(proto, 6)]);
        const rows = (d: typeof both) => [...d.inode].map((ino, i) => `${d.family[i]} ${d.localAddr[i]}:${d.localPort[i]} ${d.remoteAddr[i]}:${d.remotePort[i]} ${ino} v6only=${d.v6only?.[i]}`);
        const once = new Set(rows(both));
        assert.equal(once.size, both.inode.length, `${proto}: no socket twice`);
        // sockets of other processes may come and go between the dumps: ours must be in all of them
        const mine = (r: string) => r.includes(`:${port4} `) || r.includes(`:${c4.localPort} `) || r.includes(`:${u4.address().port} `) || (have6 && r.includes(`:${(s6.address() as net.AddressInfo).port} `));
        const split = new Set([...rows(a), ...rows(b)].filter(mine));
        assert.deepEqual(new Set([...once].filter(mine)), split, proto);
        assert.ok(split.size > 0, `${proto}: our sockets are listed`);
        if (have6 && proto === 'tcp') assert.ok([...once].some((r) => r.startsWith('6 ')) && [...once].some((r) => r.startsWith('4 ')), 'both families');
      }
    });
  });

  describe('SysV IPC', { skip: has('ipcmk') ? false : 'ipcmk (util-linux) missing' }, () => {
    const mk = (...args: string[]) => {
      const out = execFileSync('ipcmk', args, { encoding: 'utf8' });
      const id = Number(/id: (\d+)/.exec(out)![1]);
      const flag = args[0] === '-Q' ? '-q' : args[0] === '-M' ? '-m' : '-s';
      cleanups.push(() => execFileSync('ipcrm', [flag, String(id)]));
      return id;
    };
    let msqid = 0;
    let shmid = 0;
    let semid = 0;
    before(() => {
      msqid = mk('-Q', '-p', '0640');
      shmid = mk('-M', '8192', '-p', '0600');
      semid = mk('-S', '3');
    });

    it('sysvLists gives what the three lists give, from one thread in the namespace (ours here, by its /proc path); only the kinds asked', async () => {
      const ns = '/proc/self/ns/ipc';
      const [all, msg, shm, sem] = await Promise.all([addon.sysvLists!(ns, { msg: true, shm: true, sem: true }), addon.sysvMsgList(ns), addon.sysvShmList(ns), addon.sysvSemList(ns)]);
      const ids = <T,>(l: T[] | undefined, k: keyof T) => (l ?? []).map((x) => x[k]).sort();
      assert.deepEqual(ids(all.msg, 'msqid'), ids(msg, 'msqid'));
      assert.deepEqual(ids(all.shm, 'shmid'), ids(shm, 'shmid'));
      assert.deepEqual(ids(all.sem, 'semid'), ids(sem, 'semid'));
      assert.ok(all.msg!.some((q) => q.msqid === msqid) && all.shm!.some((m) => m.shmid === shmid) && all.sem!.some((x) => x.semid === semid));
      const some = await addon.sysvLists!(ns, { msg: false, shm: true, sem: false });
      assert.deepEqual(Object.keys(some), ['shm']);
      await assert.rejects(addon.sysvLists!('/nonexistent/ns/ipc', { msg: true, shm: true, sem: true }), (e: { code?: string }) => e.code === 'ENOENT');
    });

    it('lists queues, segments and semaphore sets like ipcs', async () => {
      const q = (await addon.sysvMsgList()).find((x) => x.msqid === msqid);
      assert.ok(q, 'queue listed');
      assert.equal(q.mode, 0o640);
      assert.equal(q.qnum, 0);
      assert.equal(q.uid, process.getuid!());
      assert.ok(q.qbytes > 0);
      const m = (await addon.sysvShmList()).find((x) => x.shmid === shmid);
      assert.ok(m, 'segment listed');
      assert.equal(m.size, 8192);
      assert.equal(m.nattch, 0);
      assert.equal(m.dest, false);
      assert.ok(m.cpid > 0);
      const s = (await addon.sysvSemList()).find((x) => x.semid === semid);
      assert.ok(s, 'semaphore set listed');
      assert.equal(s.nsems, 3);
      assert.deepEqual(s.values, [0, 0, 0]);
      assert.deepEqual(s.ncnt, [0, 0, 0]);
      assert.deepEqual(s.zcnt, [0, 0, 0]);
      assert.equal(s.pids!.length, 3);
      assert.equal(s.error, undefined);
      // ipcs is the oracle for the ids
      const ipcs = execFileSync('ipcs', ['-a'], { encoding: 'utf8' });
      for (const id of [msqid, shmid, semid]) assert.match(ipcs, new RegExp(`\\s${id}\\s`));
    });

    it('msgPeek copies messages (types, bytes, sizes) and never consumes', { skip: haveCc ? false : 'no cc' }, async () => {
      fixture('msgsnd', String(msqid), '1:hello', '7:second message', '3:' + 'z'.repeat(300));
      const before = (await addon.sysvMsgList()).find((x) => x.msqid === msqid)!;
      assert.equal(before.qnum, 3);
      const peek = await addon.msgPeek(msqid, 100, 1024);
      assert.deepEqual(peek.before, { messages: 3, bytes: before.cbytes });
      assert.deepEqual(peek.after, peek.before);
      const msgs = peek.messages;
      assert.deepEqual(msgs.map((m) => [m.index, m.type, m.size, m.data.toString(), m.truncated]), [
        [0, 1, 5, 'hello', false],
        [1, 7, 14, 'second message', false],
        [2, 3, 300, 'z'.repeat(300), false],
      ]);
      const cut = (await addon.msgPeek(msqid, 2, 4)).messages;
      assert.equal(cut.length, 2);
      assert.equal(cut[1].data.toString(), 'seco');
      assert.equal(cut[1].size, 14, 'real size before truncation');
      assert.equal(cut[1].truncated, true);
      for (let i = 0; i < 1000; i++) await addon.msgPeek(msqid, 3, 64);
      const after = (await addon.sysvMsgList()).find((x) => x.msqid === msqid)!;
      assert.equal(after.qnum, 3, 'qnum unchanged after 1,000 peeks');
      assert.equal(after.cbytes, before.cbytes);
      await expectReject(addon.msgPeek(0x7ffffff0, 1, 1), 'EINVAL');
    });

    it('msgPeek copies a message larger than its queue\'s byte limit (lowered after it was queued) with a small bound', async () => {
      // MSG_COPY refuses a buffer shorter than the message: one sized by the limit alone failed the whole peek
      const id = Number(execFileSync('perl', ['-MIPC::Msg', '-e', 'my $q = IPC::Msg->new(IPC::SysV::IPC_PRIVATE(), 0600) or die "$!"; $q->snd(5, "z" x 4000) or die "$!"; $q->snd(6, "after") or die "$!"; $q->set(qbytes => 10) or die "$!"; print $q->id'], { encoding: 'utf8' }));
      try {
        const peek = await addon.msgPeek(id, 16, 16);
        assert.deepEqual(peek.messages.map((m) => [m.type, m.size, m.data.length, m.truncated]), [
          [5, 4000, 16, true],
          [6, 5, 5, false],
        ]);
        assert.deepEqual(peek.after, peek.before);
      } finally {
        execFileSync('ipcrm', ['-q', String(id)]);
      }
    });

    it('msgPeek gives a message type past 2^53 as its exact decimal text; the CLI prints it so, in text and JSON', async () => {
      // mtype is the sender's C long: a double would round 2^62 + 1 to 2^62
      const types = ['9007199254740991', '9007199254740993', '4611686018427387905', '9223372036854775807'];
      const id = Number(execFileSync('perl', ['-MIPC::Msg', '-e', `my $q = IPC::Msg->new(IPC::SysV::IPC_PRIVATE(), 0600) or die "$!"; $q->snd($_, "t$_") or die "$!" for (${types.join(', ')}); print $q->id`], { encoding: 'utf8' }));
      try {
        const peek = await addon.msgPeek(id, 16, 64);
        assert.deepEqual(peek.messages.map((m) => m.type), [9007199254740991, ...types.slice(1)]);
        assert.deepEqual(peek.messages.map((m) => m.data.toString()), types.map((t) => `t${t}`));
        const text = runCli(['peek', `sysv-msg:${id}`]);
        assert.equal(text.code, 0, text.stderr);
        for (const t of types) assert.match(text.stdout, new RegExp(`type=${t} `));
        const json = runCli(['peek', `sysv-msg:${id}`, '--json']);
        assert.equal(json.code, 0, json.stderr);
        assert.deepEqual((JSON.parse(json.stdout) as { messages: Array<{ type: unknown }> }).messages.map((m) => m.type), [9007199254740991, ...types.slice(1)]);
      } finally {
        execFileSync('ipcrm', ['-q', String(id)]);
      }
    });

    it('shmRead returns the bytes written, clamped to the segment', { skip: haveCc ? false : 'no cc' }, async () => {
      fixture('shmwrite', String(shmid), '100', 'shared-bytes');
      assert.equal((await addon.shmRead(shmid, 100, 12)).toString(), 'shared-bytes');
      assert.equal((await addon.shmRead(shmid, 8190, 100)).length, 2);
      assert.equal((await addon.shmRead(shmid, 9000, 100)).length, 0);
      const m = (await addon.sysvShmList()).find((x) => x.shmid === shmid)!;
      assert.equal(m.nattch, 0, 'detached again');
      await expectReject(addon.shmRead(0x7ffffff0, 0, 1), 'EINVAL', 'shmctl');
    });

    it('semStat reads one set like the list does', async () => {
      const one = await addon.semStat(semid);
      const listed = (await addon.sysvSemList()).find((x) => x.semid === semid)!;
      assert.deepEqual([one.nsems, one.values, one.ncnt, one.zcnt, one.pids], [listed.nsems, listed.values, listed.ncnt, listed.zcnt, listed.pids]);
      await expectReject(addon.semStat(0x7ffffff0), 'EINVAL', 'semctl');
    });
  });

  describe('POSIX mq and semaphores', { skip: haveCc ? false : 'no cc' }, () => {
    const mq = `/${tag}-mq`;
    const sem = `/${tag}-sem`;
    it('walkProc sees the mq fd; mqGetattr counts; mqReceive consumes', async () => {
      const { child, next } = start(fixtureBin, ['mq', mq]);
      cleanups.push(() => fixture('mqunlink', mq));
      const qfd = Number(await next());
      const w = await addon.walkProc({ procRoot: '/proc', threads: 0, pids: [child.pid!], ...ALL, mapsRules: [], readTimers: false, readLinks: false });
      const r = rows(w, child.pid!).find((x) => x.fd === qfd);
      assert.ok(r, 'mq fd found');
      assert.equal(r.kind, FD.Mqueue);
      assert.equal(r.path, mq);
      assert.equal(r.mode, MODE_R | MODE_W);
      assert.ok(r.inode > 0 && r.dev > 0);
      assert.deepEqual(await addon.mqGetattr(mq), { maxmsg: 4, msgsize: 64, curmsgs: 1, flags: 0 });
      const got = await addon.mqReceive(mq);
      assert.equal(got.priority, 3);
      assert.equal(got.data.toString(), 'mq-hello');
      assert.equal((await addon.mqGetattr(mq)).curmsgs, 0);
      await expectReject(addon.mqReceive(mq), 'EAGAIN', 'mq_receive');
      await expectReject(addon.mqGetattr(`/${tag}-none`), 'ENOENT', 'mq_open');
    });
    it('a named semaphore file has the size of a glibc sem_t, which the probe decodes', () => {
      fixture('sem', sem, '5');
      const file = `/dev/shm/sem.${sem.slice(1)}`;
      cleanups.push(() => fs.unlinkSync(file));
      assert.equal(fs.statSync(file).size, SEM_T_SIZE);
      assert.equal(readSemSync(file), 5);
    });
  });

  describe('pidfd', () => {
    it('pidfdSendSignal delivers SIGUSR1 to exactly that process', async () => {
      const { child, next } = start(process.execPath, ['-e', "process.on('SIGUSR1', () => { console.log('got SIGUSR1'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);"]);
      assert.equal(await next(), 'ready');
      const fd = addon.pidfdOpen(child.pid!);
      try {
        assert.ok(fd >= 0);
        addon.pidfdSendSignal(fd, os.constants.signals.SIGUSR1);
        assert.equal(await next(), 'got SIGUSR1');
      } finally {
        addon.closeFd(fd);
      }
    });

    it('pidfdSendSignal with a value is an SI_QUEUE siginfo (like sigqueue)', { skip: haveCc ? false : 'no cc' }, async () => {
      const { child, next } = start(fixtureBin, ['sigwait']);
      assert.equal(await next(), 'ready');
      const fd = addon.pidfdOpen(child.pid!);
      try {
        addon.pidfdSendSignal(fd, os.constants.signals.SIGUSR1, 4242);
      } finally {
        addon.closeFd(fd);
      }
      const [signo, code, value, from] = (await next()).split(' ').map(Number);
      assert.equal(signo, os.constants.signals.SIGUSR1);
      assert.equal(code, -1, 'SI_QUEUE');
      assert.equal(value, 4242);
      assert.equal(from, process.pid);
    });

    it('errors carry errno names', async () => {
      expectCode(() => addon.pidfdOpen(0x3ffffe), 'ESRCH', 'pidfd_open');
      expectCode(() => addon.closeFd(0x7ffff0), 'EBADF', 'close');
      expectCode(() => addon.pidfdSendSignal(0x7ffff0, 10), 'EBADF', 'pidfd_send_signal');
      // a pidfd of a process that exited: ESRCH
      const c = spawn('true');
      const fd = addon.pidfdOpen(c.pid!);
      await new Promise((r) => c.once('exit', r));
      try {
        expectCode(() => addon.pidfdSendSignal(fd, 0), 'ESRCH', 'pidfd_send_signal');
      } finally {
        addon.closeFd(fd);
      }
      assert.throws(() => addon.pidfdOpen('1' as unknown as number), TypeError);
    });
  });

  it('loading the addon fixes glibc\'s malloc thresholds: a freed 4 MiB block goes back to the kernel after an 8 MiB one was freed (IPC_INSPECTOR_MALLOC=keep: it stays in the arena)', { skip: addon.mallocInfo() === null ? 'mallinfo2 needs glibc ≥ 2.33' : false }, () => {
    assert.throws(() => addon.mallocThresholds!(1), RangeError);
    const child = path.join(__dirname, 'mallocChild.js');
    const run = (env: NodeJS.ProcessEnv) => {
      const r = spawnSync(process.execPath, ['--expose-gc', child], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { free: number };
    };
    const kept = run({ IPC_INSPECTOR_MALLOC: 'keep' });
    const fixed = run({ IPC_INSPECTOR_MALLOC: '' });
    assert.ok(kept.free >= 4 << 20, `glibc's own dynamic thresholds keep the 4 MiB block (the control): ${kept.free} bytes free in the arenas`);
    assert.ok(fixed.free < 2 << 20, `fixed thresholds give it back: ${fixed.free} bytes free in the arenas`);
  });

  it('the block pool keeps nothing by default; asked to, it keeps a dump\'s freed buffers for the next one, which reads the same rows from them; told to stop, it gives them back', { skip: typeof addon.blockPool !== 'function' ? 'an addon built before blockPool' : false }, () => {
    const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'blockPoolChild.js')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout) as { byDefault: number; kept: number; afterTake: number; released: number; afterRelease: number; bounded: number; beforeLowered: number; lowered: number; bound: number; fresh: string[]; reused: string[] };
    const counts = JSON.stringify({ ...o, fresh: o.fresh.length, reused: o.reused.length });
    assert.equal(o.byDefault, 0, `a one-shot run keeps nothing: ${counts}`);
    // the dump's columns (32,768 rows reserved: 256 KiB a column of doubles) come back when JS lets go of them
    assert.ok(o.kept >= 256 << 10 && o.kept <= o.bound, `kept within the bound: ${counts}`);
    assert.ok(o.bounded > 0 && o.bounded <= 256 << 10, `a bound of 256 KiB keeps one column, not nine: ${counts}`);
    assert.ok(o.beforeLowered > 256 << 10 && o.lowered <= 256 << 10, `a bound lowered applies at once: ${counts}`);
    assert.ok(o.afterTake < o.kept, `the second dump took blocks from the pool: ${counts}`);
    // the listener, its 20 accepted ends and their 20 peers, read alike from fresh pages and from reused ones
    assert.equal(o.fresh.length, 41, counts);
    assert.deepEqual(o.reused, o.fresh);
    assert.equal(o.released, o.afterTake, counts);
    assert.equal(o.afterRelease, 0, `freed after the pool was told to stop, blocks go back to the kernel: ${counts}`);
    assert.throws(() => addon.blockPool!('yes' as unknown as boolean), TypeError);
    assert.throws(() => addon.blockPool!(true), TypeError); // keeping needs its bound
    assert.throws(() => addon.blockPool!(true, 1 << 30), RangeError);
    assert.throws(() => addon.blockPool!(true, -1), RangeError);
  });

  it('the snapshot worker keeps freed buffers while it refreshes and gives them back once no refresh came for poolIdleMs (control: the default keeps them longer)', { skip: typeof addon.blockPool !== 'function' ? 'an addon built before blockPool' : findWorkerScript() === null ? 'dist/snapshotWorker.js not built' : false }, async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // blocks in the pool, from this thread: a dump's columns, let go of and collected
    const fill = async () => {
      await addon.unixDiag();
      for (let i = 0; i < 5 && addon.blockPool!() === 0; i++) {
        gc();
        await sleep(20);
      }
      return addon.blockPool!();
    };
    const control = new SnapshotService({ kinds: ['unix'] });
    try {
      await control.next();
      assert.ok((await fill()) > 0, 'a dump\'s columns fill the pool');
      await sleep(2500);
      assert.ok(addon.blockPool!() > 0, 'with the default (35 s) the worker has not trimmed yet');
    } finally {
      control.dispose();
    }
    const svc = new SnapshotService({ kinds: ['unix'], poolIdleMs: 1000 });
    try {
      await svc.next();
      const filled = await fill();
      assert.ok(filled > 0, 'a dump\'s columns fill the pool');
      const t0 = Date.now();
      while (addon.blockPool!() > 0 && Date.now() - t0 < 15_000) await sleep(100);
      assert.equal(addon.blockPool!(), 0, `the idle worker gave the kept buffers back (${filled} bytes before)`);
    } finally {
      svc.dispose();
    }
  });

  it('memoryPressure gives back a young generation grown by objects that survived (control: without it, V8 keeps it committed)', { skip: typeof addon.memoryPressure !== 'function' ? 'an addon built before memoryPressure' : false }, () => {
    // a child of its own: its heap is only this; grown as parsing a first full diff grows the host's
    const src = `
      const v8 = require('v8');
      const a = require(${JSON.stringify(load.path)});
      const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      let keep = [];
      for (let i = 0; i < 3e6; i++) keep.push({ i, s: 'x' + i });
      const grown = newSpace();
      keep = null;
      if (process.argv[1] === 'pressure' && a.memoryPressure() !== true) throw new Error('memoryPressure found no V8 to tell');
      (async () => {
        for (let t = 0; t < 60; t++) {
          await new Promise((r) => setTimeout(r, 50));
          const junk = [];
          for (let i = 0; i < 1000; i++) junk.push({ i });
        }
        console.log(JSON.stringify({ grown, after: newSpace() }));
      })();`;
    const run = (arg: string) => {
      const r = spawnSync(process.execPath, ['-e', src, arg], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { grown: number; after: number };
    };
    const control = run('none');
    const asked = run('pressure');
    assert.ok(control.grown >= 8 << 20 && asked.grown >= 8 << 20, `the young generation grew: ${JSON.stringify({ control, asked })}`);
    assert.ok(control.after >= 8 << 20, `without the call V8 keeps it: ${JSON.stringify(control)}`);
    assert.ok(asked.after <= asked.grown / 2, `with it, it shrinks: ${JSON.stringify(asked)}`);
  });

  it('loads and works in worker_threads', async () => {
    const src = `
      const { parentPort, workerData } = require('node:worker_threads');
      const a = require(workerData);
      a.walkProc({ procRoot: '/proc', threads: 2, pids: [process.pid], ...${JSON.stringify({ ...ALL, fdRules: UNMEASURED, mapsRules: [] })}, readTimers: false, readLinks: false })
        .then((w) => Promise.all([a.unixDiag(), a.sysvMsgList()]).then(([u, l]) => parentPort.postMessage({ procs: w.processes.length, unix: u.inode.length, msg: l.length })));
    `;
    const results = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<{ procs: number; unix: number }>((resolve, reject) => {
            const w = new Worker(src, { eval: true, workerData: load.path });
            w.once('message', (m) => {
              resolve(m);
              void w.terminate();
            });
            w.once('error', reject);
          }),
      ),
    );
    for (const r of results) {
      assert.equal(r.procs, 1);
      assert.ok(r.unix > 0);
    }
  });
});

describe('pipePeek on a pipe of many small buffers', { skip: skipAll }, () => {
  it('shows every buffer of a packet-mode pipe (one buffer per write), not the first 16, and the reader gets them all', async () => {
    // O_DIRECT: each write its own buffer; a 1 MiB pipe has 256 slots. The private pipe tee()
    // copies into must have as many, or the peek stops at its own 16.
    const py = `
import os, fcntl, sys
r, w = os.pipe2(os.O_DIRECT)
fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 1 << 20)
for i in range(100):
    os.write(w, b'pkt%03d....' % i)
print(os.getpid(), r, flush=True)
sys.stdin.readline()
got = b''.join(os.read(r, 64) for _ in range(100))
print(got.decode(), flush=True)
`;
    const child = spawn('python3', ['-c', py], { stdio: ['pipe', 'pipe', 'inherit'] });
    const { next } = lineReader(child);
    try {
      const [pid, fd] = (await next()).trim().split(' ').map(Number);
      const want = Array.from({ length: 100 }, (_, i) => `pkt${String(i).padStart(3, '0')}....`).join('');
      const ino = Number(/\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))![1]);
      const r = await addon!.pipePeek(pid, fd, ino, -1, -1, 1 << 20);
      assert.equal(r.buffered, 1000);
      assert.equal(r.data.toString(), want, `${r.data.length} of 1000 bytes`);
      child.stdin!.write('read\n');
      assert.equal((await next()).trim(), want, 'the reader did not get the 100 packets the peek saw');
    } finally {
      child.kill();
    }
  });
});
