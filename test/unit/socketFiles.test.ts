// The stale-socket rule's scan of socket files (diagnose/socketFiles.ts) when its deadline cuts it
// short: the next scan goes on where it stopped instead of starting from the top again (a
// crowded /tmp would otherwise keep the directories below it out of reach for ever), and the
// files read before are checked again (one removed meanwhile is not reported). A directory any
// user can crowd takes a quarter of the entry budget at most, and a scan a limit cut keeps saying
// so while it is reused from the cache.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { readMountTable, SafeLstat } from '../../src/core/diagnose/paths';
import { scanSocketFiles, type SocketScanCache, type SocketScanProgress } from '../../src/core/diagnose/socketFiles';
import { gatherEvidence } from '../../src/core/diagnose/evidence';

let root = '';
const servers: net.Server[] = [];

async function listenAt(p: string): Promise<void> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(p, resolve);
  });
  servers.push(s);
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-sockscan-'));
  await listenAt(path.join(root, 'top-a.sock'));
  await listenAt(path.join(root, 'top-b.sock'));
  for (let i = 0; i < 12; i++) {
    const d = path.join(root, `d${i}`);
    fs.mkdirSync(d);
    await listenAt(path.join(d, 'app.sock'));
  }
});

after(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(root, { recursive: true, force: true });
});

test('a scan cut short by its deadline goes on where it stopped and ends with what a whole scan finds', () => {
  const roots = [{ dir: root, depth: 1 }];
  const whole = scanSocketFiles(new SafeLstat(readMountTable()), { roots, dirs: [], maxEntries: 5000, deadline: performance.now() + 60_000 });
  assert.equal(whole.truncated, undefined);
  assert.equal(whole.files.length, 14);

  // no time at all: each call reads one directory, then says where it stopped
  let resume: SocketScanProgress | undefined;
  let calls = 0;
  let last;
  do {
    last = scanSocketFiles(new SafeLstat(readMountTable()), { roots, dirs: [], maxEntries: 5000, deadline: performance.now() - 1, resume });
    resume = last.progress;
    calls++;
    if (calls === 1) {
      assert.equal(last.truncated, 'deadline reached');
      assert.deepEqual(last.files.map((f) => path.basename(f.path)).sort(), ['top-a.sock', 'top-b.sock'], 'the first call read the root only');
      // removed while the scan is under way: the next calls must not report it
      fs.unlinkSync(path.join(root, 'top-b.sock'));
    }
  } while (resume && calls < 100);
  assert.equal(last.truncated, undefined, 'the scan finished');
  assert.equal(calls, 13, 'the root, then one subdirectory per call');
  const want = whole.files.map((f) => f.path).filter((p) => !p.endsWith('top-b.sock')).sort();
  assert.deepEqual(last.files.map((f) => f.path).sort(), want);
});

/** A crowded directory (plain files: any user's in /tmp) and, beside it, directories with a socket each. */
async function crowdedTree(files: number): Promise<{ base: string; crowd: string; other: string }> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-sockcrowd-'));
  const crowd = path.join(base, 'crowd');
  const other = path.join(base, 'other');
  fs.mkdirSync(crowd);
  fs.mkdirSync(other);
  for (let i = 0; i < files; i++) fs.writeFileSync(path.join(crowd, `f${i}`), '');
  for (let i = 0; i < 6; i++) {
    fs.mkdirSync(path.join(other, `d${i}`));
    await listenAt(path.join(other, `d${i}`, 'app.sock'));
  }
  return { base, crowd, other };
}

test('a crowded directory takes a share of the entry budget, not all of it: the other directories are still read, and the crowded one is named', async () => {
  const t = await crowdedTree(400);
  try {
    // the crowded directory first: without a share of its own it would use the whole budget of 200
    const roots = [{ dir: t.crowd, depth: 0 }, { dir: t.other, depth: 1 }];
    const scan = scanSocketFiles(new SafeLstat(readMountTable()), { roots, dirs: [], maxEntries: 200, deadline: performance.now() + 60_000 });
    assert.equal(scan.files.length, 6, `every socket beside the crowded directory: ${scan.files.map((f) => f.path).join(', ')}`);
    assert.deepEqual(scan.crowded, [fs.realpathSync(t.crowd)]);
    assert.match(scan.truncated ?? '', /^more than 50 entries in .*crowd: the rest of it not read$/);
  } finally {
    fs.rmSync(t.base, { recursive: true, force: true });
  }
});

test('a scan a limit cut, reused from the cache by the next runs, keeps its note on each of them', async () => {
  const t = await crowdedTree(40);
  try {
    const cache: SocketScanCache = { at: 0, scan: null, dirs: new Set() };
    const run = () => gatherEvidence([{ socketDirs: [] }], { socketRoots: [{ dir: t.crowd, depth: 0 }, { dir: t.other, depth: 1 }], socketMaxEntries: 20, socketCache: cache, socketScanMs: 60_000 });
    const notes = [run(), run(), run()].map((ev) => ev.notes.filter((n) => n.startsWith('socket-file scan stopped early')));
    assert.ok(cache.scan?.truncated, 'the scan was cut and cached');
    for (const [i, n] of notes.entries()) assert.equal(n.length, 1, `run ${i + 1}: ${JSON.stringify(notes)}`);
  } finally {
    fs.rmSync(t.base, { recursive: true, force: true });
  }
});
