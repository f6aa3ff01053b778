// The diagnosis layer's pure parts on hand-made snapshots and evidence: the syscall and mount
// parsers, healthy shapes of real services (PostgreSQL, nginx) that must raise nothing, the wait
// graph's cycles, the wchan scan for sleepers and rule 1's blocked senders on SysV queues (by
// namespace, stood still or not), the semaphore classification, signal-history rules, port-clash reachability,
// escaping of hostile names in problem text, and the Diagnoser's bookkeeping (stable ids and
// `since`, a failing rule reported as a note). Last: every problem the tests made leads with its
// rule's trouble, in the Problems view's row and the CLI's headline.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EMPTY_FILTER } from '../../src/core/filter';
import { Diagnoser, headline, MAX_PROBLEMS_PER_RULE, RULE_IDS, RULES, runRules, TROUBLES, troublesOf, type Problem, type ProblemDraft, type RuleId } from '../../src/core/diagnose';
import { problemRow } from '../../src/problems/problemRow';
import { plural, shortText } from '../../src/core/text';
import { waitGraph } from '../../src/core/diagnose/blocking';
import { emptyEvidence, gatherEvidence, readLiveness, readThreads, type Evidence, type ProcessFacts } from '../../src/core/diagnose/evidence';
import { parseMountInfo } from '../../src/core/diagnose/paths';
import { activity, procLabel, type HistoryEntry, type Rule } from '../../src/core/diagnose/rule';
import { SnapshotIndex } from '../../src/core/diagnose/snapshotIndex';
import { findSleepers, sleepersNote } from '../../src/core/diagnose/sleepers';
import { queueStamp, scanRound, sendMayBlock } from '../../src/core/diagnose/sysvSenders';
import { DiagnosisReceiver, diagnosisHook, type DiagnosisDelta } from '../../src/core/diagnose/workerHook';
import { describeSyscall, parseSyscall } from '../../src/core/diagnose/syscalls';
import { sortChannels } from '../../src/core/diff';
import type { Channel, PacketChannel, ProcessInfo, Snapshot, SysvMsgChannel } from '../../src/core/model';
import { SOCKETS_UNASKED } from '../../src/core/probes/hiddenNetns';
import { MAPS_CUT } from '../../src/core/snapshotWarnings';

// Every problem a rule makes in the tests below, by rule: the last test checks how each one's row
// reads (the rules' own objects are wrapped, so rules run directly and through runRules count).
const made = new Map<RuleId, ProblemDraft[]>();
for (const r of RULES) {
  const run = r.run.bind(r);
  r.run = (input) => {
    const out = run(input);
    for (const d of out) made.set(d.rule, [...(made.get(d.rule) ?? []), d]);
    return out;
  };
}

// ------------------------------------------------------------------ builders

function proc(pid: number, o: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid, ppid: 1, comm: `p${pid}`, cmdline: [], uid: 0, user: 'root', startTime: 1000 + pid, state: 'S', tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null },
    timers: [], threads: 1, cwd: null, exe: `/usr/bin/p${pid}`, ...o,
  };
}

function snap(processes: ProcessInfo[], channels: Channel[], at: number, o: Partial<Snapshot> = {}): Snapshot {
  return {
    version: 1, takenAt: new Date(at).toISOString(), durationMs: 1, host: { kernel: 'test', hostname: 'test' },
    capabilities: { native: true, mqueueMounted: true, sockDiag: true, msgCopy: true, pidfd: true, root: true, euid: 0, ptraceScope: 1, threads: 2 },
    warnings: [], processes, channels: sortChannels([...channels]), ...o,
  };
}

const pipe = (inode: number, endpoints: Channel['endpoints'], buffered = 0, capacity = 65536): Channel => ({ id: `pipe:${inode}`, kind: 'pipe', inode, endpoints, bufferedBytes: buffered, capacity });

/** Runs the given rules over `snaps` (oldest first) with empty evidence, history carried along; the last run's problems. */
function runOver(snaps: Snapshot[], rules: readonly Rule[] = RULES, evidence: (s: Snapshot) => Evidence = () => emptyEvidence()): Problem[] {
  const histories = new Map<string, HistoryEntry<unknown>[]>();
  let last: Problem[] = [];
  for (const s of snaps) {
    const index = new SnapshotIndex(s);
    const now = Date.parse(s.takenAt);
    const r = runRules(rules, { snapshot: s, index, now }, evidence(s), histories as never);
    assert.deepEqual(r.notes, []);
    for (const [id, memo] of r.memos) {
      const h = histories.get(id) ?? [];
      h.push({ at: now, memo });
      histories.set(id, h);
    }
    last = r.drafts.map((d) => ({ ...d, since: d.since ?? s.takenAt }));
  }
  return last;
}

const T0 = Date.parse('2026-11-30T10:00:00Z');
const times = (n: number, gap = 1000) => Array.from({ length: n }, (_, i) => T0 + i * gap);

// ------------------------------------------------------------------ parsers

describe('syscall parsing', () => {
  test('running, user space, a write on fd 5, a semop, an unknown call, garbage', () => {
    assert.deepEqual(parseSyscall('running\n', 'x64'), { kind: 'running' });
    assert.deepEqual(parseSyscall('-1 0x7ffc 0x7f00\n', 'x64'), { kind: 'user' });
    const w = parseSyscall('1 0x5 0x7f3a2c001000 0x11000 0x0 0x0 0x0 0x7ffd5b1c8a68 0x7f3a2c5b1e8d\n', 'x64');
    assert.equal(w.name, 'write');
    assert.equal(w.op, 'write');
    assert.equal(w.target, 5);
    assert.equal(describeSyscall(w), 'write(fd 5)');
    const sem = parseSyscall('65 0x8001 0x7ffc 0x1 0x0 0x0 0x0 0x7ffc 0x7f00', 'x64');
    assert.equal(describeSyscall(sem), 'semop(semid 32769)');
    assert.equal(parseSyscall('64 0x3 0x0 0x0 0 0 0 0 0', 'arm64').op, 'write');
    const ep = parseSyscall('232 0x4 0x7ffc 0x400 0xffffffffffffffff 0x0 0x0 0x7ffc 0x7f00', 'x64');
    assert.equal(ep.op, undefined);
    assert.equal(describeSyscall(ep), 'epoll_wait()');
    // an fd argument of -1 (printed as a 64-bit register) is no fd
    assert.equal(parseSyscall('1 0xffffffffffffffff 0x0 0x0 0 0 0 0 0', 'x64').target, undefined);
    assert.equal(parseSyscall('garbage', 'x64').kind, 'unknown');
    assert.equal(parseSyscall('1 zz 0x0 0x0', 'x64').kind, 'unknown');
    assert.equal(parseSyscall('1 0x5 0x0 0x0', 's390x').op, undefined, 'unknown architecture: names nothing');
  });

  test('mountinfo: escaped mount points and the type after the separator', () => {
    const m = parseMountInfo(
      '25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw\n' +
        '90 25 0:55 / /tmp/a\\040b rw,nosuid shared:5 - fuse.sshfs host:/ rw\n' +
        'garbage line\n',
    );
    assert.equal(m.types.get('/dev/shm'), 'tmpfs');
    assert.equal(m.types.get('/tmp/a b'), 'fuse.sshfs');
    assert.equal(m.types.size, 2);
  });
});

// ------------------------------------------------------------------ healthy shapes

describe('healthy services raise nothing', () => {
  test('PostgreSQL: postmaster-death pipe (8 readers, writer only in the postmaster), listeners, SysV interlock, DSM segments, backend connection', () => {
    const pm = 100;
    const kids = [101, 102, 103, 104, 105, 106];
    const procs = [proc(pm, { comm: 'postgres' }), ...kids.map((k) => proc(k, { ppid: pm, comm: 'postgres', exe: '/usr/lib/postgresql/15/bin/postgres' }))];
    procs[0].exe = '/usr/lib/postgresql/15/bin/postgres';
    procs[0].signals = { ...procs[0].signals, caught: ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGCHLD'], ignored: ['SIGPIPE'] };
    const chans: Channel[] = [
      pipe(900, [{ pid: pm, fd: 3, mode: 'r' }, { pid: pm, fd: 4, mode: 'w' }, ...kids.map((k) => ({ pid: k, fd: 3, mode: 'r' as const }))], 0),
      // the self-pipe every postgres process has (latch): both ends in one process
      ...[pm, ...kids].map((p, i) => pipe(950 + i, [{ pid: p, fd: 8, mode: 'r' }, { pid: p, fd: 9, mode: 'w' }], 0)),
      { id: 'unix:910', kind: 'unix', inode: 910, type: 'stream', path: '/var/run/postgresql/.s.PGSQL.5432', state: 'listen', endpoints: [{ pid: pm, fd: 6, mode: 'rw' }], recvQueue: 0, sendQueue: 244, netns: '1', boundInode: 5555, boundDev: '0:25' },
      { id: 'tcp:911', kind: 'tcp', family: 4, local: '127.0.0.1:5432', remote: '0.0.0.0:*', state: 'LISTEN', recvQueue: 0, sendQueue: 244, inode: 911, netns: '1', uid: 110, endpoints: [{ pid: pm, fd: 5, mode: 'rw' }] },
      { id: 'sysv-shm:31', kind: 'sysv-shm', key: 0x622e8, shmid: 31, size: 56, attachCount: 7, creatorPid: pm, lastPid: 106, uid: 110, owner: 'postgres', mode: '0600', destroyed: false, orphaned: false, endpoints: [pm, ...kids].map((p) => ({ pid: p, map: '7f00-7f01', mode: 'rw' as const })) },
      { id: 'posix-shm:PostgreSQL.2435199508', kind: 'posix-shm', name: 'PostgreSQL.2435199508', size: 26976, uid: 110, owner: 'postgres', mode: '0600', deleted: false, endpoints: [pm, ...kids].map((p) => ({ pid: p, map: '7f02-7f03', mode: 'rw' as const })) },
      { id: 'anon-shm:0:1:5595', kind: 'anon-shm', name: '/dev/zero', inode: 5595, dev: '0:1', size: 149520384, endpoints: [pm, ...kids].map((p) => ({ pid: p, map: '7e00-7f00', mode: 'rw' as const })) },
    ];
    const snaps = times(4).map((t) => snap(procs, chans, t));
    assert.deepEqual(runOver(snaps).map((p) => p.id), []);
    // the same shape once the postmaster died: its children keep the read end and see EOF
    const orphans = chans.map((c) => (c.id === 'pipe:900' ? { ...c, endpoints: c.endpoints.filter((e) => e.pid !== pm) } : c));
    const died = times(2).map((t) => snap(procs.slice(1), orphans, t));
    const [eof] = runOver(died);
    assert.deepEqual([eof.id], ['no-other-end:no-writer:pipe:900']);
    // what no fd table shows is said: an end in flight over a Unix socket (SCM_RIGHTS)
    assert.ok(eof.evidence.some((e) => e.label === 'unless' && /write end is in flight.*SCM_RIGHTS/.test(e.text)), JSON.stringify(eof.evidence));
    // the BPF walk's count of open ends settles it either way: no write end anywhere (EOF, said without an "unless")…
    const counted = (open: boolean) => times(2).map((t) => snap(procs.slice(1), orphans.map((c) => (c.id === 'pipe:900' ? { ...c, readEndOpen: true, writeEndOpen: open } : c)), t));
    const [closed] = runOver(counted(false));
    assert.match(closed.title, /and no writer: they read EOF$/);
    assert.equal(closed.evidence.find((e) => e.label === 'in the kernel')?.text, 'no open write end anywhere: none in flight, none in any fd table');
    assert.ok(!closed.evidence.some((e) => e.label === 'unless' || e.label === 'in flight'), JSON.stringify(closed.evidence));
    // …or a write end open outside every fd table: in flight (or the kernel's), so no EOF yet
    const [flying] = runOver(counted(true));
    assert.equal(flying.severity, 'info');
    assert.match(flying.title, /no writer in any fd table, but the kernel counts an open write end: it is in flight .*; they do not read EOF yet$/);
  });

  test('nginx: master and workers share the 0.0.0.0:80 and [::]:80 listeners (dual stack), socketpairs to each worker', () => {
    const master = proc(200, { comm: 'nginx', exe: '/usr/sbin/nginx' });
    const workers = [201, 202].map((w) => proc(w, { ppid: 200, comm: 'nginx', exe: '/usr/sbin/nginx', uid: 33, user: 'www-data' }));
    const holders = (fd: number) => [200, 201, 202].map((p) => ({ pid: p, fd, mode: 'rw' as const }));
    const chans: Channel[] = [
      { id: 'tcp:300', kind: 'tcp', family: 4, local: '0.0.0.0:80', remote: '0.0.0.0:*', state: 'LISTEN', recvQueue: 0, sendQueue: 511, inode: 300, netns: '1', uid: 0, endpoints: holders(6) },
      { id: 'tcp:301', kind: 'tcp', family: 6, local: '[::]:80', remote: '*:*', state: 'LISTEN', recvQueue: 0, sendQueue: 511, inode: 301, netns: '1', uid: 0, endpoints: holders(7) },
      ...[201, 202].flatMap((w, i): Channel[] => [
        { id: `unix:${400 + 2 * i}`, kind: 'unix', inode: 400 + 2 * i, type: 'stream', state: 'connected', peer: `unix:${401 + 2 * i}`, peerInode: 401 + 2 * i, endpoints: [{ pid: 200, fd: 10 + i, mode: 'rw' }], recvQueue: 0, sendQueue: 0, netns: '1' },
        { id: `unix:${401 + 2 * i}`, kind: 'unix', inode: 401 + 2 * i, type: 'stream', state: 'connected', peer: `unix:${400 + 2 * i}`, peerInode: 400 + 2 * i, endpoints: [{ pid: w, fd: 3, mode: 'rw' }], recvQueue: 0, sendQueue: 0, netns: '1' },
      ]),
    ];
    const snaps = times(4).map((t) => snap([master, ...workers], chans, t));
    assert.deepEqual(runOver(snaps).map((p) => p.id), []);
  });
});

// ------------------------------------------------------------------ wait graph

function facts(pid: number, threads: [number, string, string][]): ProcessFacts {
  return { pid, startTime: 1000 + pid, state: threads[0][1], comm: `p${pid}`, complete: true, threads: threads.map(([tid, state, sys]) => ({ tid, state, syscall: parseSyscall(sys, 'x64'), wchan: null })) };
}

describe('wait graph', () => {
  const a = proc(10);
  const b = proc(11);
  const ab = pipe(1, [{ pid: 10, fd: 4, mode: 'w' }, { pid: 11, fd: 3, mode: 'r' }], 65536);
  const ba = pipe(2, [{ pid: 11, fd: 6, mode: 'w' }, { pid: 10, fd: 5, mode: 'r' }], 65536);
  const s = snap([a, b], [ab, ba], T0);

  test('two writers each on the full pipe the other reads form one cycle', () => {
    const ev = emptyEvidence();
    ev.processes.set(10, facts(10, [[10, 'S', '1 0x4 0x0 0x11000 0 0 0 0 0']]));
    ev.processes.set(11, facts(11, [[11, 'S', '1 0x6 0x0 0x11000 0 0 0 0 0']]));
    const g = waitGraph(new SnapshotIndex(s), ev);
    assert.deepEqual([...g.stuck].sort(), [10, 11]);
    assert.equal(g.cycles.length, 1);
    assert.deepEqual(g.cycles[0].map((x) => [x.pid, x.channel.id]), [[10, 'pipe:1'], [11, 'pipe:2']]);
  });

  test('a second thread that runs, a reader of a pipe that has data, or an unread thread breaks it', () => {
    const idx = new SnapshotIndex(s);
    const run = (extra: ProcessFacts) => {
      const ev = emptyEvidence();
      ev.processes.set(10, extra);
      ev.processes.set(11, facts(11, [[11, 'S', '1 0x6 0x0 0x11000 0 0 0 0 0']]));
      return waitGraph(idx, ev);
    };
    assert.equal(run(facts(10, [[10, 'S', '1 0x4 0x0 0x11000 0 0 0 0 0'], [12, 'R', 'running']])).cycles.length, 0);
    assert.equal(run(facts(10, [[10, 'S', '0 0x5 0x0 0x1000 0 0 0 0 0']])).cycles.length, 0, 'a read on a pipe with data does not block');
    assert.equal(run({ ...facts(10, [[10, 'S', '1 0x4 0x0 0x11000 0 0 0 0 0']]), complete: false }).cycles.length, 0);
    assert.equal(run(facts(10, [[10, 'S', '232 0x4 0x0 0x1 0 0 0 0 0']])).cycles.length, 0, 'epoll_wait can end on its own');
  });

  /** Both asleep writing the full pipe the other reads. */
  const cycleEvidence = () => {
    const e = emptyEvidence();
    e.processes.set(10, facts(10, [[10, 'S', '1 0x4 0x0 0x11000 0 0 0 0 0']]));
    e.processes.set(11, facts(11, [[11, 'S', '1 0x6 0x0 0x11000 0 0 0 0 0']]));
    return e;
  };

  test('the rule raises the cycle only when it lasted two refreshes, as an error with the chain', () => {
    const ev = cycleEvidence;
    const cyc = RULES.filter((r) => r.id === 'wait-cycle');
    assert.equal(runOver([snap([a, b], [ab, ba], T0)], cyc, ev).length, 0);
    const [p] = runOver(times(2).map((t) => snap([a, b], [ab, ba], t)), cyc, ev);
    assert.equal(p.severity, 'error');
    assert.equal(p.chain!.map((n) => n.label).join(' → '), 'p10[10] → pipe:[1] → p11[11] → pipe:[2] → p10[10]');
  });

  test('a root process drawn into a ring with another user\'s is not offered a SIGTERM; a ring of root processes is', () => {
    const ev = cycleEvidence;
    const cyc = RULES.filter((r) => r.id === 'wait-cycle');
    const ended = (uids: [number, number]) => {
      const [p] = runOver(times(2).map((t) => snap([proc(10, { uid: uids[0] }), proc(11, { uid: uids[1] })], [ab, ba], t)), cyc, ev);
      return p.actions.filter((x) => x.kind === 'signal').map((x) => (x as { pid: number }).pid);
    };
    assert.deepEqual(ended([0, 65534]), [11], 'only the unprivileged side');
    assert.deepEqual(ended([65534, 0]), [10]);
    assert.deepEqual(ended([1000, 65534]), [10, 11], 'no root member: either side');
    assert.deepEqual(ended([0, 0]), [10, 11], 'only root members: either side');
    // a setuid-root program another user started (real uid theirs, effective root) counts as root
    const [p] = runOver(times(2).map((t) => snap([proc(10, { uid: 65534, euid: 0 }), proc(11, { uid: 65534 })], [ab, ba], t)), cyc, ev);
    assert.deepEqual(p.actions.filter((x) => x.kind === 'signal').map((x) => (x as { pid: number }).pid), [11]);
  });
});

// ------------------------------------------------------------------ blocked writer on a POSIX queue

describe('blocked writer: a sender asleep in mq_send on a full POSIX queue', () => {
  test('explained as a queue (not a socket), with the queue\'s counts', () => {
    const q: Channel = {
      id: 'posix-mq:m8full', kind: 'posix-mq', name: 'm8full', messages: 10, maxMessages: 10, messageSize: 64, bytes: 120, notifyPid: null,
      uid: 0, owner: 'root', mode: '0600', deleted: false, endpoints: [{ pid: 60, fd: 3, mode: 'w' }, { pid: 61, fd: 3, mode: 'r' }],
    };
    const ev = () => {
      const e = emptyEvidence();
      e.processes.set(60, facts(60, [[60, 'S', '242 0x3 0x7ffc 0x12 0x7 0 0 0 0']]));
      e.processes.set(61, facts(61, [[61, 'S', '34 0x0 0x0 0x0 0 0 0 0 0']]));
      return e;
    };
    const [p] = runOver(times(2).map((t) => snap([proc(60), proc(61)], [q], t)), RULES.filter((r) => r.id === 'blocked-writer'), ev);
    assert.equal(p.title, 'p60[60] blocked writing to POSIX message queue /m8full: p61[61] is not reading it');
    assert.match(p.explanation.what, /^A POSIX message queue holds at most mq_maxmsg messages \(10 here\)/);
    assert.doesNotMatch(`${p.explanation.what} ${p.explanation.why} ${p.explanation.next} ${p.explanation.fix}`, /socket/);
    assert.deepEqual(p.evidence.map((e) => [e.label, e.text]).slice(0, 2), [
      ['queue', '10 of 10 messages, 120 bytes (messages of 64 bytes at most)'],
      ['writer', 'p60[60] thread 60 sleeps in mq_timedsend(fd 3)'],
    ]);
  });
});

// ------------------------------------------------------------------ sleepers (wchan scan)

/** A single-threaded process `pid` in a captured /proc tree, asleep in `wchan` (its main thread's syscall file `syscall`). */
function procTask(root: string, pid: number, wchan: string, syscall: string): void {
  const dir = path.join(root, String(pid));
  fs.mkdirSync(path.join(dir, 'task', String(pid)), { recursive: true });
  fs.mkdirSync(path.join(dir, 'ns'));
  const stat = `${pid} (p${pid}) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0`;
  fs.writeFileSync(path.join(dir, 'stat'), stat);
  fs.writeFileSync(path.join(dir, 'wchan'), wchan);
  fs.writeFileSync(path.join(dir, 'task', String(pid), 'stat'), stat);
  fs.writeFileSync(path.join(dir, 'task', String(pid), 'wchan'), wchan);
  fs.writeFileSync(path.join(dir, 'task', String(pid), 'syscall'), syscall);
  fs.symlinkSync('ipc:[4026531839]', path.join(dir, 'ns', 'ipc'));
}

/** x86_64 msgsnd(5, …, 1024, 0) as /proc/PID/task/TID/syscall shows it. */
const MSGSND_5 = '69 0x5 0x7ffc 0x400 0x0 0x0 0x0 0x7ffc 0x7f00';

describe('processes asleep in a kernel function, by /proc/PID/wchan (sleepers.ts)', () => {
  test('in pid order, up to the limit, with their IPC namespace; cut short, the next scan goes on after the last pid read, and round', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-diag-wchan-'));
    try {
      procTask(root, 30, 'do_msgsnd', MSGSND_5);
      procTask(root, 31, 'pipe_write', '1 0x3 0x7ffc 0x10000 0x0 0x0 0x0 0x7ffc 0x7f00');
      procTask(root, 32, '0', 'running');
      procTask(root, 33, 'do_msgsnd', MSGSND_5);
      fs.mkdirSync(path.join(root, 'self'));
      const req = { in: (w: string) => w === 'do_msgsnd', what: 'processes asleep in msgsnd()', max: 1, budgetMs: 10000 };
      // the limit ends a scan too: the next one goes on after the last found
      const one = findSleepers(root, [req], () => false);
      assert.deepEqual([...one.found], [[30, { wchan: 'do_msgsnd', ipcns: '4026531839' }]]);
      assert.deepEqual([one.read, one.total, one.limited, one.next, one.ownIpcns], [1, 4, true, 30, null]);
      assert.equal(sleepersNote(one, false), 'processes asleep in msgsnd() looked for in 1 of 4 processes so far (the limit of 1 found a snapshot): the others at the next refresh');
      assert.notEqual(sleepersNote({ ...one, covered: true }, false), null, 'many sleepers in the way are news after a whole round too');
      const two = findSleepers(root, [{ ...req, after: 30, readBefore: 1 }], () => false);
      assert.deepEqual([[...two.found.keys()], two.read, two.limited, two.next], [[33], 3, false, undefined], 'the last of the round: no limit to say');
      // cut after two reads (the budget or the evidence deadline)
      let n = 0;
      const cut = findSleepers(root, [{ ...req, max: 9 }], () => n++ >= 2);
      assert.deepEqual([[...cut.found.keys()], cut.read, cut.next], [[30], 2, 31]);
      assert.equal(sleepersNote(cut, true), 'processes asleep in msgsnd() looked for in 2 of 4 processes so far (their wchan, 10000 ms a snapshot): the others not in this run');
      assert.match(sleepersNote(cut, false)!, /the others at the next refresh$/);
      assert.equal(sleepersNote({ ...cut, covered: true }, true), null, 'a round read every process before: no news');
      assert.deepEqual(scanRound(cut), { after: 31, read: 2, covered: false });
      n = 0;
      const more = findSleepers(root, [{ ...req, max: 9, after: cut.next, readBefore: 2 }], () => n++ >= 1);
      assert.deepEqual([[...more.found.keys()], more.read, more.next], [[], 1, 32]);
      assert.match(sleepersNote(more, true)!, / in 3 of 4 processes so far /);
      // the round ends where it began: 30 and 31 are not read again
      const rest = findSleepers(root, [{ ...req, max: 9, after: cut.next, readBefore: 2 }], () => false);
      assert.deepEqual([[...rest.found.keys()], rest.read, rest.next], [[33], 2, undefined]);
      assert.deepEqual(scanRound(rest), { read: 0, covered: true });
      // from after the highest pid, round to the lowest
      assert.deepEqual([...findSleepers(root, [{ ...req, max: 9, after: 33, readBefore: 1 }], () => false).found.keys()], [30]);
      assert.equal(sleepersNote(rest, false), null);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------ blocked senders on SysV queues

describe('blocked writer: sockets whose reader is a listener, or a full datagram receiver', () => {
  const rule = RULES.filter((r) => r.id === 'blocked-writer');
  /** pid sleeping in sendto(fd) (x86-64 syscall 44), in the given kernel function. */
  const sending = (pid: number, fd: number, wchan: string | null) => {
    const f = facts(pid, [[pid, 'S', `44 0x${fd.toString(16)} 0x7f00 0x100000 0 0 0 0x7ffd 0x7f00`]]);
    f.threads[0].wchan = wchan;
    return f;
  };
  const evidenceOf = (...list: ProcessFacts[]) => () => {
    const e = emptyEvidence();
    for (const f of list) e.processes.set(f.pid, f);
    return e;
  };
  const server = proc(50, { comm: 'server', state: 'T' });
  const client = proc(60, { comm: 'client' });

  test('TCP: a client whose connection waits in the accept queue of a stopped listener: the listener\'s holder has not accepted it', () => {
    const listener: Channel = { id: 'tcp:100', kind: 'tcp', family: 4, local: '127.0.0.1:5000', remote: '0.0.0.0:*', state: 'LISTEN', recvQueue: 1, sendQueue: 128, inode: 100, netns: '1', uid: 0, endpoints: [{ pid: 50, fd: 3, mode: 'rw' }] };
    const end: Channel = { id: 'tcp:1:127.0.0.1:5000->127.0.0.1:40000', kind: 'tcp', family: 4, local: '127.0.0.1:5000', remote: '127.0.0.1:40000', state: 'ESTAB', recvQueue: 130000, sendQueue: 0, inode: 0, netns: '1', uid: 0, endpoints: [], peer: 'tcp:101', acceptQueue: 'tcp:100' };
    const conn: Channel = { id: 'tcp:101', kind: 'tcp', family: 4, local: '127.0.0.1:40000', remote: '127.0.0.1:5000', state: 'ESTAB', recvQueue: 0, sendQueue: 3_000_000, inode: 101, netns: '1', uid: 0, endpoints: [{ pid: 60, fd: 4, mode: 'rw' }], peer: end.id };
    const snaps = times(2).map((t) => snap([server, client], [listener, end, conn], t));
    const [p, ...more] = runOver(snaps, rule, evidenceOf(sending(60, 4, 'wait_woken'), facts(50, [[50, 'T', '232 0x4 0x7ffd 0x1 0 0 0 0x7ffd 0x7f00']])));
    assert.deepEqual(more, []);
    assert.equal(p.id, 'blocked-writer:tcp:101');
    assert.match(p.title, /^client\[60\] blocked writing to .*: server\[50\] has not accepted the connection$/);
    assert.deepEqual(p.channels, ['tcp:101', end.id, 'tcp:100']);
    assert.deepEqual(p.chain!.map((n) => (n.type === 'process' ? n.pid : n.id)), [60, 'tcp:101', 50]);
    assert.match(p.evidence.find((e) => e.label === 'not accepted')!.text, /accept queue of .*127\.0\.0\.1:5000/);
    assert.match(p.explanation.what, /no program has accepted it/);
    assert.ok(p.actions.some((a) => a.kind === 'reveal' && a.channel === 'tcp:100'));
    assert.ok(p.actions.some((a) => a.kind === 'signal' && a.signal === 'SIGCONT' && a.pid === 50));
  });

  test('Unix stream: a client not accepted yet (its other end has no inode: the client names the listener)', () => {
    const listener: Channel = { id: 'unix:200', kind: 'unix', inode: 200, type: 'stream', path: '/run/x.sock', state: 'listen', recvQueue: 1, sendQueue: 128, netns: '1', endpoints: [{ pid: 50, fd: 3, mode: 'rw' }] };
    const conn: Channel = { id: 'unix:201', kind: 'unix', inode: 201, type: 'stream', state: 'connected', recvQueue: 0, sendQueue: 300_000, netns: '1', endpoints: [{ pid: 60, fd: 5, mode: 'rw' }], acceptQueue: 'unix:200' };
    const snaps = times(2).map((t) => snap([server, client], [listener, conn], t));
    const [p] = runOver(snaps, rule, evidenceOf(sending(60, 5, 'sock_alloc_send_pskb'), facts(50, [[50, 'T', '232 0x4 0x7ffd 0x1 0 0 0 0x7ffd 0x7f00']])));
    assert.equal(p?.id, 'blocked-writer:unix:201');
    assert.match(p.title, /: server\[50\] has not accepted the connection$/);
    assert.deepEqual(p.channels, ['unix:201', 'unix:200']);
  });

  test('Unix datagram: a sender asleep in unix_wait_for_peer on a receiver with datagrams queued (its own queue nearly empty); not without that wchan', () => {
    const rx: Channel = { id: 'unix:300', kind: 'unix', inode: 300, type: 'dgram', path: '/dev/log', state: 'unconnected', recvQueue: 72, sendQueue: 0, netns: '1', endpoints: [{ pid: 50, fd: 3, mode: 'rw' }] };
    const tx: Channel = { id: 'unix:301', kind: 'unix', inode: 301, type: 'dgram', state: 'connected', peer: 'unix:300', peerInode: 300, recvQueue: 0, sendQueue: 768, netns: '1', endpoints: [{ pid: 60, fd: 3, mode: 'rw' }] };
    const snaps = times(2).map((t) => snap([server, client], [rx, tx], t));
    const reader = facts(50, [[50, 'T', '232 0x4 0x7ffd 0x1 0 0 0 0x7ffd 0x7f00']]);
    const [p, ...more] = runOver(snaps, rule, evidenceOf(sending(60, 3, 'unix_wait_for_peer'), reader));
    assert.deepEqual(more, []);
    assert.equal(p?.id, 'blocked-writer:unix:301');
    assert.match(p.title, /^client\[60\] blocked writing to .*: server\[50\] is not reading it$/);
    assert.deepEqual(p.channels, ['unix:301', 'unix:300']);
    assert.match(p.evidence.find((e) => e.label === 'receiver')!.text, /datagrams queued/);
    assert.match(p.explanation.what, /max_dgram_qlen/);
    // asleep in sendto for another reason (its own buffer): not this rule's wait, and the buffer is not full
    assert.deepEqual(runOver(snaps, rule, evidenceOf(sending(60, 3, 'sock_alloc_send_pskb'), reader)), []);
    // a receiver with nothing queued cannot be full: its senders are not even read
    const idle = times(2).map((t) => snap([server, client], [{ ...rx, recvQueue: 0 } as Channel, tx], t));
    assert.deepEqual(runOver(idle, rule, evidenceOf(sending(60, 3, 'unix_wait_for_peer'), reader)), []);
  });
});

describe('blocked writer: a sender asleep in msgsnd on a SysV queue', () => {
  const rule = RULES.filter((r) => r.id === 'blocked-writer');
  /** Full, last sent to by 20 (alive, in the snapshot), never received from. */
  const queue = (o: Partial<SysvMsgChannel> = {}): SysvMsgChannel => ({
    id: 'sysv-msg:5', kind: 'sysv-msg', key: 0x6d380001, msqid: 5, messages: 16, bytes: 16384, maxBytes: 16384, lastSendPid: 20, lastRecvPid: 0,
    uid: 0, owner: 'root', mode: '0600', lastSendTime: '2026-11-30T09:59:00.000Z', lastRecvTime: null, endpoints: [], ...o,
  });
  const producer = proc(20, { comm: 'producer' });
  const withPipe = (p: ProcessInfo) => pipe(99, [{ pid: p.pid, fd: 3, mode: 'rw' }]);
  /** Pid 30 holds no channel (not in the snapshot): the evidence found it asleep in msgsnd by its wchan, in IPC namespace `ns`. */
  const sleeping = (msqid: number, ns = '1', own = '1') => () => {
    const e = emptyEvidence();
    e.sleepers = { found: new Map([[30, { wchan: 'do_msgsnd', ipcns: ns }]]), ownIpcns: own, read: 100, total: 100, readBefore: 0, limited: false, budgetMs: 10, what: 'processes asleep in msgsnd()', covered: false };
    e.processes.set(30, facts(30, [[30, 'S', `69 0x${msqid.toString(16)} 0x7ffc 0x400 0 0 0 0 0`]]));
    return e;
  };

  test('nobody ever received: raised at the second refresh, naming the sender by its syscall, not the last sender', () => {
    const snaps = (n: number, q = queue()) => times(n).map((t) => snap([producer], [q, withPipe(producer)], t));
    assert.equal(runOver(snaps(1), rule, sleeping(5)).length, 0, 'one refresh is not a stall');
    const [p] = runOver(snaps(2), rule, sleeping(5));
    assert.equal(p.id, 'blocked-writer:sysv-msg:5');
    assert.equal(p.severity, 'warning');
    assert.equal(p.title, 'p30[30] blocked writing to SysV message queue msqid 5 key 0x6d380001: nobody has ever received from it');
    assert.deepEqual(p.pids, [30]);
    assert.deepEqual(p.channels, ['sysv-msg:5']);
    assert.deepEqual(p.evidence.map((e) => [e.label, e.text]), [
      ['queue', '16 messages, 16,384 of 16,384 bytes (16 KiB)'],
      ['last receive', 'never (pid 0): no process has done it yet'],
      ['last send', 'producer[20] at 2026-11-30T09:59:00.000Z (the last msgsnd that went through)'],
      ['unchanged', 'nothing sent or received for 1 s (2 refreshes)'],
      ['writer', 'p30[30] thread 30 sleeps in msgsnd(msqid 5): a message of 1,024 bytes (1 KiB), 0 bytes free'],
    ]);
    assert.equal(p.since, new Date(T0).toISOString());
    // asleep on another queue, one with room, or not asleep at all: nothing
    assert.equal(runOver(snaps(2), rule, sleeping(6)).length, 0, 'msqid 6 is not listed');
    assert.equal(runOver(snaps(2, queue({ messages: 8, bytes: 8192 })), rule, sleeping(5)).length, 0, 'room for another message');
    assert.equal(runOver(snaps(2), rule).length, 0, 'no sender found');
  });

  test('a queue that moved between refreshes is backpressure, not a stall; a receive in the second of the previous refresh waits one more', () => {
    const rcv = proc(40, { comm: 'consumer' });
    const at = (t: number, o: Partial<SysvMsgChannel>) => snap([producer, rcv], [queue({ lastRecvPid: 40, ...o }), withPipe(producer), pipe(98, [{ pid: 40, fd: 3, mode: 'rw' }])], t);
    const [t0, t1, t2] = times(3);
    const moving = [at(t0, { lastRecvTime: '2026-11-30T09:59:58.000Z' }), at(t1, { lastRecvTime: '2026-11-30T09:59:59.000Z' })];
    assert.equal(runOver(moving, rule, sleeping(5)).length, 0, 'a receive since the previous refresh');
    // the last receive happened in the second of the first refresh: a later one that second would not show
    const sameSecond = (n: number) => [t0, t1, t2].slice(0, n).map((t) => at(t, { lastRecvTime: new Date(t0).toISOString() }));
    assert.equal(runOver(sameSecond(2), rule, sleeping(5)).length, 0);
    const [p] = runOver(sameSecond(3), rule, sleeping(5));
    assert.equal(p.title, 'p30[30] blocked writing to SysV message queue msqid 5 key 0x6d380001: its last receiver consumer[40] is not receiving');
    assert.deepEqual(p.pids, [30, 40]);
    assert.deepEqual(p.chain!.map((n) => n.label), ['p30[30]', 'SysV message queue msqid 5 key 0x6d380001', 'consumer[40]']);
    assert.ok(p.actions.some((a) => a.kind === 'reveal' && a.pid === 40), JSON.stringify(p.actions));
  });

  test('SysV ids are per IPC namespace: a container process asleep on its msqid 5 is blocked on its queue, not ours', () => {
    const ours = queue();
    const theirs = queue({ id: 'sysv-msg:ns/7/5', ipcns: '7', lastSendPid: 0 });
    const snaps = times(2).map((t) => snap([producer], [ours, theirs, withPipe(producer)], t));
    const index = new SnapshotIndex(snaps[0]);
    assert.equal(index.msg(5)?.id, 'sysv-msg:5');
    assert.equal(index.msg(5, '7')?.id, 'sysv-msg:ns/7/5');
    assert.deepEqual(runOver(snaps, rule, sleeping(5, '7')).map((p) => p.id), ['blocked-writer:sysv-msg:ns/7/5']);
    assert.deepEqual(runOver(snaps, rule, sleeping(5, '1')).map((p) => p.id), ['blocked-writer:sysv-msg:5']);
    assert.equal(runOver(snaps, rule, sleeping(5, '9')).length, 0, 'a namespace the snapshot does not list: its msqid 5 is neither');
  });

  test('sendMayBlock: full, the count limit, no room for a message of the average size; not a queue with room or an empty one', () => {
    assert.equal(sendMayBlock(queue()), true);
    assert.equal(sendMayBlock(queue({ messages: 10, bytes: 0, maxBytes: 10 })), true, 'msg_qnum at msg_qbytes (empty messages)');
    assert.equal(sendMayBlock(queue({ messages: 15, bytes: 15 * 1024 + 100 })), true, '924 bytes free, messages of ~1 KiB');
    assert.equal(sendMayBlock(queue({ messages: 14, bytes: 14 * 1024 })), false, '2 KiB free');
    assert.equal(sendMayBlock(queue({ messages: 0, bytes: 0 })), false);
    assert.equal(sendMayBlock(queue({ maxBytes: 0 })), false, 'unknown limit');
  });

  test('what it asks the evidence for: the msgsnd sleepers from where the last scan stopped, the senders found before and the last senders; only while a queue could hold one', () => {
    const ctx = (q: SysvMsgChannel) => {
      const s = snap([producer], [q], T0);
      return { snapshot: s, index: new SnapshotIndex(s), now: T0 };
    };
    assert.equal(rule[0].wants!(ctx(queue({ messages: 1, bytes: 10 })), []), null, 'a queue with room: nothing to read');
    const first = rule[0].wants!(ctx(queue()), [])!;
    assert.deepEqual([...first.threads!], [20]);
    assert.deepEqual([first.sleepers!.in('do_msgsnd'), first.sleepers!.in('pipe_write'), first.sleepers!.after, first.sleepers!.budgetMs], [true, false, undefined, 10]);
    const memo = { channels: new Map([['sysv-msg:5', queueStamp(queue())]]), senders: [30], scan: { after: 500, read: 300, covered: true } };
    const next = rule[0].wants!(ctx(queue()), [{ at: T0 - 1000, memo }])!;
    assert.deepEqual([...next.threads!].sort(), [20, 30]);
    assert.deepEqual([next.sleepers!.after, next.sleepers!.readBefore, next.sleepers!.covered], [500, 300, true]);
  });

  test('through the Diagnoser on a /proc tree: a full queue makes it look for msgsnd sleepers; a sender found before is read again', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-diag-wchan-'));
    try {
      procTask(root, 30, 'do_msgsnd', MSGSND_5);
      procTask(root, 31, 'pipe_write', '1 0x3 0x7ffc 0x10000 0x0 0x0 0x0 0x7ffc 0x7f00');
      procTask(root, 33, 'do_msgsnd', MSGSND_5);
      const d = new Diagnoser({ procRoot: root, rules: ['blocked-writer'], deadlineMs: 10000 });
      const snaps = times(3).map((t) => snap([], [queue({ lastSendPid: 0 })], t));
      const title = 'p30[30], p33[33] blocked writing to SysV message queue msqid 5 key 0x6d380001: nobody has ever received from it';
      assert.deepEqual(d.diagnose(snaps[0]).problems, []);
      const r = d.diagnose(snaps[1]);
      assert.deepEqual(r.problems.map((p) => p.title), [title]);
      assert.ok(r.evidencePhasesMs && 'wchan' in r.evidencePhasesMs, JSON.stringify(r.evidencePhasesMs));
      // the parts of evidenceMs before the reads are accounted too: the index and the rules' candidate lists
      assert.ok('index' in r.evidencePhasesMs && 'wants' in r.evidencePhasesMs, JSON.stringify(r.evidencePhasesMs));
      const parts = Object.values(r.evidencePhasesMs).reduce((a, b) => a + b, 0) + (r.scanMs ?? 0);
      assert.ok(parts <= r.evidenceMs + 0.1, `${parts} of ${r.evidenceMs}`);
      // its wchan no longer says msgsnd (as when the scan's budget ends before it): read again as a sender found before
      fs.writeFileSync(path.join(root, '30', 'wchan'), '0');
      assert.deepEqual(d.diagnose(snaps[2]).problems.map((p) => p.title), [title]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------ semaphores

describe('semaphores nobody can post', () => {
  const set = (lastPid: number[]): Channel => ({ id: 'sysv-sem:7', kind: 'sysv-sem', key: 0, semid: 7, nsems: 1, values: [0], waitingForIncrease: [1], waitingForZero: [0], lastPid, uid: 0, owner: 'root', mode: '0600', endpoints: [] });
  const rule = RULES.filter((r) => r.id === 'semaphore-no-poster');

  /** Pid 50, the set's last toucher, asleep in semop on it. */
  const selfWaiting = () => {
    const e = emptyEvidence();
    e.liveness.set(50, { alive: true, startTime: 1050, state: 'S' });
    e.processes.set(50, facts(50, [[50, 'S', '65 0x7 0x7ffc 0x1 0 0 0 0 0']]));
    return e;
  };

  test('the last toucher is itself asleep in semop on the set: a likely deadlock (error)', () => {
    const [p] = runOver(times(2).map((t) => snap([], [set([50])], t)), rule, selfWaiting);
    assert.equal(p.severity, 'error');
    assert.match(p.title, /Likely deadlock/);
  });

  test('with every rule: a process asleep on a set only it touched is one problem (the semaphore rule\'s), not also a wait cycle of one', () => {
    const found = runOver(times(3).map((t) => snap([proc(50)], [set([50])], t)), RULES, selfWaiting).filter((p) => p.pids.includes(50));
    assert.deepEqual(found.map((p) => p.rule), ['semaphore-no-poster']);
  });

  test('a live toucher doing something else, or one not checked, is a possible poster: nothing', () => {
    const alive = () => {
      const e = emptyEvidence();
      e.liveness.set(50, { alive: true });
      e.processes.set(50, facts(50, [[50, 'S', '232 0x4 0x0 0x1 0 0 0 0 0']]));
      return e;
    };
    assert.equal(runOver(times(3).map((t) => snap([], [set([50])], t)), rule, alive).length, 0);
    assert.equal(runOver(times(3).map((t) => snap([], [set([50])], t)), rule).length, 0, 'unchecked pid: no alarm');
  });
});

// ------------------------------------------------------------------ signals, zombies

describe('signal trouble over history', () => {
  const rule = RULES.filter((r) => r.id === 'signal-trouble');
  test('pending+blocked needs three refreshes; SIGCHLD pending is info, SIGTERM a warning', () => {
    const p = (sig: string) => proc(60, { signals: { pending: [], shdPending: [sig], blocked: [sig], ignored: [], caught: [], queued: 1, queueLimit: 100 } });
    assert.equal(runOver(times(2).map((t) => snap([p('SIGTERM')], [], t)), rule).length, 0);
    assert.equal(runOver(times(3).map((t) => snap([p('SIGTERM')], [], t)), rule)[0].severity, 'warning');
    const [chld] = runOver(times(3).map((t) => snap([p('SIGCHLD')], [], t)), rule);
    assert.equal(chld.severity, 'info');
    // a signal whose default does nothing is no lost message (ninth pass: knotd's SIGCONT, a shell's SIGCHLD)
    assert.equal(chld.title, 'p60[60] has SIGCHLD pending and blocked: its default action is to do nothing');
    assert.match(chld.explanation.what, /default action is to do nothing/);
    assert.equal(chld.evidence.find((e) => e.label === 'caught')?.text, 'none of them (no handler)');
    const [cont] = runOver(times(3).map((t) => snap([p('SIGCONT')], [], t)), rule);
    assert.match(cont.title, /SIGCONT pending and blocked: its default action is to do nothing \(SIGCONT resumed the process when it was sent, blocked or not\)$/);
    const [term] = runOver(times(3).map((t) => snap([p('SIGTERM')], [], t)), rule);
    assert.match(term.title, /SIGTERM pending but blocked: it is never delivered$/);
  });

  test('a zombie is blamed on its parent after three refreshes and five seconds, not before; a recycled pid starts afresh', () => {
    const parent = proc(70);
    const z = (start: number) => proc(71, { ppid: 70, state: 'Z', startTime: start });
    assert.equal(runOver(times(3, 1000).map((t) => snap([parent, z(5)], [], t)), rule).length, 0, '2 s is not enough');
    const found = runOver(times(6, 1000).map((t) => snap([parent, z(5)], [], t)), rule);
    assert.equal(found.length, 1);
    assert.deepEqual(found[0].pids, [71, 70]);
    const recycled = times(6, 1000).map((t, i) => snap([parent, z(i < 5 ? 5 : 6)], [], t));
    assert.equal(runOver(recycled, rule).length, 0);
    // state Z with three threads running: its main thread exited (pthread_exit), the process lives on
    const goneLeader = proc(72, { ppid: 70, state: 'Z', threads: 3 });
    assert.equal(runOver(times(6, 1000).map((t) => snap([parent, goneLeader], [], t)), rule).length, 0, 'a live process with an exited main thread is no zombie');
  });

  test('activity: a zombie is a zombie; state Z with threads running describes the live threads', () => {
    const ev = emptyEvidence();
    const read = (s: string) => parseSyscall(s);
    const facts = (pid: number, threads: ProcessFacts['threads']): ProcessFacts => ({ pid, startTime: 1, state: 'Z', comm: 'p', threads, threadCount: threads.length, complete: true });
    ev.processes.set(90, facts(90, [{ tid: 90, state: 'Z', syscall: read(''), wchan: null }]));
    ev.processes.set(91, facts(91, [{ tid: 91, state: 'Z', syscall: read(''), wchan: null }, { tid: 92, state: 'S', syscall: read('0 0x5 0x7ffd 0x1 0 0 0 0x7ffd 0x7f00'), wchan: 'anon_pipe_read' }]));
    const index = new SnapshotIndex(snap([proc(90, { state: 'Z', threads: 1 }), proc(91, { state: 'Z', threads: 2 })], [], T0));
    assert.equal(activity(ev, index, 90), 'a zombie (exited)');
    assert.equal(activity(ev, index, 91), 'sleeping in read(fd 5) [anon_pipe_read] (main thread exited; 2 threads)');
  });

  test('hostile comm and paths are escaped in every text field', () => {
    const evil = proc(80, { comm: 'x\n\u202e<script>', state: 'T' });
    const ps = runOver(times(2).map((t) => snap([evil], [pipe(5, [{ pid: 80, fd: 3, mode: 'r' }, { pid: 80, fd: 4, mode: 'w' }])], t)), rule);
    assert.equal(ps.length, 1);
    const texts = JSON.stringify(ps[0]);
    assert.ok(!/\n|\u202e/.test(ps[0].title), ps[0].title);
    assert.match(ps[0].title, /x\\n\\u202e<script>\[80\]/);
    assert.ok(!texts.includes('\u202e'));
  });
});

// ------------------------------------------------------------------ port clash

describe('port clash', () => {
  const rule = RULES.filter((r) => r.id === 'port-clash');
  const l = (inode: number, local: string, pid: number): Channel => ({ id: `tcp:${inode}`, kind: 'tcp', family: local.startsWith('[') ? 6 : 4, local, remote: '0.0.0.0:*', state: 'LISTEN', recvQueue: 0, sendQueue: 128, inode, netns: '1', uid: 0, endpoints: [{ pid, fd: 3, mode: 'rw' }] });

  test('a wildcard and a specific address of two programs: warning, 127.0.0.1 reaches the specific one', () => {
    const snaps = times(2).map((t) => snap([proc(1), proc(2)], [l(1, '0.0.0.0:8080', 1), l(2, '127.0.0.1:8080', 2)], t));
    const [p] = runOver(snaps, rule);
    assert.equal(p.severity, 'warning');
    assert.match(p.title, /reaches 127\.0\.0\.1:8080 \(p2\[2\]\) \(the most specific address wins\)/);
  });

  test('two sockets on each of two addresses (a DNS server\'s config): one group per address, each asked about its own address; no wildcard, so they never compete', () => {
    const socks = [l(1, '127.0.0.1:53', 1), l(2, '127.0.0.1:53', 1), l(3, '192.0.2.2:53', 1), l(4, '192.0.2.2:53', 1), l(5, '10.0.0.1:53', 1)];
    const ps = runOver(times(2).map((t) => snap([proc(1)], socks, t)), rule);
    assert.deepEqual(ps.map((p) => p.channels), [['tcp:1', 'tcp:2'], ['tcp:3', 'tcp:4']]);
    assert.deepEqual(ps.map((p) => p.severity), ['info', 'info']);
    assert.match(ps[1].title, /^2 listeners of one program share TCP port 53 \(SO_REUSEPORT\): a connect to 192\.0\.2\.2:53 reaches one of 2 sockets on 192\.0\.2\.2:53/);
    // a link-local address is bound with its device: shown as ss shows it, and two devices are two addresses
    const v6 = (inode: number, device: string) => ({ ...l(inode, '[fe80::1]:53', 1), device }) as Channel;
    const [p6, ...rest] = runOver(times(2).map((t) => snap([proc(1)], [v6(6, 'eth0'), v6(7, 'eth0'), v6(8, 'eth1')], t)), rule);
    assert.equal(rest.length, 0);
    assert.deepEqual(p6.channels, ['tcp:6', 'tcp:7']);
    assert.match(p6.title, /a connect to \[fe80::1\]%eth0:53 reaches one of 2 sockets on \[fe80::1\]%eth0:53/);
    // with a wildcard every address of the port overlaps it: one group
    assert.deepEqual(runOver(times(2).map((t) => snap([proc(1)], [...socks, l(9, '0.0.0.0:53', 1)], t)), rule).map((p) => p.channels.length), [6]);
  });

  test('different ports, and different network namespaces, do not clash', () => {
    const other = { ...l(2, '0.0.0.0:8080', 2), netns: '2' } as Channel;
    assert.equal(runOver(times(2).map((t) => snap([proc(1), proc(2)], [l(1, '0.0.0.0:8080', 1), other, l(3, '0.0.0.0:8081', 2)], t)), rule).length, 0);
  });
});

// ------------------------------------------------------------------ accept backlog

describe('accept backlog', () => {
  const rule = RULES.filter((r) => r.id === 'accept-backlog');
  const l = (rq: number, sq: number): Channel => ({ id: 'tcp:9', kind: 'tcp', family: 4, local: '127.0.0.1:7000', remote: '0.0.0.0:*', state: 'LISTEN', recvQueue: rq, sendQueue: sq, inode: 9, netns: '1', uid: 0, endpoints: [{ pid: 1, fd: 3, mode: 'rw' }] });
  test('sock_diag gives the backlog: at it for two refreshes is a warning; below it, nothing', () => {
    assert.equal(runOver(times(2).map((t) => snap([proc(1)], [l(5, 5)], t)), rule)[0].severity, 'warning');
    assert.match(runOver(times(2).map((t) => snap([proc(1)], [l(6, 5)], t)), rule)[0].title, /is full \(6 waiting, backlog 5\)/);
    assert.equal(runOver(times(3).map((t) => snap([proc(1)], [l(4, 5)], t)), rule).length, 0);
    assert.equal(runOver([snap([proc(1)], [l(6, 5)], T0)], rule).length, 0, 'one refresh is not enough');
  });
  test('without the addon /proc/net/tcp has no backlog (tx_queue 0): only a queue waiting three refreshes, as info', () => {
    const text = (t: number) => snap([proc(1)], [l(2, 0)], t, { capabilities: { ...snap([], [], 0).capabilities, native: false, sockDiag: false } });
    assert.equal(runOver(times(2).map(text), rule).length, 0);
    const [p] = runOver(times(3).map(text), rule);
    assert.equal(p.severity, 'info');
    assert.match(p.title, /backlog unknown/);
  });
});

// ------------------------------------------------------------------ Diagnoser

describe('leftovers', () => {
  const shm = (lastPid: number): Channel => ({
    id: 'sysv-shm:77', kind: 'sysv-shm', key: 0x4950, shmid: 77, size: 4096, attachCount: 0, creatorPid: 4000001, lastPid,
    uid: 0, owner: 'root', mode: '0600', destroyed: false, orphaned: true, endpoints: [],
  } as Channel);
  const gone = (): Evidence => {
    const ev = emptyEvidence();
    for (const pid of [4000001, 4000002]) ev.liveness.set(pid, { alive: false } as never);
    return ev;
  };
  const leftover = RULES.filter((r) => r.id === 'leftover');
  test('an orphaned segment this process peeked at (its last attacher) is still a leftover; one a live process used is not', () => {
    const [t] = times(1);
    const me = process.pid;
    const peeked = runOver([snap([proc(me)], [shm(me)], t)], leftover, gone);
    assert.deepEqual(peeked.map((p) => p.id), ['leftover:orphan:sysv-shm:77']);
    assert.match(peeked[0].evidence.find((e) => e.label === 'last attach/detach')!.text, /own read-only peek/);
    assert.deepEqual(runOver([snap([proc(me)], [shm(4000002)], t)], leftover, gone).map((p) => p.id), ['leftover:orphan:sysv-shm:77']);
    assert.deepEqual(runOver([snap([proc(me), proc(4242)], [shm(4242)], t)], leftover, gone), []);
  });

  test('a /dev/shm object nobody holds: said once it held at the previous refresh too; with processes hidden, said with the caveat, not dropped', () => {
    const obj = { id: 'posix-shm:left', kind: 'posix-shm', name: 'left', size: 4096, uid: 0, owner: 'root', mode: '0600', deleted: false, endpoints: [] } as unknown as Channel;
    const [t1, t2] = times(2);
    const clear = runOver([snap([proc(1)], [obj], t1), snap([proc(1)], [obj], t2)], leftover);
    assert.deepEqual(clear.map((p) => [p.id, p.severity]), [['leftover:posix:posix-shm:left', 'info']]);
    assert.ok(!clear[0].evidence.some((e) => e.label === 'caveat'));
    const warnings = ['processes hidden: 1 (permission denied)'];
    const hidden = runOver([snap([proc(1)], [obj], t1, { warnings }), snap([proc(1)], [obj], t2, { warnings })], leftover);
    assert.deepEqual(hidden.map((p) => p.id), ['leftover:posix:posix-shm:left']);
    assert.match(hidden[0].title, /any process that could be read/);
    assert.match(hidden[0].evidence.find((e) => e.label === 'caveat')!.text, /could not be read/);
  });

  test('a SysV queue whose last sender and receiver are gone says its messages the one way: 1 message, 12,345 messages (never message(s))', () => {
    const q = (messages: number): Channel => ({
      id: 'sysv-msg:9', kind: 'sysv-msg', key: 0x4951, msqid: 9, messages, bytes: messages * 16, maxBytes: 16384 * 16, uid: 0, owner: 'root', mode: '0600', endpoints: [],
      lastSendPid: 4000001, lastRecvPid: 4000002, lastSendTime: null, lastRecvTime: null, creatorPid: 4000001,
    } as unknown as Channel);
    const [t] = times(1);
    const said = (n: number) => {
      const [p] = runOver([snap([proc(1)], [q(n)], t)], leftover, gone);
      return [p.title.replace(/^.*? holds /, 'holds '), p.evidence.find((e) => e.label === 'queued')!.text];
    };
    assert.deepEqual(said(1), ['holds 1 message (16 bytes) and its last sender and receiver are gone', '1 message, 16 bytes of 256 KiB']);
    assert.deepEqual(said(12_345), ['holds 12,345 messages (193 KiB) and its last sender and receiver are gone', '12,345 messages, 193 KiB of 256 KiB']);
  });

  test('plural: the count with its digits grouped, the noun by the count', () => {
    assert.equal(plural(1, 'message'), '1 message');
    assert.equal(plural(0, 'message'), '0 messages');
    assert.equal(plural(2, 'message'), '2 messages');
    assert.equal(plural(12_345, 'process', 'processes'), '12,345 processes');
    assert.equal(plural(undefined, 'message'), '? messages');
  });

  test('a /dev/shm object nobody seems to map while some maps were not read whole (another user can spend the scan\'s bound): no leftover, no Remove offered', () => {
    const obj = { id: 'posix-shm:live', kind: 'posix-shm', name: 'live', size: 4096, uid: 0, owner: 'root', mode: '0600', deleted: false, endpoints: [] } as unknown as Channel;
    const [t1, t2, t3] = times(3);
    const warnings = [`${MAPS_CUT} 300 processes — 300 cut at the scan's bounds`];
    assert.deepEqual(runOver([snap([proc(1)], [obj], t1, { warnings }), snap([proc(1)], [obj], t2, { warnings })], leftover), []);
    // read whole again: said, once it was unheld at the previous refresh too
    assert.deepEqual(runOver([snap([proc(1)], [obj], t1, { warnings }), snap([proc(1)], [obj], t2), snap([proc(1)], [obj], t3)], leftover).map((p) => p.id), ['leftover:posix:posix-shm:live']);
  });
});

describe('socket-path: a stale file while sockets in no table were left for later scans', () => {
  const rule = RULES.filter((r) => r.id === 'socket-path');
  const file = { path: '/run/app/app.sock', dev: '0:26', inode: 4711, uid: 0, mtimeMs: T0 - 60_000 };
  const withFile = () => ({ ...emptyEvidence(), socketFiles: [file] });
  test('is stale either way; the caveat says a listener in a namespace no process is in may own it', () => {
    const [t1, t2] = times(2);
    const plain = runOver([snap([proc(1)], [], t1), snap([proc(1)], [], t2)], rule, withFile);
    assert.deepEqual(plain.map((p) => p.id), ['socket-path:stale:0:26:4711']);
    assert.ok(!plain[0].evidence.some((e) => e.label === 'caveat'), JSON.stringify(plain[0].evidence));
    const warnings = [`${SOCKETS_UNASKED} 344 sockets in no table were not looked up this scan`];
    const unasked = runOver([snap([proc(1)], [], t1, { warnings }), snap([proc(1)], [], t2, { warnings })], rule, withFile);
    assert.deepEqual(unasked.map((p) => p.id), ['socket-path:stale:0:26:4711']);
    assert.match(unasked[0].evidence.find((e) => e.label === 'caveat')!.text, /network namespace no process is in/);
  });
});

describe('Diagnoser', () => {
  test('since stays the first sighting while a problem lasts; a failing rule becomes a note', () => {
    const evil: Rule = { id: 'port-clash', title: 'broken', run: () => { throw new Error('boom'); } };
    const d = new Diagnoser({ rules: ['signal-trouble'], socketScanMaxAgeMs: 0 });
    const stopped = proc(90, { state: 'T' });
    const [t1, t2, t3] = times(3);
    d.diagnose(snap([stopped], [], t1));
    const a = d.diagnose(snap([stopped], [], t2));
    const b = d.diagnose(snap([stopped], [], t3));
    assert.equal(a.problems.length, 1);
    assert.equal(a.problems[0].since, new Date(t1).toISOString());
    assert.equal(b.problems[0].since, a.problems[0].since);
    assert.equal(b.problems[0].id, a.problems[0].id);
    // longer than the rules' history: since stays the first sighting
    const short = new Diagnoser({ rules: ['signal-trouble'], historySize: 2 });
    const runs = times(6).map((t) => short.diagnose(snap([stopped], [], t)));
    assert.equal(runs[5].problems[0].since, new Date(times(6)[0]).toISOString());
    const r = runRules([evil], { snapshot: snap([], [], t1), index: new SnapshotIndex(snap([], [], t1)), now: t1 }, emptyEvidence(), new Map());
    assert.deepEqual(r.notes, ['rule port-clash failed: boom']);
  });
});

describe('Diagnoser: evidence cut short refresh after refresh', () => {
  test('a problem missing from a partial diagnosis keeps its since; ids of problems long gone are not kept forever', () => {
    // a full pipe makes blocked-writer ask for threads, which a deadline already past cuts short:
    // every diagnosis here is partial (a machine too busy for the evidence budget)
    const full = pipe(7, [{ pid: 50, fd: 3, mode: 'w' }, { pid: 51, fd: 4, mode: 'r' }], 65536, 65536);
    const holders = [proc(50), proc(51)];
    const keep = 4;
    const d = new Diagnoser({ rules: ['signal-trouble', 'blocked-writer'], deadlineMs: -1, minPhaseMs: -1 /* no phase gets time past it either */, historySize: keep, socketScanMaxAgeMs: 0 });
    const ts = times(200);
    let i = 0;
    const at = () => ts[i++];
    // a stop lasts two refreshes, then its process is gone: one problem each, 40 of them
    for (let k = 0; k < 40; k++) {
      const stopped = proc(1000 + k, { state: 'T' });
      d.diagnose(snap([...holders, stopped], [full], at()));
      const r = d.diagnose(snap([...holders, stopped], [full], at()));
      assert.equal(r.partial, true, 'the evidence was cut short');
      assert.deepEqual(r.problems.map((p) => p.pids), [[1000 + k]], `stop ${k} raised`);
    }
    // each id is carried through `keep` partial diagnoses at most, not for the Diagnoser's life
    assert.ok(d.sizes().since <= keep + 1, `since entries: ${d.sizes().since} (one per problem ever seen without the bound)`);
    for (let n = 0; n <= keep; n++) d.diagnose(snap(holders, [full], at()));
    assert.equal(d.sizes().since, 0, 'nothing is kept once every problem has been gone longer than the history');
    assert.equal(d.sizes().sinceCarried, 0);
    // what the carrying is for: a problem a cut-short diagnosis missed keeps its first sighting when it is back
    const back = proc(2000, { state: 'T' });
    const first = at();
    d.diagnose(snap([...holders, back], [full], first));
    d.diagnose(snap([...holders, back], [full], at()));
    d.diagnose(snap(holders, [full], at())); // missed once
    d.diagnose(snap([...holders, back], [full], at()));
    const again = d.diagnose(snap([...holders, back], [full], at())); // raised again (a stop must last a refresh)
    assert.equal(again.problems.find((p) => p.pids.includes(2000))?.since, new Date(first).toISOString());
  });
});

describe('Diagnoser: more problems of one rule than it lists', () => {
  test('a first diagnosis (everything seen at once) lists the problems of the youngest processes; the rest is a note', () => {
    const d = new Diagnoser({ rules: ['signal-trouble'], socketScanMaxAgeMs: 0 });
    // 150 stopped processes of a long-running service (old start times), then a fresh one
    const old = Array.from({ length: 150 }, (_, i) => proc(100 + i, { state: 'T', startTime: 500 + i }));
    const fresh = proc(9000, { state: 'T', startTime: 99_999 });
    const [t1, t2] = times(2);
    d.diagnose(snap([...old, fresh], [], t1)); // a stop must last a refresh
    const r = d.diagnose(snap([...old, fresh], [], t2));
    assert.equal(r.problems.length, MAX_PROBLEMS_PER_RULE);
    assert.deepEqual(r.problems[0].pids, [9000], 'the youngest process first');
    assert.ok(r.notes.some((n) => /signal-trouble: 51 more warning problems not listed/.test(n)), r.notes.join('\n'));
  });

  test('views narrowed to one process: its problem is listed although a hundred newer ones of its rule come first (narrowed before the cap)', () => {
    const d = new Diagnoser({ rules: ['signal-trouble'], socketScanMaxAgeMs: 0 });
    const target = proc(100, { state: 'T', startTime: 1 }); // the oldest: the cap's last choice
    const others = Array.from({ length: 150 }, (_, i) => proc(200 + i, { state: 'T', startTime: 500 + i }));
    const [t1, t2, t3, t4] = times(4);
    d.diagnose(snap([target, ...others], [], t1)); // a stop must last a refresh
    const all = d.diagnose(snap([target, ...others], [], t2));
    assert.ok(!all.problems.some((p) => p.pids.includes(100)), 'unnarrowed, the oldest is past the cap');
    d.setNarrowing({ ...EMPTY_FILTER, scopePid: 100 });
    const narrowed = d.diagnose(snap([target, ...others], [], t3));
    assert.deepEqual(narrowed.problems.map((p) => p.pids), [[100]], 'the scoped process, and nothing the view does not show');
    assert.equal(narrowed.problems[0].since, new Date(t1).toISOString(), 'its history was kept while it was not listed');
    d.setNarrowing(null);
    assert.equal(d.diagnose(snap([target, ...others], [], t4)).problems.length, MAX_PROBLEMS_PER_RULE, 'unnarrowed again');
  });
});

// ------------------------------------------------------------------ plumbing

describe('SnapshotIndex.ofKind', () => {
  test('canonical order: runs found by binary search; any other order: one pass; same answer', () => {
    const chans: Channel[] = [pipe(3, []), pipe(1, []), { id: 'sysv-msg:1', kind: 'sysv-msg', key: 0, msqid: 1, messages: 0, bytes: 0, maxBytes: 0, lastSendPid: 0, lastRecvPid: 0, uid: 0, owner: 'root', mode: '0600', lastSendTime: null, lastRecvTime: null, endpoints: [] }, pipe(2, [])];
    const sorted = snap([], chans, T0);
    const unsorted = { ...sorted, channels: [...chans] };
    for (const s of [sorted, unsorted]) {
      const idx = new SnapshotIndex(s);
      assert.deepEqual(idx.ofKind('pipe').map((c) => c.id).sort(), ['pipe:1', 'pipe:2', 'pipe:3']);
      assert.deepEqual(idx.ofKind('sysv-msg').map((c) => c.id), ['sysv-msg:1']);
      assert.deepEqual(idx.ofKind('unix'), []);
      assert.equal(idx.channel('pipe:2')?.id, 'pipe:2');
      assert.equal(idx.channel('pipe:9'), undefined);
    }
  });
});

describe('SafeLstat', () => {
  test('never touches a path on a file system that could hang, nor goes through a symlink another user owns', async () => {
    const { SafeLstat } = await import('../../src/core/diagnose/paths');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-safe-'));
    try {
      const fuse = new SafeLstat({ types: new Map([[dir, 'fuse.sshfs']]) });
      assert.match(fuse.lstat(path.join(dir, 'x.sock')).skipped ?? '', /fuse\.sshfs/);
      fs.mkdirSync(path.join(dir, 'real'));
      fs.writeFileSync(path.join(dir, 'real', 'f'), '');
      fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
      const safe = new SafeLstat({ types: new Map() });
      const asRoot = safe.lstat(path.join(dir, 'link', 'f'));
      if (process.geteuid?.() === 0) {
        assert.ok(asRoot.stat?.isFile(), 'a root-owned symlink is followed');
        fs.lchownSync(path.join(dir, 'link'), 65534, 65534);
        const other = new SafeLstat({ types: new Map() }).lstat(path.join(dir, 'link', 'f'));
        assert.equal(other.stat, null);
        assert.match(other.skipped ?? '', /symlink owned by uid 65534/);
      } else {
        assert.match(asRoot.skipped ?? '', /symlink owned by uid/);
      }
      assert.equal(safe.lstat(path.join(dir, 'real', 'missing')).missing, true);
      assert.ok(safe.lstat(path.join(dir, 'link')).stat?.isSymbolicLink(), 'the last component is never followed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a process the snapshot lacks, named from /proc by the evidence', () => {
  test('by the bytes of a name that is not UTF-8 (`bad\\xff[7]`), as a snapshot process is: two such names differ', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-diag-comm-'));
    try {
      const stat = (pid: number, comm: string) => {
        fs.mkdirSync(path.join(root, String(pid), 'task'), { recursive: true });
        fs.writeFileSync(path.join(root, String(pid), 'stat'), Buffer.from(`${pid} (${comm}) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0`, 'latin1'));
      };
      stat(7, 'bad\xff');
      stat(8, 'bad\xfe) x');
      stat(9, 'caf\xc3\xa9');
      const ev = emptyEvidence();
      for (const pid of [7, 8, 9]) ev.liveness.set(pid, readLiveness(root, pid));
      const index = new SnapshotIndex(snap([], [], Date.now()));
      assert.deepEqual([7, 8, 9].map((pid) => procLabel(index, pid, ev)), ['bad\\xff[7]', 'bad\\xfe) x[8]', 'café[9]']);
      assert.equal(ev.liveness.get(9)?.commBytes, undefined, 'UTF-8: no bytes');
      const threads = readThreads(root, 7, 4, () => false);
      assert.deepEqual([threads.comm, threads.commBytes], ['bad\ufffd', '626164ff']);
      const byThreads = emptyEvidence();
      byThreads.processes.set(7, threads);
      assert.equal(procLabel(index, 7, byThreads), 'bad\\xff[7]');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('thread reads cut by the deadline', () => {
  test('stop where the phase stops, leave the facts incomplete and mark the evidence as cut (the diagnosis is partial)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-diag-threads-'));
    try {
      const line = (id: number) => `${id} (w) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 5 0 5 0 0`;
      fs.writeFileSync(path.join(root, 'stat'), '');
      for (const tid of [7, 8, 9, 10, 11]) {
        const t = path.join(root, '7', 'task', String(tid));
        fs.mkdirSync(t, { recursive: true });
        fs.writeFileSync(path.join(t, 'stat'), line(tid));
        fs.writeFileSync(path.join(t, 'syscall'), '7 0x3 0x0 0x0 0x0 0x0 0x0 0x7ffc 0x7f00\n');
        fs.writeFileSync(path.join(t, 'wchan'), 'do_sys_poll');
      }
      fs.writeFileSync(path.join(root, '7', 'stat'), line(7));
      let asked = 0;
      const cut = readThreads(root, 7, 64, () => ++asked > 2);
      assert.deepEqual([cut.threads.map((t) => t.tid), cut.threadCount, cut.complete], [[7, 8], 5, false]);
      const whole = readThreads(root, 7, 64, () => false);
      assert.deepEqual([whole.threads.length, whole.complete], [5, true]);
      const ev = gatherEvidence([{ threads: [7] }], { procRoot: root, deadlineMs: 0, minPhaseMs: 0 });
      assert.notEqual(ev.processes.get(7)?.complete, true);
      assert.equal(ev.deadlineHit, true, 'a cut thread read is a deadline hit');
      assert.ok(ev.notes.some((n) => /evidence deadline \(0 ms\) reached while reading threads/.test(n)), ev.notes.join('\n'));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('worker hook', () => {
  test('sends what changed: everything first, nothing for an unchanged problem, removals by omission; the receiver rebuilds the whole list', () => {
    const hook = diagnosisHook({ rules: ['signal-trouble'] })!;
    const rx = new DiagnosisReceiver();
    const a = proc(91, { state: 'T' });
    const b = proc(92, { state: 'T' });
    const [t1, t2, t3, t4] = times(4);
    const d1 = JSON.parse(hook.run(snap([a, b], [], t1))) as DiagnosisDelta;
    assert.equal(d1.full, true);
    assert.equal(rx.apply(d1).problems.length, 0, 'a stop must last a refresh');
    const d2 = JSON.parse(hook.run(snap([a, b], [], t2))) as DiagnosisDelta;
    assert.equal(d2.changed.length, 2);
    assert.deepEqual(rx.apply(d2).problems.map((p) => p.pids[0]), [92, 91], 'seen together: the younger process first');
    const d3 = JSON.parse(hook.run(snap([a, b], [], t3))) as DiagnosisDelta;
    assert.equal(d3.changed.length, 0, 'unchanged problems are not sent again');
    assert.equal(rx.apply(d3).problems.length, 2);
    const d4 = JSON.parse(hook.run(snap([a, { ...b, state: 'S' }], [], t4))) as DiagnosisDelta;
    const r4 = rx.apply(d4);
    assert.deepEqual(r4.problems.map((p) => p.pids[0]), [91]);
    assert.equal(r4.counts.warning, 1);
    hook.reset();
    assert.equal((JSON.parse(hook.run(snap([a], [], t4 + 1000))) as DiagnosisDelta).full, true);
  });
});

describe('queue not draining: a queue raised while it rose stays raised while it does not go down', () => {
  const rule = RULES.filter((r) => r.id === 'queue-not-draining');
  const consumer = proc(21, { comm: 'consumer', state: 'T' });
  const queue = (messages: number, lastRecvTime = '2026-11-30T09:00:00.000Z'): Channel => ({
    id: 'sysv-msg:7', kind: 'sysv-msg', key: 0x70, msqid: 7, messages, bytes: messages * 1024, maxBytes: 8192, lastSendPid: 20, lastRecvPid: 21,
    uid: 0, owner: 'root', mode: '0600', lastSendTime: null, lastRecvTime, endpoints: [],
  });
  const T = Date.parse('2026-11-30T10:00:00.000Z');
  const run = (depths: number[], recv: (i: number) => string | undefined = () => undefined) =>
    runOver(depths.map((m, i) => snap([proc(20), consumer], [queue(m, recv(i))], T + i * 500)), rule);

  test('full (8 of 8 messages, rising no more): still raised, since it first rose; gone once it drains', () => {
    assert.equal(run([2, 4, 6]).length, 1, 'rising: raised');
    const [full] = run([2, 4, 6, 8, 8, 8]);
    assert.ok(full, 'at its limit it rises no more, and is still not draining');
    assert.equal(full.severity, 'warning');
    assert.match(full.title, /^SysV message queue .* is not draining \(now 8 messages, rising no more and no lower\): consumer\[21\] is stopped/);
    assert.equal(full.since, new Date(T).toISOString());
    assert.match(full.evidence.find((e) => e.label === 'depth')!.text, /^8 → 8 messages: it rose, and has not gone down since/);
    // drained a little, or received from (SysV's last receive moved): no longer raised
    assert.deepEqual(run([2, 4, 6, 8, 8, 7]), []);
    assert.deepEqual(run([2, 4, 6, 8, 8, 8], (i) => (i === 5 ? '2026-11-30T10:00:02.500Z' : undefined)), []);
  });
});

describe('queue not draining: a packet socket whose receive buffer is full', () => {
  const rule = RULES.filter((r) => r.id === 'queue-not-draining');
  // arping's libnet socket: ETH_P_ALL on every interface, opened to send, never read (nineteenth pass)
  const packet = (recvQueue: number, o: Partial<PacketChannel> = {}): Channel => ({
    id: 'packet:4242', kind: 'packet', type: 'raw', protocol: 3, ifindex: 0, recvQueue, sendQueue: 0, rcvbuf: 212992, drops: 138,
    ring: false, inode: 4242, netns: '4026531840', uid: 0, endpoints: [{ pid: 31, fd: 3, mode: 'rw' }], ...o,
  });
  const T = Date.parse('2026-12-07T10:00:00.000Z');
  const run = (chs: Channel[], state = 'S') => runOver(chs.map((c, i) => snap([proc(31, { comm: 'arping', state })], [c], T + i * 500)), rule);

  test('full at one refresh (not rising): raised at once with its buffer and drops; information while its holder runs or sleeps, a warning when stopped', () => {
    const [p] = run([packet(213248)]);
    assert.ok(p, 'full: the next frame is dropped');
    assert.equal(p.severity, 'info');
    assert.equal(p.trouble, 'receive buffer full, frames dropped');
    assert.match(p.title, /^Packet socket .* is full \(213,248 of 212,992 bytes of receive buffer; 138 frames dropped since it was opened\): arping\[31\]/);
    assert.deepEqual(p.evidence.map((e) => e.label), ['depth', 'dropped', 'consumer']);
    assert.match(p.explanation.fix, /protocol 0/);
    const [stopped] = run([packet(213248)], 'T');
    assert.equal(stopped.severity, 'warning');
    assert.ok(stopped.actions.some((a) => a.kind === 'signal' && a.signal === 'SIGCONT'));
  });

  test('below its buffer, with a receive ring, or its buffer unknown (/proc/net/packet): not raised at one refresh', () => {
    assert.deepEqual(run([packet(4096)]), []);
    assert.deepEqual(run([packet(213248, { ring: true })]), []);
    assert.deepEqual(run([packet(213248, { rcvbuf: undefined, drops: undefined })]), []);
  });

  test('a packet socket whose queue rises at each refresh is raised as any socket is; a ring is not looked at', () => {
    const [p] = run([packet(1000), packet(2000), packet(3000)], 'T');
    assert.ok(p);
    assert.equal(p.trouble, 'queue not draining');
    assert.match(p.explanation.next, /drops each new datagram or frame/);
    assert.deepEqual(run([1000, 2000, 3000].map((q) => packet(q, { ring: true }))), []);
  });
});

describe('queue not draining: ping and netlink sockets', () => {
  const rule = RULES.filter((r) => r.id === 'queue-not-draining');
  const T = Date.parse('2026-12-07T10:00:00.000Z');
  const ep = [{ pid: 41, fd: 5, mode: 'rw' as const }];
  // a uevent listener that stopped reading: each device event adds a message
  const netlink = (recvQueue: number): Channel => ({
    id: 'netlink:77', kind: 'netlink', endpoints: ep, protocol: 15, portid: 41, groups: [1], recvQueue, sendQueue: 0, drops: 0, dumping: false, inode: 77, netns: '1', uid: 0,
  } as Channel);
  const ping = (recvQueue: number): Channel => ({
    id: 'ping:78', kind: 'ping', endpoints: ep, family: 4, local: '0.0.0.0', icmpId: 7, remote: '*', state: 'UNCONN', recvQueue, sendQueue: 0, inode: 78, netns: '1', uid: 0,
  });
  const run = (chs: Channel[]) => runOver(chs.map((c, i) => snap([proc(41, { comm: 'listener', state: 'T' })], [c], T + i * 500)), rule);

  test('a netlink socket whose receive queue rises is raised: its messages are dropped once full, and the holder gets ENOBUFS', () => {
    const [p] = run([netlink(1000), netlink(2000), netlink(3000)]);
    assert.ok(p, 'rising');
    assert.equal(p.trouble, 'queue not draining');
    assert.match(p.explanation.next, /drops each new message .*ENOBUFS/);
    assert.doesNotMatch(p.explanation.next, /zero window/);
  });

  test('a netlink socket whose drops rose since the last refresh is raised for that refresh only, its queue flat; drops that stay, or of a socket not there before, are not', () => {
    const nl = (drops: number, recvQueue = 2304, id = 77) => ({ ...netlink(recvQueue), id: `netlink:${id}`, inode: id, drops }) as Channel;
    const snaps = (chs: Channel[]) => chs.map((c, i) => snap([proc(41, { comm: 'listener', state: 'S' })], [c], T + i * 500));
    const [p] = runOver(snaps([nl(62), nl(62), nl(100)]), rule);
    assert.ok(p, 'drops rose');
    assert.equal(p.trouble, 'messages dropped since the last refresh');
    assert.equal(p.severity, 'warning', 'events lost, whatever the holder does');
    assert.match(p.title, /^The kernel dropped 38 messages for .* since the last refresh/);
    assert.deepEqual(p.evidence.map((e) => e.label), ['dropped', 'depth', 'consumer']);
    assert.match(p.evidence[0].text, /^38 messages since the last refresh 1 s ago: 62 → 100 since it was opened$/);
    assert.equal(p.since, new Date(T + 500).toISOString());
    // the next refresh with no more dropped: gone, though its queue stays where it was (not "stalled")
    assert.deepEqual(runOver(snaps([nl(62), nl(100), nl(100)]), rule), []);
    assert.deepEqual(runOver(snaps([nl(62), nl(62)]), rule), []);
    assert.deepEqual(runOver(snaps([nl(0, 0, 1), nl(5000, 2304, 2)]), rule), [], 'another socket: nothing to compare');
    assert.deepEqual(runOver(snaps([nl(100)]), rule), [], 'one snapshot: nothing to compare');
  });

  test('a ping socket whose replies pile up is raised; it drops, it does not block a sender', () => {
    const [p] = run([ping(768), ping(1536), ping(2304)]);
    assert.ok(p, 'rising');
    assert.match(p.explanation.next, /drops each new datagram/);
  });
});

describe('every rule: a problem leads with what is wrong, then the object', () => {
  // control characters, bidi overrides and isolates: what escapeControl never lets through
  const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

  test("each rule's phrases: short enough for a side bar of ~300 px (40 characters), fixed text, none another rule's", () => {
    const seen = new Map<string, RuleId>();
    for (const id of RULE_IDS) {
      const phrases = troublesOf(id);
      assert.ok(phrases.length > 0, `${id} has no trouble`);
      for (const t of phrases) {
        assert.ok(t.length > 0 && t.length <= 40, `${id}: "${t}" (${t.length} characters)`);
        assert.equal(t, t.trim());
        assert.doesNotMatch(t, CONTROL);
        assert.ok(!seen.has(t), `"${t}" is both ${seen.get(t)}'s and ${id}'s`);
        seen.set(t, id);
      }
    }
    assert.deepEqual(Object.keys(TROUBLES).sort(), [...RULE_IDS].sort());
  });

  test("every rule's problems made above: a trouble of its own table, and the row and the headline lead with it", () => {
    for (const id of RULE_IDS) {
      const drafts = made.get(id) ?? [];
      assert.ok(drafts.length > 0, `no test above made a ${id} problem`);
      for (const d of drafts) {
        assert.ok(troublesOf(id).includes(d.trouble), `${d.id}: "${d.trouble}" is not one of ${id}'s troubles`);
        assert.ok(d.subject.length > 0, `${d.id}: no subject`);
        assert.doesNotMatch(d.subject, CONTROL, d.id);
        const row = problemRow({ ...d, since: d.since ?? new Date(T0).toISOString() });
        // the label is the trouble alone: a cut row still says what is wrong
        assert.equal(row.label, d.trouble, d.id);
        assert.ok(!row.label.includes(d.subject), `${d.id}: the label names the object`);
        // the object after it, in the description; the whole sentence for screen readers
        assert.ok(row.description.startsWith(shortText(d.subject, 200)), `${d.id}: ${row.description}`);
        assert.match(row.description, / · since \d\d:\d\d:\d\d$/);
        assert.equal(row.accessible, `${d.severity}: ${d.trouble} — ${shortText(d.title, 300)}`);
        assert.equal(headline(d), `${d.trouble} — ${d.subject}`);
      }
    }
  });

  test('a hostile name in the subject stays escaped in the row, and the label stays the trouble', () => {
    const row = problemRow({ severity: 'warning', trouble: 'held by nobody', subject: 'x\n\u202e[a](command:x)', title: 'POSIX shared memory x\n\u202e is not held', since: new Date(T0).toISOString() });
    assert.equal(row.label, 'held by nobody');
    assert.doesNotMatch(row.description, CONTROL);
    assert.doesNotMatch(row.accessible, CONTROL);
    assert.match(row.description, /^x\\n\\u202e\[a\]\(command:x\) · since /);
  });
});
