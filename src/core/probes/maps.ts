// Memory-mapping holders (SysV shm and /dev/shm mappings) from the walk's filtered maps text,
// read once per snapshot for the sysv and posix probes (the anon-shm probe reads its own lines).
import type { Endpoint } from '../model';
import { MapsCursor } from '../parsers/procPid';
import type { ProbeContext } from './context';

export interface MapHolders {
  /** SysV shm attachers by shmid (the mapping's inode). */
  sysvByInode: Map<number, Endpoint[]>;
  sysvByKey: Map<number, Endpoint[]>;
  /** The device (hex, as maps shows it) of each shmid's mapping lines: what a read through a mapping re-checks. */
  sysvDev: Map<number, string>;
  /** /dev/shm/NAME mappings by NAME. */
  devShm: Map<string, Endpoint[]>;
  /**
   * /dev/shm mappings by `major:minor:inode` (decimal, as fd rows give it): the name the line
   * shows, the largest mapping, and whether the file was unlinked (`/dev/shm/NAME (deleted)`). By
   * the device too, not the inode alone: a container's /dev/shm is a tmpfs of its own, whose
   * inode numbers start over (and glibc's sem_open maps a temp file `sem.XXXXXX (deleted)` that
   * it then links to the real name: the same inode).
   */
  devShmByKey: Map<string, DevShmMapping>;
}

export interface DevShmMapping {
  name: string;
  size: number;
  deleted: boolean;
  endpoints: Endpoint[];
}

/** A maps line's device (`00:1a`, hex) as `major:minor` in decimal (`0:26`), as devName gives it for fd rows. */
export function mapsDevName(hex: string): string {
  const [a, b] = hex.split(':');
  return `${parseInt(a, 16)}:${parseInt(b, 16)}`;
}

/** The kept processes' maps texts (ctx.raw, the processes the snapshot keeps). */
export function* keptMaps(ctx: ProbeContext): Generator<{ pid: number; maps: string }> {
  for (const p of ctx.raw.values()) if (p.maps && ctx.processes.has(p.pid)) yield { pid: p.pid, maps: p.maps };
}

const cache = new WeakMap<ProbeContext, MapHolders>();

function add<K>(m: Map<K, Endpoint[]>, k: K, ep: Endpoint) {
  const l = m.get(k);
  if (l) l.push(ep);
  else m.set(k, [ep]);
}

/** The SysV and /dev/shm holders of these maps texts (one endpoint per mapping). Exported for tests. */
export function mapHoldersOf(maps: Iterable<{ pid: number; maps: string }>): MapHolders {
  const h: MapHolders = { sysvByInode: new Map(), sysvByKey: new Map(), sysvDev: new Map(), devShm: new Map(), devShmByKey: new Map() };
  // /dev/shm mappings by device number, then inode: the `major:minor:inode` key is made once per object, not per line
  const byDev = new Map<number, Map<number, DevShmMapping>>();
  const c = new MapsCursor();
  for (const p of maps) {
    c.reset(p.maps);
    while (c.next()) {
      const key = c.sysvKey();
      if (key !== null) {
        const ep: Endpoint = { pid: p.pid, map: c.range(), mode: c.mode() };
        add(h.sysvByInode, c.inode, ep);
        add(h.sysvByKey, key, ep);
        if (!h.sysvDev.has(c.inode)) h.sysvDev.set(c.inode, c.dev());
      } else if (c.pathStartsWith('/dev/shm/')) {
        const ep: Endpoint = { pid: p.pid, map: c.range(), mode: c.mode() };
        const name = c.pathFrom('/dev/shm/'.length);
        add(h.devShm, name, ep);
        const dev = c.devNumber();
        let inodes = byDev.get(dev);
        if (!inodes) byDev.set(dev, (inodes = new Map()));
        let d = inodes.get(c.inode);
        if (!d) {
          d = { name, size: 0, deleted: false, endpoints: [] };
          inodes.set(c.inode, d);
          h.devShmByKey.set(dev >= 0 ? `${Math.floor(dev / 1048576)}:${dev % 1048576}:${c.inode}` : `${mapsDevName(c.dev())}:${c.inode}`, d);
        }
        const size = c.length();
        if (size > d.size) d.size = size;
        if (c.deleted) d.deleted = true;
        d.endpoints.push(ep);
      }
    }
  }
  return h;
}

export function mapHolders(ctx: ProbeContext): MapHolders {
  let h = cache.get(ctx);
  if (!h) cache.set(ctx, (h = mapHoldersOf(keptMaps(ctx))));
  return h;
}
