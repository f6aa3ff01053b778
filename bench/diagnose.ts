// The diagnosis layer's cost per refresh, next to the snapshot it diagnoses: evidence (the
// candidates' /proc reads, lstat, the socket-file scan) and the ten rules, on the same snapshots
// the bench takes, with the history building up as it would in the worker. Goal: under 10% of a
// snapshot's time. Measured, never asserted.
//
//   node dist/bench.js --diagnose 50k [--reps N]    (only this: a workload, N refreshes)
import type { FilesInFlight } from '../src/core/filesInFlight';
import { performance } from 'node:perf_hooks';
import { Diagnoser } from '../src/core/diagnose';
import type { Snapshot } from '../src/core/model';
import { SocketLookups, takeSnapshot } from '../src/core/snapshot';
import type { WorkloadBuilder, WorkloadSize } from './workload';

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n: number): string => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(2)) : '—');

export class DiagnoseCost {
  private readonly diagnoser = new Diagnoser();
  readonly total: number[] = [];
  readonly evidence: number[] = [];
  readonly rules: number[] = [];
  readonly phases: Record<string, number[]> = {};
  readonly byRuleMs: Record<string, number[]> = {};
  problems = 0;
  byRule: Record<string, number> = {};

  /** The options for the next snapshot, files in flight asked for as the service's worker asks (Diagnoser.snapshotOptions). */
  snapshotOptions<T extends { filesInFlight?: FilesInFlight }>(base: T): T {
    return this.diagnoser.snapshotOptions(base);
  }

  /** Diagnoses one snapshot (after the caller timed the snapshot itself); `filesInFlight` as the worker passes it. */
  measure(snapshot: Snapshot, filesInFlight?: FilesInFlight): void {
    const t = performance.now();
    const d = this.diagnoser.diagnose(snapshot, filesInFlight);
    this.total.push(performance.now() - t);
    this.evidence.push(d.evidenceMs);
    this.rules.push(d.rulesMs);
    (this.phases.scan ??= []).push(d.scanMs ?? NaN);
    for (const [k, v] of Object.entries(d.evidencePhasesMs ?? {})) (this.phases[k] ??= []).push(v);
    for (const [k, v] of Object.entries(d.rulesMsByRule ?? {})) (this.byRuleMs[k] ??= []).push(v ?? NaN);
    this.problems = d.problems.length;
    this.byRule = {};
    for (const p of d.problems) this.byRule[p.rule] = (this.byRule[p.rule] ?? 0) + 1;
  }

  /** Forgets the timings (warm-up), keeping the history. */
  clearTimings(): void {
    this.total.length = this.evidence.length = this.rules.length = 0;
    for (const k of Object.keys(this.phases)) delete this.phases[k];
    for (const k of Object.keys(this.byRuleMs)) delete this.byRuleMs[k];
  }

  report(snapshotMs: number[]): string {
    const share = median(this.total) / median(snapshotMs);
    return (
      `  diagnosis per refresh (evidence + 10 rules, in the worker): median ${fmt(median(this.total))} ms ` +
      `(evidence ${fmt(median(this.evidence))}, rules ${fmt(median(this.rules))}; max ${fmt(Math.max(...this.total))}) = ` +
      `${Number.isFinite(share) ? (share * 100).toFixed(1) : '—'}% of a snapshot (goal < 10%)\n` +
      `    evidence by part: ${Object.entries(this.phases).map(([k, v]) => `${k} ${fmt(median(v))}`).join(', ')}\n` +
      `    rules: ${Object.entries(this.byRuleMs).map(([k, v]) => `${k} ${fmt(median(v))}`).join(', ')}\n    ` +
      `${this.problems} problems on the last one${this.problems ? ` (${Object.entries(this.byRule).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`
    );
  }
}

/** `--diagnose SIZE`: a workload, then `reps` refreshes of snapshot + diagnosis. */
export async function benchDiagnose(builder: WorkloadBuilder, size: WorkloadSize, reps: number): Promise<void> {
  const wl = await builder.start(size);
  try {
    console.log(`[${size.label}] workload: ${wl.fds} fds; ${reps} refreshes`);
    const cost = new DiagnoseCost();
    const snapMs: number[] = [];
    const socketLookups = new SocketLookups(); // (kept over the refreshes, as the snapshot worker keeps it)
    for (let i = 0; i < reps + 1; i++) {
      const t = performance.now();
      const s = await takeSnapshot({ socketLookups });
      if (i > 0) snapMs.push(performance.now() - t);
      cost.measure(s);
      if (i === 0) cost.clearTimings();
    }
    console.log(`  snapshot: median ${fmt(median(snapMs))} ms`);
    console.log(cost.report(snapMs));
  } finally {
    await wl.stop();
  }
}
