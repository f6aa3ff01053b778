// `ipc-inspector signals (--follow | --duration MS) [--json] [--pid PID]... [--signal SIG]...`:
// logs every signal generated on the machine while it runs (the BPF tracer's signal_generate
// program alone — far cheaper for the machine than the counters `top` attaches): time, sender →
// receiver, signal, si_code, result. --pid keeps signals a process sent or received. Needs the
// tracer (root, or CAP_BPF+CAP_PERFMON): without it there is no log, and it exits 1 saying why.
//   text:   `HH:MM:SS.mmm  sender[pid] → receiver[pid]  SIGTERM  SI_USER  delivered`
//   --json: one SignalEvent per line (src/core/activity/types.ts).
// Lost signals (a full ring buffer or reader queue) are reported on stderr, never hidden.
import * as fs from 'node:fs';
import { ActivityMonitor } from '../core/activity/monitor';
import { matchesSignal, type SignalFilter } from '../core/activity/signalLog';
import { signalLine } from '../core/activity/format';
import type { SignalEvent } from '../core/activity/types';
import { escapeControl, safeJson } from '../core/escape';
import { signalNumber } from '../core/signals';
import { parseInteger, parseOptions, parsePids, UsageError, usageLines, type OptionSpec } from './args';
import { untilInterrupted } from './liveLoop';
import type { Output } from './output';

export const SIGNALS_USAGE = 'usage: ipc-inspector signals (--follow | --duration MS) [--json] [--pid PID]... [--signal SIG]...';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'follow', type: 'flag', short: 'f', help: 'log signals until Ctrl-C' },
  { name: 'duration', type: 'value', short: 'd', metavar: 'MS', help: 'log signals for MS milliseconds, then exit (100..86400000)' },
  { name: 'json', type: 'flag', short: 'j', help: 'one SignalEvent JSON object per line' },
  { name: 'pid', type: 'list', short: 'p', metavar: 'PID', help: 'only signals these processes sent or received; repeat or comma-separate' },
  { name: 'signal', type: 'list', short: 's', metavar: 'SIG', help: 'only these signals (TERM, SIGKILL, 9, RTMIN+1); repeat or comma-separate' },
  { name: 'help', type: 'flag', short: 'h', help: 'show this help' },
];

/** How often the tracer's queue is read (ms). */
const POLL_MS = 200;

export async function run(argv: string[], out: Output): Promise<number> {
  const p = parseOptions(argv, OPTIONS);
  if (p.flags.has('help')) {
    out.text(
      `${SIGNALS_USAGE}\n\nLogs every signal generated on this machine while it runs: sender → receiver, signal, si_code\n(SI_USER = kill, SI_QUEUE = sigqueue, SI_TKILL = tgkill, SI_TIMER = a POSIX timer, SI_KERNEL, CLD_* …)\nand the result (delivered, ignored, already-pending = merged and lost, queue-overflow).\nNeeds root or CAP_BPF+CAP_PERFMON (eBPF).\n\noptions:\n${usageLines(OPTIONS).join('\n')}\n`,
    );
    return 0;
  }
  const follow = p.flags.has('follow');
  const duration = parseInteger('duration', p.values.get('duration'), 100, 86_400_000);
  if (follow === (duration !== undefined)) throw new UsageError('give exactly one of --follow and --duration MS (the log starts when the tracer does: there is no history before it)');
  const filter: SignalFilter = {};
  const pids = parsePids(p.lists.get('pid'));
  if (pids) filter.pids = new Set(pids);
  // said, as snapshot --pid says it; kept in the filter: a process may take the pid meanwhile
  for (const pid of pids ?? []) if (!fs.existsSync(`/proc/${pid}`)) out.note(`warning: no process ${pid} (yet)\n`);
  const sigs = p.lists.get('signal');
  if (sigs) {
    filter.signals = sigs.map((s) => {
      const n = signalNumber(s);
      if (n === undefined) throw new UsageError(`unknown signal ${escapeControl(s)}`);
      return n;
    });
  }
  const json = p.flags.has('json');

  const monitor = new ActivityMonitor({ parts: { signals: true }, decodeAll: true });
  const cap = await monitor.start();
  if (cap.source !== 'bpf') {
    out.note(
      `ipc-inspector signals: cannot log signals: ${escapeControl(cap.reason ?? 'the tracer does not run here')}\n` +
        'The signal log needs the eBPF tracer: run as root, or give a helper CAP_BPF+CAP_PERFMON (see the README, "Live activity").\n',
    );
    await monitor.stop();
    return 1;
  }
  if (!json) out.note(`logging signals${follow ? ' (Ctrl-C to stop)' : ` for ${duration} ms`}${cap.reason ? ` — ${escapeControl(cap.reason)}` : ''}\n`);
  else out.note('logging signals\n');

  const until = duration !== undefined ? Date.now() + duration : Infinity;
  let lostSeen = 0;
  const print = (events: readonly SignalEvent[]) => {
    const lines: string[] = [];
    for (const e of events) if (matchesSignal(e, filter)) lines.push(json ? safeJson(e) : signalLine(e));
    if (lines.length === 0) return;
    if (json) out.data(lines.join('\n') + '\n');
    else out.text(lines.join('\n') + '\n');
  };
  const reportLost = () => {
    const l = monitor.lostTotal;
    const n = l.signalRingFull + l.signalQueueFull + l.recursion;
    if (n > lostSeen) {
      out.note(`warning: ${n - lostSeen} signals were not logged (ring buffer full: ${l.signalRingFull}, reader queue full: ${l.signalQueueFull}, skipped program runs: ${l.recursion})\n`);
      lostSeen = n;
    }
  };
  let status: number;
  try {
    status = await untilInterrupted(async (loop) => {
      while (!loop.stopped && Date.now() < until) {
        try {
          print(await monitor.poll());
        } catch (e) {
          out.note(`warning: ${escapeControl((e as Error).message)}\n`);
        }
        reportLost();
        const left = Math.min(POLL_MS, until - Date.now());
        if (left <= 0 || loop.stopped) break;
        await loop.sleep(left);
      }
      print(await monitor.poll().catch(() => []));
      reportLost();
    });
  } finally {
    await monitor.stop();
  }
  return status;
}
