// The live commands' loop (watch, top, signals): run until Ctrl-C (SIGINT), SIGTERM or the reader of
// stdout going away (EPIPE, `| head`: stdio.ts), sleeping between rounds in a way each cuts short,
// so the command stops at once and its cleanup (the tracer, the terminal) still runs. The handlers
// are removed when the body returns. The exit status says what stopped it, as a shell reports a
// process that signal killed — 130 (128 + SIGINT), 143 (SIGTERM), 141 (SIGPIPE: the reader went
// away) — so that a script sees an interrupted command as interrupted; 0 when the body ended by
// itself (--count, --duration). Each handler is a `once`: a second Ctrl-C while the cleanup hangs
// gets Node's default, death by SIGINT. The terminal needs no restoring: no live command changes
// its modes (top only clears the screen between frames).
// A write is not the only way to learn the reader went: `watch | head` on a quiet machine may have
// nothing to write for hours. So while it sleeps, the loop asks the addon once a second whether
// stdout's far end has gone (fdHangup: poll's POLLERR on a pipe with no reader left), and stops
// as a failed write would. Without the addon it stops at its next write, as before.
import { constants } from 'node:os';
import { keepWalkBuffers, loadNative } from '../core/native';
import { onStdoutReaderGone } from './stdio';

/** How often a sleeping live command checks that stdout still has a reader (ms). */
const HANGUP_CHECK_MS = 1000;

/** Refreshing at least this often, a live command has the addon keep its walks' freed buffers. */
export const KEEP_BUFFERS_MS = 10_000;

/**
 * A live command that walks every `intervalMs` has the addon keep the walks' freed buffers for the
 * next walk (keepWalkBuffers: their pages need not fault in again), as the extension's snapshot
 * worker does; a slower one, or a one-shot run, keeps nothing.
 */
export function keepBuffersAtPace(intervalMs: number): void {
  if (intervalMs <= KEEP_BUFFERS_MS) keepWalkBuffers(true);
}

/** Calls `onGone` once stdout's far end is gone while nothing is written; returns the stop. */
function watchStdoutHangup(onGone: () => void): () => void {
  const addon = loadNative().addon;
  if (typeof addon?.fdHangup !== 'function') return () => undefined;
  const t = setInterval(() => {
    let gone = false;
    try {
      gone = addon.fdHangup!(1);
    } catch {
      gone = false; // stdout closed under us (EBADF): the next write says so
    }
    if (gone) onGone();
  }, HANGUP_CHECK_MS);
  t.unref();
  return () => clearInterval(t);
}

export interface LiveLoop {
  /** Ctrl-C, SIGTERM, or stdout's reader gone. */
  readonly stopped: boolean;
  /** Waits `ms`, or less when a stop arrives meanwhile. */
  sleep(ms: number): Promise<void>;
}

/** What stopped a live command, by the signal a process would have died of. */
type Stop = 'SIGINT' | 'SIGTERM' | 'SIGPIPE';

/** The exit status for a stop (null: the body ended by itself). */
function exitStatus(stop: Stop | null): number {
  return stop === null ? 0 : 128 + constants.signals[stop];
}

/** Runs `body` until it returns or a stop arrives; resolves to the command's exit status. */
export async function untilInterrupted(body: (loop: LiveLoop) => Promise<void>): Promise<number> {
  let stop: Stop | null = null;
  let wake: (() => void) | undefined;
  const stopOn = (why: Stop) => () => {
    stop ??= why;
    wake?.();
  };
  const onInt = stopOn('SIGINT');
  const onTerm = stopOn('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  const unsubscribe = onStdoutReaderGone(stopOn('SIGPIPE'));
  const unwatch = watchStdoutHangup(stopOn('SIGPIPE'));
  const loop: LiveLoop = {
    get stopped() {
      return stop !== null;
    },
    async sleep(ms) {
      if (stop !== null) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    },
  };
  try {
    await body(loop);
    return exitStatus(stop);
  } finally {
    process.removeListener('SIGINT', onInt);
    process.removeListener('SIGTERM', onTerm);
    unsubscribe();
    unwatch();
  }
}
