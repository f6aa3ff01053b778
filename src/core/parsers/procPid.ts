// Parsers for per-process /proc text: stat, status, cmdline, timers, maps.
// All of them are total: malformed input yields null / partial results, never throws.
import { isUtf8 } from 'node:buffer';
import type { PosixTimer, SignalState } from '../model';
import type { MapsRule } from '../kinds/kind';
import { decodeSigMask, signalName } from '../signals';
import { isHexBytes } from '../text';

export interface ParsedStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  startTime: number;
  threads: number;
  /** utime + stime, in clock ticks (NaN when those fields are not numbers; the BPF walk's task record has none). */
  cpuTicks?: number;
  /** Fields 6–8: session, the controlling terminal's device number (0: none) and its foreground process group (-1: none); NaN when not numbers. */
  session?: number;
  ttyNr?: number;
  tpgid?: number;
}

/**
 * `/proc/PID/stat`: `pid (comm) S ppid …`. comm may contain spaces, newlines and `) ` — the
 * real end of comm is the LAST `)` in the text. Returns null when truncated (fewer than 22 fields).
 */
export function parseStat(text: string): ParsedStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] = field 3 (state); field N is rest[N-3]
  if (rest.length < 20) return null;
  const ppid = Number(rest[1]);
  const startTime = Number(rest[19]);
  const threads = Number(rest[17]);
  if (!Number.isFinite(ppid) || !Number.isFinite(startTime)) return null;
  // utime and stime are fields 14 and 15
  return {
    pid, comm: text.slice(open + 1, close), state: rest[0], ppid, startTime, threads: Number.isFinite(threads) ? threads : 1, cpuTicks: Number(rest[11]) + Number(rest[12]),
    session: Number(rest[3]), ttyNr: Number(rest[4]), tpgid: Number(rest[5]),
  };
}

export interface ParsedStatus {
  name?: string;
  uid: number | null;
  /** The effective uid (Uid's second field); null when missing. */
  euid: number | null;
  ppid: number | null;
  tracerPid: number;
  threads: number | null;
  signals: SignalState;
  /** NSpid: pid in each nested pid namespace, outermost first; [] when the line is missing or malformed. */
  nsPid: number[];
  /** VmRSS in bytes; absent for a kernel thread or a zombie (no address space). */
  vmRss?: number;
}

/** `/proc/PID/status` ("Key:\tvalue" lines). Unknown keys and garbage lines are ignored. */
export function parseStatus(text: string): ParsedStatus {
  const out: ParsedStatus = {
    uid: null,
    euid: null,
    ppid: null,
    tracerPid: 0,
    threads: null,
    nsPid: [],
    signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null },
  };
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    const colon = text.indexOf(':', start);
    if (colon > start && colon < end) {
      const key = text.slice(start, colon);
      const value = text.slice(colon + 1, end).trim();
      switch (key) {
        case 'Name':
          out.name = value;
          break;
        case 'Uid': {
          // real, effective, saved set, file system
          const [real, effective] = value.split(/\s+/).map(Number);
          if (Number.isInteger(real)) out.uid = real;
          if (Number.isInteger(effective)) out.euid = effective;
          break;
        }
        case 'PPid': {
          const v = Number(value);
          if (Number.isInteger(v)) out.ppid = v;
          break;
        }
        case 'TracerPid': {
          const v = Number(value);
          if (Number.isInteger(v)) out.tracerPid = v;
          break;
        }
        case 'VmRSS': {
          const m = /^(\d+) kB$/.exec(value);
          if (m) out.vmRss = Number(m[1]) * 1024;
          break;
        }
        case 'Threads': {
          const v = Number(value);
          if (Number.isInteger(v)) out.threads = v;
          break;
        }
        case 'NSpid': {
          const parts = value.split(/\s+/);
          const pids = parts.map(Number);
          out.nsPid = parts.length > 0 && pids.every((v, i) => /^[1-9]\d{0,9}$/.test(parts[i]) && v <= 4194304) ? pids : [];
          break;
        }
        case 'SigQ': {
          const m = /^(\d+)\/(\d+)$/.exec(value);
          if (m) {
            out.signals.queued = Number(m[1]);
            out.signals.queueLimit = Number(m[2]);
          }
          break;
        }
        case 'SigPnd':
          out.signals.pending = decodeSigMask(value);
          break;
        case 'ShdPnd':
          out.signals.shdPending = decodeSigMask(value);
          break;
        case 'SigBlk':
          out.signals.blocked = decodeSigMask(value);
          break;
        case 'SigIgn':
          out.signals.ignored = decodeSigMask(value);
          break;
        case 'SigCgt':
          out.signals.caught = decodeSigMask(value);
          break;
      }
    }
    start = end + 1;
  }
  return out;
}

/** NUL-separated argv; a trailing NUL does not make an empty last argument. */
export function parseCmdline(text: string): string[] {
  if (!text) return [];
  const parts = text.split('\0');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * The bytes of each argument of a command line that is not UTF-8 (`hex`: the whole file's bytes),
 * split as parseCmdline splits its text: an argument's hex where it is not UTF-8, null where it is.
 * Null when every argument is (nothing lossy to keep).
 */
export function cmdlineBytes(hex: string): Array<string | null> | null {
  const raw = Buffer.from(hex, 'hex');
  const out: Array<string | null> = [];
  let lossy = false;
  let start = 0;
  while (start < raw.length) {
    let end = raw.indexOf(0, start);
    if (end < 0) end = raw.length;
    const arg = raw.subarray(start, end);
    if (isUtf8(arg)) out.push(null);
    else {
      out.push(arg.toString('hex'));
      lossy = true;
    }
    start = end + 1; // the text after the last NUL, when empty, is no argument (as parseCmdline drops it)
  }
  return lossy ? out : null;
}

/** comm's bytes in /proc/PID/stat's bytes, in hex: between the first `(` and the last `)`, as the native walks take them (walkrows.h). */
export function statCommHex(stat: Buffer): string | undefined {
  const open = stat.indexOf(0x28);
  const close = stat.lastIndexOf(0x29);
  return open >= 0 && close > open ? stat.subarray(open + 1, close).toString('hex') : undefined;
}

/** comm's bytes (`hex`) when they are not UTF-8, else undefined: what ProcessInfo.commBytes holds. */
export function commBytes(hex: string | undefined): string | undefined {
  return isHexBytes(hex) && !isUtf8(Buffer.from(hex, 'hex')) ? hex : undefined;
}

const CLOCKS: Record<number, string> = {
  0: 'CLOCK_REALTIME',
  1: 'CLOCK_MONOTONIC',
  2: 'CLOCK_PROCESS_CPUTIME_ID',
  3: 'CLOCK_THREAD_CPUTIME_ID',
  4: 'CLOCK_MONOTONIC_RAW',
  5: 'CLOCK_REALTIME_COARSE',
  6: 'CLOCK_MONOTONIC_COARSE',
  7: 'CLOCK_BOOTTIME',
  8: 'CLOCK_REALTIME_ALARM',
  9: 'CLOCK_BOOTTIME_ALARM',
  11: 'CLOCK_TAI',
};

/**
 * `/proc/PID/timers`: blocks of `ID: 0`, `signal: 14/00000000deadbeef`, `notify: signal/pid.123`,
 * `ClockID: 0`. A block starts at each `ID:` line; incomplete blocks keep what they had.
 */
export function parseTimers(text: string): PosixTimer[] {
  const out: PosixTimer[] = [];
  let cur: PosixTimer | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (key === 'ID') {
      const id = Number(value);
      if (!Number.isInteger(id)) {
        cur = null;
        continue;
      }
      cur = { id, signal: null, clock: 'CLOCK_REALTIME', notify: 'signal', notifyPid: null };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    if (key === 'signal') {
      const s = Number(value.split('/')[0]);
      cur.signal = Number.isInteger(s) && s > 0 ? signalName(s) : null;
    } else if (key === 'notify') {
      const m = /^([a-z]+)\/(?:pid|tid)\.(-?\d+)$/.exec(value);
      if (m) {
        cur.notify = m[1];
        cur.notifyPid = Number(m[2]);
      } else {
        cur.notify = value.split('/')[0] || value;
      }
    } else if (key === 'ClockID') {
      const c = Number(value);
      cur.clock = Number.isInteger(c) && CLOCKS[c] !== undefined ? CLOCKS[c] : value;
    }
  }
  for (const t of out) if (t.notify === 'none') t.signal = null;
  return out;
}

export interface MapsLine {
  /** `start-end` as in the file. */
  range: string;
  perms: string;
  dev: string;
  inode: number;
  path: string;
  deleted: boolean;
}

/** Value of a hex digit's char code, -1 for any other char. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** text[s, e) as a hex number (exact: up to 13 digits by hand, longer through parseInt); NaN if empty or not hex. */
function hexAt(text: string, s: number, e: number): number {
  if (e <= s) return NaN;
  if (e - s > 13) return /^[0-9a-f]+$/i.test(text.slice(s, e)) ? parseInt(text.slice(s, e), 16) : NaN;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return NaN;
    v = v * 16 + d;
  }
  return v;
}

const DELETED = ' (deleted)';
const SPACES8 = '        ';

/** The first offset at or after i, before e, that is not a space (the kernel pads maps lines to column 73). */
function skipSpaces(t: string, i: number, e: number): number {
  while (i + 8 <= e && t.startsWith(SPACES8, i)) i += 8;
  while (i < e && t.charCodeAt(i) === 32) i++;
  return i;
}

/**
 * A maps text read line by line with no object or substring per line: a machine of thousands of
 * processes has tens of thousands of kept lines per snapshot, and one object and five strings per
 * line made parsing them most of the main thread's time there. After next(), the line's fields
 * are offsets into the text; a caller slices only what it keeps. The one parser of maps lines
 * (parseMapsLine is built on it): `start-end perms offset dev inode   path`, the path keeps inner
 * spaces, ` (deleted)` is stripped into `deleted`, lines without a path or malformed are skipped.
 */
export class MapsCursor {
  private text = '';
  private at = 0;
  /** Field starts and ends of the line being parsed. */
  private readonly fs = new Int32Array(5);
  private readonly fe = new Int32Array(5);
  /** [rangeStart, rangeEnd) is `start-end`; lo and hi are those addresses. */
  rangeStart = 0;
  rangeEnd = 0;
  lo = 0;
  hi = 0;
  /** Offset of the 4 perms chars. */
  perms = 0;
  /** [offStart, offEnd) is the offset column: the byte of the mapped object at `lo` (hex). */
  offStart = 0;
  offEnd = 0;
  /** [devStart, devEnd) is the device, `00:1a` (hex). */
  devStart = 0;
  devEnd = 0;
  inode = 0;
  /** [pathStart, pathEnd) is the path, ` (deleted)` left out. */
  pathStart = 0;
  pathEnd = 0;
  deleted = false;
  /** [lineStart, lineEnd) is the whole line. */
  lineStart = 0;
  lineEnd = 0;

  constructor(text = '') {
    this.reset(text);
  }

  reset(text: string): this {
    this.text = text;
    this.at = 0;
    return this;
  }

  /** Moves to the next line that parses; false at the end of the text. */
  next(): boolean {
    const t = this.text;
    const n = t.length;
    while (this.at < n) {
      let end = t.indexOf('\n', this.at);
      if (end < 0) end = n;
      const start = this.at;
      this.at = end + 1;
      if (this.parse(t, start, end)) return true;
    }
    return false;
  }

  private parse(t: string, s: number, e: number): boolean {
    let i = s;
    // five fields separated by runs of spaces: range, perms, offset, dev, inode
    const fs = this.fs;
    const fe = this.fe;
    for (let k = 0; k < 5; k++) {
      i = skipSpaces(t, i, e);
      const f = i;
      i = t.indexOf(' ', i);
      if (i < 0 || i > e) i = e;
      if (i === f) return false;
      fs[k] = f;
      fe[k] = i;
    }
    i = skipSpaces(t, i, e);
    if (i >= e) return false;
    const dash = t.indexOf('-', fs[0]);
    if (dash < 0 || dash >= fe[0]) return false;
    const lo = hexAt(t, fs[0], dash);
    const hi = hexAt(t, dash + 1, fe[0]);
    if (!(lo >= 0 && hi >= 0)) return false;
    let inode = 0;
    for (let k = fs[4]; k < fe[4]; k++) {
      const c = t.charCodeAt(k);
      if (c < 48 || c > 57) {
        inode = Number(t.slice(fs[4], fe[4]));
        break;
      }
      inode = inode * 10 + (c - 48);
    }
    if (!Number.isFinite(inode)) return false;
    this.rangeStart = fs[0];
    this.lo = lo;
    this.hi = hi;
    this.rangeEnd = fe[0];
    this.perms = fs[1];
    this.offStart = fs[2];
    this.offEnd = fe[2];
    this.devStart = fs[3];
    this.devEnd = fe[3];
    this.inode = inode;
    this.pathStart = i;
    this.deleted = e - i > DELETED.length && t.endsWith(DELETED, e);
    this.pathEnd = this.deleted ? e - DELETED.length : e;
    this.lineStart = s;
    this.lineEnd = e;
    return true;
  }

  range(): string {
    return this.text.slice(this.rangeStart, this.rangeEnd);
  }

  /** Length of the mapping in bytes (addresses fit a double exactly: ≤ 2^57). */
  length(): number {
    return this.hi - this.lo;
  }

  /**
   * The byte of the mapped object at the mapping's first address (the offset column: mmap's
   * offset), NaN when the column is not hex. Exact up to 2^53; a larger one (a mapping far past
   * any tmpfs object's end) is rounded, and the addon, which compares the column with it right
   * before a read, then refuses (ESTALE) instead of reading another part of the object.
   */
  offset(): number {
    return hexAt(this.text, this.offStart, this.offEnd);
  }

  permsText(): string {
    return this.text.slice(this.perms, this.perms + 4);
  }

  /** `s` in the perms: a shared mapping. */
  shared(): boolean {
    return this.text.charCodeAt(this.perms + 3) === 115;
  }

  /** Mode of the mapping from its perms (`rw-s` → rw, `r--s` → r). */
  mode(): 'r' | 'w' | 'rw' {
    const r = this.text.charCodeAt(this.perms) === 114;
    const w = this.text.charCodeAt(this.perms + 1) === 119;
    return r && w ? 'rw' : w ? 'w' : 'r';
  }

  dev(): string {
    return this.text.slice(this.devStart, this.devEnd);
  }

  /** The device as the kernel's `major << 20 | minor` (hex `00:1a` → 26), -1 when not `hex:hex`. */
  devNumber(): number {
    const colon = this.text.indexOf(':', this.devStart);
    if (colon < 0 || colon >= this.devEnd) return -1;
    const major = hexAt(this.text, this.devStart, colon);
    const minor = hexAt(this.text, colon + 1, this.devEnd);
    return major >= 0 && minor >= 0 ? major * 1048576 + minor : -1;
  }

  path(): string {
    return this.text.slice(this.pathStart, this.pathEnd);
  }

  /** The path from `from` chars in (the name after a directory prefix). */
  pathFrom(from: number): string {
    return this.text.slice(this.pathStart + from, this.pathEnd);
  }

  pathStartsWith(prefix: string): boolean {
    return this.pathEnd - this.pathStart >= prefix.length && this.text.startsWith(prefix, this.pathStart);
  }

  pathIs(p: string): boolean {
    return this.pathEnd - this.pathStart === p.length && this.text.startsWith(p, this.pathStart);
  }

  /** The SysV key (unsigned) of a `/SYSV0000abcd` path, or null when the path is no SysV shm name. */
  sysvKey(): number | null {
    if (this.pathEnd - this.pathStart !== 13 || !this.text.startsWith('/SYSV', this.pathStart)) return null;
    const k = hexAt(this.text, this.pathStart + 5, this.pathEnd);
    return k >= 0 ? k : null;
  }
}

/** One maps line (MapsCursor's fields as an object); null for lines without a path or malformed. */
export function parseMapsLine(line: string): MapsLine | null {
  const c = new MapsCursor(line);
  return c.next() ? { range: c.range(), perms: c.permsText(), dev: c.dev(), inode: c.inode, path: c.path(), deleted: c.deleted } : null;
}

/** Every line of a maps text that parses (parseMapsLine). */
export function parseMapsText(text: string): MapsLine[] {
  const out: MapsLine[] = [];
  const c = new MapsCursor(text);
  while (c.next()) out.push({ range: c.range(), perms: c.permsText(), dev: c.dev(), inode: c.inode, path: c.path(), deleted: c.deleted });
  return out;
}

/** Where the path field of the maps line [at, end) starts (after five fields and the padding); `end` when it has none. */
function pathFieldAt(t: string, at: number, end: number): number {
  let i = at;
  for (let f = 0; f < 5; f++) {
    while (i < end && t.charCodeAt(i) === 32) i++;
    if (i === end) return end;
    while (i < end && t.charCodeAt(i) !== 32) i++;
  }
  return skipSpaces(t, i, end);
}

/**
 * Keeps only the maps lines some rule asks for (core/kinds MapsRule), as the native walk does.
 * Text whose every line is kept (the BPF maps pass keeps about the rules' lines already) comes
 * back as it is, without a copy.
 */
export function filterMaps(text: string, rules: readonly MapsRule[]): string {
  let out: string[] | null = null;
  let at = 0;
  let kept = 0;
  // where each rule's text next occurs at or after `at`: one indexOf per occurrence, not per line
  const next = rules.map(() => -1);
  // lines each rule with a `max` kept
  const counted = rules.map(() => 0);
  // (a final newline ends the last line: no empty line after it to drop)
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const sp = text.indexOf(' ', at);
    const shared = sp >= 0 && sp < end && text.charCodeAt(sp + 4) === 115; /* perms "rw-s" */
    let keep = false;
    for (let r = 0; r < rules.length && !keep; r++) {
      if (rules[r].shared && !shared) continue;
      if (next[r] < at && next[r] !== -2) next[r] = text.indexOf(rules[r].text, at);
      if (next[r] === -1) next[r] = -2; // not in the rest of the text
      keep = next[r] >= 0 && next[r] + rules[r].text.length <= end;
      const { except, max } = rules[r];
      // a rule with excepts or a bound is matched at the path field only (the native walks': MapsPathAt)
      if (keep && (except !== undefined || max !== undefined)) keep = next[r] + 1 === pathFieldAt(text, at, end);
      if (keep && except !== undefined) for (const e of except) keep = keep && !text.startsWith(e, next[r]);
      if (keep && max !== undefined) keep = counted[r]++ < max;
    }
    if (keep) {
      if (out !== null) out.push(text.slice(at, end));
      kept++;
    } else if (out === null) {
      // the first line dropped: from here on the kept lines are collected
      out = [];
      let p = 0;
      for (let k = 0; k < kept; k++) {
        const e = text.indexOf('\n', p);
        out.push(text.slice(p, e));
        p = e + 1;
      }
    }
    at = end + 1;
  }
  return out === null ? text : out.join('\n');
}

/**
 * The lines of /proc/PID/fdinfo/N whose key is in `keys` (`eventfd-id:\t12` → `eventfd-id` → `12`).
 * Keys the text lacks are absent; values are trimmed text.
 */
export function parseFdinfo(text: string, keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    if (keys.includes(key)) out.set(key, line.slice(colon + 1).trim());
  }
  return out;
}
