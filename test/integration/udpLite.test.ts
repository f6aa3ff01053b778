// UDP-Lite sockets (IPPROTO_UDPLITE) are UDP channels marked `protocol: 'udplite'`: they were in no
// table we read (the kernel keeps them in /proc/net/udplite{,6} and answers inet_diag for them
// under their own protocol), so a snapshot left them out while lsof lists them (`UDPLITE`). Held
// against /proc/net/udplite{,6} and lsof, read through sock_diag with both fd walks and from /proc.
// And `port` / `port --free` (the CLI, with the walk IPC_INSPECTOR_WALK picks): a UDP-Lite socket
// is on UDP-Lite's port, not UDP's — named as such, never stopped; a UDP socket on the same number
// is found and freed as before.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/udpLite.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as readline from 'node:readline';
import * as fs from 'node:fs';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { InetChannel } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot, type SnapshotOptions } from '../../src/core/snapshot';
import { parseProcNetInet } from '../../src/core/parsers/net';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { IPPROTO_UDPLITE } from '../../src/core/kinds/inet';
import { BIN, cliNotBuilt } from './cliRunner';

const isRoot = process.geteuid?.() === 0;
const native = loadNative().addon;
const skip = fs.existsSync('/proc/net/udplite') ? false : 'no UDP-Lite in this kernel (/proc/net/udplite)';
const WAYS: [string, SnapshotOptions][] = [
  ['/proc tables', { useNative: false }],
  ...(native ? ([['sock_diag, proc walk', { walk: 'proc' }]] as [string, SnapshotOptions][]) : []),
  ...(native && isRoot && loadBpf().addon ? ([['sock_diag, bpf-iter walk', { walk: 'bpf-iter' }]] as [string, SnapshotOptions][]) : []),
];

describe('UDP-Lite sockets: UDP channels, marked udplite', { skip }, () => {
  const made: Fixture[] = [];
  before(async () => {
    made.push(await makeFixture('udplite4', { bytes: 20, datagrams: 2 }), await makeFixture('udplite6', { bytes: 30, datagrams: 3 }));
  });
  after(() => closeAll(made));

  for (const [way, opts] of WAYS) {
    it(`server and connected client, IPv4 and IPv6, as /proc/net/udplite{,6} and lsof list them (${way})`, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['udp'] });
      const table = [...parseProcNetInet(fs.readFileSync('/proc/net/udplite', 'utf8')).inode, ...parseProcNetInet(fs.readFileSync('/proc/net/udplite6', 'utf8')).inode];
      const proc4 = parseProcNetInet(fs.readFileSync('/proc/net/udplite', 'utf8'));
      const proc6 = parseProcNetInet(fs.readFileSync('/proc/net/udplite6', 'utf8'));
      for (const fx of made) {
        const i = fx.info as Record<'server' | 'client', { pid: number; fd: number; inode: number; local: string; remote?: string }>;
        const p = fx.info.family === 6 ? proc6 : proc4;
        for (const role of ['server', 'client'] as const) {
          const e = i[role];
          assert.ok(table.includes(e.inode), `${role}: in /proc/net/udplite (the fixture made UDP-Lite)`);
          const chs = snap.channels.filter((c): c is InetChannel => c.kind === 'udp' && c.inode === e.inode);
          assert.equal(chs.length, 1, `IPv${fx.info.family} ${role}: listed once`);
          const ch = chs[0];
          assert.equal(ch.protocol, 'udplite');
          assert.equal(ch.local, e.local);
          assert.ok(ch.endpoints.some((x) => x.pid === e.pid && x.fd === e.fd), `${role}: held by pid ${e.pid} fd ${e.fd}`);
          const row = [...p.inode].indexOf(e.inode);
          assert.equal(ch.recvQueue, p.rqueue[row], `${role}: Recv-Q as /proc/net/udplite's rx_queue`);
        }
        assert.ok(snap.channels.some((c) => c.kind === 'udp' && c.inode === i.server.inode && c.recvQueue > 0), 'the datagrams queued at the server');
      }
    });
  }

  it('lsof calls them UDPLITE, at the addresses the snapshot says', { skip: spawnSync('sh', ['-c', 'command -v lsof']).status === 0 ? false : 'no lsof' }, async () => {
    const snap = await takeSnapshot({ kinds: ['udp'] });
    for (const fx of made) {
      const e = (fx.info as Record<'server', { pid: number; fd: number; inode: number }>).server;
      const out = execFileSync('lsof', ['-n', '-P', '-a', '-p', String(e.pid), '-d', String(e.fd)], { encoding: 'utf8' });
      const ch = snap.channels.find((c): c is InetChannel => c.kind === 'udp' && c.inode === e.inode)!;
      assert.match(out, /\bUDPLITE\b/);
      assert.ok(out.includes(ch.local), `lsof shows ${ch.local}: ${out}`);
    }
  });

  it('a peek reads the first datagram and leaves it queued', async () => {
    const snap = await takeSnapshot({ kinds: ['udp'] });
    const e = (made[0].info as Record<'server', { inode: number }>).server;
    const ch = snap.channels.find((c): c is InetChannel => c.kind === 'udp' && c.inode === e.inode)!;
    const a = (await peekChannel(ch, snap.processes)) as BytesPeek;
    const b = (await peekChannel(ch, snap.processes)) as BytesPeek;
    assert.equal(a.data.length, 10, 'the first of two 10-byte datagrams');
    assert.deepEqual(b.data, a.data);
  });
});

const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p));

/** A process holding one datagram socket of `proto` on 127.0.0.1:`port` (0: any); resolves with it and the port once bound. */
async function holder(proto: number, port: number): Promise<{ child: ChildProcessWithoutNullStreams; port: number; inode: number }> {
  const py = 'import os,socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM,int(sys.argv[1]))\ns.bind(("127.0.0.1",int(sys.argv[2])))\nprint(s.getsockname()[1],os.fstat(s.fileno()).st_ino,flush=True)\nsys.stdin.read()';
  const child = spawn(python!, ['-c', py, String(proto), String(port)]);
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`python3 exited ${c}`)));
  });
  const [p, inode] = line.split(' ').map(Number);
  return { child, port: p, inode };
}

const aliveNow = (c: ChildProcessWithoutNullStreams) => c.exitCode === null && c.signalCode === null && !/\) Z /.test(fs.readFileSync(`/proc/${c.pid}/stat`, 'utf8'));

describe("port and port --free: a UDP-Lite socket is on UDP-Lite's port, not UDP's", { skip: skip || (python ? false : 'python3 not installed') || cliNotBuilt }, () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input: '', timeout: 60000 });
  type Listed = { inode: number; udplite?: boolean; processes: { pid: number }[] };

  it('port P names it udp (UDP-Lite), apart from the listeners, and a UDP bind on P succeeds', async () => {
    const lite = await holder(IPPROTO_UDPLITE, 0);
    children.push(lite.child);
    // the kernel's answer first: UDP's port of that number is another port
    const u = dgram.createSocket('udp4');
    await new Promise<void>((res, rej) => (u.once('error', rej), u.bind(lite.port, '127.0.0.1', () => res())));
    u.close();
    const text = cli(['port', String(lite.port)]);
    assert.match(text.stdout, new RegExp(`^UDP-Lite on port ${lite.port}: 1 socket \\(UDP-Lite's port ${lite.port}, not UDP's`, 'm'), text.stdout);
    assert.match(text.stdout, new RegExp(`^  udp \\(UDP-Lite\\) 127\\.0\\.0\\.1:${lite.port}  UNCONN  .* udp:${lite.inode}$`, 'm'), text.stdout);
    assert.match(text.stdout, new RegExp(`^    python3\\[${lite.child.pid}\\]`, 'm'));
    const j = JSON.parse(cli(['port', String(lite.port), '--json']).stdout) as { listeners: Listed[]; udpLite: Listed[] };
    assert.ok(!j.listeners.some((l) => l.inode === lite.inode), 'not a listener on UDP\'s port');
    assert.deepEqual(j.udpLite.filter((l) => l.inode === lite.inode).map((l) => [l.udplite, l.processes.map((p) => p.pid)]), [[true, [lite.child.pid]]]);
    if (j.listeners.length === 0) {
      // nothing else on the number (another program's socket may be, on a busy machine): not taken
      assert.equal(text.status, 1, 'no TCP or UDP listener: exit 1, as for a port nothing holds');
      assert.match(text.stdout, new RegExp(`^no TCP or UDP listener on port ${lite.port}$`, 'm'));
    }
  });

  it('port P --free --yes leaves the UDP-Lite holder alone, and says the port is free', async () => {
    const lite = await holder(IPPROTO_UDPLITE, 0);
    children.push(lite.child);
    const r = cli(['port', String(lite.port), '--protocol', 'udp', '--free', '--yes', '--signal-timeout', '2000', '--json']);
    const res = JSON.parse(r.stdout) as { free: boolean | null; stops: { pid: number }[]; udpLite: Listed[]; otherSockets: { pids: number[] }[] };
    assert.ok(!res.stops.some((s) => s.pid === lite.child.pid), `not stopped: ${r.stdout}`);
    assert.ok(aliveNow(lite.child), 'the UDP-Lite holder still runs');
    assert.ok(res.udpLite.some((l) => l.inode === lite.inode), 'named apart in the result');
    assert.ok(!res.otherSockets.some((o) => o.pids.includes(lite.child.pid!)), 'not blamed for the port');
    assert.equal(res.free, true, r.stdout + r.stderr);
    assert.equal(r.status, 0);
    const t = cli(['port', String(lite.port), '--protocol', 'udp', '--free', '--yes', '--signal-timeout', '2000']);
    assert.match(t.stdout, new RegExp(`^  left alone: udp \\(UDP-Lite\\) 127\\.0\\.0\\.1:${lite.port} netns \\d+ by python3\\[${lite.child.pid}\\] \\(UDP-Lite's port, not UDP's\\)$`, 'm'), t.stdout);
    assert.ok(aliveNow(lite.child), 'still running after the second --free');
  });

  it('a plain UDP socket on the same number is found and freed as before; the UDP-Lite one stays', async () => {
    const lite = await holder(IPPROTO_UDPLITE, 0);
    children.push(lite.child);
    const udp = await holder(17, lite.port);
    children.push(udp.child);
    assert.equal(udp.port, lite.port);
    const j = JSON.parse(cli(['port', String(lite.port), '--protocol', 'udp', '--json']).stdout) as { listeners: Listed[]; udpLite: Listed[] };
    assert.deepEqual(j.listeners.filter((l) => l.processes.some((p) => p.pid === udp.child.pid || p.pid === lite.child.pid)).map((l) => [l.inode, l.udplite ?? null]), [[udp.inode, null]]);
    const exited = new Promise((res) => udp.child.once('exit', (_c, sig) => res(sig)));
    const r = cli(['port', String(lite.port), '--protocol', 'udp', '--free', '--yes', '--signal-timeout', '5000', '--json']);
    const res = JSON.parse(r.stdout) as { free: boolean | null; stops: { pid: number; outcome: string; sent: string[] }[]; bind: { protocol: string; free: boolean | null }[] };
    assert.deepEqual(res.stops.filter((s) => s.pid === udp.child.pid || s.pid === lite.child.pid).map((s) => [s.pid, s.outcome, s.sent]), [[udp.child.pid, 'exited', ['SIGTERM']]], r.stdout);
    assert.equal(await exited, 'SIGTERM');
    assert.ok(aliveNow(lite.child), 'the UDP-Lite holder still runs');
    assert.ok(res.bind.every((b) => b.protocol === 'udp'), 'a UDP bind tests the port');
    assert.equal(res.free, true, r.stdout + r.stderr);
    assert.equal(r.status, 0);
  });
});
