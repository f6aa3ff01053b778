// A dual-stack listener (bound to `::`, the default of Node, Java, Go and nginx with
// ipv6only=off) accepts an IPv4 client on an IPv6 socket: `ss -t` shows the client's end as
// 127.0.0.1:C → 127.0.0.1:S and the accepted end as [::ffff:127.0.0.1]:S → [::ffff:127.0.0.1]:C.
// They are the two ends of one connection, in one network namespace: each end's peer must be the
// other, with every way the snapshot can read sockets (sock_diag after either fd walk, and
// /proc/net/tcp{,6} without the addon). The listener says it takes IPv4 too (`v6only: false`, ss's
// `*:PORT`, remote `*:*`), and a listener made IPv6-only says so (remote `[::]:*`, as ss prints
// it), where sock_diag tells (not /proc/net); `port` prints the first with "(IPv4 too)".
// Server and client are processes of their own. Shown to people (tree label, CLI table, `port`)
// as ss shows them: the dual-stack TCP and UDP sockets as `*:PORT`, the IPv6-only ones as
// `[::]:PORT`; the snapshot's `local` stays `[::]:PORT` with `v6only` saying which.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/dualStack.test.js
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InetChannel, Snapshot } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { listenersIn } from '../../src/core/ports';
import { renderListeners } from '../../src/cli/port';
import { lineReader } from './childLines';
import { execFileSync } from 'node:child_process';
import { describe as kindOf } from '../../src/core/kinds';
import { localShown } from '../../src/core/kinds/inet';
import { formatValue } from '../../src/core/columns';
import { BIN } from './cliRunner';

const SERVER = `
const net = require('net');
const held = [];
const s = net.createServer((c) => held.push(c)); // kept open: ESTABLISHED on both sides
const v6 = net.createServer();
s.listen(0, '::', () => v6.listen({ port: 0, host: '::', ipv6Only: true }, () => console.log(JSON.stringify({ port: s.address().port, v6port: v6.address().port }))));
setInterval(() => {}, 1e6);`;

const CLIENT = `
const net = require('net');
const port = Number(process.argv[1]);
const c = net.connect(port, '127.0.0.1', () => console.log(JSON.stringify({ local: c.localPort })));
setInterval(() => {}, 1e6);`;

function dualStackOff(): string | false {
  try {
    if (fs.readFileSync('/proc/sys/net/ipv6/bindv6only', 'utf8').trim() !== '0') return 'net.ipv6.bindv6only=1: a `::` listener takes no IPv4 clients here';
    for (const c of ['all', 'lo']) if (fs.readFileSync(`/proc/sys/net/ipv6/conf/${c}/disable_ipv6`, 'utf8').trim() === '1') return `IPv6 is disabled (net.ipv6.conf.${c}.disable_ipv6=1)`;
  } catch {
    return 'no IPv6 on this machine (/proc/sys/net/ipv6 missing)';
  }
  return false;
}

describe('a dual-stack listener and its IPv4 client', { skip: dualStackOff() }, () => {
  const children: ChildProcess[] = [];
  let serverPid = 0;
  let clientPid = 0;
  let port = 0;
  let v6port = 0;
  let clientPort = 0;

  before(async () => {
    const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    ({ port, v6port } = JSON.parse(await lineReader(server).next('the ports')) as { port: number; v6port: number });
    const client = spawn(process.execPath, ['-e', CLIENT, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(client);
    clientPort = (JSON.parse(await lineReader(client).next('the client port')) as { local: number }).local;
    serverPid = server.pid!;
    clientPid = client.pid!;
  });
  after(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  const ends = (snap: Snapshot) => {
    const tcp = snap.channels.filter((c): c is InetChannel => c.kind === 'tcp');
    const client = tcp.find((c) => c.endpoints.some((e) => e.pid === clientPid) && c.remote === `127.0.0.1:${port}`);
    const accepted = tcp.find((c) => c.endpoints.some((e) => e.pid === serverPid) && c.local === `[::ffff:127.0.0.1]:${port}`);
    return { client, accepted };
  };

  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false, boolean]> = [
    ['sock_diag, BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built', true],
    ['sock_diag, /proc fd walk', { walk: 'proc' }, loadNative().addon ? false : 'native addon not built', true],
    ['/proc/net/tcp and tcp6, no addon', { useNative: false }, false, false],
  ];
  for (const [name, opts, skip, sockDiag] of ways) {
    it(`each end's peer is the other (${name})`, { skip }, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['tcp'] });
      const { client, accepted } = ends(snap);
      assert.ok(client, `the client's end 127.0.0.1:${clientPort} → 127.0.0.1:${port}`);
      assert.ok(accepted, `the accepted end [::ffff:127.0.0.1]:${port} in the server`);
      assert.equal(client.local, `127.0.0.1:${clientPort}`);
      assert.equal(accepted.remote, `[::ffff:127.0.0.1]:${clientPort}`);
      assert.equal(client.family, 4);
      assert.equal(accepted.family, 6);
      assert.equal(client.peer, accepted.id);
      assert.equal(accepted.peer, client.id);
      assert.equal(client.peerMatch, undefined, 'one namespace: a plain pair, no peerMatch');
      const listener = (p: number) => snap.channels.find((c): c is InetChannel => c.kind === 'tcp' && c.state === 'LISTEN' && c.local === `[::]:${p}` && c.endpoints.some((e) => e.pid === serverPid));
      const dual = listener(port);
      const only6 = listener(v6port);
      assert.ok(dual && only6, 'both listeners');
      assert.equal(dual.v6only, sockDiag ? false : undefined, 'the dual-stack listener takes IPv4 too (sock_diag says; /proc/net does not)');
      assert.equal(only6.v6only, sockDiag ? true : undefined, 'the IPv6-only listener');
      // the remote as ss prints it: `*:*` for a dual-stack socket, `[::]:*` for an IPv6-only one (where known)
      assert.equal(dual.remote, '*:*');
      assert.equal(only6.remote, sockDiag ? '[::]:*' : '*:*');
      assert.equal(client.v6only, undefined, 'an IPv4 socket has no v6only');
      assert.equal(accepted.v6only, undefined, 'the kernel says it for listening and unbound sockets only, not for connections');
      // `port` says the dual-stack listener takes IPv4 too (where known), not the IPv6-only one
      const [l] = listenersIn(snap, port, 'tcp').filter((x) => x.processes.some((p) => p.pid === serverPid));
      const [l6] = listenersIn(snap, v6port, 'tcp').filter((x) => x.processes.some((p) => p.pid === serverPid));
      assert.equal(l?.ipv4Too, sockDiag ? true : undefined);
      assert.equal(l6?.ipv4Too, undefined);
      // shown as ss shows it: `*:PORT` for the dual-stack one (where known), `[::]:PORT` for the other
      assert.match(renderListeners(port, [l], null, 'tcp'), sockDiag ? new RegExp(`^  tcp6 \\*:${port} \\(IPv4 too\\)  LISTEN `, 'm') : new RegExp(`^  tcp6 \\[::\\]:${port}  LISTEN `, 'm'));
      assert.match(renderListeners(v6port, [l6], null, 'tcp'), new RegExp(`^  tcp6 \\[::\\]:${v6port}  LISTEN `, 'm'));
    });
  }
});

const SOCKETS = `
const net = require('net');
const dgram = require('dgram');
const t = net.createServer();
const t6 = net.createServer();
const u = dgram.createSocket({ type: 'udp6' });
const u6 = dgram.createSocket({ type: 'udp6', ipv6Only: true });
t.listen(0, '::', () => t6.listen({ port: 0, host: '::', ipv6Only: true }, () => u.bind(0, '::', () => u6.bind(0, '::', () =>
  console.log(JSON.stringify({ tcp: t.address().port, tcp6: t6.address().port, udp: u.address().port, udp6: u6.address().port }))))));
setInterval(() => {}, 1e6);`;

describe('dual-stack and IPv6-only TCP and UDP sockets, shown as ss shows them', { skip: dualStackOff() || (loadNative().addon ? false : 'native addon not built (sock_diag says IPV6_V6ONLY)') }, () => {
  let child: ChildProcess | undefined;
  let ports: { tcp: number; tcp6: number; udp: number; udp6: number };
  before(async () => {
    child = spawn(process.execPath, ['-e', SOCKETS], { stdio: ['ignore', 'pipe', 'inherit'] });
    ports = JSON.parse(await lineReader(child).next('the ports')) as typeof ports;
  });
  after(() => child?.kill('SIGKILL'));

  /** ss's local address of each of the child's sockets, by inode. */
  const ssLocal = (): Map<number, string> => {
    const out = new Map<number, string>();
    for (const line of execFileSync('ss', ['-tuanpeH'], { encoding: 'utf8' }).split('\n')) {
      if (!line.includes(`pid=${child!.pid},`)) continue;
      const ino = /\bino:(\d+)/.exec(line);
      if (ino) out.set(Number(ino[1]), line.trim().split(/\s+/)[4]);
    }
    return out;
  };

  it('`*:PORT` where ss prints it, `[::]:PORT` where it does not; the JSON keeps `[::]:PORT` and `v6only`', async () => {
    const snap = await takeSnapshot({ kinds: ['tcp', 'udp'], pids: [child!.pid!] });
    const mine = snap.channels.filter((c): c is InetChannel => (c.kind === 'tcp' || c.kind === 'udp') && c.endpoints.some((e) => e.pid === child!.pid));
    const by = (kind: string, port: number) => mine.find((c) => c.kind === kind && c.local === `[::]:${port}`);
    const expected: Array<[string, number, boolean]> = [
      ['tcp', ports.tcp, true],
      ['tcp', ports.tcp6, false],
      ['udp', ports.udp, true],
      ['udp', ports.udp6, false],
    ];
    const ss = ssLocal();
    for (const [kind, port, dual] of expected) {
      const c = by(kind, port);
      assert.ok(c, `${kind} [::]:${port} in ${JSON.stringify(mine)}`);
      assert.equal(c.v6only, !dual, `${kind} ${port}: v6only`);
      const shown = dual ? `*:${port}` : `[::]:${port}`;
      // the oracle: ss (when it is here) prints the same
      if (ss.size > 0) assert.equal(ss.get(c.inode), shown, `ss's view of ${c.id}`);
      assert.equal(localShown(c), shown, `${c.id}: ${JSON.stringify(c)}`);
      assert.equal(kindOf(c).name(c, 200), shown, `${c.id}: the tree label`);
      assert.equal(kindOf(c).description(c), `${c.state}${dual ? ', IPv4 too' : ''}`, `${c.id}: the tree description`);
      const col = kindOf(c).columns.find((x) => (x.id as string) === 'local')!;
      assert.equal(formatValue(col, c.local, c), shown, `${c.id}: the CLI table's LOCAL`);
    }
    // the JSON, through the CLI: the raw address
    const json = JSON.parse(execFileSync(process.execPath, [BIN, 'snapshot', '--json', '--kind', 'tcp,udp', '--pid', String(child!.pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Snapshot;
    const raw = json.channels.filter((c): c is InetChannel => c.kind === 'tcp' || c.kind === 'udp');
    for (const [kind, port, dual] of expected) assert.ok(raw.some((c) => c.kind === kind && c.local === `[::]:${port}` && c.v6only === !dual), `${kind} ${port} in the JSON: ${JSON.stringify(raw)}`);
  });
});
