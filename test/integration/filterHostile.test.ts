// A filter in the form of a SysV key (`0x…`) or a channel id (`pipe:4901`) names objects only
// (core/filter.ts): another user's text that merely contains it must not bring anything into the
// views. Here the attacker (`nobody`) leaves stale socket files named like a key and like an id —
// problems about no object, which the Problems view lists under a plain-word filter when their
// title names it — and the diagnosis, narrowed as the views are, must not list them for that key
// or id; and it names its processes like a key, an id and a dual-stack listener's address (`*:PORT`),
// which neither the trees' filter nor the map's search (core/topology/graph.ts) may match, nor the
// Signals view's filter (a signal matches a key through the processes that hold the key's object).
// Run as root (the attacker is uid 65534).
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ActivityMonitor } from '../../src/core/activity/monitor';
import { addObjectHolders, processKey, signalMatchesText } from '../../src/core/activity/signalLog';
import type { SignalEvent } from '../../src/core/activity/types';
import type { Problem } from '../../src/core/diagnose';
import { applyFilter, EMPTY_FILTER } from '../../src/core/filter';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { buildTopology } from '../../src/core/topology/graph';
import { projectProcess } from '../../src/core/topology/types';
import { cannotActAsNobody, NOBODY } from '../harness/otherUser';
import { perl, python, Sampler, stopHelpers } from './diagnoseUtil';

const skip = cannotActAsNobody() || (loadNative().addon ? false : `native addon not loaded (${loadNative().error})`);

describe('a key- or id-shaped filter and other users\' names', { skip }, () => {
  after(() => stopHelpers());

  test("nobody's stale socket files named like a key and like an id are not listed under that key or id (a plain word in their path still lists them)", async () => {
    const dir = fs.mkdtempSync(path.join('/tmp', 'ipc-filter-hostile-'));
    fs.chmodSync(dir, 0o1777); // nobody binds in it
    const key = `0x${(0x51c00000 + (process.pid & 0xfffff)).toString(16).padStart(8, '0')}`;
    const id = `pipe:${900_000_000 + process.pid}`;
    try {
      const files = [path.join(dir, key), path.join(dir, id)];
      // the attacker listens on both (the diagnosis looks in a listener's directory), then exits without unlinking them
      const h = await python(
        'import socket,sys\nss=[]\nfor p in sys.argv[1:]:\n  s=socket.socket(socket.AF_UNIX)\n  s.bind(p)\n  s.listen(1)\n  ss.append(s)\nprint("READY",flush=True)\nsys.stdin.read()',
        files,
        { ...NOBODY, cwd: '/' },
      );
      for (const f of files) assert.equal(fs.lstatSync(f).uid, NOBODY.uid, 'the attacker made it');
      const inodes = files.map((f) => fs.lstatSync(f).ino);
      await h.stop();
      const s = new Sampler();
      const stale = (d: { problems: Problem[] }) => d.problems.filter((p) => p.id.startsWith('socket-path:stale:') && inodes.some((i) => p.id.endsWith(`:${i}`)));
      const found = await s.until((d) => (stale(d).length === 2 ? stale(d) : []), 'both stale socket files', { min: 2 });
      assert.ok(found.some((p) => p.title.includes(key)) && found.some((p) => p.title.includes(id)), found.map((p) => p.title).join('\n'));

      for (const text of [key, key.slice(0, 6), id, id.toUpperCase()]) {
        s.diagnoser.setNarrowing({ ...EMPTY_FILTER, text });
        const listed = stale(await s.sample());
        assert.deepEqual(listed.map((p) => p.title), [], `filter ${JSON.stringify(text)} names objects only`);
      }
      // a plain word still finds a problem about no object by its title
      s.diagnoser.setNarrowing({ ...EMPTY_FILTER, text: path.basename(dir) });
      assert.equal(stale(await s.sample()).length, 2, 'listed under a word of their path');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("nobody's processes named like a key and like an id are no match of the map's search for that key or id (its pid still is)", async () => {
    const key = `0x${(0x52c00000 + (process.pid & 0xfffff)).toString(16).padStart(8, '0')}`;
    const id = `pipe:${800_000_000 + process.pid}`;
    // each holds a pipe, so the map draws it; its name (comm and argv[0]) is the key's or the id's text
    const code = '$| = 1; pipe(my $r, my $w) or die; $0 = $ARGV[0]; print "READY\\n"; <STDIN>;';
    const attackers = await Promise.all([key, id].map((name) => perl(code, [name], { ...NOBODY, cwd: '/' })));
    const snap = await takeSnapshot({});
    for (const [i, name] of [key, id].entries()) {
      const p = snap.processes.find((x) => x.pid === attackers[i].pid);
      assert.ok(p && p.uid === NOBODY.uid && p.comm === name, `the attacker as the snapshot has it: ${JSON.stringify(p && { comm: p.comm, uid: p.uid })}`);
    }
    const search = (text: string) =>
      buildTopology({
        processes: new Map(snap.processes.map((p) => [p.pid, projectProcess(p)])),
        allChannels: new Map(snap.channels.map((c) => [c.id, c])),
        channels: snap.channels,
        allowed: null,
        rates: new Map(),
        problems: [],
        groupBy: 'tree',
        expanded: new Set(),
        collapsed: new Set(),
        budget: 100_000,
        search: text,
      });
    for (const text of [key, key.slice(0, 6), key.toUpperCase().replace('0X', '0x'), id]) {
      const g = search(text);
      const marked = g.nodes.filter((n) => n.match).map((n) => n.id);
      assert.deepEqual(marked, [], `search ${JSON.stringify(text)} names objects only: ${g.matches} match(es)`);
    }
    for (const a of attackers) assert.ok(search(String(a.pid)).nodes.some((n) => n.match && n.id === `p:${a.pid}`), `its pid finds ${a.pid}`);
  });

  test("nobody's process named like a dual-stack listener's address (`*:PORT`) is no match of that address: the trees' filter and the map's search find the listener only", async (t) => {
    // the listener: this process, on the IPv6 wildcard taking IPv4 too (shown `*:PORT`, as ss shows it)
    const server = net.createServer();
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ port: 0, host: '::', ipv6Only: false }, () => resolve(true));
    });
    if (!listening) return t.skip('no IPv6 here: no dual-stack listener');
    try {
      const port = (server.address() as net.AddressInfo).port;
      const name = `*:${port}`;
      const code = '$| = 1; pipe(my $r, my $w) or die; $0 = $ARGV[0]; print "READY\\n"; <STDIN>;';
      const attacker = await perl(code, [name], { ...NOBODY, cwd: '/' });
      const snap = await takeSnapshot({});
      const p = snap.processes.find((x) => x.pid === attacker.pid);
      assert.ok(p && p.uid === NOBODY.uid && p.comm === name, `the attacker as the snapshot has it: ${JSON.stringify(p && { comm: p.comm, uid: p.uid })}`);
      const mine = snap.channels.find((c) => c.kind === 'tcp' && c.local === `[::]:${port}` && c.endpoints.some((e) => e.pid === process.pid));
      assert.ok(mine, `our listener on [::]:${port} in the snapshot`);
      for (const text of [name, `*:${String(port).slice(0, -1)}`]) {
        const shown = applyFilter(snap, { ...EMPTY_FILTER, text });
        assert.ok(shown.channels.some((c) => c.id === mine.id), `filter ${JSON.stringify(text)} finds the listener`);
        assert.ok(!shown.pids.has(attacker.pid), `filter ${JSON.stringify(text)} names sockets by address, not nobody's process named so (its channels: ${shown.channels.filter((c) => c.endpoints.some((e) => e.pid === attacker.pid)).map((c) => c.id).join(', ')})`);
      }
      const g = buildTopology({
        processes: new Map(snap.processes.map((x) => [x.pid, projectProcess(x)])),
        allChannels: new Map(snap.channels.map((c) => [c.id, c])),
        channels: snap.channels,
        allowed: null,
        rates: new Map(),
        problems: [],
        groupBy: 'tree',
        expanded: new Set(),
        collapsed: new Set(),
        budget: 100_000,
        search: name,
      });
      const marked = g.nodes.filter((n) => n.match).map((n) => n.id);
      assert.ok(!marked.includes(`p:${attacker.pid}`), `the map's search marks nobody's process: ${marked.join(', ')}`);
    } finally {
      server.close();
    }
  });
  test("a signal to nobody's process named like a SysV key is no match of that key in the Signals view's filter; a signal to the process attached to the key's segment is", async (t) => {
    const monitor = new ActivityMonitor();
    const cap = await monitor.start();
    if (cap.source !== 'bpf') return t.skip(`no signal log here: ${cap.reason}`);
    const keyNum = 0x53c00000 + (process.pid & 0xfffff);
    const key = `0x${keyNum.toString(16).padStart(8, '0')}`;
    // the holder (root): attached to a segment of that key; the attacker (nobody): named the key's text, holding a pipe
    const holder = await python(
      'import ctypes,signal,sys\nc=ctypes.CDLL(None,use_errno=True)\nc.shmat.restype=ctypes.c_void_p\ni=c.shmget(int(sys.argv[1]),4096,0o1600)\nassert i>=0,ctypes.get_errno()\nassert c.shmat(i,None,0)!=ctypes.c_void_p(-1).value\nsignal.signal(signal.SIGUSR1,signal.SIG_IGN)\nprint("READY",flush=True)\nsys.stdin.read()',
      [String(keyNum)],
    );
    const attacker = await perl('$| = 1; $SIG{USR1} = "IGNORE"; pipe(my $r, my $w) or die; $0 = $ARGV[0]; print "READY\\n"; <STDIN>;', [key], { ...NOBODY, cwd: '/' });
    try {
      const snap = await takeSnapshot({});
      const a = snap.processes.find((x) => x.pid === attacker.pid);
      assert.ok(a && a.uid === NOBODY.uid && a.comm === key, `the attacker as the snapshot has it: ${JSON.stringify(a && { comm: a.comm, uid: a.uid })}`);
      const shm = snap.channels.find((c) => c.kind === 'sysv-shm' && c.key === keyNum);
      assert.ok(shm?.endpoints.some((e) => e.pid === holder.pid), `the segment of ${key} held by ${holder.pid}: ${JSON.stringify(shm?.endpoints)}`);
      await monitor.sample(null);
      process.kill(holder.pid, 'SIGUSR1');
      process.kill(attacker.pid, 'SIGUSR1');
      const got = new Map<number, SignalEvent>();
      while (got.size < 2) {
        await monitor.poll();
        for (const e of monitor.signals.all()) if (e.signal === 10 && (e.receiver.pid === holder.pid || e.receiver.pid === attacker.pid)) got.set(e.receiver.pid, e);
        if (got.size < 2) await new Promise((r) => setTimeout(r, 50));
      }
      const procs = new Map(snap.processes.map((p) => [p.pid, p]));
      for (const text of [key, key.slice(0, 6), key.toUpperCase().replace('0X', '0x')]) {
        // as the Signals view asks: through the holders of what the trees list for the text
        const holders = new Set<string>();
        addObjectHolders(holders, applyFilter(snap, { ...EMPTY_FILTER, text }), procs);
        const holds = (p: { pid: number; startTime: number }) => holders.has(processKey(p.pid, p.startTime));
        assert.ok(signalMatchesText(got.get(holder.pid)!, text, holds), `filter ${JSON.stringify(text)}: the signal to the key's holder is listed`);
        assert.ok(!signalMatchesText(got.get(attacker.pid)!, text, holds), `filter ${JSON.stringify(text)}: the signal to nobody's process named ${key} is listed`);
      }
      // a plain word still finds a signal by its receiver's name
      assert.ok(signalMatchesText(got.get(holder.pid)!, 'python'), 'a name still finds it');
    } finally {
      await monitor.stop();
      await attacker.stop();
      await holder.stop();
      spawnSync('ipcrm', ['-M', key]);
    }
  });
});
