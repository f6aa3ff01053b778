// A channel id as a person gives it back: copied from the CLI's table, doctor or port (where a
// name another user chose is printed escaped: `posix-mq:a\nb` for a queue whose name holds a
// newline), from its JSON, or written in the `KIND:bytes/HEX` form that names a POSIX object by its
// bytes whatever they are. Used by every command that takes an id (`peek`, the extension's
// commands given an id string). Pure.
//
// An id given matches a channel when it is the channel's id exactly, or the `bytes/HEX` form of
// its name (posixNames.ts), or its id as the CLI prints it (escapeControl), or its id with those
// escapes undone (unescapeControl). The printed form is not one-to-one — a name may hold a
// backslash of its own: `a\nb` (four characters) prints as itself, as `a` newline `b` does — so an
// id that matches two channels names neither: the caller says so and lists each by its
// `bytes/HEX` id, which is one line of ASCII and names one object.
//
// A channel's name as lsof prints an unnamed socket's or a pipe's, which `watch` and `doctor` print
// too (`pipe:[4901]`, `unix:[77]`), names the channel whose id is that without the brackets.
//
// An id a table cut to its column (`top` prints 40 characters: `posix-mq:a-long-queue-name-that-go…`)
// names the channel whose printed id starts with what is left before the ellipsis (`...` where
// the locale is not UTF-8, cli/locale.ts), when nothing matches it whole and exactly one does;
// several are refused the same way, each listed by its whole `bytes/HEX` id.
import { ELLIPSIS, escapeControl, unescapeControl } from './escape';
import { idOfPosixBytesForm, posixBytesId } from './posixNames';

export type IdLookup<C> = { channel: C } | { ambiguous: C[] } | null;

/** The channel `given` names (see above), the channels it could name when more than one, or null. */
export function lookupChannelId<C extends { id: string }>(channels: Iterable<C>, given: string): IdLookup<C> {
  const want = new Set<string>([given]);
  const fromBytes = idOfPosixBytesForm(given);
  if (fromBytes !== null) want.add(fromBytes);
  want.add(unescapeControl(given));
  const bracketed = /^([a-z][a-z-]*):\[(\d+)\]$/.exec(given);
  if (bracketed) want.add(`${bracketed[1]}:${bracketed[2]}`);
  const all = Array.isArray(channels) ? (channels as readonly C[]) : [...channels];
  let found: C[] = [];
  for (const c of all) if (want.has(c.id) || escapeControl(c.id) === given) found.push(c);
  const prefix = found.length === 0 ? cutPrefix(given) : null;
  if (prefix !== null) found = all.filter((c) => c.id.startsWith(prefix) || escapeControl(c.id).startsWith(prefix));
  if (found.length === 0) return null;
  if (found.length === 1) return { channel: found[0] };
  return { ambiguous: found };
}

/** What is left of an id a table cut (shortText: ending in the ellipsis, or `...` in a locale that is not UTF-8) before its end; null when it is not cut so, or nothing is left. */
function cutPrefix(given: string): string | null {
  for (const end of [ELLIPSIS, '...']) if (given.length > end.length && given.endsWith(end)) return given.slice(0, -end.length);
  return null;
}

/** The ids to list for an ambiguous id: each channel's `bytes/HEX` id, which names it alone; escaped for one line. */
export function unambiguousIds(channels: ReadonlyArray<{ id: string }>): string[] {
  return channels.map((c) => escapeControl(posixBytesId(c.id)));
}
