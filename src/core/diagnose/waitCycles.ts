// Rule 8 — wait cycles: processes that wait on each other in a ring, so none can ever move. A is
// asleep writing a full pipe that only B reads, while B is asleep writing a full pipe (or reading
// an empty one) that only A would serve — through pipes, FIFOs, Unix and loopback TCP sockets,
// SysV message queues and semaphores (for SysV objects the other side is presumed from the last
// pids, so such a cycle is called likely). A process counts only when every one of its threads
// is asleep on such a wait. Raised when the same processes were stuck at the previous refresh.
import { nextToRead, type BlockedThread } from './blocking';
import { emptyEvidence } from './evidence';
import type { ChainNode, EvidenceItem, ProblemDraft } from './problem';
import { fullChannels } from './blockedWriter';
import { chanLabel, chanNode, defineRule, iso, listLabel, peek, procKey, procLabel, procNode, revealChannel, signal, streakStart } from './rule';
import { TROUBLES } from './troubles';

const T = TROUBLES['wait-cycle'];
import { describeSyscall } from './syscalls';
import type { SnapshotIndex } from './snapshotIndex';
import { plural } from '../text';

/** `pid@startTime` of the processes stuck at that refresh. */
type Memo = ReadonlySet<string>;

export const waitCycles = defineRule<Memo>({
  id: 'wait-cycle',
  title: 'Wait cycle',
  wants(ctx) {
    const { pids } = fullChannels(ctx);
    if (pids.size === 0) return null;
    return { threads: pids, follow: (round) => nextToRead(ctx.index, emptyEvidence(), round) };
  },
  remember(input) {
    const g = input.waits();
    const out = new Set<string>();
    for (const pid of g.stuck) {
      const st = input.evidence.processes.get(pid)?.startTime;
      if (st !== null && st !== undefined) out.add(procKey({ pid, startTime: st }));
    }
    return out;
  },
  run(input) {
    const { index, evidence: ev, history, now } = input;
    const g = input.waits();
    const out: ProblemDraft[] = [];
    const key = (pid: number) => {
      const st = ev.processes.get(pid)?.startTime;
      return st === null || st === undefined ? `${pid}@?` : procKey({ pid, startTime: st });
    };
    for (const cycle of g.cycles) {
      const members = cycle.map((b) => b.pid);
      // one process asleep on a semaphore only it touched: the semaphore rule's "nobody can post",
      // said there with what fits it (a ring and its SIGTERM to "one side" would say it twice, wrongly)
      if (cycle.length === 1 && cycle[0].op === 'semop') continue;
      if (history.length === 0 || !members.every((p) => history[history.length - 1].memo.has(key(p)))) continue;
      const since = streakStart(history, now, (m) => members.every((p) => m.has(key(p))));
      const presumed = cycle.some((b) => b.presumed);
      const chain: ChainNode[] = [];
      const evidence: EvidenceItem[] = [];
      cycle.forEach((b: BlockedThread, i: number) => {
        const nextPid = cycle[(i + 1) % cycle.length].pid;
        chain.push(procNode(index, b.pid, ev), chanNode(b.channel));
        evidence.push({
          label: 'waits',
          text: `${procLabel(index, b.pid, ev)} thread ${b.tid} sleeps in ${describeSyscall(b.thread.syscall)}${b.thread.wchan ? ` [wchan ${b.thread.wchan}]` : ''} on ${chanLabel(b.channel)} (${what(b)}), which only ${procLabel(index, nextPid, ev)}${b.unblockers.length > 1 ? ` and ${plural(b.unblockers.length - 1, 'other stuck process', 'other stuck processes')}` : ''} can ${b.op === 'write' || b.op === 'msgsnd' ? 'drain' : 'fill'}${b.presumed ? ' (presumed from the last pids SysV keeps)' : ''}`,
          source: `/proc/${b.pid}/task/${b.tid}/syscall`,
        });
      });
      chain.push(procNode(index, cycle[0].pid, ev));
      const behind = [...g.stuck].filter((p) => !members.includes(p));
      if (behind.length) evidence.push({ label: 'also stuck', text: `${listLabel(behind.map((p) => procLabel(index, p, ev)))} wait on the cycle`, source: 'wait graph' });
      const path = chain.map((n) => n.label).join(' → ');
      const channels = [...new Set(cycle.map((b) => b.channel.id))];
      out.push({
        id: `wait-cycle:${[...members].sort((a, b) => a - b).map(key).join(',')}`,
        rule: 'wait-cycle',
        severity: 'error',
        title: `${presumed ? 'Likely wait cycle' : 'Wait cycle (deadlock)'}: ${path}`,
        trouble: presumed ? T.likely : T.cycle,
        subject: path,
        explanation: {
          what: `Each process in the ring is asleep waiting for the next one to read (or write) a channel, and the next one is itself asleep waiting: nobody can move. ${members.length === 1 ? 'Here the ring has one member: the process waits for itself (it writes a pipe that only it reads).' : ''}`.trim(),
          why: 'Two programs that talk both ways with blocking I/O, each writing everything before it reads: once both pipes or socket buffers are full, both writers sleep. Classic with a parent that feeds a child on stdin and reads its stdout only afterwards.',
          next: 'The kernel will not wake any of them: they sleep until a signal interrupts the system call or a process is killed (the others then get EPIPE/EOF and usually exit).',
          fix: 'Break the symmetry: read and write concurrently (poll/epoll, a thread per direction, or non-blocking I/O with a queue), or bound what is written before reading. To unstick now, end one of the processes.',
        },
        evidence,
        channels,
        pids: members,
        chain,
        actions: [
          ...channels.map((id) => index.channel(id)).filter((c) => !!c).map((c) => revealChannel(c!)),
          ...cycle.flatMap((b) => peek(b.channel)).slice(0, 2),
          ...toEnd(index, members).flatMap((p) => signal(index, p, 'SIGTERM', 'ends one side of the cycle; the other then sees EPIPE or EOF', ev)),
        ],
        since: iso(since),
      });
    }
    return out;
  },
});

/**
 * The members offered a SIGTERM: a root process (by its real or effective uid: a setuid program
 * any user can start counts) only when every member is one. Any user can draw a root daemon, or a
 * setuid program they launch, into a ring of their own making (write to it without reading its
 * answers); ending their side unsticks it, and a suggestion to end it would be theirs to stage.
 */
function toEnd(index: SnapshotIndex, members: number[]): number[] {
  const unprivileged = members.filter((p) => {
    const proc = index.proc(p);
    return proc !== undefined && proc.uid !== 0 && (proc.euid ?? proc.uid) !== 0;
  });
  return (unprivileged.length > 0 ? unprivileged : members).slice(0, 2);
}

function what(b: BlockedThread): string {
  switch (b.op) {
    case 'write':
      return 'full';
    case 'read':
      return 'empty';
    case 'semop':
      return 'semaphore wait';
    case 'msgsnd':
      return 'queue full';
    case 'msgrcv':
      return 'queue empty';
    default:
      return b.op;
  }
}
