// Sending a signal to exactly the process the user saw. The pidfd is opened FIRST, then the
// start time (field 22 of /proc/PID/stat) is compared with the snapshot's: if the pid was
// recycled meanwhile we refuse, and because the pidfd pins the process we checked, the signal
// cannot reach a newer one. Without the native addon we fall back to process.kill after the same
// check, and say that the guarantee is weaker (a pid could be recycled between check and kill).
import * as fs from 'node:fs';
import { loadNative, type NativeAddon } from '../native';
import { signalName, signalNumber, SIGRTMIN, KERNEL_SIGRTMIN } from '../signals';
import { ActionError, errnoOf, messageOf } from './errors';
import { readTextWithin } from '../deadline';
import { isZombie } from '../processState';
import { parseStat, type ParsedStat } from '../parsers/procPid';

export interface SendSignalRequest {
  pid: number;
  /** Start time (clock ticks since boot) as seen in the snapshot the user acted on. */
  startTime: number;
  /** Number or any spelling signalNumber() accepts: 'SIGTERM', 'TERM', '15', 'SIGRTMIN+3'. */
  signal: number | string;
  /** sival_int for a queued signal (SI_QUEUE, like sigqueue). */
  value?: number;
}

export interface SendSignalOptions {
  native?: NativeAddon | null;
  procRoot?: string;
  /** Resolves a uid to a user name for the EPERM message. */
  userName?: (uid: number) => string | undefined;
}

export interface SendSignalResult {
  pid: number;
  signal: number;
  signalName: string;
  value?: number;
  method: 'pidfd_send_signal' | 'kill';
  /** Set when the fallback was used: what is not guaranteed. */
  weakerGuarantee?: string;
  at: string;
}

export const WEAKER_GUARANTEE =
  'sent with kill() because the native addon is not loaded: the start time was checked just before, ' +
  'but without a pidfd a recycled pid could in theory be hit between the check and the kill';

/**
 * Is `st` the process that started at `startTime`, and not exited? A zombie or a dead task has; a
 * process whose main thread exited (state Z, its other threads running) has not (isZombie).
 */
export function statIsRunning(st: ParsedStat, startTime: number): boolean {
  return st.startTime === startTime && !isZombie(st) && st.state !== 'X';
}

/**
 * Is the process seen at `startTime` still there to take a signal? false when its pid is gone, is
 * another process now, or is a zombie (it exited; its parent has not reaped it yet). Read off the
 * calling thread under a deadline; true when it cannot be told (the sender's own checks decide).
 * For an action offered on an older view: ask nothing about a process that is no more.
 */
export async function stillRunning(pid: number, startTime: number, procRoot = '/proc'): Promise<boolean> {
  let text: string;
  try {
    text = await readTextWithin(`${procRoot}/${pid}/stat`);
  } catch (e) {
    const code = errnoOf(e);
    return !(code === 'ENOENT' || code === 'ESRCH');
  }
  const st = parseStat(text);
  return !st || statIsRunning(st, startTime);
}

/** Start time of a live pid, or throws ESRCH when it is gone. */
export function readStartTime(pid: number, procRoot = '/proc'): number {
  let text: string;
  try {
    text = fs.readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ESRCH') throw new ActionError('ESRCH', `process ${pid} no longer exists (ESRCH)`);
    throw new ActionError(code, `cannot read /proc/${pid}/stat: ${messageOf(e)}`);
  }
  const st = parseStat(text);
  if (!st) throw new ActionError('EINVAL', `cannot parse /proc/${pid}/stat`);
  return st.startTime;
}

function ownerName(pid: number, procRoot: string, userName?: (uid: number) => string | undefined): string {
  try {
    const status = fs.readFileSync(`${procRoot}/${pid}/status`, 'utf8');
    const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
    if (m) {
      const uid = Number(m[1]);
      const name = userName?.(uid) ?? lookupUser(uid);
      return name ? `${name} (uid ${uid})` : `uid ${uid}`;
    }
  } catch {
    /* the process exited meanwhile: the owner stays unnamed in the message */
  }
  return 'another user';
}

function lookupUser(uid: number): string | undefined {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && Number(f[2]) === uid) return f[0];
    }
  } catch {
    /* no passwd */
  }
  return undefined;
}

function staleError(pid: number, expected: number, actual: number): ActionError {
  return new ActionError(
    'ESTALE',
    `process ${pid} was replaced (pid recycled): start time is ${actual}, the one you saw was ${expected}`,
    'refresh and pick the process again',
  );
}

function sendError(e: unknown, pid: number, sigName: string, procRoot: string, userName?: (uid: number) => string | undefined): ActionError {
  if (e instanceof ActionError) return e;
  const code = errnoOf(e);
  if (code === 'EPERM') return new ActionError('EPERM', `${sigName} to ${pid}: not permitted — the process belongs to ${ownerName(pid, procRoot, userName)} (EPERM)`, 'run as that user or as root');
  if (code === 'ESRCH') return new ActionError('ESRCH', `${sigName} to ${pid}: the process has exited (ESRCH)`);
  if (code === 'EINVAL') return new ActionError('EINVAL', `${sigName} to ${pid}: invalid signal or value (EINVAL)`);
  if (code === 'ENOSYS') return new ActionError('ENOSYS', `${sigName} to ${pid}: pidfd is not supported by this kernel (ENOSYS)`, 'Linux 5.3+ is needed for pidfd_send_signal');
  return new ActionError(code, `${sigName} to ${pid}: ${messageOf(e)} (${code})`);
}

/** Validates the process a request names: its pid and start time. */
function checkTarget(req: Pick<SendSignalRequest, 'pid' | 'startTime'>): void {
  if (!Number.isSafeInteger(req.pid) || req.pid <= 0 || req.pid > 4194304) throw new ActionError('EINVAL', `invalid pid: ${String(req.pid)}`);
  if (!Number.isSafeInteger(req.startTime) || req.startTime < 0) throw new ActionError('EINVAL', `invalid start time: ${String(req.startTime)}`);
}

/** Validates the request; returns the signal number. */
export function checkSignalRequest(req: SendSignalRequest): number {
  checkTarget(req);
  const sig = signalNumber(req.signal);
  if (sig === undefined) throw new ActionError('EINVAL', `unknown signal: ${String(req.signal)}`);
  if (req.value !== undefined) {
    if (!Number.isInteger(req.value) || req.value < -2147483648 || req.value > 2147483647) {
      throw new ActionError('EINVAL', `signal value must be a 32-bit integer: ${String(req.value)}`);
    }
  }
  return sig;
}

/** Sends `signal` to the process `pid` only if it is still the one that started at `startTime`. */
export async function sendSignal(req: SendSignalRequest, opts: SendSignalOptions = {}): Promise<SendSignalResult> {
  const sig = checkSignalRequest(req);
  const native = opts.native !== undefined ? opts.native : loadNative().addon;
  if (req.value !== undefined && !native) {
    throw new ActionError('ENOTSUP', `${signalName(sig)} with a value needs sigqueue/pidfd_send_signal, i.e. the native addon, which is not loaded`, 'build it with `npm run build:native`');
  }
  return pinnedSend(req.pid, req.startTime, sig, signalName(sig), req.value, native, opts);
}

/**
 * `kill -0` bound to the process's start time: the checks a signal goes through (the process
 * exists, is the one that started at `startTime`, and this process may signal it), nothing sent.
 * Throws as sendSignal would (ESRCH, ESTALE, EPERM naming the owner).
 */
export async function checkSignalPermission(req: Pick<SendSignalRequest, 'pid' | 'startTime'>, opts: SendSignalOptions = {}, asking = 'signal 0'): Promise<SendSignalResult> {
  checkTarget(req);
  // `asking`: what an error names, the signal the caller means to send (its check is signal 0's)
  return pinnedSend(req.pid, req.startTime, 0, asking, undefined, opts.native !== undefined ? opts.native : loadNative().addon, opts);
}

async function pinnedSend(pid: number, startTime: number, sig: number, name: string, value: number | undefined, native: NativeAddon | null | undefined, opts: SendSignalOptions): Promise<SendSignalResult> {
  const procRoot = opts.procRoot ?? '/proc';
  const at = () => new Date().toISOString();

  if (native) {
    let pidfd: number;
    try {
      pidfd = native.pidfdOpen(pid);
    } catch (e) {
      throw sendError(e, pid, name, procRoot, opts.userName);
    }
    try {
      // The pidfd now pins one process; if /proc/PID is a different one, the pid was recycled
      // before we opened it (or the process exited: readStartTime throws ESRCH).
      const actual = readStartTime(pid, procRoot);
      if (actual !== startTime) throw staleError(pid, startTime, actual);
      try {
        if (value !== undefined) native.pidfdSendSignal(pidfd, sig, value);
        else native.pidfdSendSignal(pidfd, sig);
      } catch (e) {
        throw sendError(e, pid, name, procRoot, opts.userName);
      }
    } finally {
      try {
        native.closeFd(pidfd);
      } catch {
        /* EBADF: closed already; the signal's outcome is what matters */
      }
    }
    return { pid, signal: sig, signalName: name, value, method: 'pidfd_send_signal', at: at() };
  }

  const actual = readStartTime(pid, procRoot);
  if (actual !== startTime) throw staleError(pid, startTime, actual);
  try {
    process.kill(pid, sig);
  } catch (e) {
    throw sendError(e, pid, name, procRoot, opts.userName);
  }
  return { pid, signal: sig, signalName: name, method: 'kill', weakerGuarantee: WEAKER_GUARANTEE, at: at() };
}

/** True for the signals glibc reserves (32, 33): sending them can break a process's threads. */
export function isReservedRealtime(sig: number): boolean {
  return sig >= KERNEL_SIGRTMIN && sig < SIGRTMIN;
}
