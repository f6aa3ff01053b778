// Netlink sockets (AF_NETLINK) as `ss -A netlink` and lsof (TYPE netlink) list them: a fixture
// holding a route listener in RTMGRP_LINK, a uevent listener, a generic netlink socket and a
// USERSOCK pair connected to each other with messages queued; the snapshot must list each with
// its holder, protocol, port id, groups, queue and inode as ss and lsof say (both parsed here as
// the oracles), through netlink_diag and through /proc/net/netlink alone; the pair is paired
// (netlink_diag), nothing else is given a peer. A peek reads the first message twice, the same
// bytes, and leaves it for the holder, who then reads those bytes. A process of `nobody` holding
// netlink sockets under a name made to attack a terminal is listed as theirs, its name escaped.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/netlink.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { NetlinkChannel, Snapshot } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { netlinkDiagPresent } from '../../src/core/probes/netlinkSockets';
import { NOBODY } from '../harness/otherUser';
import { lineReader } from './childLines';
import { cliNotBuilt, runCli } from './cliRunner';

const isRoot = process.geteuid?.() === 0;
const noNative = loadNative().addon ? false : 'native addon not built';

interface Held {
  pid: number;
  fd: number;
  inode: number;
  portid: number;
}

interface SsRow {
  recvQ: number;
  local: string;
  peer: string;
  groups: number;
}

/** `ss -A netlink -a -n -e -H`: State Recv-Q Send-Q PROTO:PORTID Peer … groups=0x…, PROTO and PORTID numeric (PORTID signed). */
function ssRows(): SsRow[] {
  const out = execFileSync('ss', ['-A', 'netlink', '-a', '-n', '-e', '-H'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const rows: SsRow[] = [];
  for (const line of out.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t.length < 5) continue;
    const g = /groups=0x([0-9a-f]+)/.exec(line);
    rows.push({ recvQ: Number(t[1]), local: t[3], peer: t[4], groups: g ? parseInt(g[1], 16) : 0 });
  }
  return rows;
}

interface LsofRow {
  pid: number;
  fd: number;
  type: string;
  inode: number;
  name: string;
}

/** `lsof -nP -F pftin -p PID`: one row per fd (p PID, f FD, t TYPE, i INODE, n NAME). */
function lsofRows(pid: number): LsofRow[] {
  const out = execFileSync('lsof', ['-nP', '-w', '-F', 'pftin', '-p', String(pid)], { encoding: 'utf8' });
  const rows: LsofRow[] = [];
  let p = 0;
  let cur: LsofRow | null = null;
  for (const l of out.split('\n')) {
    const v = l.slice(1);
    if (l[0] === 'p') p = Number(v);
    else if (l[0] === 'f') rows.push((cur = { pid: p, fd: Number(v), type: '', inode: 0, name: '' }));
    else if (cur && l[0] === 't') cur.type = v;
    else if (cur && l[0] === 'i') cur.inode = Number(v);
    else if (cur && l[0] === 'n') cur.name = v;
  }
  return rows.filter((r) => Number.isInteger(r.fd));
}

const netlinks = (s: Snapshot) => s.channels.filter((c): c is NetlinkChannel => c.kind === 'netlink');
function byInode(s: Snapshot, h: Held): NetlinkChannel {
  const ch = netlinks(s).find((c) => c.inode === h.inode);
  assert.ok(ch, `socket ${h.inode} listed`);
  return ch;
}

const made: Fixture[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await closeAll(made);
});

/** A python3 process (as `nobody` with `asNobody`) holding a route listener in RTMGRP_LINK with the kernel's answer to an RTM_GETLINK of lo queued, and a uevent listener; on a line on stdin it reads the route socket's first message and prints it in hex. */
async function pythonHolder(comm: string, asNobody: boolean): Promise<{ child: ChildProcess; next: () => Promise<string>; route: Held; uevent: Held }> {
  const code = `
import json, os, select, socket, struct, sys
open('/proc/self/comm', 'w').write(sys.argv[1])
r = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
r.bind((0, 1))
r.sendto(struct.pack('=IHHII', 32, 18, 1, 1, 0) + struct.pack('=BxHiII', 0, 0, 1, 0, 0), (0, 0))
select.select([r], [], [], 10)
u = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)
u.bind((0, 1))
h = lambda s: {'pid': os.getpid(), 'fd': s.fileno(), 'inode': os.fstat(s.fileno()).st_ino, 'portid': s.getsockname()[0]}
print(json.dumps({'route': h(r), 'uevent': h(u)}), flush=True)
sys.stdin.readline()
print(r.recv(65536).hex(), flush=True)
sys.stdin.read()
`;
  const child = spawn('/usr/bin/python3', ['-c', code, comm], { ...(asNobody ? NOBODY : {}), cwd: '/', stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: '/usr/bin:/bin' } });
  children.push(child);
  const { next } = lineReader(child);
  const info = JSON.parse(await next('the holder\'s sockets')) as { route: Held; uevent: Held };
  return { child, next: () => next('the message the holder read'), ...info };
}

describe('netlink sockets', { skip: !isRoot ? 'needs root (lsof of every process, nobody\'s processes)' : false }, () => {
  let fx: Fixture;
  const held = (name: string) => fx.info[name] as Held;
  const NAMES = ['route', 'uevent', 'genl', 'usersockA', 'usersockB'] as const;

  before(async () => {
    fx = await makeFixture('netlink', { messages: 2, bytes: 16 });
    made.push(fx);
  });

  for (const useNative of [true, false]) {
    const how = useNative ? 'netlink_diag where present' : '/proc/net/netlink';
    it(`lists each with its holder, protocol, port id, groups, queue and inode, as ss and lsof do (${how})`, { skip: useNative && noNative }, async () => {
      const snap = await takeSnapshot({ kinds: ['netlink'], useNative });
      const ss = ssRows();
      const lsof = lsofRows(fx.pid);
      const expect: Record<(typeof NAMES)[number], { protocol: number; lsof: string; groups: number[] }> = {
        route: { protocol: 0, lsof: 'ROUTE', groups: [1] },
        uevent: { protocol: 15, lsof: 'KOBJECT_UEVENT', groups: [1] },
        genl: { protocol: 16, lsof: 'GENERIC', groups: [] },
        usersockA: { protocol: 2, lsof: 'USERSOCK', groups: [] },
        usersockB: { protocol: 2, lsof: 'USERSOCK', groups: [] },
      };
      for (const name of NAMES) {
        const h = held(name);
        const ch = byInode(snap, h);
        const e = expect[name];
        assert.equal(ch.id, `netlink:${h.inode}`);
        assert.deepEqual(ch.endpoints, [{ pid: fx.pid, fd: h.fd, mode: 'rw' }], `${name}: its holder`);
        assert.deepEqual([ch.protocol, ch.portid, ch.groups, ch.uid, ch.netns.length > 0], [e.protocol, h.portid, e.groups, 0, true], name);
        const s = ss.find((r) => r.local === `${e.protocol}:${h.portid | 0}`);
        assert.ok(s, `${name}: ss lists ${e.protocol}:${h.portid | 0}`);
        assert.equal(ch.recvQueue, s.recvQ, `${name}: Recv-Q as ss`);
        assert.equal(ch.groups.filter((g) => g <= 32).reduce((m, g) => m | (1 << (g - 1)), 0) >>> 0, s.groups, `${name}: groups as ss`);
        const l = lsof.find((r) => r.fd === h.fd);
        assert.ok(l, `${name}: lsof lists fd ${h.fd}`);
        assert.deepEqual([l.type, l.inode, l.name], ['netlink', h.inode, e.lsof], `${name}: lsof's TYPE, inode and NAME`);
      }
      // every netlink fd lsof lists for the fixture is a channel held through that fd
      for (const l of lsof.filter((r) => r.type === 'netlink')) {
        assert.ok(netlinks(snap).some((c) => c.inode === l.inode && c.endpoints.some((ep) => ep.pid === fx.pid && ep.fd === l.fd)), `lsof's fd ${l.fd} (inode ${l.inode})`);
      }
      const b = byInode(snap, held('usersockB'));
      assert.ok(b.recvQueue > 0, 'two messages queued');
      assert.equal(byInode(snap, held('route')).recvQueue > 0, true, 'the RTM_GETLINK answer queued');
      const a = byInode(snap, held('usersockA'));
      const diag = useNative && netlinkDiagPresent();
      if (diag) {
        assert.deepEqual([a.peer, a.dstPortid, b.peer, b.dstPortid], [b.id, held('usersockB').portid, a.id, held('usersockA').portid], 'the pair, by port id');
        assert.equal(a.type, 'raw');
        assert.equal(a.groupsUpTo, undefined);
        // ss: the peer column is DSTGROUP:DSTPORTID for a connected one
        assert.equal(ss.find((r) => r.local === `2:${held('usersockA').portid | 0}`)?.peer, `0:${held('usersockB').portid | 0}`);
      } else {
        assert.deepEqual([a.peer, a.dstPortid, b.peer], [undefined, undefined, undefined], '/proc/net/netlink names no connection: no peer guessed');
        assert.equal(a.groupsUpTo, 32);
      }
      for (const name of ['route', 'uevent', 'genl'] as const) assert.equal(byInode(snap, held(name)).peer, undefined, `${name}: the kernel is its other end`);
      // the kernel's own sockets are no channel; no socket of the addon's own requests either
      assert.ok(netlinks(snap).every((c) => c.portid !== 0 || c.endpoints.length > 0), 'no unheld port id 0');
      // (netlink_diag lists the socket that asks it, bound to our pid when that port id is free: our own request's)
      assert.deepEqual(netlinks(snap).filter((c) => c.endpoints.length === 0 && c.portid === process.pid).map((c) => c.id), [], 'no socket of our own requests');
      assert.deepEqual(snap.warnings.filter((w) => /netlink/.test(w)), []);
      // a socket never bound is in no netlink table; lsof lists it as `sock protocol: NETLINK`, and so
      // is it listed here, where the socket's own facts can be read (pidfd_getfd: the native addon)
      const u = held('unbound');
      const lu = lsof.find((r) => r.fd === u.fd);
      assert.deepEqual([lu?.type, lu?.inode, lu?.name], ['sock', u.inode, 'protocol: NETLINK'], 'lsof: the unbound one');
      const uch = netlinks(snap).find((c) => c.inode === u.inode);
      if (useNative) {
        assert.ok(uch, 'the unbound one listed');
        assert.deepEqual([uch.protocol, uch.portid, uch.groups, uch.recvQueue, uch.peer, uch.uid], [9, 0, [], 0, undefined, 0]);
        assert.deepEqual(uch.endpoints, [{ pid: fx.pid, fd: u.fd, mode: 'rw' }]);
      }
    });
  }

  for (const useNative of [true, false]) {
    it(`another network namespace: its netlink sockets, read inside it, with their namespace; a pair there paired there (${useNative ? 'netlink_diag where present' : '/proc/net/netlink'})`, { skip: useNative && noNative }, async () => {
      // a process in a namespace of its own (unshare -n), which ss run here does not see; its
      // USERSOCK pair's port ids could be any other namespace's too
      const py = [
        'import socket,sys',
        'r=socket.socket(socket.AF_NETLINK,socket.SOCK_RAW,0); r.bind((0,1))',
        'a=socket.socket(socket.AF_NETLINK,socket.SOCK_RAW,2); a.bind((0,0))',
        'b=socket.socket(socket.AF_NETLINK,socket.SOCK_RAW,2); b.bind((0,0))',
        'a.connect((b.getsockname()[0],0)); b.connect((a.getsockname()[0],0))',
        'print(r.fileno(),a.fileno(),b.fileno(),flush=True)',
        'sys.stdin.read()',
      ].join('\n');
      const child = spawn('unshare', ['-n', '/usr/bin/python3', '-c', py], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      const [rfd, afd, bfd] = (await lineReader(child).next('the fds')).trim().split(/\s+/).map(Number);
      const pid = child.pid!; // (unshare execs python: the same pid)
      const netns = /\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/net`))![1];
      assert.notEqual(netns, /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/net'))![1]);
      const snap = await takeSnapshot({ kinds: ['netlink'], pids: [pid], useNative });
      const at = (fd: number) => netlinks(snap).find((c) => c.endpoints.some((e) => e.pid === pid && e.fd === fd));
      const [r, a, b] = [at(rfd), at(afd), at(bfd)];
      assert.ok(r && a && b, `all listed: ${JSON.stringify(netlinks(snap).map((c) => [c.id, c.endpoints]))}`);
      assert.deepEqual([r.netns, r.protocol, r.groups, a.netns, b.netns], [netns, 0, [1], netns, netns]);
      if (useNative && netlinkDiagPresent()) assert.deepEqual([a.peer, b.peer], [b.id, a.id]);
      child.kill('SIGKILL');
    });
  }

  it('a listener that overflowed: its drops as /proc/net/netlink counts them, its receive buffer as ss -m says (rb, netlink_diag)', { skip: noNative }, async () => {
    // a USERSOCK listener in group 1 with the least receive buffer, sent more messages than it holds
    const f = await makeFixture('netlink', { messages: 0, bytes: 256, fill: 64 });
    made.push(f);
    const l = f.info.listener as Held;
    const proc = fs.readFileSync('/proc/net/netlink', 'utf8').split('\n').map((x) => x.trim().split(/\s+/)).find((t) => Number(t[9]) === l.inode);
    assert.ok(proc, 'in /proc/net/netlink');
    const ch = byInode(await takeSnapshot({ kinds: ['netlink'] }), l);
    assert.ok(ch.drops > 0, 'it dropped some');
    assert.deepEqual([ch.drops, ch.recvQueue], [Number(proc[8]), Number(proc[4])], "Drops and Rmem as /proc/net/netlink");
    if (netlinkDiagPresent()) {
      // (ss -m prints skmem on the line after the socket's)
      const lines = execFileSync('ss', ['-A', 'netlink', '-a', '-n', '-m', '-H'], { encoding: 'utf8' }).split('\n');
      const at = lines.findIndex((x) => x.includes(`2:${l.portid | 0} `));
      const mem = at < 0 ? '' : lines.slice(at, at + 2).join('\n');
      const rb = /skmem:\([^)]*\brb(\d+)/.exec(mem);
      assert.ok(rb, `ss -m's skmem for 2:${l.portid | 0}: ${mem.slice(0, 300)}`);
      assert.equal(ch.rcvbuf, Number(rb[1]), "its receive buffer as ss -m's rb");
    } else assert.equal(ch.rcvbuf, undefined, '/proc/net/netlink has no buffer size');
  });

  it('a peek reads the first USERSOCK message, twice the same, and leaves the queue as it was', { skip: noNative }, async () => {
    const snap = await takeSnapshot({ kinds: ['netlink'] });
    const b = byInode(snap, held('usersockB'));
    const p1 = (await peekChannel(b, snap.processes)) as BytesPeek;
    const p2 = (await peekChannel(b, snap.processes)) as BytesPeek;
    assert.equal(p1.total, 16);
    assert.equal(p1.data.toString(), 'abcdefghijklmnop');
    assert.deepEqual(p2.data, p1.data);
    assert.ok(p1.notes.some((n) => /first queued message only/.test(n)), p1.notes.join('; '));
    const again = await takeSnapshot({ kinds: ['netlink'] });
    assert.equal(byInode(again, held('usersockB')).recvQueue, b.recvQueue, 'nothing consumed');
  });

  it('a route listener\'s queued kernel message: peeked twice, the same bytes, then its holder reads those bytes', { skip: noNative }, async () => {
    const h = await pythonHolder('route-holder', false);
    const snap = await takeSnapshot({ kinds: ['netlink'] });
    const ch = byInode(snap, h.route);
    assert.ok(ch.recvQueue > 0);
    assert.equal(ch.dumping, false);
    const p1 = (await peekChannel(ch, snap.processes)) as BytesPeek;
    const p2 = (await peekChannel(ch, snap.processes)) as BytesPeek;
    assert.ok(p1.data.length >= 32, `a whole RTM_NEWLINK (${p1.data.length} bytes)`);
    assert.equal(p1.total, p1.data.length, 'not cut');
    assert.equal(p1.data.readUInt32LE(0), p1.data.length, 'nlmsg_len: one message');
    assert.equal(p1.data.readUInt16LE(4), 16, 'RTM_NEWLINK');
    assert.equal(p1.data.readInt32LE(20), 1, 'of ifindex 1');
    assert.deepEqual(p2.data, p1.data);
    h.child.stdin!.write('read\n');
    assert.equal(await h.next(), p1.data.toString('hex'), 'the holder reads what the peeks showed');
  });

  it('nobody\'s netlink sockets under a hostile name: listed as theirs, the name escaped', { skip: cliNotBuilt }, async () => {
    const comm = '\x1b]0;nl\x07\u009b1m';
    const h = await pythonHolder(comm, true);
    const snap = await takeSnapshot({ kinds: ['netlink'] });
    for (const s of [h.route, h.uevent]) {
      const ch = byInode(snap, s);
      assert.deepEqual(ch.endpoints, [{ pid: s.pid, fd: s.fd, mode: 'rw' }]);
      assert.equal(ch.uid, NOBODY.uid, 'the holder\'s uid');
    }
    assert.equal(snap.processes.find((p) => p.pid === h.route.pid)?.comm, Buffer.from(comm).subarray(0, 15).toString());
    const cli = runCli(['snapshot', '--kind', 'netlink', '--pid', String(h.route.pid)]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok(cli.stdout.includes(`netlink:${h.route.inode}`) && cli.stdout.includes(`netlink:${h.uevent.inode}`), cli.stdout);
    assert.doesNotMatch(cli.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'no raw control character');
    assert.match(cli.stdout, /\\x1b\]0;nl\\x07/, 'the name, escaped');
  });
});
