// Reading small files that other users may influence (container runtimes' state, a rootless
// user's storage under their home): opened O_NOFOLLOW|O_NONBLOCK (no symlink as the last
// component, no blocking on a FIFO), fstat-checked on the open fd (a regular file, optionally
// owned by one uid, at most `maxBytes`), read with plain read(2) — never mapped — and closed.
// A cache keyed by path returns the previous parse while fstat shows the same dev:inode, size,
// mtime and ctime, so a state file read every snapshot costs one open + fstat + close.
import * as fs from 'node:fs';

// O_CLOEXEC: libuv opens every fd close-on-exec already
const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

export interface SafeReadOptions {
  maxBytes: number;
  /** When set, the file must be owned by one of these uids. */
  owners?: readonly number[];
}

export type SafeReadResult = { ok: true; text: string } | { ok: false; error: string };

interface Cached<T> {
  key: string;
  value: T;
}

/**
 * Reads `path` under the rules above and returns `parse(text)`; `cache` (one Map per kind of
 * file) keeps the parse per file identity. Errors are returned as errno-like names, never thrown:
 * ENOENT, ELOOP (a symlink), EFTYPE (not a regular file), EFBIG (over maxBytes), EPERM (owner).
 */
export async function readParsed<T>(path: string, opts: SafeReadOptions, parse: (text: string) => T, cache?: Map<string, Cached<T>>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(path, FLAGS);
  } catch (e) {
    return { ok: false, error: (e as NodeJS.ErrnoException).code ?? 'EIO' };
  }
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile()) return { ok: false, error: 'EFTYPE' };
    if (opts.owners && !opts.owners.includes(Number(st.uid))) return { ok: false, error: 'EPERM' };
    if (st.size > BigInt(opts.maxBytes)) return { ok: false, error: 'EFBIG' };
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const hit = cache?.get(path);
    if (hit && hit.key === key) return { ok: true, value: hit.value };
    // one byte more than allowed: a file that grew after fstat is refused, not cut
    const buf = Buffer.alloc(Math.min(opts.maxBytes, Number(st.size)) + 1);
    let n = 0;
    while (n < buf.length) {
      const r = await fh.read(buf, n, buf.length - n, null);
      if (r.bytesRead === 0) break;
      n += r.bytesRead;
    }
    if (n > opts.maxBytes) return { ok: false, error: 'EFBIG' };
    const value = parse(buf.subarray(0, n).toString('utf8'));
    if (cache) {
      if (cache.size > 4096) cache.clear(); // bounded: state of containers long gone
      cache.set(path, { key, value });
    }
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: (e as NodeJS.ErrnoException).code ?? 'EIO' };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** The text of a small file under the same rules (no cache). */
export async function readSmallFile(path: string, opts: SafeReadOptions): Promise<SafeReadResult> {
  const r = await readParsed(path, opts, (t) => t);
  return r.ok ? { ok: true, text: r.value } : r;
}

/** JSON.parse that returns undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
