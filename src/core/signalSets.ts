// The named sets of a process's signal state, as data: caught, ignored, blocked, pending, and
// those process facets add (core/kinds: a signalfd's signals). The tree, the inspector panel, the
// signal policy and the diagnosis read this table, so a set added by a facet shows and counts
// everywhere. `handled`: a signal in the set is taken care of by the process (a handler runs, or
// it reads the signal itself) — blocked then is on purpose, not stuck. Pure: the webview bundles it.
import type { ProcessInfo, SignalState } from './model';
import { PROCESS_FACETS } from './kinds';
import { signalName, signalNumber } from './signals';

export interface SignalSet {
  /** The SignalState field (`pending` also takes `shdPending`). */
  key: string;
  title: string;
  help: string;
  handled: boolean;
}

const BEFORE: SignalSet[] = [
  { key: 'caught', title: 'Caught', help: 'a handler runs (SigCgt)', handled: true },
  { key: 'ignored', title: 'Ignored', help: 'discarded on arrival (SigIgn)', handled: false },
  { key: 'blocked', title: 'Blocked', help: 'held back: stays pending until the process unblocks it (SigBlk)', handled: false },
];
const AFTER: SignalSet[] = [{ key: 'pending', title: 'Pending', help: 'sent, not yet delivered (SigPnd, ShdPnd)', handled: false }];

/** Every set, in the order the views list them. */
export const SIGNAL_SETS: readonly SignalSet[] = [...BEFORE, ...PROCESS_FACETS.flatMap((f) => (f.signalSet ? [f.signalSet] : [])), ...AFTER];

/** The signals of one set (names like `SIGTERM`). */
export function signalsIn(s: SignalState, set: SignalSet): string[] {
  if (set.key === 'pending') return [...new Set([...s.pending, ...s.shdPending])];
  const v = (s as unknown as Record<string, unknown>)[set.key];
  return Array.isArray(v) ? (v as string[]) : [];
}

/** Each set with its signals, in view order. */
export function signalSetsOf(s: SignalState): Array<[SignalSet, string[]]> {
  return SIGNAL_SETS.map((set) => [set, signalsIn(s, set)]);
}

/** The handled set other than `caught` that holds this signal (a signalfd), or undefined. */
export function handledElsewhere(s: SignalState | undefined, name: string): SignalSet | undefined {
  if (!s) return undefined;
  return SIGNAL_SETS.find((set) => set.handled && set.key !== 'caught' && signalsIn(s, set).includes(name));
}

/** How a process is the init of a pid namespace: of the snapshot's own (`own`), of one nested in it (`nested`: a container's PID 1 seen from the host), or not (null). */
export function namespaceInit(p: Pick<ProcessInfo, 'pid' | 'nsPid'>): 'own' | 'nested' | null {
  const ns = p.nsPid ?? [];
  if (ns.length > 1) return ns[ns.length - 1] === 1 ? 'nested' : null;
  return p.pid === 1 ? 'own' : null;
}

/**
 * Does the kernel drop this signal on arrival because the target is a pid namespace's init that
 * does not handle it? Such an init is SIGNAL_UNKILLABLE: a signal it neither catches nor blocks
 * (blocked ones are queued, and an init that blocks them usually takes them with sigwaitinfo or a
 * signalfd — tini and dumb-init do) and whose action is the default is discarded: every signal
 * when sent from inside its namespace (`kill -9 1` does nothing), all but SIGKILL and SIGSTOP when
 * sent from an ancestor namespace (the host stopping a container: `docker kill` sends SIGKILL for
 * that reason). SIG_IGN is the caller's separate "ignored" case.
 */
export function droppedByInit(p: Pick<ProcessInfo, 'pid' | 'nsPid' | 'signals'>, sig: number): boolean {
  const init = namespaceInit(p);
  if (init === null) return false;
  if (init === 'nested' && (sig === 9 || sig === 19)) return false;
  const s = p.signals;
  const inSet = (list: readonly string[] | undefined) => !!list && list.some((n) => signalNumber(n) === sig);
  return !inSet(s?.caught) && !inSet(s?.ignored) && !inSet(s?.blocked) && !handledElsewhere(s, signalName(sig));
}
