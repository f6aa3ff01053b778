// The size of a /dev/shm object known only by its holders — a file under a subdirectory of
// /dev/shm (JACK's Berkeley DB files, /dev/shm/jack_db-0/__db.001) or one unlinked while mapped —
// is the file's size, not its mapping's length: a mapping may be longer than its file (mmap past
// the end is allowed; Berkeley DB maps 1 MiB over a 280 KiB file), and the pages past the file's
// last one fault. Real processes (fixtures/ipc-tool.c `map-past-eof`) make a 5000-byte file and
// map 12288 bytes of it: one keeps its fd, one closes it (only the mapping holds it), one unlinks
// a 426-byte file mapped over 8192 bytes. Both fd walks must give the file's size (read through a
// holder's fd, or as root through /proc/PID/map_files); a peek stops at the file's end — the bytes
// up to it, then "past the end" naming the address asked for, never EIO from the page after. As
// user nobody (map_files is root's), an object held only by its mapping keeps the mapping's length,
// said by sizeIsMapping and an errors[] entry, and a peek past the file's end names the address it read.
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/shmSize.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PosixShmChannel, Snapshot } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { ActionError } from '../../src/core/actions/errors';
import { toolBinary } from '../../fixtures/ipcFixture';
import { cannotActAsNobody, LONE_UID, NOBODY, runAsNobody, stageForOtherUsers, SYSTEM_PYTHON, type Staged } from '../harness/otherUser';
import { assertReadInTurns, holdAs } from './sharedBound';
import { lineReader } from './childLines';
import { byteCount } from '../../src/core/text';

const PAGE = 4096;
const haveCc = spawnSync('sh', ['-c', 'command -v cc']).status === 0;
const native = loadNative().addon;
const children: ChildProcess[] = [];
/** Everything made in /dev/shm, removed after (the unlinked files are gone already). */
const made: string[] = [];

after(async () => {
  for (const c of children) c.stdin?.end(); // EOF ends the helpers
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => {
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    c.once('exit', () => r(clearTimeout(t)));
  }))));
  for (const p of made) fs.rmSync(p, { recursive: true, force: true });
});

interface Holder {
  pid: number;
  /** -1: closed (only the mapping holds the file). */
  fd: number;
  inode: number;
  /** The mapping's start. */
  lo: number;
}

/** ipc-tool map-past-eof PATH SIZE MAPLEN [close|unlink]: one process that maps PATH past its end and holds it until stdin's EOF. */
async function mapPastEof(bin: string, file: string, size: number, mapLen: number, how: '' | 'close' | 'unlink', opts: SpawnOptions = {}): Promise<Holder> {
  const c = spawn(bin, ['map-past-eof', file, String(size), String(mapLen), ...(how ? [how] : [])], { stdio: ['pipe', 'pipe', 'inherit'], ...opts });
  children.push(c);
  const [pid, fd, inode, lo] = (await lineReader(c).next(`the map-past-eof line for ${file}`)).split(' ');
  assert.equal(Number(pid), c.pid);
  return { pid: Number(pid), fd: Number(fd), inode: Number(inode), lo: parseInt(lo, 16) };
}

/** `major:minor` of a device number, as ids carry it. */
function devName(dev: number): string {
  return `${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
}

/** The one posix-shm channel `h`'s process holds. */
function channelOf(snap: Pick<Snapshot, 'channels'>, h: Holder, what: string): PosixShmChannel {
  const mine = snap.channels.filter((c) => c.kind === 'posix-shm' && c.endpoints.some((e) => e.pid === h.pid));
  assert.equal(mine.length, 1, `${what}: one posix-shm channel of ${h.pid}: ${mine.map((c) => c.id).join(', ')}`);
  return mine[0] as PosixShmChannel;
}

/** `at 0x…`: the address of the byte `offset` of the mapping starting at `lo`. */
const addressText = (lo: number, offset: number) => `at 0x${(lo + offset).toString(16)}`;

describe('the size of a /dev/shm object known by its holders is the file\'s, not the mapping\'s', { skip: haveCc ? false : 'needs cc' }, () => {
  const dir = fs.mkdtempSync('/dev/shm/ipci-size-');
  made.push(dir);
  const gone = `/dev/shm/ipci-size-gone-${process.pid}`;
  made.push(gone);
  const dev = devName(fs.statSync(dir).dev);
  let held: Holder; // the fd kept, as jackd keeps its __db files
  let mapped: Holder; // only the mapping holds it
  let unlinked: Holder; // unlinked while mapped, as JACK's client segments
  before(async () => {
    const bin = await toolBinary('ipc-tool');
    held = await mapPastEof(bin, `${dir}/db`, 5000, 3 * PAGE, '');
    mapped = await mapPastEof(bin, `${dir}/mapped`, 5000, 3 * PAGE, 'close');
    unlinked = await mapPastEof(bin, gone, 426, 2 * PAGE, 'unlink');
    assert.equal(fs.existsSync(gone), false, 'unlinked');
  });

  it('is the file\'s size on both walks (fd, mapping only, unlinked), and the walks agree', async () => {
    const seen: string[] = [];
    for (const walk of ['proc', 'bpf-iter'] as const) {
      const snap = await takeSnapshot({ kinds: ['posix-shm'], walk });
      const cases = [
        [held, `posix-shm:file/${dev}:${held.inode}`, 5000],
        [mapped, `posix-shm:file/${dev}:${mapped.inode}`, 5000],
        [unlinked, `posix-shm:deleted/${dev}:${unlinked.inode}`, 426],
      ] as const;
      for (const [h, id, size] of cases) {
        const ch = channelOf(snap, h, walk);
        assert.equal(ch.id, id, walk);
        if (native) {
          assert.equal(ch.size, size, `${walk}: ${id} is ${size} bytes (its mapping is longer)`);
          assert.equal(ch.sizeIsMapping, undefined, `${walk}: ${id}`);
          assert.equal(ch.errors, undefined, `${walk}: ${id}: nothing missing`);
        } else {
          // without the addon no holder is asked: the mapping's length, said as such
          assert.equal(ch.sizeIsMapping, true, `${walk}: ${id}`);
          assert.deepEqual(ch.errors, [{ field: 'size', syscall: 'statx', code: 'ENOSYS' }]);
        }
      }
      if (walk === 'bpf-iter' && snap.capabilities.walk?.backend !== 'bpf-iter') continue; // no BPF here: the /proc walk answered
      seen.push(JSON.stringify(cases.map(([h]) => channelOf(snap, h, walk))));
    }
    for (const s of seen.slice(1)) assert.equal(s, seen[0], 'the walks agree');
  });

  it('is read only from a regular file of the dev:inode asked for (what the holder has there now)', { skip: native?.heldFileStat ? false : 'needs the native addon' }, async () => {
    const [major, minor] = dev.split(':').map(Number);
    assert.deepEqual(await native!.heldFileStat!(held.pid, `fd/${held.fd}`, held.inode, major, minor), { size: 5000 });
    // its fd 0 is a pipe (its stdin), the mapping another inode's: neither is taken for the file
    await assert.rejects(native!.heldFileStat!(held.pid, 'fd/0', held.inode, major, minor), (e: NodeJS.ErrnoException) => e.code === 'ESTALE');
    const other = `${unlinked.lo.toString(16)}-${(unlinked.lo + 2 * PAGE).toString(16)}`;
    await assert.rejects(native!.heldFileStat!(unlinked.pid, `map_files/${other}`, held.inode, major, minor), (e: NodeJS.ErrnoException) => e.code === 'ESTALE');
    assert.throws(() => native!.heldFileStat!(held.pid, '../1/fd/0', held.inode, major, minor), TypeError, 'nothing but fd/N and map_files/LO-HI is followed');
  });

  it('peeks up to the file\'s end, and past it says so naming the address asked for, never EIO', { skip: native ? false : 'needs the native addon' }, async () => {
    const snap = await takeSnapshot({ kinds: ['posix-shm'] });
    for (const [h, size] of [[held, 5000], [mapped, 5000], [unlinked, 426]] as const) {
      const ch = channelOf(snap, h, 'default walk');
      const last = (await peekChannel(ch, snap.processes, { offset: size - 10, maxBytes: 100 })) as BytesPeek;
      assert.equal(last.data.length, 10, `${ch.id}: the last 10 bytes`);
      assert.equal(last.data.toString(), Buffer.from('eof-test-'.repeat(Math.ceil(size / 9)).slice(size - 10, size)).toString());
      assert.equal(last.total, size, `${ch.id}: N bytes of the file's size`);
      assert.equal(last.truncated, false);
      const end = (await peekChannel(ch, snap.processes, { offset: size, maxBytes: 100 })) as BytesPeek;
      assert.equal(end.data.length, 0, `${ch.id}: nothing at the end`);
      // inside the file's last page (zeros to a plain read) and on the next page (which faults): past the end, by the address asked for
      for (const offset of [size + 100, PAGE + 1000, 2 * PAGE - 1].filter((o) => o > size)) {
        await assert.rejects(peekChannel(ch, snap.processes, { offset, maxBytes: 100 }), (e: ActionError) => {
          assert.equal(e.code, 'EINVAL', `${ch.id} at ${offset}: ${e.message}`);
          assert.ok(e.message.includes(`read /proc/${h.pid}/mem ${addressText(h.lo, offset)}`), `the address read, not the mapping's start: ${e.message}`);
          assert.ok(e.message.includes(`offset ${offset} is past the end (${byteCount(size)})`), e.message);
          return true;
        });
      }
    }
  });

  describe('as user nobody (its own objects: their fds are its to follow, /proc/PID/map_files is not)', () => {
    const skip = cannotActAsNobody() || (!native ? 'needs the native addon' : false);
    const cli = path.resolve(__dirname, '../../cli.js');
    let staged: Staged | undefined;
    let nbHeld: Holder;
    let nbMapped: Holder;
    before(async () => {
      if (skip) return;
      // the helper and the CLI where nobody can run them (the checkout may be closed to it), its files in a directory of its own
      staged = stageForOtherUsers([[await toolBinary('ipc-tool'), 'ipc-tool'], [cli, 'dist/cli.js'], [loadNative().path!, 'native/build/Release/ipc_inspector.node']]);
      const nbDir = fs.mkdtempSync('/dev/shm/ipci-size-nobody-');
      made.push(nbDir);
      fs.chownSync(nbDir, NOBODY.uid, NOBODY.gid);
      nbHeld = await mapPastEof(staged.path('ipc-tool'), `${nbDir}/db`, 5000, 3 * PAGE, '', { ...NOBODY, cwd: '/' });
      nbMapped = await mapPastEof(staged.path('ipc-tool'), `${nbDir}/mapped`, 5000, 3 * PAGE, 'close', { ...NOBODY, cwd: '/' });
    });
    after(() => staged?.remove());
    const asNobody = (args: string[]) =>
      runAsNobody(process.execPath, [staged!.path('dist/cli.js'), ...args], { env: { LANG: 'C.UTF-8', IPC_INSPECTOR_NATIVE: staged!.path('native/build/Release/ipc_inspector.node') } });

    it('reads the size through its fd; held only by a mapping, keeps the mapping\'s length and says so; a peek past the end names the address read', { skip }, () => {
      const r = asNobody(['snapshot', '--json', '--kind', 'posix-shm', '--pid', `${nbHeld.pid},${nbMapped.pid}`]);
      assert.equal(r.status, 0, r.stderr);
      const snap = JSON.parse(r.stdout) as Snapshot;
      const viaFd = channelOf(snap, nbHeld, 'nobody');
      assert.equal(viaFd.size, 5000, 'through its own process\'s fd');
      assert.equal(viaFd.sizeIsMapping, undefined);
      const onlyMapped = channelOf(snap, nbMapped, 'nobody');
      assert.equal(onlyMapped.size, 3 * PAGE, 'the mapping\'s length: nothing else can be read');
      assert.equal(onlyMapped.sizeIsMapping, true, 'said as such');
      assert.deepEqual(onlyMapped.errors, [{ field: 'size', syscall: 'open', code: 'EPERM' }], 'and why the file\'s size is missing');
      // the size unknown: a read on the page past the file's end gets nothing, said by the address it read
      const offset = 2 * PAGE + 100;
      const p = asNobody(['peek', onlyMapped.id, '--offset', String(offset)]);
      assert.notEqual(p.status, 0, p.stdout);
      assert.ok(p.stderr.includes(`read /proc/${nbMapped.pid}/mem ${addressText(nbMapped.lo, offset)}`), `the address read: ${p.stderr}`);
      assert.match(p.stderr, /EIO|EFAULT/);
      assert.match(p.stderr, /past the end of the file/);
      const ok = asNobody(['peek', onlyMapped.id, '--offset', '4990', '--json']);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /the read is bounded by the mapping/, 'the note says the size is not known');
    });
  });
});

// The bound on size reads (64 a snapshot) is shared by users in turn (core/heldObjects.ts
// readOrder): an unprivileged attacker (nobody) holds more unlinked /dev/shm files than that, all
// older than another user's two; a machine-wide snapshot must still size the other user's, and the
// attacker's only in part. In the order before (by inode), the attacker's took the whole bound.
const MANY_SHM = `
import mmap, os, sys
pre, n = sys.argv[1], int(sys.argv[2])
keep = []
for i in range(n):
    p = '/dev/shm/%s-%d' % (pre, i)
    fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.ftruncate(fd, 1000 + i)
    keep.append((fd, mmap.mmap(fd, 1000 + i)))
    os.unlink(p)
print('ready', flush=True)
sys.stdin.readline()
`;
describe('/dev/shm sizes: one user\'s many objects leave another user\'s their size reads', { skip: !SYSTEM_PYTHON ? 'no /usr/bin/python3 (one other users can run)' : !native ? 'needs the native addon (no size reads)' : process.geteuid?.() !== 0 ? 'needs root: runs processes as other users' : false }, () => {
  const holder = (uid: number, pre: string, n: number) => holdAs(uid, MANY_SHM, pre, n, children);

  it('on both walks', async () => {
    const attacker = await holder(NOBODY.uid, `ipci-fair-${process.pid}-a`, 80);
    const victim = await holder(LONE_UID, `ipci-fair-${process.pid}-v`, 2);
    for (const walk of ['proc', 'bpf-iter'] as const) {
      const snap = await takeSnapshot({ kinds: ['posix-shm'], walk });
      const of = (pid: number) => snap.channels.filter((c): c is PosixShmChannel => c.kind === 'posix-shm' && c.endpoints.some((e) => e.pid === pid));
      const exact = (c: PosixShmChannel) => !c.sizeIsMapping && c.size === 1000 + Number(c.name.slice(c.name.lastIndexOf('-') + 1));
      assertReadInTurns(walk, of(attacker), of(victim), [80, 2], exact, (c) => ({ name: c.name, size: c.size, sizeIsMapping: c.sizeIsMapping, errors: c.errors }));
    }
  });
});
