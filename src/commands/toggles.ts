// The two process filters as command pairs whose titles say what they do; package.json shows
// one of each pair at a time (`when` on the setting), so the menu reads as the current state:
//   ipcInspector.showWorkspaceProcesses "Show Only This Workspace's Processes" (when off)
//   ipcInspector.showAllProcesses       "Show All Processes"                    (when on)
//   ipcInspector.hideOtherUsers         "Hide Other Users' Processes"           (when off)
//   ipcInspector.showOtherUsers         "Show Other Users' Processes"           (when on)
// Each writes its setting (the workspace value when one is set, else the user value) and
// resolves to the new value.
import * as vscode from 'vscode';
import type { Services } from './services';

export function register(s: Services): vscode.Disposable {
  const set = (key: 'workspaceOnly' | 'hideOtherUsers', value: boolean) => async () => {
    await s.filters.update(key, value);
    return value;
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand('ipcInspector.showWorkspaceProcesses', set('workspaceOnly', true)),
    vscode.commands.registerCommand('ipcInspector.showAllProcesses', set('workspaceOnly', false)),
    vscode.commands.registerCommand('ipcInspector.hideOtherUsers', set('hideOtherUsers', true)),
    vscode.commands.registerCommand('ipcInspector.showOtherUsers', set('hideOtherUsers', false)),
  );
}
