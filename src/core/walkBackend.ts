// Picks and runs the fd walk, fastest first: the BPF task_file iterator (bpf-iter) when it can run
// here, else the native /proc walk (proc), else the TypeScript one (proc-ts). All three return the
// same ProcWalk columns, so nothing after the walk knows which ran; `capabilities.walk` says which
// did and why the faster ones did not (not privileged, no kernel BTF, not built, a captured /proc).
// The two native walks give the same guarantees on their /proc reads (per-item timeouts, the
// deadline, `stuck`); each keeps a list of the threads it left stuck in a process, and each is
// handed the other's list, so a process in D state costs one thread whichever backend met it.
import * as fs from 'node:fs';
import { isEveryMapsRule } from './kinds';
import type { FdRule } from './kinds/kind';
import type { WalkBackend, WalkCapability } from './model';
import type { BpfAddon, BpfAnonRule, BpfError, BpfWalkPhases, NativeAddon, ProcWalk, ProcWalkFds, ProcWalkOptions, StuckWalk } from './native';
import { filterMaps } from './parsers/procPid';
import { listPids, walkProcTs } from './procWalk';

/** 'auto' = the fastest backend that runs here; a named backend is tried first, the slower ones still back it up. */
export type WalkPreference = 'auto' | WalkBackend;

export interface WalkRun {
  walk: ProcWalk;
  capability: WalkCapability;
  /** Where a bpf-iter walk's time went. */
  bpf?: BpfWalkPhases;
}

export interface WalkBackends {
  native: NativeAddon | null;
  nativeError?: string;
  bpf: BpfAddon | null;
  bpfError?: string;
}

/**
 * `IPC_INSPECTOR_WALK=proc` (or bpf-iter, proc-ts, auto) when the caller did not choose; any other
 * value is auto, with a warning (a typo would otherwise go unnoticed). IPC_INSPECTOR_BTF names
 * another kernel BTF file.
 */
export function walkPreference(given: WalkPreference | undefined, warnings?: string[]): WalkPreference {
  const env = process.env.IPC_INSPECTOR_WALK;
  const v = given ?? env;
  if (v === 'bpf-iter' || v === 'proc' || v === 'proc-ts') return v;
  if (given === undefined && env !== undefined && env !== '' && env !== 'auto') warnings?.push(`IPC_INSPECTOR_WALK=${JSON.stringify(env)} is none of auto, bpf-iter, proc, proc-ts: the walk was chosen as with auto`);
  return 'auto';
}

function stuckOf(addon: { stuckWalks?: () => StuckWalk[] } | null | undefined): StuckWalk[] {
  try {
    return addon?.stuckWalks?.() ?? [];
  } catch {
    return []; // an older addon
  }
}

/** Walk threads of either native walk given up while blocked in a /proc read that have not returned yet. */
export function stuckWalks(b: Pick<WalkBackends, 'native' | 'bpf'>): StuckWalk[] {
  return [...stuckOf(b.native), ...stuckOf(b.bpf)];
}

/** What a walk passes on of the other backend's stuck list. */
const skipOf = (l: StuckWalk[]) => l.map(({ pid, what }) => ({ pid, what }));

/** What a build's BPF walk can report beyond its fixed classes: anon inode names up to this many bytes (0: none, an older build). */
export function bpfAnonNameMax(bpf: Pick<BpfAddon, 'bpfStatus'> | null | undefined): number {
  try {
    const n = bpf?.bpfStatus?.().anonNameMax;
    return typeof n === 'number' && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** Whether a build's BPF walk reports pty masters and slaves (classes 8, 9; an older build: no, its walk cannot serve the pty rules). */
export function bpfPty(bpf: Pick<BpfAddon, 'bpfStatus'> | null | undefined): boolean {
  try {
    return bpf?.bpfStatus?.().pty === true;
  } catch {
    return false;
  }
}

/** Whether a build's BPF walk reports memfds (class 7; an older build: no, its walk cannot serve the memfd rule). */
export function bpfMemfd(bpf: Pick<BpfAddon, 'bpfStatus'> | null | undefined): boolean {
  try {
    return bpf?.bpfStatus?.().memfd === true;
  } catch {
    return false;
  }
}

const ANON_PREFIX = 'anon_inode:';

/**
 * The iterator program tells files apart in the kernel (i_mode, the superblock magic), so it
 * reports fixed classes (native/bpf/walk.h IPCI_FD_*), and — builds with anonNameMax > 0 — the
 * anon inodes whose names the rules pass to it: an `exact` rule `anon_inode:NAME` (NAME at most
 * anonNameMax bytes) is served as it is, fdinfo keys included. Each other rule maps to one fixed
 * class, or the BPF walk cannot serve it (the memfd class, 7, only where `memfd`: a build that has
 * it). Returns the class → rule code table, the anon rules to pass, and the rules it cannot serve.
 */
export function bpfClasses(rules: readonly FdRule[], anonNameMax = 0, memfd = false, pty = false): { codes: Map<number, number>; anon: BpfAnonRule[]; unserved: FdRule[] } {
  const codes = new Map<number, number>();
  const anon: BpfAnonRule[] = [];
  const unserved: FdRule[] = [];
  for (const r of rules) {
    if (r.exact && r.link.startsWith(ANON_PREFIX)) {
      const name = r.link.slice(ANON_PREFIX.length);
      const bytes = Buffer.byteLength(name);
      const plain = !r.bracket && !r.type && !r.under && !r.mqueue && !r.memfd && !r.measure && !name.includes('\0');
      if (plain && bytes > 0 && bytes <= anonNameMax) anon.push({ code: r.code, link: r.link, ...(r.rw ? { rw: true } : {}), ...(r.fdinfo?.length ? { fdinfo: [...r.fdinfo] } : {}) });
      else unserved.push(r);
      continue;
    }
    const cls =
      r.link === 'pipe:[' && r.bracket ? 1
      : r.link === 'socket:[' && r.bracket ? 2
      : r.link === '/' && r.type === 'fifo' && !r.under && !r.mqueue && !r.memfd ? 3
      : r.link === '/' && r.mqueue && !r.under && !r.memfd ? 4
      : r.link === '/' && r.under === '/dev/shm/' && r.type === 'reg' && !r.mqueue && !r.memfd ? 5
      : r.link === '/' && r.under === '/memfd:' && r.type === 'reg' && r.memfd && !r.mqueue && memfd ? 7
      : r.link === '/' && r.type === 'chr' && pty && !r.under && !r.mqueue && !r.memfd ? ptyClass(r)
      : 0;
    // (a pty master's fdinfo lines are the program's own: walk.h IPCI_FD_PTM)
    if (cls === 0 || r.exact || (r.fdinfo?.length && cls !== 8) || codes.has(cls)) unserved.push(r);
    else codes.set(cls, r.code);
  }
  return { codes, anon, unserved };
}

/** A device rule as the reason names it: `char 5:2`, `char 136-143`. */
function chrLabel(r: FdRule): string {
  const range = (x: readonly [number, number]) => (x[0] === x[1] ? `${x[0]}` : `${x[0]}-${x[1]}`);
  return `char ${r.rdev ? range(r.rdev.major) + (r.rdev.minor ? `:${range(r.rdev.minor)}` : '') : '?'}`;
}

/**
 * The pty class a chr rule is (native/bpf/walk.h): 8 masters, exactly the ptmx device 5:2 with the
 * master's fdinfo keys (the program gives `tty-index` and `devpts-dev`; `mnt_id` only the /proc
 * walk needs), 9 slaves, exactly majors 136–143; 0 for any other device rule.
 */
function ptyClass(r: FdRule): number {
  const maj = r.rdev?.major;
  const min = r.rdev?.minor;
  if (maj?.[0] === 5 && maj[1] === 5 && min?.[0] === 2 && min[1] === 2 && (r.fdinfo ?? []).every((k) => k === 'tty-index' || k === 'mnt_id' || k === 'devpts-dev')) return 8;
  if (maj?.[0] === 136 && maj[1] === 143 && !min && !r.fdinfo?.length) return 9;
  return 0;
}

/**
 * The BPF walk's rows in the rules' codes: `codes` maps the walk's kind column (classes, or rule
 * codes when classCodes were passed) to the rules' codes; rows of other kinds are dropped, with
 * their fdinfo lines (infos is rebuilt for the rows kept); maps lines filtered by the rules.
 */
export function applyBpfClasses(w: ProcWalk, codes: ReadonlyMap<number, number>, o: ProcWalkOptions): ProcWalk {
  const f = w.fds;
  const n = f.pid.length;
  let kept = 0;
  for (let i = 0; i < n; i++) if (codes.has(f.kind[i])) kept++;
  const take = <T extends Int32Array | Uint8Array | Float64Array>(a: T, make: (len: number) => T): T => {
    if (kept === n) return a;
    const out = make(kept);
    for (let i = 0, j = 0; i < n; i++) if (codes.has(f.kind[i])) out[j++] = a[i];
    return out;
  };
  const kind = take(f.kind, (l) => new Uint8Array(l));
  for (let i = 0; i < kind.length; i++) kind[i] = codes.get(kind[i])!;
  // fdinfo lines of the rows kept, re-indexed (an older build has none: -1 throughout)
  const infoIndex = new Int32Array(kept).fill(-1);
  const infos: string[] = [];
  const given = w.infos ?? [];
  if (f.infoIndex) {
    for (let i = 0, j = 0; i < n; i++) {
      if (!codes.has(f.kind[i])) continue;
      const ii = f.infoIndex[i];
      if (ii >= 0 && ii < given.length) {
        infoIndex[j] = infos.length;
        infos.push(given[ii]);
      }
      j++;
    }
  }
  const mapsRules = o.mapsRules ?? [];
  // Every kind's rules (a snapshot of all kinds): the walk kept exactly their lines already. A scan
  // of every line all the same was 6 ms of the main thread a snapshot at 3,000 processes.
  const keptAlready = isEveryMapsRule(mapsRules);
  for (const p of w.processes) {
    if (!p || p.maps === undefined) continue;
    if (mapsRules.length === 0) {
      delete p.maps;
      delete p.mapsHex;
    } else if (!keptAlready) p.maps = filterMaps(p.maps, mapsRules); // mapsHex may keep more lines: its lines are found by their text (probes/maps.ts)
  }
  return {
    ...w,
    fds: {
      pid: take(f.pid, (l) => new Int32Array(l)),
      fd: take(f.fd, (l) => new Int32Array(l)),
      kind,
      mode: take(f.mode, (l) => new Uint8Array(l)),
      inode: take(f.inode, (l) => new Float64Array(l)),
      dev: take(f.dev, (l) => new Float64Array(l)),
      pathIndex: take(f.pathIndex, (l) => new Int32Array(l)),
      infoIndex,
      buffered: take(f.buffered, (l) => new Float64Array(l)),
      capacity: take(f.capacity, (l) => new Float64Array(l)),
    },
    infos,
  };
}

/**
 * bpfWalk's rule options for these rules, and the table from its kind column to the rules' codes:
 * a build that serves anon rules gets them and the class codes (its kind column is then in rule
 * codes); an older build gets neither (its kind column is the class).
 */
export function bpfRuleOptions(rules: readonly FdRule[], anonNameMax: number, memfd = false, pty = false): { options: { anonRules?: BpfAnonRule[]; classCodes?: number[] }; codes: Map<number, number> } {
  const { codes, anon } = bpfClasses(rules, anonNameMax, memfd, pty);
  if (anonNameMax <= 0) return { options: {}, codes };
  // one entry per class up to the highest this build has (an older one refuses a longer list)
  const classCodes = pty ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0] : memfd ? [0, 0, 0, 0, 0, 0, 0, 0] : [0, 0, 0, 0, 0, 0];
  for (const [cls, code] of codes) classCodes[cls] = code;
  const served = new Map<number, number>();
  for (const code of [...codes.values(), ...anon.map((a) => a.code)]) served.set(code, code);
  return { options: { anonRules: anon, classCodes }, codes: served };
}

/**
 * Open fds on the machine (openFdsOnMachine; the allocated files of /proc/sys/fs/file-nr where the
 * kernel does not count fds) below which a process that takes one snapshot and exits walks /proc
 * rather than loading the BPF program: loading it (BTF parsing, relocation, verification:
 * 0.11–0.14 s on a quiet machine) costs more than it saves below ~50k open files.
 * Measured with `ipc-inspector snapshot --json`: 400 open files, 0.52–0.63 s with the BPF walk,
 * 0.30–0.37 s with the /proc walk; 50.7k, 1.0–1.4 s against 1.1–1.6 s.
 */
export const ONE_SHOT_BPF_MIN_FILES = 50_000;

/** Allocated file handles machine-wide (file-nr's first field), or null when unreadable. */
export function openFilesOnMachine(procRoot = '/proc'): number | null {
  try {
    const n = Number(fs.readFileSync(`${procRoot}/sys/fs/file-nr`, 'latin1').trim().split(/\s+/)[0]);
    return Number.isFinite(n) && n >= 0 ? n : null;
  } catch {
    return null;
  }
}

/**
 * Open fds machine-wide, counted until `enough`: the sum of each /proc/PID/fd's st_size (its open
 * count, Linux >= 6.2: one stat per process, no fd read). What both walks pay for is fds, and an
 * fd dup'd a thousand times is one allocated file: file-nr alone chose the slower walk for a
 * machine of 200,000 fds over 1,700 files. Null where the kernel gives no count.
 */
export function openFdsOnMachine(procRoot = '/proc', enough = Infinity): number | null {
  try {
    if (fs.statSync(`${procRoot}/self/fd`).size === 0) return null; // ours is never empty: no count here
    let n = 0;
    for (const pid of listPids(procRoot)) {
      try {
        n += fs.statSync(`${procRoot}/${pid}/fd`).size;
      } catch {
        // gone meanwhile
      }
      if (n >= enough) break;
    }
    return n;
  } catch {
    return null;
  }
}

/** What the one-shot choice weighs: open fds when the kernel counts them (else allocated files), and the files. */
function oneShotLoad(): { fds: number | null; files: number } | null {
  const files = openFilesOnMachine();
  if (files === null) return null;
  return { files, fds: files >= ONE_SHOT_BPF_MIN_FILES ? null : openFdsOnMachine('/proc', ONE_SHOT_BPF_MIN_FILES) };
}

/**
 * True when the BPF walk would load here: a kernel BTF file, and root or CAP_BPF + CAP_PERFMON
 * (CapEff bits 39 and 38). The cost rule only chooses between two walks that would run: where BPF
 * cannot, its load says why, as before.
 */
function bpfWouldLoad(btfPath: string | undefined): boolean {
  if (!fs.existsSync(btfPath ?? '/sys/kernel/btf/vmlinux')) return false;
  if (process.geteuid?.() === 0) return true;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'latin1'));
    const caps = m ? BigInt('0x' + m[1]) : 0n;
    return (caps & (1n << 39n)) !== 0n && (caps & (1n << 38n)) !== 0n;
  } catch {
    return false;
  }
}

/**
 * `oneShot`: the caller takes this snapshot and exits (the CLI's snapshot, doctor, peek), so the
 * BPF program's load is paid for this walk alone: with `auto` and few open files on the machine,
 * the /proc walk runs instead (capabilities.walk says so; IPC_INSPECTOR_WALK=bpf-iter asks for BPF).
 */
export async function runWalk(b: WalkBackends, o: ProcWalkOptions, prefer: WalkPreference, warnings: string[], oneShot = false): Promise<WalkRun> {
  const why: string[] = [];
  const t0 = performance.now();
  const load = oneShot && prefer === 'auto' && b.bpf && bpfWouldLoad(process.env.IPC_INSPECTOR_BTF) ? oneShotLoad() : null;
  // what this build's BPF walk reports (each a call into the addon: asked once), and the rules it cannot
  const anonNameMax = bpfAnonNameMax(b.bpf);
  const memfd = bpfMemfd(b.bpf);
  const pty = bpfPty(b.bpf);
  const unserved = bpfClasses(o.fdRules ?? [], anonNameMax, memfd, pty).unserved;
  // bpf-iter
  if (prefer === 'proc' || prefer === 'proc-ts') why.push(`bpf-iter: not chosen (walk: ${prefer})`);
  else if (o.procRoot !== '/proc') why.push(`bpf-iter: ${o.procRoot} is not this machine's /proc`);
  else if (o.useGetfd) why.push('bpf-iter: useGetfd asks for the /proc walk');
  else if (!b.bpf) why.push(`bpf-iter: ${b.bpfError ?? 'no BPF addon'}`);
  else if (load !== null && Math.max(load.files, load.fds ?? 0) < ONE_SHOT_BPF_MIN_FILES) {
    const what = load.fds !== null ? `${load.fds} open fds (${load.files} open files)` : `${load.files} open files`;
    why.push(`bpf-iter: not chosen for one snapshot of ${what} (loading the program costs more than it saves below ${ONE_SHOT_BPF_MIN_FILES}; IPC_INSPECTOR_WALK=bpf-iter asks for it)`);
  }
  else if (unserved.length > 0) {
    why.push(`bpf-iter: cannot report ${unserved.map((r) => (r.link === '/' && r.under ? r.under : r.link === '/' && r.type === 'chr' ? chrLabel(r) : r.link)).join(', ')}`);
  } else {
    const { options: ruleOptions, codes } = bpfRuleOptions(o.fdRules ?? [], anonNameMax, memfd, pty);
    try {
      const btfPath = process.env.IPC_INSPECTOR_BTF; // the kernel BTF to relocate against (tests: a missing file)
      const w = await b.bpf.bpfWalk({
        threads: o.threads,
        ...(o.pids ? { pids: o.pids } : {}),
        readMaps: (o.mapsRules?.length ?? 0) > 0,
        readTimers: o.readTimers,
        readLinks: o.readLinks,
        readCgroup: o.readCgroup === true,
        measurePipes: (o.fdRules ?? []).some((r) => r.measure),
        ...(o.scmFds ? { scmFds: true } : {}),
        ...(o.kthreadsFromTask ? { kthreadsFromTask: true } : {}),
        ...(o.itemTimeoutMs ? { itemTimeoutMs: o.itemTimeoutMs } : {}),
        ...(o.deadlineMs ? { deadlineMs: o.deadlineMs } : {}),
        ...(o.rowsPerUser ? { rowsPerUser: o.rowsPerUser } : {}),
        ...(o.rowsTotal ? { rowsTotal: o.rowsTotal } : {}),
        skipStuck: skipOf(stuckOf(b.native)),
        ...(btfPath ? { btfPath } : {}),
        ...ruleOptions,
      });
      // given-up processes (ETIMEDOUT, `stuck`) are named by the snapshot, as for the /proc walk
      return { walk: applyBpfClasses(w, codes, o), capability: { backend: 'bpf-iter', ...(w.bpf.mapsUnavailable ? { mapsPassOff: w.bpf.mapsUnavailable } : {}) }, bpf: w.bpf };
    } catch (e) {
      const err = e as BpfError;
      why.push(`bpf-iter: ${err.message}`);
      // ECANCELED: the walk gave its fd pass up for a machine the /proc walk takes faster (its path says why)
      if (err.code === 'ECANCELED') warnings.push(`BPF fd walk gave way to the /proc walk: ${(err.path ?? '').replace(/^BPF task_file iterator: /, '')}`);
      else if (!err.unsupported) warnings.push(`BPF fd walk failed (${err.code ?? err.message}); used the /proc walk`);
    }
  }
  // proc (native)
  if (prefer === 'proc-ts') why.push('proc: not chosen (walk: proc-ts)');
  else if (!b.native) why.push(`proc: ${b.nativeError ?? 'no native addon'}`);
  else {
    // what is left of the walk's deadline after a BPF walk that failed
    const left = o.deadlineMs ? Math.max(1, o.deadlineMs - (performance.now() - t0)) : undefined;
    try {
      const w = await walkProcAndThreads(b.native, { ...o, ...(left ? { deadlineMs: left } : {}), skipStuck: skipOf(stuckOf(b.bpf)) });
      return { walk: w, capability: { backend: 'proc', reason: why.join('; ') } };
    } catch (e) {
      why.push(`proc: ${(e as Error).message}`);
      warnings.push(`native fd walk failed (${(e as Error).message}); used the TypeScript walk`);
    }
  }
  return { walk: await walkProcTs(o), capability: { backend: 'proc-ts', reason: why.join('; ') } };
}

/**
 * The native /proc walk, and then the threads it found with an fd table of their own
 * (unshare(CLONE_FILES): /proc/PID/fd does not list their fds, /proc/TID/fd does), walked as
 * processes under their tids in a second pass and merged in, as the BPF walk gives them in one.
 */
export async function walkProcAndThreads(native: Pick<NativeAddon, 'walkProc'>, o: ProcWalkOptions): Promise<ProcWalk> {
  const t0 = performance.now();
  const w = await native.walkProc(o);
  const tids: number[] = [];
  const leaders: number[] = [];
  for (const p of w.processes) {
    for (const tid of p.threadTables ?? []) {
      tids.push(tid);
      leaders.push(p.pid);
    }
  }
  if (tids.length === 0) return w;
  // in tid order, so that the merged rows stay in pid order
  const order = tids.map((_, k) => k).sort((x, y) => tids[x] - tids[y]);
  const sorted = { pids: order.map((k) => tids[k]), leaders: order.map((k) => leaders[k]) };
  const left = o.deadlineMs ? Math.max(1, o.deadlineMs - (performance.now() - t0)) : undefined;
  const t = await native.walkProc({ ...o, ...sorted, ...(left ? { deadlineMs: left } : {}) });
  return mergeWalks(w, t);
}

/** Empty fd columns for `n` rows. */
export function fdColumns(n: number): ProcWalkFds {
  return {
    pid: new Int32Array(n), fd: new Int32Array(n), kind: new Uint8Array(n), mode: new Uint8Array(n),
    inode: new Float64Array(n), dev: new Float64Array(n), pathIndex: new Int32Array(n), infoIndex: new Int32Array(n),
    buffered: new Float64Array(n), capacity: new Float64Array(n),
  };
}

/** Row `i` of `f` into row `k` of `out`, its path and fdinfo indices moved by `pathBase` and `infoBase`. */
export function copyFdRow(out: ProcWalkFds, k: number, f: ProcWalkFds, i: number, pathBase = 0, infoBase = 0): void {
  out.pid[k] = f.pid[i];
  out.fd[k] = f.fd[i];
  out.kind[k] = f.kind[i];
  out.mode[k] = f.mode[i];
  out.inode[k] = f.inode[i];
  out.dev[k] = f.dev[i];
  out.pathIndex[k] = f.pathIndex[i] < 0 ? -1 : f.pathIndex[i] + pathBase;
  out.infoIndex[k] = f.infoIndex[i] < 0 ? -1 : f.infoIndex[i] + infoBase;
  out.buffered[k] = f.buffered[i];
  out.capacity[k] = f.capacity[i];
}

/** Two walks' results as one: processes appended, fd rows merged in pid order (both come in it). */
export function mergeWalks(a: ProcWalk, b: ProcWalk): ProcWalk {
  const n = a.fds.pid.length + b.fds.pid.length;
  const out = fdColumns(n);
  let i = 0;
  let j = 0;
  for (let k = 0; k < n; k++) {
    if (j >= b.fds.pid.length || (i < a.fds.pid.length && a.fds.pid[i] <= b.fds.pid[j])) copyFdRow(out, k, a.fds, i++);
    else copyFdRow(out, k, b.fds, j++, a.paths.length, a.infos.length);
  }
  // the paths that are not UTF-8, b's indices after a's paths
  const hexAt = [...(a.pathHexAt ?? []), ...(b.pathHexAt ?? []).map((x) => x + a.paths.length)];
  return {
    processes: [...a.processes, ...b.processes],
    fds: out,
    paths: [...a.paths, ...b.paths],
    ...(hexAt.length ? { pathHexAt: hexAt, pathHex: [...(a.pathHex ?? []), ...(b.pathHex ?? [])] } : {}),
    infos: [...a.infos, ...b.infos],
    elapsedMs: a.elapsedMs + b.elapsedMs,
    threads: Math.max(a.threads, b.threads),
  };
}
