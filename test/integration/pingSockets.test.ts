// ICMP ping sockets (SOCK_DGRAM, IPPROTO_ICMP / ICMPV6), as iputils' ping opens them without
// privilege: ss lists none, lsof lists each (`icmp` with its /proc/net/icmp address, or `sock`
// "protocol: PING" / "PINGv6"). Fixtures of both families, bound (echo replies queued), connected
// and never bound, held by a real process; the snapshot must list each with its holder, identifier
// and queue as /proc/net/icmp{,6} (parsed here by hand) and lsof say; a peek reads the first reply
// and leaves it queued; another user's, under a hostile name, is listed with its uid and printed
// escaped. The test opens net.ipv4.ping_group_range (fixtures/pingGroupRange.ts) and puts it back.
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/pingSockets.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import { allowPingSockets } from '../../fixtures/pingGroupRange';
import type { PingChannel, Snapshot } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { SocketLookups, takeSnapshot } from '../../src/core/snapshot';
import { SOCKETS_UNASKED } from '../../src/core/probes/hiddenNetns';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { escapeControl } from '../../src/core/escape';
import { cannotActAsNobody, NOBODY, pythonAs, SYSTEM_PYTHON } from '../harness/otherUser';
import { lineReader } from './childLines';
import { cliNotBuilt, runCli } from './cliRunner';

const isRoot = process.geteuid?.() === 0;
const noNative = loadNative().addon ? false : 'native addon not built';
const hasLsof = execFileSync('sh', ['-c', 'command -v lsof || true'], { encoding: 'utf8' }).trim() !== '';

interface IcmpRow {
  family: 4 | 6;
  /** The local address's hex, as the file prints it (lsof prints the same). */
  localHex: string;
  port: number;
  st: number;
  rxQueue: number;
  uid: number;
}

/** /proc/net/icmp and icmp6 by inode, read by hand: `sl local rem st tx:rx tr tm retrnsmt uid timeout inode …`. */
function icmpRows(): Map<number, IcmpRow> {
  const out = new Map<number, IcmpRow>();
  for (const [file, family] of [['/proc/net/icmp', 4], ['/proc/net/icmp6', 6]] as const) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [localHex, port] = f[1].split(':');
      out.set(Number(f[9]), { family, localHex, port: parseInt(port, 16), st: parseInt(f[3], 16), rxQueue: parseInt(f[4].split(':')[1], 16), uid: Number(f[7]) });
    }
  }
  return out;
}

/** lsof's view of one fd (-F: t type, i inode, n name). */
function lsofFd(pid: number, fd: number): { type: string; inode: number; name: string } {
  const out = execFileSync('lsof', ['-n', '-P', '-a', '-p', String(pid), '-d', String(fd), '-F', 'tin'], { encoding: 'utf8' });
  const field = (c: string) => out.split('\n').find((l) => l.startsWith(c))?.slice(1) ?? '';
  return { type: field('t'), inode: Number(field('i')), name: field('n') };
}

const made: Fixture[] = [];
let restoreRange: (() => void) | undefined;
after(async () => {
  await closeAll(made);
  restoreRange?.();
});

describe('ICMP ping sockets', { skip: !isRoot ? 'needs root (to open net.ipv4.ping_group_range for the test)' : false }, () => {
  const fx: Record<string, Fixture> = {};

  before(async () => {
    restoreRange = allowPingSockets();
    fx.v4 = await makeFixture('ping', { family: '4', echoes: 2 });
    fx.v6 = await makeFixture('ping', { family: '6', echoes: 1, connect: 1 });
    fx.unbound4 = await makeFixture('ping', { family: '4' });
    fx.unbound6 = await makeFixture('ping', { family: '6' });
    made.push(...Object.values(fx));
  });

  const pings = (s: Snapshot) => s.channels.filter((c): c is PingChannel => c.kind === 'ping');
  const byInode = (s: Snapshot, f: Fixture): PingChannel => {
    const ch = pings(s).find((c) => c.inode === f.info.holder.inode);
    assert.ok(ch, `ping socket ${f.info.holder.inode} listed: ${JSON.stringify(pings(s).map((c) => c.id))}; warnings: ${JSON.stringify(s.warnings)}`);
    return ch;
  };

  for (const useNative of [true, false]) {
    it(`lists each bound one as /proc/net/icmp and icmp6 have it, with its holder, as lsof does (${useNative ? 'addon' : 'no addon'})`, { skip: useNative && noNative }, async () => {
      const snap = await takeSnapshot({ kinds: ['ping'], useNative });
      const rows = icmpRows();
      for (const name of ['v4', 'v6']) {
        const f = fx[name];
        const h = f.info.holder as { pid: number; fd: number; inode: number };
        const ch = byInode(snap, f);
        const row = rows.get(h.inode);
        assert.ok(row, `${name}: in /proc/net/icmp${name === 'v6' ? '6' : ''}`);
        assert.equal(ch.id, `ping:${h.inode}`);
        assert.deepEqual(ch.endpoints, [{ pid: f.pid, fd: h.fd, mode: 'rw' }], `${name}: its holder`);
        assert.equal(ch.family, row.family);
        assert.equal(ch.icmpId, f.info.icmpId, `${name}: the identifier the kernel gave it (getsockname)`);
        assert.equal(ch.icmpId, row.port, `${name}: the file's port column`);
        assert.ok(ch.icmpId > 0);
        assert.equal(ch.recvQueue, row.rxQueue, `${name}: rx_queue`);
        assert.ok(ch.recvQueue > 0, `${name}: its echo replies are queued`);
        assert.equal(ch.uid, row.uid);
        assert.equal(ch.state, row.st === 1 ? 'ESTAB' : 'UNCONN');
        if (hasLsof) {
          const l = lsofFd(f.pid, h.fd);
          assert.equal(l.inode, h.inode, `${name}: lsof's inode`);
          // lsof names an IPv4 one by the file's own text, an IPv6 one by its protocol alone
          if (name === 'v4') assert.deepEqual([l.type, l.name], ['icmp', `${row.localHex}:${row.port.toString(16).toUpperCase()}->00000000:0000`]);
          else assert.deepEqual([l.type, l.name], ['sock', 'protocol: PINGv6']);
        }
      }
      const v4 = byInode(snap, fx.v4);
      assert.deepEqual([v4.local, v4.remote, v4.state], ['0.0.0.0', '*', 'UNCONN']);
      const v6 = byInode(snap, fx.v6);
      assert.deepEqual([v6.local, v6.remote, v6.state], ['::1', '::1', 'ESTAB'], 'connected to ::1');
      // never bound: in no table; only their fds say what they are (the addon's lookup)
      for (const name of ['unbound4', 'unbound6']) {
        assert.ok(!rows.has(fx[name].info.holder.inode), `${name}: in no /proc/net table`);
        if (!useNative) assert.ok(!pings(snap).some((c) => c.inode === fx[name].info.holder.inode), `${name}: not listed without the addon`);
      }
    });
  }

  it('one never bound (in no table) is listed from its fd, as lsof lists it', { skip: noNative }, async () => {
    // A scan looks up at most LOOKUPS_PER_SNAPSHOT sockets in no table (a busy machine's other
    // programs hold hundreds); the next scans go on, as the warning says.
    const socketLookups = new SocketLookups(); // (what they learnt, kept over the scans as the snapshot worker keeps it)
    let snap = await takeSnapshot({ kinds: ['ping'], socketLookups });
    for (let i = 0; i < 50 && snap.warnings.some((w) => w.startsWith(SOCKETS_UNASKED)); i++) snap = await takeSnapshot({ kinds: ['ping'], socketLookups });
    for (const [name, family, any] of [['unbound4', 4, '0.0.0.0'], ['unbound6', 6, '::']] as const) {
      const f = fx[name];
      const h = f.info.holder as { pid: number; fd: number; inode: number };
      const ch = byInode(snap, f);
      assert.deepEqual(
        [ch.id, ch.family, ch.local, ch.icmpId, ch.remote, ch.state, ch.recvQueue, ch.uid, ch.endpoints],
        [`ping:${h.inode}`, family, any, 0, '*', 'UNCONN', 0, 0, [{ pid: f.pid, fd: h.fd, mode: 'rw' }]],
      );
      if (hasLsof) assert.deepEqual(lsofFd(f.pid, h.fd), { type: 'sock', inode: h.inode, name: family === 4 ? 'protocol: PING' : 'protocol: PINGv6' });
    }
  });

  it('a peek reads the first echo reply whole, from its ICMP header, and leaves it queued', { skip: noNative }, async () => {
    const snap = await takeSnapshot({ kinds: ['ping'] });
    for (const [name, type] of [['v4', 0], ['v6', 129]] as const) {
      const ch = byInode(snap, fx[name]);
      const p = (await peekChannel(ch, snap.processes)) as BytesPeek;
      // 8 bytes of ICMP header (echo reply: type 0, ICMPv6 129; the identifier the kernel gave it), then the 16 bytes sent
      assert.equal(p.total, 24, `${name}: the reply's whole length (a ping socket has no FIONREAD, and MSG_TRUNC does not say it)`);
      assert.equal(p.data.length, 24);
      assert.equal(p.data[0], type);
      assert.equal(p.data.readUInt16BE(4), fx[name].info.icmpId, `${name}: its identifier`);
      assert.equal(p.data.subarray(8).toString(), 'e'.repeat(16));
      assert.ok(p.notes.some((n) => /ICMP header/.test(n)), p.notes.join('; '));
    }
    const again = await takeSnapshot({ kinds: ['ping'] });
    for (const name of ['v4', 'v6']) assert.equal(byInode(again, fx[name]).recvQueue, byInode(snap, fx[name]).recvQueue, `${name}: nothing consumed`);
    const rows = icmpRows();
    assert.equal(rows.get(fx.v4.info.holder.inode)?.rxQueue, byInode(snap, fx.v4).recvQueue, 'the file agrees');
  });

  it("another user's ping sockets under a hostile name: listed with its uid and holder; the CLI prints the name escaped", { skip: cannotActAsNobody() || (!SYSTEM_PYTHON && 'needs python3') || cliNotBuilt }, async () => {
    // ESC ] (a terminal hyperlink), markup, a right-to-left override: 15 bytes, the most a comm holds
    const comm = '\x1b]8;;x\x07<b>p\u202e';
    const py = [
      'import socket,sys',
      `open("/proc/self/comm","wb").write(${JSON.stringify(comm)}.encode())`,
      'a=socket.socket(socket.AF_INET,socket.SOCK_DGRAM,socket.IPPROTO_ICMP)',
      'a.sendto(bytes([8,0,0,0,0,0,0,1])+b"n"*8,("127.0.0.1",0))',
      'b=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM,socket.IPPROTO_ICMPV6)',
      'print(a.fileno(),b.fileno(),flush=True)',
      'sys.stdin.read()',
    ].join('\n');
    const child = pythonAs(NOBODY.uid, py, []);
    try {
      const [afd, bfd] = (await lineReader(child).next('the fds line')).split(' ').map(Number);
      const pid = child.pid!; // (taskset execs python: the same pid)
      const snap = await takeSnapshot({ kinds: ['ping'] });
      const held = pings(snap).filter((c) => c.endpoints.some((e) => e.pid === pid));
      assert.deepEqual(held.map((c) => [c.family, c.endpoints[0].fd, c.uid]).sort(), [[4, afd, NOBODY.uid], [6, bfd, NOBODY.uid]]);
      assert.equal(snap.processes.find((p) => p.pid === pid)?.comm, comm);
      const r = runCli(['snapshot', '--kind', 'ping', '--pid', String(pid)]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.match(/ping:\d+/g)?.length, 2, r.stdout);
      for (const c of ['\x1b', '\x07', '\u202e']) assert.ok(!r.stdout.includes(c), `raw U+${c.codePointAt(0)!.toString(16)} printed`);
      assert.ok(r.stdout.includes(escapeControl(comm)), `the name escaped:\n${r.stdout}`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
