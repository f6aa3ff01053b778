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
