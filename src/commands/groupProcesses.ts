// How the Processes view groups its processes, as a command pair whose titles say what they do
// (package.json shows one at a time, `when` on the setting):
//   ipcInspector.groupProcessesByParent "Group Processes by Parent"      (when not grouped by parent)
//   ipcInspector.groupByContainer       "Group Processes by Container"   (when not grouped by container)
//   ipcInspector.listProcessesFlat      "List Processes Flat, by Name"   (when grouped either way)
//   ipcInspector.ungroupByContainer     (no menu: the same as List Processes Flat; resolves to false)
// Each writes `ipcInspector.groupProcesses` (the workspace value when one is set, else the user
// value) and resolves to the new value; the view follows the setting (views/processGrouping.ts
// holds the strategies, so another grouping adds its own pair here).
import * as vscode from 'vscode';
import type { Services } from './services';

export const GROUP_PROCESSES_SETTING = 'groupProcesses';

export function register(s: Services): vscode.Disposable {
  const cfg = () => vscode.workspace.getConfiguration('ipcInspector');
  const apply = () => s.processesTree.setGrouping(cfg().get<string>(GROUP_PROCESSES_SETTING, 'none'));
  apply();
  const set = (value: string) => async () => {
    const info = cfg().inspect<string>(GROUP_PROCESSES_SETTING);
    const target = info?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await cfg().update(GROUP_PROCESSES_SETTING, value, target);
    apply();
    return value;
  };
  return vscode.Disposable.from(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`ipcInspector.${GROUP_PROCESSES_SETTING}`)) apply();
    }),
    vscode.commands.registerCommand('ipcInspector.groupProcessesByParent', set('parent')),
    vscode.commands.registerCommand('ipcInspector.listProcessesFlat', set('none')),
    // resolve to whether the view is now grouped by container
    vscode.commands.registerCommand('ipcInspector.groupByContainer', async () => (await set('container')(), s.processesTree.groupedByContainer)),
    vscode.commands.registerCommand('ipcInspector.ungroupByContainer', async () => (await set('none')(), s.processesTree.groupedByContainer)),
  );
}
