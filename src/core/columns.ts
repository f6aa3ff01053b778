// Columns are data (lsfd's infos[]): each kind file (core/kinds/<kind>.ts) lists its columns with
// these builders — the model field (typed as a key of the kind's channel), the table header, the
// title and unit people read, the JSON type, one line of help, how a value is shown, and whether a
// search matches it. The CLI table, the tree tooltips, the inspector panel's facts table and the
// views' text filter all read them (through the registry, core/kinds). Pure: no Node, no DOM (the
// webview bundles it).
import type { ChannelBase, ReadError } from './model';
import { escapeControl, truncate } from './escape';
import { formatBytes } from './text';

export type ColumnType = 'string' | 'number' | 'boolean' | 'number[]' | 'string|null' | 'number|null' | 'number[]|null' | 'boolean|null';

/**
 * How a search matches a column: `text` substring (of the shown text too: `/name`, `@abstract`),
 * `number` an exact number, `key` a SysV key (exact, or `0x…`), `port` the port of an `addr:port`
 * (exact number, or `:port`; the address text as a substring).
 */
export type SearchMode = 'text' | 'number' | 'key' | 'port';

export interface Column<C = ChannelBase> {
  /** Field name in the snapshot JSON. */
  id: keyof C & string;
  /** Table header (CLI), like ss/lsipc: `MAX BYTES`. */
  label: string;
  /** What people read in the panel and tooltips: `Max bytes`. */
  title: string;
  type: ColumnType;
  /**
   * Unit after a number (`bytes`, `messages`); none for ids, pids, counts of self-evident things.
   * A function when the unit depends on the channel (a socket's queue: bytes, or connections on a listener).
   */
  unit?: string | ((ch: C) => string | undefined);
  help: string;
  /** Shown text of a present (non-null) value; default by type. Escaped and bounded by the caller. */
  format?(value: never, ch: C): string;
  search?: SearchMode;
  /** Left out of the CLI table (still in --json, tooltips and the panel): details that make rows too wide. */
  wide?: boolean;
  /**
   * What the value names: `pid` a process (the panel links it, 0 = none), `time` an ISO instant
   * (shown in local time).
   */
  refers?: 'pid' | 'time';
}

type Opts<C> = Partial<Pick<Column<C>, 'unit' | 'format' | 'search' | 'wide' | 'refers'>>;

/** A column builder bound to one channel type: `col<PipeChannel>()('inode', 'INODE', …)`. */
export function col<C>() {
  return (id: keyof C & string, label: string, title: string, type: ColumnType, help: string, opts: Opts<C> = {}): Column<C> => ({ id, label, title, type, help, ...opts });
}

/** `0x0000abcd`: how a SysV key is written everywhere (ipcs does the same). */
export function sysvKeyText(key: number): string {
  return '0x' + (key >>> 0).toString(16).padStart(8, '0');
}

/** A SysV key column (IPC_PRIVATE named). */
export function keyColumn<C extends { key: number }>(): Column<C> {
  return {
    id: 'key' as keyof C & string,
    label: 'KEY',
    title: 'Key',
    type: 'number',
    help: 'IPC key (0 = IPC_PRIVATE)',
    search: 'key',
    format: ((k: number) => sysvKeyText(k) + (k === 0 ? ' (IPC_PRIVATE)' : '')) as Column<C>['format'],
  };
}

/** A namespace's column: its inode, set only where it is not the snapshot's own namespace. */
function namespaceColumn<C>(id: string, label: string, title: string, help: string, wide: boolean): Column<C> {
  return { id: id as keyof C & string, label, title, type: 'string|null', help, search: 'text', ...(wide ? { wide } : {}) };
}

/** The IPC namespace column of the SysV kinds: set only on another namespace's objects (a container's). */
export function ipcnsColumn<C extends { ipcns?: string }>(): Column<C> {
  return namespaceColumn('ipcns', 'IPC NS', 'IPC namespace', "Another IPC namespace's object (a container's): the namespace's inode; empty for this namespace's", true);
}

/**
 * The mount namespace a path was read in, when not the snapshot's and the path does not lead here
 * to the same object (core/probes/mountNamespaces.ts). In the table, not only the panel: the path
 * alone reads like one of ours, and no text after it could say otherwise (a name may end in anything).
 */
export function mntnsColumn<C extends { mntns?: string }>(): Column<C> {
  return namespaceColumn('mntns', 'MNT NS', 'Mount namespace', "The path is a name in another mount namespace (a container's, or a user's own), and leads to another file here or none: that namespace's inode; empty when it is this one's", false);
}

/** Owner columns of objects that carry their creator's credentials (SysV, /dev/shm, /dev/mqueue). */
export function ownerColumns<C extends { uid: number | null; owner: string | null; mode: string | null }>(nullable = false): Column<C>[] {
  const n = nullable ? '|null' : '';
  return [
    { id: 'uid' as keyof C & string, label: 'UID', title: 'Owner uid', type: `number${n}` as ColumnType, help: 'Owner uid', wide: true },
    { id: 'owner' as keyof C & string, label: 'OWNER', title: 'Owner', type: `string${n}` as ColumnType, help: 'Owner user name', search: 'text' },
    { id: 'mode' as keyof C & string, label: 'MODE', title: 'Mode', type: `string${n}` as ColumnType, help: 'Permission bits, octal' },
  ];
}

/** Columns every channel has, first in every table. */
export const COMMON_COLUMNS: readonly Column[] = [
  { id: 'id', label: 'ID', title: 'Id', type: 'string', help: 'Stable id of the kernel object (kind:identity)', search: 'text' },
  { id: 'kind', label: 'KIND', title: 'Kind', type: 'string', help: 'The kind of IPC object (core/kinds)', search: 'text', wide: true },
  { id: 'endpoints', label: 'ENDPOINTS', title: 'Held by', type: 'string', help: 'Processes holding an end: pid, fd or mapping, mode r/w/rw' },
];

/** Raw value of a column (model field); `endpoints` gives the count. */
export function columnValue(ch: ChannelBase, id: string): unknown {
  if (id === 'endpoints') return ch.endpoints.length;
  return (ch as unknown as Record<string, unknown>)[id];
}

/** Array items shown before `… N more`. */
const ITEMS = 8;

/** The shown text of a value (never markup; control characters escaped), without its unit. */
export function formatValue<C>(c: Column<C>, value: unknown, ch: C, maxItems = ITEMS): string {
  if (value === null || value === undefined) return '';
  if (c.format) return escapeControl(c.format(value as never, ch));
  if (c.refers === 'time' && typeof value === 'string') return localTime(value);
  if (Array.isArray(value)) {
    const shown = value.slice(0, maxItems).map((v) => escapeControl(String(v)));
    return shown.join(', ') + (value.length > maxItems ? `, … ${value.length - maxItems} more` : '');
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return escapeControl(String(value));
}

/** An ISO instant in local time (`30/11/2026, 17:02:11`), or the text itself when it is no time. */
export function localTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toLocaleString() : iso;
}

/** One fact as people read it: title and value with its unit; a missing value says why (its read error). */
export interface Fact {
  id: string;
  title: string;
  text: string;
  help: string;
  /** The value could not be read: what failed. */
  error?: ReadError;
  /** The processes the value names (a `pid` column; 0 left out): the panel links them. */
  pids?: number[];
}

/** The errnos a missing value most often has, in words: EAGAIN is a scan's own bound (reads through holders: heldObjects.ts). */
const WHY_MISSING: Readonly<Record<string, string>> = {
  EAGAIN: "not read: past the scan's bound on such reads",
  EACCES: 'unknown: permission denied',
  EPERM: 'unknown: not permitted',
  ETIMEDOUT: 'unknown: no answer in time',
  ENOSYS: 'unknown: needs the native addon',
  // a pipe's or FIFO's fill on the /proc walk (probes/pipes.ts): no read end, or one that failed
  ENXIO: 'unknown: no process holds a read end to measure it through',
  EBUSY: 'unknown: busy, or changed while the scan read it',
};

/** Why a value is missing: `unknown: permission denied (EACCES from semctl)`. */
export function errorText(e: ReadError): string {
  return `${Object.hasOwn(WHY_MISSING, e.code) ? WHY_MISSING[e.code] : 'unknown'} (${e.code} from ${e.syscall})`;
}

/** The facts of a channel in column order: present values, and missing ones that have a read error. `max` bounds each text. */
export function channelFacts<C extends ChannelBase>(ch: C, columns: readonly Column<C>[], max = 500): Fact[] {
  const out: Fact[] = [];
  for (const c of columns) {
    if (c.id === 'id' || c.id === 'kind' || c.id === 'endpoints') continue;
    const v = columnValue(ch, c.id);
    const error = ch.errors?.find((e) => e.field === c.id);
    if (v === null || v === undefined) {
      if (error) out.push({ id: c.id, title: c.title, text: errorText(error), help: c.help, error });
      continue;
    }
    const noun = typeof c.unit === 'function' ? c.unit(ch) : c.unit;
    // a count with a unit groups its digits (`65,536 bytes`, as the peek's range says it); ids and pids do not
    const counted = noun !== undefined && typeof v === 'number' && !c.format;
    // a pid of 0 is none yet (SysV's last sender, last attach): a link to nothing, or a bare 0
    const text = c.refers === 'pid' && v === 0 ? 'none' : counted ? v.toLocaleString('en-US') : formatValue(c, v, ch);
    // `1 message`, `1 byte`, `1 connection at most`: a unit starts with a plural noun
    let unit = noun && typeof v === 'number' ? ` ${v === 1 ? noun.replace(/^(\w+)s\b/, '$1') : noun}` : '';
    // `65,536 bytes (64 KiB)`, as the peek's range and the diagnosis's evidence say a size: the exact count and the readable one
    if (noun === 'bytes' && typeof v === 'number' && v >= 1024) unit += ` (${formatBytes(v)})`;
    const fact: Fact = { id: c.id, title: c.title, text: truncate(text + unit, max), help: c.help };
    if (c.refers === 'pid') fact.pids = (Array.isArray(v) ? v : [v]).filter((p): p is number => typeof p === 'number' && p > 0);
    out.push(fact);
  }
  return out;
}
