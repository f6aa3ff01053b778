// anon-shm on real kernel objects: a helper (fixtures/ipc-tool.c `anon-shm`) maps 1 MiB MAP_SHARED|
// MAP_ANONYMOUS (or a memfd with MAP_SHARED), forks, and parent and child both hold the mapping
// until their stdin closes. takeSnapshot must show one channel with both pids, native and TS paths.
// Run: node scripts/build.mjs test/integration/anonShm && node --test dist/test/integration/anonShm.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AnonShmChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel } from '../../src/core/actions/peek';
import { closeAll, makeFixture, toolBinary, type Fixture } from '../../fixtures/ipcFixture';
import { lineReader } from './childLines';
import { LONE_UID, pythonAs, SYSTEM_PYTHON } from '../harness/otherUser';
import { assertReadInTurns } from './sharedBound';

const haveCc = spawnSync('sh', ['-c', 'command -v cc']).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-anonshm-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const children: ChildProcess[] = [];
const forked: number[] = [];
const MEMFD_NAME = `ipci${process.pid} a <b>&"x"`;

interface Pair {
  parent: number;
  child: number;
}

function firstLine(c: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('timed out waiting for helper')), 10_000);
    c.stdout!.setEncoding('utf8');
    c.stdout!.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) {
        clearTimeout(t);
        resolve(buf.slice(0, i));
      }
    });
    c.on('exit', (code) => reject(new Error(`helper exited ${code}`)));
  });
}

async function startHelper(bin: string, args: string[]): Promise<Pair> {
  const c = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(c);
  const [parent, child] = (await firstLine(c)).split(' ').map(Number);
  forked.push(child);
  assert.equal(parent, c.pid);
  return { parent, child };
}

function findFor(chs: AnonShmChannel[], pair: Pair): AnonShmChannel | undefined {
  return chs.find((c) => c.endpoints.some((e) => e.pid === pair.parent) && c.endpoints.some((e) => e.pid === pair.child));
}

describe('anon-shm (real shared anonymous memory and memfd)', { skip: haveCc ? false : 'no cc' }, () => {
  let anon: Pair;
  let memfd: Pair;
  before(async () => {
    const bin = await toolBinary('ipc-tool'); // fixtures/ipc-tool.c `anon-shm [memfd NAME]`
    anon = await startHelper(bin, ['anon-shm']);
    memfd = await startHelper(bin, ['anon-shm', 'memfd', MEMFD_NAME]);
  });

  after(async () => {
    for (const c of children) c.stdin?.end(); // EOF ends parent and child
    await new Promise((r) => setTimeout(r, 200));
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const pid of forked) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const paths: Array<[string, boolean]> = [
    ['native', true],
    ['TypeScript (useNative: false)', false],
  ];
  for (const [label, useNative] of paths) {
    const skip = useNative && !loadNative().addon ? 'native addon not loaded' : false;
    it(`${label}: finds both regions with both pids and the right size`, { skip }, async () => {
      const snap = await takeSnapshot({ kinds: ['anon-shm'], useNative });
      assert.equal(snap.capabilities.native, useNative);
      const chs = snap.channels.filter((c): c is AnonShmChannel => c.kind === 'anon-shm');
      assert.ok(chs.length >= 2, 'the two helpers\' regions are channels');
      assert.ok(chs.every((c) => new Set(c.endpoints.map((e) => e.pid)).size >= 2), 'single-process mappings are not channels');

      const a = findFor(chs, anon);
      assert.ok(a, `no anon-shm channel with pids ${anon.parent} and ${anon.child}: ${JSON.stringify(chs.map((c) => c.id))}`);
      assert.equal(a.name, '/dev/zero');
      assert.equal(a.size, 1 << 20);
      assert.match(a.id, /^anon-shm:[0-9a-f]+:[0-9a-f]+:\d+$/);
      assert.equal(a.id, `anon-shm:${a.dev}:${a.inode}`);
      const ae = a.endpoints.filter((e) => e.pid === anon.parent || e.pid === anon.child);
      assert.equal(ae.length, 2);
      for (const e of ae) {
        assert.equal(e.mode, 'rw');
        assert.match(e.map!, /^[0-9a-f]+-[0-9a-f]+$/);
      }
      assert.equal(ae[0].map, ae[1].map, 'inherited across fork: same address');

      const m = findFor(chs, memfd);
      assert.ok(m, `no memfd channel with pids ${memfd.parent} and ${memfd.child}`);
      assert.equal(m.name, 'memfd:' + MEMFD_NAME);
      assert.equal(m.size, 1 << 20);
      assert.deepEqual(m.endpoints.map((e) => e.pid).sort((x, y) => x - y), [memfd.parent, memfd.child].sort((x, y) => x - y));
      assert.notEqual(a.id, m.id);
    });
  }

  it('peeks the shared bytes through a holder\'s /proc/PID/mem, at an offset, bounded', async () => {
    const snap = await takeSnapshot({ kinds: ['anon-shm'] });
    const chs = snap.channels.filter((c): c is AnonShmChannel => c.kind === 'anon-shm');
    const a = findFor(chs, anon);
    assert.ok(a);
    const r = await peekChannel(a, snap.processes, { maxBytes: 4096, offset: 1000 });
    assert.equal(r.type, 'bytes');
    if (r.type !== 'bytes') return;
    assert.equal(r.total, 1 << 20);
    assert.equal(r.offset, 1000);
    assert.equal(r.data.length, 4096);
    assert.ok(r.data.every((b) => b === 0x5a), 'the helper filled the region with 0x5a');
    assert.equal(r.truncated, true);
    await assert.rejects(peekChannel(a, snap.processes, { maxBytes: 16, offset: (1 << 20) + 1 }), /past the end/);
  });

  it('--kind anon-shm alone does not report other kinds', async () => {
    const snap = await takeSnapshot({ kinds: ['anon-shm'] });
    assert.ok(snap.channels.length > 0, 'the helpers\' regions are listed');
    assert.ok(snap.channels.every((c) => c.kind === 'anon-shm'));
  });
});

// A memfd held through fds (fixtures/ipc-fixture.c `memfd`): the fixture holds it as an fd only
// (writes with pwrite, never maps it), a child holds a read-only fd of its own, another maps it.
// Its fd holders are endpoints beside its mappers, and count toward the two processes; a memfd
// nobody maps is a channel of fds alone. The name is the creator's text: ` (deleted)` inside it.
describe('anon-shm: a memfd held through fds as well as mapped', { skip: haveCc ? false : 'no cc' }, () => {
  const NAME = `ipci${process.pid} ring (deleted)`;
  let mapped: Fixture;
  let odd: Fixture;
  let fdsOnly: Fixture;
  let alone: Fixture;
  before(async () => {
    mapped = await makeFixture('memfd', { name: NAME });
    odd = await makeFixture('memfd', { name: `ipci${process.pid} odd`, size: 5000, reader: 0 });
    fdsOnly = await makeFixture('memfd', { name: `ipci${process.pid} fds only`, map: 0 });
    alone = await makeFixture('memfd', { name: `ipci${process.pid} alone`, map: 0, reader: 0 });
  });
  after(() => closeAll([mapped, fdsOnly, alone, odd]));

  const idOf = (info: { dev: string; inode: number }) => {
    const [major, minor] = info.dev.split(':').map(Number);
    return `anon-shm:${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${info.inode}`;
  };
  const eps = (ch: AnonShmChannel) => ch.endpoints.map((e) => JSON.stringify(e)).sort();

  for (const [label, useNative] of [['native', true], ['TypeScript (useNative: false)', false]] as const) {
    const skip = useNative && !loadNative().addon ? 'native addon not loaded' : false;
    it(`${label}: the fd holders (with their fds' modes) and the mapper are one channel; fds alone make one too`, { skip }, async () => {
      // (asked about the fixtures' processes: their memfds are sized first, whatever other shared
      // memfds the machine has — a browser's hundreds would use up the snapshot's bound on size reads)
      const pids = [mapped, odd, fdsOnly, alone].flatMap((f) => f.pids);
      const snap = await takeSnapshot({ kinds: ['anon-shm'], useNative, pids });
      const chs = snap.channels.filter((c): c is AnonShmChannel => c.kind === 'anon-shm');
      const m = chs.find((c) => c.id === idOf(mapped.info));
      assert.ok(m, `no channel ${idOf(mapped.info)}: ${JSON.stringify(chs.map((c) => c.id))}`);
      assert.equal(m.name, 'memfd:' + NAME);
      assert.equal(m.size, 8192);
      assert.deepEqual(eps(m), [mapped.info.holder, mapped.info.reader, mapped.info.mapper].map((e) => JSON.stringify(e)).sort());

      const f = chs.find((c) => c.id === idOf(fdsOnly.info));
      assert.ok(f, 'a memfd no process maps, held by two processes\' fds, is a channel');
      assert.equal(f.name, `memfd:ipci${process.pid} fds only`);
      // its size through a holder's fd (fstat), natively; the TypeScript walk has no way to it and says why
      assert.equal(f.size, useNative ? 8192 : null);
      assert.deepEqual(f.errors, useNative ? undefined : [{ field: 'size', code: 'ENOSYS', syscall: 'statx' }]);
      assert.deepEqual(eps(f), [fdsOnly.info.holder, fdsOnly.info.reader].map((e) => JSON.stringify(e)).sort());

      assert.equal(chs.find((c) => c.id === idOf(alone.info)), undefined, 'one process alone is not IPC');

      // a memfd of 5,000 bytes is mapped as two pages: its size is the file's, natively (ninth pass:
      // Weston's and PipeWire's pools showed their page-rounded mappings); else the mappings' reach, said so
      const o = chs.find((c) => c.id === idOf(odd.info));
      assert.ok(o, 'the 5,000-byte memfd');
      assert.deepEqual({ size: o.size, sizeIsMapping: o.sizeIsMapping }, useNative ? { size: 5000, sizeIsMapping: undefined } : { size: 8192, sizeIsMapping: true });
    });
  }

  it('peeks a memfd through its mapper; one held by fds alone says why it cannot', async () => {
    const snap = await takeSnapshot({ kinds: ['anon-shm'] });
    const m = snap.channels.find((c): c is AnonShmChannel => c.id === idOf(mapped.info));
    assert.ok(m);
    const r = await peekChannel(m, snap.processes, { maxBytes: 26 });
    assert.equal(r.type, 'bytes');
    if (r.type === 'bytes') assert.equal(r.data.toString(), mapped.info.pattern);
    const f = snap.channels.find((c): c is AnonShmChannel => c.id === idOf(fdsOnly.info));
    assert.ok(f);
    await assert.rejects(peekChannel(f, snap.processes, { maxBytes: 16 }), /no process maps it \(only fds hold it\)/);
  });
});

// Past the probe's bound on size reads a snapshot (64), the memfds read are the oldest by inode,
// not the first in the walk's order (pid, then mapping address: the kernel places new mappings
// below the old ones, so the newest came first): then a memfd mapped since does not take the place
// of one read the last time (a desktop's ~175 memfds flickered between an exact size and the
// mappings' reach from one snapshot to the next). Each is mapped and held by fds in two processes.
// The snapshot asks about those two (`pids`): their memfds are read before any other process's,
// which the filter drops afterwards (a browser's older memfds had used up the bound).
const MANY_A = `
import mmap, os, sys
ph = os.open('/dev/null', os.O_RDONLY)
fds, maps = [], []
for i in range(int(sys.argv[1])):
    fd = os.memfd_create('ipci-many-%d' % i)
    os.ftruncate(fd, 1000 + i)
    maps.append(mmap.mmap(fd, 1000 + i))
    fds.append(fd)
print(' '.join(map(str, fds)), flush=True)
sys.stdin.readline()
os.close(ph)
fd = os.memfd_create('ipci-many-new')
os.ftruncate(fd, 999)
maps.append(mmap.mmap(fd, 999))
print(fd, flush=True)
sys.stdin.readline()
`;
const MANY_B = `
import mmap, os, sys
a = sys.argv[1]
ph = os.open('/dev/null', os.O_RDONLY)
maps = []
def take(fd):
    mine = os.open('/proc/%s/fd/%s' % (a, fd), os.O_RDWR)
    maps.append(mmap.mmap(mine, os.fstat(mine).st_size))
for fd in sys.argv[2:]:
    take(fd)
print('ready', flush=True)
fd = sys.stdin.readline().strip()
os.close(ph)
take(fd)
print('ready', flush=True)
sys.stdin.readline()
`;
const python3 = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim();

describe('anon-shm: more memfds than a snapshot reads the size of', { skip: !python3 ? 'python3 not installed' : !loadNative().addon ? 'native addon not built (no size reads)' : false }, () => {
  const N = 70;
  const started: ChildProcess[] = [];
  after(() => {
    for (const c of started) c.kill();
  });

  for (const walk of ['bpf-iter', 'proc'] as const) {
    it(`the oldest by inode get their size, snapshot after snapshot (${walk})`, async () => {
      const a = spawn(python3, ['-c', MANY_A, String(N)], { stdio: ['pipe', 'pipe', 'inherit'] });
      started.push(a);
      const nextA = lineReader(a).next;
      const fds = (await nextA()).split(' ');
      const b = spawn(python3, ['-c', MANY_B, String(a.pid), ...fds], { stdio: ['pipe', 'pipe', 'inherit'] });
      started.push(b);
      const nextB = lineReader(b).next;
      await nextB();
      const ours = async () => {
        const snap = await takeSnapshot({ walk, kinds: ['anon-shm'], pids: [a.pid!, b.pid!] });
        return snap.channels.filter((c): c is AnonShmChannel => c.kind === 'anon-shm' && c.name.startsWith('memfd:ipci-many-')).sort((x, y) => x.inode - y.inode);
      };
      // an exact size is the one ftruncate gave (1000 + i; 999 for the new one), not the mapping's page
      const exact = (c: AnonShmChannel) => c.size !== null && !c.sizeIsMapping && c.size === (c.name === 'memfd:ipci-many-new' ? 999 : 1000 + Number(c.name.slice('memfd:ipci-many-'.length)));
      const check = (chans: AnonShmChannel[], what: string) => {
        const read = chans.map(exact);
        const first = read.indexOf(false);
        assert.ok(first > 0, `${what}: some memfds sized (${read.filter(Boolean).length} of ${chans.length}; the first: ${JSON.stringify(chans.slice(0, 2).map((c) => ({ name: c.name, size: c.size, sizeIsMapping: c.sizeIsMapping, errors: c.errors })))})`);
        assert.ok(read.slice(first).every((r) => !r), `${what}: the sized ones are the oldest by inode: ${chans.filter((_, i) => read[i] && i > first).map((c) => c.name).join(', ')} sized after ${chans[first].name}`);
        return new Set(chans.filter(exact).map((c) => c.inode));
      };
      const before = await ours();
      assert.equal(before.length, N);
      const sized = check(before, 'before');
      assert.ok(sized.size < N, `the bound is reached (${sized.size} of ${N} sized)`);
      // a new memfd, mapped below the others and at the lowest fd of both: first in the walk's order
      a.stdin!.write('new\n');
      const fd = await nextA();
      b.stdin!.write(`${fd}\n`);
      await nextB();
      const now = await ours();
      assert.equal(now.length, N + 1);
      check(now, 'after a new memfd');
    });
  }
});

// The bound is shared by users in turn (core/heldObjects.ts readOrder): an unprivileged attacker
// (nobody) shares more memfds between two of its processes than a snapshot reads the size of, all
// older than another user's two; a machine-wide snapshot (no `pids`) must still size the other
// user's, and the attacker's only in part. By inode alone (the order before), the attacker's older
// memfds took the whole bound and the other user's showed their mappings' reach.
describe('anon-shm: one user\'s many memfds leave another user\'s their size reads', { skip: !SYSTEM_PYTHON ? 'no /usr/bin/python3 (one other users can run)' : !loadNative().addon ? 'native addon not built (no size reads)' : process.geteuid?.() !== 0 ? 'needs root: runs processes as other users' : false }, () => {
  const started: ChildProcess[] = [];
  after(() => {
    for (const c of started) c.kill();
  });
  // a pair of processes of user `uid` sharing `n` memfds named PREFIX-i of 1000 + i bytes
  const pair = async (uid: number, n: number) => {
    const a = pythonAs(uid, MANY_A, [String(n)]);
    started.push(a);
    const fds = (await lineReader(a).next()).split(' ');
    const b = pythonAs(uid, MANY_B, [String(a.pid), ...fds]);
    started.push(b);
    await lineReader(b).next();
    return [a.pid!, b.pid!];
  };

  for (const walk of ['bpf-iter', 'proc'] as const) {
    it(`(${walk})`, async () => {
      const attacker = await pair(65534, 80);
      const victim = await pair(LONE_UID, 2);
      const snap = await takeSnapshot({ walk, kinds: ['anon-shm'] });
      const of = (pids: number[]) =>
        snap.channels.filter((c): c is AnonShmChannel => c.kind === 'anon-shm' && c.name.startsWith('memfd:ipci-many-') && c.endpoints.some((e) => pids.includes(e.pid)));
      const exact = (c: AnonShmChannel) => !c.sizeIsMapping && c.size === 1000 + Number(c.name.slice('memfd:ipci-many-'.length));
      assertReadInTurns(walk, of(attacker), of(victim), [80, 2], exact, (c) => ({ name: c.name, size: c.size, sizeIsMapping: c.sizeIsMapping, errors: c.errors }));
      for (const c of started.splice(0)) c.kill();
    });
  }
});
