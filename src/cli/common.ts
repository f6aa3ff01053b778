// Shared bits of the peek/signal CLI commands: tiny argv parsing and one-line errno errors
// (escaped: error messages carry object names and paths other users chose).
import { ActionError, errnoOf, messageOf } from '../core/actions/errors';
import { escapeControl } from '../core/escape';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/** `--name value`, `--name=value`, boolean flags listed in `booleans`. */
export function parseArgs(argv: string[], booleans: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (eq >= 0) flags.set(name, a.slice(eq + 1));
      else if (booleans.includes(name)) flags.set(name, true);
      else {
        if (i + 1 >= argv.length) throw new ActionError('EINVAL', `--${name} needs a value`);
        flags.set(name, argv[++i]);
      }
    } else positional.push(a);
  }
  return { positional, flags };
}

export function intFlag(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  if (v === true || !/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min || Number(v) > max) {
    throw new ActionError('EINVAL', `--${name} must be an integer in [${min}, ${max}]`);
  }
  return Number(v);
}

export function rejectUnknown(args: ParsedArgs, known: readonly string[]): void {
  for (const k of args.flags.keys()) if (!known.includes(k)) throw new ActionError('EINVAL', `unknown option --${k}`);
}

/** Prints `ipc-inspector <cmd>: CODE: message` (one line) and returns the exit code. */
export function fail(cmd: string, e: unknown): number {
  const code = escapeControl(errnoOf(e));
  const msg = escapeControl(messageOf(e));
  const hint = e instanceof ActionError && e.hint ? ` (${escapeControl(e.hint)})` : '';
  process.stderr.write(`ipc-inspector ${cmd}: ${code}: ${msg}${hint}\n`);
  return code === 'EINVAL' || code === 'EUSAGE' ? 2 : 1;
}

/** Classic hexdump lines: offset, 16 hex bytes, printable ASCII ('.' otherwise). */
export function hexdump(data: Buffer, baseOffset = 0): string[] {
  const out: string[] = [];
  for (let i = 0; i < data.length; i += 16) {
    const row = data.subarray(i, i + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${(baseOffset + i).toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${text}|`);
  }
  return out;
}
