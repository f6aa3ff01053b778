// /proc texts another user makes as long as the kernel allows. Command lines: nobody re-execs
// itself with ~5.8 MB of arguments and forks into 40 processes that share those pages (one copy's
// cost to them); unbounded, one `snapshot --json` of them read and printed ~230 MB of command
// lines. Timers: 20,000 POSIX timers in one process, 1.4 MB of /proc/PID/timers. Every walk now
// keeps at most 128 KiB of a command line and 4 MiB of one user's (then the first page of each),
// 64 KiB of a timers list (whole timers) and 1 MiB of one user's; says which were cut; and keeps
// root's long command line whole. Sizes are asserted, never times.
//
//   node scripts/build.mjs && node --test --test-concurrency=1 dist/test/integration/longProcTexts.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { ProcessInfo, Snapshot } from '../../src/core/model';
import { canRunArgBomb, startArgBomb, startNamedProcess, startTimerHolder, type ArgBomb, type NamedProcess, type TimerHolder } from '../harness/otherUser';
import { cliNotBuilt, runCli } from './cliRunner';
import { takeSnapshot } from '../../src/core/snapshot';
import { loadBpf, loadNative } from '../../src/core/native';
import { CMDLINE_HEAD, CMDLINE_MAX, CMDLINE_USER_BUDGET, TIMERS_MAX } from '../../src/core/textBounds';
import { CMDLINES_CUT, TIMERS_CUT } from '../../src/core/snapshotWarnings';

const COMM = 'ipc-argbomb';
const PROCS = 40;
const ARG_BYTES = 5_800_000;
/** Processes a walk reads at once, at most (each may read CMDLINE_MAX while the budget is not yet spent). */
const READERS = 64;

const skip = cliNotBuilt || (!canRunArgBomb() ? 'needs root, perl and prlimit to run an argument bomb as nobody' : false);

/** The bytes a snapshot kept of a command line (its arguments joined as the kernel separates them). */
const kept = (p: ProcessInfo): number => Buffer.byteLength(p.cmdline.join('\0'));

const WAYS: Array<[string, Parameters<typeof takeSnapshot>[0], string | false]> = [
  ['BPF fd walk', { walk: 'bpf-iter' }, loadBpf().addon ? false : 'BPF addon not built'],
  ['/proc fd walk', { walk: 'proc' }, loadNative().addon ? false : 'native addon not built'],
  ['TypeScript walk', { useNative: false }, false],
];

describe("command lines as long as another user can make them", { skip }, () => {
  let bomb: ArgBomb;
  let root: NamedProcess;
  /** Root's own long command line (a Java classpath's length): its bytes as /proc gives them. */
  let rootLine: Buffer;
  before(async () => {
    bomb = await startArgBomb({ comm: COMM, procs: PROCS, argBytes: ARG_BYTES });
    root = await startNamedProcess({ user: { uid: 0, gid: 0 }, args: Array.from({ length: 40 }, (_, i) => `/opt/lib/dependency-${i}.jar:`.padEnd(1000, 'x')) });
    rootLine = fs.readFileSync(`/proc/${root.pid}/cmdline`);
  });
  after(async () => {
    await root?.close();
    await bomb?.close();
  });

  test('the processes have command lines of megabytes, and root\'s one of 40 KB', () => {
    assert.equal(bomb.pids.length, PROCS);
    for (const pid of bomb.pids) assert.ok(fs.readFileSync(`/proc/${pid}/cmdline`).length > ARG_BYTES * 0.9, `${pid}'s command line`);
    assert.ok(rootLine.length > 40_000 && rootLine.length < CMDLINE_MAX, `${rootLine.length} bytes`);
  });

  for (const [way, opts, skipWay] of WAYS) {
    test(`each is cut at 128 KiB, nobody's at 4 MiB in all (then a page each), and said; root's is whole (${way})`, { skip: skipWay }, async () => {
      const snap = await takeSnapshot(opts);
      const bombs = snap.processes.filter((p) => bomb.pids.includes(p.pid));
      assert.equal(bombs.length, PROCS, 'every process of the bomb is listed (it holds a pipe: its stdin)');
      let total = 0;
      for (const p of bombs) {
        const n = kept(p);
        total += n;
        assert.ok(n >= CMDLINE_HEAD && n <= CMDLINE_MAX, `${p.pid}: ${n} bytes kept`);
        // the first bytes, as they are: a cut, never a rewrite
        assert.ok(fs.readFileSync(`/proc/${p.pid}/cmdline`).subarray(0, n).equals(Buffer.from(p.cmdline.join('\0'))), `${p.pid}: a prefix of its command line`);
        assert.deepEqual(p.errors?.filter((e) => e.field === 'cmdline'), [{ field: 'cmdline', syscall: 'read', code: 'EFBIG' }], `${p.pid} says its command line was cut`);
      }
      assert.ok(bombs.some((p) => kept(p) === CMDLINE_MAX), 'the first ones keep the per-process bound');
      assert.ok(bombs.some((p) => kept(p) === CMDLINE_HEAD), 'past the user\'s budget, a page each');
      assert.ok(total <= CMDLINE_USER_BUDGET + READERS * CMDLINE_MAX + PROCS * CMDLINE_HEAD, `nobody's command lines: ${total} bytes kept of ${PROCS * ARG_BYTES}`);
      const mine = snap.processes.find((p) => p.pid === root.pid);
      assert.ok(mine, `root's process ${root.pid}`);
      assert.ok(Buffer.from(mine.cmdline.join('\0') + '\0').equals(rootLine), "root's command line is whole");
      assert.ok(!mine.errors?.some((e) => e.field === 'cmdline'), JSON.stringify(mine.errors));
      const w = snap.warnings.find((x) => x.startsWith(CMDLINES_CUT));
      assert.ok(w, JSON.stringify(snap.warnings));
      // at least the bomb's: any other process of this machine with a long command line (a build
      // tool's, another user's) is counted too, and named under its own user
      const counted = new RegExp(`^${CMDLINES_CUT} ([\\d,]+) process(?:es)? `).exec(w);
      assert.ok(counted && Number(counted[1].replace(/,/g, '')) >= PROCS, w);
      const whose = /nobody \(uid 65534\): ([\d,]+) process(?:es)?/.exec(w);
      assert.ok(whose && Number(whose[1].replace(/,/g, '')) >= PROCS, `it names whose: ${w}`);
    });
  }

  test('snapshot --json prints megabytes, not the hundreds the command lines hold', () => {
    const r = runCli(['snapshot', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const snap = JSON.parse(r.stdout) as Snapshot;
    const bombs = snap.processes.filter((p) => bomb.pids.includes(p.pid));
    assert.equal(bombs.length, PROCS);
    const total = bombs.reduce((a, p) => a + kept(p), 0);
    assert.ok(total <= CMDLINE_USER_BUDGET + READERS * CMDLINE_MAX + PROCS * CMDLINE_HEAD, `${total} bytes of nobody's command lines`);
    assert.ok(r.stdout.length < 2 * (CMDLINE_USER_BUDGET + READERS * CMDLINE_MAX), `${r.stdout.length} bytes of JSON`);
  });
});

describe('POSIX timers by the ten thousand', { skip: cliNotBuilt || (!canRunArgBomb() ? 'needs root to run the timer holder as nobody' : false) }, () => {
  let holder: TimerHolder;
  before(async () => {
    holder = await startTimerHolder(20_000);
  });
  after(async () => {
    await holder?.close();
  });

  for (const [way, opts, skipWay] of WAYS) {
    test(`a timers list is cut at 64 KiB, whole timers only, and said (${way})`, { skip: skipWay }, async () => {
      const full = fs.readFileSync(`/proc/${holder.pid}/timers`, 'latin1');
      assert.ok(holder.made >= 10_000 && full.length > 10 * TIMERS_MAX, `${holder.made} timers, ${full.length} bytes`);
      const snap = await takeSnapshot(opts);
      const p = snap.processes.find((x) => x.pid === holder.pid);
      assert.ok(p, `the holder ${holder.pid} (its stdin is a pipe)`);
      // as many whole timers as 64 KiB holds, and the first ones /proc lists
      const n = p.timers.length;
      const ids = [...full.matchAll(/^ID: (\d+)$/gm)].map((m) => Number(m[1]));
      assert.deepEqual(p.timers.map((t) => t.id), ids.slice(0, n));
      const bytes = full.indexOf(`ID: ${ids[n]}\n`);
      assert.ok(bytes <= TIMERS_MAX && full.indexOf(`ID: ${ids[n + 1]}\n`) > TIMERS_MAX, `${n} timers kept, ${bytes} bytes`);
      assert.ok(p.timers.every((t) => t.signal === 'SIGUSR1' && t.notify === 'signal'), 'every kept timer whole');
      assert.deepEqual(p.errors?.filter((e) => e.field === 'timers'), [{ field: 'timers', syscall: 'read', code: 'EFBIG' }]);
      assert.ok(snap.warnings.some((w) => w.startsWith(TIMERS_CUT) && w.includes(`nobody (uid 65534): 1 process, ${holder.pid}`)), JSON.stringify(snap.warnings));
    });
  }
});
