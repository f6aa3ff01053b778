// Where the CLI's text goes, and in which characters: text for people (tables, messages, questions)
// to stdout or stderr in the locale's character set (locale.ts: ASCII where it is not UTF-8:
// fallbacks, and `\uXXXX` for the rest), JSON to stdout exactly as serialised. Made once per run from the environment (cli.ts) and
// handed to the command, so that no command picks a character set, or writes, on its own.
import type { Writable } from 'node:stream';
import { asciiText, ctypeLocale, isUtf8Locale } from './locale';

export interface Output {
  /** Text for people to stdout. */
  text(s: string): void;
  /** Text for people to stderr: warnings, notes, errors, questions. */
  note(s: string): void;
  /** JSON to stdout, byte for byte whatever the locale. */
  data(s: string): void;
  /** `s` as text() and note() write it, for a prompt that readline writes itself. */
  local(s: string): string;
}

export function cliOutput(env: NodeJS.ProcessEnv = process.env, stdout: Writable = process.stdout, stderr: Writable = process.stderr): Output {
  const local = isUtf8Locale(ctypeLocale(env)) ? (s: string) => s : asciiText;
  return {
    text: (s) => void stdout.write(local(s)),
    note: (s) => void stderr.write(local(s)),
    data: (s) => void stdout.write(s),
    local,
  };
}
