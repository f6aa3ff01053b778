// Pseudo-terminals on real objects: python3's pty.fork() — the parent holds the master, the child
// (a session leader with the slave as its controlling terminal) runs sleep on the slave. The
// snapshot must find one channel joining them by (devpts instance, index), with the roles, the
// session and foreground group, from every walk (BPF iterator, native /proc walk, TypeScript
// walk), identical. Also in a mount namespace with a devpts of its own (unshare -m, mount -t
// devpts -o newinstance): once through /dev/ptmx (the /proc walk finds the devpts through the
// holder's mountinfo), once through that devpts's own ptmx (its st_dev says it); its pts/N is
// another channel than the host's pts/N. As nobody: the /proc walk sees a user's own pty. The CLI
// lists it (table and --json), and a peek tells the queue counts of each side without consuming.
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/pty.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PtyChannel, Snapshot } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel } from '../../src/core/actions/peek';
import { cannotActAsNobody, NOBODY_UID } from '../harness/otherUser';
import { lineReader } from './childLines';

const isRoot = process.geteuid?.() === 0;
const native = loadNative().addon;
const bpf = loadBpf().addon;
let bpfSkip: string | false = !native ? 'no native addon' : !bpf ? 'no BPF addon' : !isRoot ? 'needs root' : false;
before(async () => {
  if (bpfSkip || !bpf) return;
  const probe = await bpf.bpfProbe();
  if (!probe.ok) bpfSkip = `the BPF walk cannot run here: ${probe.reason}`;
});

/** The fixture: prints {parent, child, master, index} once the child runs on the slave. `open` how the master is opened. */
const PY = `
import json, os, pty, sys, time
how = sys.argv[1]
if how == 'fork':
    pid, m = pty.fork()
else:
    m = os.open(how, os.O_RDWR | os.O_NOCTTY)
    import fcntl, struct, termios
    fcntl.ioctl(m, 0x40045431, struct.pack('i', 0))  # TIOCSPTLCK: unlock the slave (unlockpt)
    n = struct.unpack('I', fcntl.ioctl(m, 0x80045430, b'\\0' * 4))[0]  # TIOCGPTN (ptsname)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        s = os.open(os.path.join(os.path.dirname(how) if how.endswith('/pts/ptmx') else '/dev/pts', str(n)), os.O_RDWR)
        fcntl.ioctl(s, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2): os.dup2(s, fd)
        os.close(s); os.close(m)
if pid == 0:
    if len(sys.argv) > 2: os.write(1, b'hello\\n')  # output the terminal does not read
    os.execvp('sleep', ['sleep', '600'])
if len(sys.argv) > 2:
    os.write(m, b'typed\\n')  # input the sleeping job does not read (echoed back to the master too)
    import signal
    def drain(*_):
        time.sleep(0.1)
        print(json.dumps({'read': os.read(m, 4096).decode()}), flush=True)
    signal.signal(signal.SIGUSR1, drain)
    def swap(*_):
        global keep
        keep = os.dup(m)  # the pair stays open (closing its last master would hang the child up)
        other = os.open('/dev/ptmx', os.O_RDWR | os.O_NOCTTY)  # another pty's master, dup'd onto the same fd number
        os.dup2(other, m)
        print(json.dumps({'swapped': m}), flush=True)
    signal.signal(signal.SIGUSR2, swap)
index = next(int(l.split()[1]) for l in open('/proc/self/fdinfo/%d' % m) if l.startswith('tty-index:'))
time.sleep(0.2)
print(json.dumps({'parent': os.getpid(), 'child': pid, 'master': m, 'index': index}), flush=True)
time.sleep(600)
`;

interface Pty {
  proc: ChildProcess;
  parent: number;
  child: number;
  master: number;
  index: number;
  /** st_dev of the child's slave (fd 0), major:minor. */
  devpts: string;
}

const started: ChildProcess[] = [];
after(() => {
  for (const p of started) {
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      p.kill('SIGKILL');
    }
  }
});

function devOf(pid: number, fd: number): string {
  const st = fs.statSync(`/proc/${pid}/fd/${fd}`);
  // glibc's encoding
  const major = (st.dev >>> 8) & 0xfff;
  const minor = (st.dev & 0xff) | ((st.dev >>> 12) & 0xfff00);
  return `${major}:${minor}`;
}

async function startPty(argv: string[], uid?: number): Promise<Pty> {
  const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(uid !== undefined ? { uid, gid: uid } : {}) });
  started.push(proc);
  const line = await lineReader(proc).next('the pty fixture\'s pids');
  const info = JSON.parse(line) as Omit<Pty, 'proc' | 'devpts'>;
  return { proc, ...info, devpts: devOf(info.child, 0) };
}

const ptyOf = (s: Snapshot, pids: number[]) => s.channels.filter((c): c is PtyChannel => c.kind === 'pty' && c.endpoints.some((e) => pids.includes(e.pid)));

function check(ch: PtyChannel | undefined, p: Pty, what: string): void {
  assert.ok(ch, `${what}: a pty channel with the fixture's ends`);
  assert.equal(ch.id, `pty:${p.devpts}:${p.index}`, what);
  assert.equal(ch.index, p.index, what);
  assert.equal(ch.devpts, p.devpts, what);
  // every endpoint, not only the fixture's: a master paired by index alone would join another devpts's pts/N
  assert.deepEqual(
    ch.endpoints,
    [{ pid: p.parent, fd: p.master, mode: 'rw', role: 'master' }, ...[0, 1, 2].map((fd) => ({ pid: p.child, fd, mode: 'rw', role: 'slave' }))],
    what,
  );
  assert.equal(ch.session, p.child, `${what}: the child leads the terminal's session`);
  assert.equal(ch.foreground, p.child, `${what}: and is its foreground group`);
  assert.deepEqual(ch.controlling, [p.child], what);
}

const WALKS = ['bpf-iter', 'proc', 'proc-ts'] as const;

async function viaEveryWalk(p: Pty, what: string): Promise<void> {
  const seen: Record<string, PtyChannel[]> = {};
  for (const walk of WALKS) {
    if (walk === 'bpf-iter' && bpfSkip) continue;
    if (walk === 'proc' && !native) continue;
    const s = await takeSnapshot({ kinds: ['pty'], walk, useNative: walk !== 'proc-ts', processes: 'all' });
    if (walk === 'bpf-iter') assert.equal(s.capabilities.walk?.backend, 'bpf-iter', `${what}: ${s.capabilities.walk?.reason}`);
    const list = ptyOf(s, [p.parent, p.child]);
    assert.equal(list.length, 1, `${what} (${walk}): one channel ${JSON.stringify(list)}`);
    check(list[0], p, `${what} (${walk})`);
    seen[walk] = list;
  }
  const [first, ...rest] = Object.values(seen);
  for (const r of rest) assert.deepEqual(r, first, `${what}: every walk gives the same channel`);
}

describe('pseudo-terminals', () => {
  it('pty.fork(): master in the parent, slave in the child, one channel from every walk', async () => {
    const p = await startPty(['python3', '-c', PY, 'fork']);
    await viaEveryWalk(p, 'host pty');
  });

  const nsSkip = !isRoot ? 'needs root (unshare -m, mount)' : spawnSync('unshare', ['-m', 'true']).status !== 0 ? 'unshare -m fails here' : false;

  it('a devpts of its own (mount namespace), master through /dev/ptmx: paired in that instance, not with the host pts of the same index', { skip: nsSkip }, async () => {
    const host = await startPty(['python3', '-c', PY, 'fork']);
    const inner = await startPty([
      'unshare', '-m', '--propagation', 'private', 'sh', '-c',
      'mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts && exec python3 -c "$0" /dev/ptmx', PY,
    ]);
    assert.notEqual(inner.devpts, host.devpts, 'the namespace has its own devpts');
    assert.equal(inner.index, 0, 'the first pty of a fresh instance');
    await viaEveryWalk(inner, 'own devpts via /dev/ptmx');
    await viaEveryWalk(host, 'host pty beside it');
  });

  it('a devpts of its own, master through its own ptmx (/dev/pts/ptmx, as containers do)', { skip: nsSkip }, async () => {
    const inner = await startPty([
      'unshare', '-m', '--propagation', 'private', 'sh', '-c',
      'mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts && exec python3 -c "$0" /dev/pts/ptmx', PY,
    ]);
    await viaEveryWalk(inner, 'own devpts via /dev/pts/ptmx');
  });

  it('as nobody: the /proc walk sees a user\'s own pty', { skip: !isRoot ? 'needs root to act as nobody' : cannotActAsNobody() }, async () => {
    const p = await startPty(['python3', '-c', PY, 'fork'], NOBODY_UID);
    const r = spawnSync(process.execPath, [path.resolve(__dirname, '../../../bin/ipc-inspector.js'), 'snapshot', '--json', '--kind', 'pty', '--pid', String(p.parent)], {
      encoding: 'utf8', uid: NOBODY_UID, gid: NOBODY_UID,
    });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Snapshot;
    assert.equal(s.capabilities.walk?.backend !== 'bpf-iter', true, 'nobody cannot run the BPF walk');
    check(ptyOf(s, [p.parent]).find(() => true), p, 'as nobody');
  });

  it('a peek tells how many bytes wait on each side (TIOCINQ through pidfd_getfd copies) and consumes nothing: the terminal then reads them all', { skip: !native ? 'no native addon' : !isRoot ? 'needs root (pidfd_getfd of another process)' : false }, async () => {
    const p = await startPty(['python3', '-c', PY, 'fork', 'data']);
    const s = await takeSnapshot({ kinds: ['pty'] });
    const ch = ptyOf(s, [p.child])[0];
    check(ch, p, 'with data');
    const procs = new Map(s.processes.map((x) => [x.pid, x]));
    const counts = async () => {
      const r = await peekChannel(ch, procs, {});
      assert.equal(r.type, 'facts');
      if (r.type !== 'facts') return {};
      assert.match(r.method, /^ioctl TIOCINQ on pidfd_getfd copies of /);
      assert.ok(r.notes.some((n) => /bytes are not shown/.test(n)), JSON.stringify(r.notes));
      return Object.fromEntries(r.facts.map((f) => [f.id, f.text]));
    };
    // output: "hello\r\n" (ONLCR) and the echo of "typed\r\n"; input: one complete line of 6 bytes
    const want = { toTerminal: '14 bytes', toPrograms: '6 bytes' };
    for (let i = 0; i < 3; i++) assert.deepEqual(await counts(), want, `peek ${i + 1}`);
    const lines = lineReader(p.proc);
    process.kill(p.parent, 'SIGUSR1');
    const got = JSON.parse(await lines.next('what the terminal read')) as { read: string };
    // (in whichever order the child's output and the echo arrived)
    assert.deepEqual(got.read.split('\r\n').sort(), ['', 'hello', 'typed'], `every byte was still there for the terminal: ${JSON.stringify(got.read)}`);
  });

  it("a holder that swapped its master fd for another pty's since the snapshot is not read as this one (TIOCGPTN checked)", { skip: !native ? 'no native addon' : !isRoot ? 'needs root (pidfd_getfd of another process)' : false }, async () => {
    const p = await startPty(['python3', '-c', PY, 'fork', 'data']);
    const s = await takeSnapshot({ kinds: ['pty'] });
    const ch = ptyOf(s, [p.child])[0];
    check(ch, p, 'before the swap');
    const lines = lineReader(p.proc);
    process.kill(p.parent, 'SIGUSR2');
    assert.deepEqual(JSON.parse(await lines.next('the swap')), { swapped: p.master });
    const r = await peekChannel(ch, new Map(s.processes.map((x) => [x.pid, x])), {});
    assert.equal(r.type, 'facts');
    const f = r.type === 'facts' ? Object.fromEntries(r.facts.map((x) => [x.id, x.text])) : {};
    // the fd number now names another pty (a fresh one, nothing queued): not counted as this one's output
    assert.deepEqual(f, { toTerminal: 'unknown (no master holder could be read)', toPrograms: '6 bytes' });
  });

  it('the CLI lists it (table and --json)', async () => {
    const p = await startPty(['python3', '-c', PY, 'fork']);
    const bin = path.resolve(__dirname, '../../../bin/ipc-inspector.js');
    const table = spawnSync(process.execPath, [bin, 'snapshot', '--kind', 'pty'], { encoding: 'utf8' });
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^Pseudo-terminal \(\d+\)$/m);
    const row = table.stdout.split('\n').find((l) => l.startsWith(`pty:${p.devpts}:${p.index} `));
    assert.ok(row, table.stdout);
    assert.match(row, new RegExp(`\\[${p.parent}\\] fd ${p.master} \\(master, rw\\).*\\[${p.child}\\] fd 0–2 \\(slave, rw\\)`));
    const json = spawnSync(process.execPath, [bin, 'snapshot', '--json', '--kind', 'pty', '--pid', String(p.child)], { encoding: 'utf8' });
    assert.equal(json.status, 0, json.stderr);
    const s = JSON.parse(json.stdout) as Snapshot;
    assert.ok(s.channels.every((c) => c.kind === 'pty'));
    check(ptyOf(s, [p.child])[0], p, '--json');
  });
});
