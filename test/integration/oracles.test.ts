// Other tools as oracles on the same real objects: every socket `ss` shows for a fixture process
// must be in our snapshot with the same inode, holder (pid, fd), state, queues, addresses and peer
// — and every socket we attribute to a fixture process must be in ss; `lsof` pipe/FIFO fds of
// the fixture processes must be our pipe/fifo endpoints (same inode, fd, mode); `ipcs` must show
// our SysV ids with the same counts (and `ipcs -s -i` the same semaphore values). Each oracle is
// skipped, with the reason, when the tool is not installed. Only fixture processes are compared.
//
//   node scripts/build.mjs test/integration && node --test --test-concurrency=1 dist/test/integration/oracles.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAll, makeFixture, type Fixture, type FixtureKind, type FixtureOptions } from '../../fixtures/ipcFixture';
import type { Channel, InetChannel, Snapshot, UnixChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { ssInet, ssUnix } from './ssRows';
import { takeSnapshot } from '../../src/core/snapshot';
import { describe as describeKind } from '../../src/core/kinds';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-oracle-'));
// Plain names here: ss and lsof print paths unquoted, so a space or newline would break their columns.
const SPECS: [FixtureKind, FixtureOptions][] = [
  ['unix-stream', { path: path.join(tmp, 'stream.sock'), bytes: 9 }],
  ['unix-seqpacket', { abstract: `ipc-oracle-${process.pid}`, bytes: 4 }],
  ['unix-dgram', { path: path.join(tmp, 'dgram.sock'), bytes: 12, datagrams: 2 }],
  ['socketpair', { type: 'dgram', bytes: 3 }],
  ['tcp4', { bytes: 77 }],
  ['tcp6', { bytes: 5 }],
  ['udp4', { bytes: 10, datagrams: 1 }],
  ['udp6', { bytes: 10, datagrams: 2 }],
  ['pipe', { bytes: 1 }],
  ['fifo', { path: path.join(tmp, 'oracle.fifo'), bytes: 2 }],
  ['sysv-msg', { count: 3 }],
  ['sysv-shm', { size: 10000, attach: 3 }],
  ['sysv-sem', { values: [4, 0, 1], waitIncrease: [1, 1], waitZero: 2 }],
];
const fixtures: Fixture[] = [];

before(async () => {
  const r = await Promise.allSettled(SPECS.map(async ([k, o]) => fixtures.push(await makeFixture(k, o))));
  const bad = r.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (bad.length) throw new Error(bad.map((x) => x.reason?.message).join('; '));
});

after(async () => {
  try {
    await closeAll(fixtures);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

function tool(name: string): string | false {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return false;
  } catch {
    return `${name} is not installed`;
  }
}
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
const fixturePids = () => new Set(fixtures.flatMap((f) => f.pids));
const of = (kind: FixtureKind) => fixtures.find((f) => f.info.kind === kind)!;

const UNIX_STATE: Record<string, string> = { ESTAB: 'connected', LISTEN: 'listen', UNCONN: 'unconnected', SYN_SENT: 'connecting' };
const UNIX_TYPE: Record<string, string> = { u_str: 'stream', u_dgr: 'dgram', u_seq: 'seqpacket' };

const nativeLoad = loadNative();
const MODES = [
  { name: 'native addon', useNative: true, skip: nativeLoad.addon ? false : `native addon not available: ${nativeLoad.error}` },
  { name: 'pure /proc (useNative: false)', useNative: false, skip: false as const },
];

for (const mode of MODES) {
  describe(`oracles — ${mode.name}`, { skip: mode.skip }, () => {
    let snap: Snapshot;
    let byId: Map<string, Channel>;
    before(async () => {
      snap = await takeSnapshot({ useNative: mode.useNative });
      byId = new Map(snap.channels.map((c) => [c.id, c]));
    });
    const unixByInode = (ino: number) => snap.channels.find((c): c is UnixChannel => c.kind === 'unix' && c.inode === ino);
    const inetByInode = (kind: string, ino: number) => snap.channels.find((c): c is InetChannel => (c.kind === 'tcp' || c.kind === 'udp') && c.kind === kind && c.inode === ino);

    test('ss -xapn: every Unix socket of a fixture process, same inode, holders, state, queues, peer', { skip: tool('ss') }, () => {
      const pids = fixturePids();
      const rows = ssUnix().filter((r) => r.users.some((u) => pids.has(u.pid)));
      // Listener + accepted + client, ×2; dgram server + client; the pair; stdio of every fixture.
      assert.ok(rows.length >= 10, `only ${rows.length} ss rows for fixture processes`);
      for (const r of rows) {
        const ch = unixByInode(r.inode);
        assert.ok(ch, `ss inode ${r.inode} (${r.netid} ${r.state} ${r.local}) missing from the snapshot`);
        for (const u of r.users) assert.ok(ch.endpoints.some((e) => e.pid === u.pid && e.fd === u.fd && e.mode === 'rw'), `${ch.id}: no endpoint ${u.pid}/${u.fd}`);
        assert.equal(ch.endpoints.length, r.users.length, `${ch.id}: endpoints ${JSON.stringify(ch.endpoints)} vs ss ${JSON.stringify(r.users)}`);
        assert.equal(ch.type, UNIX_TYPE[r.netid], `${ch.id} type`);
        if (UNIX_STATE[r.state]) assert.equal(ch.state, UNIX_STATE[r.state], `${ch.id} state (ss ${r.state})`);
        if (r.local === '*') assert.ok(ch.path === undefined && ch.abstract === undefined, `${ch.id} has a name, ss none`);
        else if (r.local.startsWith('@')) assert.equal(ch.abstract, r.local.slice(1));
        else assert.equal(ch.path, r.local);
        if (snap.capabilities.sockDiag) {
          assert.equal(ch.peerInode ?? 0, r.peerInode, `${ch.id} peer`);
          assert.equal(ch.recvQueue, r.recvQ, `${ch.id} Recv-Q`);
          assert.equal(ch.sendQueue, r.sendQ, `${ch.id} Send-Q`);
        }
      }
      // …and the other way round: every Unix socket we attribute to a fixture process is in ss.
      const ssInodes = new Set(rows.map((r) => r.inode));
      for (const c of snap.channels) {
        if (c.kind === 'unix' && c.endpoints.some((e) => pids.has(e.pid))) assert.ok(ssInodes.has(c.inode), `${c.id} is not in ss`);
      }
    });

    for (const proto of ['t', 'u'] as const) {
      const kind = proto === 't' ? 'tcp' : 'udp';
      test(`ss -${proto}anpe: every ${kind} socket of a fixture process, same inode, ports, state, queues`, { skip: tool('ss') }, () => {
        const pids = fixturePids();
        const rows = ssInet(proto).filter((r) => r.users.some((u) => pids.has(u.pid)));
        assert.equal(rows.length, proto === 't' ? 6 : 4, `ss rows: ${JSON.stringify(rows)}`);
        for (const r of rows) {
          const ch = inetByInode(kind, r.inode);
          assert.ok(ch, `ss ${kind} inode ${r.inode} ${r.local} missing`);
          assert.equal(ch.local, r.local);
          // ss prints `[::]:*` for IPv6-only sockets (IPV6_V6ONLY, set by the kernel too when a
          // socket binds ::1) and `*:*` for dual-stack ones: the snapshot knows which where
          // sock_diag told it (`v6only`); without that it cannot, and says `*:*`
          if (ch.v6only === undefined && r.peer === '[::]:*') assert.equal(ch.remote, '*:*', `${ch.id} remote`);
          else assert.equal(ch.remote, r.peer, `${ch.id} remote (v6only ${ch.v6only})`);
          assert.equal(ch.state, r.state);
          assert.equal(ch.recvQueue, r.recvQ, `${ch.id} Recv-Q`);
          // a listener's Send-Q is its backlog, which only sock_diag says (null from /proc/net/tcp)
          if (r.state !== 'LISTEN') assert.equal(ch.sendQueue, r.sendQ, `${ch.id} Send-Q`);
          else assert.equal(ch.sendQueue, snap.capabilities.sockDiag ? r.sendQ : null, `${ch.id} backlog (Send-Q)`);
          assert.deepEqual(
            ch.endpoints.map((e) => `${e.pid}/${e.fd}`).sort(),
            r.users.map((u) => `${u.pid}/${u.fd}`).sort(),
          );
        }
        for (const c of snap.channels) {
          if ((c.kind === 'tcp' || c.kind === 'udp') && c.kind === kind && c.endpoints.some((e) => pids.has(e.pid))) assert.ok(rows.some((r) => r.inode === c.inode), `${c.id} is not in ss`);
        }
        if (proto === 't') {
          // loopback pairs: ss shows both ends; we link them
          for (const f of fixtures.filter((x) => x.info.kind === 'tcp4' || x.info.kind === 'tcp6')) {
            const a = inetByInode('tcp', f.info.accepted.inode)!;
            const c = inetByInode('tcp', f.info.client.inode)!;
            assert.equal(a.peer, c.id);
            assert.equal(c.peer, a.id);
          }
        }
      });
    }

    test('lsof: pipe and FIFO fds of fixture processes are our endpoints', { skip: tool('lsof') }, () => {
      const pids = [...fixturePids()];
      const out = run('lsof', ['-w', '-n', '-P', '-p', pids.join(','), '-F', 'pfatin']);
      let pid = 0;
      let cur: { fd?: number; a?: string; t?: string; i?: number; n?: string } = {};
      const fds: { pid: number; fd: number; a: string; i: number; n: string }[] = [];
      const flush = () => {
        if (cur.t === 'FIFO' && cur.fd !== undefined && cur.i !== undefined) fds.push({ pid, fd: cur.fd, a: cur.a ?? '', i: cur.i, n: cur.n ?? '' });
        cur = {};
      };
      for (const line of out.split('\n')) {
        const tag = line[0];
        const v = line.slice(1);
        if (tag === 'p') {
          flush();
          pid = Number(v);
        } else if (tag === 'f') {
          flush();
          cur.fd = /^\d+$/.test(v) ? Number(v) : undefined;
        } else if (tag === 'a') cur.a = v;
        else if (tag === 't') cur.t = v;
        else if (tag === 'i') cur.i = Number(v);
        else if (tag === 'n') cur.n = v;
      }
      flush();
      const pipeF = of('pipe');
      const fifoF = of('fifo');
      // at least the fixture pipe's two ends and the FIFO's two ends
      for (const e of [pipeF.info.writer, pipeF.info.reader, fifoF.info.reader, fifoF.info.writer]) {
        assert.ok(fds.some((f) => f.pid === e.pid && f.fd === e.fd), `lsof lacks ${e.pid}/${e.fd}: ${JSON.stringify(fds)}`);
      }
      const modeOf = (a: string) => (a === 'r' ? 'r' : a === 'w' ? 'w' : 'rw');
      for (const f of fds) {
        const ch = snap.channels.find((c) => (c.kind === 'pipe' || c.kind === 'fifo') && c.inode === f.i);
        assert.ok(ch, `lsof ${f.pid}/${f.fd} ${f.n} inode ${f.i} missing`);
        assert.equal(ch.kind, f.n === 'pipe' ? 'pipe' : 'fifo');
        if (ch.kind === 'fifo') assert.equal(ch.path, f.n);
        assert.ok(
          ch.endpoints.some((e) => e.pid === f.pid && e.fd === f.fd && e.mode === modeOf(f.a)),
          `${ch.id}: no endpoint ${f.pid}/${f.fd}/${modeOf(f.a)} in ${JSON.stringify(ch.endpoints)}`,
        );
      }
    });

    test('ipcs -q/-m/-s (and -p, -i): same ids, counts, pids, semaphore values', { skip: tool('ipcs') }, () => {
      const table = (args: string[]) =>
        run('ipcs', args)
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((t) => /^\d+$/.test(t[1] ?? '') || /^\d+$/.test(t[0] ?? ''));
      const msg = of('sysv-msg').info;
      const q = table(['-q']).find((t) => t[0].startsWith('0x') && Number(t[1]) === msg.msqid);
      assert.ok(q, `ipcs -q lacks ${msg.msqid}`);
      const ours = byId.get(`sysv-msg:${msg.msqid}`) ?? snap.channels.find((c) => c.kind === 'sysv-msg' && c.msqid === msg.msqid);
      assert.ok(ours && ours.kind === 'sysv-msg');
      assert.equal(ours.bytes, Number(q[4]));
      assert.equal(ours.messages, Number(q[5]));
      assert.equal(ours.mode, '0' + q[3].padStart(3, '0'));
      const qp = table(['-q', '-p']).find((t) => Number(t[0]) === msg.msqid)!;
      assert.equal(ours.lastSendPid, Number(qp[2]));
      assert.equal(ours.lastRecvPid, Number(qp[3]));

      const shm = of('sysv-shm').info;
      const m = table(['-m']).find((t) => t[0].startsWith('0x') && Number(t[1]) === shm.shmid);
      assert.ok(m, `ipcs -m lacks ${shm.shmid}`);
      const oshm = snap.channels.find((c) => c.kind === 'sysv-shm' && c.shmid === shm.shmid);
      assert.ok(oshm && oshm.kind === 'sysv-shm');
      assert.equal(oshm.size, Number(m[4]));
      assert.equal(oshm.attachCount, Number(m[5]));
      assert.equal(oshm.attachCount, 3);
      const mp = table(['-m', '-p']).find((t) => Number(t[0]) === shm.shmid)!;
      assert.equal(oshm.creatorPid, Number(mp[2]));
      assert.equal(oshm.lastPid, Number(mp[3]));

      const sem = of('sysv-sem').info;
      const s = table(['-s']).find((t) => t[0].startsWith('0x') && Number(t[1]) === sem.semid);
      assert.ok(s, `ipcs -s lacks ${sem.semid}`);
      const osem = snap.channels.find((c) => c.kind === 'sysv-sem' && c.semid === sem.semid);
      assert.ok(osem && osem.kind === 'sysv-sem');
      assert.equal(osem.nsems, Number(s[4]));
      const detail = run('ipcs', ['-s', '-i', String(sem.semid)])
        .split('\n')
        .map((l) => l.trim().split(/\s+/).map(Number))
        .filter((t) => t.length === 5 && t.every((n) => Number.isInteger(n)));
      assert.equal(detail.length, 3, 'ipcs -s -i rows');
      if (mode.useNative) {
        assert.deepEqual(osem.values, detail.map((t) => t[1]));
        assert.deepEqual(osem.waitingForIncrease, detail.map((t) => t[2]));
        assert.deepEqual(osem.waitingForZero, detail.map((t) => t[3]));
        assert.deepEqual(osem.lastPid, detail.map((t) => t[4]));
        assert.deepEqual(osem.waitingForIncrease, [0, 2, 0]);
        assert.deepEqual(osem.waitingForZero, [0, 0, 1]);
      }

      // every SysV object of our fixtures, in both views
      const ids = (flag: string) => new Set(table([flag]).filter((t) => t[0].startsWith('0x')).map((t) => Number(t[1])));
      assert.ok(ids('-q').has(msg.msqid) && ids('-m').has(shm.shmid) && ids('-s').has(sem.semid));
    });
  });
}

// A Unix socket whose other end was closed (the kernel still references it, with inode 0: ss
// prints its peer as `* 0`) and half-closed ones (shutdown(): ss -e draws `<--`, `-->`, `---`).
// They were plain `connected`, with no peer: nothing said that the next write fails.
describe('oracles — Unix sockets closed at the other end, and half-closed ones (ss -xe)', { skip: tool('ss') || (nativeLoad.addon ? false : 'native addon not available (sock_diag)') }, () => {
  test('a stream whose peer closed with 100 bytes unread, a datagram socket whose peer closed: "peer closed"; a half-closed pair: what is shut, as ss -e draws it', async () => {
    const { spawn } = await import('node:child_process');
    const py = `
import socket, sys
a, b = socket.socketpair(); b.send(b'x' * 100); b.close()
c, d = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM); d.close()
e, f = socket.socketpair(); f.shutdown(socket.SHUT_WR)
g, h = socket.socketpair()
print('ready', flush=True)
sys.stdin.readline()
`;
    const child = spawn('python3', ['-c', py], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', () => reject(new Error('python3 exited')));
      });
      const snap = await takeSnapshot({ pids: [child.pid!], kinds: ['unix'] });
      const inodeOf = (fd: number) => Number(/socket:\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${child.pid}/fd/${fd}`))![1]);
      const ch = (fd: number) => snap.channels.find((c): c is UnixChannel => c.kind === 'unix' && c.inode === inodeOf(fd))!;
      // python's socketpair fds: a, b(closed), c, d(closed), e, f, g, h in creation order
      const fds = fs.readdirSync(`/proc/${child.pid}/fd`).map(Number).filter((fd) => fd > 2 && /^socket:/.test(fs.readlinkSync(`/proc/${child.pid}/fd/${fd}`))).sort((x, y) => x - y);
      assert.equal(fds.length, 6, `the helper's sockets: ${fds.join(',')}`);
      const [a, c, e, f, g, h] = fds;
      const arrows = new Map<number, { arrow: string; peer: string }>();
      for (const line of execFileSync('ss', ['-xaenp'], { encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n')) {
        if (!line.includes(`pid=${child.pid},`)) continue;
        const t = line.trim().split(/\s+/);
        arrows.set(Number(t[5]), { peer: t[7], arrow: t[t.length - 1] });
      }
      const SHUT: Record<string, UnixChannel['shutdown']> = { '<->': undefined, '<--': 'write', '-->': 'read', '---': 'both' };
      for (const fd of [a, c, e, f, g, h]) {
        const s = arrows.get(inodeOf(fd));
        assert.ok(s, `fd ${fd} not in ss`);
        assert.ok(s.arrow in SHUT, `ss -e drew ${s.arrow}`);
        assert.equal(ch(fd).shutdown, SHUT[s.arrow], `fd ${fd}: shutdown (ss ${s.arrow})`);
        assert.equal(ch(fd).state === 'peer closed', s.peer === '0', `fd ${fd}: state ${ch(fd).state}, ss peer ${s.peer}`);
      }
      assert.deepEqual([a, c, e, f, g].map((fd) => ch(fd).state), ['peer closed', 'peer closed', 'connected', 'connected', 'connected']);
      assert.deepEqual([ch(a).shutdown, ch(a).recvQueue, ch(a).peer], ['both', 100, undefined]);
      assert.deepEqual([ch(e).shutdown, ch(f).shutdown, ch(g).shutdown], ['read', 'write', undefined]);
      assert.equal(describeKind(ch(e)).description(ch(e)), 'stream connected (half-closed: nothing more to read)');
      assert.equal(describeKind(ch(a)).description(ch(a)), 'stream peer closed, 100 bytes queued');
    } finally {
      child.kill();
    }
  });
});
