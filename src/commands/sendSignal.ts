// ipcInspector.sendSignal: pick a process (searchable), then a signal; confirm with a modal when
// core's policy says so (SIGKILL/SIGSTOP, PID 1, VS Code's own processes, other users', glibc-
// reserved); then send bound to the process's start time (core sendSignal: pidfd, no pid reuse).
// Arguments (all optional): a node or pid, then a signal name/number.
import * as vscode from 'vscode';
import type { ProcessInfo } from '../core/model';
import { describeRisk, sendSignal, signalRisk, vscodeProcessesFromProc } from '../core/actions';
import { SIGNALS } from '../core/signals';
import { processLabel } from '../views/nodes';
import { confirm, ensureSnapshot, errorText, pick, resolvePid, Services } from './services';

const COMMON = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGSTOP', 'SIGKILL'];

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.sendSignal', async (arg?: unknown, signalArg?: unknown) => {
    const snapshot = await ensureSnapshot(s);
    let pid = resolvePid(s, arg);
    if (pid === undefined) {
      const items = [...snapshot.processes]
        .sort((a, b) => a.pid - b.pid)
        .map((p) => ({
          label: processLabel(p, p.pid),
          description: `${p.user}${p.state ? ' · ' + p.state : ''}`,
          detail: p.cmdline.join(' ').replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200),
          pid: p.pid,
        }));
      const chosen = await pick(s, 'Send signal to which process?', items, { placeHolder: 'search by name, pid, user or command line' });
      if (!chosen) return undefined;
      pid = chosen.pid;
    }
    const proc: ProcessInfo | undefined = s.model.procs.get(pid) ?? snapshot.processes.find((p) => p.pid === pid);
    if (!proc) {
      void vscode.window.showErrorMessage(`IPC Inspector: process ${pid} is not in the current snapshot (refresh and try again).`);
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
      const chosen = await pick(s, `Signal for ${processLabel(proc, proc.pid)}`, items, { placeHolder: 'signal name or number' });
      if (!chosen) return undefined;
      signal = chosen.sig;
    }
    let risk;
    try {
      const protectedLabels = vscodeProcessesFromProc(process.pid);
      risk = signalRisk(proc, signal, { euid: process.geteuid?.() ?? 0, protectedPids: new Set(protectedLabels.keys()), protectedLabels });
    } catch (e) {
      void vscode.window.showErrorMessage(`IPC Inspector: ${errorText(e)}`);
      return undefined;
    }
    const target = processLabel(proc, proc.pid);
    if (risk.confirm.length) {
      const ok = await confirm(s, `Send ${risk.signalName} to ${target}?`, describeRisk(risk), `Send ${risk.signalName}`);
      if (!ok) {
        s.log.info(`signal ${risk.signalName} to ${target}: cancelled`);
        return undefined;
      }
    }
    try {
      const result = await sendSignal({ pid: proc.pid, startTime: proc.startTime, signal: risk.signal });
      s.log.info(`sent ${result.signalName} to ${target} via ${result.method}${result.weakerGuarantee ? ` (${result.weakerGuarantee})` : ''}`);
      const note = risk.warnings.length ? ` — ${risk.warnings[0]}` : '';
      void vscode.window.showInformationMessage(`Sent ${result.signalName} to ${target}${note}`);
      void s.source.refresh().catch(() => undefined);
      return result;
    } catch (e) {
      s.log.error(`signal ${risk.signalName} to ${target} failed:`, e instanceof Error ? e : String(e));
      void vscode.window.showErrorMessage(`IPC Inspector: could not send ${risk.signalName} to ${target}: ${errorText(e)}`);
      return undefined;
    }
  });
}
