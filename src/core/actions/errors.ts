// Errors of the actions (peek, signal, remove): an errno-like `code`, a one-line message that
// says what happened in plain words, and a `hint` saying what would be needed. Plain Node.
import * as fs from 'node:fs';

export class ActionError extends Error {
  readonly code: string;
  readonly hint?: string;
  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = 'ActionError';
    this.code = code;
    this.hint = hint;
  }
}

export function errnoOf(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string' && c.length > 0) return c;
  }
  return 'EIO';
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** kernel.yama.ptrace_scope, or null when Yama is not there. */
export function readPtraceScope(procRoot = '/proc'): number | null {
  try {
    const n = Number(fs.readFileSync(`${procRoot}/sys/kernel/yama/ptrace_scope`, 'utf8').trim());
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}

export interface PermissionContext {
  /** What we tried, e.g. "peek at the socket's receive queue". */
  what: string;
  /** Owner of the object or process, when known. */
  owner?: string | null;
  ownerUid?: number | null;
  /** The operation needs ptrace-attach permission (pidfd_getfd). */
  ptrace?: boolean;
  pid?: number;
  /** Permission bits of a SysV/POSIX object as octal text (e.g. `0600`). */
  mode?: string | null;
}

/** Explains a permission error (EPERM/EACCES) with what would be needed. */
export function permissionHint(ctx: PermissionContext): string {
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
  const who = ctx.owner ? `${ctx.owner}${ctx.ownerUid != null ? ` (uid ${ctx.ownerUid})` : ''}` : 'another user';
  const parts: string[] = [];
  if (ctx.mode) {
    const m = parseInt(ctx.mode, 8);
    if (Number.isInteger(m)) {
      const readers = m & 0o004 ? 'everyone' : m & 0o040 ? `its owner (${ctx.owner ?? 'uid ' + ctx.ownerUid}) and its group` : `only its owner (${ctx.owner ?? 'uid ' + ctx.ownerUid})`;
      parts.push(`its mode is ${ctx.mode}: ${readers} may read it`);
    }
  }
  if (ctx.ownerUid != null && ctx.ownerUid !== euid && euid !== 0) {
    parts.push(`it belongs to ${who}; run as the same user or as root`);
  } else if (euid !== 0) {
    parts.push('run as the same user as the owner, or as root');
  }
  if (ctx.ptrace) {
    const scope = readPtraceScope();
    parts.push(
      'pidfd_getfd needs ptrace-attach permission over the process (same uid and not setuid/undumpable, or CAP_SYS_PTRACE)',
    );
    if (scope !== null) {
      if (scope >= 1) {
        parts.push(
          `kernel.yama.ptrace_scope is ${scope}` +
            (scope === 1
              ? ' (only descendants may be traced: lower it to 0 with `sysctl kernel.yama.ptrace_scope=0` or run as root)'
              : scope === 2
                ? ' (only CAP_SYS_PTRACE may attach: run as root)'
                : ' (ptrace disabled until reboot)'),
        );
      } else parts.push('kernel.yama.ptrace_scope is 0');
    }
  }
  return parts.join('; ');
}

/** Turns an addon/fs error into an ActionError with an explanation for the usual errnos. */
export function explain(e: unknown, ctx: PermissionContext): ActionError {
  if (e instanceof ActionError) return e;
  const code = errnoOf(e);
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return new ActionError(code, `${ctx.what}: permission denied (${code})`, permissionHint(ctx));
    case 'ESRCH':
      return new ActionError(code, `${ctx.what}: the process${ctx.pid ? ` ${ctx.pid}` : ''} no longer exists (ESRCH)`);
    case 'ENOENT':
    case 'EIDRM':
    case 'EINVAL':
      return new ActionError(code, `${ctx.what}: the object is gone or changed (${code})`, 'refresh and try again');
    case 'ENOSYS':
      return new ActionError(
        code,
        `${ctx.what}: not supported by this kernel (ENOSYS)`,
        'MSG_COPY needs CONFIG_CHECKPOINT_RESTORE; pidfd needs Linux 5.6 or later',
      );
    case 'EBADF':
      return new ActionError(code, `${ctx.what}: the file descriptor was closed meanwhile (EBADF)`, 'refresh and try again');
    default:
      return new ActionError(code, `${ctx.what}: ${messageOf(e)}${/\b[A-Z]{3,}\b/.test(messageOf(e)) ? '' : ` (${code})`}`);
  }
}
