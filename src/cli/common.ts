// Shared bits of the CLI commands: one-line errno errors (escaped: error messages carry object
// names and paths other users chose; EMFILE/ENFILE name the limit reached), hexdumps, and which
// --pid processes do not exist. Their options: args.ts.
import * as fs from 'node:fs';
import { ActionError, errnoOf, messageOf } from '../core/actions/errors';
import { escapeControl } from '../core/escape';
import { withFdLimitHint } from '../core/fdLimit';
import type { Snapshot } from '../core/model';
import type { Output } from './output';

/** Prints `ipc-inspector <cmd>: CODE: message (hint)` (one line) and returns the exit code. */
export function fail(out: Output, cmd: string, error: unknown): number {
  const e = withFdLimitHint(error);
  const code = escapeControl(errnoOf(e));
  const msg = escapeControl(messageOf(e));
  const hint = e instanceof ActionError && e.hint ? ` (${escapeControl(e.hint)})` : '';
  out.note(`ipc-inspector ${cmd}: ${code}: ${msg}${hint}\n`);
  return code === 'EINVAL' || code === 'EUSAGE' ? 2 : 1;
}

/**
 * Classic hexdump lines: offset, 16 hex bytes, printable ASCII ('.' otherwise); made as they are
 * read (16 MiB is a million lines). Rows equal to the one before are one `*`, as `hexdump -C`
 * prints them (a page of zeros is three lines), and the last row is always shown, so the end shows.
 */
export function* hexdump(data: Buffer, baseOffset = 0): Generator<string> {
  let starred = false;
  for (let i = 0; i < data.length; i += 16) {
    const row = data.subarray(i, i + 16);
    const last = i + 16 >= data.length;
    if (i > 0 && !last && row.length === 16 && row.equals(data.subarray(i - 16, i))) {
      if (!starred) yield '*';
      starred = true;
      continue;
    }
    starred = false;
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    yield `${(baseOffset + i).toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${text}|`;
  }
}

/**
 * The asked pids that name no process: neither in the snapshot nor in /proc now (a process the
 * user may not read is still in /proc, so it is not "missing" but warned about by the snapshot).
 */
export function missingPids(snap: Snapshot, pids: readonly number[] | undefined): number[] {
  return (pids ?? []).filter((pid) => !snap.processes.some((x) => x.pid === pid) && !fs.existsSync(`/proc/${pid}`));
}

/** Exit 1 when --pid named processes and none of them exists (as lsof -p). */
export function noAskedPidExists(pids: readonly number[] | undefined, missing: readonly number[]): boolean {
  return pids !== undefined && pids.length > 0 && missing.length === pids.length;
}

/** An instant as the live commands print it: local time to the millisecond (`14:02:07.315`), or the text itself when it is no time. */
export function clockTime(iso: string | Date): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
