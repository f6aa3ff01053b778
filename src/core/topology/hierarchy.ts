// How the map aggregates processes: a hierarchy of groups (a process subtree; in container mode
// also a container or a pid namespace) and the cut through it that decides what is drawn. A
// collapsed group is one node standing for every process inside it. What is expanded: what the
// user expanded, what a search needs open to show its matches, and — until the user decides —
// the largest groups first while the drawing stays within a node budget. Chains of processes that
// hold nothing themselves and have one child (bash → timeout → node → …) are skipped, so one
// expansion always shows a branching. Pure functions over plain data; O(processes).
import { shortText } from '../format';
import type { GroupBy, TopoProcess } from './types';
import { plural } from '../text';

export type Entry = { type: 'process'; pid: number } | { type: 'group'; id: string };

export interface GroupDef {
  id: string;
  label: string;
  detail: string;
  /** Root process of a subtree group. */
  pid?: number;
  /** What expanding shows. */
  children: Entry[];
  /** Processes (present ones) inside, at any depth. */
  weight: number;
}

export interface Hierarchy {
  top: Entry[];
  groups: Map<string, GroupDef>;
}

/** Default number of drawn process/group nodes the automatic expansion aims at. */
export const DEFAULT_BUDGET = 80;

export const processUnitId = (pid: number): string => `p:${pid}`;

/**
 * Builds the group hierarchy over `present` processes (those the map draws: they hold a shown
 * channel), using every known process for the parent links (the snapshot keeps ancestors).
 */
export function buildHierarchy(processes: ReadonlyMap<number, TopoProcess>, present: ReadonlySet<number>, groupBy: GroupBy): Hierarchy {
  const groups = new Map<string, GroupDef>();
  const domainOf = (p: TopoProcess): string =>
    groupBy === 'tree' ? '' : p.container ? `c:${p.container.runtime}:${p.container.id}` : p.innerPid !== null && p.pidns ? `n:${p.pidns}` : '';

  // children by parent, within one domain (a container's tree stops at its boundary)
  const children = new Map<number, number[]>();
  const roots: number[] = [];
  for (const p of processes.values()) {
    const parent = processes.get(p.ppid);
    if (parent && parent.pid !== p.pid && domainOf(parent) === domainOf(p)) {
      const list = children.get(p.ppid);
      if (list) list.push(p.pid);
      else children.set(p.ppid, [p.pid]);
    } else {
      roots.push(p.pid);
    }
  }
  for (const list of children.values()) list.sort((a, b) => a - b);
  roots.sort((a, b) => a - b);

  // present processes per subtree, iteratively (trees can be thousands deep in theory)
  const weight = new Map<number, number>();
  const order: number[] = [];
  const stack = [...roots];
  const seen = new Set<number>();
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue; // a ppid loop (pid reuse between reads) must not hang
    seen.add(pid);
    order.push(pid);
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const pid = order[i];
    let w = present.has(pid) ? 1 : 0;
    for (const c of children.get(pid) ?? []) w += weight.get(c) ?? 0;
    weight.set(pid, w);
  }
  const relevantChildren = (pid: number): number[] => (children.get(pid) ?? []).filter((c) => (weight.get(c) ?? 0) > 0);

  const entryFor = (start: number): Entry | null => {
    let pid = start;
    let rel = relevantChildren(pid);
    // skip chains: a process that holds nothing shown and has one relevant child
    while (!present.has(pid) && rel.length === 1) {
      pid = rel[0];
      rel = relevantChildren(pid);
    }
    if (rel.length === 0) return present.has(pid) ? { type: 'process', pid } : null;
    const id = `t:${pid}`;
    if (!groups.has(id)) {
      const p = processes.get(pid)!;
      const def: GroupDef = { id, label: shortText(p.comm, 48), detail: '', pid, children: [], weight: weight.get(pid) ?? 0 };
      groups.set(id, def);
      if (present.has(pid)) def.children.push({ type: 'process', pid });
      for (const c of rel) {
        const e = entryFor(c);
        if (e) def.children.push(e);
      }
      def.detail = `${plural(def.weight, 'process', 'processes')} · subtree of ${pid}`;
    }
    return { type: 'group', id };
  };

  const top: Entry[] = [];
  const domains = new Map<string, number[]>();
  for (const r of roots) {
    if ((weight.get(r) ?? 0) === 0) continue;
    const d = domainOf(processes.get(r)!);
    if (d === '') {
      const e = entryFor(r);
      if (e) top.push(e);
    } else {
      const list = domains.get(d);
      if (list) list.push(r);
      else domains.set(d, [r]);
    }
  }
  for (const [id, rs] of domains) {
    const first = processes.get(rs[0])!;
    const def: GroupDef = { id, label: '', detail: '', children: [], weight: 0 };
    for (const r of rs) {
      def.weight += weight.get(r) ?? 0;
      const e = entryFor(r);
      if (e) def.children.push(e);
    }
    const n = plural(def.weight, 'process', 'processes');
    const c = first.container;
    if (c) {
      def.label = shortText(c.name ?? (c.pod?.name ? `${c.pod.name}` : c.id.slice(0, 12)), 48);
      def.detail = `${c.runtime} container ${c.id.slice(0, 12)}${c.pod?.name ? ` · pod ${shortText(c.pod.namespace ?? '', 32)}/${shortText(c.pod.name, 48)}` : ''} · ${n}`;
    } else {
      def.label = `pid namespace ${first.pidns ?? '?'}`;
      def.detail = `processes in their own pid namespace · ${n}`;
    }
    groups.set(id, def);
    top.push({ type: 'group', id });
  }
  return { top, groups };
}

export interface Cut {
  /** Drawn process/group entries, in a stable order. */
  units: Entry[];
  /** Present pid → id of the drawn node it is part of (`p:PID` or a group id). */
  unitOf: Map<number, string>;
  /** Drawn node id → the expanded group it sits in (null at the top). */
  parentOf: Map<string, string | null>;
  /** Groups shown open. */
  expanded: Set<string>;
  /** Groups made by the cut: the rest of a group opened only partly (`r:GROUP`). */
  extra: Map<string, GroupDef>;
}

/** Id of the node standing for what a partly opened group did not show; expanding it opens the group whole. */
export const restId = (groupId: string): string => `r:${groupId}`;

export interface CutOptions {
  /** Groups the user opened / closed (the user wins over the budget). */
  userExpanded: ReadonlySet<string>;
  userCollapsed: ReadonlySet<string>;
  /** Groups opened so that search matches are visible (over the budget, under the user's closing). */
  forced?: ReadonlySet<string>;
  budget: number;
}

const unitId = (e: Entry): string => (e.type === 'process' ? processUnitId(e.pid) : e.id);

/** Decides which groups are open and what each present process is drawn as. */
export function cutHierarchy(h: Hierarchy, o: CutOptions): Cut {
  const expanded = new Set<string>();
  let count = h.top.length;
  const must = (g: GroupDef) => o.userExpanded.has(g.id) || !!o.forced?.has(g.id);
  // what the user or the search opened first, then the largest; ties by id (same data, same picture)
  const before = (a: GroupDef, b: GroupDef): boolean => {
    const ma = must(a);
    const mb = must(b);
    return ma !== mb ? ma : a.weight !== b.weight ? a.weight > b.weight : a.id < b.id;
  };
  const heap = new Heap<GroupDef>(before);
  const push = (entries: Entry[]) => {
    for (const e of entries) if (e.type === 'group') heap.push(h.groups.get(e.id)!);
  };
  push(h.top);
  /** Groups opened partly: the children shown (the rest become one node). */
  const partial = new Map<string, Set<Entry>>();
  const weightOf = (e: Entry) => (e.type === 'process' ? 1 : h.groups.get(e.id)!.weight);
  for (let g = heap.pop(); g; g = heap.pop()) {
    if (o.userCollapsed.has(g.id)) continue;
    const cost = g.children.length - 1;
    if (must(g) || o.userExpanded.has(restId(g.id)) || count + cost <= o.budget) {
      expanded.add(g.id);
      count += cost;
      push(g.children);
      continue;
    }
    // too big to open whole (a server with 500 workers): while there is room, open it partly —
    // its largest children, and the rest as one node — rather than leave the map one blob
    const shown = o.budget - count;
    if (shown >= 2 && count <= o.budget / 2) {
      const keep = new Set([...g.children].sort((a, b) => weightOf(b) - weightOf(a)).slice(0, shown));
      partial.set(g.id, keep);
      expanded.add(g.id);
      count += shown;
      push([...keep]);
    }
  }

  const units: Entry[] = [];
  const unitOf = new Map<number, string>();
  const parentOf = new Map<string, string | null>();
  const assign = (e: Entry, to: string) => {
    // every present process of a collapsed group's subtree is drawn as that group
    const stack: Entry[] = [e];
    while (stack.length) {
      const x = stack.pop()!;
      if (x.type === 'process') unitOf.set(x.pid, to);
      else for (const c of h.groups.get(x.id)!.children) stack.push(c); // not push(...): a spread of 100k+ overflows the stack
    }
  };
  const extra = new Map<string, GroupDef>();
  const walk = (entries: Entry[], parent: string | null) => {
    for (const e of entries) {
      if (e.type === 'group' && expanded.has(e.id)) {
        const g = h.groups.get(e.id)!;
        const keep = partial.get(e.id);
        if (!keep) {
          walk(g.children, e.id);
          continue;
        }
        walk(g.children.filter((c) => keep.has(c)), e.id);
        const rest = g.children.filter((c) => !keep.has(c));
        const id = restId(e.id);
        const weight = rest.reduce((n, c) => n + weightOf(c), 0);
        extra.set(id, {
          id, pid: g.pid, children: rest, weight,
          label: `${rest.length} more of ${g.label}`,
          detail: `${plural(weight, 'process', 'processes')} not drawn one by one`,
        });
        units.push({ type: 'group', id });
        parentOf.set(id, e.id);
        for (const c of rest) assign(c, id);
        continue;
      }
      units.push(e);
      parentOf.set(unitId(e), parent);
      assign(e, unitId(e));
    }
  };
  walk(h.top, null);
  return { units, unitOf, parentOf, expanded, extra };
}

/** Groups that must be open for these pids to be drawn as themselves. */
export function groupsContaining(h: Hierarchy, pids: ReadonlySet<number>): Set<string> {
  const out = new Set<string>();
  const visit = (entries: Entry[], path: string[]): boolean => {
    let any = false;
    for (const e of entries) {
      if (e.type === 'process') {
        if (pids.has(e.pid)) {
          for (const g of path) out.add(g);
          any = true;
        }
      } else if (visit(h.groups.get(e.id)!.children, [...path, e.id])) {
        any = true;
      }
    }
    return any;
  };
  visit(h.top, []);
  return out;
}

/** A binary heap: `before(a, b)` = a comes out first. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m])) m = l;
        if (r < a.length && this.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
