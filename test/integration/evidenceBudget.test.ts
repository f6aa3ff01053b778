// The diagnosis' evidence on a machine too busy for its budget: the phases run one after another
// (threads, pids, paths, socket files) under one deadline, and when the thread reads used all of
// it the later phases were skipped — on every refresh, so a stale socket file was never reported
// on such a machine (the e2e demo's rule 3 went missing beside a loaded CI run). Each phase now
// gets a few milliseconds past the deadline. Here the budget is 0 ms: every phase is late from
// the start. Real processes, a real stale socket file (bound, and its process gone).
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/evidenceBudget.test.js
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gatherEvidence, pathKey } from '../../src/core/diagnose/evidence';
import { python, stopHelpers } from './diagnoseUtil';

const dir = fs.mkdtempSync(path.join('/tmp', 'ipc-budget-'));
after(async () => {
  await stopHelpers();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a budget spent before the paths and the socket scan still leaves them their turn', async () => {
  const live = path.join(dir, 'live.sock');
  const stale = path.join(dir, 'stale.sock');
  const h = await python('import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen(1)\nprint("READY",flush=True)\nsys.stdin.read()', [live]);
  // bound and left behind: the file stays, nothing listens
  const gone = await python('import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\nprint("READY",flush=True)', [stale]);
  await gone.stop();
  const pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  // The thread reads alone spend the budget: a round that follows a wait chain takes 20 ms and
  // asks for one more process (on a quiet machine of few processes, reading every one's threads
  // fits in the few milliseconds each phase may use past the deadline, and nothing was late).
  let followed = false;
  const follow = (): number[] => {
    if (followed) return [];
    followed = true;
    const end = performance.now() + 20;
    while (performance.now() < end);
    return [process.pid];
  };
  const ev = gatherEvidence([{ threads: pids.filter((p) => p !== process.pid), follow, paths: [{ path: live, pid: h.pid }], socketDirs: [dir] }], { deadlineMs: 0 });
  assert.ok(ev.deadlineHit, 'the budget was spent');
  assert.equal(ev.paths.get(pathKey(live, h.pid))?.type, 'socket', 'the paths phase ran');
  assert.ok(ev.socketFiles, 'the socket scan ran');
  assert.deepEqual(
    ev.socketFiles.filter((f) => f.path.startsWith(dir + '/')).map((f) => path.basename(f.path)).sort(),
    ['live.sock', 'stale.sock'],
    "the listener's own directory was read first",
  );
});

test('with no grace at all (a machine that preempts the phase before its first read), the paths phase still reads one path and the scan one directory, the listeners\' own', async () => {
  const live = path.join(dir, 'live2.sock');
  const other = path.join(dir, 'other2.sock');
  const h = await python('import socket,sys\nfor p in sys.argv[1:]:\n  s=socket.socket(socket.AF_UNIX); s.bind(p); s.listen(1); globals()[p]=s\nprint("READY",flush=True)\nsys.stdin.read()', [live, other]);
  // minPhaseMs 0: every phase is late before its first item, as after a GC pause or a preemption
  const ev = gatherEvidence([{ paths: [{ path: live, pid: h.pid }, { path: other, pid: h.pid }], socketDirs: [dir] }], { deadlineMs: 0, minPhaseMs: 0 });
  assert.ok(ev.deadlineHit, 'the budget was spent');
  assert.equal(ev.paths.get(pathKey(live, h.pid))?.type, 'socket', 'the first path was read');
  assert.equal(ev.paths.has(pathKey(other, h.pid)), false, 'and no more: the deadline holds after it');
  assert.ok(ev.socketFiles, 'the socket scan ran');
  assert.ok(ev.scanned.includes(fs.realpathSync(dir)), `the listener's own directory was read first: ${ev.scanned.join(', ')}`);
  assert.ok(ev.notes.some((n) => /deadline/.test(n)), ev.notes.join('\n'));
});
