// Where a process comes from, for the confirmation policy (policy.ts): is it part of VS Code
// itself, did the user start it here, or neither? Read from /proc with asynchronous reads (never
// blocking the extension host's main thread), at the moment an action is asked for.
//
// In VS Code (vscodeOrigins): the extension host running this code is `selfPid`; its parent is
// the VS Code server (code-server, the remote server, or the desktop main process). VS Code's own
// processes are the extension host's ancestors and the server's descendants, except:
//   - terminals: a descendant of the server that is a session leader with a controlling terminal
//     (what the pty host makes for each terminal) and every process below it — the user's;
//   - below an extension host (the server's children started with --type=extensionHost, and
//     `selfPid`): what extensions start — language servers, debug adapters, debuggees, tasks.
//     They count as started by the user in this window, not as VS Code itself: killing one ends
//     a tool or a program, not the editor session.
// The server's children are classified by the `--type=` in their command line where there is one
// (ptyHost, fileWatcher, extensionHost); they are the server's own children, so no other user
// controls that text.
//
// In the CLI (sessionOrigins): what descends from the caller's terminal session (the session
// leader of `selfPid`, or any process of the same session) was started by the user.
import * as fs from 'node:fs';
import type { ProcessInfo } from '../model';
import { parseCmdline, parseStatus } from '../parsers/procPid';
import { readTextWithin } from '../deadline';
import { userResolver } from '../users';
import type { ProcessOrigin } from './policy';

/** The few fields of /proc/PID/stat the origin walk needs. */
interface StatLite {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Session id (field 6). */
  sid: number;
  /** Controlling terminal (field 7; 0 = none). */
  tty: number;
  startTime: number;
}

function parseStatLite(text: string): StatLite | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 1).trim().split(/\s+/);
  if (rest.length < 20) return null; // rest[0] is field 3; field N is rest[N - 3]
  const [ppid, sid, tty, startTime] = [rest[1], rest[3], rest[4], rest[19]].map(Number);
  if (![pid, ppid, sid, tty, startTime].every(Number.isSafeInteger)) return null;
  return { pid, comm: text.slice(open + 1, close), state: rest[0], ppid, sid, tty, startTime };
}

async function readStat(procRoot: string, pid: number): Promise<StatLite | null> {
  try {
    return parseStatLite(await fs.promises.readFile(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Children of `pid` (every thread's /proc/PID/task/TID/children), or [] when unreadable. */
async function readChildren(procRoot: string, pid: number): Promise<number[]> {
  const out = new Set<number>();
  let tids: string[];
  try {
    tids = await fs.promises.readdir(`${procRoot}/${pid}/task`);
  } catch {
    return [];
  }
  for (const tid of tids) {
    try {
      for (const c of (await fs.promises.readFile(`${procRoot}/${pid}/task/${tid}/children`, 'utf8')).split(/\s+/)) {
        if (/^\d+$/.test(c)) out.add(Number(c));
      }
    } catch {
      /* thread gone, or no CONFIG_PROC_CHILDREN */
    }
  }
  return [...out];
}

/** The `--type=` of a VS Code helper's command line (ptyHost, fileWatcher, extensionHost), if any. */
async function helperType(procRoot: string, pid: number): Promise<string | undefined> {
  try {
    // cmdline waits for the process's mmap lock: under a deadline, so an action never waits on it for good
    const argv = parseCmdline(await readTextWithin(`${procRoot}/${pid}/cmdline`));
    for (const a of argv) {
      const m = /^--type=([A-Za-z-]+)$/.exec(a);
      if (m) return m[1];
    }
  } catch {
    /* the process exited meanwhile: it has no type to tell */
  }
  return undefined;
}

/** How VS Code's helper processes are named (by their `--type=`); the extension labels them in the trees. */
export const HELPER_LABELS: Record<string, string> = {
  extensionHost: 'a VS Code extension host',
  ptyHost: 'the VS Code terminal host (pty host)',
  fileWatcher: 'the VS Code file watcher',
};

/** Limits of the walks: ancestor chains and the server's own subtree are small; stop if not. */
const MAX_DEPTH = 64;
const MAX_OWN = 4096;

export const STARTED_IN_TERMINAL = 'a terminal of this VS Code window';
export const STARTED_BY_EXTENSION = 'an extension host of this VS Code (a language server, debug adapter, task or debuggee)';
export const STARTED_IN_SESSION = 'your terminal session';

/** Answers `origin(pid)` from a classification made once (per action). */
export interface Origins {
  /** VS Code's own processes found (pid → label). Empty outside VS Code. */
  readonly vscode: ReadonlyMap<number, string>;
  /**
   * Those of them that started the server (its ancestors: a shell, `npm start`, sshd): VS Code's
   * to keep alive, but what else they started is not VS Code's. Empty outside VS Code.
   */
  readonly aboveServer?: ReadonlySet<number>;
  origin(pid: number): Promise<ProcessOrigin>;
}

/** Walks up from `pid` until `stop(stat)` answers; undefined when the chain ends first. */
async function walkUp<T>(procRoot: string, pid: number, stop: (st: StatLite) => T | undefined): Promise<T | undefined> {
  let p = pid;
  for (let depth = 0; p > 0 && depth < MAX_DEPTH; depth++) {
    const st = await readStat(procRoot, p);
    if (!st) return undefined;
    const r = stop(st);
    if (r !== undefined) return r;
    if (st.ppid === p) return undefined;
    p = st.ppid;
  }
  return undefined;
}

/**
 * VS Code's own processes and the user's roots, seen from the extension host `selfPid`.
 * `origin(pid)` then classifies any process by walking up its parents.
 */
export async function vscodeOrigins(selfPid: number = process.pid, procRoot = '/proc'): Promise<Origins> {
  const own = new Map<number, string>();
  /** Nodes below which processes were started by the user: pid → where. */
  const userRoots = new Map<number, string>();

  // The extension host and its ancestors (the server, and what started the server).
  const chain: StatLite[] = [];
  await walkUp(procRoot, selfPid, (st) => {
    if (st.pid <= 1) return true;
    chain.push(st);
    return undefined;
  });
  chain.forEach((st, i) => {
    own.set(st.pid, i === 0 ? 'the VS Code extension host running IPC Inspector' : i === 1 ? 'the VS Code server (parent of the extension host)' : `an ancestor of the VS Code server (${st.comm})`);
  });
  userRoots.set(selfPid, STARTED_BY_EXTENSION);
  const server = chain[1];

  // The server's descendants, not entering terminals or what extension hosts started.
  if (server) {
    const queue: number[] = [server.pid];
    let seen = 0;
    while (queue.length && seen < MAX_OWN) {
      const parent = queue.shift()!;
      for (const child of await readChildren(procRoot, parent)) {
        if (child === selfPid || own.has(child) || userRoots.has(child)) continue;
        seen++;
        const st = await readStat(procRoot, child);
        if (!st) continue;
        const type = parent === server.pid ? await helperType(procRoot, child) : undefined;
        if (st.pid === st.sid && st.tty !== 0 && st.sid !== server.sid) {
          userRoots.set(child, STARTED_IN_TERMINAL); // a terminal's shell (session leader on a pty)
          continue;
        }
        own.set(child, (type && HELPER_LABELS[type]) ?? `a VS Code server process (${st.comm})`);
        if (type === 'extensionHost') {
          userRoots.set(child, STARTED_BY_EXTENSION);
          continue; // its children are what extensions started
        }
        queue.push(child);
      }
    }
  }

  const above = new Set(chain.slice(2).map((c) => c.pid)); // what started the server: not VS Code's side
  const isTerminal = (st: StatLite) => st.pid === st.sid && st.tty !== 0 && server !== undefined && st.sid !== server.sid;
  return {
    vscode: own,
    aboveServer: above,
    async origin(pid: number): Promise<ProcessOrigin> {
      const label = own.get(pid);
      if (label) return { vscode: label };
      if (userRoots.get(pid) === STARTED_IN_TERMINAL) return { startedBy: STARTED_IN_TERMINAL };
      let prev: StatLite | null = null;
      let p = pid;
      for (let depth = 0; p > 0 && depth < MAX_DEPTH; depth++) {
        const st = await readStat(procRoot, p);
        if (!st) break;
        if (st.pid !== pid) {
          const root = userRoots.get(st.pid);
          if (root) return { startedBy: root };
          if (own.has(st.pid) && !above.has(st.pid)) {
            // The first VS Code ancestor, reached through a process not classified when the
            // server's subtree was read (it started since): a new terminal's shell, or VS Code's.
            if (prev && isTerminal(prev)) return { startedBy: STARTED_IN_TERMINAL };
            return { vscode: `a process started by ${own.get(st.pid)}` };
          }
        }
        if (st.ppid === st.pid) break;
        prev = st;
        p = st.ppid;
      }
      return {};
    },
  };
}

/**
 * The CLI's view: what descends from (or shares) the caller's terminal session is the user's.
 * A caller with no session of its own (session 0 or 1: started by a container's init, a CI
 * runner, a service manager without setsid) would count every process on the machine as its
 * session's; then only what descends from the command that started it (its parent, unless that
 * is an init) or from the caller itself counts.
 */
export async function sessionOrigins(selfPid: number = process.pid, procRoot = '/proc'): Promise<Origins> {
  const self = await readStat(procRoot, selfPid);
  const sid = self && self.sid > 1 ? self.sid : undefined;
  const root = sid === undefined && self ? (self.ppid > 1 ? self.ppid : self.pid) : undefined;
  return {
    vscode: new Map(),
    async origin(pid: number): Promise<ProcessOrigin> {
      if (sid !== undefined) {
        const found = await walkUp(procRoot, pid, (st) => (st.sid === sid || st.pid === sid ? { startedBy: STARTED_IN_SESSION } : undefined));
        return found ?? {};
      }
      if (root === undefined) return {};
      const found = await walkUp(procRoot, pid, (st) => (st.pid === root ? { startedBy: STARTED_IN_SESSION } : undefined));
      return found ?? {};
    },
  };
}

/**
 * The facts of one live process read from /proc (stat + status), for the CLI's signal command
 * and any process the snapshot does not hold. Throws ENOENT-like errors when it is gone.
 */
export async function readProcessInfo(pid: number, procRoot = '/proc', userName: (uid: number) => string = userResolver()): Promise<ProcessInfo | null> {
  let statText: string;
  let statusText: string;
  try {
    statText = await fs.promises.readFile(`${procRoot}/${pid}/stat`, 'utf8');
    statusText = await fs.promises.readFile(`${procRoot}/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const st = parseStatLite(statText);
  const status = parseStatus(statusText);
  if (!st || status.uid === null) return null;
  return {
    pid: st.pid,
    ppid: st.ppid,
    comm: st.comm,
    cmdline: [],
    uid: status.uid,
    user: userName(status.uid),
    startTime: st.startTime,
    state: st.state,
    tracerPid: status.tracerPid,
    signals: status.signals,
    nsPid: status.nsPid,
    timers: [],
    threads: status.threads ?? 1,
    cwd: null,
    exe: null,
  };
}
