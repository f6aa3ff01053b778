// ipcInspector.sendSignal: pick a process (searchable), then a signal; then the shared runner
// (core/actions/runner.ts) applies the one policy — a modal when it says so (SIGKILL/SIGSTOP,
// PID 1, VS Code's own processes, other users', root processes not started here, glibc-reserved)
// — and sends bound to the process's start time (pidfd, no pid reuse). Every text goes through
// the UI door (ui.ts), escaped. Arguments (all optional): a node or pid, then a signal name/number.
import * as vscode from 'vscode';
import type { ProcessInfo } from '../core/model';
import { runSignal, type SendSignalResult } from '../core/actions';
import { SIGNALS } from '../core/signals';
import { processLabel } from '../core/format';
import { extensionRunnerEnv } from './actionEnv';
import { ensureSnapshot, pick, resolvePid, Services } from './services';

const COMMON = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGSTOP', 'SIGKILL'];

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
          detail: p.cmdline.join(' '),
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
        return { label: sig.name, description: `${sig.number} · ${state}`, detail: sig.description, sig: sig.name };
      });
      const chosen = await pick(s, `Signal for ${processLabel(proc.pid, proc)}`, items, { placeHolder: 'signal name or number' });
      if (!chosen) return undefined;
      signal = chosen.sig;
    }
    const out = await runSignal({ process: proc, signal }, await extensionRunnerEnv(s.ui));
    switch (out.status) {
      case 'cancelled':
        s.log.info(out.message);
        return undefined;
      case 'failed':
        s.log.error(out.message);
        void s.ui.error(`IPC Inspector: ${out.message}`);
        return undefined;
      case 'done':
        s.log.info(out.message);
        void s.ui.info(out.message.replace(/^sent/, 'Sent'));
        void s.source.refresh().catch(() => undefined);
        return out.result;
    }
  });
}
