// The views' filter: pure functions over a snapshot (no vscode import, unit-tested in
// test/unit/filter.test.ts). A channel is shown when its kind is not hidden, it passes the
// process filters (scope, workspace-only, other users) through at least one endpoint, and it
// matches the text query. Processes are shown when they hold a shown channel (or are the scope root).

import type { Channel, ChannelKind, ProcessInfo, Snapshot } from '../core/model';

export interface FilterState {
  /** Free text: name, pid, path, port, key (hex `0x…` or decimal), id. Empty = no text filter. */
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

/** All descendants of `root` (inclusive) by ppid links. */
export function descendants(processes: readonly ProcessInfo[], roots: Iterable<number>): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of processes) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
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

/** Numbers a numeric query matches exactly (pid, port, key, ids, inode). */
function channelNumbers(ch: Channel): number[] {
  const out: number[] = [];
  switch (ch.kind) {
    case 'pipe':
      out.push(ch.inode);
      break;
    case 'fifo':
      out.push(ch.inode);
      break;
    case 'anon-shm':
      out.push(ch.inode);
      break;
    case 'sysv-msg':
      out.push(ch.key, ch.msqid);
      break;
    case 'sysv-shm':
      out.push(ch.key, ch.shmid);
      break;
    case 'sysv-sem':
      out.push(ch.key, ch.semid);
      break;
    case 'unix':
      out.push(ch.inode);
      break;
    case 'tcp':
    case 'udp': {
      out.push(ch.inode);
      const lp = portOf(ch.local);
      const rp = portOf(ch.remote);
      if (lp !== null) out.push(lp);
      if (rp !== null && rp !== 0) out.push(rp);
      break;
    }
    default:
      break;
  }
  return out;
}

/** Text a non-numeric query matches as a case-insensitive substring. */
export function channelTexts(ch: Channel): string[] {
  const out: string[] = [ch.id, ch.kind];
  const hex = (k: number) => '0x' + (k >>> 0).toString(16).padStart(8, '0');
  switch (ch.kind) {
    case 'fifo':
      out.push(ch.path);
      break;
    case 'sysv-msg':
    case 'sysv-shm':
    case 'sysv-sem':
      out.push(hex(ch.key), ch.owner);
      break;
    case 'posix-mq':
      out.push(ch.name, '/' + ch.name);
      break;
    case 'posix-shm':
    case 'posix-sem':
      out.push(ch.name, '/' + ch.name);
      break;
    case 'anon-shm':
      out.push(ch.name, ch.dev);
      break;
    case 'unix':
      if (ch.path) out.push(ch.path);
      if (ch.abstract !== undefined) out.push('@' + ch.abstract);
      out.push(ch.state);
      break;
    case 'tcp':
    case 'udp':
      out.push(ch.local, ch.remote, ch.state);
      break;
    default:
      break;
  }
  return out;
}

/** Does the query match this channel (its own facts or any holder's pid/name)? */
export function matchesText(ch: Channel, query: string, procs: ReadonlyMap<number, ProcessInfo>): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  // A number matches exactly: `80` must not find pid 8080. `:80` is a port.
  const portQuery = /^:(\d+)$/.exec(q);
  if (portQuery) {
    if (ch.kind !== 'tcp' && ch.kind !== 'udp') return false;
    const n = Number(portQuery[1]);
    return portOf(ch.local) === n || portOf(ch.remote) === n;
  }
  if (/^\d+$/.test(q)) {
    const n = Number(q);
    if (channelNumbers(ch).includes(n)) return true;
    return ch.endpoints.some((e) => e.pid === n);
  }
  if (/^0x[0-9a-f]+$/.test(q)) {
    const n = parseInt(q, 16);
    if ((ch.kind === 'sysv-msg' || ch.kind === 'sysv-shm' || ch.kind === 'sysv-sem') && (ch.key >>> 0) === n) return true;
  }
  if (channelTexts(ch).some((t) => t.toLowerCase().includes(q))) return true;
  return ch.endpoints.some((e) => {
    const p = procs.get(e.pid);
    return !!p && (p.comm.toLowerCase().includes(q) || (p.cmdline[0] ?? '').toLowerCase().includes(q));
  });
}

function channelOwnerUid(ch: Channel): number | null {
  switch (ch.kind) {
    case 'sysv-msg':
    case 'sysv-shm':
    case 'sysv-sem':
    case 'posix-shm':
    case 'posix-sem':
    case 'tcp':
    case 'udp':
      return ch.uid;
    case 'posix-mq':
      return ch.uid;
    default:
      return null;
  }
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
        const uid = channelOwnerUid(ch);
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

/** Kinds in display order with their group; used by the tree and the hide-kinds picker. */
export const KIND_GROUPS: ReadonlyArray<{ id: string; label: string; kinds: readonly ChannelKind[]; sub?: Readonly<Record<string, string>> }> = [
  { id: 'pipes', label: 'Pipes', kinds: ['pipe'] },
  { id: 'fifos', label: 'FIFOs', kinds: ['fifo'] },
  { id: 'mq', label: 'Message Queues', kinds: ['sysv-msg', 'posix-mq'], sub: { 'sysv-msg': 'System V', 'posix-mq': 'POSIX' } },
  { id: 'shm', label: 'Shared Memory', kinds: ['sysv-shm', 'posix-shm', 'anon-shm'], sub: { 'sysv-shm': 'System V', 'posix-shm': 'POSIX', 'anon-shm': 'Anonymous/memfd' } },
  { id: 'sem', label: 'Semaphores', kinds: ['sysv-sem', 'posix-sem'], sub: { 'sysv-sem': 'System V', 'posix-sem': 'POSIX' } },
  { id: 'sockets', label: 'Sockets', kinds: ['unix', 'tcp', 'udp'], sub: { unix: 'Unix', tcp: 'TCP', udp: 'UDP' } },
];
