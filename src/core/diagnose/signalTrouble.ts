// Rule 9 — signal trouble, per process of the snapshot: a signal pending and blocked across
// refreshes (it is never delivered); a process that ignores SIGTERM (a plain kill will not stop
// it — said before any "stop" action); a process stopped by SIGSTOP/SIGTSTP or by its tracer, or
// running under a tracer (so it is not mistaken for hung); a zombie its parent never reaps.
// Everything that can be momentary (a stop, a zombie between exit and wait) must last across
// refreshes; process identity is pid@startTime so a recycled pid starts afresh.
import { isZombie } from '../processState';
import { CHANNEL_KINDS, type ProcessInfo } from '../model';
import { signalInfo, signalNumber } from '../signals';
import { handledElsewhere } from '../signalSets';
import type { EvidenceItem, Explanation, ProblemDraft, Severity } from './problem';
import { defineRule, iso, procKey, procLabel, revealProcess, signal, streak, streakStart, type RuleInput } from './rule';
import { TROUBLES, type TroubleOf } from './troubles';

const T = TROUBLES['signal-trouble'];

interface Memo {
  /** procKey → signals pending and blocked. */
  pending: ReadonlyMap<string, readonly string[]>;
  stopped: ReadonlySet<string>;
  traceStopped: ReadonlySet<string>;
  /** procKey → when it was first seen a zombie (carried over from refresh to refresh: older than the history). */
  zombies: ReadonlyMap<string, number>;
}

/**
 * A zombie is blamed on its parent once it lasted this many refreshes (this one included) and this
 * long: reaping is often lazy (an init that polls every couple of seconds, a parent busy for a
 * moment), and a zombie for a second or two is normal.
 */
export const ZOMBIE_SAMPLES = 3;
export const ZOMBIE_MIN_MS = 5000;

/** Signals pending and blocked, but not those the process reads itself (a signalfd: it will take them). */
function pendingBlocked(p: ProcessInfo): string[] {
  const s = p.signals;
  if (!s || s.blocked.length === 0) return [];
  const pend = new Set([...s.pending, ...s.shdPending]);
  return s.blocked.filter((x) => pend.has(x) && !handledElsewhere(s, x)).sort();
}

/** Signals whose default action is to do nothing: pending for ever is harmless. */
function harmless(sig: string): boolean {
  const n = signalNumber(sig);
  const a = n === undefined ? undefined : signalInfo(n)?.action;
  return a === 'ignore' || a === 'continue';
}

/** Which of `pids` hold at least one endpoint (ancestors kept only to connect the tree do not). */
function holdersAmong(input: RuleInput<Memo>, pids: readonly number[]): Set<number> {
  const want = new Set(pids);
  const found = new Set<number>();
  // kind by kind (one object shape per loop), stopping once every candidate was seen
  for (const kind of CHANNEL_KINDS) {
    for (const c of input.index.ofKind(kind)) {
      const eps = c.endpoints;
      for (let i = 0; i < eps.length; i++) if (want.has(eps[i].pid)) found.add(eps[i].pid);
      if (found.size === want.size) return found;
    }
  }
  return found;
}

const TEACH = {
  pending: {
    what: 'A signal was sent to this process, but the process blocks it (its signal mask), so the kernel keeps it pending instead of delivering it.',
    why: 'The program blocks the signal on purpose (to read it later with sigwait/signalfd) and is not reading it, or it blocked it around a critical section and never unblocked it (a mask inherited across fork/exec stays blocked).',
    next: 'The kernel delivers it the moment the process unblocks it; until then a standard signal sent again merges with the pending one (it is not queued twice).',
    fix: 'Check where the program unblocks or consumes the signal (sigprocmask, pthread_sigmask, signalfd); a mask inherited from the parent is a common cause.',
  },
  pendingNoop: {
    what: 'A signal was sent to this process and it blocks it, so the kernel keeps it pending. Its default action is to do nothing (SIGCHLD, SIGURG, SIGWINCH), or only to resume a stopped process (SIGCONT: the kernel does that when the signal is sent, whatever the mask).',
    why: 'Programs block such signals while they wait for the event another way (a shell blocks SIGCHLD around waitpid), or never unblock them because they do not use them.',
    next: 'Nothing happens until the process unblocks it: then its handler runs if it installed one (see caught), else nothing. A second one sent meanwhile merges with this one.',
    fix: 'Usually nothing. If the process catches the signal (a handler), check that it unblocks it at some point: a SIGCHLD handler that never runs leaves zombies.',
  },
  ignoresTerm: {
    what: 'This process ignores SIGTERM (SIG_IGN): a polite "please stop" has no effect on it.',
    why: 'Shells and some daemons ignore SIGTERM deliberately; a program started from a parent that ignored it inherits the disposition across exec.',
    next: 'kill PID (SIGTERM) does nothing; only SIGKILL (which cannot be ignored, and skips cleanup) or a signal it handles will stop it.',
    fix: 'Use the program\'s own shutdown command or signal (e.g. SIGINT, SIGQUIT), or SIGKILL as a last resort; if the ignore was inherited, fix the parent.',
  },
  stopped: {
    what: 'The process is stopped (SIGSTOP, or SIGTSTP/SIGTTIN/SIGTTOU from a terminal): it does not run at all until it gets SIGCONT.',
    why: 'Someone pressed Ctrl-Z, a debugger or a job-control shell stopped it, or a tool sent SIGSTOP.',
    next: 'Its channels fill up and its peers block or time out, so it looks hung; a SIGCONT resumes it where it was.',
    fix: 'Send SIGCONT (or `fg` in its shell).',
  },
  traceStopped: {
    what: 'The process is stopped by its tracer (a debugger at a breakpoint, or strace between system calls).',
    why: 'A tracer (gdb, strace, a profiler) attached to it with ptrace and holds it.',
    next: 'It does not run until the tracer lets it go; signals sent to it go to the tracer first, which may suppress them.',
    fix: 'Continue it in the debugger, or detach the tracer (quit gdb / stop strace).',
  },
  traced: {
    what: 'The process runs under a tracer (ptrace): a debugger, strace or a profiler.',
    why: 'Someone attached a tool to it.',
    next: 'Every signal and (with strace) every system call stops it briefly for the tracer, so it runs slower; if the tracer hangs, it hangs.',
    fix: 'Nothing if intended; otherwise detach the tracer.',
  },
  zombie: {
    what: 'A zombie: the process has exited, and only its exit status remains, waiting for its parent to collect it with wait().',
    why: 'The parent never calls wait()/waitpid() for this child: it is busy or stuck, or it handles SIGCHLD wrongly (blocked, or a handler that reaps one child per signal).',
    next: 'The zombie holds a pid (and a process-table slot) until the parent reaps it or exits; then init (or the nearest subreaper) adopts and reaps it.',
    fix: 'Fix the parent\'s SIGCHLD handling (reap in a loop with WNOHANG, or set SIGCHLD to SIG_IGN so the kernel reaps); ending the parent makes init reap it.',
  },
} satisfies Record<string, Explanation>;

export const signalTrouble = defineRule<Memo>({
  id: 'signal-trouble',
  title: 'Signal trouble',
  remember(input) {
    const pending = new Map<string, string[]>();
    const stopped = new Set<string>();
    const traceStopped = new Set<string>();
    const zombies = new Map<string, number>();
    const before = input.history.length ? input.history[input.history.length - 1].memo.zombies : null;
    for (const p of input.snapshot.processes) {
      const k = procKey(p);
      const pb = pendingBlocked(p);
      if (pb.length) pending.set(k, pb);
      if (p.state === 'T') stopped.add(k);
      else if (p.state === 't') traceStopped.add(k);
      else if (isZombie(p)) zombies.set(k, before?.get(k) ?? input.now);
    }
    return { pending, stopped, traceStopped, zombies };
  },
  run(input) {
    const { index, history, now } = input;
    const out: ProblemDraft[] = [];
    const ignoring = input.snapshot.processes.filter((p) => p.state !== 'Z' && p.signals.ignored.includes('SIGTERM')).map((p) => p.pid);
    const ipc = ignoring.length ? holdersAmong(input, ignoring) : new Set<number>();
    const base = (p: ProcessInfo, kind: string, trouble: TroubleOf<'signal-trouble'>, severity: Severity, title: string, explanation: Explanation, evidence: EvidenceItem[], since: number, actions = [revealProcess(index, p.pid)]): ProblemDraft => ({
      id: `signal-trouble:${kind}:${procKey(p)}`,
      rule: 'signal-trouble',
      severity,
      title,
      trouble,
      subject: procLabel(index, p.pid),
      explanation,
      evidence,
      channels: [],
      pids: [p.pid],
      actions,
      since: iso(since),
    });
    for (const p of input.snapshot.processes) {
      const k = procKey(p);
      const label = procLabel(index, p.pid);
      // 1. pending and blocked across refreshes
      const pb = pendingBlocked(p);
      if (pb.length) {
        const still = pb.filter((s) => streak(history, (m) => m.pending.get(k)?.includes(s) ?? false) >= 2);
        if (still.length) {
          const since = streakStart(history, now, (m) => still.some((s) => m.pending.get(k)?.includes(s)));
          // a signal whose default does nothing is no lost message: say so, not "never delivered"
          const noop = still.every(harmless);
          const title = noop
            ? `${label} has ${still.join(', ')} pending and blocked: ${still.length > 1 ? 'their' : 'its'} default action is to do nothing${still.includes('SIGCONT') ? ' (SIGCONT resumed the process when it was sent, blocked or not)' : ''}`
            : `${label} has ${still.join(', ')} pending but blocked: it is never delivered`;
          out.push(
            base(p, 'pending', noop ? T.pendingHarmless : T.pendingBlocked, noop ? 'info' : 'warning', title, noop ? TEACH.pendingNoop : TEACH.pending, [
              { label: 'pending', text: [...new Set([...p.signals.pending, ...p.signals.shdPending])].join(', '), source: `/proc/${p.pid}/status SigPnd/ShdPnd` },
              { label: 'blocked', text: p.signals.blocked.join(', '), source: `/proc/${p.pid}/status SigBlk` },
              ...(noop ? [{ label: 'caught', text: still.filter((x) => p.signals.caught.includes(x)).join(', ') || 'none of them (no handler)', source: `/proc/${p.pid}/status SigCgt` }] : []),
            ], since),
          );
        }
      }
      // 2. ignores SIGTERM (processes that hold IPC, not their ancestors)
      if (ipc.has(p.pid)) {
        out.push(
          base(p, 'ignores-term', T.ignoresTerm, 'info', `${label} ignores SIGTERM: a plain kill will not stop it`, TEACH.ignoresTerm, [
            { label: 'ignored', text: p.signals.ignored.join(', '), source: `/proc/${p.pid}/status SigIgn` },
            { label: 'caught', text: p.signals.caught.join(', ') || 'none', source: `/proc/${p.pid}/status SigCgt` },
          ], now, [revealProcess(index, p.pid), ...signal(index, p.pid, 'SIGKILL', 'cannot be ignored, but skips all cleanup (asks first)')]),
        );
      }
      // 3. stopped, trace-stopped, traced
      if (p.state === 'T' && streak(history, (m) => m.stopped.has(k)) >= 1) {
        const since = streakStart(history, now, (m) => m.stopped.has(k));
        out.push(
          base(p, 'stopped', T.stopped, 'warning', `${label} is stopped (SIGSTOP/SIGTSTP): it is not hung, it waits for SIGCONT`, TEACH.stopped, [
            { label: 'state', text: 'T (stopped)', source: `/proc/${p.pid}/stat` },
          ], since, [revealProcess(index, p.pid), ...signal(index, p.pid, 'SIGCONT', 'resumes it')]),
        );
      } else if (p.state === 't' && streak(history, (m) => m.traceStopped.has(k)) >= 1) {
        const since = streakStart(history, now, (m) => m.traceStopped.has(k));
        const tracer = p.tracerPid > 0 ? procLabel(index, p.tracerPid) : 'its tracer';
        out.push(
          base(p, 'trace-stopped', T.traceStopped, 'warning', `${label} is stopped by ${tracer} (a breakpoint or a tracing stop)`, TEACH.traceStopped, [
            { label: 'state', text: 't (tracing stop)', source: `/proc/${p.pid}/stat` },
            { label: 'tracer', text: p.tracerPid > 0 ? tracer : 'unknown', source: `/proc/${p.pid}/status TracerPid` },
          ], since, [revealProcess(index, p.pid), ...(p.tracerPid > 0 ? [revealProcess(index, p.tracerPid, `Reveal the tracer ${tracer}`)] : [])]),
        );
      } else if (p.tracerPid > 0 && p.state !== 'Z') {
        const tracer = procLabel(index, p.tracerPid);
        out.push(
          base(p, 'traced', T.traced, 'info', `${label} runs under a tracer, ${tracer}: it is slower, and signals reach the tracer first`, TEACH.traced, [
            { label: 'tracer', text: tracer, source: `/proc/${p.pid}/status TracerPid` },
          ], now, [revealProcess(index, p.pid), revealProcess(index, p.tracerPid, `Reveal the tracer ${tracer}`)]),
        );
      }
      // 4. zombie its parent does not reap
      const zsince = isZombie(p) && history.length ? (history[history.length - 1].memo.zombies.get(k) ?? now) : now;
      if (isZombie(p) && streak(history, (m) => m.zombies.has(k)) >= ZOMBIE_SAMPLES - 1 && now - zsince >= ZOMBIE_MIN_MS) {
        const since = zsince;
        const parent = index.proc(p.ppid);
        const pl = procLabel(index, p.ppid);
        const evidence: EvidenceItem[] = [
          { label: 'state', text: 'Z (zombie)', source: `/proc/${p.pid}/stat` },
          { label: 'parent', text: parent ? `${pl}, ${parent.state === 'T' ? 'stopped' : `state ${parent.state}`}` : pl, source: `/proc/${p.ppid}/stat` },
        ];
        if (parent) {
          const sig = parent.signals;
          const chld = sig.blocked.includes('SIGCHLD') ? 'blocked' : sig.caught.includes('SIGCHLD') ? 'caught (a handler)' : sig.ignored.includes('SIGCHLD') ? 'ignored' : 'default (no handler)';
          evidence.push({ label: "parent's SIGCHLD", text: chld, source: `/proc/${p.ppid}/status` });
        }
        out.push(
          base(p, 'zombie', T.zombie, 'warning', `${label} is a zombie: its parent ${pl} does not reap it`, TEACH.zombie, evidence, since, [
            revealProcess(index, p.ppid, `Reveal the parent ${pl}`),
            ...signal(index, p.ppid, 'SIGCHLD', 'reminds a parent with a SIGCHLD handler to reap'),
          ]),
        );
        out[out.length - 1].pids.push(p.ppid);
      }
    }
    return out;
  },
});
