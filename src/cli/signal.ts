// `ipc-inspector signal <pid> <SIG> [--value N] [--start-time T] [--json]`: pidfd-based, bound to
// the process start time (given, or read now), refusing a pid whose start time changed.
import * as fs from 'node:fs';
import { sendSignal, readStartTime } from '../core/actions/signal';
import { ActionError } from '../core/actions/errors';
import { signalName, signalNumber } from '../core/signals';
import { fail, intFlag, parseArgs, rejectUnknown } from './common';

export const SIGNAL_USAGE = 'usage: ipc-inspector signal <pid> <SIG> [--value N] [--start-time T] [--json]';

/** Warnings from /proc/PID/status masks (ignored / blocked), without a full snapshot. */
function quickWarnings(pid: number, sig: number): string[] {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const mask = (k: string): bigint => {
      const m = new RegExp(`^${k}:\\s*([0-9a-f]+)`, 'm').exec(status);
      return m ? BigInt('0x' + m[1]) : 0n;
    };
    const bit = 1n << BigInt(sig - 1);
    const name = signalName(sig);
    const out: string[] = [];
    if (sig !== 9 && sig !== 19 && mask('SigIgn') & bit) out.push(`${name} is ignored by this process — it will have no effect`);
    else if (sig !== 9 && sig !== 19 && mask('SigBlk') & bit) out.push(`${name} is blocked by this process — it stays pending until unblocked`);
    return out;
  } catch {
    return [];
  }
}

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, ['json', 'help']);
    if (args.flags.has('help')) {
      process.stdout.write(SIGNAL_USAGE + '\n');
      return 0;
    }
    rejectUnknown(args, ['json', 'help', 'value', 'start-time']);
    if (args.positional.length !== 2) throw new ActionError('EINVAL', SIGNAL_USAGE);
    const [pidText, sigText] = args.positional;
    if (!/^\d+$/.test(pidText) || Number(pidText) <= 0) throw new ActionError('EINVAL', `invalid pid: ${pidText}`);
    const pid = Number(pidText);
    const sig = signalNumber(sigText);
    if (sig === undefined) throw new ActionError('EINVAL', `unknown signal: ${sigText} (try SIGTERM, 15, SIGRTMIN+3)`);
    const value = intFlag(args, 'value', -2147483648, 2147483647);
    const startTime = intFlag(args, 'start-time', 0, Number.MAX_SAFE_INTEGER) ?? readStartTime(pid);
    for (const w of quickWarnings(pid, sig)) process.stderr.write(`warning: ${w}\n`);
    const r = await sendSignal({ pid, startTime, signal: sig, value });
    if (args.flags.has('json')) process.stdout.write(JSON.stringify({ ok: true, ...r, startTime }) + '\n');
    else {
      process.stdout.write(`sent ${r.signalName}${r.value !== undefined ? ` (value ${r.value})` : ''} to ${pid} via ${r.method}\n`);
    }
    if (r.weakerGuarantee) process.stderr.write(`warning: ${r.weakerGuarantee}\n`);
    return 0;
  } catch (e) {
    return fail('signal', e);
  }
}
