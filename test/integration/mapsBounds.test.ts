// Another user's /proc/PID/maps as large as it likes (an attacker's; fixtures/attacker.c
// `many-maps`): one /dev/shm file at a ~3,800-byte path, mapped 6,000 times by two processes —
// ~23 MB of maps text each, every line of it a real /dev/shm mapping. Before the bounds
// (native/src/mapsread.h), each walk read and kept the whole text of every such process (hundreds
// of MB of root's memory for a dozen of them), and the BPF maps pass failed for every process
// (E2BIG: one task's output larger than the iterator's buffer) and fell back to reading them all.
// Now: each such process says its maps were cut short (read error EFBIG), keeps at most the
// bounded lines, and root's own shared memory beside it is listed with its holders by every walk,
// the BPF pass covering it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadBpf, loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { MAPS_KEEP_LINES, MAPS_KEEP_MAX } from '../../src/core/textBounds';
import type { WalkBackend } from '../../src/core/model';
import { makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import { compileTools, runAttacker, stopAttacker, type Attacker } from './hostile';
import { mapsPassRefused } from './bpfMapsPass';
import { Diagnoser } from '../../src/core/diagnose';
import { MAPS_CUT } from '../../src/core/snapshotWarnings';

const native = loadNative().addon;
const bpf = loadBpf();
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = process.getuid?.() !== 0 ? 'needs root (the attacker runs as uid 65534)' : !has('cc') ? 'needs cc' : !native ? `native addon not loaded (${loadNative().error})` : false;
const MAPPINGS = 6000;

describe('a process with a huge /proc/PID/maps (another user decides its size)', { skip }, () => {
  let attacker: Attacker | undefined;
  let made: { pid: number; twin: number; inode: number };
  let root: Fixture | undefined;
  const dir = `/dev/shm/ipci-maps-${process.pid}`;
  const NAME = `ipci-maps-root-${process.pid}`;
  const walks: Array<WalkBackend | 'ts'> = ['proc', 'ts'];

  before(async () => {
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    root = await makeFixture('posix-shm', { name: NAME, size: 8192 });
    attacker = runAttacker(await compileTools(), ['many-maps', dir, String(MAPPINGS)]);
    made = JSON.parse(await attacker.next('the many-maps line')) as typeof made;
    // where the BPF walk can run it must (each test checks capabilities.walk): a fallback is a failure
    if (bpf.addon && (await bpf.addon.bpfProbe()).ok) walks.push('bpf-iter');
  });
  after(async () => {
    await stopAttacker(attacker);
    await root?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('really is huge: every line a /dev/shm mapping, tens of MB', () => {
    let bytes = 0;
    const fd = fs.openSync(`/proc/${made.pid}/maps`, 'r');
    const b = Buffer.alloc(1 << 20);
    for (let n; (n = fs.readSync(fd, b, 0, b.length, null)) > 0; ) bytes += n;
    fs.closeSync(fd);
    assert.ok(bytes > MAPPINGS * 3800, `maps is ${bytes} bytes`);
  });

  for (const walk of ['proc', 'ts', 'bpf-iter'] as const) {
    it(`${walk} walk: the attacker's maps are cut short and say so; root's shared memory keeps its holders`, async (t) => {
      if (!walks.includes(walk)) return t.skip(`the BPF walk does not run here (${bpf.error ?? 'probe failed'})`);
      const snap = await takeSnapshot(walk === 'ts' ? { useNative: false } : { walk });
      assert.equal(walk === 'ts' ? snap.capabilities.native : snap.capabilities.walk?.backend, walk === 'ts' ? false : walk, JSON.stringify(snap.capabilities.walk));
      for (const pid of [made.pid, made.twin]) {
        const p = snap.processes.find((x) => x.pid === pid);
        assert.ok(p, `attacker process ${pid} listed`);
        assert.deepEqual(p.errors?.filter((e) => e.field === 'maps').map((e) => e.code), ['EFBIG'], `process ${pid}: ${JSON.stringify(p.errors)}`);
      }
      // what was kept of them is bounded: at most the per-process lines, whatever channel they make
      const attackerEnds = snap.channels.flatMap((c) => c.endpoints.filter((e) => e.pid === made.pid && 'map' in e));
      assert.ok(attackerEnds.length <= MAPS_KEEP_LINES && attackerEnds.length <= MAPS_KEEP_MAX / 3800 + 1, `${attackerEnds.length} map endpoints kept`);
      const shm = snap.channels.find((c) => c.kind === 'posix-shm' && c.id === `posix-shm:${NAME}`);
      assert.ok(shm, `root's posix-shm:${NAME} listed`);
      assert.ok(shm.endpoints.some((e) => root!.pids.includes(e.pid) && 'map' in e), `root's mapping is a holder: ${JSON.stringify(shm.endpoints)}`);
    });
  }

  it('the BPF maps pass still covers the other processes (it stops at its bound instead of failing)', async (t) => {
    if (!walks.includes('bpf-iter')) return t.skip(`the BPF walk does not run here (${bpf.error ?? 'probe failed'})`);
    // every process with an mm (kernel threads have none) but a few whose mmap lock was busy (the
    // pass only try-locks it: a machine busy with builds has several at a time) or that exited
    // meanwhile; a pass that stopped at the bound would miss every process after the attacker's in
    // every walk, so the best of three walks is what is checked
    let w!: Awaited<ReturnType<NonNullable<typeof bpf.addon>['bpfWalk']>>;
    const seen: string[] = [];
    let covered = false;
    for (let i = 0; i < 3 && !covered; i++) {
      w = await bpf.addon!.bpfWalk({ threads: 2, readMaps: true, readTimers: false, readLinks: false, measurePipes: false });
      const refused = mapsPassRefused(w.bpf.mapsUnavailable);
      if (refused) return t.skip(refused);
      assert.equal(w.bpf.mapsUnavailable, undefined);
      const withMm = w.processes.filter((p) => {
        try {
          return fs.readFileSync(`/proc/${p.pid}/cmdline`).length > 0;
        } catch {
          return false;
        }
      }).length;
      seen.push(`${w.bpf.mapsProcesses} of ${withMm}`);
      covered = w.bpf.mapsProcesses >= withMm - 2;
    }
    assert.ok(covered, `the pass covered ${seen.join(', then ')} processes with an mm`);
    const a = w.processes.find((p) => p.pid === made.pid)!;
    assert.ok((a.maps ?? '').split('\n').length <= MAPS_KEEP_LINES);
    assert.deepEqual(a.errors?.map((e) => e.code), ['EFBIG']);
  });
});

// Many processes of another user, each showing more mappings than a scan keeps of one process,
// together more than it keeps in all (fixtures/attacker.c `maps-budget`). They spend their user's
// share of the scan's maps budget, not root's: root's live shared memory, read after them, keeps
// its mappers (it lost them before: a leftover, offered for removal). What is cut is said (a
// warning), and the diagnosis calls nothing mapped unheld meanwhile.
describe('processes that spend the scan\'s whole maps budget (another user decides how many)', { skip }, () => {
  let attacker: Attacker | undefined;
  let victim: Attacker | undefined;
  let mappers: number[] = [];
  const dir = `/dev/shm/ipci-budget-${process.pid}`;
  const NAME = `ipci-budget-root-${process.pid}`;
  const KIDS = 300;

  before(async () => {
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    const tools = await compileTools();
    attacker = runAttacker(tools, ['maps-budget', dir, '100', String(KIDS)]);
    await attacker.next('the maps-budget line');
    // root's, held by its mappings alone (no fd), started after the attacker's processes: the
    // walks reach it last
    victim = runAttacker(tools, ['shm-mapped', `/${NAME}`], { uid: 0, gid: 0 });
    mappers = Object.values(JSON.parse(await victim.next('the shm-mapped line')) as Record<string, number>);
  });
  after(async () => {
    await stopAttacker(victim);
    await stopAttacker(attacker);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const walk of ['proc', 'ts', 'bpf-iter'] as const) {
    it(`${walk} walk: the attacker's maps are cut and said; root's segment keeps its mappers, never a leftover`, async (t) => {
      if (walk === 'bpf-iter' && !(bpf.addon && (await bpf.addon.bpfProbe()).ok)) return t.skip(`the BPF walk does not run here (${bpf.error ?? 'probe failed'})`);
      const take = () => takeSnapshot(walk === 'ts' ? { useNative: false } : { walk });
      const d = new Diagnoser({ rules: ['leftover'], socketScanMaxAgeMs: 0 });
      const id = `posix-shm:${NAME}`;
      for (let i = 0; i < 3; i++) {
        const snap = await take();
        const cut = snap.processes.filter((p) => p.errors?.some((e) => e.field === 'maps' && e.code === 'EFBIG')).length;
        assert.ok(cut >= KIDS, `${walk}: ${cut} processes with maps cut`);
        const warning = snap.warnings.find((w) => w.startsWith(MAPS_CUT));
        assert.ok(warning, `${walk}: ${JSON.stringify(snap.warnings)}`);
        assert.match(warning, new RegExp(`^${MAPS_CUT} [\\d,]+ process(es)? — [\\d,]+ cut at the scan's bounds`));
        const shm = snap.channels.find((c) => c.id === id);
        assert.ok(shm, `${id} listed`);
        assert.deepEqual([...new Set(shm.endpoints.map((e) => e.pid))].sort(), [...mappers].sort(), `${walk}: root's mappers, read after nobody's ${KIDS} processes`);
        const problems = d.diagnose(snap).problems.filter((p) => p.channels.includes(id));
        assert.deepEqual(problems.map((p) => p.id), [], `${walk}: root's live segment reported`);
      }
    });
  }
});
