// What an injected fake addon's fd walk returns, for the unit tests of the join: processes with
// plausible /proc stat and status text, and fd rows as the native walk's columns.
import type { ProcWalkFds, ProcWalkProcess } from '../../src/core/native';

/** One fd row: pid, fd, kind, mode, inode (the walk's codes). */
export type FdRow = [pid: number, fd: number, kind: number, mode: number, inode: number];

/** A process of the walk; `statusTail` ends its status text (threads, signal masks). */
export function walkProcess(pid: number, ppid: number, comm: string, o: { netns: string; statusTail?: string }): ProcWalkProcess {
  return {
    pid,
    stat: `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${pid * 3} 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`,
    status: `Name:\tx\nPPid:\t${ppid}\nTracerPid:\t0\nUid:\t0\t0\t0\t0\n${o.statusTail ?? 'Threads:\t1\n'}`,
    cmdline: comm + '\0',
    netns: o.netns,
  };
}

/** The rows as the walk's columns; a pipe's buffered bytes and capacity per row, -1 (unknown) by default. */
export function fdColumns(rows: readonly FdRow[], pipe: { buffered?: (r: FdRow) => number; capacity?: (r: FdRow) => number } = {}): ProcWalkFds {
  return {
    pid: Int32Array.from(rows.map((r) => r[0])),
    fd: Int32Array.from(rows.map((r) => r[1])),
    kind: Uint8Array.from(rows.map((r) => r[2])),
    mode: Uint8Array.from(rows.map((r) => r[3])),
    inode: Float64Array.from(rows.map((r) => r[4])),
    dev: new Float64Array(rows.length),
    pathIndex: new Int32Array(rows.length).fill(-1),
    infoIndex: new Int32Array(rows.length).fill(-1),
    buffered: Float64Array.from(rows.map((r) => pipe.buffered?.(r) ?? -1)),
    capacity: Float64Array.from(rows.map((r) => pipe.capacity?.(r) ?? -1)),
  };
}
