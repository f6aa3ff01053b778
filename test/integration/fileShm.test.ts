// Shared file mappings on real software: two Python processes on one SQLite database in WAL mode
// share its WAL index (`DB-shm`), a file each maps MAP_SHARED read-write. It is one file-shm
// channel with both mappings on every fd walk, the same pids lsof lists with FD `mem` for the file,
// its bytes read through a mapping equal the file's, and it is not removable. And another user's
// process that maps hundreds of files shared ahead of a /dev/shm object (as a search index maps its
// segments) does not crowd that object out of any walk: a process's shared file lines are bounded.
// A file of an overlayfs mount (a container's root file system) is named by the overlay's path and
// device on every walk, as maps names it — not by the layer's file the mapping holds underneath.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/fileShm.test.js
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FileShmChannel, Snapshot } from '../../src/core/model';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { isRemovable } from '../../src/core/actions/remove';
import { lineReader } from './childLines';
import { compileTools, runAttacker, stopAttacker } from './hostile';
import { makeFixture } from '../../fixtures/ipcFixture';
import { mapsPassRefused } from './bpfMapsPass';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const sqlite = has('python3') && spawnSync('python3', ['-c', 'import sqlite3']).status === 0;
const skip = !sqlite ? 'needs python3 with sqlite3 (.ci/run installs python3)' : !has('lsof') ? 'needs lsof, the oracle (.ci/run installs it)' : false;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-fileshm-'));
fs.chmodSync(tmp, 0o755); // the attacker (nobody) works in a directory under it
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

// opens the database in WAL mode, writes (the writer) or reads, and holds it until stdin closes
const HOLD = String.raw`
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute('pragma journal_mode=wal')
if sys.argv[2] == 'write':
    db.execute('create table if not exists t(x)')
    db.execute("insert into t values ('ipci')")
    db.commit()
db.execute('select count(*) from sqlite_master').fetchall()
print('ready', flush=True)
sys.stdin.read()
`;

async function hold(db: string, role: 'write' | 'read'): Promise<number> {
  const c = spawn('python3', ['-c', HOLD, db, role], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(c);
  assert.equal(await lineReader(c).next(`the ${role}r`), 'ready');
  return c.pid!;
}

/** Pids lsof lists with a memory mapping (FD `mem`) of `file`. */
function lsofMappers(file: string): number[] {
  const r = spawnSync('lsof', ['-n', '-P', '-F', 'pf', '--', file], { encoding: 'utf8' });
  const out = new Set<number>();
  let pid = 0;
  for (const l of r.stdout.split('\n')) {
    if (l.startsWith('p')) pid = Number(l.slice(1));
    else if (l === 'fmem') out.add(pid);
  }
  return [...out].sort((a, b) => a - b);
}

describe('a shared file mapping (SQLite WAL index)', { skip }, () => {
  it('is one file-shm channel with both mappings on every walk, the pids lsof names, read through a mapping, not removable', async () => {
    const db = path.join(tmp, 'app db.sqlite');
    const writer = await hold(db, 'write');
    const reader = await hold(db, 'read');
    const shm = `${db}-shm`;
    const st = fs.statSync(shm);
    const pids = [writer, reader].sort((a, b) => a - b);
    assert.deepEqual(lsofMappers(shm), pids, 'lsof: both map the WAL index');
    const seen: FileShmChannel[] = [];
    for (const walk of ['proc', 'proc-ts', 'bpf-iter'] as const) {
      const snap: Snapshot = await takeSnapshot({ kinds: ['file-shm'], walk });
      const ch = snap.channels.find((c): c is FileShmChannel => c.kind === 'file-shm' && c.inode === st.ino);
      assert.ok(ch, `${walk}: the WAL index is listed: ${snap.channels.map((c) => c.id).join(', ')}`);
      assert.match(ch.id, new RegExp(`^file-shm:[0-9a-f]+:[0-9a-f]+:${st.ino}$`));
      assert.equal(ch.path, shm);
      assert.equal(ch.deleted, false);
      assert.equal(ch.size, st.size, 'mapped whole');
      assert.equal(ch.writers, 2);
      assert.deepEqual([...new Set(ch.endpoints.map((e) => e.pid))].sort((a, b) => a - b), pids);
      assert.ok(ch.endpoints.every((e) => e.fd === undefined && e.map !== undefined && e.mode === 'rw'), JSON.stringify(ch.endpoints));
      assert.equal(isRemovable(ch), false);
      if (walk === 'bpf-iter' && snap.capabilities.walk?.backend !== 'bpf-iter') continue; // (no BPF here: the /proc walk answered)
      seen.push(ch);
      if (walk === 'proc' && loadNative().addon) {
        const r = (await peekChannel(ch, snap.processes, { maxBytes: 136 })) as BytesPeek;
        assert.match(r.method, /^pread\(\/proc\/\d+\/mem\) of the mapping /);
        assert.ok(r.data.equals(fs.readFileSync(shm).subarray(0, 136)), 'the mapping holds the file\'s bytes');
      }
    }
    for (const ch of seen.slice(1)) assert.deepEqual(ch, seen[0], 'the walks agree');
  });
});

const crowdSkip = process.getuid?.() !== 0 ? 'needs root (the attacker runs as uid 65534)' : !has('cc') ? 'needs cc' : false;

/**
 * Runs attacker mode `args` with `/shmName` last — a /dev/shm object it maps, held by a forked
 * twin, and unlinks at EOF — and `body` with their pids; then ends it and checks the object is
 * gone (no test leaves objects behind), removing it whatever happened.
 */
async function withShmAttacker(args: string[], shmName: string, body: (made: { pid: number; twin: number }) => Promise<void>): Promise<void> {
  const a = runAttacker(await compileTools(), [...args, `/${shmName}`]);
  try {
    await body(JSON.parse(await a.next(`the ${args[0]} line`)) as { pid: number; twin: number });
    await stopAttacker(a);
    assert.equal(fs.existsSync(`/dev/shm/${shmName}`), false, 'the attacker removed its /dev/shm object at EOF (no test leaves objects behind)');
  } finally {
    await stopAttacker(a);
    fs.rmSync(`/dev/shm/${shmName}`, { force: true });
  }
}

describe('hundreds of shared file mappings ahead of a /dev/shm object', { skip: crowdSkip }, () => {
  it('the /dev/shm object keeps both holders on every walk, no process is cut short, and the walks agree on the file mappings', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'crowd-'));
    fs.chmodSync(dir, 0o777);
    const shmName = `ipci-crowd-${process.pid}`;
    await withShmAttacker(['crowd', dir, '500'], shmName, async (made) => {
      const pids = [made.pid, made.twin].sort((x, y) => x - y);
      const mine = (snap: Snapshot) => snap.channels.filter((c) => c.endpoints.some((e) => pids.includes(e.pid)));
      const seen: string[] = [];
      for (const walk of ['proc', 'proc-ts', 'bpf-iter'] as const) {
        const snap = await takeSnapshot({ kinds: ['posix-shm', 'file-shm'], walk });
        const shm = snap.channels.find((c) => c.id === `posix-shm:${shmName}`);
        assert.ok(shm, `${walk}: the /dev/shm object is listed`);
        assert.deepEqual([...new Set(shm.endpoints.filter((e) => e.map !== undefined).map((e) => e.pid))].sort((x, y) => x - y), pids, `${walk}: both mappings of it`);
        for (const p of snap.processes.filter((x) => pids.includes(x.pid))) assert.deepEqual(p.errors ?? [], [], `${walk}: pid ${p.pid} read whole`);
        if (walk === 'bpf-iter' && snap.capabilities.walk?.backend !== 'bpf-iter') continue;
        seen.push(JSON.stringify(mine(snap).filter((c) => c.kind === 'file-shm')));
      }
      for (const s of seen.slice(1)) assert.equal(s, seen[0], 'the walks keep the same shared file lines');
    });
  });
});

describe('another user\'s shared file mapping, peeked by root', { skip: crowdSkip }, () => {
  it('is read through a mapping, never by its path: the file swapped for a symlink to a root-only file changes nothing', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'peek-'));
    fs.chmodSync(dir, 0o777);
    const shmName = `ipci-fpeek-${process.pid}`;
    await withShmAttacker(['crowd', dir, '0'], shmName, async (made) => {
      const file = path.join(dir, 'shared-rw');
      const snap = await takeSnapshot({ kinds: ['file-shm'] });
      const ch = snap.channels.find((c): c is FileShmChannel => c.kind === 'file-shm' && c.path === file);
      assert.ok(ch, `the attacker's shared file: ${snap.channels.map((c) => c.id).join(', ')}`);
      assert.deepEqual([...new Set(ch.endpoints.map((e) => e.pid))].sort((x, y) => x - y), [made.pid, made.twin].sort((x, y) => x - y));
      // what the attacker can do in its own directory: the path now names a file only root may read
      const secret = path.join(tmp, 'root-only-secret');
      fs.writeFileSync(secret, 'root-secret-'.repeat(400), { mode: 0o600 });
      fs.renameSync(file, path.join(dir, 'moved'));
      fs.symlinkSync(secret, file);
      const r = (await peekChannel(ch, snap.processes, { maxBytes: 4096 })) as BytesPeek;
      assert.match(r.method, /^pread\(\/proc\/\d+\/mem\) of the mapping /);
      assert.equal(r.data.length, 4096);
      assert.ok(r.data.every((b) => b === 0), 'the mapped file\'s bytes (zeros), not the secret');
    });
  });
});

const uringOff = (() => {
  try {
    return fs.readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim() !== '0';
  } catch {
    return false; // a kernel without the switch: io_uring is on
  }
})();
const bpfWalks = loadBpf().addon;
const uringSkip = crowdSkip || (uringOff ? 'io_uring is off for unprivileged users here (kernel.io_uring_disabled)' : !bpfWalks ? `no BPF walk here (${loadBpf().error})` : false);

describe('an io_uring ring and a libaio ring mapped shared (MariaDB has one or the other), beside a /dev/shm object', { skip: uringSkip }, () => {
  it("the BPF maps pass covers the process (both rings are on internal mounts, as an overlay's layer file is, and are pseudo files, not layers), and the /dev/shm object keeps both holders", async (t) => {
    const shmName = `ipci-uring-${process.pid}`;
    await withShmAttacker(['uring'], shmName, async (made) => {
      const maps = fs.readFileSync(`/proc/${made.pid}/maps`, 'utf8');
      assert.match(maps, / anon_inode:\[io_uring\]\n/, 'the io_uring ring is mapped');
      assert.match(maps, / \/\[aio\] \(deleted\)\n/, 'the libaio ring is mapped');
      if ((await bpfWalks!.bpfProbe()).ok) {
        // A process whose mmap lock is busy at the pass's visit (a page fault, an io_uring worker)
        // is left to /proc/PID/maps for that walk, by design: a ring the program took for a layer
        // file would be left out on every walk, so a few walks tell the two apart.
        const sent: number[][] = [];
        for (let attempt = 0; attempt < 5; attempt++) {
          const w = await bpfWalks!.bpfWalk({ threads: 2, readMaps: true, readTimers: false, readLinks: false, measurePipes: false });
          const refused = mapsPassRefused(w.bpf.mapsUnavailable);
          if (refused) {
            t.diagnostic(`not checked: the maps pass covers the process; ${refused}`);
            break;
          }
          assert.equal(w.bpf.mapsUnavailable, undefined);
          sent.push([made.pid, made.twin].filter((p) => w.bpf.mapsFromProc?.includes(p)));
          if (sent[sent.length - 1].length === 0) break;
        }
        if (sent.length > 0) assert.deepEqual(sent[sent.length - 1], [], `not sent to /proc/PID/maps (every walk: ${JSON.stringify(sent)})`);
      }
      for (const walk of ['proc', 'bpf-iter'] as const) {
        const snap = await takeSnapshot({ kinds: ['posix-shm'], walk });
        const ch = snap.channels.find((c) => c.id === `posix-shm:${shmName}`);
        assert.deepEqual(ch && [...new Set(ch.endpoints.map((e) => e.pid))].sort((x, y) => x - y), [made.pid, made.twin].sort((x, y) => x - y), `${walk}: both holders`);
      }
    });
  });
});

describe('a shared file mapping on overlayfs (a container\'s root file system)', { skip: process.getuid?.() !== 0 ? 'needs root (mounts an overlay)' : false }, () => {
  it('is named by the overlay\'s path and device on every walk, as maps names it', async (t) => {
    const ov = fs.mkdtempSync(path.join(tmp, 'overlay-'));
    for (const d of ['lower', 'upper', 'work', 'merged']) fs.mkdirSync(path.join(ov, d));
    const merged = path.join(ov, 'merged');
    const m = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${ov}/lower,upperdir=${ov}/upper,workdir=${ov}/work`, merged], { encoding: 'utf8' });
    if (m.status !== 0) return t.skip(`no overlayfs here: ${m.stderr.trim()}`);
    try {
      const fx = await makeFixture('file-shm', { path: path.join(merged, 'app.db-shm'), size: 8192 });
      try {
        const st = fs.statSync(path.join(merged, 'app.db-shm'));
        const dev = `${(Math.floor(st.dev / 256) & 0xfff).toString(16).padStart(2, '0')}:${((st.dev & 0xff) | ((st.dev >> 12) & 0xfff00)).toString(16).padStart(2, '0')}`;
        assert.notEqual(st.dev, fs.statSync(path.join(ov, 'upper', 'app.db-shm')).dev, 'the overlay has a device of its own');
        const seen: string[] = [];
        for (const walk of ['proc', 'proc-ts', 'bpf-iter'] as const) {
          const snap = await takeSnapshot({ kinds: ['file-shm'], walk });
          const mine = snap.channels.filter((c) => c.endpoints.some((e) => fx.pids.includes(e.pid)));
          assert.deepEqual(mine.map((c) => c.id), [`file-shm:${dev}:${st.ino}`], `${walk}: the overlay's device and inode`);
          assert.equal((mine[0] as FileShmChannel).path, path.join(merged, 'app.db-shm'), `${walk}: the overlay's path`);
          if (walk === 'bpf-iter' && snap.capabilities.walk?.backend !== 'bpf-iter') continue;
          seen.push(JSON.stringify(mine));
        }
        for (const s of seen.slice(1)) assert.equal(s, seen[0], 'the walks agree');
      } finally {
        await fx.close();
      }
    } finally {
      spawnSync('umount', ['-l', merged]);
    }
  });
});
