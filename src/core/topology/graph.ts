// Builds the map's graph from a (filtered) snapshot: processes — or the groups they are
// aggregated into (hierarchy.ts) — as nodes; channels as edges between them (a pipe's writers →
// readers, a socket and its peer); shared memory, message queues and semaphores, and any channel
// with many holders, as shared object nodes every holder connects to. Edges between the same two
// nodes merge into one (their channels and rates summed), as do objects of one kind with the same
// holders, so what is drawn stays bounded by the drawn nodes, not by the channels. Channels whose
// every end is inside one node are counted on it ("internal"). Problems from the diagnosis mark
// the nodes and edges they name; the search (the trees' matching, src/core/filter.ts) marks and
// opens what it finds. Pure: the webview's worker runs it, the unit tests feed it snapshots.
import { CHANNEL_KINDS, type Channel, type ChannelKind, type ProcessInfo } from '../model';
import { kindOf } from '../kinds';
import { channelName, kindTitle, kindTitlePlural, shortText } from '../format';
import { formatOps, formatRate } from '../activity/format';
import { matchesText, namesObjects } from '../filter';
import { buildHierarchy, cutHierarchy, DEFAULT_BUDGET, groupsContaining, processUnitId } from './hierarchy';
import { edgeWidth } from './rates';
import {
  MAX_LISTED, type ChannelRate, type GroupBy, type KindFamily, type Severity, type TopoEdge, type TopoGraph, type TopoNode,
  type TopoProblem, type TopoProcess,
} from './types';
import { plural } from '../text';

/** Each kind's family on the map (core/kinds: `map`). */
export const FAMILY = Object.fromEntries(CHANNEL_KINDS.map((k) => [k, kindOf(k).map.family])) as Record<ChannelKind, KindFamily>;

/** Kinds drawn as a shared node every holder connects to. */
const SHARED = new Set<ChannelKind>(CHANNEL_KINDS.filter((k) => kindOf(k).map.shared));

/** A pipe or socket whose ends make more node pairs than this becomes a shared node instead (a jobserver pipe held by 50 processes is 50 spokes, not 2,500 edges). */
export const MAX_PAIRS = 4;

/** Processes a search may open groups for; beyond it matches are marked but groups stay as they are. */
export const MAX_FORCED_MATCHES = 200;

export interface BuildInput {
  processes: ReadonlyMap<number, TopoProcess>;
  /** Every channel of the snapshot (a shown socket's peer may be filtered out by text). */
  allChannels: ReadonlyMap<string, Channel>;
  /** Channels the trees' filter shows. */
  channels: readonly Channel[];
  /** Pids that pass the filter's process rules (null = no process rule), from allowedPids(). */
  allowed: ReadonlySet<number> | null;
  rates: ReadonlyMap<string, ChannelRate>;
  problems: readonly TopoProblem[];
  groupBy: GroupBy;
  expanded: ReadonlySet<string>;
  collapsed: ReadonlySet<string>;
  budget?: number;
  /** The map's own search box (same matching as the trees' text filter). */
  search?: string;
  /**
   * Does the Problems view list this problem (the trees' filter narrows it: core/filter.ts
   * problemVisible)? Omitted: it lists every one. The map counts what that view lists, so the two
   * agree; the marks on nodes and edges come from every problem given.
   */
  listed?: (p: TopoProblem) => boolean;
}

/** One exchange of data: a channel (or a socket with its peer) and the processes on each side. */
interface Conversation {
  ids: string[];
  kind: ChannelKind;
  /** Holders per channel id (a socket pair: each side's own). */
  holders: number[][];
  /** Writers and readers for pipes; side A and side B for sockets; all holders (a) for shared kinds. */
  a: number[];
  b: number[];
  directed: boolean;
  shared: boolean;
}

const uniq = (xs: number[]): number[] => [...new Set(xs)];

/** Processes that hold a channel (SysV queues and semaphores have no fds: their last users stand in). */
export function holdersOf(ch: Channel, present: (pid: number) => boolean): number[] {
  const out = ch.endpoints.map((e) => e.pid);
  if (out.length === 0) {
    if (ch.kind === 'sysv-msg') out.push(ch.lastSendPid, ch.lastRecvPid);
    else if (ch.kind === 'sysv-sem') out.push(...(ch.lastPid ?? []));
  }
  return uniq(out.filter((p) => p > 0 && present(p)));
}

function conversations(input: BuildInput, present: (pid: number) => boolean): Conversation[] {
  const out: Conversation[] = [];
  const paired = new Set<string>();
  for (const ch of input.channels) {
    if (paired.has(ch.id)) continue;
    if (SHARED.has(ch.kind)) {
      const a = holdersOf(ch, present);
      out.push({ ids: [ch.id], kind: ch.kind, holders: [a], a, b: [], directed: false, shared: true });
      continue;
    }
    if (ch.kind === 'pipe' || ch.kind === 'fifo') {
      const ok = (pid: number) => present(pid);
      const a = uniq(ch.endpoints.filter((e) => e.mode !== 'r' && ok(e.pid)).map((e) => e.pid));
      const b = uniq(ch.endpoints.filter((e) => e.mode !== 'w' && ok(e.pid)).map((e) => e.pid));
      out.push({ ids: [ch.id], kind: ch.kind, holders: [uniq([...a, ...b])], a, b, directed: true, shared: false });
      continue;
    }
    if (kindOf(ch.kind).ends === 'sides') {
      // a pty: its master holders on one side, its slave holders on the other (both ways)
      const side = (role: string) => uniq(ch.endpoints.filter((e) => e.role === role && present(e.pid)).map((e) => e.pid));
      const a = side('master');
      const b = side('slave');
      out.push({ ids: [ch.id], kind: ch.kind, holders: [uniq([...a, ...b])], a, b, directed: false, shared: false });
      continue;
    }
    // sockets: an edge only with the peer's holders (listeners and remote peers have none)
    const peerId = ch.kind === 'unix' || ch.kind === 'tcp' || ch.kind === 'udp' ? ch.peer : undefined;
    const peer = peerId !== undefined ? input.allChannels.get(peerId) : undefined;
    const a = holdersOf(ch, present);
    if (!peer) {
      out.push({ ids: [ch.id], kind: ch.kind, holders: [a], a, b: [], directed: false, shared: false });
      continue;
    }
    paired.add(peer.id);
    const b = holdersOf(peer, present);
    out.push({ ids: [ch.id, peer.id], kind: ch.kind, holders: [a, b], a, b, directed: false, shared: false });
  }
  return out;
}

const rank: Record<Severity, number> = { error: 3, warning: 2, info: 1 };
function worse(a: Severity | null, b: Severity | null): Severity | null {
  if (!a) return b;
  if (!b) return a;
  return rank[a] >= rank[b] ? a : b;
}

export function rateText(bytesPerSec: number, opsPerSec: number): string {
  // as every view writes a rate (core/text formatRate, activity formatOps)
  if (bytesPerSec > 0) return formatRate(bytesPerSec);
  if (opsPerSec > 0) return formatOps(opsPerSec);
  return 'idle';
}

/** Does the search match this process (pid exactly, or name / argv[0] as a substring; a key or an id names objects, never a process)? */
export function processMatches(p: TopoProcess, q: string): boolean {
  const s = q.trim().toLowerCase();
  if (!s) return false;
  if (/^\d+$/.test(s)) return p.pid === Number(s) || p.innerPid === Number(s);
  // as the trees' filter: a process another user named `0x49453175` does not hold that key's queue
  if (namesObjects(s)) return false;
  return p.comm.toLowerCase().includes(s) || (p.cmdline[0] ?? '').toLowerCase().includes(s);
}

export function buildTopology(input: BuildInput): TopoGraph {
  const procs = input.processes;
  const allowed = input.allowed;
  // Processes drawn: holders of shown channels (and of their sockets' peers) the process rules let through.
  const isKnown = (pid: number) => procs.has(pid) && (!allowed || allowed.has(pid));
  const convs = conversations(input, isKnown);
  const present = new Set<number>();
  for (const c of convs) for (const list of c.holders) for (const p of list) present.add(p);

  const hierarchy = buildHierarchy(procs, present, input.groupBy);

  // search: the trees' matching for channels, name / pid for processes
  const q = (input.search ?? '').trim();
  const matchedPids = new Set<number>();
  const matchedChannels = new Set<string>();
  if (q) {
    const asInfo = procs as unknown as ReadonlyMap<number, ProcessInfo>; // matchesText reads comm and cmdline[0] only
    for (const pid of present) if (processMatches(procs.get(pid)!, q)) matchedPids.add(pid);
    // a channel matched by its own facts (path, port, key, id) marks its holders; one matched only
    // through a holder's name (the trees show it for that holder) marks just that holder
    const noHolders = new Map<number, ProcessInfo>();
    for (const c of convs) {
      const own = c.ids.some((id) => {
        const ch = input.allChannels.get(id);
        return !!ch && matchesText(ch, q, noHolders);
      });
      if (own) for (const list of c.holders) for (const p of list) matchedPids.add(p);
    }
    for (const c of convs) {
      const hit = c.ids.some((id) => {
        const ch = input.allChannels.get(id);
        return !!ch && matchesText(ch, q, asInfo);
      });
      if (hit) for (const id of c.ids) matchedChannels.add(id);
    }
  }
  const forced = q && matchedPids.size <= MAX_FORCED_MATCHES ? groupsContaining(hierarchy, matchedPids) : new Set<string>();
  const cut = cutHierarchy(hierarchy, { userExpanded: input.expanded, userCollapsed: input.collapsed, forced, budget: input.budget ?? DEFAULT_BUDGET });

  // problems by channel and by pid
  const chSeverity = new Map<string, Severity>();
  const pidProblems = new Map<number, TopoProblem[]>();
  const chProblems = new Map<string, TopoProblem[]>();
  for (const p of input.problems) {
    for (const id of p.channels) {
      chSeverity.set(id, worse(chSeverity.get(id) ?? null, p.severity)!);
      const l = chProblems.get(id);
      if (l) l.push(p);
      else chProblems.set(id, [p]);
    }
    for (const pid of p.pids) {
      const l = pidProblems.get(pid);
      if (l) l.push(p);
      else pidProblems.set(pid, [p]);
    }
  }

  const nodes = new Map<string, TopoNode>();
  const blank = (id: string, type: TopoNode['type'], label: string, detail: string): TopoNode => ({
    id, type, label, detail, processes: 0, channels: 0, internal: 0, bytesPerSec: 0, opsPerSec: 0, severity: null, problems: [],
    family: null, channelIds: [], expandable: false, collapsible: false, parentGroup: null, match: false,
  });
  for (const u of cut.units) {
    if (u.type === 'process') {
      const p = procs.get(u.pid)!;
      const id = processUnitId(u.pid);
      const n = blank(id, 'process', `${shortText(p.comm, 40)}`, `pid ${u.pid}${p.innerPid !== null ? ` (${p.innerPid} inside)` : ''} · ${shortText(p.user, 32)}`);
      n.pid = u.pid;
      nodes.set(id, n);
    } else {
      const g = cut.extra.get(u.id) ?? hierarchy.groups.get(u.id)!;
      const n = blank(u.id, 'group', g.label, g.detail);
      n.pid = g.pid;
      n.expandable = true;
      nodes.set(u.id, n);
    }
  }
  for (const [id, parent] of cut.parentOf) {
    const n = nodes.get(id)!;
    n.parentGroup = parent;
    n.collapsible = parent !== null;
  }
  const addProblems = (n: TopoNode, list: readonly TopoProblem[] | undefined) => {
    if (!list) return;
    for (const p of list) {
      n.severity = worse(n.severity, p.severity);
      if (n.problems.length < 5 && !n.problems.includes(p.title)) n.problems.push(p.title);
    }
  };
  for (const [pid, unit] of cut.unitOf) {
    const n = nodes.get(unit)!;
    n.processes++;
    addProblems(n, pidProblems.get(pid));
    if (matchedPids.has(pid)) n.match = true;
  }

  const edges = new Map<string, TopoEdge & { ranked: Array<[string, number]> }>();
  const edgeFor = (x: string, y: string): TopoEdge & { ranked: Array<[string, number]> } => {
    const [s, t] = x < y ? [x, y] : [y, x];
    const id = `e:${s}|${t}`;
    let e = edges.get(id);
    if (!e) {
      e = { id, source: s, target: t, channels: 0, channelIds: [], families: [], bytesPerSec: 0, opsPerSec: 0, forward: false, backward: false, severity: null, match: false, width: 1, ranked: [] };
      edges.set(id, e);
    }
    return e;
  };
  const rates = input.rates;
  let tracer = 0;
  let queueDepth = 0;
  /** Channels something drawn stands for (an edge, a node's inside, a shared or unheld node). */
  const drawnIds = new Set<string>();

  for (const c of convs) {
    let bytes = 0;
    let ops = 0;
    let severity: Severity | null = null;
    const problems: TopoProblem[] = [];
    for (const id of c.ids) {
      const r = rates.get(id);
      if (r) {
        bytes += r.bytesPerSec;
        ops += r.opsPerSec;
        if (r.source === 'tracer') tracer++;
        else queueDepth++;
      }
      severity = worse(severity, chSeverity.get(id) ?? null);
      problems.push(...(chProblems.get(id) ?? []));
    }
    const match = c.ids.some((id) => matchedChannels.has(id));
    const unitsA = unitsOf(c.a, cut.unitOf);
    const unitsB = unitsOf(c.b, cut.unitOf);
    const all = [...new Set([...unitsA, ...unitsB])];
    // every node involved counts the channels it holds and the traffic
    for (let i = 0; i < c.ids.length; i++) {
      const held = new Set(c.holders[i].map((p) => cut.unitOf.get(p)).filter((u): u is string => !!u));
      for (const u of held) nodes.get(u)!.channels++;
    }
    for (const u of all) {
      const n = nodes.get(u)!;
      n.bytesPerSec += bytes;
      n.opsPerSec += ops;
    }
    const pairs: Array<[string, string]> = [];
    for (const x of unitsA) for (const y of unitsB) if (x !== y) pairs.push([x, y]);
    if (all.length > 0 || c.shared) for (const id of c.ids) drawnIds.add(id);

    if (!c.shared && pairs.length > 0 && pairs.length <= MAX_PAIRS) {
      for (const [x, y] of pairs) {
        const e = edgeFor(x, y);
        e.channels += c.ids.length;
        e.ranked.push([c.ids[0], bytes + ops]);
        for (const id of c.ids.slice(1)) e.ranked.push([id, -1]);
        if (!e.families.includes(FAMILY[c.kind])) e.families.push(FAMILY[c.kind]);
        e.bytesPerSec += bytes;
        e.opsPerSec += ops;
        if (c.directed) {
          if (x === e.source) e.forward = true;
          else e.backward = true;
        } else {
          e.forward = e.backward = true;
        }
        e.severity = worse(e.severity, severity);
        if (match) e.match = true;
      }
      continue;
    }
    if (all.length === 1) {
      // every end inside one node (or a socket without a peer, a pipe without its other end)
      const n = nodes.get(all[0])!;
      n.internal += 1;
      n.severity = worse(n.severity, severity);
      for (const p of problems) if (n.problems.length < 5 && !n.problems.includes(p.title)) n.problems.push(p.title);
      continue;
    }
    if (all.length === 0) {
      if (!c.shared) continue; // a socket whose holders are filtered out
      const id = `u:${c.kind}`;
      let n = nodes.get(id);
      if (!n) {
        n = blank(id, 'unheld', '', '');
        n.family = FAMILY[c.kind];
        nodes.set(id, n);
      }
      n.channels++;
      n.bytesPerSec += bytes;
      n.opsPerSec += ops;
      n.severity = worse(n.severity, severity);
      for (const p of problems) if (n.problems.length < 5 && !n.problems.includes(p.title)) n.problems.push(p.title);
      if (n.channelIds.length < MAX_LISTED) n.channelIds.push(c.ids[0]);
      if (match) n.match = true;
      n.label = plural(n.channels, `unheld ${kindTitle(c.kind)}`);
      n.detail = 'no process holds it (a leftover?)';
      continue;
    }
    if (!c.shared && pairs.length === 0 && c.b.length === 0 && !c.directed) {
      // a socket without a peer (a listener inherited by several processes): nothing flows between them
      for (const u of all) nodes.get(u)!.internal += 1;
      continue;
    }
    // a shared node: one per kind and set of holders (all.length ≥ 2 here): shared kinds, a pipe
    // or socket with many holder pairs, a pipe whose readers (or writers) are all gone
    const sorted = [...all].sort();
    const hubId = sorted.length <= 8 ? `o:${c.kind}:${sorted.join(',')}` : `o:${c.kind}:${c.ids[0]}`;
    let hub = nodes.get(hubId);
    if (!hub) {
      hub = blank(hubId, 'object', '', '');
      hub.family = FAMILY[c.kind];
      nodes.set(hubId, hub);
    }
    hub.channels += c.ids.length;
    hub.bytesPerSec += bytes;
    hub.opsPerSec += ops;
    hub.severity = worse(hub.severity, severity);
    for (const p of problems) if (hub.problems.length < 5 && !hub.problems.includes(p.title)) hub.problems.push(p.title);
    if (hub.channelIds.length < MAX_LISTED) hub.channelIds.push(c.ids[0]);
    if (match) hub.match = true;
    const ch = input.allChannels.get(c.ids[0])!;
    hub.label = hub.channelIds.length === 1 ? channelName(ch, 48) : `${hub.channels} ${kindTitlePlural(c.kind)}`;
    hub.detail = `${hub.channels === 1 ? kindTitle(c.kind) : kindTitlePlural(c.kind)} · ${all.length} holders`;
    for (const u of all) {
      const e = edgeFor(u, hubId);
      e.channels += c.ids.length;
      e.ranked.push([c.ids[0], bytes + ops]);
      if (!e.families.includes(FAMILY[c.kind])) e.families.push(FAMILY[c.kind]);
      e.bytesPerSec += bytes;
      e.opsPerSec += ops;
      if (c.directed) {
        // writer → pipe node → reader
        const writes = unitsA.includes(u);
        const reads = unitsB.includes(u);
        const fromUnit = e.source === u;
        if ((writes && fromUnit) || (reads && !fromUnit)) e.forward = true;
        if ((writes && !fromUnit) || (reads && fromUnit)) e.backward = true;
      } else {
        e.forward = e.backward = true;
      }
      e.severity = worse(e.severity, severity);
      if (match) e.match = true;
    }
  }

  // details: rates into words, busiest channels first
  for (const n of nodes.values()) {
    if (n.type === 'process' || n.type === 'group') {
      const parts = [n.detail];
      if (n.type === 'group') parts.push(plural(n.channels, 'channel'));
      // not "N inside": the same detail says "pid N (M inside)" for a pid in a namespace
      if (n.internal) parts.push(plural(n.internal, 'internal channel'));
      parts.push(rateText(n.bytesPerSec, n.opsPerSec));
      n.detail = parts.filter(Boolean).join(' · ');
    } else {
      n.detail = `${n.detail} · ${rateText(n.bytesPerSec, n.opsPerSec)}`;
    }
  }
  const outEdges: TopoEdge[] = [];
  for (const e of edges.values()) {
    e.ranked.sort((x, y) => y[1] - x[1]);
    e.channelIds = e.ranked.slice(0, MAX_LISTED).map(([id]) => id);
    e.width = edgeWidth(e.bytesPerSec, e.opsPerSec);
    const { ranked: _ranked, ...plain } = e;
    outEdges.push(plain);
  }
  // the problems as the Problems view lists them (every severity), and how many of those are about
  // nothing drawn: a process that holds no channel shown (a stopped one, a zombie), a file (a
  // stale socket file), a channel the map leaves out (a socket whose holders are filtered out)
  const problems: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  let notDrawn = 0;
  for (const p of input.problems) {
    if (input.listed && !input.listed(p)) continue;
    problems[p.severity]++;
    if (!p.channels.some((id) => drawnIds.has(id)) && !p.pids.some((pid) => present.has(pid))) notDrawn++;
  }
  return {
    nodes: [...nodes.values()],
    edges: outEdges,
    totals: { processes: present.size, channels: input.allChannels.size, shownChannels: input.channels.length, problems, notDrawn },
    rateSources: { tracer, queueDepth },
    matches: matchedPids.size,
  };
}

function unitsOf(pids: readonly number[], unitOf: ReadonlyMap<number, string>): string[] {
  const out = new Set<string>();
  for (const p of pids) {
    const u = unitOf.get(p);
    if (u) out.add(u);
  }
  return [...out];
}
