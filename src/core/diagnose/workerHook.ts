// The diagnosis as the snapshot worker runs it: one Diagnoser per worker (its history is the
// worker's sequence of snapshots), run after each snapshot, its result sent as JSON text with the
// last part of the diff so the main thread only parses it. Never throws: a failed diagnosis
// becomes one with a note, and the snapshot goes out as usual.
import type { Snapshot } from '../model';
import { Diagnoser, type DiagnoserOptions } from './index';
import type { Diagnosis } from './problem';

/** What SnapshotService passes to its worker: true for the defaults, or options. */
export type DiagnoseSetting = boolean | DiagnoserOptions | undefined;

export interface DiagnosisHook {
  /** Diagnoses the snapshot; returns the Diagnosis as JSON text. */
  run(snapshot: Snapshot): string;
  /** The view of the machine changed (filters): forget the history. */
  reset(): void;
}

export function failedDiagnosis(snapshot: Snapshot, e: unknown): Diagnosis {
  return {
    takenAt: snapshot.takenAt,
    problems: [],
    counts: { error: 0, warning: 0, info: 0 },
    notes: [`diagnosis failed: ${(e as Error)?.message ?? String(e)}`],
    samples: 0,
    evidenceMs: 0,
    rulesMs: 0,
  };
}

export function diagnosisHook(setting: DiagnoseSetting): DiagnosisHook | null {
  if (!setting) return null;
  const d = new Diagnoser(typeof setting === 'object' ? setting : {});
  return {
    run(snapshot) {
      let out: Diagnosis;
      try {
        out = d.diagnose(snapshot);
      } catch (e) {
        out = failedDiagnosis(snapshot, e);
      }
      return JSON.stringify(out);
    },
    reset() {
      d.reset();
    },
  };
}
