// Tools of the attacker tests (attacker.test.ts): small C programs (fixtures/attacker.c,
// fixtures/hung-fuse.c) copied into a directory that the unprivileged user can enter (so they run
// as `nobody` wherever the checkout lives), and a FUSE server that answers just enough to mount and open one file and
// never answers READ and FLUSH (and, in `getattr-hangs` mode, GETATTR). An unprivileged user gets
// such a server with fusermount; here root mounts it (allow_other) in the attacker's place. Every
// request it receives is logged, so a test can tell whether we opened, stat-ed or closed a file
// on it. Killing the server aborts the connection: every request still waiting fails, and every
// thread blocked on one (ours included) returns — the tests' cleanup does that first.
import { spawn, spawnSync, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { NOBODY } from '../harness/otherUser';
import { toolBinary } from '../../fixtures/ipcFixture';
import { lineReader } from './childLines';

export { NOBODY };

/** FUSE opcodes (linux/fuse.h) the tests look for. */
export const FUSE_OP = { LOOKUP: 1, GETATTR: 3, OPEN: 14, READ: 15, FLUSH: 25 } as const;

export interface Tools {
  dir: string;
  hungfuse: string;
  attacker: string;
}

/** compileTools' directories, removed at exit. */
const toolDirs = new Set<string>();

/**
 * The tools (fixtures/hung-fuse.c, fixtures/attacker.c, built in this user's private fixture cache),
 * copied into a fresh directory the unprivileged user can enter and run from.
 */
export async function compileTools(): Promise<Tools> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-hostile-'));
  // removed when the test file's process exits (its attackers are stopped by then; a running
  // binary's file can go anyway): each run had left a directory of 50 KB in /tmp
  if (toolDirs.size === 0) process.once('exit', () => { for (const d of toolDirs) fs.rmSync(d, { recursive: true, force: true }); });
  toolDirs.add(dir);
  fs.chmodSync(dir, 0o755);
  const out: Tools = { dir, hungfuse: path.join(dir, 'hungfuse'), attacker: path.join(dir, 'attacker') };
  for (const [name, dst, libs] of [['hung-fuse', out.hungfuse, []], ['attacker', out.attacker, ['-lrt', '-pthread']]] as const) {
    fs.copyFileSync(await toolBinary(name, [...libs]), dst);
    fs.chmodSync(dst, 0o755);
  }
  return out;
}

export interface Attacker {
  child: ChildProcess;
  next: (what?: string) => Promise<string>;
  send(line: string): void;
}

/** Runs `tools.attacker MODE ARGS…` as the unprivileged user. */
export function runAttacker(tools: Tools, args: string[], opts: SpawnOptions = {}): Attacker {
  const child = spawn(tools.attacker, args, { ...NOBODY, stdio: ['pipe', 'pipe', 'inherit'], ...opts });
  const { next } = lineReader(child);
  return { child, next, send: (l) => child.stdin!.write(l + '\n') };
}

/**
 * Why the unprivileged user cannot have namespaces of its own here (`unshare --user
 * --map-root-user` plus `flags`, e.g. `--ipc`, `--mount`), or false: not root to act as it, or
 * unprivileged user namespaces are off.
 */
export function ownNamespacesSkip(flags: readonly string[]): string | false {
  if (process.geteuid?.() !== 0) return 'needs root to run an attacker as nobody';
  const r = spawnSync('unshare', ['--user', '--map-root-user', ...flags, 'true'], { ...NOBODY, stdio: 'ignore' });
  return r.status === 0 ? false : 'unprivileged user namespaces are off here (the attacker needs namespaces of its own)';
}

/** runAttacker, in a user namespace of its own (root in it, nobody outside) and the namespaces `flags` name. */
export function runAttackerInNamespaces(tools: Tools, flags: readonly string[], args: string[]): Attacker {
  const child = spawn('unshare', ['--user', '--map-root-user', ...flags, tools.attacker, ...args], { ...NOBODY, stdio: ['pipe', 'pipe', 'inherit'] });
  const { next } = lineReader(child);
  return { child, next, send: (l) => child.stdin!.write(l + '\n') };
}

/** Ends the attacker's stdin (its modes clean up at EOF) and waits for it to exit. */
export async function stopAttacker(a: Attacker | undefined): Promise<void> {
  if (!a || a.child.exitCode !== null || a.child.signalCode !== null) return;
  const gone = new Promise((r) => a.child.once('exit', r));
  a.child.stdin!.end();
  await gone;
}

export interface HungFuse {
  /** The mount point (a directory the unprivileged user can enter). */
  mnt: string;
  /** The one file on it. */
  file: string;
  /** FUSE requests received so far: opcode, node id, and the pid of the process that made it. */
  requests: Array<{ op: number; node: number; pid: number }>;
  /** Kills the server (every waiting request fails, every thread blocked on one returns) and unmounts. */
  close(): Promise<void>;
}

/** Mounts the FUSE server on a fresh directory. Call close() before touching anything else under `mnt`. */
export async function startHungFuse(tools: Tools, mode: 'answer' | 'getattr-hangs' | 'lookup-hangs'): Promise<HungFuse> {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-fuse-'));
  fs.chmodSync(mnt, 0o755);
  const child = spawn(tools.hungfuse, [mnt, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { next, all } = lineReader(child);
  for (;;) if ((await next('the FUSE mount')) === 'ready') break;
  const requests: HungFuse['requests'] = [];
  const parse = () => {
    requests.length = 0;
    for (const l of all) {
      const m = /^(\d+) (\d+) (\d+)$/.exec(l);
      if (m) requests.push({ op: Number(m[1]), node: Number(m[2]), pid: Number(m[3]) });
    }
    return requests;
  };
  let closed = false;
  return {
    mnt,
    file: path.join(mnt, 'f'),
    get requests() {
      return parse();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
      execFileSync('umount', ['-l', mnt]);
      fs.rmdirSync(mnt);
    },
  };
}

/** Kills a child and waits for it; with graceMs, first ends its stdin and gives it that long to exit on its own (cleaning up). */
export async function reap(child: ChildProcess, graceMs = 0): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  if (graceMs > 0 && child.stdin && !child.stdin.destroyed) {
    // an attacker's modes remove what they made at EOF (SysV segments outlive a SIGKILL)
    child.stdin.end();
    if (await Promise.race([gone.then(() => true), new Promise((r) => setTimeout(() => r(false), graceMs))])) return;
  }
  child.kill('SIGKILL');
  await gone;
}

/** The states of a process's threads from /proc/PID/task/*\/stat (never blocks: no mm lock). */
export function threadStates(pid: number): string[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map((t) => {
      const s = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    });
  } catch {
    return [];
  }
}
