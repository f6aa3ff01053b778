// Deadlines for work that may block in the kernel for good. A peek or a scan that touches what
// another user controls can wait forever (a FUSE daemon that never answers, a process stuck in D
// state holding its mmap lock); such work runs off the JS thread (native ThreadWorker threads, the
// snapshot worker) and the caller races it against a deadline here. A call that missed its
// deadline cannot be cancelled — its thread stays blocked in the kernel — so it is counted until
// it settles, and new blocking calls are refused while too many are still stuck (each holds a
// thread, and they would pile up on every retry). Plain Node: no vscode.

import { promises as fsp } from 'node:fs';

/** The error of a missed deadline: `code` ETIMEDOUT, like the addon's errno-named errors. */
export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what}: no answer within ${ms} ms (ETIMEDOUT); the call is still blocked in the kernel and was left behind`);
    this.name = 'DeadlineError';
  }
}

/** The error of a call refused because earlier ones are still stuck. */
export class TooManyStuckError extends Error {
  readonly code = 'EBUSY';
  constructor(
    readonly what: string,
    readonly stuck: number,
  ) {
    super(`${what}: refused (EBUSY): ${stuck} earlier calls are still blocked in the kernel past their deadline`);
    this.name = 'TooManyStuckError';
  }
}

/** Default deadline of one peek or action (ms). */
export const PEEK_DEADLINE_MS = 5000;
/** Calls still blocked past their deadline at which new ones are refused. */
export const MAX_STUCK_CALLS = 8;

let stuck = 0;

/** Calls that missed their deadline and have not settled yet (their threads are still blocked). */
export function stuckCalls(): number {
  return stuck;
}

/**
 * Resolves or rejects like `start()`'s promise, or rejects with DeadlineError after `ms`. `start`
 * is only called when fewer than MAX_STUCK_CALLS earlier calls are still stuck (TooManyStuckError
 * otherwise). The timer keeps the event loop alive while the call is pending (so does the call).
 */
export function withDeadline<T>(what: string, ms: number, start: () => Promise<T>): Promise<T> {
  if (stuck >= MAX_STUCK_CALLS) return Promise.reject(new TooManyStuckError(what, stuck));
  let work: Promise<T>;
  try {
    work = start();
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      stuck++;
      reject(new DeadlineError(what, ms));
    }, ms);
    const settle = () => {
      if (late) stuck--;
      else clearTimeout(timer);
    };
    work.then(
      (v) => {
        settle();
        resolve(v); // no effect once rejected by the timer
      },
      (e: unknown) => {
        settle();
        reject(e);
      },
    );
  });
}

/** Deadline of one read of a small /proc or root-owned file (a few microseconds when nothing is stuck). */
export const SMALL_READ_DEADLINE_MS = 2000;

/** A small text file, read off the calling thread (Node's I/O pool) under a deadline: DeadlineError past it. */
export function readTextWithin(file: string, ms: number = SMALL_READ_DEADLINE_MS): Promise<string> {
  return withDeadline(`read ${file}`, ms, () => fsp.readFile(file, 'utf8'));
}
