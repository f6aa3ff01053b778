// Whether any file is in flight: sent over a Unix socket (SCM_RIGHTS) and not received yet. Such
// a file is in no process's fd table, yet the kernel counts it: a pipe whose only read end is in
// flight has a reader (writes do not fail with EPIPE). fdinfo of a Unix socket says how many
// files wait in its receive queue (`scm_fds:`, Linux ≥ 5.7), so one read per socket that could
// hold one tells "none anywhere" from "N on socket S". Which file it is the kernel does not say.
//
// A socket can hold files only with a message queued on it: a stream socket whose receive queue
// is empty holds none, but a datagram or seqpacket message may carry files and no byte (its queue
// then reads 0), so every one of those is read. A socket no process holds (itself in flight, or
// a connection not accepted yet) cannot be read through fdinfo: then the answer is "unknown",
// never "none". The rule asks; this file picks the sockets and reads, within the evidence's budget.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Endpoint, UnixChannel } from '../model';
import { unix as UNIX } from '../kinds/unix';
import type { FilesInFlight } from '../filesInFlight';
import { lowerBound, sortedPositions } from '../sortedPositions';
import { plural } from '../text';

/** One socket to read: through this holder's fd, expected to be this inode still. */
export interface InFlightProbe {
  inode: number;
  pid: number;
  fd: number;
}

export interface InFlightRequest {
  /** Every socket to ask about, the likeliest first. */
  probes: InFlightProbe[];
  /** fdinfo reads at most (the first this many of the probes the walk did not count); the rest is unknown. Default IN_FLIGHT_MAX_PROBES. */
  maxReads?: number;
  /** Why some sockets cannot be read (no holder, a listener with connections not accepted): the answer can then not be "none". */
  unknown: string[];
}

export interface InFlightFacts {
  /** Sockets with files waiting, with how many. */
  sockets: Array<InFlightProbe & { count: number }>;
  /** Sockets read, of `total` asked about. */
  read: number;
  /** Of those read, how many by the snapshot's BPF walk (its pass read scm_fds) rather than one fdinfo read each. */
  fromWalk: number;
  /** The BPF walk's pass answered for every socket (none was read through fdinfo, even where none needed reading). */
  walked: boolean;
  total: number;
  /** Why the answer is not complete: the request's own reasons, plus fds gone, unreadable, a kernel without the line, the deadline. */
  unknown: string[];
}

/** Sockets read through fdinfo at most per refresh: past it the answer is "unknown" (a BPF walk's counts have no limit). */
export const IN_FLIGHT_MAX_PROBES = 4096;

/** Time the reads may take per refresh, ms: a read is 5-25 µs (idle to loaded 2-core machine), so 800-4,000 sockets. */
export const IN_FLIGHT_BUDGET_MS = 20;

/**
 * The Unix sockets that could hold a file in flight, each with one holder to read it through.
 * Those `first` (pids) hold, and their peers, come first: a process that sends one end of a pipe
 * away usually keeps the other, and the end waits on the peer of the socket it was sent by — so
 * where the reads are cut short (a machine of many sockets) they are the likeliest. Among them,
 * those of a process of few sockets first: one with thousands says least about where it went.
 */
export function inFlightRequest(unix: readonly UnixChannel[], first: ReadonlySet<number> = new Set(), max = IN_FLIGHT_MAX_PROBES): InFlightRequest {
  const n = unix.length;
  /** Rank of unix[i] near a `first` process (how many Unix sockets that process holds: fewest first); Infinity when not near. */
  const near = new Float64Array(n).fill(Infinity);
  if (first.size > 0) {
    const held = new Map<number, number>();
    for (const u of unix) for (const e of u.endpoints) if (first.has(e.pid)) held.set(e.pid, (held.get(e.pid) ?? 0) + 1);
    // peers found by binary search over the inodes in order: a Map keyed by inode cost 11–27 ms a
    // refresh at 50k fds (22k sockets), the diagnosis's costliest step
    const inodes = new Float64Array(n);
    for (let i = 0; i < n; i++) inodes[i] = unix[i].inode;
    const order = sortedPositions(inodes);
    const rankPeer = (inode: number, r: number): void => {
      for (let at = lowerBound(inodes, order, inode); at < n && inodes[order[at]] === inode; at++) if (r < near[order[at]]) near[order[at]] = r;
    };
    for (let i = 0; i < n; i++) {
      const u = unix[i];
      for (const e of u.endpoints) {
        const r = held.get(e.pid);
        if (r === undefined) continue;
        if (r < near[i]) near[i] = r;
        if (u.peer) rankPeer(u.peerInode ?? UNIX.inodeOfId(u.peer.slice('unix:'.length)), r);
      }
    }
  }
  // the near ones by rank (few distinct ranks: one per `first` process), each rank in list order; then the rest in list order
  const byRank = new Map<number, InFlightProbe[]>();
  const rest: InFlightProbe[] = [];
  const { unknown } = candidates(unix, first, (i, u, e) => {
    const p: InFlightProbe = { inode: u.inode, pid: e.pid, fd: e.fd! };
    const r = near[i];
    if (r === Infinity) rest.push(p);
    else {
      const list = byRank.get(r);
      if (list) list.push(p);
      else byRank.set(r, [p]);
    }
  });
  const ordered: InFlightProbe[] = [];
  for (const r of [...byRank.keys()].sort((a, b) => a - b)) for (const p of byRank.get(r)!) ordered.push(p);
  for (const p of rest) ordered.push(p);
  return { probes: ordered, maxReads: max, unknown };
}

/**
 * Each Unix socket that could hold a file, in list order, with the endpoint to read it through (a
 * `first` process's, else the first with an fd; without `visit`, only counted); returns how many
 * and why some cannot be read (the request's `unknown`).
 */
function candidates(unix: readonly UnixChannel[], first: ReadonlySet<number>, visit?: (i: number, u: UnixChannel, e: Endpoint) => void): { count: number; unknown: string[] } {
  let count = 0;
  let unheld = 0;
  let pending = 0;
  for (let i = 0; i < unix.length; i++) {
    const u = unix[i];
    if (u.type === 'stream') {
      // a listener's queue is connections not accepted yet, each a socket no one holds
      if (u.state === 'listen') {
        if (u.recvQueue !== 0) pending++;
        continue;
      }
      if (u.recvQueue === 0) continue; // nothing queued: nothing can ride on it
    }
    let e: Endpoint | undefined;
    let any: Endpoint | undefined;
    for (const x of u.endpoints) {
      if (x.fd === undefined) continue;
      any ??= x;
      if (!visit || first.has(x.pid)) {
        e = x;
        break;
      }
    }
    e ??= any;
    if (!e) {
      unheld++;
      continue;
    }
    count++;
    visit?.(i, u, e);
  }
  const unknown: string[] = [];
  if (unheld) unknown.push(`${plural(unheld, 'Unix socket')} that may hold a message ${unheld === 1 ? 'is' : 'are'} held by no process (in flight themselves, or of a process not walked)`);
  if (pending) unknown.push(`${plural(pending, 'Unix listener has', 'Unix listeners have')} connections not accepted yet, whose messages no fd can show`);
  return { count, unknown };
}

/** What the rule asks (EvidenceRequest.inFlight): the snapshot's Unix sockets, and the processes whose sockets (and their peers) are likeliest to hold the file. */
export interface InFlightAsk {
  unix: readonly UnixChannel[];
  first: ReadonlySet<number>;
}

/**
 * readInFlight of inFlightRequest(ask): the same facts. When the BPF walk counted every socket
 * (`known.complete`) and found no file waiting anywhere — the usual case — only how many sockets
 * could hold one and why some cannot be read are needed: listing and ranking every probe (tens of
 * thousands of objects at 50k fds, the diagnosis's costliest step) is skipped then.
 */
export function askInFlight(procRoot: string, ask: InFlightAsk, known?: FilesInFlight, budgetMs = IN_FLIGHT_BUDGET_MS): InFlightFacts {
  if (known?.complete && ![...known.counts.values()].some((n) => n > 0)) {
    const { count, unknown } = candidates(ask.unix, ask.first);
    return { sockets: [], read: count, fromWalk: count, walked: true, total: count, unknown };
  }
  return readInFlight(procRoot, inFlightRequest(ask.unix, ask.first), () => false, budgetMs, known);
}

/** `scm_fds` of one socket's fdinfo; null when the fd no longer is that socket, or the kernel has no such line. */
export function parseScmFds(fdinfo: string, inode: number): number | null | 'other' {
  const ino = /^ino:\s*(\d+)$/m.exec(fdinfo);
  if (ino && Number(ino[1]) !== inode) return 'other';
  const m = /^scm_fds:\s*(\d+)$/m.exec(fdinfo);
  return m ? Number(m[1]) : null;
}

/**
 * Each probe's count: from `known` (what the snapshot's BPF walk read in its pass:
 * SnapshotOptions.filesInFlight) where it has the socket, else one fdinfo read each until
 * IN_FLIGHT_BUDGET_MS is spent (or `late()` says stop).
 */
export function readInFlight(procRoot: string, req: InFlightRequest, late: () => boolean, budgetMs = IN_FLIGHT_BUDGET_MS, known?: FilesInFlight): InFlightFacts {
  const end = performance.now() + budgetMs;
  const facts: InFlightFacts = { sockets: [], read: 0, fromWalk: 0, walked: known?.complete === true, total: req.probes.length, unknown: [...req.unknown] };
  let gone = 0;
  let noLine = 0;
  let cut = 0;
  const toRead: InFlightProbe[] = [];
  for (const p of req.probes) {
    const k = known === undefined ? undefined : (known.counts.get(p.inode) ?? (known.complete ? 0 : undefined));
    if (k === undefined) {
      toRead.push(p);
      continue;
    }
    facts.read++;
    facts.fromWalk++;
    if (k > 0) facts.sockets.push({ ...p, count: k });
  }
  const max = req.maxReads ?? IN_FLIGHT_MAX_PROBES;
  const over = Math.max(0, toRead.length - max);
  if (over) toRead.length = max;
  for (let i = 0; i < toRead.length; i++) {
    const p = toRead[i];
    if (performance.now() > end || late()) {
      cut = toRead.length - i;
      break;
    }
    let text: string;
    try {
      // a procfs file of the kernel's own text: nothing another user controls is opened
      text = fs.readFileSync(path.join(procRoot, String(p.pid), 'fdinfo', String(p.fd)), 'utf8');
    } catch {
      gone++;
      continue;
    }
    const n = parseScmFds(text, p.inode);
    if (n === 'other') gone++;
    else if (n === null) noLine++;
    else {
      facts.read++;
      if (n > 0) facts.sockets.push({ ...p, count: n });
    }
  }
  if (gone) facts.unknown.push(`${plural(gone, 'Unix socket')} could not be read again (closed or unreadable since the snapshot)`);
  if (noLine) facts.unknown.push(`this kernel's fdinfo has no scm_fds line (Linux ≥ 5.7 has it)`);
  if (over) facts.unknown.push(`${plural(over, 'more Unix socket')} than the ${max.toLocaleString('en-US')} read per refresh`);
  if (cut) facts.unknown.push(`time budget reached with ${plural(cut, 'Unix socket')} still to read`);
  return facts;
}
