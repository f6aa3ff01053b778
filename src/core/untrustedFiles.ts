// Reading files other users control (/dev/shm objects, /dev/mqueue entries, container runtimes'
// state, a rootless user's storage under their home) without letting them choose what we open —
// the one module that does it. Any user can put a FIFO, a symlink, a socket or an empty
// `sem.NAME` in /dev/shm: a plain open of a FIFO blocks, a symlink leads anywhere, and mapping a
// short file (what sem_open does) faults with SIGBUS and kills the whole process. So nothing here
// is mapped: open(O_PATH | O_NOFOLLOW) gives a handle to the name itself (a symlink stays a
// symlink; no ->open of a FIFO or device runs), fstat checks it is a regular file (and the
// dev:inode the caller saw, or its owner and size, when given), and only that inode is reopened
// through /proc/self/fd, O_RDONLY | O_NONBLOCK | O_NOCTTY, then read with pread. Sync versions for
// the snapshot worker, async (libuv pool) for peeks on the extension host's thread. Plain Node.
import * as fs from 'node:fs';
import * as os from 'node:os';

/** Linux O_PATH (x86, arm, arm64, riscv); Node does not export it. */
const O_PATH = 0o10000000;
const HANDLE_FLAGS = O_PATH | fs.constants.O_NOFOLLOW;
const READ_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

/** A file that is not what it must be: `code` EFTYPE (wrong type, size or content: "inappropriate file type or format") or ESTALE (other dev:inode). */
export class UntrustedFileError extends Error {
  constructor(
    readonly code: 'EFTYPE' | 'ESTALE',
    message: string,
  ) {
    super(message);
    this.name = 'UntrustedFileError';
  }
}

export interface Identity {
  dev: number;
  ino: number;
}

/** `a FIFO`, `a symbolic link`, … for messages. */
export function fileTypeName(st: fs.Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function check(file: string | Buffer, st: fs.Stats, expect?: Identity): void {
  if (!st.isFile()) throw new UntrustedFileError('EFTYPE', `${file} is ${fileTypeName(st)}, not a regular file`);
  if (expect && (st.dev !== expect.dev || st.ino !== expect.ino)) {
    throw new UntrustedFileError('ESTALE', `${file} was replaced (dev:inode ${st.dev}:${st.ino}, expected ${expect.dev}:${expect.ino})`);
  }
}

/** Opens `file` for reading as described above. The caller closes the fd. */
export function openRegularSync(file: string | Buffer, expect?: Identity): { fd: number; stat: fs.Stats } {
  const h = fs.openSync(file, HANDLE_FLAGS);
  try {
    const stat = fs.fstatSync(h);
    check(file, stat, expect);
    return { fd: fs.openSync(`/proc/self/fd/${h}`, READ_FLAGS), stat };
  } finally {
    fs.closeSync(h);
  }
}

/** Async openRegularSync (libuv pool). The caller closes the handle. */
export async function openRegular(file: string | Buffer, expect?: Identity): Promise<{ handle: fs.promises.FileHandle; stat: fs.Stats }> {
  const h = await fs.promises.open(file, HANDLE_FLAGS);
  try {
    const stat = await h.stat();
    check(file, stat, expect);
    return { handle: await fs.promises.open(`/proc/self/fd/${h.fd}`, READ_FLAGS), stat };
  } finally {
    await h.close();
  }
}

/** pread of up to `length` bytes at `position` (short at end of file). */
export function preadSync(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** Reads a whole small file (at most `max` bytes) safely; for /dev/mqueue/NAME (`expect`: the dev:inode listed). */
export function readSmallSync(file: string | Buffer, max = 4096, expect?: Identity): string {
  const { fd } = openRegularSync(file, expect);
  try {
    return preadSync(fd, max, 0).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export async function readSmall(file: string | Buffer, max = 4096): Promise<string> {
  const { handle } = await openRegular(file);
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * glibc's sem_t on 64-bit Linux: 32 bytes, a 64-bit word whose low half is the value and high half
 * the number of waiters, then `private` and padding. sem_open creates the file with exactly this
 * size; anything else in /dev/shm/sem.NAME is not a semaphore glibc made.
 */
export const SEM_T_SIZE = 32;
const SEM_VALUE_MAX = 0x7fffffff;

/** The value of a named semaphore's file (`/dev/shm/sem.NAME`), or UntrustedFileError saying why it is not one. */
export function decodeSem(file: string | Buffer, size: number, bytes: Buffer): number {
  if (size !== SEM_T_SIZE || bytes.length < 8) {
    throw new UntrustedFileError('EFTYPE', `${file} is ${size} bytes, not a semaphore (a glibc sem_t file is ${SEM_T_SIZE})`);
  }
  const value = bytes.readUInt32LE(0);
  if (value > SEM_VALUE_MAX) throw new UntrustedFileError('EFTYPE', `${file} holds ${value}, above SEM_VALUE_MAX: not a semaphore`);
  return value;
}

export function readSemSync(file: string | Buffer, expect?: Identity): number {
  const { fd, stat } = openRegularSync(file, expect);
  try {
    return decodeSem(file, stat.size, stat.size === SEM_T_SIZE ? preadSync(fd, SEM_T_SIZE, 0) : Buffer.alloc(0));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Threads blocked in sem_wait on it, from a sem_t's bytes: glibc keeps them in the high half of
 * its 64-bit word (`data`: value | nwaiters << 32) where the machine has 64-bit atomics (x86-64,
 * arm64: what this runs on); null where that layout is not known (a big-endian machine).
 */
export function decodeSemWaiters(bytes: Buffer): number | null {
  return bytes.length >= 8 && os.endianness() === 'LE' ? bytes.readUInt32LE(4) : null;
}

/** A named semaphore's value and waiters (decodeSem, decodeSemWaiters). */
export async function readSemState(file: string | Buffer, expect?: Identity): Promise<{ value: number; waiters: number | null }> {
  const { handle, stat } = await openRegular(file, expect);
  try {
    const buf = Buffer.alloc(SEM_T_SIZE);
    const { bytesRead } = stat.size === SEM_T_SIZE ? await handle.read(buf, 0, SEM_T_SIZE, 0) : { bytesRead: 0 };
    const bytes = buf.subarray(0, bytesRead);
    return { value: decodeSem(file, stat.size, bytes), waiters: decodeSemWaiters(bytes) };
  } finally {
    await handle.close();
  }
}

// ------------------------------------------------------------------ small state files, parsed and cached

export interface SafeReadOptions {
  maxBytes: number;
  /** When set, the file must be owned by one of these uids. */
  owners?: readonly number[];
}

interface Cached<T> {
  key: string;
  value: T;
}

/**
 * Reads `path` as above and returns `parse(text)`; `cache` (one Map per kind of file) keeps the
 * parse per file identity, so a state file read every snapshot costs one open + fstat + close while
 * fstat shows the same dev:inode, size, mtime and ctime. Errors are returned as errno-like names,
 * never thrown: ENOENT, EFTYPE (not a regular file: a symlink, a FIFO), EFBIG (over maxBytes),
 * EPERM (another owner).
 */
export async function readParsed<T>(path: string, opts: SafeReadOptions, parse: (text: string) => T, cache?: Map<string, Cached<T>>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  let h: fs.promises.FileHandle;
  try {
    h = await fs.promises.open(path, HANDLE_FLAGS);
  } catch (e) {
    return { ok: false, error: (e as NodeJS.ErrnoException).code ?? 'EIO' };
  }
  let fh: fs.promises.FileHandle | undefined;
  try {
    const st = await h.stat({ bigint: true });
    if (!st.isFile()) return { ok: false, error: 'EFTYPE' };
    if (opts.owners && !opts.owners.includes(Number(st.uid))) return { ok: false, error: 'EPERM' };
    if (st.size > BigInt(opts.maxBytes)) return { ok: false, error: 'EFBIG' };
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const hit = cache?.get(path);
    if (hit && hit.key === key) return { ok: true, value: hit.value };
    fh = await fs.promises.open(`/proc/self/fd/${h.fd}`, READ_FLAGS);
    // one byte more than allowed: a file that grew after fstat is refused, not cut
    const buf = Buffer.alloc(Math.min(opts.maxBytes, Number(st.size)) + 1);
    let n = 0;
    while (n < buf.length) {
      const r = await fh.read(buf, n, buf.length - n, n);
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
    await fh?.close().catch(() => undefined); // closing a read-only regular file: nothing to lose
    await h.close().catch(() => undefined);
  }
}

/** JSON.parse that returns undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // not JSON: the caller treats the file as unreadable state
  }
}
