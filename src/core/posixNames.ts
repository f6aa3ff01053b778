// POSIX IPC names (/dev/mqueue queues, /dev/shm objects) are bytes: any but `/` and NUL, chosen by
// whoever made the object. What the snapshot shows is their UTF-8 decoding, lossy where they are
// not UTF-8 (`q\xff` and `q\xfe` both read `q\ufffd`, which is also a valid name of its own). So a
// channel id carries the name when its text is exact and the bytes (`bytes/HEX`) when it is not,
// and every action reaches the object by those bytes, never by the text it shows. One place for
// both directions, so the probes, the tracer join and the actions agree.

/** The part of a POSIX object's id after `KIND:`: the name itself when its bytes are UTF-8, else `bytes/HEX` (`/` is in no name, so that is no other object's id). */
export function posixIdTail(raw: Buffer): string {
  const text = raw.toString('utf8');
  return Buffer.from(text).equals(raw) ? text : `bytes/${raw.toString('hex')}`;
}

/** The name's bytes from an id of posixIdTail's `bytes/HEX` form, or null when the id is not one (its name's text is exact). */
export function posixIdBytes(id: string, kind: string): Buffer | null {
  if (!id.startsWith(kind + ':')) return null;
  const m = /^bytes\/((?:[0-9a-f]{2})+)$/.exec(id.slice(kind.length + 1));
  return m ? Buffer.from(m[1], 'hex') : null;
}

/**
 * The name mq_open takes (`/NAME`) for the addon's mq calls: a string when the bytes are UTF-8,
 * the bytes themselves when not. An addon built before the calls took a Buffer refuses one with a
 * TypeError: with such a stale build only the queues whose names are not UTF-8 lose their counts.
 */
export function mqOpenName(raw: Buffer): string | Buffer {
  const text = raw.toString('utf8');
  return Buffer.from(text).equals(raw) ? '/' + text : Buffer.concat([Buffer.from('/'), raw]);
}

/** Kinds whose ids carry a POSIX name (after `KIND:`, or `posix-mq:ns/DEV/` for another IPC namespace's queue). */
const NAMED_KINDS = new Set(['posix-mq', 'posix-shm', 'posix-sem']);

/** `KIND:` or `posix-mq:ns/DEV/` and the name part after it, or null when the id names no POSIX object by its name (deleted/, mount/, file/ ids, other kinds). */
function splitNamedId(id: string): { prefix: string; tail: string } | null {
  const colon = id.indexOf(':');
  if (colon < 0 || !NAMED_KINDS.has(id.slice(0, colon))) return null;
  const ns = id.startsWith('posix-mq:ns/') ? /^posix-mq:ns\/[^/]+\//.exec(id) : null;
  const prefix = ns ? ns[0] : id.slice(0, colon + 1);
  const tail = id.slice(prefix.length);
  // a name has no `/`: a tail with one is `bytes/HEX` or an id of no name (deleted/…, mount/…, file/…)
  if (tail === '' || (tail.includes('/') && !tail.startsWith('bytes/'))) return null;
  return { prefix, tail };
}

/**
 * The id in its `bytes/HEX` form: `posix-mq:jobs` → `posix-mq:bytes/6a6f6273` (and
 * `posix-mq:ns/DEV/NAME` → `posix-mq:ns/DEV/bytes/HEX`) — one line of ASCII whatever the name
 * holds, which names exactly one object. Ids of no name (and other kinds) as they are.
 */
export function posixBytesId(id: string): string {
  const s = splitNamedId(id);
  if (!s || s.tail.startsWith('bytes/')) return id;
  return `${s.prefix}bytes/${Buffer.from(s.tail, 'utf8').toString('hex')}`;
}

/**
 * The channel id a `bytes/HEX` form names (posixBytesId's inverse): `KIND:` + posixIdTail of the
 * bytes — the name itself when they are UTF-8. Hex in either case. Null when `id` is no such form.
 */
export function idOfPosixBytesForm(id: string): string | null {
  const s = splitNamedId(id);
  const m = s ? /^bytes\/((?:[0-9a-fA-F]{2})+)$/.exec(s.tail) : null;
  if (!s || !m) return null;
  const raw = Buffer.from(m[1], 'hex');
  if (raw.includes(0) || raw.includes(0x2f)) return null; // no name holds NUL or `/`
  return s.prefix + posixIdTail(raw);
}
