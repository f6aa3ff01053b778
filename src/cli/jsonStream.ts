// `snapshot --json` (and `watch --json`) output written in bounded chunks instead of one string:
// exactly the text of stringify(value, space) + "\n" (JSON.stringify, or safeJson's escaped form),
// but the top-level arrays (processes, channels) are serialised one element at a time, and so is
// any array longer than BIG inside them (a pipe end dup'd in every fd of many processes: millions
// of endpoints on one channel, whose text alone would pass V8's longest string). So at 50k fds the
// CLI never holds the whole ~16 MB document (plus its copy as a Buffer) next to the snapshot
// itself, and no document is too large to write. Element text is indented by splitting on "\n",
// which JSON never leaves raw inside a string.
export type Write = (chunk: string) => void;
/** JSON.stringify(value, null, space), or a variant with the same layout (safeJson). */
export type Stringify = (value: unknown, space: number) => string;

const plain: Stringify = (v, space) => JSON.stringify(v, null, space) ?? 'null';

const CHUNK = 64 * 1024;
/** Arrays longer than this are written element by element wherever they are. */
const BIG = 4096;

/** What JSON.stringify leaves out of an object. */
const omitted = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** An object with an array longer than BIG among its own values (written key by key). */
function holdsBigArray(v: object): boolean {
  for (const x of Object.values(v)) if (Array.isArray(x) && x.length > BIG) return true;
  return false;
}

/** Writes `stringify(value, space) + "\n"` through `write`, in chunks of about 64 KiB. */
export function writeJsonStream(value: Record<string, unknown>, write: Write, stringify: Stringify = plain, space = 2): void {
  let buf = '';
  const out = (s: string): void => {
    buf += s;
    if (buf.length >= CHUNK) {
      write(buf);
      buf = '';
    }
  };
  const nl = (depth: number): string => (space ? '\n' + ' '.repeat(depth * space) : '');
  const colon = space ? ': ' : ':';
  const leaf = (v: unknown, depth: number): void => {
    const s = stringify(v, space);
    out(space && s.includes('\n') ? s.split('\n').join(nl(depth)) : s);
  };
  const emit = (v: unknown, depth: number): void => {
    if (Array.isArray(v) && v.length > 0 && (depth <= 1 || v.length > BIG)) {
      out('[');
      for (let j = 0; j < v.length; j++) {
        out((j === 0 ? '' : ',') + nl(depth + 1));
        const el: unknown = v[j];
        emit(omitted(el) ? null : el, depth + 1);
      }
      out(nl(depth) + ']');
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && (depth === 0 || holdsBigArray(v)) && typeof (v as { toJSON?: unknown }).toJSON !== 'function') {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).filter((k) => !omitted(o[k]));
      if (keys.length === 0) return out('{}');
      out('{');
      keys.forEach((k, i) => {
        out((i === 0 ? '' : ',') + nl(depth + 1) + stringify(k, space) + colon);
        emit(o[k], depth + 1);
      });
      out(nl(depth) + '}');
    } else {
      leaf(v, depth);
    }
  };
  emit(value, 0);
  out('\n');
  if (buf) write(buf);
}
