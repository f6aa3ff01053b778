// When to warn and when to ask before signalling: one policy for the inspector panel, the
// Send Signal quick pick and the CLI. Plain data in, plain reasons out; the caller decides how
// to show them (the extension: a modal showWarningMessage for `confirm`, a warning otherwise).
import type { ProcessInfo } from '../model';
import { signalInfo, signalName, signalNumber } from '../signals';
import * as fs from 'node:fs';
import { isReservedRealtime, parseProcStat } from './signal';

export interface SignalRiskContext {
  /** The caller's effective uid (process.geteuid()). */
  euid: number;
  /** Pids that are VS Code itself: the extension host and its ancestors (server, launcher). */
  protectedPids?: ReadonlySet<number>;
  /** Labels for protected pids ("the extension host", "the VS Code server"), for the message. */
  protectedLabels?: ReadonlyMap<number, string>;
}

export interface SignalRisk {
  signal: number;
  signalName: string;
  /** Shown before sending (not blocking by themselves): the signal will have no effect, stays pending, … */
  warnings: string[];
  /** Reasons that need an explicit (modal) confirmation. Empty = send without asking. */
  confirm: string[];
  /** What will happen, for information (no confirmation needed): e.g. the default action terminates it. */
  notes: string[];
  /** The signal will certainly have no visible effect (ignored, or the process is a zombie). */
  noEffect: boolean;
}

/** Does `list` (signal names from the snapshot) contain signal `sig`? Accepts any spelling. */
function has(list: readonly string[] | undefined, sig: number): boolean {
  return !!list && list.some((n) => signalNumber(n) === sig);
}

/** The warnings and confirmation reasons for sending `sig` to `proc`. */
export function signalRisk(proc: ProcessInfo, sig: number | string, ctx: SignalRiskContext): SignalRisk {
  const n = signalNumber(sig);
  if (n === undefined) throw new Error(`unknown signal: ${String(sig)}`);
  const name = signalName(n);
  const info = signalInfo(n);
  const warnings: string[] = [];
  const confirm: string[] = [];
  const notes: string[] = [];
  let noEffect = false;
  const s = proc.signals;

  if (proc.state === 'Z') {
    warnings.push(`process ${proc.pid} is a zombie (already exited, waiting for its parent) — ${name} will have no effect`);
    noEffect = true;
  } else if (n !== 9 && n !== 19) {
    if (has(s?.ignored, n)) {
      warnings.push(`${name} is ignored by this process — it will have no effect`);
      noEffect = true;
    } else if (has(s?.blocked, n)) {
      warnings.push(`${name} is blocked by this process — it will stay pending until the process unblocks it`);
    }
    if (!noEffect && (has(s?.pending, n) || has(s?.shdPending, n)) && !info?.realtime) {
      warnings.push(`${name} is already pending — a standard signal is not queued twice, so this one merges with it`);
    }
    if (!noEffect && !has(s?.caught, n) && !has(s?.ignored, n) && info) {
      if (info.action === 'terminate' || info.action === 'core') {
        notes.push(`the process does not handle ${name}: the default action will ${info.action === 'core' ? 'terminate it and dump core' : 'terminate it'}`);
      } else if (info.action === 'stop') notes.push(`the process does not handle ${name}: the default action will stop it`);
    }
  }
  if (proc.state === 'T' && n !== 18 && n !== 9) warnings.push(`process ${proc.pid} is stopped — ${name} is delivered when it continues (SIGCONT)`);
  if (proc.tracerPid > 0) warnings.push(`process ${proc.pid} is traced by ${proc.tracerPid}: the tracer sees the signal first and may suppress it`);
  if (isReservedRealtime(n)) confirm.push(`${name} is reserved by glibc for thread cancellation and setxid — sending it can break the process`);

  if (n === 9) confirm.push(`SIGKILL cannot be caught: process ${proc.pid} (${proc.comm}) ends at once, without cleanup`);
  if (n === 19) confirm.push(`SIGSTOP cannot be caught: process ${proc.pid} (${proc.comm}) freezes until it receives SIGCONT`);
  if (proc.pid === 1) confirm.push('PID 1 is the init process of this system (or container): signalling it can bring everything down');
  if (ctx.protectedPids?.has(proc.pid)) {
    const label = ctx.protectedLabels?.get(proc.pid) ?? 'one of VS Code\'s own processes';
    confirm.push(`process ${proc.pid} is ${label} — signalling it can break this editor session`);
  }
  if (proc.uid !== ctx.euid) confirm.push(`process ${proc.pid} belongs to another user (${proc.user || `uid ${proc.uid}`})`);

  return { signal: n, signalName: name, warnings, confirm, notes, noEffect };
}

/**
 * VS Code's own processes: `selfPid` (the extension host) and its ancestors up to (not including)
 * PID 1, found through the snapshot's ppid links. Returns pids with a label each.
 */
export function vscodeProcesses(processes: readonly ProcessInfo[], selfPid: number): Map<number, string> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const out = new Map<number, string>();
  let pid = selfPid;
  let depth = 0;
  while (pid > 1 && depth < 64 && !out.has(pid)) {
    const p = byPid.get(pid);
    const label = depth === 0 ? 'the VS Code extension host' : depth === 1 ? 'the VS Code server (parent of the extension host)' : `an ancestor of the VS Code extension host (${p?.comm ?? 'unknown'})`;
    out.set(pid, label);
    if (!p) break;
    pid = p.ppid;
    depth++;
  }
  return out;
}

/**
 * The same as vscodeProcesses but read from /proc directly (the snapshot may leave out processes
 * that hold no IPC channel, such as the extension host itself).
 */
export function vscodeProcessesFromProc(selfPid: number = process.pid, procRoot = '/proc'): Map<number, string> {
  const procs: ProcessInfo[] = [];
  let pid = selfPid;
  for (let depth = 0; pid > 1 && depth < 64; depth++) {
    let ppid: number;
    let comm = '';
    try {
      const st = parseProcStat(fs.readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
      if (!st) break;
      ppid = st.ppid;
      comm = st.comm;
    } catch {
      break;
    }
    procs.push({ pid, ppid, comm } as ProcessInfo);
    pid = ppid;
  }
  return vscodeProcesses(procs, selfPid);
}

/** One line for a confirmation dialog: all reasons and warnings. */
export function describeRisk(risk: SignalRisk): string {
  return [...risk.confirm, ...risk.warnings].join('\n');
}
