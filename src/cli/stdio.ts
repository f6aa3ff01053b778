// The CLI's standard streams when their reader goes away (`ipc-inspector doctor | head -1`): the
// write fails with EPIPE (Node ignores SIGPIPE, so nothing kills us as it kills `ss`). That is no
// failure of the command: what it found is still its answer. So EPIPE is swallowed here (the
// command's later writes fail the same way and reach no one), and the command ends as it would have:
// a one-shot command with its own status (doctor's 1 for warnings survives), a live one at its next
// write with 141, the status of a process killed by SIGPIPE (liveLoop.ts). Any other write error
// (a full disk: `> /dev/full`, ENOSPC; an I/O error) means the output is lost: one line on stderr
// saying so, as coreutils do (`write error: …`), and exit 1 at once — never a stack trace.
import type { Writable } from 'node:stream';

/** The error a write to a pipe whose reader has gone away fails with. */
export function isReaderGone(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

/**
 * Makes EPIPE on stdout and stderr harmless (see above); any other write error ends the run:
 * `lost(text)` is told what to say (for stdout's; stderr's own failure has nowhere to be said).
 */
export function ignoreReaderGone(lost: (line: string | null) => void, streams: readonly Writable[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    s.on('error', (e: unknown) => {
      if (isReaderGone(e)) return;
      const err = e as NodeJS.ErrnoException;
      const text = err?.message ?? String(e);
      const code = err?.code ?? 'EIO';
      lost(s === process.stderr ? null : `write error: ${text.startsWith(code) ? text : `${code}: ${text}`} (the output is incomplete)`);
    });
  }
}

/** Calls `onGone` once stdout's reader has gone away (a write failed with EPIPE); returns the unsubscribe. */
export function onStdoutReaderGone(onGone: () => void, stdout: Writable = process.stdout): () => void {
  const listener = (e: unknown) => {
    if (isReaderGone(e)) onGone();
  };
  stdout.on('error', listener);
  return () => stdout.removeListener('error', listener);
}
