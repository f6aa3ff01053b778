// Mount tables another user makes for the /proc walk to read. A master opened through /dev/ptmx
// says not which devpts it took; the /proc walk finds it in its mount namespace's table. Any user
// can make namespaces (unshare -Urm) and stack devpts mounts in them by the ten thousand; reading
// the mountinfo of 20,000 stacked mounts cost the kernel ~5 s, and it was read once per holder.
// The test's stack is 5,000 deep with a 250-byte source name a mount (1.6 MiB of table): past the
// 1 MiB cut as 20,000 short lines are, without the 6 s here (over 20 s in one CI run) that
// stacking 20,000 costs the attacker: mounting is quadratic in the stack's depth.
// Now a holder of ours is looked up in our own table, another namespace's table is read once, at
// most 1 MiB of it (a stack cut short gives no top: the devpts stays unknown, never guessed), and
// at most 4 namespaces' a snapshot per user. Counts are asserted, never times.
//
//   node scripts/build.mjs && node --test --test-concurrency=1 dist/test/integration/ptyMountTables.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { PtyChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { FOREIGN_TABLES_PER_USER } from '../../src/core/probes/ptys';
import { cannotActAsNobody, NOBODY } from '../harness/otherUser';
import { lineReader } from './childLines';

const NAMESPACES = 8;
const STACK = 5_000;
/** The mount source an attacker names freely: one long line per mount of the stack. */
const SOURCE = 'devpts-'.padEnd(250, 'x');

/**
 * As nobody: `NAMESPACES` children, each in a user and mount namespace of its own with a devpts
 * mounted on /dev/pts (the first one `STACK` deep, each mount's source named argv[3]), each
 * opening /dev/ptmx and forking once (two holders of the master). Prints {"ns": [[pid, child], …]} once every one is ready.
 */
const ATTACKER = String.raw`
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUSER = 0x20000, 0x10000000
def ns(depth):
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0: raise OSError(ctypes.get_errno(), 'unshare')
    for f, t in (('/proc/self/setgroups', 'deny'), ('/proc/self/uid_map', '0 65534 1'), ('/proc/self/gid_map', '0 65534 1')):
        with open(f, 'w') as h: h.write(t)
    for i in range(depth):
        if libc.mount(sys.argv[3].encode(), b'/dev/pts', b'devpts', 0, b'newinstance,ptmxmode=0666') != 0: raise OSError(ctypes.get_errno(), 'mount')
    m = os.open('/dev/ptmx', os.O_RDWR | os.O_NOCTTY)
    return m
r, w = os.pipe()
pairs = []
for k in range(int(sys.argv[1])):
    rr, ww = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rr)
        m = ns(int(sys.argv[2]) if k == 0 else 1)
        c = os.fork()
        if c == 0:
            os.close(ww); sys.stdin.read(); os._exit(0)
        os.write(ww, json.dumps([os.getpid(), c]).encode()); os.close(ww)
        sys.stdin.read(); os.waitpid(c, 0); os._exit(0)
    os.close(ww)
    pairs.append(json.loads(os.read(rr, 1000))); os.close(rr)
print(json.dumps({'ns': pairs}), flush=True)
sys.stdin.read()
for _ in pairs: os.wait()
`;

/** Root's own pty in our namespace: a master opened through /dev/ptmx, held by two processes. */
const OURS = String.raw`
import json, os, sys
m = os.open('/dev/ptmx', os.O_RDWR | os.O_NOCTTY)
c = os.fork()
if c == 0:
    sys.stdin.read(); os._exit(0)
print(json.dumps([os.getpid(), c]), flush=True)
sys.stdin.read(); os.waitpid(c, 0)
`;

const userns = spawnSync('unshare', ['-Urm', 'true'], { ...NOBODY, stdio: 'ignore' }).status === 0;
const skip = !loadNative().addon ? 'native addon not built' : cannotActAsNobody() || (!userns ? 'unprivileged user namespaces are off here (unshare -Urm fails as nobody)' : false);

describe('mount tables another user stacks for the /proc walk to read', { skip }, () => {
  let attacker: ChildProcess;
  let ours: ChildProcess;
  let pairs: number[][];
  let mine: number[];
  before(async () => {
    attacker = spawn('/usr/bin/python3', ['-c', ATTACKER, String(NAMESPACES), String(STACK), SOURCE], { ...NOBODY, cwd: '/', stdio: ['pipe', 'pipe', 'inherit'] });
    pairs = (JSON.parse(await lineReader(attacker).next()) as { ns: number[][] }).ns;
    ours = spawn('/usr/bin/python3', ['-c', OURS], { cwd: '/', stdio: ['pipe', 'pipe', 'inherit'] });
    mine = JSON.parse(await lineReader(ours).next()) as number[];
  });
  after(() => {
    attacker?.stdin?.end();
    ours?.stdin?.end();
  });

  for (const [way, opts] of [
    ['/proc fd walk', { walk: 'proc' }],
    ['TypeScript walk', { useNative: false }],
  ] as const) {
    test(`at most ${FOREIGN_TABLES_PER_USER} of nobody's namespaces looked up, the deep stack's top not guessed; ours resolved (${way})`, async () => {
      const snap = await takeSnapshot({ ...opts, kinds: ['pty'] });
      const masterOf = (pid: number) => snap.channels.find((c): c is PtyChannel => c.kind === 'pty' && c.endpoints.some((e) => e.pid === pid && e.role === 'master'));
      const theirs = pairs.map(([pid, child]) => {
        const ch = masterOf(pid);
        assert.ok(ch, `the master of ${pid} is listed`);
        assert.deepEqual(ch.endpoints.map((e) => e.pid).sort((a, b) => a - b), [pid, child].sort((a, b) => a - b));
        return ch;
      });
      const resolved = theirs.filter((c) => c.devpts !== null);
      assert.ok(resolved.length <= FOREIGN_TABLES_PER_USER, `${resolved.length} of nobody's ${NAMESPACES} namespaces looked up: ${resolved.map((c) => c.id).join(', ')}`);
      assert.ok(resolved.length > 0, "nobody's first namespaces are looked up");
      assert.equal(theirs[0].devpts, null, `the stack of ${STACK}: its table is cut at 1 MiB, so its top is not known`);
      const me = masterOf(mine[0]);
      assert.ok(me && me.devpts !== null, `root's pty in our namespace: ${JSON.stringify(me)}`);
    });
  }
});
