// The topology map's data shapes: what the map needs of a process (a projection of ProcessInfo
// small enough to post to a webview on every refresh), per-channel rates, and the aggregated
// graph the map draws. Plain data, no behaviour; shared by the host, the webview and its worker.
import type { Channel, ContainerInfo, ProcessInfo } from '../model';
import { shownCmdline, shownComm } from '../text';
import { groupEndpoints } from '../endpointGroups';

/**
 * What the map (and the trees' filter, src/core/filter.ts, which reads pid, ppid, comm,
 * cmdline[0], uid, cwd and exe) needs of a process. `cmdline` keeps only argv[0].
 */
export interface TopoProcess extends Pick<ProcessInfo, 'pid' | 'ppid' | 'comm' | 'cmdline' | 'uid' | 'user' | 'startTime' | 'state' | 'cwd' | 'exe'> {
  container: Pick<ContainerInfo, 'runtime' | 'id' | 'name' | 'pod'> | null;
  /** Pid inside the innermost pid namespace (last of NSpid), when it differs from `pid`. */
  innerPid: number | null;
  /** ProcessInfo's namespaces, always present here (null when unreadable). */
  pidns: NonNullable<ProcessInfo['pidns']> | null;
  netns: NonNullable<ProcessInfo['netns']> | null;
}

export function projectProcess(p: ProcessInfo): TopoProcess {
  const ns = p.nsPid ?? [];
  const inner = ns.length > 1 ? ns[ns.length - 1] : null;
  const c = p.container ?? null;
  return {
    pid: p.pid,
    ppid: p.ppid,
    comm: shownComm(p), // as shown: a name that is not UTF-8 by its bytes (`bad\xff`)
    cmdline: p.cmdline.length ? [shownCmdline(p)[0]] : [],
    uid: p.uid,
    user: p.user,
    startTime: p.startTime,
    state: p.state,
    cwd: p.cwd,
    exe: p.exe,
    container: c ? { runtime: c.runtime, id: c.id, name: c.name, pod: c.pod } : null,
    innerPid: inner !== null && inner !== p.pid ? inner : null,
    pidns: p.pidns ?? null,
    netns: p.netns ?? null,
  };
}

/**
 * What the map needs of a channel: who holds it and which way, not through which fds — one
 * endpoint per process, mode and fd-or-mapping (core/endpointGroups). A pipe end dup'd 200,000
 * times was 7 MB of a `full` message and of every delta that changed it; the channel itself
 * (unchanged, not copied) when no process holds it twice the same way.
 */
export function projectChannel(ch: Channel): Channel {
  const groups = groupEndpoints(ch.endpoints);
  if (groups.length === ch.endpoints.length) return ch;
  return { ...ch, endpoints: groups.map((g) => g.endpoints[0]) };
}

/** Where a rate came from: the BPF tracer (real bytes and calls) or queue-depth changes between snapshots (a lower bound). */
export type RateSource = 'tracer' | 'queue-depth';

export interface ChannelRate {
  bytesPerSec: number;
  opsPerSec: number;
  source: RateSource;
}

/** Rates by channel id (the snapshot's ids). Channels without an entry are idle as far as is known. */
export type RateMap = Map<string, ChannelRate>;

/** How processes are aggregated. */
export type GroupBy = 'tree' | 'container';

export type Severity = 'error' | 'warning' | 'info';

/** A diagnosis problem as the map needs it (from core/diagnose's Problem). Text is plain, never markup. */
export interface TopoProblem {
  id: string;
  severity: Severity;
  title: string;
  channels: string[];
  pids: number[];
}

/** Kinds of drawn nodes. */
export type TopoNodeType =
  /** One process. */
  | 'process'
  /** A collapsed set of processes (a process subtree, a container, a pid namespace). */
  | 'group'
  /** A shared object (queue, shared memory, semaphore) or a channel with many holders, or several of them with the same holders. */
  | 'object'
  /** Objects nobody holds (leftovers), one node per kind. */
  | 'unheld';

/** Family of a channel kind, for colours and legends. */
export type KindFamily = 'pipe' | 'socket' | 'queue' | 'shm' | 'sem';

export interface TopoNode {
  id: string;
  type: TopoNodeType;
  /** Plain text (escaped of control characters and bounded); drawn with fillText / textContent. */
  label: string;
  /** Second line: counts, container, rates. Plain text. */
  detail: string;
  /** The process (type process), or the group's root process. */
  pid?: number;
  /** Processes inside (1 for a process). */
  processes: number;
  /** Channels it holds or stands for. */
  channels: number;
  /** Channels whose every end is inside this node (not drawn as edges). */
  internal: number;
  /** Sum of the rates of its channels (internal included), bytes/s and ops/s. */
  bytesPerSec: number;
  opsPerSec: number;
  /** Worst severity of a problem naming one of its processes or channels. */
  severity: Severity | null;
  /** Problem titles (first few) for the details pane. */
  problems: string[];
  /** For object/unheld nodes: kind family; for a process/group: null. */
  family: KindFamily | null;
  /** Channel ids it stands for (object/unheld nodes; first MAX_LISTED). */
  channelIds: string[];
  /** A group that can be expanded / a node that can be collapsed into its group. */
  expandable: boolean;
  collapsible: boolean;
  /** The group this node would collapse into (for process/group nodes inside an expanded group). */
  parentGroup: string | null;
  /** The search matched it (or something inside it); false when there is no search. */
  match: boolean;
}

export interface TopoEdge {
  id: string;
  source: string;
  target: string;
  /** Channels this edge stands for (pipes, sockets … between the two nodes). */
  channels: number;
  /** The first MAX_LISTED channel ids, busiest first. */
  channelIds: string[];
  families: KindFamily[];
  bytesPerSec: number;
  opsPerSec: number;
  /** Data flows source → target (a pipe's writer → reader) / target → source; both for sockets and shared objects. */
  forward: boolean;
  backward: boolean;
  severity: Severity | null;
  match: boolean;
  /** Drawn width in CSS pixels (edgeWidth of the rates). */
  width: number;
}

export interface TopoGraph {
  nodes: TopoNode[];
  edges: TopoEdge[];
  /**
   * Counts before aggregation (after the filter). `problems`: the problems the Problems view lists
   * for the same filter, by severity (it lists all three; its badge and the status bar count errors
   * and warnings); `notDrawn`: how many of those name nothing the map draws (a process holding no
   * channel shown, a stale socket file), so no node or edge carries them.
   */
  totals: { processes: number; channels: number; shownChannels: number; problems: Record<Severity, number>; notDrawn: number };
  /** Which rate source fed the widths: tracer for some channels, queue depth for the rest. */
  rateSources: { tracer: number; queueDepth: number };
  /** Processes that matched the search (0 without one). */
  matches: number;
}

/** Channel ids listed per node/edge (the count says how many there are). */
export const MAX_LISTED = 50;

/** Snapshot data as the map's worker keeps it. */
export interface TopoData {
  processes: ReadonlyMap<number, TopoProcess>;
  channels: ReadonlyMap<string, Channel>;
}
