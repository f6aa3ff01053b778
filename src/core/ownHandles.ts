// The scanning process's own transient handles, kept out of its snapshot. While the walk lists
// every fd table, its own threads (and the probes beside it) hold fds of their own for a moment: a
// pipe reopened read-only to measure it, a netlink socket for sock_diag, a queue file opened for its
// QSIZE. The walk of our own process, on another thread at the same time, would list them, and the
// snapshot would show ipc-inspector (or the extension host) as one more reader of another process's
// pipe: a reader that is running, so `doctor` took a blocked writer for one being drained (CI saw
// both its blocked-writer and its wait-cycle tests miss). Only fds our process held with the same
// target before the walk started and still holds after it ended are kept: a transient handle opened
// after the first listing cannot be in it, and a real fd opened meanwhile shows from the next scan.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProcWalk } from './native';
import { copyFdRow, fdColumns } from './walkBackend';
import { parseStat } from './parsers/procPid';

/** Our own fds as `procRoot` sees them: our pid there, and fd → link text. Null when it is not our /proc (a captured tree) or unreadable. */
export interface OwnFds {
  pid: number;
  links: Map<number, string>;
}

export function ownFds(procRoot: string): OwnFds | null {
  try {
    // our pid as this /proc numbers it (another pid namespace's /proc has no "self" of ours)
    const pid = Number(fs.readlinkSync(path.join(procRoot, 'self')));
    if (!Number.isInteger(pid) || pid <= 0) return null;
    const dir = path.join(procRoot, 'self/fd');
    const links = new Map<number, string>();
    for (const name of fs.readdirSync(dir)) {
      try {
        links.set(Number(name), fs.readlinkSync(path.join(dir, name)));
      } catch {
        /* closed meanwhile (the listing's own directory fd among them) */
      }
    }
    return { pid, links };
  } catch {
    return null;
  }
}

/** The comm of the tasks the addon measures and peeks pipes in (native/src/pipetask.cc). */
export const PIPE_TASK_COMM = 'ipci-pipe';

/**
 * Our pipe tasks in a walk: children of ours named PIPE_TASK_COMM. Each holds copies of a few of
 * our fds (the /proc directory, a pipe's O_PATH handle, a peek's private pipe, the pipe it reopens),
 * which the walk would list as another holder of them; one stuck in another user's pipe lock stays
 * for as long as that user likes.
 */
function pipeTasks(w: ProcWalk, ours: number): Set<number> {
  const out = new Set<number>();
  const named = `(${PIPE_TASK_COMM}) `;
  for (const p of w.processes) {
    // the name first (cheap), then the whole line parsed for the rare one that has it
    if (!p.stat?.includes(named)) continue;
    const st = parseStat(p.stat);
    if (st?.comm === PIPE_TASK_COMM && st.ppid === ours) out.add(p.pid);
  }
  return out;
}

/**
 * `w` without the rows of our own process whose fd was not held, with the same target, both
 * `before` the walk and `after` it, and without the rows of our pipe tasks (our own table again).
 * The same `w` when no row goes.
 */
export function dropOwnHandles(w: ProcWalk, before: OwnFds | null, after: OwnFds | null): ProcWalk {
  if (!before || !after || before.pid !== after.pid) return w;
  const f = w.fds;
  const n = f.pid.length;
  const keep = new Uint8Array(n).fill(1);
  const tasks = pipeTasks(w, before.pid);
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    if (tasks.has(f.pid[i])) {
      keep[i] = 0;
      dropped++;
      continue;
    }
    if (f.pid[i] !== before.pid) continue;
    const link = before.links.get(f.fd[i]);
    if (link !== undefined && after.links.get(f.fd[i]) === link) continue;
    keep[i] = 0;
    dropped++;
  }
  if (dropped === 0) return w;
  const out = fdColumns(n - dropped);
  // paths and infos stay as they are: the kept rows' indices into them still hold
  for (let i = 0, k = 0; i < n; i++) if (keep[i] !== 0) copyFdRow(out, k++, f, i);
  return { ...w, fds: out };
}
