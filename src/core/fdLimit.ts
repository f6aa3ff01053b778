// Running out of file descriptors — EMFILE (this process reached its RLIMIT_NOFILE, `ulimit -n`)
// or ENFILE (the system's file table is full) — says nothing about the file that failed to open:
// the process is there, the channel is held. Such a failure must never read as "gone" (a process
// dropped as vanished, so a peek finds no channel and Free Port no holder); it is an error of its
// own, whose message names the limit so that the user knows what to raise.
import * as fs from 'node:fs';
import { ActionError, errnoOf } from './actions/errors';

/** An errno name that means "no descriptor left", not anything about the file. */
export function isFdExhaustion(code: string | undefined | null): boolean {
  return code === 'EMFILE' || code === 'ENFILE';
}

/**
 * This process's soft open-file limit from /proc/self/limits (`Max open files  1024  4096  files`),
 * or null when it cannot be read — which may itself be for want of a descriptor.
 */
export function openFileLimit(procRoot = '/proc'): string | null {
  try {
    const m = /^Max open files\s+(\S+)\s/m.exec(fs.readFileSync(`${procRoot}/self/limits`, 'utf8'));
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

/** What to say about an EMFILE/ENFILE: the limit that was reached and how to raise it. */
export function fdExhaustionHint(code: string): string {
  if (code === 'ENFILE') return "the system's file table is full (fs.file-max, see /proc/sys/fs/file-nr): close files elsewhere, or raise fs.file-max";
  const n = openFileLimit();
  return `this process reached its open-file limit (RLIMIT_NOFILE${n !== null ? ` = ${n}` : ''}): raise it with \`ulimit -n\` (or prlimit --nofile) and run again`;
}

/** The error to throw when reading `what` failed with EMFILE/ENFILE (code, plain message, the limit as hint). */
export function fdExhaustionError(code: string, what: string): ActionError {
  return new ActionError(code, `too many open files${code === 'ENFILE' ? ' in the system' : ''} while reading ${what}`, fdExhaustionHint(code));
}

/** `e` with the limit named when it is an EMFILE/ENFILE without a hint yet (an fs or addon error); `e` itself otherwise. */
export function withFdLimitHint(e: unknown): unknown {
  const code = errnoOf(e);
  if (!isFdExhaustion(code) || (e instanceof ActionError && e.hint)) return e;
  return new ActionError(code, e instanceof Error ? e.message : String(e), fdExhaustionHint(code));
}
