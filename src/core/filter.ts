// The views' filter: pure functions over a snapshot (no vscode import, unit-tested in
// test/unit/filter.test.ts), in core because the topology map and the worker's diagnosis (which
// narrows its problems as the views are narrowed, before its per-rule cap) apply it too. A channel is shown when its kind is not hidden, it passes the
// process filters (scope, workspace-only, other users) through at least one endpoint, and it
// matches the text query. Processes are shown when they hold a shown channel (or are the scope root).

import type { Channel, ProcessInfo, Snapshot } from './model';
import { columnValue, formatValue, sysvKeyText } from './columns';
import { describe, isChannelId } from './kinds';
import { shownCmdline, shownComm } from './text';

export interface FilterState {
  /** Free text: name, pid, path, port, key (hex `0x…` or decimal), id. A key (`0x…`) or an id (`pipe:4901`) matches objects only (by prefix while typed), never holders. Empty = no text filter. */
  text: string;
  hiddenKinds: readonly string[];
  /** Only processes whose cwd/exe is under one of `workspaceFolders`, or that descend from `workspaceRootPids`. */
  workspaceOnly: boolean;
  workspaceFolders: readonly string[];
  /** Pids of VS Code terminals and tasks: their descendants count as "this workspace". */
  workspaceRootPids: readonly number[];
  /** Hide processes (and unheld objects) of other users than `uid`. */
  hideOtherUsers: boolean;
  uid: number;
  /** Only this process and its descendants. */
  scopePid?: number;
}

export const EMPTY_FILTER: FilterState = {
  text: '',
  hiddenKinds: [],
  workspaceOnly: false,
  workspaceFolders: [],
  workspaceRootPids: [],
  hideOtherUsers: false,
  uid: 0,
};

export interface FilterResult {
  channels: Channel[];
  /** Processes that hold at least one shown channel, plus the scope root if present. */
  processes: ProcessInfo[];
  /** Pids whose endpoints are shown. */
  pids: Set<number>;
}

/** True when any filter narrows the view (drives the `ipcInspector.filtered` context key). */
export function isFiltering(f: FilterState): boolean {
  return f.text.trim() !== '' || f.hiddenKinds.length > 0 || f.workspaceOnly || f.hideOtherUsers;
}

/**
 * Does the filter drop channels within a kind (text, scope, this workspace, other users — not the
 * hidden kinds, which drop whole groups)? Then a kind group that lists none is not shown: the
 * views list the groups holding a match, as VS Code's own filters do, not a "none match" row.
 */
export function narrowsWithinKinds(f: FilterState): boolean {
  return f.text.trim() !== '' || f.scopePid !== undefined || f.workspaceOnly || f.hideOtherUsers;
}

/**
 * Does the filter open the rows holding its matches (a text is set)? The user typed to find
 * something: the groups and processes holding it are shown expanded, not folded as they were.
 */
export function opensMatches(f: FilterState): boolean {
  return f.text.trim() !== '';
}

/**
 * The tree item id of a row a text filter opens. VS Code keeps a row's expansion by its item id
 * and ignores the collapsibleState of an id it already shows, so an opened row takes an id of
 * the filter's own (`epoch`: one per filter text), and the row's own id, with the state the user
 * gave it, comes back when the filter is cleared.
 */
export function openedItemId(id: string, epoch: number): string {
  return `${id}?filter=${epoch}`;
}

/** Is this an id openedItemId made (a row opened by a filter, not one the user opened)? */
export function isOpenedItemId(id: string): boolean {
  return /\?filter=\d+$/.test(id);
}

/** Where a process hangs in the process tree: its parent, or for a thread listed as a process (`threadOf`) its process. */
export function treeParent(p: Pick<ProcessInfo, 'ppid' | 'threadOf'>): number {
  return p.threadOf ?? p.ppid;
}

/** All descendants of `root` (inclusive) by treeParent links. */
export function descendants(processes: readonly ProcessInfo[], roots: Iterable<number>): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of processes) {
    const parent = treeParent(p);
    const list = children.get(parent);
    if (list) list.push(p.pid);
    else children.set(parent, [p.pid]);
  }
  const out = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const pid = stack.pop()!;
    if (out.has(pid)) continue;
    out.add(pid);
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return out;
}

function isUnder(file: string | null, folders: readonly string[]): boolean {
  if (!file) return false;
  return folders.some((f) => {
    const dir = f.endsWith('/') ? f.slice(0, -1) : f;
    return file === dir || file.startsWith(dir + '/');
  });
}

/** The set of pids that pass the process filters, or null when no process filter is active. */
export function allowedPids(processes: readonly ProcessInfo[], f: FilterState): Set<number> | null {
  if (f.scopePid === undefined && !f.workspaceOnly && !f.hideOtherUsers) return null;
  let allowed: Set<number> = new Set(processes.map((p) => p.pid));
  if (f.scopePid !== undefined) allowed = descendants(processes, [f.scopePid]);
  if (f.workspaceOnly) {
    const roots = processes.filter((p) => isUnder(p.cwd, f.workspaceFolders) || isUnder(p.exe, f.workspaceFolders)).map((p) => p.pid);
    const ws = descendants(processes, [...roots, ...f.workspaceRootPids]);
    allowed = new Set([...allowed].filter((pid) => ws.has(pid)));
  }
  if (f.hideOtherUsers) {
    const byPid = new Map(processes.map((p) => [p.pid, p]));
    allowed = new Set([...allowed].filter((pid) => byPid.get(pid)?.uid === f.uid));
  }
  return allowed;
}

/** The port of an `addr:port` / `[v6]:port` text, or null. */
export function portOf(addr: string): number | null {
  const m = /:(\d+)$/.exec(addr);
  return m ? Number(m[1]) : null;
}

/** A channel's searchable values (its kind's columns marked `search`, and its kind's extras): texts and exact numbers. */
function searchable(ch: Channel): { texts: string[]; numbers: number[]; ports: number[]; keys: number[]; addrs: string[] } {
  const d = describe(ch);
  const texts: string[] = [ch.id, ch.kind];
  const numbers: number[] = [];
  const ports: number[] = [];
  const keys: number[] = [];
  /** The socket's `addr:port` texts, raw and as shown (`[::]:80`, `*:80`), lower-cased: what an address query matches. */
  const addrs: string[] = [];
  for (const c of d.columns) {
    if (!c.search) continue;
    const v = columnValue(ch, c.id);
    if (v === null || v === undefined) continue;
    switch (c.search) {
      case 'text':
        if (typeof v === 'string') texts.push(v);
        if (c.format) texts.push(formatValue(c, v, ch));
        break;
      case 'number':
        if (typeof v === 'number') numbers.push(v);
        break;
      case 'key':
        if (typeof v === 'number') {
          keys.push(v >>> 0);
          numbers.push(v);
          texts.push(sysvKeyText(v));
        }
        break;
      case 'port':
        if (typeof v === 'string') {
          texts.push(v);
          addrs.push(v.toLowerCase());
          // and as shown (a dual-stack listener's `*:80`, a bound device's `%lo`)
          if (c.format) {
            const shown = formatValue(c, v, ch);
            texts.push(shown);
            addrs.push(shown.toLowerCase());
          }
          const p = portOf(v);
          if (p !== null && p !== 0) {
            ports.push(p);
            numbers.push(p);
          }
        }
        break;
    }
  }
  const extra = d.search?.(ch);
  if (extra?.texts) texts.push(...extra.texts);
  if (extra?.numbers) numbers.push(...extra.numbers);
  if (extra?.addrs) for (const a of extra.addrs) addrs.push(a.toLowerCase());
  return { texts, numbers, ports, keys, addrs };
}

/** Text a non-numeric query matches as a case-insensitive substring. */
export function channelTexts(ch: Channel): string[] {
  return searchable(ch).texts;
}

/** Numbers a numeric query matches exactly: holders' pids, the kind's searchable numbers (ids, inodes, ports) and keys. */
export function channelNumbers(ch: Channel): number[] {
  const s = searchable(ch);
  // each holder once: a pipe end dup'd 200,000 times is a handful of processes
  return [...new Set(ch.endpoints.map((e) => e.pid)), ...s.numbers, ...s.keys];
}

/** A query in the form of a SysV key (`0x4945…`, lower-cased): it names objects by their key. */
function isKeyQuery(q: string): boolean {
  return /^0x[0-9a-f]+$/.test(q);
}

/** A query in the form of a channel id (`pipe:4901`, by its kind's id shape): it names objects by their id. */
function isIdQuery(query: string): boolean {
  return isChannelId(query.trim()) || isChannelId(query.trim().toLowerCase());
}

/**
 * A query in the form of a socket address as the views show one (lower-cased): `*:80` (a dual-stack
 * listener), `[::]:80`, `[::1]:5432`, `127.0.0.1:6379`, `0.0.0.0%lo:53` — the port possibly still
 * being typed (`*:8`). It names sockets by their address.
 */
function isAddressQuery(q: string): boolean {
  return /^(\*|\[[0-9a-f:.%\w-]*\]|\d{1,3}(\.\d{1,3}){3})(%[\w.-]+)?:\d*$/.test(q);
}

/**
 * Does the query name objects — a SysV key (`0x…`), a channel id (`pipe:4901`) or a socket address
 * (`*:22`)? Then it matches objects by their own key, id or address only, never a process or a
 * title whose text contains it (any user names a process `0x49453175` or `*:22`, or a socket file
 * `pipe:4901`).
 */
export function namesObjects(query: string): boolean {
  const q = query.trim().toLowerCase();
  return isKeyQuery(q) || isIdQuery(query) || isAddressQuery(q);
}

/** The port of a port query (`:8080`, lower-cased and trimmed): it names sockets by their port only; null for any other query. */
export function portQuery(q: string): number | null {
  const m = /^:(\d+)$/.exec(q);
  return m ? Number(m[1]) : null;
}

/** Does the query match this channel (its own facts or any holder's pid, name or user)? */
export function matchesText(ch: Channel, query: string, procs: ReadonlyMap<number, ProcessInfo>): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  const s = searchable(ch);
  // A number matches exactly: `80` must not find pid 8080. `:80` is a port.
  const port = portQuery(q);
  if (port !== null) return s.ports.includes(port);
  if (/^\d+$/.test(q)) {
    const n = Number(q);
    if (s.numbers.includes(n)) return true;
    return ch.endpoints.some((e) => e.pid === n);
  }
  // A query in the form of a key or an id names objects: `0x49453175` a SysV key, `pipe:4901` or
  // `sysv-msg:32768` a channel (its kind's id shape). It matches objects only — never a holder
  // whose name or argv[0] happens to contain the text. While it is typed it matches by prefix
  // (`0x4945` the keys written 0x4945…, `pipe:49` the pipes 49…), as the filter box is typed into.
  if (isKeyQuery(q)) {
    const key = parseInt(q, 16);
    return s.keys.some((k) => k === key || sysvKeyText(k).startsWith(q));
  }
  const asId = query.trim();
  if (isIdQuery(query)) return ch.id === asId || ch.id.toLowerCase().startsWith(q);
  // an address (`*:22`, `127.0.0.1:6379`) names sockets by it, by prefix while typed; never a
  // holder whose name holds the text, nor a path (a relative socket name may read `*:22`)
  if (isAddressQuery(q)) return s.addrs.some((a) => a.startsWith(q));
  if (s.texts.some((t) => t.toLowerCase().includes(q))) return true;
  // a process's endpoints come together: its name once, not once per fd (a pipe end dup'd 200,000 times)
  let last = -1;
  return ch.endpoints.some((e) => {
    if (e.pid === last) return false;
    last = e.pid;
    const p = procs.get(e.pid);
    if (!p) return false;
    // the name and command as shown (`bad\xff`): two names that differ only in bytes that are not UTF-8 share `comm`
    const arg0 = (p.cmdlineBytes === undefined ? p.cmdline[0] : shownCmdline(p)[0]) ?? '';
    // and its user by the whole name, as the Processes view shows it ("nobody · 7 channels") and as
    // lsof -u takes it: a part of one ("o") would match every root process
    return shownComm(p).toLowerCase().includes(q) || arg0.toLowerCase().includes(q) || p.user.toLowerCase() === q;
  });
}

export function applyFilter(snapshot: Pick<Snapshot, 'channels' | 'processes'>, f: FilterState): FilterResult {
  if (!isFiltering(f) && f.scopePid === undefined) {
    // Fast path (every refresh without a filter): no copies. The snapshot's processes are those
    // holding IPC plus their ancestors, which keeps the process tree connected.
    return { channels: snapshot.channels, processes: snapshot.processes, pids: new Set(snapshot.processes.map((p) => p.pid)) };
  }
  const procs = new Map(snapshot.processes.map((p) => [p.pid, p]));
  const allowed = allowedPids(snapshot.processes, f);
  const hidden = new Set(f.hiddenKinds);
  const channels: Channel[] = [];
  const pids = new Set<number>();
  for (const ch of snapshot.channels) {
    if (hidden.has(ch.kind)) continue;
    if (allowed) {
      const held = ch.endpoints.some((e) => allowed.has(e.pid));
      if (!held) {
        // Objects nobody holds (a leaked SysV queue) stay visible unless scoped/workspace-only;
        // with "hide other users" they follow their owner.
        if (f.scopePid !== undefined || f.workspaceOnly || ch.endpoints.length > 0) continue;
        const uid = describe(ch).owner(ch);
        if (uid !== null && uid !== f.uid) continue;
      }
    }
    if (!matchesText(ch, f.text, procs)) continue;
    channels.push(ch);
    for (const e of ch.endpoints) if (!allowed || allowed.has(e.pid)) pids.add(e.pid);
  }
  if (f.scopePid !== undefined && procs.has(f.scopePid)) pids.add(f.scopePid);
  const processes = snapshot.processes.filter((p) => pids.has(p.pid));
  return { channels, processes, pids };
}

/** Kinds in display order with their group; used by the tree and the hide-kinds picker (from the registry). */
export { KIND_GROUPS } from './kinds';

/** Does a filter narrow the views (text, kinds, workspace, users, or a scope)? Then only problems about what they show are listed. */
export function narrows(f: FilterState): boolean {
  return isFiltering(f) || f.scopePid !== undefined;
}

/**
 * Is a problem (its channels, pids, title) listed by views narrowed this way: it is about a
 * channel or a process they show, or — about no object, like a stale socket file — its title
 * names the filter's text. The Problems view and the worker's diagnosis (before its per-rule cap)
 * ask the same question.
 */
export function problemVisible(
  p: { channels: readonly string[]; pids: readonly number[]; title: string },
  channelShown: (id: string) => boolean,
  pidsShown: ReadonlySet<number>,
  text: string,
): boolean {
  if (p.channels.some(channelShown) || p.pids.some((pid) => pidsShown.has(pid))) return true;
  const t = text.trim().toLowerCase();
  // a key or an id names objects only (matchesText), never a text that contains it: a stale socket
  // file another user named `/tmp/x/0x49453175` is no problem of the key 0x49453175
  if (namesObjects(text)) return false;
  return t !== '' && p.channels.length === 0 && p.pids.length === 0 && p.title.toLowerCase().includes(t);
}

/** A FilterState that came across a thread (the worker's 'narrow' message), or null when it is none. */
export function asFilterState(v: unknown): FilterState | null {
  if (!v || typeof v !== 'object') return null;
  const f = v as Partial<FilterState>;
  const strings = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === 'string');
  const numbers = (a: unknown) => Array.isArray(a) && a.every((x) => Number.isInteger(x));
  if (typeof f.text !== 'string' || !strings(f.hiddenKinds) || typeof f.workspaceOnly !== 'boolean' || typeof f.hideOtherUsers !== 'boolean') return null;
  if (!strings(f.workspaceFolders) || !numbers(f.workspaceRootPids)) return null;
  if (!Number.isInteger(f.uid) || (f.scopePid !== undefined && !Number.isInteger(f.scopePid))) return null;
  return { ...EMPTY_FILTER, ...f } as FilterState;
}
