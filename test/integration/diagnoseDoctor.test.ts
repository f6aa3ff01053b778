// `ipc-inspector doctor` (the real CLI) and the diagnosis in the snapshot worker, on real objects:
// doctor exits 1 and names a wait cycle between two deadlocked fixture processes, exits 0 for a
// healthy one (--pid), lists the --pid process's problem even when a hundred newer ones of its rule
// fill the per-rule cap, prints hostile process names escaped, and rejects bad options with exit 2;
// names a sender asleep in msgsnd on a full SysV queue (run as root, and as nobody about its own);
// SnapshotService({ diagnose: true }) brings the problems from its worker thread with the diff.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { Diagnosis } from '../../src/core/diagnose';
import { escapeControl } from '../../src/core/format';
import { loadNative } from '../../src/core/native';
import { SnapshotService } from '../../src/core/snapshotService';
import { EMPTY_FILTER } from '../../src/core/filter';
import { cannotActAsNobody, NOBODY, runAsNobody, stageForOtherUsers } from '../harness/otherUser';
import { cliNotBuilt, ROOT, runCli } from './cliRunner';
import { perl, stopHelpers, waitIgnoresTerm } from './diagnoseUtil';

const noNative = loadNative().addon ? false : `native addon not loaded (${loadNative().error}): pipe fill levels are unknown`;

const doctor = (args: string[]) => runCli(['doctor', ...args], { timeout: 300000 });

const made: Fixture[] = [];
async function fixture(kind: string, opts: Parameters<typeof makeFixture>[1] = {}): Promise<Fixture> {
  const f = await makeFixture(kind, opts);
  made.push(f);
  return f;
}
after(async () => {
  await stopHelpers();
  await closeAll(made);
});

/** Yama's ptrace_scope 1 or more keeps a user from reading the syscall of a process it did not start (PTRACE_MODE_ATTACH). */
const noPtraceRead = (() => {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8')) > 0 ? 'Yama ptrace_scope > 0: a user cannot read the syscall of a process it did not start' : false;
  } catch {
    return false;
  }
})();


const pidArgs = (pids: number[]) => pids.flatMap((p) => ['--pid', String(p)]);

/**
 * For a failure message: what the kernel says of `procs` now (each thread's state and syscall) and
 * what a snapshot of them reads of the pipes `inodes` (holders included), so a miss tells which
 * fact was absent (CI once saw one blocked writer and no cycle, and did not say why).
 */
function pipeState(procs: [name: string, pid: number][], inodes: number[], head: string): string {
  const read = (p: string) => {
    try {
      return fs.readFileSync(p, 'utf8').trim();
    } catch (e) {
      return (e as NodeJS.ErrnoException).code ?? String(e);
    }
  };
  const lines = [head];
  for (const [name, pid] of procs) {
    let tids: string[] = [];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch (e) {
      lines.push(`${name} ${pid}: ${(e as NodeJS.ErrnoException).code}`);
    }
    for (const t of tids) {
      const stat = read(`/proc/${pid}/task/${t}/stat`);
      lines.push(`${name} ${pid} thread ${t}: state ${stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)}, syscall ${read(`/proc/${pid}/task/${t}/syscall`)}`);
    }
  }
  const snap = runCli(['snapshot', '--json', '--kind', 'pipe', ...pidArgs(procs.map(([, pid]) => pid))], { timeout: 60000 });
  try {
    const s = JSON.parse(snap.stdout) as { channels: { id: string; bufferedBytes?: number | null; capacity?: number | null; endpoints: unknown[] }[] };
    for (const c of s.channels) if (inodes.some((i) => c.id === `pipe:${i}`)) lines.push(`${c.id}: buffered ${c.bufferedBytes}, capacity ${c.capacity}, endpoints ${JSON.stringify(c.endpoints)}`);
  } catch {
    lines.push(`snapshot: exit ${snap.code}, ${snap.stderr.slice(0, 500)}`);
  }
  return lines.join('\n');
}

function deadlockState(f: Fixture): string {
  const { a, b, abInode, baInode } = f.info as { a: { pid: number }; b: { pid: number }; abInode: number; baInode: number };
  return pipeState([['a', a.pid], ['b', b.pid]], [abInode, baInode], `pipes: ab ${abInode} (a writes), ba ${baInode} (b writes)`);
}

describe('ipc-inspector doctor', { skip: cliNotBuilt || noNative }, () => {
  test('a deadlock: exit 1, the wait cycle as JSON with both processes and the chain', async () => {
    const f = await fixture('pipe-deadlock');
    const { a, b } = f.info;
    const r = doctor(['--json', '--samples', '3', '--interval', '200', ...pidArgs([a.pid, b.pid])]);
    assert.equal(r.code, 1, r.stderr);
    const d = JSON.parse(r.stdout) as Diagnosis & { version: number };
    assert.equal(d.version, 1);
    const cyc = d.problems.find((p) => p.rule === 'wait-cycle');
    // (the state is read only on a miss: it costs a snapshot)
    if (!cyc) assert.fail(`no wait-cycle in ${d.problems.map((p) => p.id).join(', ')}; notes: ${d.notes.join('; ')}; evidence ms ${JSON.stringify(d.evidencePhasesMs)}\n${deadlockState(f)}`);
    assert.equal(cyc.severity, 'error');
    assert.deepEqual([...cyc.pids].sort(), [a.pid, b.pid].sort());
    assert.equal(cyc.chain!.length, 5);
    for (const p of d.problems) assert.ok(p.pids.some((x) => x === a.pid || x === b.pid), `--pid filter let ${p.id} through`);
    assert.equal(d.counts.error, d.problems.filter((p) => p.severity === 'error').length);
  });

  test('--pid naming no process: said on stderr, exit 1 (as snapshot --pid and lsof -p)', () => {
    const gone = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')); // never a pid
    const r = doctor(['--samples', '1', '--pid', String(gone)]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`^warning: no process ${gone}$`, 'm'));
  });

  test('what a short run cannot see is said in its notes: a zombie younger in the run than the zombie rule waits for, leftover POSIX queues without /dev/mqueue', async () => {
    // a parent that never reaps its child
    const kid = spawn('python3', ['-c', 'import os,sys,time\npid=os.fork()\nif pid==0: os._exit(3)\nprint(pid,flush=True)\ntime.sleep(600)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const zombie = Number((await new Promise<string>((r) => kid.stdout!.once('data', (d: Buffer) => r(d.toString())))).trim());
      for (let i = 0; i < 100 && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${zombie}/status`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 20));
      const t0 = Date.now();
      const r = doctor(['--json', '--samples', '2', '--interval', '100', '--pid', String(zombie)]);
      const took = Date.now() - t0;
      const d = JSON.parse(r.stdout) as Diagnosis;
      // (a loaded machine may stretch the run past the rule's 5 s: then it may be reported)
      if (took < 5000) {
        assert.ok(!d.problems.some((p) => p.pids.includes(zombie)), 'not reported yet: the run is shorter than the rule waits');
        assert.ok(d.notes.some((n) => /^1 zombie process seen, not reported: a zombie is reported once it lasted 5 s across the samples/.test(n)), d.notes.join('; '));
      }
      const mqueue = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[2] === 'mqueue');
      assert.equal(d.notes.some((n) => n.startsWith('POSIX message queues nobody holds open were not looked for')), !mqueue, d.notes.join('; '));
    } finally {
      kid.kill('SIGKILL');
    }
  });

  test('a healthy process: exit 0 and "no problems found"', async () => {
    const f = await fixture('socketpair', { bytes: 2 });
    const r = doctor(['--samples', '2', '--interval', '100', ...pidArgs(f.pids)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ipc-inspector doctor: error 0, warning 0, info 0 \(2 snapshots\)/);
    assert.match(r.stdout, /no problems found/);
  });

  test('hostile process names are printed escaped, one problem title per line', async () => {
    const comm = 'ev\n<b>\u202e';
    const f = await fixture('blocked-pipe', { capacity: 4096, comm });
    const r = doctor(['--samples', '3', '--interval', '200', ...pidArgs(f.pids)]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const title = r.stdout.split('\n').find((l) => l.startsWith('WARNING blocked-writer'));
    const { writer, reader, inode } = f.info as { writer: { pid: number }; reader: { pid: number }; inode: number };
    // (the state is read only on a miss: it costs a snapshot)
    if (!title) assert.fail(`no blocked writer:\n${r.stdout}\n${pipeState([['writer', writer.pid], ['reader', reader.pid]], [inode], `pipe ${inode}`)}`);
    assert.ok(title.includes(escapeControl(f.info.comm)), title);
    // what is wrong first, then the object; the whole sentence on the next line, escaped too
    assert.ok(title.startsWith('WARNING blocked-writer  writer blocked: pipe full — '), title);
    const sentence = r.stdout.split('\n')[r.stdout.split('\n').indexOf(title) + 1];
    assert.match(sentence, /^ {2}title \S+ blocked writing to pipe:\[\d+\]: /);
    assert.ok(sentence.includes(escapeControl(f.info.comm)), sentence);
    assert.ok(!r.stdout.includes(f.info.comm), 'raw comm printed');
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/.test(r.stdout), 'control characters printed');
    assert.match(r.stdout, /^ {2}what {2}/m);
    assert.match(r.stdout, /^ {2}chain /m);
    assert.match(r.stdout, /^ {4}peek {4}Peek at pipe:\[\d+\] \(does not consume\)$/m);
  });

  test('a sender asleep in msgsnd on a full SysV queue nobody ever received from: a blocked-writer warning, in text and --json', async () => {
    // the shape of `hostile8 sysv` (pass 8, item 3): the fixture filled the queue, its child sleeps
    // sending one more message and holds no channel, msg_lrpid is 0
    const f = await fixture('blocked-msgsnd');
    const i = f.info;
    const id = `sysv-msg:${i.msqid}`;
    const title = `${i.comm}[${i.sender}] blocked writing to SysV message queue msqid ${i.msqid} (private): nobody has ever received from it`;
    const text = doctor(['--samples', '3', '--interval', '200']);
    assert.equal(text.code, 1, text.stderr);
    const lines = text.stdout.split('\n');
    // headed by what is wrong, then the object (the writer and its queue); the sentence below
    const at = lines.indexOf(`WARNING blocked-writer  writer blocked: queue full — ${i.comm}[${i.sender}] → SysV message queue msqid ${i.msqid} (private)`);
    assert.ok(at >= 0, text.stdout);
    assert.equal(lines[at + 1], `  title ${title}`);
    const block = lines.slice(at, lines.indexOf('', at)).join('\n');
    // byte counts in the one spelling of sizes: digits grouped, as ss and lsof count
    const grouped = (n: number): string => n.toLocaleString('en-US');
    assert.match(block, new RegExp(`^ {4}queue +${i.messages} messages, ${grouped(i.bytes)} of ${grouped(i.maxBytes)} bytes`, 'm'));
    assert.match(block, /^ {4}last receive +never \(pid 0\)/m);
    assert.match(block, new RegExp(`^ {4}last send +\\S+\\[${f.pid}\\] at `, 'm'));
    assert.match(block, new RegExp(`^ {4}writer +\\S+\\[${i.sender}\\] thread ${i.sender} sleeps in msgsnd\\(msqid ${i.msqid}\\).*\\(/proc/${i.sender}/task/${i.sender}/syscall\\)$`, 'm'));
    const r = doctor(['--json', '--samples', '3', '--interval', '200', '--pid', String(i.sender)]);
    assert.equal(r.code, 1, r.stderr);
    const d = JSON.parse(r.stdout) as Diagnosis;
    const p = d.problems.find((x) => x.id === `blocked-writer:${id}`);
    assert.ok(p, `no blocked-writer for ${id} in ${d.problems.map((x) => x.id).join(', ')}; notes: ${d.notes.join('; ')}`);
    assert.equal(p.severity, 'warning');
    assert.equal(p.title, title);
    assert.equal(p.trouble, 'writer blocked: queue full');
    assert.equal(p.subject, `${i.comm}[${i.sender}] → SysV message queue msqid ${i.msqid} (private)`);
    assert.deepEqual(p.pids, [i.sender]);
    assert.deepEqual(p.channels, [id]);
    assert.deepEqual(p.evidence.map((e) => e.label), ['queue', 'last receive', 'last send', 'unchanged', 'writer']);
  });

  test('as another user (nobody): its own sender asleep in msgsnd on its own full queue is found', { skip: cannotActAsNobody() || noPtraceRead }, async () => {
    const cli = path.join(ROOT, 'dist', 'cli.js');
    const addon = loadNative().path;
    const staged = stageForOtherUsers([[cli, 'dist/cli.js'], ...(addon ? [[addon, 'native/build/Release/ipc_inspector.node'] as [string, string]] : [])]);
    // nobody fills a queue of its own and forks a child that sleeps sending one more message (its
    // stdio on /dev/null: it holds no channel); the queue is removed when stdin closes
    const h = await perl(
      `use IPC::SysV qw(IPC_PRIVATE IPC_CREAT IPC_NOWAIT IPC_RMID);
       my $id = msgget(IPC_PRIVATE, IPC_CREAT | 0600) // die "msgget: $!";
       my $m = pack("l! a*", 1, "x" x 1024);
       1 while msgsnd($id, $m, IPC_NOWAIT);
       my $kid = fork // die "fork: $!";
       if (!$kid) { open STDIN, '<', '/dev/null'; open STDOUT, '>', '/dev/null'; open STDERR, '>', '/dev/null'; msgsnd($id, $m, 0); POSIX::_exit(0) }
       for (1 .. 10000) { open my $w, '<', "/proc/$kid/wchan" or last; my $t = <$w> // ''; last if $t =~ /msgsnd/; select undef, undef, undef, 0.001 }
       $| = 1; print "READY $id $kid\n"; 1 while <STDIN>;
       msgctl($id, IPC_RMID, 0); kill 'KILL', $kid; waitpid $kid, 0;`,
      [],
      { ...NOBODY, cwd: '/' },
    );
    const [msqid, kid] = h.ready.map(Number);
    try {
      const env = { LANG: 'C.UTF-8', IPC_INSPECTOR_NATIVE: addon ? staged.path('native/build/Release/ipc_inspector.node') : '' };
      const r = runAsNobody(process.execPath, [staged.path('dist/cli.js'), 'doctor', '--json', '--samples', '3', '--interval', '200', '--pid', String(kid)], { env, timeoutMs: 300000 });
      const d = JSON.parse(r.stdout) as Diagnosis;
      const p = d.problems.find((x) => x.id === `blocked-writer:sysv-msg:${msqid}`);
      assert.ok(p, `not found as nobody: ${d.problems.map((x) => x.id).join(', ')}; notes: ${d.notes.join('; ')}; stderr ${r.stderr}`);
      assert.equal(r.status, 1);
      assert.match(p.title, new RegExp(`^perl\\[${kid}\\] blocked writing to SysV message queue msqid ${msqid} \\(private\\): nobody has ever received from it$`));
    } finally {
      await h.stop();
      staged.remove();
    }
    assert.ok(!fs.readFileSync('/proc/sysvipc/msg', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1] === String(msqid)), `msqid ${msqid} left behind`);
  });

  test('--pid: the process asked about is listed even when a hundred newer problems of its rule come first', async () => {
    const kids: ChildProcess[] = [];
    try {
      const target = await oldestOfMany(kids);
      const r = doctor(['--json', '--samples', '1', '--pid', String(target.pid)]);
      const d = JSON.parse(r.stdout) as Diagnosis;
      const mine = d.problems.filter((p) => p.rule === 'signal-trouble' && p.pids.includes(target.pid!));
      assert.equal(mine.length, 1, `target's problem missing; problems: ${d.problems.map((p) => p.id).join(', ')}; notes: ${d.notes.join('; ')}`);
      assert.match(mine[0].title, /ignores SIGTERM/);
      // the notes count what --pid would have listed, not other processes' problems
      assert.ok(!d.notes.some((n) => /^signal-trouble: \d+ more/.test(n)), d.notes.join('; '));
    } finally {
      for (const k of kids) k.kill('SIGKILL');
    }
  });

  for (const [what, args, re] of [
    ['samples 0', ['--samples', '0'], /--samples must be an integer from 1 to 100/],
    ['unknown option', ['--bogus'], /unknown option --bogus/],
    ['bad pid', ['--pid', 'x'], /invalid pid x/],
  ] as const) {
    test(`usage error (${what}): exit 2, one line on stderr`, () => {
      const r = doctor([...args]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
    });
  }

  test('--help names every rule family and the exit status', () => {
    const r = doctor(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /wait cycles/);
    assert.match(r.stdout, /Exit status: 1 when a problem at warning level or above/);
  });
});

describe('SnapshotService({ diagnose: true })', { skip: noNative }, () => {
  // A worker thread tracks the fds it opened with fs, and fs.closeSync of one it did not (the
  // addon's lookupNoFollow handles, closed by the socket-file scan) printed a Node warning per
  // directory and refresh: 1,454 lines in this file's run, into the extension host's log.
  test('the worker prints no Node warning while it refreshes with the diagnosis (a socket file to scan)', async () => {
    await fixture('unix-stream');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'serviceChild.js'), '4'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { usingWorker: boolean; refreshes: number; diagnoses: number };
    assert.deepEqual(out, { usingWorker: true, refreshes: 4, diagnoses: 4 });
    const warnings = r.stderr.split('\n').filter((l) => /\(node:\d+\) \w*Warning/.test(l));
    assert.deepEqual(warnings.slice(0, 5), [], `${warnings.length} warning line(s)`);
  });

  test('the worker sends each snapshot\'s diagnosis with its diff', async () => {
    const f = await fixture('blocked-pipe', { capacity: 4096 });
    const svc = new SnapshotService({ diagnose: true });
    try {
      assert.equal(svc.usingWorker, true, svc.fallbackReason ?? '');
      let found = false;
      for (let i = 0; i < 40 && !found; i++) {
        const r = await svc.next();
        assert.ok(r.diagnosis, 'no diagnosis with the diff');
        assert.equal(r.diagnosis.takenAt, r.snapshot.takenAt);
        found = r.diagnosis.problems.some((p) => p.id === `blocked-writer:pipe:${f.info.inode}`);
      }
      assert.ok(found, 'the blocked writer never came through the worker');
    } finally {
      svc.dispose();
    }
    const plain = new SnapshotService({});
    try {
      assert.equal((await plain.next()).diagnosis, undefined, 'no diagnosis unless asked for');
    } finally {
      plain.dispose();
    }
  });

  test('views narrowed to one process: the worker lists its problem although a hundred newer ones of its rule come first', async () => {
    // as doctor --pid above, through the worker's 'narrow' message (the Problems view's filter)
    const kids: ChildProcess[] = [];
    const svc = new SnapshotService({ diagnose: true });
    try {
      const target = await oldestOfMany(kids);
      const mine = (d: Diagnosis | undefined) => (d?.problems ?? []).filter((p) => p.rule === 'signal-trouble' && p.pids.includes(target.pid!));
      const all = await svc.next();
      assert.equal(mine(all.diagnosis).length, 0, 'unnarrowed, the oldest is past the cap of 100');
      svc.setDiagnosisNarrowing({ ...EMPTY_FILTER, scopePid: target.pid! });
      const narrowed = await svc.next();
      assert.equal(mine(narrowed.diagnosis).length, 1, `narrowed: ${narrowed.diagnosis?.problems.map((p) => p.id).join(', ')}`);
      assert.ok(narrowed.diagnosis!.problems.every((p) => p.pids.includes(target.pid!) || p.pids.length === 0), 'nothing the narrowed view does not show');
    } finally {
      svc.dispose();
      for (const k of kids) k.kill('SIGKILL');
    }
  });
});

/**
 * A target and, started after it, 101 more processes, each ignoring SIGTERM (the shell's trap is
 * inherited across exec) and holding the read end of its stdin pipe: signal-trouble's 'ignores
 * SIGTERM' (info) for each. The target is the oldest, so machine-wide it sorts after the 101 others
 * and past the per-rule cap of 100. Every process is pushed to `kids` (the caller kills them).
 */
async function oldestOfMany(kids: ChildProcess[]): Promise<ChildProcess> {
  const spawnIgnoring = () => spawn('sh', ['-c', 'trap "" TERM; exec sleep 600'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const target = spawnIgnoring();
  kids.push(target);
  await waitIgnoresTerm(target.pid!);
  await new Promise((r) => setTimeout(r, 100)); // a later start time (clock ticks) for the others
  for (let i = 0; i < 101; i++) kids.push(spawnIgnoring());
  for (const k of kids) await waitIgnoresTerm(k.pid!);
  return target;
}
