// One pipe whose write end an unprivileged user (nobody) dup'd thousands of times, in several
// forked processes: one channel of tens of thousands of endpoints, as any local user can make
// (to the fd limit: 524,288 a process on a stock systemd machine). The CLI's table prints it as
// one line of a few hundred characters — a process's fds of one mode as ranges — that names
// exactly the fds /proc lists, and --json keeps every endpoint. Sizes are asserted, never times.
// Past the scan's fd-row budget for one user (a million by default; a few thousand here) the rest
// of that user's fds are not listed, and a warning says whose; root's pipe keeps its ends.
//
//   node scripts/build.mjs && node --test --test-concurrency=1 dist/test/integration/dupBomb.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Snapshot } from '../../src/core/model';
import { canRunAttacker, startDupBomb, type DupBomb } from '../harness/otherUser';
import { endpointKeys, endpointsOfCell } from '../unit/endpointCell';
import { cliNotBuilt, runCli } from './cliRunner';
import { fdLinks } from '../procFds';
import { takeSnapshot } from '../../src/core/snapshot';
import { loadBpf, loadNative, type ProcWalk } from '../../src/core/native';
import { runWalk, type WalkPreference } from '../../src/core/walkBackend';
import { walkRulesFor } from '../../src/core/kinds';
import { bpfWalkSkip } from './bpfSkip';
import * as os from 'node:os';
import { FDS_CUT, fdsHiddenIn } from '../../src/core/snapshotWarnings';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';

const COMM = 'ipc-dupbomb';
const PROCS = 4;
const FDS = 6000;
/** fds closed again after the dup()s (the pipe's ends are 3 and 4 as a rule, the dups above). */
const HOLES = [10, 100, 101, 102, 2500, 4000, 4001];

const skip = cliNotBuilt || (!canRunAttacker() ? 'needs root and perl to run a dup-bomb as nobody' : false);

/** The fds of `pid` that are this pipe, and how (/proc/PID/fd and fdinfo's flags): the oracle. */
function procEndpoints(pid: number, inode: number): Array<{ pid: number; fd: number; mode: string }> {
  const out: Array<{ pid: number; fd: number; mode: string }> = [];
  for (const { fd, link } of fdLinks(pid)) {
    if (link !== `pipe:[${inode}]`) continue;
    const flags = parseInt(/^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1], 8);
    out.push({ pid, fd, mode: (flags & 3) === 0 ? 'r' : (flags & 3) === 1 ? 'w' : 'rw' });
  }
  return out;
}

describe('a dup-bomb made by an unprivileged user', { skip }, () => {
  let bomb: DupBomb;
  let oracle: Array<{ pid: number; fd: number; mode: string }>;
  before(async () => {
    bomb = await startDupBomb({ comm: COMM, fds: FDS, procs: PROCS, holes: HOLES });
    oracle = bomb.pids.flatMap((pid) => procEndpoints(pid, bomb.inode));
  });
  after(async () => {
    await bomb?.close();
  });

  test('the processes hold thousands of fds of the pipe each, with holes', () => {
    assert.equal(bomb.pids.length, PROCS);
    assert.ok(oracle.length > PROCS * 1000, `${oracle.length} endpoints`);
    for (const pid of bomb.pids) for (const fd of HOLES) assert.ok(!oracle.some((e) => e.pid === pid && e.fd === fd), `fd ${fd} of ${pid} was closed`);
  });

  test('snapshot --json lists every endpoint, one object each (the contract)', () => {
    const r = runCli(['snapshot', '--json', '--kind', 'pipe']);
    assert.equal(r.code, 0, r.stderr);
    const ch = (JSON.parse(r.stdout) as Snapshot).channels.find((c) => c.id === `pipe:${bomb.inode}`);
    assert.ok(ch, `pipe:${bomb.inode} in --json`);
    assert.deepEqual(endpointKeys(ch.endpoints), endpointKeys(oracle));
    for (const e of ch.endpoints) assert.deepEqual(Object.keys(e).sort(), ['fd', 'mode', 'pid']);
  });

  const ways: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
    ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
    ['/proc fd walk', { walk: 'proc' }, loadNative().addon ? false : 'native addon not built'],
    ['TypeScript walk', { useNative: false }, false],
  ];
  for (const [way, opts, skipWay] of ways) {
    test(`past the per-user budget the bomb's other fds are not listed, and said; root's pipe is whole (${way})`, { skip: skipWay }, async () => {
      let root: Fixture | undefined;
      try {
        root = await makeFixture('pipe');
        const perUser = 5000;
        const snap = await takeSnapshot({ ...opts, kinds: ['pipe'], fdRowsPerUser: perUser });
        const ch = snap.channels.find((c) => c.id === `pipe:${bomb.inode}`);
        assert.ok(ch, `pipe:${bomb.inode}`);
        // the first rows in (pid, fd) order, up to the budget less nobody's other pipe fds (stdio)
        const sorted = [...oracle].sort((a, b) => a.pid - b.pid || a.fd - b.fd);
        const n = ch.endpoints.length;
        assert.ok(n <= perUser && n > perUser - 100, `${n} endpoints listed of ${oracle.length}`);
        // (the TypeScript walk lists a process's fds in readdir order: its first ones, not its lowest)
        if (way === 'TypeScript walk') {
          const all = new Set(endpointKeys(oracle));
          assert.ok(endpointKeys(ch.endpoints).every((k) => all.has(k)), 'only fds /proc lists');
        } else assert.deepEqual(endpointKeys(ch.endpoints), endpointKeys(sorted.slice(0, n)));
        const mine = snap.channels.find((c) => c.id === `pipe:${root!.info.inode}`);
        assert.ok(mine && mine.endpoints.length === 2, `root's pipe keeps both ends: ${JSON.stringify(mine)}`);
        const w = snap.warnings.find((x) => x.startsWith(FDS_CUT));
        assert.ok(w, JSON.stringify(snap.warnings));
        assert.match(w, /fds of [\d,]+ process(es)? past the scan's budget \(5,000 fds of IPC kinds per user/);
        assert.match(w, /\(uid 65534\)/, 'it names whose');
        assert.ok(fdsHiddenIn(snap.warnings), 'the diagnosis and a removal then say holders may be unseen');
        const cut = snap.processes.filter((p) => p.errors?.some((e) => e.field === 'fds' && e.code === 'EFBIG'));
        assert.ok(cut.length >= 1 && cut.every((p) => bomb.pids.includes(p.pid)), `cut: ${cut.map((p) => p.pid).join(', ')}`);
      } finally {
        await closeAll([root]);
      }
    });
  }

  // The walks apply the same budget as they read (native/src/rowvalve.h): the bomb's rows past it
  // never reach their columns. The BPF walk drops records in (pid, fd) order, exactly; the /proc
  // walk skips ranges of fds once the rows before them, in that order, have spent the budget, so
  // it keeps at most a few ranges (≤ 1,536 fds each) more than the budget.
  const rawWays: Array<[string, WalkPreference, () => Promise<string | false>]> = [
    ['BPF fd walk', 'bpf-iter', bpfWalkSkip],
    ['/proc fd walk', 'proc', async () => (loadNative().addon ? false : 'native addon not built')],
    ['TypeScript walk', 'proc-ts', async () => false],
  ];
  for (const [way, prefer, skipWay] of rawWays) {
    test(`the walk itself keeps no more of the bomb's rows than the budget, the first in order, and counts the rest (${way})`, async (t) => {
      const why = await skipWay();
      if (why) return t.skip(why);
      const backends = { native: prefer === 'proc-ts' ? null : loadNative().addon, bpf: prefer === 'bpf-iter' ? loadBpf().addon : null };
      const o = { procRoot: '/proc', threads: 0, readTimers: false, readLinks: false, ...walkRulesFor(['pipe']) };
      const mine = new Set(bomb.pids);
      const rowsOf = (w: ProcWalk) => {
        const keys: string[] = [];
        for (let i = 0; i < w.fds.pid.length; i++) if (mine.has(w.fds.pid[i]) && w.fds.inode[i] === bomb.inode) keys.push(`${w.fds.pid[i]}:${w.fds.fd[i]}`);
        return keys;
      };
      // unbounded, the walk holds every one (what the budget saves)
      const whole = await runWalk(backends, o, prefer, []);
      assert.equal(whole.capability.backend, prefer);
      assert.equal(rowsOf(whole.walk).length, oracle.length, 'no budget: every endpoint');
      const perUser = 5000;
      const run = await runWalk(backends, { ...o, rowsPerUser: perUser, rowsTotal: 4_000_000 }, prefer, []);
      assert.equal(run.capability.backend, prefer);
      const kept = rowsOf(run.walk);
      // the /proc walk reads every process's first range before any large table's others: those
      // it keeps (an attacker pays a process for each), and the ranges its threads were at work on
      const slack = prefer !== 'proc' ? 0 : (PROCS + Math.max(2, os.availableParallelism()) + 1) * 1536;
      assert.ok(kept.length <= perUser + slack, `${kept.length} rows kept (budget ${perUser}, slack ${slack})`);
      // every row the snapshot's budget keeps is there: the first in (pid, fd) order (nobody's few
      // other pipe fds may come before them)
      const first = [...oracle].sort((a, b) => a.pid - b.pid || a.fd - b.fd).slice(0, perUser - 100).map((e) => `${e.pid}:${e.fd}`);
      const keptSet = new Set(kept);
      // (the TypeScript walk lists a process's fds in readdir order: its first ones, not its lowest)
      const missing = prefer === 'proc-ts' ? [] : first.filter((k) => !keptSet.has(k));
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of the first ${first.length} rows in order missing`);
      const past = run.walk.processes.filter((p) => p && mine.has(p.pid) && p.fdsPastBudget).reduce((a, p) => a + p!.fdsPastBudget!, 0);
      assert.ok(kept.length + past >= oracle.length, `${kept.length} kept + ${past} past the budget, of ${oracle.length}`);
      if (prefer !== 'proc') assert.ok(kept.length + past <= oracle.length + 100 * PROCS, `${kept.length} + ${past}: rows, not guesses`);
    });
  }

  test('snapshot (table): one short line per process and mode, naming exactly the fds /proc lists', () => {
    const r = runCli(['snapshot', '--kind', 'pipe']);
    assert.equal(r.code, 0, r.stderr);
    const row = r.stdout.split('\n').find((l) => l.startsWith(`pipe:${bomb.inode} `));
    assert.ok(row, `pipe:${bomb.inode} in the table`);
    // ~25 characters an endpoint before: hundreds of kilobytes on one line
    assert.ok(row.length < 100 * PROCS * 2 + 100 * HOLES.length, `${row.length} characters for ${oracle.length} endpoints`);
    const cell = /^pipe:\d+\s+\S+\s+\S+\s+(.*)$/.exec(row)![1];
    const entries = cell.split(', ');
    assert.equal(entries.length, PROCS * 2, 'each process: its read end, and its write ends as one entry');
    assert.equal(entries[0], `${COMM}[${bomb.pids[0]}] fd ${bomb.readFd} (r)`, 'a single fd spelled as before');
    // its write ends as runs between the holes (fds it inherited, like a shell's 255, may split them more)
    assert.match(entries[1], new RegExp(`^${COMM}\\[${bomb.pids[0]}\\] fd ${bomb.writeFd}\u2013\\d+(,\\d+(\u2013\\d+)?)+ \\(w\\)$`));
    assert.ok(entries[1].includes(',103\u2013'), entries[1]);
    assert.deepEqual(endpointKeys(endpointsOfCell(cell)), endpointKeys(oracle), 'lossless');
    assert.ok(r.stdout.split('\n').every((l) => l.length < 4096), 'no line of the table is long');
  });
});
