// Shared human formatting for the CLI, the tree views, the diagnosis and the webview: labels of
// processes, endpoints and channels, each channel's text read from its kind's descriptor
// (core/kinds). Pure functions, no vscode, no DOM. Everything that comes from a process (comm,
// paths, names) goes through escapeControl (core/escape.ts) and is bounded (CAPS); nothing here
// produces markup.
import type { Channel, ChannelKind, ContainerInfo, Endpoint, ProcessInfo } from './model';
import { channelFacts } from './columns';
import { describe, KINDS } from './kinds';
import { fdRanges, groupEndpoints, groupFds, rangesText, type EndpointGroup } from './endpointGroups';
import { bytesText, CAPS, hexBytes, hexText, isHexBytes, shortText, shownComm, plural } from './text';

export { escapeControl } from './escape';

export { CAPS, formatBytes, shortText, shownCmdline, shownCommand, shownComm, summarizeList } from './text';

export function kindTitle(kind: ChannelKind): string {
  return KINDS[kind].title;
}

/** The kind's title for several of them: `12 Pipes`, `3 FIFOs`, `87 Shared anonymous memory regions` (memory is no count noun). */
export function kindTitlePlural(kind: ChannelKind): string {
  const t = kindTitle(kind).replace(/ \(.*\)$/, '');
  if (!/memory$/.test(t)) return t + 's';
  return t + (kind === 'sysv-shm' ? ' segments' : kind === 'anon-shm' ? ' regions' : ' objects');
}

/**
 * The kind's title inside a sentence (`No pipe open right now`): its first letter lowered only when
 * its first word is an ordinary word — an acronym or a mixed-case name (SysV, POSIX, TCP, FIFO) and
 * the proper name Unix keep their spelling, as every other view writes them.
 */
export function kindTitleInSentence(kind: ChannelKind): string {
  const t = kindTitle(kind);
  const first = t.split(/[\s(]/, 1)[0];
  if (/^Unix$/.test(first) || /\p{Lu}/u.test(first.slice(1))) return t;
  return t.charAt(0).toLowerCase() + t.slice(1);
}

export function kindTeaching(kind: ChannelKind): string {
  return KINDS[kind].teaching;
}

type ProcLookup = ReadonlyMap<number, ProcessInfo> | ((pid: number) => ProcessInfo | undefined);
function lookup(p: ProcLookup | undefined, pid: number): ProcessInfo | undefined {
  if (!p) return undefined;
  return typeof p === 'function' ? p(pid) : p.get(pid);
}

/** `alice (uid 1000)`; a setuid program also says whose rights it runs with: `alice (uid 1000, running as uid 0)`. */
export function userText(p: Pick<ProcessInfo, 'user' | 'uid' | 'euid'>): string {
  return `${p.user} (uid ${p.uid}${p.euid !== undefined && p.euid !== p.uid ? `, running as uid ${p.euid}` : ''})`;
}

/**
 * A process name as labels show it: escaped and bounded, and quoted (`"x[1] → cron"`) when it holds
 * what labels are made of — brackets, an arrow (`→`, or `->`, the arrow of the CLI's text in a
 * locale that is not UTF-8: cli/locale.ts), a comma, a quote, spaces at an end — or is empty, so a
 * name cannot pose as a label's own parts (`x[1] → cron[666] → reader[9]`: a flow that is not
 * there). Everyday names (`nginx`, `kworker/0:1`, `(sd-pam)`) stay as they are.
 */
export function commText(comm: string, max = 64): string {
  const t = shortText(comm, max);
  return t === '' || /[[\]→,"]|->|^ | $/.test(t) ? `"${t.replace(/"/g, '\\"')}"` : t;
}

/** `nginx[812]`: a process name and its pid (commText). */
export function commLabel(comm: string, pid: number, max = 64): string {
  return `${commText(comm, max)}[${pid}]`;
}

/** Whether the scan kept only the first bytes of the process's command line (its bound: the read error `cmdline EFBIG`). */
export function cmdlineCut(p: Pick<ProcessInfo, 'errors'>): boolean {
  return (p.errors ?? []).some((e) => e.field === 'cmdline' && e.code === 'EFBIG');
}

/** `nginx[812]`, `worker[812, thread 815]` (a thread with an fd table of its own), or `[812]` when the process is unknown. */
export function processLabel(pid: number, proc: Pick<ProcessInfo, 'comm' | 'commBytes' | 'threadOf'> | undefined): string {
  if (!proc) return `[${pid}]`;
  const comm = shownComm(proc);
  return proc.threadOf !== undefined ? `${commText(comm)}[${proc.threadOf}, thread ${pid}]` : commLabel(comm, pid);
}

/**
 * `podman web (3f2a9c1b7d4e)`, `cri-o api (1a2b…), pod prod/api-7d9`: runtime, name, short id, pod.
 * The names come from the runtime's state on disk — a rootless runtime's is in its user's home,
 * every byte that user's text — so they are escaped and bounded like a process name.
 */
export function containerLabel(c: ContainerInfo): string {
  const id = c.name === c.id ? '' : ` (${shortText(c.id.slice(0, 12), 12)})`;
  const pod = c.pod ? `, pod ${c.pod.namespace ? `${shortText(c.pod.namespace, 64)}/` : ''}${shortText(c.pod.name ?? c.pod.uid, CAPS.name)}` : '';
  return `${c.runtime}${c.name !== null ? ` ${shortText(c.name, CAPS.name)}` : ''}${id}${pod}${c.rootlessUid !== null ? `, rootless (uid ${c.rootlessUid})` : ''}`;
}

/**
 * A mapping as holders are listed: its range, and `from byte N` when it shows the object from
 * further in than its start (mapOffset): a peek's offsets are the object's, so which window a
 * holder maps is what tells its mapping from another's.
 */
export function mapText(ep: Pick<Endpoint, 'map' | 'mapOffset'>): string {
  return `${shortText(ep.map ?? '?', 64)}${ep.mapOffset ? ` from byte ${ep.mapOffset}` : ''}`;
}

/** `nginx[812] fd 5 (w)` or `postgres[90] map 7f12…-7f13… (rw)`. */
export function endpointLabel(ep: Endpoint, proc?: Pick<ProcessInfo, 'comm' | 'commBytes' | 'threadOf'>): string {
  const where = ep.fd !== undefined ? `fd ${ep.fd}` : ep.map !== undefined ? `map ${mapText(ep)}` : 'no fd';
  return `${processLabel(ep.pid, proc)} ${where} (${ep.role ? `${ep.role}, ` : ''}${ep.mode})`;
}

/**
 * `dupbomb[8275] fd 4–9,11–19999 (w)`: a process's endpoints of one mode (core/endpointGroups), its
 * fds as ranges, its mappings each (`map A,B`); endpointLabel's spelling for a group of one.
 * Lossless (every fd and mapping of the group is in it) unless `max` bounds the runs or mappings
 * listed (`,… N more`): a tooltip's line, not the CLI's table.
 */
export function endpointGroupLabel(g: EndpointGroup, proc?: Pick<ProcessInfo, 'comm' | 'commBytes' | 'threadOf'>, max?: number): string {
  if (g.endpoints.length === 1) return endpointLabel(g.endpoints[0], proc);
  return `${processLabel(g.pid, proc)} ${endpointGroupWhere(g, max)} (${g.role ? `${g.role}, ` : ''}${g.mode})`;
}

/** `fd 4–9,11–19999` or `map A,B` (endpointGroupLabel without the process and mode). */
export function endpointGroupWhere(g: EndpointGroup, max?: number): string {
  if (g.via === 'fd') return `fd ${rangesText(fdRanges(groupFds(g)), max)}`;
  const shown = max === undefined ? g.endpoints : g.endpoints.slice(0, max);
  const rest = g.endpoints.length - shown.length;
  return `map ${shown.map(mapText).join(',')}${rest > 0 ? `,\u2026 ${rest.toLocaleString('en-US')} more` : ''}`;
}

/**
 * The channel as its name is shown: a POSIX object whose name is not UTF-8 (its id `KIND:bytes/HEX`)
 * named by those bytes (bytesText: `q\xff`), not by its `name`, the lossy text (`q\ufffd`) that two
 * such objects, and a valid name, share. Every other channel as it is.
 */
export function shownChannel<C extends Channel>(ch: C): C {
  // a FIFO path that is not UTF-8, by its bytes: `/tmp/f\xff` and `/tmp/f\xfe` must not both read `/tmp/f\ufffd`
  if (ch.kind === 'fifo' && isHexBytes(ch.pathBytes)) return { ...ch, path: hexText(ch.pathBytes, ch.path) };
  // an object named by its holders' fds or mappings (deleted, another mount's, a subdirectory's) whose name is not UTF-8
  if ((ch.kind === 'posix-shm' || ch.kind === 'posix-sem' || ch.kind === 'posix-mq') && isHexBytes(ch.nameBytes)) return { ...ch, name: hexText(ch.nameBytes, ch.name) };
  if (ch.kind === 'unix' && isHexBytes(ch.nameBytes)) {
    // a socket name that is not UTF-8, by its bytes: `@q\xff` and `@q\xfe` must not both read `@q\ufffd`
    const text = bytesText(hexBytes(ch.nameBytes));
    return ch.path !== undefined ? { ...ch, path: text } : ch.abstract !== undefined ? { ...ch, abstract: text } : ch;
  }
  const m = /^[a-z-]+:bytes\/((?:[0-9a-f]{2})+)$/.exec(ch.id);
  if (!m || !('name' in ch) || typeof ch.name !== 'string') return ch;
  return { ...ch, name: bytesText(hexBytes(m[1])) };
}

/** A named object's name as shown (shownChannel: a name that is not UTF-8 by its bytes), for messages: escaped where they are shown. */
export function shownName(ch: Channel): string {
  const s = shownChannel(ch) as { name?: unknown };
  return typeof s.name === 'string' ? s.name : ch.id;
}

/** The object's own name (path, key, address) without endpoints; names longer than `max` end in `…`. */
export function channelName(ch: Channel, max: number = CAPS.name): string {
  return describe(ch).name(shownChannel(ch), max);
}

function sides(ch: Channel, procs: ProcLookup | undefined): string {
  if (ch.endpoints.length === 0) return '';
  // each process labelled once, not once per endpoint (a pipe end dup'd 200,000 times is a handful of processes)
  const uniq = (eps: Endpoint[]) => [...new Set(eps.map((e) => e.pid))].map((pid) => processLabel(pid, lookup(procs, pid)));
  const some = (u: string[]) => (u.length > 3 ? `${u.slice(0, 3).join(', ')} +${u.length - 3}` : u.join(', '));
  const d = describe(ch);
  if (d.ends === 'sides' && d.roles) {
    // a pty: masters ⇄ slaves (a side nobody holds reads `?`)
    const [a, b] = d.roles;
    return `${some(uniq(ch.endpoints.filter((e) => e.role === a))) || '?'} \u21c4 ${some(uniq(ch.endpoints.filter((e) => e.role === b))) || '?'}`;
  }
  if (d.ends === 'flow') {
    const w = uniq(ch.endpoints.filter((e) => e.mode !== 'r'));
    const r = uniq(ch.endpoints.filter((e) => e.mode !== 'w'));
    return `${some(w) || '?'} → ${some(r) || '?'}`;
  }
  return some(uniq(ch.endpoints));
}

/** `pipe:[4901] nginx[812] → worker[813]` (at most 3 processes a side, names up to `maxName`). */
export function channelLabel(ch: Channel, processesByPid?: ProcLookup, maxName: number = CAPS.name): string {
  const s = sides(ch, processesByPid);
  return s ? `${channelName(ch, maxName)}  ${s}` : channelName(ch, maxName);
}

/**
 * The tree's label: what the object means first (`nginx[812] → worker[813]` for a pipe, a path, a
 * key, a name), through its kind's `label` (default: the name, then who holds it).
 */
export function channelTreeLabel(ch: Channel, processesByPid?: ProcLookup, maxName: number = CAPS.name): string {
  const d = describe(ch);
  const s = sides(ch, processesByPid);
  if (d.label) return d.label(ch, s);
  return s ? `${channelName(ch, maxName)}  ${s}` : channelName(ch, maxName);
}

/** Short facts: bytes queued, messages, state, size. */
export function channelDescription(ch: Channel): string {
  return describe(ch).description(ch);
}

/** A title for the panel and confirmations: kind, identity and key facts (escaped). */
export function channelTitle(ch: Channel): string {
  return describe(ch).longTitle(shownChannel(ch));
}

/** The facts of a tooltip: its name, short facts, then every column with a value (or why it has none); pids named comm[pid] when known. Plain text. */
export function channelFactLines(shown: Channel, processesByPid?: ProcLookup): string[] {
  const ch = shownChannel(shown);
  const d = describe(ch);
  const lines = [`${d.title}: ${channelName(ch)}`];
  const desc = d.description(ch);
  if (desc) lines.push(desc);
  for (const f of channelFacts(ch, d.columns, CAPS.line)) {
    // A pid column names its processes the one way (comm[pid]) when they are known.
    const text = f.pids?.length && processesByPid ? f.pids.map((pid) => processLabel(pid, lookup(processesByPid, pid))).join(', ') : f.text;
    lines.push(`${f.title}: ${text}`);
  }
  return lines;
}

/** Holders a tooltip lists: at most this many, each a process's fds of one mode (endpointGroupLabel) with at most HOLDER_RUNS runs. */
export const HOLDER_LINES = 20;
const HOLDER_RUNS = 16;

/**
 * A tooltip's holders: a process's endpoints of one mode on one line (`dupbomb[8275] fd 4–9,11–19999 (w)`),
 * at most HOLDER_LINES lines, then `… N more endpoints`.
 */
export function holderLines(ch: Channel, processesByPid?: ProcLookup): string[] {
  const groups = groupEndpoints(ch.endpoints);
  const lines = groups.slice(0, HOLDER_LINES).map((g) => endpointGroupLabel(g, lookup(processesByPid, g.pid), HOLDER_RUNS));
  let rest = 0;
  for (let i = HOLDER_LINES; i < groups.length; i++) rest += groups[i].endpoints.length;
  if (rest > 0) lines.push(`\u2026 ${plural(rest, 'more endpoint')}`);
  return lines;
}

/** Tooltip: title, what the object is, its short facts, then every column that has a value (or says why it has none), then its holders (plain text). */
export function channelTooltipLines(ch: Channel, processesByPid?: ProcLookup): string[] {
  const [first, ...facts] = channelFactLines(ch, processesByPid);
  const lines = [first, describe(ch).teaching, ...facts];
  if (ch.endpoints.length === 0) lines.push('no process holds it open');
  lines.push(...holderLines(ch, processesByPid).map((l) => '  ' + l));
  return lines;
}
