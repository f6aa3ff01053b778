// Rule 2 — nobody at the other end: a pipe or FIFO with writers and no reader (the next write
// gets EPIPE/SIGPIPE), a pipe with readers and no writer (they read EOF; nobody can ever write
// again), and a FIFO whose path was deleted, or now names another file, while it is held (new
// openers cannot reach it, or reach something else). Raised when it held at the previous refresh
// too (a process mid-exit closes its ends one by one). A FIFO with readers only is a server
// waiting for its next client — normal — unless its path is gone.
//
// An end missing from every fd table may still be open: sent over a Unix socket and not received
// yet (SCM_RIGHTS), or in a table this scan could not read. The BPF walk reads the kernel's own
// count of open ends, which settles it (readEndOpen / writeEndOpen); the /proc walk cannot, and
// the files waiting in Unix sockets are read instead (inFlight.ts), which say only "may be".
import type { FifoChannel, PipeChannel } from '../model';
import { byteCount, plural } from '../text';
import { scan } from './scan';
import { pathKey, type Evidence } from './evidence';
import type { EvidenceItem, Explanation, ProblemDraft, Severity } from './problem';
import { chanLabel, defineRule, iso, listLabel, peek, procLabel, revealChannel, revealProcess, streakStart, type RuleContext } from './rule';
import { TROUBLES, type TroubleOf } from './troubles';

const T = TROUBLES['no-other-end'];
import type { InFlightFacts } from './inFlight';

/** `${condition}:${channel id}` of the conditions seen at that refresh. */
type Memo = ReadonlySet<string>;

type Condition = 'no-reader' | 'no-writer' | 'fifo-deleted' | 'fifo-replaced';

function sides(ch: PipeChannel | FifoChannel): { writers: number[]; readers: number[] } {
  // Sets (in insertion order), not includes: a pipe thousands of processes hold
  const writers = new Set<number>();
  const readers = new Set<number>();
  for (const e of ch.endpoints) {
    if (e.mode !== 'r') writers.add(e.pid);
    if (e.mode !== 'w') readers.add(e.pid);
  }
  return { writers: [...writers], readers: [...readers] };
}

interface Found {
  cond: Condition;
  ch: PipeChannel | FifoChannel;
  writers: number[];
  readers: number[];
  now?: string;
}

function conditions(channels: readonly (PipeChannel | FifoChannel)[], pathNow: (ch: FifoChannel) => PathNow | null): Found[] {
  const out: Found[] = [];
  for (const ch of channels) {
    const eps = ch.endpoints;
    if (eps.length === 0) continue;
    // the common case, both sides held and the name intact, allocates nothing
    let r = false;
    let w = false;
    for (let i = 0; i < eps.length && !(r && w); i++) {
      if (eps[i].mode !== 'w') r = true;
      if (eps[i].mode !== 'r') w = true;
    }
    if (r && w && (ch.kind === 'pipe' || !ch.deleted)) continue;
    const { writers, readers } = sides(ch);
    if (readers.length === 0) out.push({ cond: 'no-reader', ch, writers, readers });
    // stdin at EOF is how background jobs and daemons run: not worth a word
    else if (writers.length === 0 && ch.kind === 'pipe' && !ch.endpoints.every((e) => e.fd === 0)) out.push({ cond: 'no-writer', ch, writers, readers });
    if (ch.kind === 'fifo') {
      // the fd link says " (deleted)" once the held inode lost its name; the path may since name another file
      const now = pathNow(ch);
      if (now?.state === 'other') out.push({ cond: 'fifo-replaced', ch, writers, readers, now: now.text });
      else if (ch.deleted || now?.state === 'missing') out.push({ cond: 'fifo-deleted', ch, writers, readers });
    }
  }
  return out;
}

const TEACH: Record<Condition, Explanation> = {
  'no-reader': {
    what: 'Every read end of this pipe is closed: only writers hold it.',
    why: 'The reading process exited or closed its end (it crashed, finished early, or never inherited it) while the writer kept going.',
    next: 'The next write() fails with EPIPE and the kernel sends the writer SIGPIPE, which kills it unless it ignores or catches SIGPIPE; a writer that ignores it only sees the error.',
    fix: 'Restart or fix the reader; make the writer handle EPIPE (stop producing) instead of ignoring it.',
  },
  'no-writer': {
    what: 'Every write end of this pipe is closed: only readers hold it, and an anonymous pipe can never get a new writer.',
    why: 'The writing process exited or closed its end; the readers keep the read end open.',
    next: 'read() returns what is still buffered, then 0 (EOF) for ever; poll() reports POLLHUP.',
    fix: 'The readers should treat EOF as the end and close the fd; a reader that keeps it open leaks it (and may spin on EOF).',
  },
  'fifo-deleted': {
    what: "The FIFO's name was unlinked while processes still hold it open: it works for them, but nobody new can open it.",
    why: 'A cleanup (or a restart of the program that owns the path) removed the file; holders keep the inode alive.',
    next: 'Processes that open the path get ENOENT, or create a new, different FIFO; holders still waiting for a partner wait for ever (a reader sees EOF once the last writer closes).',
    fix: 'Recreate the FIFO and restart its users, or make the owner not unlink it while in use.',
  },
  'fifo-replaced': {
    what: 'The FIFO is held open, but its path now names a different file: new openers reach that one, not this FIFO.',
    why: 'Something unlinked the path and created another object there (a restart that recreated the FIFO while old holders stayed, or another user).',
    next: 'Old holders talk only to each other; new openers talk to the new file. Data written on one never reaches the other.',
    fix: 'Restart the old holders so they reopen the path, or find who replaced it.',
  },
};

export const otherEnd = defineRule<Memo>({
  id: 'no-other-end',
  title: 'Nobody at the other end',
  wants(ctx, history) {
    const paths = [];
    // a FIFO the fd link does not call deleted is, by construction, what its path names now;
    // only a deleted one's path can name something else
    for (const ch of scan(ctx).pipeSuspects) {
      if (ch.kind === 'fifo' && ch.deleted && ch.path) paths.push({ path: ch.path, pid: ch.endpoints[0].pid });
    }
    // an end missing at the previous refresh too is raised now: is it in flight? (asked only then:
    // the read is one per Unix socket that may hold a message)
    const last = history[history.length - 1]?.memo;
    const holders = new Set<number>();
    if (last !== undefined) {
      for (const ch of scan(ctx).pipeSuspects) {
        // where the kernel counts no such end, nothing of it is in flight: no socket to read for it
        const asked = (last.has(`no-reader:${ch.id}`) && ch.readEndOpen !== false) || (last.has(`no-writer:${ch.id}`) && ch.writeEndOpen !== false);
        if (asked) for (const e of ch.endpoints) holders.add(e.pid);
      }
    }
    const inFlight = holders.size > 0 ? { unix: ctx.index.ofKind('unix'), first: holders } : undefined;
    return paths.length || inFlight ? { ...(paths.length ? { paths } : {}), ...(inFlight ? { inFlight } : {}) } : null;
  },
  remember(input) {
    return new Set(found(input).map((f) => `${f.cond}:${f.ch.id}`));
  },
  run(input) {
    const { index, evidence: ev, history, now } = input;
    const out: ProblemDraft[] = [];
    const hidden = index.fdsHidden;
    for (const f of found(input)) {
      const key = `${f.cond}:${f.ch.id}`;
      if (history.length === 0 || !history[history.length - 1].memo.has(key)) continue;
      const since = streakStart(history, now, (m) => m.has(key));
      const { ch, writers, readers } = f;
      const wl = listLabel(writers.map((p) => procLabel(index, p, ev)));
      const rl = listLabel(readers.map((p) => procLabel(index, p, ev)));
      let severity: Severity;
      let title: string;
      let trouble: TroubleOf<'no-other-end'>;
      // an end passed over a Unix socket (SCM_RIGHTS) and not received yet is in no fd table, and the kernel still counts it
      const missing = f.cond === 'no-reader' ? 'read' : f.cond === 'no-writer' ? 'write' : null;
      // the kernel's count of that end's open files (BPF walk): true = open somewhere, false = none anywhere
      const kernelOpen = missing === 'read' ? ch.readEndOpen : missing === 'write' ? ch.writeEndOpen : undefined;
      const flight = missing && kernelOpen !== false ? inFlightEvidence(ev.inFlight, missing, [...writers, ...readers], index, ev) : null;
      const elsewhere = `in flight (sent over a Unix socket, not received yet)${hidden ? ', in an fd table this scan could not read' : ''} or held by the kernel`;
      switch (f.cond) {
        case 'no-reader':
          if (kernelOpen === true) {
            severity = 'info';
            trouble = T.readerHidden;
            title = `${chanLabel(ch)} has writers (${wl}) and no reader in any fd table, but the kernel counts an open read end: it is ${elsewhere}; writes do not fail`;
          } else if (flight?.maybe) {
            // a file waits on a socket of its holders: the headline must not claim what it may not be
            severity = 'info';
            trouble = T.readerInFlight;
            title = `${chanLabel(ch)} has writers (${wl}) and no reader in any fd table, but its read end may be in flight (sent over a Unix socket, not received yet); if it is not, the next write gets EPIPE/SIGPIPE`;
          } else if (ch.endpoints.every((e) => e.fd === 1 || e.fd === 2)) {
            // a daemon whose launcher closed the other end of its stdout/stderr: latent, often never written
            severity = 'info';
            trouble = T.outputUnread;
            title = `${wl} writes its stdout/stderr to ${chanLabel(ch)}, which nobody reads: its next write there gets EPIPE/SIGPIPE`;
          } else {
            severity = 'warning';
            trouble = T.noReader;
            title = `${chanLabel(ch)} has writers (${wl}) and no reader: the next write gets EPIPE/SIGPIPE`;
          }
          break;
        case 'no-writer':
          severity = 'info';
          trouble = kernelOpen === true ? T.writerHidden : flight?.maybe ? T.writerInFlight : T.noWriter;
          title =
            kernelOpen === true
              ? `${chanLabel(ch)} has readers (${rl}) and no writer in any fd table, but the kernel counts an open write end: it is ${elsewhere}; they do not read EOF yet`
              : flight?.maybe
                ? `${chanLabel(ch)} has readers (${rl}) and no writer in any fd table, but its write end may be in flight (sent over a Unix socket, not received yet); if it is not, they read EOF`
                : `${chanLabel(ch)} has readers (${rl}) and no writer: they read EOF`;
          break;
        case 'fifo-deleted':
          severity = readers.length === 0 || writers.length === 0 ? 'warning' : 'info';
          trouble = T.fifoDeleted;
          title = `${chanLabel(ch)}: its path was deleted while ${listLabel([...new Set([...writers, ...readers])].map((p) => procLabel(index, p, ev)))} hold it`;
          break;
        case 'fifo-replaced':
          severity = 'warning';
          trouble = T.fifoReplaced;
          title = `The path of ${chanLabel(ch)} now names another file: new openers do not reach this FIFO`;
          break;
      }
      // fds this scan could not read may hold the end, unless the kernel says none is open anywhere
      if (hidden && missing && kernelOpen !== false) severity = 'info';
      const evidence: EvidenceItem[] = [
        { label: 'writers', text: wl || 'none', source: 'fd table (snapshot)' },
        { label: 'readers', text: rl || 'none', source: 'fd table (snapshot)' },
      ];
      if (ch.bufferedBytes !== null) evidence.push({ label: 'buffered', text: byteCount(ch.bufferedBytes), source: 'FIONREAD (snapshot)' });
      if (f.cond === 'fifo-deleted') evidence.push({ label: 'path', text: 'the fd link ends in " (deleted)"', source: '/proc/PID/fd (snapshot)' });
      if (f.cond === 'fifo-replaced' && f.now) evidence.push({ label: 'path now', text: f.now, source: 'lstat' });
      if (hidden && kernelOpen !== false) evidence.push({ label: 'caveat', text: "some processes' fds could not be read: one of them may hold the other end", source: 'snapshot warnings' });
      if (kernelOpen !== undefined) {
        const text = kernelOpen ? `an open ${missing} end, outside every fd table listed` : `no open ${missing} end anywhere: none in flight, none in any fd table`;
        evidence.push({ label: 'in the kernel', text, source: "the pipe's open-file counts, read by the BPF walk (snapshot)" });
      }
      if (flight) evidence.push(flight.item);
      const pids = [...new Set([...writers, ...readers])];
      out.push({
        id: `no-other-end:${f.cond}:${ch.id}`,
        rule: 'no-other-end',
        severity,
        title,
        trouble,
        // a pipe's name is an inode: who holds the end that is left says which one it is
        subject: f.cond === 'no-reader' && wl ? `${wl} → ${chanLabel(ch)}` : f.cond === 'no-writer' && rl ? `${chanLabel(ch)} → ${rl}` : chanLabel(ch),
        explanation: TEACH[f.cond],
        evidence,
        channels: [ch.id],
        pids,
        actions: [revealChannel(ch), ...pids.slice(0, 3).map((p) => revealProcess(index, p)), ...(ch.bufferedBytes ? peek(ch) : [])],
        since: iso(since),
      });
    }
    return out;
  },
});

/**
 * What fdinfo's scm_fds said about files in flight, for a pipe missing its `end` end: none
 * anywhere (the missing end is really gone), some that may be it (`maybe`: the problem is then
 * information), or unknown. Only a socket this pipe's holders hold, or the peer of one, counts as
 * "may be it" — the end waits on the peer of the socket it was sent by — so that any user who
 * keeps a file of their own in flight on their own sockets cannot turn every such warning on the
 * machine into information; files waiting elsewhere are named, not counted.
 */
function inFlightEvidence(f: InFlightFacts | undefined, end: 'read' | 'write', holders: readonly number[], index: RuleContext['index'], ev: Evidence): { item: EvidenceItem; maybe: boolean } {
  // the walk's pass when it answered for all (also where no socket needed reading: then it said so)
  const source = f?.walked
    ? "Unix sockets' scm_fds, read by the BPF walk's pass (snapshot)"
    : f === undefined || f.fromWalk === 0
      ? '/proc/PID/fdinfo/FD of Unix sockets (scm_fds)'
      : "Unix sockets' scm_fds (the BPF walk's pass, and /proc/PID/fdinfo/FD for the rest)";
  const generic = `a ${end} end is in flight: sent over a Unix socket (SCM_RIGHTS) and not received yet, it is in no process's fd table (lsof does not see it either)`;
  if (!f) return { item: { label: 'unless', text: generic, source: 'fd table (snapshot)' }, maybe: false };
  const mine = new Set(holders);
  const near = (inode: number): boolean => {
    const ch = index.channel(`unix:${inode}`);
    if (!ch || ch.kind !== 'unix') return false;
    return ch.endpoints.some((e) => mine.has(e.pid)) || (ch.peer !== undefined && (index.channel(ch.peer)?.endpoints.some((e) => mine.has(e.pid)) ?? false));
  };
  const list = (ss: InFlightFacts['sockets']): string => {
    const where = ss.slice(0, 3).map((s) => `unix:${s.inode} (${procLabel(index, s.pid, ev)} fd ${s.fd}: ${s.count})`);
    return where.join(', ') + (ss.length > 3 ? ` and ${plural(ss.length - 3, 'more socket')}` : '');
  };
  const count = (ss: InFlightFacts['sockets']): number => ss.reduce((a, s) => a + s.count, 0);
  const related = f.sockets.filter((s) => near(s.inode));
  const elsewhere = f.sockets.filter((s) => !near(s.inode));
  const others = elsewhere.length ? `; ${count(elsewhere)} more wait on sockets neither the pipe's holders nor their peers hold (${list(elsewhere)})` : '';
  if (related.length > 0) {
    return {
      item: { label: 'unless', text: `${plural(count(related), 'file is', 'files are')} in flight, queued on ${list(related)}, a socket of this pipe's holders or the peer of one, and not received yet: the ${end} end may be one of them (the kernel does not say which)${others}`, source },
      maybe: true,
    };
  }
  if (elsewhere.length > 0) {
    const cut = f.unknown.length ? `; and ${f.unknown.join('; ')}` : '';
    return { item: { label: 'unless', text: `${generic}. No file waits on a socket of this pipe's holders or the peer of one (${plural(f.read, 'socket')} read)${others}${cut}`, source }, maybe: false };
  }
  if (f.unknown.length === 0) return { item: { label: 'in flight', text: `none: no file waits in any Unix socket (${f.read} read), so no ${end} end is in flight`, source }, maybe: false };
  return { item: { label: 'unless', text: `${generic}; none of the ${plural(f.read, 'Unix socket')} read holds one, but ${f.unknown.join('; ')}`, source }, maybe: false };
}

/** This snapshot's conditions (computed once for run and remember). */
function found(input: RuleContext & { evidence: Evidence }): Found[] {
  return input.index.cached('no-other-end', () => conditions(scan(input).pipeSuspects, (ch) => pathNow(input.evidence, ch)));
}

interface PathNow {
  state: 'same' | 'missing' | 'other';
  text: string;
}

/** What the FIFO's path names now (lstat), compared with the held FIFO. */
function pathNow(ev: Evidence, ch: FifoChannel): PathNow | null {
  const p = ev.paths.get(pathKey(ch.path, ch.endpoints[0].pid));
  if (!p || p.type === 'unchecked') return null;
  if (p.type === 'missing') return { state: 'missing', text: 'no file at that path' };
  if (p.type !== 'fifo') return { state: 'other', text: `a ${p.type} (dev ${p.dev} inode ${p.inode}, owner uid ${p.uid})` };
  // deleted: the held inode has no name, so whatever has the path now is another file
  if (ch.deleted || p.dev !== ch.dev || p.inode !== ch.inode) return { state: 'other', text: `another FIFO (dev ${p.dev} inode ${p.inode}, owner uid ${p.uid}); the held one is dev ${ch.dev} inode ${ch.inode}` };
  return { state: 'same', text: '' };
}
