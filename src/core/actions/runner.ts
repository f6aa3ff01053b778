// The one action runner for destructive actions (send a signal, remove an IPC object), used by
// the Send Signal and Remove commands, the inspector panel and the CLI: it takes the request,
// computes the risk with the shared policy (policy.ts) and where the target comes from
// (origin.ts), asks the caller's `confirm` callback when the policy says so — the one test seam
// of every confirmation — runs the action, and returns what happened as plain, unescaped text
// (each surface escapes for itself: core/escape.ts).
import type { Channel, ProcessInfo } from '../model';
import { processLabel } from '../format';
import { signalName, signalNumber } from '../signals';
import { ActionError, errnoOf, messageOf } from './errors';
import { removeRisk, signalRisk, type ProcessOrigin, type SignalRisk } from './policy';
import { isRemovable, objectTitle, removeObject, type RemoveOptions, type RemoveResult } from './remove';
import { sendSignal, type SendSignalOptions, type SendSignalResult } from './signal';

/** A question the user must answer before the action runs. Plain text: the asker escapes it. */
export interface Question {
  /** One line: `Send SIGKILL to nginx[812]?` */
  title: string;
  /** Why it is asked and what to expect, one reason per line. */
  detail: string;
  /** The button that confirms: `Send SIGKILL`, `Remove`. */
  action: string;
  /** The policy's reasons (also inside `detail`). */
  reasons: string[];
}

/** Answers a question: true runs the action. A modal in VS Code, a prompt or --yes in the CLI. */
export type Confirm = (q: Question) => boolean | Promise<boolean>;

export interface RunnerEnv {
  /** The caller's effective uid (process.geteuid()); -1 when unknown. */
  euid: number;
  /** Where a process comes from (origin.ts: vscodeOrigins / sessionOrigins). */
  origin(pid: number): Promise<ProcessOrigin>;
  confirm: Confirm;
  signalOptions?: SendSignalOptions;
  removeOptions?: RemoveOptions;
}

export type ActionOutcome<R> =
  | { status: 'done'; result: R; message: string; question?: Question }
  | { status: 'cancelled'; question: Question; message: string }
  | { status: 'failed'; error: ActionError; message: string; question?: Question };

export interface SignalRequest {
  /** The process as the user saw it (snapshot or /proc): its startTime binds the signal. */
  process: ProcessInfo;
  signal: number | string;
  /** sival_int for a queued signal. */
  value?: number;
  /** The start time the user acted on, when it may differ from `process.startTime` (CLI --start-time). */
  startTime?: number;
  /** Ask even where the policy would not, with this reason first (a signal a problem offers: policy.offeredSignalReason). */
  ask?: string;
}

export type SignalOutcome = ActionOutcome<SendSignalResult> & { risk?: SignalRisk };

function asActionError(e: unknown): ActionError {
  return e instanceof ActionError ? e : new ActionError(errnoOf(e), messageOf(e));
}

/** The question for a signal (identical wherever it is asked). */
export function signalQuestion(proc: ProcessInfo, risk: SignalRisk, value?: number): Question {
  const target = processLabel(proc.pid, proc);
  return {
    title: `Send ${risk.signalName}${value !== undefined ? ` (value ${value})` : ''} to ${target}?`,
    detail: [...risk.confirm, ...risk.warnings].join('\n'),
    action: `Send ${risk.signalName}`,
    reasons: [...risk.confirm],
  };
}

/** Policy → confirmation → pidfd signal bound to the start time. Never throws. */
export async function runSignal(req: SignalRequest, env: RunnerEnv): Promise<SignalOutcome> {
  const proc = req.process;
  const target = processLabel(proc.pid, proc);
  const n = signalNumber(req.signal);
  if (n === undefined) {
    const error = new ActionError('EINVAL', `unknown signal: ${String(req.signal)}`);
    return { status: 'failed', error, message: error.message };
  }
  let origin: ProcessOrigin = {};
  try {
    origin = await env.origin(proc.pid);
  } catch {
    /* unknown origin: the policy then treats it as not started by the user */
  }
  const policy = signalRisk(proc, n, { euid: env.euid, origin });
  const risk = req.ask ? { ...policy, confirm: [req.ask, ...policy.confirm] } : policy;
  let question: Question | undefined;
  if (risk.confirm.length > 0) {
    question = signalQuestion(proc, risk, req.value);
    if (!(await env.confirm(question))) {
      return { status: 'cancelled', question, risk, message: `${risk.signalName} to ${target}: not sent (cancelled)` };
    }
  }
  try {
    const result = await sendSignal(
      { pid: proc.pid, startTime: req.startTime ?? proc.startTime, signal: n, value: req.value },
      env.signalOptions,
    );
    const message =
      `sent ${result.signalName}${result.value !== undefined ? ` (value ${result.value})` : ''} to ${target} via ${result.method}` +
      (risk.warnings.length ? ` — ${risk.warnings.join('; ')}` : '') +
      (result.weakerGuarantee ? ` (${result.weakerGuarantee})` : '');
    return { status: 'done', result, risk, question, message };
  } catch (e) {
    const error = asActionError(e);
    return { status: 'failed', error, risk, question, message: `could not send ${signalName(n)} to ${target}: ${error.message}${error.hint ? ` (${error.hint})` : ''}` };
  }
}

export interface RemoveRequest {
  channel: Channel;
  /** The snapshot's processes, to name the holders in the question. */
  processes: ReadonlyMap<number, ProcessInfo>;
  /** The snapshot's warnings: what it could not see of the holders is said in the question (unseenHolders). */
  warnings?: readonly string[];
}

/** The question for removing an object. */
export function removeQuestion(req: RemoveRequest, euid: number): Question {
  const risk = removeRisk(req.channel, { euid, processes: req.processes, warnings: req.warnings });
  const held = risk.holders.length
    ? `Held by: ${risk.holders.join(', ')}${risk.moreHolders ? ` and ${risk.moreHolders} more` : ''}.`
    : risk.unseen.length
      ? 'No process that could be read holds it open.'
      : 'No process holds it open.';
  return { title: `Remove ${objectTitle(req.channel)}?`, detail: [held, ...risk.unseen, '', ...risk.confirm].join('\n'), action: 'Remove', reasons: risk.confirm };
}

/** Always asks (removal cannot be undone), then ipcrm / unlink. Never throws. */
export async function runRemove(req: RemoveRequest, env: RunnerEnv): Promise<ActionOutcome<RemoveResult>> {
  const ch = req.channel;
  const name = objectTitle(ch);
  if (!isRemovable(ch)) {
    const error = new ActionError('ENOTSUP', `${name}: objects of this kind cannot be removed — close the processes holding them instead`);
    return { status: 'failed', error, message: error.message };
  }
  const question = removeQuestion(req, env.euid);
  if (!(await env.confirm(question))) return { status: 'cancelled', question, message: `remove ${name}: cancelled` };
  try {
    const result = await removeObject(ch, env.removeOptions);
    return { status: 'done', result, question, message: `Removed ${name}${result.note ? ` — ${result.note}` : ''}` };
  } catch (e) {
    const error = asActionError(e);
    return { status: 'failed', error, question, message: `could not remove ${name}: ${error.message}${error.hint ? ` (${error.hint})` : ''}` };
  }
}

/** The caller's effective uid, or -1 where there is none (the policy then always asks). */
export function currentEuid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : -1;
}
