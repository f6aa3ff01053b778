// Memory-mapping holders (SysV shm and /dev/shm mappings, shared mappings of files outside /dev
// and of unnamed shmem) from the walk's filtered maps text, read once per snapshot for the sysv,
// posix, file-shm and anon-shm probes; and the grouping of shared mappings by the object mapped.
import { isUtf8 } from 'node:buffer';
import { anonShmName } from '../kinds/anonShm';
import { FILE_SHM_MAPS } from '../kinds/fileShm';
import type { Endpoint } from '../model';
import { MapsCursor } from '../parsers/procPid';
import type { ProbeContext } from './context';
import { foreignPaths } from './mountNamespaces';
import { addTo } from '../collections';

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
   * shows, how far the mappings reach into it (mappingReach), and whether the file was unlinked (`/dev/shm/NAME (deleted)`). By
   * the device too, not the inode alone: a container's /dev/shm is a tmpfs of its own, whose
   * inode numbers start over (and glibc's sem_open maps a temp file `sem.XXXXXX (deleted)` that
   * it then links to the real name: the same inode).
   */
  devShmByKey: Map<string, DevShmMapping>;
  /** Shared mappings of files outside /dev (sharedFileName), by dev:inode: the file-shm probe's. */
  sharedFiles: SharedMapping[];
  /** Shared mappings of unnamed shmem (`/dev/zero`, `anon_hugepage`, memfds: anonShmName), by dev:inode: the anon-shm probe's. */
  anonShm: SharedMapping[];
}

export interface DevShmMapping {
  name: string;
  /** The name's bytes in hex, present only when they are not UTF-8 (`name` then has U+FFFD for the bad bytes): from the maps text's bytes (mapsHex). */
  nameHex?: string;
  size: number;
  deleted: boolean;
  endpoints: Endpoint[];
}

/** A maps line's device (`00:1a`, hex) as `major:minor` in decimal (`0:26`), as devName gives it for fd rows. */
export function mapsDevName(hex: string): string {
  const [a, b] = hex.split(':');
  return `${parseInt(a, 16)}:${parseInt(b, 16)}`;
}

/**
 * How far the cursor's mapping reaches into the object it maps: its offset into it plus its length
 * — what the object is at least as long as (a mapping may also run past a file's end). The
 * largest mapping when all start at 0; a window further in (mmap's offset, a segment whose first
 * pages were unmapped) reaches further than its length.
 */
function mappingReach(c: MapsCursor): number {
  const off = c.offset();
  return (off > 0 ? off : 0) + c.length();
}

/** The endpoint of the cursor's mapping: its range, and its offset into the object when not 0 (Endpoint.mapOffset). */
export function mapEndpoint(c: MapsCursor, pid: number, mode = c.mode()): Endpoint {
  const off = c.offset();
  return off > 0 ? { pid, map: c.range(), mapOffset: off, mode } : { pid, map: c.range(), mode };
}

/** Shared (`s`) mappings of one object (dev:inode as maps shows it): one endpoint per mapping. */
export interface SharedMapping {
  /** What its first line is named by (sharedFileName, anonShmName). */
  name: string;
  /** The process whose maps line that was (its mount namespace is the path's). */
  namePid: number;
  /** Its first line ended in ` (deleted)`. */
  deleted: boolean;
  dev: string;
  inode: number;
  /** How far the mappings reach into the object, in bytes (mappingReach). */
  size: number;
  endpoints: Endpoint[];
  pids: Set<number>;
  /** Processes with a writable mapping of it. */
  writers: Set<number>;
}

/** Shared mappings grouped by dev:inode as they are met, in the order of their first lines. */
class SharedGroups {
  private readonly groups = new Map<string, SharedMapping>();
  /** `ours(pid)`: its lines name files in our mount namespace — a group named by another's takes the first of ours. */
  constructor(private readonly ours?: (pid: number) => boolean) {}

  add(c: MapsCursor, pid: number, name: string): void {
    const dev = c.dev();
    const key = dev + ':' + c.inode;
    let g = this.groups.get(key);
    if (!g) {
      g = { name, namePid: pid, deleted: c.deleted, dev, inode: c.inode, size: 0, endpoints: [], pids: new Set(), writers: new Set() };
      this.groups.set(key, g);
    } else if (this.ours && g.namePid !== pid && !this.ours(g.namePid) && this.ours(pid)) {
      g.name = name;
      g.namePid = pid;
      g.deleted = c.deleted;
    }
    const reach = mappingReach(c);
    if (reach > g.size) g.size = reach;
    const mode = c.mode();
    g.endpoints.push(mapEndpoint(c, pid, mode));
    g.pids.add(pid);
    if (mode !== 'r') g.writers.add(pid);
  }

  list(): SharedMapping[] {
    return [...this.groups.values()];
  }
}

/** Path starts that are no file-shm's (/dev, and the other shared memory kinds'): its maps rule's excepts. */
const NOT_FILES = FILE_SHM_MAPS[0].except.map((e) => e.slice(1));

/** The path of a mapping of a file outside /dev (the file-shm kind's), null for any other. */
function sharedFileName(c: MapsCursor): string | null {
  return c.pathStartsWith('/') && !NOT_FILES.some((x) => c.pathStartsWith(x)) ? c.path() : null;
}

/** The kept processes' maps texts (ctx.raw, the processes the snapshot keeps), with their bytes when they are not UTF-8. */
function* keptMaps(ctx: ProbeContext): Generator<{ pid: number; maps: string; mapsHex?: string }> {
  for (const p of ctx.raw.values()) if (p.maps && ctx.processes.has(p.pid)) yield { pid: p.pid, maps: p.maps, ...(p.mapsHex !== undefined ? { mapsHex: p.mapsHex } : {}) };
}

/** The lines of a maps text's bytes (mapsHex) that are not UTF-8, by their lossy text: a line is told from any other by its address range. */
function linesNotUtf8(hex: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const b = Buffer.from(hex, 'hex');
  for (let s = 0; s < b.length; ) {
    let e = b.indexOf(0x0a, s);
    if (e < 0) e = b.length;
    const line = b.subarray(s, e);
    if (!isUtf8(line)) out.set(line.toString('utf8'), line);
    s = e + 1;
  }
  return out;
}

/**
 * The bytes (hex) of the cursor's path from `from` on, when the path shows U+FFFD and its line is
 * in `lines`: everything before the path is ASCII, so it starts at the same offset in the bytes.
 */
function pathHexFrom(c: MapsCursor, text: string, from: number, lines: ReadonlyMap<string, Buffer>): string | undefined {
  const line = lines.get(text.slice(c.lineStart, c.lineEnd));
  if (!line) return undefined;
  const end = line.length - (c.lineEnd - c.pathEnd); // ` (deleted)`, ASCII, when there
  const b = line.subarray(c.pathStart - c.lineStart + from, end);
  return !isUtf8(b) && b.toString('utf8') === text.slice(c.pathStart + from, c.pathEnd) ? b.toString('hex') : undefined;
}

const cache = new WeakMap<ProbeContext, MapHolders>();

const DEVSHM = '/dev/shm/';

/** The SysV, /dev/shm, shared-file and unnamed-shmem holders of these maps texts (one endpoint per mapping). Exported for tests. */
export function mapHoldersOf(maps: Iterable<{ pid: number; maps: string; mapsHex?: string }>, ours?: (pid: number) => boolean): MapHolders {
  const h: MapHolders = { sysvByInode: new Map(), sysvByKey: new Map(), sysvDev: new Map(), devShm: new Map(), devShmByKey: new Map(), sharedFiles: [], anonShm: [] };
  // the file-shm and anon-shm probes' lines, in the same pass: each line is parsed once a snapshot
  const files = new SharedGroups(ours);
  const anon = new SharedGroups();
  // /dev/shm mappings by device number, then inode: the `major:minor:inode` key is made once per object, not per line
  const byDev = new Map<number, Map<number, DevShmMapping>>();
  const c = new MapsCursor();
  for (const p of maps) {
    c.reset(p.maps);
    let lines: Map<string, Buffer> | undefined; // the process's lines that are not UTF-8, read when one is asked for
    while (c.next()) {
      const key = c.sysvKey();
      if (key !== null) {
        const ep = mapEndpoint(c, p.pid);
        addTo(h.sysvByInode, c.inode, ep);
        addTo(h.sysvByKey, key, ep);
        if (!h.sysvDev.has(c.inode)) h.sysvDev.set(c.inode, c.dev());
      } else if (c.pathStartsWith('/dev/shm/')) {
        const ep = mapEndpoint(c, p.pid);
        const name = c.pathFrom(DEVSHM.length);
        addTo(h.devShm, name, ep);
        const dev = c.devNumber();
        let inodes = byDev.get(dev);
        if (!inodes) byDev.set(dev, (inodes = new Map()));
        let d = inodes.get(c.inode);
        if (!d) {
          // a name that is not UTF-8 (U+FFFD in the text): its bytes, as an fd's link gives them
          const hex = p.mapsHex !== undefined && name.includes('\ufffd') ? pathHexFrom(c, p.maps, DEVSHM.length, (lines ??= linesNotUtf8(p.mapsHex))) : undefined;
          d = { name, ...(hex !== undefined ? { nameHex: hex } : {}), size: 0, deleted: false, endpoints: [] };
          inodes.set(c.inode, d);
          h.devShmByKey.set(dev >= 0 ? `${Math.floor(dev / 1048576)}:${dev % 1048576}:${c.inode}` : `${mapsDevName(c.dev())}:${c.inode}`, d);
        }
        const reach = mappingReach(c);
        if (reach > d.size) d.size = reach;
        if (c.deleted) d.deleted = true;
        d.endpoints.push(ep);
      } else if (c.shared()) {
        const name = sharedFileName(c);
        if (name !== null) files.add(c, p.pid, name);
        else if (c.deleted) {
          // unnamed shmem is always ` (deleted)`: a live /dev/zero is a device, not shared memory
          const a = anonShmName(c.path());
          if (a !== null) anon.add(c, p.pid, a);
        }
      }
    }
  }
  h.sharedFiles = files.list();
  h.anonShm = anon.list();
  return h;
}

export function mapHolders(ctx: ProbeContext): MapHolders {
  let h = cache.get(ctx);
  if (!h) {
    const foreign = foreignPaths(ctx);
    cache.set(ctx, (h = mapHoldersOf(keptMaps(ctx), (pid) => foreign.of(pid) === undefined)));
  }
  return h;
}
