// Full garbage collections of the snapshot worker's own heap, between scans. Every scan builds a
// whole snapshot (25 MB of objects at 50k fds) that lives across scavenges, so V8 promotes it and
// the dead snapshots pile up in the worker's old space until a full GC: measured in a Node 24
// extension host at 50k fds, RSS crept 177 → 198 MiB over four scans; collecting after each scan
// kept it at 170–173 (peak 181 instead of 206) for 15–19 ms of the worker's thread per scan — never
// the extension host's main thread. The rule below collects only when the heap has grown well past
// what the last collection left, so a small machine's worker never pays for it.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

export interface CollectRule {
  /** Collect when the heap in use is at least this many times what the last collection left… */
  factor: number;
  /** …and at least this many bytes above it. */
  minGrowthBytes: number;
}

export const DEFAULT_COLLECT_RULE: CollectRule = { factor: 2, minGrowthBytes: 16 * 1024 * 1024 };

/** Whether the heap (`usedNow` bytes in use) has grown enough since the last collection left `usedAfterLast`. */
export function shouldCollect(usedNow: number, usedAfterLast: number, rule: CollectRule = DEFAULT_COLLECT_RULE): boolean {
  return usedNow >= usedAfterLast * rule.factor && usedNow - usedAfterLast >= rule.minGrowthBytes;
}

/**
 * A function that runs a full GC of the calling thread's isolate, or null where none can be had
 * safely. Without `--expose-gc` on the command line the only way in is to turn the flag on, take
 * `gc` from a new context, and turn it off again — and changing V8's flags after start-up aborts
 * the process in embedders that freeze them (`Check failed: !IsFrozen()`, seen in nw.js). Node
 * does not freeze them (v8.setFlagsFromString is its public API); Electron is not trusted here, so
 * in VS Code's desktop extension host (`process.versions.electron`) this returns null and the
 * worker simply does without.
 */
export function fullGc(versions: NodeJS.ProcessVersions = process.versions): (() => void) | null {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as () => void; // started with --expose-gc
  if (versions.electron !== undefined) return null;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null; // no gc to be had: the worker's heap is left to V8's own schedule
  } finally {
    v8.setFlagsFromString('--no-expose-gc'); // only this one context got it
  }
}
