// Snapshot diff: added / removed / changed channels (by id) and processes (by pid), deep-equal
// per object. applyDiff(prev, diffSnapshots(prev, next)) deep-equals next when next is in the
// canonical order takeSnapshot produces (channels by kind then id, processes by pid).
import type { Channel, ProcessInfo, Snapshot, SnapshotDiff } from './model';
import { CHANNEL_KINDS, SNAPSHOT_VERSION } from './model';

const KIND_ORDER = new Map<string, number>(CHANNEL_KINDS.map((k, i) => [k, i]));

/** Canonical channel order (kind, then inode / id) shared by takeSnapshot and applyDiff. */
export function compareChannels(a: Channel, b: Channel): number {
  const d = KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)!;
  if (d !== 0) return d;
  // inode-keyed channels first, by inode (numeric); then the rest (TIME-WAIT, SysV, POSIX) by id
  const ai = (a as { inode?: number }).inode || 0;
  const bi = (b as { inode?: number }).inode || 0;
  if (ai !== bi) return ai === 0 ? 1 : bi === 0 ? -1 : ai - bi;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Structural equality for plain JSON-like data (objects, arrays, primitives, typed arrays not expected). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a !== a && b !== b; // NaN
  const aa = Array.isArray(a);
  if (aa !== Array.isArray(b)) return false;
  if (aa) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let nx = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    nx++;
    if (!deepEqual(x[k], y[k])) return false;
  }
  let ny = 0;
  for (const k in y) if (y[k] !== undefined) ny++;
  return nx === ny;
}

export function diffSnapshots(prev: Snapshot | null, next: Snapshot): SnapshotDiff {
  const addedChannels: Channel[] = [];
  const changedChannels: Channel[] = [];
  const removedChannels: string[] = [];
  const addedProcesses: ProcessInfo[] = [];
  const changedProcesses: ProcessInfo[] = [];
  const removedProcesses: number[] = [];
  if (!prev) {
    addedChannels.push(...next.channels);
    addedProcesses.push(...next.processes);
  } else {
    const before = new Map<string, Channel>();
    for (const c of prev.channels) before.set(c.id, c);
    for (const c of next.channels) {
      const old = before.get(c.id);
      if (old === undefined) addedChannels.push(c);
      else {
        before.delete(c.id);
        if (!deepEqual(old, c)) changedChannels.push(c);
      }
    }
    for (const id of before.keys()) removedChannels.push(id);
    const pb = new Map<number, ProcessInfo>();
    for (const p of prev.processes) pb.set(p.pid, p);
    for (const p of next.processes) {
      const old = pb.get(p.pid);
      if (old === undefined) addedProcesses.push(p);
      else {
        pb.delete(p.pid);
        if (!deepEqual(old, p)) changedProcesses.push(p);
      }
    }
    for (const pid of pb.keys()) removedProcesses.push(pid);
  }
  return {
    fromTakenAt: prev ? prev.takenAt : null,
    toTakenAt: next.takenAt,
    addedChannels,
    removedChannels,
    changedChannels,
    addedProcesses,
    removedProcesses,
    changedProcesses,
    capabilities: next.capabilities,
    warnings: next.warnings,
    durationMs: next.durationMs,
    host: next.host,
    version: next.version,
  };
}

/** True when the diff carries no channel or process change. */
export function isEmptyDiff(d: SnapshotDiff): boolean {
  return (
    d.addedChannels.length === 0 &&
    d.removedChannels.length === 0 &&
    d.changedChannels.length === 0 &&
    d.addedProcesses.length === 0 &&
    d.removedProcesses.length === 0 &&
    d.changedProcesses.length === 0
  );
}

/**
 * Builds the next snapshot from prev + diff. Unchanged channel/process objects are reused
 * (identity preserved, so views can skip them); the order is the canonical one.
 */
export function applyDiff(prev: Snapshot | null, diff: SnapshotDiff): Snapshot {
  let channels: Channel[];
  let processes: ProcessInfo[];
  if (!prev) {
    channels = diff.addedChannels.slice().sort(compareChannels);
    processes = diff.addedProcesses.slice().sort((a, b) => a.pid - b.pid);
  } else {
    const removed = new Set(diff.removedChannels);
    const changed = new Map<string, Channel>();
    for (const c of diff.changedChannels) changed.set(c.id, c);
    channels = [];
    for (const c of prev.channels) {
      if (removed.has(c.id)) continue;
      channels.push(changed.get(c.id) ?? c);
    }
    if (diff.addedChannels.length > 0) {
      channels.push(...diff.addedChannels);
      channels.sort(compareChannels);
    }
    const gone = new Set(diff.removedProcesses);
    const pchanged = new Map<number, ProcessInfo>();
    for (const p of diff.changedProcesses) pchanged.set(p.pid, p);
    processes = [];
    for (const p of prev.processes) {
      if (gone.has(p.pid)) continue;
      processes.push(pchanged.get(p.pid) ?? p);
    }
    if (diff.addedProcesses.length > 0) {
      processes.push(...diff.addedProcesses);
      processes.sort((a, b) => a.pid - b.pid);
    }
  }
  return {
    version: diff.version ?? prev?.version ?? SNAPSHOT_VERSION,
    takenAt: diff.toTakenAt,
    durationMs: diff.durationMs,
    host: diff.host ?? prev?.host ?? { kernel: '', hostname: '' },
    capabilities: diff.capabilities,
    warnings: diff.warnings,
    processes,
    channels,
  };
}
