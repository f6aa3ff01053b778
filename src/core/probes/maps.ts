// Memory-mapping holders (SysV shm and /dev/shm mappings) from the walk's filtered maps text,
// parsed once per snapshot and shared by the sysv, posix and anon-shm probes.
import type { Endpoint } from '../model';
import { mapMode, parseMapsText, sysvKeyFromMapPath, type MapsLine } from '../parsers/procPid';
import type { ProbeContext } from './context';

/** One kept process's maps lines, parsed. */
export interface ProcessMaps {
  pid: number;
  lines: MapsLine[];
}

const parsedCache = new WeakMap<ProbeContext, ProcessMaps[]>();

/** The kept processes' maps lines, parsed once per snapshot (a machine of thousands of processes has tens of thousands). */
export function parsedMaps(ctx: ProbeContext): ProcessMaps[] {
  let out = parsedCache.get(ctx);
  if (out) return out;
  out = [];
  for (const p of ctx.raw.values()) {
    if (!p.maps || !ctx.processes.has(p.pid)) continue;
    out.push({ pid: p.pid, lines: parseMapsText(p.maps) });
  }
  parsedCache.set(ctx, out);
  return out;
}

export interface MapHolders {
  /** SysV shm attachers by shmid (the mapping's inode). */
  sysvByInode: Map<number, Endpoint[]>;
  sysvByKey: Map<number, Endpoint[]>;
  /** /dev/shm/NAME mappings by NAME. */
  devShm: Map<string, Endpoint[]>;
  /**
   * /dev/shm mappings by `major:minor:inode` (decimal, as fd rows give it): the name the line
   * shows, the largest mapping, and whether the file was unlinked (`/dev/shm/NAME (deleted)`). By
   * the device too, not the inode alone: a container's /dev/shm is a tmpfs of its own, whose
   * inode numbers start over (and glibc's sem_open maps a temp file `sem.XXXXXX (deleted)` that
   * it then links to the real name: the same inode).
   */
  devShmByKey: Map<string, { name: string; size: number; deleted: boolean; endpoints: Endpoint[] }>;
}

/** A maps line's device (`00:1a`, hex) as `major:minor` in decimal (`0:26`), as devName gives it for fd rows. */
export function mapsDevName(hex: string): string {
  const [a, b] = hex.split(':');
  return `${parseInt(a, 16)}:${parseInt(b, 16)}`;
}

const cache = new WeakMap<ProbeContext, MapHolders>();

function add<K>(m: Map<K, Endpoint[]>, k: K, ep: Endpoint) {
  const l = m.get(k);
  if (l) l.push(ep);
  else m.set(k, [ep]);
}

export function mapHolders(ctx: ProbeContext): MapHolders {
  let h = cache.get(ctx);
  if (h) return h;
  h = { sysvByInode: new Map(), sysvByKey: new Map(), devShm: new Map(), devShmByKey: new Map() };
  for (const p of parsedMaps(ctx)) {
    // one endpoint per distinct mapping object per process range
    for (const m of p.lines) {
      const ep: Endpoint = { pid: p.pid, map: m.range, mode: mapMode(m.perms) };
      const key = sysvKeyFromMapPath(m.path);
      if (key !== null) {
        add(h.sysvByInode, m.inode, ep);
        add(h.sysvByKey, key, ep);
      } else if (m.path.startsWith('/dev/shm/')) {
        add(h.devShm, m.path.slice('/dev/shm/'.length), ep);
        const key = `${mapsDevName(m.dev)}:${m.inode}`;
        const d = h.devShmByKey.get(key) ?? { name: m.path.slice('/dev/shm/'.length), size: 0, deleted: false, endpoints: [] };
        const [lo, hi] = m.range.split('-').map((x) => parseInt(x, 16));
        d.size = Math.max(d.size, hi - lo);
        if (m.deleted) d.deleted = true;
        d.endpoints.push(ep);
        h.devShmByKey.set(key, d);
      }
    }
  }
  cache.set(ctx, h);
  return h;
}
