// Rule 3 — stale or hijacked Unix socket path. A socket file on disk whose inode no bound socket
// has: nobody listens, a connect() gets ECONNREFUSED (VS Code leaves vscode-ipc-*.sock files in
// /tmp). A bound socket whose path is gone or now names a different file: new clients get
// ENOENT, or reach whoever bound the path again — unless the file is there under another name
// (renamed after bind: info, with where it is now). Each holder's name is judged in its own view
// (mount namespace, root): see PathRequest.asNamed. Identity is the bound file's dev:inode from
// sock_diag (UNIX_DIAG_VFS) compared with lstat of the path now; without the native addon the
// stale check falls back to comparing path strings and the takeover check is not possible.
import * as path from 'node:path';
import { escapeControl } from '../format';
import type { UnixChannel } from '../model';
import { pathKey, type Evidence, type PathFacts } from './evidence';
import type { SocketFile } from './socketFiles';
import type { EvidenceItem, Explanation, ProblemDraft } from './problem';
import { boundTo, isBound, scan } from './scan';
import { chanLabel, defineRule, iso, listLabel, procLabel, revealChannel, revealProcess, streakStart, type RuleContext } from './rule';
import { TROUBLES } from './troubles';

const T = TROUBLES['socket-path'];

type Memo = ReadonlySet<string>;

/** Bound, path-named sockets someone holds: listeners and bound datagram sockets (the ones clients find by path). */
function boundSockets(ctx: RuleContext): UnixChannel[] {
  return scan(ctx).boundSockets;
}

interface Found {
  key: string;
  kind: 'stale' | 'gone' | 'hijacked' | 'renamed';
  /** The stale file; for 'renamed', the bound file under its new name. */
  file?: SocketFile;
  ch?: UnixChannel;
  now?: PathFacts;
  /** Sockets now bound to the path's file (hijacked). */
  takers?: UnixChannel[];
}

function find(ctx: RuleContext, ev: Evidence): { found: Found[]; byPath: boolean } {
  return ctx.index.cached('socket-path', () => findNow(ctx, ev));
}

function findNow(ctx: RuleContext, ev: Evidence): { found: Found[]; byPath: boolean } {
  const found: Found[] = [];
  // sock_diag (the native addon) reports the bound file's inode: identity, not names
  const vfs = ctx.snapshot.capabilities.native && ctx.snapshot.capabilities.sockDiag;
  // (a) stale files
  if (ev.socketFiles) {
    const boundPaths = vfs ? null : new Set(ctx.index.ofKind('unix').filter((c) => c.path !== undefined).map((c) => c.path!));
    for (const f of ev.socketFiles) {
      const bound = boundPaths ? boundPaths.has(f.path) : isBound(scan(ctx), f.dev, f.inode);
      if (!bound) found.push({ key: `stale:${f.dev}:${f.inode}`, kind: 'stale', file: f });
    }
  }
  // (b) bound sockets whose path changed. One whose path is gone but whose file is still there
  // under another name was renamed, not removed: binding a temporary name and rename()ing it
  // into place is how a server replaces its socket atomically (haproxy binds NAME.PID.tmp),
  // and the kernel keeps the bind-time name — clients reach it at the new one.
  const onDisk = new Map<string, SocketFile>();
  for (const f of ev.socketFiles ?? []) if (!onDisk.has(`${f.dev}:${f.inode}`)) onDisk.set(`${f.dev}:${f.inode}`, f);
  for (const ch of boundSockets(ctx)) {
    if (ch.boundInode === undefined || ch.path === undefined) continue;
    const now = ev.paths.get(pathKey(ch.path, ch.endpoints[0].pid));
    if (!now || now.type === 'unchecked') continue;
    const moved = now.type === 'missing' ? onDisk.get(`${ch.boundDev}:${ch.boundInode}`) : undefined;
    if (moved) {
      found.push({ key: `renamed:${ch.id}`, kind: 'renamed', ch, now, file: moved });
    } else if (now.type === 'missing') {
      found.push({ key: `gone:${ch.id}`, kind: 'gone', ch, now });
    } else if (now.dev !== ch.boundDev || now.inode !== ch.boundInode) {
      const takers = now.type === 'socket' ? boundTo(scan(ctx), now.dev, now.inode) : [];
      found.push({ key: `hijacked:${ch.id}`, kind: 'hijacked', ch, now, takers });
    }
  }
  return { found, byPath: !vfs };
}

const TEACH: Record<Found['kind'], Explanation> = {
  stale: {
    what: 'A Unix socket file with no socket bound to it: the file outlived the program that created it.',
    why: 'bind() creates the file, but closing the socket does not remove it; a program that crashed, was killed, or does not unlink on exit leaves it behind.',
    next: 'connect() to this path fails with ECONNREFUSED; a server that tries to bind() the path again gets EADDRINUSE unless it unlinks the file first.',
    fix: 'Remove the file (nothing uses it), and make the program unlink its socket on exit — or unlink before bind() on start.',
  },
  gone: {
    what: "A socket is bound and listening, but its path was removed: clients cannot find it any more.",
    why: 'A cleanup job or another instance of the program removed the file; the socket stays bound to the unlinked inode.',
    next: 'connect() to the path gets ENOENT; existing connections keep working; the listener waits for clients that can never arrive.',
    fix: 'Restart the listener so it binds the path again, and keep cleanup jobs (tmpfiles, tmpreaper) away from live sockets.',
  },
  renamed: {
    what: 'A socket is bound and listening; its file was renamed after bind(), so the name the kernel reports (what ss and lsof show) is not where it is now.',
    why: 'Binding a temporary name and renaming it into place replaces a socket atomically: clients never see the path missing (haproxy, for one, binds NAME.PID.tmp and renames it to NAME). Someone else renaming the file does the same.',
    next: 'connect() to the new name reaches this listener; connect() to the bound name gets ENOENT.',
    fix: 'Nothing, if clients use the new name. If they use the bound name, find who renamed the file.',
  },
  hijacked: {
    what: 'A socket is still bound to this path, but the path now names a different file: new clients reach that one, not this listener.',
    why: 'Someone unlinked the path and bound a new socket (or put another file) there: a second instance or a restart that did not stop the old one, or another user taking over the name.',
    next: 'Every new connect() to the path goes to the new file\'s owner (or fails, if it is not a socket); the old listener only keeps its existing connections.',
    fix: 'Stop one of the two: usually the old listener. If the new owner is not who you expect, treat it as an attack: check its user and the directory permissions.',
  },
};

/**
 * The old socket of a server that bound its path again lives on only in its children: each holder
 * descends from a holder of the new socket, and none holds the new one. They inherited the old
 * listener at fork, and the parent closed its copy when it rebound (Nagios does on SIGHUP: its
 * command-file worker keeps the first query socket). Not a second instance, nor another user: what
 * the takeover wording says of it, and its advice to stop the old holder, would be wrong.
 */
function leftInChildren(index: RuleContext['index'], holders: number[], takerPids: number[]): boolean {
  if (holders.length === 0 || takerPids.length === 0 || holders.some((p) => takerPids.includes(p))) return false;
  const parents = new Set(takerPids);
  return holders.every((p) => {
    const seen = new Set<number>();
    for (let q = index.proc(p)?.ppid; q !== undefined && q > 0 && !seen.has(q); q = index.proc(q)?.ppid) {
      if (parents.has(q)) return true;
      seen.add(q);
    }
    return false;
  });
}

const LEFT_IN_CHILD: Explanation = {
  what: "A server bound its socket's path again (a reload), but its children still hold the old socket: they inherited it at fork, and only the parent closed its copy.",
  why: 'A child gets a copy of every fd its parent had at fork, and keeps it until it closes it or exits: close-on-exec closes it only in a child that runs another program. A reload that re-creates the socket replaces the parent\'s copy only.',
  next: "New clients reach the parent's new socket. The old one is at no path any more: nobody can connect to it, and a client already in its accept queue waits until a child accepts it or exits.",
  fix: 'Nothing, while its accept queue is empty. If the children are an old generation of workers, they should have exited with the reload; if they are helpers that never accept (Nagios\'s command-file worker), the program should close the listener in them after fork.',
};

export const socketPath = defineRule<Memo>({
  id: 'socket-path',
  title: 'Stale or hijacked Unix socket path',
  wants(ctx) {
    const paths = [];
    const dirs = new Set<string>();
    for (const ch of boundSockets(ctx)) {
      // a relative name (Postfix's private/smtp), or a chrooted binder's, only tells its directory
      // once resolved, and then it is known to lead to the socket: the directory is scanned for
      // stale files, nothing more
      if (ch.pathResolved !== undefined) {
        dirs.add(path.dirname(ch.pathResolved));
        continue;
      }
      if (!path.isAbsolute(ch.path!)) continue;
      dirs.add(path.dirname(ch.path!));
      // a bind address is the binder's own name for the file: from its root, not ours
      if (ch.boundInode !== undefined) paths.push({ path: ch.path!, pid: ch.endpoints[0].pid, expect: { dev: ch.boundDev!, inode: ch.boundInode }, asNamed: true });
    }
    return { paths, socketDirs: dirs };
  },
  remember(input) {
    return new Set(find(input, input.evidence).found.map((f) => f.key));
  },
  run(input) {
    const { index, evidence: ev, history, now } = input;
    const { found, byPath } = find(input, ev);
    const out: ProblemDraft[] = [];
    // the most recently bound stale files first: the list is capped per rule, and a socket a
    // crash left a minute ago matters more than the hundreds old sessions left in /tmp
    const ordered = [...found].sort((a, b) => (b.file?.mtimeMs ?? 0) - (a.file?.mtimeMs ?? 0));
    for (const f of ordered) {
      if (history.length === 0 || !history[history.length - 1].memo.has(f.key)) continue;
      const since = streakStart(history, now, (m) => m.has(f.key));
      if (f.kind === 'stale') {
        const file = f.file!;
        const p = escapeControl(file.path);
        const evidence: EvidenceItem[] = [
          { label: 'file', text: `${p}: socket, dev ${file.dev} inode ${file.inode}, owner uid ${file.uid}, created ${iso(file.mtimeMs)}`, source: 'lstat' },
          {
            label: 'bound sockets',
            text: byPath ? 'no socket reports this path (matched by path: the native addon was not used, so inode identity was not available)' : 'no socket in any network namespace seen is bound to this inode',
            source: byPath ? '/proc/net/unix' : 'sock_diag UNIX_DIAG_VFS (snapshot)',
          },
        ];
        if (index.fdsHidden) evidence.push({ label: 'caveat', text: 'not every process could be read: a socket in a namespace we could not see may still own it', source: 'snapshot warnings' });
        if (index.socketsUnasked) evidence.push({ label: 'caveat', text: 'some sockets in no table were not looked up this scan: one may be bound to it in a network namespace no process is in (the next scans look further)', source: 'snapshot warnings' });
        out.push({
          id: `socket-path:stale:${file.dev}:${file.inode}`,
          rule: 'socket-path',
          severity: 'info',
          title: `Stale socket file ${p}: nothing is bound to it (connect gets ECONNREFUSED)`,
          trouble: T.stale,
          subject: p,
          explanation: TEACH.stale,
          evidence,
          channels: [],
          pids: [],
          actions: [{ kind: 'remove', label: `Remove the file ${p} (asks first)`, file: { path: file.path, dev: file.dev, inode: file.inode, type: 'socket' } }],
          since: iso(since),
        });
        continue;
      }
      const ch = f.ch!;
      const holders = index.holders(ch);
      const hl = listLabel(holders.map((p) => procLabel(index, p, ev)));
      if (f.kind === 'renamed') {
        const file = f.file!;
        const p = escapeControl(file.path);
        out.push({
          id: `socket-path:renamed:${ch.id}`,
          rule: 'socket-path',
          severity: 'info',
          title: `${chanLabel(ch)} of ${hl} was renamed to ${p}: clients reach it there, not at its bound name`,
          trouble: T.renamed,
          subject: chanLabel(ch),
          explanation: TEACH.renamed,
          evidence: [
            { label: 'bound to', text: `dev ${ch.boundDev} inode ${ch.boundInode}`, source: 'sock_diag UNIX_DIAG_VFS (snapshot)' },
            { label: 'held by', text: hl, source: 'fd table (snapshot)' },
            { label: 'bound name now', text: 'no file', source: 'lstat' },
            { label: 'now at', text: `${p}: the same dev and inode, owner uid ${file.uid}`, source: 'lstat' },
          ],
          channels: [ch.id],
          pids: holders,
          actions: [revealChannel(ch)],
          since: iso(since),
        });
        continue;
      }
      const evidence: EvidenceItem[] = [
        { label: 'bound to', text: `dev ${ch.boundDev} inode ${ch.boundInode}`, source: 'sock_diag UNIX_DIAG_VFS (snapshot)' },
        { label: 'held by', text: hl, source: 'fd table (snapshot)' },
      ];
      const takers = f.takers ?? [];
      const takerPids = [...new Set(takers.flatMap((t) => index.holders(t)))];
      if (f.kind === 'gone') evidence.push({ label: 'path now', text: 'no file', source: 'lstat' });
      else {
        evidence.push({ label: 'path now', text: `a ${f.now!.type}, dev ${f.now!.dev} inode ${f.now!.inode}, owner uid ${f.now!.uid}`, source: 'lstat' });
        if (takers.length) evidence.push({ label: 'now bound by', text: `${listLabel(takers.map((t) => t.id))} held by ${listLabel(takerPids.map((p) => procLabel(index, p, ev))) || 'nobody'}`, source: 'sock_diag UNIX_DIAG_VFS (snapshot)' });
      }
      // the file now there belongs to a user none of the listener's holders runs as: the headline
      // says so, since that is what makes a takeover an attack rather than a restart
      const holderUids = new Set<number>();
      for (const p of holders) {
        const u = index.proc(p)?.uid;
        if (u !== undefined) holderUids.add(u);
      }
      const nowUid = f.kind !== 'gone' ? f.now?.uid : undefined;
      const stranger = nowUid !== undefined && holderUids.size > 0 && !holderUids.has(nowUid) ? ` by another user (uid ${nowUid})` : '';
      // the new socket's holders are this one's (a server that bound its path again without closing
      // the old socket): naming the processes, or the path both carry, would read "reach X, not X",
      // so name the sockets by id
      const sameHolders = takerPids.length > 0 && takerPids.length === holders.length && takerPids.every((p) => holders.includes(p));
      const reach = sameHolders
        ? `${listLabel(takers.map((t) => t.id))}, another socket of ${hl} bound there since, not this one (${ch.id})`
        : `${takerPids.length ? listLabel(takerPids.map((p) => procLabel(index, p, ev))) : `a ${f.now!.type}`}, not ${hl}`;
      if (f.kind === 'hijacked' && !stranger && leftInChildren(index, holders, takerPids)) {
        const parents = listLabel(takerPids.map((p) => procLabel(index, p, ev)));
        // an unknown queue is not taken as empty
        const waiting = ch.recvQueue !== 0;
        evidence.push({ label: 'holders', text: `children of ${parents}, which bound the new socket and no longer holds this one`, source: 'ppid in /proc/PID/stat, fd tables (snapshot)' });
        evidence.push({ label: 'accept queue', text: ch.recvQueue === null ? 'unknown' : `${ch.recvQueue} waiting${waiting ? ': clients that only these children can accept' : ''}`, source: 'sock_diag (snapshot)' });
        out.push({
          id: `socket-path:${f.kind}:${ch.id}`,
          rule: 'socket-path',
          severity: waiting ? 'warning' : 'info',
          title: `${chanLabel(ch)} was bound again by ${parents}; its ${holders.length === 1 ? 'child' : 'children'} ${hl} still ${holders.length === 1 ? 'holds' : 'hold'} the old socket (${ch.id}), which no client can reach`,
          trouble: T.leftInChild,
          subject: chanLabel(ch),
          explanation: LEFT_IN_CHILD,
          evidence,
          channels: [ch.id, ...takers.map((t) => t.id)],
          pids: [...holders, ...takerPids],
          actions: [revealChannel(ch), ...takers.slice(0, 2).map((t) => revealChannel(t, `Reveal the new ${chanLabel(t)}`)), ...takerPids.slice(0, 2).map((p) => revealProcess(index, p, `Reveal the parent ${procLabel(index, p, ev)}`))],
          since: iso(since),
        });
        continue;
      }
      const title =
        f.kind === 'gone'
          ? `${hl} listens on ${chanLabel(ch)}, but the path was removed: new clients get ENOENT`
          : `${chanLabel(ch)} was taken over${stranger}: new clients reach ${reach}`;
      out.push({
        id: `socket-path:${f.kind}:${ch.id}`,
        rule: 'socket-path',
        severity: 'warning',
        title,
        trouble: f.kind === 'gone' ? T.gone : stranger ? T.takenOverByOther : T.takenOver,
        subject: chanLabel(ch),
        explanation: TEACH[f.kind],
        evidence,
        channels: [ch.id, ...takers.map((t) => t.id)],
        pids: [...holders, ...takerPids.filter((p) => !holders.includes(p))],
        actions: [revealChannel(ch), ...takers.slice(0, 2).map((t) => revealChannel(t, `Reveal the new ${chanLabel(t)}`)), ...takerPids.slice(0, 2).map((p) => revealProcess(index, p, `Reveal the new owner ${procLabel(index, p, ev)}`))],
        since: iso(since),
      });
    }
    return out;
  },
});
