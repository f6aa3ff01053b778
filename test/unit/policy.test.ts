// The one signal/remove policy (core/actions/policy.ts) and where processes come from
// (core/actions/origin.ts) on a fake /proc that models a code-server: launcher → server →
// extension hosts, pty host, file watcher; terminal shells under the pty host; a language server
// under another extension host; a root daemon and a double-forked daemon under init.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Channel, ProcessInfo } from '../../src/core/model';
import { offeredSignalReason, removeRisk, signalRisk, type ProcessOrigin } from '../../src/core/actions/policy';
import { sessionOrigins, vscodeOrigins, readProcessInfo, STARTED_BY_EXTENSION, STARTED_IN_SESSION, STARTED_IN_TERMINAL } from '../../src/core/actions/origin';
import { removeQuestion, runSignal, signalQuestion } from '../../src/core/actions/runner';
import { fdsCutWarning, MAPS_CUT } from '../../src/core/snapshotWarnings';
import { stillRunning } from '../../src/core/actions/signal';

function proc(pid: number, over: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid, ppid: 1, comm: 'daemon', cmdline: [], uid: 0, user: 'root', startTime: 100, state: 'S', tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null },
    timers: [], threads: 1, cwd: null, exe: null, ...over,
  };
}

describe('signalRisk: who must be asked', () => {
  const mine: ProcessOrigin = { startedBy: STARTED_IN_TERMINAL };
  test('root signalling a root daemon it did not start asks; one started in its terminal does not', () => {
    const daemon = proc(700, { comm: 'sshd' });
    const r = signalRisk(daemon, 'SIGTERM', { euid: 0, origin: {} });
    assert.equal(r.confirm.length, 1);
    assert.match(r.confirm[0], /runs as root but was not started from this session/);
    assert.deepEqual(signalRisk(daemon, 'SIGTERM', { euid: 0, origin: mine }).confirm, []);
    assert.deepEqual(signalRisk(daemon, 'SIGTERM', { euid: 0, origin: { startedBy: STARTED_BY_EXTENSION } }).confirm, []);
  });
  test('a kernel thread is called one, and a signal it ignores, SIGKILL too, has no effect (not "ends at once")', () => {
    const kworker = proc(3, { ppid: 2, comm: 'pool_workqueue_', signals: { ...proc(3).signals, ignored: ['SIGHUP', 'SIGKILL', 'SIGTERM', 'SIGSTOP'] } });
    const kill = signalRisk(kworker, 'SIGKILL', { euid: 0, origin: {} });
    assert.equal(kill.noEffect, true);
    assert.ok(!kill.confirm.some((c) => /ends at once/.test(c)), kill.confirm.join('\n'));
    assert.match(kill.confirm.join('\n'), /process 3 is a kernel thread/);
    assert.ok(!kill.confirm.some((c) => /system service/.test(c)));
    // a user-space child of kthreadd's pid is no kernel thread (it has a command line)
    assert.match(signalRisk(proc(4, { ppid: 2, cmdline: ['/usr/sbin/x'] }), 'SIGTERM', { euid: 0, origin: {} }).confirm.join('\n'), /system service/);
  });
  test('another user\'s process always asks, for root and for a normal user', () => {
    const bob = proc(701, { uid: 1001, user: 'bob' });
    assert.match(signalRisk(bob, 'SIGUSR1', { euid: 0, origin: mine }).confirm.join('\n'), /another user \(bob, uid 1001\)/);
    assert.match(signalRisk(bob, 'SIGUSR1', { euid: 1000, origin: mine }).confirm.join('\n'), /another user/);
    assert.match(signalRisk(proc(702, { uid: 0 }), 'SIGUSR1', { euid: 1000 }).confirm.join('\n'), /another user \(root, uid 0\)/);
  });
  test('a normal user\'s own process needs no confirmation wherever it was started', () => {
    assert.deepEqual(signalRisk(proc(703, { uid: 1000, user: 'me' }), 'SIGTERM', { euid: 1000 }).confirm, []);
  });
  test('an unknown euid asks (no "?? 0" or "?? -1" fallbacks deciding silently)', () => {
    assert.match(signalRisk(proc(704), 'SIGTERM', { euid: -1, origin: mine }).confirm.join('\n'), /user id is unknown/);
    assert.match(signalRisk(proc(704), 'SIGTERM', { euid: Number.NaN, origin: mine }).confirm.join('\n'), /user id is unknown/);
  });
  test('VS Code\'s own processes ask, with what they are', () => {
    const r = signalRisk(proc(705, { uid: 0 }), 'SIGUSR1', { euid: 0, origin: { vscode: 'the VS Code terminal host (pty host)' } });
    assert.equal(r.confirm.length, 1);
    assert.match(r.confirm[0], /is the VS Code terminal host \(pty host\) — signalling it can break this editor session/);
  });
  test('a zombie warns of no effect; state Z with threads running (main thread exited) is a live process', () => {
    const mine2: ProcessOrigin = { startedBy: STARTED_IN_TERMINAL };
    const zombie = signalRisk(proc(720, { state: 'Z', threads: 1 }), 'SIGSTOP', { euid: 0, origin: mine2 });
    assert.equal(zombie.noEffect, true);
    assert.match(zombie.warnings.join('\n'), /is a zombie/);
    const goneLeader = signalRisk(proc(721, { state: 'Z', threads: 3 }), 'SIGSTOP', { euid: 0, origin: mine2 });
    assert.equal(goneLeader.noEffect, false);
    assert.doesNotMatch(goneLeader.warnings.join('\n'), /zombie/);
  });
  test('uncatchable, reserved and PID 1 ask; ignored/blocked only warn', () => {
    const p = proc(706, { signals: { pending: [], shdPending: [], blocked: ['SIGUSR2'], ignored: ['SIGTERM'], caught: ['SIGUSR1'], queued: 0, queueLimit: 0 } });
    assert.equal(signalRisk(p, 'SIGKILL', { euid: 0, origin: mine }).confirm.length, 1);
    assert.equal(signalRisk(p, 'SIGSTOP', { euid: 0, origin: mine }).confirm.length, 1);
    assert.equal(signalRisk(p, 32, { euid: 0, origin: mine }).confirm.length, 1);
    assert.match(signalRisk(proc(1), 'SIGHUP', { euid: 0, origin: {} }).confirm.join('\n'), /PID 1/);
    const ign = signalRisk(p, 'SIGTERM', { euid: 0, origin: mine });
    assert.deepEqual(ign.confirm, []);
    assert.deepEqual(ign.warnings, ['SIGTERM is ignored by this process — it will have no effect']);
    assert.match(signalRisk(p, 'SIGUSR2', { euid: 0, origin: mine }).warnings[0], /blocked/);
  });
  test("a pid namespace's init drops what it does not handle: said as no effect (a container's PID 1 from the host: all but SIGKILL/SIGSTOP; the own init: all)", () => {
    const ctr = proc(28037, { nsPid: [28037, 1], comm: 'nc' });
    const term = signalRisk(ctr, 'SIGTERM', { euid: 0, origin: mine });
    assert.equal(term.noEffect, true);
    assert.match(term.warnings.join('\n'), /PID 1 of its own pid namespace .* does not handle SIGTERM: the kernel drops it when it comes from outside/);
    assert.doesNotMatch(term.notes.join('\n'), /default action will terminate/);
    const kill = signalRisk(ctr, 'SIGKILL', { euid: 0, origin: mine });
    assert.equal(kill.noEffect, false);
    assert.match(kill.confirm.join('\n'), /ends at once, without cleanup, and the kernel kills every process of its pid namespace/);
    assert.equal(signalRisk(ctr, 'SIGSTOP', { euid: 0, origin: mine }).noEffect, false);
    const handled = proc(28038, { nsPid: [28038, 1], signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: ['SIGTERM'], queued: 0, queueLimit: 0 } });
    assert.equal(signalRisk(handled, 'SIGTERM', { euid: 0, origin: mine }).noEffect, false, 'a handler runs');
    const blocked = proc(28039, { nsPid: [28039, 1], signals: { pending: [], shdPending: [], blocked: ['SIGTERM'], ignored: [], caught: [], queued: 0, queueLimit: 0 } });
    assert.equal(signalRisk(blocked, 'SIGTERM', { euid: 0, origin: mine }).noEffect, false, 'blocked: queued until unblocked');
    assert.equal(signalRisk(proc(28040, { nsPid: [28040, 5] }), 'SIGTERM', { euid: 0, origin: mine }).noEffect, false, 'not its init');
    const init = proc(1, { nsPid: [1] });
    for (const sig of ['SIGTERM', 'SIGKILL', 'SIGSTOP'] as const) {
      const r = signalRisk(init, sig, { euid: 0, origin: {} });
      assert.equal(r.noEffect, true, sig);
      assert.match(r.warnings.join('\n'), /init process of this pid namespace and does not handle/);
      assert.doesNotMatch(r.confirm.join('\n'), /cannot be caught/, `${sig}: nothing to be caught`);
    }
    assert.equal(signalRisk(proc(1, { nsPid: [1], state: 'T' }), 'SIGCONT', { euid: 0, origin: {} }).noEffect, false, 'SIGCONT resumes a stopped init on its way');
  });
  test('names in reasons and questions are escaped (a hostile comm stays one line)', () => {
    const p = proc(707, { comm: 'x\n[y](command:z)\x1b' });
    const r = signalRisk(p, 'SIGKILL', { euid: 0, origin: mine });
    assert.ok(r.confirm.every((c) => !/[\n\x1b]/.test(c)));
    const q = signalQuestion(p, r);
    assert.equal(q.title.split('\n').length, 1);
    assert.match(q.title, /^Send SIGKILL to "x\\n\[y\]\(command:z\)\\x1b"\[707\]\?$/);
    assert.equal(q.action, 'Send SIGKILL');
  });
});

describe('removeRisk: removal always asks', () => {
  const queue = { id: 'sysv-msg:5', kind: 'sysv-msg', msqid: 5, key: 0, messages: 1, bytes: 4, maxBytes: 16384, lastSendPid: 0, lastRecvPid: 0, uid: 1001, owner: 'bob', mode: '0600', lastSendTime: null, lastRecvTime: null, endpoints: [] } as unknown as Channel;
  test('own object: cannot be undone; another user\'s: says so; holders are named', () => {
    const own = removeRisk({ ...queue, uid: 0 } as Channel, { euid: 0, processes: new Map() });
    assert.equal(own.confirm.length, 1);
    assert.match(own.confirm[0], /cannot be undone/);
    const other = removeRisk(queue, { euid: 0, processes: new Map() });
    assert.match(other.confirm.join('\n'), /another user \(bob, uid 1001\)/);
    const shm = { id: 'posix-shm:[x](command:y)', kind: 'posix-shm', name: '[x](command:y)\n', size: 0, uid: 0, owner: 'root', mode: '0600', deleted: false, endpoints: [{ pid: 9, fd: 3, mode: 'rw' }] } as unknown as Channel;
    const q = removeQuestion({ channel: shm, processes: new Map([[9, proc(9, { comm: 'holder$(zap)' })]]) }, 0);
    assert.equal(q.title, 'Remove POSIX shared memory /[x](command:y)\\n (0 bytes)?');
    assert.match(q.detail, /^Held by: holder\$\(zap\)\[9\]\./);
  });

  test('what the snapshot could not see of the holders is said: unread fds, and maps not read whole for an object found through mappings', () => {
    const shm = { id: 'posix-shm:seg', kind: 'posix-shm', name: 'seg', size: 4096, uid: 0, owner: 'root', mode: '0600', deleted: false, endpoints: [] } as unknown as Channel;
    const mq = { id: 'posix-mq:q', kind: 'posix-mq', name: 'q', endpoints: [] } as unknown as Channel;
    const cut = [`${MAPS_CUT} 300 processes — 300 cut at the scan's bounds`];
    assert.match(removeQuestion({ channel: shm, processes: new Map() }, 0).detail, /^No process holds it open\.\n\n/);
    const q = removeQuestion({ channel: shm, processes: new Map(), warnings: cut }, 0);
    assert.match(q.detail, /^No process that could be read holds it open\.\nSome processes' memory mappings were not read whole .*one of them may map it\./);
    // a queue is held by fds only: cut maps hide none of its holders
    assert.deepEqual(removeRisk(mq, { euid: 0, processes: new Map(), warnings: cut }).unseen, []);
    const hidden = removeRisk(mq, { euid: 0, processes: new Map(), warnings: ['processes hidden: 2 (permission denied)', ...cut] }).unseen;
    assert.deepEqual(hidden, ["Some processes' fds could not be read (permission denied): one of them may hold it."]);
    // a SysV queue is held by no fd and no mapping: nothing unseen to say
    const sysv = { id: 'sysv-msg:5', kind: 'sysv-msg', msqid: 5, endpoints: [] } as unknown as Channel;
    assert.deepEqual(removeRisk(sysv, { euid: 0, processes: new Map(), warnings: ['processes hidden: 2 (permission denied)', ...cut] }).unseen, []);
    assert.match(removeQuestion({ channel: sysv, processes: new Map(), warnings: ['processes hidden: 2 (permission denied)'] }, 0).detail, /^No process holds it open\./);
    // fds not all listed (another user's millions of fds past the scan's budget, or its deadline)
    const fdsCut = [fdsCutWarning("7 fds of 1 process past the scan's budget")];
    assert.deepEqual(removeRisk(mq, { euid: 0, processes: new Map(), warnings: fdsCut }).unseen, [
      "Some processes' fds were not all listed (the scan's deadline, or more than it lists for one user): one of them may hold it.",
    ]);
    assert.match(removeQuestion({ channel: shm, processes: new Map(), warnings: fdsCut }, 0).detail, /^No process that could be read holds it open\./);
    assert.deepEqual(removeRisk(sysv, { euid: 0, processes: new Map(), warnings: fdsCut }).unseen, []);
  });
});

// ------------------------------------------------------------------------------------------------
// A fake /proc
// ------------------------------------------------------------------------------------------------

let root = '';
interface FakeProc { pid: number; ppid: number; sid: number; tty?: number; comm?: string; cmd?: string[]; children?: number[]; uid?: number }
function fake(p: FakeProc) {
  const d = path.join(root, String(p.pid));
  fs.mkdirSync(path.join(d, 'task', String(p.pid)), { recursive: true });
  // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime …
  fs.writeFileSync(path.join(d, 'stat'), `${p.pid} (${p.comm ?? 'node'}) S ${p.ppid} ${p.sid} ${p.sid} ${p.tty ?? 0} -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${1000 + p.pid} 0 0\n`);
  fs.writeFileSync(path.join(d, 'status'), `Name:\t${p.comm ?? 'node'}\nUid:\t${p.uid ?? 0}\t${p.uid ?? 0}\t${p.uid ?? 0}\t${p.uid ?? 0}\nTracerPid:\t0\nThreads:\t1\nSigIgn:\t0000000000004000\n`);
  fs.writeFileSync(path.join(d, 'cmdline'), (p.cmd ?? [p.comm ?? 'node']).join('\0') + '\0');
  fs.writeFileSync(path.join(d, 'task', String(p.pid), 'children'), (p.children ?? []).map((c) => `${c} `).join(''));
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-origin-'));
  const PTS = 34816;
  fake({ pid: 1, ppid: 0, sid: 1, comm: 'init' });
  fake({ pid: 50, ppid: 1, sid: 50, comm: 'code-server', children: [100, 60] });
  fake({ pid: 60, ppid: 50, sid: 50, comm: 'demo' }); // started beside the server by what started it
  fake({ pid: 100, ppid: 50, sid: 50, cmd: ['node', 'out/node/entry.js'], children: [110, 111, 112, 113, 114] });
  fake({ pid: 110, ppid: 100, sid: 50, cmd: ['node', 'bootstrap-fork', '--type=extensionHost'], children: [131] });
  fake({ pid: 111, ppid: 100, sid: 50, cmd: ['node', 'bootstrap-fork', '--type=extensionHost'], children: [130] });
  fake({ pid: 112, ppid: 100, sid: 50, cmd: ['node', 'bootstrap-fork', '--type=ptyHost'], children: [120] }); // 122 started after the walk
  fake({ pid: 113, ppid: 100, sid: 50, cmd: ['node', 'bootstrap-fork', '--type=fileWatcher'] });
  fake({ pid: 114, ppid: 100, sid: 50, comm: 'helper', cmd: ['helper', '--type=nonsense'] });
  fake({ pid: 120, ppid: 112, sid: 120, tty: PTS, comm: 'bash', children: [121] });
  fake({ pid: 121, ppid: 120, sid: 120, tty: PTS, comm: 'make' });
  fake({ pid: 122, ppid: 112, sid: 122, tty: PTS + 1, comm: 'zsh', children: [123] });
  fake({ pid: 123, ppid: 122, sid: 122, tty: PTS + 1, comm: 'vim' });
  fake({ pid: 130, ppid: 111, sid: 50, comm: 'tsserver' });
  fake({ pid: 131, ppid: 110, sid: 50, comm: 'fixture' });
  // a container's init (session 0) running a CI runner, its test process and what that started
  fake({ pid: 300, ppid: 1, sid: 0, comm: 'runner' });
  fake({ pid: 301, ppid: 300, sid: 0, comm: 'node' });
  fake({ pid: 302, ppid: 301, sid: 0, comm: 'sleep' });
  fake({ pid: 303, ppid: 1, sid: 0, comm: 'postgres' });
  fake({ pid: 140, ppid: 113, sid: 50, comm: 'watcher-kid' }); // not in 113's children file: appeared later
  fake({ pid: 200, ppid: 1, sid: 200, comm: 'sshd' });
  fake({ pid: 201, ppid: 1, sid: 201, comm: 'nohup-daemon' });
  fake({ pid: 202, ppid: 201, sid: 201, comm: 'worker', uid: 1001 });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('vscodeOrigins on a fake code-server tree', () => {
  test('the server, its helpers and the extension host\'s ancestors are VS Code\'s own', async () => {
    const o = await vscodeOrigins(110, root);
    assert.deepEqual([...o.vscode.keys()].sort((a, b) => a - b), [50, 100, 110, 111, 112, 113, 114]);
    assert.match((await o.origin(110)).vscode!, /extension host running IPC Inspector/);
    assert.match((await o.origin(100)).vscode!, /VS Code server/);
    assert.match((await o.origin(50)).vscode!, /ancestor of the VS Code server \(code-server\)/);
    assert.equal((await o.origin(111)).vscode, 'a VS Code extension host');
    assert.equal((await o.origin(112)).vscode, 'the VS Code terminal host (pty host)');
    assert.equal((await o.origin(113)).vscode, 'the VS Code file watcher');
    assert.match((await o.origin(114)).vscode!, /VS Code server process \(helper\)/);
    assert.match((await o.origin(140)).vscode!, /started by the VS Code file watcher/);
    // what started the server is kept apart: its other children (a demo beside the server) are not VS Code's
    assert.deepEqual([...(o.aboveServer ?? [])], [50]);
    assert.deepEqual(await o.origin(60), {});
  });
  test('terminal shells and what runs in them are the user\'s, also a terminal opened after the walk', async () => {
    const o = await vscodeOrigins(110, root);
    for (const pid of [120, 121, 122, 123]) assert.deepEqual(await o.origin(pid), { startedBy: STARTED_IN_TERMINAL }, String(pid));
  });
  test('what extension hosts started (language servers, fixtures, debuggees) is started by the user here', async () => {
    const o = await vscodeOrigins(110, root);
    assert.deepEqual(await o.origin(130), { startedBy: STARTED_BY_EXTENSION });
    assert.deepEqual(await o.origin(131), { startedBy: STARTED_BY_EXTENSION });
  });
  test('daemons outside VS Code have no origin: as root, signalling them asks', async () => {
    const o = await vscodeOrigins(110, root);
    for (const pid of [1, 200, 201, 202, 99999]) assert.deepEqual(await o.origin(pid), {}, String(pid));
    const sshd = (await readProcessInfo(200, root, () => 'root'))!;
    assert.equal(sshd.comm, 'sshd');
    assert.deepEqual(sshd.signals.ignored, ['SIGTERM']);
    assert.match(signalRisk(sshd, 'SIGHUP', { euid: 0, origin: await o.origin(200) }).confirm[0], /not started from this session/);
  });
});

describe('sessionOrigins (the CLI)', () => {
  test('the caller\'s terminal session and its descendants are the user\'s; nothing else', async () => {
    const o = await sessionOrigins(121, root);
    assert.deepEqual(await o.origin(120), { startedBy: STARTED_IN_SESSION });
    assert.deepEqual(await o.origin(121), { startedBy: STARTED_IN_SESSION });
    for (const pid of [1, 100, 112, 122, 200, 202]) assert.deepEqual(await o.origin(pid), {}, String(pid));
  });
  test('a caller without a session of its own (session 0, as under a container\'s init): what its parent started is the user\'s, not the whole machine', async () => {
    const o = await sessionOrigins(301, root);
    for (const pid of [301, 302]) assert.deepEqual(await o.origin(pid), { startedBy: STARTED_IN_SESSION }, String(pid));
    for (const pid of [1, 303, 120]) assert.deepEqual(await o.origin(pid), {}, String(pid));
    // its parent is the namespace's init: only its own descendants
    const top = await sessionOrigins(300, root);
    assert.deepEqual(await top.origin(302), { startedBy: STARTED_IN_SESSION });
    assert.deepEqual(await top.origin(303), {});
  });
});

describe('a signal a problem offers (one click in the Problems view)', () => {
  test('SIGTERM, SIGKILL and SIGSTOP are asked for with the offer’s reason; SIGCONT and SIGCHLD go as offered', () => {
    assert.match(offeredSignalReason('SIGTERM', 'ends one side of the cycle')!, /^the diagnosis offers SIGTERM \(ends one side of the cycle\): by default it ends the process/);
    assert.match(offeredSignalReason('SIGKILL')!, /ends the process/);
    assert.match(offeredSignalReason('SIGSTOP')!, /stops the process/);
    assert.equal(offeredSignalReason('SIGCONT', 'resumes it'), undefined);
    assert.equal(offeredSignalReason('SIGCHLD'), undefined);
  });

  test('runSignal asks with `ask` even where the policy would not, and a no sends nothing', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const p = (await readProcessInfo(child.pid!))!;
      assert.ok(p, 'the child is readable');
      const origin = async () => ({ startedBy: STARTED_IN_TERMINAL });
      const euid = p.uid;
      assert.deepEqual(signalRisk(p, 'SIGTERM', { euid, origin: { startedBy: STARTED_IN_TERMINAL } }).confirm, [], 'the policy alone would not ask');
      const questions: string[] = [];
      const out = await runSignal({ process: p, signal: 'SIGTERM', ask: offeredSignalReason('SIGTERM', 'ends one side of the cycle') }, { euid, origin, confirm: (q) => (questions.push(`${q.title}\n${q.detail}`), false) });
      assert.equal(out.status, 'cancelled');
      assert.equal(questions.length, 1);
      assert.match(questions[0], /^Send SIGTERM to sleep\[\d+\]\?\nthe diagnosis offers SIGTERM/);
      assert.equal(child.exitCode, null);
      assert.equal(child.signalCode, null, 'nothing was sent');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('stillRunning: an offered action on an older view asks nothing about a process that is no more', () => {
  test('alive at its start time: true; another start time, a reaped pid, a zombie: false', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 100));
    const p = (await readProcessInfo(child.pid!))!;
    assert.equal(await stillRunning(p.pid, p.startTime), true);
    assert.equal(await stillRunning(p.pid, p.startTime + 1), false, 'a recycled pid is another process');
    child.kill('SIGKILL');
    await exited;
    assert.equal(await stillRunning(p.pid, p.startTime), false, 'reaped');
    // a zombie: a shell whose child exits and is not waited for (exec keeps the shell's pid on sleep)
    const z = spawn('sh', ['-c', 'sleep 0 & exec sleep 30'], { stdio: 'ignore' });
    try {
      let zombie: number | undefined;
      for (let i = 0; i < 50 && zombie === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50));
        for (const t of fs.readdirSync(`/proc/${z.pid}/task`)) {
          const kids = fs.readFileSync(`/proc/${z.pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
          for (const k of kids) if (/^State:\s+Z/m.test(fs.readFileSync(`/proc/${k}/status`, 'utf8'))) zombie = k;
        }
      }
      assert.ok(zombie, 'a zombie child');
      const zp = (await readProcessInfo(zombie))!;
      assert.equal(await stillRunning(zombie, zp.startTime), false, 'a zombie has exited');
    } finally {
      z.kill('SIGKILL');
    }
  });
});
