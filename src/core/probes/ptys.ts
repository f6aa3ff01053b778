// Pseudo-terminals (core/kinds/pty.ts): the walk reports master fds (a ptmx, char 5:2, with fdinfo
// `tty-index` and `mnt_id`) and slave fds (char 136–143: the device number is the index, st_dev
// the devpts instance); here both are joined by (devpts instance, index), which is the kernel's
// identity of the pair.
//
// A slave says its instance itself (its st_dev). A master opened through a devpts's own ptmx
// (/dev/pts/ptmx: containers) does too. A master opened through /dev/ptmx (a devtmpfs node) does
// not: the kernel took the devpts mounted at `pts` beside that ptmx node, in the mount tree of
// the ptmx's mount, when it was opened. The /proc walk finds the same in the holder's mountinfo:
// the ptmx's mount (fdinfo mnt_id), the mount on top of its `<dir>/pts` whose parent it is (the
// topmost of a stack), which must be a devpts — in our own mount table for a holder of our mount
// namespace, else in its namespace's (read once, bounded: another user makes those; see
// mountTables). Where that cannot be told — the ptmx's mount is not
// in the holder's mountinfo (the fd came over a socket from another mount namespace, or the holder
// changed namespace since), or the holder's root is not ours (its link text does not start with
// the mount point its mountinfo shows), or no devpts is mounted there now (unmounted or
// over-mounted since the open) — the devpts is null and the master is a channel of its own, told
// apart by the ptmx's mount and the index (`pty:mntM:N`), never guessed from the index alone.
// The BPF walk reads the pair's devpts from the master's tty (`devpts-dev`), so in those residual
// cases (only) the two walks can differ: BPF pairs the master, /proc leaves it alone.
//
// The terminal's session and foreground group come from /proc/PID/stat of its slave holders
// (fields 6–8: session, tty_nr, tpgid), read only for those: a process whose tty_nr is this
// pty's device number has it as its controlling terminal. tty_nr carries no devpts instance, so
// only processes that hold this very pair's slave are asked (a process holding pts/3 of one
// instance with pts/3 of another as its controlling terminal would be miscounted: contrived).
import * as fs from 'node:fs';
import type { Endpoint, Mode } from '../model';
import type { PtyChannel } from '../kinds/pty';
import { PTY_MASTER_FDS, PTY_SLAVE_FDS, ptyId, ptyIndex } from '../kinds/pty';
import { parseFdinfo, parseStat } from '../parsers/procPid';
import { devName, emitAll, modeOf, ownMntns, type Probe, type ProbeContext } from './context';
import { MOUNTINFO_MAX } from '../textBounds';
import { UserBudget } from '../userBudget';
import { parseMountinfo, type MountLine } from '../parsers/mountinfo';

/** One end as the walk reported it. */
export interface PtyRow {
  pid: number;
  fd: number;
  mode: Mode;
  /** Slave: `major:minor` of its devpts (st_dev). Master: its devpts when known (the BPF walk's `devpts-dev`, or found through mountinfo), else null. */
  devpts: string | null;
  index: number;
  /** Master: fdinfo mnt_id (the mount its ptmx was opened on), for the id of a master whose devpts is unknown. */
  mntId?: number;
  /** Slave: its device number (glibc's encoding), what stat's tty_nr says of a controlling terminal. */
  rdev?: number;
}

/** What stat says of a process's terminal (fields 6–8, parsers/procPid.ts parseStat). */
export interface StatTty {
  session: number;
  /** The controlling terminal's device number (0: none). */
  ttyNr: number;
  /** Foreground process group of the controlling terminal (-1: none). */
  tpgid: number;
}

/** The terminal fields of /proc/PID/stat; null when unreadable as such. */
export function statTty(text: string): StatTty | null {
  const ps = parseStat(text);
  if (!ps) return null;
  const { session, ttyNr, tpgid } = ps;
  return Number.isInteger(session) && Number.isInteger(ttyNr) && Number.isInteger(tpgid) ? { session: session!, ttyNr: ttyNr!, tpgid: tpgid! } : null;
}


/** A mount table read for the stack lookups: by id, and by (parent, mount point); `cut` when the text was cut short. */
export interface MountTable {
  byId: ReadonlyMap<number, MountLine>;
  /** `${parent} ${mountPoint}` → the mount there (the last line listed: the later mount). */
  on: ReadonlyMap<string, MountLine>;
  size: number;
  cut: boolean;
}

export function mountTable(lines: readonly MountLine[], cut = false): MountTable {
  const byId = new Map<number, MountLine>();
  const on = new Map<string, MountLine>();
  for (const l of lines) {
    byId.set(l.id, l);
    on.set(`${l.parent} ${l.mountPoint}`, l);
  }
  return { byId, on, size: lines.length, cut };
}

/**
 * The devpts a ptmx opened on mount `mntId` (link text `link`, as our readlink shows it) took, from
 * its holder's mounts: the ptmx's own mount when it is a devpts (/dev/pts/ptmx); else the devpts
 * mounted on `<dir of the ptmx>/pts` over that mount (the topmost of a stack, as the kernel's
 * lookup follows mounts down; any user may stack tens of thousands in a namespace of their own,
 * so each step is one map lookup). Null when that cannot be told (see the file comment), or when
 * the table was cut short before the stack's top could be known.
 */
export function devptsOfPtmx(mounts: MountTable, mntId: number, link: string | null): string | null {
  const m = mounts.byId.get(mntId);
  if (!m) return null;
  if (m.fstype === 'devpts') return m.dev;
  if (link === null || !link.startsWith('/') || mounts.cut) return null;
  const base = m.mountPoint === '/' ? '' : m.mountPoint;
  // the holder's mount point and our link text agree only when its root is ours
  if (!link.startsWith(base + '/')) return null;
  const dir = link.slice(0, link.lastIndexOf('/'));
  const at = (dir === '' ? '' : dir) + '/pts';
  let top = mounts.on.get(`${m.id} ${at}`);
  if (!top) return null;
  for (let guard = 0; guard < mounts.size; guard++) {
    const above = mounts.on.get(`${top.id} ${at}`);
    if (!above) break;
    top = above;
  }
  return top.fstype === 'devpts' ? top.dev : null;
}

/**
 * The channels of these ends: one per (devpts, index) — or (ptmx mount, index) for masters whose
 * devpts is unknown — held by two processes or more (one process holding both ends talks to
 * itself). `stats`: what stat says of each slave holder (absent: unreadable).
 */
export function ptyChannels(rows: readonly (PtyRow & { role: 'master' | 'slave' })[], stats: ReadonlyMap<number, StatTty>): PtyChannel[] {
  const byId = new Map<string, { devpts: string | null; index: number; rdev: number | undefined; eps: Endpoint[] }>();
  for (const r of rows) {
    const id = ptyId(r.devpts, r.index, r.mntId);
    let g = byId.get(id);
    if (!g) byId.set(id, (g = { devpts: r.devpts, index: r.index, rdev: undefined, eps: [] }));
    if (r.rdev !== undefined) g.rdev = r.rdev;
    g.eps.push({ pid: r.pid, fd: r.fd, mode: r.mode, role: r.role });
  }
  const out: PtyChannel[] = [];
  for (const [id, g] of byId) {
    if (new Set(g.eps.map((e) => e.pid)).size < 2) continue;
    // masters first, then slaves, each in (pid, fd) order: the same list whichever walk ran
    g.eps.sort((a, b) => (a.role === b.role ? 0 : a.role === 'master' ? -1 : 1) || a.pid - b.pid || a.fd! - b.fd!);
    const controlling: number[] = [];
    let session: number | null = null;
    let foreground: number | null = null;
    for (const pid of new Set(g.eps.filter((e) => e.role === 'slave').map((e) => e.pid))) {
      const st = stats.get(pid);
      if (!st || g.rdev === undefined || st.ttyNr !== g.rdev) continue;
      controlling.push(pid);
      session ??= st.session > 0 ? st.session : null;
      foreground ??= st.tpgid > 0 ? st.tpgid : null;
    }
    controlling.sort((a, b) => a - b);
    out.push({ id, kind: 'pty', endpoints: g.eps, index: g.index, devpts: g.devpts, session, foreground, controlling });
  }
  return out;
}

/** The walk's master and slave rows (an O_PATH fd, of neither mode, is no end). */
function walkRows(ctx: Pick<ProbeContext, 'walk' | 'processes' | 'index'>): Array<PtyRow & { role: 'master' | 'slave'; link: string | null }> {
  const f = ctx.walk.fds;
  const sCode = PTY_SLAVE_FDS.rule.code;
  const keys = PTY_MASTER_FDS.rule.fdinfo ?? [];
  const out: Array<PtyRow & { role: 'master' | 'slave'; link: string | null }> = [];
  // the fd index's rows of these two classes only, not every fd of the machine
  const rows: number[] = [];
  for (const code of [PTY_MASTER_FDS.rule.code, sCode]) for (const head of ctx.index.heads(code)) for (let i = head; i >= 0; i = ctx.index.next[i]) rows.push(i);
  for (const i of rows) {
    const k = f.kind[i];
    if (!ctx.processes.has(f.pid[i]) || (f.mode[i] & 3) === 0) continue;
    const pid = f.pid[i];
    const fd = f.fd[i];
    const mode = modeOf(f.mode[i]);
    const link = f.pathIndex[i] >= 0 ? (ctx.walk.paths[f.pathIndex[i]] ?? null) : null;
    if (k === sCode) {
      const rdev = f.inode[i];
      const { major, minor } = splitDev(rdev);
      const index = ptyIndex(major, minor);
      if (index === null) continue;
      out.push({ pid, fd, mode, devpts: devName(f.dev[i]), index, rdev, role: 'slave', link });
      continue;
    }
    const ii = f.infoIndex[i];
    if (ii < 0) continue; // fdinfo unreadable (closed meanwhile)
    const info = parseFdinfo(ctx.walk.infos[ii], keys);
    const index = Number(info.get('tty-index'));
    const mntId = Number(info.get('mnt_id') ?? 0);
    if (!Number.isInteger(index) || index < 0 || info.get('tty-index') === undefined) continue; // not opened as a tty (no tty-index)
    const given = info.get('devpts-dev');
    out.push({ pid, fd, mode, devpts: given !== undefined && /^\d+:\d+$/.test(given) ? given : null, index, mntId: Number.isInteger(mntId) ? mntId : 0, role: 'master', link });
  }
  return out;
}

/** major and minor of a device number in glibc's encoding (devName's). */
export function splitDev(dev: number): { major: number; minor: number } {
  const [major, minor] = devName(dev).split(':').map(Number);
  return { major, minor };
}

async function readText(file: string): Promise<string | null> {
  try {
    return await fs.promises.readFile(file, 'latin1');
  } catch {
    return null;
  }
}

/**
 * Mount tables of other namespaces read a snapshot, at most: per user, and in all. Any user can
 * make namespaces and stack mounts in them (fs.mount-max: 100,000 each); reading the mountinfo
 * of 20,000 stacked devpts cost the kernel ~5 s, once per pty holder before this bound.
 */
export const FOREIGN_TABLES_PER_USER = 4;
export const FOREIGN_TABLES = 16;

/** The first `max` bytes of a /proc text, whole lines only; cut when there was more. */
async function readHead(file: string, max: number): Promise<{ text: string; cut: boolean } | null> {
  let h: fs.promises.FileHandle | undefined;
  try {
    h = await fs.promises.open(file, 'r');
    const b = Buffer.allocUnsafe(max + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await h.read(b, n, max + 1 - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > max) break;
    }
    if (n <= max) return { text: b.toString('latin1', 0, n), cut: false };
    return { text: b.toString('latin1', 0, b.lastIndexOf(0x0a, max) + 1), cut: true };
  } catch {
    return null;
  } finally {
    await h?.close().catch(() => undefined);
  }
}

/**
 * The mount tables the masters' lookups use, one per mount namespace: a holder of ours is looked
 * up in our own table (its mount ids are ours, and our link text is in our root's terms), a
 * holder of another namespace in its own mountinfo — the first holder's, within the bounds above
 * (past them: null, and its masters' devpts unknown). Without namespaces to tell (a captured
 * tree), each holder's own.
 */
function mountTables(ctx: Pick<ProbeContext, 'procRoot' | 'processes'>): (pid: number) => Promise<MountTable | null> {
  const tables = new Map<string, Promise<MountTable | null>>();
  const foreign = new UserBudget(FOREIGN_TABLES, FOREIGN_TABLES_PER_USER);
  const own = ownMntns(ctx) ?? undefined;
  const read = async (file: string): Promise<MountTable | null> => {
    const t = await readHead(file, MOUNTINFO_MAX);
    return t === null ? null : mountTable(parseMountinfo(t.text), t.cut);
  };
  return (pid) => {
    const p = ctx.processes.get(pid);
    const ns = p?.mntns ?? undefined;
    const key = own !== undefined && ns === own ? 'ours' : ns !== undefined && own !== undefined ? ns : `pid ${pid}`;
    let t = tables.get(key);
    if (t) return t;
    if (key === 'ours') t = read('/proc/self/mountinfo');
    else {
      const uid = p?.uid ?? -1;
      const spent = foreign.spent(uid);
      if (!spent) foreign.spend(uid, 1);
      t = spent ? Promise.resolve(null) : read(`${ctx.procRoot}/${pid}/mountinfo`);
    }
    tables.set(key, t);
    return t;
  };
}

export const ptyProbe: Probe = {
  async run(ctx) {
    if (!ctx.kinds.has('pty')) return;
    const rows = walkRows(ctx);
    // masters the walk could not place (the /proc walk's /dev/ptmx): their mount namespace's table
    const tableOf = mountTables(ctx);
    for (const r of rows) {
      if (r.role !== 'master' || r.devpts !== null || r.mntId === undefined) continue;
      const m = await tableOf(r.pid);
      if (m) r.devpts = devptsOfPtmx(m, r.mntId, r.link);
    }
    const stats = new Map<number, StatTty>();
    for (const pid of new Set(rows.filter((r) => r.role === 'slave').map((r) => r.pid))) {
      const text = await readText(`${ctx.procRoot}/${pid}/stat`);
      const st = text === null ? null : statTty(text);
      if (st) stats.set(pid, st);
    }
    emitAll(ctx, 'pty', ptyChannels(rows, stats));
  },
};
