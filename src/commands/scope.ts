// ipcInspector.scopeToProcess / ipcInspector.clearScope: narrow both views to one process and
// its descendants (also used by the debug-session integration).
import * as vscode from 'vscode';
import { processLabel } from '../core/format';
import { ensureSnapshot, pick, resolvePid, Services } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('ipcInspector.scopeToProcess', async (arg?: unknown) => {
      const snapshot = await ensureSnapshot(s);
      let pid = resolvePid(s, arg);
      if (pid === undefined) {
        const items = snapshot.processes.map((p) => ({ label: processLabel(p.pid, p), description: p.user, pid: p.pid }));
        const chosen = await pick(s, 'Scope the views to which process tree?', items);
        if (!chosen) return undefined;
        pid = chosen.pid;
      }
      s.filters.setScope(pid, processLabel(pid, s.model.procs.get(pid)));
      return pid;
    }),
    vscode.commands.registerCommand('ipcInspector.clearScope', () => s.filters.setScope(undefined)),
  );
}
