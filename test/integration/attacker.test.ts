// Another local user attacks a root scan and root peeks (issue 9, findings 2–5). The attacker is
// uid 65534 running small C programs (hostile.ts); where the attack needs a file system that never
// answers, root mounts a FUSE server in the attacker's place (an unprivileged user gets one with
// fusermount). Scans and peeks whose old versions crashed or hung run in child processes with a
// parent-side limit, so a regression fails the test instead of killing or freezing the runner.
//
// Note for a shared machine: while the D-state tests run (a few seconds), reading the attacker's
// /proc/PID/cmdline blocks for every process on the machine (ps, other scans); the tests keep that
// window short and end it by killing the FUSE server, which releases every blocked reader.
import { walkRulesFor } from '../../src/core/kinds';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadBpf, loadNative } from '../../src/core/native';
import { stuckWalks } from '../../src/core/walkBackend';
import { takeSnapshot } from '../../src/core/snapshot';
import { SnapshotService } from '../../src/core/snapshotService';
import { peekChannel } from '../../src/core/actions/peek';
import type { Channel, Snapshot } from '../../src/core/model';
import { startDupBomb } from '../harness/otherUser';
import { compileTools, FUSE_OP, NOBODY, reap, runAttacker, startHungFuse, stopAttacker, threadStates, type Attacker, type HungFuse, type Tools } from './hostile';

const dist = path.resolve(__dirname, '..', '..');
const cli = path.join(dist, 'cli.js');
const peekChild = path.join(__dirname, 'peekChild.js');
const usageChild = path.join(__dirname, 'usageChild.js');
const walkChild = path.join(__dirname, 'walkChild.js');
const native = loadNative().addon;
const bpf = loadBpf().addon;
/** Walk threads of either backend still blocked in a read of `pid`. */
const stuckIn = (pid: number) => stuckWalks({ native, bpf }).filter((s) => s.pid === pid);
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const fuseOk = fs.existsSync('/dev/fuse') && /\tfuse\n/.test(fs.readFileSync('/proc/filesystems', 'utf8'));
const skipAll = process.getuid?.() !== 0 ? 'needs root (the attacker runs as uid 65534)' : !has('cc') ? 'needs cc' : false;
const skipFuse = skipAll || (!fuseOk ? 'needs FUSE (/dev/fuse)' : false);
const skipNative = skipAll || (!native ? `native addon not loaded (${loadNative().error})` : false);
const tag = `ipci-atk${process.pid}`;
/** Generous limit for a child that should finish promptly; reaching it means it hung. */
const HUNG_MS = Number(process.env.IPCI_TEST_HUNG_MS) || 60_000;

let tools: Tools;
const attackers: Attacker[] = [];
const fuses: HungFuse[] = [];
const cleanups: Array<() => void> = [];

interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Still running at HUNG_MS: the call it makes hung (it is killed once the FUSE server is gone). */
  hung: boolean;
}

const hungChildren: ChildProcess[] = [];
let blockedCallsLeft = false;

/** Threads of this process running an addon call (ThreadWorker names them). */
function callThreads(): number {
  return fs.readdirSync('/proc/self/task').filter((t) => {
    try {
      return fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'ipci-call';
    } catch {
      return false;
    }
  }).length;
}
/** Every process this file ran as root (scans, peeks): FUSE requests are checked against these. */
const ours = new Set<number>([process.pid]);

/** Runs `node ARGS` as root and waits for its exit, at most HUNG_MS. */
function runNode(args: string[], env: NodeJS.ProcessEnv = process.env, firstLine = false): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) ours.add(child.pid);
    let stdout = '';
    let stderr = '';
    let done = false;
    const finish = (r: Partial<ChildResult>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ status: null, signal: null, stdout, stderr, hung: false, ...r });
    };
    const timer = setTimeout(() => {
      hungChildren.push(child);
      finish({ hung: true });
    }, HUNG_MS);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      // A peek child prints one line and exits; if a thread of it is still blocked, the exit
      // itself waits, so the line is the answer.
      if (firstLine && stdout.includes('\n')) {
        hungChildren.push(child);
        finish({ status: 0 });
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (status, signal) => finish({ status, signal }));
  });
}

async function peekInChild(channel: Channel, opts: Record<string, unknown> = {}, processes: unknown[] = []) {
  const r = await runNode([peekChild, JSON.stringify({ channel, processes, opts })], process.env, true);
  assert.equal(r.hung, false, `the peek of ${channel.id} hung (no answer in ${HUNG_MS} ms)`);
  return JSON.parse(r.stdout.split('\n')[0]) as { ok: boolean; code?: string; message?: string; data?: string; value?: number; method?: string; notes?: string[] };
}

function asNobody(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { ...NOBODY, stdio: 'inherit' });
}

async function waitFor<T>(fn: () => T | undefined | null | false, what: string): Promise<T> {
  const end = Date.now() + 20_000;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`setup: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function cliSnapshot(r: ChildResult): Snapshot {
  assert.equal(r.hung, false, `the scan hung (no exit in ${HUNG_MS} ms)`);
  assert.equal(r.signal, null, `the scan died of ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, `the scan failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Snapshot;
}

describe('attacker: another local user vs. a root scan and root peeks', { skip: skipAll }, () => {
  before(async () => {
    tools = await compileTools();
  });

  after(async () => {
    // First the FUSE servers: that releases every thread blocked on them (ours and the attacker's).
    for (const f of fuses) await f.close().catch(() => undefined);
    for (const a of attackers) await reap(a.child, 2000);
    for (const c of hungChildren) await reap(c);
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch {
        /* gone already */
      }
    }
    fs.rmSync(tools.dir, { recursive: true, force: true });
  });

  it('finding 2: empty, short, FIFO and symlink /dev/shm/sem.NAME files are rows with an error; scan and peek survive (sem_open died of SIGBUS)', async () => {
    const shm = (n: string) => `/dev/shm/sem.${tag}-${n}`;
    for (const n of ['empty', 'short', 'fifo', 'link', 'ok']) cleanups.push(() => fs.rmSync(shm(n), { force: true }));
    asNobody('touch', [shm('empty')]);
    asNobody('sh', ['-c', 'printf 12345678 > "$1"', 'sh', shm('short')]);
    asNobody('mkfifo', [shm('fifo')]);
    asNobody('ln', ['-s', '/etc/passwd', shm('link')]);
    asNobody(tools.attacker, ['sem', `/${tag}-ok`, '3']);
    for (const env of [process.env, { ...process.env, IPC_INSPECTOR_NATIVE: '' }]) {
      const snap = cliSnapshot(await runNode([cli, 'snapshot', '--kind', 'posix-sem', '--json'], env));
      const row = (n: string) => snap.channels.find((c) => c.id === `posix-sem:${tag}-${n}`) as Extract<Channel, { kind: 'posix-sem' }> | undefined;
      const want: Record<string, RegExp> = { empty: /is 0 bytes, not a semaphore/, short: /is 8 bytes, not a semaphore/, fifo: /is a FIFO/, link: /is a symbolic link/ };
      for (const [n, re] of Object.entries(want)) {
        const r = row(n);
        assert.ok(r, `a row for sem.${tag}-${n} (${env.IPC_INSPECTOR_NATIVE === '' ? 'TypeScript' : 'native'} path)`);
        assert.equal(r.value, null);
        assert.match(r.error ?? '', re);
        assert.equal(r.owner, 'nobody');
      }
      assert.equal(row('ok')?.value, 3, 'a real semaphore next to them still reads');
      assert.equal(row('ok')?.error, undefined);
    }
    for (const n of ['empty', 'short', 'fifo', 'link']) {
      const r = await runNode([cli, 'peek', `posix-sem:${tag}-${n}`, '--json']);
      assert.equal(r.hung, false);
      assert.equal(r.signal, null, `peek of sem.${tag}-${n} died of ${r.signal}`);
      assert.equal(r.status, 1, `peek of sem.${tag}-${n} fails with an error: ${r.stdout} ${r.stderr}`);
      assert.match(r.stderr, /EFTYPE/);
      assert.match(r.stderr, /not a semaphore|not a regular file/);
    }
    const ok = await runNode([cli, 'peek', `posix-sem:${tag}-ok`, '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /"value": 3/);
  });

  it('finding 2/3: another user\'s POSIX queues (mode 0000, a newline in the name) are listed with their counts through /dev/mqueue; mq_open of them neither blocks nor fails as root', { skip: skipNative || (has('unshare') ? false : 'unshare (util-linux) is not installed') }, async () => {
    const names = [`/${tag}-mq0`, `/${tag}-mq\nline`];
    for (const n of names) cleanups.push(() => execFileSync(tools.attacker, ['mq-unlink', n]));
    for (const n of names) asNobody(tools.attacker, ['mq', n, '0']);
    // /dev/mqueue mounted in a mount namespace of the scan's own: nothing changes for the machine
    // (already mounted there when the layer runs with it mounted: then that one)
    const unshared = (args: string[]) => {
      const r = spawnSync('unshare', ['-m', process.execPath, '-e', `const r = require('child_process').spawnSync('sh', ['-c', 'mkdir -p /dev/mqueue && { grep -q " /dev/mqueue mqueue " /proc/self/mounts || mount -t mqueue none /dev/mqueue; } && exec "$0" "$@"', process.execPath, ${JSON.stringify(cli)}, ...${JSON.stringify(args)}], { stdio: 'inherit' }); process.exit(r.status ?? 1);`], { encoding: 'utf8', timeout: HUNG_MS, maxBuffer: 256 << 20 });
      // the whole machine's queues and their holders (other workloads' too) can pass spawnSync's
      // 1 MiB default; only the timeout is a hang, any other failure (ENOBUFS, EAGAIN) is told as itself
      const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
      return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.error ? `${r.error.message}\n${r.stderr}` : r.stderr, hung: code === 'ETIMEDOUT' } as ChildResult;
    };
    const snap = cliSnapshot(unshared(['snapshot', '--kind', 'posix-mq', '--json']));
    assert.equal(snap.capabilities.mqueueMounted, true);
    for (const n of names) {
      const ch = snap.channels.find((c) => c.id === `posix-mq:${n.slice(1)}`) as Extract<Channel, { kind: 'posix-mq' }> | undefined;
      assert.ok(ch, `listed: ${JSON.stringify(n)}`);
      assert.deepEqual([ch.messages, ch.maxMessages, ch.messageSize, ch.bytes, ch.owner, ch.mode], [1, 1, 8192, 8, 'nobody', '0000']);
    }
    const peek = unshared(['peek', `posix-mq:${names[0].slice(1)}`, '--json']);
    assert.equal(peek.status, 0, peek.stderr);
    assert.match(peek.stdout, /"messages": 1/);
  });

  it('finding 3: a symlink into a FUSE mount whose GETATTR never returns, and FIFOs, in /dev/shm never block the scan or a peek', { skip: skipFuse }, async () => {
    const fuse = await startHungFuse(tools, 'getattr-hangs');
    fuses.push(fuse);
    const names = [`/dev/shm/${tag}-tofuse`, `/dev/shm/sem.${tag}-tofuse`, `/dev/shm/${tag}-fifo3`, `/dev/shm/sem.${tag}-fifo3`];
    // the links stay only as long as this test: any scanner on the machine that follows them hangs meanwhile
    try {
      asNobody('ln', ['-s', fuse.file, names[0]]);
      asNobody('ln', ['-s', fuse.file, names[1]]);
      asNobody('mkfifo', [names[2]]);
      asNobody('mkfifo', [names[3]]);
      for (const env of [process.env, { ...process.env, IPC_INSPECTOR_NATIVE: '' }]) {
        const snap = cliSnapshot(await runNode([cli, 'snapshot', '--kind', 'posix-shm,posix-sem', '--json'], env));
        assert.match((snap.channels.find((c) => c.id === `posix-sem:${tag}-tofuse`) as { error?: string } | undefined)?.error ?? '', /symbolic link/);
        assert.match((snap.channels.find((c) => c.id === `posix-sem:${tag}-fifo3`) as { error?: string } | undefined)?.error ?? '', /FIFO/);
        assert.ok(!snap.channels.some((c) => c.id === `posix-shm:${tag}-tofuse` || c.id === `posix-shm:${tag}-fifo3`), 'a symlink or FIFO is no shared memory object');
      }
      // Peeks at objects the scan once saw as regular files, swapped since (no addon: the file path).
      const sem = (name: string): Channel => ({ id: `posix-sem:${name}`, kind: 'posix-sem', endpoints: [], name, value: 1, uid: 65534, owner: 'nobody', mode: '0644' });
      const shmCh = (name: string): Channel => ({ id: `posix-shm:${name}`, kind: 'posix-shm', endpoints: [], name, size: 32, uid: 65534, owner: 'nobody', mode: '0644', deleted: false });
      for (const ch of [sem(`${tag}-fifo3`), sem(`${tag}-tofuse`), shmCh(`${tag}-fifo3`), shmCh(`${tag}-tofuse`)]) {
        for (const opts of [{}, { native: null }]) {
          const r = await peekInChild(ch, opts);
          assert.equal(r.ok, false);
          assert.equal(r.code, 'EFTYPE', `${ch.id}: ${r.message}`);
        }
      }
      // (other processes on the machine may follow the links: only ours are checked)
      assert.deepEqual(fuse.requests.filter((r) => r.node === 2 && ours.has(r.pid)), [], 'nothing of ours followed the symlinks into the FUSE mount');
    } finally {
      for (const n of names) fs.rmSync(n, { force: true });
      await fuse.close();
    }
  });

  it("a process's CPU and memory (its tooltip) never follow its command line: argv naming a file on a FUSE mount whose GETATTR never returns", { skip: skipFuse }, async () => {
    const fuse = await startHungFuse(tools, 'getattr-hangs');
    fuses.push(fuse);
    // what `ps` prints as the command; a library that stat()ed its first word froze the extension host
    const evil = spawn('sleep', ['600'], { ...NOBODY, argv0: `${fuse.file} x`, stdio: 'ignore' });
    hungChildren.push(evil);
    try {
      await waitFor(() => fs.existsSync(`/proc/${evil.pid}`) && fs.readFileSync(`/proc/${evil.pid}/cmdline`, 'utf8').startsWith(fuse.file), 'the process');
      const r = await runNode([usageChild, String(evil.pid)], process.env, true);
      assert.equal(r.hung, false, `the usage read hung (no answer in ${HUNG_MS} ms)`);
      const u = JSON.parse(r.stdout.split('\n')[0]) as { ok: boolean; usage?: { cpu: number; rss: number | null } };
      assert.equal(u.ok, true, r.stdout);
      assert.ok(u.usage!.rss! > 0 && u.usage!.cpu >= 0, r.stdout);
      assert.deepEqual(fuse.requests.filter((q) => ours.has(q.pid)), [], 'nothing of ours looked into the FUSE mount');
    } finally {
      await reap(evil);
      await fuse.close();
    }
  });

  describe('a process in D state (stuck in a FUSE page fault while a thread waits for its mmap lock)', { skip: skipFuse || skipNative }, () => {
    let fuse: HungFuse;
    let victim: Attacker;
    let info: { pid: number; child: number; map: string };
    let shmLine: { dev: string; inode: number };

    before(async () => {
      fuse = await startHungFuse(tools, 'answer');
      fuses.push(fuse);
      victim = runAttacker(tools, ['stuck', fuse.file]);
      attackers.push(victim);
      info = JSON.parse(await victim.next('the stuck process')) as typeof info;
      // dev:inode of the shared region, from the child's maps (the victim's own will block)
      const line = fs.readFileSync(`/proc/${info.child}/maps`, 'utf8').split('\n').find((l) => l.startsWith(info.map + ' '))!;
      const f = line.trim().split(/\s+/);
      shmLine = { dev: f[3], inode: Number(f[4]) };
      victim.send('go');
      // one thread faults the FUSE page in holding the mmap lock; another (creating a thread's stack
      // or mapping) then waits for that lock as a writer, in D state
      await waitFor(() => threadStates(info.pid).includes('D'), 'a thread of the victim in D state');
      await new Promise((r) => setTimeout(r, 50)); // let the waiting writer take the lock's hand-off
    });

    after(async () => {
      await fuse.close();
      try {
        process.kill(info.child, 'SIGKILL');
      } catch {
        /* gone with its parent */
      }
      // the walk thread left blocked (by either backend) returns now, and takes the pid off its stuck list
      await waitFor(() => stuckIn(info.pid).length === 0, 'the blocked walk thread to return');
      // the call threads left behind (their JS environment gone or their deadline passed) return too
      if (blockedCallsLeft) await waitFor(() => callThreads() === 0, 'the blocked call threads to return');
    });

    it('the scan gives the process up after itemTimeoutMs, names it in warnings, and returns', { timeout: HUNG_MS }, async () => {
      // the default backend (bpf-iter as root where BPF runs; proc with IPC_INSPECTOR_WALK=proc)
      const snap = await takeSnapshot({ processes: 'all', kinds: ['pipe'], itemTimeoutMs: 300, deadlineMs: 20_000 });
      const backend = snap.capabilities.walk?.backend;
      const w = snap.warnings.join('\n');
      assert.match(w, new RegExp(`skipped: a read did not return within 300 ms .*${info.pid} \\(/proc/${info.pid}/(cmdline|maps)\\)`), `${backend}: ${w}`);
      assert.ok(!snap.processes.some((p) => p.pid === info.pid), 'no half-read process');
      assert.ok(snap.processes.some((p) => p.pid === process.pid) && snap.processes.some((p) => p.pid === info.child), 'everything else was read');
      // later scans skip it while the first thread is still blocked (one stuck thread, not one per scan)
      const again = await takeSnapshot({ processes: 'all', kinds: ['pipe'], itemTimeoutMs: 300 });
      assert.equal(again.capabilities.walk?.backend, backend);
      assert.match(again.warnings.join('\n'), new RegExp(`still blocked in the kernel.*${info.pid} \\(/proc/${info.pid}/`));
      assert.match(again.warnings.join('\n'), new RegExp(`skipped: .*${info.pid} \\(/proc/${info.pid}/`), 'named as skipped again');
      assert.ok(!again.processes.some((p) => p.pid === info.pid), 'no half-read process');
      assert.equal(stuckIn(info.pid).length, 1);
      // and so does a scan with the other backend: the two walks share what they know to be stuck
      if (bpf) {
        const other = backend === 'bpf-iter' ? 'proc' : 'bpf-iter';
        const third = await takeSnapshot({ processes: 'all', kinds: ['pipe'], itemTimeoutMs: 300, walk: other });
        if (third.capabilities.walk?.backend === other) {
          assert.match(third.warnings.join('\n'), new RegExp(`skipped: .*${info.pid} \\(/proc/${info.pid}/`), `${other}: ${third.warnings.join('\n')}`);
          assert.ok(!third.processes.some((p) => p.pid === info.pid), 'no half-read process');
          assert.equal(stuckIn(info.pid).length, 1, `${other} left no second thread in the process`);
        }
      }
    });

    // native/src/rowvalve.h: the /proc walk counts a user's rows against the budget in (pid, fd)
    // order up to the first item not done (the frontier). A process stuck in the kernel holds the
    // frontier until its item is given up, seconds later; meanwhile the other threads walk every
    // process after it. The rows of every item done are counted too, and a user past twice the
    // budget there is spent: an attacker behind a stuck process still cannot fill the walk's columns.
    it('the /proc walk bounds the rows of a user walked behind the stuck process (the frontier held by it)', { timeout: HUNG_MS }, async (t) => {
      const procs = 16;
      const fds = 1000;
      const bomb = await startDupBomb({ comm: `${tag}-bomb`, fds, procs });
      try {
        // (pids wrapped around between the two: the bomb comes first in pid order, no frontier to hold)
        if (!bomb.pids.every((p) => p > info.pid)) return t.skip(`pids wrapped: the bomb (${bomb.pids.join(', ')}) is not after the stuck process (${info.pid}) in pid order`);
        const perUser = 1000;
        const options = { rowsPerUser: perUser, rowsTotal: 4_000_000, itemTimeoutMs: 3000 };
        const r = await runNode([walkChild, JSON.stringify({ pids: bomb.pids, inode: bomb.inode, options })], process.env, true);
        assert.equal(r.hung, false, `the walk hung (no answer in ${HUNG_MS} ms): ${r.stderr}`);
        const got = JSON.parse(r.stdout.split('\n')[0]) as { backend: string; rows: number; past: number; stuck: number[] };
        assert.equal(got.backend, 'proc');
        // the premise: this walk met the stuck process and held its frontier until it gave it up
        assert.ok(got.stuck.includes(info.pid), `the walk gave up ${info.pid}: ${JSON.stringify(got)}`);
        const total = procs * (fds + 2); // each: the dups, the write end and the read end
        // twice the budget among the items done, and the items the other threads had started then
        const slack = (os.availableParallelism() + 1) * 1536;
        assert.ok(got.rows <= 2 * perUser + slack, `${got.rows} of ${total} rows kept (budget ${perUser}, twice it plus ${slack})`);
        t.diagnostic(`${got.rows} of ${total} rows kept, ${got.past} fds counted past the budget`);
        assert.ok(got.rows + got.past >= total, `${got.rows} kept + ${got.past} counted past the budget, of ${total}`);
      } finally {
        await bomb.close();
      }
    });

    it("the tooltip's CPU and memory of the process answer (stat and status take no lock of its address space)", { timeout: HUNG_MS }, async () => {
      const r = await runNode([usageChild, String(info.pid)], process.env, true);
      assert.equal(r.hung, false, `the usage read hung (no answer in ${HUNG_MS} ms)`);
      assert.equal((JSON.parse(r.stdout.split('\n')[0]) as { ok: boolean }).ok, true, r.stdout);
    });

    it("the inspector's process read (processOnly, in the snapshot worker) answers with the process named as skipped", { timeout: HUNG_MS }, async () => {
      const svc = new SnapshotService({ pids: [info.pid], processes: 'all', processOnly: true, itemTimeoutMs: 300 });
      try {
        assert.equal(svc.usingWorker, true, svc.fallbackReason ?? '');
        const { snapshot } = await svc.next();
        assert.deepEqual(snapshot.processes, []);
        assert.match(snapshot.warnings.join('\n'), new RegExp(`${info.pid}`));
      } finally {
        svc.dispose();
      }
    });

    it('a worker blocked in a /proc read (the TypeScript walk has no deadline of its own) is replaced after the service deadline', { timeout: HUNG_MS }, async () => {
      const svc = new SnapshotService({ useNative: false, kinds: ['pipe'], processes: 'all', serviceDeadlineMs: 1000 });
      try {
        assert.equal(svc.usingWorker, true);
        await assert.rejects(svc.next(), { code: 'ETIMEDOUT' });
        assert.equal(svc.abandonedWorkers, 1);
        assert.equal(svc.usingWorker, true, 'a new worker took over');
      } finally {
        svc.dispose();
      }
    });

    it('a blocked peek whose worker_thread is terminated leaves nothing behind when it finally returns', async () => {
      const worker = new Worker(
        `const a = require(${JSON.stringify(loadNative().path)}); a.memRead(${info.pid}, -1, ${JSON.stringify(info.map)}, ${JSON.stringify(shmLine.dev)}, ${shmLine.inode}, 0, 8).catch(() => {}); require('worker_threads').parentPort.postMessage('started');`,
        { eval: true },
      );
      await new Promise((r) => worker.once('message', r));
      await waitFor(() => callThreads() > 0, 'the blocked call thread');
      await worker.terminate();
      blockedCallsLeft = true; // the after hook waits for the thread to return (and this process to survive it)
    });

    it('finding 5: an anon-shm peek through the stuck holder fails with ETIMEDOUT at its deadline (it froze the host before); through a live holder it reads', async () => {
      const ch = (pid: number): Channel => ({
        id: `anon-shm:${shmLine.dev}:${shmLine.inode}`, kind: 'anon-shm', name: '/dev/zero', inode: shmLine.inode, dev: shmLine.dev, size: 65536,
        endpoints: [{ pid, map: info.map, mode: 'rw' }],
      });
      const stuck = await peekInChild(ch(info.pid), { deadlineMs: 500 });
      assert.equal(stuck.ok, false);
      assert.equal(stuck.code, 'ETIMEDOUT', stuck.message);
      const live = await peekInChild(ch(info.child), { deadlineMs: 5000, maxBytes: 14 });
      assert.equal(live.ok, true, live.message);
      assert.equal(live.data, 'anon-shm-bytes');
      // in this process too: the JS thread stays free while the native read is blocked
      let ticks = 0;
      const tick = setInterval(() => ticks++, 10);
      try {
        await assert.rejects(peekChannel(ch(info.pid), [], { deadlineMs: 300 }), { code: 'ETIMEDOUT' });
      } finally {
        clearInterval(tick);
      }
      assert.ok(ticks > 0, 'timers ran while the read was blocked');
    });
  });

  it('finding 4: a pipe peek never opens what the holder swapped in over the listed fd (the O_PATH fd of a FUSE file: its OPEN would reach the server)', { skip: skipFuse || skipNative }, async () => {
    const fuse = await startHungFuse(tools, 'answer');
    fuses.push(fuse);
    try {
      const a = runAttacker(tools, ['pipe']);
      attackers.push(a);
      const p = JSON.parse(await a.next('the pipe')) as { pid: number; fd: number; inode: number };
      const snap = await takeSnapshot({ kinds: ['pipe'] });
      const ch = snap.channels.find((c) => c.id === `pipe:${p.inode}`)!;
      assert.ok(ch, 'the scan lists the pipe');
      assert.deepEqual(ch.endpoints.find((e) => e.fd === p.fd), { pid: p.pid, fd: p.fd, mode: 'r' });
      assert.equal((ch as { bufferedBytes: number }).bufferedBytes, 14);
      const ok = await peekInChild(ch);
      assert.equal(ok.data, 'attacker-bytes', 'before the swap the peek reads the pipe');
      a.send(`swap-path ${fuse.file}`);
      assert.equal(await a.next('the swap'), 'swapped');
      const seen = fuse.requests.length;
      const r = await peekInChild(ch);
      assert.equal(r.ok, false);
      assert.equal(r.code, 'ESTALE', r.message);
      const after = fuse.requests.slice(seen).filter((q) => ours.has(q.pid));
      assert.deepEqual(after.filter((q) => q.op === FUSE_OP.OPEN || q.op === FUSE_OP.FLUSH || q.op === FUSE_OP.GETATTR), [], 'no OPEN, GETATTR or FLUSH of ours reached the server');
      // the scan's own measurement of the swapped fd opens nothing either
      const again = await takeSnapshot({ kinds: ['pipe', 'fifo'] });
      assert.ok(!again.channels.some((c) => c.id === `pipe:${p.inode}` && c.endpoints.some((e) => e.pid === p.pid && e.fd === p.fd)), 'the swapped fd is no pipe end any more');
      assert.deepEqual(fuse.requests.slice(seen).filter((q) => ours.has(q.pid) && (q.op === FUSE_OP.OPEN || q.op === FUSE_OP.FLUSH)), []);
    } finally {
      await fuse.close();
    }
  });

  it('finding 5: a socket peek never duplicates what the holder swapped in (a FUSE file: closing the copy sends a FLUSH that is never answered)', { skip: skipFuse || skipNative }, async () => {
    const fuse = await startHungFuse(tools, 'answer');
    fuses.push(fuse);
    try {
      const a = runAttacker(tools, ['socket']);
      attackers.push(a);
      const s = JSON.parse(await a.next('the socket')) as { pid: number; fd: number; inode: number };
      const snap = await takeSnapshot({ kinds: ['unix'] });
      const ch = snap.channels.find((c) => c.id === `unix:${s.inode}`)!;
      assert.ok(ch, 'the scan lists the socket');
      assert.equal((await peekInChild(ch)).data, 'attacker-bytes', 'before the swap the peek reads the queue');
      a.send(`swap-open ${fuse.file}`);
      assert.equal(await a.next('the swap'), 'swapped');
      const seen = fuse.requests.length;
      const r = await peekInChild(ch);
      assert.equal(r.ok, false);
      assert.equal(r.code, 'ESTALE', r.message);
      assert.deepEqual(fuse.requests.slice(seen).filter((q) => ours.has(q.pid) && q.op === FUSE_OP.FLUSH), [], 'no copy of the FUSE file was made and closed');
    } finally {
      await fuse.close();
    }
  });

  it("a SysV segment peek reads through the attacher's mapping only while it is that segment: swapped for another segment at the same address, or detached, the peek attaches the listed segment and says so", { skip: skipNative }, async () => {
    const a = runAttacker(tools, ['shm-swap']);
    attackers.push(a);
    const s = JSON.parse(await a.next('the segments')) as { pid: number; shmid: number; other: number };
    const snap = await takeSnapshot({ kinds: ['sysv-shm'] });
    const ch = snap.channels.find((c) => c.kind === 'sysv-shm' && c.shmid === s.shmid)!;
    assert.ok(ch && ch.kind === 'sysv-shm' && ch.mapDev !== undefined && ch.endpoints.some((e) => e.pid === s.pid && e.map !== undefined), `the segment and its mapping: ${JSON.stringify(ch)}`);
    const peek = async () => {
      const r = await peekInChild(ch, { maxBytes: 4096 }, snap.processes);
      assert.equal(r.ok, true, r.message);
      return r;
    };
    const mapped = await peek();
    assert.match(mapped.method ?? '', new RegExp(`^pread\\(/proc/${s.pid}/mem\\) of the mapping `));
    assert.ok(mapped.data?.startsWith('attacker-seg-A'), mapped.data?.slice(0, 40));
    for (const cmd of ['swap', 'detach']) {
      a.send(cmd);
      assert.equal(await a.next(cmd), cmd === 'swap' ? 'swapped' : 'detached');
      const r = await peek();
      // the listed segment's bytes, never those of what now sits at the listed address
      assert.ok(r.data?.startsWith('attacker-seg-A') && !r.data.includes('secret-of-B'), `${cmd}: ${r.data?.slice(0, 40)}`);
      assert.equal(r.method, 'shmat(SHM_RDONLY)', cmd);
      assert.ok(r.notes?.some((n) => /^read through a mapping failed \(.+\): attached instead$/.test(n)), `${cmd}: ${JSON.stringify(r.notes)}`);
    }
    await stopAttacker(a);
    const ids = fs.readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
    assert.deepEqual([s.shmid, s.other].filter((id) => ids.includes(id)), [], 'both segments removed at EOF (no test leaves objects behind)');
  });

  it('a pipe whose lock its holder keeps (a splice into a full socket): the scan and a peek give up on it, and the commands that made them exit; one stuck task per pipe, reaped once the lock is free', { skip: skipNative }, async () => {
    const a = runAttacker(tools, ['pipe-lock']);
    attackers.push(a);
    const p = JSON.parse(await a.next('the wedged pipe')) as { pid: number; fd: number; inode: number; splicer: number };
    const id = `pipe:${p.inode}`;
    // the splicer waits in the socket's send with the pipe's mutex held (what every open, FIONREAD and tee of it waits for)
    await waitFor(() => /^S|^D/.test(fs.readFileSync(`/proc/${p.splicer}/stat`, 'utf8').split(') ')[1] ?? '') && fs.readFileSync(`/proc/${p.splicer}/wchan`, 'utf8') !== '0', 'the splicer asleep');
    // 1. the one-shot command, on the /proc walk (which measures a pipe by opening it): its table, then its exit
    const snapRun = await runNode([cli, 'snapshot', '--kind', 'pipe', '--json'], { ...process.env, IPC_INSPECTOR_WALK: 'proc' });
    assert.equal(snapRun.hung, false, `the snapshot command did not exit in ${HUNG_MS} ms`);
    assert.equal(snapRun.status, 0, snapRun.stderr);
    const row = cliSnapshot(snapRun).channels.find((c) => c.id === id) as Extract<Channel, { kind: 'pipe' }> | undefined;
    assert.ok(row, 'the wedged pipe is listed');
    assert.ok(row.endpoints.some((e) => e.pid === p.pid && e.fd === p.fd));
    assert.equal(row.bufferedBytes, null, 'its fill cannot be known without its lock');
    assert.deepEqual(row.errors?.map((e) => e.code), ['EBUSY', 'EBUSY'], 'and the snapshot says why');
    // its task, stuck for good, holds none of the command's fds: whoever reads its output sees the end of it
    const ended = await new Promise<boolean>((resolve) => {
      const c = spawn(process.execPath, [cli, 'snapshot', '--kind', 'pipe'], { env: { ...process.env, IPC_INSPECTOR_WALK: 'proc' }, stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout.resume();
      c.stderr.resume();
      const timer = setTimeout(() => resolve(false), HUNG_MS);
      c.on('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    assert.ok(ended, `the command's output never ended in ${HUNG_MS} ms: something still held its stdout`);
    // 2. a peek: an error in time, and an exit
    const peekRun = await runNode([cli, 'peek', id], { ...process.env, IPC_INSPECTOR_WALK: 'proc' });
    assert.equal(peekRun.hung, false, `the peek command did not exit in ${HUNG_MS} ms`);
    assert.notEqual(peekRun.status, 0);
    assert.match(peekRun.stderr, /ETIMEDOUT|pipe lock/, peekRun.stderr);
    // 3. in this process (as the extension's scan service): scans go on, and a wedged pipe costs one stuck task, not one per scan
    const stuckTasks = () => fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
      try {
        const st = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        return Number(f[1]) === process.pid && f[0] === 'D';
      } catch {
        return false;
      }
    }).map(Number);
    const ourStuck = () => stuckTasks().length;
    for (let i = 0; i < 3; i++) {
      const snap = await takeSnapshot({ kinds: ['pipe'], walk: 'proc' });
      const ch = snap.channels.find((c) => c.id === id) as Extract<Channel, { kind: 'pipe' }> | undefined;
      assert.ok(ch, 'listed while wedged');
      assert.equal(ch.bufferedBytes, null);
      // the stuck task shares our fd table: our fds are not listed again under its pid
      const tasks = stuckTasks();
      assert.deepEqual(snap.channels.filter((c) => c.endpoints.some((e) => tasks.includes(e.pid))).map((c) => c.id), [], `fds listed under our task ${tasks.join()}`);
    }
    // (a task a loaded machine made slow is given up too, and leaves after the item it is on)
    const where = (pid: number) => `${pid} ${fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()} in ${fs.readFileSync(`/proc/${pid}/wchan`, 'utf8')}`;
    for (const end = Date.now() + 10_000; ourStuck() > 1 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
    assert.equal(ourStuck(), 1, `one task left stuck on the wedged pipe, after three scans: ${stuckTasks().map(where).join(', ')}`);
    // the lock comes free: the stuck task returns and is reaped, and the pipe is measured again (the splice moved its bytes on)
    a.send('drain');
    assert.equal(await a.next('drained'), 'drained');
    let buffered: number | null | undefined;
    for (const end = Date.now() + 20_000; buffered !== 0 && Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      const snap = await takeSnapshot({ kinds: ['pipe'], walk: 'proc' });
      buffered = (snap.channels.find((c) => c.id === id) as Extract<Channel, { kind: 'pipe' }> | undefined)?.bufferedBytes;
    }
    assert.equal(buffered, 0, 'the pipe measured again once its lock was free');
    for (const end = Date.now() + 10_000; ourStuck() > 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
    assert.equal(ourStuck(), 0, 'the task was reaped');
  });

  it('finding 4: a FIFO whose only holder writes is never opened by a scan or a peek (a writer blocked in open() stays blocked)', { skip: skipNative }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-fifo-'));
    fs.chmodSync(dir, 0o755);
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const fifo = path.join(dir, 'f');
    execFileSync('mkfifo', ['-m', '0666', fifo]);
    const holder = runAttacker(tools, ['fifo-writer', fifo]);
    attackers.push(holder);
    const h = JSON.parse(await holder.next('the write-only holder')) as { pid: number; fd: number; inode: number };
    const writer = runAttacker(tools, ['open-writer', fifo]);
    attackers.push(writer);
    const w = JSON.parse(await writer.next('the blocked writer')) as { pid: number };
    const blocked = () => fs.readFileSync(`/proc/${w.pid}/wchan`, 'utf8') === 'wait_for_partner' && threadStates(w.pid)[0] === 'S';
    await waitFor(blocked, 'the writer to block in open()');
    const snap = await takeSnapshot({ kinds: ['fifo'] });
    const ch = snap.channels.find((c) => c.kind === 'fifo' && c.inode === h.inode)!;
    assert.ok(ch, 'the scan lists the FIFO');
    assert.deepEqual(ch.endpoints, [{ pid: h.pid, fd: h.fd, mode: 'w' }]);
    const { bufferedBytes, capacity } = ch as { bufferedBytes: number | null; capacity: number | null };
    if (snap.capabilities.walk?.backend === 'bpf-iter') {
      // read from the kernel's pipe state by the iterator, which opens nothing
      assert.deepEqual([bufferedBytes, capacity], [0, 65536], 'bpf-iter: measured without opening the FIFO');
    } else {
      assert.deepEqual([bufferedBytes, capacity], [null, null], `${snap.capabilities.walk?.backend}: not measured: there is no read end to measure through`);
    }
    assert.ok(blocked(), `${snap.capabilities.walk?.backend}: the scan made no reader appear`);
    await assert.rejects(peekChannel(ch, snap.processes), (e: { code?: string; message?: string }) => {
      assert.equal(e.code, 'ENOTSUP');
      assert.match(e.message ?? '', /no process holds its read end/);
      return true;
    });
    assert.ok(blocked(), 'the peek made no reader appear: the writer is still waiting for one');
  });

  it('finding 4: the walk opens listed fds only as O_PATH handles and reopens the checked inode through /proc/self/fd (strace)', { skip: skipNative || (has('strace') ? false : 'strace is not installed') }, async () => {
    const a = runAttacker(tools, ['pipe']);
    attackers.push(a);
    const p = JSON.parse(await a.next('the pipe')) as { pid: number; fd: number; inode: number };
    const out = path.join(tools.dir, 'strace.out');
    const script = `require(process.env.ADDON).walkProc({ procRoot: '/proc', threads: 2, pids: [${p.pid}], ...${JSON.stringify(walkRulesFor(['pipe']))}, readTimers: false, readLinks: false }).then((w) => { const i = Array.from(w.fds.fd).indexOf(${p.fd}); console.log(JSON.stringify({ buffered: w.fds.buffered[i] })); });`;
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=open,openat,openat2', '-o', out, process.execPath, '-e', script], {
      env: { ...process.env, ADDON: loadNative().path! }, encoding: 'utf8', timeout: HUNG_MS,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { buffered: 14 }, 'the pipe was measured');
    const calls = fs.readFileSync(out, 'utf8').split('\n');
    // the walk's own /proc/self/fd directory: reopens are openat(SELF, "H", …) of a handle H
    const selfDirs = new Set(calls.map((l) => /openat\(AT_FDCWD, "\/proc\/self\/fd", [^)]*\) = (\d+)/.exec(l)?.[1]).filter((x) => x !== undefined));
    const rel = calls.map((l) => /openat\((\d+), "(\d+|\d+\/fd\/\d+)", ([^)]*)\)/.exec(l)).filter((m): m is RegExpExecArray => m !== null && !/O_DIRECTORY/.test(m[3]));
    // openat(FDDIR, "N", …) or, in the task that measures pipes, openat(PROC, "PID/fd/N", …): an fd link
    const fdLinks = rel.filter((m) => !selfDirs.has(m[1]));
    const reopens = rel.filter((m) => selfDirs.has(m[1]));
    assert.ok(fdLinks.length > 0, 'the fd link was opened (as a handle)');
    for (const m of fdLinks) assert.match(m[3], /O_PATH/, `an fd link opened for real: ${m[0]}`);
    assert.ok(reopens.some((m) => /O_RDONLY/.test(m[3]) && /O_NONBLOCK/.test(m[3])), 'the checked inode was reopened through /proc/self/fd');
    assert.ok(!calls.some((l) => new RegExp(`"/proc/${p.pid}/fd/\\d+", O_RDONLY`).test(l)), 'never by its /proc/PID/fd path');
  });

  it('finding 5: the process view of the inspector is read in a snapshot worker (processOnly: that pid alone, no channels)', async () => {
    const svc = new SnapshotService({ pids: [process.pid], processes: 'all', processOnly: true });
    try {
      assert.equal(svc.usingWorker, true, svc.fallbackReason ?? '');
      const { snapshot } = await svc.next();
      assert.deepEqual(snapshot.processes.map((p) => p.pid), [process.pid]);
      assert.deepEqual(snapshot.channels, []);
    } finally {
      svc.dispose();
    }
  });
});
