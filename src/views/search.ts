// The index behind "Go to Channel or Process…": one entry per process and per channel of a
// snapshot, with the text a person would type to find it (name, pid, command line, path, port,
// key, the holders' names), and the query function the live quick pick calls on every keystroke.
// Pure (no vscode): labels are plain text; the quick pick escapes them (src/ui.ts).
//
// Matching is substring-per-word, like VS Code's own quick pick matching: every word of the query
// must occur in the entry's text. A word that is a number (`812`, `:8080`, `0x49504401`) also
// matches a pid, port, key or id exactly, and those exact hits rank first.

import type { Channel, ChannelKind, ProcessInfo } from '../core/model';
import * as fmt from '../core/format';
import { channelNumbers, channelTexts, KIND_GROUPS } from '../core/filter';
import { plural } from '../core/text';

export interface SearchEntry {
  type: 'process' | 'channel';
  /** `proc:PID` or the channel id (unique in one index). */
  key: string;
  /** The separator the entry sits under when nothing is typed ("Processes", "Sockets › Unix"). */
  group: string;
  /** Order of `group` (processes first, then the Channels view's order). */
  groupOrder: number;
  label: string;
  description: string;
  detail?: string;
  /** Kind of the channel, for its icon (undefined for a process). */
  kind?: ChannelKind;
  pid?: number;
  channelId?: string;
  /** Hidden from the trees by the filter or scope (it can be inspected, not revealed). */
  hidden: boolean;
  /** Lower-cased text every query word is looked up in. */
  hay: string;
  /** Numbers a numeric query word matches exactly: pid, port, key, id, inode. */
  numbers: number[];
}

export interface SearchInput {
  channels: readonly Channel[];
  processes: readonly ProcessInfo[];
  procs: ReadonlyMap<number, ProcessInfo>;
  /** Is the channel / process shown in the trees (passes the filter and scope)? */
  isChannelShown(id: string): boolean;
  isProcessShown(pid: number): boolean;
}

/** Group label and order of each kind, as the Channels view nests them. */
const KIND_GROUP: ReadonlyMap<ChannelKind, { label: string; order: number }> = (() => {
  const m = new Map<ChannelKind, { label: string; order: number }>();
  let order = 1;
  for (const g of KIND_GROUPS) {
    for (const k of g.kinds) m.set(k, { label: g.sub ? `${g.label} › ${g.sub[k]}` : g.label, order: order++ });
  }
  return m;
})();

export const PROCESSES_GROUP = 'Processes';

/** A holder's name as shown (shownComm: bytes that are not UTF-8 as `\xNN`), or '' when unknown. */
const holderName = (p: ProcessInfo | undefined): string => (p ? fmt.shownComm(p) : '');

/** Builds the index of a snapshot in browse order (once per quick pick: the list does not move while it is open). */
export function buildSearchIndex(input: SearchInput): SearchEntry[] {
  const out: SearchEntry[] = [];
  const held = new Map<number, number>();
  for (const ch of input.channels) for (const pid of new Set(ch.endpoints.map((e) => e.pid))) held.set(pid, (held.get(pid) ?? 0) + 1);
  for (const p of input.processes) {
    const n = held.get(p.pid) ?? 0;
    const cmd = fmt.shownCommand(p, Infinity); // matched whole; shown capped (detail)
    const hidden = !input.isProcessShown(p.pid);
    out.push({
      type: 'process',
      key: `proc:${p.pid}`,
      group: PROCESSES_GROUP,
      groupOrder: 0,
      label: fmt.processLabel(p.pid, p),
      description: `${fmt.shortText(p.user, 64)} · ${n ? plural(n, 'channel') : 'holds no channel itself'}${hidden ? ' · hidden by the filter' : ''}`,
      detail: cmd ? fmt.shortText(cmd, fmt.CAPS.name) : undefined,
      pid: p.pid,
      hidden,
      // by the name as shown (`bad\xff`, shownComm): two names that differ only in bytes that are not UTF-8 share `comm`
      hay: `${fmt.shownComm(p)} ${p.pid} ${cmd} ${p.user} ${p.exe ?? ''}`.toLowerCase(),
      numbers: [p.pid],
    });
  }
  for (const ch of input.channels) {
    const g = KIND_GROUP.get(ch.kind) ?? { label: fmt.kindTitle(ch.kind), order: 99 };
    const label = fmt.channelLabel(ch, input.procs);
    const desc = fmt.channelDescription(ch);
    const hidden = !input.isChannelShown(ch.id);
    // each holder's name once (a pipe end dup'd 200,000 times is a handful of processes)
    const holders = [...new Set([...new Set(ch.endpoints.map((e) => e.pid))].map((pid) => holderName(input.procs.get(pid))))].join(' ');
    out.push({
      type: 'channel',
      key: ch.id,
      group: g.label,
      groupOrder: g.order,
      label,
      description: `${fmt.kindTitle(ch.kind)}${desc ? ` · ${desc}` : ''}${hidden ? ' · hidden by the filter' : ''}`,
      kind: ch.kind,
      channelId: ch.id,
      hidden,
      hay: `${label} ${desc} ${channelTexts(ch).join(' ')} ${holders}`.toLowerCase(),
      numbers: channelNumbers(ch),
    });
  }
  // Browse order: by group, then by label (processes by name, then pid).
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => a.groupOrder - b.groupOrder || (a.type === 'process' ? cmp(a.label.replace(/\[\d+\]$/, ''), b.label.replace(/\[\d+\]$/, '')) || (a.pid ?? 0) - (b.pid ?? 0) : cmp(a.label, b.label)));
}

/** The number a query word stands for exactly (`812`, `:8080`, `0x49504401`), if any. */
function wordNumber(word: string): number | undefined {
  let m = /^:?(\d{1,10})$/.exec(word);
  if (m) return Number(m[1]);
  m = /^0x([0-9a-f]{1,8})$/.exec(word);
  if (m) return parseInt(m[1], 16);
  return undefined;
}

export interface SearchResult {
  entries: SearchEntry[];
  /** How many entries matched (entries holds at most `limit`). */
  total: number;
}

/**
 * Entries matching every word of `query`, best first: exact number hits (pid, port, key), then
 * labels that start with the first word, then labels containing it, then the rest; shown before
 * hidden; then the browse order (group, label). An empty query lists everything in browse order.
 * (The live quick pick keeps this order: ui.ts turns the workbench's sort by label off.)
 */
export function searchIndex(index: readonly SearchEntry[], query: string, limit = 500): SearchResult {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const scored: Array<{ e: SearchEntry; s: number; i: number }> = [];
  for (let i = 0; i < index.length; i++) {
    const e = index[i];
    let exact = false;
    let ok = true;
    for (const w of words) {
      const n = wordNumber(w);
      if (n !== undefined && e.numbers.includes(n)) {
        exact = true;
        continue;
      }
      if (!e.hay.includes(w)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    let s = 3;
    if (words.length) {
      const label = e.label.toLowerCase();
      if (exact) s = 0;
      else if (label.startsWith(words[0])) s = 1;
      else if (label.includes(words[0])) s = 2;
    }
    scored.push({ e, s: s * 2 + (e.hidden && words.length ? 1 : 0), i });
  }
  scored.sort((a, b) => a.s - b.s || a.e.groupOrder - b.e.groupOrder || a.i - b.i);
  return { entries: scored.slice(0, limit).map((x) => x.e), total: scored.length };
}

