// Multipath TCP sockets (IPPROTO_MPTCP) are one TCP channel each, marked `protocol: 'mptcp'`,
// with their TCP subflows under it — never a subflow as a channel of its own. The kernel grafts
// every subflow onto the MPTCP socket's struct socket, so `ss -t` lists each subflow with the MPTCP
// socket's inode, pid and fd, while the data waits in the MPTCP socket (`ss -M`'s Recv-Q), not in
// the subflow: read from the TCP table alone, the accepted end showed Recv-Q 0, and a second
// subflow's row was dropped as a repeat of the first. Held against ss -M and ss -t, with both fd
// walks; two subflows on loopback in a namespace of the test's own; a connection not accepted yet;
// and another user's (nobody) sockets.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/mptcpSockets.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { InetChannel, Snapshot } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { IPPROTO_MPTCP, IPPROTO_UDPLITE, localShown } from '../../src/core/kinds/inet';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { ssInet, type SsRow } from './ssRows';
import { KINDS } from '../../src/core/kinds';
import type { TcpChannel } from '../../src/core/kinds/inet';
import { findListeners } from '../../src/core/ports';
import { renderListeners } from '../../src/cli/port';
import { BIN, cliNotBuilt } from './cliRunner';

const isRoot = process.geteuid?.() === 0;
const native = loadNative().addon;
const mptcpOn = (() => {
  try {
    return fs.readFileSync('/proc/sys/net/mptcp/enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
})();
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p));
const skip = !native ? 'native addon not built (MPTCP sockets come from sock_diag only)' : !mptcpOn ? 'MPTCP not enabled here (net.mptcp.enabled)' : false;
/** The fd walks to run: the BPF one where it can (root, its addon). */
const WALKS = (['proc', ...(isRoot && loadBpf().addon ? ['bpf-iter'] : [])] as const).map((w) => w as 'proc' | 'bpf-iter');

/**
 * Python: an MPTCP listener, a client connected to it and the accepted end (the client sent 17
 * bytes, unread), a second client never accepted (7 bytes sent), a UDP-Lite socket with one
 * datagram queued, and one of each never bound (in no table: read from the fd); prints their inodes
 * and fds as JSON, then waits for stdin to close.
 */
const PY = `
import socket, os, sys, json
fam = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
host = '::1' if sys.argv[1] == '6' else '127.0.0.1'
l = socket.socket(fam, socket.SOCK_STREAM, ${IPPROTO_MPTCP}); l.bind((host, 0)); l.listen(8)
addr = l.getsockname()[:2]
c = socket.socket(fam, socket.SOCK_STREAM, ${IPPROTO_MPTCP}); c.connect(addr); a, _ = l.accept()
c.sendall(b'accepted end data')
p = socket.socket(fam, socket.SOCK_STREAM, ${IPPROTO_MPTCP}); p.connect(addr); p.sendall(b'pending')
u = socket.socket(fam, socket.SOCK_DGRAM, ${IPPROTO_UDPLITE}); u.bind((host, 0)); u.sendto(b'lite', u.getsockname()[:2])
m0 = socket.socket(fam, socket.SOCK_STREAM, ${IPPROTO_MPTCP}); u0 = socket.socket(fam, socket.SOCK_DGRAM, ${IPPROTO_UDPLITE})
ino = lambda s: [os.fstat(s.fileno()).st_ino, s.fileno()]
print(json.dumps({'pid': os.getpid(), 'port': addr[1], 'listener': ino(l), 'client': ino(c), 'accepted': ino(a), 'pendingClient': ino(p), 'lite': ino(u), 'unbound': ino(m0), 'liteUnbound': ino(u0)}), flush=True)
sys.stdin.read()
`;

/** A namespace of the test's own with 127.0.0.2 on lo, an MPTCP endpoint for it: each connection gets a second subflow from it. */
const TWO_SUBFLOWS = 'ip link set lo up && ip addr add 127.0.0.2/8 dev lo && ip mptcp limits set subflow 2 add_addr_accepted 2 && ip mptcp endpoint add 127.0.0.2 dev lo subflow && exec "$@"';

/** Python: an MPTCP connection whose client writes, non-blocking, until its buffers are full (the accepted end never reads). */
const PY_FULL = `
import socket, os, sys, json
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); l.bind(('127.0.0.1', 0)); l.listen(8)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); c.connect(l.getsockname()[:2]); a, _ = l.accept()
c.setblocking(False)
n = 0
try:
    while True: n += c.send(b'x' * 65536)
except BlockingIOError: pass
ino = lambda s: [os.fstat(s.fileno()).st_ino, s.fileno()]
print(json.dumps({'pid': os.getpid(), 'port': l.getsockname()[1], 'listener': ino(l), 'client': ino(c), 'accepted': ino(a), 'sent': n}), flush=True)
sys.stdin.read()
`;

interface Made {
  pid: number;
  port: number;
  listener: [number, number];
  client: [number, number];
  accepted: [number, number];
  pendingClient: [number, number];
  lite: [number, number];
  unbound: [number, number];
  liteUnbound: [number, number];
  /** PY_FULL: the bytes the writer got into its buffers. */
  sent: number;
}

async function startPy(argv: string[]): Promise<{ child: ChildProcessWithoutNullStreams; made: Made }> {
  const child = spawn(argv[0], argv.slice(1));
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`${argv[0]} exited ${c}`)));
  });
  return { child, made: JSON.parse(line) as Made };
}

const tcpOf = (s: Snapshot, inode: number): InetChannel[] => s.channels.filter((c): c is InetChannel => c.kind === 'tcp' && c.inode === inode);

function assertUniqueIds(s: Snapshot): void {
  const seen = new Set<string>();
  for (const c of s.channels) {
    assert.ok(!seen.has(c.id), `channel id ${c.id} listed twice`);
    seen.add(c.id);
  }
}

/** The one channel of `inode`, an MPTCP one, as ss -M lists it, its subflows as ss -t lists them. */
function assertAsSs(s: Snapshot, inode: number, mptcp: SsRow[], tcp: SsRow[], what: string): InetChannel {
  const chs = tcpOf(s, inode);
  assert.equal(chs.length, 1, `${what}: one channel of inode ${inode}`);
  const ch = chs[0];
  assert.equal(ch.id, `tcp:${inode}`);
  assert.equal(ch.protocol, 'mptcp', `${what}: marked MPTCP`);
  const m = mptcp.filter((r) => r.inode === inode);
  assert.equal(m.length, 1, `${what}: ss -M lists it once`);
  assert.equal(ch.state, m[0].state, `${what}: state`);
  assert.equal(ch.recvQueue, m[0].recvQ, `${what}: Recv-Q as ss -M (the MPTCP socket's, not a subflow's)`);
  assert.equal(ch.sendQueue, m[0].sendQ, `${what}: Send-Q as ss -M`);
  assert.equal(localShown(ch), m[0].local, `${what}: local as ss -M`);
  const rows = tcp.filter((r) => r.inode === inode).map((r) => `${r.local} ${r.peer} ${r.state}`).sort();
  assert.ok(rows.length > 0, `${what}: ss -t lists its subflows with its inode`);
  const flows = (ch.subflows ?? []).map((f) => `${localShown(f)} ${f.remote.replace(/:0$/, ':*')} ${f.state}`).sort();
  assert.deepEqual(flows, rows, `${what}: its subflows are ss -t's rows of its inode`);
  return ch;
}

describe('MPTCP sockets: one TCP channel each, its subflows under it', { skip }, () => {
  const made: Fixture[] = [];
  let fx4: Fixture;
  let fx6: Fixture;
  before(async () => {
    [fx4, fx6] = await Promise.all([makeFixture('mptcp4', { bytes: 1000 }), makeFixture('mptcp6', { bytes: 600 })]);
    made.push(fx4, fx6);
  });
  after(() => closeAll(made));

  for (const walk of WALKS) {
    it(`listener, client and accepted end, IPv4 and IPv6, as ss -M and ss -t list them (${walk} walk)`, async () => {
      const snap = await takeSnapshot({ walk, kinds: ['tcp'] });
      const [mptcp, tcp] = [ssInet('M'), ssInet('t')];
      assertUniqueIds(snap);
      for (const fx of [fx4, fx6]) {
        const i = fx.info as Record<'listener' | 'accepted' | 'client', { pid: number; fd: number; inode: number }>;
        const fam = `IPv${fx.info.family}`;
        const l = assertAsSs(snap, i.listener.inode, mptcp, tcp, `${fam} listener`);
        const a = assertAsSs(snap, i.accepted.inode, mptcp, tcp, `${fam} accepted`);
        const c = assertAsSs(snap, i.client.inode, mptcp, tcp, `${fam} client`);
        assert.equal(l.state, 'LISTEN');
        for (const [ch, e] of [[l, i.listener], [a, i.accepted], [c, i.client]] as const) {
          assert.ok(ch.endpoints.some((p) => p.pid === e.pid && p.fd === e.fd), `${fam} ${ch.id}: held by pid ${e.pid} fd ${e.fd}`);
        }
        assert.ok(a.recvQueue > 0, `${fam}: the accepted end's queue is the MPTCP socket's (${a.recvQueue})`);
        assert.ok(a.subflows!.every((f) => f.recvQueue === 0), `${fam}: its subflow holds none of it`);
        assert.equal(a.peer, c.id, `${fam}: accepted ↔ client`);
        assert.equal(c.peer, a.id, `${fam}: client ↔ accepted`);
      }
    });
  }

  it('a peek reads the queued stream and leaves it queued', async () => {
    const snap = await takeSnapshot({ kinds: ['tcp'] });
    const ch = tcpOf(snap, (fx4.info.accepted as { inode: number }).inode)[0];
    assert.ok(ch, 'the accepted end listed');
    const first = (await peekChannel(ch, snap.processes)) as BytesPeek;
    const second = (await peekChannel(ch, snap.processes)) as BytesPeek;
    assert.equal(first.type, 'bytes');
    assert.equal(first.data.length, 1000, 'the 1,000 bytes sent, whatever Recv-Q says (kernel memory)');
    assert.deepEqual(second.data, first.data, 'the second peek reads the same bytes: nothing consumed');
    assert.equal(first.total, null, 'no byte count claimed from a memory figure');
    assert.ok(first.notes.some((n) => n.startsWith('MPTCP socket: its Recv-Q')), JSON.stringify(first.notes));
  });
});

describe("a connection not accepted yet, and another user's MPTCP and UDP-Lite sockets", { skip: skip || (python ? false : 'python3 not installed') }, () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  const asNobody = isRoot && has('setpriv');

  for (const fam of ['4', '6']) {
    it(`IPv${fam}: the pending connection is one channel in the listener's accept queue; nobody's sockets are nobody's${asNobody ? '' : ' (as this user: no setpriv or not root)'}`, async () => {
      const argv = [python!, '-c', PY, fam];
      const { child, made } = await startPy(asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv);
      children.push(child);
      for (const walk of WALKS) {
        const snap = await takeSnapshot({ walk, kinds: ['tcp', 'udp'] });
        assertUniqueIds(snap);
        const listener = tcpOf(snap, made.listener[0])[0];
        assert.ok(listener && listener.protocol === 'mptcp', `${walk}: the listener, MPTCP`);
        if (asNobody) assert.equal(listener.uid, 65534, `${walk}: nobody's`);
        for (const k of ['listener', 'client', 'accepted', 'pendingClient'] as const) {
          const ch = tcpOf(snap, made[k][0]);
          assert.equal(ch.length, 1, `${walk}: ${k} listed once`);
          assert.equal(ch[0].protocol, 'mptcp', `${walk}: ${k} marked MPTCP`);
          assert.ok(ch[0].endpoints.some((e) => e.pid === made.pid && e.fd === made[k][1]), `${walk}: ${k} held by ${made.pid} fd ${made[k][1]}`);
        }
        // the server end no program accepted: no inode, no holder, its 7 bytes in its own queue
        const client = tcpOf(snap, made.pendingClient[0])[0];
        const waiting = snap.channels.filter((c): c is InetChannel => c.kind === 'tcp' && c.inode === 0 && c.local === client.remote && c.remote === client.local);
        assert.equal(waiting.length, 1, `${walk}: the pending server end, once (not again as its subflow)`);
        assert.equal(waiting[0].protocol, 'mptcp');
        assert.equal(waiting[0].acceptQueue, listener.id, `${walk}: in the listener's accept queue`);
        assert.equal(waiting[0].subflows?.length, 1, `${walk}: its subflow under it`);
        assert.equal(client.peer, waiting[0].id);
        const ssRow = ssInet('M', undefined, true).find((r) => r.inode === 0 && r.local === localShown(waiting[0]) && r.peer === waiting[0].remote);
        assert.equal(waiting[0].recvQueue, ssRow?.recvQ, `${walk}: its Recv-Q as ss -M`);
        const lite = snap.channels.find((c): c is InetChannel => c.kind === 'udp' && c.inode === made.lite[0]);
        assert.ok(lite && lite.protocol === 'udplite', `${walk}: the UDP-Lite socket, marked`);
        if (asNobody) assert.equal(lite.uid, 65534);
      }
      // never bound: in no table (ss lists neither; lsof says `protocol: MPTCP` / `UDPLITE`), described from the fd
      const own = await takeSnapshot({ kinds: ['tcp', 'udp'], pids: [made.pid] });
      const m0 = own.channels.filter((c): c is InetChannel => c.kind === 'tcp' && c.inode === made.unbound[0]);
      assert.equal(m0.length, 1, 'the unbound MPTCP socket, once');
      assert.equal(m0[0].protocol, 'mptcp');
      assert.equal(m0[0].state, 'UNCONN', 'no subflow yet: no TCP state to say');
      assert.equal(m0[0].recvQueue, 0, "SIOCINQ's 1 on a closed MPTCP socket is no byte queued");
      const u0 = own.channels.filter((c): c is InetChannel => c.kind === 'udp' && c.inode === made.liteUnbound[0]);
      assert.equal(u0.length, 1, 'the unbound UDP-Lite socket, once');
      assert.equal(u0[0].protocol, 'udplite');
    });
  }

  const twoSubflows = !isRoot || !has('unshare') || !has('ip') ? 'needs root, unshare and ip' : false;
  it('two subflows on loopback (127.0.0.1 and 127.0.0.2, a namespace of its own): one channel each side, both subflows under it', { skip: twoSubflows }, async () => {
    const { child, made } = await startPy(['unshare', '-n', 'sh', '-c', TWO_SUBFLOWS, 'sh', python!, '-c', PY, '4']);
    children.push(child);
    // the second subflow joins after the handshake: wait for ss -t to list it on both sides
    const deadline = Date.now() + 10_000;
    let tcp = ssInet('t', made.pid);
    while (Date.now() < deadline && (tcp.filter((r) => r.inode === made.client[0]).length < 2 || tcp.filter((r) => r.inode === made.accepted[0]).length < 2)) {
      await new Promise((r) => setTimeout(r, 50));
      tcp = ssInet('t', made.pid);
    }
    assert.equal(tcp.filter((r) => r.inode === made.client[0]).length, 2, 'ss -t: two subflows of the client (the setup works)');
    for (const walk of WALKS) {
      const snap = await takeSnapshot({ walk, kinds: ['tcp'] });
      assertUniqueIds(snap);
      const mptcp = ssInet('M', made.pid);
      tcp = ssInet('t', made.pid);
      const c = assertAsSs(snap, made.client[0], mptcp, tcp, `${walk} client`);
      const a = assertAsSs(snap, made.accepted[0], mptcp, tcp, `${walk} accepted`);
      assert.equal(c.subflows!.length, 2);
      assert.equal(a.subflows!.length, 2);
      assert.ok(c.subflows!.some((f) => f.local.startsWith('127.0.0.2:')), `${walk}: the subflow from 127.0.0.2`);
      assert.equal(c.peer, a.id);
    }
  });

  it('a subflow that joined a connection not accepted yet (no inode, addresses of its own) is under that connection, by its token, not a TCP channel', { skip: twoSubflows }, async () => {
    const { child, made } = await startPy(['unshare', '-n', 'sh', '-c', TWO_SUBFLOWS, 'sh', python!, '-c', PY, '4']);
    children.push(child);
    // the pending client's second subflow joins the server's connection that nobody accepted:
    // ss -t lists the server's end of it with ino:0 and 127.0.0.2 as its peer
    const joinedRow = () => ssInet('t', made.pid, true).find((r) => r.inode === 0 && r.state === 'ESTAB' && r.local === `127.0.0.1:${made.port}` && r.peer.startsWith('127.0.0.2:'));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !joinedRow()) await new Promise((r) => setTimeout(r, 50));
    const row = joinedRow();
    assert.ok(row, 'ss -t: the joined subflow of the connection not accepted yet, inode-less (the setup works)');
    for (const walk of WALKS) {
      const snap = await takeSnapshot({ walk, kinds: ['tcp'] });
      assertUniqueIds(snap);
      const client = tcpOf(snap, made.pendingClient[0])[0];
      assert.equal(client.subflows?.length, 2, `${walk}: the pending client's two subflows`);
      const waiting = snap.channels.filter((c): c is InetChannel => c.kind === 'tcp' && c.inode === 0 && c.local === client.remote && c.remote === client.local);
      assert.equal(waiting.length, 1, `${walk}: the pending server end once`);
      assert.equal(waiting[0].protocol, 'mptcp');
      const flows = waiting[0].subflows!.map((f) => `${f.local} ${f.remote} ${f.state}`);
      assert.deepEqual(flows, [`${client.remote} ${client.local} ESTAB`, `${row.local} ${row.peer} ESTAB`], `${walk}: its initial subflow, then the one that joined`);
      const stray = snap.channels.filter((c): c is InetChannel => c.kind === 'tcp' && c.inode === 0 && c.local === row.local && c.remote === row.peer);
      assert.deepEqual(stray.map((c) => c.id), [], `${walk}: the joined subflow is no TCP channel of its own`);
    }
  });

  it('a blocked MPTCP writer: its Send-Q (memory, as ss -M says) stays near 0, its stream\'s unacknowledged bytes make it full', async () => {
    const { child, made } = await startPy([python!, '-c', PY_FULL, '4']);
    children.push(child);
    const snap = await takeSnapshot({ kinds: ['tcp'] });
    const w = tcpOf(snap, made.client[0])[0];
    assert.ok(w && w.protocol === 'mptcp', 'the writer, MPTCP');
    const ss = ssInet('M', made.pid).find((r) => r.inode === made.client[0]);
    assert.ok(ss, 'ss -M lists the writer');
    assert.ok(ss.sendQ < 65536, `ss -M's Send-Q is memory, not the ${made.sent} bytes waiting (${ss.sendQ})`);
    assert.ok(w.unacked !== undefined && w.unacked >= 65536 && w.unacked <= made.sent, `unacknowledged bytes ${w.unacked} of ${made.sent} sent`);
    assert.equal(KINDS.tcp.full(w as TcpChannel), true, 'full: a write blocks');
    const reader = tcpOf(snap, made.accepted[0])[0];
    assert.equal(KINDS.tcp.full(reader as TcpChannel), false, 'the reader sends nothing');
  });

  it('port and port --free: an MPTCP listener is said to be MPTCP, and freed (a TCP bind tests its port)', { skip: cliNotBuilt }, async () => {
    const { child, made } = await startPy([python!, '-c', PY, '4']);
    children.push(child);
    const { snapshot, listeners } = await findListeners(made.port, { protocol: 'tcp' });
    const mine = listeners.filter((l) => l.inode === made.listener[0]);
    assert.equal(mine.length, 1, 'the listener, once');
    assert.equal(mine[0].mptcp, true);
    assert.match(renderListeners(made.port, mine, null, 'tcp', snapshot), new RegExp(`^  tcp \\(MPTCP\\) 127\\.0\\.0\\.1:${made.port}  LISTEN`, 'm'));
    const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input: '', timeout: 60000 });
    const text = cli(['port', String(made.port)]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`tcp \\(MPTCP\\) 127\\.0\\.0\\.1:${made.port}`));
    const json = JSON.parse(cli(['port', String(made.port), '--json']).stdout) as { listeners: { inode: number; mptcp?: boolean }[] };
    assert.equal(json.listeners.find((l) => l.inode === made.listener[0])?.mptcp, true);
    const freed = cli(['port', String(made.port), '--free', '--yes', '--signal-timeout', '5000']);
    assert.match(freed.stdout, new RegExp(`port ${made.port} is free`), freed.stdout + freed.stderr);
    assert.equal(freed.status, 0);
  });
});
