// Rule 7 — semaphores nobody can post: a SysV set with processes waiting (semncnt/semzcnt) where
// no live process other than the waiters has touched it. The kernel says only the last pid per
// semaphore (sempid); if each of them is dead, or is itself asleep in semop() on this same set,
// nobody known can ever post it — the latter is a likely deadlock. Raised when it held at the
// previous refresh too. SysV does not say who the waiters are; a last pid found asleep in semop on
// the set is named as one.
import type { SysvSemChannel } from '../model';
import type { Evidence } from './evidence';
import type { EvidenceItem, ProblemDraft } from './problem';
import { chanLabel, defineRule, iso, listLabel, procLabel, remove, revealChannel, streakStart, type RuleContext } from './rule';
import { TROUBLES } from './troubles';

const T = TROUBLES['semaphore-no-poster'];
import type { SnapshotIndex } from './snapshotIndex';
import { plural } from '../text';

type Memo = ReadonlySet<string>;

function waiting(s: SysvSemChannel): number {
  let n = 0;
  for (const v of s.waitingForIncrease ?? []) n += v;
  for (const v of s.waitingForZero ?? []) n += v;
  return n;
}

function touchers(s: SysvSemChannel): number[] {
  return [...new Set((s.lastPid ?? []).filter((p) => p > 0))];
}

function candidates(ctx: RuleContext): SysvSemChannel[] {
  return ctx.index.ofKind('sysv-sem').filter((c) => c.lastPid !== null && waiting(c) > 0);
}

type Toucher = { pid: number; status: 'gone' | 'waiting' | 'alive' | 'unknown' };

function classify(index: SnapshotIndex, ev: Evidence, s: SysvSemChannel): Toucher[] {
  return touchers(s).map((pid) => {
    const l = ev.liveness.get(pid);
    const f = ev.processes.get(pid);
    const isAlive = index.proc(pid) !== undefined || l?.alive === true || (f !== undefined && f.error !== 'ESRCH');
    if (!isAlive) return { pid, status: l || f ? 'gone' : 'unknown' };
    if (!f || !f.complete) return { pid, status: f ? 'alive' : 'unknown' };
    // a waiter: every thread asleep in semop on this set
    const inSemop = f.threads.every((t) => t.syscall.op === 'semop' && t.syscall.target === s.semid && (t.state === 'S' || t.state === 'D'));
    return { pid, status: inSemop ? 'waiting' : 'alive' };
  });
}

function stuck(t: Toucher[]): boolean {
  return t.every((x) => x.status === 'gone' || x.status === 'waiting');
}

export const semaphores = defineRule<Memo>({
  id: 'semaphore-no-poster',
  title: 'Semaphore nobody can post',
  wants(ctx) {
    const pids = new Set<number>();
    for (const s of candidates(ctx)) for (const p of touchers(s)) pids.add(p);
    return pids.size ? { liveness: pids, threads: pids } : null;
  },
  remember(input) {
    return new Set(candidates(input).filter((s) => stuck(classify(input.index, input.evidence, s))).map((s) => s.id));
  },
  run(input) {
    const { index, evidence: ev, history, now } = input;
    const out: ProblemDraft[] = [];
    for (const s of candidates(input)) {
      const t = classify(index, ev, s);
      if (!stuck(t)) continue;
      if (history.length === 0 || !history[history.length - 1].memo.has(s.id)) continue;
      const since = streakStart(history, now, (m) => m.has(s.id));
      const waiters = t.filter((x) => x.status === 'waiting').map((x) => x.pid);
      const deadlock = waiters.length > 0;
      const n = waiting(s);
      const evidence: EvidenceItem[] = [
        { label: 'values', text: `[${(s.values ?? []).join(', ')}]`, source: 'semctl GETALL (snapshot)' },
        { label: 'waiting', text: `for increase [${(s.waitingForIncrease ?? []).join(', ')}], for zero [${(s.waitingForZero ?? []).join(', ')}]`, source: 'semctl GETNCNT/GETZCNT (snapshot)' },
        { label: 'last pids', text: `[${(s.lastPid ?? []).join(', ')}]`, source: 'semctl GETPID (snapshot)' },
        ...t.map((x) => ({
          label: 'last toucher',
          text: `${procLabel(index, x.pid, ev)}: ${x.status === 'gone' ? 'exited' : x.status === 'waiting' ? `itself asleep in semop() on semid ${s.semid}` : 'alive'}`,
          source: `/proc/${x.pid}`,
        })),
      ];
      if (t.length === 0) evidence.push({ label: 'last toucher', text: 'none: no process ever changed these semaphores (GETPID is 0)', source: 'semctl GETPID (snapshot)' });
      out.push({
        id: `semaphore-no-poster:${s.id}`,
        rule: 'semaphore-no-poster',
        severity: deadlock ? 'error' : 'warning',
        trouble: deadlock ? T.deadlock : T.noPoster,
        subject: chanLabel(s),
        title: deadlock
          ? `Likely deadlock on ${chanLabel(s)}: ${plural(n, 'process waits', 'processes wait')}, and the last to touch it (${listLabel(waiters.map((p) => procLabel(index, p, ev)))}) is waiting on it too`
          : `${chanLabel(s)}: ${plural(n, 'process waits', 'processes wait')}, and no process that ever touched it is alive to post it`,
        explanation: {
          what: 'A SysV semaphore is a counter; semop() with a negative value (or a wait for zero) sleeps until another process changes it. Here processes wait and no live process other than the waiters has touched the set.',
          why: deadlock
            ? 'The process that would post is itself waiting on the same set — two operations in the wrong order (wait before post), or a post that never happens because a holder died before it.'
            : 'The process that was meant to post (release) exited — often crashed while holding the semaphore without SEM_UNDO — or never started.',
          next: 'The kernel keeps the waiters asleep until some process changes the value, the set is removed (they wake with EIDRM), or they are signalled (EINTR).',
          fix: 'Start or fix the poster; use SEM_UNDO so a crashed holder gives its units back. Removing the set wakes every waiter with EIDRM.',
        },
        evidence,
        channels: [s.id],
        pids: t.map((x) => x.pid),
        actions: [revealChannel(s), ...remove(s)],
        since: iso(since),
      });
    }
    return out;
  },
});
