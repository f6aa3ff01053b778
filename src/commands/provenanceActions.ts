// The actions on a process that VS Code started (src/provenance.ts), offered on its tree item by
// contextValue (`ipc.process terminal|task|debug`) and from the palette with a pid:
//   ipcInspector.showTerminal          the terminal the process runs in
//   ipcInspector.showTaskOutput        the terminal of the task that started it
//   ipcInspector.scopeToDebugSession   scope both views to the debuggee's tree (cleared when the session ends)
// Each resolves to what it did (the terminal's name, the scoped pid) or undefined, for the tests.
import * as vscode from 'vscode';
import { resolvePid, type Services } from './services';

export function register(s: Services): vscode.Disposable {
  const prov = () => s.provenance;
  const showTerminal = (what: string) => async (arg?: unknown): Promise<string | undefined> => {
    const pid = resolvePid(s, arg);
    if (pid === undefined || !prov()) return undefined;
    const t = await prov()!.terminalOf(pid);
    if (!t) {
      void s.ui.info(`IPC Inspector: process ${pid} runs in no terminal of this window (its ${what} has ended, or it was not started here).`);
      return undefined;
    }
    t.show();
    return t.name;
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand('ipcInspector.showTerminal', showTerminal('terminal')),
    vscode.commands.registerCommand('ipcInspector.showTaskOutput', showTerminal('task')),
    vscode.commands.registerCommand('ipcInspector.scopeToDebugSession', (arg?: unknown): number | undefined => {
      const pid = resolvePid(s, arg);
      const found = pid !== undefined ? prov()?.sessionOf(pid) : undefined;
      if (!found) {
        void s.ui.info(`IPC Inspector: process ${pid ?? '?'} belongs to no running debug session of this window.`);
        return undefined;
      }
      if (s.debugScope) s.debugScope.scopeTo(found.session, found.rootPid, found.label);
      else s.filters.setScope(found.rootPid, found.label);
      return found.rootPid;
    }),
  );
}
