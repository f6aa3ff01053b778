// `ipc-inspector` — the command line on top of src/core (bundled to dist/cli.js, run by
// bin/ipc-inspector.js). Subcommands: snapshot, watch, peek, signal, port, doctor, top, signals, help; --version.
// Text for people goes out in the locale's charset, JSON as is (cli/output.ts).
// Exit codes: 0 ok, 1 runtime failure, 2 usage error (one line on stderr); a live command stopped
// by Ctrl-C 130, by SIGTERM 143, by its stdout's reader going away 141 (cli/liveLoop.ts; a one-shot
// command keeps its own status then: cli/stdio.ts).
import { UsageError } from './cli/args';
import { fail } from './cli/common';
import { errnoOf } from './core/actions/errors';
import { isFdExhaustion } from './core/fdLimit';
import * as doctor from './cli/doctor';
import { escapeControl } from './core/escape';
import * as peek from './cli/peek';
import * as port from './cli/port';
import * as signal from './cli/signal';
import * as signals from './cli/signals';
import * as snapshot from './cli/snapshot';
import * as top from './cli/top';
import * as watch from './cli/watch';
import { ignoreReaderGone } from './cli/stdio';
import { cliOutput, type Output } from './cli/output';

declare const __IPC_INSPECTOR_VERSION__: string | undefined;

function version(): string {
  if (typeof __IPC_INSPECTOR_VERSION__ === 'string') return __IPC_INSPECTOR_VERSION__;
  try {
    // dist/cli.js → ../package.json (also works from the source tree through esbuild's bundle).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

interface Command {
  summary: string;
  run(argv: string[], out: Output): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  snapshot: { summary: 'list every IPC channel once (table, or --json for the snapshot contract)', run: snapshot.run },
  watch: { summary: 'print added / removed / changed channels live until Ctrl-C', run: watch.run },
  peek: { summary: 'show queued data of a channel without consuming it', run: peek.run },
  signal: { summary: 'send a signal to a process, bound to its start time (pidfd)', run: signal.run },
  port: { summary: 'who listens on a port, in every network namespace; --free stops them and tests the port', run: port.run },
  doctor: { summary: 'find what is wrong with the IPC here, explain it; exit 1 on warnings', run: doctor.run },
  top: { summary: 'live activity: busiest channels and process pairs, bytes/s and ops/s (eBPF as root)', run: top.run },
  signals: { summary: 'log every signal sent on this machine: sender → receiver, si_code, result (eBPF, root)', run: signals.run },
};

export const HELP = `ipc-inspector ${version()} — every IPC channel on this Linux machine

usage: ipc-inspector <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`)
  .join('\n')}
  help       show this help (\`ipc-inspector <command> --help\` for a command's options)

options:
  --version  print the version

examples:
  ipc-inspector snapshot --kind unix,tcp
  ipc-inspector snapshot --json --pid 1234
  ipc-inspector watch --interval 500
  ipc-inspector port 3000 --free
  ipc-inspector doctor --pid 1234
  ipc-inspector top --interval 1000
  ipc-inspector signals --follow --pid 1234
`;

export async function main(argv: string[], out: Output = cliOutput()): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    // `help peek`, `--help peek`: that command's help; one command at most
    if (rest.length > 1) return usageError(out, `unexpected argument ${JSON.stringify(rest[1])}`);
    if (cmd !== undefined && rest.length > 0 && rest[0] !== 'help' && rest[0] !== '--help' && rest[0] !== '-h') {
      const c = Object.prototype.hasOwnProperty.call(COMMANDS, rest[0]) ? COMMANDS[rest[0]] : undefined;
      if (!c) return usageError(out, `unknown command ${JSON.stringify(rest[0])}`);
      return c.run(['--help'], out);
    }
    // no command is a usage error: the help goes where errors go (a script's stdout stays clean)
    if (cmd === undefined) out.note(HELP);
    else out.text(HELP);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    if (rest.length > 0) return usageError(out, `unexpected argument ${JSON.stringify(rest[0])}`);
    out.text(version() + '\n');
    return 0;
  }
  const c = Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!c) return usageError(out, `unknown command ${JSON.stringify(cmd)} (commands: ${Object.keys(COMMANDS).join(', ')}, help)`);
  try {
    return await c.run(rest, out);
  } catch (e) {
    if (e instanceof UsageError) return usageError(out, e.message, cmd);
    // out of descriptors: the errno and the limit to raise, not an Error's first stack line
    if (isFdExhaustion(errnoOf(e))) return fail(out, cmd, e);
    out.note(`ipc-inspector ${cmd}: ${escapeControl(((e as Error)?.stack ?? String(e)).split('\n')[0])}\n`);
    return 1;
  }
}

export function usageError(out: Output, message: string, cmd?: string): number {
  out.note(`ipc-inspector${cmd ? ' ' + cmd : ''}: ${escapeControl(message)} (see \`ipc-inspector ${cmd ? `${cmd} --help` : 'help'}\`)\n`);
  return 2;
}

// Run when this bundle is the program (node dist/cli.js) or bin/ipc-inspector.js required it.
if (require.main === module || /[\\/]bin[\\/]ipc-inspector(\.js)?$/.test(require.main?.filename ?? '')) {
  // stdout closed early (`| head`): no stack trace, and the command still decides the status;
  // output lost otherwise (a full disk): said in one line, exit 1
  const out = cliOutput();
  ignoreReaderGone((line) => {
    if (line !== null) {
      try {
        process.stderr.write(out.local(`ipc-inspector: ${escapeControl(line)}\n`));
      } catch {
        /* stderr is gone too */
      }
    }
    process.exit(1);
  });
  main(process.argv.slice(2), out).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      out.note(`ipc-inspector: ${escapeControl((e as Error)?.message ?? String(e))}\n`);
      process.exitCode = 1;
    },
  );
}
