// What the scan worker keeps from one refresh to the next forgets what is gone: the extension runs
// for hours beside processes that come and go (the soak bench, bench/soak.ts, found these growing
// without end). Real processes bind sockets in directories of their own, exit, and their
// directories are removed; later refreshes must not keep their entries. Only this file's own
// processes and paths are looked at (other tests run at the same time).
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/longRunCaches.test.js
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Diagnoser } from '../../src/core/diagnose';
import { gatherEvidence, pathKey, type PathCache } from '../../src/core/diagnose/evidence';
import { takeSnapshot } from '../../src/core/snapshot';
import { loadNative } from '../../src/core/native';
import { python, stopHelpers, type Helper } from './diagnoseUtil';

const dirs: string[] = [];
after(async () => {
  await stopHelpers();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A process listening on DIR/s, DIR a directory of its own under /tmp (as tmux, ssh-agent, test suites make them). */
async function listener(): Promise<{ h: Helper; dir: string; sock: string }> {
  const dir = fs.mkdtempSync(path.join('/tmp', 'ipc-longrun-'));
  dirs.push(dir);
  const sock = path.join(dir, 's');
  const h = await python('import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen(1)\nprint("READY",flush=True)\nsys.stdin.read()', [sock]);
  return { h, dir, sock };
}

/** Room enough that the deadline never cuts the evidence short here (a cut call keeps what it did not reach). */
const UNHURRIED = 60_000;

test('the evidence path cache keeps only the directories asked about now: a listener that exited, and its removed directory, are forgotten', async () => {
  const a = await listener();
  const b = await listener();
  const pc: PathCache = { dirs: new Map(), paths: new Map() };
  const both = gatherEvidence([{ paths: [{ path: a.sock, pid: a.h.pid }, { path: b.sock, pid: b.h.pid }] }], { pathCache: pc, deadlineMs: UNHURRIED });
  assert.equal(both.paths.get(pathKey(a.sock, a.h.pid))?.type, 'socket');
  assert.ok(pc.dirs.has(a.dir) && pc.dirs.has(b.dir), `both directories cached: ${[...pc.dirs.keys()].join(' ')}`);
  assert.ok(pc.paths.has(a.sock) && pc.paths.has(b.sock));
  // a exits and its directory goes; the next refresh asks only about b
  await a.h.stop();
  fs.rmSync(a.dir, { recursive: true, force: true });
  const later = gatherEvidence([{ paths: [{ path: b.sock, pid: b.h.pid }] }], { pathCache: pc, deadlineMs: UNHURRIED });
  assert.equal(later.paths.get(pathKey(b.sock, b.h.pid))?.type, 'socket', 'b is still answered');
  assert.deepEqual([...pc.dirs.keys()], [b.dir], 'only b\'s directory is kept');
  assert.deepEqual([...pc.paths.keys()], [b.sock], 'only b\'s path is kept');
  // and b's answer is still reused from the cache while its directory is unchanged
  gatherEvidence([{ paths: [{ path: b.sock, pid: b.h.pid }] }], { pathCache: pc, deadlineMs: UNHURRIED });
  assert.deepEqual([...pc.paths.keys()], [b.sock]);
  await b.h.stop();
});

test('the diagnosis keeps no path of a listener that exited: twenty listeners come and go, one stays', { skip: loadNative().addon ? false : 'without the native addon no bound socket paths are known' }, async () => {
  const d = new Diagnoser({ rules: ['socket-path'], deadlineMs: UNHURRIED });
  const stay = await listener();
  const gone: number[] = [];
  for (let i = 0; i < 20; i++) {
    const l = await listener();
    gone.push(l.h.pid);
    // a refresh sees it (the rule asks about its bound path), then it exits and its directory goes
    d.diagnose(await takeSnapshot({ pids: [stay.h.pid, l.h.pid] }));
    assert.equal(d.sizes().paths, 2, `refresh ${i}: the two listeners' paths`);
    await l.h.stop();
    fs.rmSync(l.dir, { recursive: true, force: true });
  }
  d.diagnose(await takeSnapshot({ pids: [stay.h.pid, ...gone] }));
  assert.equal(d.sizes().paths, 1, 'only the listener still there');
  assert.equal(d.sizes().pathDirs, 1);
  await stay.h.stop();
});
