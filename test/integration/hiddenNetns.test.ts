// A Unix listener in a network namespace no process is in (red-team finding; fixtures/attacker.c
// `ghost-listener`): a child of the attacker (uid 65534) enters a user and network namespace of
// its own, listens on a path, passes the socket to its parent over SCM_RIGHTS and exits. The
// parent keeps serving on it, but the socket is in no table of any namespace a process is in:
// every walk dropped it without a trace, and the diagnosis called its path a stale socket file
// ("nothing is bound to it") and offered to remove it. Now the namespace is found through the
// socket (pidfd_getfd + SIOCGSKNS) and dumped like any other: the listener is listed with its
// holder and path in both walks, a warning says where it was found, and its path is not stale.
// Inet sockets in no table of their own namespace (never bound — Apache holds three per process —
// or reset but still held) are listed as lsof lists them (ss shows none of them).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadBpf, loadNative } from '../../src/core/native';
import type { UnixChannel, WalkBackend } from '../../src/core/model';
import type { Problem } from '../../src/core/diagnose/problem';
import { compileTools, ownNamespacesSkip, runAttacker, stopAttacker, type Attacker } from './hostile';
import { python, Sampler, stopHelpers } from './diagnoseUtil';
import { hiddenNetnsCacheSize, LOOKUPS_PER_SNAPSHOT, SOCKETS_UNASKED } from '../../src/core/probes/hiddenNetns';
import { SnapshotService } from '../../src/core/snapshotService';
import { moduleCacheSizes } from '../../src/core/cacheSizes';
import type { Snapshot } from '../../src/core/model';
import { BIN, runCli } from './cliRunner';
import { LONE_UID, NOBODY, pythonAs, SYSTEM_PYTHON } from '../harness/otherUser';
import { lineReader } from './childLines';

const native = loadNative().addon;
const bpf = loadBpf().addon;
const skip = spawnSync('sh', ['-c', 'command -v cc']).status !== 0 ? 'needs cc' : !native ? 'native addon not loaded' : ownNamespacesSkip(['--net']);

describe('a Unix listener in a network namespace no process is in', { skip }, () => {
  let attacker: Attacker | undefined;
  let made: { pid: number; fd: number; inode: number };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-ghostns-'));
  const sock = path.join(dir, 'live.sock');
  const walks: WalkBackend[] = ['proc'];

  before(async () => {
    fs.chmodSync(dir, 0o777);
    attacker = runAttacker(await compileTools(), ['ghost-listener', sock]);
    made = JSON.parse(await attacker.next('the ghost-listener line')) as typeof made;
    if (bpf && (await bpf.bpfProbe()).ok) walks.push('bpf-iter');
  });
  after(async () => {
    await stopAttacker(attacker);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is live: a client connects', async () => {
    await new Promise<void>((resolve, reject) => {
      const c = net.connect(sock, () => {
        c.destroy();
        resolve();
      });
      c.on('error', reject);
    });
  });

  it('each walk lists it with its holder and path, and says which namespace it read', async () => {
    const { takeSnapshot } = await import('../../src/core/snapshot');
    for (const walk of walks) {
      const snap = await takeSnapshot({ walk, kinds: ['unix'] });
      assert.equal(snap.capabilities.walk?.backend, walk);
      const ch = snap.channels.find((c): c is UnixChannel => c.id === `unix:${made.inode}`);
      assert.ok(ch, `${walk}: unix:${made.inode} listed`);
      assert.equal(ch.state, 'listen');
      assert.equal(ch.path, sock);
      assert.deepEqual(ch.endpoints.map((e) => [e.pid, e.fd]), [[made.pid, made.fd]]);
      assert.notEqual(ch.netns, snap.processes.find((p) => p.pid === made.pid)?.netns, 'the socket\'s namespace, not its holder\'s');
      assert.ok(snap.warnings.some((w) => w.includes(`network namespace ${ch.netns} has no process in it`) && w.includes(`socket ${made.inode}`)), JSON.stringify(snap.warnings));
    }
  });

  it(`behind more sockets in no table than a scan looks up (${LOOKUPS_PER_SNAPSHOT}): the snapshot says how many were left, and the next scans reach it`, async () => {
    // 600 never-bound sockets held by another unprivileged user (nobody), as any user (or Apache,
    // three a process) can hold them
    const crowd = await python('import socket,sys\nk=[socket.socket() for _ in range(600)]\nprint("READY",flush=True)\nsys.stdin.read()', [], { uid: 65534, gid: 65534 });
    try {
      const { SocketLookups, takeSnapshot } = await import('../../src/core/snapshot');
      // the count as plural() writes it: digits grouped past 999 (a busy machine holds more never-bound sockets)
      const left = (w: string[]) => Number((/^sockets unasked: ([\d,]+) /.exec(w.find((x) => x.startsWith('sockets unasked:')) ?? '')?.[1] ?? '0').replaceAll(',', ''));
      // what the lookups learnt, kept over the scans as the snapshot worker keeps it
      const socketLookups = new SocketLookups();
      const first = await takeSnapshot({ walk: 'proc', kinds: ['unix', 'tcp'], socketLookups });
      assert.ok(left(first.warnings) >= 600 - LOOKUPS_PER_SNAPSHOT, JSON.stringify(first.warnings.filter((w) => w.startsWith('sockets'))));
      let found = first.channels.some((c) => c.id === `unix:${made.inode}`);
      // each socket is asked once: three more scans have asked all 600
      for (let i = 0; i < 3 && !found; i++) found = (await takeSnapshot({ walk: 'proc', kinds: ['unix', 'tcp'], socketLookups })).channels.some((c) => c.id === `unix:${made.inode}`);
      assert.ok(found, 'the listener is listed within four scans');
    } finally {
      await crowd.stop();
    }
  });

  it('the diagnosis does not call its path stale', async () => {
    const s = new Sampler();
    const stale = (d: { problems: Problem[] }) => d.problems.filter((p) => p.rule === 'socket-path' && p.title.includes(sock));
    await s.never(stale, 'a live listener\'s path called stale', 3);
  });
});

/** lsof's rows of a process: fd → what its NAME column names (`protocol: TCP`, `TCP 127.0.0.1:1->…`). */
function lsofSockets(pid: number): Map<number, string> {
  const r = spawnSync('lsof', ['-n', '-P', '-w', '-p', String(pid), '-a', '-d', '^txt,^mem,^cwd,^rtd', '-F', 'fn'], { encoding: 'utf8' });
  const out = new Map<number, string>();
  let fd = -1;
  for (const l of r.stdout.split('\n')) {
    if (l[0] === 'f') fd = /^\d+$/.test(l.slice(1)) ? Number(l.slice(1)) : -1;
    else if (l[0] === 'n' && fd >= 0) out.set(fd, l.slice(1));
  }
  return out;
}

const skipInet = spawnSync('sh', ['-c', 'command -v python3 && command -v lsof']).status !== 0 ? 'needs python3 and lsof' : !native ? 'native addon not loaded' : false;

describe('inet sockets in no table: never bound, or reset and still held', { skip: skipInet }, () => {
  after(stopHelpers);
  it('are listed in both walks with their holder, as lsof lists them', async () => {
    const h = await python(
      'import socket,struct,sys,time\n' +
        't=socket.socket(); u=socket.socket(type=socket.SOCK_DGRAM); t6=socket.socket(socket.AF_INET6)\n' +
        'srv=socket.socket(); srv.bind(("127.0.0.1",0)); srv.listen(1)\n' +
        'c=socket.socket(); c.connect(srv.getsockname()); a,_=srv.accept()\n' +
        'a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii",1,0)); a.close(); srv.close(); time.sleep(0.2)\n' +
        'print("READY",t.fileno(),u.fileno(),t6.fileno(),c.fileno(),flush=True)\nsys.stdin.read()',
    );
    const [t, u, t6, c] = (await h.ready).map(Number);
    const lsof = lsofSockets(h.pid);
    assert.match(lsof.get(t) ?? '', /protocol: TCP$/, JSON.stringify([...lsof]));
    assert.match(lsof.get(u) ?? '', /protocol: UDP$/);
    assert.match(lsof.get(t6) ?? '', /protocol: TCPv6$/);
    const { takeSnapshot } = await import('../../src/core/snapshot');
    const walks: WalkBackend[] = ['proc'];
    if (bpf && (await bpf.bpfProbe()).ok) walks.push('bpf-iter');
    for (const walk of walks) {
      const snap = await takeSnapshot({ walk, kinds: ['tcp', 'udp'], pids: [h.pid] });
      assert.equal(snap.capabilities.walk?.backend, walk);
      const at = (fd: number) => snap.channels.find((ch) => ch.endpoints.some((e) => e.pid === h.pid && e.fd === fd));
      const want: Array<[number, string, number, string]> = [
        [t, 'tcp', 4, '0.0.0.0:0'],
        [u, 'udp', 4, '0.0.0.0:0'],
        [t6, 'tcp', 6, '[::]:0'],
      ];
      for (const [fd, kind, family, local] of want) {
        const ch = at(fd);
        assert.ok(ch && (ch.kind === 'tcp' || ch.kind === 'udp'), `${walk}: fd ${fd} listed: ${JSON.stringify(snap.channels.map((x) => x.id))}`);
        assert.deepEqual([ch.kind, ch.family, ch.local, ch.state], [kind, family, local, 'UNCONN']);
      }
      // the reset client: in no table (lsof: `protocol: TCP`, no address), its own address from getsockname
      const reset = at(c);
      assert.match(lsof.get(c) ?? '', /protocol: TCP$/);
      assert.ok(reset && reset.kind === 'tcp', `${walk}: the reset socket (fd ${c}) listed`);
      assert.match(reset.local, /^127\.0\.0\.1:\d+$/);
    }
    await h.stop();
  });

  // What the lookups learn is kept by whoever takes the snapshots (it was module state, shared by
  // every snapshot of the process): the SocketLookups a caller passes to each scan, the snapshot
  // worker's own (counted in its cache sizes), or a snapshot's own when none is passed.
  it('what the lookups learnt is kept in the SocketLookups passed to the scan, and the worker counts its own', async () => {
    const h = await python('import socket,sys\nt=socket.socket()\nprint("READY",t.fileno(),flush=True)\nsys.stdin.read()');
    const [fd] = (await h.ready).map(Number);
    const inode = fs.statSync(`/proc/${h.pid}/fd/${fd}`).ino;
    const { SocketLookups, takeSnapshot } = await import('../../src/core/snapshot');
    const mine = new SocketLookups();
    const snap = await takeSnapshot({ walk: 'proc', kinds: ['tcp'], pids: [h.pid], socketLookups: mine });
    assert.ok(snap.channels.some((c) => c.id === `tcp:${inode}`), `tcp:${inode} listed`);
    assert.ok(mine.asked.has(inode), 'its answer is in the lookups passed');
    assert.equal(hiddenNetnsCacheSize(new SocketLookups()), 0);
    const again = await takeSnapshot({ walk: 'proc', kinds: ['tcp'], pids: [h.pid] });
    assert.ok(again.channels.some((c) => c.id === `tcp:${inode}`), 'a scan without lookups of its own asks afresh');
    const service = new SnapshotService({ kinds: ['tcp'], pids: [h.pid] });
    try {
      assert.equal(service.usingWorker, true, service.fallbackReason ?? '');
      await service.next();
      const caches = await service.workerCacheSizes();
      assert.ok((caches?.['hiddenNetns.asked'] ?? 0) >= 1, JSON.stringify(caches));
      assert.equal(moduleCacheSizes()['hiddenNetns.asked'], undefined, 'no module of this thread keeps any');
    } finally {
      service.dispose();
      await h.stop();
    }
  });

  // The lookups a scan makes (256) go to users in turn (heldObjects.ts readOrder): nobody's 600
  // never-bound sockets, all older than another user's one, take nobody's turns; the other user's
  // socket is listed by the first scan. By inode alone (the order before), nobody's took them all.
  it(`one user's never-bound sockets past a scan's lookups (${LOOKUPS_PER_SNAPSHOT}) leave another user's its turn`, { skip: SYSTEM_PYTHON ? false : 'no /usr/bin/python3 (one other users can run)' }, async () => {
    const crowd = pythonAs(NOBODY.uid, 'import socket,sys\nk=[socket.socket() for _ in range(600)]\nprint("ready",flush=True)\nsys.stdin.read()', []);
    const other = pythonAs(LONE_UID, 'import os,socket,sys\ns=socket.socket()\nprint(os.fstat(s.fileno()).st_ino,s.fileno(),flush=True)\nsys.stdin.read()', []);
    try {
      await lineReader(crowd).next('the crowd ready');
      const [inode, fd] = (await lineReader(other).next('the other user\'s socket')).split(' ').map(Number);
      const { takeSnapshot } = await import('../../src/core/snapshot');
      const snap = await takeSnapshot({ walk: 'proc', kinds: ['tcp'] });
      const unasked = Number((/^sockets unasked: ([\d,]+) /.exec(snap.warnings.find((x) => x.startsWith('sockets unasked:')) ?? '')?.[1] ?? '0').replaceAll(',', ''));
      assert.ok(unasked >= 600 - LOOKUPS_PER_SNAPSHOT, `nobody's crowd is past the scan's lookups: ${JSON.stringify(snap.warnings.filter((w) => w.startsWith('sockets')))}`);
      const ch = snap.channels.find((c) => c.id === `tcp:${inode}`);
      assert.ok(ch && ch.kind === 'tcp', `the other user's never-bound socket tcp:${inode} is listed by the first scan`);
      assert.deepEqual([ch.state, ch.local, ch.endpoints.map((e) => [e.pid, e.fd])], ['UNCONN', '0.0.0.0:0', [[other.pid, fd]]]);
    } finally {
      crowd.kill();
      other.kill();
    }
  });
});

// A snapshot of some socket kinds (`--kind tcp`, a peek of one TCP socket) read only those kinds'
// tables, so every socket of the others — each Unix socket of the machine — was "in no table":
// up to 256 a scan were copied out of their holders (pidfd_getfd) to ask their namespace, and the
// snapshot warned that hundreds of sockets were left unasked. The other kinds' tables now claim
// their sockets (inodes only).
describe('a snapshot of some socket kinds', { skip: !native ? 'native addon not loaded' : false }, () => {
  after(stopHelpers);
  it(`does not take the other kinds' sockets for sockets in no table (${LOOKUPS_PER_SNAPSHOT * 2} Unix sockets held)`, async () => {
    const h = await python(`import socket,sys\nk=[socket.socketpair() for _ in range(${LOOKUPS_PER_SNAPSHOT})]\nprint("READY",flush=True)\nsys.stdin.read()`);
    await h.ready;
    for (const kinds of ['tcp', 'udp,netlink', 'unix']) {
      // (the CLI: a process of its own, whose lookups no earlier snapshot remembered)
      const r = runCli(['snapshot', '--kind', kinds, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const snap = JSON.parse(r.stdout) as Snapshot;
      assert.deepEqual(snap.warnings.filter((w) => w.startsWith(SOCKETS_UNASKED)), [], `--kind ${kinds}`);
      assert.ok(snap.channels.every((c) => kinds.split(',').includes(c.kind)), `--kind ${kinds}: ${[...new Set(snap.channels.map((c) => c.kind))].join(', ')}`);
    }
    await h.stop();
  });
});

/** Who the snapshot copied fds from: [pid, fd] of each pidfd_getfd strace saw (the pid from the same thread's pidfd_open before it, as DupHeldSocket does both). */
function getfdCalls(straceOut: string): Array<[number, number]> {
  const lastPid = new Map<string, number>();
  const out: Array<[number, number]> = [];
  for (const l of straceOut.split('\n')) {
    const open = /^(\d+)\s+pidfd_open\((\d+),/.exec(l);
    if (open) lastPid.set(open[1], Number(open[2]));
    const getfd = /^(\d+)\s+pidfd_getfd\(\d+, (\d+),/.exec(l);
    if (getfd) out.push([lastPid.get(getfd[1]) ?? -1, Number(getfd[2])]);
  }
  return out;
}

const hasStrace = spawnSync('sh', ['-c', 'command -v strace']).status === 0;

// Sockets of families with no kind here (vsock, AF_ALG, XDP…) are in no table either, and were
// copied out of their holder (pidfd_getfd, which re-tags the holder's socket with our cgroup's
// net_cls/net_prio and runs the LSM receive hook) only to learn that nothing is listed for them.
// Their protocol name (the xattr lsof reads, through a checked O_PATH handle) now says so first.
// (the AF_XDP socket only where unprivileged user namespaces are on; the others need none)
const skipOdd = !hasStrace ? 'strace not installed' : spawnSync('sh', ['-c', 'command -v cc']).status !== 0 ? 'needs cc' : !native ? 'native addon not loaded' : process.geteuid?.() !== 0 ? 'needs root to run an attacker as nobody' : false;
describe('sockets of families with no kind', { skip: skipOdd }, () => {
  let attacker: Attacker | undefined;
  after(() => stopAttacker(attacker));

  it('are not copied out of their holder (strace: no pidfd_getfd of them, CLI, both walks); a never-bound TCP socket beside them still is, and is listed', async (t) => {
    const comm = 'odd\x1b[2J\n$(id)';
    attacker = runAttacker(await compileTools(), ['odd-sockets', comm]);
    const made = JSON.parse(await attacker.next('the odd-sockets line')) as { pid: number; tcp: number; odd: Array<[number, string, number]> };
    if (made.odd.length === 0) return t.skip('the kernel lets an unprivileged user make none of AF_VSOCK, AF_ALG, AF_XDP (in a namespace of its own)');
    const walks: WalkBackend[] = ['proc'];
    if (bpf && (await bpf.bpfProbe()).ok) walks.push('bpf-iter');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-oddsock-'));
    try {
      for (const walk of walks) {
        const out = path.join(dir, `strace-${walk}.txt`);
        // (a process of its own: no lookup remembered from an earlier snapshot; --seccomp-bpf: only the traced calls stop)
        const r = spawnSync('strace', ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=pidfd_open,pidfd_getfd', '-o', out, process.execPath, BIN, 'snapshot', '--json', '--pid', String(made.pid)], {
          encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, IPC_INSPECTOR_WALK: walk },
        });
        assert.equal(r.status, 0, r.stderr);
        const snap = JSON.parse(r.stdout) as Snapshot;
        assert.equal(snap.capabilities.walk?.backend, walk);
        assert.equal(snap.processes.find((p) => p.pid === made.pid)?.comm, comm.slice(0, 15), 'the attacker, by its own name');
        const copied = getfdCalls(fs.readFileSync(out, 'utf8')).filter(([pid]) => pid === made.pid);
        for (const [fd, family] of made.odd) assert.deepEqual(copied.filter(([, f]) => f === fd), [], `${walk}: the ${family} socket (fd ${fd}) copied out of its holder`);
        // the oracle sees copies: the never-bound TCP socket is still asked that way, once
        assert.deepEqual(copied, [[made.pid, made.tcp]], `${walk}: pidfd_getfd calls against the attacker`);
        const tcp = snap.channels.find((c) => c.endpoints.some((e) => e.pid === made.pid && e.fd === made.tcp));
        assert.ok(tcp && tcp.kind === 'tcp', `${walk}: the never-bound TCP socket listed`);
        assert.deepEqual([tcp.state, tcp.local], ['UNCONN', '0.0.0.0:0']);
        assert.ok(!snap.channels.some((c) => c.endpoints.some((e) => e.pid === made.pid && made.odd.some(([fd]) => fd === e.fd))), 'nothing listed for the other families');
        const about = snap.warnings.filter((w) => w.startsWith(SOCKETS_UNASKED) || made.odd.some(([, , inode]) => w.includes(String(inode))));
        assert.deepEqual(about, [], `${walk}: warnings`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The names sockfs gives are the kernel's proto names, not an ABI: every socket of a kind made
// here must be named as one that may be IPC (else a never-bound one, or a hidden namespace found
// through one, would be missed), and the others as none.
describe('protocol names on this kernel', { skip: !native?.socketProtocol ? 'native addon without socketProtocol' : false }, () => {
  after(stopHelpers);
  it('every socket of a kind is named as one that may be IPC; vsock, XDP and SCTP sockets are not', async () => {
    const h = await python(
      'import os,socket,sys\nk=[]\nout=[]\n' +
        'for n,f,t,p in [("unix-stream",1,1,0),("unix-dgram",1,2,0),("unix-seqpacket",1,5,0),("tcp",2,1,0),("tcp6",10,1,0),("udp",2,2,0),("udp6",10,2,0),' +
        '("udplite",2,2,136),("udplite6",10,2,136),("mptcp",2,1,262),("mptcp6",10,1,262),("raw",2,3,255),("raw6",10,3,58),("ping",2,2,1),("ping6",10,2,58),' +
        '("netlink",16,3,0),("packet",17,3,0),("-vsock",40,1,0),("-xdp",44,3,0),("-sctp",2,1,132),("-sctp6",10,1,132)]:\n' +
        '  try: s=socket.socket(f,t,p)\n' +
        '  except OSError: continue\n' +
        '  k.append(s); out.append("%s:%d:%d" % (n,s.fileno(),os.fstat(s.fileno()).st_ino))\n' +
        'print("READY "+" ".join(out),flush=True)\nsys.stdin.read()',
    );
    const { mayBeIpc } = await import('../../src/core/probes/hiddenNetns');
    const named: string[] = [];
    for (const m of await h.ready) {
      const [what, fd, inode] = m.split(':');
      const name = await native!.socketProtocol!(h.pid, Number(fd), Number(inode));
      named.push(`${what} ${name}`);
      assert.equal(mayBeIpc(name), !what.startsWith('-'), `${what}: ${name}`);
    }
    for (const need of ['unix-stream', 'unix-dgram', 'tcp', 'udp', 'netlink']) assert.ok(named.some((n) => n.startsWith(`${need} `)), `${need} made: ${named.join(', ')}`);
    await h.stop();
  });
});
