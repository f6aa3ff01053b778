// `ipc-inspector watch [--interval MS] [--json] [--kind K…] [--pid P…] [--container C…] [--no-native]`: takes a
// snapshot every MS milliseconds (the next one starts MS after the previous finished, never
// overlapping) and prints what changed (core/diff) until Ctrl-C (exit 130) / SIGTERM (143), or
// until its next line finds stdout's reader gone (141: liveLoop.ts).
//   text: one line per change: `HH:MM:SS.mmm + <kind> <label>  <facts>` (added), `-` removed,
//         `~` changed (with `field: old → new`); processes as `+ process comm[pid]` (a state change
//         only into or out of stopped, traced or zombie: running ⇄ sleeping is no news).
//   --json: one SnapshotDiff per line (NDJSON); the first is relative to nothing (everything
//         added), later ones are printed only when something changed.
import { SIGNAL_SETS, signalsIn } from '../core/signalSets';
import type { Channel, Endpoint, ProcessInfo, Snapshot, SnapshotDiff } from '../core/model';
import { groupEndpoints } from '../core/endpointGroups';
import { diffSnapshots } from '../core/diff';
import { channelDescription, channelLabel, endpointGroupLabel, escapeControl, processLabel, shownComm } from '../core/format';
import { safeJson } from '../core/escape';
import { writeJsonStream } from './jsonStream';
import { parseInteger, parseOptions, SELECT_OPTIONS, usageLines, type OptionSpec } from './args';
import { containerSnapshot, snapshotOptions } from './snapshot';
import { CONTAINER_OPTION_HELP, noContainerWarning } from './containerFilter';
import { isFolded, kindOf } from '../core/kinds';
import { addTo } from '../core/collections';
import { keepBuffersAtPace, untilInterrupted } from './liveLoop';
import type { Output } from './output';
import { clockTime, missingPids } from './common';
import { plural } from '../core/text';

export const WATCH_USAGE = 'usage: ipc-inspector watch [--interval MS] [--json] [--kind KIND]... [--pid PID]... [--container NAME|ID]... [--no-native] [--all-processes] [--closed]';

const WATCH_OPTIONS: readonly OptionSpec[] = [
  { name: 'interval', type: 'value', short: 'i', metavar: 'MS', help: 'pause between snapshots in ms (100..3600000, default 1000)' },
  ...SELECT_OPTIONS.slice(0, -1).flatMap((o) =>
    o.name === 'json'
      ? [{ ...o, help: 'one SnapshotDiff JSON object per line' }]
      : o.name === 'pid'
        ? [o, { name: 'container', type: 'list' as const, short: 'c', metavar: 'NAME|ID', help: `only channels processes of these containers hold, as they come and go (${CONTAINER_OPTION_HELP})` }]
        : [o],
  ),
  { name: 'closed', type: 'flag', help: 'a line for each TCP connection its process closed (TIME-WAIT, FIN-WAIT…) that came, changed or went; by default one line sums them up per interval (--json always lists them)' },
  ...SELECT_OPTIONS.slice(-1),
];


function short(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return `[${v.map((x) => escapeControl(String(x))).join(',')}]`;
  return escapeControl(String(v));
}

/** `field: old → new` for every top-level field that differs; endpoints as +/- entries. */
export function channelChanges(
  prev: Channel,
  next: Channel,
  procs: ReadonlyMap<number, ProcessInfo>,
  prevProcs: ReadonlyMap<number, ProcessInfo> = procs,
): string[] {
  const out: string[] = [];
  const a = prev as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (k === 'endpoints') continue;
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push(`${k}: ${short(a[k])} → ${short(b[k])}`);
  }
  const key = (e: Endpoint) => `${e.pid}/${e.fd ?? ''}/${e.map ?? ''}/${e.mapOffset ?? ''}/${e.mode}/${e.role ?? ''}`;
  const before = new Set(prev.endpoints.map(key));
  const after = new Set(next.endpoints.map(key));
  // a process's endpoints of one mode as one entry (`+dupbomb[8276] fd 4–19999 (w)`), as the table lists them
  const entries = (eps: Endpoint[], sign: string, labels: ReadonlyMap<number, ProcessInfo>) => {
    for (const g of groupEndpoints(eps)) out.push(sign + endpointGroupLabel(g, labels.get(g.pid)));
  };
  entries(next.endpoints.filter((e) => !before.has(key(e))), '+', procs);
  entries(prev.endpoints.filter((e) => !after.has(key(e))), '-', prevProcs);
  return out;
}

/**
 * States a live process moves between on its own from one moment to the next (running, sleeping,
 * in disk wait, an idle kernel thread): a change among them is activity, not news — a process that
 * works between waits (watch itself, taking its snapshots) would print a line at every interval.
 * Stopped, traced, zombie and dead are news; the --json diff keeps every change.
 */
const ACTIVITY_STATES: ReadonlySet<string> = new Set(['R', 'S', 'D', 'I']);

export function processChanges(prev: ProcessInfo, next: ProcessInfo): string[] {
  const out: string[] = [];
  const [was, now] = [shownComm(prev), shownComm(next)]; // names that differ only in bytes that are not UTF-8 differ here
  if (was !== now) out.push(`comm: ${escapeControl(was)} → ${escapeControl(now)}`);
  if (prev.state !== next.state && !(ACTIVITY_STATES.has(prev.state) && ACTIVITY_STATES.has(next.state))) out.push(`state: ${prev.state} → ${next.state}`);
  if (prev.tracerPid !== next.tracerPid) out.push(`tracer: ${prev.tracerPid || '-'} → ${next.tracerPid || '-'}`);
  for (const set of SIGNAL_SETS) {
    const a = signalsIn(prev.signals, set);
    const b = signalsIn(next.signals, set);
    const added = b.filter((x) => !a.includes(x));
    const removed = a.filter((x) => !b.includes(x));
    if (added.length || removed.length) out.push(`${set.key}: ${[...added.map((x) => '+' + x), ...removed.map((x) => '-' + x)].join(' ')}`);
  }
  if (JSON.stringify(prev.timers) !== JSON.stringify(next.timers)) out.push(`timers: ${prev.timers.length} → ${next.timers.length}`);
  return out;
}

/**
 * Text lines for one diff; `prev` supplies labels of removed things. The channels a kind folds
 * (TCP connections their processes closed: a web server makes and drops hundreds a second, which
 * no process holds) are summed up in a line per kind and change, as the Channels view folds them,
 * unless `folded`.
 */
export function renderDiff(prev: Snapshot | null, next: Snapshot, diff: SnapshotDiff, o: { folded?: boolean } = {}): string[] {
  const t = clockTime(next.takenAt);
  const procs = new Map(next.processes.map((p) => [p.pid, p]));
  const prevProcs = new Map((prev?.processes ?? []).map((p) => [p.pid, p]));
  const prevChannels = new Map((prev?.channels ?? []).map((c) => [c.id, c]));
  const lines: string[] = [];
  const facts = (c: Channel) => {
    const d = channelDescription(c);
    return d ? `  ${escapeControl(d)}` : '';
  };
  /** The folded channels that came (+), changed (~) or went (-), by sign and kind: one line each. */
  const sums = new Map<string, Channel[]>();
  const summed = (c: Channel | undefined): boolean => !o.folded && c !== undefined && isFolded(c);
  const tally = (sign: string, c: Channel) => addTo(sums, `${sign} ${c.kind}`, c);
  for (const p of diff.addedProcesses) lines.push(`${t} + process ${processLabel(p.pid, p)}`);
  for (const c of diff.addedChannels) {
    if (summed(c)) tally('+', c);
    else lines.push(`${t} + ${c.kind} ${channelLabel(c, procs, Infinity)}${facts(c)}`);
  }
  for (const c of diff.changedChannels) {
    const old = prevChannels.get(c.id);
    // moved between two folded states (FIN-WAIT-2 → TIME-WAIT): still one of those no process holds
    if (summed(old) && summed(c)) {
      tally('~', c);
      continue;
    }
    const what = old ? channelChanges(old, c, procs, prevProcs) : [];
    lines.push(`${t} ~ ${c.kind} ${channelLabel(c, procs, Infinity)}${what.length ? '  ' + what.join(', ') : ''}`);
  }
  for (const id of diff.removedChannels) {
    const old = prevChannels.get(id);
    if (summed(old)) tally('-', old!);
    else lines.push(`${t} - ${old ? `${old.kind} ${channelLabel(old, prevProcs, Infinity)}` : escapeControl(id)}`);
  }
  for (const [key, chs] of sums) {
    const fold = kindOf(chs[0].kind).fold!;
    lines.push(`${t} ${key} ${fold.label(chs.length)}${key[0] === '-' ? '' : `  ${fold.description(chs)}`} (--closed lists them)`);
  }
  for (const p of diff.changedProcesses) {
    const old = prevProcs.get(p.pid);
    const what = old ? processChanges(old, p) : [];
    if (what.length) lines.push(`${t} ~ process ${processLabel(p.pid, p)}  ${what.join(', ')}`);
  }
  for (const pid of diff.removedProcesses) lines.push(`${t} - process ${processLabel(pid, prevProcs.get(pid))}`);
  return lines;
}

function isEmpty(d: SnapshotDiff): boolean {
  return (
    d.addedChannels.length + d.removedChannels.length + d.changedChannels.length + d.addedProcesses.length + d.removedProcesses.length + d.changedProcesses.length === 0
  );
}

export async function run(argv: string[], out: Output): Promise<number> {
  const p = parseOptions(argv, WATCH_OPTIONS);
  if (p.flags.has('help')) {
    out.text(`${WATCH_USAGE}\n\nPrints added (+), removed (-) and changed (~) channels and processes until Ctrl-C.\n\noptions:\n${usageLines(WATCH_OPTIONS).join('\n')}\n`);
    return 0;
  }
  const interval = parseInteger('interval', p.values.get('interval'), 100, 3_600_000) ?? 1000;
  const opts = snapshotOptions(p);
  const json = p.flags.has('json');
  // each snapshot narrowed after its scan: a container started or stopped meanwhile comes and goes in the diff
  const containers = p.lists.get('container');
  const scan = () => containerSnapshot(opts, containers);

  return untilInterrupted(async (loop) => {
    let prev: Snapshot | null = null;
    keepBuffersAtPace(interval);
    while (!loop.stopped) {
      const { snapshot: next, unmatched } = await scan();
      if (loop.stopped) break;
      // (said once: watching for a container that has not started yet is fine)
      if (prev === null) for (const c of unmatched) out.note(noContainerWarning(c));
      // as snapshot --pid says: a pid that names no process is watched all the same (one may take it)
      if (prev === null) for (const pid of missingPids(next, opts.pids)) out.note(`warning: no process ${pid} (yet)\n`);
      const diff = diffSnapshots(prev, next);
      if (json) {
        // one line, written in chunks: a first diff of millions of endpoints is longer than a string may be
        if (prev === null || !isEmpty(diff)) writeJsonStream(diff as unknown as Record<string, unknown>, (chunk) => out.data(chunk), safeJson, 0);
      } else if (prev === null) {
        out.text(`${clockTime(next.takenAt)} watching ${plural(next.channels.length, 'channel')} of ${plural(next.processes.length, 'process', 'processes')} every ${interval} ms (Ctrl-C to stop)\n`);
        for (const w of next.warnings) out.note(`warning: ${escapeControl(w)}\n`);
      } else {
        const lines = renderDiff(prev, next, diff, { folded: p.flags.has('closed') });
        if (lines.length) out.text(lines.join('\n') + '\n');
      }
      prev = next;
      await loop.sleep(interval);
    }
  });
}
