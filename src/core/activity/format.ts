// Text for live activity, shared by the CLI, the Signals view and the inspector: rates and one
// signal log line. Names other users chose (comm) are escaped here; callers that render markdown
// escape again for their medium.
import { commLabel, shownComm } from '../format';
import type { SignalEvent } from './types';
import { plural } from '../text';

// a rate of bytes is written like a size (core/text.ts), the same in every view
export { formatRate } from '../text';

/**
 * `1.5k ops/s`, `12 ops/s`, `1 op/s`, `< 1 op/s`: operations are counted whole over an interval of
 * about a second, as bytes are (formatRate), so a rate under a thousand is whole.
 */
export function formatOps(opsPerSec: number): string {
  if (!Number.isFinite(opsPerSec) || opsPerSec <= 0) return '0 ops/s';
  if (opsPerSec < 1) return '< 1 op/s';
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(1)}M ops/s`;
  if (opsPerSec >= 1e4) return `${Math.round(opsPerSec / 1e3)}k ops/s`;
  if (opsPerSec >= 999.5) return `${(opsPerSec / 1e3).toFixed(1)}k ops/s`;
  const n = Math.round(opsPerSec);
  return `${plural(n, 'op')}/s`;
}

/** `nginx[812]` (escaped), a name that is not UTF-8 by its bytes (`bad\xff[812]`, shownComm). */
export function partyLabel(p: { pid: number; comm: string; commBytes?: string }): string {
  return commLabel(shownComm(p), p.pid, 32);
}

/** Who sent it: `bash[901]`, `kernel`, `timer`. */
export function signalSenderText(e: SignalEvent): string {
  if (e.sender) return partyLabel(e.sender);
  return e.senderKind;
}

/** `HH:MM:SS.mmm` local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** One log line: `12:00:01.123  bash[901] → server[812]  SIGTERM  kill  delivered`. */
export function signalLine(e: SignalEvent): string {
  const value = e.value !== undefined ? ` value=${e.value}` : '';
  const thread = !e.group && e.receiver.tid !== e.receiver.pid ? ` (thread ${e.receiver.tid})` : '';
  return `${clockTime(e.timeMs)}  ${signalSenderText(e)} → ${partyLabel(e.receiver)}${thread}  ${e.signalName}  ${e.codeName}${value}  ${e.result}`;
}
