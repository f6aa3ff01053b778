// `node dist/bench.js --profile 50k`: where a snapshot's time goes at one workload size. Times
// the pieces the snapshot is made of, each on its own (median of N): the native walk with the
// options takeSnapshot uses, the same walk with each optional read switched off, one thread vs
// all cores, sock_diag queries, SysV lists, and the whole snapshot; the difference is the JS
// side (parsing, join). Run under `node --cpu-prof` to split the JS side further.
import { performance } from 'node:perf_hooks';
import { loadNative, type NativeAddon, type ProcWalkOptions } from '../src/core/native';
import { takeSnapshot } from '../src/core/snapshot';
import { Floor } from './floor';
import type { WorkloadBuilder, WorkloadSize } from './workload';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function timeIt(reps: number, f: () => Promise<unknown> | unknown): Promise<{ ms: number; min: number }> {
  await f(); // warm
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    xs.push(performance.now() - t);
  }
  return { ms: median(xs), min: Math.min(...xs) };
}

export async function profile(builder: WorkloadBuilder, floor: Floor, size: WorkloadSize, reps: number): Promise<void> {
  const native = loadNative().addon;
  const wl = await builder.start(size);
  try {
    const f = floor.run(1);
    console.log(`profile at ${size.label}: workload ${wl.fds} fds; machine ${f.procs} processes, ${f.fds} fds (${f.sockets} sockets, ${f.pipes} pipe fds)`);
    const rows: [string, { ms: number; min: number }][] = [];
    const row = async (name: string, fn: () => Promise<unknown> | unknown): Promise<void> => {
      const r = await timeIt(reps, fn);
      rows.push([name, r]);
      console.log(`  ${name.padEnd(58)} ${r.ms.toFixed(1).padStart(8)} ms  (min ${r.min.toFixed(1)})`);
    };
    await row('floor 1 thread (C, readdir+readlink + /proc/net)', () => floor.run(1).ms);
    await row('floor 2 threads', () => floor.run(2).ms);
    if (native) {
      const full: ProcWalkOptions = { procRoot: '/proc', threads: 0, readMaps: true, readTimers: true, readLinks: true, measurePipes: true };
      const bare: ProcWalkOptions = { procRoot: '/proc', threads: 0, readMaps: false, readTimers: false, readLinks: false, measurePipes: false };
      const a = native as NativeAddon;
      await row('native walkProc, as takeSnapshot calls it (all cores)', () => a.walkProc(full));
      await row('native walkProc, full, threads=1', () => a.walkProc({ ...full, threads: 1 }));
      await row('native walkProc, measurePipes off', () => a.walkProc({ ...full, measurePipes: false }));
      await row('native walkProc, readMaps off', () => a.walkProc({ ...full, readMaps: false }));
      await row('native walkProc, readLinks off', () => a.walkProc({ ...full, readLinks: false }));
      await row('native walkProc, readTimers off', () => a.walkProc({ ...full, readTimers: false }));
      await row('native walkProc, all optional reads off', () => a.walkProc(bare));
      await row('native walkProc, all off, threads=1', () => a.walkProc({ ...bare, threads: 1 }));
      let inner = 0;
      await row('native walkProc full: elapsedMs reported inside', async () => {
        inner = (await a.walkProc(full)).elapsedMs;
        return inner;
      });
      rows[rows.length - 1][1] = { ms: inner, min: inner };
      await row('unixDiag()', () => a.unixDiag());
      await row('inetDiag tcp4+tcp6+udp4+udp6 (in parallel)', () =>
        Promise.all([a.inetDiag('tcp', 4), a.inetDiag('tcp', 6), a.inetDiag('udp', 4), a.inetDiag('udp', 6)]),
      );
      await row('sysvMsgList+sysvShmList+sysvSemList', () => {
        a.sysvMsgList();
        a.sysvShmList();
        a.sysvSemList();
      });
    } else {
      console.log('  (native addon missing: only the TS path)');
    }
    await row('takeSnapshot() (native path, whole)', () => takeSnapshot());
    await row("takeSnapshot({processes:'all'})", () => takeSnapshot({ processes: 'all' }));
    await row("takeSnapshot({kinds:['pipe']})", () => takeSnapshot({ kinds: ['pipe'] }));
    await row("takeSnapshot({kinds:['unix']})", () => takeSnapshot({ kinds: ['unix'] }));
    await row("takeSnapshot({kinds:['tcp','udp']})", () => takeSnapshot({ kinds: ['tcp', 'udp'] }));
    await row("takeSnapshot({kinds:['sysv-msg','sysv-sem']})", () => takeSnapshot({ kinds: ['sysv-msg', 'sysv-sem'] }));
    await row('takeSnapshot({useNative:false}) (TS path)', () => takeSnapshot({ useNative: false }));
    const snap = await takeSnapshot();
    const t = performance.now();
    const json = JSON.stringify(snap);
    console.log(`  JSON.stringify of the snapshot: ${(performance.now() - t).toFixed(1)} ms, ${(json.length / 1e6).toFixed(1)} MB, ${snap.channels.length} channels`);
  } finally {
    await wl.stop();
  }
}
