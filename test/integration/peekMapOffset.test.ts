// A peek's offset is the object's, as pread on the file and shmat of a segment count it, also when
// it reads through a holder's mapping of only part of the object: mmap(fd, len, offset) shows the
// object from `offset` on (the maps line's offset column, the endpoint's mapOffset), and holders
// may map different windows of it. Real processes (fixtures/ipc-tool.c `map-windows`,
// `shm-window`) fill each 4096-byte page with its own bytes (pattern() here and there) and map:
//   - a /dev/shm file of 5 pages + 100 bytes, unlinked and closed (only the mappings hold it): the
//     parent maps pages 2–3 and 5–6 (past the file's end), a forked child pages 0 and 3–4; page 1
//     is mapped by nobody;
//   - a file under a subdirectory of /dev/shm whose name and fd are kept, mapped from page 2 on;
//   - a SysV segment of 4 pages whose attacher unmapped the first;
//   - a named POSIX object mapped from page 1 (read by pread: the control, the same offsets).
// Each offset must give the object's bytes at that offset, `total` its size; an offset no mapping
// covers says which windows are mapped (a segment is then attached instead); past the end names
// the address read. Both walks record the same mapOffset. As user nobody (no /proc/PID/map_files:
// the size unknown), through the CLI: the same bytes, the same clear error, and a read past the
// file's end fails naming the address it read; the snapshot's size is then how far the mappings reach.
//
//   node scripts/build.mjs test/integration cli && node --test dist/test/integration/peekMapOffset.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Channel, Endpoint, Snapshot } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import type { ActionError } from '../../src/core/actions/errors';
import { toolBinary } from '../../fixtures/ipcFixture';
import { cannotActAsNobody, NOBODY, runAsNobody, stageForOtherUsers, type Staged } from '../harness/otherUser';
import { lineReader } from './childLines';
import { byteCount } from '../../src/core/text';

const P = 4096;
const haveCc = spawnSync('sh', ['-c', 'command -v cc']).status === 0;
const native = loadNative().addon;
const children: ChildProcess[] = [];
const made: string[] = [];

after(async () => {
  for (const c of children) c.stdin?.end(); // EOF ends the helpers (and their forked children)
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => {
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    c.once('exit', () => r(clearTimeout(t)));
  }))));
  for (const p of made) fs.rmSync(p, { recursive: true, force: true });
});

/** Byte `o` of the objects the helpers make (ipc-tool.c pattern()). */
const pattern = (o: number) => (Math.floor(o / P) * 37 + (o % 251)) & 0xff;
const bytesAt = (offset: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => pattern(offset + i)));

interface Windows {
  pid: number;
  fd: number;
  inode: number;
  /** Where each window the parent was asked for starts, in its order. */
  at: number[];
  child?: { pid: number; at: number[] };
}

/** ipc-tool map-windows: the parent's windows, then (after `--`) a forked child's; `FROM:LEN` each. */
async function mapWindows(bin: string, file: string, size: number, how: 'keep' | 'close' | 'unlink', mine: string[], child: string[] = [], opts: SpawnOptions = {}): Promise<Windows> {
  const c = spawn(bin, ['map-windows', file, String(size), how, ...mine, ...(child.length ? ['--', ...child] : [])], { stdio: ['pipe', 'pipe', 'inherit'], ...opts });
  children.push(c);
  const lines = lineReader(c);
  let kid: Windows['child'];
  if (child.length) {
    const [pid, ...at] = (await lines.next(`the child's line for ${file}`)).split(' ');
    kid = { pid: Number(pid), at: at.map((a) => parseInt(a, 16)) };
  }
  const [pid, fd, inode, ...at] = (await lines.next(`the map-windows line for ${file}`)).split(' ');
  assert.equal(Number(pid), c.pid);
  return { pid: Number(pid), fd: Number(fd), inode: Number(inode), at: at.map((a) => parseInt(a, 16)), ...(kid ? { child: kid } : {}) };
}

/** `major:minor` of a device number, as ids carry it. */
function devName(dev: number): string {
  return `${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
}

function channel(snap: Pick<Snapshot, 'channels'>, id: string): Channel {
  const ch = snap.channels.find((c) => c.id === id);
  assert.ok(ch, `${id} in the snapshot: ${snap.channels.map((c) => c.id).join(', ')}`);
  return ch;
}

/** A channel's mapping endpoints as `pid@mapOffset`, sorted. */
const windowsOf = (ch: Channel) => ch.endpoints.filter((e: Endpoint) => e.map !== undefined).map((e) => `${e.pid}@${e.mapOffset ?? 0}`).sort();

const peekBytes = async (ch: Channel, snap: Snapshot, offset: number, maxBytes = 64) =>
  (await peekChannel(ch, new Map(snap.processes.map((p) => [p.pid, p])), { offset, maxBytes })) as BytesPeek;

const peekFails = (ch: Channel, snap: Snapshot, offset: number, check: (e: ActionError) => void) =>
  assert.rejects(peekChannel(ch, new Map(snap.processes.map((p) => [p.pid, p])), { offset, maxBytes: 64 }), (e: ActionError) => {
    check(e);
    return true;
  });

describe('a peek through a mapping of part of an object reads the object\'s bytes at the object\'s offset', { skip: !haveCc ? 'needs cc' : !native ? 'needs the native addon' : false }, () => {
  const gonePath = `/dev/shm/ipci-window-gone-${process.pid}`;
  const dir = fs.mkdtempSync('/dev/shm/ipci-window-');
  const namedName = `ipci-window-named-${process.pid}`;
  made.push(gonePath, dir, `/dev/shm/${namedName}`);
  const dev = devName(fs.statSync(dir).dev);
  const SIZE = 5 * P + 100;
  let gone: Windows;
  let kept: Windows;
  let named: Windows;
  let seg: { pid: number; shmid: number; at: number };
  before(async () => {
    const bin = await toolBinary('ipc-tool');
    gone = await mapWindows(bin, gonePath, SIZE, 'unlink', [`${2 * P}:${2 * P}`, `${5 * P}:${2 * P}`], ['0:4096', `${3 * P}:${2 * P}`]);
    assert.equal(fs.existsSync(gonePath), false, 'unlinked');
    kept = await mapWindows(bin, `${dir}/db`, 4 * P, 'keep', [`${2 * P}:${2 * P}`]);
    named = await mapWindows(bin, `/dev/shm/${namedName}`, 3 * P, 'keep', [`${P}:${P}`]);
    const c = spawn(bin, ['shm-window', '4', '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(c);
    const [pid, shmid, at] = (await lineReader(c).next('the shm-window line')).split(' ');
    seg = { pid: Number(pid), shmid: Number(shmid), at: parseInt(at, 16) };
  });

  it('records each mapping\'s offset into the object (mapOffset), alike on both walks', async () => {
    const seen: string[] = [];
    for (const walk of ['proc', 'bpf-iter'] as const) {
      const snap = await takeSnapshot({ kinds: ['posix-shm', 'sysv-shm'], walk });
      const g = channel(snap, `posix-shm:deleted/${dev}:${gone.inode}`);
      assert.deepEqual(windowsOf(g), [`${gone.pid}@${2 * P}`, `${gone.pid}@${5 * P}`, `${gone.child!.pid}@0`, `${gone.child!.pid}@${3 * P}`].sort(), walk);
      assert.ok(g.endpoints.every((e) => e.mapOffset !== 0), `${walk}: absent when 0, never 0`);
      assert.deepEqual(windowsOf(channel(snap, `posix-shm:file/${dev}:${kept.inode}`)), [`${kept.pid}@${2 * P}`], walk);
      const s = channel(snap, `sysv-shm:${seg.shmid}`);
      assert.deepEqual(windowsOf(s), [`${seg.pid}@${P}`], `${walk}: what is left of the attach shows the segment from its second page`);
      if (walk === 'bpf-iter' && snap.capabilities.walk?.backend !== 'bpf-iter') continue; // no BPF here: the /proc walk answered
      seen.push(JSON.stringify([g, channel(snap, `posix-shm:file/${dev}:${kept.inode}`), s].map((c) => c.endpoints)));
    }
    for (const x of seen.slice(1)) assert.equal(x, seen[0], 'the walks agree');
  });

  it('an unlinked file mapped in windows by two processes: each offset through a window that covers it', async () => {
    const snap = await takeSnapshot({ kinds: ['posix-shm'] });
    const ch = channel(snap, `posix-shm:deleted/${dev}:${gone.inode}`);
    // the child's [0, 1P) and [3P, 5P), the parent's [2P, 4P) and [5P, 7P) (the file ends at 5P + 100)
    for (const offset of [10, 2 * P + 100, 3 * P + 5, 4 * P + 7, 5 * P + 1, 5 * P + 90]) {
      const r = await peekBytes(ch, snap, offset);
      const n = Math.min(64, SIZE - offset);
      assert.equal(r.offset, offset);
      assert.equal(r.total, SIZE, `offset ${offset}: the file's size, not a mapping's`);
      assert.deepEqual(r.data, bytesAt(offset, n), `offset ${offset}: the object's bytes there (via ${r.method})`);
      assert.equal(r.truncated, offset + n < SIZE);
    }
    // the parent's window ends at 4P: the read stops there and says who maps what follows
    const long = await peekBytes(ch, snap, 2 * P, 4 * P);
    assert.deepEqual(long.data, bytesAt(2 * P, 2 * P), 'up to the window\'s end');
    assert.equal(long.truncated, true);
    assert.ok(long.method.includes(`/proc/${gone.pid}/mem`) && long.method.includes(`bytes ${2 * P}\u2013${4 * P - 1} of the object`), long.method);
    assert.ok(long.notes.some((n) => n.includes(`byte ${4 * P} on is mapped by pid ${gone.child!.pid}: peek at offset ${4 * P}`)), long.notes.join(' | '));
    // page 1 is mapped by no one: said, with the windows that are
    await peekFails(ch, snap, P + 100, (e) => {
      assert.equal(e.code, 'ENXIO', e.message);
      assert.match(e.message, new RegExp(`no process maps byte ${P + 100} of it`));
      assert.ok(e.message.includes(`bytes 0\u2013${P - 1} (pid ${gone.child!.pid})`) && e.message.includes(`bytes ${2 * P}\u2013${4 * P - 1} (pid ${gone.pid})`), e.message);
      assert.ok(e.hint?.includes('inside one of those windows'), e.hint);
    });
    assert.equal((await peekBytes(ch, snap, SIZE)).data.length, 0, 'nothing at the end');
    // past the file's end, inside the parent's last window: past the end, by the address that byte is at
    await peekFails(ch, snap, 6 * P + 10, (e) => {
      assert.equal(e.code, 'EINVAL', e.message);
      assert.ok(e.message.includes(`read /proc/${gone.pid}/mem at 0x${(gone.at[1] + P + 10).toString(16)}: offset ${6 * P + 10} is past the end (${byteCount(SIZE)})`), e.message);
    });
  });

  it('memRead refuses a mapping whose offset into the object is not the one expected (ESTALE)', async () => {
    const range = `${gone.at[0].toString(16)}-${(gone.at[0] + 2 * P).toString(16)}`;
    const [major, minor] = dev.split(':').map(Number);
    const mapsDev = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
    assert.deepEqual(Buffer.from(await native!.memRead(gone.pid, -1, range, mapsDev, gone.inode, 100, 16, 2 * P)), bytesAt(2 * P + 100, 16));
    await assert.rejects(native!.memRead(gone.pid, -1, range, mapsDev, gone.inode, 100, 16, 0), (e: NodeJS.ErrnoException) => e.code === 'ESTALE');
    assert.throws(() => native!.memRead(gone.pid, -1, range, mapsDev, gone.inode, 100, 16, 1.5), TypeError);
  });

  it('a file whose name and fd are kept, mapped from its third page: offsets before it are not mapped', async () => {
    const snap = await takeSnapshot({ kinds: ['posix-shm'] });
    const ch = channel(snap, `posix-shm:file/${dev}:${kept.inode}`);
    const r = await peekBytes(ch, snap, 2 * P + 5);
    assert.deepEqual(r.data, bytesAt(2 * P + 5, 64));
    assert.equal(r.total, 4 * P);
    await peekFails(ch, snap, 0, (e) => {
      assert.equal(e.code, 'ENXIO', e.message);
      assert.ok(e.message.includes(`bytes ${2 * P}\u2013${4 * P - 1} (pid ${kept.pid}) of its ${byteCount(4 * P)}`), e.message);
    });
  });

  it('a SysV segment whose attacher unmapped its first page: through what is left, else attached', async () => {
    const snap = await takeSnapshot({ kinds: ['sysv-shm'] });
    const ch = channel(snap, `sysv-shm:${seg.shmid}`);
    const through = await peekBytes(ch, snap, 2 * P + 100);
    assert.ok(through.method.includes(`/proc/${seg.pid}/mem`), through.method);
    assert.deepEqual(through.data, bytesAt(2 * P + 100, 64), 'the segment\'s bytes at that offset');
    assert.equal(through.total, 4 * P);
    const attached = await peekBytes(ch, snap, 100);
    assert.equal(attached.method, 'shmat(SHM_RDONLY)', 'no mapping covers it: attached');
    assert.deepEqual(attached.data, bytesAt(100, 64));
    assert.ok(attached.notes.some((n) => n.includes('no process maps byte 100')), attached.notes.join(' | '));
  });

  it('a named POSIX object is read by its name: the same offsets (pread)', async () => {
    const snap = await takeSnapshot({ kinds: ['posix-shm'] });
    const ch = channel(snap, `posix-shm:${namedName}`);
    assert.deepEqual(windowsOf(ch), [`${named.pid}@${P}`]);
    const r = await peekBytes(ch, snap, P + 10);
    assert.match(r.method, /^pread\(/);
    assert.deepEqual(r.data, bytesAt(P + 10, 64));
  });

  describe('as user nobody (its own processes; /proc/PID/map_files is not its to follow: the size unknown)', () => {
    const skip = cannotActAsNobody();
    const cli = path.resolve(__dirname, '../../cli.js');
    let staged: Staged | undefined;
    let nb: Windows;
    let id = '';
    before(async () => {
      if (skip) return;
      staged = stageForOtherUsers([[await toolBinary('ipc-tool'), 'ipc-tool'], [cli, 'dist/cli.js'], [loadNative().path!, 'native/build/Release/ipc_inspector.node']]);
      const nbDir = fs.mkdtempSync('/dev/shm/ipci-window-nobody-');
      made.push(nbDir);
      fs.chownSync(nbDir, NOBODY.uid, NOBODY.gid);
      nb = await mapWindows(staged.path('ipc-tool'), `${nbDir}/gone`, SIZE, 'unlink', [`${2 * P}:${2 * P}`, `${5 * P}:${2 * P}`], ['0:4096', `${3 * P}:${2 * P}`], { ...NOBODY, cwd: '/' });
      id = `posix-shm:deleted/${dev}:${nb.inode}`;
    });
    after(() => staged?.remove());
    const asNobody = (args: string[]) =>
      runAsNobody(process.execPath, [staged!.path('dist/cli.js'), ...args], { env: { LANG: 'C.UTF-8', IPC_INSPECTOR_NATIVE: staged!.path('native/build/Release/ipc_inspector.node') } });

    it('peeks the object\'s bytes at the object\'s offsets, says which windows are mapped, names the address a failed read was at', { skip }, () => {
      const snap = asNobody(['snapshot', '--json', '--kind', 'posix-shm', '--pid', `${nb.pid},${nb.child!.pid}`]);
      assert.equal(snap.status, 0, snap.stderr);
      const ch = channel(JSON.parse(snap.stdout) as Snapshot, id) as Channel & { size: number; sizeIsMapping?: boolean };
      assert.equal(ch.size, 7 * P, 'its size unknown: how far the mappings reach (page 5 + 2 pages), not the largest mapping');
      assert.equal(ch.sizeIsMapping, true);
      for (const offset of [10, 4 * P + 7, 5 * P + 1]) {
        const r = asNobody(['peek', id, '--offset', String(offset), '--max-bytes', '64', '--json']);
        assert.equal(r.status, 0, r.stderr);
        const j = JSON.parse(r.stdout) as { offset: number; hex: string; total: number; notes: string[] };
        assert.equal(j.offset, offset);
        assert.equal(j.hex, bytesAt(offset, 64).toString('hex'), `offset ${offset}`);
        assert.equal(j.total, 7 * P, 'the size unknown: as far as the mappings reach');
        assert.ok(j.notes.some((n) => n.includes(`the read is bounded by the mappings, which reach ${byteCount(7 * P)} into it`)), j.notes.join(' | '));
      }
      const hole = asNobody(['peek', id, '--offset', String(P + 100)]);
      assert.notEqual(hole.status, 0, hole.stdout);
      assert.match(hole.stderr, new RegExp(`no process maps byte ${P + 100} of it; the mappings show bytes 0\u2013${P - 1} \\(pid ${nb.child!.pid}\\)`));
      // the page after the file's last one faults: nothing readable there, by the address read
      const offset = 6 * P + 10;
      const past = asNobody(['peek', id, '--offset', String(offset)]);
      assert.notEqual(past.status, 0, past.stdout);
      assert.ok(past.stderr.includes(`read /proc/${nb.pid}/mem at 0x${(nb.at[1] + offset - 5 * P).toString(16)}`), `the address read: ${past.stderr}`);
      assert.match(past.stderr, /past the end of the file/);
    });
  });
});
