// The diagnosis as the snapshot worker runs it: one Diagnoser per worker (its history is the
// worker's sequence of snapshots), run after each snapshot. What crosses to the main thread is a
// delta of the problem list — problems added or changed since the last message (compared as
// JSON), ids removed, and the order — as JSON text, so a refresh where nothing changed costs the
// main thread a few bytes to parse. Never throws: a failed diagnosis becomes one with a note.
import type { FilesInFlight } from '../filesInFlight';
import type { Snapshot } from '../model';
import type { FilterState } from '../filter';
import { Diagnoser, type DiagnoserOptions } from './index';
import type { Diagnosis, Problem } from './problem';

/** What SnapshotService passes to its worker: true for the defaults, or options. */
export type DiagnoseSetting = boolean | DiagnoserOptions | undefined;

/** One diagnosis as a change of the previous one (`full`: replaces whatever the receiver had). */
export interface DiagnosisDelta {
  full: boolean;
  /** The Diagnosis without its problems. */
  base: Omit<Diagnosis, 'problems'>;
  /** Every problem id of this diagnosis, in order. */
  order: string[];
  /** Problems new or different since the previous delta (all of them when `full`). */
  changed: Problem[];
}

export interface DiagnosisHook {
  /** Diagnoses the snapshot (`filesInFlight`: what its walk read of them, when asked); returns a DiagnosisDelta as JSON text. */
  run(snapshot: Snapshot, filesInFlight?: FilesInFlight): string;
  /** The options for the next snapshot: `base`, with files in flight to read when the diagnosis asks (Diagnoser.snapshotOptions). */
  snapshotOptions<T extends { filesInFlight?: FilesInFlight }>(base: T): T;
  /** The view of the machine changed (filters): forget the history; the next delta is full. */
  reset(): void;
  /** How the views are narrowed now (Diagnoser.setNarrowing); the next delta lists what they show. */
  narrow(filter: FilterState | null): void;
  /** Entries kept between refreshes: the Diagnoser's, and the problems last sent. */
  sizes(): Record<string, number>;
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

export function diagnosisHook(setting: DiagnoseSetting, narrowing: FilterState | null = null): DiagnosisHook | null {
  if (!setting) return null;
  const d = new Diagnoser(typeof setting === 'object' ? setting : {});
  d.setNarrowing(narrowing);
  let sent = new Map<string, string>();
  let full = true;
  return {
    run(snapshot, filesInFlight) {
      let out: Diagnosis;
      try {
        out = d.diagnose(snapshot, filesInFlight);
      } catch (e) {
        out = failedDiagnosis(snapshot, e);
      }
      const { problems, ...base } = out;
      const next = new Map<string, string>();
      const changed: Problem[] = [];
      for (const p of problems) {
        const json = JSON.stringify(p);
        next.set(p.id, json);
        if (full || sent.get(p.id) !== json) changed.push(p);
      }
      const delta: DiagnosisDelta = { full, base, order: problems.map((p) => p.id), changed };
      sent = next;
      full = false;
      return JSON.stringify(delta);
    },
    snapshotOptions: (base) => d.snapshotOptions(base),
    reset() {
      d.reset();
      full = true;
    },
    narrow(filter) {
      d.setNarrowing(filter);
    },
    sizes() {
      return { ...d.sizes(), sent: sent.size };
    },
  };
}

/** The receiving side: applies a delta to the problems it holds (by id); returns the whole Diagnosis. */
export class DiagnosisReceiver {
  private byId = new Map<string, Problem>();

  apply(delta: DiagnosisDelta): Diagnosis {
    if (delta.full) this.byId = new Map();
    for (const p of delta.changed) this.byId.set(p.id, p);
    const problems: Problem[] = [];
    const keep = new Map<string, Problem>();
    for (const id of delta.order) {
      const p = this.byId.get(id);
      if (!p) continue; // never sent (a lost message): skipped rather than invented
      problems.push(p);
      keep.set(id, p);
    }
    this.byId = keep;
    return { ...delta.base, problems };
  }

  reset(): void {
    this.byId = new Map();
  }
}
