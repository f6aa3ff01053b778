// The signal log folded for a view: a row per run of alike signals with a count, as a browser
// console counts a repeated message (×N) and syslog says "last message repeated N times" — and
// none hidden: a row says how many entries it stands for, their first and last time, how many
// senders. Pure: plain data in, plain data out.
//
// The rule, for a systems engineer reading "who signalled what": the rare signals (SIGTERM,
// SIGKILL, SIGSEGV, SIGHUP…) stay in their exact place; the routine traffic (ROUTINE_SIGNALS: a
// build's or a shell loop's SIGCHLD, interval timers, SIGWINCH, SIGIO) is counted, not listed.
// - Alike: the same signal, si_code, result, value, receiver (the process, or the thread it was
//   sent to) and sender process. For a routine signal the sender is not compared, only its kind:
//   a shell's SIGCHLD comes from each child in turn, a timer's or SIGIO's task is whatever ran.
// - A rare signal folds only into the row of the entry right before it (consecutive repeats, as
//   uniq -c): its order against every other entry is exact.
// - A routine signal folds into a newer alike row across other routine rows (floods interleave:
//   SIGCHLD to make and to its shells, a timer beside them), never across a rare one, so a rare
//   row stays between the bursts it came between. A row sits at its newest entry.
import { ROUTINE_SIGNALS } from './signalLog';
import type { SignalEvent } from './types';

/** One row of the folded log: `count` alike entries, from `oldest` to `newest`. */
export interface SignalRow {
  newest: SignalEvent;
  oldest: SignalEvent;
  count: number;
  /** Distinct sending processes (pid and start time); 0 when none was a process (kernel, timer). */
  senders: number;
  /** Whether entries of other rows came between (a routine row folded across them). */
  interleaved: boolean;
}

/** What makes two entries alike (see the header). */
export function signalFoldKey(e: SignalEvent): string {
  const routine = ROUTINE_SIGNALS.has(e.signal);
  const sender = e.sender && !routine ? `${e.senderKind}:${e.sender.pid}:${e.sender.startTime}` : e.senderKind;
  const receiver = `${e.receiver.pid}:${e.receiver.startTime}:${e.group ? '' : e.receiver.tid}`;
  return `${e.signal}|${e.code}|${e.result}|${e.value ?? ''}|${e.claimedPid ?? ''}|${receiver}|${sender}`;
}

interface Acc extends SignalRow {
  key: string;
  senderSet: Set<string> | undefined;
  /** Index in the walk of the entry last folded in (to tell an interleaved run). */
  lastIndex: number;
}

/**
 * Folds entries given newest first into rows, newest first; at most `maxRows` rows (the walk stops
 * at the entry that would start one more).
 */
export function foldSignals(newestFirst: Iterable<SignalEvent>, maxRows: number): SignalRow[] {
  const rows: Acc[] = [];
  /** Routine rows open to folding: those since the last rare row. */
  let open = new Map<string, Acc>();
  let prev: Acc | undefined;
  let i = 0;
  for (const e of newestFirst) {
    const key = signalFoldKey(e);
    const routine = ROUTINE_SIGNALS.has(e.signal);
    let row = routine ? open.get(key) : prev?.key === key ? prev : undefined;
    if (row) {
      if (row.lastIndex !== i - 1) row.interleaved = true;
      row.oldest = e;
      row.count++;
      if (e.sender) (row.senderSet ??= new Set()).add(`${e.sender.pid}:${e.sender.startTime}`);
      row.lastIndex = i++;
      prev = row;
      continue;
    }
    if (rows.length >= maxRows) break;
    row = { key, newest: e, oldest: e, count: 1, senders: 0, interleaved: false, senderSet: e.sender ? new Set([`${e.sender.pid}:${e.sender.startTime}`]) : undefined, lastIndex: i++ };
    rows.push(row);
    if (routine) open.set(key, row);
    else open = new Map();
    prev = row;
  }
  return rows.map(({ newest, oldest, count, senderSet, interleaved }) => ({ newest, oldest, count, senders: senderSet?.size ?? 0, interleaved }));
}
