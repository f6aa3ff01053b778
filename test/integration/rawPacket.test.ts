// Raw IP sockets (SOCK_RAW) and packet sockets (AF_PACKET), as `ss -w` and `ss -0` list them:
// fixtures of both held by a real process, with datagrams and frames queued; the snapshot must list
// each with its holder, protocol, interface and queue as ss does (ss parsed here as the oracle),
// through sock_diag (packet_diag; raw_diag where the kernel has it) and through /proc/net alone;
// a peek reads the first datagram or frame and leaves it queued.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/rawPacket.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { PacketChannel, RawChannel, Snapshot } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { packet as packetKind, packetLocal } from '../../src/core/kinds/packet';

const isRoot = process.geteuid?.() === 0;
const noNative = loadNative().addon ? false : 'native addon not built';

interface SsRow {
  state: string;
  recvQ: number;
  local: string;
  inode: number;
  users: { pid: number; fd: number }[];
}

/**
 * `ss -w -a -p -n -e -H` (raw) or `ss -0 -a -p -n -e -H` (packet): [Netid] State Recv-Q Send-Q
 * Local Peer users:… [ino:N] — ss prints no inode for raw sockets read from /proc/net/raw (its
 * fallback where the kernel has no raw_diag): rows are found by holder.
 */
function ssRows(flag: '-w' | '-0'): SsRow[] {
  const out = execFileSync('ss', [flag, '-a', '-p', '-n', '-e', '-H'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const rows: SsRow[] = [];
  for (const line of out.split('\n')) {
    if (!line.trim() || line.startsWith('\t')) continue;
    const t = line.trim().split(/\s+/);
    // packet rows lead with their Netid (p_raw, p_dgr); raw rows do not, with -w alone
    const f = /^p_/.test(t[0]) ? t.slice(1) : t;
    const ino = /\bino:(\d+)/.exec(line);
    rows.push({
      state: f[0],
      recvQ: Number(f[1]),
      local: f[3],
      inode: ino ? Number(ino[1]) : 0,
      users: [...line.matchAll(/pid=(\d+),fd=(\d+)/g)].map((m) => ({ pid: Number(m[1]), fd: Number(m[2]) })),
    });
  }
  return rows;
}

const made: Fixture[] = [];
after(() => closeAll(made));

describe('raw IP and packet sockets', { skip: !isRoot ? 'needs root (CAP_NET_RAW)' : false }, () => {
  const fx: Record<string, Fixture> = {};
  // a loopback address and an ethertype of this run's own, so that another run's fixture sends these nothing
  const addr = `127.${(process.pid >> 16) & 255}.${(process.pid >> 8) & 255}.${(process.pid & 255) || 1}`;
  const ethertype = 0xa000 + (process.pid & 0xfff);

  before(async () => {
    fx.raw4 = await makeFixture('raw', { family: '4', protocol: 253, addr, datagrams: 2 });
    fx.raw6 = await makeFixture('raw', { family: '6', protocol: 253 });
    fx.dgram = await makeFixture('packet', { type: 'dgram', protocol: ethertype, iface: 'lo', frames: 3 });
    fx.all = await makeFixture('packet', { type: 'raw', protocol: 3, drop: 1 });
    // the least receive buffer, sent more frames than it holds: full, the rest dropped (arping's
    // libnet socket, never read, in the nineteenth pass of docs/real-software.md)
    fx.full = await makeFixture('packet', { type: 'dgram', protocol: ethertype ^ 0x1000, iface: 'lo', frames: 64, rcvbuf: 1 });
    // receive rings as libpcap sets one up for tcpdump (TPACKET_V3, 2 × 2 MiB blocks), and a small TPACKET_V2 one
    fx.ring3 = await makeFixture('packet', { type: 'raw', protocol: 3, drop: 1, ring: 3, block: 2 << 20, blocks: 2 });
    fx.ring2 = await makeFixture('packet', { type: 'dgram', protocol: ethertype ^ 0x2000, ring: 2, block: 4096, blocks: 4 });
    made.push(...Object.values(fx));
  });

  const raws = (s: Snapshot) => s.channels.filter((c): c is RawChannel => c.kind === 'raw');
  const packets = (s: Snapshot) => s.channels.filter((c): c is PacketChannel => c.kind === 'packet');
  const byInode = <C extends { inode: number }>(list: C[], f: Fixture): C => {
    const ch = list.find((c) => c.inode === f.info.holder.inode);
    assert.ok(ch, `socket ${f.info.holder.inode} listed`);
    return ch;
  };

  for (const useNative of [true, false]) {
    const how = useNative ? 'sock_diag' : '/proc/net';
    it(`lists each with its holder, protocol, interface and queue, as ss does (${how})`, { skip: useNative && noNative }, async () => {
      const snap = await takeSnapshot({ kinds: ['raw', 'packet'], useNative });
      const ssRaw = ssRows('-w');
      const ssPacket = ssRows('-0');
      for (const name of ['raw4', 'raw6', 'dgram', 'all']) {
        const f = fx[name];
        const isRaw = name.startsWith('raw');
        const ch = isRaw ? byInode(raws(snap), f) : byInode(packets(snap), f);
        assert.equal(ch.id, `${isRaw ? 'raw' : 'packet'}:${f.info.holder.inode}`);
        assert.deepEqual(ch.endpoints, [{ pid: f.pid, fd: f.info.holder.fd, mode: 'rw' }], `${name}: its holder`);
        const ss = (isRaw ? ssRaw : ssPacket).find((r) => r.users.some((u) => u.pid === f.pid && u.fd === f.info.holder.fd));
        assert.ok(ss, `${name}: ss lists it`);
        assert.deepEqual(ss.users, [{ pid: f.pid, fd: f.info.holder.fd }], `${name}: ss names the same holder, and no other`);
        if (ss.inode) assert.equal(ss.inode, f.info.holder.inode, `${name}: the same inode`);
        assert.equal(ch.recvQueue, ss.recvQ, `${name}: Recv-Q as ss`);
        assert.equal(ch.uid, 0);
      }
      const r4 = byInode(raws(snap), fx.raw4);
      assert.deepEqual([r4.family, r4.protocol, r4.local, r4.remote, r4.state], [4, 253, addr, '*', 'UNCONN']);
      assert.ok(r4.recvQueue > 0, 'two datagrams queued');
      const held = (rows: SsRow[], f: Fixture) => rows.find((r) => r.users.some((u) => u.pid === f.pid))!;
      assert.equal(held(ssRaw, fx.raw4).local, `${addr}:253`, 'ss: the protocol where the port would be');
      const r6 = byInode(raws(snap), fx.raw6);
      assert.deepEqual([r6.family, r6.protocol, r6.local, r6.recvQueue], [6, 253, '::', 0]);
      const d = byInode(packets(snap), fx.dgram);
      assert.deepEqual([d.type, d.protocol, d.ifindex, d.device ?? null], ['dgram', ethertype, fx.dgram.info.ifindex, useNative ? 'lo' : null]);
      assert.ok(d.recvQueue > 0, 'three frames queued');
      const a = byInode(packets(snap), fx.all);
      assert.deepEqual([a.type, a.protocol, a.ifindex, a.device, a.recvQueue], ['raw', 3, 0, undefined, 0]);
      // ss -n: `[ETHERTYPE]:IFACE` in decimal, `*` for ETH_P_ALL and for every interface
      assert.equal(held(ssPacket, fx.all).local, '*:*');
      assert.equal(packetLocal(a), '*:*');
      assert.equal(held(ssPacket, fx.dgram).local, `[${ethertype}]:lo`);
      if (useNative) {
        assert.equal(d.sendQueue, 0);
        assert.equal(d.ring, false);
      } else assert.equal(d.sendQueue, null, '/proc/net/packet says nothing of send memory');
      assert.deepEqual(snap.warnings.filter((w) => /sock_diag/.test(w)), [], 'no kernel handler missing is worth a warning');
    });
  }

  it("a full packet socket: its buffer's size and its drops, as ss -0 -m's rb and d (sock_diag; /proc/net/packet says neither)", async () => {
    /** skmem of the socket the fixture holds, from ss -0 -m: r (memory in use), rb (buffer), d (drops). */
    const skmem = (): Record<string, number> => {
      const out = execFileSync('ss', ['-0', '-a', '-p', '-n', '-m', '-H'], { encoding: 'utf8', maxBuffer: 1 << 28 });
      const at = out.indexOf(`pid=${fx.full.pid},fd=${fx.full.info.holder.fd})`);
      assert.ok(at >= 0, 'ss -0 lists it');
      const m = /skmem:\(([^)]*)\)/.exec(out.slice(at))!;
      return Object.fromEntries(m[1].split(',').map((kv) => [/^[a-z]+/.exec(kv)![0], Number(/\d+$/.exec(kv)![0])]));
    };
    if (!noNative) {
      const before = skmem();
      const snap = await takeSnapshot({ kinds: ['packet'] });
      const after = skmem();
      assert.deepEqual(after, before, 'nothing arrived meanwhile (an ethertype of this run alone)');
      const ch = byInode(packets(snap), fx.full);
      assert.deepEqual([ch.recvQueue, ch.rcvbuf, ch.drops], [after.r, after.rb, after.d], 'r, rb and d as ss');
      assert.ok(ch.recvQueue >= ch.rcvbuf!, `full: ${ch.recvQueue} of ${ch.rcvbuf}`);
      assert.ok(ch.drops! > 0, 'frames were dropped');
    }
    const proc = byInode(packets(await takeSnapshot({ kinds: ['packet'], useNative: false })), fx.full);
    assert.deepEqual([proc.rcvbuf, proc.drops], [undefined, undefined]);
    assert.ok(proc.recvQueue > 0);
  });

  it("receive rings: their version and size as ss -0 -e -m shows them (ver, ring_rx), and the description's one spelling", { skip: noNative }, async () => {
    const out = execFileSync('ss', ['-0', '-a', '-p', '-n', '-e', '-m', '-H'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const snap = await takeSnapshot({ kinds: ['packet'] });
    for (const [name, text] of [['ring3', 'TPACKET_V3 ring, 4 MiB (2 × 2 MiB blocks)'], ['ring2', 'TPACKET_V2 ring, 16 KiB (4 × 4 KiB blocks)']] as const) {
      const f = fx[name];
      // the socket's row and the detail lines under it, up to the next row
      const at = out.indexOf(`pid=${f.pid},fd=${f.info.holder.fd})`);
      assert.ok(at >= 0, `${name}: ss -0 lists it`);
      const next = out.slice(at).search(/\n\S/);
      const block = out.slice(at, next < 0 ? undefined : at + next);
      const ver = /\bver:(\d+)/.exec(block);
      const rx = /ring_rx\(blk_size:(\d+),blk_nr:(\d+),frm_size:(\d+),frm_nr:(\d+)/.exec(block);
      assert.ok(ver && rx, `${name}: ss -e shows its version and ring: ${block}`);
      const ch = byInode(packets(snap), f);
      assert.equal(ch.ring, true);
      // ss prints pdi_version as the kernel keeps it: 0 for TPACKET_V1
      assert.deepEqual(ch.rxRing, { version: `TPACKET_V${Number(ver[1]) + 1}`, blockSize: Number(rx[1]), blocks: Number(rx[2]), frameSize: Number(rx[3]), frames: Number(rx[4]) }, `${name}: as ss`);
      assert.equal(ch.rxRing!.version, `TPACKET_V${f.info.ring}`);
      assert.equal(ch.txRing, undefined);
      assert.ok(packetKind.description(ch).includes(text), packetKind.description(ch));
    }
    // the packet sockets without one: no ring, no layout
    assert.equal(byInode(packets(snap), fx.dgram).rxRing, undefined);
  });

  it('another network namespace: its raw and packet sockets, read inside it, with their namespace', { skip: noNative }, async () => {
    // a process in a namespace of its own (unshare -n), which ss run here does not see
    const py = 'import socket,sys,time\nr=socket.socket(socket.AF_INET,socket.SOCK_RAW,112)\np=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(3))\nprint(r.fileno(),p.fileno(),flush=True)\nsys.stdin.read()';
    const child = spawn('unshare', ['-n', '/usr/bin/python3', '-c', py], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      let line = '';
      const [rfd, pfd] = await new Promise<number[]>((resolve) =>
        child.stdout.on('data', (d: Buffer) => {
          line += d.toString();
          if (line.includes('\n')) resolve(line.trim().split(/\s+/).map(Number));
        }),
      );
      const pid = child.pid!; // (unshare execs python: the same pid)
      const netns = /\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/net`))![1];
      assert.notEqual(netns, /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/net'))![1]);
      const snap = await takeSnapshot({ kinds: ['raw', 'packet'], pids: [pid] });
      const r = raws(snap).find((c) => c.endpoints.some((e) => e.pid === pid && e.fd === rfd));
      const p = packets(snap).find((c) => c.endpoints.some((e) => e.pid === pid && e.fd === pfd));
      assert.ok(r && p, `both listed (pid ${pid}, fds ${rfd} and ${pfd}): ${JSON.stringify(snap.channels.map((c) => [c.id, c.endpoints]))}`);
      assert.deepEqual([r.netns, r.protocol, p.netns, p.protocol], [netns, 112, netns, 3]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a peek reads the first datagram / frame and leaves the queue as it was', { skip: noNative }, async () => {
    const snap = await takeSnapshot({ kinds: ['raw', 'packet'] });
    const r4 = byInode(raws(snap), fx.raw4);
    const d = byInode(packets(snap), fx.dgram);
    const pr = (await peekChannel(r4, snap.processes)) as BytesPeek;
    // an IPv4 raw socket receives the IP header with the payload: 20 + 16 bytes
    assert.equal(pr.total, 36);
    assert.equal(pr.data.subarray(20).toString(), 'r'.repeat(16));
    assert.ok(pr.notes.some((n) => /first queued datagram only/.test(n)), pr.notes.join('; '));
    assert.ok(pr.notes.some((n) => /with its IP header/.test(n)), pr.notes.join('; '));
    const pd = (await peekChannel(d, snap.processes)) as BytesPeek;
    assert.equal(pd.total, 16, 'a dgram packet socket: the frame without its link-layer header');
    assert.equal(pd.data.toString(), 'p'.repeat(16));
    assert.ok(pd.notes.some((n) => /first queued frame only/.test(n)), pd.notes.join('; '));
    const again = await takeSnapshot({ kinds: ['raw', 'packet'] });
    assert.equal(byInode(raws(again), fx.raw4).recvQueue, r4.recvQueue, 'nothing consumed (raw)');
    assert.equal(byInode(packets(again), fx.dgram).recvQueue, d.recvQueue, 'nothing consumed (packet)');
  });
});
