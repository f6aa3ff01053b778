// The shape of a rule, and the helpers every rule uses to phrase its problems: labels through
// format.ts (process-controlled text escaped), actions as data, durations, and history lookups.
// A rule is a pure function over (snapshot, evidence, its own memo of earlier snapshots).
import { isZombie } from '../processState';
import { isRemovable } from '../actions/remove';
import { channelName, processLabel } from '../format';
import { describe } from '../kinds';
import type { Channel, Snapshot } from '../model';
import type { Evidence, EvidenceRequest } from './evidence';
import type { ChainNode, ProblemAction, ProblemDraft, RuleId } from './problem';
import type { SnapshotIndex } from './snapshotIndex';
import type { WaitGraph } from './blocking';
import { describeSyscall } from './syscalls';

/** What a rule remembered of one earlier snapshot. */
export interface HistoryEntry<M> {
  /** Date.parse(snapshot.takenAt). */
  at: number;
  memo: M;
}

export interface RuleContext {
  snapshot: Snapshot;
  index: SnapshotIndex;
  /** Date.parse(snapshot.takenAt). */
  now: number;
}

export interface RuleInput<M> extends RuleContext {
  evidence: Evidence;
  /** Earlier refreshes, oldest first (this one not included). */
  history: readonly HistoryEntry<M>[];
  /** The wait graph (computed once, shared by the rules that need it). */
  waits(): WaitGraph;
}

export interface Rule<M = unknown> {
  id: RuleId;
  /** Short name of the rule. */
  title: string;
  /** Evidence to gather before run() (candidates only). */
  wants?(ctx: RuleContext, history: readonly HistoryEntry<M>[]): EvidenceRequest | null;
  run(input: RuleInput<M>): ProblemDraft[];
  /** What to remember of this snapshot for the next runs (kept for a few refreshes). */
  remember?(input: RuleInput<M>): M;
}

/** Helps type a rule's memo while keeping the RULES list homogeneous. */
export function defineRule<M>(r: Rule<M>): Rule<unknown> {
  return r as unknown as Rule<unknown>;
}

// ---------------------------------------------------------------- history

/** How many of the latest entries (counting back from the newest) satisfy `pred`, without a break. */
export function streak<M>(history: readonly HistoryEntry<M>[], pred: (m: M) => boolean): number {
  let n = 0;
  for (let i = history.length - 1; i >= 0 && pred(history[i].memo); i--) n++;
  return n;
}

/** The time of the oldest entry of the latest unbroken streak, or `now` when there is none. */
export function streakStart<M>(history: readonly HistoryEntry<M>[], now: number, pred: (m: M) => boolean): number {
  let t = now;
  for (let i = history.length - 1; i >= 0 && pred(history[i].memo); i--) t = history[i].at;
  return t;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `3 s`, `2 min 5 s`, `1 h 4 min`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

// ---------------------------------------------------------------- labels

/** `nginx[812]` (escaped), `[812]` when unknown. */
export function procLabel(index: SnapshotIndex, pid: number, ev?: Evidence): string {
  const p = index.proc(pid);
  if (p) return processLabel(pid, p);
  // by the name's bytes when they are not UTF-8 (commBytes: `bad\xff[812]`), as for a process of the snapshot
  const facts = ev?.processes.get(pid) ?? ev?.liveness.get(pid);
  return facts?.comm !== undefined ? processLabel(pid, { comm: facts.comm, commBytes: facts.commBytes }) : `[${pid}]`;
}

/** `pipe:[4901]`, `FIFO /tmp/x`, `Unix socket /run/a.sock`, `SysV message queue msqid 3 key 0x…`. */
export function chanLabel(ch: Channel): string {
  const d = describe(ch);
  return d.nameSaysKind ? channelName(ch) : `${d.title} ${channelName(ch)}`;
}

export function procNode(index: SnapshotIndex, pid: number, ev?: Evidence): ChainNode {
  return { type: 'process', pid, label: procLabel(index, pid, ev) };
}

export function chanNode(ch: Channel): ChainNode {
  return { type: 'channel', id: ch.id, label: chanLabel(ch) };
}

export function listLabel(items: readonly string[], max = 4): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

// ---------------------------------------------------------------- actions

export function revealChannel(ch: Channel, label = `Reveal ${chanLabel(ch)}`): ProblemAction {
  return { kind: 'reveal', label, channel: ch.id };
}

export function revealProcess(index: SnapshotIndex, pid: number, label?: string): ProblemAction {
  return { kind: 'reveal', label: label ?? `Reveal ${procLabel(index, pid)}`, pid };
}

export function peek(ch: Channel): ProblemAction[] {
  return describe(ch).peek !== null ? [{ kind: 'peek', label: `Peek at ${chanLabel(ch)} (does not consume)`, channel: ch.id }] : [];
}

/** A signal action bound to the process's start time (from the snapshot or the evidence); none when unknown. */
export function signal(index: SnapshotIndex, pid: number, sig: string, why: string, ev?: Evidence): ProblemAction[] {
  const startTime = index.proc(pid)?.startTime ?? ev?.processes.get(pid)?.startTime ?? ev?.liveness.get(pid)?.startTime;
  if (startTime === undefined || startTime === null) return [];
  return [{ kind: 'signal', label: `Send ${sig} to ${procLabel(index, pid, ev)} — ${why}`, pid, startTime, signal: sig, why }];
}

export function remove(ch: Channel): ProblemAction[] {
  return isRemovable(ch) ? [{ kind: 'remove', label: `Remove ${chanLabel(ch)} (asks first)`, channel: ch.id }] : [];
}

/** `pid@startTime`: a process identity that a recycled pid does not share. */
export function procKey(p: { pid: number; startTime: number }): string {
  return `${p.pid}@${p.startTime}`;
}

// ---------------------------------------------------------------- what a process is doing

const STATE_WORDS: Record<string, string> = {
  R: 'running',
  S: 'sleeping',
  D: 'in uninterruptible sleep (D)',
  T: 'stopped (SIGSTOP/SIGTSTP)',
  t: 'stopped by its tracer',
  Z: 'a zombie (exited)',
  X: 'dead',
  I: 'idle',
};

export function stateWord(state: string): string {
  return STATE_WORDS[state] ?? `in state ${state}`;
}

/** One phrase from the evidence: `stopped (SIGSTOP/SIGTSTP)`, `running`, `sleeping in epoll_wait()`, … */
export function activity(ev: Evidence, index: SnapshotIndex, pid: number): string {
  const f = ev.processes.get(pid);
  const state = f?.state ?? index.proc(pid)?.state;
  if (!f || f.threads.length === 0) return state ? stateWord(state) : 'state unknown';
  // state Z with other threads running is no zombie (isZombie): its main thread exited, the others are the process
  const goneLeader = state === 'Z' && !isZombie({ state, threads: Math.max(index.proc(pid)?.threads ?? 1, f.threadCount ?? 1) });
  if (state === 'T' || state === 't' || (state === 'Z' && !goneLeader)) return stateWord(state);
  // what was read may be fewer threads than the process has (maxThreads, the deadline): say both
  const total = Math.max(f.threadCount ?? 0, f.threads.length);
  const threads = `${total} threads${f.threads.length < total ? `, ${f.threads.length} read` : ''}`;
  const running = f.threads.filter((t) => t.state === 'R').length;
  if (running > 0) return total === 1 ? 'running' : `running (${running} of ${threads})`;
  const t = (goneLeader && f.threads.find((x) => x.state !== 'Z')) || f.threads[0];
  const where = t.syscall.kind === 'syscall' ? `in ${describeSyscall(t.syscall)}` : t.syscall.kind === 'user' ? 'in user space' : '';
  const w = t.wchan ? ` [${t.wchan}]` : '';
  return `sleeping ${where}${w}`.trim() + (total > 1 ? ` (${goneLeader ? 'main thread exited' : 'main thread'}; ${threads})` : '');
}

/** Any thread of the process is on a CPU or runnable. */
export function isRunning(ev: Evidence, pid: number): boolean {
  const f = ev.processes.get(pid);
  return !!f && f.threads.some((t) => t.state === 'R');
}
