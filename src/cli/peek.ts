// `ipc-inspector peek <channel-id> [--json] [--max-bytes N] [--offset N]`: takes a snapshot to
// find the channel, then the non-destructive peek for its kind (core/actions/peek). The id may be
// given as any command printed it (escaped) or in the `KIND:bytes/HEX` form (core/channelIds.ts).
import { isChannelKind, type Channel, type ProcessInfo, type Snapshot } from '../core/model';
import { peekChannel, DEFAULT_PEEK_MAX_BYTES, type PeekResult } from '../core/actions/peek';
import { ActionError } from '../core/actions/errors';
import { takeSnapshot } from '../core/snapshot';
import { lookupChannelId, unambiguousIds } from '../core/channelIds';
import { escapeControl, safeJson } from '../core/escape';
import { formatBytes, peekRangeText, plural } from '../core/text';
import { fail, hexdump } from './common';
import { parseInteger, parseOptions, UsageError, usageLines, type OptionSpec } from './args';
import type { Output } from './output';
import { fdsUnreadableIn, unreadableHint } from '../core/snapshotWarnings';

export const PEEK_USAGE = 'usage: ipc-inspector peek <channel-id> [--json] [--max-bytes N] [--offset N]';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'json', type: 'flag', short: 'j', help: 'print the peek as JSON (bytes as hex)' },
  { name: 'max-bytes', type: 'value', metavar: 'N', help: 'read at most N bytes (default DEFAULT_MAX, at most 16 MiB: page with --offset)' },
  { name: 'offset', type: 'value', metavar: 'N', help: 'start at byte N (shared memory, files, pipe and socket queues), or at message N of a SysV queue' },
  { name: 'help', type: 'flag', short: 'h', help: 'show this help' },
];

/** A snapshot restricted to the channel's kind (the id starts with it): cheaper than a full one. */
async function snapshot(id: string): Promise<Snapshot> {
  const kind = id.slice(0, id.indexOf(':'));
  return takeSnapshot(isChannelKind(kind) ? { kinds: [kind], oneShot: true } : { oneShot: true });
}

/** `id` shortened for a message. */
function idText(id: string): string {
  return id.length > 200 ? `${id.slice(0, 200)}… (${id.length} characters)` : id;
}

/** Candidates an ENOTUNIQ lists (a cut id as short as `unix:1…` may start hundreds of ids). */
const LISTED_MAX = 20;

/**
 * The channel `id` names: its id exactly, the `KIND:bytes/HEX` form of its name, its id as the
 * CLI prints it (escaped), or that id as `top` cut it (ending in `…`) — core/channelIds.ts. ENOENT
 * when none, ENOTUNIQ naming each candidate by its whole bytes/HEX id when the printed form (or
 * the cut one) is several channels'.
 */
export function channelOf(snap: Pick<Snapshot, 'channels'> & Partial<Pick<Snapshot, 'warnings'>>, id: string): Channel {
  const found = lookupChannelId(snap.channels, id);
  if (found === null) {
    // a channel only processes this user may not read hold is in no fd table the scan read
    const hidden = snap.warnings !== undefined && fdsUnreadableIn(snap.warnings);
    throw new ActionError('ENOENT', `no channel ${idText(id)} ${hidden ? `among those this user can see: some processes' fds could not be read (${unreadableHint(process.geteuid?.() === 0)})` : '(list them with `ipc-inspector snapshot`)'}`);
  }
  if ('ambiguous' in found) {
    const n = found.ambiguous.length;
    const more = n > LISTED_MAX ? `, … ${n - LISTED_MAX} more` : '';
    throw new ActionError('ENOTUNIQ', `${idText(id)} names ${n} channels: ${unambiguousIds(found.ambiguous.slice(0, LISTED_MAX)).join(', ')}${more}`, 'give one of these ids');
  }
  return found.channel;
}

/** JSON form: Buffers become hex (plus their length); everything else as is. */
export function peekToJson(r: PeekResult): unknown {
  switch (r.type) {
    case 'messages':
      return { ...r, messages: r.messages.map((m) => ({ index: m.index, type: m.type, size: m.size, truncated: m.truncated, hex: m.data.toString('hex') })) };
    case 'bytes': {
      const { data, ...rest } = r;
      return { ...rest, length: data.length, hex: data.toString('hex') };
    }
    default:
      return r;
  }
}

/**
 * The most one peek prints: 16 MiB is a million hexdump lines (~80 MB of text) or 32 MB of JSON
 * hex; --offset pages further. The core's bound (256 MiB) is for readers that page, not print:
 * as one hexdump or one JSON string it outgrew the heap and V8's longest string.
 */
export const CLI_PEEK_MAX_BYTES = 16 * 1024 * 1024;

/** The text form. Ids, notes and explanations carry names other users chose: every line is escaped. */
function printText(out: Output, ch: Channel, r: PeekResult): void {
  const w = (s: string) => out.text(escapeControl(s) + '\n');
  // 'none': nothing was read (a listener has no data; a socket that cannot be peeked says why below)
  w(`${ch.id} (${ch.kind}) ${r.method === 'none' ? `looked at ${r.at}: nothing read` : `read ${r.at} via ${r.method}`}`);
  switch (r.type) {
    case 'messages':
      // the queue's totals and the range read as the panel says them (core/text); the per-message line stays key=value, like ipcs
      if (r.before) w(`before: ${plural(r.before.messages, 'message')}, ${formatBytes(r.before.bytes)}`);
      if (r.after) w(`after:  ${plural(r.after.messages, 'message')}, ${formatBytes(r.after.bytes)}`);
      for (const m of r.messages) {
        w(`message #${m.index} type=${m.type} size=${m.size}${m.truncated ? ` (first ${m.data.length} bytes)` : ''}`);
        for (const l of hexdump(m.data)) w('  ' + l);
      }
      if (r.messages.length === 0) w((r.after ?? r.before)?.messages ? '(no message from this offset on)' : '(queue is empty)');
      break;
    case 'bytes':
      w(peekRangeText({ length: r.data.length, offset: r.offset, total: r.total, capacity: r.capacity }));
      {
        // in pieces of ~64 KiB: a million lines are a million writes otherwise
        let piece = '';
        for (const l of hexdump(r.data, r.offset)) {
          piece += escapeControl(l) + '\n';
          if (piece.length >= 65536) {
            out.text(piece);
            piece = '';
          }
        }
        if (piece) out.text(piece);
      }
      break;
    case 'semaphores':
      for (const s of r.semaphores) {
        w(`sem[${s.index}] value=${s.value ?? '?'} waiting-for-increase=${s.waitingForIncrease ?? '?'} waiting-for-zero=${s.waitingForZero ?? '?'} last-pid=${s.lastPid ?? '?'}`);
      }
      break;
    case 'mq-attributes':
      w(`messages=${r.messages ?? '?'} max=${r.maxMessages ?? '?'} message-size=${r.messageSize ?? '?'} bytes=${r.bytes ?? '?'} notify-pid=${r.notifyPid ?? '-'}`);
      w(r.explanation);
      break;
    case 'facts':
      for (const f of r.facts) w(`${f.title}: ${f.text}`);
      break;
  }
  for (const n of r.notes) w(`note: ${n}`);
  if (r.type === 'messages' && r.next !== null) w(`note: \`ipc-inspector peek --offset ${r.next}\` reads on`);
}

export async function run(argv: string[], out: Output): Promise<number> {
  try {
    const args = parseOptions(argv, OPTIONS, 1);
    if (args.flags.has('help')) {
      out.text(`${PEEK_USAGE}\n\nShows queued data of a channel without consuming it.\n\noptions:\n${usageLines(OPTIONS).join('\n').replace('DEFAULT_MAX', String(DEFAULT_PEEK_MAX_BYTES))}\n`);
      return 0;
    }
    if (args.positional.length !== 1 || args.positional[0] === '') throw new UsageError(PEEK_USAGE);
    const id = args.positional[0];
    const maxBytes = parseInteger('max-bytes', args.values.get('max-bytes'), 1, CLI_PEEK_MAX_BYTES) ?? DEFAULT_PEEK_MAX_BYTES;
    const offset = parseInteger('offset', args.values.get('offset'), 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const snap = await snapshot(id);
    const ch = channelOf(snap, id);
    const procs = new Map<number, ProcessInfo>(snap.processes.map((p) => [p.pid, p]));
    const r = await peekChannel(ch, procs, { maxBytes, offset });
    // values and attributes have no offset: said rather than ignored
    if (offset > 0 && r.type !== 'bytes' && r.type !== 'messages') out.note(`note: --offset does not apply to ${ch.kind}: its ${r.type === 'semaphores' ? 'values are' : r.type === 'mq-attributes' ? 'attributes are' : 'facts are'} read whole\n`);
    if (args.flags.has('json')) out.data(safeJson(peekToJson(r), 2) + '\n');
    else printText(out, ch, r);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e; // one usage line, exit 2 (cli.ts)
    return fail(out, 'peek', e);
  }
}
