// How the Processes view arranges its processes: a grouping strategy per value of the
// `ipcInspector.groupProcesses` setting. `none` (the default) is a flat list of the processes that
// hold shown IPC, sorted by name; `parent` nests each under its nearest ancestor that also holds
// IPC (so no chain of idle shells and launchers between them). Another grouping (by container)
// plugs in as one more entry of GROUPINGS whose roots are buckets (its own group nodes).
// Pure: no vscode.
import { treeParent } from '../core/filter';
import type { ProcessInfo } from '../core/model';
import { containerGrouping } from './containerGrouping';

/** A grouping's own top-level node (e.g. a container) holding processes. */
export interface ProcessBucket {
  /** Stable within the grouping (the node id is `bucket:<grouping>:<id>`). */
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  icon: string;
  /** Member pids in display order. */
  pids: number[];
}

export interface ProcessPlacement {
  /** Top level, in display order: processes (by pid) and buckets. */
  roots: Array<number | ProcessBucket>;
  /** Processes listed under a process ("Children"), in display order; empty when the grouping nests none. */
  children(pid: number): readonly number[];
}

export interface GroupingInput {
  /** Processes the view lists (they hold a shown channel, or are the scope's root). */
  listed: readonly ProcessInfo[];
  /** Every process of the snapshot, by pid (ancestry). */
  procs: ReadonlyMap<number, ProcessInfo>;
}

export interface ProcessGrouping {
  /** The setting's value. */
  readonly id: string;
  arrange(input: GroupingInput): ProcessPlacement;
}

/** By name (comm), then pid: how processes are sorted everywhere in the view. */
export function byName(a: ProcessInfo, b: ProcessInfo): number {
  const x = a.comm.toLowerCase();
  const y = b.comm.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a.pid - b.pid;
}

const NONE: readonly number[] = [];

export const flatGrouping: ProcessGrouping = {
  id: 'none',
  arrange({ listed }) {
    const roots = [...listed].sort(byName).map((p) => p.pid);
    return { roots, children: () => NONE };
  },
};

export const parentGrouping: ProcessGrouping = {
  id: 'parent',
  arrange({ listed, procs }) {
    const shown = new Set(listed.map((p) => p.pid));
    const kids = new Map<number, ProcessInfo[]>();
    const roots: ProcessInfo[] = [];
    for (const p of listed) {
      // Nearest listed ancestor (guard against ppid cycles in hostile or racy data); a thread
      // with an fd table of its own goes under its process.
      let parent = treeParent(p);
      const seen = new Set<number>([p.pid]);
      while (parent && !shown.has(parent) && procs.has(parent) && !seen.has(parent)) {
        seen.add(parent);
        parent = procs.get(parent)!.ppid;
      }
      if (parent && shown.has(parent) && parent !== p.pid) {
        const list = kids.get(parent);
        if (list) list.push(p);
        else kids.set(parent, [p]);
      } else roots.push(p);
    }
    const order = new Map<number, number[]>();
    for (const [pid, list] of kids) order.set(pid, list.sort(byName).map((p) => p.pid));
    return { roots: roots.sort(byName).map((p) => p.pid), children: (pid) => order.get(pid) ?? NONE };
  },
};

/** Every grouping by its setting value; unknown values fall back to `none`. */
export const GROUPINGS: Readonly<Record<string, ProcessGrouping>> = { none: flatGrouping, parent: parentGrouping, container: containerGrouping };

export function groupingFor(id: string | undefined): ProcessGrouping {
  return (id && Object.prototype.hasOwnProperty.call(GROUPINGS, id) ? GROUPINGS[id] : undefined) ?? flatGrouping;
}
