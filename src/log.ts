// The extension's one door to its Output channel ("IPC Inspector", a LogOutputChannel). Log lines
// carry other users' names and paths (a socket file removed, a queue received from, a process
// signalled): a newline in such a name would start a line of its own — a forged `[error]` entry —
// and ESC, bidi and invisible characters would act on whoever reads the log (a terminal showing
// the log file, the Output view). Every message, every Error's message and every other argument
// goes through escapeControl (core/escape.ts) here, so each call writes exactly one line of the
// log (an Error's stack frames, our own code, keep their lines).
import type * as vscode from 'vscode';
import { escapeControl, safeJson } from './core/escape';

const LOGGING = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);

/**
 * An Error whose name and message are escaped; the frames below stay when V8 wrote the stack (it
 * starts with `NAME: MESSAGE`, and what follows is frames of code), else they are left out: looking
 * for the first `\n    at ` instead would take the rest of a message that holds one (a path in an
 * fs error) as frames, raw.
 */
function escapedError(e: Error): Error {
  const message = escapeControl(e.message);
  const safe = new Error(message);
  safe.name = escapeControl(e.name);
  const head = e.message === '' ? e.name : `${e.name}: ${e.message}`; // V8 writes `Error`, no colon, for an empty message
  const stack = typeof e.stack === 'string' ? e.stack : '';
  const frames = stack.startsWith(head) && stack.slice(head.length).startsWith('\n    at ') ? stack.slice(head.length) : '';
  safe.stack = `${message === '' ? safe.name : `${safe.name}: ${message}`}${frames.split('\n').map((l) => escapeControl(l)).join('\n')}`;
  return safe;
}

/** One argument of a log call, safe to write: text escaped, an Error's message escaped, anything else as escaped JSON. */
export function logArg(a: unknown): unknown {
  if (typeof a === 'string') return escapeControl(a);
  if (a instanceof Error) return escapedError(a);
  if (a === null || a === undefined || typeof a === 'number' || typeof a === 'boolean') return a;
  try {
    return safeJson(a);
  } catch {
    return escapeControl(String(a)); // a cycle, a bigint
  }
}

/** The channel, with every logging call's arguments escaped (logArg); everything else passes through. */
export function escapedLog(channel: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(channel, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      const fn = v as (...args: unknown[]) => unknown;
      if (LOGGING.has(prop)) return (...args: unknown[]) => fn.apply(target, args.map(logArg));
      return fn.bind(target);
    },
  });
}
