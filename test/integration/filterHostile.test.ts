// A filter in the form of a SysV key (`0x…`) or a channel id (`pipe:4901`) names objects only
// (core/filter.ts): another user's text that merely contains it must not bring anything into the
// views. Here the attacker (`nobody`) leaves stale socket files named like a key and like an id —
// problems about no object, which the Problems view lists under a plain-word filter when their
// title names it — and the diagnosis, narrowed as the views are, must not list them for that key
// or id; and it names its processes like a key, an id and a dual-stack listener's address (`*:PORT`),
// which neither the trees' filter nor the map's search (core/topology/graph.ts) may match. Run as
// root (the attacker is uid 65534).
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
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
});
