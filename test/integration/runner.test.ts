// The one action runner (core/actions/runner.ts) on real processes and objects: what it asks
// (through the confirm callback, the one seam) and what it does, for a process started in this
// session, a root daemon this session did not start (setsid, reparented to init), another user's
// process (an attacker running as nobody) and another user's SysV object. The CLI's interactive
// path answers a real terminal (script(1) gives it a pty).
//
//   node scripts/build.mjs && node --test --test-concurrency=1 dist/test/integration/runner.test.js
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Channel, ProcessInfo } from '../../src/core/model';
import { currentEuid, readProcessInfo, runRemove, runSignal, sessionOrigins, type Question, type RunnerEnv } from '../../src/core/actions';
import { canRunAttacker, startAttacker } from '../harness/otherUser';

const children: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const f of cleanups) await f();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A runner environment for the CLI's view (this process's session), recording every question. */
async function env(answer: boolean): Promise<RunnerEnv & { asked: Question[] }> {
  const origins = await sessionOrigins();
  const asked: Question[] = [];
  return { euid: currentEuid(), origin: (pid) => origins.origin(pid), confirm: (q) => (asked.push(q), answer), asked };
}

async function info(pid: number): Promise<ProcessInfo> {
  const p = await readProcessInfo(pid);
  assert.ok(p, `process ${pid} readable`);
  return p;
}

/** A root process in its own session whose parent is init: a daemon this session did not start. */
async function rootDaemon(): Promise<number> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-daemon-')), 'pid');
  assert.equal(spawnSync('setsid', ['-f', 'sh', '-c', `echo $$ > '${file}'; exec sleep 300`], { stdio: 'ignore' }).status, 0); // no pipe for the daemon to keep open
  await waitFor('daemon pid', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() !== '');
  const pid = Number(fs.readFileSync(file, 'utf8'));
  cleanups.push(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
  return pid;
}

const asRoot = process.geteuid?.() === 0;

describe('runSignal with real processes', () => {
  test('a process this session started: SIGTERM is sent without a question', async () => {
    const child = spawn('sleep', ['300']);
    children.push(child);
    const e = await env(false);
    const out = await runSignal({ process: await info(child.pid!), signal: 'SIGTERM' }, e);
    assert.equal(out.status, 'done', out.message);
    assert.equal(e.asked.length, 0);
    await waitFor('child ends', () => child.exitCode !== null || child.signalCode !== null);
    assert.equal(child.signalCode, 'SIGTERM');
  });

  test('SIGKILL to it asks first; "no" leaves it running, "yes" kills it', async () => {
    const child = spawn('sleep', ['300']);
    children.push(child);
    const no = await env(false);
    const r1 = await runSignal({ process: await info(child.pid!), signal: 'SIGKILL' }, no);
    assert.equal(r1.status, 'cancelled');
    assert.equal(no.asked.length, 1);
    assert.match(no.asked[0].title, /^Send SIGKILL to sleep\[\d+\]\?$/);
    assert.ok(alive(child.pid!));
    const yes = await env(true);
    assert.equal((await runSignal({ process: await info(child.pid!), signal: 'SIGKILL' }, yes)).status, 'done');
    await waitFor('child killed', () => child.signalCode === 'SIGKILL');
  });

  test('as root, a root daemon this session did not start asks before SIGTERM', { skip: asRoot ? false : 'needs root' }, async (t) => {
    const pid = await rootDaemon();
    const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    const mySid = Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[3]);
    const parentSid = Number(fs.readFileSync(`/proc/${ppid}/stat`, 'utf8').split(') ')[1].split(' ')[3]);
    if (ppid !== 1 && parentSid === mySid) return t.skip(`orphans are adopted by ${ppid}, a subreaper in this session: the daemon counts as started here`);
    const no = await env(false);
    const out = await runSignal({ process: await info(pid), signal: 'SIGTERM' }, no);
    assert.equal(out.status, 'cancelled');
    assert.equal(no.asked.length, 1);
    assert.match(no.asked[0].detail, /runs as root but was not started from this session/);
    assert.ok(alive(pid), 'not sent');
    const yes = await env(true);
    assert.equal((await runSignal({ process: await info(pid), signal: 'SIGTERM' }, yes)).status, 'done');
    await waitFor('daemon ends', () => !alive(pid));
  });

  test('another user\'s process (an attacker as nobody) asks, naming the owner', { skip: canRunAttacker() ? false : 'needs root, setpriv and perl' }, async () => {
    const a = await startAttacker({ comm: 'attacker' });
    cleanups.push(() => a.close());
    const no = await env(false);
    const out = await runSignal({ process: await info(a.pid), signal: 'SIGTERM' }, no);
    assert.equal(out.status, 'cancelled');
    assert.match(no.asked[0].detail, /belongs to another user \(nobody, uid 65534\)/);
    assert.ok(alive(a.pid));
  });

  test('a pid recycled between the snapshot and the action is refused (ESTALE), after the same question', async () => {
    const child = spawn('sleep', ['300']);
    children.push(child);
    const p = await info(child.pid!);
    const e = await env(true);
    const out = await runSignal({ process: { ...p, startTime: p.startTime - 1 }, signal: 'SIGKILL' }, e);
    assert.equal(out.status, 'failed');
    assert.equal(out.status === 'failed' && out.error.code, 'ESTALE');
    assert.equal(e.asked.length, 1);
    assert.ok(alive(child.pid!));
  });
});

describe('runRemove with a real object', () => {
  test('another user\'s SysV semaphore set: always asked, says whose; "no" keeps it, "yes" removes it', { skip: canRunAttacker() ? false : 'needs root, setpriv and perl' }, async () => {
    const a = await startAttacker({ semSets: 1, nsems: 3 });
    cleanups.push(() => a.close());
    const semid = a.sems[0];
    const ch = { id: `sysv-sem:${semid}`, kind: 'sysv-sem', key: 0, semid, nsems: 3, uid: 65534, owner: 'nobody', mode: '0600', values: null, waitingForIncrease: null, waitingForZero: null, lastPid: null, endpoints: [] } as unknown as Channel;
    const listed = () => fs.readFileSync('/proc/sysvipc/sem', 'utf8').split('\n').slice(1).some((l) => l.trim().split(/\s+/)[1] === String(semid));
    const no = await env(false);
    assert.equal((await runRemove({ channel: ch, processes: new Map() }, no)).status, 'cancelled');
    assert.equal(no.asked[0].title, `Remove SysV semaphore set ${semid} (key 0x00000000, 3 semaphores)?`);
    assert.match(no.asked[0].detail, /No process holds it open\.\n\nThis cannot be undone.*\nIt belongs to another user \(nobody, uid 65534\)\./s);
    assert.ok(listed());
    const yes = await env(true);
    const done = await runRemove({ channel: ch, processes: new Map() }, yes);
    assert.equal(done.status, 'done', done.message);
    assert.equal(listed(), false);
  });
});

describe('the CLI asks on a terminal', () => {
  const cli = path.resolve(__dirname, '../../cli.js');
  const hasScript = spawnSync('script', ['--version']).status === 0;
  test('SIGKILL to a process of this session: "n" on the terminal keeps it, "y" sends', { skip: fs.existsSync(cli) && hasScript ? false : 'needs dist/cli.js and script(1)' }, async () => {
    // script(1) runs the CLI on a pty in a session of its own: the target is a child of the CLI's
    // session leader (the `sh -c` script starts), so only SIGKILL's own reason is asked.
    // after "y" the shell's own `wait` says how its child ended (128 + 9): `kill -0` would still
    // find it for a moment, a zombie the shell has not reaped yet; after "n" it is plainly alive
    const run = (answer: string) => {
      const after = answer === 'y' ? 'wait $!; echo "WAIT=$?"' : 'kill -0 $! 2>/dev/null && echo ALIVE; kill -9 $! 2>/dev/null';
      const cmd = `sleep 300 & echo "PID=$!"; "${process.execPath}" "${cli}" signal $! SIGKILL; echo "EXIT=$?"; ${after}; true`;
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { input: `${answer}\n`, encoding: 'utf8', timeout: 30_000 });
      return r.stdout;
    };
    const no = run('n');
    assert.match(no, /Send SIGKILL to sleep\[\d+\]\?/);
    assert.match(no, /SIGKILL cannot be caught/);
    assert.match(no, /Send SIGKILL\? \[y\/N\]/);
    assert.match(no, /EXIT=1/);
    assert.match(no, /ALIVE/);
    const yes = run('y');
    assert.match(yes, /sent SIGKILL to \d+ via/);
    assert.match(yes, /EXIT=0/);
    assert.match(yes, /WAIT=137/, 'the shell saw its child killed by SIGKILL');
  });
});
