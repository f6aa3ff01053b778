// `ipc-inspector top [--interval MS] [--count N] [--json] [--kind K]... [--pid P]... [--limit N] [--no-tracer]`:
// live activity — the busiest channels (bytes/s, ops/s, who writes and who reads) and process
// pairs, every interval, until Ctrl-C (or N samples). With the BPF tracer (root or
// CAP_BPF+CAP_PERFMON) every write, send and message is counted in the kernel; without it (or
// with --no-tracer) rates are the queue-depth changes between two snapshots — a lower bound — and
// the header says so and why. Lost events are shown in the header, never hidden.
//   text:   a table per interval (cleared and redrawn on a terminal, appended otherwise)
//   --json: one ActivitySample per line (src/core/activity/types.ts), filtered like the table.
import { ActivityMonitor } from '../core/activity/monitor';
import { formatOps, formatRate, partyLabel } from '../core/activity/format';
import type { ActivitySample, ChannelActivity, PairActivity } from '../core/activity/types';
import { escapeControl, safeJson } from '../core/escape';
import { shortText } from '../core/format';
import type { ProcessInfo, Snapshot } from '../core/model';
import { SocketLookups, takeSnapshot } from '../core/snapshot';
import { parseInteger, parseOptions, SELECT_OPTIONS, usageLines, type OptionSpec } from './args';
import { snapshotOptions } from './snapshot';
import { keepBuffersAtPace, untilInterrupted } from './liveLoop';
import type { Output } from './output';
import { clockTime, missingPids } from './common';

/** The longest the first printed sample waits (and covers): rates at once, whatever the interval. */
const FIRST_SAMPLE_MS = 1000;

export const TOP_USAGE = 'usage: ipc-inspector top [--interval MS] [--count N] [--json] [--kind KIND]... [--pid PID]... [--limit N] [--no-tracer]';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'interval', type: 'value', short: 'i', metavar: 'MS', help: 'time between samples in ms (200..3600000, default 1000); the first covers at most 1000' },
  { name: 'count', type: 'value', short: 'n', metavar: 'N', help: 'stop after N samples (default: until Ctrl-C)' },
  { name: 'limit', type: 'value', short: 'l', metavar: 'N', help: 'rows per table (1..1000, default 20; --json prints everything)' },
  { name: 'no-tracer', type: 'flag', help: 'do not start the eBPF tracer: queue-depth changes only' },
  ...SELECT_OPTIONS.filter((o) => o.name !== 'all-processes').map((o) => (o.name === 'json' ? { ...o, help: 'one ActivitySample JSON object per line' } : o)),
];

/** The sample narrowed to `pids` (a channel a process sent, received or holds; a pair from or to one) and `kinds`. */
export function filterSample(s: ActivitySample, snapshot: Snapshot | null, pids: ReadonlySet<number> | null, kinds: ReadonlySet<string> | null): ActivitySample {
  if (!pids && !kinds) return s;
  const held = new Map<string, number[]>();
  if (snapshot) for (const c of snapshot.channels) held.set(c.id, c.endpoints.map((e) => e.pid));
  const channels: Record<string, ChannelActivity> = Object.create(null) as Record<string, ChannelActivity>;
  for (const [id, c] of Object.entries(s.channels)) {
    if (kinds && !kinds.has(c.kind)) continue;
    if (pids && !c.processes.some((p) => pids.has(p.pid)) && !(held.get(id) ?? []).some((p) => pids.has(p))) continue;
    channels[id] = c;
  }
  const pairs = s.pairs.filter((p) => (!kinds || kinds.has(p.kind)) && (!pids || pids.has(p.from) || pids.has(p.to)));
  return { ...s, channels, pairs };
}

function who(pid: number, procs: ReadonlyMap<number, ProcessInfo>): string {
  const p = procs.get(pid);
  return p ? partyLabel(p) : `[${pid}]`;
}

function channelRow(c: ChannelActivity, procs: ReadonlyMap<number, ProcessInfo>): string {
  const senders = c.processes.filter((p) => p.sent.bytes > 0 || p.sent.ops > 0).map((p) => who(p.pid, procs));
  const receivers = c.processes.filter((p) => p.received.bytes > 0 || p.received.ops > 0).map((p) => who(p.pid, procs));
  const flow = senders.length || receivers.length ? `${senders.join(',') || '-'} → ${receivers.join(',') || '-'}` : '';
  return `  ${formatRate(c.bytesPerSec).padStart(13)} ${formatOps(c.opsPerSec).padStart(13)}  ${c.kind.padEnd(8)} ${escapeControl(shortText(c.channelId, 40)).padEnd(40)} ${flow}${c.estimated ? '  (estimate)' : ''}`;
}

function pairRow(p: PairActivity, procs: ReadonlyMap<number, ProcessInfo>): string {
  const via = escapeControl(shortText(p.channelId, 40)) + (p.peerChannelId ? ` → ${escapeControl(shortText(p.peerChannelId, 40))}` : '');
  const note = p.receiverFrom === 'holders' ? '  (reader not seen yet: holders)' : p.estimated ? '  (estimate)' : '';
  return `  ${formatRate(p.bytesPerSec).padStart(13)} ${formatOps(p.opsPerSec).padStart(13)}  ${who(p.from, procs)} → ${who(p.to, procs)}  via ${via}${note}`;
}

export function renderTop(s: ActivitySample, snapshot: Snapshot | null, limit: number): string[] {
  const procs = new Map((snapshot?.processes ?? []).map((p) => [p.pid, p]));
  const src = s.source === 'bpf' ? 'eBPF tracer' : `queue-depth changes between snapshots (lower bounds; ${escapeControl(s.capability.reason ?? 'no tracer')})`;
  const lost = s.source === 'bpf' ? `  lost: ${s.lost.total}${s.lostTotal.total ? ` (${s.lostTotal.total} since start)` : ''}` : '';
  const out = [`${clockTime(s.at)}  live activity over ${(s.intervalMs / 1000).toFixed(2)} s — ${src}${lost}`];
  if (s.source === 'bpf' && s.capability.reason) out.push(`  note: ${escapeControl(s.capability.reason)}`);
  if (s.error) out.push(`  warning: ${escapeControl(s.error)}`);
  const chans = Object.values(s.channels).sort((a, b) => b.bytesPerSec - a.bytesPerSec || b.opsPerSec - a.opsPerSec);
  out.push(`  ${'BYTES/S'.padStart(13)} ${'OPS/S'.padStart(13)}  ${'KIND'.padEnd(8)} ${'CHANNEL'.padEnd(40)} SENDERS → RECEIVERS`);
  for (const c of chans.slice(0, limit)) out.push(channelRow(c, procs));
  if (chans.length > limit) out.push(`  … ${chans.length - limit} more channels`);
  if (chans.length === 0) out.push('  (no traffic)');
  if (s.pairs.length) {
    out.push('  pairs:');
    for (const p of s.pairs.slice(0, limit)) out.push(pairRow(p, procs));
    if (s.pairs.length > limit) out.push(`  … ${s.pairs.length - limit} more pairs`);
  }
  if (s.unmatched.counters) out.push(`  not joined to a channel here (another IPC namespace, unnamed queue): ${formatRate(s.unmatched.bytes / Math.max(0.001, s.intervalMs / 1000))} in ${s.unmatched.counters} counters`);
  return out;
}

export async function run(argv: string[], out: Output): Promise<number> {
  const p = parseOptions(argv, OPTIONS);
  if (p.flags.has('help')) {
    out.text(
      `${TOP_USAGE}\n\nThe busiest IPC channels and process pairs, live: bytes/s and ops/s per channel (pipes, FIFOs,\nUnix/TCP/UDP sockets, SysV and POSIX message queues) and who sends to whom. Counted by an eBPF\ntracer as root (or with CAP_BPF+CAP_PERFMON); otherwise estimated from queue depths.\n\noptions:\n${usageLines(OPTIONS).join('\n')}\n`,
    );
    return 0;
  }
  const interval = parseInteger('interval', p.values.get('interval'), 200, 3_600_000) ?? 1000;
  const count = parseInteger('count', p.values.get('count'), 1, 1_000_000_000);
  const limit = parseInteger('limit', p.values.get('limit'), 1, 1000) ?? 20;
  const opts = snapshotOptions(p);
  const json = p.flags.has('json');
  const pids = opts.pids ? new Set(opts.pids) : null;
  const kinds = opts.kinds ? new Set<string>(opts.kinds) : null;
  // the snapshot selects by pid itself; rates need every channel's peer, so it stays unfiltered by kind
  // (one memory of socket lookups over the refreshes, as the views' worker keeps: probes/hiddenNetns.ts)
  const snapOpts = { ...opts, kinds: undefined, socketLookups: new SocketLookups() };

  const monitor = new ActivityMonitor({ tracer: p.flags.has('no-tracer') ? 'off' : 'auto' });
  // redraw in place only on a terminal that can clear (not TERM=dumb, an editor's output pane)
  const tty = !json && process.stdout.isTTY === true && !!process.env.TERM && process.env.TERM !== 'dumb';
  let status: number;
  try {
    status = await untilInterrupted(async (loop) => {
      const cap = await monitor.start();
      keepBuffersAtPace(interval);
      if (!json) out.note(cap.source === 'bpf' ? 'tracing with eBPF (Ctrl-C to stop)\n' : `${escapeControl(cap.reason ?? 'tracer: not available')}: rates from queue depths (Ctrl-C to stop)\n`);
      // a first sample only sets where rates count from (the tracer's counters, the queue depths):
      // printed, it would cover the moment since start, not an interval — `--count 1` showed nothing.
      // The first printed one covers at most FIRST_SAMPLE_MS, so a long interval shows rates at once
      const first = await takeSnapshot(snapOpts).catch(() => null);
      if (first) for (const pid of missingPids(first, opts.pids)) out.note(`warning: no process ${pid} (yet)\n`);
      await monitor.sample(first);
      let n = 0;
      while (!loop.stopped) {
        await loop.sleep(n === 0 ? Math.min(interval, FIRST_SAMPLE_MS) : interval);
        if (loop.stopped) break;
        const snapshot = await takeSnapshot(snapOpts).catch(() => null);
        if (loop.stopped) break;
        const sample = filterSample(await monitor.sample(snapshot), snapshot, pids, kinds);
        if (json) out.data(safeJson(sample) + '\n');
        else out.text((tty ? '\x1b[H\x1b[2J' : '') + renderTop(sample, snapshot, limit).join('\n') + '\n\n');
        if (count !== undefined && ++n >= count) break;
      }
    });
  } finally {
    await monitor.stop();
  }
  return status;
}
