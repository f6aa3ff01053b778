// The signal log: the tracer's raw signal records decoded (who sent it — a process, the kernel or
// a timer —, si_code names, the result) and kept in a bounded ring that outlives the receiver, so
// "who sent SIGKILL to my server?" still has an answer after the server is gone. Pure: no I/O.
import { namesObjects, portQuery } from '../filter';
import type { Channel } from '../model';
import { signalName } from '../signals';
import { shownComm } from '../text';
import type { SignalEvent, SignalParty, SignalResult, SignalVia } from './types';
import type { TracerSignalRecord } from './tracer';

const SI: Record<number, [string, SignalVia]> = {
  0: ['SI_USER', 'kill'],
  0x80: ['SI_KERNEL', 'kernel'],
  [-1]: ['SI_QUEUE', 'sigqueue'],
  [-2]: ['SI_TIMER', 'timer'],
  [-3]: ['SI_MESGQ', 'mq-notify'],
  [-4]: ['SI_ASYNCIO', 'aio'],
  [-5]: ['SI_SIGIO', 'sigio'],
  [-6]: ['SI_TKILL', 'tkill'],
  [-7]: ['SI_DETHREAD', 'exec'],
  [-60]: ['SI_ASYNCNL', 'other'],
};

// Positive si_codes are per signal (include/uapi/asm-generic/siginfo.h).
const PER_SIGNAL: Record<number, { via: SignalVia; names: string[] }> = {
  4: { via: 'fault', names: ['ILL_ILLOPC', 'ILL_ILLOPN', 'ILL_ILLADR', 'ILL_ILLTRP', 'ILL_PRVOPC', 'ILL_PRVREG', 'ILL_COPROC', 'ILL_BADSTK', 'ILL_BADIADDR'] },
  8: { via: 'fault', names: ['FPE_INTDIV', 'FPE_INTOVF', 'FPE_FLTDIV', 'FPE_FLTOVF', 'FPE_FLTUND', 'FPE_FLTRES', 'FPE_FLTINV', 'FPE_FLTSUB', 'FPE_FLTUNK', 'FPE_CONDTRAP'] },
  11: { via: 'fault', names: ['SEGV_MAPERR', 'SEGV_ACCERR', 'SEGV_BNDERR', 'SEGV_PKUERR', 'SEGV_ACCADI', 'SEGV_ADIDERR', 'SEGV_ADIPERR', 'SEGV_MTEAERR', 'SEGV_MTESERR', 'SEGV_CPERR'] },
  7: { via: 'fault', names: ['BUS_ADRALN', 'BUS_ADRERR', 'BUS_OBJERR', 'BUS_MCEERR_AR', 'BUS_MCEERR_AO'] },
  5: { via: 'fault', names: ['TRAP_BRKPT', 'TRAP_TRACE', 'TRAP_BRANCH', 'TRAP_HWBKPT', 'TRAP_UNK', 'TRAP_PERF'] },
  17: { via: 'child', names: ['CLD_EXITED', 'CLD_KILLED', 'CLD_DUMPED', 'CLD_TRAPPED', 'CLD_STOPPED', 'CLD_CONTINUED'] },
  29: { via: 'sigio', names: ['POLL_IN', 'POLL_OUT', 'POLL_MSG', 'POLL_ERR', 'POLL_PRI', 'POLL_HUP'] },
  31: { via: 'seccomp', names: ['SYS_SECCOMP', 'SYS_USER_DISPATCH'] },
};

/** si_code's name and what it says about how the signal came to be. */
export function decodeSiCode(signal: number, code: number): { codeName: string; via: SignalVia } {
  const si = SI[code];
  if (si) return { codeName: si[0], via: si[1] };
  const per = PER_SIGNAL[signal];
  if (code > 0 && per && code <= per.names.length) return { codeName: per.names[code - 1], via: per.via };
  // SIGIO's POLL_* codes are also used when F_SETSIG picks another signal
  if (code > 0 && code <= 6 && signal >= 32) return { codeName: PER_SIGNAL[29].names[code - 1], via: 'sigio' };
  return { codeName: String(code), via: 'other' };
}

const RESULTS: SignalResult[] = ['delivered', 'ignored', 'already-pending', 'queue-overflow', 'lost-info'];

/** TRACE_SIGNAL_* (include/trace/events/signal.h). */
export function decodeResult(r: number): SignalResult {
  return RESULTS[r] ?? 'unknown';
}

/** What a result means for the receiver (one line, for tooltips and the CLI's help). */
export const RESULT_TEXT: Record<SignalResult, string> = {
  delivered: 'queued for the receiver (it runs its handler, or the default action, when it next runs)',
  ignored: 'dropped: the receiver ignores it (SIG_IGN, or a default action of "ignore")',
  'already-pending': 'merged: the same standard signal was already pending, so this one is lost',
  'queue-overflow': 'lost: the real-time signal queue of the receiver is full (RLIMIT_SIGPENDING)',
  'lost-info': 'delivered without its siginfo (the queue was full): the receiver sees no sender',
  unknown: 'result not known',
};

/**
 * Who sent it. The tracer records the task that was running when the signal was generated: the
 * sender for kill/sigqueue/tgkill and for what a process causes itself (faults, SIGPIPE, a
 * child's exit), but any task for what the kernel generates from interrupts — timers (SI_TIMER),
 * alarm/itimer, the OOM killer, tty hangups (SI_KERNEL), and SIGIO's POLL_* codes.
 */
function senderKind(via: SignalVia, senderPid: number): SignalEvent['senderKind'] {
  if (via === 'timer') return 'timer';
  if (via === 'kernel' || via === 'sigio' || senderPid === 0) return 'kernel';
  return 'process';
}

export function decodeSignal(r: TracerSignalRecord, seq: number): SignalEvent {
  const { codeName, via } = decodeSiCode(r.signal, r.code);
  const kind = senderKind(via, r.senderPid);
  // a name that is not UTF-8 keeps its bytes (commBytes, as a snapshot's process): shown by them (shownComm)
  const party = { pid: r.senderPid, tid: r.senderTid, comm: r.senderComm, ...(r.senderCommBytes !== undefined ? { commBytes: r.senderCommBytes } : {}), startTime: r.senderStart };
  const e: SignalEvent = {
    seq,
    timeMs: r.timeMs,
    signal: r.signal,
    signalName: signalName(r.signal),
    senderKind: kind,
    sender: kind === 'process' ? { ...party, uid: r.senderUid } : null,
    receiver: { pid: r.targetPid, tid: r.targetTid, comm: r.targetComm, ...(r.targetCommBytes !== undefined ? { commBytes: r.targetCommBytes } : {}), startTime: r.targetStart },
    code: r.code,
    codeName,
    via,
    group: r.group,
    result: decodeResult(r.result),
  };
  if (kind !== 'process') e.context = party;
  if (via === 'sigqueue' || via === 'timer' || via === 'mq-notify') e.value = r.siValue;
  // kill/sigqueue fill si_pid with the sender as the receiver's pid namespace sees it
  if ((via === 'kill' || via === 'sigqueue' || via === 'tkill') && (r.flags & 1) === 0 && r.siPid !== r.senderPid) e.claimedPid = r.siPid;
  return e;
}

/** Which signals a view or command wants: by pid (sent or received), by signal. */
export interface SignalFilter {
  /** Events where one of these pids is the sender or the receiver. */
  pids?: ReadonlySet<number> | readonly number[];
  signals?: readonly number[];
}

export function matchesSignal(e: SignalEvent, f: SignalFilter): boolean {
  if (f.pids) {
    const has = (p: number) => (Array.isArray(f.pids) ? (f.pids as readonly number[]).includes(p) : (f.pids as ReadonlySet<number>).has(p));
    if (!has(e.receiver.pid) && !(e.sender && has(e.sender.pid))) return false;
  }
  if (f.signals && f.signals.length > 0 && !f.signals.includes(e.signal)) return false;
  return true;
}

export const SIGNAL_LOG_SIZE = 10_000;

/** Sequence numbers are unique in the process (entries move between logs, e.g. a monitor's and the extension's). */
let lastSeq = 0;

/**
 * Signals that come by the thousand in normal work: a child's exit (a build, a shell loop), an
 * interval timer, a terminal resize, urgent or ready I/O. Kept in a ring of their own, so that a
 * flood of them does not push the rare ones (SIGTERM, SIGKILL, SIGSEGV…) out of the log.
 */
export const ROUTINE_SIGNALS: ReadonlySet<number> = new Set([14 /* ALRM */, 17 /* CHLD */, 23 /* URG */, 26 /* VTALRM */, 27 /* PROF */, 28 /* WINCH */, 29 /* IO */]);

/** Oldest first, at most `capacity`; the oldest make room. */
class Ring {
  readonly items: SignalEvent[] = [];
  private start = 0;
  constructor(readonly capacity: number) {}
  /** Appends; true when the oldest entry was pushed out for it. */
  push(e: SignalEvent): boolean {
    if (this.items.length < this.capacity) {
      this.items.push(e);
      return false;
    }
    this.items[this.start] = e;
    this.start = (this.start + 1) % this.capacity;
    return true;
  }
  /** The entry pushed last (undefined when empty). */
  newest(): SignalEvent | undefined {
    const n = this.items.length;
    return n === 0 ? undefined : this.items[(this.start + n - 1) % n];
  }
  all(): SignalEvent[] {
    return this.start === 0 ? [...this.items] : [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
  clear(): void {
    this.items.length = 0;
    this.start = 0;
  }
}

/**
 * The newest `capacity` signals, oldest first, and beside them the newest `routineCapacity` of the
 * routine ones (ROUTINE_SIGNALS). Entries stay after their processes exit; the oldest ones make
 * room (counted in `evicted`, so a view can say the log was cut).
 */
export class SignalLog {
  private readonly rare: Ring;
  private readonly routine: Ring;
  /** Routine signals kept at most (a quarter of `capacity`). */
  readonly routineCapacity: number;
  /** Entries pushed out by newer ones since the log was made. */
  evicted = 0;
  private readonly listeners = new Set<(added: readonly SignalEvent[]) => void>();

  constructor(readonly capacity: number = SIGNAL_LOG_SIZE) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`signal log capacity ${capacity}`);
    this.routineCapacity = Math.max(1, Math.floor(capacity / 4));
    this.rare = new Ring(capacity);
    this.routine = new Ring(this.routineCapacity);
  }

  get size(): number {
    return this.rare.items.length + this.routine.items.length;
  }

  /** Decodes and appends raw records; returns the new entries. */
  addRecords(records: readonly TracerSignalRecord[]): SignalEvent[] {
    const added = records.map((r) => decodeSignal(r, ++lastSeq));
    this.push(added);
    return added;
  }

  /**
   * `skipped` records older than `records` that would have been pushed out at once (a storm
   * larger than the log): counted as evicted and given sequence numbers, never decoded.
   */
  skip(skipped: number): void {
    if (skipped <= 0) return;
    lastSeq += skipped;
    this.evicted += skipped;
  }

  push(events: readonly SignalEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) if ((ROUTINE_SIGNALS.has(e.signal) ? this.routine : this.rare).push(e)) this.evicted++;
    for (const l of this.listeners) l(events);
  }

  /**
   * The sequence number of the newest entry held (0 when empty): a view's "Clear" mark — it hides
   * the entries with this number or lower, and shows every entry that enters the log after.
   */
  get newestSeq(): number {
    return Math.max(this.rare.newest()?.seq ?? 0, this.routine.newest()?.seq ?? 0);
  }

  /** Oldest first (both rings, by sequence number). */
  all(): SignalEvent[] {
    const a = this.rare.all();
    const b = this.routine.all();
    if (b.length === 0) return a;
    if (a.length === 0) return b;
    const out: SignalEvent[] = new Array(a.length + b.length);
    let i = 0;
    let j = 0;
    for (let k = 0; k < out.length; k++) out[k] = j >= b.length || (i < a.length && a[i].seq < b[j].seq) ? a[i++] : b[j++];
    return out;
  }

  filter(f: SignalFilter): SignalEvent[] {
    return this.all().filter((e) => matchesSignal(e, f));
  }

  /** Signals a process received or sent (matched by pid and, when given, its start time — a reused pid is another process). */
  forProcess(pid: number, startTime?: number): { received: SignalEvent[]; sent: SignalEvent[] } {
    const received: SignalEvent[] = [];
    const sent: SignalEvent[] = [];
    for (const e of this.all()) {
      if (e.receiver.pid === pid && (startTime === undefined || e.receiver.startTime === startTime)) received.push(e);
      if (e.sender && e.sender.pid === pid && (startTime === undefined || e.sender.startTime === startTime)) sent.push(e);
    }
    return { received, sent };
  }

  onDidAdd(listener: (added: readonly SignalEvent[]) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  clear(): void {
    this.rare.clear();
    this.routine.clear();
  }
}

/**
 * Does the query name objects — what core/filter.ts namesObjects says (a SysV key `0x…`, a channel
 * id `pipe:4901`, a socket address `127.0.0.1:6379`) or a port (`:8080`, a port only in the trees)?
 * Then a signal matches through the processes holding the matching objects, never by a name.
 */
export function signalQueryNamesObjects(query: string): boolean {
  return namesObjects(query) || portQuery(query.trim()) !== null;
}

/**
 * The views' text filter applied to a signal: a number matches a pid exactly (sender or receiver);
 * a query that names objects (signalQueryNamesObjects) matches a signal whose sender or receiver
 * holds a matching object (`holds`, as the trees' filter finds them; none given: nothing matches) —
 * never a process merely named like it, since any user names its process `0x49453175` or
 * `*:22`; other text matches, case-insensitively, a process name, the signal's name (with or
 * without `SIG`), its si_code's name, how it was sent or its result.
 */
export function signalMatchesText(e: SignalEvent, query: string, holds?: (party: SignalParty) => boolean): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  if (/^\d+$/.test(q)) return String(e.receiver.pid) === q || (e.sender !== null && String(e.sender.pid) === q) || String(e.signal) === q;
  if (signalQueryNamesObjects(query)) return holds !== undefined && (holds(e.receiver) || (e.sender !== null && holds(e.sender)));
  const hay = [shownComm(e.receiver), e.sender ? shownComm(e.sender) : '', e.senderKind, e.signalName, e.signalName.replace(/^SIG/, ''), e.codeName, e.via, e.result].map((s) => s.toLowerCase());
  return hay.some((s) => s.includes(q));
}

/**
 * Adds to `into` the `pid:startTime` of each process holding a channel the views list (`shown`: the
 * trees' filter result, whose `pids` passed the process filters): for a query that names objects,
 * the processes whose signals match it (signalMatchesText's `holds`).
 */
export function addObjectHolders(into: Set<string>, shown: { readonly channels: readonly Channel[]; readonly pids: ReadonlySet<number> }, procs: ReadonlyMap<number, { pid: number; startTime: number }>): void {
  for (const ch of shown.channels) {
    // a process's endpoints come together: once, not once per fd (a pipe end dup'd 200,000 times)
    let last = -1;
    for (const ep of ch.endpoints) {
      if (ep.pid === last) continue;
      last = ep.pid;
      const p = shown.pids.has(ep.pid) ? procs.get(ep.pid) : undefined;
      if (p) into.add(processKey(p.pid, p.startTime));
    }
  }
}

/** `pid:startTime` of a party: one process, even after its pid is reused. */
export function processKey(pid: number, startTime: number): string {
  return `${pid}:${startTime}`;
}
