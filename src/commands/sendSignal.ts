// ipcInspector.sendSignal: pick a process (searchable), then a signal; then the shared runner
// (core/actions/runner.ts) applies the one policy — a modal when it says so (SIGKILL/SIGSTOP,
// PID 1, VS Code's own processes, other users', root processes not started here, glibc-reserved)
// — and sends bound to the process's start time (pidfd, no pid reuse). Every text goes through
// the UI door (ui.ts), escaped. Arguments (all optional): a node or pid, then a signal name/number.
//
// What the policy warns about is said before sending, not only after: each signal of the picker
// shows its disposition and the policy's warnings for this process ("SIGTERM is ignored by this
// process — it will have no effect"), and a signal that will have no effect (ignored, or the
// process is a zombie) asks first — in the runner's own question when the policy asks anyway,
// retitled to lead with it, so there is never a second modal.
import * as vscode from 'vscode';
import type { ProcessInfo } from '../core/model';
import { runSignal, signalRisk, type ProcessOrigin, type SendSignalResult, type SignalRisk } from '../core/actions';
import { SIGNALS, signalNumber } from '../core/signals';
import { processLabel, shownCommand } from '../core/format';
import { extensionRunnerEnv, reportOutcome } from './actionEnv';
import { ensureSnapshot, pick, resolvePid, Services } from './services';

const COMMON = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGSTOP', 'SIGKILL'];

/** Sentence case for a policy line shown on its own. */
function sentence(t: string): string {
  return t.charAt(0).toUpperCase() + t.slice(1);
}

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.sendSignal', async (arg?: unknown, signalArg?: unknown): Promise<SendSignalResult | undefined> => {
    const snapshot = await ensureSnapshot(s);
    let pid = resolvePid(s, arg);
    if (pid === undefined) {
      const items = [...snapshot.processes]
        .sort((a, b) => a.pid - b.pid)
        .map((p) => ({
          label: processLabel(p.pid, p),
          description: `${p.user}${p.state ? ' · ' + p.state : ''}`,
          detail: shownCommand(p),
          pid: p.pid,
        }));
      const chosen = await pick(s, 'Send signal to which process?', items, { placeHolder: 'search by name, pid, user or command line' });
      if (!chosen) return undefined;
      pid = chosen.pid;
    }
    const proc: ProcessInfo | undefined = s.model.procs.get(pid) ?? snapshot.processes.find((p) => p.pid === pid);
    if (!proc) {
      void s.ui.error(`IPC Inspector: process ${pid} is not in the current snapshot (refresh and try again).`);
      return undefined;
    }
    const env = await extensionRunnerEnv(s.ui);
    let origin: ProcessOrigin = {};
    try {
      origin = await env.origin(proc.pid);
    } catch {
      /* unknown: the runner then treats it as not started here */
    }
    const riskOf = (sig: number | string): SignalRisk | undefined => {
      try {
        return signalRisk(proc, sig, { euid: env.euid, origin });
      } catch {
        return undefined; // an unknown signal: the runner reports it
      }
    };
    let signal: string | number | undefined = typeof signalArg === 'string' || typeof signalArg === 'number' ? signalArg : undefined;
    if (signal === undefined) {
      const caught = new Set(proc.signals.caught);
      const ignored = new Set(proc.signals.ignored);
      const blocked = new Set(proc.signals.blocked);
      const ordered = [...SIGNALS].sort((a, b) => {
        const ia = COMMON.indexOf(a.name);
        const ib = COMMON.indexOf(b.name);
        return (ia < 0 ? 100 + a.number : ia) - (ib < 0 ? 100 + b.number : ib);
      });
      const items = ordered.map((sig) => {
        const state = caught.has(sig.name) ? 'caught' : ignored.has(sig.name) ? 'ignored' : blocked.has(sig.name) ? 'blocked' : `default: ${sig.action}`;
        const risk = riskOf(sig.number);
        const warned = !!risk && risk.warnings.length > 0;
        return {
          label: sig.name,
          description: `${sig.number} · ${state}`,
          detail: warned ? `${risk.warnings.map(sentence).join('; ')}` : sig.description,
          ...(warned ? { iconPath: new vscode.ThemeIcon('warning') } : {}),
          sig: sig.name,
        };
      });
      const chosen = await pick(s, `Signal for ${processLabel(proc.pid, proc)}`, items, { placeHolder: 'signal name or number' });
      if (!chosen) return undefined;
      signal = chosen.sig;
    }
    const risk = signalNumber(signal) !== undefined ? riskOf(signal) : undefined;
    let runEnv = env;
    if (risk?.noEffect) {
      // Lead with what the user would not expect: the signal does nothing. When the policy asks
      // anyway (another user's process, SIGKILL…), its reasons follow in the same one question.
      const who = processLabel(proc.pid, proc);
      const question = (reasons: readonly string[]) => ({
        title: `${risk.signalName} will have no effect on ${who}. Send it anyway?`,
        detail: [...risk.warnings, ...reasons].map(sentence).join('\n'),
        action: `Send ${risk.signalName}`,
      });
      if (risk.confirm.length === 0) {
        if (!(await s.ui.confirm(question([])))) {
          s.log.info(`${risk.signalName} to ${who}: not sent (it would have no effect)`);
          return undefined;
        }
      } else {
        runEnv = { ...env, confirm: (q) => s.ui.confirm(question(q.reasons)) };
      }
    }
    const out = await runSignal({ process: proc, signal }, runEnv);
    return reportOutcome(s, out, { notice: (message) => message.replace(/^sent/, 'Sent') });
  });
}
