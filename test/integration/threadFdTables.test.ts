// A thread with an fd table of its own (unshare(CLONE_FILES)): its fds are not in /proc/PID/fd,
// so a walk of the processes alone never sees them, and any user can hide a pipe or a socket
// there. The attacker (uid 65534) makes such a thread and a pipe and a socket pair in it that
// nothing else holds. Both native walks list the thread as a process under its tid, with
// `threadOf` = its process, and its fds as that process's endpoints; lsof, which lists such fds
// with PID and TID, is the oracle. A peek reaches the pipe through the thread's own table
// (pidfd_open(tid, PIDFD_THREAD) + pidfd_getfd) and leaves the bytes in place.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel } from '../../src/core/actions/peek';
import type { BytesPeek } from '../../src/core/actions/peek';
import { sendSignal } from '../../src/core/actions/signal';
import { ActivityMonitor } from '../../src/core/activity/monitor';
import type { Snapshot, WalkBackend } from '../../src/core/model';
import { MAX_THREAD_TABLES } from '../../src/core/native';
import { compileTools, runAttacker, stopAttacker, type Attacker } from './hostile';
import { readStartTime, stillRunning } from '../../src/core/actions/signal';

const native = loadNative().addon;
const bpf = loadBpf().addon;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = process.getuid?.() !== 0 ? 'needs root (the attacker runs as uid 65534)' : !has('cc') ? 'needs cc' : !native ? `native addon not loaded (${loadNative().error})` : false;

interface Made {
  pid: number;
  tid: number;
  pipeRead: number;
  pipeWrite: number;
  pipeInode: number;
  sock: number;
  sockInode: number;
  /** A pipe the thread sends 100 × 1000 bytes through (and reads back) on "flow". */
  flowInode: number;
}

/** What lsof says about this process's fds: [pid, tid, fd] of every row naming `inode`. */
/** lsof's last run, said when it lists other rows than expected (once it listed none under load). */
let lsofRun = '';

function lsofRows(pid: number, inode: number): Array<[number, number, number]> {
  // -K: the tasks too (with -p, lsof leaves them out otherwise); -F: p (pid), K (tid), f (fd), i (inode) fields
  const r = spawnSync('lsof', ['-n', '-P', '-w', '-K', '-p', String(pid), '-F', 'pKfi'], { encoding: 'utf8' });
  lsofRun = `lsof exit ${r.status} ${r.signal ?? ''}, ${r.stdout.length} bytes out, stderr: ${r.stderr.slice(0, 500)}, tasks listed: ${r.stdout.split('\n').filter((l) => l[0] === 'K').length}`;
  const out: Array<[number, number, number]> = [];
  let p = 0;
  let k = 0;
  let fd = -1;
  for (const line of r.stdout.split('\n')) {
    const v = line.slice(1);
    if (line[0] === 'p') [p, k] = [Number(v), 0];
    else if (line[0] === 'K') k = Number(v);
    else if (line[0] === 'f') fd = /^\d+$/.test(v) ? Number(v) : -1;
    else if (line[0] === 'i' && Number(v) === inode && fd >= 0) out.push([p, k, fd]);
  }
  return out.sort((a, b) => a[2] - b[2]);
}

describe('a thread with an fd table of its own (an attacker hiding fds from /proc/PID/fd)', { skip }, () => {
  let attacker: Attacker | undefined;
  let made: Made;
  const walks: WalkBackend[] = ['proc'];

  before(async () => {
    const tools = await compileTools();
    attacker = runAttacker(tools, ['thread-files']);
    made = JSON.parse(await attacker.next('the thread-files line')) as Made;
    // where the BPF walk can run it must (each test checks capabilities.walk): a fallback is a failure
    if (bpf && (await bpf.bpfProbe()).ok) walks.unshift('bpf-iter');
  });
  after(async () => stopAttacker(attacker));

  const snap = (walk: WalkBackend, kinds: Array<'pipe' | 'unix'>): Promise<Snapshot> => takeSnapshot({ walk, kinds });

  it('each walk lists the thread as a process under its tid, threadOf its process, holding the pipe and the socket', async () => {
    const seen: Record<string, unknown> = {};
    for (const walk of walks) {
      const s = await snap(walk, ['pipe', 'unix']);
      assert.equal(s.capabilities.walk?.backend, walk);
      const thread = s.processes.find((p) => p.pid === made.tid);
      assert.ok(thread, `${walk}: the thread ${made.tid} is not listed`);
      assert.equal(thread.threadOf, made.pid, `${walk}: threadOf`);
      assert.equal(thread.comm, 'attacker');
      assert.equal(s.processes.find((p) => p.pid === made.pid)?.threadOf, undefined, `${walk}: the process itself is no thread`);
      const pipe = s.channels.find((c) => c.id === `pipe:${made.pipeInode}`);
      assert.ok(pipe, `${walk}: the thread's pipe is not listed`);
      const ends = pipe.endpoints.map((e) => [e.pid, e.fd, e.mode]).sort();
      assert.deepEqual(ends, [[made.tid, made.pipeRead, 'r'], [made.tid, made.pipeWrite, 'w']], `${walk}: pipe ends`);
      assert.equal((pipe as { bufferedBytes?: number | null }).bufferedBytes, 12, `${walk}: the pipe's queued bytes`);
      const sock = s.channels.find((c) => c.kind === 'unix' && c.endpoints.some((e) => e.pid === made.tid && e.fd === made.sock));
      assert.ok(sock, `${walk}: the thread's socket is not listed with its holder`);
      // the thread's copy of the process's table holds what the process held when it unshared
      // (stdin, the ctl pipes…): the same open files at the same numbers, listed under the process only
      const stdin = s.channels.find((c) => c.endpoints.some((e) => e.pid === made.pid && e.fd === 0));
      if (stdin) assert.ok(!stdin.endpoints.some((e) => e.pid === made.tid), `${walk}: the thread's copy of fd 0 is its process's`);
      seen[walk] = { thread: { pid: thread.pid, threadOf: thread.threadOf }, pipe: ends, sock: sock.id };
    }
    if (walks.length === 2) assert.deepEqual(seen['bpf-iter'], seen.proc, 'the two walks differ');
  });

  it('what lsof lists as PID and TID is what the snapshot lists as threadOf and pid', { skip: has('lsof') ? false : 'needs lsof' }, async () => {
    const rows = lsofRows(made.pid, made.pipeInode);
    assert.deepEqual(rows, [[made.pid, made.tid, made.pipeRead], [made.pid, made.tid, made.pipeWrite]], `lsof does not see the thread the way this test expects (${lsofRun})`);
    for (const walk of walks) {
      const s = await snap(walk, ['pipe']);
      const procs = new Map(s.processes.map((p) => [p.pid, p]));
      const ours = s.channels
        .find((c) => c.id === `pipe:${made.pipeInode}`)!
        .endpoints.map((e): [number, number, number] => [procs.get(e.pid)?.threadOf ?? e.pid, e.pid, e.fd ?? -1])
        .sort((a, b) => a[2] - b[2]);
      assert.deepEqual(ours, rows, walk);
    }
  });

  it('a peek reads the pipe through the thread’s own table and leaves the bytes', async () => {
    const s = await snap(walks[0], ['pipe']);
    const pipe = s.channels.find((c) => c.id === `pipe:${made.pipeInode}`)!;
    for (let i = 0; i < 3; i++) {
      const r = (await peekChannel(pipe, s.processes, { maxBytes: 4096 })) as BytesPeek;
      assert.equal(r.data.toString(), 'hidden-bytes');
    }
    const again = (await snap(walks[0], ['pipe'])).channels.find((c) => c.id === `pipe:${made.pipeInode}`);
    assert.equal((again as { bufferedBytes?: number | null } | undefined)?.bufferedBytes, 12, 'the peek consumed bytes');
  });

  it('a signal to the thread goes through a pidfd of the thread (pidfd_open of a tid needs PIDFD_THREAD)', async () => {
    const s = await snap(walks[0], ['pipe']);
    const thread = s.processes.find((p) => p.pid === made.tid)!;
    const r = await sendSignal({ pid: made.tid, startTime: thread.startTime, signal: 'SIGCONT' });
    assert.equal(r.method, 'pidfd_send_signal');
    assert.equal(r.weakerGuarantee, undefined);
    assert.equal(attacker?.child.exitCode, null, 'the attacker is still running');
  });

  it('live activity counts the thread’s traffic under the thread, as the snapshot lists the holders', async () => {
    const monitor = new ActivityMonitor();
    try {
      const cap = await monitor.start();
      assert.equal(cap.source, 'bpf', `the tracer did not start: ${cap.reason}`);
      const id = `pipe:${made.flowInode}`;
      await monitor.sample(await snap(walks[0], ['pipe']));
      attacker!.send('flow');
      assert.equal(await attacker!.next('flowed'), 'flowed');
      const s = await snap(walks[0], ['pipe']);
      assert.deepEqual(s.channels.find((c) => c.id === id)?.endpoints.map((e) => e.pid), [made.tid, made.tid]);
      const sample = await monitor.sample(s);
      const ch = sample.channels[id];
      assert.ok(ch, `${id} counted`);
      assert.deepEqual(ch.processes.map((p) => [p.pid, p.sent.bytes, p.received.bytes]), [[made.tid, 100_000, 100_000]], 'counted under the thread (the tracer used to say the process)');
      assert.deepEqual(sample.pairs.filter((p) => p.channelId === id).map((p) => [p.from, p.to, p.bytes]), [[made.tid, made.tid, 100_000]]);
    } finally {
      await monitor.stop();
    }
  });

  it('the native walks of the process alone (a pid filter) still find its thread', async () => {
    for (const walk of walks) {
      const s = await takeSnapshot({ walk, kinds: ['pipe'], pids: [made.pid] });
      assert.ok(s.channels.some((c) => c.id === `pipe:${made.pipeInode}`), `${walk}: pids: [process]`);
    }
  });

  it('a process whose main thread has exited: its threads share the table /proc/PID/fd no longer shows, listed once under the first thread (lsof lists it once per thread)', async () => {
    const gone = runAttacker(await compileTools(), ['gone-leader']);
    try {
      const g = JSON.parse(await gone.next('the gone-leader line')) as { pid: number; read: number; write: number; inode: number };
      const seen: Record<string, unknown> = {};
      for (const walk of walks) {
        let s: Snapshot | undefined;
        // the main thread exits right after its line: until it has, its own table still lists the pipe
        for (let i = 0; i < 50; i++) {
          s = await snap(walk, ['pipe']);
          if (s.processes.find((p) => p.pid === g.pid)?.state === 'Z') break;
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(s!.capabilities.walk?.backend, walk);
        const threads = s!.processes.filter((p) => p.threadOf === g.pid);
        assert.equal(threads.length, 1, `${walk}: one entry for the one table, not one per thread`);
        const ends = s!.channels.find((c) => c.id === `pipe:${g.inode}`)?.endpoints.map((e) => [e.pid, e.fd, e.mode]).sort();
        assert.deepEqual(ends, [[threads[0].pid, g.read, 'r'], [threads[0].pid, g.write, 'w']], walk);
        seen[walk] = { tid: threads[0].pid, ends };
      }
      if (walks.length === 2) assert.deepEqual(seen['bpf-iter'], seen.proc, 'the two walks differ');
      // state Z with its threads running is no zombie: an action offered on it, or a watch on its
      // exit, must not take it for a process that has exited
      const start = readStartTime(g.pid);
      assert.equal(await stillRunning(g.pid, start), true, 'a process whose main thread exited is still running');
    } finally {
      await stopAttacker(gone);
    }
  });
});

// Every thread that unshares its fd table gets a copy of its process's: an attacker (uid 65534)
// with P pipes and T such threads had each pipe listed T + 1 times, and made one snapshot take
// minutes and gigabytes (9,900 pipes × 1,000 threads: 92 s, 2.3 GB). What a thread still shares
// with its process (the same open file at the same fd number) is listed once, under the process;
// what it opened itself under the thread; and only the first MAX_THREAD_TABLES such threads of a
// process are walked, with a warning naming how many were not.
describe('a crowd of threads with fd tables of their own sharing their process’s pipes (an attacker multiplying its fd table)', { skip }, () => {
  let attacker: Attacker | undefined;
  let made: { pid: number; pipes: number[]; tids: number[]; own: number[] };
  const walks: WalkBackend[] = ['proc'];
  const THREADS = MAX_THREAD_TABLES + 6;

  before(async () => {
    const tools = await compileTools();
    attacker = runAttacker(tools, ['thread-crowd', '40', String(THREADS)]);
    made = JSON.parse(await attacker.next('the thread-crowd line')) as typeof made;
    if (bpf && (await bpf.bpfProbe()).ok) walks.unshift('bpf-iter');
  });
  after(async () => stopAttacker(attacker));

  it('each inherited pipe once, under the process; each walked thread with its own pipe; the same in both walks', async () => {
    const seen: Record<string, unknown> = {};
    // the walked threads: the first MAX_THREAD_TABLES in tid order
    const tids = [...made.tids].sort((a, b) => a - b);
    const walked = new Set(tids.slice(0, MAX_THREAD_TABLES));
    for (const walk of walks) {
      const raw = await takeSnapshot({ walk, kinds: ['pipe'], pids: [made.pid] });
      // the attacker's own holds only: another scan running beside this one (a test file measuring
      // pipes) holds each pipe for a moment through an O_PATH handle, which a walk lists too
      const mine = new Set([made.pid, ...made.tids]);
      const s = { ...raw, channels: raw.channels.map((c) => ({ ...c, endpoints: c.endpoints.filter((e) => mine.has(e.pid)) })) };
      assert.equal(s.capabilities.walk?.backend, walk);
      for (const inode of made.pipes) {
        const ch = s.channels.find((c) => c.id === `pipe:${inode}`);
        assert.ok(ch, `${walk}: pipe ${inode} is not listed`);
        assert.deepEqual(ch.endpoints.map((e) => [e.pid, e.mode]).sort(), [[made.pid, 'r'], [made.pid, 'w']], `${walk}: pipe ${inode} is listed under its process once, not per thread`);
      }
      const threads = s.processes.filter((p) => p.threadOf === made.pid).map((p) => p.pid).sort((a, b) => a - b);
      assert.deepEqual(threads, [...walked], `${walk}: the threads listed`);
      made.tids.forEach((tid, i) => {
        const ch = s.channels.find((c) => c.id === `pipe:${made.own[i]}`);
        if (walked.has(tid)) assert.deepEqual(ch?.endpoints.map((e) => [e.pid, e.mode]).sort(), [[tid, 'r'], [tid, 'w']], `${walk}: thread ${tid}'s own pipe`);
        else assert.equal(ch, undefined, `${walk}: thread ${tid} is past the cap`);
      });
      const warning = s.warnings.find((w) => w.includes('with an fd table of their own not walked'));
      assert.ok(warning, `${walk}: no warning for the threads not walked: ${JSON.stringify(s.warnings)}`);
      assert.match(warning, new RegExp(`^scan: ${THREADS - MAX_THREAD_TABLES} threads .*at most ${MAX_THREAD_TABLES} per process.*: ${made.pid} \\(${THREADS - MAX_THREAD_TABLES}\\)$`));
      seen[walk] = { channels: s.channels.map((c) => [c.id, c.endpoints.map((e) => [e.pid, e.fd, e.mode])]), threads, warning };
    }
    if (walks.length === 2) assert.deepEqual(seen['bpf-iter'], seen.proc, 'the two walks differ');
  });
});

// More such threads machine-wide than the BPF walk's fd pass takes well (bpfwalk.cc
// kMaxIterThreadTables = 4 × MAX_THREAD_TABLES): the kernel's iterator visits every fd of every
// such table, the skipped copies included (1,000 threads over 9,900 pipes: 20 s), so the BPF walk
// gives way to the /proc walk at once, says so, and the snapshot is the /proc walk's.
describe('more threads with fd tables of their own than the BPF fd pass takes: it gives way to the /proc walk', { skip }, () => {
  let attacker: Attacker | undefined;
  let made: { pid: number; pipes: number[]; tids: number[]; own: number[] };
  const THREADS = 4 * MAX_THREAD_TABLES + 20;
  let bpfReady = false;

  before(async () => {
    attacker = runAttacker(await compileTools(), ['thread-crowd', '10', String(THREADS)]);
    made = JSON.parse(await attacker.next('the thread-crowd line')) as typeof made;
    bpfReady = !!bpf && (await bpf.bpfProbe()).ok;
  });
  after(async () => stopAttacker(attacker));

  it('the snapshot asked of bpf-iter is the /proc walk\'s, with the reason and a warning', async (t) => {
    if (!bpfReady) return t.skip('the BPF walk cannot run here (no BTF, or not root)');
    const viaBpf = await takeSnapshot({ walk: 'bpf-iter', kinds: ['pipe'], pids: [made.pid] });
    assert.equal(viaBpf.capabilities.walk?.backend, 'proc');
    // the count is the machine's: at least this crowd's (another process's such threads count too)
    const reason = new RegExp(`bpf-iter: .*?(\\d+) threads with an fd table of their own, more than ${4 * MAX_THREAD_TABLES}`).exec(viaBpf.capabilities.walk?.reason ?? '');
    assert.ok(reason && Number(reason[1]) >= THREADS, viaBpf.capabilities.walk?.reason);
    assert.ok(viaBpf.warnings.some((w) => /^BPF fd walk gave way to the \/proc walk: (\d+) threads/.exec(w) && Number(/: (\d+) threads/.exec(w)![1]) >= THREADS), JSON.stringify(viaBpf.warnings));
    const viaProc = await takeSnapshot({ walk: 'proc', kinds: ['pipe'], pids: [made.pid] });
    const shape = (s: Snapshot) => s.channels.map((c) => [c.id, c.endpoints.map((e) => [e.pid, e.fd, e.mode])]);
    assert.deepEqual(shape(viaBpf), shape(viaProc));
  });
});
