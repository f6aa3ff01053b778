// Real namespaces (issue 13): a process tree in its own pid, net and mount namespaces made with
// `unshare`, and two network namespaces (`ip netns add`) joined by a veth pair. The snapshot must
// show each process's host pid and the pid inside its namespace (NSpid), its pid and net
// namespaces, and link both ends of a TCP connection with the netns of each: inside one
// namespace, across the veth pair, through a DNAT'ed published port (conntrack) and through a
// docker-proxy style relay. Addresses are from 192.0.2.0/24 (documentation range) on the veth
// pair between the two namespaces this file makes: no traffic leaves them. Needs root, `unshare`
// and `ip` (iproute2); the suite is skipped, saying so, without them.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/namespaces.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { makeNetns, netnsInode, startNet, vethPair, type NetProc } from '../../fixtures/netServer';
import type { InetChannel, PipeChannel, ProcessInfo, Snapshot } from '../../src/core/model';
import { takeSnapshot, type SnapshotOptions } from '../../src/core/snapshot';
import { loadNative, type NativeAddon } from '../../src/core/native';

function missing(): string | false {
  if (process.geteuid?.() !== 0) return 'needs root (unshare --pid/--net, ip netns)';
  for (const tool of ['unshare', 'ip', 'cc']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return false;
}
const SKIP = missing();

const inode = (link: string) => /\[(\d+)\]/.exec(link)![1];
const ownNetns = () => inode(fs.readlinkSync('/proc/self/ns/net'));
const ownPidns = () => inode(fs.readlinkSync('/proc/self/ns/pid'));

function proc(snap: Snapshot, pid: number): ProcessInfo {
  const p = snap.processes.find((x) => x.pid === pid);
  assert.ok(p, `process ${pid} missing from the snapshot`);
  return p;
}
const inet = (snap: Snapshot) => snap.channels.filter((c): c is InetChannel => c.kind === 'tcp' || c.kind === 'udp');
/** The connected TCP socket(s) `pid` holds (not listeners). */
const conns = (snap: Snapshot, pid: number) => inet(snap).filter((c) => c.kind === 'tcp' && c.state !== 'LISTEN' && c.endpoints.some((e) => e.pid === pid));
const byId = (snap: Snapshot, id: string | undefined) => snap.channels.find((c) => c.id === id) as InetChannel | undefined;

/** Snapshots until `ok` holds (connections are accepted asynchronously), at most ~5 s. */
async function snapshotUntil(ok: (s: Snapshot) => boolean, what: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  let s: Snapshot | undefined;
  for (let i = 0; i < 50; i++) {
    s = await takeSnapshot({ kinds: ['tcp', 'udp', 'pipe'], ...options });
    if (ok(s)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: not seen in 50 snapshots`);
}

describe('namespaces', { skip: SKIP }, () => {
  const procs: NetProc[] = [];
  const cleanups: (() => void)[] = [];
  const tag = `ii${process.pid % 100000}`;
  const A = `${tag}a`;
  const B = `${tag}b`;
  const keep = (p: NetProc) => (procs.push(p), p);

  before(() => {
    cleanups.push(makeNetns(A), makeNetns(B));
    vethPair(A, `${tag}x`, '192.0.2.1/24', B, `${tag}y`, '192.0.2.2/24');
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    for (const c of cleanups.reverse()) c();
  });

  test('unshare --pid --net --mount-proc: host pid and inner pid, pid and net namespace, both ends of a loopback pair and a pipe inside', async () => {
    const p = keep(
      await startNet(['pair'], {
        prefix: ['unshare', '--fork', '--pid', '--net', '--mount-proc', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"'],
        forks: true,
      }),
    );
    const hostChild = Number(fs.readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8').trim());
    assert.equal(p.info.pid, 1, 'the net-server is pid 1 of its new pid namespace');
    const snap = await snapshotUntil((s) => conns(s, p.pid).length === 2, 'the loopback pair inside the namespace');
    const main = proc(snap, p.pid);
    const child = proc(snap, hostChild);
    // NSpid: host pid first, the pid inside last — what the process itself saw
    assert.deepEqual(main.nsPid, [p.pid, p.info.pid]);
    assert.deepEqual(child.nsPid, [hostChild, p.info.child]);
    const innerNet = inode(p.info.netns);
    const innerPid = inode(p.info.pidns);
    assert.equal(main.netns, innerNet);
    assert.equal(main.pidns, innerPid);
    assert.equal(child.pidns, innerPid);
    assert.notEqual(innerNet, ownNetns());
    assert.notEqual(innerPid, ownPidns());
    assert.equal(main.container, null, 'unshare is no container runtime: nothing may be guessed');
    // both ends of the loopback pair: in the inner namespace, linked to each other
    const [a, b] = conns(snap, p.pid);
    for (const c of [a, b]) {
      assert.equal(c.netns, innerNet, `${c.id} netns`);
      assert.equal(c.peerMatch, undefined, 'a plain pair inside one namespace: the peer is in `netns`');
    }
    assert.equal(a.peer, b.id);
    assert.equal(b.peer, a.id);
    assert.ok([a.local, b.local].includes(p.info.local), `the client end ${p.info.local} is one of ${a.local}, ${b.local}`);
    const listener = inet(snap).find((c) => c.state === 'LISTEN' && c.endpoints.some((e) => e.pid === p.pid));
    assert.equal(listener?.netns, innerNet);
    // the pipe between the two inner processes, by host pid
    const pipe = snap.channels.find((c): c is PipeChannel => c.kind === 'pipe' && c.endpoints.some((e) => e.pid === p.pid && e.fd === p.info.pipeFd));
    assert.ok(pipe, 'the pipe inside the namespace');
    assert.deepEqual(
      pipe.endpoints.map((e) => [e.pid, e.mode]),
      [
        [p.pid, 'w'],
        [hostChild, 'r'],
      ],
    );
  });

  test('veth pair: a TCP connection between two network namespaces links both ends, each with its netns', async () => {
    const server = keep(await startNet(['listen', '--addr', '192.0.2.2'], { prefix: ['ip', 'netns', 'exec', B] }));
    const client = keep(await startNet(['connect', '--addr', '192.0.2.2', '--port', String(server.info.port)], { prefix: ['ip', 'netns', 'exec', A] }));
    const snap = await snapshotUntil((s) => conns(s, server.pid).length === 1, 'the accepted connection');
    const cli = conns(snap, client.pid);
    const acc = conns(snap, server.pid);
    assert.equal(cli.length, 1);
    assert.equal(cli[0].local, client.info.local);
    assert.equal(cli[0].netns, netnsInode(A));
    assert.equal(acc[0].netns, netnsInode(B));
    assert.equal(cli[0].peer, acc[0].id);
    assert.equal(acc[0].peer, cli[0].id);
    assert.equal(cli[0].peerNetns, netnsInode(B));
    assert.equal(acc[0].peerNetns, netnsInode(A));
    assert.equal(cli[0].peerMatch, 'tuple-netns');
    assert.equal(proc(snap, client.pid).netns, netnsInode(A));
    assert.equal(proc(snap, server.pid).netns, netnsInode(B));
    // same pid namespace as ours: one NSpid entry
    assert.deepEqual(proc(snap, server.pid).nsPid, [server.pid]);
  });

  test('published port through DNAT: the conntrack entry links the client to the server in the other namespace', async (t) => {
    const server = keep(await startNet(['listen', '--addr', '192.0.2.2'], { prefix: ['ip', 'netns', 'exec', B] }));
    try {
      execFileSync('ip', ['netns', 'exec', A, 'iptables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-d', '192.0.2.1', '--dport', '18080', '-j', 'DNAT', '--to-destination', `192.0.2.2:${server.info.port}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (e) {
      t.skip(`iptables cannot add a nat rule here: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
      return;
    }
    const client = keep(await startNet(['connect', '--addr', '192.0.2.1', '--port', '18080'], { prefix: ['ip', 'netns', 'exec', A] }));
    assert.equal(client.info.remote, '192.0.2.1:18080', 'the client still sees the published address');
    // both ways of reading conntrack: a ctnetlink lookup of each candidate's tuple (the default;
    // counted here, so a silent fall back to the table cannot pass for it), and the namespace's
    // whole /proc table (an addon without lookups: what a kernel without ctnetlink gets)
    const addon = loadNative().addon;
    assert.ok(addon, 'the native addon is built');
    let flowsFound = 0;
    const counting: NativeAddon = {
      ...addon,
      conntrackGet: async (queries, nsPath) => {
        const flows = await addon.conntrackGet!(queries, nsPath);
        flowsFound += flows.filter((f) => f !== null).length;
        return flows;
      },
    };
    const ways: [string, NativeAddon][] = [
      ['ctnetlink lookups', counting],
      ['the /proc table', { ...addon, conntrackGet: undefined }],
    ];
    for (const [way, nativeAddon] of ways) {
      const snap = await snapshotUntil((s) => conns(s, server.pid).length === 1 && conns(s, client.pid).length === 1, 'the DNATed connection at the server', { nativeAddon });
      const cli = conns(snap, client.pid)[0];
      const acc = conns(snap, server.pid)[0];
      assert.equal(cli.remote, '192.0.2.1:18080');
      assert.equal(acc.local, `192.0.2.2:${server.info.port}`);
      assert.equal(cli.peer, acc.id, `${way}: client → server through the NAT entry`);
      assert.equal(acc.peer, cli.id, way);
      assert.equal(cli.peerMatch, 'conntrack', way);
      assert.equal(cli.peerNetns, netnsInode(B), way);
      assert.equal(acc.peerNetns, netnsInode(A), way);
    }
    assert.ok(flowsFound > 0, 'the lookups found the flow (not the table read after a refusal)');
  });

  test('docker-proxy relay: client ↔ proxy (same netns), proxy ↔ proxy (relay), proxy ↔ server (across the veth)', async () => {
    const server = keep(await startNet(['listen', '--addr', '192.0.2.2'], { prefix: ['ip', 'netns', 'exec', B] }));
    const proxy = keep(
      await startNet(['-proto', 'tcp', '-host-ip', '192.0.2.1', '-host-port', '18081', '-container-ip', '192.0.2.2', '-container-port', String(server.info.port)], {
        prefix: ['ip', 'netns', 'exec', A],
        asDockerProxy: true,
      }),
    );
    const client = keep(await startNet(['connect', '--addr', '192.0.2.1', '--port', '18081'], { prefix: ['ip', 'netns', 'exec', A] }));
    const snap = await snapshotUntil((s) => conns(s, proxy.pid).length === 2 && conns(s, server.pid).length === 1, 'the relayed connection');
    assert.equal(proc(snap, proxy.pid).comm, 'docker-proxy');
    const cli = conns(snap, client.pid)[0];
    const inbound = byId(snap, cli.peer);
    assert.ok(inbound && inbound.endpoints.some((e) => e.pid === proxy.pid), 'the client is linked to the proxy socket that accepted it');
    assert.equal(cli.peerMatch, undefined, 'same namespace (A): a plain pair');
    const outbound = byId(snap, inbound.relay);
    assert.ok(outbound, 'the proxy relays it to its other socket');
    assert.equal(outbound.relay, inbound.id);
    assert.equal(outbound.remote, `192.0.2.2:${server.info.port}`);
    const acc = conns(snap, server.pid)[0];
    assert.equal(outbound.peer, acc.id);
    assert.equal(acc.peer, outbound.id);
    assert.equal(acc.peerMatch, 'tuple-netns');
    assert.equal(acc.netns, netnsInode(B));
    assert.equal(cli.netns, netnsInode(A));
  });

  test('the same addresses in two isolated namespaces are never linked (ambiguous: no guess)', async () => {
    // two more namespaces with the SAME veth addresses as A/B: each connection's swapped tuple
    // then exists in two other namespaces, so no cross-namespace link may be made
    const C = `${tag}c`;
    const D = `${tag}d`;
    cleanups.push(makeNetns(C), makeNetns(D));
    vethPair(C, `${tag}u`, '192.0.2.1/24', D, `${tag}v`, '192.0.2.2/24');
    const s1 = keep(await startNet(['listen', '--addr', '192.0.2.2', '--port', '18090'], { prefix: ['ip', 'netns', 'exec', B] }));
    const s2 = keep(await startNet(['listen', '--addr', '192.0.2.2', '--port', '18090'], { prefix: ['ip', 'netns', 'exec', D] }));
    // both clients bind the same source port, so both tuples are identical
    const c1 = keep(await startNet(['connect', '--addr', '192.0.2.2', '--port', '18090', '--from-port', '40001'], { prefix: ['ip', 'netns', 'exec', A] }));
    const c2 = keep(await startNet(['connect', '--addr', '192.0.2.2', '--port', '18090', '--from-port', '40001'], { prefix: ['ip', 'netns', 'exec', C] }));
    assert.equal(c1.info.local, c2.info.local);
    const snap = await snapshotUntil((s) => conns(s, s1.pid).length === 1 && conns(s, s2.pid).length === 1, 'both accepted connections');
    const ends = [...conns(snap, c1.pid), ...conns(snap, c2.pid), ...conns(snap, s1.pid), ...conns(snap, s2.pid)];
    assert.equal(ends.length, 4);
    for (const c of ends) assert.equal(c.peer, undefined, `${c.id} (${c.local} → ${c.remote}, netns ${c.netns}) must stay unlinked`);
  });
  test('a process the namespace is entered by exits after the walk (a container stopping): the next one in it is used, no warning; all gone: nothing to warn about', async () => {
    const E = `${tag}e`;
    cleanups.push(makeNetns(E));
    // three processes in E, each holding a unix socketpair (its sockets are E's)
    const hold = () =>
      new Promise<ChildProcess>((resolve, reject) => {
        const c = spawn('ip', ['netns', 'exec', E, 'python3', '-c', 'import socket,sys; a,b=socket.socketpair(); print(a.fileno(), flush=True); sys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'] });
        c.stdout!.once('data', () => resolve(c));
        c.once('exit', (code) => reject(new Error(`holder exited (${code})`)));
      });
    const holders = [await hold(), await hold(), await hold()];
    const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
    try {
      const addon = loadNative().addon!;
      const inE = new Set(holders.map((c) => c.pid!));
      // the namespace's entry pids die between the walk and the socket tables, as a stopping
      // container's do: a real kill and reap, then the real read (whose setns path is then gone)
      const killing = (spare: number): NativeAddon => {
        const killed = new Set<number>();
        const before = async (nsPath: string | undefined) => {
          const pid = Number(/^\/proc\/(\d+)\/ns\/net$/.exec(nsPath ?? '')?.[1]);
          if (!inE.has(pid) || (!killed.has(pid) && killed.size >= holders.length - spare)) return;
          const c = holders.find((h) => h.pid === pid)!;
          killed.add(pid); // the tables are read side by side: each read of this pid waits for its end
          c.kill('SIGKILL');
          await exited(c);
        };
        return {
          ...addon,
          unixDiag: async (nsPath) => (await before(nsPath), addon.unixDiag(nsPath)),
          inetDiag: async (proto, family, nsPath) => (await before(nsPath), addon.inetDiag(proto, family, nsPath)),
        };
      };
      const snap = await takeSnapshot({ kinds: ['unix', 'tcp', 'udp'], nativeAddon: killing(1) });
      assert.deepEqual(snap.warnings.filter((w) => w.includes(`network namespace ${netnsInode(E)}`)), [], 'no sock_diag failure is reported');
      const alive = holders.filter((c) => c.exitCode === null && c.signalCode === null);
      assert.equal(alive.length, 1, 'two holders were killed on the way');
      // (its stdio are socketpairs too, made by node in our namespace)
      const pair = snap.channels.filter((c) => c.kind === 'unix' && c.netns === netnsInode(E) && c.endpoints.some((e) => e.pid === alive[0].pid));
      assert.equal(pair.length, 2, "the survivor's socketpair in E, read through its own /proc/PID/ns/net");
      // the last one goes too: E's tables are simply absent, without a warning
      const last = await takeSnapshot({ kinds: ['unix', 'tcp', 'udp'], nativeAddon: killing(0) });
      assert.deepEqual(last.warnings.filter((w) => /failed/.test(w)), []);
    } finally {
      for (const c of holders) c.kill('SIGKILL');
    }
  });
});
