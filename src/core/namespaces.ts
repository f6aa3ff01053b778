// The snapshot's one hook for containers and namespaces: for the processes the snapshot keeps
// (holders + ancestors, not every process on the machine) read /proc/PID/cgroup and
// readlink /proc/PID/ns/pid, asynchronously, at most CONCURRENCY at a time and within a
// deadline; fill `container` and `pidns`. `nsPid` (status) and `netns` (the walk's ns/net link)
// are already there from the walk. A process's pid namespace never changes, so `pidns` is
// cached per (pid, start time); its cgroup can (migration), so that is read every time.
import * as fs from 'node:fs';
import type { ProcessInfo } from './model';
import { ContainerResolver, type ContainerStateOptions } from './containers';

export interface NamespaceOptions extends ContainerStateOptions {
  procRoot?: string;
  /** Budget for all reads; processes not done by then keep `container: null` / `pidns: null` and a warning says so. Default 2000 ms. */
  deadlineMs?: number;
}

const CONCURRENCY = 16;
const pidnsCache = new Map<string, string>();

/** `pid:[4026531836]` → `4026531836`. */
function nsInode(link: string): string | null {
  const m = /^[a-z_]+:\[(\d+)\]$/.exec(link);
  return m ? m[1] : null;
}

/** Fills `container` and `pidns` of `procs` in place; pushes one warning when the deadline cut it short. */
export async function annotateNamespaces(procs: readonly ProcessInfo[], opts: NamespaceOptions, warnings: string[]): Promise<void> {
  const procRoot = opts.procRoot ?? '/proc';
  const resolver = new ContainerResolver(opts);
  const deadline = performance.now() + (opts.deadlineMs ?? 2000);
  let late = 0;
  let next = 0;
  const seen = new Set<string>();
  const one = async (p: ProcessInfo): Promise<void> => {
    const key = `${procRoot}:${p.pid}:${p.startTime}`;
    seen.add(key);
    const cachedNs = pidnsCache.get(key);
    const [cgroup, pidns] = await Promise.all([
      fs.promises.readFile(`${procRoot}/${p.pid}/cgroup`, 'utf8').catch(() => null),
      cachedNs !== undefined ? cachedNs : fs.promises.readlink(`${procRoot}/${p.pid}/ns/pid`).then(nsInode, () => null),
    ]);
    if (pidns !== null) {
      p.pidns = pidns;
      pidnsCache.set(key, pidns);
    }
    if (cgroup !== null && cgroup.length > 0) p.container = await resolver.fromCgroup(cgroup);
  };
  const lane = async (): Promise<void> => {
    while (next < procs.length) {
      const p = procs[next++];
      if (performance.now() > deadline) {
        late++;
        continue;
      }
      await one(p);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, procs.length) }, lane));
  if (late > 0) warnings.push(`container and pid-namespace facts missing for ${late} process(es): the ${opts.deadlineMs ?? 2000} ms budget ran out`);
  // forget processes that are gone (the cache only ever holds what the last snapshot kept)
  if (pidnsCache.size > seen.size * 2 + 1024) for (const k of pidnsCache.keys()) if (!seen.has(k)) pidnsCache.delete(k);
}
