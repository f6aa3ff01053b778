// `ipc-inspector snapshot [--json] [--kind K…] [--pid P…] [--no-native] [--all-processes]`:
// one snapshot, as a table grouped by kind (like `ss` / `lsipc`; the columns are each kind's,
// core/kinds) or as the snapshot contract JSON; --all-processes adds a section of every process
// to the table. Every string that comes from a process (comm, paths, names) goes through
// escapeControl: the table is always one line per channel.
import type { Channel, ChannelKind, ProcessInfo, Snapshot } from '../core/model';
import { CONTAINER_OPTION_HELP, containerMembers, noContainerWarning } from './containerFilter';
import { CHANNEL_KINDS } from '../core/model';
import { COMMON_COLUMNS, columnValue, formatValue, type Column } from '../core/columns';
import { containerLabel, endpointGroupLabel, escapeControl, kindTitle, processLabel, shownChannel } from '../core/format';
import { shownCommand } from '../core/text';
import { kindOf } from '../core/kinds';
import { groupEndpoints } from '../core/endpointGroups';
import { safeJson } from '../core/escape';
import { takeSnapshot, type SnapshotOptions } from '../core/snapshot';
import { parseKinds, parseOptions, parsePids, SELECT_OPTIONS, usageLines, type OptionSpec, type Parsed } from './args';
import { writeJsonStream } from './jsonStream';
import { missingPids, noAskedPidExists } from './common';
import type { Output } from './output';
import { displayWidth } from './width';

export const SNAPSHOT_USAGE = 'usage: ipc-inspector snapshot [--json] [--kind KIND]... [--pid PID]... [--container NAME|ID]... [--no-native] [--all-processes] [--closed]';

const OPTIONS: readonly OptionSpec[] = [
  ...SELECT_OPTIONS.slice(0, -1),
  { name: 'container', type: 'list', short: 'c', metavar: 'NAME|ID', help: `only channels processes of these containers hold (${CONTAINER_OPTION_HELP})` },
  { name: 'closed', type: 'flag', help: 'list one by one the TCP connections their processes closed (TIME-WAIT, FIN-WAIT…); the table sums them up in one line (--json always lists them)' },
  ...SELECT_OPTIONS.slice(-1),
];

export function snapshotHelp(): string {
  return `${SNAPSHOT_USAGE}\n\nLists every IPC channel on this machine once, grouped by kind.\n\noptions:\n${usageLines(OPTIONS).join('\n')}\n`;
}

/**
 * The snapshot narrowed to the channels a process of these containers holds (as `--pid` narrows
 * to a process's), with those processes and the other holders of the kept channels; and the
 * names no container answered to.
 */
export function byContainer(snap: Snapshot, wanted: readonly string[]): { snapshot: Snapshot; unmatched: string[] } {
  const { pids: members, unmatched } = containerMembers(snap, wanted);
  const channels = snap.channels.filter((ch) => ch.endpoints.some((e) => members.has(e.pid)));
  const keep = new Set(members);
  for (const ch of channels) for (const e of ch.endpoints) keep.add(e.pid);
  return { snapshot: { ...snap, channels, processes: snap.processes.filter((p) => keep.has(p.pid)) }, unmatched };
}

/**
 * A snapshot narrowed to `containers` when given (every process is read to know its container; the
 * narrowing comes after the scan), with every process kept under --all-processes; and the names no
 * container answered to.
 */
export async function containerSnapshot(opts: SnapshotOptions, containers: readonly string[] | undefined): Promise<{ snapshot: Snapshot; unmatched: string[] }> {
  if (!containers) return { snapshot: await takeSnapshot(opts), unmatched: [] };
  const all = await takeSnapshot({ ...opts, processes: 'all' });
  const n = byContainer(all, containers);
  return { snapshot: opts.processes === 'all' ? { ...n.snapshot, processes: all.processes } : n.snapshot, unmatched: n.unmatched };
}

/** takeSnapshot options from the shared --kind/--pid/--no-native/--all-processes options. */
export function snapshotOptions(p: Parsed): SnapshotOptions {
  const opts: SnapshotOptions = {};
  const kinds = parseKinds(p.lists.get('kind'));
  const pids = parsePids(p.lists.get('pid'));
  if (kinds) opts.kinds = kinds;
  if (pids) opts.pids = pids;
  if (p.flags.has('no-native')) opts.useNative = false;
  if (p.flags.has('all-processes')) opts.processes = 'all';
  return opts;
}

/** Columns of the table for one kind: ID, the kind's columns (core/kinds) but the wide ones (still in --json), ENDPOINTS last. */
export function tableColumns(kind: ChannelKind): Column<Channel>[] {
  const [id, , endpoints] = COMMON_COLUMNS as readonly Column<Channel>[];
  return [id, ...kindOf(kind).columns.filter((c) => !c.wide), endpoints];
}

/**
 * One cell: text, never more than one line. ENDPOINTS lists a process's fds of one mode as one
 * entry, `dupbomb[8275] fd 4–9,11–19999 (w)` (core/endpointGroups): any user can dup one pipe end
 * to the fd limit in many processes, which made one line of megabytes of `fd N (w)`; --json keeps
 * every endpoint.
 */
export function cell(ch: Channel, col: Column<Channel>, procs: ReadonlyMap<number, ProcessInfo>): string {
  if (col.id === 'endpoints') {
    if (ch.endpoints.length === 0) return '-';
    const groups = groupEndpoints(ch.endpoints);
    // by whole groups (one process's fds of one mode), which read back exactly, however long one is
    return listCell(groups.length, (i) => endpointGroupLabel(groups[i], procs.get(groups[i].pid)), ', ', ENDPOINT_GROUPS_MAX, Infinity);
  }
  const v = columnValue(ch, col.id);
  if (v === undefined || v === null) return '-';
  // a relative (or chrooted) socket name with the absolute path it names beside it, as the trees
  // show it: PATH RESOLVED itself is one of the columns only --json has
  if ((col.id as string) === 'path' && ch.kind === 'unix' && ch.pathResolved !== undefined) return `${formatValue(col, v, ch)} (${escapeControl(ch.pathResolved)})`;
  if (Array.isArray(v)) {
    const runs = valueRuns(v.map((x) => escapeControl(String(x))));
    return listCell(runs.length, (i) => runs[i], ',', Infinity, LIST_CELL_MAX);
  }
  return formatValue(col, v, ch);
}

/**
 * The most a list cell shows: characters of a value list (a semaphore set's VALUES), processes'
 * groups of ENDPOINTS. One user's 32,000 semaphores, or 2,000 processes sharing one pipe, made
 * rows of 190 KB. The rest is counted, and --json keeps every one. Names and paths are never cut:
 * they are what a user copies.
 */
export const LIST_CELL_MAX = 1024;
export const ENDPOINT_GROUPS_MAX = 64;

/** Items joined by `sep`, at most `maxItems` of them and `maxChars` (the first always), then `… +N more`. */
function listCell(n: number, item: (i: number) => string, sep: string, maxItems: number, maxChars: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    if (i >= maxItems) return `${out}${sep}… +${n - i} more`;
    const s = item(i);
    if (i > 0 && out.length + sep.length + s.length > maxChars) return `${out}${sep}… +${n - i} more`;
    out += (i > 0 ? sep : '') + s;
  }
  return out;
}

/** Values with each run of three or more equal ones as `V×N` (a fresh semaphore set: `0×32000`). */
function valueRuns(values: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i + 1;
    while (j < values.length && values[j] === values[i]) j++;
    if (j - i >= 3) out.push(`${values[i]}×${j - i}`);
    else for (let k = i; k < j; k++) out.push(values[k]);
    i = j;
  }
  return out;
}

/** Widest a column is padded to in the text table. */
export const COLUMN_MAX = 48;

/** The share of a column's cells its width fits (the rest, longer, shift their own rows). */
const FITTED_SHARE = 0.95;
/** Cells this short are all fitted: a column set on a few rows only (MNT NS) must not shift the very rows it is for. */
const SHORT_CELL = 16;

/** A column's width: its label's, or more to fit FITTED_SHARE of its cells (all of them when none is long), at most `max` (or the label). */
function columnWidth(label: number, cells: readonly string[][], i: number, max = COLUMN_MAX): number {
  const lengths = new Uint32Array(cells.length);
  for (let k = 0; k < cells.length; k++) lengths[k] = displayWidth(cells[k][i]);
  lengths.sort();
  const widest = lengths.length ? lengths[lengths.length - 1] : 0;
  const fitted = widest <= SHORT_CELL ? widest : lengths[Math.max(0, Math.ceil(lengths.length * FITTED_SHARE) - 1)];
  return Math.min(Math.max(label, fitted), Math.max(max, label));
}

/** A cell that reads as a number (`4242`, `-4001`), or none (`-`). */
const NUMBER_CELL = /^(?:-?\d+(?:\.\d+)?|-)$/;

/**
 * Whether a column is right-aligned, as ss and lsof align counts: a number column whose cells all
 * print as numbers. One its format prints as text (netlink's PROTO `rtnl (NETLINK_ROUTE)`, raw's
 * `vrrp(112)`, a SysV KEY `0x00000000 (IPC_PRIVATE)`) is left-aligned, as ss and ipcs print them:
 * its JSON type is a number, but its cells are names.
 */
function rightAligned(col: Column<Channel>, cells: readonly string[][], i: number): boolean {
  if (!col.type.startsWith('number') || col.type.startsWith('number[]')) return false;
  if (!col.format) return true;
  for (const r of cells) if (!NUMBER_CELL.test(r[i])) return false;
  return true;
}

function pad(s: string, w: number, right: boolean): string {
  // in terminal columns (escapeControl leaves no control characters): a wide or combining one
  // in a name another user chose must not move the columns after it
  const len = displayWidth(s);
  return right ? ' '.repeat(Math.max(0, w - len)) + s : s + ' '.repeat(Math.max(0, w - len));
}

/** The human table: one section per kind that has channels, in contract order. */
/** Lines per piece tableChunks yields: the table of a machine with millions of fds is more text than one string may hold. */
const CHUNK_LINES = 4096;

export interface TableOptions {
  /** A section of every process after the channels (--all-processes). */
  processes?: boolean;
  /** List the channels a kind folds (TCP's closed connections) as rows under their one line, with widths of their own, not as that line alone (--closed). */
  folded?: boolean;
}

/**
 * The table as whole-line pieces of at most CHUNK_LINES lines each (each ends with a newline). A
 * kind's folded channels (kind.fold: a web server's thousands of TIME-WAITs, which no process
 * holds) are one line after its rows, as the Channels view's fold row, unless `folded`.
 */
export function* tableChunks(snap: Snapshot, o: TableOptions = {}): Generator<string> {
  const procs = new Map(snap.processes.map((p) => [p.pid, p]));
  let out: string[] = [];
  let any = false;
  const flush = function* (): Generator<string> {
    if (out.length) yield out.join('\n') + '\n';
    out = [];
  };
  /** A header and its rows, with widths of their own; the ID column at most `idMax` wide. */
  const block = function* (rows: readonly Channel[], cols: readonly Column<Channel>[], idMax = COLUMN_MAX): Generator<string> {
    // a POSIX name that is not UTF-8 by its bytes (shownChannel), like every other view of it
    const cells = rows.map((ch) => cols.map((col) => cell(shownChannel(ch), col, procs)));
    // Column widths (loops, not Math.max(...cells): a spread of 100k+ rows overflows the stack):
    // wide enough for nineteen cells in twenty, at most COLUMN_MAX. A few long cells — a FIFO path
    // of 4,000 characters, an abstract name of escaped NULs — are printed whole and shift their
    // own rows only, not every row.
    const widths = cols.map((col, i) => columnWidth(col.label.length, cells, i, i === 0 ? idMax : COLUMN_MAX));
    const numeric = cols.map((col, i) => rightAligned(col, cells, i));
    const line = (r: string[]) =>
      r
        .map((s, i) => (i === r.length - 1 ? s : pad(s, widths[i], numeric[i])))
        .join('  ')
        .trimEnd();
    out.push(line(cols.map((c) => c.label)));
    for (const r of cells) {
      out.push(line(r));
      if (out.length >= CHUNK_LINES) yield* flush();
    }
  };
  for (const kind of CHANNEL_KINDS) {
    const all = snap.channels.filter((c) => c.kind === kind);
    if (all.length === 0) continue;
    const fold = kindOf(kind).fold;
    // one pass: the rows the kind holds, and what it folds into one line after them (listed
    // under that line with --closed; counted apart in the title either way)
    const held: Channel[] = [];
    const folded: Channel[] = [];
    if (fold) for (const c of all) (fold.holds(c) ? folded : held).push(c);
    const cols = tableColumns(kind);
    if (any) out.push('');
    any = true;
    out.push(`${kindTitle(kind)} (${(fold ? held : all).length.toLocaleString('en-US')}${folded.length && fold ? ` + ${folded.length.toLocaleString('en-US')} ${fold.counted}` : ''})`);
    const rows = fold ? held : all;
    if (rows.length || !folded.length) yield* block(rows, cols);
    if (!folded.length || !fold) continue;
    if (!o.folded) {
      out.push(`\u2026 ${fold.label(folded.length)}: ${fold.description(folded)} (--closed lists them)`);
      continue;
    }
    // --closed: under the same line, as a block of their own with its own widths. Among the held
    // rows their ids (`tcp:NETNS:[::ffff:127.0.0.1]:41000->[::ffff:127.0.0.1]:8080`, longer than
    // COLUMN_MAX) widened every held row's ID, or shifted each of theirs. Such an id is the
    // kernel's addresses, no name a user chose, so its column is as wide as the widest.
    out.push(`\u2026 ${fold.label(folded.length)}: ${fold.description(folded)}`);
    yield* block(folded, cols, Infinity);
  }
  if (!any) out.push('no IPC channels found' + (snap.warnings.length ? ' (see warnings)' : ''));
  else out.push(...containerSection(snap, procs));
  if (o.processes) {
    yield* flush();
    yield* processSection(snap);
  }
  yield* flush();
}

/** The whole table as one string (tests; the CLI writes tableChunks piece by piece). */
export function renderTable(snap: Snapshot, o: TableOptions = {}): string {
  return [...tableChunks(snap, o)].join('');
}

/**
 * Every process of the snapshot, as ps lists them, with how many channels each holds (0: it holds
 * none the snapshot lists): what --all-processes adds to the table.
 */
function* processSection(snap: Snapshot): Generator<string> {
  const held = new Map<number, number>();
  for (const ch of snap.channels) {
    let last = -1;
    for (const e of ch.endpoints) {
      if (e.pid === last) continue; // (a process's endpoints of one channel are adjacent)
      last = e.pid;
      held.set(e.pid, (held.get(e.pid) ?? 0) + 1);
    }
  }
  const rows = [...snap.processes]
    .sort((a, b) => a.pid - b.pid)
    .map((p) => [String(p.pid), String(p.ppid), escapeControl(p.user), p.state, String(held.get(p.pid) ?? 0), processLabel(p.pid, p), escapeControl(shownCommand(p)) || '-']);
  const labels = ['PID', 'PPID', 'USER', 'STATE', 'CHANNELS', 'PROCESS', 'COMMAND'];
  const widths = labels.map((l, i) => columnWidth(l.length, rows, i));
  const numeric = [true, true, false, false, true, false, false];
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i], numeric[i])))
      .join('  ')
      .trimEnd();
  let out: string[] = ['', `Processes (${rows.length})`, line(labels)];
  for (const r of rows) {
    out.push(line(r));
    if (out.length >= CHUNK_LINES) {
      yield out.join('\n') + '\n';
      out = [];
    }
  }
  if (out.length) yield out.join('\n') + '\n';
}

/**
 * Which holders in the table run in a container: an endpoint reads `nc[27997] fd 3` whether nc
 * runs on the host or in a container with its own network (its 127.0.0.1 is not the host's), so
 * the table ends with the containers of the processes it lists, each with its processes (and the
 * pid they have inside). Nothing when no holder is in one.
 */
function containerSection(snap: Snapshot, procs: ReadonlyMap<number, ProcessInfo>): string[] {
  const held = new Set<number>();
  for (const ch of snap.channels) for (const e of ch.endpoints) held.add(e.pid);
  const byContainer = new Map<string, { label: string; members: string[] }>();
  for (const pid of [...held].sort((a, b) => a - b)) {
    const p = procs.get(pid);
    const c = p?.container;
    if (!p || !c) continue;
    const key = `${c.runtime}/${c.id}`;
    const entry = byContainer.get(key) ?? { label: containerLabel(c), members: [] };
    const inner = p.nsPid && p.nsPid.length > 1 ? ` (pid ${p.nsPid[p.nsPid.length - 1]} inside)` : '';
    entry.members.push(processLabel(pid, p) + inner);
    byContainer.set(key, entry);
  }
  if (byContainer.size === 0) return [];
  const rows = [...byContainer.values()].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  let w = 'CONTAINER'.length;
  for (const r of rows) w = Math.min(Math.max(w, [...r.label].length), COLUMN_MAX);
  return ['', `Containers (${rows.length})`, `${pad('CONTAINER', w, false)}  PROCESSES`, ...rows.map((r) => `${pad(r.label, w, false)}  ${r.members.join(', ')}`)];
}

/** Notes for stderr: warnings and missing capabilities, escaped, one line each. */
export function notes(snap: Snapshot): string[] {
  const n = snap.warnings.map((w) => `warning: ${escapeControl(w)}`);
  if (!snap.capabilities.native) {
    n.push(`note: native addon not used (${escapeControl(snap.capabilities.nativeError ?? 'unknown reason')}): pipe buffers, SysV semaphore values, Unix socket peers and the fds of threads with an fd table of their own (unshare(CLONE_FILES)) may be missing`);
  }
  return n;
}

export async function run(argv: string[], out: Output): Promise<number> {
  const p = parseOptions(argv, OPTIONS);
  if (p.flags.has('help')) {
    out.text(snapshotHelp());
    return 0;
  }
  // one snapshot, then exit: the walk is chosen counting the BPF program's load (core/walkBackend.ts)
  const opts = { ...snapshotOptions(p), oneShot: true };
  const containers = p.lists.get('container');
  const { snapshot: snap, unmatched: noContainer } = await containerSnapshot(opts, containers);
  // --pid names a process that does not exist: said, and (as lsof -p does) exit 1 when none of them
  // does; the same for --container naming no container
  const missing = missingPids(snap, opts.pids);
  const status = noAskedPidExists(opts.pids, missing) || (containers && noContainer.length === containers.length) ? 1 : 0;
  // the JSON carries them too: a script reading only stdout learns why nothing is listed
  for (const pid of missing) snap.warnings.push(`no process ${pid}`);
  if (p.flags.has('json')) {
    // in chunks (the whole document as one string would double the CLI's peak memory), each
    // escaped as safeJson escapes (terminal controls, bidi and line separators as \uXXXX)
    writeJsonStream(snap as unknown as Record<string, unknown>, (chunk) => out.data(chunk), safeJson);
  } else {
    for (const chunk of tableChunks(snap, { processes: opts.processes === 'all', folded: p.flags.has('closed') })) out.text(chunk);
    for (const line of notes(snap)) out.note(line + '\n');
  }
  // (the table's notes said them already, from the warnings)
  if (p.flags.has('json')) for (const pid of missing) out.note(`warning: no process ${pid}\n`);
  for (const c of noContainer) out.note(noContainerWarning(c));
  return status;
}
