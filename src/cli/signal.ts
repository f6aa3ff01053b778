// `ipc-inspector signal <pid> <SIG> [--value N] [--start-time T] [--json] [--yes]`: pidfd-based,
// bound to the process start time (given, or read now), refusing a pid whose start time changed.
// The same runner and policy as the extension (core/actions/runner.ts): when the policy asks for
// a confirmation (SIGKILL/SIGSTOP, PID 1, another user's process, a root process outside your
// terminal session, glibc-reserved signals) the CLI asks on the terminal, or — when stdin is not
// a terminal — refuses unless --yes (or --force) is given. Exit codes: 0 sent, 1 failed or not
// confirmed, 2 bad arguments. Signal 0 is `kill -0`: the same checks, pidfd-bound, nothing sent.
import * as readline from 'node:readline';
import { checkSignalPermission, currentEuid, readProcessInfo, runSignal, sessionOrigins, type Question } from '../core/actions';
import { ActionError } from '../core/actions/errors';
import { escapeControl, safeJson } from '../core/escape';
import { signalName, signalNumber } from '../core/signals';
import { fail } from './common';
import { parseInteger, parseOptions, UsageError, usageLines, type OptionSpec } from './args';
import type { Output } from './output';
import type { ProcessInfo } from '../core/model';

export const SIGNAL_USAGE = 'usage: ipc-inspector signal <pid> <SIG> [--value N] [--start-time T] [--json] [--yes]';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'value', type: 'value', metavar: 'N', help: 'send with sigqueue and this int value (-2147483648..2147483647)' },
  { name: 'start-time', type: 'value', metavar: 'T', help: "the process's start time (stat field 22) it must still have; default: read now" },
  { name: 'json', type: 'flag', short: 'j', help: 'print the result as JSON' },
  { name: 'yes', type: 'flag', short: 'y', help: 'send without asking (needed for a signal the policy asks about, without a terminal)' },
  { name: 'force', type: 'flag', help: 'the same as --yes' },
  { name: 'help', type: 'flag', short: 'h', help: 'show this help' },
];

/** Asks on the terminal (stderr + one line of stdin); true only for an explicit yes. */
function askOnTerminal(out: Output, q: Question): Promise<boolean> {
  return new Promise((resolve) => {
    out.note(`${escapeControl(q.title)}\n${q.detail.split('\n').map((l) => `  - ${escapeControl(l)}`).join('\n')}\n`);
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    let answered = false;
    rl.question(out.local(`${escapeControl(q.action)}? [y/N] `), (a) => {
      answered = true;
      rl.close();
      resolve(/^\s*y(es)?\s*$/i.test(a));
    });
    rl.once('close', () => {
      if (!answered) resolve(false); // Ctrl-D
    });
  });
}

/** `signal PID 0`: is the process still the one that started at `startTime`, and may we signal it? Exit 0 yes, 1 no (thrown). */
async function existenceCheck(proc: ProcessInfo, startTime: number, json: boolean, out: Output): Promise<number> {
  const pid = proc.pid;
  const r = await checkSignalPermission({ pid, startTime });
  if (json) out.data(safeJson({ ok: true, pid, signal: 0, exists: true, permitted: true, comm: proc.comm, startTime, method: r.method }) + '\n');
  else out.text(`process ${pid} (${escapeControl(proc.comm)}) exists and you may signal it; nothing was sent\n`);
  if (r.weakerGuarantee) out.note(`warning: ${r.weakerGuarantee}\n`);
  return 0;
}

export async function run(argv: string[], out: Output): Promise<number> {
  try {
    // strict: a flag given a value (`--yes=no`) is a usage error, never a yes
    const args = parseOptions(argv, OPTIONS, 2);
    if (args.flags.has('help')) {
      out.text(
        `${SIGNAL_USAGE}\n\nSends SIG to the process, bound to its start time (pidfd). Asks first when the policy says so\n` +
          '(uncatchable signals, PID 1, other users\' processes, root processes outside your terminal session);\n' +
          'without a terminal to ask on, such a signal is sent only with --yes (or --force).\n' +
          'SIG 0 sends nothing: it checks, as kill -0 does, that the process exists and that you may signal it (exit 0 or 1).\n\noptions:\n' +
          usageLines(OPTIONS).join('\n') +
          '\n',
      );
      return 0;
    }
    if (args.positional.length !== 2) throw new UsageError(SIGNAL_USAGE);
    const [pidText, sigText] = args.positional;
    if (!/^\d+$/.test(pidText) || Number(pidText) <= 0 || Number(pidText) > 4194304) throw new ActionError('EINVAL', `invalid pid: ${pidText}`);
    const pid = Number(pidText);
    const check = /^(sig)?0$/i.test(sigText.trim());
    const sig = check ? 0 : signalNumber(sigText);
    if (sig === undefined) {
      // kill(1)'s `-9` habit: the dash would make it an option there, here it is the signal's text
      const bare = /^-(.+)$/.exec(sigText.trim())?.[1];
      const hint = bare !== undefined && signalNumber(bare) !== undefined ? `give it without the dash: ${bare}` : 'try SIGTERM, 15, SIGRTMIN+3, or 0 to check without sending';
      throw new ActionError('EINVAL', `unknown signal: ${sigText} (${hint})`);
    }
    const value = parseInteger('value', args.values.get('value'), -2147483648, 2147483647);
    if (check && value !== undefined) throw new UsageError('signal 0 sends nothing: --value does not apply');
    const givenStart = parseInteger('start-time', args.values.get('start-time'), 0, Number.MAX_SAFE_INTEGER);
    const proc = await readProcessInfo(pid);
    if (!proc) throw new ActionError('ESRCH', `no process ${pid}`);
    if (check) return await existenceCheck(proc, givenStart ?? proc.startTime, args.flags.has('json'), out);
    // a signal the kernel would refuse (EPERM: another user's process) is refused before any question about it
    await checkSignalPermission({ pid, startTime: givenStart ?? proc.startTime }, {}, signalName(sig));
    const yes = args.flags.has('yes') || args.flags.has('force');
    const interactive = !!process.stdin.isTTY && !!process.stderr.isTTY;
    const origins = await sessionOrigins();
    let refused: Question | undefined;
    const outcome = await runSignal(
      { process: proc, signal: sig, value, startTime: givenStart ?? proc.startTime },
      {
        euid: currentEuid(),
        origin: (p) => origins.origin(p),
        confirm: (q) => {
          if (yes) return true;
          if (interactive) return askOnTerminal(out, q);
          refused = q;
          return false;
        },
      },
    );
    // (a refusal says them too: "it will have no effect" is part of why not to send it)
    const warnings = outcome.risk?.warnings ?? [];
    for (const w of warnings) out.note(`warning: ${escapeControl(w)}\n`);
    if (outcome.status === 'cancelled') {
      const why = (refused ?? outcome.question).reasons.join('; ');
      throw new ActionError(
        'ECANCELED',
        `${outcome.risk?.signalName ?? 'signal'} to ${pid} not sent: ${why}`,
        refused ? 'stdin is not a terminal to confirm on: pass --yes to send it anyway' : 'not confirmed',
      );
    }
    if (outcome.status === 'failed') throw outcome.error;
    const r = outcome.result;
    if (args.flags.has('json')) out.data(safeJson({ ok: true, ...r, startTime: givenStart ?? proc.startTime }) + '\n');
    else out.text(`sent ${r.signalName}${r.value !== undefined ? ` (value ${r.value})` : ''} to ${pid} via ${r.method}\n`);
    if (r.weakerGuarantee) out.note(`warning: ${r.weakerGuarantee}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e; // one usage line, exit 2 (cli.ts)
    return fail(out, 'signal', e);
  }
}
