// The snapshot's one hook for containers and namespaces: for the processes the snapshot keeps
// (holders + ancestors, not every process on the machine) take /proc/PID/cgroup (read by the fd
// walk on its threads, beside its other reads of the process: read here only where it did not)
// and readlink /proc/PID/ns/pid within a deadline, and fill `container` and `pidns`. `nsPid`
// (status) and `netns` (the walk's ns/net link) already came with the walk.
//
// The /proc reads are synchronous, as in procWalk.ts: measured here at ~20 µs per process against
// ~100 µs through fs.promises (four thread-pool round trips per file on a 2-core machine). They are
// procfs files (no other user can redirect or stall them), and on the main thread the loop yields
// to the event loop every few milliseconds. The runtimes' state files, which other users may
// influence, are read asynchronously through containers.ts / untrustedFiles.ts, once per container.
// A process's pid namespace never changes, so `pidns` is cached per (pid, start time); its
// cgroup can (migration), so that is read every time.
import * as fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import type { ProcessInfo } from './model';
import { ContainerResolver, type ContainerStateOptions } from './containers';
import { containerCandidates } from './parsers/cgroup';
import { plural } from './text';

export interface NamespaceOptions extends ContainerStateOptions {
  procRoot?: string;
  /** Budget for all reads; processes not done by then keep `container: null` / `pidns: null` and a warning says so. Default 2000 ms. */
  deadlineMs?: number;
  /** /proc/PID/cgroup as the fd walk read it, beside its other reads on its threads; read here when absent. */
  cgroupOf?: (pid: number) => string | undefined;
}

const YIELD_MS = 4;
const pidnsCache = new Map<string, string>();

/** Entries of the pid-namespace cache (the soak bench's figures: it must not grow with processes that are gone). */
export function pidnsCacheSize(): number {
  return pidnsCache.size;
}

/** `pid:[4026531836]` → `4026531836`. */
function nsInode(link: string): string | null {
  const m = /^[a-z_]+:\[(\d+)\]$/.exec(link);
  return m ? m[1] : null;
}

let buf = Buffer.allocUnsafe(8192);

/** A small procfs file: open + read(s) + close into one reused buffer (readFileSync adds an fstat and a buffer per file). */
function readProcText(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    let n = 0;
    for (;;) {
      const r = fs.readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) {
        if (buf.length >= 1 << 20) return null; // no cgroup file is this long
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
    }
    return buf.toString('latin1', 0, n);
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/** Fills `container` and `pidns` of `procs` in place; pushes one warning when the deadline cut it short. */
export async function annotateNamespaces(procs: readonly ProcessInfo[], opts: NamespaceOptions, warnings: string[]): Promise<void> {
  const procRoot = opts.procRoot ?? '/proc';
  const budget = opts.deadlineMs ?? 2000;
  const start = performance.now();
  const deadline = start + budget;
  let lastYield = start;
  let resolver: ContainerResolver | null = null;
  const pending: Promise<void>[] = [];
  const seen = new Set<string>();
  const parsed = new Map<string, boolean>();
  let late = 0;
  let closed = false; // after the deadline no late answer may change the returned snapshot
  for (let i = 0; i < procs.length; i++) {
    const p = procs[i];
    const now = performance.now();
    if (now > deadline) {
      late = procs.length - i;
      break;
    }
    if (isMainThread && now - lastYield > YIELD_MS) {
      await new Promise((r) => setImmediate(r));
      lastYield = performance.now();
    }
    const key = `${procRoot}:${p.pid}:${p.startTime}`;
    seen.add(key);
    let pidns = pidnsCache.get(key) ?? null;
    if (pidns === null) {
      try {
        pidns = nsInode(fs.readlinkSync(`${procRoot}/${p.pid}/ns/pid`));
      } catch {
        /* gone or not permitted: null */
      }
      if (pidns !== null) pidnsCache.set(key, pidns);
    }
    p.pidns = pidns;
    const cgroup = opts.cgroupOf?.(p.pid) ?? readProcText(`${procRoot}/${p.pid}/cgroup`);
    if (cgroup === null) continue;
    // most processes are in no container: no state to read, nothing asynchronous; processes of
    // one cgroup share the text, so it is parsed once
    let inContainer = parsed.get(cgroup);
    if (inContainer === undefined) {
      inContainer = containerCandidates(cgroup).length > 0;
      parsed.set(cgroup, inContainer);
    }
    if (!inContainer) continue;
    resolver ??= new ContainerResolver(opts);
    const r = resolver;
    pending.push(
      r.fromCgroup(cgroup).then(
        (c) => {
          if (!closed) p.container = c;
        },
        () => undefined,
      ),
    );
  }
  if (pending.length > 0) {
    let timer: NodeJS.Timeout | undefined;
    const out = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), Math.max(0, deadline - performance.now()))));
    const r = await Promise.race([Promise.all(pending), out]);
    clearTimeout(timer);
    closed = true;
    if (r === 'late') warnings.push(`container names may be missing: the runtimes' state was not read within ${budget} ms`);
  }
  if (late > 0) warnings.push(`container and pid-namespace facts missing for ${plural(late, 'process', 'processes')}: the ${budget} ms budget ran out`);
  // forget processes that are gone (the cache only ever holds about what the last snapshots kept)
  if (pidnsCache.size > seen.size * 2 + 1024) for (const k of pidnsCache.keys()) if (!seen.has(k)) pidnsCache.delete(k);
}
