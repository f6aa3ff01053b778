// /proc/net/nf_conntrack (per network namespace: /proc/PID/net/nf_conntrack): one tracked flow
// per line with its original and reply tuples, e.g.
//   ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.1 sport=40000 dport=8080 src=10.88.0.9 dst=10.88.0.1 sport=80 dport=40000 [ASSURED] mark=0 zone=0 use=2
// When the reply tuple is not the original one swapped, the flow was NATed (a published port's
// DNAT, a masquerade): the original tuple is what the client's socket shows (local, remote), the
// reply tuple what the server's socket shows. IPv6 addresses come in full form (%pI6) and are
// normalised to the snapshot's text. Total: malformed lines are skipped.
import { formatIPv6 } from './net';

export interface ConntrackTuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

export interface ConntrackEntry {
  family: 4 | 6;
  proto: 'tcp' | 'udp';
  /** TCP state word (ESTABLISHED, TIME_WAIT, …); null for UDP. */
  state: string | null;
  orig: ConntrackTuple;
  reply: ConntrackTuple;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function addr(family: 4 | 6, text: string): string | null {
  if (family === 4) {
    const m = V4.exec(text);
    return m && m.slice(1).every((o) => Number(o) <= 255) ? m.slice(1).map(Number).join('.') : null;
  }
  const groups = text.split(':');
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) {
    // a compressed form: expand `::` first
    const dbl = text.indexOf('::');
    if (dbl < 0 || text.indexOf('::', dbl + 1) >= 0) return null;
    const head = text.slice(0, dbl) ? text.slice(0, dbl).split(':') : [];
    const tail = text.slice(dbl + 2) ? text.slice(dbl + 2).split(':') : [];
    if (head.length + tail.length > 7 || ![...head, ...tail].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
    return addr(6, [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail].join(':'));
  }
  const bytes: number[] = [];
  for (const g of groups) {
    const v = parseInt(g, 16);
    bytes.push(v >> 8, v & 255);
  }
  return formatIPv6(bytes);
}

function port(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/** One line, or null when it is not a TCP/UDP flow with two complete tuples. */
export function parseConntrackLine(line: string): ConntrackEntry | null {
  const t = line.trim().split(/\s+/);
  if (t.length < 6) return null;
  const family = t[0] === 'ipv4' ? 4 : t[0] === 'ipv6' ? 6 : null;
  const proto = t[2] === 'tcp' ? 'tcp' : t[2] === 'udp' ? 'udp' : null;
  if (family === null || proto === null) return null;
  const tuples: Partial<Record<'src' | 'dst' | 'sport' | 'dport', string>>[] = [{}, {}];
  let state: string | null = null;
  let which = 0;
  for (let i = 5; i < t.length; i++) {
    const eq = t[i].indexOf('=');
    if (eq < 0) {
      if (proto === 'tcp' && state === null && which === 0 && Object.keys(tuples[0]).length === 0 && /^[A-Z_]+$/.test(t[i])) state = t[i];
      continue;
    }
    const k = t[i].slice(0, eq);
    if (k !== 'src' && k !== 'dst' && k !== 'sport' && k !== 'dport') continue;
    if (tuples[which][k] !== undefined) {
      if (which === 1) break; // a third tuple: not ours to read
      which = 1;
    }
    tuples[which][k] = t[i].slice(eq + 1);
  }
  const tuple = (x: (typeof tuples)[number]): ConntrackTuple | null => {
    const src = x.src !== undefined ? addr(family, x.src) : null;
    const dst = x.dst !== undefined ? addr(family, x.dst) : null;
    const sport = port(x.sport);
    const dport = port(x.dport);
    return src !== null && dst !== null && sport !== null && dport !== null ? { src, dst, sport, dport } : null;
  };
  const orig = tuple(tuples[0]);
  const reply = tuple(tuples[1]);
  if (!orig || !reply) return null;
  return { family, proto, state, orig, reply };
}

export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const e = parseConntrackLine(line);
    if (e) out.push(e);
  }
  return out;
}

/** Value of the first ` NAME=` field from `from` on, and where it ends; null when absent. */
function fieldAt(line: string, name: string, from: number): [string, number] | null {
  const at = line.indexOf(` ${name}=`, from);
  if (at < 0) return null;
  const start = at + name.length + 2;
  let end = line.indexOf(' ', start);
  if (end < 0) end = line.length;
  return [line.slice(start, end), end];
}

/**
 * Cheap pre-filter for big tables: `tcp|SRC:SPORT|DST:DPORT` of an IPv4 line's ORIGINAL tuple
 * (the client socket's local|remote as the snapshot writes them), without parsing the line; null
 * for anything else (IPv6 lines are parsed in full). A line whose key no socket has is skipped.
 */
export function origKeyV4(line: string): string | null {
  if (!line.startsWith('ipv4')) return null;
  const proto = line.indexOf(' tcp ') >= 0 && line.indexOf(' tcp ') < line.indexOf(' src=') ? 'tcp' : line.indexOf(' udp ') >= 0 && line.indexOf(' udp ') < line.indexOf(' src=') ? 'udp' : null;
  if (proto === null) return null;
  const src = fieldAt(line, 'src', 0);
  const dst = src && fieldAt(line, 'dst', src[1]);
  const sport = dst && fieldAt(line, 'sport', dst[1]);
  const dport = sport && fieldAt(line, 'dport', sport[1]);
  if (!src || !dst || !sport || !dport) return null;
  return `${proto}|${src[0]}:${sport[0]}|${dst[0]}:${dport[0]}`;
}

/** The flow was translated: the reply is not the original tuple swapped. */
export function isNat(e: ConntrackEntry): boolean {
  return e.reply.src !== e.orig.dst || e.reply.sport !== e.orig.dport || e.reply.dst !== e.orig.src || e.reply.dport !== e.orig.sport;
}
