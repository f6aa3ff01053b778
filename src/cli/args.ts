// Strict argument parsing for every command: every option is declared; an unknown
// option, a missing or malformed value, a bad kind or pid is a UsageError (one line on stderr,
// exit 2 — see cli.ts). `--opt value` and `--opt=value` are both accepted; list options repeat
// (`--kind pipe --kind fifo`) or take commas (`--kind pipe,fifo`).
import { CHANNEL_KINDS, isChannelKind, type ChannelKind } from '../core/model';
import { escapeControl } from '../core/escape';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /** Long name without dashes. */
  name: string;
  /** 'flag' takes no value; 'value' exactly one; 'list' one or more (repeatable, comma-separated). */
  type: 'flag' | 'value' | 'list';
  /** Single-letter alias, e.g. 'j' for -j. */
  short?: string;
  help: string;
  /** Name of the value in usage text. */
  metavar?: string;
}

export interface Parsed {
  flags: Set<string>;
  values: Map<string, string>;
  lists: Map<string, string[]>;
  positional: string[];
}

/** One line for the user: control characters in echoed input are shown escaped (core/escape). */
function show(s: string): string {
  return escapeControl(s);
}

export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[], maxPositional = 0): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const out: Parsed = { flags: new Set(), values: new Map(), lists: new Map(), positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    let shown = a;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (eq >= 0) inline = a.slice(eq + 1);
      shown = '--' + name;
      spec = byName.get(name);
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      // (a negative number is an argument: `signal 812 -9`)
      spec = a.length === 2 ? byShort.get(a[1]) : undefined;
    } else {
      out.positional.push(a);
      continue;
    }
    if (!spec) throw new UsageError(`unknown option ${show(shown)}`);
    if (spec.type === 'flag') {
      if (inline !== undefined) throw new UsageError(`option --${spec.name} takes no value`);
      out.flags.add(spec.name);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('-') && argv[i + 1].length > 1 && !/^-\d/.test(argv[i + 1]))) {
        throw new UsageError(`option --${spec.name} needs a value${spec.metavar ? ` (${spec.metavar})` : ''}`);
      }
      value = argv[++i];
    }
    if (value === '') throw new UsageError(`option --${spec.name} needs a non-empty value`);
    if (spec.type === 'value') {
      if (out.values.has(spec.name)) throw new UsageError(`option --${spec.name} given twice`);
      out.values.set(spec.name, value);
    } else {
      const parts = value.split(',');
      if (parts.some((p) => p === '')) throw new UsageError(`option --${spec.name}: empty item in ${show(value)}`);
      out.lists.set(spec.name, [...(out.lists.get(spec.name) ?? []), ...parts]);
    }
  }
  if (out.positional.length > maxPositional) throw new UsageError(`unexpected argument ${show(out.positional[maxPositional])}`);
  return out;
}

export function parseKinds(items: readonly string[] | undefined): ChannelKind[] | undefined {
  if (!items) return undefined;
  const kinds: ChannelKind[] = [];
  for (const k of items) {
    if (!isChannelKind(k)) throw new UsageError(`unknown kind ${show(k)} (one of: ${CHANNEL_KINDS.join(', ')})`);
    if (!kinds.includes(k)) kinds.push(k);
  }
  return kinds;
}

export function parsePids(items: readonly string[] | undefined): number[] | undefined {
  if (!items) return undefined;
  const pids: number[] = [];
  for (const p of items) {
    // Linux pids are 1..2^22 (pid_max is at most 4194304).
    if (!/^[1-9]\d{0,6}$/.test(p) || Number(p) > 4194304) throw new UsageError(`invalid pid ${show(p.slice(0, 64))} (an integer from 1 to 4194304)`);
    if (!pids.includes(Number(p))) pids.push(Number(p));
  }
  return pids;
}

/** An integer option (or, named by `label`, an argument) in [min, max] (a leading `-` only when min is negative), or undefined when not given. */
export function parseInteger(name: string, text: string | undefined, min: number, max: number, label = `option --${name}`): number | undefined {
  if (text === undefined) return undefined;
  if (!(min < 0 ? /^-?\d+$/ : /^\d+$/).test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${label} must be an integer from ${min} to ${max}, got ${show(text.slice(0, 64))}`);
  }
  return Number(text);
}

/** Options shared by `snapshot` and `watch`. */
export const SELECT_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', type: 'flag', short: 'j', help: 'print the snapshot contract as JSON' },
  { name: 'kind', type: 'list', short: 'k', metavar: 'KIND', help: `only these kinds (${CHANNEL_KINDS.join(', ')}); repeat or comma-separate` },
  { name: 'pid', type: 'list', short: 'p', metavar: 'PID', help: 'only channels these processes hold; repeat or comma-separate' },
  { name: 'no-native', type: 'flag', help: 'do not use the native addon (pure /proc reads)' },
  { name: 'all-processes', type: 'flag', help: 'list every process, not only those holding a channel' },
  { name: 'help', type: 'flag', short: 'h', help: 'show this help' },
];

export function usageLines(specs: readonly OptionSpec[]): string[] {
  return specs.map((s) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.type === 'flag' ? '' : ` ${s.metavar ?? 'VALUE'}`}`;
    return `  ${left.padEnd(24)} ${s.help}`;
  });
}
