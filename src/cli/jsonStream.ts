// `snapshot --json` output written in bounded chunks instead of one string: exactly the text of
// stringify(value, 2) + "\n" (JSON.stringify, or safeJson's escaped form), but the top-level arrays (processes, channels) are
// serialised one element at a time, so at 50k fds the CLI never holds the whole ~16 MB document
// (plus its copy as a Buffer) next to the snapshot itself. Element text is indented by splitting
// on "\n", which JSON never leaves raw inside a string.
export type Write = (chunk: string) => void;
/** JSON.stringify(value, null, space), or a variant with the same layout (safeJson). */
export type Stringify = (value: unknown, space: number) => string;

const plain: Stringify = (v, space) => JSON.stringify(v, null, space) ?? 'null';

const CHUNK = 64 * 1024;

/** Writes `stringify(value, 2) + "\n"` through `write`, in chunks of about 64 KiB. */
export function writeJsonStream(value: Record<string, unknown>, write: Write, stringify: Stringify = plain): void {
  let buf = '';
  const out = (s: string): void => {
    buf += s;
    if (buf.length >= CHUNK) {
      write(buf);
      buf = '';
    }
  };
  const keys = Object.keys(value).filter((k) => {
    const v = value[k];
    return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
  });
  if (keys.length === 0) {
    write('{}\n');
    return;
  }
  out('{');
  keys.forEach((k, i) => {
    const v = value[k];
    out(`\n  ${stringify(k, 2)}: `);
    if (Array.isArray(v) && v.length > 0) {
      out('[');
      for (let j = 0; j < v.length; j++) {
        const el = stringify(v[j] === undefined || typeof v[j] === 'function' ? null : v[j], 2);
        out(`${j === 0 ? '' : ','}\n    ${el.includes('\n') ? el.split('\n').join('\n    ') : el}`);
      }
      out('\n  ]');
    } else {
      const s = stringify(v, 2);
      out(s.includes('\n') ? s.split('\n').join('\n  ') : s);
    }
    if (i < keys.length - 1) out(',');
  });
  out('\n}\n');
  if (buf) write(buf);
}
