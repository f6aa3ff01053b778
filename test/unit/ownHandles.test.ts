// dropOwnHandles: our own process keeps only the fds it held with the same target before and after
// the walk; every other process's rows, and the paths and fdinfo indices of kept rows, stay as
// they were.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropOwnHandles, type OwnFds } from '../../src/core/ownHandles';
import type { ProcWalk } from '../../src/core/native';
import { fdColumns } from './fakeWalk';

/** Rows [pid, fd, inode, pathIndex?] as a walk; buffered bytes follow the inode (inode % 7), to show they move with their row. */
function walkOf(rows: [pid: number, fd: number, inode: number, pathIndex?: number][]): ProcWalk {
  const fds = fdColumns(rows.map(([pid, fd, inode]) => [pid, fd, 1, 1, inode]), { buffered: (r) => r[4] % 7 });
  rows.forEach((r, i) => (fds.pathIndex[i] = r[3] ?? -1));
  return { processes: [], fds, paths: ['/tmp/a fifo', '/tmp/b fifo'], infos: [], elapsedMs: 0, threads: 1 };
}

const own = (pid: number, links: [number, string][]): OwnFds => ({ pid, links: new Map(links) });
const rowsOf = (w: ProcWalk) => [...w.fds.pid].map((pid, i) => [pid, w.fds.fd[i], w.fds.inode[i], w.fds.pathIndex[i], w.fds.buffered[i]]);

test('our rows: kept when held the same before and after; gone when opened meanwhile, retargeted or closed', () => {
  const w = walkOf([
    [10, 3, 100],
    [50, 3, 200], // held throughout
    [50, 4, 300], // a measuring handle: in neither listing
    [50, 5, 400], // fd 5 was another file before
    [50, 6, 500, 1], // a FIFO held throughout
    [50, 7, 600], // closed before the walk ended
    [90, 4, 300],
  ]);
  const before = own(50, [[3, 'pipe:[200]'], [5, 'pipe:[401]'], [6, '/tmp/b fifo'], [7, 'pipe:[600]']]);
  const after = own(50, [[3, 'pipe:[200]'], [5, 'pipe:[400]'], [6, '/tmp/b fifo']]);
  assert.deepEqual(rowsOf(dropOwnHandles(w, before, after)), [
    [10, 3, 100, -1, 100 % 7],
    [50, 3, 200, -1, 200 % 7],
    [50, 6, 500, 1, 500 % 7],
    [90, 4, 300, -1, 300 % 7],
  ]);
});

test('the same walk when nothing of ours goes, or when our fds could not be listed (not our /proc)', () => {
  const w = walkOf([[10, 3, 100], [50, 3, 200]]);
  const same = own(50, [[3, 'pipe:[200]']]);
  assert.equal(dropOwnHandles(w, same, same), w);
  assert.equal(dropOwnHandles(w, null, same), w);
  assert.equal(dropOwnHandles(w, same, null), w);
  // two listings that disagree on who we are (not one /proc): nothing is dropped
  assert.equal(dropOwnHandles(w, own(50, []), own(51, [])), w);
});

test('the rows of our pipe tasks (children named ipci-pipe, sharing our fd table) go; a child of ours by another name, or an ipci-pipe of another parent, stays', () => {
  const w = walkOf([
    [50, 3, 200],
    [51, 3, 200], // our pipe task: our table again
    [52, 3, 200], // another child of ours
    [53, 3, 700], // an ipci-pipe of another process
  ]);
  // a whole /proc/PID/stat line (52 fields)
  const stat = (pid: number, comm: string, ppid: number) => ({ pid, stat: `${pid} (${comm}) D ${ppid} 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5000 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0` });
  const withProcs = { ...w, processes: [stat(50, 'node', 1), stat(51, 'ipci-pipe', 50), stat(52, 'sleep', 50), stat(53, 'ipci-pipe', 90)] };
  const mine = own(50, [[3, 'pipe:[200]']]);
  assert.deepEqual(rowsOf(dropOwnHandles(withProcs, mine, mine)).map((r) => r[0]), [50, 52, 53]);
});
