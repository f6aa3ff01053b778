// The one confirmation policy for destructive actions (signals, removals), shared by the Send
// Signal command, the Remove command, the inspector panel and the CLI (all through runner.ts).
// Plain data in, plain reasons out: `confirm` reasons need an explicit yes (a modal in VS Code, a
// prompt or --yes in the CLI); `warnings` and `notes` are told, not asked.
//
// A signal needs a confirmation when
//   - it cannot be caught (SIGKILL, SIGSTOP) or glibc reserves it (32, 33);
//   - the target is PID 1 (a pid namespace's init drops every signal it does not handle: said as
//     "no effect", not asked), or part of VS Code itself (origin.ts: the server, its pty host, file
//     watcher and extension hosts, and the ancestors of the extension host);
//   - the caller's uid is unknown (-1: we cannot tell whose process it is);
//   - the target belongs to another user (its uid differs from the caller's euid);
//   - the caller is root and the target is root's too, but the user did not start it here: it
//     does not descend from a terminal of this VS Code window, from an extension host (tasks,
//     debuggees, language servers) or, for the CLI, from the caller's terminal session. Root may
//     signal anything, so "same uid" says nothing about whose process it is: a root daemon
//     (sshd, journald, a database) is treated like another user's process.
// What the user started (terminal shells and everything below them) is never protected as
// "VS Code itself", even though it descends from the VS Code server.
//
// Removal of an IPC object always needs a confirmation: it cannot be undone.
import { isKernelThread, isZombie } from '../processState';
import { droppedByInit, handledElsewhere, namespaceInit } from '../signalSets';
import type { Channel, ProcessInfo } from '../model';
import { processLabel } from '../format';
import { signalInfo, signalName, signalNumber } from '../signals';
import { isReservedRealtime } from './signal';
import { describe } from '../kinds';
import { fdsCutIn, fdsUnreadableIn, mapsCutIn } from '../snapshotWarnings';

/** Where a process comes from, as origin.ts finds it (both unset: nothing known about it). */
export interface ProcessOrigin {
  /** Set when the process is part of VS Code itself: what it is ("the VS Code pty host"). */
  vscode?: string;
  /** Set when the user started it here: where ("a terminal of this VS Code window"). */
  startedBy?: string;
}

export interface SignalRiskContext {
  /** The caller's effective uid (process.geteuid()); -1 when unknown. */
  euid: number;
  /** Where the target comes from (origin.ts). */
  origin?: ProcessOrigin;
}

export interface SignalRisk {
  signal: number;
  signalName: string;
  /** Told before or with the result (not asked by themselves): no effect, stays pending, … */
  warnings: string[];
  /** Reasons that need an explicit confirmation. Empty = send without asking. */
  confirm: string[];
  /** What will happen, for information: e.g. the default action terminates it. */
  notes: string[];
  /** The signal will certainly have no visible effect (ignored, or the process is a zombie). */
  noEffect: boolean;
}

/** Does `list` (signal names from the snapshot) contain signal `sig`? Accepts any spelling. */
function has(list: readonly string[] | undefined, sig: number): boolean {
  return !!list && list.some((n) => signalNumber(n) === sig);
}

function ownerText(proc: Pick<ProcessInfo, 'uid' | 'euid' | 'user'>): string {
  const setuid = proc.euid !== undefined && proc.euid !== proc.uid ? `, running as uid ${proc.euid}` : '';
  return (proc.user && proc.user !== String(proc.uid) ? `${proc.user}, uid ${proc.uid}` : `uid ${proc.uid}`) + setuid;
}

/** The reasons to ask before acting on a process that may not be the user's (shared by signal rules). */
export function ownershipReasons(proc: Pick<ProcessInfo, 'pid' | 'uid' | 'euid' | 'user'>, ctx: SignalRiskContext): string[] {
  const out: string[] = [];
  const origin = ctx.origin ?? {};
  if (proc.pid === 1) out.push('PID 1 is the init process of this system (or container): signalling it can bring everything down');
  if (origin.vscode) out.push(`process ${proc.pid} is ${origin.vscode} — signalling it can break this editor session`);
  if (!Number.isInteger(ctx.euid) || ctx.euid < 0) {
    out.push(`your user id is unknown, so whether process ${proc.pid} (${ownerText(proc)}) is yours cannot be checked`);
  } else if (proc.uid !== ctx.euid) {
    out.push(`process ${proc.pid} belongs to another user (${ownerText(proc)})`);
  } else if (ctx.euid === 0 && isKernelThread(proc)) {
    out.push(`process ${proc.pid} is a kernel thread: it takes only the signals it asks for (most ignore every one, SIGKILL included)`);
  } else if (ctx.euid === 0 && !origin.startedBy && !origin.vscode && proc.pid !== 1) {
    out.push(
      `process ${proc.pid} runs as root but was not started from this session (not from a VS Code terminal, an extension or your terminal session): it is probably a system service`,
    );
  }
  return out;
}

/**
 * Why a signal that a diagnosis offers (a problem's action: one click on its inline button) is
 * asked for even where the policy would send it without asking: by default it ends or stops the
 * process (SIGTERM to one side of a wait cycle ends work the user may want), and a handler does
 * not make it harmless (it usually shuts down). Undefined for a signal whose default resumes the
 * process or does nothing (SIGCONT to a stopped consumer, SIGCHLD to a parent): those go as offered.
 * `why` is the offer's own reason (`ends one side of the cycle; …`), plain text.
 */
export function offeredSignalReason(sig: number | string, why?: string): string | undefined {
  const n = signalNumber(sig);
  const info = n === undefined ? undefined : signalInfo(n);
  if (n === undefined || (info && (info.action === 'continue' || info.action === 'ignore'))) return undefined;
  const name = signalName(n);
  const effect = !info ? 'its effect is up to the process' : info.action === 'stop' ? 'by default it stops the process' : `by default it ends the process${info.action === 'core' ? ' (and dumps core)' : ''}, and a handler usually shuts it down`;
  return `the diagnosis offers ${name}${why ? ` (${why})` : ''}: ${effect}`;
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
  const who = processLabel(proc.pid, proc);

  if (isZombie(proc)) {
    warnings.push(`process ${proc.pid} is a zombie (already exited, waiting for its parent) — ${name} will have no effect`);
    noEffect = true;
  } else if (n !== 18 && droppedByInit(proc, n)) {
    // (SIGCONT is dropped too, but resumes a stopped init on its way: not "no effect")
    warnings.push(
      namespaceInit(proc) === 'nested'
        ? `process ${proc.pid} is PID 1 of its own pid namespace (a container's init) and does not handle ${name}: the kernel drops it when it comes from outside — it will have no effect; only SIGKILL or SIGSTOP reach it`
        : `process ${proc.pid} is the init process of this pid namespace and does not handle ${name}: the kernel drops it — it will have no effect`,
    );
    noEffect = true;
  } else if ((n !== 9 && n !== 19) || isKernelThread(proc)) {
    // (a kernel thread's ignored set is the kernel's word even for SIGKILL and SIGSTOP)
    if (has(s?.ignored, n)) {
      warnings.push(`${name} is ignored by this process — it will have no effect`);
      noEffect = true;
    } else if (has(s?.blocked, n)) {
      const via = handledElsewhere(s, name);
      // blocked on purpose: the process reads it itself (a signalfd), so it is handled, not stuck
      if (via) notes.push(`${name} is blocked and read by the process itself (${via.title.toLowerCase()}): it is handled, not left pending`);
      else warnings.push(`${name} is blocked by this process — it will stay pending until the process unblocks it`);
    }
    if (!noEffect && (has(s?.pending, n) || has(s?.shdPending, n)) && !info?.realtime) {
      warnings.push(`${name} is already pending — a standard signal is not queued twice, so this one merges with it`);
    }
    if (!noEffect && !has(s?.caught, n) && !has(s?.ignored, n) && !handledElsewhere(s, name) && info) {
      if (info.action === 'terminate' || info.action === 'core') {
        notes.push(`the process does not handle ${name}: the default action will ${info.action === 'core' ? 'terminate it and dump core' : 'terminate it'}`);
      } else if (info.action === 'stop') notes.push(`the process does not handle ${name}: the default action will stop it`);
    }
  }
  if (proc.state === 'T' && n !== 18 && n !== 9) warnings.push(`process ${proc.pid} is stopped — ${name} is delivered when it continues (SIGCONT)`);
  if (proc.tracerPid > 0) warnings.push(`process ${proc.pid} is traced by ${proc.tracerPid}: the tracer sees the signal first and may suppress it`);

  if (n === 9 && !noEffect) confirm.push(`SIGKILL cannot be caught: process ${who} ends at once, without cleanup${namespaceInit(proc) === 'nested' ? ', and the kernel kills every process of its pid namespace with it' : ''}`);
  if (n === 19 && !noEffect) confirm.push(`SIGSTOP cannot be caught: process ${who} freezes until it receives SIGCONT`);
  if (isReservedRealtime(n)) confirm.push(`${name} is reserved by glibc for thread cancellation and setxid — sending it can break the process`);
  confirm.push(...ownershipReasons(proc, ctx));

  return { signal: n, signalName: name, warnings, confirm, notes, noEffect };
}

export interface RemoveRiskContext {
  euid: number;
  /** The processes of the snapshot, to name the holders. */
  processes: ReadonlyMap<number, ProcessInfo>;
  /** The snapshot's warnings, for what it could not see of the holders. */
  warnings?: readonly string[];
}

export interface RemoveRisk {
  /** Always non-empty: removal cannot be undone. */
  confirm: string[];
  /** The processes holding it (labels), at most 15, and how many more. */
  holders: string[];
  moreHolders: number;
  /** Holders the snapshot could not see, one sentence each (unseenHolders); empty when it saw every process whole. */
  unseen: string[];
}

/**
 * What a snapshot could not see of an object's holders, from its warnings: processes whose fds
 * were unreadable, and processes whose maps were not read whole — which another user can cause
 * (many long mappings spend the scan's bound), so that a live object looks unheld.
 */
export function unseenHolders(warnings: readonly string[], channel: Channel): string[] {
  const out: string[] = [];
  const kind = describe(channel);
  // only for kinds whose holders those reads find: a SysV queue or semaphore set has none
  if (kind.fds !== undefined && fdsUnreadableIn(warnings)) out.push("Some processes' fds could not be read (permission denied): one of them may hold it.");
  if (kind.fds !== undefined && fdsCutIn(warnings)) out.push("Some processes' fds were not all listed (the scan's deadline, or more than it lists for one user): one of them may hold it.");
  if ((kind.maps?.length ?? 0) > 0 && mapsCutIn(warnings)) {
    out.push("Some processes' memory mappings were not read whole (more than a scan reads): one of them may map it.");
  }
  return out;
}

/** Why removing `channel` needs a confirmation (always: it cannot be undone), and who holds it. */
export function removeRisk(channel: Channel, ctx: RemoveRiskContext): RemoveRisk {
  const pids = [...new Set(channel.endpoints.map((e) => e.pid))];
  const holders = pids.slice(0, 15).map((pid) => processLabel(pid, ctx.processes.get(pid)));
  const confirm = ['This cannot be undone; processes using it may fail.'];
  const owner = channel as { uid?: number | null; owner?: string | null };
  if (typeof owner.uid === 'number' && owner.uid !== ctx.euid) {
    confirm.push(`It belongs to another user (${owner.owner && owner.owner !== String(owner.uid) ? `${owner.owner}, ` : ''}uid ${owner.uid}).`);
  }
  return { confirm, holders, moreHolders: Math.max(0, pids.length - holders.length), unseen: unseenHolders(ctx.warnings ?? [], channel) };
}

/** All reasons and warnings of a signal risk, one per line (a confirmation's detail). */
export function describeRisk(risk: SignalRisk): string {
  return [...risk.confirm, ...risk.warnings].join('\n');
}
