// One open FIFO at a 4,000-byte path, dup'd by another user thousands of times in several forked
// processes: each fd's link is that path, and every walk stored it once per fd (10 × 20,000 such
// fds made one snapshot 1.7 GB, for 8 bytes of the attacker's kernel memory a fd). Two FIFOs,
// dup'd in turn (A, B, A, B, …), so that "the same as the fd before" cannot be what is shared.
// Every walk now stores a path once per process and file; the channels are whole and the path
// exact. Sizes are asserted, never times.
//
//   node scripts/build.mjs && node --test --test-concurrency=1 dist/test/integration/longPathDups.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { FifoChannel } from '../../src/core/model';
import type { ProcWalk } from '../../src/core/native';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { walkRulesFor } from '../../src/core/kinds';
import { bpfAnonNameMax, bpfMemfd, bpfRuleOptions } from '../../src/core/walkBackend';
import { walkProcTs } from '../../src/core/procWalk';
import { cannotActAsNobody, NOBODY } from '../harness/otherUser';
import { bpfWalkSkip } from './bpfSkip';
import { lineReader } from './childLines';

const PROCS = 4;
const DUPS = 3000;

/** As nobody: two FIFOs at ~4,000-byte paths under a fresh directory, each opened once and dup'd DUPS times in turn; then PROCS − 1 forks. Prints {dir, paths, pids}. */
const BOMB = String.raw`
import json, os, sys, tempfile
base = tempfile.mkdtemp(prefix='ipc-longpath-')
os.chmod(base, 0o755)
d = base
while len(d) < 3800:
    d = d + '/' + 'd' * 200
    os.mkdir(d)
paths = [d + '/' + c * 100 for c in 'ab']
fds = []
for p in paths:
    os.mkfifo(p, 0o644)
    fds.append(os.open(p, os.O_RDWR))
for _ in range(int(sys.argv[1])):
    for fd in fds: os.dup(fd)
pids = [os.getpid()]
for _ in range(int(sys.argv[2]) - 1):
    pid = os.fork()
    if pid == 0:
        pids = None
        break
    pids.append(pid)
if pids:
    print(json.dumps({'dir': base, 'paths': paths, 'pids': pids}), flush=True)
sys.stdin.read()
`;

describe("one long path dup'd thousands of times by another user", { skip: cannotActAsNobody() }, () => {
  let bomb: ChildProcess;
  let info: { dir: string; paths: string[]; pids: number[] };
  before(async () => {
    bomb = spawn('/usr/bin/python3', ['-c', BOMB, String(DUPS), String(PROCS)], { ...NOBODY, cwd: '/', stdio: ['pipe', 'pipe', 'inherit'] });
    info = JSON.parse(await lineReader(bomb).next()) as typeof info;
  });
  after(() => {
    bomb?.stdin?.end();
    if (info) fs.rmSync(info.dir, { recursive: true, force: true });
  });

  /** The walk's FIFO rows of the bomb, and how many path strings they use. */
  const check = (w: ProcWalk, way: string, most: number) => {
    const mine = new Set(info.pids);
    const f = w.fds;
    const used = new Set<number>();
    let rows = 0;
    for (let i = 0; i < f.pid.length; i++) {
      if (!mine.has(f.pid[i]) || f.pathIndex[i] < 0) continue;
      const p = w.paths[f.pathIndex[i]];
      if (!info.paths.includes(p)) continue;
      rows++;
      used.add(f.pathIndex[i]);
    }
    assert.ok(rows >= PROCS * 2 * DUPS, `${way}: ${rows} rows of the two FIFOs`);
    assert.ok(used.size <= most, `${way}: ${used.size} path strings for ${rows} rows (at most ${most})`);
  };

  test('the /proc walk stores one path per process and file (and range of 1,024 fds: it splits a large table into those)', async () => {
    const native = loadNative().addon;
    if (!native) return assert.fail('native addon not built');
    check(await native.walkProc({ procRoot: '/proc', threads: 0, readTimers: false, readLinks: false, ...walkRulesFor(['fifo']) }), '/proc walk', PROCS * 2 * Math.ceil((2 * DUPS + 8) / 1024));
  });

  test('the BPF walk: each fd after the first of an open file names its carrier, not the path again', async (t) => {
    const why = await bpfWalkSkip();
    if (why) return t.skip(why);
    const bpf = loadBpf().addon!;
    const { options } = bpfRuleOptions(walkRulesFor(['fifo']).fdRules, bpfAnonNameMax(bpf), bpfMemfd(bpf));
    const w = await bpf.bpfWalk({ threads: 0, readMaps: false, readTimers: false, readLinks: false, measurePipes: true, ...options });
    check(w, 'BPF walk', PROCS * 2);
    // the kernel's records: 40 bytes a shared fd, not a page
    assert.ok(w.bpf!.bytes < w.bpf!.records * 200, `${w.bpf!.bytes} bytes of records for ${w.bpf!.records}`);
  });

  test('the TypeScript walk stores one path per file', async () => {
    check(await walkProcTs({ procRoot: '/proc', threads: 1, readTimers: false, readLinks: false, ...walkRulesFor(['fifo']) }), 'TypeScript walk', 2);
  });

  for (const [way, opts] of [
    ['BPF fd walk', { walk: 'bpf-iter' }],
    ['/proc fd walk', { walk: 'proc' }],
    ['TypeScript walk', { useNative: false }],
  ] as const) {
    test(`both channels whole, with their exact paths (${way})`, async (t) => {
      if (way === 'BPF fd walk') {
        const why = await bpfWalkSkip();
        if (why) return t.skip(why);
      }
      const snap = await takeSnapshot({ ...opts, kinds: ['fifo'] });
      for (const p of info.paths) {
        const ch = snap.channels.find((c): c is FifoChannel => c.kind === 'fifo' && (c as FifoChannel).path === p);
        assert.ok(ch, `the FIFO at its ${p.length}-byte path`);
        assert.equal(ch.endpoints.length, PROCS * (DUPS + 1), `${ch.endpoints.length} endpoints`);
        assert.deepEqual([...new Set(ch.endpoints.map((e) => e.pid))].sort((a, b) => a - b), [...info.pids].sort((a, b) => a - b));
      }
    });
  }
});
