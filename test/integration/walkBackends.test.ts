// The two fd-walk backends on the same real objects: the BPF task_file iterator (bpf-iter) and the
// native /proc walk (proc) must give identical channels and endpoints — ids, pids, fds, modes,
// peers, queue sizes — and identical walk rows (fdinfo lines of eventfds and signalfds included)
// with the default kinds' rules, on the fixtures of every kind, while processes
// start and exit during the walk (churn), and on real services installed from Debian, started
// here as private instances (PostgreSQL, nginx, Redis; MariaDB, HAProxy, Apache, PHP-FPM; sshd,
// D-Bus, memcached, rsyslog; Squid with two workers), with lsof and ss as oracles too. The one difference is by design and tested
// as such: the iterator reads a pipe's bytes from the kernel, so it also measures pipes whose read
// end no process holds, where the /proc walk (which only ever opens a read end that exists) says
// null. Where BPF cannot run — an unprivileged user, no kernel BTF — the snapshot takes the /proc
// walk, says why in capabilities.walk, and finds the same channels.
//
//   node scripts/build.mjs test/integration cli && node --test --test-concurrency=1 dist/test/integration/walkBackends.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAll, fixtureArgs, fixtureBinary, makeFixture, type Fixture, type FixtureKind, type FixtureOptions } from '../../fixtures/ipcFixture';
import { allowPingSockets } from '../../fixtures/pingGroupRange';
import { freeTcpPort } from '../../fixtures/netServer';
import { CHANNEL_KINDS, type Channel, type Endpoint, type ProcessInfo, type Snapshot, type WalkCapability } from '../../src/core/model';
import { isEveryMapsRule, walkRulesFor } from '../../src/core/kinds';
import { filterMaps } from '../../src/core/parsers/procPid';
import { FIFO_FDS, MEMFD_FDS, PIPE_FDS } from '../../src/core/kinds/fds';
import type { FdRule } from '../../src/core/kinds/kind';
import { EVENTFD_FDS } from '../../src/core/kinds/eventfd';
import { signalfd as SIGNALFD } from '../../src/core/kinds/signalfd';
import { applyBpfClasses, bpfAnonNameMax, bpfMemfd, bpfRuleOptions, ONE_SHOT_BPF_MIN_FILES, openFdsOnMachine } from '../../src/core/walkBackend';

import { loadBpf, loadNative, MODE_KERNEL_ENDS, MODE_NO_READER, MODE_NO_WRITER, type ProcWalk } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { lineReader } from './childLines';
import { mapsPassRefused } from './bpfMapsPass';
import { fdLinks } from '../procFds';
import { parseProcNetInet, TCP_LISTEN } from '../../src/core/parsers/net';
import { ssInet, ssUnix } from './ssRows';

/** The BPF walk ran, with no reason given; its maps pass off only where this kernel refuses it (bpfMapsPass.ts). */
function assertBpfRan(w: WalkCapability | undefined, message?: string): void {
  const { mapsPassOff, ...rest } = w ?? { backend: undefined };
  assert.deepEqual(rest, { backend: 'bpf-iter' }, message);
  assert.ok(mapsPassOff === undefined || mapsPassRefused(mapsPassOff), `maps pass off: ${mapsPassOff}`);
}

const isRoot = process.geteuid?.() === 0;
const native = loadNative();
const bpf = loadBpf();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-walks-'));
fs.chmodSync(tmp, 0o755);
const tag = `ipcwb${process.pid}`;
const cli = path.resolve(__dirname, '..', '..', 'cli.js');

/** Why the BPF backend cannot be compared here (false = it can). */
let bpfSkip: string | false = !native.addon ? `no native addon: ${native.error}` : !bpf.addon ? `no BPF addon: ${bpf.error}` : !isRoot ? 'needs root (CAP_BPF+CAP_PERFMON)' : false;

before(async () => {
  if (bpfSkip || !bpf.addon) return;
  const probe = await bpf.addon.bpfProbe();
  if (!probe.ok) bpfSkip = `the BPF walk cannot run here: ${probe.reason}`;
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// ------------------------------------------------------------------ comparison helpers

const epKey = (e: Endpoint) => `${e.pid}/${e.fd ?? ''}/${e.map ?? ''}/${e.mode}`;

/** A channel as compared: every fact, endpoints restricted to `pids` and sorted. */
function norm(ch: Channel, pids: ReadonlySet<number>): unknown {
  return { ...ch, endpoints: ch.endpoints.filter((e) => pids.has(e.pid)).map(epKey).sort() };
}

/** Channels with an endpoint in `pids` (plus the SysV objects `ids` names), by id. */
function touching(s: Snapshot, pids: ReadonlySet<number>, ids: ReadonlySet<string> = new Set()): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const ch of s.channels) if (ids.has(ch.id) || ch.endpoints.some((e) => pids.has(e.pid))) out.set(ch.id, norm(ch, pids));
  return out;
}

/**
 * `a` from any backend, `b` from any backend: the same channels with the same facts. The one
 * designed difference: a pipe or FIFO the /proc walk could not measure because none of the ends
 * it sees is a read end (it never opens one that does not exist) is null there, while the BPF
 * walk reads the kernel's count; then `a` must have a number and the rest must agree.
 */
function assertSameChannels(a: Snapshot, b: Snapshot, pids: ReadonlySet<number>, what: string, ids?: ReadonlySet<string>): void {
  const ca = touching(a, pids, ids);
  const cb = touching(b, pids, ids);
  assert.deepEqual([...ca.keys()].sort(), [...cb.keys()].sort(), `${what}: the same channel ids`);
  const full = new Map(b.channels.map((c) => [c.id, c]));
  for (const [id, x] of ca) {
    let ch = x as Record<string, unknown>;
    const other = full.get(id)!;
    // the kernel's count of a pipe's open ends: read by the BPF walk alone
    if (ch.kind === 'pipe' || ch.kind === 'fifo') {
      const { readEndOpen, writeEndOpen, ...rest } = ch;
      if (a.capabilities.walk?.backend === 'bpf-iter' && ch.bufferedBytes !== null) {
        assert.equal(typeof readEndOpen, 'boolean', `${what}: ${id} read end counted by the BPF walk`);
        assert.equal(typeof writeEndOpen, 'boolean', `${what}: ${id} write end counted by the BPF walk`);
      }
      assert.ok(!('readEndOpen' in other) && !('writeEndOpen' in other), `${what}: ${id}: the /proc walk cannot count open ends`);
      ch = rest;
    }
    const unread = (other.kind === 'pipe' || other.kind === 'fifo') && other.bufferedBytes === null && !other.endpoints.some((e) => e.fd !== undefined && e.mode !== 'w');
    if (unread && ch.bufferedBytes !== null) {
      assert.equal(typeof ch.bufferedBytes, 'number', `${what}: ${id} measured by the BPF walk`);
      // as the /proc walk gives it: null, and why (no read end to measure it through)
      ch = { ...ch, bufferedBytes: null, capacity: null, errors: other.errors };
      assert.ok(other.errors?.every((e) => e.code === 'ENXIO'), `${what}: ${id} says why it is null: ${JSON.stringify(other.errors)}`);
    }
    assert.deepEqual(ch, cb.get(id), `${what}: channel ${id}`);
  }
}

/** A process's comm and state now, for a failure message. */
function readComm(pid: number): string {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'))} ${st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3)}`;
  } catch {
    return 'gone';
  }
}

function assertSameProcesses(a: Snapshot, b: Snapshot, pids: Iterable<number>, what: string): void {
  const by = (s: Snapshot) => new Map(s.processes.map((p) => [p.pid, p]));
  const pa = by(a);
  const pb = by(b);
  for (const pid of pids) {
    const x = pa.get(pid);
    const y = pb.get(pid);
    assert.ok(x && y, `${what}: process ${pid} in both snapshots (${x ? 'in' : 'not in'} the first, ${y ? 'in' : 'not in'} the second; ${readComm(pid)})`);
    // SigQ's count is of signals queued for the real uid machine-wide (every root process): it may
    // move between the two walks; both must read it, and the limit is the process's own.
    assert.equal(typeof x.signals.queued, typeof y.signals.queued, `${what}: process ${pid} SigQ read by both`);
    const steady = (p: ProcessInfo) => ({ ...p, signals: { ...p.signals, queued: null } });
    assert.deepEqual(steady(x), steady(y), `${what}: process ${pid}`);
  }
}

type Row = string;
/** Walk rows of `pids` as comparable text: pid fd kind mode inode dev path buffered capacity fdinfo-lines. */
const KERNEL_ENDS = MODE_KERNEL_ENDS | MODE_NO_READER | MODE_NO_WRITER;

function rows(w: ProcWalk, pids: ReadonlySet<number>): Row[] {
  const f = w.fds;
  const out: Row[] = [];
  for (let i = 0; i < f.pid.length; i++) {
    if (!pids.has(f.pid[i])) continue;
    const p = f.pathIndex[i] >= 0 ? JSON.stringify(w.paths[f.pathIndex[i]]) : '-';
    const info = f.infoIndex[i] >= 0 ? JSON.stringify(w.infos[f.infoIndex[i]]) : '-';
    // the kernel's open ends of a pipe are the BPF walk's alone (the /proc walk cannot know them): compared apart
    out.push([f.pid[i], f.fd[i], f.kind[i], f.mode[i] & ~KERNEL_ENDS, f.inode[i], f.dev[i], p, f.buffered[i], f.capacity[i], info].join(' '));
  }
  return out.sort();
}

/**
 * Rows of a BPF walk `b` and a /proc walk `p` for comparison, with the one designed difference
 * taken out: a pipe or FIFO no process holds a read end of (in `p`, whole machine) is measured by
 * the iterator and not by the /proc walk (which never opens a read end that does not exist); there
 * the BPF row must have a number, and is compared without it.
 */
function rowsAlike(b: ProcWalk, p: ProcWalk, pids: ReadonlySet<number>): [Row[], Row[]] {
  const measured = new Set([PIPE_FDS.rule.code, FIFO_FDS.rule.code]);
  const readable = new Set<string>();
  for (let i = 0; i < p.fds.pid.length; i++) if (measured.has(p.fds.kind[i]) && p.fds.mode[i] & 1) readable.add(`${p.fds.dev[i]}:${p.fds.inode[i]}`);
  const f = b.fds;
  const capacity = Float64Array.from(f.capacity);
  const buffered = Float64Array.from(f.buffered);
  for (let i = 0; i < f.pid.length; i++) {
    if (!pids.has(f.pid[i]) || !measured.has(f.kind[i]) || readable.has(`${f.dev[i]}:${f.inode[i]}`)) continue;
    assert.ok(f.capacity[i] > 0, `pipe ${f.inode[i]} without a read end measured by the BPF walk`);
    capacity[i] = -1;
    buffered[i] = -1;
  }
  return [rows({ ...b, fds: { ...f, capacity, buffered } }, pids), rows(p, pids)];
}

/** Every pid below `roots` (inclusive), read from /proc now. */
function tree(roots: number[]): Set<number> {
  const kids = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const st = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      const l = kids.get(ppid);
      if (l) l.push(Number(name));
      else kids.set(ppid, [Number(name)]);
    } catch {
      /* gone */
    }
  }
  const out = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const p = stack.pop()!;
    if (out.has(p)) continue;
    out.add(p);
    stack.push(...(kids.get(p) ?? []));
  }
  return out;
}

/** Snapshot-level consistency while processes come and go: endpoints name listed processes, no fd twice. */
function assertConsistent(s: Snapshot, what: string): void {
  const procs = new Set(s.processes.map((p) => p.pid));
  const seen = new Set<string>();
  for (const ch of s.channels) {
    for (const e of ch.endpoints) {
      assert.ok(procs.has(e.pid), `${what}: ${ch.id} names process ${e.pid}, which the snapshot does not list`);
      if (e.fd === undefined) continue;
      const k = `${e.pid}/${e.fd}`;
      assert.ok(!seen.has(k), `${what}: fd ${k} is an endpoint of two channels`);
      seen.add(k);
    }
  }
  assert.deepEqual(s.warnings.filter((w) => /failed/.test(w)), [], `${what}: no walk failed`);
}

// ------------------------------------------------------------------ fixtures of every kind

/** MPTCP sockets can be made here (net.mptcp.enabled). */
function mptcpEnabled(): boolean {
  try {
    return fs.readFileSync('/proc/sys/net/mptcp/enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

const SPECS: Record<string, [FixtureKind | 'zombie', FixtureOptions]> = {
  pipe: ['pipe', { bytes: 100 }],
  // 200,000 bytes in a 1 MiB pipe: 49 occupied pages, summed slot by slot by the iterator
  bigPipe: ['pipe', { bytes: 200_000, capacity: 1 << 20 }],
  fifo: ['fifo', { path: path.join(tmp, `fifo with space\nand newline`), bytes: 10 }],
  socketpair: ['socketpair', { bytes: 7 }],
  socketpairDgram: ['socketpair', { type: 'dgram', bytes: 9 }],
  unixPath: ['unix-stream', { path: path.join(tmp, 's p.sock'), bytes: 11 }],
  unixAbstract: ['unix-seqpacket', { abstract: `${tag} abstract`, bytes: 13 }],
  unixDgram: ['unix-dgram', { path: path.join(tmp, 'dgram.sock'), bytes: 5, datagrams: 2 }],
  tcp4: ['tcp4', { bytes: 1000 }],
  tcp6: ['tcp6', { bytes: 600 }],
  udp4: ['udp4', { bytes: 20, datagrams: 2 }],
  udp6: ['udp6', { bytes: 30, datagrams: 3 }],
  // Multipath TCP (one TCP channel each, its subflow under it) and UDP-Lite, where the kernel has them
  ...(mptcpEnabled() ? { mptcp4: ['mptcp4', { bytes: 900 }], mptcp6: ['mptcp6', { bytes: 500 }] } : {}),
  ...(fs.existsSync('/proc/net/udplite') ? { udplite4: ['udplite4', { bytes: 24, datagrams: 2 }], udplite6: ['udplite6', { bytes: 12, datagrams: 1 }] } : {}),
  sysvMsg: ['sysv-msg', { msgs: [{ type: 1, text: 'hello' }] }],
  sysvShm: ['sysv-shm', { size: 8192, attach: 2 }],
  sysvSem: ['sysv-sem', { values: [0, 2], waitIncrease: 0 }],
  posixMq: ['posix-mq', { name: `${tag} mq`, msgs: [{ priority: 1, text: 'one' }] }],
  posixShm: ['posix-shm', { name: `${tag} shm`, size: 8192 }],
  posixSem: ['posix-sem', { name: `${tag} sem`, value: 3 }],
  fileShm: ['file-shm', { path: path.join(tmp, 'wal index-shm'), size: 32768 }],
  // held through fds (the fixture's rw, a child's read-only) and mapped by another child; and by fds alone
  memfd: ['memfd', { name: `${tag} ring (deleted)\nline 2`, size: 12288 }],
  memfdFds: ['memfd', { name: `${tag} fds only`, map: 0 }],
  signals: ['signals', { record: path.join(tmp, 'signals.log') }],
  timer: ['timer', { count: 2 }],
  eventfd: ['eventfd', { count: 5 }],
  eventfdSem: ['eventfd', { count: 2, semaphore: 1 }],
  signalfd: ['signalfd', {}],
  // a zombie has no namespaces: neither walk calls its ns/net link's ENOENT an error (an audit found the /proc walk did)
  zombie: ['zombie', {}],
  // raw IP and packet sockets with datagrams and frames queued (on a loopback address and an
  // ethertype of this run's own, so that no other run adds to the queues between the two walks),
  // and an ETH_P_ALL socket whose filter drops every frame (its queue stays empty)
  rawIp4: ['raw', { family: '4', protocol: 253, addr: `127.${(process.pid >> 16) & 255}.${(process.pid >> 8) & 255}.${(process.pid & 255) || 1}`, datagrams: 2 }],
  rawIp6: ['raw', { family: '6', protocol: 253 }],
  packetDgram: ['packet', { type: 'dgram', protocol: 0xa000 + (process.pid & 0xfff), iface: 'lo', frames: 3 }],
  packetAll: ['packet', { type: 'raw', protocol: 3, drop: 1 }],
  // ICMP ping sockets (net.ipv4.ping_group_range opened for the run): bound with replies queued,
  // connected, and never bound (in no /proc/net/icmp table: found from its fd)
  ping4: ['ping', { family: '4', echoes: 2 }],
  ping6: ['ping', { family: '6', echoes: 1, connect: 1 }],
  pingUnbound: ['ping', { family: '6' }],
  // netlink sockets: a route listener with a kernel answer queued, a uevent listener, generic
  // netlink, a USERSOCK pair with a message queued (each found by its socket inode in both walks)
  netlink: ['netlink', { messages: 1 }],
};

describe('bpf-iter and proc walks on the fixtures', { skip: bpfSkip }, () => {
  const fx: Record<string, Fixture> = {};
  let pids: Set<number>;
  let sysvIds: Set<string>;
  let viaBpf: Snapshot;
  let viaProc: Snapshot;
  /** A pipe with 37 bytes buffered whose only read end was closed: held by write ends alone. */
  let orphan: ChildProcess;
  let orphanPid = 0;
  let orphanFd = -1;

  let restorePingRange: (() => void) | undefined;

  before(async () => {
    if (bpfSkip) return;
    restorePingRange = allowPingSockets();
    const made = await Promise.allSettled(Object.entries(SPECS).map(async ([name, [kind, opts]]) => (fx[name] = await makeFixture(kind, opts))));
    const failed = made.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) throw new Error('fixtures failed: ' + failed.map((r) => r.reason?.message).join('; '));
    orphan = spawn('/usr/bin/python3', ['-c', 'import os,sys,time\nr,w=os.pipe()\nos.write(w,b"x"*37)\nos.close(r)\nprint(w,flush=True)\ntime.sleep(600)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    orphanPid = orphan.pid!;
    orphanFd = await new Promise<number>((resolve) => orphan.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    // not this process: its own sockets (the test runner's channel) carry traffic between two snapshots
    pids = new Set([...Object.values(fx).flatMap((f) => f.pids), orphanPid, fx.zombie.info.zombie as number]);
    sysvIds = new Set([`sysv-msg:${fx.sysvMsg.info.msqid}`, `sysv-shm:${fx.sysvShm.info.shmid}`, `sysv-sem:${fx.sysvSem.info.semid}`]);
    viaBpf = await takeSnapshot({ walk: 'bpf-iter', processes: 'all' });
    viaProc = await takeSnapshot({ walk: 'proc', processes: 'all' });
  });

  after(async () => {
    orphan?.kill('SIGKILL');
    await closeAll(Object.values(fx));
    restorePingRange?.();
  });

  test('capabilities.walk says which backend ran and why the other did not', () => {
    assertBpfRan(viaBpf.capabilities.walk);
    assert.equal(viaProc.capabilities.walk?.backend, 'proc');
    assert.match(viaProc.capabilities.walk?.reason ?? '', /bpf-iter: not chosen/);
  });

  test('identical channels and endpoints: ids, pids, fds, modes, peers, queue sizes, paths', () => {
    // the orphaned pipe is the one designed difference (next test); compare everything else
    const others = new Set([...pids].filter((p) => p !== orphanPid));
    assertSameChannels(viaBpf, viaProc, others, 'fixtures', sysvIds);
    for (const [name, f] of Object.entries(fx)) {
      const ids = [...touching(viaBpf, new Set(f.pids)).keys()];
      assert.ok(ids.length > 0 || name.startsWith('sysv') || name === 'signals' || name === 'timer' || name === 'zombie', `${name}: found by the BPF walk`);
    }
  });

  test('eventfds with the default kinds: the same channels from both walks, identified and counted from fdinfo', () => {
    for (const [name, count, sem] of [['eventfd', 5, false], ['eventfdSem', 2, true]] as const) {
      const info = fx[name].info as { eventfdId: number; producer: { pid: number; fd: number }; consumer: { pid: number; fd: number } };
      const find = (s: Snapshot) => s.channels.find((c) => c.id === `eventfd:${info.eventfdId}`);
      const a = find(viaBpf);
      assert.ok(a && a.kind === 'eventfd', `${name}: found by the BPF walk`);
      assert.equal(a.count, count);
      assert.equal(a.semaphore, sem);
      assert.deepEqual(a.endpoints.map(epKey).sort(), [info.producer, info.consumer].map((e) => epKey({ pid: e.pid, fd: e.fd, mode: 'rw' })).sort());
      assert.deepEqual(a, find(viaProc), `${name}: identical to the /proc walk's`);
    }
  });

  test('raw IP and packet sockets: the same channels from both walks, each with its holder', () => {
    for (const name of ['rawIp4', 'rawIp6', 'packetDgram', 'packetAll'] as const) {
      const h = fx[name].info.holder as { pid: number; fd: number; inode: number };
      const id = `${name.startsWith('raw') ? 'raw' : 'packet'}:${h.inode}`;
      const a = viaBpf.channels.find((c) => c.id === id);
      assert.ok(a, `${name}: found by the BPF walk`);
      assert.deepEqual(a.endpoints, [{ pid: h.pid, fd: h.fd, mode: 'rw' }], `${name}: its holder`);
      assert.deepEqual(a, viaProc.channels.find((c) => c.id === id), `${name}: identical to the /proc walk's`);
    }
  });

  test('ICMP ping sockets: the same channels from both walks, each with its holder, bound or not', () => {
    for (const name of ['ping4', 'ping6', 'pingUnbound'] as const) {
      const h = fx[name].info.holder as { pid: number; fd: number; inode: number };
      const a = viaBpf.channels.find((c) => c.id === `ping:${h.inode}`);
      assert.ok(a && a.kind === 'ping', `${name}: found by the BPF walk`);
      assert.deepEqual(a.endpoints, [{ pid: h.pid, fd: h.fd, mode: 'rw' }], `${name}: its holder`);
      assert.equal(a.icmpId, fx[name].info.icmpId, `${name}: its identifier`);
      assert.deepEqual(a, viaProc.channels.find((c) => c.id === `ping:${h.inode}`), `${name}: identical to the /proc walk's`);
    }
  });

  test('netlink sockets: the same channels from both walks, each with its holder', () => {
    for (const name of ['route', 'uevent', 'genl', 'usersockA', 'usersockB']) {
      const h = fx.netlink.info[name] as { pid: number; fd: number; inode: number };
      const id = `netlink:${h.inode}`;
      const a = viaBpf.channels.find((c) => c.id === id);
      assert.ok(a, `${name}: found by the BPF walk`);
      assert.deepEqual(a.endpoints, [{ pid: h.pid, fd: h.fd, mode: 'rw' }], `${name}: its holder`);
      assert.deepEqual(a, viaProc.channels.find((c) => c.id === id), `${name}: identical to the /proc walk's`);
    }
  });

  test("a signalfd reader: the same signalfd signal set from both walks (SIGUSR1, SIGURG)", () => {
    const target = (fx.signalfd.info as { target: number }).target;
    const sets = [viaBpf, viaProc].map((s) => (s.processes.find((p) => p.pid === target) as ProcessInfo | undefined)?.signals.signalfd);
    assert.deepEqual(sets[0], ['SIGUSR1', 'SIGURG']);
    assert.deepEqual(sets[1], sets[0]);
  });

  test('memfds held through fds: the same channels from both walks, fd holders beside the mapper, fds alone a channel too', async () => {
    // asked about the fixtures' processes: their memfds are sized first, whatever other shared
    // memfds the machine has (a snapshot reads 64 sizes at most; a browser has hundreds)
    const pids = [...fx.memfd.pids, ...fx.memfdFds.pids];
    const [viaBpf, viaProc] = [await takeSnapshot({ walk: 'bpf-iter', kinds: ['anon-shm'], pids }), await takeSnapshot({ walk: 'proc', kinds: ['anon-shm'], pids })];
    for (const name of ['memfd', 'memfdFds'] as const) {
      const info = fx[name].info as { name: string; inode: number; holder: Endpoint; reader: Endpoint; mapper?: Endpoint };
      const find = (s: Snapshot) => s.channels.find((c) => c.kind === 'anon-shm' && c.inode === info.inode && c.endpoints.some((e) => e.pid === info.holder.pid));
      const a = find(viaBpf);
      assert.ok(a && a.kind === 'anon-shm', `${name}: found by the BPF walk`);
      // a mapped one is named as its maps line shows it (the kernel's \012 for a newline), one held by fds alone by the fd's link
      assert.equal(a.name, 'memfd:' + (info.mapper ? info.name.replace('\n', '\\012') : info.name));
      assert.deepEqual(a.endpoints.map(epKey).sort(), [info.holder, info.reader, ...(info.mapper ? [info.mapper] : [])].map(epKey).sort());
      // the file's size through a holder, mapped or not (the fds-only fixture's default 8192)
      assert.equal(a.size, info.mapper ? 12288 : 8192);
      assert.deepEqual(a, find(viaProc), `${name}: identical to the /proc walk's`);
    }
  });

  test('pipe bytes come from the kernel pipe state, slot by slot, without opening the pipe', () => {
    const big = viaBpf.channels.find((c) => c.id === `pipe:${fx.bigPipe.info.inode}`);
    assert.ok(big && big.kind === 'pipe');
    assert.equal(big.bufferedBytes, 200_000);
    assert.equal(big.capacity, 1 << 20);
    const fifo = viaBpf.channels.find((c) => c.kind === 'fifo' && c.inode === fx.fifo.info.inode);
    assert.ok(fifo && fifo.kind === 'fifo');
    assert.equal(fifo.bufferedBytes, 10);
    assert.equal(fifo.path, fx.fifo.info.path);
  });

  test('a pipe no process can read from: bpf-iter measures it, proc (which never opens a missing read end) says null', () => {
    const find = (s: Snapshot) => s.channels.find((c) => c.kind === 'pipe' && c.endpoints.some((e) => e.pid === orphanPid && e.fd === orphanFd));
    const a = find(viaBpf);
    const b = find(viaProc);
    assert.ok(a && a.kind === 'pipe' && b && b.kind === 'pipe');
    assert.equal(a.id, b.id);
    assert.deepEqual(a.endpoints, b.endpoints);
    assert.deepEqual(a.endpoints, [{ pid: orphanPid, fd: orphanFd, mode: 'w' }]);
    assert.equal(a.bufferedBytes, 37);
    assert.equal(a.capacity, 65536);
    assert.equal(a.errors, undefined);
    // the kernel counts its write end open and no read end anywhere; the /proc walk cannot say
    assert.deepEqual([a.readEndOpen, a.writeEndOpen], [false, true]);
    assert.deepEqual([b.readEndOpen, b.writeEndOpen], [undefined, undefined]);
    assert.equal(b.bufferedBytes, null);
    // the snapshot says why a value is null
    assert.deepEqual(b.errors, [
      { field: 'bufferedBytes', syscall: 'FIONREAD', code: 'ENXIO' },
      { field: 'capacity', syscall: 'F_GETPIPE_SZ', code: 'ENXIO' },
    ]);
  });

  test('identical processes: comm, cmdline, uid, signals, timers, cwd, exe', () => {
    assertSameProcesses(viaBpf, viaProc, pids, 'fixtures');
    const zombie = viaProc.processes.find((p) => p.pid === fx.zombie.info.zombie) as ProcessInfo;
    assert.equal(zombie?.state, 'Z', 'the zombie is listed as one');
    assert.equal(zombie.netns, null);
    const sig = viaBpf.processes.find((p) => p.pid === fx.signals.info.target) as ProcessInfo;
    assert.deepEqual(sig.signals.ignored.includes('SIGTERM'), true);
    assert.equal((viaBpf.processes.find((p) => p.pid === fx.timer.info.target) as ProcessInfo).timers.length, 2);
  });

  test('identical walk rows with the default kinds (pid, fd, kind, mode, inode, dev, path, bytes, capacity, fdinfo lines), measured pipes alike', async () => {
    const opts = { threads: 0, readMaps: true, readTimers: true, readLinks: true, readCgroup: true, measurePipes: true };
    const rules = walkRulesFor(CHANNEL_KINDS);
    const { options, codes } = bpfRuleOptions(rules.fdRules, bpfAnonNameMax(bpf.addon), bpfMemfd(bpf.addon));
    assert.ok(options.anonRules?.length, 'this build serves the anon-inode rules');
    assert.equal(bpfMemfd(bpf.addon), true, 'this build reports memfds');
    const [rawB, p] = await Promise.all([
      bpf.addon!.bpfWalk({ ...opts, ...options }),
      native.addon!.walkProc({ procRoot: '/proc', threads: 0, readTimers: true, readLinks: true, readCgroup: true, ...rules }),
    ]);
    // Every kind's maps rules: the BPF walk kept exactly their lines on its own (applyBpfClasses
    // does not filter them again), on every process of the machine
    assert.equal(isEveryMapsRule(rules.mapsRules), true);
    for (const x of rawB.processes) if (x?.maps) assert.equal(filterMaps(x.maps, rules.mapsRules), x.maps, `process ${x.pid}: maps lines the rules drop`);
    // the rows in the rules' codes (walkBackend.ts)
    const b = { ...applyBpfClasses(rawB, codes, { procRoot: '/proc', threads: 0, readTimers: true, readLinks: true, ...rules }), bpf: rawB.bpf };
    const others = new Set([...pids].filter((x) => x !== orphanPid));
    const [rb, rp] = rowsAlike(b, p, others);
    assert.deepEqual(rb, rp);
    assert.ok(rows(b, new Set(fx.eventfd.pids)).some((r) => r.split(' ')[2] === String(EVENTFD_FDS.rule.code) && r.includes('eventfd-id')), 'eventfd rows with their fdinfo lines');
    assert.ok(rows(b, new Set(fx.signalfd.pids)).some((r) => r.split(' ')[2] === String(SIGNALFD.fds.rule.code) && r.includes('sigmask')), 'signalfd rows with their fdinfo lines');
    assert.equal(rows(b, new Set(fx.memfd.pids)).filter((r) => r.split(' ')[2] === String(MEMFD_FDS.rule.code)).length, 2, 'memfd rows: the fixture\'s fd and the reader\'s');
    // eventfds' and signalfds' lines from the program's facts where this kernel prints them as
    // anonfacts.cc writes them (these machines do), each row then read from /proc by neither walk
    assert.ok((b.bpf.anonFacts ?? 0) >= 5 && b.bpf.fdinfo === 0, `fdinfo lines of the anon rows from the program (${b.bpf.anonFacts}), none read (${b.bpf.fdinfo})`);
    assert.ok(b.bpf.records >= rows(b, others).length);
    assert.equal(b.bpf.loadMs > 0, true);
    // the process rows: the same files read the same way, except what the task iterator gave
    // (stat, status and ns/net from the task; no timers file read for a process without timers)
    const byPid = (w: ProcWalk) => new Map(w.processes.map((x) => [x.pid, x]));
    const pb = byPid(b);
    const pp = byPid(p);
    for (const pid of others) {
      const x = pb.get(pid)!;
      const y = pp.get(pid)!;
      for (const k of ['cmdline', 'maps', 'netns', 'cwd', 'exe', 'cgroup', 'error', 'fdError'] as const) assert.equal(x[k], y[k], `process ${pid} ${k}`);
      assert.equal(x.timers ?? '', y.timers ?? '', `process ${pid} timers`);
      // (a zombie's task has exited: its stat and status are read from /proc, as the /proc walk reads them)
      if (pid === fx.zombie.info.zombie) assert.ok(x.stat !== undefined && x.status !== undefined, `zombie ${pid}: stat and status from /proc`);
      else assert.ok(x.task && x.stat === undefined && x.status === undefined, `process ${pid}: facts from the task iterator`);
    }
    assert.ok(b.bpf.taskRecords >= others.size);
    // the cgroup each walk read on its threads is the file (namespaces.ts takes it from there)
    const one = [...others][0];
    assert.equal(pb.get(one)!.cgroup, fs.readFileSync(`/proc/${one}/cgroup`, 'latin1'), 'bpf-iter: cgroup');
    assert.equal(pp.get(one)!.cgroup, fs.readFileSync(`/proc/${one}/cgroup`, 'latin1'), 'proc: cgroup');
  });

  test('anonFacts: false reads the eventfds\' and signalfds\' fdinfo lines from /proc instead: the same rows as from the program\'s facts', async () => {
    const opts = { threads: 0, readMaps: true, readTimers: true, readLinks: true, readCgroup: true, measurePipes: true };
    const rules = walkRulesFor(CHANNEL_KINDS);
    const { options, codes } = bpfRuleOptions(rules.fdRules, bpfAnonNameMax(bpf.addon), bpfMemfd(bpf.addon));
    const o = { procRoot: '/proc', threads: 0, readTimers: true, readLinks: true, ...rules };
    const anon = new Set([...fx.eventfd.pids, ...fx.eventfdSem.pids, ...fx.signalfd.pids]);
    const [facts, read] = await Promise.all([bpf.addon!.bpfWalk({ ...opts, ...options }), bpf.addon!.bpfWalk({ ...opts, ...options, anonFacts: false })]);
    assert.ok((read.bpf.fdinfo ?? 0) >= 5 && (read.bpf.anonFacts ?? 0) === 0, `read from /proc (${read.bpf.fdinfo}), none from facts (${read.bpf.anonFacts})`);
    const kinds = new Set([String(EVENTFD_FDS.rule.code), String(SIGNALFD.fds.rule.code)]);
    const anonRows = (w: ProcWalk) => rows(applyBpfClasses(w, codes, o), anon).filter((r) => kinds.has(r.split(' ')[2]));
    const [a, b] = [anonRows(facts), anonRows(read)];
    assert.ok(a.some((r) => r.includes('eventfd-count') && r.includes('eventfd-semaphore: 1')) && a.some((r) => r.includes('sigmask')), 'the fixtures\' eventfd (semaphore) and signalfd rows');
    assert.deepEqual(a, b);
  });

  test('two BPF walks at once asking for different anon inodes: each gets its own rows, as the /proc walk with the same rules', async () => {
    const mine = new Set([...fx.eventfd.pids, ...fx.signalfd.pids]);
    const opts = { threads: 1, readMaps: false, readTimers: false, readLinks: false, measurePipes: true };
    const one = (fdRules: FdRule[]) => {
      const { options, codes } = bpfRuleOptions(fdRules, bpfAnonNameMax(bpf.addon));
      return { bpf: async () => applyBpfClasses(await bpf.addon!.bpfWalk({ ...opts, ...options }), codes, { procRoot: '/proc', threads: 1, readTimers: false, readLinks: false }), proc: () => native.addon!.walkProc({ procRoot: '/proc', threads: 1, readTimers: false, readLinks: false, fdRules }) };
    };
    const ev = one([PIPE_FDS.rule, EVENTFD_FDS.rule]);
    const sg = one([SIGNALFD.fds.rule]);
    // several rounds, so the passes overlap in the kernel's name map
    for (let round = 0; round < 4; round++) {
      const [be, bs, pe, ps] = await Promise.all([ev.bpf(), sg.bpf(), ev.proc(), sg.proc()]);
      assert.deepEqual(...rowsAlike(be, pe, mine), `round ${round}: eventfd + pipe rules`);
      assert.deepEqual(...rowsAlike(bs, ps, mine), `round ${round}: signalfd rule`);
      assert.ok(rows(be, mine).some((r) => r.includes('eventfd-id')) && !rows(be, mine).some((r) => r.includes('sigmask')), 'eventfd walk: eventfds, no signalfd');
      assert.ok(rows(bs, mine).some((r) => r.includes('sigmask')) && !rows(bs, mine).some((r) => r.includes('eventfd')), 'signalfd walk: signalfds only');
    }
  });

  test('the BPF walk keeps its deadline: past it, unfinished work is reported ETIMEDOUT, not waited for', async () => {
    const t = performance.now();
    let outcome: string;
    try {
      const w = await bpf.addon!.bpfWalk({ threads: 2, readMaps: true, readTimers: true, readLinks: true, measurePipes: true, deadlineMs: 0.001 });
      const late = w.processes.filter((p) => p.error === 'ETIMEDOUT').length;
      outcome = late > 0 ? `processes ETIMEDOUT: ${late}` : 'finished in time';
    } catch (e) {
      outcome = `rejected ${(e as { code?: string }).code}`;
    }
    assert.match(outcome, /ETIMEDOUT/);
    assert.ok(performance.now() - t < 5000, 'returned at the deadline, not after the whole walk');
  });

  test("a pid the other walk is still stuck in is skipped by both walks: ETIMEDOUT, the file named, nothing of it read, no rows", async () => {
    const pid = fx.pipe.pids[0];
    const what = `/proc/${pid}/cmdline`;
    const opts = { threads: 2, readMaps: true, readTimers: true, readLinks: true, measurePipes: true, skipStuck: [{ pid, what }] };
    const [b, p] = await Promise.all([
      bpf.addon!.bpfWalk(opts),
      native.addon!.walkProc({ procRoot: '/proc', threads: 2, readTimers: true, readLinks: true, skipStuck: [{ pid, what }], ...walkRulesFor(CHANNEL_KINDS) }),
    ]);
    for (const [name, w] of [['bpf-iter', b], ['proc', p]] as const) {
      assert.deepEqual(w.processes.find((x) => x.pid === pid), { pid, error: 'ETIMEDOUT', stuck: what }, `${name}: skipped, never half-read`);
      assert.ok(!Array.from(w.fds.pid).includes(pid), `${name}: no rows of it`);
      assert.ok(w.processes.some((x) => x.pid === fx.socketpair.pids[0] && !x.error), `${name}: the others read`);
    }
  });

  test('while processes start and exit during the walks (churn): consistent, and the fixtures unchanged', async () => {
    let stop = false;
    const kinds: FixtureKind[] = ['socketpair', 'pipe', 'unix-stream', 'fifo'];
    let during = 0; // fixtures made and closed while the walks ran
    const churn = (async () => {
      let n = 0;
      while (!stop) {
        const k = kinds[n++ % kinds.length];
        const f = await makeFixture(k, k === 'fifo' ? { path: path.join(tmp, `churn-${n}`) } : k === 'unix-stream' ? { abstract: `${tag}-churn-${n}` } : {});
        await new Promise((r) => setTimeout(r, 5));
        await f.close();
        if (!stop) during++;
      }
      return n;
    })();
    const others = new Set([...pids].filter((p) => p !== orphanPid));
    try {
      for (let i = 0; i < 8; i++) {
        const walk = i % 2 === 0 ? 'bpf-iter' : 'proc';
        const s = await takeSnapshot({ walk, processes: 'all' });
        assert.equal(s.capabilities.walk?.backend, walk);
        assertConsistent(s, `${walk} #${i}`);
        assertSameChannels(s, viaProc, others, `${walk} #${i} under churn`, sysvIds);
      }
    } finally {
      stop = true;
    }
    await churn;
    assert.ok(during >= 2, `fixtures came and went during the walks (${during})`);
  });
});

// ------------------------------------------------------------------ real services from Debian

const PG_BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((d) => fs.existsSync(path.join(d, 'initdb')));
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const userExists = (u: string) => spawnSync('id', [u], { stdio: 'ignore' }).status === 0;
const servicesSkip =
  bpfSkip ||
  (!PG_BIN || !userExists('postgres') ? 'PostgreSQL not installed (apt-get install postgresql)' : false) ||
  (!have('nginx') ? 'nginx not installed (apt-get install nginx)' : false) ||
  (!have('redis-server') || !have('redis-cli') || !userExists('redis') ? 'Redis not installed (apt-get install redis-server)' : false);

/**
 * Both walks' snapshots of live services, the same for `pids` (and the SysV objects `ids`); returns
 * the BPF walk's. Live services move bytes between the two walks (a backend's reply sits in a Unix
 * send queue for a moment): a pair taken while something was in flight differs in that queue and
 * is taken again. A difference the backends make holds in every pair and fails.
 */
async function sameOnLiveServices(pids: ReadonlySet<number>, ids?: ReadonlySet<string>): Promise<Snapshot> {
  for (let attempt = 1; ; attempt++) {
    const a = await takeSnapshot({ walk: 'bpf-iter', processes: 'all' });
    const b = await takeSnapshot({ walk: 'proc', processes: 'all' });
    assert.equal(a.capabilities.walk?.backend, 'bpf-iter');
    // (a process that exited meanwhile — sshd's pre-auth child after a login — is in neither)
    const live = new Set([...pids].filter((p) => fs.existsSync(`/proc/${p}`)));
    try {
      assertSameChannels(a, b, live, 'services', ids);
      assertSameProcesses(a, b, live, 'services');
      return a;
    } catch (e) {
      if (attempt === 5) throw e;
    }
  }
}

/**
 * The services' channels, the same from both walks (sameOnLiveServices), each kind of `kinds`
 * among them: the BPF walk's snapshot and the channels touching `pids` (and the SysV objects `ids`).
 */
async function servicesSame(pids: ReadonlySet<number>, kinds: readonly string[], ids?: ReadonlySet<string>): Promise<{ a: Snapshot; mine: Channel[] }> {
  const a = await sameOnLiveServices(pids, ids);
  const chans = touching(a, pids);
  const mine = a.channels.filter((c) => chans.has(c.id));
  for (const k of kinds) assert.ok(mine.some((c) => c.kind === k), `the services hold a ${k} channel`);
  return { a, mine };
}

/** lsof and ss as oracles on the services still alive of `pids`: what each compared, for the test's diagnostic. */
async function oraclesOn(pids: ReadonlySet<number>): Promise<string> {
  const live = new Set([...pids].filter((p) => fs.existsSync(`/proc/${p}`)));
  const take = () => takeSnapshot({ processes: 'all' });
  return `lsof: ${await lsofOracle(live, take)}; ss: ${await ssOracle(live, take)}`;
}

/**
 * Another tool as the oracle on live services: what it says about `pids`, read between two
 * snapshots (`take`), must agree with one of them — an fd opened or a socket connected while the
 * tool ran is in the later one. `compare` returns what disagrees with both and what it compared;
 * a disagreement is taken again (the services move), and fails the third time.
 */
async function oracle(tool: string, take: () => Promise<Snapshot>, run: () => void, compare: (snaps: Snapshot[]) => { wrong: string[]; compared: string }): Promise<string> {
  if (!have(tool)) return 'not installed';
  for (let attempt = 1; ; attempt++) {
    const before = await take();
    run();
    const after = await take();
    const r = compare([before, after]);
    if (r.wrong.length === 0 || attempt === 3) {
      assert.deepEqual(r.wrong, [], `what ${tool} shows otherwise`);
      return r.compared;
    }
  }
}

/**
 * ss: every Unix and TCP socket it attributes to `pids` is a channel with that inode, holding each
 * of those (pid, fd), and a Unix socket's peer is ss's.
 */
function ssOracle(pids: ReadonlySet<number>, take: () => Promise<Snapshot>): Promise<string> {
  let rows: ReturnType<typeof ssUnix> = [];
  return oracle('ss', take, () => (rows = [...ssUnix(), ...ssInet('t')]), (snaps) => {
    const byInode = snaps.map((a) => {
      const m = new Map<number, Channel>();
      for (const c of a.channels) if ((c.kind === 'unix' || c.kind === 'tcp') && 'inode' in c) m.set(Number((c as { inode: number }).inode), c);
      return m;
    });
    const wrong: string[] = [];
    let sockets = 0;
    let peers = 0;
    for (const r of rows) {
      const mine = r.users.filter((u) => pids.has(u.pid));
      if (mine.length === 0 || r.inode === 0) continue;
      sockets++;
      const chs = byInode.map((m) => m.get(r.inode)).filter((c): c is Channel => c !== undefined);
      if (chs.length === 0) {
        wrong.push(`${r.netid} ${r.inode}: not in the snapshots`);
        continue;
      }
      for (const u of mine) if (!chs.some((ch) => ch.endpoints.some((e) => e.pid === u.pid && e.fd === u.fd))) wrong.push(`${r.netid} ${r.inode}: held by ${u.pid}/${u.fd}, not in ours`);
      if (r.peerInode > 0 && chs[0].kind === 'unix') {
        peers++;
        if (!chs.some((ch) => ch.kind === 'unix' && ch.peerInode === r.peerInode)) wrong.push(`unix ${r.inode}: peer ${r.peerInode}, ours ${chs.map((ch) => (ch as { peerInode?: number }).peerInode).join(' / ')}`);
      }
    }
    assert.ok(sockets >= 5, `ss attributed ${sockets} sockets to the services`);
    return { wrong, compared: `${sockets} Unix and TCP sockets, ${peers} Unix peers` };
  });
}

/** lsof: every pipe, FIFO, Unix and inet fd it lists for `pids` is an endpoint, with the same inode where lsof gives one. */
function lsofOracle(pids: ReadonlySet<number>, take: () => Promise<Snapshot>): Promise<string> {
  let out = '';
  return oracle('lsof', take, () => (out = spawnSync('lsof', ['-n', '-P', '-w', '-F', 'ftin', '-p', [...pids].join(',')], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout), (snaps) => {
    const ours = new Map<string, Set<number>>();
    for (const a of snaps)
      for (const c of a.channels)
        for (const e of c.endpoints) {
          if (e.fd === undefined || !pids.has(e.pid)) continue;
          const k = `${e.pid}/${e.fd}`;
          if (!ours.has(k)) ours.set(k, new Set());
          ours.get(k)!.add('inode' in c ? Number((c as { inode: number }).inode) : -1);
        }
    let pid = 0;
    let fd = -1;
    let type = '';
    let inode = -1;
    const wrong: string[] = [];
    let checked = 0;
    let inodes = 0;
    const flush = () => {
      if (fd < 0 || !['FIFO', 'unix', 'IPv4', 'IPv6'].includes(type) || !pids.has(pid)) return;
      checked++;
      const mine = ours.get(`${pid}/${fd}`);
      if (mine === undefined) wrong.push(`${pid}/${fd} (${type})`);
      else if (inode >= 0 && !mine.has(-1)) {
        inodes++;
        if (!mine.has(inode)) wrong.push(`${pid}/${fd} (${type}): inode ${inode}, ours ${[...mine].join(' / ')}`);
      }
    };
    for (const line of out.split('\n')) {
      const [k, v] = [line[0], line.slice(1)];
      if (k === 'p') {
        flush();
        pid = Number(v);
        fd = -1;
      } else if (k === 'f') {
        flush();
        fd = /^\d+$/.test(v) ? Number(v) : -1;
        type = '';
        inode = -1;
      } else if (k === 't') type = v;
      else if (k === 'i' && /^\d+$/.test(v)) inode = Number(v);
    }
    flush();
    assert.ok(checked >= 10 && inodes >= checked / 2, `lsof listed ${checked} IPC fds of the services, ${inodes} with an inode`);
    return { wrong, compared: `${checked} pipe, FIFO, Unix and inet fds, ${inodes} inodes compared` };
  });
}

/**
 * A TCP socket of the root namespace listens on 127.0.0.1:`port` (/proc/net/tcp, state 0A). A
 * socket bound and not yet listening refuses connections: Squid's coordinator binds the shared
 * port and a worker calls listen() on it later, so a client started once the sockets exist could
 * find it refused (CI saw curl exit 7).
 */
function listening(port: number): boolean {
  const t = parseProcNetInet(fs.readFileSync('/proc/net/tcp', 'utf8'));
  for (let i = 0; i < t.state.length; i++) if (t.state[i] === TCP_LISTEN && t.localAddr[i] === '127.0.0.1' && t.localPort[i] === port) return true;
  return false;
}

async function waitFor(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('bpf-iter and proc walks on real services (PostgreSQL, nginx, Redis)', { skip: servicesSkip }, () => {
  const dir = path.join(tmp, 'svc');
  const procs: ChildProcess[] = [];
  let pgData = '';
  let roots: number[] = [];

  const errors = new Map<ChildProcess, string>();
  const start = (cmd: string, args: string[], opts: { uid?: number; gid?: number } = {}): ChildProcess => {
    // only fds 0–2: a daemon must not inherit this process's other pipes; stderr kept for failures
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: '/', ...opts });
    errors.set(c, '');
    c.stderr!.on('data', (d: Buffer) => errors.set(c, (errors.get(c)! + d.toString()).slice(-2000)));
    procs.push(c);
    return c;
  };
  /** A client is up: alive and holding a connected socket (fd 3 and up). */
  const connected = (c: ChildProcess): boolean => {
    if (c.exitCode !== null || c.signalCode !== null) throw new Error(`${c.spawnfile} exited (${c.exitCode ?? c.signalCode}): ${errors.get(c)}`);
    try {
      return fdLinks(c.pid!).some((l) => l.fd > 2 && l.link.startsWith('socket:'));
    } catch {
      return false;
    }
  };
  const uidOf = (u: string) => Number(spawnSync('id', ['-u', u], { encoding: 'utf8' }).stdout.trim());
  const gidOf = (u: string) => Number(spawnSync('id', ['-g', u], { encoding: 'utf8' }).stdout.trim());

  before(async () => {
    if (servicesSkip) return;
    fs.mkdirSync(dir, { mode: 0o755 });
    // PostgreSQL: a private cluster, unix socket only, and a client connection that stays open
    const pg = { uid: uidOf('postgres'), gid: gidOf('postgres') };
    pgData = path.join(dir, 'pg');
    fs.mkdirSync(pgData, { mode: 0o700 });
    fs.chownSync(pgData, pg.uid, pg.gid);
    const init = spawnSync(path.join(PG_BIN!, 'initdb'), ['-D', pgData, '-A', 'trust', '--no-sync', '-U', 'postgres'], { ...pg, encoding: 'utf8' });
    assert.equal(init.status, 0, init.stderr);
    const pgPort = String(await freeTcpPort());
    const postmaster = start(path.join(PG_BIN!, 'postgres'), ['-D', pgData, '-k', pgData, '-c', "listen_addresses=", '-p', pgPort], pg);
    await waitFor('PostgreSQL socket', () => fs.existsSync(path.join(pgData, `.s.PGSQL.${pgPort}`)));
    const psql = start('psql', ['-h', pgData, '-p', pgPort, '-U', 'postgres', '-c', 'select pg_sleep(600)', 'postgres'], pg);
    // Redis: unix socket only, and a blocked client
    const rd = { uid: uidOf('redis'), gid: gidOf('redis') };
    const rdDir = path.join(dir, 'redis');
    fs.mkdirSync(rdDir, { mode: 0o755 });
    fs.chownSync(rdDir, rd.uid, rd.gid);
    const redis = start('redis-server', ['--port', '0', '--unixsocket', path.join(rdDir, 'redis.sock'), '--dir', rdDir, '--save', '', '--appendonly', 'no'], rd);
    await waitFor('Redis socket', () => fs.existsSync(path.join(rdDir, 'redis.sock')));
    const rcli = start('redis-cli', ['-s', path.join(rdDir, 'redis.sock'), 'BLPOP', `${tag}-k`, '600'], rd);
    // nginx: master (root) + 2 workers, a loopback listener
    const ngPort = await freeTcpPort();
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(
      conf,
      `daemon off; master_process on; worker_processes 2; user www-data; pid ${dir}/nginx.pid; error_log ${dir}/nginx.err;\n` +
        `events { worker_connections 64; }\n` +
        `http { access_log off; client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\n` +
        `  server { listen 127.0.0.1:${ngPort}; location / { return 200 "ok"; } } }\n`,
    );
    const nginx = start('nginx', ['-c', conf, '-p', dir, '-e', `${dir}/nginx.err`]);
    roots = [postmaster.pid!, redis.pid!, nginx.pid!, ...procs.filter((c) => c.spawnfile === 'psql' || c.spawnfile === 'redis-cli').map((c) => c.pid!)];
    // ready: postmaster's background workers, nginx's two workers, both clients connected
    await waitFor('service processes', () => tree([nginx.pid!]).size >= 3 && tree([postmaster.pid!]).size >= 6);
    await waitFor('client connections', () => connected(psql) && connected(rcli));
  });

  after(async () => {
    // graceful stops, so each service removes its own shared memory and workers; then SIGKILL
    // whatever of the tree (taken before the stop: orphans are reparented) is left
    const all = tree(roots);
    const stopped = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
    for (const c of procs) c.kill(c.spawnfile.endsWith('postgres') ? 'SIGINT' : c.spawnfile === 'nginx' ? 'SIGQUIT' : 'SIGTERM');
    await waitFor('services to stop', () => procs.every(stopped), 15_000).catch(() => undefined);
    for (const p of all) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });

  test('identical channels and endpoints on PostgreSQL, nginx and Redis', async (t) => {
    const pids = tree(roots);
    assert.ok(pids.size >= 10, `services up (${pids.size} processes)`);
    // pipes (postmaster death pipe, Redis self-pipe), unix (listeners, clients), tcp (nginx), shared memory
    const { a } = await servicesSame(pids, ['pipe', 'unix', 'tcp', 'sysv-shm', 'posix-shm', 'anon-shm']);
    const psqlPeer = a.channels.find((c) => c.kind === 'unix' && c.peer && c.endpoints.some((e) => procs.some((p) => p.spawnfile === 'psql' && p.pid === e.pid)));
    assert.ok(psqlPeer, 'psql ↔ backend peers linked');
    t.diagnostic(`${pids.size} processes; ${await oraclesOn(pids)}`);
  });
});

/**
 * Services a test starts and stops: each in a process group of its own (Apache in the foreground
 * signals its whole group when it stops — killpg(getpgrp()) — which would be this test's), its
 * stderr kept for a failure's message; `stop` asks each to stop, then SIGKILLs what is left of
 * the trees under `roots` (taken before: orphans are reparented).
 */
function serviceSet() {
  const procs: ChildProcess[] = [];
  const errors = new Map<ChildProcess, string>();
  return {
    start(cmd: string, args: string[], opts: { uid?: number; gid?: number } = {}): ChildProcess {
      const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: '/', detached: true, ...opts });
      errors.set(c, '');
      c.stderr!.on('data', (d: Buffer) => errors.set(c, (errors.get(c)! + d.toString()).slice(-2000)));
      procs.push(c);
      return c;
    },
    /** Throws, with its stderr, when `c` has exited. */
    alive(c: ChildProcess): void {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`${c.spawnfile} exited (${c.exitCode ?? c.signalCode}): ${errors.get(c)}`);
    },
    async stop(roots: number[], signalOf: (c: ChildProcess) => NodeJS.Signals = () => 'SIGTERM'): Promise<void> {
      const all = tree(roots);
      for (const c of procs) c.kill(signalOf(c));
      const stopped = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
      await waitFor('services to stop', () => procs.every(stopped), 15_000).catch(() => undefined);
      for (const p of all) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    },
  };
}

// MariaDB with a client holding a query; PHP-FPM behind Apache (prefork, a SysV accept mutex over
// two listeners) behind HAProxy, one request held through the chain (curl → HAProxy → Apache →
// PHP-FPM, a script that sleeps): loopback TCP pairs, a Unix socket between two services, a
// semaphore many processes wait on, and the pipes and shared memory of each.
/** Debian's PHP-FPM binary is named for its PHP version (php-fpm8.2 on Debian 12). */
const PHP_FPM = fs.existsSync('/usr/sbin') ? fs.readdirSync('/usr/sbin').filter((n) => /^php-fpm\d+\.\d+$/.test(n)).sort().pop() : undefined;
const MORE = { mariadb: ['mariadbd', 'mariadb-install-db', 'mariadb'], apache: ['apache2'], haproxy: ['haproxy'], phpFpm: [PHP_FPM ?? 'php-fpm'], curl: ['curl'] };
const APACHE_MODULES = '/usr/lib/apache2/modules';
const moreSkip =
  bpfSkip ||
  (Object.entries(MORE).flatMap(([, cmds]) => cmds.filter((c) => !have(c))).map((c) => `${c} not installed (apt-get install mariadb-server apache2 haproxy php-fpm curl)`)[0] ?? false) ||
  (!['mod_mpm_prefork.so', 'mod_authz_core.so', 'mod_proxy.so', 'mod_proxy_fcgi.so'].every((m) => fs.existsSync(path.join(APACHE_MODULES, m))) ? `Apache modules missing in ${APACHE_MODULES}` : false) ||
  (!userExists('mysql') || !userExists('www-data') ? 'the mysql and www-data users are missing' : false);

describe('bpf-iter and proc walks on real services (MariaDB, HAProxy → Apache prefork → PHP-FPM)', { skip: moreSkip }, () => {
  const dir = path.join(tmp, 'svc2');
  const services = serviceSet();
  const { start, alive } = services;
  let roots: number[] = [];
  /** Socket fds of a process (0 when it is gone). */
  const sockets = (pid: number) => {
    try {
      return fdLinks(pid).filter((l) => l.link.startsWith('socket:')).length;
    } catch {
      return 0;
    }
  };
  const uidOf = (u: string) => Number(spawnSync('id', ['-u', u], { encoding: 'utf8' }).stdout.trim());
  const gidOf = (u: string) => Number(spawnSync('id', ['-g', u], { encoding: 'utf8' }).stdout.trim());
  let fpm!: ChildProcess;

  before(async () => {
    if (moreSkip) return;
    fs.mkdirSync(dir, { mode: 0o755 });
    // MariaDB: a private data directory, the Unix socket only, a client holding a query
    const my = { uid: uidOf('mysql'), gid: gidOf('mysql') };
    const data = path.join(dir, 'mysql');
    fs.mkdirSync(data, { mode: 0o750 });
    fs.chownSync(data, my.uid, my.gid);
    const init = spawnSync('mariadb-install-db', ['--no-defaults', '--user=mysql', `--datadir=${data}`, '--skip-test-db', '--auth-root-authentication-method=socket'], { encoding: 'utf8', cwd: '/' });
    assert.equal(init.status, 0, init.stderr || init.stdout);
    const mySock = path.join(data, 'mysqld.sock');
    const mariadb = start('mariadbd', ['--no-defaults', '--user=mysql', `--datadir=${data}`, `--socket=${mySock}`, '--skip-networking', `--pid-file=${data}/pid`, `--log-error=${data}/err`, '--innodb-buffer-pool-size=8M']);
    // PHP-FPM: two workers as www-data on a Unix socket; a script that holds its request
    const www = path.join(dir, 'www');
    fs.mkdirSync(www, { mode: 0o755 });
    fs.writeFileSync(path.join(www, 'slow.php'), '<?php sleep(600); echo "done";\n', { mode: 0o644 });
    const fpmSock = path.join(dir, 'fpm.sock');
    fs.writeFileSync(
      path.join(dir, 'fpm.conf'),
      `[global]\npid = ${dir}/fpm.pid\nerror_log = ${dir}/fpm.err\ndaemonize = no\n[www]\nuser = www-data\ngroup = www-data\nlisten = ${fpmSock}\n` +
        `listen.owner = www-data\nlisten.group = www-data\nlisten.mode = 0660\npm = static\npm.max_children = 2\nrequest_terminate_timeout = 0\n`,
    );
    fpm = start(PHP_FPM!, ['-n', '-y', path.join(dir, 'fpm.conf'), '-F']);
    // Apache prefork: two listeners, so the children take turns on an accept mutex (a SysV semaphore)
    const [ap1, ap2, hp] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
    fs.writeFileSync(
      path.join(dir, 'apache2.conf'),
      [
        `ServerRoot ${dir}`, `DefaultRuntimeDir ${dir}`, `PidFile ${dir}/apache2.pid`, `ErrorLog ${dir}/apache2.err`, 'LogLevel warn', 'ServerName localhost',
        ...['mpm_prefork', 'authz_core', 'proxy', 'proxy_fcgi'].map((m) => `LoadModule ${m}_module ${APACHE_MODULES}/mod_${m}.so`),
        'User www-data', 'Group www-data', 'StartServers 3', 'MinSpareServers 3', 'MaxSpareServers 5', 'Mutex sysvsem mpm-accept',
        `Listen 127.0.0.1:${ap1}`, `Listen 127.0.0.1:${ap2}`, `DocumentRoot ${www}`, 'ProxyTimeout 700', 'Timeout 700',
        `<Directory ${www}>`, '  Require all granted', '</Directory>',
        '<FilesMatch "\\.php$">', `  SetHandler "proxy:unix:${fpmSock}|fcgi://localhost"`, '</FilesMatch>',
      ].join('\n') + '\n',
    );
    const apache = start('apache2', ['-f', path.join(dir, 'apache2.conf'), '-DFOREGROUND']);
    // HAProxy in front of Apache
    fs.writeFileSync(
      path.join(dir, 'haproxy.cfg'),
      `global\n  pidfile ${dir}/haproxy.pid\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 700s\n  timeout server 700s\n` +
        `frontend f\n  bind 127.0.0.1:${hp}\n  default_backend b\nbackend b\n  server apache 127.0.0.1:${ap1}\n`,
    );
    const haproxy = start('haproxy', ['-W', '-db', '-f', path.join(dir, 'haproxy.cfg')]);
    await waitFor('MariaDB socket', () => (alive(mariadb), fs.existsSync(mySock)), 60_000);
    const client = start('mariadb', ['--no-defaults', '-S', mySock, '-u', 'root', '-e', 'select sleep(600)']);
    await waitFor('PHP-FPM socket', () => (alive(fpm), fs.existsSync(fpmSock)));
    await waitFor('Apache children', () => (alive(apache), tree([apache.pid!]).size >= 4));
    await waitFor('HAProxy worker', () => (alive(haproxy), tree([haproxy.pid!]).size >= 2));
    await waitFor(`HAProxy and Apache listening on ${hp} and ${ap1}`, () => (alive(haproxy), alive(apache), listening(hp) && listening(ap1)));
    const curl = start('curl', ['-s', '-m', '700', `http://127.0.0.1:${hp}/slow.php`]);
    roots = [mariadb.pid!, client.pid!, fpm.pid!, apache.pid!, haproxy.pid!, curl.pid!];
    // the request is held at the end of the chain: a PHP-FPM worker holds the accepted connection
    await waitFor('the request at PHP-FPM', () => (alive(curl), [...tree([fpm.pid!])].some((p) => p !== fpm.pid && sockets(p) >= 2)));
    await waitFor('the MariaDB client connected', () => (alive(client), fdLinks(client.pid!).some((l) => l.fd > 2 && l.link.startsWith('socket:'))));
  });

  after(() => services.stop(roots, (c) => (c.spawnfile === 'apache2' ? 'SIGWINCH' : c.spawnfile === 'haproxy' ? 'SIGUSR1' : 'SIGTERM')));

  test('identical channels and endpoints on MariaDB, HAProxy, Apache and PHP-FPM', async (t) => {
    const pids = tree(roots);
    assert.ok(pids.size >= 10, `services up (${pids.size} processes)`);
    // the accept mutex: a semaphore (no fd holds it) last operated on by Apache's processes
    const sems = new Set((await takeSnapshot({ walk: 'proc', kinds: ['sysv-sem'] })).channels.filter((c) => c.kind === 'sysv-sem' && (c.lastPid ?? []).some((p) => pids.has(p))).map((c) => c.id));
    assert.ok(sems.size >= 1, 'the accept mutex');
    const { mine } = await servicesSame(pids, ['pipe', 'unix', 'tcp'], sems);
    // the held request: curl ↔ HAProxy and HAProxy ↔ Apache are loopback TCP pairs, linked
    const linked = mine.filter((c) => c.kind === 'tcp' && c.peer && c.endpoints.length > 0);
    assert.ok(linked.length >= 4, `loopback TCP pairs linked: ${linked.map((c) => c.id).join(', ')}`);
    // Apache ↔ PHP-FPM over a Unix socket, connected
    const fpmPids = tree([fpm.pid!]);
    assert.ok(mine.some((c) => c.kind === 'unix' && c.peer && c.endpoints.some((e) => fpmPids.has(e.pid))), 'Apache ↔ PHP-FPM Unix peers linked');
    t.diagnostic(`${pids.size} processes; ${await oraclesOn(pids)}`);
  });
});

// sshd with a session on a pty (the master in sshd's session process, the slave in the command's),
// a session D-Bus with a monitor on it, memcached on a Unix socket with a client holding a
// connection, rsyslog on a socket of its own: ptys, Unix stream and datagram sockets, and the
// eventfds and pipes of threaded daemons.
const THIRD = ['sshd', 'ssh', 'ssh-keygen', 'dbus-daemon', 'dbus-monitor', 'memcached', 'rsyslogd', 'socat', 'logger'];
const thirdMissing = THIRD.find((c) => (c === 'sshd' ? !fs.existsSync('/usr/sbin/sshd') : !have(c)));
const thirdSkip = bpfSkip || (thirdMissing ? `${thirdMissing} not installed (apt-get install openssh-server openssh-client dbus memcached rsyslog socat bsdutils)` : false);

describe('bpf-iter and proc walks on real services (sshd with a pty session, D-Bus, memcached, rsyslog)', { skip: thirdSkip }, () => {
  const dir = path.join(tmp, 'svc3');
  const services = serviceSet();
  const { start, alive } = services;
  let roots: number[] = [];
  let sshd!: ChildProcess;
  const holds = (pid: number, prefix: string) => {
    try {
      return fdLinks(pid).some((l) => l.fd > 2 && l.link.startsWith(prefix));
    } catch {
      return false;
    }
  };

  before(async () => {
    if (thirdSkip) return;
    fs.mkdirSync(dir, { mode: 0o755 });
    // sshd: a private host key and authorized key, loopback only; the session runs a command on a pty
    for (const k of ['host', 'id']) {
      const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, k)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    fs.copyFileSync(path.join(dir, 'id.pub'), path.join(dir, 'authorized_keys'));
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // the privilege separation directory Debian's unit makes
    const sshPort = await freeTcpPort();
    fs.writeFileSync(
      path.join(dir, 'sshd_config'),
      [`Port ${sshPort}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/host`, `PidFile ${dir}/sshd.pid`, `AuthorizedKeysFile ${dir}/authorized_keys`,
        'PermitRootLogin yes', 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no'].join('\n') + '\n',
    );
    sshd = start('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')]);
    await waitFor('sshd listening', () => (alive(sshd), holds(sshd.pid!, 'socket:')));
    const ssh = start('ssh', ['-tt', '-i', path.join(dir, 'id'), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
      '-p', String(sshPort), 'root@127.0.0.1', 'sleep 600']);
    // D-Bus: a session bus on a path, and a monitor
    const bus = `unix:path=${dir}/bus`;
    const dbus = start('dbus-daemon', ['--session', '--nofork', `--address=${bus}`]);
    await waitFor('the bus socket', () => (alive(dbus), fs.existsSync(path.join(dir, 'bus'))));
    const monitor = start('dbus-monitor', ['--address', bus]);
    // memcached on a Unix socket, and a client holding a connection
    // (it binds as the user it runs as: a directory of that user's)
    const mcDir = path.join(dir, 'memcached');
    fs.mkdirSync(mcDir, { mode: 0o755 });
    fs.chownSync(mcDir, 65534, 65534);
    const mcSock = path.join(mcDir, 'mc.sock');
    const memcached = start('memcached', ['-s', mcSock, '-a', '0666', '-u', 'nobody', '-t', '2']);
    await waitFor('the memcached socket', () => (alive(memcached), fs.existsSync(mcSock)));
    const mcClient = start('socat', [`UNIX-CONNECT:${mcSock}`, 'EXEC:sleep 600']);
    // rsyslog on a socket of its own (not /dev/log), writing to a file here
    const logSock = path.join(dir, 'log.sock');
    fs.writeFileSync(
      path.join(dir, 'rsyslog.conf'),
      `global(workDirectory="${dir}")\nmodule(load="imuxsock" SysSock.Use="off")\ninput(type="imuxsock" Socket="${logSock}")\n*.* action(type="omfile" file="${dir}/messages")\n`,
    );
    const rsyslog = start('rsyslogd', ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslog.pid')]);
    await waitFor('the log socket', () => (alive(rsyslog), fs.existsSync(logSock)));
    spawnSync('logger', ['-u', logSock, `${tag} hello`]);
    roots = [sshd.pid!, ssh.pid!, dbus.pid!, monitor.pid!, memcached.pid!, mcClient.pid!, rsyslog.pid!];
    await waitFor('the ssh session on a pty', () => (alive(ssh), [...tree([sshd.pid!])].some((p) => holds(p, '/dev/ptmx'))));
    // and done starting: the login shell runs root's rc files first (pyenv's init, here, starts a
    // dozen short-lived processes on the pty), then the command
    const comm = (pid: number) => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    };
    await waitFor("the session's command", () => [...tree([sshd.pid!])].some((p) => comm(p) === 'sleep'), 60_000);
    await waitFor('the monitor and the memcached client connected', () => (alive(monitor), alive(mcClient), holds(monitor.pid!, 'socket:') && holds(mcClient.pid!, 'socket:')));
  });

  after(() => services.stop(roots));

  test('identical channels and endpoints on sshd, D-Bus, memcached and rsyslog', async (t) => {
    const pids = tree(roots);
    assert.ok(pids.size >= 8, `services up (${pids.size} processes)`);
    const { mine } = await servicesSame(pids, ['pipe', 'unix', 'tcp', 'pty']);
    // the session's pty: its master (sshd's session process) and its slave (the command) are one channel
    const session = tree([sshd.pid!]);
    const pty = mine.find((c) => c.kind === 'pty' && c.endpoints.filter((e) => session.has(e.pid)).length >= 2);
    assert.ok(pty, `the session's pty with both ends: ${JSON.stringify(mine.filter((c) => c.kind === 'pty').map((c) => c.endpoints))}`);
    // ssh ↔ sshd over loopback TCP, linked
    assert.ok(mine.some((c) => c.kind === 'tcp' && c.peer && c.endpoints.some((e) => session.has(e.pid))), 'ssh ↔ sshd linked');
    t.diagnostic(`${pids.size} processes, ${mine.length} channels; ${await oraclesOn(pids)}`);
  });
});

// Squid in SMP mode: a master, a coordinator and two workers share POSIX shared memory (the
// memory cache and the workers' queues, each segment mapped by several processes), talk over Unix
// datagram sockets bound in /run/squid, share one TCP listener (the coordinator passes it to the
// workers), and each worker has an ICMP pinger on a connected UDP pair over ::1; one request is
// held through it (curl → Squid → an upstream that never answers).
const SQUID = ['squid', 'curl', 'socat'];
const squidMissing = SQUID.find((c) => !have(c));
const squidSkip = bpfSkip || (squidMissing ? `${squidMissing} not installed (apt-get install squid curl socat)` : false) || (!userExists('proxy') ? 'the proxy user is missing' : false);

describe('bpf-iter and proc walks on real services (Squid with two workers)', { skip: squidSkip }, () => {
  const dir = path.join(tmp, 'svc4');
  const services = serviceSet();
  const { start, alive } = services;
  // the segments' names start with the service name (-n): one of this run's own
  const name = `ipci${process.pid}`;
  let roots: number[] = [];
  let squid!: ChildProcess;
  const socketsOf = (pid: number) => {
    try {
      return fdLinks(pid).filter((l) => l.link.startsWith('socket:')).length;
    } catch {
      return 0;
    }
  };

  before(async () => {
    if (squidSkip) return;
    fs.mkdirSync(dir, { mode: 0o755 });
    const proxy = Number(spawnSync('id', ['-u', 'proxy'], { encoding: 'utf8' }).stdout.trim());
    const proxyGid = Number(spawnSync('id', ['-g', 'proxy'], { encoding: 'utf8' }).stdout.trim());
    fs.chownSync(dir, proxy, proxyGid);
    // where Squid binds its IPC sockets (compiled in; Debian's tmpfiles.d makes it at boot)
    fs.mkdirSync('/run/squid', { recursive: true, mode: 0o755 });
    fs.chownSync('/run/squid', proxy, proxyGid);
    const [port, up] = [await freeTcpPort(), await freeTcpPort()];
    fs.writeFileSync(
      path.join(dir, 'squid.conf'),
      ['workers 2', `http_port 127.0.0.1:${port}`, `pid_filename ${dir}/squid.pid`, `cache_log ${dir}/cache.log`, 'access_log none', 'cache_store_log none',
        'cache_effective_user proxy', `coredump_dir ${dir}`, 'http_access allow all', 'cache_mem 8 MB', 'memory_cache_shared on', 'shutdown_lifetime 1 seconds',
        'read_timeout 15 minutes', 'request_timeout 15 minutes'].join('\n') + '\n',
    );
    // an upstream that accepts and never answers: the request stays held at every hop
    const upstream = start('socat', [`TCP-LISTEN:${up},bind=127.0.0.1,reuseaddr,fork`, 'SYSTEM:sleep 600']);
    squid = start('squid', ['--foreground', '-f', path.join(dir, 'squid.conf'), '-n', name]);
    const sock = (what: string) => path.join('/run/squid', `${name}-${what}.ipc`);
    await waitFor('Squid coordinator and workers', () => (alive(squid), ['coordinator', 'kid-1', 'kid-2'].every((w) => fs.existsSync(sock(w)))), 60_000);
    await waitFor('the workers listening', () => (alive(squid), [...tree([squid.pid!])].filter((p) => socketsOf(p) >= 3).length >= 3), 60_000);
    await waitFor(`Squid listening on ${port}`, () => (alive(squid), listening(port)), 60_000);
    const curl = start('curl', ['-s', '-m', '700', '-x', `http://127.0.0.1:${port}`, `http://127.0.0.1:${up}/held`]);
    roots = [squid.pid!, upstream.pid!, curl.pid!];
    await waitFor('the request at the upstream', () => (alive(curl), tree([upstream.pid!]).size >= 2), 60_000);
  });

  after(async () => {
    await services.stop(roots);
    // a worker killed before it cleans up leaves its segments and sockets behind
    for (const f of fs.existsSync('/dev/shm') ? fs.readdirSync('/dev/shm') : []) if (f.startsWith(`${name}-`)) fs.rmSync(path.join('/dev/shm', f), { force: true });
    for (const f of fs.existsSync('/run/squid') ? fs.readdirSync('/run/squid') : []) if (f.startsWith(`${name}-`)) fs.rmSync(path.join('/run/squid', f), { force: true });
  });

  test('identical channels and endpoints on Squid (shared memory, datagram IPC, a shared listener, pingers), and a request held through it', async (t) => {
    const pids = tree(roots);
    assert.ok(pids.size >= 7, `services up (${pids.size} processes)`);
    const { mine } = await servicesSame(pids, ['posix-shm', 'unix', 'tcp', 'udp']);
    const squids = tree([squid.pid!]);
    const holders = (c: Channel) => new Set(c.endpoints.map((e) => e.pid).filter((p) => squids.has(p))).size;
    // a segment of the shared memory cache, mapped by the workers and the coordinator alike
    const shm = mine.filter((c) => c.kind === 'posix-shm' && 'name' in c && String(c.name).startsWith(`${name}-`));
    assert.ok(shm.some((c) => holders(c) >= 3), `a segment three of Squid's processes hold: ${shm.map((c) => `${c.id} ${holders(c)}`).join(', ')}`);
    // the coordinator's and each worker's datagram socket, bound where Squid names them
    // (Debian's Squid names the directory /var/run/squid, a link to /run/squid: the kernel keeps the name given)
    const ipc = mine.filter((c) => c.kind === 'unix' && 'path' in c && [`/run/squid/${name}-`, `/var/run/squid/${name}-`].some((d) => String(c.path).startsWith(d)));
    assert.equal(ipc.length, 3, `the IPC sockets: ${ipc.map((c) => ('path' in c ? c.path : c.id)).join(', ')}`);
    // one listener, passed to both workers
    assert.ok(mine.some((c) => c.kind === 'tcp' && c.state === 'LISTEN' && holders(c) >= 2), 'the listener the workers share');
    // curl ↔ Squid and Squid ↔ the upstream: loopback TCP pairs, linked; a worker ↔ its pinger over UDP, linked
    assert.ok(mine.filter((c) => c.kind === 'tcp' && c.peer && c.endpoints.length > 0).length >= 4, 'the held request: two loopback TCP pairs linked');
    assert.ok(mine.some((c) => c.kind === 'udp' && c.peer && c.endpoints.some((e) => squids.has(e.pid))), 'a worker ↔ its pinger linked');
    t.diagnostic(`${pids.size} processes, ${mine.length} channels (${shm.length} segments); ${await oraclesOn(pids)}`);
  });
});

// ------------------------------------------------------------------ filesystems whose stat is not the inode's

/** An overlayfs mount (as containers use) in `dir`, or why not. */
function overlay(dir: string): { mnt: string; umount: () => void } | string {
  const [lower, upper, work, mnt] = ['lower', 'upper', 'work', 'mnt'].map((d) => path.join(dir, d));
  for (const d of [lower, upper, work, mnt]) fs.mkdirSync(d, { recursive: true });
  const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, mnt], { encoding: 'utf8' });
  if (r.status !== 0) return `cannot mount overlayfs here: ${(r.stderr || r.error?.message || '').trim()}`;
  return { mnt, umount: () => void spawnSync('umount', ['-l', mnt]) };
}

describe('bpf-iter and proc walks on a FIFO in an overlayfs (stat numbers not the inode\'s: checked with statx)', { skip: bpfSkip }, () => {
  let ov: ReturnType<typeof overlay> | undefined;
  let f: Fixture | undefined;
  before(async () => {
    if (bpfSkip) return;
    ov = overlay(path.join(tmp, 'ovl'));
    if (typeof ov !== 'string') f = await makeFixture('fifo', { path: path.join(ov.mnt, 'fifo in overlay'), bytes: 3 });
  });
  after(async () => {
    await f?.close();
    if (ov && typeof ov !== 'string') ov.umount();
  });

  test('the same FIFO channel (dev:inode id, path, both ends, bytes) from both walks', async (t) => {
    if (typeof ov === 'string') return t.skip(ov);
    const a = await takeSnapshot({ walk: 'bpf-iter' });
    const b = await takeSnapshot({ walk: 'proc' });
    const pids = new Set(f!.pids);
    assertSameChannels(a, b, pids, 'overlayfs FIFO');
    const ch = a.channels.find((c) => c.kind === 'fifo' && c.endpoints.some((e) => pids.has(e.pid)));
    assert.ok(ch && ch.kind === 'fifo');
    assert.equal(ch.path, f!.info.path);
    assert.equal(ch.bufferedBytes, 3);
    assert.equal(ch.inode, fs.statSync(f!.info.path).ino, 'the inode stat reports, as the /proc walk sees it');
    const w = await bpf.addon!.bpfWalk({ threads: 1, pids: f!.pids, readMaps: false, readTimers: false, readLinks: false, measurePipes: true });
    assert.ok(w.bpf.statx >= 2, `overlayfs rows were checked with statx (${w.bpf.statx})`);
  });
});

// ------------------------------------------------------------------ the longest FIFO paths

/**
 * Python for the attacker scripts below: deep(top, L) makes directories nested under `top` (200
 * bytes each) and enters the last, so that a file named by the result's length makes a path of
 * exactly L bytes; returns that directory.
 */
const DEEP_DIR = `
import json, os, sys
def deep(top, L):
    os.mkdir(top)
    os.chdir(top)
    cur = top
    while L - len(cur) - 1 > 250:
        os.mkdir('d' * 200)
        os.chdir('d' * 200)
        cur += '/' + 'd' * 200
    return cur
`;

/** Runs a Python script as nobody; resolves with its child and the JSON it prints after READY (then it waits for stdin to close). */
function startAsNobody<T>(script: string, args: string[], what: string): { child: ChildProcess; ready: Promise<T> } {
  const child = spawn('python3', ['-c', DEEP_DIR + script, ...args], { uid: 65534, gid: 65534, stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = new Promise<T>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^READY (.*)\n/m.exec(out);
      if (m) resolve(JSON.parse(m[1]) as T);
    });
    child.on('exit', (c) => reject(new Error(`${what} exited (${c}) before READY`)));
  });
  return { child, ready };
}

/**
 * An unprivileged user (nobody) holds both ends of one FIFO per length, each with `bytes` = its
 * index + 1 buffered, at a path of exactly that many bytes (directories nested under a directory
 * of its own). Prints READY and the lengths' paths as JSON, then waits for stdin to close.
 */
const LONG_FIFOS = `
base = sys.argv[1]
out = []
for i, L in enumerate(json.loads(sys.argv[2])):
    cur = deep('%s/%d' % (base, L), L)
    name = 'f' * (L - len(cur) - 1)
    os.mkfifo(name, 0o600)
    r = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
    w = os.open(name, os.O_WRONLY)
    os.write(w, b'x' * (i + 1))
    out.append({'path': cur + '/' + name, 'ino': os.stat(name).st_ino, 'r': r, 'w': w})
print('READY ' + json.dumps(out), flush=True)
sys.stdin.read()
`;

describe('bpf-iter and proc walks on FIFOs with the longest paths (made by nobody)', { skip: bpfSkip || (!isRoot ? 'needs root to run the attacker as nobody' : false) }, () => {
  let child: ChildProcess | undefined;
  let made: { path: string; ino: number; r: number; w: number }[] = [];
  let base = '';
  // up to 4095 the link has text; from 4096 on /proc has none (ENAMETOOLONG) and d_path fails too
  const lengths = [4088, 4089, 4095, 4096, 6000];
  after(() => {
    child?.kill('SIGKILL');
    if (base) spawnSync('rm', ['-rf', base]);
  });
  before(async () => {
    if (bpfSkip) return;
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-longfifo-'));
    fs.chmodSync(base, 0o755);
    fs.chownSync(base, 65534, 65534);
    const started = startAsNobody<typeof made>(LONG_FIFOS, [base, JSON.stringify(lengths)], 'the FIFO maker');
    child = started.child;
    made = await started.ready;
  });

  test('a FIFO at a path of 4088, 4089 and 4095 bytes (the longest a readlink of /proc/PID/fd/N gives), 4096 and 6000 (none: listed without a path): the same channel, path and bytes from every walk', async () => {
    const pids = new Set([child!.pid!]);
    const a = await takeSnapshot({ walk: 'bpf-iter' });
    const b = await takeSnapshot({ walk: 'proc' });
    assertSameChannels(a, b, pids, 'long FIFO paths');
    // its cwd is the deepest directory: no link text (ENAMETOOLONG), which both walks report
    assertSameProcesses(a, b, pids, 'long FIFO paths');
    assert.ok(a.processes.find((p) => p.pid === child!.pid)?.errors?.some((e) => e.field === 'cwd' && e.code === 'ENAMETOOLONG'), 'the cwd read error');
    // the TypeScript walk (no addon) lists them alike
    const ts = await takeSnapshot({ useNative: false, kinds: ['fifo'] });
    made.forEach((m, i) => {
      assert.equal(m.path.length, lengths[i]);
      for (const [walk, snap] of [['bpf-iter', a], ['proc', b], ['ts', ts]] as const) {
        const ch = snap.channels.find((c) => c.kind === 'fifo' && c.inode === m.ino);
        assert.ok(ch && ch.kind === 'fifo', `the ${lengths[i]}-byte FIFO is listed by the ${walk} walk`);
        // a path /proc has no link text for is no reason to hide the FIFO: listed without its path
        assert.equal(ch.path, lengths[i] < 4096 ? m.path : '', `${walk}: the ${lengths[i]}-byte FIFO's path`);
        assert.deepEqual(ch.endpoints.map((e) => `${e.fd}${e.mode}`).sort(), [`${m.r}r`, `${m.w}w`].sort(), `${walk}: both ends`);
        if (walk === 'bpf-iter') assert.equal(ch.bufferedBytes, i + 1);
      }
    });
  });
});

/**
 * An unprivileged user (nobody) maps one 4 KiB file MAP_SHARED per (directory, length), at a path of
 * exactly that many bytes, then forks, so each file has two mappers: a shared memory channel. Prints
 * READY and the files as JSON, then both wait for stdin to close.
 */
const LONG_MAPPINGS = `
import mmap
out, keep = [], []
for base in json.loads(sys.argv[1]):
    for L in json.loads(sys.argv[2]):
        cur = deep('%s/%d' % (base, L), L)
        name = 'm' * (L - len(cur) - 1)
        fd = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(fd, 4096)
        keep.append(mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE))
        os.close(fd)
        out.append({'path': cur + '/' + name, 'ino': os.stat(name).st_ino})
os.chdir('/')
child = os.fork()
if child == 0:
    sys.stdin.read()
    os._exit(0)
print('READY ' + json.dumps({'child': child, 'files': out}), flush=True)
sys.stdin.read()
`;

describe('bpf-iter and proc walks on shared mappings with the longest paths (made by nobody)', { skip: bpfSkip || (!isRoot ? 'needs root to run the attacker as nobody' : false) }, () => {
  let child: ChildProcess | undefined;
  let made: { child: number; files: { path: string; ino: number }[] } = { child: 0, files: [] };
  const bases: string[] = [];
  // around the bounds: the maps pass pads a path of up to 4088 bytes; d_path gives up to 4095
  const lengths = [4088, 4089, 4095, 4096, 6000];
  after(() => {
    child?.kill('SIGKILL');
    if (made.child) spawnSync('kill', ['-9', String(made.child)]);
    for (const b of bases) spawnSync('rm', ['-rf', b]);
  });
  before(async () => {
    if (bpfSkip) return;
    // a file under /dev/shm (POSIX shared memory by path) and one elsewhere (a shared file mapping)
    for (const dir of ['/dev/shm', os.tmpdir()]) {
      const b = fs.mkdtempSync(path.join(dir, 'ipc-longmap-'));
      fs.chmodSync(b, 0o755);
      fs.chownSync(b, 65534, 65534);
      bases.push(b);
    }
    const started = startAsNobody<typeof made>(LONG_MAPPINGS, [JSON.stringify(bases), JSON.stringify(lengths)], 'the mapper');
    child = started.child;
    made = await started.ready;
  });

  test('a file mapped shared by two processes at a path of 4088 to 6000 bytes, in /dev/shm and elsewhere: listed with both mappers by both walks, identically (a long path hides nothing)', async () => {
    const pids = new Set([child!.pid!, made.child]);
    const a = await takeSnapshot({ walk: 'bpf-iter' });
    const b = await takeSnapshot({ walk: 'proc' });
    assertSameChannels(a, b, pids, 'long mapping paths');
    for (const f of made.files) {
      for (const [walk, snap] of [['bpf-iter', a], ['proc', b]] as const) {
        const ch = snap.channels.find((c) => c.endpoints.some((e) => pids.has(e.pid)) && (c.id.endsWith(`:${f.ino}`) || ('inode' in c && c.inode === f.ino)));
        assert.ok(ch, `${walk}: the ${f.path.length}-byte ${f.path.startsWith('/dev/shm/') ? '/dev/shm' : 'shared'} file is listed`);
        assert.deepEqual([...new Set(ch.endpoints.map((e) => e.pid))].sort(), [...pids].sort(), `${walk}: both mappers of the ${f.path.length}-byte file`);
      }
    }
  });
});

// ------------------------------------------------------------------ where BPF cannot run

describe('where BPF cannot run: the /proc walk, the reason, the same channels', { skip: bpfSkip || (!fs.existsSync(cli) ? `${cli} not built (node scripts/build.mjs cli)` : false) }, () => {
  const fxs: Fixture[] = [];
  /** A fixture owned by nobody, so the unprivileged snapshot can see both ends. */
  let nobodyFx: { child: ChildProcess; info: { pid: number; children: number[] } & Record<string, unknown> } | undefined;

  before(async () => {
    if (bpfSkip) return;
    fxs.push(await makeFixture('socketpair', { bytes: 3 }), await makeFixture('pipe', { bytes: 5 }), await makeFixture('fifo', { path: path.join(tmp, 'nobtf-fifo'), bytes: 4 }));
    const bin = await fixtureBinary();
    const copy = path.join(tmp, 'ipc-fixture'); // a copy anyone can run, wherever the checkout lives
    fs.copyFileSync(bin, copy);
    fs.chmodSync(copy, 0o755);
    const child = spawn(copy, fixtureArgs('socketpair', { bytes: 6 }), { uid: 65534, gid: 65534, stdio: ['pipe', 'pipe', 'inherit'], cwd: '/' });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      child.once('exit', (c) => reject(new Error(`nobody's fixture exited (${c})`)));
    });
    nobodyFx = { child, info: JSON.parse(line) };
  });

  after(async () => {
    nobodyFx?.child.stdin!.end();
    await closeAll(fxs);
  });

  const snapshotCli = (env: NodeJS.ProcessEnv, as?: number): Snapshot => {
    const r = spawnSync(process.execPath, [cli, 'snapshot', '--json', '--all-processes'], {
      // the automatic choice is under test, whichever walk the layer forces (IPC_INSPECTOR_WALK)
      env: { ...process.env, IPC_INSPECTOR_WALK: 'auto', ...env },
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      cwd: '/',
      ...(as !== undefined ? { uid: as, gid: as } : {}),
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Snapshot;
  };

  /** What the one-shot choice weighs: open fds (allocated files where the kernel does not count fds). */
  const load = () => Math.max(Number(fs.readFileSync('/proc/sys/fs/file-nr', 'latin1').trim().split(/\s+/)[0]), openFdsOnMachine() ?? 0);

  test('one snapshot and exit (the CLI): on a machine with few open files the /proc walk, saying why; asked for, BPF; the same channels', () => {
    const before = load();
    const s = snapshotCli({});
    const forced = snapshotCli({ IPC_INSPECTOR_WALK: 'bpf-iter' });
    assertBpfRan(forced.capabilities.walk);
    // (fds change while the CLI runs: only a count clearly on one side of the line decides)
    if (Math.max(before, load()) < ONE_SHOT_BPF_MIN_FILES * 0.9) {
      assert.equal(s.capabilities.walk?.backend, 'proc');
      assert.match(s.capabilities.walk?.reason ?? '', /^bpf-iter: not chosen for one snapshot of \d+ open (fds \(\d+ open files\)|files)/);
    } else if (Math.min(before, load()) > ONE_SHOT_BPF_MIN_FILES * 1.1) {
      assertBpfRan(s.capabilities.walk);
    }
    assertSameChannels(forced, s, new Set(fxs.flatMap((f) => f.pids)), 'one-shot choice');
  });

  test('one snapshot and exit on a machine of many fds over few files (one pipe end dup\'d in four processes): the fds decide, BPF is chosen', { skip: openFdsOnMachine() === null ? 'the kernel does not count a process\'s fds (st_size of /proc/PID/fd, Linux >= 6.2)' : false }, async () => {
    // 4 × 15,000 fds of one pipe: two allocated files
    const py = `
import os, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
r, w = os.pipe()
for _ in range(min(15000, hard - 64)): os.dup(w)
kids = []
for _ in range(3):
    k = os.fork()
    if k == 0:
        sys.stdin.read(); os._exit(0)
    kids.append(k)
print(os.getpid(), flush=True)
sys.stdin.read()
for k in kids: os.waitpid(k, 0)
`;
    const bomb = spawn('python3', ['-c', py], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await lineReader(bomb).next('the dup bomb');
      const before = load();
      const s = snapshotCli({});
      if (Math.min(before, load()) > ONE_SHOT_BPF_MIN_FILES * 1.1) assertBpfRan(s.capabilities.walk, `${before} fds`);
      else assert.fail(`the workload should hold more than ${ONE_SHOT_BPF_MIN_FILES * 1.1} fds: ${before}`);
    } finally {
      const gone = new Promise((r) => bomb.once('exit', r));
      bomb.stdin!.end();
      await gone;
    }
  });

  test('no kernel BTF: capabilities.walk is the /proc walk with the reason, channels identical to bpf-iter', async () => {
    const ref = await takeSnapshot({ walk: 'bpf-iter', processes: 'all' });
    const s = snapshotCli({ IPC_INSPECTOR_BTF: path.join(tmp, 'no-such-btf') });
    assert.equal(s.capabilities.walk?.backend, 'proc');
    assert.match(s.capabilities.walk?.reason ?? '', /^bpf-iter: no kernel BTF at .*no-such-btf/);
    assertSameChannels(ref, s, new Set(fxs.flatMap((f) => f.pids)), 'no BTF');
  });

  test('as an unprivileged user: capabilities.walk is the /proc walk, not privileged, channels identical to bpf-iter', async () => {
    const pids = new Set([nobodyFx!.info.pid, ...nobodyFx!.info.children]);
    const ref = await takeSnapshot({ walk: 'bpf-iter', processes: 'all' });
    const s = snapshotCli({}, 65534);
    assert.equal(s.capabilities.root, false);
    assert.equal(s.capabilities.walk?.backend, 'proc');
    assert.match(s.capabilities.walk?.reason ?? '', /^bpf-iter: not privileged/);
    assert.ok(touching(s, pids).size >= 1, "nobody's socketpair seen");
    assertSameChannels(ref, s, pids, 'unprivileged');
    // and root's processes' fds stay hidden from it, as before
    assert.ok(!s.channels.some((c) => c.endpoints.some((e) => e.pid === process.pid && e.fd !== undefined)), "no fd of root's processes");
  });
});
