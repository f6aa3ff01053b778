// Bounded, escaped text and units: the leaf helpers the kind files (core/kinds) and format.ts
// share. Everything that comes from a process goes through escapeControl (core/escape.ts) and is
// bounded (CAPS); nothing here produces markup. Pure: the webview bundles it.
import { escapeControl, truncate } from './escape';

/**
 * Bounds on what one label, description or tooltip line carries. Any user may create objects
 * whose facts are huge (a SysV set of 32,000 semaphores, a 4 KiB FIFO path, a 2 MiB command
 * line); the tree and the status bar show a summary, the snapshot JSON keeps everything.
 */
export const CAPS = {
  /** Code points of a name or path in a label. */
  name: 160,
  /** Array items listed before `… N more`. */
  items: 8,
  /** Code points of one tooltip line. */
  line: 500,
  /** Code points of a command line as shown (any user's argv may be 2 MiB: root's `port` printed it whole). */
  command: 1000,
} as const;

/** Escaped and bounded: what a label shows of a name, path or command line. */
export function shortText(text: string, max: number = CAPS.name): string {
  return truncate(escapeControl(text), max);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes as text: UTF-8 where they are, and each byte that is not as `\xNN`. A POSIX name that is
 * not UTF-8 decodes with U+FFFD for its bad bytes, so `q\xff`, `q\xfe` and the valid name `q\ufffd`
 * would all read `q�`: shown this way each reads as what it is (escapeControl still applies after).
 */
export function bytesText(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 1) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    if (n > 1 && i + n <= b.length) {
      try {
        out += strictUtf8.decode(b.subarray(i, i + n));
        i += n;
        continue;
      } catch {
        /* not a sequence: the lead byte alone below */
      }
    }
    out += '\\x' + c.toString(16).padStart(2, '0');
    i++;
  }
  return out;
}

/** Whether `hex` is bytes in hex (pairs of lower-case digits, at least one): what the `…Bytes` fields hold. */
export function isHexBytes(hex: unknown): hex is string {
  return typeof hex === 'string' && hex.length > 0 && /^(?:[0-9a-f]{2})+$/.test(hex);
}

/** Bytes from their hex (isHexBytes). */
export function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** A `…Bytes` field's value as shown (bytesText: `bad\xff\xfe`), or `text` (the lossy text beside it) when the field is absent or no hex. */
export function hexText(hex: unknown, text: string): string {
  return isHexBytes(hex) ? bytesText(hexBytes(hex)) : text;
}

/**
 * A process's name as shown: by its bytes (`bad\xff\xfe`, bytesText) when they are not UTF-8
 * (`commBytes`), not by `comm`, whose U+FFFD two such names share. Escape and bound it after
 * (commText, shortText) as any name.
 */
export function shownComm(p: { comm: string; commBytes?: string }): string {
  return p.commBytes === undefined ? p.comm : hexText(p.commBytes, p.comm);
}

/** A process's arguments as shown: each that is not UTF-8 by its bytes (`cmdlineBytes`), the others as they are. */
export function shownCmdline(p: { cmdline: readonly string[]; cmdlineBytes?: ReadonlyArray<string | null> }): string[] {
  const b = p.cmdlineBytes;
  if (b === undefined) return [...p.cmdline];
  return p.cmdline.map((a, i) => (typeof b[i] === 'string' ? hexText(b[i], a) : a));
}

/**
 * A process's command line as one line of text: its shown arguments joined by spaces, without the
 * empty ones at the end — setproctitle pads its title with NULs, and a process that wipes its argv
 * leaves nothing but NULs (`''` then: callers show the comm or `-`, as ps shows `?`, not a run of
 * spaces). At most `max` code points (CAPS.command), then how much was left out; Infinity for
 * matching, not showing.
 */
export function shownCommand(p: { cmdline: readonly string[]; cmdlineBytes?: ReadonlyArray<string | null> }, max: number = CAPS.command): string {
  const args = shownCmdline(p);
  let n = args.length;
  while (n > 0 && args[n - 1] === '') n--;
  const text = args.slice(0, n).join(' ');
  if (text.length <= max) return text;
  const cut = truncate(text, max);
  const left = text.length - (cut.length - 1); // UTF-16 units; the ellipsis is one
  return left > 0 ? `${cut} (${left} more characters)` : text;
}

/** `[0, 1, 2, … 31997 more]`: the first CAPS.items values of a long array. */
export function summarizeList(values: readonly unknown[], max: number = CAPS.items): string {
  const shown = values.slice(0, max).map((v) => escapeControl(String(v)));
  return `[${shown.join(', ')}${values.length > max ? `, … ${values.length - max} more` : ''}]`;
}

/**
 * A count and its noun as every view writes it for a person: `1 message`, `2 messages`,
 * `12,345 processes` (digits grouped, as sizes are), never `message(s)`. `many` for an irregular
 * plural (`process`, `processes`). A count that is not a number (a field a snapshot lacks) reads
 * `? messages`, as formatBytes writes an unknown size `?`.
 */
export function plural(n: number | null | undefined, one: string, many = one + 's'): string {
  return typeof n === 'number' && Number.isFinite(n) ? `${n.toLocaleString('en-US')} ${n === 1 ? one : many}` : `? ${many}`;
}

/**
 * A size as every view writes it for a person (the problem's title, the inspector, the tree's
 * description, the CLI's prose): whole bytes with their digits grouped below a KiB, where a
 * reader of lsof or ss counts bytes (`16 bytes`, `1 byte`, `1,023 bytes`); above, binary units
 * with one decimal under 10 (`1.5 KiB`, `64 KiB`, `12 MiB`). Not the CLI's numeric columns: those
 * print the exact count, as lsof's SIZE/OFF and ss's Recv-Q do, so `sort -n` and scripts read them.
 */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !(n >= 0)) return '?';
  const whole = Math.round(n);
  if (whole < 1024) return `${whole.toLocaleString('en-US')} byte${whole === 1 ? '' : 's'}`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  // the next unit from where this one would round to 1,024 (1,048,575 bytes is `1 MiB`, not `1,024 KiB`)
  while (v >= 1023.5 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  // one decimal under 10 (`9.8 KiB`), whole from there; a value that rounds up to 10 is whole (`10 KiB`, not `10.0 KiB`)
  const shown = v < 9.95 ? Number(v.toFixed(1)) : Math.round(v);
  return `${shown.toLocaleString('en-US')} ${units[u]}`;
}

/**
 * A count of bytes in one unit system: the exact count, and beside it the size a person reads once
 * it reaches a KiB — `5 bytes`, `1 byte`, `4,096 bytes (4 KiB)`, `1,536 bytes (1.5 KiB)`.
 */
export function byteCount(n: number): string {
  const exact = `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;
  return n >= 1024 ? `${exact} (${formatBytes(n)})` : exact;
}

/**
 * A rate of bytes, written like a size (formatBytes) per second: `12 bytes/s`, `1.2 KiB/s`. The
 * counts behind it are whole bytes over an interval of about a second, so a rate has no fraction
 * of a byte: one under a byte a second is `< 1 byte/s` (a trickle, not `0.726 B/s`); none is `0 bytes/s`.
 */
export function formatRate(bytesPerSec: number): string {
  if (!Number.isFinite(bytesPerSec) || bytesPerSec <= 0) return '0 bytes/s';
  if (bytesPerSec < 1) return '< 1 byte/s';
  return `${formatBytes(bytesPerSec)}/s`;
}

/**
 * The range line of a page of peeked bytes, every number in bytes (thousands grouped), the human
 * size beside the page's length and the capacity: `4,096 bytes (4 KiB) at offset 0 of 4,096`,
 * `65,536 bytes (64 KiB) at offset 131,072 of 262,144, capacity 262,144 bytes (256 KiB)`.
 */
export function peekRangeText(p: { length: number; offset: number; total: number | null; capacity?: number | null }): string {
  const total = p.total !== null ? ` of ${p.total.toLocaleString('en-US')}` : '';
  const capacity = p.capacity ? `, capacity ${byteCount(p.capacity)}` : '';
  return `${byteCount(p.length)} at offset ${p.offset.toLocaleString('en-US')}${total}${capacity}`;
}

/** A sample as the legend prints it: bytes as sizes, byte rates as formatRate writes them, counts whole, other averages to 3 significant digits. */
export function formatSample(name: string, v: number): string {
  if (name === 'bytes') return formatBytes(v);
  if (name === 'bytes/s') return formatRate(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Number(v.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 2 });
}
