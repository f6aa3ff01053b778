// Core actions on real kernel objects: peeks return exactly what is queued and never consume it
// (1,000 repeated peeks leave every queue, pipe and socket as it was, checked by reading the
// data out afterwards), signals reach exactly the process they were meant for (a recorder
// written in C logs signo and si_value), a recycled pid (wrong start time) is refused.
// Objects are created in-test: perl for SysV (msgsnd/shmwrite/semop are perl builtins), Node
// children for pipes and sockets, a tiny C program for the signal recorder.
import { test, describe, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { devName } from '../../src/core/probes/context';
import { makeFixture, toolBinary } from '../../fixtures/ipcFixture';
import { cannotActAsNobody, runAsNobody, stageForOtherUsers, type Staged } from '../harness/otherUser';
import type { Channel, ProcessInfo } from '../../src/core/model';
import {
  peekChannel, receivePosixMq, removeObject, sendSignal, readStartTime, signalRisk, ActionError,
  type BytesPeek, type MessagesPeek, type SemaphoresPeek,
} from '../../src/core/actions';

const native = loadNative().addon;
const noNative = native ? false : `native addon not loaded (${loadNative().error})`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-actions-'));
const children: ChildProcess[] = [];
const REPEATS = 1000;

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

function perl(code: string, ...args: string[]): string {
  return execFileSync('perl', ['-MIPC::SysV=:all', '-e', code, ...args], { encoding: 'latin1' });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(fn: () => T | undefined | null | false, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function fakeProc(pid: number, over: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid, ppid: 1, comm: 'x', cmdline: [], uid: process.geteuid!(), user: 'root', startTime: 0, state: 'S', tracerPid: 0,
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null },
    timers: [], threads: 1, cwd: null, exe: null, ...over,
  };
}

function pattern(n: number, seed: string): Buffer {
  const out = Buffer.alloc(n);
  let h = crypto.createHash('sha256').update(seed).digest();
  for (let i = 0; i < n; i += h.length) {
    h.copy(out, i, 0, Math.min(h.length, n - i));
    h = crypto.createHash('sha256').update(h).digest();
  }
  return out;
}

describe('SysV message queue', () => {
  let msqid = -1;
  const msgs: Array<[number, Buffer]> = [
    [1, Buffer.from('first message')],
    [7, Buffer.from([0, 1, 2, 255, 254, 10, 13])],
    [2, Buffer.from('<img src=x onerror=alert(1)>')],
    [42, pattern(3000, 'big')],
  ];
  before(() => {
    msqid = Number(perl('print msgget(IPC_PRIVATE, 0600)'));
    for (const [t, b] of msgs) perl('msgsnd($ARGV[0], pack("l! a*", $ARGV[1], pack("H*", $ARGV[2])), 0) or die $!', String(msqid), String(t), b.toString('hex'));
  });
  after(() => {
    if (msqid >= 0) try { perl('msgctl($ARGV[0], IPC_RMID, 0)', String(msqid)); } catch { /* removed by the test */ }
  });
  const channel = (): Channel => ({
    id: `sysv-msg:${msqid}`, kind: 'sysv-msg', endpoints: [], key: 0, msqid, messages: msgs.length, bytes: 0, maxBytes: 16384,
    lastSendPid: 0, lastRecvPid: 0, uid: 0, owner: 'root', mode: '0600', lastSendTime: null, lastRecvTime: null,
  });

  test('peek returns exactly the queued messages, in order, with counters unchanged', { skip: noNative }, async () => {
    const r = (await peekChannel(channel(), [], { maxBytes: 65536 })) as MessagesPeek;
    assert.equal(r.type, 'messages');
    assert.deepEqual(r.messages.map((m) => [m.type, m.size]), msgs.map(([t, b]) => [t, b.length]));
    r.messages.forEach((m, i) => assert.ok(m.data.equals(msgs[i][1]), `message ${i} bytes`));
    assert.deepEqual(r.before, { messages: 4, bytes: msgs.reduce((a, [, b]) => a + b.length, 0) });
    assert.deepEqual(r.after, r.before);
  });

  test('an offset counts messages: the peek starts at that position, each message keeps its index, and the note says where the rest is', { skip: noNative }, async () => {
    const later = (await peekChannel(channel(), [], { offset: 2, maxBytes: 65536 })) as MessagesPeek;
    assert.deepEqual(later.messages.map((m) => [m.index, m.type, m.size]), [[2, 2, msgs[2][1].length], [3, 42, msgs[3][1].length]]);
    assert.ok(later.messages[0].data.equals(msgs[2][1]));
    assert.equal(later.truncated, false);
    assert.ok(later.notes.some((n) => n.startsWith('showing messages 2–3 of 4')), later.notes.join(' | '));
    // a page of one: the next page is named
    const one = (await peekChannel(channel(), [], { offset: 1, maxMessages: 1 })) as MessagesPeek;
    assert.deepEqual(one.messages.map((m) => [m.index, m.type]), [[1, 7]]);
    assert.equal(one.truncated, true);
    assert.equal(one.first, 1);
    assert.equal(one.next, 2);
    const first = (await peekChannel(channel(), [], { maxMessages: 3 })) as MessagesPeek;
    assert.ok(first.notes.some((n) => n.startsWith('showing the first 3 of 4 messages')), first.notes.join(' | '));
    assert.equal(first.next, 3);
    assert.equal(later.next, null);
    // past the end: nothing, said so; the queue is as it was
    const past = (await peekChannel(channel(), [], { offset: 4 })) as MessagesPeek;
    assert.deepEqual(past.messages, []);
    assert.ok(past.notes.some((n) => /holds 4 messages: none from message 4 on/.test(n)), past.notes.join(' | '));
    assert.deepEqual(past.after, past.before);
    assert.equal(past.before?.messages, 4);
  });

  test('maxBytes cuts messages and says so', { skip: noNative }, async () => {
    const r = (await peekChannel(channel(), [], { maxBytes: 4 })) as MessagesPeek;
    assert.equal(r.messages[0].data.toString(), 'firs');
    assert.equal(r.messages[0].truncated, true);
    assert.equal(r.messages[0].size, 13);
  });

  test(`${REPEATS} peeks leave the queue intact (read out afterwards)`, { skip: noNative }, async () => {
    for (let i = 0; i < REPEATS; i++) {
      const r = (await peekChannel(channel(), [], {})) as MessagesPeek;
      assert.equal(r.messages.length, msgs.length);
    }
    const out = perl('for (1..4) { msgrcv($ARGV[0], my $b, 65536, 0, IPC_NOWAIT) or die $!; my ($t, $d) = unpack("l! a*", $b); print "$t:", unpack("H*", $d), "\\n" }', String(msqid));
    assert.deepEqual(out.trim().split('\n'), msgs.map(([t, b]) => `${t}:${b.toString('hex')}`));
  });

  test('removeObject removes it (IPC_RMID through the addon, ipcrm without it)', async () => {
    const r = await removeObject(channel());
    assert.match(r.action, noNative ? new RegExp(`^ipcrm -q ${msqid} \\(the native addon is not loaded`) : new RegExp(`^msgctl\\(${msqid}, IPC_RMID\\)$`));
    assert.ok(!fs.readFileSync('/proc/sysvipc/msg', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1] === String(msqid)));
    msqid = -1;
  });
});

const payload = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => 97 + (i % 26)));

describe('pipe and FIFO (ipc-fixture)', () => {
  for (const kind of ['pipe', 'fifo'] as const) {
    test(`${kind}: peek returns the buffered bytes; 1,000 peeks leave them in place`, { skip: noNative }, async () => {
      const fx = await makeFixture(kind, { bytes: 5000 });
      try {
        const { reader, writer, inode } = fx.info as { reader: { pid: number; fd: number }; writer: { pid: number; fd: number }; inode: number };
        const data = payload(5000);
        const endpoints = [{ pid: writer.pid, fd: writer.fd, mode: 'w' as const }, { pid: reader.pid, fd: reader.fd, mode: 'r' as const }];
        const ch = (kind === 'pipe'
          ? { id: `pipe:${inode}`, kind, inode, endpoints, bufferedBytes: null, capacity: null }
          : { id: `fifo:x:${inode}`, kind, inode, dev: devName(fs.statSync(fx.info.path as string).dev), path: fx.info.path, deleted: false, endpoints, bufferedBytes: null, capacity: null }) as Channel;
        const r = (await peekChannel(ch, [], { maxBytes: 65536 })) as BytesPeek;
        assert.equal(r.total, data.length);
        assert.ok(r.data.equals(data), 'peeked bytes equal the written bytes');
        const part = (await peekChannel(ch, [], { maxBytes: 100, offset: 10 })) as BytesPeek;
        assert.ok(part.data.equals(data.subarray(10, 110)));
        assert.equal(part.truncated, true);
        for (let i = 0; i < REPEATS; i++) await peekChannel(ch, [], { maxBytes: 65536 });
        // Read the pipe out (this consumes it) and compare: same bytes, same order.
        const fd = fs.openSync(`/proc/${reader.pid}/fd/${reader.fd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        const buf = Buffer.alloc(65536);
        let n = 0;
        try {
          n = fs.readSync(fd, buf, 0, buf.length, null);
        } finally {
          fs.closeSync(fd);
        }
        assert.ok(buf.subarray(0, n).equals(data), 'pipe contents unchanged after 1,000 peeks');
      } finally {
        await fx.close();
      }
    });
  }
});

// A child that accepts one connection, never reads until told to on stdin, then prints the hex of what it got.
const SOCKET_CHILD = `
const net = require('net');
const mode = process.argv[1], where = process.argv[2];
const srv = net.createServer({ pauseOnConnect: true }, (s) => {
  process.stdout.write(JSON.stringify({ fd: s._handle.fd }) + '\\n');
  process.stdin.once('data', () => {
    const chunks = [];
    s.on('data', (c) => chunks.push(c));
    s.resume();
    setTimeout(() => { process.stdout.write(Buffer.concat(chunks).toString('hex') + '\\n'); process.exit(0); }, 300);
  });
});
srv.listen(mode === 'unix' ? where : { host: '127.0.0.1', port: 0 }, () => process.stdout.write(JSON.stringify({ port: srv.address().port || 0 }) + '\\n'));
`;

for (const mode of ['unix', 'tcp'] as const) {
  describe(`${mode} socket`, () => {
    test('peek returns exactly the unread bytes; 1,000 peeks leave them in place', { skip: noNative }, async () => {
      const net = await import('node:net');
      const sockPath = path.join(tmp, `s-${mode}.sock`);
      const child = spawn(process.execPath, ['-e', SOCKET_CHILD, mode, sockPath], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      const lines: string[] = [];
      let acc = '';
      child.stdout!.on('data', (c: Buffer) => {
        acc += c.toString();
        let i;
        while ((i = acc.indexOf('\n')) >= 0) { lines.push(acc.slice(0, i)); acc = acc.slice(i + 1); }
      });
      const hello = JSON.parse(await waitFor(() => lines[0], 'listen')) as { port: number };
      const data = pattern(20000, mode);
      const client = mode === 'unix' ? net.connect(sockPath) : net.connect(hello.port, '127.0.0.1');
      await new Promise<void>((res) => client.once('connect', () => res()));
      client.write(data);
      const { fd } = JSON.parse(await waitFor(() => lines[1], 'accept')) as { fd: number };
      const inode = Number(/^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${child.pid}/fd/${fd}`))![1]);
      const ch = {
        id: `${mode}:x`, kind: mode, endpoints: [{ pid: child.pid!, fd, mode: 'rw' }], state: 'ESTAB',
        recvQueue: data.length, sendQueue: 0, inode, netns: '', type: 'stream', family: 4, local: '', remote: '', uid: 0,
      } as unknown as Channel;
      await waitFor(async () => true, 'x');
      // Wait until every byte arrived in the receive queue.
      let r = (await peekChannel(ch, [], { maxBytes: 65536 })) as BytesPeek;
      const end = Date.now() + 5000;
      while (r.data.length < data.length && Date.now() < end) { await sleep(20); r = (await peekChannel(ch, [], { maxBytes: 65536 })) as BytesPeek; }
      assert.ok(r.data.equals(data), 'peeked bytes equal the sent bytes');
      for (let i = 0; i < REPEATS; i++) {
        const again = (await peekChannel(ch, [], { maxBytes: 65536 })) as BytesPeek;
        if (i % 250 === 0) assert.ok(again.data.equals(data));
      }
      child.stdin!.write('go\n');
      const hex = await waitFor(() => lines[2], 'read-out');
      assert.equal(hex, data.toString('hex'), 'the process still reads every byte, in order');
      client.destroy();
    });
  });
}

describe('shared memory', () => {
  test('SysV shm: bytes at an offset', { skip: noNative }, async () => {
    const data = pattern(10000, 'shm');
    const shmid = Number(perl('my $id = shmget(IPC_PRIVATE, 10000, 0600) // die $!; shmwrite($id, pack("H*", $ARGV[0]), 0, 10000) or die $!; print $id', data.toString('hex')));
    try {
      const ch: Channel = { id: `sysv-shm:${shmid}`, kind: 'sysv-shm', endpoints: [], key: 0, shmid, size: 10000, attachCount: 0, creatorPid: 0, lastPid: 0, uid: 0, owner: 'root', mode: '0600', destroyed: false, orphaned: true };
      const r = (await peekChannel(ch, [], { offset: 4096, maxBytes: 1000 })) as BytesPeek;
      assert.ok(r.data.equals(data.subarray(4096, 5096)));
      assert.equal(r.total, 10000);
      await assert.rejects(peekChannel(ch, [], { offset: 20000 }), (e: ActionError) => e.code === 'EINVAL');
      const rm = await removeObject(ch);
      assert.equal(rm.action, `shmctl(${shmid}, IPC_RMID)`);
    } finally {
      try { perl('shmctl($ARGV[0], IPC_RMID, 0)', String(shmid)); } catch { /* removed */ }
    }
  });

  test('SysV shm an attacher maps: read through its mapping, the segment\'s attach count, last pid and times left as they were; its size, not the mapping\'s whole pages', { skip: noNative }, async () => {
    const fx = await makeFixture('sysv-shm', { size: 5000, attach: 2 });
    try {
      const shmid = fx.info.shmid as number;
      const stat = async () => (await loadNative().addon!.sysvShmList()).find((r) => r.shmid === shmid)!;
      const snap = await takeSnapshot({ kinds: ['sysv-shm'] });
      const ch = snap.channels.find((c) => c.kind === 'sysv-shm' && c.shmid === shmid);
      assert.ok(ch && ch.kind === 'sysv-shm' && ch.mapDev !== undefined, `mapDev of ${shmid}: ${JSON.stringify(ch)}`);
      const before = await stat();
      await new Promise((r) => setTimeout(r, 1100)); // a second later: shmat would move atime/dtime
      for (let i = 0; i < 3; i++) {
        const r = (await peekChannel(ch, snap.processes, { maxBytes: 64 })) as BytesPeek;
        assert.match(r.method, /^pread\(\/proc\/\d+\/mem\) of the mapping /);
        assert.equal(r.data.length, 64);
        assert.equal(r.total, 5000, 'the segment\'s size (shm_segsz), not its mapping\'s 8192');
      }
      // the last bytes of the segment, and none of the page past it
      const tail = (await peekChannel(ch, snap.processes, { offset: 4990, maxBytes: 64 })) as BytesPeek;
      assert.deepEqual({ length: tail.data.length, truncated: tail.truncated }, { length: 10, truncated: false });
      await assert.rejects(peekChannel(ch, snap.processes, { offset: 6000 }), (e: ActionError) => e.code === 'EINVAL');
      const after = await stat();
      assert.deepEqual({ nattch: after.nattch, lpid: after.lpid, atime: after.atime, dtime: after.dtime }, { nattch: before.nattch, lpid: before.lpid, atime: before.atime, dtime: before.dtime });
    } finally {
      await fx.close();
    }
  });

  test('POSIX shm: bytes at an offset, then unlink', async () => {
    const name = `ipc-actions-${process.pid}`;
    const data = pattern(9000, 'pshm');
    fs.writeFileSync(`/dev/shm/${name}`, data);
    const st = fs.lstatSync(`/dev/shm/${name}`);
    const ch: Channel = { id: `posix-shm:${name}`, kind: 'posix-shm', endpoints: [], name, size: 9000, uid: 0, owner: 'root', mode: '0600', deleted: false, fileId: `${devName(st.dev)}:${st.ino}` };
    const r = (await peekChannel(ch, [], { offset: 8000, maxBytes: 5000 })) as BytesPeek;
    assert.ok(r.data.equals(data.subarray(8000)));
    assert.equal(r.truncated, false);
    await assert.rejects(peekChannel({ ...ch, name: '../etc/passwd' }, []), (e: ActionError) => e.code === 'EINVAL');
    await removeObject(ch);
    assert.equal(fs.existsSync(`/dev/shm/${name}`), false);
  });
});

describe('semaphores and POSIX queues', () => {
  test('SysV semaphore values', async () => {
    const semid = Number(perl('my $id = semget(IPC_PRIVATE, 3, 0600) // die $!; semop($id, pack("s!3", 0, 5, 0)) or die $!; semop($id, pack("s!3", 2, 9, 0)) or die $!; print $id'));
    try {
      const ch: Channel = { id: `sysv-sem:${semid}`, kind: 'sysv-sem', endpoints: [], key: 0, semid, nsems: 3, values: [5, 0, 9], waitingForIncrease: [0, 0, 0], waitingForZero: [0, 0, 0], lastPid: null, uid: 0, owner: 'root', mode: '0600' };
      const r = (await peekChannel(ch, [])) as SemaphoresPeek;
      assert.deepEqual(r.semaphores.map((s) => s.value), [5, 0, 9]);
      await removeObject(ch);
    } finally {
      try { perl('semctl($ARGV[0], 0, IPC_RMID, 0)', String(semid)); } catch { /* removed */ }
    }
  });

  test('POSIX mq: attributes only, with the explanation', async () => {
    const ch: Channel = { id: 'posix-mq:none', kind: 'posix-mq', endpoints: [], name: `ipc-actions-missing-${process.pid}`, messages: 3, maxMessages: 10, messageSize: 8192, bytes: 30, notifyPid: null, uid: 0, owner: 'root', mode: '0600', deleted: false };
    const r = await peekChannel(ch, [], { native: null });
    assert.equal(r.type, 'mq-attributes');
    assert.equal((r as { nonDestructiveReadUnavailable: boolean }).nonDestructiveReadUnavailable, true);
    assert.match((r as { explanation: string }).explanation, /no non-destructive read/);
  });
});

describe('signals', () => {
  // fixtures/ipc-tool.c `record LOG`: logs "signo value code" per SIGUSR1 / SIGRTMIN+3
  let exe = '';
  before(async () => {
    exe = await toolBinary('ipc-tool');
  });

  async function recorder(): Promise<{ pid: number; log: string; startTime: number; lines: () => string[] }> {
    const log = path.join(tmp, `rec-${Math.random().toString(36).slice(2)}.log`);
    const child = spawn(exe, ['record', log], { stdio: 'ignore' });
    children.push(child);
    const lines = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);
    await waitFor(() => lines().includes('ready'), 'recorder ready');
    return { pid: child.pid!, log, startTime: readStartTime(child.pid!), lines };
  }

  test('SIGUSR1 arrives', async () => {
    const r = await recorder();
    const res = await sendSignal({ pid: r.pid, startTime: r.startTime, signal: 'SIGUSR1' });
    assert.equal(res.signal, 10);
    assert.equal(res.method, native ? 'pidfd_send_signal' : 'kill');
    await waitFor(() => r.lines().some((l) => l.startsWith('10 ')), 'SIGUSR1 logged');
  });

  test('SIGRTMIN+3 with value 42 arrives with its value', { skip: noNative }, async () => {
    const r = await recorder();
    const res = await sendSignal({ pid: r.pid, startTime: r.startTime, signal: 'SIGRTMIN+3', value: 42 });
    assert.equal(res.signal, 37);
    const line = await waitFor(() => r.lines().find((l) => l.startsWith('37 ')), 'SIGRTMIN+3 logged');
    assert.equal(line.split(' ')[1], '42');
  });

  test('a recycled pid (other start time) is refused and nothing is sent', async () => {
    const r = await recorder();
    await assert.rejects(sendSignal({ pid: r.pid, startTime: r.startTime - 1, signal: 'SIGUSR1' }), (e: ActionError) => {
      assert.equal(e.code, 'ESTALE');
      assert.match(e.message, /replaced \(pid recycled\)/);
      return true;
    });
    await sleep(150);
    assert.deepEqual(r.lines(), ['ready']);
  });

  test('without the addon: kill() after the same start-time check, and it says the guarantee is weaker', async () => {
    const r = await recorder();
    const res = await sendSignal({ pid: r.pid, startTime: r.startTime, signal: 'SIGUSR1' }, { native: null });
    assert.equal(res.method, 'kill');
    assert.match(res.weakerGuarantee ?? '', /weaker|recycled/);
    await waitFor(() => r.lines().some((l) => l.startsWith('10 ')), 'SIGUSR1 logged');
    await assert.rejects(sendSignal({ pid: r.pid, startTime: r.startTime + 7, signal: 'SIGUSR1' }, { native: null }), (e: ActionError) => e.code === 'ESTALE');
    await assert.rejects(sendSignal({ pid: r.pid, startTime: r.startTime, signal: 'SIGRTMIN+3', value: 42 }, { native: null }), (e: ActionError) => e.code === 'ENOTSUP');
  });

  test('a gone pid is ESRCH; bad input is EINVAL', async () => {
    const child = spawn('true');
    await new Promise((res) => child.once('exit', res));
    await assert.rejects(sendSignal({ pid: child.pid!, startTime: 1, signal: 15 }), (e: ActionError) => e.code === 'ESRCH');
    await assert.rejects(sendSignal({ pid: 1, startTime: 1, signal: 'SIGNOPE' }), (e: ActionError) => e.code === 'EINVAL');
    await assert.rejects(sendSignal({ pid: -5, startTime: 1, signal: 15 }), (e: ActionError) => e.code === 'EINVAL');
  });

  test('signalRisk: ignored, SIGKILL, PID 1, VS Code processes, other users', () => {
    const euid = process.geteuid!();
    const mine = { startedBy: 'your terminal session' };
    const p = fakeProc(1234, { signals: { pending: [], shdPending: [], blocked: ['SIGUSR2'], ignored: ['SIGTERM'], caught: ['SIGUSR1'], queued: 0, queueLimit: 0 } });
    assert.deepEqual(signalRisk(p, 'SIGTERM', { euid, origin: mine }).warnings, ['SIGTERM is ignored by this process — it will have no effect']);
    assert.equal(signalRisk(p, 'SIGTERM', { euid, origin: mine }).confirm.length, 0);
    assert.match(signalRisk(p, 'SIGUSR2', { euid, origin: mine }).warnings[0], /blocked/);
    assert.equal(signalRisk(p, 'SIGUSR1', { euid, origin: mine }).warnings.length, 0);
    assert.equal(signalRisk(p, 9, { euid, origin: mine }).confirm.length, 1);
    assert.equal(signalRisk(p, 'STOP', { euid, origin: mine }).confirm.length, 1);
    assert.equal(signalRisk(fakeProc(1, { signals: p.signals }), 'SIGUSR1', { euid, origin: mine }).confirm.length, 1);
    assert.match(signalRisk({ ...p, uid: euid + 1, user: 'bob' }, 'SIGUSR1', { euid, origin: mine }).confirm[0], /another user \(bob, uid \d+\)/);
    assert.match(signalRisk(p, 'SIGUSR1', { euid, origin: { vscode: 'the VS Code server' } }).confirm[0], /VS Code server/);
  });
});

describe('more kinds through ipc-fixture', () => {
  test('POSIX mq: attributes through mq_getattr; receivePosixMq consumes exactly one', { skip: noNative }, async () => {
    const fx = await makeFixture('posix-mq', { msgs: [{ priority: 1, text: 'one' }, { priority: 5, text: 'urgent' }] });
    try {
      const ch: Channel = { id: `posix-mq:${fx.info.name}`, kind: 'posix-mq', endpoints: [], name: fx.info.name, messages: null, maxMessages: null, messageSize: null, bytes: null, notifyPid: null, uid: 0, owner: 'root', mode: '0600', deleted: false };
      const r = await peekChannel(ch, []);
      assert.equal(r.type, 'mq-attributes');
      if (r.type !== 'mq-attributes') return;
      assert.equal(r.messages, 2);
      assert.equal(r.maxMessages, fx.info.maxMessages);
      assert.equal(r.nonDestructiveReadUnavailable, true);
      for (let i = 0; i < 100; i++) await peekChannel(ch, []);
      assert.equal(((await peekChannel(ch, [])) as { messages: number }).messages, 2, 'peeking does not consume');
      const got = await receivePosixMq(ch);
      assert.equal(got.priority, 5);
      assert.equal(got.data.toString(), 'urgent');
      assert.equal(((await peekChannel(ch, [])) as { messages: number }).messages, 1);
    } finally {
      await fx.close();
    }
  });

  test('unix datagram socket: the first datagram, with a note', { skip: noNative }, async () => {
    const fx = await makeFixture('unix-dgram', { bytes: 100, datagrams: 3 });
    try {
      const s = fx.info.server as { pid: number; fd: number; inode: number };
      const ch = { id: `unix:${s.inode}`, kind: 'unix', type: 'dgram', state: 'unconnected', inode: s.inode, endpoints: [{ pid: s.pid, fd: s.fd, mode: 'rw' }], recvQueue: null, sendQueue: null, netns: '' } as Channel;
      const r = (await peekChannel(ch, [])) as BytesPeek;
      assert.ok(r.data.length > 0 && r.data.length <= 100);
      assert.ok(r.notes.some((n) => /first queued datagram/.test(n)));
    } finally {
      await fx.close();
    }
  });

  test('datagrams and streams: a zero-length first datagram, a datagram cut at the bound, a stream peek stopped by passed fds, a TCP peek stopped at urgent data — each said, nothing consumed', { skip: noNative }, async () => {
    // One process holds the receiving ends; it reads everything on "read" and prints what it got.
    const py = `
import socket, os, sys, array, json
du, dsend = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
for d in (b'', b'HEAD', b'x' * 1500): dsend.send(d)
ur = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); ur.bind(('127.0.0.1', 0))
us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); us.sendto(bytes(range(250)) * 4, ur.getsockname())
sr, ss = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
ss.send(b'AAA'); ss.sendmsg([b'BBB'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [0]))]); ss.send(b'CCC')
qr, qs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
for d in (b'r' * 10, b's' * 200, b't' * 3000): qs.send(d)
# urgent data on TCP: the peek stops at its mark
tl = socket.socket(); tl.bind(('127.0.0.1', 0)); tl.listen(1)
tc = socket.create_connection(tl.getsockname()); tr, _ = tl.accept()
tc.send(b'abc'); tc.send(b'X', socket.MSG_OOB); tc.send(b'def')
import time; time.sleep(0.2)
print(json.dumps({'pid': os.getpid(), 'du': du.fileno(), 'ur': ur.fileno(), 'sr': sr.fileno(), 'qr': qr.fileno(), 'tr': tr.fileno(), 'tport': tl.getsockname()[1], 'cport': tc.getsockname()[1]}), flush=True)
sys.stdin.readline()
got = {'du': [len(du.recv(4096)) for _ in range(3)], 'ur': len(ur.recv(4096)), 'qr': [len(qr.recv(4096)) for _ in range(3)], 'sr': b''}
while len(got['sr']) < 9: got['sr'] += sr.recv(64)
got['sr'] = got['sr'].decode()
t = tr.recv(64); o = tr.recv(1, socket.MSG_OOB); t += tr.recv(64)
got['tr'] = t.decode() + '|' + o.decode()
print(json.dumps(got), flush=True)
`;
    const child = spawn('python3', ['-c', py], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let waiting: (() => void) | undefined;
    child.stdout!.setEncoding('utf8');
    let buf = '';
    child.stdout!.on('data', (d: string) => {
      buf += d;
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) lines.push(buf.slice(0, i));
      waiting?.();
    });
    const next = async () => {
      while (lines.length === 0) await new Promise<void>((r) => (waiting = r));
      return lines.shift()!;
    };
    try {
      const at = JSON.parse(await next()) as { pid: number; du: number; ur: number; sr: number; qr: number; tr: number; tport: number; cport: number };
      const inode = (fd: number) => Number(/socket:\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${at.pid}/fd/${fd}`))![1]);
      const ep = (fd: number) => [{ pid: at.pid, fd, mode: 'rw' as const }];
      const unix = (fd: number, type: string) => ({ id: `unix:${inode(fd)}`, kind: 'unix', type, state: 'estab', inode: inode(fd), endpoints: ep(fd), recvQueue: null, sendQueue: null, netns: '' }) as unknown as Channel;

      const empty = (await peekChannel(unix(at.du, 'dgram'), [])) as BytesPeek;
      assert.equal(empty.data.length, 0);
      assert.equal(empty.total, 0, 'the first datagram\'s length');
      assert.ok(empty.notes.some((n) => /first queued datagram is empty/.test(n)), empty.notes.join(' | '));

      const udp = { id: `udp:${inode(at.ur)}`, kind: 'udp', family: 4, local: '127.0.0.1:1', remote: '0.0.0.0:*', state: 'UNCONN', recvQueue: 1768, sendQueue: 0, inode: inode(at.ur), netns: '', uid: 0, endpoints: ep(at.ur) } as unknown as Channel;
      const cut = (await peekChannel(udp, [], { maxBytes: 10 })) as BytesPeek;
      assert.deepEqual([...cut.data], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(cut.total, 1000);
      assert.equal(cut.truncated, true, 'a datagram cut at the bound said to be whole');
      assert.ok(cut.notes.some((n) => /showing 10 of the first datagram's 1,000 bytes$/.test(n)), cut.notes.join(' | '));

      const stream = { ...(unix(at.sr, 'stream') as object), recvQueue: 9 } as unknown as Channel;
      const stopped = (await peekChannel(stream, [])) as BytesPeek;
      assert.ok(stopped.data.length < 9 && 'AAABBBCCC'.startsWith(stopped.data.toString()), stopped.data.toString());
      assert.ok(stopped.notes.some((n) => /passed file descriptors/.test(n)), stopped.notes.join(' | '));

      // a seqpacket socket: its queue count (ss's Recv-Q) is every record's bytes, MSG_PEEK reads the first record
      const seq = { ...(unix(at.qr, 'seqpacket') as object), recvQueue: 3210 } as unknown as Channel;
      const rec = (await peekChannel(seq, [])) as BytesPeek;
      assert.equal(rec.data.toString(), 'r'.repeat(10));
      assert.equal(rec.total, 10, "the first record's length");
      assert.ok(rec.notes.includes('seqpacket socket: MSG_PEEK shows the first queued record only; 3,210 bytes (3.1 KiB) are queued in all, in records'), rec.notes.join(' | '));
      assert.ok(!rec.notes.some((n) => /datagram/.test(n)), rec.notes.join(' | '));
      const past = (await peekChannel(seq, [], { offset: 10 })) as BytesPeek;
      assert.equal(past.data.length, 0);
      assert.ok(past.notes.includes("the offset 10 is past the first record's 10 bytes: a peek reads the first record only"), past.notes.join(' | '));

      // TCP urgent data: the peek stops at its mark, and says so
      const tcp = { id: `tcp:${inode(at.tr)}`, kind: 'tcp', family: 4, local: `127.0.0.1:${at.tport}`, remote: `127.0.0.1:${at.cport}`, state: 'ESTAB', recvQueue: 7, sendQueue: 0, inode: inode(at.tr), netns: '', uid: 0, endpoints: ep(at.tr) } as unknown as Channel;
      const urgent = (await peekChannel(tcp, [])) as BytesPeek;
      assert.equal(urgent.data.toString(), 'abc');
      assert.ok(urgent.notes.some((n) => /showing 3 of 7 queued bytes: the kernel's peek stops at urgent data/.test(n)), urgent.notes.join(' | '));

      child.stdin!.write('read\n');
      assert.deepEqual(JSON.parse(await next()), { du: [0, 4, 1500], ur: 1000, qr: [10, 200, 3000], sr: 'AAABBBCCC', tr: 'abcdef|X' }, 'a peek consumed something');
    } finally {
      child.kill();
    }
  });

  test('SysV semaphores: values and waiters, live', { skip: noNative }, async () => {
    const fx = await makeFixture('sysv-sem', { values: [3, 0, 7], waitIncrease: [0, 1, 0] });
    try {
      const ch = { id: `sysv-sem:${fx.info.semid}`, kind: 'sysv-sem', endpoints: [], semid: fx.info.semid, nsems: 3, values: null, waitingForIncrease: null, waitingForZero: null, lastPid: null } as unknown as Channel;
      const r = (await peekChannel(ch, [])) as SemaphoresPeek;
      assert.deepEqual(r.semaphores.map((s) => s.value), fx.info.values);
      assert.deepEqual(r.semaphores.map((s) => s.waitingForIncrease), fx.info.waitingForIncrease);
    } finally {
      await fx.close();
    }
  });

  test('POSIX semaphore value', { skip: noNative }, async () => {
    const fx = await makeFixture('posix-sem', { value: 4 });
    try {
      const ch = { id: `posix-sem:${fx.info.name}`, kind: 'posix-sem', endpoints: [], name: fx.info.name, value: null, uid: 0, owner: 'root', mode: '0600' } as Channel;
      assert.equal(((await peekChannel(ch, [])) as SemaphoresPeek).semaphores[0].value, 4);
      // The fallback without the addon reads glibc's sem_t and agrees.
      assert.equal(((await peekChannel(ch, [], { native: null })) as SemaphoresPeek).semaphores[0].value, 4);
      assert.equal(((await peekChannel(ch, [])) as SemaphoresPeek).semaphores[0].waitingForIncrease, 0, 'nobody waits');
    } finally {
      await fx.close();
    }
  });

  test('POSIX semaphore waiters: the threads blocked in sem_wait, from glibc\'s count beside the value', async () => {
    const fx = await makeFixture('posix-sem', { value: 0, waiters: 3 });
    try {
      const ch = { id: `posix-sem:${fx.info.name}`, kind: 'posix-sem', endpoints: [], name: fx.info.name, value: null, uid: 0, owner: 'root', mode: '0600' } as Channel;
      const s = ((await peekChannel(ch, [])) as SemaphoresPeek).semaphores[0];
      assert.deepEqual([s.value, s.waitingForIncrease], [0, 3]);
    } finally {
      await fx.close();
    }
  });

  test('signals fixture: the snapshot drives signalRisk, SIGUSR1 and SIGRTMIN with a value are recorded', { skip: noNative }, async () => {
    const record = path.join(tmp, 'signals.log');
    const fx = await makeFixture('signals', { record });
    try {
      const pid = fx.info.target as number;
      const { takeSnapshot } = await import('../../src/core/snapshot');
      const snap = await takeSnapshot({ pids: [pid], processes: 'all' });
      const proc = snap.processes.find((p) => p.pid === pid)!;
      assert.ok(proc, 'target in the snapshot');
      const euid = process.geteuid!();
      assert.deepEqual(signalRisk(proc, 'SIGTERM', { euid }).warnings, ['SIGTERM is ignored by this process — it will have no effect']);
      assert.match(signalRisk(proc, 'SIGUSR2', { euid }).warnings.join('\n'), /blocked/);
      await sendSignal({ pid, startTime: proc.startTime, signal: 'SIGUSR1' });
      await sendSignal({ pid, startTime: proc.startTime, signal: 'SIGRTMIN', value: 42 });
      const lines = await waitFor(() => {
        const t = fs.existsSync(record) ? fs.readFileSync(record, 'utf8') : '';
        return /signo=10\b/.test(t) && /signo=34\b/.test(t) ? t : undefined;
      }, 'both signals recorded');
      assert.match(lines, /signo=34 .*value=42/);
      await assert.rejects(sendSignal({ pid, startTime: proc.startTime + 1, signal: 'SIGUSR1' }), (e: ActionError) => e.code === 'ESTALE');
    } finally {
      await fx.close();
    }
  });
});

describe('permission errors are explained (as user nobody)', () => {
  const cli = path.resolve(__dirname, '../../cli.js');
  // The CLI and the addon this process loaded, copied where nobody can read them: the checkout
  // may sit in a directory other users cannot enter (a clone under /root).
  let staged: Staged | undefined;
  before(() => {
    if (canSu) staged = stageForOtherUsers([[cli, 'dist/cli.js'], ...(loadNative().path ? [[loadNative().path!, 'native/build/Release/ipc_inspector.node'] as [string, string]] : [])]);
  });
  after(() => staged?.remove());
  const asNobody = (args: string[]) => {
    // a UTF-8 locale: su starts nobody without one, and the CLI's text is then ASCII (cli/locale.ts)
    const env = { LANG: 'C.UTF-8', ...(loadNative().path ? { IPC_INSPECTOR_NATIVE: staged!.path('native/build/Release/ipc_inspector.node') } : { IPC_INSPECTOR_NATIVE: '' }) };
    const r = runAsNobody(process.execPath, [staged!.path('dist/cli.js'), ...args], { env });
    return { code: r.status, err: r.stderr.trim() };
  };
  const canSu = fs.existsSync(cli) && !cannotActAsNobody();

  test('signal to a root process: EPERM, names the owner — at once, not after a question whose yes could not send it', { skip: canSu ? false : 'needs root, su and dist/cli.js' }, async () => {
    const child = spawn('sleep', ['30']);
    children.push(child);
    for (const yes of [['--yes'], []]) {
      const r = asNobody(['signal', String(child.pid), 'SIGUSR1', ...yes]);
      assert.equal(r.code, 1);
      assert.match(r.err, /^ipc-inspector signal: EPERM: SIGUSR1 to \d+: not permitted — the process belongs to root/);
      assert.equal(r.err.split('\n').length, 1, 'one line');
    }
    child.kill();
  });

  test('signal 0 (kill -0): nothing sent; exit 0 for a process one may signal, EPERM naming the owner for root\'s, ESRCH and ESTALE as a signal would', { skip: canSu ? false : 'needs root, su and dist/cli.js' }, async () => {
    // a process that records every signal it gets: signal 0 must reach it as nothing at all
    const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-sig0-')), 'got');
    const child = spawn('sh', ['-c', `for s in HUP INT QUIT USR1 USR2 TERM ALRM; do trap "echo $s >> ${record}" $s; done; while :; do sleep 0.1; done`]);
    children.push(child);
    try {
      await waitFor(() => fs.existsSync(`/proc/${child.pid}/stat`) || undefined, 'the child');
      const mine = spawnSync(process.execPath, [cli, 'signal', String(child.pid), '0', '--json'], { encoding: 'utf8' });
      assert.equal(mine.status, 0, mine.stderr);
      const j = JSON.parse(mine.stdout) as { ok: boolean; signal: number; exists: boolean; permitted: boolean; startTime: number };
      assert.deepEqual([j.ok, j.signal, j.exists, j.permitted], [true, 0, true, true]);
      const r = asNobody(['signal', String(child.pid), '0']);
      assert.equal(r.code, 1);
      assert.match(r.err, /^ipc-inspector signal: EPERM: signal 0 to \d+: not permitted — the process belongs to root/);
      const stale = spawnSync(process.execPath, [cli, 'signal', String(child.pid), 'SIG0', '--start-time', String(j.startTime + 1)], { encoding: 'utf8' });
      assert.equal(stale.status, 1);
      assert.match(stale.stderr, /ESTALE/);
      child.kill('SIGKILL');
      await waitFor(() => (child.exitCode !== null || child.signalCode !== null) || undefined, 'the child gone');
      const gone = spawnSync(process.execPath, [cli, 'signal', String(child.pid), '0'], { encoding: 'utf8' });
      assert.equal(gone.status, 1);
      assert.match(gone.stderr, /ESRCH/);
      // no trap ran: nothing was delivered
      assert.equal(fs.existsSync(record) ? fs.readFileSync(record, 'utf8') : '', '');
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(path.dirname(record), { recursive: true, force: true });
    }
  });

  test('SysV queue peek without read permission: EACCES, names the mode and owner', { skip: canSu && !noNative ? false : 'needs root, su, dist/cli.js and the addon' }, async () => {
    const msqid = Number(perl('my $id = msgget(IPC_PRIVATE, 0600); msgsnd($id, pack("l! a*", 1, "secret"), 0) or die $!; print $id'));
    try {
      const r = asNobody(['peek', `sysv-msg:${msqid}`]);
      assert.notEqual(r.code, 0);
      assert.match(r.err, /^ipc-inspector peek: EACCES: .*permission denied.*mode is 0600: only its owner \(root\) may read it/);
      assert.equal(r.err.split('\n').length, 1);
    } finally {
      perl('msgctl($ARGV[0], IPC_RMID, 0)', String(msqid));
    }
  });

  test('socket peek without ptrace permission: EPERM with what is needed', { skip: canSu && !noNative ? false : 'needs root, su, dist/cli.js and the addon' }, async () => {
    const fx = await makeFixture('tcp4', { bytes: 10 });
    try {
      const a = fx.info.accepted as { pid: number; fd: number; inode: number };
      const ch = { id: `tcp:${a.inode}`, kind: 'tcp', endpoints: [{ pid: a.pid, fd: a.fd, mode: 'rw' }], state: 'ESTAB', recvQueue: 10 } as unknown as Channel;
      // In-process check of the explanation (the CLI path needs a snapshot taken as nobody).
      const orig = process.geteuid;
      process.geteuid = () => 65534;
      try {
        const fakeNative = { socketPeek: () => { throw Object.assign(new Error('EPERM'), { code: 'EPERM' }); } } as never;
        await assert.rejects(peekChannel(ch, [fakeProc(a.pid, { uid: 0, user: 'root' })], { native: fakeNative }), (e: ActionError) => {
          assert.equal(e.code, 'EPERM');
          assert.match(e.hint ?? '', /ptrace/);
          return true;
        });
      } finally {
        process.geteuid = orig;
      }
      const r = asNobody(['peek', `tcp:${a.inode}`]);
      assert.notEqual(r.code, 0);
      assert.match(r.err, /^ipc-inspector peek: (EPERM|EACCES|ENOENT): /);
    } finally {
      await fx.close();
    }
  });
});
