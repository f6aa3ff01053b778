// Cross-namespace links on hand-made socket tables (the real ones are in
// test/integration/namespaces.test.ts and containers.test.ts): conntrack lines as the kernel
// prints them (IPv4, full-form IPv6, UDP without a state, hostile and cut lines), the uniqueness
// rules that keep ambiguous tuples unlinked, loopback never crossing namespaces, connected UDP
// pairs, docker-proxy's flags; and the port helpers (listeners, SIGTERM disposition).
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { InetChannel, ProcessInfo, Snapshot } from '../../src/core/model';
import { isNat, parseConntrack, parseConntrackLine } from '../../src/core/parsers/conntrack';
import type { ProbeContext } from '../../src/core/probes/context';
import { conntrackQuery, dockerProxyArgs, isLoopback, linkAcrossNamespaces, normAddrPort } from '../../src/core/probes/netLinks';
import { listenerPort, listenerProtocolText, listenersIn, othersOn, splitHostPort, termDisposition, udpLiteListenersIn } from '../../src/core/ports';

describe('conntrack lines', () => {
  test('a DNAT entry of a published port (IPv4, TCP)', () => {
    const e = parseConntrackLine('ipv4     2 tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=34666 dport=18555 src=198.51.100.3 dst=198.51.100.1 sport=8080 dport=34666 [ASSURED] mark=0 zone=0 use=2');
    assert.deepEqual(e, {
      family: 4,
      proto: 'tcp',
      state: 'ESTABLISHED',
      orig: { src: '127.0.0.1', dst: '127.0.0.1', sport: 34666, dport: 18555 },
      reply: { src: '198.51.100.3', dst: '198.51.100.1', sport: 8080, dport: 34666 },
    });
    assert.equal(isNat(e!), true);
  });
  test('an untranslated flow is no NAT; UDP has no state word; [UNREPLIED] is skipped', () => {
    const e = parseConntrackLine('ipv4     2 udp      17 28 src=10.0.0.1 dst=10.0.0.2 sport=5353 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5353 mark=0 use=1');
    assert.equal(e?.state, null);
    assert.equal(isNat(e!), false);
  });
  test('IPv6 in the kernel’s full form becomes the snapshot’s text', () => {
    const e = parseConntrackLine(
      'ipv6     10 tcp      6 299 ESTABLISHED src=0000:0000:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0010 sport=40000 dport=80 src=fd00:0000:0000:0000:0000:0000:0000:0002 dst=2001:0db8:0000:0000:0000:0000:0000:0001 sport=8080 dport=40000 [ASSURED] mark=0 zone=0 use=2',
    );
    assert.equal(e?.orig.src, '::1');
    assert.equal(e?.orig.dst, '2001:db8::10');
    assert.equal(e?.reply.src, 'fd00::2');
  });
  test('other protocols, cut and hostile lines are skipped', () => {
    const text = [
      'ipv4     2 icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=1 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=1 mark=0 use=1',
      'ipv4     2 tcp      6 10 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1',
      'ipv4 2 tcp 6 1 ESTABLISHED src=999.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1',
      'ipv4 2 tcp 6 1 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=70000 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1',
      '<script>',
      '',
    ].join('\n');
    assert.deepEqual(parseConntrack(text), []);
  });
});

function ch(id: string, kind: 'tcp' | 'udp', netns: string, local: string, remote: string, state = 'ESTAB', pid = 0): InetChannel {
  return { id, kind, endpoints: pid ? [{ pid, fd: 3, mode: 'rw' }] : [], family: local.startsWith('[') ? 6 : 4, local, remote, state, recvQueue: 0, sendQueue: 0, inode: Number(id.split(':')[1]) || 0, netns, uid: 0 };
}
function ctx(channels: InetChannel[], processes: ProcessInfo[] = []): ProbeContext {
  return {
    procRoot: '/nonexistent-proc',
    out: new Map([
      ['tcp', channels.filter((c) => c.kind === 'tcp')],
      ['udp', channels.filter((c) => c.kind === 'udp')],
    ]),
    processes: new Map(processes.map((p) => [p.pid, p])),
    kinds: new Set(['tcp', 'udp']),
  } as unknown as ProbeContext;
}

describe('conntrack lookups', () => {
  const end = (kind: 'tcp' | 'udp', local: string, remote: string) => ({ kind, local, remote }) as InetChannel;
  test('a socket end becomes the tuple the kernel hashes: IPv4, IPv6 without brackets, a dual-stack end as IPv4', () => {
    assert.deepEqual(conntrackQuery(end('tcp', '10.0.0.1:40000', '10.0.0.2:80')), { family: 4, proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80 });
    assert.deepEqual(conntrackQuery(end('tcp', '[fd00::2]:8080', '[2001:db8::1]:40000')), { family: 6, proto: 'tcp', src: 'fd00::2', dst: '2001:db8::1', sport: 8080, dport: 40000 });
    // the kernel tracks a v4 flow on a dual-stack socket as IPv4
    assert.deepEqual(conntrackQuery(end('tcp', '[::ffff:127.0.0.1]:8080', '[::ffff:127.0.0.1]:51000')), { family: 4, proto: 'tcp', src: '127.0.0.1', dst: '127.0.0.1', sport: 8080, dport: 51000 });
    assert.equal(conntrackQuery(end('udp', '10.0.0.1:53', '10.0.0.2:5353'))?.proto, 'udp');
  });
  test('text that is no address:port of one family gives no lookup', () => {
    assert.equal(conntrackQuery(end('tcp', '10.0.0.1:40000', '[fd00::1]:80')), null);
    assert.equal(conntrackQuery(end('tcp', '10.0.0.1:x', '10.0.0.2:80')), null);
    assert.equal(conntrackQuery(end('tcp', '10.0.0.1:70000', '10.0.0.2:80')), null);
  });
});

describe('links across namespaces', () => {
  test('the swapped pair in exactly one other namespace: linked both ways with each netns', async () => {
    const a = ch('tcp:1', 'tcp', 'A', '192.0.2.1:40000', '192.0.2.2:80');
    const b = ch('tcp:2', 'tcp', 'B', '192.0.2.2:80', '192.0.2.1:40000');
    await linkAcrossNamespaces(ctx([a, b]), []);
    assert.deepEqual([a.peer, a.peerNetns, a.peerMatch], ['tcp:2', 'B', 'tuple-netns']);
    assert.deepEqual([b.peer, b.peerNetns, b.peerMatch], ['tcp:1', 'A', 'tuple-netns']);
  });
  test('the same tuple in two other namespaces: ambiguous, nothing linked', async () => {
    const a = ch('tcp:1', 'tcp', 'A', '192.0.2.1:40000', '192.0.2.2:80');
    const b = ch('tcp:2', 'tcp', 'B', '192.0.2.2:80', '192.0.2.1:40000');
    const d = ch('tcp:3', 'tcp', 'D', '192.0.2.2:80', '192.0.2.1:40000');
    await linkAcrossNamespaces(ctx([a, b, d]), []);
    assert.deepEqual([a.peer, b.peer, d.peer], [undefined, undefined, undefined]);
  });
  test('a match whose own swapped pair is ambiguous is not linked either', async () => {
    // b's partner could be a or c (same tuple in A and C): no link for anyone
    const a = ch('tcp:1', 'tcp', 'A', '192.0.2.1:40000', '192.0.2.2:80');
    const c = ch('tcp:4', 'tcp', 'C', '192.0.2.1:40000', '192.0.2.2:80');
    const b = ch('tcp:2', 'tcp', 'B', '192.0.2.2:80', '192.0.2.1:40000');
    await linkAcrossNamespaces(ctx([a, b, c]), []);
    assert.deepEqual([a.peer, b.peer, c.peer], [undefined, undefined, undefined]);
  });
  test('loopback never crosses namespaces (each has its own 127.0.0.1 and ::1)', async () => {
    const a = ch('tcp:1', 'tcp', 'A', '127.0.0.1:40000', '127.0.0.1:80');
    const b = ch('tcp:2', 'tcp', 'B', '127.0.0.1:80', '127.0.0.1:40000');
    const c = ch('tcp:3', 'tcp', 'A', '[::1]:40001', '[::1]:81');
    const d = ch('tcp:4', 'tcp', 'B', '[::1]:81', '[::1]:40001');
    await linkAcrossNamespaces(ctx([a, b, c, d]), []);
    assert.deepEqual([a.peer, b.peer, c.peer, d.peer], [undefined, undefined, undefined, undefined]);
  });
  test('a dual-stack end ([::ffff:a.b.c.d]) matches its IPv4 partner', async () => {
    const a = ch('tcp:1', 'tcp', 'A', '192.0.2.1:40000', '192.0.2.2:80');
    const b = ch('tcp:2', 'tcp', 'B', '[::ffff:192.0.2.2]:80', '[::ffff:192.0.2.1]:40000');
    await linkAcrossNamespaces(ctx([a, b]), []);
    assert.equal(a.peer, 'tcp:2');
    assert.equal(normAddrPort('[::ffff:10.1.2.3]:5'), '10.1.2.3:5');
    assert.equal(normAddrPort('[::1]:5'), '[::1]:5');
    assert.equal(isLoopback('[::ffff:127.0.0.1]:5'), true);
  });
  test('listeners, unconnected UDP and already paired sockets are left alone; connected UDP pairs are linked', async () => {
    const lis = ch('tcp:1', 'tcp', 'A', '0.0.0.0:80', '0.0.0.0:*', 'LISTEN');
    const u1 = ch('udp:2', 'udp', 'A', '0.0.0.0:53', '0.0.0.0:*', 'UNCONN');
    const p1 = ch('udp:3', 'udp', 'A', '127.0.0.1:5000', '127.0.0.1:5001');
    const p2 = ch('udp:4', 'udp', 'A', '127.0.0.1:5001', '127.0.0.1:5000');
    const paired = { ...ch('tcp:5', 'tcp', 'A', '192.0.2.1:1', '192.0.2.2:2'), peer: 'tcp:9' };
    const other = ch('tcp:6', 'tcp', 'B', '192.0.2.2:2', '192.0.2.1:1');
    await linkAcrossNamespaces(ctx([lis, u1, p1, p2, paired, other]), []);
    assert.deepEqual([lis.peer, u1.peer], [undefined, undefined]);
    assert.deepEqual([p1.peer, p1.peerMatch, p1.peerNetns, p2.peer], ['udp:4', undefined, undefined, 'udp:3']);
    assert.equal(other.peer, undefined, 'its partner is already paired');
    assert.equal(paired.peer, 'tcp:9');
  });
  test('docker-proxy: one accepted and one outbound connection are relayed; two of each are not guessed', async () => {
    const proc = { pid: 50, comm: 'docker-proxy', cmdline: ['/usr/bin/docker-proxy', '-proto', 'tcp', '-host-ip', '0.0.0.0', '-host-port', '8080', '-container-ip', '172.17.0.2', '-container-port', '80', '-use-listen-fd'] } as ProcessInfo;
    const lis = ch('tcp:1', 'tcp', 'H', '0.0.0.0:8080', '0.0.0.0:*', 'LISTEN', 50);
    const inb = ch('tcp:2', 'tcp', 'H', '127.0.0.1:8080', '127.0.0.1:40000', 'ESTAB', 50);
    const out = ch('tcp:3', 'tcp', 'H', '172.17.0.1:33333', '172.17.0.2:80', 'ESTAB', 50);
    await linkAcrossNamespaces(ctx([lis, inb, out], [proc]), []);
    assert.deepEqual([inb.relay, out.relay, lis.relay], ['tcp:3', 'tcp:2', undefined]);
    const inb2 = ch('tcp:4', 'tcp', 'H', '127.0.0.1:8080', '127.0.0.1:40001', 'ESTAB', 50);
    const out2 = ch('tcp:5', 'tcp', 'H', '172.17.0.1:33334', '172.17.0.2:80', 'ESTAB', 50);
    const fresh = [ch('tcp:2', 'tcp', 'H', '127.0.0.1:8080', '127.0.0.1:40000', 'ESTAB', 50), ch('tcp:3', 'tcp', 'H', '172.17.0.1:33333', '172.17.0.2:80', 'ESTAB', 50), inb2, out2];
    await linkAcrossNamespaces(ctx(fresh, [proc]), []);
    assert.ok(fresh.every((c) => c.relay === undefined), 'which accepted socket feeds which outbound one is not in the kernel data');
    // a process merely NAMED like a proxy but without its flags is no proxy
    const fake = { pid: 51, comm: 'docker-proxy', cmdline: ['docker-proxy'] } as ProcessInfo;
    const f1 = ch('tcp:7', 'tcp', 'H', '127.0.0.1:8081', '127.0.0.1:40002', 'ESTAB', 51);
    await linkAcrossNamespaces(ctx([f1], [fake]), []);
    assert.equal(f1.relay, undefined);
  });
  test('docker-proxy flags: both spellings, bad values refused', () => {
    assert.deepEqual(dockerProxyArgs(['docker-proxy', '--proto=tcp', '--host-port=80', '--container-ip=::1', '--container-port=8080']), { proto: 'tcp', hostIp: null, hostPort: 80, containerIp: '::1', containerPort: 8080 });
    assert.equal(dockerProxyArgs(['docker-proxy', '-host-port', '0', '-container-ip', 'x', '-container-port', '1']), null);
    assert.equal(dockerProxyArgs(['docker-proxy', '-host-port', '80', '-container-port', '99999', '-container-ip', 'x']), null);
  });
});

describe('port helpers', () => {
  test('splitHostPort', () => {
    assert.deepEqual(splitHostPort('0.0.0.0:3000'), { address: '0.0.0.0', port: 3000 });
    assert.deepEqual(splitHostPort('[::]:3000'), { address: '::', port: 3000 });
    assert.deepEqual(splitHostPort('[::ffff:127.0.0.1]:80'), { address: '::ffff:127.0.0.1', port: 80 });
    assert.equal(splitHostPort('0.0.0.0:*'), null);
    assert.equal(splitHostPort('nonsense'), null);
  });
  test('SIGTERM disposition: ignored wins over caught; blocked is reported beside', () => {
    const sig = (over: Partial<ProcessInfo['signals']>, who: Pick<ProcessInfo, 'pid' | 'nsPid'> = { pid: 4242, nsPid: [4242] }) => ({ ...who, signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null, ...over } });
    assert.deepEqual(termDisposition(sig({})), { disposition: 'default', blocked: false });
    assert.deepEqual(termDisposition(sig({ caught: ['SIGTERM'] })), { disposition: 'caught', blocked: false });
    assert.deepEqual(termDisposition(sig({ ignored: ['SIGTERM'], caught: ['SIGTERM'] })), { disposition: 'ignored', blocked: false });
    assert.deepEqual(termDisposition(sig({ blocked: ['SIGTERM'], caught: ['SIGINT'] })), { disposition: 'default', blocked: true });
  });
  test("SIGTERM to a pid namespace's init without a handler is dropped by the kernel (a container's PID 1 from the host; the own init)", () => {
    const sig = (over: Partial<ProcessInfo['signals']>, who: Pick<ProcessInfo, 'pid' | 'nsPid'>) => ({ ...who, signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null, ...over } });
    const container = { pid: 28037, nsPid: [28037, 1] };
    assert.deepEqual(termDisposition(sig({}, container)), { disposition: 'ignored', blocked: false, init: 'nested' });
    assert.deepEqual(termDisposition(sig({ caught: ['SIGTERM'] }, container)), { disposition: 'caught', blocked: false }, 'a handler: delivered');
    assert.deepEqual(termDisposition(sig({ blocked: ['SIGTERM'] }, container)), { disposition: 'default', blocked: true }, 'blocked: queued, not dropped');
    assert.deepEqual(termDisposition(sig({}, { pid: 1, nsPid: [1] })), { disposition: 'ignored', blocked: false, init: 'own' });
    assert.deepEqual(termDisposition(sig({}, { pid: 28040, nsPid: [28040, 7] })), { disposition: 'default', blocked: false }, 'not the init of its namespace');
    assert.deepEqual(termDisposition(sig({}, { pid: 1, nsPid: [] })), { disposition: 'ignored', blocked: false, init: 'own' }, 'NSpid unknown: pid 1 here');
  });
  test('listeners: TCP LISTEN and unconnected UDP sockets on the port, in every namespace, with their holders; a connected UDP socket is a flow, not a listener', () => {
    const proc = (pid: number): ProcessInfo =>
      ({ pid, ppid: 1, comm: 'srv', cmdline: ['srv'], uid: 0, user: 'root', startTime: 7, state: 'S', tracerPid: 0, signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: ['SIGTERM'], queued: null, queueLimit: null }, timers: [], threads: 1, cwd: null, exe: null, container: null, nsPid: [pid, 1], pidns: '9', netns: 'B' }) as ProcessInfo;
    const snap = {
      processes: [proc(10), proc(11)],
      channels: [
        ch('tcp:1', 'tcp', 'A', '0.0.0.0:3000', '0.0.0.0:*', 'LISTEN', 10),
        ch('tcp:2', 'tcp', 'B', '[::]:3000', '*:*', 'LISTEN', 11),
        ch('tcp:3', 'tcp', 'A', '127.0.0.1:3000', '127.0.0.1:5000', 'ESTAB', 10),
        ch('tcp:4', 'tcp', 'A', '0.0.0.0:30000', '0.0.0.0:*', 'LISTEN', 10),
        ch('udp:5', 'udp', 'A', '0.0.0.0:3000', '0.0.0.0:*', 'UNCONN', 11),
        // a client's connected UDP socket whose ephemeral port is 3000 (seen on a busy machine: Free Port stopped it)
        ch('udp:6', 'udp', 'A', '127.0.0.1:3000', '127.0.0.1:41000', 'ESTAB', 10),
      ],
    } as unknown as Snapshot;
    const l = listenersIn(snap, 3000);
    assert.deepEqual(l.map((x) => [x.channelId, x.protocol, x.address, x.netns]), [
      ['tcp:1', 'tcp', '0.0.0.0', 'A'],
      ['tcp:2', 'tcp', '::', 'B'],
      ['udp:5', 'udp', '0.0.0.0', 'A'],
    ]);
    assert.deepEqual(l[1].processes.map((p) => [p.pid, p.fds, p.nsPid, p.sigterm.disposition, p.provenance]), [[11, [3], [11, 1], 'caught', null]]);
    assert.deepEqual(listenersIn(snap, 3000, 'udp').map((x) => x.channelId), ['udp:5']);
    assert.deepEqual(othersOn(snap, 3000).map((c) => c.id), ['tcp:3', 'udp:6']);
  });
  test("UDP-Lite sockets on the port: UDP-Lite's port, not UDP's — never a listener nor another socket holding it, listed apart as udp (UDP-Lite)", () => {
    const proc = (pid: number): ProcessInfo =>
      ({ pid, ppid: 1, comm: 'lite', cmdline: ['lite'], uid: 0, user: 'root', startTime: 7, state: 'S', tracerPid: 0, signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null }, timers: [], threads: 1, cwd: null, exe: null, container: null, nsPid: [pid], pidns: '9', netns: 'A' }) as ProcessInfo;
    const lite = (c: InetChannel): InetChannel => ({ ...c, protocol: 'udplite' });
    const snap = {
      processes: [proc(10), proc(11)],
      channels: [
        lite(ch('udp:7', 'udp', 'A', '0.0.0.0:3000', '0.0.0.0:*', 'UNCONN', 10)),
        lite(ch('udp:8', 'udp', 'A', '[::]:3000', '*:*', 'UNCONN', 10)),
        lite(ch('udp:9', 'udp', 'A', '127.0.0.1:3000', '127.0.0.1:41000', 'ESTAB', 10)),
        ch('udp:5', 'udp', 'A', '127.0.0.1:3000', '0.0.0.0:*', 'UNCONN', 11),
      ],
    } as unknown as Snapshot;
    assert.deepEqual(listenersIn(snap, 3000).map((x) => x.channelId), ['udp:5'], 'the plain UDP socket alone');
    assert.deepEqual(listenersIn(snap, 3000, 'udp').map((x) => x.channelId), ['udp:5']);
    assert.deepEqual(othersOn(snap, 3000).map((c) => c.id), [], 'a connected UDP-Lite socket fails no UDP bind either');
    const l = udpLiteListenersIn(snap, 3000);
    assert.deepEqual(l.map((x) => [x.channelId, x.udplite, listenerProtocolText(x), x.processes.map((p) => p.pid)]), [
      ['udp:7', true, 'udp (UDP-Lite)', [10]],
      ['udp:8', true, 'udp6 (UDP-Lite)', [10]],
    ]);
    assert.deepEqual(udpLiteListenersIn(snap, 3000, 'tcp'), []);
    assert.equal(listenersIn(snap, 3000)[0].udplite, undefined);
    assert.equal(listenerPort(snap.channels[0]), undefined, 'no Free Port on its node: it would free nothing');
    assert.equal(listenerPort(snap.channels[3]), 3000);
  });
});
