// Parsers for per-process /proc text: stat, status, cmdline, timers, maps.
// All of them are total: malformed input yields null / partial results, never throws.
import type { PosixTimer, SignalState } from '../model';
import type { MapsRule } from '../kinds/kind';
import { decodeSigMask, signalName } from '../signals';

export interface ParsedStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  startTime: number;
  threads: number;
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
  return { pid, comm: text.slice(open + 1, close), state: rest[0], ppid, startTime, threads: Number.isFinite(threads) ? threads : 1 };
}

export interface ParsedStatus {
  name?: string;
  uid: number | null;
  ppid: number | null;
  tracerPid: number;
  threads: number | null;
  signals: SignalState;
  /** NSpid: pid in each nested pid namespace, outermost first; [] when the line is missing or malformed. */
  nsPid: number[];
}

/** `/proc/PID/status` ("Key:\tvalue" lines). Unknown keys and garbage lines are ignored. */
export function parseStatus(text: string): ParsedStatus {
  const out: ParsedStatus = {
    uid: null,
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
          const u = Number(value.split(/\s+/)[0]);
          if (Number.isInteger(u)) out.uid = u;
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

/**
 * One maps line: `start-end perms offset dev inode   path`. The path keeps inner spaces;
 * ` (deleted)` is stripped into `deleted`. Returns null for lines without a path or malformed.
 */
export function parseMapsLine(line: string): MapsLine | null {
  let i = 0;
  const fields: string[] = [];
  const n = line.length;
  while (fields.length < 5 && i < n) {
    while (i < n && line[i] === ' ') i++;
    const s = i;
    while (i < n && line[i] !== ' ') i++;
    if (i > s) fields.push(line.slice(s, i));
  }
  if (fields.length < 5) return null;
  while (i < n && line[i] === ' ') i++;
  let path = line.slice(i);
  if (!path) return null;
  if (!/^[0-9a-f]+-[0-9a-f]+$/i.test(fields[0])) return null;
  const inode = Number(fields[4]);
  if (!Number.isFinite(inode)) return null;
  let deleted = false;
  if (path.endsWith(' (deleted)')) {
    deleted = true;
    path = path.slice(0, -' (deleted)'.length);
  }
  return { range: fields[0], perms: fields[1], dev: fields[3], inode, path, deleted };
}

/** Every line of a maps text that parses (parseMapsLine). */
export function parseMapsText(text: string): MapsLine[] {
  const out: MapsLine[] = [];
  for (const line of text.split('\n')) {
    const m = parseMapsLine(line);
    if (m) out.push(m);
  }
  return out;
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
  while (at <= text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const line = text.slice(at, end);
    const sp = line.indexOf(' ');
    const shared = sp >= 0 && line.charCodeAt(sp + 4) === 115; /* perms "rw-s" */
    let keep = false;
    for (let r = 0; r < rules.length && !keep; r++) keep = (!rules[r].shared || shared) && line.includes(rules[r].text);
    if (keep) {
      if (out !== null) out.push(line);
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

/** `/SYSV0000abcd` → key (unsigned). null when not a SysV shm name. */
export function sysvKeyFromMapPath(path: string): number | null {
  const m = /^\/SYSV([0-9a-fA-F]{8})$/.exec(path);
  return m ? parseInt(m[1], 16) : null;
}

/** Mode of a mapping from its perms (`rw-s` → rw, `r--s` → r). */
export function mapMode(perms: string): 'r' | 'w' | 'rw' {
  const r = perms[0] === 'r';
  const w = perms[1] === 'w';
  return r && w ? 'rw' : w ? 'w' : 'r';
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
