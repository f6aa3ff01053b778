// Rule 10 — port clashes: several TCP listening sockets on one port in one network namespace
// whose addresses overlap (the same address, or a wildcard and a specific one), and which of them
// a connect to 127.0.0.1 reaches. An SO_REUSEPORT group of one program (same executable and
// user: worker processes each with their own socket) is normal: info. Listeners of different
// programs or users on one port: warning — new connections are split between them, or the more
// specific address takes them all. One socket shared by several processes (nginx master and
// workers) is one listener, not a clash; IPv4 and IPv6 wildcards side by side are the usual dual
// stack (the kernel allows it only with IPV6_V6ONLY), also not a clash.
import { escapeControl } from '../format';
import type { InetChannel } from '../model';
import type { EvidenceItem, ProblemDraft } from './problem';
import { scan } from './scan';
import { addTo } from '../collections';
import { defineRule, iso, listLabel, procLabel, revealChannel, streakStart, type RuleContext } from './rule';
import { TROUBLES } from './troubles';

const T = TROUBLES['port-clash'];
import { hostOf, isWildcardHost, localShown, portOf } from '../kinds/inet';

type Memo = ReadonlySet<string>;


interface Group {
  key: string;
  port: number;
  family: 4 | 6;
  /** The one address its sockets share (`127.0.0.1`, with `%DEVICE` when bound to one); undefined when a wildcard makes every address of the port one group. */
  host?: string;
  sockets: InetChannel[];
}

/**
 * Listening sockets per (netns, family, port) whose addresses overlap: a wildcard (bound to no
 * device) overlaps every address of the port, so with one the whole port is one group; without,
 * each address bound twice or more is a group of its own. A DNS server with two sockets on each
 * of 127.0.0.1 and 192.0.2.2 has two groups, not one of four: those two addresses never compete.
 */
function clashes(ctx: RuleContext): Group[] {
  return ctx.index.cached('port-clash', () => clashesNow(ctx));
}

function clashesNow(ctx: RuleContext): Group[] {
  const by = new Map<string, InetChannel[]>();
  for (const c of scan(ctx).tcpListeners) {
    addTo(by, `${c.netns}|${c.family}|${portOf(c.local)}`, c);
  }
  const out: Group[] = [];
  for (const [key, sockets] of by) {
    if (sockets.length < 2) continue;
    const port = portOf(sockets[0].local);
    const family = sockets[0].family;
    if (sockets.some((s) => isWildcardHost(hostOf(s.local)) && !s.device)) {
      out.push({ key, port, family, sockets });
      continue;
    }
    const byHost = new Map<string, InetChannel[]>();
    for (const s of sockets) addTo(byHost, `${hostOf(s.local)}${s.device ? `%${s.device}` : ''}`, s);
    for (const [host, same] of byHost) if (same.length > 1) out.push({ key: `${key}|${host}`, port, family, host, sockets: same });
  }
  return out;
}

/** Program identity of a socket's holders: executable (or comm) and uid. */
function programOf(ctx: RuleContext, s: InetChannel): string {
  const ids = new Set<string>();
  for (const e of s.endpoints) {
    const p = ctx.index.proc(e.pid);
    ids.add(p ? `${p.exe ?? p.comm}|${p.uid}` : `?${e.pid}`);
  }
  return [...ids].sort().join(',');
}

/** The address a connect is asked about: the group's own, else loopback. */
function target(g: Group): string {
  if (g.host !== undefined) {
    const shown = localShown(g.sockets[0]);
    return shown.slice(0, shown.lastIndexOf(':'));
  }
  return g.family === 4 ? '127.0.0.1' : '[::1]';
}

/** Which socket(s) a connect to the group's address (loopback for a wildcard's) reaches: the exact address beats the wildcard; within a group the kernel hashes. */
function reaches(g: Group): InetChannel[] {
  if (g.host !== undefined) return g.sockets;
  const loop = g.family === 4 ? '127.0.0.1' : '::1';
  const exact = g.sockets.filter((s) => hostOf(s.local) === loop);
  if (exact.length) return exact;
  return g.sockets.filter((s) => isWildcardHost(hostOf(s.local)));
}

export const portClash = defineRule<Memo>({
  id: 'port-clash',
  title: 'Port clash',
  remember(input) {
    return new Set(clashes(input).map((g) => g.key));
  },
  run(input) {
    const { index, history, now } = input;
    const out: ProblemDraft[] = [];
    for (const g of clashes(input)) {
      if (history.length === 0 || !history[history.length - 1].memo.has(g.key)) continue;
      const since = streakStart(history, now, (m) => m.has(g.key));
      const programs = new Set(g.sockets.map((s) => programOf(input, s)));
      const oneProgram = programs.size === 1 && ![...programs][0].includes('?');
      const loop = target(g);
      const reached = reaches(g);
      const who = (s: InetChannel) => `${localShown(s)} (${listLabel([...new Set(s.endpoints.map((e) => e.pid))].map((p) => procLabel(index, p)), 2)})`;
      const reach =
        reached.length === 0
          ? `a connect to ${loop}:${g.port} reaches none of them`
          : reached.length === 1
            ? `a connect to ${loop}:${g.port} reaches ${who(reached[0])}${g.sockets.length > 1 && !isWildcardHost(hostOf(reached[0].local)) ? ' (the most specific address wins)' : ''}`
            : `a connect to ${loop}:${g.port} reaches one of ${reached.length} sockets on ${localShown(reached[0])}, chosen by the kernel from a hash of the client's address and port (SO_REUSEPORT)`;
      const evidence: EvidenceItem[] = g.sockets.map((s) => {
        const p = index.proc(s.endpoints[0].pid);
        return { label: 'listener', text: `${s.id} on ${who(s)}, uid ${s.uid}${p?.exe ? `, ${escapeControl(p.exe)}` : ''}`, source: 'sock_diag, fd tables (snapshot)' };
      });
      evidence.push({ label: 'connect', text: reach, source: 'kernel listener lookup: exact address first, then wildcard; reuseport groups hash' });
      const pids = [...new Set(g.sockets.flatMap((s) => s.endpoints.map((e) => e.pid)))];
      out.push({
        id: `port-clash:${g.key}`,
        rule: 'port-clash',
        severity: oneProgram ? 'info' : 'warning',
        trouble: oneProgram ? T.shared : T.clash,
        subject: `TCP port ${g.port}`,
        title: oneProgram
          ? `${g.sockets.length} listeners of one program share TCP port ${g.port} (SO_REUSEPORT): ${reach}`
          : `${g.sockets.length} listeners of different programs or users on TCP port ${g.port}: ${reach}`,
        explanation: {
          what: 'Several listening sockets are bound to the same port with overlapping addresses. Linux allows it with SO_REUSEPORT (same user for every socket) and always for a specific address next to a wildcard when both ask for it.',
          why: oneProgram
            ? 'A server that opens one socket per worker with SO_REUSEPORT so the kernel spreads connections across them: normal.'
            : 'Two programs (or two instances of one) both bound the port: a restart that overlapped the old instance, a second copy started by hand, or another user taking over traffic.',
          next: 'For each new connection the kernel picks the listener with the most specific matching address; among equals in a reuseport group it hashes the client address and port. A client cannot choose which one it gets.',
          fix: oneProgram ? 'Nothing, if intended.' : 'Stop the instance that should not be there, or give each its own port; check who owns each listener.',
        },
        evidence,
        channels: g.sockets.map((s) => s.id),
        pids,
        actions: g.sockets.slice(0, 4).map((s) => revealChannel(s)),
        since: iso(since),
      });
    }
    return out;
  },
});
