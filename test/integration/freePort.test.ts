// Free Port on real servers (fixtures/net-server.c): one that exits on SIGTERM, one that ignores
// it (SIG_IGN) and one that catches and ignores it (both need the SIGKILL escalation), one in
// another network namespace (bind test through nsenter), two SO_REUSEPORT listeners on one port,
// a UDP socket, another user's server (the policy asks first; declining leaves it alone) — each
// freed, and the bind test passing afterwards. Plus the CLI: `port`, `--json`, `--free --yes`,
// no SIGKILL without a terminal or --yes, and hostile process names escaped on one line.
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/freePort.test.js
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { stageForOtherUsers } from '../harness/otherUser';
import { makeNetns, netnsInode, netServerBinary, startNet, type NetProc } from '../../fixtures/netServer';
import { freePort, idlePortText, testIdlePort, type FreePortEvent, type StopQuestion } from '../../src/core/actions/freePort';
import { sessionOrigins } from '../../src/core/actions/origin';
import { findListeners } from '../../src/core/ports';
import { BIN, cliNotBuilt } from './cliRunner';

const root = process.geteuid?.() === 0;

const procs: NetProc[] = [];
const cleanups: (() => void)[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  for (const c of cleanups.reverse()) c();
});
const keep = (p: NetProc) => (procs.push(p), p);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** Runs Free Port on `port`, answering every question with `answer`; returns the result, the questions and the events in order. */
/** This test process's descendants (the servers it started, in any namespace, as any user). */
function ourProcesses(): Set<number> {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const ours = new Set<number>([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (ours.has(pid) || !ours.has(ppid)) continue;
      ours.add(pid);
      grew = true;
    }
  }
  return ours;
}

async function free(port: number, answer: (q: StopQuestion) => boolean, timeoutMs = 1500, protocol?: 'tcp' | 'udp', knownOrigin = true) {
  const found = await findListeners(port, { protocol });
  const snapshot = found.snapshot;
  // Other programs on this machine (other test runs, containers) may listen on the same port
  // number in other network namespaces: they are listed too, but this test stops only its own.
  const ours = ourProcesses();
  const listeners = found.listeners.filter((l) => l.processes.length > 0 && l.processes.every((p) => ours.has(p.pid)));
  const questions: StopQuestion[] = [];
  const events: FreePortEvent[] = [];
  // the servers are this test's children: started in this session, as the CLI would see them
  const origins = await sessionOrigins();
  const origin = knownOrigin ? (pid: number) => origins.origin(pid) : undefined;
  const result = await freePort(port, listeners, snapshot.processes, { confirm: async (q) => (questions.push(q), answer(q)), onEvent: (e) => events.push(e) }, { signalTimeoutMs: timeoutMs, origin });
  return { result, questions, events, listeners };
}

/** An independent check from here: can we listen on the port now? */
function canListen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

describe('Free Port', () => {
  test('a server that exits on SIGTERM: its disposition first, SIGTERM alone, then the bind test passes', async () => {
    const s = keep(await startNet(['listen', '--addr', '127.0.0.1', '--term', 'catch-exit']));
    const port = s.info.port as number;
    const { result, questions, events, listeners } = await free(port, () => true);
    assert.equal(listeners.length, 1);
    assert.deepEqual(listeners[0].processes.map((p) => [p.pid, p.sigterm.disposition]), [[s.pid, 'caught']]);
    const firstSignal = events.findIndex((e) => e.type === 'signal');
    const disp = events.findIndex((e) => e.type === 'disposition' && e.pid === s.pid);
    assert.ok(disp >= 0 && disp < firstSignal, 'the SIGTERM disposition is shown before the first step');
    assert.deepEqual(questions, [], 'nothing to ask: our own process, and no SIGKILL needed');
    assert.equal(result.stops[0].outcome, 'exited');
    assert.deepEqual(result.stops[0].sent, ['SIGTERM']);
    assert.equal((await s.exited).code, 0, 'it ran its handler and exited by itself');
    assert.deepEqual(result.bind.map((b) => [b.free, b.method]), [[true, 'in-process']]);
    assert.equal(result.free, true);
    assert.deepEqual(result.remaining, []);
    assert.ok(await canListen(port));
  });

  test('default disposition: SIGTERM terminates it', async () => {
    const s = keep(await startNet(['listen', '--addr', '127.0.0.1']));
    const { result, events } = await free(s.info.port, () => true);
    assert.ok(events.some((e) => e.type === 'disposition' && e.sigterm.disposition === 'default'));
    assert.equal(result.stops[0].outcome, 'exited');
    assert.equal((await s.exited).signal, 'SIGTERM');
    assert.equal(result.free, true);
  });

  test('a server that ignores SIGTERM (SIG_IGN): shown as ignored, SIGKILL offered at once, then free', async () => {
    const s = keep(await startNet(['listen', '--addr', '127.0.0.1', '--term', 'ignore']));
    const { result, questions } = await free(s.info.port, () => true, 60000);
    assert.equal(result.stops[0].sigterm.disposition, 'ignored');
    assert.deepEqual(
      questions.map((q) => [q.pid, q.signal, q.waitedMs]),
      [[s.pid, 'SIGKILL', 0]],
      'an ignored SIGTERM is not waited for (the 60 s timeout would fail this test)',
    );
    assert.ok(questions[0].reasons.some((r) => /cannot be caught/.test(r)));
    assert.deepEqual(result.stops[0].sent, ['SIGTERM', 'SIGKILL']);
    assert.equal((await s.exited).signal, 'SIGKILL');
    assert.equal(result.free, true);
    assert.ok(await canListen(s.info.port));
  });

  test("a server that is PID 1 of its own pid namespace (a container's init) with SIGTERM at its default: the kernel drops SIGTERM from outside — said so, SIGKILL offered at once", { skip: !root ? 'needs root (unshare --pid)' : false }, async () => {
    const s = keep(await startNet(['listen', '--addr', '127.0.0.1'], { prefix: ['unshare', '--fork', '--pid', '--kill-child'], forks: true }));
    const nsPid = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${s.pid}/status`, 'utf8'))![1].trim().split(/\s+/).map(Number);
    assert.deepEqual(nsPid.slice(-1), [1], 'the server is its namespace\'s init');
    // the CLI says so before it sends; the oracle is the kernel itself — the SIGTERM leaves it running
    const sent = spawnSync(process.execPath, [BIN, 'signal', String(s.pid), 'TERM', '--yes'], { encoding: 'utf8', input: '', timeout: 60000 });
    assert.equal(sent.status, 0, sent.stderr);
    assert.match(sent.stderr, /^warning: process \d+ is PID 1 of its own pid namespace .* it will have no effect/m);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(alive(s.pid), 'SIGTERM was dropped by the kernel');
    const { result, questions, events } = await free(s.info.port, () => true, 60000);
    assert.deepEqual(result.stops[0].sigterm, { disposition: 'ignored', blocked: false, init: 'nested' });
    assert.ok(events.some((e) => e.type === 'policy' && e.warnings.some((w) => /PID 1 of its own pid namespace .* the kernel drops it/.test(w))));
    assert.deepEqual(
      questions.map((q) => [q.pid, q.signal, q.waitedMs]),
      [[s.pid, 'SIGKILL', 0]],
      'a dropped SIGTERM is not waited for (the 60 s timeout would fail this test)',
    );
    assert.ok(questions[0].reasons.some((r) => /kills every process of its pid namespace/.test(r)), questions[0].reasons.join('; '));
    assert.equal(result.free, true);
    assert.ok(await canListen(s.info.port));
  });

  test('a server that catches SIGTERM and stays: SIGKILL offered after the timeout; declining leaves it listening', async () => {
    const s = keep(await startNet(['listen', '--addr', '127.0.0.1', '--term', 'catch-stay']));
    const no = await free(s.info.port, () => false, 300);
    assert.equal(no.result.stops[0].sigterm.disposition, 'caught');
    assert.deepEqual(no.questions.map((q) => [q.signal, q.waitedMs]), [['SIGKILL', 300]]);
    assert.ok(no.events.some((e) => e.type === 'timeout' && e.pid === s.pid && e.waitedMs === 300));
    assert.equal(no.result.stops[0].outcome, 'still-running');
    assert.equal(no.result.free, false);
    assert.equal(no.result.bind[0].error, 'EADDRINUSE');
    assert.deepEqual(no.result.remaining.map((l) => l.processes.map((p) => p.pid)), [[s.pid]]);
    assert.ok(alive(s.pid));
    const yes = await free(s.info.port, () => true, 300);
    assert.deepEqual(yes.result.stops[0].sent, ['SIGTERM', 'SIGKILL']);
    assert.equal(yes.result.free, true);
  });

  test('two listeners on one port (SO_REUSEPORT): both stopped, then free', async () => {
    const a = keep(await startNet(['listen', '--addr', '127.0.0.1', '--reuseport']));
    const b = keep(await startNet(['listen', '--addr', '127.0.0.1', '--port', String(a.info.port), '--reuseport']));
    const { result, listeners } = await free(a.info.port, () => true);
    assert.deepEqual(listeners.map((l) => l.processes[0].pid).sort(), [a.pid, b.pid].sort());
    assert.deepEqual(result.stops.map((s) => s.outcome), ['exited', 'exited']);
    assert.deepEqual(result.bind.map((x) => x.free), [true], 'one address, one bind test');
    assert.equal(result.free, true);
    assert.ok(await canListen(a.info.port));
  });

  test('UDP: a bound socket (SO_REUSEPORT pair) is a listener too', async () => {
    const a = keep(await startNet(['listen', '--proto', 'udp', '--addr', '127.0.0.1', '--reuseport']));
    const b = keep(await startNet(['listen', '--proto', 'udp', '--addr', '127.0.0.1', '--port', String(a.info.port), '--reuseport']));
    const { result, listeners } = await free(a.info.port, () => true, 1500, 'udp');
    assert.equal(listeners.length, 2);
    assert.ok(listeners.every((l) => l.protocol === 'udp' && l.state === 'UNCONN'));
    assert.equal(result.free, true);
    assert.deepEqual(result.bind.map((x) => [x.protocol, x.free]), [['udp', true]]);
    assert.ok(!alive(a.pid) && !alive(b.pid));
  });

  test('a listener in another network namespace: listed with its netns, freed, the bind test runs inside it', { skip: !root ? 'needs root (ip netns, nsenter)' : false }, async () => {
    const ns = `ifp${process.pid % 100000}`;
    cleanups.push(makeNetns(ns));
    const host = keep(await startNet(['listen', '--addr', '127.0.0.1']));
    const port = host.info.port as number;
    const inner = keep(await startNet(['listen', '--addr', '127.0.0.1', '--port', String(port), '--term', 'catch-stay'], { prefix: ['ip', 'netns', 'exec', ns] }));
    const { result, listeners, questions } = await free(port, () => true, 300);
    assert.deepEqual(listeners.map((l) => l.netns).sort(), [netnsInode(ns), /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/net'))![1]].sort(), 'the same port in two namespaces: both listed');
    assert.deepEqual(questions.map((q) => [q.pid, q.signal]), [[inner.pid, 'SIGKILL']]);
    const foreign = result.bind.find((b) => b.netns === netnsInode(ns));
    assert.deepEqual(foreign && [foreign.free, foreign.method], [true, 'nsenter'], `bind inside the namespace: ${JSON.stringify(foreign)}`);
    assert.equal(result.free, true);
    // an independent look inside the namespace: a listener can be made there now
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', `require('net').createServer().listen(${port}, '127.0.0.1', function () { this.close(); })`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  test('as root, a root server of unknown origin may be a system service: the policy asks before SIGTERM', { skip: !root ? 'needs root' : false }, async () => {
    const s = keep(await startNet(['listen', '--addr', '127.0.0.1']));
    const { result, questions } = await free(s.info.port, () => false, 1500, undefined, false);
    assert.deepEqual(questions.map((q) => [q.signal, q.pid]), [['SIGTERM', s.pid]]);
    assert.ok(questions[0].reasons.some((r) => /not started from this session/.test(r)), questions[0].reasons.join('; '));
    assert.equal(result.stops[0].outcome, 'declined');
    assert.ok(alive(s.pid));
  });

  test('another user’s server: the policy asks before SIGTERM; declining sends nothing', { skip: !root ? 'needs root to run a server as nobody' : false }, async () => {
    // nobody cannot enter our private fixture cache: run a staged, world-readable copy
    const staged = stageForOtherUsers([[await netServerBinary(), 'net-server']]);
    cleanups.push(() => staged.remove());
    const s = keep(await startNet(['listen', '--addr', '127.0.0.1'], { exe: staged.path('net-server'), prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] }));
    const { result, questions, events } = await free(s.info.port, () => false);
    assert.deepEqual(questions.map((q) => q.signal), ['SIGTERM']);
    assert.ok(questions[0].reasons.some((r) => /another user/.test(r)), questions[0].reasons.join('; '));
    assert.ok(!events.some((e) => e.type === 'signal'), 'nothing sent');
    assert.equal(result.stops[0].outcome, 'declined');
    assert.equal(result.free, false);
    assert.ok(alive(s.pid));
  });
});

/** An IPv6 link-local address of this machine and its interface (a link-local listener needs both), if any. */
function linkLocal(): { address: string; dev: string } | undefined {
  for (const [dev, addrs] of Object.entries(os.networkInterfaces())) {
    const a = (addrs ?? []).find((x) => x.family === 'IPv6' && /^fe[89ab][0-9a-f]:/i.test(x.address));
    if (a) return { address: a.address.replace(/%.*/, ''), dev };
  }
  return undefined;
}

describe('Free Port: an IPv6 link-local listener', () => {
  const ll = linkLocal();
  test('listed with its interface, freed, and the bind test binds with the scope (EINVAL without it)', { skip: ll ? false : 'this machine has no interface with an IPv6 link-local address' }, async () => {
    const s = keep(await startNet(['listen', '--addr', `${ll!.address}%${ll!.dev}`, '--term', 'catch-exit']));
    const port = s.info.port as number;
    const { result, listeners } = await free(port, () => true);
    assert.deepEqual(listeners.map((l) => [l.address, l.device]), [[`${ll!.address}%${ll!.dev}`, ll!.dev]]);
    assert.equal(result.stops[0].outcome, 'exited');
    assert.deepEqual(result.bind.map((b) => [b.address, b.free, b.error]), [[`${ll!.address}%${ll!.dev}`, true, undefined]], 'the bind test ran, with the scope');
    assert.equal(result.free, true);
  });

  test('the CLI prints it as ss does, with %DEVICE', { skip: cliNotBuilt || (ll ? false : 'this machine has no interface with an IPv6 link-local address') }, async () => {
    const s = keep(await startNet(['listen', '--addr', `${ll!.address}%${ll!.dev}`]));
    const r = spawnSync(process.execPath, [BIN, 'port', String(s.info.port)], { encoding: 'utf8', input: '', timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(`[${ll!.address}]%${ll!.dev}:${s.info.port}`), r.stdout);
  });
});

describe('ipc-inspector port (CLI)', { skip: cliNotBuilt }, () => {
  const cli = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input: input ?? '', timeout: 60000 });

  test('lists the listener with its process, escaped: a hostile name stays on one line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-port-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const hostile = path.join(dir, 'ev\n[x](cmd)');
    fs.symlinkSync(await netServerBinary(), hostile);
    const s = keep(await startNet(['listen', '--addr', '127.0.0.1'], { exe: hostile }));
    const r = cli(['port', String(s.info.port)]);
    assert.equal(r.status, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.includes(`[${s.pid}]`));
    assert.ok(line, r.stdout);
    assert.ok(line.includes('ev\\n[x](cmd)'), `escaped on one line: ${line}`);
    assert.ok(!r.stdout.includes('ev\n['), 'no raw newline from the process name');
    const j = JSON.parse(cli(['port', String(s.info.port), '--json']).stdout);
    assert.equal(j.listeners[0].processes[0].comm, 'ev\n[x](cmd)', 'JSON keeps the data as it is');
    assert.equal(j.listeners[0].processes[0].provenance, null);
  });

  test('--free without a terminal: SIGTERM yes, SIGKILL only with --yes', async () => {
    const s = keep(await startNet(['listen', '--addr', '127.0.0.1', '--term', 'ignore']));
    // --protocol tcp: the test's server is TCP; a stranger's UDP socket on the same number is not the test's to stop
    const no = cli(['port', String(s.info.port), '--protocol', 'tcp', '--free', '--signal-timeout', '200']);
    assert.equal(no.status, 1);
    assert.match(no.stderr, /use --yes/);
    assert.match(no.stdout, /SIGTERM is ignored/);
    assert.match(no.stdout, /is NOT free/);
    assert.ok(alive(s.pid));
    const yes = cli(['port', String(s.info.port), '--protocol', 'tcp', '--free', '--signal-timeout', '200', '--yes', '--json']);
    assert.equal(yes.status, 0, yes.stderr);
    const j = JSON.parse(yes.stdout);
    assert.equal(j.free, true);
    assert.deepEqual(j.stops[0].sent, ['SIGTERM', 'SIGKILL']);
    assert.ok(!alive(s.pid));
  });

  test('--free on a terminal asks before SIGKILL: “n” keeps it, “y” kills it', { skip: (() => { try { execFileSync('script', ['-V'], { stdio: 'ignore' }); return false; } catch { return 'script (util-linux) is not installed'; } })() }, async () => {
    const s = keep(await startNet(['listen', '--addr', '127.0.0.1', '--term', 'catch-stay']));
    // `script` gives the command a pseudo-terminal in a session of its own — so the policy also
    // asks before SIGTERM (a root process not started in that session); the lines are typed at it
    const onTty = (answers: string) =>
      spawnSync('script', ['-qec', `${process.execPath} ${BIN} port ${s.info.port} --protocol tcp --free --signal-timeout 200`, '/dev/null'], { encoding: 'utf8', input: answers, timeout: 60000 });
    const no = onTty('y\nn\n');
    assert.equal(no.status, 1, no.stdout);
    assert.match(no.stdout, /Send SIGTERM\? \[y\/N\]/);
    assert.match(no.stdout, /did not exit within 200 ms after SIGTERM\. Send SIGKILL to /);
    assert.match(no.stdout, /Send SIGKILL\? \[y\/N\]/);
    assert.match(no.stdout, /is NOT free/);
    assert.ok(alive(s.pid));
    const yes = onTty('y\ny\n');
    assert.equal(yes.status, 0, yes.stdout);
    assert.match(yes.stdout, /port \d+ is free/);
    assert.ok(!alive(s.pid));
  });

  test('usage errors exit 2 with one line', () => {
    for (const args of [['port'], ['port', '70000'], ['port', 'x'], ['port', '80', '--protocol', 'sctp'], ['port', '80', '--yes']]) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    }
  });

  test('a free port: nothing listens', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    const r = cli(['port', String(port)]);
    // as lsof -i :PORT and fuser: a script can test it
    assert.equal(r.status, 1);
    assert.match(r.stdout, /nothing listens on port/);
    // --free with nothing to stop: the port is tested all the same, with a bind
    const f = cli(['port', String(port), '--free', '--protocol', 'tcp']);
    assert.equal(f.status, 0, f.stdout + f.stderr);
    assert.match(f.stdout, /^bind tcp 0\.0\.0\.0:\d+ in netns \d+ \(in-process\): free$/m);
    assert.match(f.stdout, new RegExp(`^port ${port} is free$`, 'm'));
    // a socket bound to the port and not listening keeps it busy: not free, exit 1, and which socket it is
    const holder = spawn('python3', ['-c', 'import socket,sys\ns=socket.socket(); s.bind(("0.0.0.0",0)); print(s.getsockname()[1],flush=True); sys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const busy = Number(await new Promise<string>((res) => holder.stdout!.once('data', (d: Buffer) => res(d.toString().trim()))));
      const nf = cli(['port', String(busy), '--free', '--json']);
      assert.equal(nf.status, 1, nf.stderr);
      const res = JSON.parse(nf.stdout) as { free: boolean | null; bind: Array<{ protocol: string; family: number; free: boolean | null; error?: string }>; otherSockets: Array<{ pids: number[] }> };
      assert.equal(res.free, false);
      // (both protocols are tested when none is asked for; UDP's port of that number is another port)
      assert.deepEqual(res.bind.map((b) => `${b.protocol}${b.family}`), ['tcp4', 'tcp6', 'udp4', 'udp6']);
      assert.deepEqual(res.bind.filter((b) => b.protocol === 'tcp').map((b) => [b.free, b.error ?? null]), [[false, 'EADDRINUSE'], [false, 'EADDRINUSE']], 'the IPv4 wildcard, and IPv6 dual-stack');
      assert.ok(res.otherSockets.some((o) => o.pids.includes(holder.pid!)), JSON.stringify(res.otherSockets));
    } finally {
      holder.kill();
    }
    // asked for one protocol: says which (a TCP listener there is no UDP one)
    const t = net.createServer();
    await new Promise<void>((res) => t.listen(0, '127.0.0.1', res));
    try {
      const u = cli(['port', String((t.address() as net.AddressInfo).port), '--protocol', 'udp']);
      assert.equal(u.status, 1);
      assert.match(u.stdout, /^no UDP listener on port \d+$/m);
    } finally {
      await new Promise((res) => t.close(res));
    }
  });
});

// the bind probe is also checked against `ss` where it exists (an oracle for "who listens")
test('oracle: ss sees the same listener Free Port lists', { skip: (() => { try { execFileSync('ss', ['-V'], { stdio: 'ignore' }); return false; } catch { return 'ss is not installed'; } })() }, async () => {
  const s = keep(await startNet(['listen', '--addr', '127.0.0.1']));
  const { listeners } = await findListeners(s.info.port);
  const ss = execFileSync('ss', ['-Hltnp', `sport = :${s.info.port}`], { encoding: 'utf8' });
  assert.equal(listeners.length, ss.trim().split('\n').filter(Boolean).length);
  assert.match(ss, new RegExp(`pid=${listeners[0].processes[0].pid},`));
});

describe('Free Port: a port nothing listens on (testIdlePort)', () => {
  test('a connected UDP socket on it: no listener, yet a bind fails, and the socket is named with its process; closed, the port is free', async () => {
    const dgram = await import('node:dgram');
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '0.0.0.0', () => r()));
    const port = u.address().port;
    await new Promise<void>((r) => u.connect(9, '127.0.0.1', () => r()));
    try {
      const { snapshot, listeners } = await findListeners(port, { protocol: 'udp' });
      assert.deepEqual(listeners, [], 'a connected UDP socket is no listener (ss -lu does not list it either)');
      const r = await testIdlePort(port, snapshot, 'udp');
      assert.deepEqual(r.bind.map((b) => [b.protocol, b.family, b.free, b.error]), [['udp', 4, false, 'EADDRINUSE'], ['udp', 6, false, 'EADDRINUSE']]);
      assert.equal(r.free, false);
      assert.deepEqual(r.otherSockets.map((o) => [o.local, o.remote, o.state, o.pids.includes(process.pid)]), [[`127.0.0.1:${port}`, '127.0.0.1:9', 'ESTAB', true]]);
    } finally {
      u.close();
    }
    const { snapshot } = await findListeners(port, { protocol: 'udp' });
    const after = await testIdlePort(port, snapshot, 'udp');
    assert.equal(after.free, true);
    assert.deepEqual(after.otherSockets, []);
  });

  test('a TCP socket bound to an IPv6 address alone (v6-only), never listening: the IPv4 wildcard binds, yet a server on [::] fails — not free, and the socket is named', async (t) => {
    const holder = spawn('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_INET6)\ns.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)\ntry:\n  s.bind(("::1",0))\nexcept OSError as e:\n  print("none",e,flush=True); sys.exit(0)\nprint(s.getsockname()[1],flush=True); sys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((res) => holder.stdout!.once('data', (d: Buffer) => res(d.toString().trim())));
      if (line.startsWith('none')) return t.skip(`no IPv6 loopback here (${line})`);
      const port = Number(line);
      const { snapshot, listeners } = await findListeners(port, { protocol: 'tcp' });
      assert.deepEqual(listeners, [], 'bound, never listening: no listener');
      const r = await testIdlePort(port, snapshot, 'tcp');
      assert.deepEqual(r.bind.map((b) => [b.family, b.free]), [[4, true], [6, false]]);
      assert.equal(r.free, false, 'a node server on the port (dual-stack [::]) would fail');
      assert.ok(r.otherSockets.some((o) => o.local === `[::1]:${port}` && o.pids.includes(holder.pid!)), JSON.stringify(r.otherSockets));
      assert.match(idlePortText(r, String), new RegExp(`but it is not free: a bind on tcp \\[::\\]:${port} fails`));
    } finally {
      holder.kill();
    }
  });
});
