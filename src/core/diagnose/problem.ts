// What the diagnosis layer returns: problems as plain, JSON-safe data (they cross from the
// snapshot worker to the extension host and into the CLI's --json). Each problem names its rule,
// its severity, a teaching explanation, the evidence it rests on, the channels and processes
// involved, a chain for waits (process → channel → process), and its safe actions as data — the
// UI decides how to offer them (signals go through actions/policy.ts, removals are confirmed).
//
// Text fields are plain text. Names, paths and comm that come from processes are passed through
// format.ts's escapeControl when the text is built (no control characters, no bidi overrides),
// but nothing here is markup-safe: a UI that renders markdown or HTML must escape it again.

import type { Trouble } from './troubles';

export type Severity = 'error' | 'warning' | 'info';

/** Most severe first (the order the CLI and the Problems view list them in). */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export function severityRank(s: Severity): number {
  return s === 'error' ? 0 : s === 'warning' ? 1 : 2;
}

/** One id per rule of issue 12, in its order (1 … 10). */
export const RULE_IDS = [
  'blocked-writer',
  'no-other-end',
  'socket-path',
  'accept-backlog',
  'queue-not-draining',
  'leftover',
  'semaphore-no-poster',
  'wait-cycle',
  'signal-trouble',
  'port-clash',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** The four parts every problem teaches. */
export interface Explanation {
  /** What the condition is. */
  what: string;
  /** Why it usually happens. */
  why: string;
  /** What the kernel does next (SIGPIPE, EOF, ECONNREFUSED, dropped SYNs, …). */
  next: string;
  /** What a fix usually is. */
  fix: string;
}

/** One fact the problem rests on, and where it was read. */
export interface EvidenceItem {
  /** Short label: `writer`, `syscall`, `wchan`, `buffered`, `path now`, … */
  label: string;
  text: string;
  /** Where the fact comes from: `/proc/812/task/813/syscall`, `sock_diag`, `snapshot`, `lstat`. */
  source: string;
}

/** A node of a wait chain; chains alternate process → channel → process (a cycle ends where it began). */
export type ChainNode = { type: 'process'; pid: number; label: string } | { type: 'channel'; id: string; label: string };

/** A file that is not a channel (a stale socket file), identified by what lstat saw. */
export interface FileTarget {
  path: string;
  /** `major:minor` of the file system. */
  dev: string;
  inode: number;
  type: 'socket';
}

/**
 * Safe actions, as data. `reveal` and `peek` are read-only; `signal` must go through
 * actions/policy.ts signalRisk (warnings, confirmation) and actions/signal.ts sendSignal (pidfd,
 * start time); `remove` must be confirmed first (actions/remove.ts for channels,
 * diagnose/removeFile.ts for a file).
 */
export type ProblemAction =
  | { kind: 'reveal'; label: string; channel?: string; pid?: number }
  | { kind: 'peek'; label: string; channel: string }
  | { kind: 'signal'; label: string; pid: number; startTime: number; signal: string; /** What it does here (the label's end): `resumes it`. */ why?: string }
  | { kind: 'remove'; label: string; channel?: string; file?: FileTarget };

export interface Problem {
  /** Stable across refreshes while the condition lasts: `RULE:SUBJECT` (subject = channel id, `pid@startTime`, …). */
  id: string;
  rule: RuleId;
  severity: Severity;
  /** One line: the whole sentence (object, what is wrong, who, details). */
  title: string;
  /**
   * What is wrong in a few words, before any name: `attached by nobody, creator gone`, `writer
   * blocked: pipe full`. A phrase of the rule's table (troubles.ts), no process-controlled text:
   * what the Problems view's row and the CLI's headline lead with.
   */
  trouble: Trouble;
  /** What it is about, as the title names it (escaped like it): `SysV shared memory shmid 68 key 0x…`, `nginx[812]`, `TCP port 8080`. */
  subject: string;
  explanation: Explanation;
  evidence: EvidenceItem[];
  /** Channel ids involved (snapshot ids). */
  channels: string[];
  /** Pids involved. */
  pids: number[];
  /** For blocked writers and wait cycles: process → channel → process …; a cycle repeats its first process at the end. */
  chain?: ChainNode[];
  actions: ProblemAction[];
  /** ISO time the condition was first seen in an unbroken run of refreshes. */
  since: string;
}

/** A rule's output before the runner fills in `since` (a rule that knows better sets it). */
export type ProblemDraft = Omit<Problem, 'since'> & { since?: string };

/** One diagnosis of one snapshot. */
export interface Diagnosis {
  /** The snapshot's takenAt. */
  takenAt: string;
  /** Most severe first, then by rule order, then newest first, then in the order the rule listed them. */
  problems: Problem[];
  counts: Record<Severity, number>;
  /** What could not be checked, and why (no permission, deadline, missing capability). */
  notes: string[];
  /** Refreshes of history the rules had (including this one). */
  samples: number;
  /**
   * The evidence was cut short by its deadline (a busy machine): a problem missing from this
   * diagnosis may still be there. Consumers that show problems over time keep such ones a little.
   */
  partial?: boolean;
  /** Time spent gathering evidence (I/O on candidates) and running the rules. */
  evidenceMs: number;
  rulesMs: number;
  /** Of evidenceMs: the one pass over the snapshot that finds every rule's candidates (after the index, evidencePhasesMs.index). */
  scanMs?: number;
  /** Of evidenceMs, by part: the snapshot index and the rules' candidate lists (index, wants), then the evidence reads (threads, pids, in flight, paths, socket files…), ms. */
  evidencePhasesMs?: Record<string, number>;
  /** rulesMs by rule. */
  rulesMsByRule?: Partial<Record<RuleId, number>>;
}

/** `attached by nobody, creator gone — SysV shared memory shmid 68 key 0x…`: what is wrong first, then what it is about. */
export function headline(p: Pick<Problem, 'trouble' | 'subject'>): string {
  return p.subject ? `${p.trouble} — ${p.subject}` : p.trouble;
}

export function countBySeverity(problems: readonly { severity: Severity }[]): Record<Severity, number> {
  const c: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const p of problems) c[p.severity]++;
  return c;
}
