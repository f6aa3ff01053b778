// Rule 6 — leftovers: IPC objects that outlived every process that used them. SysV shared
// memory nobody attaches whose creator and last attacher are dead; SysV segments marked removed
// but still attached (freed at the last detach — often deliberate, so info); SysV message queues
// holding messages whose last sender and last receiver are gone; /dev/shm objects, semaphores
// and /dev/mqueue queues no process holds or maps (when it held at the previous refresh too;
// when some process's fds could not be read, said with that caveat; /dev/shm objects not at all
// while some process's maps were not read whole). Each offers Remove, behind the confirmation.
// A sem.* entry that is no semaphore (a FIFO, a symlink, a file not of sem_t's size: notASemaphore)
// is not one: as a FIFO or symlink under any other /dev/shm name, it is left out.
import { formatBytes } from '../format';
import type { Channel, SysvMsgChannel, SysvShmChannel } from '../model';
import { notASemaphore } from '../kinds/posixSem';
import type { Evidence } from './evidence';
import type { EvidenceItem, Explanation, ProblemDraft, Severity } from './problem';
import { chanLabel, defineRule, iso, listLabel, peek, procLabel, remove, revealChannel, streakStart, type RuleContext } from './rule';
import { TROUBLES } from './troubles';

const T = TROUBLES.leftover;
import type { SnapshotIndex } from './snapshotIndex';
import { plural } from '../text';

/** Ids of POSIX objects nobody held at that refresh. */
type Memo = ReadonlySet<string>;

/**
 * This process. A peek at a segment (shmat SHM_RDONLY, then shmdt — the inspector does it) makes
 * the peeking process its last attacher; that is not a use, so an orphaned segment stays one after
 * it was looked at. The diagnosis runs in this same process (the scan worker is a thread of it).
 */
export const SELF_PID = process.pid;

/** The segment's last attacher, unless it was this process peeking (then: none known). */
export function lastUser(lastPid: number, self = SELF_PID): number {
  return lastPid === self ? 0 : lastPid;
}

function alive(index: SnapshotIndex, ev: Evidence, pid: number): boolean {
  if (pid <= 0) return false;
  if (index.proc(pid)) return true;
  const l = ev.liveness.get(pid);
  return l ? l.alive : true; // not checked: assume alive (no false alarm)
}

function unheldPosix(ctx: RuleContext): Channel[] {
  const out: Channel[] = [];
  // Mapped objects only when every maps text was read whole: another user's processes can spend
  // the scan's maps budget (a process shows at most so many mappings, the scan so many bytes) so
  // that a live object's mappers go unread; it would look unheld and be offered for removal.
  if (!ctx.index.mapsCut) for (const c of ctx.index.ofKind('posix-shm', 'posix-sem')) if (c.endpoints.length === 0 && !(c.kind === 'posix-sem' && notASemaphore(c))) out.push(c);
  if (ctx.snapshot.capabilities.mqueueMounted) for (const c of ctx.index.ofKind('posix-mq')) if (c.endpoints.length === 0) out.push(c);
  return out;
}

const TEACH = {
  orphanShm: {
    what: 'A SysV shared memory segment that nothing has attached, whose creator and last user have exited.',
    why: 'SysV segments live until someone removes them (IPC_RMID); a program that crashed or forgot shmctl(IPC_RMID) leaves its memory behind.',
    next: 'The kernel keeps the memory allocated until removal or reboot; it counts against kernel.shmall/shmmni, so new shmget() calls may fail with ENOSPC.',
    fix: 'Remove it (ipcrm -m) if nothing will reattach it; make the program mark it removed right after attaching, so it is freed when the last user detaches.',
  },
  destroyed: {
    what: 'A SysV segment marked removed (IPC_RMID) that is still attached: it is freed when the last process detaches.',
    why: 'Often deliberate: create, attach, then mark removed so that a crash cannot leak it (X11 MIT-SHM, many servers). It is a leftover only if its attachers should have detached.',
    next: 'No new process can attach it by key or id; the memory stays allocated until every attacher detaches or exits.',
    fix: 'Nothing, if the attachers are alive and meant to use it; otherwise end them.',
  },
  msgq: {
    what: 'A SysV message queue with messages waiting, whose last sender and last receiver have exited.',
    why: 'The consumer died (or never started) and SysV queues outlive their users; the messages stay queued.',
    next: 'The kernel keeps the messages (counted against msgmni / msg_qbytes) until someone receives them or the queue is removed; senders block or get EAGAIN when it is full.',
    fix: 'Start the consumer again, or remove the queue (ipcrm -q) if the messages are not needed.',
  },
  posix: {
    what: 'A named POSIX IPC object that no process has open or mapped.',
    why: 'POSIX shared memory, named semaphores and message queues live until shm_unlink/sem_unlink/mq_unlink; a program that exits without unlinking leaves the name (and for /dev/shm the memory) behind.',
    next: 'The object keeps its contents (for /dev/shm: memory in tmpfs) until it is unlinked or the machine reboots; a program that expects to create it fresh gets EEXIST with O_EXCL.',
    fix: 'Unlink it if nothing will open it again; make the program unlink on exit (or right after every user has opened it).',
  },
} satisfies Record<string, Explanation>;

export const leftovers = defineRule<Memo>({
  id: 'leftover',
  title: 'Leftovers',
  wants(ctx) {
    const pids = new Set<number>();
    for (const c of ctx.index.ofKind('sysv-shm')) {
      if (c.attachCount > 0) continue;
      pids.add(c.creatorPid);
      pids.add(lastUser(c.lastPid));
    }
    for (const c of ctx.index.ofKind('sysv-msg')) {
      if (c.messages === 0) continue;
      pids.add(c.lastSendPid);
      pids.add(c.lastRecvPid);
    }
    pids.delete(0);
    for (const p of [...pids]) if (ctx.index.proc(p)) pids.delete(p);
    return pids.size ? { liveness: pids } : null;
  },
  remember(input) {
    return new Set(unheldPosix(input).map((c) => c.id));
  },
  run(input) {
    const { index, evidence: ev, history, now } = input;
    const out: ProblemDraft[] = [];
    const who = (pid: number) => (pid > 0 ? `${procLabel(index, pid, ev)} (${alive(index, ev, pid) ? 'alive' : 'gone'})` : 'none');
    const push = (ch: Channel, key: keyof typeof T, severity: Severity, title: string, explanation: Explanation, evidence: EvidenceItem[], since = now) =>
      out.push({
        id: `leftover:${key}:${ch.id}`,
        rule: 'leftover',
        severity,
        title,
        trouble: T[key],
        subject: chanLabel(ch),
        explanation,
        evidence,
        channels: [ch.id],
        // a Set, not indexOf: a segment removed while attached can be mapped 65,530 times a process
        pids: [...new Set(ch.endpoints.map((e) => e.pid))],
        actions: [revealChannel(ch), ...peek(ch), ...remove(ch)],
        since: iso(since),
      });
    for (const c of index.ofKind('sysv-shm', 'sysv-msg')) {
      if (c.kind === 'sysv-shm') {
        const s = c as SysvShmChannel;
        const last = lastUser(s.lastPid);
        if (s.attachCount === 0 && !alive(index, ev, s.creatorPid) && !alive(index, ev, last)) {
          push(s, 'orphan', 'warning', `${chanLabel(s)} (${formatBytes(s.size)}) is attached by nobody and its creator is gone`, TEACH.orphanShm, [
            { label: 'attached', text: '0 processes', source: 'shmctl IPC_STAT (snapshot)' },
            { label: 'creator', text: who(s.creatorPid), source: '/proc' },
            { label: 'last attach/detach', text: last === s.lastPid ? who(s.lastPid) : `${who(s.lastPid)}: this tool's own read-only peek, not a use`, source: '/proc' },
            { label: 'owner', text: `${s.owner} (mode ${s.mode})`, source: 'snapshot' },
          ]);
        } else if (s.destroyed && s.attachCount > 0) {
          const holders = index.holders(s);
          push(s, 'destroyed', 'info', `${chanLabel(s)} (${formatBytes(s.size)}) is marked removed but still attached by ${s.attachCount}`, TEACH.destroyed, [
            { label: 'attached', text: `${s.attachCount}: ${listLabel(holders.map((p) => procLabel(index, p, ev))) || 'processes not visible'}`, source: 'shmctl IPC_STAT, /proc/PID/maps (snapshot)' },
          ]);
        }
      } else if (c.kind === 'sysv-msg') {
        const q = c as SysvMsgChannel;
        if (q.messages > 0 && !alive(index, ev, q.lastSendPid) && !alive(index, ev, q.lastRecvPid)) {
          push(q, 'msgq', 'warning', `${chanLabel(q)} holds ${plural(q.messages, 'message')} (${formatBytes(q.bytes)}) and its last sender and receiver are gone`, TEACH.msgq, [
            { label: 'queued', text: `${plural(q.messages, 'message')}, ${formatBytes(q.bytes)} of ${formatBytes(q.maxBytes)}`, source: 'msgctl IPC_STAT (snapshot)' },
            { label: 'last sender', text: `${who(q.lastSendPid)}${q.lastSendTime ? ` at ${q.lastSendTime}` : ''}`, source: '/proc' },
            { label: 'last receiver', text: `${who(q.lastRecvPid)}${q.lastRecvTime ? ` at ${q.lastRecvTime}` : ''}`, source: '/proc' },
          ]);
        }
      }
    }
    const prev = history.length ? history[history.length - 1].memo : null;
    for (const c of unheldPosix(input)) {
      if (!prev || !prev.has(c.id)) continue;
      const since = streakStart(history, now, (m) => m.has(c.id));
      const size = c.kind === 'posix-shm' ? ` (${formatBytes(c.size)})` : c.kind === 'posix-mq' && c.messages !== null ? ` (${plural(c.messages, 'message')})` : c.kind === 'posix-sem' && c.value !== null ? ` (value ${c.value})` : '';
      // some fd tables unreadable (another user's processes without root, a process root may not
      // trace): one of them may hold it — said, not hidden, so that the leftover is not lost either
      const hidden = index.fdsHidden;
      push(c, 'posix', 'info', `${chanLabel(c)}${size} is not held or mapped by any process${hidden ? ' that could be read' : ''}`, TEACH.posix, [
        { label: 'holders', text: `no fd and no mapping in any process${hidden ? ' that could be read' : ''}`, source: 'fd tables and maps (snapshot)' },
        ...(hidden ? [{ label: 'caveat', text: "some processes' fds could not be read: one of them may hold it — check before removing", source: 'snapshot warnings' }] : []),
      ], since);
    }
    return out;
  },
});
