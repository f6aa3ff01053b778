// Group the Processes view by container, as a command pair whose titles say what they do
// (package.json shows one at a time, `when` on the setting):
//   ipcInspector.groupByContainer     "Group Processes by Container"  (when not grouped)
//   ipcInspector.ungroupByContainer   "Stop Grouping by Container"     (when grouped)
// Both write `ipcInspector.groupProcesses` (the workspace value when one is set, else the user
// value); the Processes view follows the setting, however it was changed.
import * as vscode from 'vscode';
import type { Services } from './services';

const KEY = 'groupProcesses';

export function register(s: Services): vscode.Disposable {
  const cfg = () => vscode.workspace.getConfiguration('ipcInspector');
  const apply = () => s.processesTree.setGroupByContainer(cfg().get<string>(KEY) === 'container');
  apply();
  const set = (value: string | undefined) => async () => {
    const i = cfg().inspect<string>(KEY);
    const target = i?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await cfg().update(KEY, value, target);
    apply();
    return s.processesTree.groupedByContainer;
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand('ipcInspector.groupByContainer', set('container')),
    vscode.commands.registerCommand('ipcInspector.ungroupByContainer', set(undefined)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`ipcInspector.${KEY}`)) apply();
    }),
  );
}
