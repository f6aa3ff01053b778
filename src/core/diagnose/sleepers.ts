// Which processes of the whole machine sleep in a given kernel function, from /proc/PID/wchan:
// one small read per process, for waits whose sleeper holds no fd the snapshot could name it by
// (a process asleep in msgsnd() on a full SysV queue is known only by its syscall). The kernel
// shows another user's wchan to whoever may ptrace-read that process (root: everyone; a user:
// their own processes) and prints `0` otherwise, as it does for a thread that is not asleep;
// without kallsyms it prints `0` for every process. Only the main thread's wchan is read (every
// thread of every process would cost several times more). A read costs ~10 µs (1,000 processes:
// ~10-20 ms on a loaded 2-core machine), so each scan has a time budget and the next one goes on
// where it stopped: a machine of many processes is covered over a few refreshes, and no user can
// make every refresh pay for all of them by keeping a queue full, nor hide a sleeper behind many
// of their own (the limit of sleepers found ends a scan too). The rules say which functions and
// where to go on; this file only reads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netnsId, ownIpcns } from '../probes/context';
import { listPids } from '../procWalk';

export interface SleeperRequest {
  /** The kernel functions (by name: `do_msgsnd`) a main thread must sleep in. */
  in: (wchan: string) => boolean;
  /** Who they are, for the notes: `processes asleep in msgsnd()`. */
  what: string;
  /** Processes found at most: the scan stops at the last of them, and the next goes on after it (many sleepers delay the others, never hide them). */
  max: number;
  /** Time the scan may take, ms (the evidence deadline bounds it too). */
  budgetMs: number;
  /** Go on after this pid, where the last scan stopped (Sleepers.next); from the lowest pid when absent. */
  after?: number;
  /** Processes the earlier scans of this round already read: the round ends once it read as many as there are. */
  readBefore?: number;
  /** An earlier round read every process: a round cut short is then no news for the notes. */
  covered?: boolean;
}

export interface Sleeper {
  /** The kernel function it sleeps in. */
  wchan: string;
  /** Its IPC namespace (`readlink /proc/PID/ns/ipc`, the inode as text, as ProcessInfo.ipcns); null when unreadable. */
  ipcns: string | null;
}

export interface Sleepers {
  /** Each process found, by pid. */
  found: Map<number, Sleeper>;
  /** The IPC namespace of this process (whose SysV ids the snapshot lists as its own); null when unknown. */
  ownIpcns: string | null;
  /** Processes whose wchan was read, of `total` in /proc; `readBefore` by the earlier scans of this round. */
  read: number;
  total: number;
  readBefore: number;
  /** The scan stopped at the limit of processes found (`max`). */
  limited: boolean;
  /** The last pid read when the budget, the deadline or the limit stopped the scan before it went round: where the next one goes on. */
  next?: number;
  /** The budget, ms (of the requests, the largest). */
  budgetMs: number;
  /** The requests' `what`. */
  what: string;
  /** An earlier round read every process (SleeperRequest.covered). */
  covered: boolean;
}

/**
 * Reads /proc/PID/wchan of the machine's processes in pid order, from after the requests' `after`
 * round to it (several requests: the earliest `after`, the largest budget), until the budget is
 * spent or `late()` says the evidence's time is up.
 */
export function findSleepers(procRoot: string, requests: readonly SleeperRequest[], late: () => boolean): Sleepers {
  const budgetMs = Math.max(0, ...requests.map((r) => r.budgetMs));
  const what = requests.map((r) => r.what).join(' or ');
  const afters = requests.map((r) => r.after);
  let after = afters.some((a) => a === undefined) ? undefined : Math.min(...(afters as number[]));
  let readBefore = after === undefined ? 0 : Math.min(...requests.map((r) => r.readBefore ?? 0));
  const covered = requests.every((r) => r.covered === true);
  const out: Sleepers = { found: new Map(), ownIpcns: ownIpcns({ procRoot }), read: 0, total: 0, readBefore, limited: false, budgetMs, what, covered };
  if (requests.length === 0) return out;
  const stopAt = performance.now() + budgetMs;
  let pids: number[];
  try {
    pids = listPids(procRoot);
  } catch {
    return out;
  }
  out.total = pids.length;
  // a round that read as many processes as there are now (some exited, others started) is over
  if (readBefore >= pids.length) after = undefined;
  if (after === undefined) readBefore = out.readBefore = 0;
  const max = Math.max(...requests.map((r) => r.max));
  let start = after === undefined ? 0 : pids.findIndex((p) => p > after!);
  if (start < 0) start = 0;
  // the round ends once it read every process: the earlier scans' part is not read again
  for (let k = 0; k < pids.length - readBefore; k++) {
    if (performance.now() > stopAt || late()) {
      out.next = pids[(start + k - 1 + pids.length) % pids.length];
      break;
    }
    const pid = pids[(start + k) % pids.length];
    const dir = path.join(procRoot, String(pid));
    let w: string;
    try {
      w = fs.readFileSync(path.join(dir, 'wchan'), 'utf8').trim();
    } catch {
      continue; // gone meanwhile
    }
    out.read++;
    if (w === '0' || w === '' || !requests.some((r) => r.in(w))) continue;
    let ipcns: string | null = null;
    try {
      ipcns = netnsId(fs.readlinkSync(path.join(dir, 'ns', 'ipc'))) || null;
    } catch {
      ipcns = null;
    }
    out.found.set(pid, { wchan: w, ipcns });
    if (out.found.size >= max && k + 1 < pids.length - readBefore) {
      out.limited = true;
      out.next = pid;
      break;
    }
  }
  return out;
}

/**
 * What the scans left out, for the evidence's notes: processes no round has reached yet (once a
 * round read every process, one that ends at the next refresh is no news unless the limit ended
 * it: then many sleepers are in the way); null when there is nothing to say.
 */
export function sleepersNote(s: Sleepers, oneShot: boolean): string | null {
  if (s.next === undefined || (s.covered && !s.limited)) return null;
  const read = Math.min(s.total, s.readBefore + s.read);
  const why = s.limited ? `the limit of ${s.found.size} found a snapshot` : `their wchan, ${s.budgetMs} ms a snapshot`;
  return `${s.what} looked for in ${read} of ${s.total} processes so far (${why}): the others ${oneShot ? 'not in this run' : 'at the next refresh'}`;
}
